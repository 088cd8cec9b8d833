#!/bin/bash
# bench/pg/run_pg_bench.sh
#	The extension's benchmarks (issue 3, "Speed"; method and results in
#	docs/PERFORMANCE.md, section "Extension"). Run as root after `make install`: it
#	creates a temporary cluster owned by postgres under /tmp that preloads
#	sage, runs each benchmark, prints the results and removes the cluster.
#
#	1. submit, single-row: pgbench -c 8 -j 2, one sage_submit per
#	   transaction, local workers disabled (the submit path alone); with
#	   synchronous_commit on (durable) and off, and a plain one-row INSERT
#	   as the disk's commit ceiling;
#	2. submit, batch: sage_submit_batch of 1,000 files per call;
#	3. pickup latency: executions submitted one by one at ~40/s to idle
#	   workers; latency = started_at (the claim transaction's start) -
#	   submitted_at (the submit transaction's start), so it includes the
#	   submit's own work and commit: an upper bound of commit-to-claim;
#	4. end to end: 10,000 executions of a 1 KB CSV under a configuration
#	   with a few rules, submitted in one transaction; rate = executions /
#	   (last finished_at - first started_at);
#	5. backlog: 1 M pending executions inserted with INSERT ... SELECT,
#	   then the claim timed with the launcher parked in another database:
#	   (a) claim in a transaction rolled back, (b) claim + completion
#	   committed, consuming the queue head (dead index entries pile up).
#
#	Sections 1 and 2 measure the previous submit path (sage.submit_bulk =
#	off: SQL statements, random ids) and the current one (on: bulk
#	insertion, time-ordered ids) alternately in the same cluster, each run
#	on freshly truncated and checkpointed tables, BENCH_ROUNDS times.
#
#	Environment: BENCH_SECONDS (per pgbench run, default 15), BENCH_BACKLOG
#	(default 1000000), BENCH_E2E (default 10000), BENCH_WORKERS
#	(sage.max_local_executions for 3 and 4, default 2), BENCH_PORT (55439),
#	BENCH_SECTIONS (default "1 2 3 4 5"), BENCH_ROUNDS (default 2),
#	BENCH_BIN (the PostgreSQL programs; default: pg_config --bindir).
set -uo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BENCH_BIN:-$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}
[ -x "$BIN/initdb" ] || BIN=/usr/lib/postgresql/15/bin
SECTIONS=" ${BENCH_SECTIONS:-1 2 3 4 5} "
ROUNDS=${BENCH_ROUNDS:-2}
SECS=${BENCH_SECONDS:-15}
BACKLOG=${BENCH_BACKLOG:-1000000}
E2E=${BENCH_E2E:-10000}
WORKERS=${BENCH_WORKERS:-2}
PORT=${BENCH_PORT:-55439}
WORK=$(mktemp -d /tmp/sage_pgbench.XXXXXX)
DATA=$WORK/data
RESULTS=$WORK/results.txt

if [ "$(id -u)" = 0 ]; then
	chown postgres "$WORK"
	as_pg() { runuser -u postgres -- "$@"; }
else
	as_pg() { "$@"; }
fi

cleanup()
{
	as_pg "$BIN/pg_ctl" -D "$DATA" -m immediate stop >/dev/null 2>&1
	cd /
	rm -rf "$WORK"
}
trap cleanup EXIT

psql_b() { as_pg "$BIN/psql" -h "$WORK" -p "$PORT" -d bench -X -q -At -v ON_ERROR_STOP=1 "$@"; }
pgbench_b() { (cd "$WORK" && as_pg "$BIN/pgbench" -h "$WORK" -p "$PORT" -n "$@" bench); }
# as the ordinary role that submits
pgbench_u() { pgbench_b -U bench_user "$@"; }
say() { echo "$*" | tee -a "$RESULTS"; }

# p50/p99/max (ms) of a column of numbers in ms read from stdin
percentiles()
{
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "no samples"; exit }
		i50 = int(NR * 0.50); if (i50 < 1) i50 = 1;
		i99 = int(NR * 0.99 + 0.999); if (i99 > NR) i99 = NR;
		printf "n=%d p50=%.2f ms p99=%.2f ms max=%.2f ms\n", NR, v[i50], v[i99], v[NR] }'
}

# (re)starts the cluster with the given number of local worker slots and
# the database the launcher works in
start_cluster()
{
	local slots=$1 launcher_db=$2

	as_pg "$BIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1
	sed -i '/^# sage bench variable/,$d' "$DATA/postgresql.conf"
	cat >>"$DATA/postgresql.conf" <<EOF
# sage bench variable
sage.max_local_executions = $slots
sage.database = '$launcher_db'
EOF
	as_pg "$BIN/pg_ctl" -D "$DATA" -l "$WORK/server.log" -w start >/dev/null ||
		{ tail -30 "$WORK/server.log"; exit 1; }
}

wait_all_done()
{
	local deadline=$((SECONDS + $1)) n
	while :; do
		n=$(psql_b -c "SELECT count(*) FROM sage.executions WHERE state NOT IN ('succeeded', 'failed', 'dead', 'cancelled')")
		[ "$n" = 0 ] && return 0
		[ $SECONDS -ge $deadline ] && { echo "timeout: $n not finished"; return 1; }
		sleep 0.2
	done
}

echo "sage extension benchmarks in $WORK"
: >"$RESULTS"
say "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo); $(date -u '+%F %T UTC')"

as_pg "$BIN/initdb" -D "$DATA" -A trust -U postgres >/dev/null || exit 1
cat >>"$DATA/postgresql.conf" <<EOF
shared_preload_libraries = 'sage'
port = $PORT
unix_socket_directories = '$WORK'
listen_addresses = ''
max_connections = 50
max_worker_processes = 16
shared_buffers = 512MB
max_wal_size = 4GB
track_commit_timestamp = on
EOF
start_cluster 0 bench
as_pg "$BIN/psql" -h "$WORK" -p "$PORT" -d postgres -X -q -c "CREATE DATABASE bench" || exit 1
psql_b <<'EOF' || exit 1
CREATE EXTENSION sage;
-- the inputs: a small configuration and a 1 KB CSV with a few rules
CREATE TABLE bench_input (cfg text, f bytea, files bytea[], names text[]);
INSERT INTO bench_input (cfg, f)
SELECT $y$sage_yaml:
  name: "bench"
  description: "benchmark"
  version: "1.0.0"
  author: "QA"
catalogs:
  t:
    name: "T"
    description: "movimientos"
    filename: "t.csv"
    file_format:
      type: "CSV"
      delimiter: ","
      header: true
    fields:
      - name: "id"
        type: "entero"
        required: true
        unique: true
      - name: "nombre"
        type: "texto"
        validation_rules:
          - name: "largo"
            description: "nombre corto"
            rule: "df['nombre'].str.len() <= 20"
            severity: "error"
      - name: "monto"
        type: "decimal"
        validation_rules:
          - name: "rango"
            description: "monto entre 0 y 1000"
            rule: "df['monto'].astype(float).between(0, 1000)"
            severity: "error"
      - name: "email"
        type: "texto"
        validation_rules:
          - name: "email"
            description: "correo valido"
            rule: "df['email'].str.match(r'^[a-z0-9.]+@[a-z0-9.]+\\.[a-z]{2,}$')"
            severity: "warning"
packages: {}
$y$,
	convert_to('id,nombre,monto,email' || E'\n' ||
			   string_agg(format('%s,cliente %s,%s.50,c%s@ejemplo.cl', i, i, (i * 37) % 1200, i), E'\n')
			   || E'\n', 'UTF8')
FROM generate_series(1, 28) i;
UPDATE bench_input SET files = array_fill(f, ARRAY[1000]),
	names = array_fill('t.csv'::text, ARRAY[1000]);
SELECT sage_check_config(cfg) FROM bench_input \g /dev/null
CREATE TABLE bench_t (a int);
-- submitters are ordinary roles: row-level security applies to them
CREATE ROLE bench_user LOGIN;
GRANT SELECT ON bench_input TO bench_user;
GRANT INSERT ON bench_t TO bench_user;
EOF
say "input: $(psql_b -c "SELECT length(f) FROM bench_input") bytes of CSV, 28 records, 4 rules"

cat >"$WORK/single.pgb" <<'EOF'
SELECT sage_submit(cfg, f, 't.csv') FROM bench_input;
EOF
cat >"$WORK/batch.pgb" <<'EOF'
SELECT count(*) FROM bench_input, sage_submit_batch(cfg, files, names);
EOF
cat >"$WORK/insert.pgb" <<'EOF'
INSERT INTO bench_t VALUES (1);
EOF
cat >"$WORK/claim_rollback.pgb" <<'EOF'
BEGIN;
SELECT * FROM sage._claim();
ROLLBACK;
EOF
cat >"$WORK/claim_commit.pgb" <<'EOF'
SELECT quote_literal(id) AS qid, attempt FROM sage._claim() \gset
SELECT sage._complete(:qid::uuid, :attempt, 'failed', last_error => 'bench');
EOF
chown postgres "$WORK"/*.pgb 2>/dev/null

tps() { grep -E '^tps' | sed -E 's/tps = ([0-9.]+).*/\1/'; }
section() { case "$SECTIONS" in *" $1 "*) return 0 ;; esac; return 1; }
# empty tables, a checkpoint and zeroed WAL statistics before each run
fresh() {
	psql_b -c "TRUNCATE sage.executions" -c "VACUUM ANALYZE sage.executions, sage.execution_files" \
		-c "CHECKPOINT" -c "SELECT pg_stat_reset_shared('wal')" >/dev/null
}
# WAL bytes and flushes (pg_stat_wal) per unit since fresh, for $1 units
walstat() {
	psql_b -c "SELECT format('%s WAL bytes, %s per flush', round(wal_bytes / $1), round($1::numeric / greatest(wal_sync, 1), 1)) FROM pg_stat_wal"
}
path() { [ "$1" = on ] && echo "bulk (new)     " || echo "SQL (previous) "; }
# pgbench as bench_user with the submit path $1; other arguments to pgbench
pgbench_m() { local m=$1; shift; PGOPTIONS="${EXTRA_OPTS:-} -c sage.submit_bulk=$m" pgbench_u "$@"; }

# ------------------------------------------------------------ 1. single-row
if section 1; then
say ""
say "== 1. sage_submit, single-row, pgbench -c 8 -j 2 -T $SECS (workers off)"
say "   load before: $(cut -d' ' -f1-3 /proc/loadavg)"
fresh
r=$(pgbench_u -c 8 -j 2 -T "$SECS" -f "$WORK/insert.pgb" | tps)
say "   plain one-row INSERT (commit ceiling, synchronous_commit on): $r tx/s; $(walstat "$(awk -v t="$r" -v s="$SECS" 'BEGIN { print int(t * s) }')")"
for round in $(seq "$ROUNDS"); do
	for m in off on; do
		fresh
		out=$(pgbench_m $m -c 8 -j 2 -T "$SECS" -f "$WORK/single.pgb")
		n=$(echo "$out" | sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p')
		say "   $(path $m) synchronous_commit on:  $(echo "$out" | tps) submits/s; per submit $(walstat "$n")"
	done
done
for m in off on; do
	fresh
	r=$(EXTRA_OPTS="-c synchronous_commit=off" pgbench_m $m -c 8 -j 2 -T "$SECS" -f "$WORK/single.pgb" | tps)
	say "   $(path $m) synchronous_commit off: $r submits/s"
done
# the same with the statement prepared once per client (-M prepared)
fresh
r=$(pgbench_m on -M prepared -c 8 -j 2 -T "$SECS" -f "$WORK/single.pgb" | tps)
say "   $(path on) synchronous_commit on, -M prepared: $r submits/s"
# group commit: the leader of a flush waits commit_delay for others to join
for d in 200 1000; do
	psql_b -c "ALTER SYSTEM SET commit_delay = $d" -c "SELECT pg_reload_conf()" >/dev/null
	fresh
	out=$(pgbench_m on -c 8 -j 2 -T "$SECS" -f "$WORK/single.pgb")
	n=$(echo "$out" | sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p')
	say "   $(path on) commit_delay = $d us (commit_siblings 5): $(echo "$out" | tps) submits/s; per submit $(walstat "$n")"
done
psql_b -c "ALTER SYSTEM RESET commit_delay" -c "SELECT pg_reload_conf()" >/dev/null
say "   load after: $(cut -d' ' -f1-3 /proc/loadavg)"
fi

# ------------------------------------------------------------ 2. batch
if section 2; then
say ""
say "== 2. sage_submit_batch, 1,000 files per call, pgbench -j 2 -T $SECS (workers off)"
say "   load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
	for c in 1 2; do
		for m in off on; do
			fresh
			r=$(pgbench_m $m -c $c -j $c -T "$SECS" -f "$WORK/batch.pgb" | tps)
			say "   $(path $m) $c client(s), synchronous_commit on: $(awk -v t="$r" 'BEGIN { printf "%.0f", t * 1000 }') submits/s; per submit $(walstat "$(awk -v t="$r" -v s="$SECS" 'BEGIN { print int(t * s * 1000) }')")"
		done
	done
done
say "   load after: $(cut -d' ' -f1-3 /proc/loadavg)"
fi

# ------------------------------------------------------------ 3. pickup latency
if section 3; then
start_cluster "$WORKERS" bench
psql_b -c "TRUNCATE sage.executions" -c "VACUUM ANALYZE sage.executions, sage.execution_files"
# warm-up: the launcher starts the workers, which then wait idle
psql_b -c "SELECT count(*) FROM bench_input, sage_submit_batch(cfg, files[1:$WORKERS], names[1:$WORKERS])" >/dev/null
wait_all_done 30
sleep 1
psql_b -c "TRUNCATE sage.executions"
say ""
say "== 3. pickup latency: 1 client at ~40 submits/s for $SECS s, $WORKERS idle workers"
pgbench_u -c 1 -j 1 -R 40 -T "$SECS" -f "$WORK/single.pgb" >/dev/null
wait_all_done 60
say "   commit to claim, started_at - commit time of the submit (track_commit_timestamp):"
say "      $(psql_b -c "SELECT 1000 * EXTRACT(epoch FROM e.started_at - pg_xact_commit_timestamp(f.xmin)) FROM sage.executions e JOIN sage.execution_files f ON f.execution_id = e.id AND f.role = 'in'" | percentiles)"
say "   upper bound, started_at - submitted_at (includes the submit and its commit flush):"
say "      $(psql_b -c "SELECT 1000 * EXTRACT(epoch FROM started_at - submitted_at) FROM sage.executions" | percentiles)"
say "   (states: $(psql_b -c "SELECT string_agg(state || '=' || n, ' ') FROM (SELECT state, count(*) n FROM sage.executions GROUP BY 1) s"))"

fi

# ------------------------------------------------------------ 4. end to end
if section 4; then
section 3 || start_cluster "$WORKERS" bench
psql_b -c "TRUNCATE sage.executions" -c "VACUUM ANALYZE sage.executions, sage.execution_files"
say ""
say "== 4. end to end: $E2E executions of the 1 KB CSV, $WORKERS local workers"
t0=$(date +%s.%N)
as_pg "$BIN/psql" -h "$WORK" -p "$PORT" -U bench_user -d bench -X -q -At -c "SELECT sum((SELECT count(*) FROM sage_submit_batch(cfg, files, names) WHERE g > 0)) FROM bench_input, generate_series(1, $E2E / 1000) g" >/dev/null
wait_all_done 600
t1=$(date +%s.%N)
say "   $(psql_b -c "SELECT format('%s executions (%s), first start to last finish %s s: %s executions/s', count(*),
	(SELECT string_agg(s, ' ') FROM (SELECT state || '/' || coalesce(status, '-') || '=' || count(*) s FROM sage.executions GROUP BY state, status) x),
	round(EXTRACT(epoch FROM max(finished_at) - min(started_at))::numeric, 2),
	round(count(*) / EXTRACT(epoch FROM max(finished_at) - min(started_at))::numeric, 0)) FROM sage.executions")"
say "   wall clock, submit to all done: $(awk -v a="$t0" -v b="$t1" -v n="$E2E" 'BEGIN { printf "%.2f s, %.0f executions/s", b - a, n / (b - a) }')"
say "   records validated: $(psql_b -c "SELECT sum(records) || ', errors ' || sum(errors) || ', warnings ' || sum(warnings) FROM sage.executions")"

fi

# ------------------------------------------------------------ 5. backlog
if section 5; then
# the launcher is parked in database postgres (no extension there), so
# nothing claims but this session; 2 slots for the sessions
start_cluster 2 postgres
psql_b -c "TRUNCATE sage.executions"
say ""
say "== 5. claim with a backlog of $BACKLOG pending executions (no workers)"
t0=$(date +%s.%N)
psql_b <<EOF
INSERT INTO sage.executions (config, submitted_at)
SELECT (SELECT cfg FROM bench_input), now() + i * interval '1 microsecond'
FROM generate_series(1, $BACKLOG) i;
VACUUM ANALYZE sage.executions;
EOF
t1=$(date +%s.%N)
say "   inserted and vacuumed in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f s", b - a }'); pending: $(psql_b -c "SELECT count(*) FROM sage.executions WHERE state = 'pending'")"
pgbench_b -c 1 -j 1 -T "$SECS" -l --log-prefix="$WORK/claimrb" -f "$WORK/claim_rollback.pgb" >/dev/null
say "   (a) BEGIN; claim; ROLLBACK (latency of the 3 round trips): $(cat "$WORK"/claimrb* | awk '{ print $3 / 1000 }' | percentiles)"
psql_b -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) SELECT p.id FROM sage.executions p WHERE p.state = 'pending' AND p.placement IN ('auto', 'local') AND p.run_after <= now() ORDER BY p.priority, p.submitted_at LIMIT 1 FOR UPDATE SKIP LOCKED" | grep -E 'Index|Execution' | sed 's/^/      /' | tee -a "$RESULTS"
PGOPTIONS="-c synchronous_commit=off" pgbench_b -c 2 -j 2 -T "$SECS" -l --log-prefix="$WORK/claimc" -f "$WORK/claim_commit.pgb" >"$WORK/claimc.out"
say "   (b) claim + complete, committed (synchronous_commit off, as workers do), 2 clients: $(tps <"$WORK/claimc.out") claims/s; per claim+complete: $(cat "$WORK"/claimc.[0-9]* | awk '{ print $3 / 1000 }' | percentiles)"
say "   pending left: $(psql_b -c "SELECT count(*) FROM sage.executions WHERE state = 'pending'")"
fi

echo
echo "==================== results"
cat "$RESULTS"
