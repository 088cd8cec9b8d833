--
-- comments: every object of the extension has a COMMENT, every function
-- an explicit grant, and the API is callable unqualified
--
SELECT pg_describe_object(d.classid, d.objid, 0) AS uncommented
FROM pg_depend d
WHERE d.refclassid = 'pg_extension'::regclass
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'sage')
  AND d.deptype = 'e'
  AND obj_description(d.objid, d.classid::regclass::name) IS NULL
ORDER BY 1;

-- functions: security invoker, and who may run them
SELECT p.oid::regprocedure AS function, p.prosecdef AS definer,
	   has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'sage')
ORDER BY p.oid::regprocedure::text;

-- policies
SELECT tablename, policyname, cmd FROM pg_policies WHERE schemaname = 'sage' ORDER BY 1, 2;
SELECT relname, relrowsecurity FROM pg_class WHERE relnamespace = 'sage'::regnamespace AND relkind = 'r' ORDER BY 1;
