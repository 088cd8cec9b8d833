#!/bin/sh
# test/services/stop_moto.sh
#	Stops a moto_server started by test/services/start_moto.sh.
#
#	usage: test/services/stop_moto.sh <MOTO_PID>
exec "$(dirname "$0")/stop_service.sh" "$@"
