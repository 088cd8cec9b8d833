--
-- config: sage_check_config and configurations refused at submit
--
\i test/pg/preamble.sql

SELECT sage_check_config(pg_temp.cfg());
SELECT sage_check_config(NULL);
SELECT sage_check_config('');
SELECT sage_check_config('sage_yaml: [');
SELECT sage_check_config('catalogs: {}');
-- refused at submit, with the same message, and nothing is queued
SELECT count(*) AS before FROM sage.executions \gset
SELECT sage_submit('catalogs: {}', convert_to(E'a\n1\n', 'UTF8'), 't.csv');
SELECT count(*) = :before AS nothing_queued FROM sage.executions;
