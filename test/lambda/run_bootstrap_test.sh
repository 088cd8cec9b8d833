#!/bin/sh
# test/lambda/run_bootstrap_test.sh
#	Builds lambda/bootstrap (and sage-validate, its reference) and runs
#	run_bootstrap_test.py with DynamoDB Local and moto both running in
#	with_dynamodb.sh's private network namespace: with_dynamodb.sh
#	starts DynamoDB Local inside `unshare -n`, then with_moto.sh starts
#	moto in the same namespace, then the test runs. Prints
#	"N passed, M failed" and exits non-zero on failure.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
cd "$TOP"
make -s lambda/bootstrap sage-validate > /dev/null
echo "lambda/bootstrap: $(stat -c %s lambda/bootstrap) bytes"
exec "$TOP/test/services/with_dynamodb.sh" "$TOP/test/services/with_moto.sh" \
	python3 "$HERE/run_bootstrap_test.py"
