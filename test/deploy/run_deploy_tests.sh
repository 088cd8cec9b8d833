#!/bin/bash
# test/deploy/run_deploy_tests.sh
#	The deploy stage: the Lambda packages and the AWS template.
#
#	1. `make lambda-package` builds build/lambda/sage-bootstrap-x86_64.zip
#	   and -arm64.zip (installing the cross compiler and the arm64
#	   multiarch -dev packages when missing; root).
#	2. check_package.py: the packages are self-contained (glibc and loader
#	   bundled, every DT_NEEDED in lib/), run in a chroot with no system
#	   library (arm64 under qemu-aarch64-static) and process an acceptance
#	   case end to end as the function of the local Lambda service
#	   (test/services/lambda_service.py), with moto (S3) and DynamoDB Local.
#	3. lint_template.js: lambda/template.yaml linted by cfn-lint from npm
#	   (martysweet's, NOT AWS's Python cfn-lint; installed with `npm ci`
#	   from test/deploy/package-lock.json) against the resource
#	   specification of @aws-cdk/cfnspec, for both architectures; and a
#	   broken copy of the template must fail (the linter is really on).
#	4. check_template.py: each setting of the design asserted.
#
#	Prints "N passed, M failed" (checks of all steps) and exits non-zero
#	on any failure. Needs root (packages, chroot, network namespace).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
cd "$TOP" || exit 2

passed=0
failed=0

# step NAME CMD...: a command that prints its own "N passed, M failed".
counted() {
	local name=$1 out rc line
	shift
	echo "---- $name"
	out=$("$@" 2>&1)
	rc=$?
	echo "$out"
	line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
	if [ -n "$line" ]; then
		passed=$((passed + ${line%% passed*}))
		line=${line#*, }
		failed=$((failed + ${line%% failed*}))
		if [ "$rc" != 0 ] && [ "${line%% failed*}" = 0 ]; then
			echo "FAIL - $name exited with $rc"
			failed=$((failed + 1))
		fi
	else
		echo "FAIL - $name printed no counts (exit $rc)"
		failed=$((failed + 1))
	fi
}

# one CMD...: a command that is one check by its exit status.
one() {
	local what=$1
	shift
	if "$@"; then
		echo "ok   - $what"
		passed=$((passed + 1))
	else
		echo "FAIL - $what"
		failed=$((failed + 1))
	fi
}

echo "---- package"
one "make lambda-package" make -s lambda-package

counted "package checks" "$TOP/test/services/with_dynamodb.sh" "$TOP/test/services/with_moto.sh" \
	python3 "$HERE/check_package.py" "$TOP/build/lambda"

echo "---- lint"
one "npm ci in test/deploy (cfn-lint, @aws-cdk/cfnspec)" \
	sh -c "cd '$HERE' && npm ci --no-audit --no-fund --loglevel=error"
for arch in x86_64 arm64; do
	one "cfn-lint (npm): lambda/template.yaml with Architecture=$arch lints clean" \
		node "$HERE/lint_template.js" "$TOP/lambda/template.yaml" \
		CodeS3Bucket=sage-code CodeS3Key=sage-bootstrap-$arch.zip Architecture=$arch
done
bad=$(mktemp /tmp/sage-template-bad.XXXXXX)
sed 's/^      MemorySize: !Ref MemorySize$/      MemorySize: [2048]\n      MemorySizze: 2048/' \
	"$TOP/lambda/template.yaml" > "$bad"
# lint_rejects FILE: the linter fails FILE for both of its mistakes
lint_rejects() {
	local out rc
	out=$(node "$HERE/lint_template.js" "$1" CodeS3Bucket=b CodeS3Key=k 2>&1)
	rc=$?
	echo "$out" | grep -E '^crit' | head -5
	[ $rc -ne 0 ] && echo "$out" | grep -q 'MemorySizze is not a valid property' &&
		echo "$out" | grep -q 'Expecting an integer'
}
one "cfn-lint (npm) rejects a broken copy (unknown property, list for an integer)" \
	lint_rejects "$bad"
rm -f "$bad"

counted "template assertions" /usr/bin/python3 "$HERE/check_template.py" "$TOP/lambda/template.yaml"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
