#!/bin/bash
# bench/pg/run_dispatch_bench.sh
#	Dispatch rate of the Lambda dispatcher (issue 5, "Speed"): executions
#	sent to the local Lambda service in --discard mode (Event invokes
#	accepted with 202 and dropped), so what is measured is the extension:
#	claim transactions, the S3 upload of each bytea input (moto), the
#	Event invoke over the libcurl multi handle, and the reconciler's
#	BatchGetItem passes over the dispatched executions (DynamoDB Local).
#
#	For each backlog size (default "100 10000"; BENCH_SIZES), N executions
#	of a 1 KB CSV are submitted in ONE transaction (sage_submit_batch),
#	so the dispatcher sees all N queued at once; rate = N / (time from
#	the end of that commit until the endpoint accepted the Nth invoke, as
#	timed by the endpoint itself): the submit is not counted. Also shown:
#	the rate from the first to the last invoke.
#
#	BENCH_TARGET=sink (default) sends the invokes to
#	bench/aws/event_sink.py (an asyncio server that answers 202 without
#	checking SigV4, with a stats endpoint giving the time of each
#	request); BENCH_TARGET=service sends them to
#	test/services/lambda_service.py --discard, which checks SigV4 in
#	Python and tops out near 1,000-2,000 requests/s itself. Local workers
#	are disabled (sage.max_local_executions = 0) and sage.offload =
#	always, sage.lambda_max_inflight = 20000 (nothing is ever finished).
#
#	Run as root after `make install` (test/pg_dev.sh installs under
#	/tmp/sage-pg.lock; the script takes that lock too); it wraps itself in
#	test/services/with_aws_services.sh (SAGE_LAMBDA_ARGS=--discard) and
#	creates and removes a temporary cluster owned by postgres.
#	Environment: BENCH_SIZES, BENCH_BYTEA_SIZES ("100 1000"), BENCH_LATENCY
#	("100 1000": completion latency runs, sink only; empty = none),
#	BENCH_TARGET (sink), BENCH_LOG (keep the server log), BENCH_PORT (55441).
set -uo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${SAGE_TEST_LAMBDA_ENDPOINT:-}" ]; then
	export SAGE_LAMBDA_ARGS="--discard --queue-max 100000"
	exec "$TOP/test/services/with_aws_services.sh" "$0" "$@"
fi

# the installed sage.so must not change under the benchmark
exec 9>/tmp/sage-pg.lock
flock 9
BIN=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
[ -x "$BIN/initdb" ] || BIN=/usr/lib/postgresql/15/bin
SIZES=${BENCH_SIZES:-100 10000}
PORT=${BENCH_PORT:-55441}
WORK=$(mktemp -d /tmp/sage_dispatchbench.XXXXXX)
DATA=$WORK/data

if [ "$(id -u)" = 0 ]; then
	chown postgres "$WORK"
	as_pg() { runuser -u postgres -- "$@"; }
else
	as_pg() { "$@"; }
fi
cleanup()
{
	[ -n "${SINK_PID:-}" ] && kill "$SINK_PID" 2>/dev/null
	as_pg "$BIN/pg_ctl" -D "$DATA" -m immediate stop >/dev/null 2>&1
	cd /
	rm -rf "$WORK"
}
trap cleanup EXIT
psql_b() { as_pg "$BIN/psql" -h "$WORK" -p "$PORT" -d postgres -X -q -At -v ON_ERROR_STOP=1 "$@"; }
TARGET=${BENCH_TARGET:-sink}
SINK_PID=
if [ "$TARGET" = sink ]; then
	# the sink: 202 for every POST, GET /_sage/stats?n=K gives the count
	# and the time (epoch seconds) of the Kth request
	python3 "$TOP/bench/aws/event_sink.py" --port-file "$WORK/sink.port" >/dev/null &
	SINK_PID=$!
	for _ in $(seq 100); do [ -s "$WORK/sink.port" ] && break; sleep 0.05; done
	ENDPOINT="http://127.0.0.1:$(cat "$WORK/sink.port")"
else
	ENDPOINT=$SAGE_TEST_LAMBDA_ENDPOINT
fi
# $1 = the field to print; $2 = request number for "at"
lambda_stat() {
	curl -s "$ENDPOINT/_sage/stats?n=${2:-0}" |
		python3 -c 'import json,sys; s=json.load(sys.stdin); print(s.get(sys.argv[1], 0))' "$1"
}

as_pg "$BIN/initdb" -D "$DATA" -A trust -N >/dev/null || exit 1
cat >> "$DATA/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$WORK'
port = $PORT
shared_preload_libraries = 'sage'
sage.database = 'postgres'
sage.max_local_executions = 0
max_worker_processes = 16
synchronous_commit = off
sage.offload = 'always'
sage.lambda_max_inflight = 10000
sage.lambda_function = 'sage-file-processor'
sage.lambda_endpoint = '$ENDPOINT'
sage.s3_endpoint = '$SAGE_TEST_MOTO_ENDPOINT'
sage.dynamodb_endpoint = '$SAGE_TEST_DYNAMODB_ENDPOINT'
sage.s3_bucket = '${SAGE_TEST_BUCKET:-sage-test}'
sage.s3_prefix = 'dispatch-bench/'
sage.aws_region = 'us-east-1'
EOF
as_pg "$BIN/pg_ctl" -D "$DATA" -l "$WORK/server.log" -w start >/dev/null || { cat "$WORK/server.log"; exit 1; }
psql_b -c 'CREATE EXTENSION sage' || exit 1

config='sage_yaml:
  name: "bench"
  description: "bench"
  version: "1"
  author: "QA"
catalogs:
  t:
    name: "T"
    description: "t"
    filename: "t.csv"
    file_format:
      type: "CSV"
      delimiter: ","
      header: true
    fields:
      - name: "a"
        type: "entero"
      - name: "b"
        type: "texto"
packages: {}'


# one shared input object for the "s3" runs
python3 -c '
import os, boto3
body = "a,b\n" + "".join("%d,%s\n" % (i, "x" * 60) for i in range(16))
boto3.client("s3", endpoint_url=os.environ["SAGE_TEST_MOTO_ENDPOINT"]).put_object(
    Bucket=os.environ.get("SAGE_TEST_BUCKET", "sage-test"),
    Key="dispatch-bench/shared/t.csv", Body=body.encode())' || exit 1

# one backlog: $1 executions; $2 = s3 (inputs already in S3: rows of
# storage s3 naming the shared object) or bytea (uploaded by the dispatcher)
run_one()
{
	local n=$1 mode=$2 base start end first got now move=''
	psql_b -c "TRUNCATE sage.executions" || exit 1
	if [ "$mode" = s3 ]; then
		move="UPDATE sage.execution_files SET storage = 's3', content = NULL,
			uri = 's3://${SAGE_TEST_BUCKET:-sage-test}/dispatch-bench/shared/t.csv' WHERE role = 'in';"
	fi
	base=$(lambda_stat accepted)
	psql_b -v config="$config" -f - >/dev/null <<EOF || exit 1
BEGIN;
SELECT count(*) FROM sage_submit_batch(:'config',
	(SELECT array_agg(f) FROM (SELECT convert_to('a,b' || E'\n'
		|| string_agg(i::text || ',' || repeat('x', 60), E'\n') || E'\n', 'UTF8') AS f
	 FROM generate_series(1, $n) g, LATERAL generate_series(1, 16) i GROUP BY g) s),
	(SELECT array_agg('t.csv'::text) FROM generate_series(1, $n)));
$move
COMMIT;
EOF
	start=$(date +%s.%N)
	while :; do
		got=$(( $(lambda_stat accepted) - base ))
		[ "$got" -ge "$n" ] && break
		now=$(date +%s.%N)
		if [ "$(echo "$now - $start > 300" | bc)" = 1 ]; then
			echo "  $n queued ($mode): only $got invokes after 300 s"
			tail -20 "$WORK/server.log"
			exit 1
		fi
		sleep 0.05
	done
	if [ "$TARGET" = sink ]; then
		end=$(lambda_stat at $((base + n)))
		first=$(lambda_stat at $((base + 1)))
	else
		end=$(date +%s.%N)
		first=$start
	fi
	printf '  inputs %-5s %6d queued: %6d invokes in %6.3f s after the commit = %7.0f invokes/s (first to last invoke: %7.0f/s)\n' \
		"$mode" "$n" "$n" "$(echo "$end - $start" | bc)" "$(echo "$n / ($end - $start)" | bc -l)" \
		"$(echo "($n - 1) / ($end - $first + 0.000001)" | bc -l)"
}

echo "dispatch rate against $([ "$TARGET" = sink ] && echo "the event sink" || echo "lambda_service.py --discard"), 1 KB CSV inputs"
for n in $SIZES; do
	run_one "$n" s3
done
for n in ${BENCH_BYTEA_SIZES:-100 1000}; do
	run_one "$n" bytea
done
# Completion latency: the last backlog of the s3 runs is dispatched and
# nothing ran it; for each execution put its outputs in S3 first, as the
# bootstrap does (BENCH_OUTPUT_FILES files of ~2 KB, default 5, the
# processor's usual set), then write the status record the bootstrap
# writes last, listing them (BatchWriteItem of 25, as fast as DynamoDB
# Local takes them), note when each write returned, and wait until every
# execution is finished in sage.executions. latency = finished_at (the
# reconciler's commit transaction, after it copied the outputs with
# sage.copy_outputs) - the write's return.
run_latency()
{
	local n=$1
	psql_b -c "SELECT id || ' ' || attempt FROM sage.executions WHERE state = 'dispatched'
		ORDER BY submitted_at LIMIT $n" > "$WORK/lat_ids" || exit 1
	python3 - "$WORK/lat_ids" "$WORK/lat_writes" <<'PY' || exit 1
import json, os, sys, time, boto3
from concurrent.futures import ThreadPoolExecutor
ddb = boto3.client('dynamodb', endpoint_url=os.environ['SAGE_TEST_DYNAMODB_ENDPOINT'])
s3 = boto3.client('s3', endpoint_url=os.environ['SAGE_TEST_MOTO_ENDPOINT'])
table = os.environ.get('SAGE_TEST_LOCK_TABLE', 'sage_execution_locks')
bucket = os.environ.get('SAGE_TEST_BUCKET', 'sage-test')
names = ['failures.csv', 'output.log', 'report.json', 'report.html', 'results.txt',
         'error.log'][:int(os.environ.get('BENCH_OUTPUT_FILES', '5'))]
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
body = b'x' * 2048
with ThreadPoolExecutor(16) as pool:
    list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=body),
                  ['dispatch-bench/%s/attempt-%s/%s' % (e, a, n) for e, a in rows for n in names]))
listed = json.dumps([{'name': n, 'size': len(body)} for n in names])
out = open(sys.argv[2], 'w')
for i in range(0, len(rows), 25):
    chunk = rows[i:i + 25]
    ddb.batch_write_item(RequestItems={table: [{'PutRequest': {'Item': {
        'execution_id': {'S': 'status#' + e}, 'attempt': {'N': a},
        'status': {'S': 'succeeded'}, 'total_records': {'N': '16'},
        'errors': {'N': '0'}, 'warnings': {'N': '0'}, 'rows_with_errors': {'N': '0'},
        'success_rate': {'N': '100.00'}, 'report_status': {'S': 'Éxito'},
        'output_prefix': {'S': 'dispatch-bench/%s/attempt-%s/' % (e, a)},
        'outputs': {'S': listed},
        'request_id': {'S': 'bench'}}}} for e, a in chunk]})
    t = time.time()
    for e, a in chunk:
        out.write('%s %.6f\n' % (e, t))
out.close()
PY
	for _ in $(seq 600); do
		[ "$(psql_b -c "SELECT count(*) FROM sage.executions WHERE state = 'dispatched'")" = 0 ] && break
		sleep 0.1
	done
	psql_b -c "SELECT id || ' ' || extract(epoch FROM finished_at) FROM sage.executions
		WHERE state <> 'dispatched'" > "$WORK/lat_done" || exit 1
	python3 - "$WORK/lat_writes" "$WORK/lat_done" "$n" <<'PY'
import sys
w = dict(l.split() for l in open(sys.argv[1]) if l.strip())
d = dict(l.split() for l in open(sys.argv[2]) if l.strip())
lat = sorted(float(d[k]) - float(v) for k, v in w.items() if k in d)
missing = len(w) - len(lat)
if not lat:
    print('  completion latency: no execution finished')
    sys.exit(1)
pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
print('  completion latency, %s status records written in %.2f s: p50 %.3f s, p95 %.3f s, max %.3f s%s' % (
    sys.argv[3], max(float(v) for v in w.values()) - min(float(v) for v in w.values()),
    pct(0.5), pct(0.95), lat[-1], ', %d never finished' % missing if missing else ''))
PY
}

if [ "$TARGET" = sink ]; then
	for n in ${BENCH_LATENCY-100 1000}; do
		run_one "$n" s3 >/dev/null
		run_latency "$n"
	done
fi
grep -E "ERROR|WARNING|unavailable" "$WORK/server.log" | head -5
# BENCH_LOG=FILE keeps the server log
[ -n "${BENCH_LOG:-}" ] && cp "$WORK/server.log" "$BENCH_LOG"
exit 0
