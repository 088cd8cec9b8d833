--
-- views: sage.stats, sage.progress, sage.workers
--
\i test/pg/preamble.sql

SELECT sage_submit(pg_temp.cfg(), convert_to(E'a,b\n1,x\n', 'UTF8'), 't.csv') AS id \gset
SELECT pg_temp.wait_for(ARRAY[:'id'::uuid]);

-- the columns of each view
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace = 'sage'::regnamespace AND c.relkind = 'v'
  AND a.attnum > 0 ORDER BY c.relname, a.attnum;

-- stats count what the earlier tests left
SELECT total = pending + running + succeeded + failed + dead + cancelled AS consistent,
	   succeeded > 0 AS some_succeeded, local >= succeeded AS local_ok,
	   lambda, success_rate BETWEEN 0 AND 100 AS rate_ok,
	   mean_duration >= interval '0' AS mean_ok, p95_duration >= mean_duration * 0 AS p95_ok
FROM sage.stats;

-- nothing is running now
SELECT count(*) FROM sage.progress;

-- the launcher and one row per slot
SELECT backend_type, slot, state IN ('running', 'free', 'idle', 'starting') AS known_state
FROM sage.workers ORDER BY slot NULLS FIRST;
SELECT count(*) FROM sage.workers w JOIN pg_stat_activity a USING (pid)
WHERE w.backend_type = 'sage launcher' AND a.backend_type = 'sage launcher';
SELECT DISTINCT a.backend_type FROM sage.workers w JOIN pg_stat_activity a USING (pid)
WHERE w.backend_type = 'sage worker';
