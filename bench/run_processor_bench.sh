#!/bin/bash
# bench/run_processor_bench.sh
#	The processor benchmark of issue 2 (method and results in
#	docs/PERFORMANCE.md). Everything runs in one go on this machine, each
#	program pinned to one core with taskset; wall time from the clock around
#	the process, peak RSS from /usr/bin/time:
#
#	1. reference workload (1 M rows x 15 columns, ~2% defective rows): the
#	   pandas + eval baseline and sage-validate; both error counts must equal
#	   the generator's own count; rows/s, speed-up and peak RSS;
#	2. a file where every row fails (1 M rows): rows/s, same count check;
#	3. a 10 M-row file generated as a stream, validated, then deleted: time
#	   and peak RSS, with and without the unique key (memory must not grow
#	   with the file, only with the unique keys);
#	4. start-up and load of a 100-rule configuration (hyperfine, else a loop).
#
#	Usage: bench/run_processor_bench.sh [SAGE_VALIDATE]
#	Environment: BENCH_DIR (work dir, default build/bench), BENCH_CPU (core,
#	default 1), BENCH_REPEAT (sage runs per workload, median taken, default
#	3), BENCH_BASE_REPEAT (baseline runs, default 1), BENCH_ROWS (1000000),
#	BENCH_BIG_ROWS (10000000; 0 skips step 3).
#	A results table is printed and written to BENCH_DIR/results.md. Exits
#	non-zero when an error count disagrees or sage-validate fails. When
#	sage-validate is missing or cannot process, the baseline is still
#	measured and sage is reported "not measured".
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
SAGE=${1:-${SAGE:-$TOP/sage-validate}}
WORK=${BENCH_DIR:-$TOP/build/bench}
CPU=${BENCH_CPU:-1}
REPEAT=${BENCH_REPEAT:-3}
BASE_REPEAT=${BENCH_BASE_REPEAT:-1}
ROWS=${BENCH_ROWS:-1000000}
BIG_ROWS=${BENCH_BIG_ROWS:-10000000}
PY=/usr/bin/python3
GEN="$PY $TOP/bench/gen_reference.py"
mkdir -p "$WORK"
RESULTS=$WORK/results.md
: >"$RESULTS"
status=0

# note TEXT: prints a line and keeps it in the results file.
note() {
	echo "$*"
	echo "$*" >>"$RESULTS"
}

# json FILE EXPR: evaluates a Python expression over the JSON in FILE (d).
json() {
	$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# run_timed OUTPREFIX CMD...: runs CMD pinned to the core; writes the wall
# seconds to OUTPREFIX.wall, the peak RSS in kB to OUTPREFIX.rss, and the
# output to OUTPREFIX.out/.err. Returns CMD's exit status.
run_timed() {
	local pre=$1
	shift
	local t0 t1 rc
	t0=$(date +%s%N)
	/usr/bin/time -f "%M" -o "$pre.rss" taskset -c "$CPU" "$@" >"$pre.out" 2>"$pre.err"
	rc=$?
	t1=$(date +%s%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", (b - a) / 1e9 }' >"$pre.wall"
	# /usr/bin/time writes "Command exited with non-zero status N" first.
	tail -n 1 "$pre.rss" >"$pre.rss.tmp" && mv "$pre.rss.tmp" "$pre.rss"
	return $rc
}

# median FILES...: median of the numbers in the files.
median() {
	cat "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'
}

# maxof FILES...: largest number in the files.
maxof() {
	cat "$@" | sort -g | tail -n 1
}

# sage_runs NAME CONFIG DATA: runs sage-validate REPEAT times; sets
# SAGE_WALL (median s), SAGE_RSS (max kB), SAGE_ERRORS; returns 1 when a
# run fails (exit status other than 0 or 1, or no report.json).
sage_runs() {
	local name=$1 cfg=$2 data=$3 i rc
	SAGE_WALL="" SAGE_RSS="" SAGE_ERRORS=""
	for i in $(seq 1 "$REPEAT"); do
		rm -rf "$WORK/out.$name"
		run_timed "$WORK/sage.$name.$i" "$SAGE" "$cfg" "$data" --out "$WORK/out.$name"
		rc=$?
		if [ $rc -gt 1 ] || [ ! -f "$WORK/out.$name/report.json" ]; then
			echo "sage-validate failed on $name (exit $rc):"
			head -n 20 "$WORK/sage.$name.$i.err" "$WORK/sage.$name.$i.out"
			return 1
		fi
		SAGE_ERRORS=$(json "$WORK/out.$name/report.json" 'd["summary"]["errors"]')
	done
	SAGE_WALL=$(calc "round($(median "$WORK"/sage."$name".*.wall), 3)")
	SAGE_RSS=$(maxof "$WORK"/sage."$name".*.rss)
	rm -f "$WORK"/sage."$name".*.wall "$WORK"/sage."$name".*.rss
	return 0
}

# baseline_runs NAME CONFIG DATA: sets BASE_WALL (median), BASE_RSS (max kB),
# BASE_ERRORS and BASE_LINE (its summary line).
baseline_runs() {
	local name=$1 cfg=$2 data=$3 i
	for i in $(seq 1 "$BASE_REPEAT"); do
		if ! run_timed "$WORK/base.$name.$i" $PY "$TOP/bench/baseline_pandas.py" "$cfg" "$data"; then
			echo "the baseline failed on $name:"
			tail -n 20 "$WORK/base.$name.$i.err"
			return 1
		fi
		tail -n 1 "$WORK/base.$name.$i.out" >"$WORK/base.$name.json"
		BASE_LINE=$(head -n 1 "$WORK/base.$name.$i.out")
	done
	BASE_ERRORS=$(json "$WORK/base.$name.json" 'd["errors"]')
	BASE_WALL=$(calc "round($(median "$WORK"/base."$name".*.wall), 2)")
	BASE_RSS=$(maxof "$WORK"/base."$name".*.rss)
	rm -f "$WORK"/base."$name".*.wall "$WORK"/base."$name".*.rss
}

# calc EXPR: prints a Python expression's value (arithmetic, verdicts).
calc() {
	$PY -c "print($1)"
}

sage_ok=1
if [ ! -x "$SAGE" ]; then
	sage_ok=0
	echo "sage-validate not found at $SAGE: only the baseline is measured"
fi

note "# sage processor benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
note ""
note "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores online; pinned to core $CPU"
note "- memory: $(free -h | awk '/^Mem:/ {print $2}') total; $(uname -sr); $(. /etc/os-release && echo "$PRETTY_NAME")"
note "- baseline: $($PY -c 'import sys,pandas,numpy; print("Python %s, pandas %s, numpy %s" % (sys.version.split()[0], pandas.__version__, numpy.__version__))')"
if [ $sage_ok = 1 ]; then
	note "- sage-validate: $SAGE ($(cd "$TOP" && git rev-parse --short HEAD 2>/dev/null || echo "no git") + working tree)"
fi
note ""

# ------------------------------------------------------------ 1. reference
echo "== generating the reference workload ($ROWS rows)"
$GEN config "$WORK/reference.yaml"
$GEN data "$WORK/reference.csv" --rows "$ROWS" >"$WORK/gen.reference.json"
REF_EXPECTED=$(json "$WORK/gen.reference.json" 'd["expected_errors"]')
REF_MB=$(json "$WORK/gen.reference.json" 'round(d["bytes"] / 1e6, 1)')
echo "   $REF_MB MB, $(json "$WORK/gen.reference.json" 'd["defective_rows"]') defective rows, $REF_EXPECTED error findings expected"

echo "== baseline (pandas + eval), $BASE_REPEAT run(s)"
if ! baseline_runs reference "$WORK/reference.yaml" "$WORK/reference.csv"; then
	exit 1
fi
echo "   $BASE_LINE"
echo "   wall $BASE_WALL s, peak RSS $((BASE_RSS / 1024)) MB"
if [ "$BASE_ERRORS" != "$REF_EXPECTED" ]; then
	echo "   MISMATCH: baseline counts $BASE_ERRORS errors, the generator injected $REF_EXPECTED"
	status=1
fi

REF_SAGE="not measured yet"
if [ $sage_ok = 1 ]; then
	echo "== sage-validate, $REPEAT runs"
	if sage_runs reference "$WORK/reference.yaml" "$WORK/reference.csv"; then
		echo "   wall $SAGE_WALL s (median), peak RSS $((SAGE_RSS / 1024)) MB, $SAGE_ERRORS errors"
		if [ "$SAGE_ERRORS" != "$REF_EXPECTED" ]; then
			echo "   MISMATCH: sage counts $SAGE_ERRORS errors, expected $REF_EXPECTED"
			status=1
		fi
		REF_SAGE_WALL=$SAGE_WALL
		REF_SAGE_RSS=$SAGE_RSS
		REF_SAGE_ERRORS=$SAGE_ERRORS
	else
		sage_ok=0
		status=1
	fi
fi

# ------------------------------------------------------------- 2. all fail
if [ $sage_ok = 1 ]; then
	echo "== every row failing ($ROWS rows)"
	$GEN data "$WORK/allfail.csv" --rows "$ROWS" --all-fail >"$WORK/gen.allfail.json"
	AF_EXPECTED=$(json "$WORK/gen.allfail.json" 'd["expected_errors"]')
	cp "$WORK/reference.yaml" "$WORK/allfail.yaml"
	if sage_runs allfail "$WORK/allfail.yaml" "$WORK/allfail.csv"; then
		AF_WALL=$SAGE_WALL AF_RSS=$SAGE_RSS AF_ERRORS=$SAGE_ERRORS
		echo "   wall $AF_WALL s, peak RSS $((AF_RSS / 1024)) MB, $AF_ERRORS errors (expected $AF_EXPECTED)"
		if [ "$AF_ERRORS" != "$AF_EXPECTED" ]; then
			echo "   MISMATCH"
			status=1
		fi
	else
		AF_WALL=""
		status=1
	fi
	rm -f "$WORK/allfail.csv"
	rm -rf "$WORK/out.allfail"
fi

# ----------------------------------------------------------- 3. 10 M rows
if [ $sage_ok = 1 ] && [ "$BIG_ROWS" -gt 0 ]; then
	echo "== $BIG_ROWS rows, generated as a stream"
	$GEN data "$WORK/big.csv" --rows "$BIG_ROWS" >"$WORK/gen.big.json"
	BIG_EXPECTED=$(json "$WORK/gen.big.json" 'd["expected_errors"]')
	BIG_MB=$(json "$WORK/gen.big.json" 'round(d["bytes"] / 1e6)')
	# The same checks without the unique key: nothing then grows with rows.
	sed 's/unique: true/unique: false/' "$WORK/reference.yaml" >"$WORK/nounique.yaml"
	save_repeat=$REPEAT
	REPEAT=1
	if sage_runs big "$WORK/reference.yaml" "$WORK/big.csv"; then
		BIG_WALL=$SAGE_WALL BIG_RSS=$SAGE_RSS BIG_ERRORS=$SAGE_ERRORS
		echo "   wall $BIG_WALL s, peak RSS $((BIG_RSS / 1024)) MB, $BIG_ERRORS errors (expected $BIG_EXPECTED)"
		[ "$BIG_ERRORS" = "$BIG_EXPECTED" ] || { echo "   MISMATCH"; status=1; }
	else
		BIG_WALL=""
		status=1
	fi
	if sage_runs bignu "$WORK/nounique.yaml" "$WORK/big.csv"; then
		BIGNU_WALL=$SAGE_WALL BIGNU_RSS=$SAGE_RSS
		echo "   without unique: wall $BIGNU_WALL s, peak RSS $((BIGNU_RSS / 1024)) MB"
	else
		BIGNU_WALL=""
		status=1
	fi
	REPEAT=$save_repeat
	if sage_runs refnu "$WORK/nounique.yaml" "$WORK/reference.csv"; then
		REFNU_WALL=$SAGE_WALL REFNU_RSS=$SAGE_RSS
		echo "   $ROWS rows without unique: wall $REFNU_WALL s, peak RSS $((REFNU_RSS / 1024)) MB"
	else
		REFNU_WALL=""
		status=1
	fi
	rm -f "$WORK/big.csv"
	rm -rf "$WORK/out.big" "$WORK/out.bignu"
fi

# ----------------------------------------------------- 4. start-up, 100 rules
if [ $sage_ok = 1 ]; then
	echo "== start-up and load of a 100-rule configuration"
	$GEN rules100 "$WORK/rules100.yaml" "$WORK/rules100.csv"
	rm -rf "$WORK/out.rules100"
	"$SAGE" "$WORK/rules100.yaml" "$WORK/rules100.csv" --out "$WORK/out.rules100" >"$WORK/rules100.out" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "   the 100-rule run exits $rc (expected 0: every rule holds):"
		head -n 20 "$WORK/rules100.out"
		status=1
	fi
	if command -v hyperfine >/dev/null; then
		START_TOOL="hyperfine $(hyperfine --version | cut -d' ' -f2)"
		taskset -c "$CPU" hyperfine -N --warmup 10 --runs 200 --style basic \
			--export-json "$WORK/hyperfine.json" \
			"$SAGE $WORK/rules100.yaml $WORK/rules100.csv --out $WORK/out.rules100" \
			>"$WORK/hyperfine.out" 2>&1 || true
		START_MS=$(json "$WORK/hyperfine.json" 'round(d["results"][0]["mean"] * 1000, 2)')
		START_SD=$(json "$WORK/hyperfine.json" 'round(d["results"][0]["stddev"] * 1000, 2)')
	else
		START_TOOL="a loop of 200 runs"
		t0=$(date +%s%N)
		for i in $(seq 1 200); do
			taskset -c "$CPU" "$SAGE" "$WORK/rules100.yaml" "$WORK/rules100.csv" \
				--out "$WORK/out.rules100" >/dev/null 2>&1
		done
		t1=$(date +%s%N)
		START_MS=$(calc "round(($t1 - $t0) / 200 / 1e6, 2)")
		START_SD="n/a"
	fi
	echo "   $START_MS ms per run (sd $START_SD ms, $START_TOOL)"
fi

# ------------------------------------------------------------------ table
mb() {
	calc "round($1 / 1024, 1)"
}
note "| measurement | target | pandas + eval baseline | sage-validate | result |"
note "|---|---|---|---|---|"
BASE_RPS=$(calc "round($ROWS / $BASE_WALL)")
if [ -n "${REF_SAGE_WALL:-}" ]; then
	SAGE_RPS=$(calc "round($ROWS / $REF_SAGE_WALL)")
	SPEEDUP=$(calc "round($BASE_WALL / $REF_SAGE_WALL, 1)")
	RSS_LIMIT_MB=$(calc "round(64 + 32 * $ROWS / 1048576, 1)")
	ok1=$(calc "'met' if $SPEEDUP >= 15 and $SAGE_RPS >= 2500000 else 'NOT met'")
	ok2=$(calc "'met' if $REF_SAGE_RSS / 1024 <= $RSS_LIMIT_MB else 'NOT met'")
	note "| reference, $ROWS rows ($REF_MB MB): wall time | ≥ 15× baseline and ≥ 2.5 M rows/s | $BASE_WALL s ($BASE_RPS rows/s) | $REF_SAGE_WALL s ($SAGE_RPS rows/s) | ${SPEEDUP}× — $ok1 |"
	note "| reference: peak RSS | ≤ 64 MB + 32 B × $ROWS unique keys = $RSS_LIMIT_MB MB | $(mb "$BASE_RSS") MB | $(mb "$REF_SAGE_RSS") MB | $ok2 |"
	note "| reference: error findings (generator: $REF_EXPECTED) | equal | $BASE_ERRORS | $REF_SAGE_ERRORS | $([ "$BASE_ERRORS" = "$REF_SAGE_ERRORS" ] && [ "$BASE_ERRORS" = "$REF_EXPECTED" ] && echo equal || echo DIFFERENT) |"
else
	note "| reference, $ROWS rows ($REF_MB MB): wall time | ≥ 15× baseline and ≥ 2.5 M rows/s | $BASE_WALL s ($BASE_RPS rows/s) | not measured yet | — |"
	note "| reference: peak RSS | ≤ 64 MB + 32 B per unique key | $(mb "$BASE_RSS") MB | not measured yet | — |"
	note "| reference: error findings (generator: $REF_EXPECTED) | equal | $BASE_ERRORS | not measured yet | — |"
fi
if [ -n "${AF_WALL:-}" ]; then
	AF_RPS=$(calc "round($ROWS / $AF_WALL)")
	note "| every row fails, $ROWS rows ($AF_EXPECTED findings) | ≥ 1 M rows/s | — | $AF_WALL s ($AF_RPS rows/s), $(mb "$AF_RSS") MB, $AF_ERRORS errors | $(calc "'met' if $AF_RPS >= 1000000 else 'NOT met'") |"
else
	note "| every row fails, $ROWS rows | ≥ 1 M rows/s | — | not measured yet | — |"
fi
if [ -n "${BIG_WALL:-}" ]; then
	BIG_LIMIT=$(calc "round(64 + 32 * $BIG_ROWS / 1048576, 1)")
	note "| $BIG_ROWS rows ($BIG_MB MB), unique key on | bounded: ≤ 64 MB + 32 B × $BIG_ROWS keys = $BIG_LIMIT MB | — | $BIG_WALL s ($(calc "round($BIG_ROWS / $BIG_WALL)") rows/s), $(mb "$BIG_RSS") MB, $BIG_ERRORS errors | $(calc "'met' if $BIG_RSS / 1024 <= $BIG_LIMIT else 'NOT met'") |"
	if [ -n "${BIGNU_WALL:-}" ] && [ -n "${REFNU_WALL:-}" ]; then
		note "| same checks without unique: $ROWS vs $BIG_ROWS rows | RSS independent of rows | — | $(mb "$REFNU_RSS") MB vs $(mb "$BIGNU_RSS") MB ($BIGNU_WALL s) | $(calc "'met' if $BIGNU_RSS <= 1.1 * $REFNU_RSS + 4096 else 'NOT met'") |"
	fi
else
	note "| $BIG_ROWS rows, streaming | bounded memory | — | not measured yet | — |"
fi
if [ -n "${START_MS:-}" ]; then
	note "| start + load of a 100-rule configuration (3-row file, all outputs written) | < 10 ms | — | $START_MS ms ± $START_SD ($START_TOOL) | $(calc "'met' if $START_MS < 10 else 'NOT met'") |"
else
	note "| start + load of a 100-rule configuration | < 10 ms | — | not measured yet | — |"
fi
note ""
note "Baseline phases: $BASE_LINE"
echo
echo "results written to $RESULTS"
exit $status
