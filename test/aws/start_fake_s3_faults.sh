#!/bin/sh
# test/aws/start_fake_s3_faults.sh
#	Starts test/aws/fake_s3_faults.py on 127.0.0.1 and a free port and
#	prints "FAULTS_PORT=<port> FAULTS_PID=<pid>" for eval. Stop it with
#	test/services/stop_service.sh <pid>.
set -eu

TOP=$(cd "$(dirname "$0")/../.." && pwd)
LOGS=${SAGE_SERVICE_LOGS:-$TOP/build/test/services}
mkdir -p "$LOGS"
fifo=$LOGS/s3faults.$$.port
rm -f "$fifo"
mkfifo "$fifo"
setsid python3 "$TOP/test/aws/fake_s3_faults.py" > "$fifo" 2> "$LOGS/s3faults-$$.log" < /dev/null &
pid=$!
port=$(head -1 "$fifo")
rm -f "$fifo"
if [ -z "$port" ]; then
	echo "start_fake_s3_faults: the server did not start; see $LOGS" >&2
	kill "$pid" 2>/dev/null || true
	exit 1
fi
echo "FAULTS_PORT=$port FAULTS_PID=$pid"
