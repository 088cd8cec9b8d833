/*-------------------------------------------------------------------------
 *
 * sage--1.0.sql
 *		Objects of the sage extension, version 1.0: the execution table and
 *		its files (schema sage), the SQL API callable unqualified right
 *		after CREATE EXTENSION (sage_submit, sage_cancel, sage_retry,
 *		sage_result, sage_file, ...), the internal functions the background
 *		workers call, the operator views, grants and row-level security.
 *
 * States of an execution:
 *
 *	pending -> running -> succeeded | failed
 *	pending -> dispatched -> running (AWS Lambda)
 *	running -> pending (transient failure, run_after = now() + backoff)
 *	        -> dead    (transient failure with no attempt left)
 *	any non-final state -> cancelled
 *
 * Every claim increments attempt, the fencing token: every write of a
 * result is conditional on (id, attempt, state = 'running').
 *
 *-------------------------------------------------------------------------
 */

\echo Use "CREATE EXTENSION sage" to load this file. \quit

CREATE SCHEMA sage;
COMMENT ON SCHEMA sage IS 'SAGE data validation: executions, their files and operator views';

/* ------------------------------------------------------------- tables */

CREATE TABLE sage.executions (
	id uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
	state text NOT NULL DEFAULT 'pending'
		CHECK (state IN ('pending', 'dispatched', 'running', 'succeeded',
						 'failed', 'dead', 'cancelled')),
	attempt integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
	attempt_base integer NOT NULL DEFAULT 0 CHECK (attempt_base >= 0),
	max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts BETWEEN 1 AND 1000),
	config text NOT NULL,
	package text,
	options jsonb NOT NULL DEFAULT '{}'
		CHECK (pg_catalog.jsonb_typeof(options) = 'object'),
	priority integer NOT NULL DEFAULT 0,
	placement text NOT NULL DEFAULT 'auto'
		CHECK (placement IN ('auto', 'local', 'lambda')),
	"where" text CHECK ("where" IN ('local', 'lambda')),
	where_reason text,
	run_after timestamptz NOT NULL DEFAULT pg_catalog.now(),
	lease_until timestamptz,
	worker_pid integer,
	submitted_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	started_at timestamptz,
	finished_at timestamptz,
	records bigint,
	errors bigint,
	warnings bigint,
	rows_with_errors bigint,
	success_rate numeric(5,2),
	status text CHECK (status IN ('Éxito', 'Parcial', 'Fallido')),
	last_error text,
	owner regrole NOT NULL DEFAULT pg_catalog.quote_ident(current_user)::pg_catalog.regrole,
	casilla_id bigint,
	emisor_id text,
	metodo_envio text,
	billed_ms bigint CHECK (billed_ms >= 0),
	memory_mb integer CHECK (memory_mb > 0),
	architecture text CHECK (architecture IN ('x86_64', 'arm64'))
);

COMMENT ON TABLE sage.executions IS 'One row per submitted SAGE execution: its state, attempts, placement, timestamps and validation counts';
COMMENT ON COLUMN sage.executions.state IS 'pending, dispatched, running, succeeded (processed; the validation status may still be Fallido), failed (could not be processed), dead (out of attempts after transient failures) or cancelled';
COMMENT ON COLUMN sage.executions.attempt IS 'Fencing token: incremented at every claim; every result write is conditional on it';
COMMENT ON COLUMN sage.executions.attempt_base IS 'Value of attempt at the last sage_retry; the execution is dead once attempt - attempt_base reaches max_attempts';
COMMENT ON COLUMN sage.executions.max_attempts IS 'Attempts allowed before a transiently failing execution becomes dead';
COMMENT ON COLUMN sage.executions.config IS 'SAGE YAML configuration, validated at submit';
COMMENT ON COLUMN sage.executions.package IS 'Package or catalog key to apply, or NULL to detect it from the file';
COMMENT ON COLUMN sage.executions.options IS 'Free-form submit options (a JSON object)';
COMMENT ON COLUMN sage.executions.priority IS 'Lower values are claimed first; ties in submit order';
COMMENT ON COLUMN sage.executions.placement IS 'Requested placement: auto, local or lambda';
COMMENT ON COLUMN sage.executions."where" IS 'Where the latest attempt ran: local or lambda';
COMMENT ON COLUMN sage.executions.where_reason IS 'Why the latest attempt ran where it did';
COMMENT ON COLUMN sage.executions.run_after IS 'Not claimed before this time (retry backoff)';
COMMENT ON COLUMN sage.executions.lease_until IS 'A running execution whose lease passes without renewal is rescued';
COMMENT ON COLUMN sage.executions.worker_pid IS 'Process id of the worker of the latest attempt';
COMMENT ON COLUMN sage.executions.records IS 'Data records read';
COMMENT ON COLUMN sage.executions.errors IS 'Findings of severity error';
COMMENT ON COLUMN sage.executions.warnings IS 'Findings of severity warning';
COMMENT ON COLUMN sage.executions.rows_with_errors IS 'Records with at least one record-level error';
COMMENT ON COLUMN sage.executions.success_rate IS 'Percentage of records without errors';
COMMENT ON COLUMN sage.executions.status IS 'Validation status: Éxito, Parcial or Fallido';
COMMENT ON COLUMN sage.executions.last_error IS 'Why the latest attempt failed, if it did';
COMMENT ON COLUMN sage.executions.owner IS 'Role that submitted the execution; only it (and superusers) can see it';
COMMENT ON COLUMN sage.executions.casilla_id IS 'SAGE mailbox (casilla) of the submission';
COMMENT ON COLUMN sage.executions.emisor_id IS 'SAGE sender (emisor) of the submission';
COMMENT ON COLUMN sage.executions.metodo_envio IS 'SAGE submission method (metodo_envio)';
COMMENT ON COLUMN sage.executions.billed_ms IS 'Billed duration of the latest attempt in milliseconds: Lambda''s billed duration, or for local attempts finished_at - started_at';
COMMENT ON COLUMN sage.executions.memory_mb IS 'Memory of the Lambda function that ran the latest attempt (MB); NULL for local attempts';
COMMENT ON COLUMN sage.executions.architecture IS 'Architecture of the Lambda function that ran the latest attempt (x86_64 or arm64); NULL for local attempts';

/* The claim: the first pending execution in (priority, submit) order. */
CREATE INDEX executions_claim_idx ON sage.executions (priority, submitted_at)
	WHERE state = 'pending';
/* The next retry deadline, for the launcher's wait. */
CREATE INDEX executions_run_after_idx ON sage.executions (run_after)
	WHERE state = 'pending';
/* The lease rescuer. */
CREATE INDEX executions_lease_idx ON sage.executions (lease_until)
	WHERE state IN ('running', 'dispatched');
/* Retention. */
CREATE INDEX executions_finished_idx ON sage.executions (finished_at)
	WHERE state IN ('succeeded', 'failed', 'dead', 'cancelled');

CREATE TABLE sage.execution_files (
	execution_id uuid NOT NULL,
	role text NOT NULL CHECK (role IN ('in', 'out')),
	name text NOT NULL CHECK (name <> ''),
	ordinal integer NOT NULL,
	size bigint NOT NULL CHECK (size >= 0),
	sha256 bytea,
	storage text NOT NULL DEFAULT 'bytea' CHECK (storage IN ('bytea', 's3')),
	content bytea,
	uri text,
	PRIMARY KEY (execution_id, role, name),
	CHECK (storage <> 'bytea' OR content IS NOT NULL),
	CHECK (storage <> 's3' OR uri IS NOT NULL)
);

COMMENT ON TABLE sage.execution_files IS 'Input files (role in) and outputs (role out) of executions';
COMMENT ON COLUMN sage.execution_files.role IS 'in: a submitted file; out: an output of the processor';
COMMENT ON COLUMN sage.execution_files.name IS 'File name (inputs: as submitted; outputs: report.json, output.log, ...)';
COMMENT ON COLUMN sage.execution_files.ordinal IS 'Position of the file among the files of its role';
COMMENT ON COLUMN sage.execution_files.size IS 'Size in bytes';
COMMENT ON COLUMN sage.execution_files.sha256 IS 'SHA-256 of the content';
COMMENT ON COLUMN sage.execution_files.storage IS 'bytea (content holds the file) or s3 (uri names the object)';
COMMENT ON COLUMN sage.execution_files.content IS 'The file, when storage is bytea';
COMMENT ON COLUMN sage.execution_files.uri IS 'The object, when storage is s3';

/*
 * Referential integrity of execution_files.execution_id, enforced once per
 * statement instead of by a foreign key: a foreign key runs one query per
 * inserted row, which was the largest single cost of sage_submit_batch.
 * The same guarantees: the executions named by inserted (or updated) files
 * must exist, and are locked FOR KEY SHARE as a foreign key locks them, so
 * that a concurrent delete waits or fails; deleting (or truncating)
 * executions deletes their files; an execution id never changes. The
 * functions are SECURITY DEFINER, like the foreign key's queries, which
 * run as the table owner: row-level security must not hide the rows they
 * check or delete. The check probes executions_pkey once per file (nested
 * loop): a hash join read the whole executions table for every batch.
 */
CREATE FUNCTION sage._files_check_executions()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
DECLARE
	missing uuid;
BEGIN
	/* executions created by this transaction are invisible to others: no lock needed */
	PERFORM 1 FROM sage.executions e
	WHERE e.id IN (SELECT n.execution_id FROM new_files n)
	  AND e.xmin <> xid(pg_current_xact_id())
	FOR KEY SHARE OF e;
	SELECT n.execution_id INTO missing FROM new_files n
	WHERE NOT EXISTS (SELECT 1 FROM sage.executions e WHERE e.id = n.execution_id)
	LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'insert or update on table "execution_files" violates foreign key constraint "execution_files_execution_id_fkey"'
			USING ERRCODE = 'foreign_key_violation',
				  DETAIL = format('Key (execution_id)=(%s) is not present in table "executions".', missing);
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION sage._files_check_executions() IS 'Internal: the files a statement inserted or updated must belong to existing executions (a foreign key checked per statement)';

CREATE TRIGGER execution_files_insert_fkey AFTER INSERT ON sage.execution_files
	REFERENCING NEW TABLE AS new_files
	FOR EACH STATEMENT EXECUTE FUNCTION sage._files_check_executions();
CREATE TRIGGER execution_files_update_fkey AFTER UPDATE ON sage.execution_files
	REFERENCING NEW TABLE AS new_files
	FOR EACH STATEMENT EXECUTE FUNCTION sage._files_check_executions();

CREATE FUNCTION sage._executions_delete_files()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP = 'TRUNCATE' THEN
		TRUNCATE sage.execution_files;
	ELSE
		DELETE FROM sage.execution_files f
		USING old_executions o WHERE f.execution_id = o.id;
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION sage._executions_delete_files() IS 'Internal: deleting executions deletes their files (ON DELETE CASCADE, per statement)';

CREATE TRIGGER executions_delete_files AFTER DELETE ON sage.executions
	REFERENCING OLD TABLE AS old_executions
	FOR EACH STATEMENT EXECUTE FUNCTION sage._executions_delete_files();
CREATE TRIGGER executions_truncate_files AFTER TRUNCATE ON sage.executions
	FOR EACH STATEMENT EXECUTE FUNCTION sage._executions_delete_files();

CREATE FUNCTION sage._executions_keep_id()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RAISE EXCEPTION 'the id of an execution cannot change'
		USING ERRCODE = 'foreign_key_violation',
			  DETAIL = format('Execution %s has files.', OLD.id);
END
$$;
COMMENT ON FUNCTION sage._executions_keep_id() IS 'Internal: files refer to executions by id, which therefore never changes';

CREATE TRIGGER executions_keep_id BEFORE UPDATE OF id ON sage.executions
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
	EXECUTE FUNCTION sage._executions_keep_id();

/* ------------------------------------------------ row-level security */

ALTER TABLE sage.executions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sage.execution_files ENABLE ROW LEVEL SECURITY;

CREATE POLICY executions_owner ON sage.executions
	USING (owner = (SELECT pg_catalog.quote_ident(current_user)::pg_catalog.regrole))
	WITH CHECK (owner = (SELECT pg_catalog.quote_ident(current_user)::pg_catalog.regrole));
COMMENT ON POLICY executions_owner ON sage.executions IS 'A role sees and changes only the executions it submitted';

CREATE POLICY execution_files_owner ON sage.execution_files
	USING (EXISTS (SELECT 1 FROM sage.executions e WHERE e.id = execution_id));
COMMENT ON POLICY execution_files_owner ON sage.execution_files IS 'Files follow the visibility of their execution';

/* ------------------------------------------------- internal functions */

CREATE FUNCTION sage._wake_at_commit()
RETURNS void
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'sage_wake_at_commit';
COMMENT ON FUNCTION sage._wake_at_commit() IS 'Internal: wake the launcher and idle workers when the current transaction commits';

CREATE FUNCTION sage._cancel_at_commit(id uuid)
RETURNS void
LANGUAGE c STRICT VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'sage_cancel_at_commit';
COMMENT ON FUNCTION sage._cancel_at_commit(uuid) IS 'Internal: signal the worker running a cancelled execution when the current transaction commits';

CREATE FUNCTION sage._claim()
RETURNS TABLE (id uuid, attempt integer)
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'sage_claim';
COMMENT ON FUNCTION sage._claim() IS 'Internal: take a local worker slot and claim the next pending execution (what the workers run)';

CREATE FUNCTION sage._complete(id uuid, attempt integer, outcome text,
	records bigint DEFAULT NULL, errors bigint DEFAULT NULL,
	warnings bigint DEFAULT NULL, rows_with_errors bigint DEFAULT NULL,
	success_rate numeric DEFAULT NULL, status text DEFAULT NULL,
	last_error text DEFAULT NULL)
RETURNS boolean
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'sage_complete';
COMMENT ON FUNCTION sage._complete(uuid, integer, text, bigint, bigint, bigint, bigint, numeric, text, text) IS 'Internal: record the end of an attempt (succeeded, failed or retry), only if that attempt still holds the execution';

CREATE FUNCTION sage._retry_delay(attempt integer)
RETURNS interval
LANGUAGE sql VOLATILE PARALLEL SAFE
AS $$
	SELECT least(
		pg_catalog.current_setting('sage.retry_cap')::interval,
		pg_catalog.current_setting('sage.retry_base')::interval
			* pg_catalog.power(2, least(greatest($1 - 1, 0), 30)))
		* (0.5 + pg_catalog.random() * 0.5)
$$;
COMMENT ON FUNCTION sage._retry_delay(integer) IS 'Internal: exponential backoff with jitter after a failed attempt (sage.retry_base doubled per attempt, capped by sage.retry_cap)';

CREATE FUNCTION sage._rescue(live uuid[], only_expired boolean, batch integer)
RETURNS integer
LANGUAGE sql VOLATILE
AS $$
	WITH victims AS (
		SELECT e.id FROM sage.executions e
		WHERE e.state = 'running' AND e."where" = 'local'
		  AND e.id <> ALL ($1)
		  AND (NOT $2 OR e.lease_until < pg_catalog.now())
		ORDER BY e.lease_until
		LIMIT $3
		FOR UPDATE SKIP LOCKED),
	done AS (
		UPDATE sage.executions e
		SET state = CASE WHEN e.attempt - e.attempt_base >= e.max_attempts
						 THEN 'dead' ELSE 'pending' END,
			run_after = pg_catalog.now() + sage._retry_delay(e.attempt),
			finished_at = CASE WHEN e.attempt - e.attempt_base >= e.max_attempts
							   THEN pg_catalog.now() END,
			lease_until = NULL,
			last_error = CASE WHEN $2 THEN 'the lease of attempt ' || e.attempt || ' expired'
							  ELSE 'attempt ' || e.attempt || ' was interrupted by a server restart' END
		FROM victims v WHERE e.id = v.id
		RETURNING 1)
	SELECT pg_catalog.count(*)::integer FROM done
$$;
COMMENT ON FUNCTION sage._rescue(uuid[], boolean, integer) IS 'Internal: return local executions left running (by a server restart, or whose lease expired) to pending, or to dead when out of attempts';

CREATE FUNCTION sage._renew_leases(ids uuid[], attempts integer[])
RETURNS integer
LANGUAGE sql VOLATILE
AS $$
	WITH done AS (
		UPDATE sage.executions e
		SET lease_until = pg_catalog.now() + pg_catalog.current_setting('sage.lease')::interval
		FROM unnest($1, $2) AS l(id, attempt)
		WHERE e.id = l.id AND e.attempt = l.attempt AND e.state = 'running'
		RETURNING 1)
	SELECT pg_catalog.count(*)::integer FROM done
$$;
COMMENT ON FUNCTION sage._renew_leases(uuid[], integer[]) IS 'Internal: extend the leases of the executions that live local workers hold';

CREATE FUNCTION sage._purge(batch integer)
RETURNS integer
LANGUAGE sql VOLATILE
AS $$
	WITH victims AS (
		SELECT e.id FROM sage.executions e
		WHERE e.state IN ('succeeded', 'failed', 'dead', 'cancelled')
		  AND e.finished_at < pg_catalog.now()
			  - pg_catalog.current_setting('sage.retention')::interval
		ORDER BY e.finished_at
		LIMIT $1
		FOR UPDATE SKIP LOCKED),
	done AS (
		DELETE FROM sage.executions e USING victims v WHERE e.id = v.id
		RETURNING 1)
	SELECT pg_catalog.count(*)::integer FROM done
$$;
COMMENT ON FUNCTION sage._purge(integer) IS 'Internal: delete up to batch finished executions older than sage.retention, with their files';

CREATE FUNCTION sage._progress(
	OUT pid integer, OUT execution_id uuid, OUT attempt integer,
	OUT records bigint, OUT bytes bigint, OUT started_at timestamptz)
RETURNS SETOF record
LANGUAGE c VOLATILE PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'sage_progress';
COMMENT ON FUNCTION sage._progress() IS 'Internal: progress of the executions local workers are processing, from shared memory';

CREATE FUNCTION sage._workers(
	OUT backend_type text, OUT slot integer, OUT pid integer,
	OUT state text, OUT execution_id uuid, OUT attempt integer,
	OUT since timestamptz)
RETURNS SETOF record
LANGUAGE c VOLATILE PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'sage_workers';
COMMENT ON FUNCTION sage._workers() IS 'Internal: the launcher and the local worker slots, from shared memory';

/* ------------------------------------------------------------ the API */

CREATE FUNCTION @extschema@.sage_check_config(config text)
RETURNS boolean
LANGUAGE c VOLATILE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'sage_check_config';
COMMENT ON FUNCTION @extschema@.sage_check_config(text) IS 'Validate a SAGE YAML configuration as sage_submit does: true, or an error naming each problem';

CREATE FUNCTION @extschema@.sage_submit(
	config text, files bytea[], filenames text[],
	package text DEFAULT NULL, priority integer DEFAULT 0,
	placement text DEFAULT 'auto', max_attempts integer DEFAULT NULL,
	casilla_id bigint DEFAULT NULL, emisor_id text DEFAULT NULL,
	metodo_envio text DEFAULT NULL, options jsonb DEFAULT '{}')
RETURNS uuid
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n integer;
	eid uuid := gen_random_uuid();
BEGIN
	PERFORM sage._wake_at_commit();
	IF files IS NULL OR filenames IS NULL THEN
		RAISE EXCEPTION 'files and file names must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	n := coalesce(array_length(files, 1), 0);
	IF n = 0 THEN
		RAISE EXCEPTION 'at least one file is required'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF array_ndims(files) <> 1 OR array_ndims(filenames) <> 1 THEN
		RAISE EXCEPTION 'files and file names must be one-dimensional arrays'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF coalesce(array_length(filenames, 1), 0) <> n THEN
		RAISE EXCEPTION 'got % files but % file names', n, coalesce(array_length(filenames, 1), 0)
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass one name per file, in the same order.';
	END IF;
	FOR i IN 1 .. n LOOP
		IF files[i] IS NULL THEN
			RAISE EXCEPTION 'file % must not be null', i
				USING ERRCODE = 'null_value_not_allowed';
		END IF;
		IF filenames[i] IS NULL OR filenames[i] = '' THEN
			RAISE EXCEPTION 'name of file % must not be null or empty', i
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
		FOR j IN 1 .. i - 1 LOOP
			IF filenames[j] = filenames[i] THEN
				RAISE EXCEPTION 'file name "%" is given twice', filenames[i]
					USING ERRCODE = 'invalid_parameter_value';
			END IF;
		END LOOP;
	END LOOP;
	PERFORM sage._check_submit_options(config, package, priority, placement,
									   max_attempts, options);

	INSERT INTO sage.executions (id, config, package, options, priority,
								 placement, max_attempts, casilla_id,
								 emisor_id, metodo_envio)
	VALUES (eid, config, package, options, priority, placement,
			coalesce(max_attempts, current_setting('sage.max_attempts')::integer),
			casilla_id, emisor_id, metodo_envio);
	INSERT INTO sage.execution_files (execution_id, role, name, ordinal, size,
									  sha256, content)
	SELECT eid, 'in', u.name, u.ord, length(u.f), sha256(u.f), u.f
	FROM unnest(files, filenames) WITH ORDINALITY AS u(f, name, ord);
	RETURN eid;
END
$$;
COMMENT ON FUNCTION @extschema@.sage_submit(text, bytea[], text[], text, integer, text, integer, bigint, text, text, jsonb) IS 'Submit one execution of several named files (a ZIP package split in parts, for example); returns its id';

CREATE FUNCTION @extschema@.sage_submit(
	config text, file bytea, filename text,
	package text DEFAULT NULL, priority integer DEFAULT 0,
	placement text DEFAULT 'auto', max_attempts integer DEFAULT NULL,
	casilla_id bigint DEFAULT NULL, emisor_id text DEFAULT NULL,
	metodo_envio text DEFAULT NULL, options jsonb DEFAULT '{}')
RETURNS uuid
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'sage_submit_one';
COMMENT ON FUNCTION @extschema@.sage_submit(text, bytea, text, text, integer, text, integer, bigint, text, text, jsonb) IS 'Submit one execution of one file under a SAGE YAML configuration; returns its id';

CREATE FUNCTION @extschema@.sage_submit_batch(
	config text, files bytea[], filenames text[],
	package text DEFAULT NULL, priority integer DEFAULT 0,
	placement text DEFAULT 'auto', max_attempts integer DEFAULT NULL,
	casilla_id bigint DEFAULT NULL, emisor_id text DEFAULT NULL,
	metodo_envio text DEFAULT NULL, options jsonb DEFAULT '{}')
RETURNS SETOF uuid
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'sage_submit_batch';
COMMENT ON FUNCTION @extschema@.sage_submit_batch(text, bytea[], text[], text, integer, text, integer, bigint, text, text, jsonb) IS 'Submit many executions in one call, one per file, all under the same configuration and options; returns their ids in file order';

CREATE FUNCTION sage._check_submit_options(config text, package text,
	priority integer, placement text, max_attempts integer, options jsonb)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF config IS NULL THEN
		RAISE EXCEPTION 'configuration must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF priority IS NULL THEN
		RAISE EXCEPTION 'priority must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF placement IS NULL THEN
		RAISE EXCEPTION 'placement must not be null'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Valid placements are "auto", "local" and "lambda".';
	END IF;
	IF placement NOT IN ('auto', 'local', 'lambda') THEN
		RAISE EXCEPTION 'invalid placement "%"', placement
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Valid placements are "auto", "local" and "lambda".';
	END IF;
	IF placement = 'lambda'
	   AND coalesce(current_setting('sage.lambda_function', true), '') = '' THEN
		RAISE EXCEPTION 'cannot place an execution on AWS Lambda'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'AWS Lambda is not configured on this server.',
				  HINT = 'Submit with placement "auto" or "local".';
	END IF;
	IF max_attempts IS NOT NULL AND (max_attempts < 1 OR max_attempts > 1000) THEN
		RAISE EXCEPTION 'max_attempts must be between 1 and 1000'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF options IS NULL OR jsonb_typeof(options) <> 'object' THEN
		RAISE EXCEPTION 'options must be a JSON object'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF package = '' THEN
		RAISE EXCEPTION 'package must not be empty'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass NULL to detect the package from the file.';
	END IF;
	PERFORM @extschema@.sage_check_config(config);
END
$$;
COMMENT ON FUNCTION sage._check_submit_options(text, text, integer, text, integer, jsonb) IS 'Internal: the argument checks shared by the sage_submit functions, configuration included';

CREATE FUNCTION @extschema@.sage_cancel(id uuid)
RETURNS boolean
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	prev text;
BEGIN
	IF id IS NULL THEN
		RAISE EXCEPTION 'execution id must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	SELECT e.state INTO prev FROM sage.executions e
	WHERE e.id = sage_cancel.id FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'execution % does not exist', id
			USING ERRCODE = 'undefined_object';
	END IF;
	IF prev = 'cancelled' THEN
		RETURN false;
	END IF;
	IF prev IN ('succeeded', 'failed', 'dead') THEN
		RAISE EXCEPTION 'cannot cancel execution %', id
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = format('The execution has already finished with state %s.', prev);
	END IF;
	UPDATE sage.executions e
	SET state = 'cancelled', finished_at = now(), lease_until = NULL,
		last_error = format('cancelled by %s', current_user)
	WHERE e.id = sage_cancel.id;
	IF prev IN ('running', 'dispatched') THEN
		PERFORM sage._cancel_at_commit(id);
	END IF;
	RETURN true;
END
$$;
COMMENT ON FUNCTION @extschema@.sage_cancel(uuid) IS 'Cancel a pending or running execution (a running worker stops within a second of the commit); false when it was already cancelled';

CREATE FUNCTION @extschema@.sage_retry(id uuid)
RETURNS boolean
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	prev text;
BEGIN
	IF id IS NULL THEN
		RAISE EXCEPTION 'execution id must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	PERFORM sage._wake_at_commit();
	SELECT e.state INTO prev FROM sage.executions e
	WHERE e.id = sage_retry.id FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'execution % does not exist', id
			USING ERRCODE = 'undefined_object';
	END IF;
	IF prev NOT IN ('failed', 'dead', 'cancelled') THEN
		RAISE EXCEPTION 'cannot retry execution %', id
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = format('Its state is %s.', prev),
				  HINT = 'Only failed, dead or cancelled executions can be retried.';
	END IF;
	UPDATE sage.executions e
	SET state = 'pending', run_after = now(), attempt_base = e.attempt,
		lease_until = NULL, started_at = NULL, finished_at = NULL,
		"where" = NULL, where_reason = NULL, worker_pid = NULL,
		records = NULL, errors = NULL, warnings = NULL,
		rows_with_errors = NULL, success_rate = NULL, status = NULL,
		last_error = NULL
	WHERE e.id = sage_retry.id;
	DELETE FROM sage.execution_files f
	WHERE f.execution_id = sage_retry.id AND f.role = 'out';
	RETURN true;
END
$$;
COMMENT ON FUNCTION @extschema@.sage_retry(uuid) IS 'Run a failed, dead or cancelled execution again, with a fresh allowance of attempts';

CREATE FUNCTION @extschema@.sage_result(id uuid,
	OUT state text, OUT attempt integer, OUT "where" text,
	OUT submitted_at timestamptz, OUT started_at timestamptz,
	OUT finished_at timestamptz, OUT records bigint, OUT errors bigint,
	OUT warnings bigint, OUT rows_with_errors bigint,
	OUT success_rate numeric, OUT status text, OUT last_error text,
	OUT outputs text[], OUT report jsonb)
RETURNS record
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	IF id IS NULL THEN
		RAISE EXCEPTION 'execution id must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	SELECT e.state, e.attempt, e."where", e.submitted_at, e.started_at,
		   e.finished_at, e.records, e.errors, e.warnings, e.rows_with_errors,
		   e.success_rate, e.status, e.last_error,
		   (SELECT array_agg(f.name ORDER BY f.ordinal) FROM sage.execution_files f
			WHERE f.execution_id = e.id AND f.role = 'out'),
		   (SELECT convert_from(coalesce(f.content, CASE WHEN f.storage = 's3'
									 THEN sage._file_s3(e.id, f.name) END), 'UTF8')::jsonb
			FROM sage.execution_files f
			WHERE f.execution_id = e.id AND f.role = 'out' AND f.name = 'report.json')
	INTO state, attempt, "where", submitted_at, started_at, finished_at,
		 records, errors, warnings, rows_with_errors, success_rate, status,
		 last_error, outputs, report
	FROM sage.executions e WHERE e.id = sage_result.id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'execution % does not exist', sage_result.id
			USING ERRCODE = 'undefined_object';
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.sage_result(uuid) IS 'State, counts, validation status, output names and report.json of an execution';

CREATE FUNCTION @extschema@.sage_file(id uuid, name text)
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	result bytea;
	stored text;
	st text;
	available text;
BEGIN
	IF id IS NULL OR name IS NULL THEN
		RAISE EXCEPTION 'execution id and file name must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	SELECT e.state INTO st FROM sage.executions e WHERE e.id = sage_file.id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'execution % does not exist', sage_file.id
			USING ERRCODE = 'undefined_object';
	END IF;
	SELECT f.content, f.storage INTO result, stored FROM sage.execution_files f
	WHERE f.execution_id = sage_file.id AND f.name = sage_file.name
	ORDER BY f.role = 'out' DESC LIMIT 1;
	IF NOT FOUND THEN
		SELECT string_agg(format('"%s"', f.name), ', ' ORDER BY f.role DESC, f.ordinal)
		INTO available FROM sage.execution_files f
		WHERE f.execution_id = sage_file.id;
		RAISE EXCEPTION 'file "%" of execution % does not exist', sage_file.name, sage_file.id
			USING ERRCODE = 'undefined_object',
				  DETAIL = CASE WHEN available IS NULL
								THEN format('The execution has no files (state %s).', st)
								ELSE format('Its files are %s.', available) END;
	END IF;
	IF result IS NULL AND stored = 's3' THEN
		RETURN sage._file_s3(sage_file.id, sage_file.name);
	END IF;
	IF result IS NULL THEN
		RAISE EXCEPTION 'file "%" of execution % is not stored in the database', sage_file.name, sage_file.id
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	RETURN result;
END
$$;
COMMENT ON FUNCTION @extschema@.sage_file(uuid, text) IS 'Content of a file of an execution: an output (report.json, output.log, failures.csv, ...) or, failing that, a submitted input; read from S3 when it is stored there';

CREATE FUNCTION @extschema@.sage_files(id uuid,
	OUT role text, OUT name text, OUT size bigint, OUT sha256 text,
	OUT uri text)
RETURNS SETOF record
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT f.role, f.name, f.size, encode(f.sha256, 'hex'), f.uri
	FROM sage.execution_files f
	WHERE f.execution_id = $1
	ORDER BY f.role, f.ordinal
$$;
COMMENT ON FUNCTION @extschema@.sage_files(uuid) IS 'Inputs and outputs of an execution, with their sizes, SHA-256 and, for files stored in S3, their s3:// uri';

/* -------------------------------------------------------------- views */

CREATE VIEW sage.progress WITH (security_invoker = true) AS
	SELECT p.execution_id, e.owner, p.pid, p.attempt, e.records AS records_total,
		   p.records AS records_done, p.bytes AS bytes_done, t.bytes_total,
		   p.started_at, pg_catalog.now() - p.started_at AS elapsed,
		   pg_catalog.round(100.0 * LEAST(p.bytes, t.bytes_total)
				/ nullif(t.bytes_total, 0), 2) AS percent_bytes,
		   pg_catalog.round(100.0 * LEAST(p.records, e.records)
				/ nullif(e.records, 0), 2) AS percent_records,
		   pg_catalog.round(p.records / s.seconds, 1) AS records_per_second,
		   pg_catalog.round(p.bytes / s.seconds) AS bytes_per_second,
		   CASE WHEN p.bytes > 0 AND t.bytes_total >= p.bytes
				THEN (t.bytes_total - p.bytes) * (s.seconds / p.bytes)
					 * interval '1 second' END AS eta
	FROM sage._progress() p
	JOIN sage.executions e ON e.id = p.execution_id AND e.attempt = p.attempt
	CROSS JOIN LATERAL (
		SELECT pg_catalog.sum(f.size)::bigint AS bytes_total
		FROM sage.execution_files f
		WHERE f.execution_id = e.id AND f.role = 'in') t
	CROSS JOIN LATERAL (
		SELECT GREATEST(0.001, EXTRACT(epoch FROM
				pg_catalog.clock_timestamp() - p.started_at)) AS seconds) s;
COMMENT ON VIEW sage.progress IS 'Executions local workers are processing now: records and bytes done, percentage of the input bytes (and of the records, when an earlier attempt counted them), rates since the attempt started and the time left at that rate (from shared memory)';

CREATE VIEW sage.workers AS
	SELECT w.backend_type, w.slot, w.pid, w.state, w.execution_id, w.attempt,
		   w.since, a.backend_start, a.wait_event_type, a.wait_event
	FROM sage._workers() w
	LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = w.pid;
COMMENT ON VIEW sage.workers IS 'The sage launcher and local worker slots: state, execution and wait event';

CREATE VIEW sage.stats WITH (security_invoker = true) AS
	WITH e AS (SELECT * FROM sage.executions),
	fin AS (
		SELECT e.state, e.finished_at - e.started_at AS duration
		FROM e WHERE e.state IN ('succeeded', 'failed', 'dead')
		  AND e.started_at IS NOT NULL)
	SELECT
		(SELECT pg_catalog.count(*) FROM e) AS total,
		(SELECT pg_catalog.count(*) FROM e WHERE e.state = 'pending') AS pending,
		(SELECT pg_catalog.count(*) FROM e WHERE e.state IN ('running', 'dispatched')) AS running,
		(SELECT pg_catalog.count(*) FROM e WHERE e.state = 'succeeded') AS succeeded,
		(SELECT pg_catalog.count(*) FROM e WHERE e.state = 'failed') AS failed,
		(SELECT pg_catalog.count(*) FROM e WHERE e.state = 'dead') AS dead,
		(SELECT pg_catalog.count(*) FROM e WHERE e.state = 'cancelled') AS cancelled,
		(SELECT pg_catalog.count(*) FROM e WHERE e."where" = 'local') AS local,
		(SELECT pg_catalog.count(*) FROM e WHERE e."where" = 'lambda') AS lambda,
		(SELECT pg_catalog.round(100.0 * pg_catalog.count(*) FILTER (WHERE fin.state = 'succeeded')
				/ nullif(pg_catalog.count(*), 0), 2) FROM fin) AS success_rate,
		(SELECT pg_catalog.avg(fin.duration) FROM fin) AS mean_duration,
		(SELECT pg_catalog.percentile_cont(0.95) WITHIN GROUP (ORDER BY fin.duration) FROM fin) AS p95_duration,
		(SELECT pg_catalog.now() - pg_catalog.min(e.submitted_at) FROM e WHERE e.state = 'pending') AS oldest_pending_age,
		(SELECT pg_catalog.count(*) FROM (
			SELECT e.state FROM e
			WHERE e.state IN ('succeeded', 'failed', 'dead')
			  AND e.finished_at > coalesce((SELECT pg_catalog.max(s.finished_at) FROM e s
											WHERE s.state = 'succeeded'), '-infinity')) c
		) AS consecutive_failures;
COMMENT ON VIEW sage.stats IS 'Counts by state and placement, success rate (succeeded among finished), mean and p95 duration, oldest pending age and failures since the last success';

/* ------------------------------------------------------------- grants */

GRANT USAGE ON SCHEMA sage TO PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA sage FROM PUBLIC;
GRANT SELECT, DELETE ON sage.executions, sage.execution_files TO PUBLIC;
GRANT INSERT (id, config, package, options, priority, placement, max_attempts,
			  casilla_id, emisor_id, metodo_envio)
	ON sage.executions TO PUBLIC;
GRANT UPDATE (state, run_after, attempt_base, lease_until, started_at,
			  finished_at, "where", where_reason, worker_pid, records, errors,
			  warnings, rows_with_errors, success_rate, status, last_error)
	ON sage.executions TO PUBLIC;
GRANT INSERT (execution_id, role, name, ordinal, size, sha256, content)
	ON sage.execution_files TO PUBLIC;
GRANT SELECT ON sage.progress, sage.stats, sage.workers TO PUBLIC;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA sage FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sage._wake_at_commit(), sage._cancel_at_commit(uuid),
	sage._check_submit_options(text, text, integer, text, integer, jsonb),
	sage._retry_delay(integer), sage._progress(), sage._workers()
	TO PUBLIC;

REVOKE ALL ON FUNCTION
	@extschema@.sage_check_config(text),
	@extschema@.sage_submit(text, bytea, text, text, integer, text, integer, bigint, text, text, jsonb),
	@extschema@.sage_submit(text, bytea[], text[], text, integer, text, integer, bigint, text, text, jsonb),
	@extschema@.sage_submit_batch(text, bytea[], text[], text, integer, text, integer, bigint, text, text, jsonb),
	@extschema@.sage_cancel(uuid), @extschema@.sage_retry(uuid),
	@extschema@.sage_result(uuid), @extschema@.sage_file(uuid, text),
	@extschema@.sage_files(uuid)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	@extschema@.sage_check_config(text),
	@extschema@.sage_submit(text, bytea, text, text, integer, text, integer, bigint, text, text, jsonb),
	@extschema@.sage_submit(text, bytea[], text[], text, integer, text, integer, bigint, text, text, jsonb),
	@extschema@.sage_submit_batch(text, bytea[], text[], text, integer, text, integer, bigint, text, text, jsonb),
	@extschema@.sage_cancel(uuid), @extschema@.sage_retry(uuid),
	@extschema@.sage_result(uuid), @extschema@.sage_file(uuid, text),
	@extschema@.sage_files(uuid)
	TO PUBLIC;

/* ---- observability: cost, progress, notifications, dashboard ---- */

/*
 * Completion notifications. The trigger fires only when a row's state
 * becomes final (the WHEN clause is evaluated without entering PL/pgSQL,
 * and is false when sage.notify_channel is empty), so whoever completes
 * an execution (a local worker, the Lambda reconciler, sage_cancel, the
 * rescue of an exhausted execution) notifies in that same transaction,
 * and listeners hear of it only if it commits. Submits insert rows and
 * retries move them back to pending: neither notifies.
 */
CREATE FUNCTION sage._notify_done()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
	PERFORM pg_catalog.pg_notify(
		pg_catalog.current_setting('sage.notify_channel'),
		pg_catalog.json_build_object('id', NEW.id, 'state', NEW.state,
			'status', NEW.status, 'where', NEW."where",
			'attempt', NEW.attempt)::text);
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION sage._notify_done() IS 'Internal: notify sage.notify_channel with {id, state, status, where, attempt} when an execution reaches a final state';

CREATE TRIGGER executions_notify_done AFTER UPDATE OF state ON sage.executions
	FOR EACH ROW
	WHEN (NEW.state IN ('succeeded', 'failed', 'dead', 'cancelled')
		  AND OLD.state IS DISTINCT FROM NEW.state
		  AND pg_catalog.current_setting('sage.notify_channel', true) <> '')
	EXECUTE FUNCTION sage._notify_done();

/*
 * Estimated cost per day (UTC, by finished_at) and place. Each finished
 * execution counts its latest attempt: Lambda attempts cost their billed
 * duration times their memory at the price of their architecture (x86_64
 * when unknown), plus one request; local attempts show their processing
 * seconds but 0 GB-seconds and 0 cost, as the host is paid for anyway.
 * Lambda executions whose billed duration or memory is unknown are
 * counted in unpriced and left out of the GB-seconds.
 */
CREATE VIEW sage.cost_daily WITH (security_invoker = true) AS
	SELECT d.day, d."where", d.executions, d.succeeded, d.billed_seconds,
		   d.gb_seconds, d.requests, d.unpriced,
		   pg_catalog.round((d.cost_gb_seconds
				+ d.requests * pg_catalog.current_setting('sage.lambda_price_request')::float8
				)::numeric, 8) AS estimated_cost
	FROM (
		SELECT (e.finished_at AT TIME ZONE 'UTC')::date AS day, e."where",
			   pg_catalog.count(*) AS executions,
			   pg_catalog.count(*) FILTER (WHERE e.state = 'succeeded') AS succeeded,
			   pg_catalog.round(pg_catalog.sum(e.billed_ms) / 1000.0, 3) AS billed_seconds,
			   CASE WHEN e."where" = 'lambda'
					THEN coalesce(pg_catalog.round(pg_catalog.sum(
						e.billed_ms / 1000.0 * e.memory_mb / 1024.0), 3), 0)
					ELSE 0 END AS gb_seconds,
			   CASE WHEN e."where" = 'lambda' THEN pg_catalog.count(*) ELSE 0 END AS requests,
			   pg_catalog.count(*) FILTER (WHERE e."where" = 'lambda'
				   AND (e.billed_ms IS NULL OR e.memory_mb IS NULL)) AS unpriced,
			   CASE WHEN e."where" = 'lambda'
					THEN coalesce(pg_catalog.sum(e.billed_ms / 1000.0 * e.memory_mb / 1024.0
						* CASE e.architecture
							WHEN 'arm64' THEN pg_catalog.current_setting('sage.lambda_price_gb_second_arm64')::float8
							ELSE pg_catalog.current_setting('sage.lambda_price_gb_second_x86')::float8 END), 0)
					ELSE 0 END AS cost_gb_seconds
		FROM sage.executions e
		WHERE e.finished_at IS NOT NULL AND e."where" IS NOT NULL
		GROUP BY 1, 2) d;
COMMENT ON VIEW sage.cost_daily IS 'Per day (UTC) and place (local or lambda): finished executions, billed seconds, Lambda GB-seconds (billed_ms/1000 x memory_mb/1024; 0 for local), requests and estimated cost (GB-seconds x sage.lambda_price_gb_second_x86 or _arm64 + requests x sage.lambda_price_request; 0 for local); unpriced counts Lambda executions without billed duration or memory';

CREATE FUNCTION @extschema@.sage_dashboard_html()
RETURNS text
LANGUAGE c VOLATILE PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'sage_dashboard_html';
COMMENT ON FUNCTION @extschema@.sage_dashboard_html() IS 'A self-contained HTML page (inline SVG, no external resources) of the executions the caller can see: throughput, local vs Lambda, success rate, duration percentiles, daily cost, the slowest and the failing executions';

GRANT SELECT ON sage.cost_daily TO PUBLIC;
REVOKE ALL ON FUNCTION sage._notify_done(), @extschema@.sage_dashboard_html() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.sage_dashboard_html() TO PUBLIC;

/* ---- storage and lock backends ---- */

/*
 * The S3 side of sage_file. It reads the file's row itself, under the
 * caller's row-level security, and fetches only the uri written there by
 * the extension: granting it to PUBLIC lets nobody read an object that
 * sage_file would not show them.
 */
CREATE FUNCTION sage._file_s3(id uuid, name text)
RETURNS bytea
LANGUAGE c STRICT VOLATILE PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'sage_file_s3';
COMMENT ON FUNCTION sage._file_s3(uuid, text) IS 'Internal: content of a file of an execution stored in S3 (an output first), fetched with the server''s S3 settings';
REVOKE ALL ON FUNCTION sage._file_s3(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sage._file_s3(uuid, text) TO PUBLIC;

/* ---- Lambda offload: dispatcher and reconciler ---- */

/*
 * Where executions ran and why. The dispatcher records its offload
 * decision on every execution it sends to Lambda ("queue 12 > 3",
 * "cpu 91% > 80%", "sage.offload = always", "lambda requested at
 * submit"); local workers record theirs ("local worker free", "local
 * requested at submit"), or keep the fallback reason when Lambda was
 * unavailable ("fallback to local: lambda unavailable: ..."). Reasons
 * that carry numbers are grouped by their kind (queue, cpu), with the
 * latest full reason as an example.
 */
CREATE VIEW sage.offload_reasons WITH (security_invoker = true) AS
	SELECT r."where", r.reason, pg_catalog.count(*) AS executions,
		   pg_catalog.count(*) FILTER (WHERE r.state IN ('running', 'dispatched')) AS in_flight,
		   pg_catalog.count(*) FILTER (WHERE r.state = 'pending') AS pending,
		   pg_catalog.count(*) FILTER (WHERE r.state = 'succeeded') AS succeeded,
		   pg_catalog.count(*) FILTER (WHERE r.state IN ('failed', 'dead')) AS failed,
		   (pg_catalog.array_agg(r.where_reason ORDER BY r.started_at DESC NULLS LAST))[1] AS latest
	FROM (SELECT e."where", e.state, e.started_at, e.where_reason,
				 CASE WHEN e.where_reason LIKE 'queue %' THEN 'queue'
					  WHEN e.where_reason LIKE 'cpu %' THEN 'cpu'
					  WHEN e.where_reason LIKE 'fallback to local:%' THEN 'fallback to local'
					  WHEN e.where_reason LIKE 'lambda unavailable, retrying:%' THEN 'lambda unavailable'
					  ELSE e.where_reason END AS reason
		  FROM sage.executions e
		  WHERE e.where_reason IS NOT NULL) r
	GROUP BY r."where", r.reason;
COMMENT ON VIEW sage.offload_reasons IS 'Executions by place (local, lambda, or none yet after a fallback) and reason of the placement: queue (pending over sage.offload_queue_threshold), cpu (over sage.offload_cpu_percent), sage.offload = always, requested at submit, local worker free, fallback to local (Lambda unavailable), with counts by state and the latest full reason';
COMMENT ON COLUMN sage.executions.attempt_base IS 'Attempts not counted against max_attempts: the value of attempt at the last sage_retry, plus one for each dispatch Lambda refused or never received (throttling, 5xx, network); the execution is dead once attempt - attempt_base reaches max_attempts';

GRANT SELECT ON sage.offload_reasons TO PUBLIC;

/* The launcher waits for the extension; tell it the extension is here. */
SELECT sage._wake_at_commit();
