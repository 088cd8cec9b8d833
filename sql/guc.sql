--
-- guc: every sage.* parameter with its unit, context and description
--
SELECT name, setting, unit, context, vartype, min_val, max_val, short_desc
FROM pg_settings WHERE name LIKE 'sage.%' ORDER BY name;

-- the prefix is reserved: a misspelt parameter is refused
SET sage.max_attempt = 3;
-- bounds and units
SET sage.max_attempts = 0;
SET sage.max_attempts = 5;
SHOW sage.max_attempts;
RESET sage.max_attempts;
SET sage.lease = '1min';
SET sage.max_local_executions = 5;
SHOW sage.retention;
SHOW sage.memory_limit;

-- the Lambda offload, S3 and DynamoDB settings: defaults
SHOW sage.offload;
SHOW sage.lambda_function;
SHOW sage.lambda_timeout;
SHOW sage.s3_prefix;
SHOW sage.lock_table;
SHOW sage.lock_lease;
SHOW sage.lock_ttl;
-- read by background workers: not settable per session
SET sage.offload = 'always';
-- bad values are refused with the reason (ALTER SYSTEM checks them)
ALTER SYSTEM SET sage.offload = 'sometimes';
ALTER SYSTEM SET sage.storage = 'disk';
ALTER SYSTEM SET sage.lock = 'redis';
ALTER SYSTEM SET sage.s3_endpoint = 'ftp://127.0.0.1:5000';
ALTER SYSTEM SET sage.dynamodb_endpoint = 'http://127.0.0.1:8000/path';
ALTER SYSTEM SET sage.lambda_endpoint = 'http://';
ALTER SYSTEM SET sage.s3_prefix = '/executions/';
ALTER SYSTEM SET sage.s3_prefix = 'executions';
ALTER SYSTEM SET sage.s3_bucket = 'Sage_Bucket';
ALTER SYSTEM SET sage.s3_bucket = 'ab';
ALTER SYSTEM SET sage.lock_table = 'x';
ALTER SYSTEM SET sage.lock_table = 'bad table';
ALTER SYSTEM SET sage.lambda_function = 'sage file processor';
ALTER SYSTEM SET sage.aws_region = 'eu west 1';
ALTER SYSTEM SET sage.offload_cpu_percent = 0;
ALTER SYSTEM SET sage.lambda_max_inflight = 0;
ALTER SYSTEM SET sage.lambda_timeout = '2h';
ALTER SYSTEM SET sage.lock_lease = '1s';
-- good values are accepted (and reset again)
ALTER SYSTEM SET sage.s3_endpoint = 'http://127.0.0.1:5000';
ALTER SYSTEM SET sage.s3_prefix = 'tenant-1/executions/';
ALTER SYSTEM SET sage.lambda_function = 'arn:aws:lambda:eu-west-1:123456789012:function:sage-file-processor';
ALTER SYSTEM SET sage.lambda_timeout = '15min';
ALTER SYSTEM RESET sage.s3_endpoint;
ALTER SYSTEM RESET sage.s3_prefix;
ALTER SYSTEM RESET sage.lambda_function;
ALTER SYSTEM RESET sage.lambda_timeout;
-- credentials: superuser-only, never listed, never echoed (no check hook
-- quotes a refused value; they are checked when the workers use them)
ALTER SYSTEM SET sage.aws_access_key_id = 'AKID WITH SPACE';
ALTER SYSTEM RESET sage.aws_access_key_id;
SELECT count(*) FROM pg_settings WHERE name LIKE 'sage.aws_%key%' OR name = 'sage.aws_session_token';
CREATE ROLE sage_guc_reader;
SET ROLE sage_guc_reader;
SHOW sage.aws_secret_access_key;
SELECT current_setting('sage.aws_access_key_id');
SHOW sage.s3_bucket;
RESET ROLE;
DROP ROLE sage_guc_reader;
-- placement lambda needs sage.lambda_function
SELECT sage_submit($y$sage_yaml: {name: "g", description: "g", version: "1", author: "QA"}
catalogs: {}
packages: {}
$y$, '\x'::bytea, 'x.csv', placement => 'lambda');
