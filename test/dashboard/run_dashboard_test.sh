#!/bin/bash
# test/dashboard/run_dashboard_test.sh
#	The HTML dashboard with real data: installs sage (under the lock of
#	the PostgreSQL suites, /tmp/sage-pg.lock), starts a temporary cluster
#	as test/demo.sh does, submits the acceptance cases of test/data/cases
#	(three times each) and waits for the local workers, saves
#	sage_dashboard_html(), renders it with headless Chromium (Debian's
#	`chromium`, installed when missing) to a PNG, and checks with
#	check_dashboard.py that the screenshot is not empty and that the
#	numbers in the markup match the views. Run as root. Prints
#	"N passed, M failed"; the page and the screenshot stay in
#	build/dashboard/.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
OUT=$TOP/build/dashboard
PGBIN=/usr/lib/postgresql/15/bin
PORT=${SAGE_DASHBOARD_PORT:-$((55000 + $$ % 1000))}

if [ "$(id -u)" != 0 ]; then
	echo "run_dashboard_test: run as root" >&2
	exit 2
fi
if ! command -v chromium > /dev/null 2>&1; then
	echo "run_dashboard_test: installing chromium"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium > /dev/null ||
		{ echo "run_dashboard_test: could not install chromium" >&2; exit 2; }
fi

# the installed sage.so is shared with the PostgreSQL suites: one at a time
if [ -z "${SAGE_PG_LOCKED:-}" ]; then
	exec 9>/tmp/sage-pg.lock
	flock 9
fi
cd "$TOP" || exit 2
make -s -j2 install > /dev/null || { echo "run_dashboard_test: make install failed" >&2; exit 2; }

mkdir -p "$OUT"
rm -f "$OUT"/dashboard.html "$OUT"/expected.json "$OUT"/dashboard.png
WORK=$(mktemp -d /tmp/sage-dashboard.XXXXXX)
chown postgres: "$WORK"
as_pg() { runuser -u postgres -- "$@"; }
cleanup() {
	as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -m fast stop > /dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT

as_pg "$PGBIN/initdb" -D "$WORK/data" -A trust -E UTF8 --locale=C.UTF-8 > /dev/null || exit 2
cat >> "$WORK/data/postgresql.conf" <<CONF
port = $PORT
unix_socket_directories = '$WORK'
listen_addresses = ''
shared_preload_libraries = 'sage'
sage.database = 'sage_dashboard'
sage.max_local_executions = 2
sage.retry_base = '100ms'
sage.max_attempts = 1
CONF
as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w start > /dev/null || { cat "$WORK/server.log"; exit 2; }
PSQL=(runuser -u postgres -- psql -X -q -h "$WORK" -p "$PORT" -v ON_ERROR_STOP=1)
"${PSQL[@]}" -d postgres -c "CREATE DATABASE sage_dashboard" || exit 2
"${PSQL[@]}" -d sage_dashboard -c "CREATE EXTENSION sage" || exit 2

submitted=0
# one execution that could not be processed, recorded through the
# completion path (sage._complete) with an error text to be escaped;
# first, while no worker holds a local slot
case_dir=$TOP/test/data/cases/csv_header_basic
case_data=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"])' "$case_dir/expected.json")
"${PSQL[@]}" -d sage_dashboard -At > /dev/null <<SQL || exit 1
BEGIN;
SELECT sage_submit(\$y\$$(cat "$case_dir/config.yaml")\$y\$,
	decode('$(base64 -w0 "$case_dir/$case_data")', 'base64'), '$case_data', priority => -1000000);
SELECT * FROM sage._claim() \\gset
COMMIT;
SELECT sage._complete(:'id', :attempt, 'failed', last_error => '<script>alert("x")</script> & more');
SQL
submitted=$((submitted + 1))

for round in 1 2 3; do
	for dir in "$TOP"/test/data/cases/*/; do
		name=$(basename "$dir")
		data=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"])' "$dir/expected.json")
		if echo "SELECT sage_submit(:'cfg', decode(:'file', 'base64'), :'fname', options => jsonb_build_object('label', :'label'))" |
			"${PSQL[@]}" -d sage_dashboard -At -v cfg="$(cat "$dir/config.yaml")" \
				-v file="$(base64 -w0 "$dir/$data")" -v fname="$data" -v label="$name-$round" > /dev/null 2>&1; then
			submitted=$((submitted + 1))
		fi
	done
done
echo "submitted $submitted executions"


left=1
for _ in $(seq 1 600); do
	left=$("${PSQL[@]}" -d sage_dashboard -At -c "SELECT count(*) FROM sage.executions WHERE state NOT IN ('succeeded','failed','dead','cancelled')")
	[ "$left" = 0 ] && break
	sleep 0.2
done
if [ "$left" != 0 ]; then
	echo "run_dashboard_test: $left executions did not finish" >&2
	exit 1
fi

# the page, and what SQL says about the same data (one snapshot)
"${PSQL[@]}" -d sage_dashboard -At > "$WORK/both.txt" <<'SQL' || exit 1
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT sage_dashboard_html();
SELECT '--8<--';
WITH fin AS (
	SELECT e."where", e.state, 1000 * extract(epoch FROM e.finished_at - e.started_at) AS ms
	FROM sage.executions e
	WHERE e.state IN ('succeeded', 'failed', 'dead') AND e.started_at IS NOT NULL
	  AND e.finished_at IS NOT NULL AND e."where" IS NOT NULL),
per AS (
	SELECT w, count(*) AS finished, count(*) FILTER (WHERE state = 'succeeded') AS succeeded,
		   round(100.0 * count(*) FILTER (WHERE state = 'succeeded') / count(*), 2) AS success_rate,
		   round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::int8 AS p50_ms,
		   round(percentile_cont(0.95) WITHIN GROUP (ORDER BY ms))::int8 AS p95_ms,
		   round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms))::int8 AS p99_ms
	FROM (SELECT "where" AS w, state, ms FROM fin UNION ALL SELECT 'all', state, ms FROM fin) x
	GROUP BY w)
SELECT json_build_object(
	'stats', (SELECT row_to_json(s) FROM sage.stats s),
	'cost', (SELECT json_agg(c ORDER BY c.day, c."where") FROM sage.cost_daily c
			 WHERE c.day > (SELECT max(day) FROM sage.cost_daily) - 30),
	'places', (SELECT json_agg(json_build_object('where', w, 'finished', finished,
				'succeeded', succeeded, 'success_rate', success_rate, 'p50_ms', p50_ms,
				'p95_ms', p95_ms, 'p99_ms', p99_ms) ORDER BY w) FROM per
			   WHERE finished > 0),
	'finished_by_where', (SELECT coalesce(json_object_agg(w, n), '{}') FROM (
			SELECT "where" AS w, count(*) AS n FROM sage.executions
			WHERE finished_at IS NOT NULL AND "where" IS NOT NULL
			  AND state IN ('succeeded', 'failed', 'dead', 'cancelled') GROUP BY 1) x),
	'slowest', (SELECT coalesce(json_agg(id), '[]') FROM (
			SELECT id FROM sage.executions
			WHERE state IN ('succeeded', 'failed', 'dead') AND started_at IS NOT NULL
			  AND finished_at IS NOT NULL
			ORDER BY finished_at - started_at DESC, id LIMIT 10) x),
	'failing', (SELECT coalesce(json_agg(id), '[]') FROM (
			SELECT id FROM sage.executions WHERE state IN ('failed', 'dead')
			ORDER BY finished_at DESC NULLS LAST, id LIMIT 10) x));
COMMIT;
SQL
/usr/bin/python3 - "$WORK/both.txt" "$OUT/dashboard.html" "$OUT/expected.json" <<'PY' || exit 1
import sys
text = open(sys.argv[1], encoding='utf-8').read()
page, _, rest = text.partition('\n--8<--\n')
open(sys.argv[2], 'w', encoding='utf-8').write(page)
open(sys.argv[3], 'w', encoding='utf-8').write(rest.strip() + '\n')
PY

# headless Chromium: the page as a PNG (root needs --no-sandbox)
cp "$OUT/dashboard.html" "$WORK/dashboard.html"
chmod a+r "$WORK/dashboard.html"
timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
	--no-first-run --disable-extensions --user-data-dir="$WORK/chromium" \
	--window-size=1280,2400 --screenshot="$OUT/dashboard.png" \
	"file://$WORK/dashboard.html" > "$WORK/chromium.log" 2>&1
if [ ! -s "$OUT/dashboard.png" ]; then
	echo "run_dashboard_test: chromium wrote no screenshot" >&2
	tail -20 "$WORK/chromium.log" >&2
fi

/usr/bin/python3 "$HERE/check_dashboard.py" "$OUT/dashboard.html" "$OUT/expected.json" "$OUT/dashboard.png"
