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
#	that commit until the service has accepted N invokes). Local workers
#	are disabled (sage.max_local_executions = 0) and sage.offload =
#	always, sage.lambda_max_inflight = 20000 (nothing is ever finished).
#
#	Run as root after `make install` (test/pg_dev.sh installs under
#	/tmp/sage-pg.lock; the script takes that lock too); it wraps itself in
#	test/services/with_aws_services.sh (SAGE_LAMBDA_ARGS=--discard) and
#	creates and removes a temporary cluster owned by postgres.
#	Environment: BENCH_SIZES, BENCH_PORT (55441).
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
	as_pg "$BIN/pg_ctl" -D "$DATA" -m immediate stop >/dev/null 2>&1
	cd /
	rm -rf "$WORK"
}
trap cleanup EXIT
psql_b() { as_pg "$BIN/psql" -h "$WORK" -p "$PORT" -d postgres -X -q -At -v ON_ERROR_STOP=1 "$@"; }
lambda_stat() {
	curl -s "$SAGE_TEST_LAMBDA_ENDPOINT/_sage/stats" |
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
sage.lambda_endpoint = '$SAGE_TEST_LAMBDA_ENDPOINT'
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
	local n=$1 mode=$2 base start end got now move=''
	psql_b -c "TRUNCATE sage.executions" || exit 1
	if [ "$mode" = s3 ]; then
		move="UPDATE sage.execution_files SET storage = 's3', content = NULL,
			uri = 's3://${SAGE_TEST_BUCKET:-sage-test}/dispatch-bench/shared/t.csv' WHERE role = 'in';"
	fi
	base=$(lambda_stat accepted)
	start=$(date +%s.%N)
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
	while :; do
		got=$(( $(lambda_stat accepted) - base ))
		[ "$got" -ge "$n" ] && break
		now=$(date +%s.%N)
		if [ "$(echo "$now - $start > 300" | bc)" = 1 ]; then
			echo "  $n queued ($mode): only $got invokes after 300 s"
			tail -20 "$WORK/server.log"
			exit 1
		fi
		sleep 0.02
	done
	end=$(date +%s.%N)
	printf '  inputs %-5s %6d queued: %6d invokes in %6.2f s = %7.0f invokes/s\n' "$mode" "$n" "$n" \
		"$(echo "$end - $start" | bc)" "$(echo "$n / ($end - $start)" | bc -l)"
}

echo "dispatch rate against the local Lambda service (--discard), 1 KB CSV inputs"
for n in $SIZES; do
	run_one "$n" s3
done
for n in ${BENCH_BYTEA_SIZES:-100 1000}; do
	run_one "$n" bytea
done
grep -E "ERROR|WARNING|unavailable" "$WORK/server.log" | head -5
