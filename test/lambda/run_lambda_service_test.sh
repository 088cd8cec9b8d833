#!/bin/sh
# test/lambda/run_lambda_service_test.sh
#	Builds lambda/bootstrap and the C Invoke driver
#	(test/lambda/invoke_driver.c, linked with src/aws and src/core), then
#	runs run_lambda_service_test.py inside
#	test/services/with_aws_services.sh (DynamoDB Local, moto and the local
#	Lambda service in one private network namespace). Prints
#	"N passed, M failed" and exits non-zero on failure. Needs root.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
cd "$TOP"
make -s lambda/bootstrap > /dev/null
mkdir -p build/test/lambda
${CC:-gcc} -O2 -Wall -Wextra -Werror -Wno-unused-parameter -Wmissing-prototypes \
	-Wdeclaration-after-statement -Isrc/include -Isrc/aws \
	-o build/test/lambda/invoke_driver test/lambda/invoke_driver.c \
	src/aws/*.o src/core/*.o -lyaml -lpcre2-8 -lz -lexpat -lm -lcurl -lcrypto
exec "$TOP/test/services/with_aws_services.sh" python3 "$HERE/run_lambda_service_test.py"
