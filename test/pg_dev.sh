#!/bin/bash
# test/pg_dev.sh
#	For development: installs the extension and runs some or all of the
#	PostgreSQL suites, holding /tmp/sage-pg.lock throughout so that two
#	people (or helpers) never install over each other's running tests.
#	Arguments are make variables, e.g.
#	  test/pg_dev.sh REGRESS="submit views" ISOLATION= PROVE_TESTS=
#	  test/pg_dev.sh REGRESS= ISOLATION= PROVE_TESTS=t/003_lambda.pl
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
exec 9>/tmp/sage-pg.lock
flock 9
cd "$TOP" || exit 1
make -s -j2 install >/dev/null || exit 1
SAGE_PG_LOCKED=1 exec "$TOP/test/pg_tests.sh" "$@"
