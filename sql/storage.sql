--
-- storage: sage_file and sage_files on files stored in S3, on a server
-- where S3 is not configured (the TAP test t/004_storage_s3_dynamodb.pl
-- reads real objects from moto)
--
\i test/pg/preamble.sql

-- a finished execution whose outputs another server put in S3
BEGIN;
INSERT INTO sage.executions (id, config, state, attempt)
VALUES ('5e5e5e5e-0000-4000-8000-000000000001', pg_temp.cfg(), 'succeeded', 1);
INSERT INTO sage.execution_files (execution_id, role, name, ordinal, size, sha256, storage, content, uri)
VALUES ('5e5e5e5e-0000-4000-8000-000000000001', 'in', 't.csv', 1, 4, NULL, 'bytea', convert_to(E'a\n1\n', 'UTF8'), NULL),
	   ('5e5e5e5e-0000-4000-8000-000000000001', 'out', 'report.json', 1, 2, NULL, 's3', NULL,
		's3://sage-elsewhere/executions/5e5e5e5e-0000-4000-8000-000000000001/report.json'),
	   ('5e5e5e5e-0000-4000-8000-000000000001', 'out', 'bad.txt', 2, 2, NULL, 's3', NULL,
		'https://example.com/bad.txt'),
	   ('5e5e5e5e-0000-4000-8000-000000000001', 'out', 'copied.txt', 3, 2, NULL, 's3', 'ok',
		's3://sage-elsewhere/executions/5e5e5e5e-0000-4000-8000-000000000001/copied.txt');
COMMIT;

-- sage_files shows where each file is
SELECT role, name, size, uri FROM sage_files('5e5e5e5e-0000-4000-8000-000000000001');

-- an input in bytea and an output copied into bytea need no S3
SELECT convert_from(sage_file('5e5e5e5e-0000-4000-8000-000000000001', 't.csv'), 'UTF8') AS input;
SELECT convert_from(sage_file('5e5e5e5e-0000-4000-8000-000000000001', 'copied.txt'), 'UTF8') AS copied;

-- errors: S3 not configured here, a uri that is not s3://, a file not in S3
SHOW sage.s3_bucket;
SELECT pg_temp.try($$SELECT sage_file('5e5e5e5e-0000-4000-8000-000000000001', 'report.json')$$);
SELECT pg_temp.try($$SELECT sage_file('5e5e5e5e-0000-4000-8000-000000000001', 'bad.txt')$$);
SELECT pg_temp.try($$SELECT sage._file_s3('5e5e5e5e-0000-4000-8000-000000000001', 't.csv')$$);
SELECT pg_temp.try($$SELECT sage._file_s3('5e5e5e5e-0000-4000-8000-000000000001', 'nada.txt')$$);
SELECT sage._file_s3(NULL, 'report.json') IS NULL AS strict;

-- sage._file_s3 reads only rows the caller can see (row-level security)
CREATE ROLE storage_mallory;
GRANT USAGE ON SCHEMA public TO storage_mallory;
SET ROLE storage_mallory;
SELECT pg_temp.try($$SELECT sage._file_s3('5e5e5e5e-0000-4000-8000-000000000001', 'report.json')$$);
SELECT pg_temp.try($$SELECT sage_file('5e5e5e5e-0000-4000-8000-000000000001', 'report.json')$$);
RESET ROLE;

DELETE FROM sage.executions WHERE id = '5e5e5e5e-0000-4000-8000-000000000001';
REVOKE USAGE ON SCHEMA public FROM storage_mallory;
DROP ROLE storage_mallory;
