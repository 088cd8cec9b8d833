--
-- submit: sage_submit with one file, options, and its bad arguments
--
\i test/pg/preamble.sql

-- one file, processed by a local worker
SELECT sage_submit(pg_temp.cfg(), convert_to(E'a,b\n1,x\n2,y\nz,w\n', 'UTF8'), 't.csv') AS id \gset
SELECT pg_temp.wait_for(ARRAY[:'id'::uuid]);
SELECT state, attempt, "where", records, errors, warnings, rows_with_errors,
	   success_rate, status, last_error
FROM sage_result(:'id');
SELECT state, "where", where_reason, placement, priority, max_attempts,
	   attempt_base, owner, started_at <= finished_at AS timed,
	   lease_until IS NULL AS no_lease
FROM sage.executions WHERE id = :'id';

-- every option is recorded
SELECT sage_submit(pg_temp.cfg(), convert_to(E'a,b\n1,x\n', 'UTF8'), 't.csv',
				   package => 't', priority => -5, placement => 'local',
				   max_attempts => 7, casilla_id => 42, emisor_id => 'E-1',
				   metodo_envio => 'api', options => '{"lote": 3}') AS id2 \gset
SELECT package, priority, placement, max_attempts, casilla_id, emisor_id,
	   metodo_envio, options
FROM sage.executions WHERE id = :'id2';
SELECT pg_temp.wait_for(ARRAY[:'id2'::uuid]);
SELECT state, records, status FROM sage_result(:'id2');

-- sage.max_attempts is the default
SET sage.max_attempts = 9;
SELECT sage_submit(pg_temp.cfg(), convert_to(E'a,b\n1,x\n', 'UTF8'), 't.csv') AS id3 \gset
SELECT max_attempts FROM sage.executions WHERE id = :'id3';
RESET sage.max_attempts;

-- the input is stored with its size and hash
SELECT role, name, size, sha256 = encode(sha256(convert_to(E'a,b\n1,x\n', 'UTF8')), 'hex') AS hash_ok
FROM sage_files(:'id2') WHERE role = 'in';

-- a rolled-back submit leaves nothing behind
BEGIN;
SELECT sage_submit(pg_temp.cfg(), convert_to(E'a,b\n1,x\n', 'UTF8'), 'rollback.csv') IS NOT NULL AS submitted;
ROLLBACK;
SELECT count(*) FROM sage.execution_files WHERE name = 'rollback.csv';

-- bad arguments
SELECT sage_submit(NULL, convert_to('a', 'UTF8'), 't.csv');
SELECT sage_submit(pg_temp.cfg(), NULL::bytea, 't.csv');
SELECT sage_submit(pg_temp.cfg(), convert_to('a', 'UTF8'), NULL);
SELECT sage_submit(pg_temp.cfg(), convert_to('a', 'UTF8'), '');
SELECT sage_submit(pg_temp.cfg(), convert_to('a', 'UTF8'), 't.csv', placement => 'cloud');
SELECT sage_submit(pg_temp.cfg(), convert_to('a', 'UTF8'), 't.csv', placement => NULL);
SELECT sage_submit(pg_temp.cfg(), convert_to('a', 'UTF8'), 't.csv', placement => 'lambda');
SELECT sage_submit(pg_temp.cfg(), convert_to('a', 'UTF8'), 't.csv', max_attempts => 0);
SELECT sage_submit(pg_temp.cfg(), convert_to('a', 'UTF8'), 't.csv', max_attempts => 1001);
SELECT sage_submit(pg_temp.cfg(), convert_to('a', 'UTF8'), 't.csv', options => '[1]');
SELECT sage_submit(pg_temp.cfg(), convert_to('a', 'UTF8'), 't.csv', options => NULL);
SELECT sage_submit(pg_temp.cfg(), convert_to('a', 'UTF8'), 't.csv', package => '');
SELECT sage_submit(pg_temp.cfg(), convert_to('a', 'UTF8'), 't.csv', priority => NULL);

-- nothing was queued by the failed calls
SELECT count(*) FROM sage.executions WHERE state = 'pending';
