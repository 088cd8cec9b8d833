--
-- errors: the SQLSTATE of every user-reachable error (never XX000)
--
\i test/pg/preamble.sql

SELECT q AS call, pg_temp.try(q) AS result FROM (VALUES
	($$SELECT sage_submit(NULL, '\x01'::bytea, 't.csv')$$),
	($$SELECT sage_submit(pg_temp.cfg(), NULL::bytea, 't.csv')$$),
	($$SELECT sage_submit(pg_temp.cfg(), '\x01'::bytea, '')$$),
	($$SELECT sage_submit(pg_temp.cfg(), '\x01'::bytea, 't.csv', placement => 'x')$$),
	($$SELECT sage_submit(pg_temp.cfg(), '\x01'::bytea, 't.csv', placement => 'lambda')$$),
	($$SELECT sage_submit(pg_temp.cfg(), '\x01'::bytea, 't.csv', max_attempts => -1)$$),
	($$SELECT sage_submit(pg_temp.cfg(), '\x01'::bytea, 't.csv', options => '"x"')$$),
	($$SELECT sage_submit('sage_yaml: [', '\x01'::bytea, 't.csv')$$),
	($$SELECT sage_submit(pg_temp.cfg(), ARRAY['\x01'::bytea], ARRAY[]::text[])$$),
	($$SELECT sage_submit(pg_temp.cfg(), ARRAY['\x01'::bytea, '\x01'], ARRAY['a', 'a'])$$),
	($$SELECT sage_submit_batch(pg_temp.cfg(), ARRAY[NULL::bytea], ARRAY['a'])$$),
	($$SELECT sage_check_config(NULL)$$),
	($$SELECT sage_check_config('x: [')$$),
	($$SELECT sage_cancel(NULL)$$),
	($$SELECT sage_cancel(gen_random_uuid())$$),
	($$SELECT sage_retry(gen_random_uuid())$$),
	($$SELECT sage_result(gen_random_uuid())$$),
	($$SELECT sage_file(gen_random_uuid(), 'x')$$),
	($$SELECT sage._complete(gen_random_uuid(), 1, 'maybe')$$),
	($$SELECT sage._complete(NULL, 1, 'retry')$$),
	($$SELECT sage._cancel_at_commit(gen_random_uuid())$$),
	($$SELECT sage_submit(pg_temp.cfg(), '\x01'::bytea, 't.csv', placement => NULL)$$)
) v(q);
