#!/bin/sh
# test/services/start_scripted_http.sh
#	Starts test/services/scripted_http.py on 127.0.0.1 and a free port and
#	prints "SCRIPTED_PORT=<port> SCRIPTED_PID=<pid>" for eval. Stop it with
#	test/services/stop_service.sh <pid>.
set -eu

TOP=$(cd "$(dirname "$0")/../.." && pwd)
LOGS=${SAGE_SERVICE_LOGS:-$TOP/build/test/services}
mkdir -p "$LOGS"
fifo=$LOGS/scripted.$$.port
rm -f "$fifo"
mkfifo "$fifo"
setsid python3 "$TOP/test/services/scripted_http.py" > "$fifo" 2> "$LOGS/scripted-$$.log" < /dev/null &
pid=$!
port=$(head -1 "$fifo")
rm -f "$fifo"
if [ -z "$port" ]; then
	echo "start_scripted_http: the server did not start; see $LOGS" >&2
	kill "$pid" 2>/dev/null || true
	exit 1
fi
echo "SCRIPTED_PORT=$port SCRIPTED_PID=$pid"
