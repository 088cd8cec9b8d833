--
-- observe: cost columns, sage.cost_daily, sage.progress percentages and
-- rates, completion notifications, sage_dashboard_html(), their GUCs
--
\i test/pg/preamble.sql

-- the parameters, their defaults and their refusals
SELECT name, setting, unit, context, vartype, min_val, max_val
FROM pg_settings
WHERE name IN ('sage.lambda_price_gb_second_x86', 'sage.lambda_price_gb_second_arm64',
			   'sage.lambda_price_request', 'sage.metrics', 'sage.metrics_namespace',
			   'sage.metrics_interval', 'sage.notify_channel')
ORDER BY name;
SELECT enumvals FROM pg_settings WHERE name = 'sage.metrics';
SET sage.lambda_price_request = -1;
SET sage.lambda_price_gb_second_x86 = 2;
SET sage.lambda_price_gb_second_arm64 = 'cheap';
SET sage.metrics = 'prometheus';
SET sage.metrics = 'cloudwatch';
SET sage.notify_channel = 'elsewhere';
SET sage.metrics_interval = 0;
ALTER SYSTEM SET sage.notify_channel = 'a_channel_name_that_is_far_too_long_for_an_identifier_of_postgres';
ALTER SYSTEM SET sage.metrics_namespace = 'AWS/Lambda';
ALTER SYSTEM SET sage.metrics_namespace = '';
ALTER SYSTEM SET sage.metrics_interval = '2h';
ALTER SYSTEM RESET sage.metrics_interval;
SET sage.lambda_price_gb_second_x86 = 0.00002;
SHOW sage.lambda_price_gb_second_x86;
RESET sage.lambda_price_gb_second_x86;

-- the cost columns
SELECT a.attname, format_type(a.atttypid, a.atttypmod), col_description(a.attrelid, a.attnum) IS NOT NULL AS commented
FROM pg_attribute a
WHERE a.attrelid = 'sage.executions'::regclass
  AND a.attname IN ('billed_ms', 'memory_mb', 'architecture')
ORDER BY a.attnum;
\set VERBOSITY terse
INSERT INTO sage.executions (config, billed_ms) VALUES ('x', -1);
INSERT INTO sage.executions (config, memory_mb) VALUES ('x', 0);
INSERT INTO sage.executions (config, architecture) VALUES ('x', 'sparc');
\set VERBOSITY default

-- notifications arrive on a dblink connection listening to the channel
CREATE EXTENSION dblink;
SELECT dblink_connect('listener', format('dbname=%s host=%s port=%s',
	current_database(), split_part(current_setting('unix_socket_directories'), ',', 1),
	current_setting('port'))) AS connected;
SELECT dblink_exec('listener', 'LISTEN sage_execution_done');
-- the notifications of the listener, waiting up to 10 s for n of them
CREATE TEMP TABLE got (channel text, payload jsonb, at serial);
CREATE FUNCTION pg_temp.notes(n integer)
RETURNS TABLE (channel text, payload jsonb) LANGUAGE plpgsql AS $$
DECLARE
	deadline timestamptz := clock_timestamp() + interval '10 s';
BEGIN
	LOOP
		INSERT INTO got (channel, payload)
		SELECT g.notify_name, g.extra::jsonb FROM dblink_get_notify('listener') g;
		EXIT WHEN (SELECT count(*) FROM got) >= n OR clock_timestamp() > deadline;
		PERFORM pg_sleep(0.05);
	END LOOP;
	-- anything more than expected would show up here
	PERFORM pg_sleep(0.3);
	INSERT INTO got (channel, payload)
	SELECT g.notify_name, g.extra::jsonb FROM dblink_get_notify('listener') g;
	RETURN QUERY SELECT g.channel, g.payload FROM got g ORDER BY g.at;
	DELETE FROM got;
END
$$;

-- a processed execution: one notification, from the completing worker
SELECT sage_submit(pg_temp.cfg(), convert_to(E'a,b\n1,x\n2,y\n', 'UTF8'), 't.csv') AS done_id \gset
SELECT pg_temp.wait_for(ARRAY[:'done_id'::uuid]);
SELECT channel, payload->>'id' = :'done_id' AS same_id, payload - 'id' AS payload,
	   (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(payload) k) AS keys
FROM pg_temp.notes(1);
-- a local execution's billed duration is its processing time
SELECT state, "where", billed_ms >= 0 AS billed,
	   billed_ms <= ceil(1000 * extract(epoch FROM finished_at - started_at)) AS within,
	   memory_mb, architecture
FROM sage.executions WHERE id = :'done_id';

-- submitted and cancelled in one transaction: only the cancel notifies
BEGIN;
SELECT sage_submit(pg_temp.cfg(), convert_to(E'a,b\n1,x\n', 'UTF8'), 't.csv') AS cancel_id \gset
SELECT sage_cancel(:'cancel_id');
COMMIT;
SELECT channel, payload->>'id' = :'cancel_id' AS same_id, payload - 'id' AS payload
FROM pg_temp.notes(1);

-- a failing completion notifies too; a retry (back to pending) does not.
-- This session claims: idle workers hold every local slot until they
-- exit, so they are stopped first (nothing is pending to restart them)
SELECT count(pg_terminate_backend(pid)) >= 0 AS stopped FROM sage.workers
WHERE backend_type = 'sage worker' AND state = 'idle';
DO $$
DECLARE
	deadline timestamptz := clock_timestamp() + interval '10 s';
BEGIN
	WHILE EXISTS (SELECT 1 FROM sage.workers WHERE backend_type = 'sage worker'
				  AND state <> 'free') AND clock_timestamp() < deadline LOOP
		PERFORM pg_sleep(0.05);
	END LOOP;
END
$$;
BEGIN;
SELECT sage_submit(pg_temp.cfg(), convert_to(E'a,b\n1,x\n', 'UTF8'), 't.csv',
				   priority => -1000000, max_attempts => 2) AS claim_id \gset
SELECT attempt FROM sage._claim();
COMMIT;
-- sage.progress: percentages and rates of a claimed, not yet started execution
SELECT records_total, records_done, bytes_done, bytes_total, percent_bytes,
	   percent_records, records_per_second, bytes_per_second, eta
FROM sage.progress WHERE execution_id = :'claim_id';
SELECT sage._complete(:'claim_id', 1, 'retry', last_error => 'transient');
UPDATE sage.executions SET run_after = now() + interval '1 hour' WHERE id = :'claim_id';
SELECT * FROM pg_temp.notes(0);
UPDATE sage.executions SET state = 'dead', finished_at = now() WHERE id = :'claim_id';
SELECT channel, payload - 'id' AS payload FROM pg_temp.notes(1);

-- another channel, then none
ALTER SYSTEM SET sage.notify_channel = 'sage_other';
SELECT pg_reload_conf();
SELECT pg_sleep(0.2);
SHOW sage.notify_channel;
SELECT dblink_exec('listener', 'LISTEN sage_other');
BEGIN;
SELECT sage_submit(pg_temp.cfg(), convert_to(E'a,b\n1,x\n', 'UTF8'), 't.csv') AS other_id \gset
SELECT sage_cancel(:'other_id');
COMMIT;
SELECT channel, payload->>'state' AS state FROM pg_temp.notes(1);
ALTER SYSTEM SET sage.notify_channel = '';
SELECT pg_reload_conf();
SELECT pg_sleep(0.2);
BEGIN;
SELECT sage_submit(pg_temp.cfg(), convert_to(E'a,b\n1,x\n', 'UTF8'), 't.csv') AS quiet_id \gset
SELECT sage_cancel(:'quiet_id');
COMMIT;
SELECT * FROM pg_temp.notes(0);
ALTER SYSTEM RESET sage.notify_channel;
SELECT pg_reload_conf();
SELECT dblink_disconnect('listener');
DROP EXTENSION dblink;

-- sage.cost_daily on executions of known durations, on days of their own
INSERT INTO sage.executions (config, state, "where", started_at, finished_at,
							 billed_ms, memory_mb, architecture, options)
VALUES
	('x', 'succeeded', 'lambda', '2001-02-03 10:00Z', '2001-02-03 10:00:02Z', 2000, 2048, 'x86_64', '{"observe": true}'),
	('x', 'succeeded', 'lambda', '2001-02-03 11:00Z', '2001-02-03 11:00:01Z', 1000, 1024, 'arm64', '{"observe": true}'),
	('x', 'failed', 'lambda', '2001-02-03 12:00Z', '2001-02-03 12:00:01Z', NULL, NULL, NULL, '{"observe": true}'),
	('x', 'succeeded', 'local', '2001-02-03 13:00Z', '2001-02-03 13:00:03Z', 3000, NULL, NULL, '{"observe": true}'),
	('x', 'dead', 'local', '2001-02-04 23:59:59Z', '2001-02-04 23:59:59.5Z', 500, NULL, NULL, '{"observe": true}');
SELECT * FROM sage.cost_daily WHERE day < '2002-01-01' ORDER BY day, "where";
-- 4 GB-s x86 + 1 GB-s arm64 + 3 requests, by hand
SELECT round((4 * 0.0000166667 + 1 * 0.0000133334 + 3 * 0.0000002)::numeric, 8) AS by_hand;
SET sage.lambda_price_gb_second_x86 = 0.0001;
SET sage.lambda_price_request = 0;
SELECT day, "where", estimated_cost FROM sage.cost_daily WHERE day < '2002-01-01' ORDER BY day, "where";
RESET sage.lambda_price_gb_second_x86;
RESET sage.lambda_price_request;

-- the dashboard: a page that loads nothing, with the views' numbers
SELECT sage_dashboard_html() AS page \gset
SELECT left(:'page', 15) AS doctype, right(:'page', 15) AS ending,
	   :'page' !~* '(src|href)\s*=' AS loads_nothing,
	   :'page' !~* '<script' AS no_script,
	   (regexp_match(:'page', 'id="stat-total" data-value="([0-9]+)"'))[1]::bigint
		 = (SELECT total FROM sage.stats) AS total_matches,
	   (regexp_match(:'page', 'id="stat-success_rate" data-value="([0-9.]*)"'))[1]
		 = (SELECT coalesce(success_rate::text, '') FROM sage.stats) AS rate_matches,
	   (SELECT count(*) FROM regexp_matches(:'page', '<tr class="cost"', 'g'))
		 = (SELECT count(*) FROM sage.cost_daily
			WHERE day > (SELECT max(day) FROM sage.cost_daily) - 30) AS cost_rows_match,
	   :'page' ~ 'data-day="2001-02-03" data-where="lambda" data-executions="3" data-gb-seconds="5.000"' AS old_day_hidden;
-- text from the database is escaped
UPDATE sage.executions SET last_error = '<b>&"''</b>', finished_at = now()
WHERE options @> '{"observe": true}' AND state = 'dead';
SELECT position('&lt;b&gt;&amp;&quot;&#39;&lt;/b&gt;' IN sage_dashboard_html()) > 0 AS escaped,
	   position('<b>&"' IN sage_dashboard_html()) = 0 AS not_raw;
DELETE FROM sage.executions WHERE options @> '{"observe": true}';
