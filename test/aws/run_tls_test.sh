#!/bin/bash
# test/aws/run_tls_test.sh
#	TLS of the AWS clients: against an HTTPS server on 127.0.0.1 whose
#	certificate a throw-away CA signed, the C client (through
#	test/lambda/invoke_driver.c, src/aws/lambda.c and http.c) must
#	- succeed when the CA bundle is configured (SageHttpOptions.ca_file,
#	  which sage.aws_ca_file and the bootstrap's SAGE_CA_FILE set);
#	- refuse the server with the system's store (verification is on);
#	- refuse it with another CA's bundle.
#	Prints "N passed, M failed"; exits non-zero on failure.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
cd "$TOP" || exit 2
WORK=$(mktemp -d /tmp/sage_tls.XXXXXX)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

make -s -j2 all > /dev/null || exit 2
mkdir -p build/test/lambda
${CC:-gcc} -O2 -Wall -Wextra -Werror -Wno-unused-parameter -Wmissing-prototypes \
	-Wdeclaration-after-statement -Isrc/include -Isrc/aws \
	-o build/test/lambda/invoke_driver test/lambda/invoke_driver.c \
	src/aws/*.o src/core/*.o -lyaml -lpcre2-8 -lz -lexpat -lm -lcurl -lcrypto || exit 2

# a CA, a server certificate for 127.0.0.1 signed by it, and another CA
mk_ca() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$2" \
		-keyout "$WORK/$1.key" -out "$WORK/$1.pem" 2>/dev/null
}
mk_ca ca "sage test CA" && mk_ca other "another CA" || exit 2
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
	-keyout "$WORK/server.key" -out "$WORK/server.csr" 2>/dev/null || exit 2
printf 'subjectAltName=IP:127.0.0.1\n' > "$WORK/ext.cnf"
openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" \
	-CAcreateserial -days 2 -extfile "$WORK/ext.cnf" -out "$WORK/server.pem" 2>/dev/null || exit 2

python3 "$HERE/tls_server.py" "$WORK/server.pem" "$WORK/server.key" "$WORK/port" &
pid=$!
for _ in $(seq 100); do
	[ -s "$WORK/port" ] && break
	sleep 0.1
done
[ -s "$WORK/port" ] || { echo "tls_server did not start"; exit 2; }
url=https://127.0.0.1:$(cat "$WORK/port")

export AWS_ACCESS_KEY_ID=AKIDSAGETEST AWS_SECRET_ACCESS_KEY=sage-test-secret AWS_DEFAULT_REGION=us-east-1
passed=0
failed=0
check() {
	local what=$1 pattern=$2 out=$3
	if printf '%s\n' "$out" | grep -Eq "$pattern"; then
		echo "ok   - $what"
		passed=$((passed + 1))
	else
		echo "FAIL - $what: $out"
		failed=$((failed + 1))
	fi
}

out=$(SAGE_CA_FILE=$WORK/ca.pem build/test/lambda/invoke_driver "$url" fn Event '{}' 2>&1)
check "the configured CA bundle verifies the server" '^outcome=ok status=202' "$out"
out=$(env -u SAGE_CA_FILE build/test/lambda/invoke_driver "$url" fn Event '{}' 2>&1)
check "the system store refuses the unknown CA (verification is on)" '^outcome=error .*certificate' "$out"
out=$(SAGE_CA_FILE=$WORK/other.pem build/test/lambda/invoke_driver "$url" fn Event '{}' 2>&1)
check "another CA's bundle refuses the server" '^outcome=error .*certificate' "$out"
out=$(SAGE_CA_FILE=$WORK/ca.pem build/test/lambda/invoke_driver "https://localhost:$(cat "$WORK/port")" fn Event '{}' 2>&1)
check "a name the certificate does not carry is refused" '^outcome=error' "$out"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
