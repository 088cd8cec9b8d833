#!/bin/bash
# bench/aws/run_aws_bench.sh
#	Benchmarks of the AWS layer (bench/aws/aws_bench.c), one client process
#	each, against local services:
#	  1. Lambda Event invokes/s through the multi interface against
#	     bench/aws/event_sink.py (answers 202, no SigV4 check), with the
#	     resident set size sampled every 10% of N invokes;
#	  2. the same against test/services/lambda_service.py --discard (SigV4
#	     verified with botocore per request: the service is the limit);
#	  3. DynamoDB lock acquire + release against DynamoDB Local: HTTP
#	     requests per call and calls/s.
#	usage: bench/aws/run_aws_bench.sh [N_EVENTS (100000)] [INFLIGHT (32)]
#	       [LOCK_ROUNDS (2000)]
#	Results also go to build/bench/aws_bench.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
TOP=$(pwd)
N=${1:-100000}
INFLIGHT=${2:-32}
ROUNDS=${3:-2000}
OUT=$TOP/build/bench
mkdir -p "$OUT"
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-AKIDSAGETEST}
export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-sage-test-secret}

gcc -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -Wmissing-prototypes \
	-Wdeclaration-after-statement -Wno-format-truncation -Wno-stringop-truncation \
	-Isrc/include -Isrc/aws -o "$OUT/aws_bench" bench/aws/aws_bench.c src/aws/*.c src/core/*.c \
	-lyaml -lpcre2-8 -lz -lexpat -lm -lcurl -lcrypto

{
	echo "# $(date -u '+%Y-%m-%d %H:%M UTC') $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
	echo "# libcurl $(curl-config --version 2>/dev/null || echo '?')"

	echo "## 1. Event invokes, multi, event_sink.py (N=$N, inflight=$INFLIGHT)"
	pf=$OUT/event_sink.port
	rm -f "$pf"
	python3 bench/aws/event_sink.py --port-file "$pf" > /dev/null 2> "$OUT/event_sink.log" &
	sink=$!
	trap 'kill $sink 2>/dev/null || true' EXIT
	for _ in $(seq 50); do [ -s "$pf" ] && break; sleep 0.1; done
	"$OUT/aws_bench" events "http://127.0.0.1:$(cat "$pf")" sage-bench "$N" "$INFLIGHT"
	kill $sink
	wait $sink 2>/dev/null || true
	trap - EXIT
	cat "$OUT/event_sink.log"

	echo "## 2. Event invokes, multi, lambda_service.py --discard (N=$((N / 5)), inflight=$INFLIGHT)"
	line=$(test/services/start_lambda.sh --discard --function sage-bench)
	eval "$line"
	trap 'test/services/stop_service.sh $LAMBDA_PID' EXIT
	"$OUT/aws_bench" events "http://127.0.0.1:$LAMBDA_PORT" sage-bench $((N / 5)) "$INFLIGHT" || true
	test/services/stop_service.sh "$LAMBDA_PID"
	trap - EXIT

	echo "## 3. DynamoDB lock acquire + release, DynamoDB Local (rounds=$ROUNDS)"
	test/services/with_dynamodb.sh sh -c "\"$OUT/aws_bench\" lock \"\$SAGE_TEST_DYNAMODB_ENDPOINT\" $ROUNDS"
} 2>&1 | tee "$OUT/aws_bench.txt"
