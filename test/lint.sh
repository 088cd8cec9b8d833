#!/bin/bash
# test/lint.sh
#	Mechanical checks of docs/STYLE practices that a compiler does not
#	make: exported symbols, layering, message style, comments, waits.
#	Prints one line per problem and "N passed, M failed" per check.
set -uo pipefail
cd "$(dirname "$0")/.."

pass=0
fail=0
check() {
	local name=$1 out=$2
	if [ -z "$out" ]; then
		echo "ok   $name"
		pass=$((pass + 1))
	else
		echo "FAIL $name"
		echo "$out" | sed 's/^/     /' | head -20
		fail=$((fail + 1))
	fi
}

# PostgreSQL loads modules RTLD_GLOBAL: export only sage_* and the PG entry points.
[ -f sage.so ] || make -s sage.so >/dev/null
check "exported symbols are sage_* or PostgreSQL entry points" \
	"$(nm -g --defined-only sage.so | awk '{print $3}' | grep -v -E '^(Pg_magic_func|_PG_init|pg_finfo_.*|sage_.*)$')"

# core/ and aws/ never see PostgreSQL.
check "no PostgreSQL headers or calls in src/core and src/aws" \
	"$(grep -nE '#include "(postgres|fmgr|utils/|access/|storage/)|\b(palloc|elog|ereport)\(' src/core/*.[ch] src/aws/*.[ch] src/include/sage/*.h)"
check "no setjmp/longjmp in src/core and src/aws" \
	"$(grep -nE '\b(setjmp|longjmp|sigsetjmp)\(' src/core/*.c src/aws/*.c)"

# /* */ comments only (URLs may hold //).
check "no // comments in src" \
	"$(grep -nE '(^|[^:"])//' src/*/*.[ch] src/include/sage/*.h | grep -vE 'https?://|"[^"]*//[^"]*"|/\*.*//')"

# Every source file opens with a banner naming its own path.
bad=""
for f in src/*/*.[ch] src/include/sage/*.h; do
	head -5 "$f" | grep -qF "$f" || bad="$bad$f\n"
done
check "every file's banner names its path" "$(printf "%b" "$bad")"

# Message style: errmsg starts lower case, no final period, no "unable to".
check "errmsg style in src/pg" \
	"$(grep -nE 'errmsg(_internal)?\("([A-Z][a-z]|[^"]*\.")' src/pg/*.c; grep -nE 'errmsg\("[^"]*(unable to|can not)' src/pg/*.c)"
check "sage_error_set message style in src/core and src/aws" \
	"$(grep -nE 'sage_error_set\([^,]+, *SAGE_ERR_[A-Z_]+, *"([A-Z][a-z]|[^"]*\.")' src/core/*.c src/aws/*.c)"

# Background workers wait through one helper, never sleep.
check "no pg_usleep in src/pg" "$(grep -n 'pg_usleep' src/pg/*.c)"
check "WaitLatch/WaitEventSet only in src/pg/wait.c" \
	"$(grep -lE 'WaitLatch|WaitEventSet' src/pg/*.c | grep -v 'src/pg/wait.c')"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
