#!/bin/sh
# test/aws/run_botocore_check.sh
#	Builds test/aws/sigv4_tool (the signer's command-line driver) with
#	ASan/UBSan against src/aws and the core files it uses, then has
#	test/aws/sigv4_botocore.py sign generated requests with botocore and
#	with sage and compare them. The last line is "N passed, M failed";
#	the exit status is non-zero on any failure.
#
#	usage: test/aws/run_botocore_check.sh [COUNT [SEED]]   (default 300)
#	Needs a python3 with botocore on PATH (pyenv's, on these machines).
set -eu

TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$TOP/build/test/botocore
COUNT=${1:-300}
SEED=${2:-20150830}
CC=${CC:-gcc}

mkdir -p "$OUT"
$CC -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all -Wall -Wextra -Werror -Wno-unused-parameter \
	-I"$TOP/src/include" -I"$TOP/src/aws" \
	-o "$OUT/sigv4_tool" "$TOP/test/aws/sigv4_tool.c" \
	"$TOP"/src/core/*.c "$TOP"/src/aws/*.c \
	-lcurl -lcrypto -lyaml -lpcre2-8 -lz -lexpat -lm

python3 -c 'import botocore' 2>/dev/null || {
	echo "run_botocore_check: botocore is not importable by $(command -v python3)" >&2
	echo "0 passed, 1 failed"
	exit 1
}
exec python3 "$TOP/test/aws/sigv4_botocore.py" "$OUT/sigv4_tool" "$COUNT" "$SEED"
