#!/bin/bash
# test/run_all.sh
#	`make test`: every test of sage, from a fresh Debian 12 machine, as root.
#	Each stage runs even when an earlier one failed; the last line counts
#	the stages ("N passed, M failed") and the exit status is non-zero when
#	any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
TOP=$(pwd)
LOG=$TOP/build/logs
mkdir -p "$LOG"

bash test/install_deps.sh || { echo "install_deps failed"; echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
failed_names=""

# stage NAME COMMAND...: runs one stage, output to the terminal and its log.
stage() {
	local name=$1
	shift
	echo
	echo "==================== $name"
	local start=$SECONDS
	if "$@" 2>&1 | tee "$LOG/$name.log"; then
		echo "==================== $name: ok ($((SECONDS - start)) s)"
		passed=$((passed + 1))
	else
		echo "==================== $name: FAILED ($((SECONDS - start)) s)"
		failed=$((failed + 1))
		failed_names="$failed_names $name"
	fi
}

stage build make -j2
stage lint test/lint.sh
stage unit-asan make -j2 -C test unit
stage unit-valgrind make -j2 -C test valgrind
stage core-coverage test/core/coverage.sh
stage fuzz make -j2 -C test fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-15}"
stage cases /usr/bin/python3 test/cases/run_cases.py "$TOP/sage-validate" "$TOP/test/data/cases" "$TOP/build/cases"
stage realworld /usr/bin/python3 test/realworld/run_realworld.py "$TOP/sage-validate" "$TOP/test/data/realworld" "$TOP/build/realworld"
if [ -x test/pandas/run.sh ]; then
	stage pandas-crosscheck test/pandas/run.sh
fi
if [ -x test/aws/run_botocore_check.sh ]; then
	stage sigv4-botocore test/aws/run_botocore_check.sh
fi
if [ -x test/aws/coverage.sh ]; then
	stage sigv4-coverage test/aws/coverage.sh
fi
stage aws-services test/aws/run_service_tests.sh
stage aws-tls test/aws/run_tls_test.sh
stage lambda-bootstrap test/lambda/run_bootstrap_test.sh
stage lambda-service test/lambda/run_lambda_service_test.sh
stage deploy test/deploy/run_deploy_tests.sh
# the installed sage.so is shared by every PostgreSQL suite on this
# machine: hold the lock they take from install to the last of them
exec 9>/tmp/sage-pg.lock
flock 9
export SAGE_PG_LOCKED=1
stage install make install
if [ -x test/pg_tests.sh ]; then
	# the Lambda, S3 and DynamoDB tests (t/003, t/004, t/010) use the
	# services this wrapper starts in a private network namespace
	stage postgres test/services/with_aws_services.sh test/pg_tests.sh
fi
stage dashboard test/dashboard/run_dashboard_test.sh
exec 9>&-
unset SAGE_PG_LOCKED

echo
if [ "$failed" -gt 0 ]; then
	echo "failed stages:$failed_names (logs in build/logs)"
fi
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
