#!/bin/bash
# test/aws/run_service_tests.sh
#	Builds the service tests test/aws/svc_*.c (cmocka, ASan + UBSan, linked
#	with src/core and src/aws) and runs them all with their services:
#	DynamoDB Local (test/services/with_dynamodb.sh, which also makes the
#	private network namespace everything runs in) and moto_server
#	(test/services/with_moto.sh); the Lambda tests start their own
#	fake_lambda_invoke.py. A service test fails when its service is
#	missing. Prints every test's outcome and "N passed, M failed" at the
#	end; exits non-zero when any failed (or a program did not build).
#
#	usage: test/aws/run_service_tests.sh [svc_name ...]   (default: all)
#	SAGE_TEST_LOCK_ROUNDS=n shortens the lock contention test (2000).
set -uo pipefail
cd "$(dirname "$0")/../.."
TOP=$(pwd)
OUT=$TOP/build/test/svc
mkdir -p "$OUT"

if [ "${1:-}" = "--inside" ]; then
	# in the namespace, with both services up: run each program, TAP output
	shift
	passed=0
	failed=0
	for bin in "$@"; do
		name=$(basename "$bin")
		echo "== $name"
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
			UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			CMOCKA_MESSAGE_OUTPUT=TAP SAGE_TEST_DATA=$TOP/test/data \
			"$bin" > "$OUT/$name.tap" 2>&1
		rc=$?
		cat "$OUT/$name.tap"
		p=$(grep -c '^ok ' "$OUT/$name.tap")
		f=$(grep -c '^not ok ' "$OUT/$name.tap")
		planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$OUT/$name.tap" | head -1)
		# a crash or a failed group setup leaves tests without a verdict
		if [ -z "$planned" ] || [ $((p + f)) -lt "$planned" ] || { [ $rc -ne 0 ] && [ "$f" -eq 0 ]; }; then
			missing=$(( ${planned:-1} - p - f ))
			[ $missing -lt 1 ] && missing=1
			echo "$name: exit status $rc, $missing test(s) without a verdict"
			f=$((f + missing))
		fi
		passed=$((passed + p))
		failed=$((failed + f))
	done
	echo "$passed $failed" > "$OUT/counts"
	[ "$failed" -eq 0 ]
	exit $?
fi

CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
-Wall -Wextra -Werror -Wno-unused-parameter -Wmissing-prototypes -Wdeclaration-after-statement
-Wimplicit-fallthrough=3 -Wformat-security -Wmissing-format-attribute -Wcast-function-type
-Wno-format-truncation -Wno-stringop-truncation -Isrc/include -Isrc/aws -Itest/aws"
LIBS="-lcmocka -lyaml -lpcre2-8 -lz -lexpat -lm -lcurl -lcrypto -lpthread"

if [ $# -gt 0 ]; then
	srcs=""
	for n in "$@"; do srcs="$srcs test/aws/${n%.c}.c"; done
else
	srcs=$(ls test/aws/svc_*.c)
fi

# src/core and src/aws: the ASan + UBSan libraries of test/Makefile
LIBDIR=$TOP/build/test/asan
build_failed=0
bins=""
if ! make -s -C test "$LIBDIR/libaws.a" "$LIBDIR/libcore.a"; then
	echo "could not build src/core and src/aws"
	echo "0 passed, 1 failed"
	exit 1
fi
# shellcheck disable=SC2086
for src in $srcs; do
	name=$(basename "$src" .c)
	echo "== build $name"
	if gcc $CFLAGS -o "$OUT/$name" "$src" "$LIBDIR/libaws.a" "$LIBDIR/libcore.a" $LIBS; then
		bins="$bins $OUT/$name"
	else
		build_failed=$((build_failed + 1))
	fi
done

rm -f "$OUT/counts"
# shellcheck disable=SC2086
test/services/with_dynamodb.sh test/services/with_moto.sh "$0" --inside $bins
rc=$?
if [ -f "$OUT/counts" ]; then
	read -r passed failed < "$OUT/counts"
else
	echo "the services did not start (exit status $rc)"
	passed=0
	failed=1
fi
failed=$((failed + build_failed))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ $rc -eq 0 ]
