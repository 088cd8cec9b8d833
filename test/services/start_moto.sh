#!/bin/sh
# test/services/start_moto.sh
#	Starts moto_server (S3, SQS, CloudWatch... as one HTTP service) on
#	127.0.0.1 and a free port, waits until it answers, and prints
#	"MOTO_PORT=<port> MOTO_PID=<pid>" for eval. Stop it with
#	test/services/stop_service.sh <pid>. Its log goes to
#	$SAGE_SERVICE_LOGS (default build/test/services)/moto-<port>.log.
#
#	moto is installed for the python3 on PATH (pyenv's on these machines).
set -eu

TOP=$(cd "$(dirname "$0")/../.." && pwd)
LOGS=${SAGE_SERVICE_LOGS:-$TOP/build/test/services}
mkdir -p "$LOGS"

for try in 1 2 3; do
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
	log=$LOGS/moto-$port.log
	# setsid: its own process group, so stop_service.sh can end it and its children
	setsid python3 -m moto.server -H 127.0.0.1 -p "$port" > "$log" 2>&1 < /dev/null &
	pid=$!
	i=0
	while [ $i -lt 150 ]; do
		if python3 - "$port" <<'PY' 2>/dev/null; then
import sys, urllib.request
urllib.request.urlopen("http://127.0.0.1:%s/moto-api/" % sys.argv[1], timeout=1).read()
PY
			echo "MOTO_PORT=$port MOTO_PID=$pid"
			exit 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
		i=$((i + 1))
	done
	kill "$pid" 2>/dev/null || true
done
echo "start_moto: moto_server did not start; see $LOGS" >&2
exit 1
