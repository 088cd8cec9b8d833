#!/bin/sh
# test/core/coverage.sh
#	Coverage gate for the processor's input-facing code: the YAML loader
#	(config_load.c, yaml_doc.c), the rule parser and compiler
#	(rule_parse.c, rule_compile.c) and the CSV reader (csv_reader.c).
#
#	Compiles src/core once with --coverage, links every test/core/*_test.c
#	against those objects (so the counts of all test programs add up in
#	one set of .gcda files), runs them, and asks gcov for line and branch
#	coverage of each gated file. Fails when a file is below its minimum,
#	printing the numbers of every file and, for a failing one, where its
#	unexecuted lines are.
#
#	usage: test/core/coverage.sh [min-line-percent [min-branch-percent]]
#	       (defaults 93 and 85, applied to every gated file; "branches" is
#	       gcov's "taken at least once")
set -eu

TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$TOP/build/test/coverage/core
MIN_LINES=${1:-93}
MIN_BRANCHES=${2:-85}
CC=${CC:-gcc}
FILES="config_load.c yaml_doc.c rule_parse.c rule_compile.c csv_reader.c"
CFLAGS="-O0 -g --coverage -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation -Wno-stringop-truncation -Wno-missing-field-initializers"
LIBS="-lcmocka -lyaml -lpcre2-8 -lz -lexpat -lm"

rm -rf "$OUT"
mkdir -p "$OUT/obj" "$OUT/bin"

for src in "$TOP"/src/core/*.c; do
	$CC $CFLAGS -I"$TOP/src/include" -I"$TOP/src/core" -c -o "$OUT/obj/$(basename "$src" .c).o" "$src"
done

failed_tests=""
for t in "$TOP"/test/core/*_test.c; do
	name=$(basename "$t" .c)
	$CC $CFLAGS -I"$TOP/src/include" -I"$TOP/src/core" -o "$OUT/bin/$name" "$t" "$OUT"/obj/*.o $LIBS
	if ! (cd "$OUT/bin" && SAGE_TEST_DATA=${SAGE_TEST_DATA:-$TOP/test/data} "./$name" > "$name.log" 2>&1); then
		tail -20 "$OUT/bin/$name.log"
		failed_tests="$failed_tests $name"
	fi
done
if [ -n "$failed_tests" ]; then
	echo "coverage: unit tests failed:$failed_tests" >&2
	exit 1
fi

cd "$OUT/obj"
status=0
printf "%-16s %8s %8s   (gate: lines >= %s%%, branches >= %s%%)\n" file lines branches \
	"$MIN_LINES" "$MIN_BRANCHES"
for f in $FILES; do
	base=${f%.c}
	gcov -b -o . "$base.gcda" > "gcov-$base.txt" 2>&1 || {
		cat "gcov-$base.txt"
		exit 1
	}
	# the summary block of this source file: "Lines executed" and "Taken at least once"
	report=$(awk -v want="src/core/$f" 'index($0, "File ") == 1 && index($0, want "'"'"'") > 0 {g = 1; next}
		g && /^$/ {exit} g {print}' "gcov-$base.txt")
	lines=$(printf "%s\n" "$report" | sed -n 's/^Lines executed:\([0-9.]*\)% of.*/\1/p')
	taken=$(printf "%s\n" "$report" | sed -n 's/^Taken at least once:\([0-9.]*\)% of.*/\1/p')
	if [ -z "$lines" ] || [ -z "$taken" ]; then
		echo "coverage: no gcov result for src/core/$f" >&2
		exit 1
	fi
	printf "%-16s %7s%% %7s%%\n" "$f" "$lines" "$taken"
	if awk -v p="$lines" -v m="$MIN_LINES" 'BEGIN { exit !(p + 0 < m + 0) }' ||
		awk -v p="$taken" -v m="$MIN_BRANCHES" 'BEGIN { exit !(p + 0 < m + 0) }'; then
		echo "coverage: src/core/$f is below the gate; unexecuted lines in $OUT/obj/$f.gcov" >&2
		status=1
	fi
done
if [ $status -ne 0 ]; then
	exit 1
fi
echo "coverage: every gated file reaches lines >= $MIN_LINES% and branches taken >= $MIN_BRANCHES%"
