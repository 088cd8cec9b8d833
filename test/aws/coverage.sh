#!/bin/sh
# test/aws/coverage.sh
#	Coverage gate for the SigV4 signer: builds test/aws/sigv4_test with
#	--coverage, runs it against the published vectors, and fails unless
#	gcov reports 100% of the lines of src/aws/sigv4.c executed.
#
#	The test links only the core files the AWS layer uses (the arena,
#	errors and streams), so a half-written module elsewhere in src/core
#	cannot break the gate. Branch coverage is printed for information.
#
#	usage: test/aws/coverage.sh [minimum-line-percent]   (default 100)
set -eu

TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$TOP/build/test/coverage/aws
MIN=${1:-100}
CC=${CC:-gcc}

rm -rf "$OUT"
mkdir -p "$OUT"
cd "$OUT"

$CC -O0 -g --coverage -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation \
	-I"$TOP/src/include" -I"$TOP/src/aws" \
	-o sigv4_test "$TOP/test/aws/sigv4_test.c" \
	"$TOP"/src/core/*.c "$TOP"/src/aws/*.c \
	-lcmocka -lcurl -lcrypto -lyaml -lpcre2-8 -lz -lexpat -lm

SAGE_TEST_DATA=${SAGE_TEST_DATA:-$TOP/test/data} ./sigv4_test > sigv4_test.log 2>&1 || {
	cat sigv4_test.log
	echo "coverage: sigv4_test failed" >&2
	exit 1
}
tail -1 sigv4_test.log

# gcov names the objects after the executable: sigv4_test-sigv4.gcda
gcov -b -o . sigv4_test-sigv4.gcda > gcov.txt 2>&1 || {
	cat gcov.txt
	exit 1
}
report=$(awk '/^File .*src\/aws\/sigv4.c/ {f = 1; next} f && /^(Lines|Branches|Taken)/ {print} f && /^$/ {exit}' gcov.txt)
echo "src/aws/sigv4.c:"
printf "%s\n" "$report" | sed "s/^/  /"
pct=$(echo "$report" | sed -n 's/^Lines executed:\([0-9.]*\)% of.*/\1/p')
if [ -z "$pct" ]; then
	echo "coverage: no gcov result for src/aws/sigv4.c" >&2
	exit 1
fi
if awk -v p="$pct" -v m="$MIN" 'BEGIN { exit !(p + 0 < m + 0) }'; then
	echo "coverage: src/aws/sigv4.c lines $pct% < $MIN%; unexecuted lines:" >&2
	grep -n '#####' sigv4.c.gcov >&2 || true
	exit 1
fi
echo "coverage: src/aws/sigv4.c lines $pct% (gate $MIN%)"
