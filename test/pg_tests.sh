#!/bin/bash
# test/pg_tests.sh
#	The PostgreSQL suites of sage: pg_regress (sql/, expected/), isolation
#	(specs/) and TAP (t/), each on its own temporary instance that preloads
#	sage (test/pg/sage.conf). Run as root after `make install`: initdb
#	refuses root, so the suites run as postgres from a copy of what they
#	need in a directory of its own under /tmp. Prints regression.diffs and
#	the servers' logs on failure; exits non-zero when any suite fails.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
RUNAS=${SAGE_TEST_USER:-postgres}
PG_CONFIG=${PG_CONFIG:-pg_config}
WORK=$(mktemp -d /tmp/sage_pgtests.XXXXXX)
# extra make arguments, e.g. test/pg_tests.sh "REGRESS=submit views" ISOLATION= PROVE_TESTS=
MAKE_ARGS=("$@")

# one PostgreSQL suite at a time on this machine: they share the installed
# sage.so (test/pg_dev.sh holds the lock across make install already)
if [ -z "${SAGE_PG_LOCKED:-}" ]; then
	exec 9>/tmp/sage-pg.lock
	flock 9
fi

# what the suites read: the Makefile (PGXS), the scripts, the tests, the
# acceptance cases, and the sources (the Makefile's wildcards expect them)
cd "$TOP" || exit 1
tar -cf - Makefile sage.control sage--*.sql sql expected specs t src test/pg \
	test/data/cases 2>/dev/null | tar -xf - -C "$WORK"
if [ "$(id -u)" = 0 ]; then
	chown -R "$RUNAS" "$WORK"
	run() { runuser -u "$RUNAS" -- "$@"; }
else
	run() { "$@"; }
fi

cd "$WORK" || exit 1
echo "sage PostgreSQL suites in $WORK"
run make -s installcheck PG_CONFIG="$PG_CONFIG" SAGE_TOP="$WORK" "${MAKE_ARGS[@]}"
rc=$?

if [ $rc -ne 0 ]; then
	for f in regression.diffs output_iso/regression.diffs; do
		if [ -s "$f" ]; then
			echo "==================== $f"
			cat "$f"
		fi
	done
	for f in tmp_check/log/*.log tmp_check_iso/log/*.log tmp_check/log/regress_log_*; do
		if [ -s "$f" ]; then
			echo "==================== $f (last 60 lines)"
			tail -n 60 "$f"
		fi
	done
	echo "sage PostgreSQL suites FAILED (kept in $WORK)"
	exit 1
fi
echo "sage PostgreSQL suites passed"
rm -rf "$WORK"
exit 0
