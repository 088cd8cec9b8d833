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

--
-- the bulk insertion (sage.submit_bulk, on by default: tuples inserted as
-- COPY does) and the SQL statements it replaced give the same rows, for an
-- ordinary role under row-level security, in the one-file form too
--
CREATE ROLE sage_batch_user;
SET ROLE sage_batch_user;
SET sage.max_attempts = 5;
CREATE TEMP TABLE bulk_rows AS
SELECT 'bulk' AS path, id
FROM sage_submit_batch(pg_temp.cfg(), ARRAY['\x610a31'::bytea, '\x610a32'],
					   ARRAY['x.csv', 'y.csv'], package => 'p', priority => 4,
					   casilla_id => 3, emisor_id => 'e', metodo_envio => 'm',
					   options => '{"k": 1}') AS id;
INSERT INTO bulk_rows SELECT 'bulk', sage_submit(pg_temp.cfg(), '\x610a31'::bytea, 'x.csv',
	package => 'p', priority => 4, casilla_id => 3, emisor_id => 'e',
	metodo_envio => 'm', options => '{"k": 1}');
SET sage.submit_bulk = off;
INSERT INTO bulk_rows
SELECT 'statements', id
FROM sage_submit_batch(pg_temp.cfg(), ARRAY['\x610a31'::bytea, '\x610a32'],
					   ARRAY['x.csv', 'y.csv'], package => 'p', priority => 4,
					   casilla_id => 3, emisor_id => 'e', metodo_envio => 'm',
					   options => '{"k": 1}') AS id;
INSERT INTO bulk_rows SELECT 'statements', sage_submit(pg_temp.cfg(), '\x610a31'::bytea, 'x.csv',
	package => 'p', priority => 4, casilla_id => 3, emisor_id => 'e',
	metodo_envio => 'm', options => '{"k": 1}');
RESET sage.submit_bulk;
RESET sage.max_attempts;
SELECT pg_temp.wait_for(ARRAY(SELECT id FROM bulk_rows));
SELECT string_agg(DISTINCT b.path, ', ') AS paths, count(*),
	   e.state, e.max_attempts,
	   e.package, e.options, e.priority, e.placement, e.owner, e.casilla_id,
	   e.emisor_id, e.metodo_envio, e.attempt_base,
	   e.config = pg_temp.cfg() AS config, f.role, f.name, f.ordinal, f.size,
	   f.storage, f.sha256 = sha256(f.content) AS sha256_ok
FROM bulk_rows b JOIN sage.executions e USING (id)
JOIN sage.execution_files f ON f.execution_id = e.id AND f.role = 'in'
GROUP BY 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20
ORDER BY f.name;
-- ids: time-ordered (version 7) in bulk, random (version 4) as before
SELECT path, substr(id::text, 15, 1) AS uuid_version, count(*)
FROM bulk_rows GROUP BY 1, 2 ORDER BY 1;
-- ids of a call grow in file order
SELECT bool_and(prev < id) AS ordered, count(*)
FROM (SELECT id, lag(id) OVER (ORDER BY n) AS prev
	  FROM (SELECT row_number() OVER () AS n, id
			FROM sage_submit_batch(pg_temp.cfg(), array_fill('\x610a31'::bytea, ARRAY[300]),
								   array_fill('t.csv'::text, ARRAY[300])) AS id) s) t
WHERE prev IS NOT NULL;
-- the same refusals on both paths: row security off, a missing privilege
SET row_security = off;
SELECT pg_temp.try($$SELECT sage_submit(pg_temp.cfg(), '\x610a31'::bytea, 'x.csv')$$);
SET sage.submit_bulk = off;
SELECT pg_temp.try($$SELECT sage_submit(pg_temp.cfg(), '\x610a31'::bytea, 'x.csv')$$);
RESET sage.submit_bulk;
RESET row_security;
RESET ROLE;
REVOKE INSERT (metodo_envio) ON sage.executions FROM PUBLIC;
SET ROLE sage_batch_user;
SELECT pg_temp.try($$SELECT sage_submit(pg_temp.cfg(), '\x610a31'::bytea, 'x.csv')$$);
SET sage.submit_bulk = off;
SELECT pg_temp.try($$SELECT sage_submit(pg_temp.cfg(), '\x610a31'::bytea, 'x.csv')$$);
RESET sage.submit_bulk;
RESET ROLE;
GRANT INSERT (metodo_envio) ON sage.executions TO PUBLIC;

-- a CHECK constraint added to the table is enforced on the bulk path
ALTER TABLE sage.executions ADD CONSTRAINT batch_priority_cap CHECK (priority < 1000);
SET ROLE sage_batch_user;
SELECT split_part(pg_temp.try($$SELECT count(*) FROM sage_submit_batch(pg_temp.cfg(),
	ARRAY['\x610a31'::bytea], ARRAY['t.csv'], priority => 2000)$$), E'\n', 1);
RESET ROLE;
ALTER TABLE sage.executions DROP CONSTRAINT batch_priority_cap;

-- other INSERT triggers fire, with their transition tables, over chunks
CREATE FUNCTION public.batch_count_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE NOTICE '% rows inserted into % by one statement', (SELECT count(*) FROM new_rows), TG_TABLE_NAME;
	RETURN NULL;
END
$$;
CREATE TRIGGER batch_count_new AFTER INSERT ON sage.executions
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION public.batch_count_new();
SET ROLE sage_batch_user;
SELECT count(*) FROM sage_submit_batch(pg_temp.cfg(), array_fill('\x610a31'::bytea, ARRAY[250]),
									   array_fill('t.csv'::text, ARRAY[250]));
RESET ROLE;
DROP TRIGGER batch_count_new ON sage.executions;

-- a BEFORE ROW trigger or a policy the extension did not create: the rows
-- go through SQL statements, which apply them
CREATE FUNCTION public.batch_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.priority := NEW.priority + 100;
	RETURN NEW;
END
$$;
CREATE TRIGGER batch_bump BEFORE INSERT ON sage.executions
	FOR EACH ROW EXECUTE FUNCTION public.batch_bump();
SET ROLE sage_batch_user;
CREATE TEMP TABLE bumped AS
SELECT id FROM sage_submit_batch(pg_temp.cfg(), ARRAY['\x610a31'::bytea, '\x610a32'],
								 ARRAY['t.csv', 't.csv'], priority => 1) AS id;
SELECT e.priority, count(*) FROM bumped JOIN sage.executions e USING (id) GROUP BY 1;
RESET ROLE;
DROP TRIGGER batch_bump ON sage.executions;
CREATE POLICY batch_low_priority ON sage.executions AS RESTRICTIVE FOR INSERT
	WITH CHECK (priority < 50);
SET ROLE sage_batch_user;
SELECT pg_temp.try($$SELECT count(*) FROM sage_submit_batch(pg_temp.cfg(),
	ARRAY['\x610a31'::bytea], ARRAY['t.csv'], priority => 60)$$);
SELECT pg_temp.try($$SELECT sage_submit(pg_temp.cfg(), '\x610a31'::bytea, 't.csv', priority => 60)$$);
SELECT count(*) FROM sage_submit_batch(pg_temp.cfg(), ARRAY['\x610a31'::bytea], ARRAY['t.csv'],
									   priority => 10);
RESET ROLE;
DROP POLICY batch_low_priority ON sage.executions;
DROP FUNCTION public.batch_count_new(), public.batch_bump();
DELETE FROM sage.executions WHERE owner = 'sage_batch_user'::regrole;
DROP TABLE bulk_rows, bumped;
DROP ROLE sage_batch_user;
