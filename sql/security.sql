--
-- security: a role sees and changes only its own executions
--
\i test/pg/preamble.sql

CREATE ROLE sage_alice;
CREATE ROLE sage_bob;
GRANT EXECUTE ON FUNCTION pg_temp.cfg(), pg_temp.wait_for(uuid[]), pg_temp.try(text) TO sage_alice, sage_bob;

SET ROLE sage_alice;
SELECT sage_submit(pg_temp.cfg(), convert_to(E'a,b\n1,x\n', 'UTF8'), 't.csv') AS alice \gset
SELECT pg_temp.wait_for(ARRAY[:'alice'::uuid]);
SELECT state, records FROM sage_result(:'alice');
SELECT owner FROM sage.executions;
SELECT length(sage_file(:'alice', 'report.json')) > 0 AS can_read;
SELECT total FROM sage.stats;
RESET ROLE;

SET ROLE sage_bob;
-- bob sees none of it, and cannot act on it
SELECT count(*) FROM sage.executions;
SELECT count(*) FROM sage.execution_files;
SELECT pg_temp.try($$SELECT * FROM sage_result('$$ || :'alice' || $$')$$);
SELECT pg_temp.try($$SELECT sage_file('$$ || :'alice' || $$', 'report.json')$$);
SELECT pg_temp.try($$SELECT sage_cancel('$$ || :'alice' || $$')$$);
SELECT pg_temp.try($$SELECT sage_retry('$$ || :'alice' || $$')$$);
SELECT pg_temp.try($$SELECT sage._cancel_at_commit('$$ || :'alice' || $$')$$);
SELECT total FROM sage.stats;
-- nor forge executions for someone else, or bypass the fencing columns
INSERT INTO sage.executions (config, owner) VALUES ('x', 'sage_alice');
UPDATE sage.executions SET attempt = 99;
-- the internal functions of the workers are not his
SELECT * FROM sage._claim();
SELECT pg_temp.try($$SELECT sage._complete('$$ || :'alice' || $$', 1, 'succeeded')$$);
SELECT sage._rescue('{}', false, 1);
SELECT sage._purge(1);
RESET ROLE;

-- the superuser sees both roles' executions
SELECT count(*) > 0 AS sees_alice FROM sage.executions WHERE owner = 'sage_alice'::regrole;

DELETE FROM sage.executions WHERE owner IN ('sage_alice'::regrole, 'sage_bob'::regrole);
REVOKE ALL ON FUNCTION pg_temp.cfg(), pg_temp.wait_for(uuid[]), pg_temp.try(text) FROM sage_alice, sage_bob;
DROP ROLE sage_alice;
DROP ROLE sage_bob;
