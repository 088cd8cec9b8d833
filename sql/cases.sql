--
-- cases: every acceptance case of test/data/cases through sage_submit,
-- compared with expected.json and with sage-validate's report.json
--
\set SHOW_CONTEXT never
\set casedir `pwd`/test/data/cases
\set cli `pg_config --bindir`/sage-validate
SET sage_test.casedir = :'casedir';
SET sage_test.cli = :'cli';

CREATE TEMP TABLE cases AS
SELECT name, pg_read_file(:'casedir' || '/' || name || '/config.yaml') AS config,
	   pg_read_file(:'casedir' || '/' || name || '/expected.json')::jsonb AS expected
FROM pg_ls_dir(:'casedir') AS name
WHERE name <> 'README.md';
ALTER TABLE cases ADD COLUMN id uuid, ADD COLUMN submit_error text;

-- submit each; configurations the cases reject must be refused at submit
DO $$
DECLARE
	c record;
	d text := current_setting('sage_test.casedir');
BEGIN
	FOR c IN SELECT * FROM cases ORDER BY name LOOP
		BEGIN
			UPDATE cases SET id = sage_submit(c.config,
				pg_read_binary_file(d || '/' || c.name || '/' || (c.expected ->> 'data')),
				c.expected ->> 'data')
			WHERE name = c.name;
		EXCEPTION WHEN OTHERS THEN
			UPDATE cases SET submit_error = SQLSTATE WHERE name = c.name;
		END;
	END LOOP;
END
$$;
SELECT name, submit_error, pg_stat_file(expected ->> 'marker', true) IS NULL AS no_marker
FROM cases WHERE (expected ->> 'config_rejected')::boolean ORDER BY name;
DO $$
DECLARE
	deadline timestamptz := clock_timestamp() + interval '60 s';
BEGIN
	WHILE EXISTS (SELECT 1 FROM sage.executions e JOIN cases c ON c.id = e.id
				  WHERE e.state NOT IN ('succeeded', 'failed', 'dead', 'cancelled'))
		  AND clock_timestamp() < deadline LOOP
		PERFORM pg_sleep(0.05);
	END LOOP;
END
$$;

-- the findings of a report as [file, line, check, subject]
CREATE FUNCTION pg_temp.findings(report jsonb) RETURNS jsonb LANGUAGE sql AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_array(f -> 'file', f -> 'line', f -> 'check',
		CASE WHEN f ->> 'check' IN ('field_rule', 'row_rule', 'catalog_rule', 'package_rule', 'rule_error')
			 THEN f -> 'rule'
			 WHEN f ->> 'check' IN ('type', 'required', 'unique', 'column_missing', 'column_extra')
			 THEN f -> 'field'
			 ELSE 'null' END)
		ORDER BY f ->> 'file', (f ->> 'line')::bigint, f ->> 'check', f::text), '[]')
	FROM jsonb_array_elements(report -> 'validation' -> 'failures') f
$$;
CREATE FUNCTION pg_temp.sorted(a jsonb) RETURNS jsonb LANGUAGE sql AS $$
	SELECT coalesce(jsonb_agg(x ORDER BY x ->> 0, (x ->> 1)::bigint, x ->> 2, x::text), '[]')
	FROM jsonb_array_elements(a) x
$$;

-- every processed case: state, summary, per-file statistics and findings
SELECT c.name, r.state = c.expected ->> 'outcome' AS outcome_ok,
	   (SELECT bool_and(r.report -> 'summary' -> k = c.expected -> 'summary' -> k)
		FROM jsonb_object_keys(c.expected -> 'summary') k) AS summary_ok,
	   (SELECT bool_and(r.report -> 'files' -> 'statistics' -> f -> k = c.expected -> 'files' -> f -> k)
		FROM jsonb_object_keys(c.expected -> 'files') f,
			 LATERAL jsonb_object_keys(c.expected -> 'files' -> f) k) AS files_ok,
	   pg_temp.findings(r.report) = pg_temp.sorted(c.expected -> 'failures') AS failures_ok,
	   r.records = (c.expected -> 'summary' ->> 'total_records')::bigint AS records_ok,
	   r.status = c.expected -> 'summary' ->> 'status' AS status_ok
FROM cases c, LATERAL sage_result(c.id) r
WHERE c.id IS NOT NULL
ORDER BY c.name;

-- the same report.json as sage-validate (apart from ids and times)
CREATE TEMP TABLE cli (name text, report text);
DO $$
DECLARE
	c record;
	d text := current_setting('sage_test.casedir');
	cli text := current_setting('sage_test.cli');
	out text;
BEGIN
	FOR c IN SELECT * FROM cases WHERE id IS NOT NULL ORDER BY name LOOP
		out := '/tmp/sage_cases_' || pg_backend_pid() || '_' || c.name;
		EXECUTE format('COPY cli (report) FROM PROGRAM %L',
			format('rm -rf %s; %s %s %s --out %s >/dev/null 2>&1; base64 -w0 %s/report.json; rm -rf %s',
				   out, cli, d || '/' || c.name || '/config.yaml',
				   d || '/' || c.name || '/' || (c.expected ->> 'data'), out, out, out));
		UPDATE cli SET name = c.name WHERE name IS NULL;
	END LOOP;
END
$$;
SELECT c.name,
	   (r.report - 'execution_info' - 'events') =
	   (convert_from(decode(cli.report, 'base64'), 'UTF8')::jsonb - 'execution_info' - 'events') AS same_report
FROM cases c LEFT JOIN cli USING (name), LATERAL sage_result(c.id) r
WHERE c.id IS NOT NULL
ORDER BY c.name;
