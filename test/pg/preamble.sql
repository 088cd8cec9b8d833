\set SHOW_CONTEXT never
-- helpers: a small configuration and a bounded wait for final states
CREATE FUNCTION pg_temp.cfg() RETURNS text LANGUAGE sql AS $cfg$
SELECT $y$sage_yaml:
  name: "prueba"
  description: "prueba de la extension"
  version: "1.0.0"
  author: "QA"
catalogs:
  t:
    name: "T"
    description: "tabla de prueba"
    filename: "t.csv"
    file_format:
      type: "CSV"
      delimiter: ","
      header: true
    fields:
      - name: "a"
        type: "entero"
        required: true
      - name: "b"
        type: "texto"
packages: {}
$y$
$cfg$;
CREATE FUNCTION pg_temp.wait_for(ids uuid[]) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	deadline timestamptz := clock_timestamp() + interval '30 s';
	n integer;
BEGIN
	LOOP
		SELECT count(*) INTO n FROM sage.executions
		WHERE id = ANY (ids)
		  AND state NOT IN ('succeeded', 'failed', 'dead', 'cancelled');
		IF n = 0 THEN
			RETURN 'done';
		END IF;
		IF clock_timestamp() > deadline THEN
			RETURN format('timeout: %s not finished', n);
		END IF;
		PERFORM pg_sleep(0.05);
	END LOOP;
END
$$;
-- runs q and shows its error (SQLSTATE, message, detail, hint) with ids masked
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	msg text;
	det text;
	hin text;
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hin = PG_EXCEPTION_HINT;
	RETURN regexp_replace(SQLSTATE || ' ' || msg
						  || CASE WHEN det <> '' THEN E'\nDETAIL: ' || det ELSE '' END
						  || CASE WHEN hin <> '' THEN E'\nHINT: ' || hin ELSE '' END,
						  '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<id>', 'g');
END
$$;
