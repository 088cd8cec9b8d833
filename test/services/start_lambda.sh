#!/bin/sh
# test/services/start_lambda.sh
#	Starts test/services/lambda_service.py (the local Lambda service: Invoke
#	API, Runtime API for lambda/bootstrap environments, /_sage/ control API)
#	on 127.0.0.1 and a free port, waits until it listens, and prints
#	"LAMBDA_PORT=<port> LAMBDA_PID=<pid>" for eval. Arguments are passed to
#	lambda_service.py (--concurrency 4, --timeout 60, --discard...). Stop it
#	with test/services/stop_service.sh <pid> (it and its environments).
#	Its log (and the environments' output) goes to $SAGE_SERVICE_LOGS
#	(default build/test/services)/lambda-<pid>.log.
#
#	The environments get the AWS_* variables of this environment and
#	SAGE_S3_ENDPOINT / SAGE_DYNAMODB_ENDPOINT (defaults:
#	SAGE_TEST_MOTO_ENDPOINT / SAGE_TEST_DYNAMODB_ENDPOINT).
set -eu

TOP=$(cd "$(dirname "$0")/../.." && pwd)
LOGS=${SAGE_SERVICE_LOGS:-$TOP/build/test/services}
mkdir -p "$LOGS"
pf=$LOGS/lambda.$$.port
rm -f "$pf"
log=$LOGS/lambda-$$.log
# setsid: its own process group, so stop_service.sh ends it and its
# environments (bootstrap processes) together
setsid python3 "$TOP/test/services/lambda_service.py" --port 0 --port-file "$pf" \
	--log "$log" "$@" > /dev/null 2>> "$log" < /dev/null &
pid=$!
i=0
while [ ! -s "$pf" ] && [ $i -lt 150 ]; do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
	i=$((i + 1))
done
if [ ! -s "$pf" ]; then
	echo "start_lambda: the Lambda service did not start; its log ($log):" >&2
	tail -20 "$log" >&2
	kill "$pid" 2>/dev/null || true
	exit 1
fi
port=$(cat "$pf")
rm -f "$pf"
echo "LAMBDA_PORT=$port LAMBDA_PID=$pid"
