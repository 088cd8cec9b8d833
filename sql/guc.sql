--
-- guc: every sage.* parameter with its unit, context and description
--
SELECT name, setting, unit, context, vartype, min_val, max_val, short_desc
FROM pg_settings WHERE name LIKE 'sage.%' ORDER BY name;

-- the prefix is reserved: a misspelt parameter is refused
SET sage.max_attempt = 3;
-- bounds and units
SET sage.max_attempts = 0;
SET sage.max_attempts = 5;
SHOW sage.max_attempts;
RESET sage.max_attempts;
SET sage.lease = '1min';
SET sage.max_local_executions = 5;
SHOW sage.retention;
SHOW sage.memory_limit;
