#!/bin/sh
# test/services/start_fake_lambda.sh
#	Starts test/services/fake_lambda_invoke.py (Lambda's Invoke API, SigV4
#	verified with botocore) on 127.0.0.1 and a free port and prints
#	"FAKE_LAMBDA_PORT=<port> FAKE_LAMBDA_PID=<pid>" for eval. Stop it with
#	test/services/stop_service.sh <pid>. It accepts the keys in
#	AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
set -eu

TOP=$(cd "$(dirname "$0")/../.." && pwd)
LOGS=${SAGE_SERVICE_LOGS:-$TOP/build/test/services}
mkdir -p "$LOGS"
fifo=$LOGS/fake-lambda.$$.port
rm -f "$fifo"
mkfifo "$fifo"
setsid python3 "$TOP/test/services/fake_lambda_invoke.py" > "$fifo" 2> "$LOGS/fake-lambda-$$.log" < /dev/null &
pid=$!
port=$(head -1 "$fifo")
rm -f "$fifo"
if [ -z "$port" ]; then
	echo "start_fake_lambda: the server did not start; see $LOGS" >&2
	kill "$pid" 2>/dev/null || true
	exit 1
fi
echo "FAKE_LAMBDA_PORT=$port FAKE_LAMBDA_PID=$pid"
