--
-- multi: one execution of several named files
--
\i test/pg/preamble.sql

SELECT sage_submit(pg_temp.cfg(),
				   ARRAY[convert_to(E'a,b\n1,x\n', 'UTF8'), convert_to(E'a,b\n2,y\n', 'UTF8')],
				   ARRAY['t.csv', 'otro.csv']) AS id \gset
SELECT role, name, size FROM sage_files(:'id') WHERE role = 'in';
SELECT pg_temp.wait_for(ARRAY[:'id'::uuid]);
SELECT state IN ('succeeded', 'failed') AS finished FROM sage_result(:'id');

-- bad arguments
SELECT sage_submit(pg_temp.cfg(), NULL::bytea[], ARRAY['t.csv']);
SELECT sage_submit(pg_temp.cfg(), ARRAY[]::bytea[], ARRAY[]::text[]);
SELECT sage_submit(pg_temp.cfg(), ARRAY['\x01'::bytea], ARRAY['a.csv', 'b.csv']);
SELECT sage_submit(pg_temp.cfg(), ARRAY['\x01'::bytea, NULL], ARRAY['a.csv', 'b.csv']);
SELECT sage_submit(pg_temp.cfg(), ARRAY['\x01'::bytea, '\x02'], ARRAY['a.csv', NULL]);
SELECT sage_submit(pg_temp.cfg(), ARRAY['\x01'::bytea, '\x02'], ARRAY['a.csv', 'a.csv']);
SELECT sage_submit(pg_temp.cfg(), ARRAY[['\x01'::bytea], ['\x02'::bytea]], ARRAY[['a.csv'], ['b.csv']]);
