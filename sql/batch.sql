--
-- batch: many executions in one call
--
\i test/pg/preamble.sql

CREATE TEMP TABLE batch_ids AS
SELECT row_number() OVER () AS n, id
FROM sage_submit_batch(pg_temp.cfg(),
					   array_fill(convert_to(E'a,b\n1,x\n2,y\n', 'UTF8'), ARRAY[50]),
					   array_fill('t.csv'::text, ARRAY[50]),
					   priority => 1, casilla_id => 7) AS id;
SELECT count(*), count(DISTINCT id) FROM batch_ids;
SELECT pg_temp.wait_for(ARRAY(SELECT id FROM batch_ids));
SELECT e.state, e.records, e.status, e.casilla_id, count(*)
FROM batch_ids b JOIN sage.executions e USING (id)
GROUP BY 1, 2, 3, 4;
SELECT count(*) AS inputs FROM sage.execution_files f JOIN batch_ids b ON f.execution_id = b.id
WHERE f.role = 'in';

-- an empty batch gives no executions
SELECT count(*) FROM sage_submit_batch(pg_temp.cfg(), ARRAY[]::bytea[], ARRAY[]::text[]);

-- bad arguments
SELECT sage_submit_batch(pg_temp.cfg(), ARRAY['\x01'::bytea], ARRAY['a.csv', 'b.csv']);
SELECT sage_submit_batch(pg_temp.cfg(), ARRAY['\x01'::bytea, NULL], ARRAY['a.csv', 'b.csv']);
SELECT sage_submit_batch(pg_temp.cfg(), ARRAY['\x01'::bytea, '\x02'], ARRAY['a.csv', '']);
SELECT sage_submit_batch(pg_temp.cfg(), NULL, ARRAY['a.csv']);
SELECT sage_submit_batch('sage_yaml: [', ARRAY['\x01'::bytea], ARRAY['a.csv']);
