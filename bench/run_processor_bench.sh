#!/bin/bash
# bench/run_processor_bench.sh
#	The processor benchmark of issue 2 (method and results in
#	docs/PERFORMANCE.md). Everything runs in one go on this machine, each
#	program pinned to one core with taskset. For every run: wall time (clock
#	around the process), CPU time (user + system) and peak RSS (both from
#	/usr/bin/time), and the load average, since the machine may be shared:
#
#	1. reference workload (1 M rows x 15 columns, ~2% defective rows): the
#	   pandas + eval baseline and sage-validate; both error counts must equal
#	   the generator's own count; rows/s, speed-up and peak RSS;
#	2. a file where every row fails (1 M rows): rows/s and the same count
#	   check;
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
#	The results table is printed and written to BENCH_DIR/results.md. Exits
#	non-zero when an error count disagrees or sage-validate fails. When
#	sage-validate is missing or cannot process, the baseline is still
#	measured and sage is reported "not measured yet".
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
MEASURE=$WORK/measure.tsv
: >"$MEASURE"
status=0

# json FILE EXPR: evaluates a Python expression over the JSON in FILE (d).
json() {
	$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# run_timed PREFIX CMD...: runs CMD pinned to the core, output in
# PREFIX.out/.err; appends "wall cpu rss_kb load1" to PREFIX.t. Returns CMD's
# exit status.
run_timed() {
	local pre=$1
	shift
	local t0 t1 rc load
	load=$(cut -d' ' -f1 /proc/loadavg)
	t0=$(date +%s%N)
	/usr/bin/time -f "%U %S %M" -o "$pre.time" taskset -c "$CPU" "$@" >"$pre.out" 2>"$pre.err"
	rc=$?
	t1=$(date +%s%N)
	# /usr/bin/time writes "Command exited with non-zero status N" first.
	tail -n 1 "$pre.time" | awk -v a="$t0" -v b="$t1" -v l="$load" \
		'{ printf "%.4f %.3f %d %s\n", (b - a) / 1e9, $1 + $2, $3, l }' >>"$pre.t"
	return $rc
}

# record NAME KIND PREFIX ERRORS: one line of measure.tsv with the median
# wall and CPU time, the largest RSS and the highest load of PREFIX.t.
record() {
	$PY - "$1" "$2" "$3.t" "$4" >>"$MEASURE" <<'EOF'
import statistics, sys
name, kind, path, errors = sys.argv[1:]
rows = [l.split() for l in open(path) if l.strip()]
wall = statistics.median(float(r[0]) for r in rows)
cpu = statistics.median(float(r[1]) for r in rows)
rss = max(int(r[2]) for r in rows)
load = max(float(r[3]) for r in rows)
print("\t".join([name, kind, "%.4f" % wall, "%.3f" % cpu, str(rss), "%.2f" % load,
                 errors, str(len(rows))]))
EOF
}

# sage_runs NAME CONFIG DATA [N]: runs sage-validate N (REPEAT) times and
# records them; SAGE_ERRORS is the errors of report.json. Returns 1 when a
# run fails (exit status other than 0 or 1, or no report.json).
sage_runs() {
	local name=$1 cfg=$2 data=$3 n=${4:-$REPEAT} i rc
	rm -f "$WORK/sage.$name.t"
	SAGE_ERRORS=""
	for i in $(seq 1 "$n"); do
		rm -rf "$WORK/out.$name"
		run_timed "$WORK/sage.$name" "$SAGE" "$cfg" "$data" --out "$WORK/out.$name"
		rc=$?
		if [ $rc -gt 1 ] || [ ! -f "$WORK/out.$name/report.json" ]; then
			echo "   sage-validate failed on $name (exit $rc):"
			head -n 20 "$WORK/sage.$name.err" "$WORK/sage.$name.out"
			return 1
		fi
		SAGE_ERRORS=$(json "$WORK/out.$name/report.json" 'd["summary"]["errors"]')
	done
	record "$name" sage "$WORK/sage.$name" "$SAGE_ERRORS"
	tail -n 1 "$MEASURE" | awk -F'\t' '{ printf "   wall %s s, cpu %s s, peak RSS %.1f MB, load %s, %s errors\n", $3, $4, $5 / 1024, $6, $7 }'
}

# baseline_runs NAME CONFIG DATA: the pandas baseline, BASE_REPEAT times.
baseline_runs() {
	local name=$1 cfg=$2 data=$3 i
	rm -f "$WORK/base.$name.t"
	for i in $(seq 1 "$BASE_REPEAT"); do
		if ! run_timed "$WORK/base.$name" $PY "$TOP/bench/baseline_pandas.py" "$cfg" "$data"; then
			echo "   the baseline failed on $name:"
			tail -n 20 "$WORK/base.$name.err"
			return 1
		fi
	done
	head -n 1 "$WORK/base.$name.out"
	tail -n 1 "$WORK/base.$name.out" >"$WORK/base.$name.json"
	BASE_ERRORS=$(json "$WORK/base.$name.json" 'd["errors"]')
	record "$name" baseline "$WORK/base.$name" "$BASE_ERRORS"
	tail -n 1 "$MEASURE" | awk -F'\t' '{ printf "   wall %s s, cpu %s s, peak RSS %.1f MB, load %s\n", $3, $4, $5 / 1024, $6 }'
}

# expect WHAT GOT WANT: a count check; a difference fails the benchmark.
expect() {
	if [ "$2" != "$3" ]; then
		echo "   MISMATCH: $1 counts $2 errors, the generator injected $3"
		status=1
	fi
}

sage_ok=1
if [ ! -x "$SAGE" ]; then
	sage_ok=0
	echo "sage-validate not found at $SAGE: only the baseline is measured"
fi

# ------------------------------------------------------------ 1. reference
echo "== generating the reference workload ($ROWS rows)"
$GEN config "$WORK/reference.yaml"
$GEN data "$WORK/reference.csv" --rows "$ROWS" >"$WORK/gen.reference.json"
REF_EXPECTED=$(json "$WORK/gen.reference.json" 'd["expected_errors"]')
echo "   $(json "$WORK/gen.reference.json" 'round(d["bytes"] / 1e6, 1)') MB," \
	"$(json "$WORK/gen.reference.json" 'd["defective_rows"]') defective rows," \
	"$REF_EXPECTED error findings expected"

echo "== baseline (pandas + eval), $BASE_REPEAT run(s)"
baseline_runs reference "$WORK/reference.yaml" "$WORK/reference.csv" || exit 1
expect baseline "$BASE_ERRORS" "$REF_EXPECTED"

if [ $sage_ok = 1 ]; then
	echo "== sage-validate, $REPEAT runs"
	if sage_runs reference "$WORK/reference.yaml" "$WORK/reference.csv"; then
		expect sage "$SAGE_ERRORS" "$REF_EXPECTED"
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
	if sage_runs allfail "$WORK/reference.yaml" "$WORK/allfail.csv"; then
		expect sage "$SAGE_ERRORS" "$AF_EXPECTED"
	else
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
	# The same checks without the unique key: then nothing grows with rows.
	sed 's/unique: true/unique: false/' "$WORK/reference.yaml" >"$WORK/nounique.yaml"
	if sage_runs big "$WORK/reference.yaml" "$WORK/big.csv" 1; then
		expect sage "$SAGE_ERRORS" "$BIG_EXPECTED"
	else
		status=1
	fi
	echo "   without the unique key:"
	sage_runs bignu "$WORK/nounique.yaml" "$WORK/big.csv" 1 || status=1
	rm -f "$WORK/big.csv"
	rm -rf "$WORK/out.big" "$WORK/out.bignu"
	echo "   $ROWS rows without the unique key:"
	sage_runs refnu "$WORK/nounique.yaml" "$WORK/reference.csv" 1 || status=1
fi

# ----------------------------------------------------- 4. start-up, 100 rules
if [ $sage_ok = 1 ]; then
	echo "== start-up and load of a 100-rule configuration"
	$GEN rules100 "$WORK/rules100.yaml" "$WORK/rules100.csv"
	rm -rf "$WORK/out.rules100"
	"$SAGE" "$WORK/rules100.yaml" "$WORK/rules100.csv" --out "$WORK/out.rules100" \
		>"$WORK/rules100.out" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "   the 100-rule run exits $rc (expected 0: every rule holds):"
		head -n 20 "$WORK/rules100.out"
		status=1
	elif command -v hyperfine >/dev/null; then
		taskset -c "$CPU" hyperfine -N --warmup 10 --runs 200 --style basic \
			--export-json "$WORK/hyperfine.json" \
			"$SAGE $WORK/rules100.yaml $WORK/rules100.csv --out $WORK/out.rules100" \
			>"$WORK/hyperfine.out" 2>&1 || status=1
		grep -E "Time|Range" "$WORK/hyperfine.out" | sed 's/^/   /'
	else
		# No hyperfine: a loop of 200 runs, timed as a whole.
		t0=$(date +%s%N)
		for i in $(seq 1 200); do
			taskset -c "$CPU" "$SAGE" "$WORK/rules100.yaml" "$WORK/rules100.csv" \
				--out "$WORK/out.rules100" >/dev/null 2>&1
		done
		t1=$(date +%s%N)
		echo "{\"loop\": {\"runs\": 200, \"mean\": $(( (t1 - t0) / 200 ))e-9}}" >"$WORK/hyperfine.json"
	fi
fi

# ------------------------------------------------------------------ table
$PY - "$WORK" "$ROWS" "$BIG_ROWS" "$SAGE" "$CPU" "$TOP" <<'EOF' | tee "$WORK/results.md"
import json, os, subprocess, sys, time
work, rows, big_rows, sage, cpu, top = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
m = {}
for line in open(os.path.join(work, "measure.tsv")):
    f = line.rstrip("\n").split("\t")
    m[f[0], f[1]] = {"wall": float(f[2]), "cpu": float(f[3]), "rss": int(f[4]) / 1024.0,
                     "load": float(f[5]), "errors": f[6], "runs": int(f[7])}
def gen(name):
    p = os.path.join(work, "gen.%s.json" % name)
    return json.load(open(p)) if os.path.exists(p) else None
def cpuinfo():
    for l in open("/proc/cpuinfo"):
        if l.startswith("model name"):
            return l.split(":", 1)[1].strip()
def sh(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
import pandas, numpy
print("# sage processor benchmark, %s" % time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
print()
print("- CPU: %s, %s cores online (`nproc`); every program pinned to core %s" % (cpuinfo(), sh("nproc"), cpu))
print("- memory: %s total (`free -h`); %s; %s" % (sh("free -h | awk '/^Mem:/ {print $2}'"), sh("uname -sr"),
      sh(". /etc/os-release && echo $PRETTY_NAME")))
print("- baseline: Python %s, pandas %s, numpy %s" % (sys.version.split()[0], pandas.__version__, numpy.__version__))
if ("reference", "sage") in m:
    print("- sage-validate: %s, built from commit %s plus the working tree of that day" % (sage, sh("cd %s && git rev-parse --short HEAD" % top) or "?"))
print("- rows/s and speed-ups use CPU time (user + system): the machine is shared, so wall time")
print("  includes waiting for the core; the load average during each run is shown")
print()
print("| measurement | target | pandas + eval baseline | sage-validate | result |")
print("|---|---|---|---|---|")
g = gen("reference")
b = m.get(("reference", "baseline"))
s = m.get(("reference", "sage"))
def t(x):
    return "%.2f s CPU (wall %.2f s, load %.1f)" % (x["cpu"], x["wall"], x["load"])
nm = "not measured yet"
lim = 64 + 32.0 * rows / 1048576
if s:
    sp = b["cpu"] / s["cpu"]
    rps = rows / s["cpu"]
    print("| reference, %d rows × 15 columns (%.1f MB): throughput | ≥ 15× baseline and ≥ 2.5 M rows/s | %s → %.0f rows/s | %s → %.0f rows/s | %.1f× — %s |"
          % (rows, g["bytes"] / 1e6, t(b), rows / b["cpu"], t(s), rps, sp,
             "met" if sp >= 15 and rps >= 2.5e6 else "NOT met"))
    print("| reference: peak RSS | ≤ 64 MB + 32 B × %d unique keys = %.1f MB | %.1f MB | %.1f MB | %s |"
          % (rows, lim, b["rss"], s["rss"], "met" if s["rss"] <= lim else "NOT met"))
    same = b["errors"] == s["errors"] == str(g["expected_errors"])
    print("| reference: error findings (generator: %d) | the same | %s | %s | %s |"
          % (g["expected_errors"], b["errors"], s["errors"], "equal" if same else "DIFFERENT"))
else:
    print("| reference, %d rows × 15 columns (%.1f MB): throughput | ≥ 15× baseline and ≥ 2.5 M rows/s | %s → %.0f rows/s | %s | — |"
          % (rows, g["bytes"] / 1e6, t(b), rows / b["cpu"], nm))
    print("| reference: peak RSS | ≤ 64 MB + 32 B per unique key | %.1f MB | %s | — |" % (b["rss"], nm))
    print("| reference: error findings (generator: %d) | the same | %s | %s | — |" % (g["expected_errors"], b["errors"], nm))
a = m.get(("allfail", "sage"))
if a:
    ga = gen("allfail")
    rps = rows / a["cpu"]
    print("| every row fails, %d rows (%d findings) | ≥ 1 M rows/s | — | %s → %.0f rows/s, %.1f MB, %s errors | %s |"
          % (rows, ga["expected_errors"], t(a), rps, a["rss"], a["errors"],
             "met" if rps >= 1e6 and a["errors"] == str(ga["expected_errors"]) else "NOT met"))
else:
    print("| every row fails, %d rows | ≥ 1 M rows/s | — | %s | — |" % (rows, nm))
bg = m.get(("big", "sage"))
if bg:
    gb = gen("big")
    blim = 64 + 32.0 * big_rows / 1048576
    print("| %d rows (%.0f MB), generated as a stream | bounded memory: ≤ 64 MB + 32 B × %d keys = %.0f MB | — | %s → %.0f rows/s, %.1f MB, %s errors (generator: %d) | %s |"
          % (big_rows, gb["bytes"] / 1e6, big_rows, blim, t(bg), big_rows / bg["cpu"], bg["rss"],
             bg["errors"], gb["expected_errors"],
             "met" if bg["rss"] <= blim and bg["errors"] == str(gb["expected_errors"]) else "NOT met"))
    nu, rn = m.get(("bignu", "sage")), m.get(("refnu", "sage"))
    if nu and rn:
        print("| the same checks without the unique key, %d vs %d rows | RSS does not grow with rows | — | %.1f MB vs %.1f MB (%.2f s CPU for %d rows) | %s |"
              % (rows, big_rows, rn["rss"], nu["rss"], nu["cpu"], big_rows,
                 "met" if nu["rss"] <= 1.1 * rn["rss"] + 4 else "NOT met"))
else:
    print("| %d rows, streaming | bounded memory | — | %s | — |" % (big_rows, nm))
hp = os.path.join(work, "hyperfine.json")
if s and os.path.exists(hp):
    h = json.load(open(hp))
    if "results" in h:
        r = h["results"][0]
        ms = r["mean"] * 1000
        print("| start + load of a 100-rule configuration (3-row file, all outputs written) | < 10 ms | — | mean %.2f ms ± %.2f, min %.2f ms, CPU %.2f ms (hyperfine, %d runs) | %s |"
              % (ms, r["stddev"] * 1000, r["min"] * 1000, (r["user"] + r["system"]) * 1000,
                 len(r["times"]),
                 "met (CPU and min wall)" if (r["user"] + r["system"]) * 1000 < 10 and r["min"] * 1000 < 10
                 else "NOT met"))
    else:
        ms = h["loop"]["mean"] * 1000
        print("| start + load of a 100-rule configuration | < 10 ms | — | %.2f ms (loop of %d runs) | %s |"
              % (ms, h["loop"]["runs"], "met" if ms < 10 else "NOT met"))
else:
    print("| start + load of a 100-rule configuration | < 10 ms | — | %s | — |" % nm)
bj = json.load(open(os.path.join(work, "base.reference.json")))
print()
print("Baseline phases (its own clock): read_csv %.2f s, required/unique/type checks %.2f s, the three rules %.2f s; counts %s."
      % (bj["phases"]["read_csv"], bj["phases"]["builtin_checks"], bj["phases"]["rules"],
         json.dumps(bj["counts"])))
EOF
echo
echo "results written to $WORK/results.md"
exit $status
