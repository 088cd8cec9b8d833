#!/bin/sh
# test/pandas/run.sh
#	Builds the rule engine's driver (plain and with ASan/UBSan) and runs
#	the pandas cross-check with both. Exits non-zero on any failure.
#	Uses Debian's /usr/bin/python3, which has pandas.
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
PY=${PYTHON:-/usr/bin/python3}

make -s -C "$HERE"
make -s -C "$HERE" SAN=1

echo "== pandas cross-check"
"$PY" -W ignore "$HERE/crosscheck.py" "$TOP/build/pandas/rule_eval_tool"
echo "== pandas cross-check (ASan/UBSan build)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	"$PY" -W ignore "$HERE/crosscheck.py" "$TOP/build/pandas/rule_eval_tool_san"
