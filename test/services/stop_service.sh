#!/bin/sh
# test/services/stop_service.sh
#	Stops a test service started by test/services/start_*.sh: SIGTERM to
#	its process group (it was started with setsid), then SIGKILL if it is
#	still there after two seconds.
#
#	usage: test/services/stop_service.sh <pid>
set -u
pid=${1:?usage: stop_service.sh <pid>}
kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || exit 0
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 20 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
exit 0
