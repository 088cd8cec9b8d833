#!/bin/bash
# test/services/with_aws_services.sh
#	Runs a command with every AWS test service running for it, all in ONE
#	private network namespace (DynamoDB Local cannot listen on loopback
#	only; see with_dynamodb.sh):
#
#	  test/services/with_aws_services.sh CMD [ARGS...]
#
#	- DynamoDB Local   SAGE_TEST_DYNAMODB_ENDPOINT
#	- moto_server      SAGE_TEST_MOTO_ENDPOINT (S3 and CloudWatch)
#	- the local Lambda service (test/services/lambda_service.py, function
#	  sage-file-processor, environments running lambda/bootstrap against the
#	  two above)       SAGE_TEST_LAMBDA_ENDPOINT
#	with test credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
#	AWS_DEFAULT_REGION (and AWS_REGION), the bucket sage-test
#	(SAGE_TEST_BUCKET) and the lock table sage_execution_locks
#	(SAGE_TEST_LOCK_TABLE; key execution_id, TTL on expiration_time)
#	created. CMD runs, every service is stopped whatever happens (trap),
#	the exit status is CMD's. Needs root (unshare -n); builds
#	lambda/bootstrap when it is missing. SAGE_LAMBDA_ARGS adds options of
#	lambda_service.py (default concurrency 4, timeout 60 s). Logs go to
#	$SAGE_SERVICE_LOGS (default build/test/services).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)

if [ $# -eq 0 ]; then
	echo "usage: with_aws_services.sh CMD [ARGS...]" >&2
	exit 2
fi

if [ "${SAGE_AWS_SERVICES_INSIDE:-}" != 1 ]; then
	if [ ! -x "$TOP/lambda/bootstrap" ]; then
		make -s -C "$TOP" lambda/bootstrap > /dev/null || {
			echo "with_aws_services: could not build lambda/bootstrap" >&2
			exit 2
		}
	fi
	# with_dynamodb.sh makes the namespace and starts DynamoDB Local in
	# it, then runs us again inside for the rest
	export SAGE_AWS_SERVICES_INSIDE=1
	export AWS_ACCESS_KEY_ID=AKIDSAGETEST
	export AWS_SECRET_ACCESS_KEY=sage-test-secret
	export AWS_DEFAULT_REGION=us-east-1
	export AWS_REGION=us-east-1
	unset AWS_SESSION_TOKEN AWS_PROFILE AWS_SECURITY_TOKEN
	exec "$HERE/with_dynamodb.sh" "$0" "$@"
fi
unset SAGE_AWS_SERVICES_INSIDE

pids=""
cleanup() {
	for p in $pids; do
		"$HERE/stop_service.sh" "$p"
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

line=$("$HERE/start_moto.sh") || exit 2
eval "$line"
pids="$MOTO_PID"
export SAGE_TEST_MOTO_ENDPOINT=http://127.0.0.1:$MOTO_PORT
export SAGE_TEST_BUCKET=sage-test
export SAGE_TEST_LOCK_TABLE=sage_execution_locks
export SAGE_TEST_LAMBDA_FUNCTION=sage-file-processor

python3 - <<'PY' || exit 2
import os, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["SAGE_TEST_MOTO_ENDPOINT"])
s3.create_bucket(Bucket=os.environ["SAGE_TEST_BUCKET"])
ddb = boto3.client("dynamodb", endpoint_url=os.environ["SAGE_TEST_DYNAMODB_ENDPOINT"])
t = os.environ["SAGE_TEST_LOCK_TABLE"]
ddb.create_table(TableName=t,
                 KeySchema=[{"AttributeName": "execution_id", "KeyType": "HASH"}],
                 AttributeDefinitions=[{"AttributeName": "execution_id", "AttributeType": "S"}],
                 BillingMode="PAY_PER_REQUEST")
ddb.get_waiter("table_exists").wait(TableName=t)
ddb.update_time_to_live(TableName=t, TimeToLiveSpecification={
    "Enabled": True, "AttributeName": "expiration_time"})
PY

# shellcheck disable=SC2086
line=$(SAGE_S3_ENDPOINT=$SAGE_TEST_MOTO_ENDPOINT \
	SAGE_DYNAMODB_ENDPOINT=$SAGE_TEST_DYNAMODB_ENDPOINT \
	"$HERE/start_lambda.sh" --function sage-file-processor \
	--bootstrap "$TOP/lambda/bootstrap" ${SAGE_LAMBDA_ARGS:-}) || exit 2
eval "$line"
pids="$LAMBDA_PID $pids"
export SAGE_TEST_LAMBDA_ENDPOINT=http://127.0.0.1:$LAMBDA_PORT

"$@"
exit $?
