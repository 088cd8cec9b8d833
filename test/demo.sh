#!/bin/bash
# test/demo.sh
#	`make demo`: builds and installs sage, starts a temporary PostgreSQL
#	cluster with the extension preloaded (the embedded default: files in
#	bytea, advisory locks, local workers, no AWS), submits the sample
#	executions of test/data/cases with sage_submit, waits for the
#	background workers, prints the results with psql, and stops the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$(pwd)

bash test/install_deps.sh
make -j2
make install

PGBIN=/usr/lib/postgresql/15/bin
DEMO=$(mktemp -d /tmp/sage-demo.XXXXXX)
PORT=${SAGE_DEMO_PORT:-54329}
chown postgres: "$DEMO"
as_pg() { runuser -u postgres -- "$@"; }
cleanup() {
	as_pg "$PGBIN/pg_ctl" -D "$DEMO/data" -m fast stop >/dev/null 2>&1 || true
	rm -rf "$DEMO"
}
trap cleanup EXIT

echo "== a temporary cluster in $DEMO (port $PORT)"
as_pg "$PGBIN/initdb" -D "$DEMO/data" -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
cat >> "$DEMO/data/postgresql.conf" <<CONF
port = $PORT
unix_socket_directories = '$DEMO'
listen_addresses = ''
shared_preload_libraries = 'sage'
sage.database = 'sage_demo'
sage.max_local_executions = 2
CONF
as_pg "$PGBIN/pg_ctl" -D "$DEMO/data" -l "$DEMO/server.log" -w start >/dev/null
PSQL=(runuser -u postgres -- psql -X -q -h "$DEMO" -p "$PORT" -v ON_ERROR_STOP=1)
"${PSQL[@]}" -d postgres -c "CREATE DATABASE sage_demo"
"${PSQL[@]}" -d sage_demo -c "CREATE EXTENSION sage"

echo "== submitting the sample executions"
for dir in "$TOP"/test/data/cases/*/; do
	name=$(basename "$dir")
	data=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"])' "$dir/expected.json")
	b64=$(base64 -w0 "$dir/$data")
	if ! out=$(echo "SELECT sage_submit(:'cfg', decode(:'file', 'base64'), :'fname', options => jsonb_build_object('label', :'label'))" |
		"${PSQL[@]}" -d sage_demo -At \
		-v cfg="$(cat "$dir/config.yaml")" -v file="$b64" -v fname="$data" -v label="$name" 2>&1); then
		echo "  $name: refused at submit -> $(echo "$out" | head -3 | tr '\n' ' ')"
	else
		echo "  $name: submitted as $out"
	fi
done

echo "== waiting for the background workers"
for _ in $(seq 1 300); do
	left=$("${PSQL[@]}" -d sage_demo -At -c "SELECT count(*) FROM sage.executions WHERE state NOT IN ('succeeded','failed','dead','cancelled')")
	[ "$left" = 0 ] && break
	sleep 0.2
done

echo "== results"
"${PSQL[@]}" -d sage_demo -P pager=off -c "
SELECT options->>'label' AS sample, state, records, errors, warnings, rows_with_errors,
       success_rate, status, attempt,
       round(extract(epoch FROM finished_at - started_at) * 1000) AS ms
FROM sage.executions ORDER BY options->>'label'"
"${PSQL[@]}" -d sage_demo -P pager=off -c "SELECT * FROM sage.stats"
echo "== results.txt of the ventas sample, fetched with sage_file()"
"${PSQL[@]}" -d sage_demo -At -c "
SELECT convert_from(sage_file(id, 'results.txt'), 'UTF8')
FROM sage.executions WHERE options->>'label' = 'csv_header_basic'"
