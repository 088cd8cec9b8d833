--
-- result: sage_result, sage_file and sage_files
--
\i test/pg/preamble.sql

SELECT sage_submit(pg_temp.cfg(), convert_to(E'a,b\n1,x\n,y\nz,w\n', 'UTF8'), 't.csv') AS id \gset
SELECT pg_temp.wait_for(ARRAY[:'id'::uuid]);
SELECT state, records, errors, warnings, rows_with_errors, success_rate, status, outputs
FROM sage_result(:'id');
SELECT report -> 'summary' AS summary,
	   report -> 'execution_info' ->> 'execution_id' = :'id' AS id_in_report,
	   report -> 'execution_info' ->> 'where' AS "where"
FROM sage_result(:'id');

-- the files: inputs, then outputs
SELECT role, name, size > 0 AS not_empty, length(sha256) AS hash_len FROM sage_files(:'id');
SELECT convert_from(sage_file(:'id', 't.csv'), 'UTF8') AS input;
SELECT sage_file(:'id', 'report.json') = (SELECT content FROM sage.execution_files
										  WHERE execution_id = :'id' AND name = 'report.json') AS same;
SELECT position('Fallido' IN convert_from(sage_file(:'id', 'results.txt'), 'UTF8')) > 0 AS status_in_results;
SELECT (SELECT sha256 FROM sage.execution_files f WHERE f.execution_id = :'id' AND f.name = 'failures.csv')
	   = sha256(sage_file(:'id', 'failures.csv')) AS hash_ok;

-- a pending execution has no result yet
BEGIN;
SELECT sage_submit(pg_temp.cfg(), convert_to(E'a,b\n1,x\n', 'UTF8'), 't.csv') AS p \gset
SELECT state, attempt, records, status, outputs, report FROM sage_result(:'p');
SELECT pg_temp.try($$SELECT sage_file('$$ || :'p' || $$', 'report.json')$$);
ROLLBACK;

-- errors
SELECT * FROM sage_result(NULL);
SELECT * FROM sage_result('00000000-0000-0000-0000-000000000000');
SELECT sage_file(NULL, 'report.json');
SELECT sage_file(:'id', NULL);
SELECT sage_file('00000000-0000-0000-0000-000000000000', 'report.json');
SELECT pg_temp.try($$SELECT sage_file('$$ || :'id' || $$', 'nada.txt')$$);
