--
-- retry: permanent failures, sage_retry, and its errors
--
\i test/pg/preamble.sql

-- an unsupported file is a permanent failure: failed at once, with error.log
SELECT sage_submit(pg_temp.cfg(), convert_to('hola', 'UTF8'), 'notas.txt') AS id \gset
SELECT pg_temp.wait_for(ARRAY[:'id'::uuid]);
SELECT state, attempt, records, status, last_error IS NOT NULL AS has_error,
	   'error.log' = ANY (outputs) AS has_error_log
FROM sage_result(:'id');

-- retried: runs again (attempt 2) and fails the same way
BEGIN;
SELECT sage_retry(:'id');
SELECT state, attempt_base, last_error FROM sage.executions WHERE id = :'id';
SELECT count(*) AS outputs_left FROM sage.execution_files WHERE execution_id = :'id' AND role = 'out';
COMMIT;
SELECT pg_temp.wait_for(ARRAY[:'id'::uuid]);
SELECT state, attempt, 'error.log' = ANY (outputs) AS has_error_log FROM sage_result(:'id');

-- a cancelled execution can be retried too
BEGIN;
SELECT sage_submit(pg_temp.cfg(), convert_to(E'a,b\n1,x\n', 'UTF8'), 't.csv') AS c \gset
SELECT sage_cancel(:'c');
COMMIT;
SELECT sage_retry(:'c');
SELECT pg_temp.wait_for(ARRAY[:'c'::uuid]);
SELECT state, attempt, records FROM sage_result(:'c');

-- errors
SELECT sage_retry(NULL);
SELECT sage_retry('00000000-0000-0000-0000-000000000000');
SELECT pg_temp.try($$SELECT sage_retry('$$ || :'c' || $$')$$);
BEGIN;
SELECT sage_submit(pg_temp.cfg(), convert_to(E'a,b\n1,x\n', 'UTF8'), 't.csv') AS p \gset
SELECT pg_temp.try($$SELECT sage_retry('$$ || :'p' || $$')$$);
ROLLBACK;
