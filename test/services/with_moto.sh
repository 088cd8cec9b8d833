#!/bin/sh
# test/services/with_moto.sh
#	Runs a command with moto_server (S3, CloudWatch, SQS...) running for
#	it on 127.0.0.1, through start_moto.sh:
#
#	  test/services/with_moto.sh CMD [ARGS...]
#
#	exports SAGE_TEST_MOTO_ENDPOINT=http://127.0.0.1:PORT and fake
#	credentials unless the environment has some, runs CMD, stops moto
#	whatever happens (trap) and exits with CMD's status.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
if [ $# -eq 0 ]; then
	echo "usage: with_moto.sh CMD [ARGS...]" >&2
	exit 2
fi
line=$("$HERE/start_moto.sh") || exit 2
eval "$line"
trap '"$HERE/stop_service.sh" "$MOTO_PID"' EXIT
trap 'exit 130' INT TERM
export SAGE_TEST_MOTO_ENDPOINT=http://127.0.0.1:$MOTO_PORT
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-AKIDSAGETEST}
export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-sage-test-secret}
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1}
"$@"
exit $?
