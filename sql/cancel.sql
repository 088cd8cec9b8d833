--
-- cancel: sage_cancel of pending and running executions, and its errors
--
\i test/pg/preamble.sql

-- a pending execution (cancelled before any worker can see it)
BEGIN;
SELECT sage_submit(pg_temp.cfg(), convert_to(E'a,b\n1,x\n', 'UTF8'), 't.csv') AS id \gset
SELECT sage_cancel(:'id');
COMMIT;
SELECT state, attempt, finished_at IS NOT NULL AS finished, last_error FROM sage.executions WHERE id = :'id';
-- cancelling again is a no-op
SELECT sage_cancel(:'id');

-- a running execution: a large file, cancelled while the worker reads it
SELECT sage_submit(pg_temp.cfg(), convert_to('a,b' || E'\n' || repeat(E'1,x\n', 8000000), 'UTF8'), 't.csv') AS big \gset
DO $$
DECLARE
	deadline timestamptz := clock_timestamp() + interval '30 s';
BEGIN
	WHILE NOT EXISTS (SELECT 1 FROM sage.progress WHERE records_done > 0)
		  AND clock_timestamp() < deadline LOOP
		PERFORM pg_sleep(0.01);
	END LOOP;
END
$$;
SELECT state FROM sage.executions WHERE id = :'big';
SELECT sage_cancel(:'big');
-- the worker lets go of it within a second
SELECT clock_timestamp() AS t0 \gset
DO $$
DECLARE
	deadline timestamptz := clock_timestamp() + interval '30 s';
BEGIN
	WHILE EXISTS (SELECT 1 FROM sage._workers() WHERE state = 'busy')
		  AND clock_timestamp() < deadline LOOP
		PERFORM pg_sleep(0.01);
	END LOOP;
END
$$;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '1 s' AS stopped_within_1s;
SELECT state, records, status, outputs FROM sage_result(:'big');

-- errors
SELECT sage_cancel(NULL);
SELECT sage_cancel('00000000-0000-0000-0000-000000000000');
SELECT sage_submit(pg_temp.cfg(), convert_to(E'a,b\n1,x\n', 'UTF8'), 't.csv') AS done \gset
SELECT pg_temp.wait_for(ARRAY[:'done'::uuid]);
SELECT pg_temp.try($$SELECT sage_cancel('$$ || :'done' || $$')$$);
-- the internal signal refuses executions that are not cancelled
SELECT sage._cancel_at_commit(:'done');
