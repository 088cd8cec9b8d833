#!/bin/sh
# test/services/with_lambda.sh
#	Runs a command with the local Lambda service (lambda_service.py, through
#	start_lambda.sh) running for it on 127.0.0.1:
#
#	  test/services/with_lambda.sh CMD [ARGS...]
#
#	exports SAGE_TEST_LAMBDA_ENDPOINT=http://127.0.0.1:PORT (function
#	sage-file-processor, bootstrap lambda/bootstrap) and fake credentials
#	unless the environment has some, runs CMD, stops the service whatever
#	happens (trap) and exits with CMD's status. SAGE_LAMBDA_ARGS adds
#	options of lambda_service.py (e.g. "--concurrency 8 --timeout 30").
#	For the bootstrap to reach S3 and DynamoDB, run it inside with_moto.sh
#	and with_dynamodb.sh (or use with_aws_services.sh, which does all).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
if [ $# -eq 0 ]; then
	echo "usage: with_lambda.sh CMD [ARGS...]" >&2
	exit 2
fi
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-AKIDSAGETEST}
export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-sage-test-secret}
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1}
# shellcheck disable=SC2086
line=$("$HERE/start_lambda.sh" ${SAGE_LAMBDA_ARGS:-}) || exit 2
eval "$line"
trap '"$HERE/stop_service.sh" "$LAMBDA_PID"' EXIT
trap 'exit 130' INT TERM
export SAGE_TEST_LAMBDA_ENDPOINT=http://127.0.0.1:$LAMBDA_PORT
"$@"
exit $?
