# t/001_crash_restart.pl
#	kill -9 of a local worker in the middle of a large execution: the server
#	restarts, the execution is run again with attempt + 1 and finishes, no
#	submitted execution is lost, and workers are back within 2 s of the
#	server accepting connections.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'sage'
sage.database = 'postgres'
sage.retry_base = '100ms'
max_worker_processes = 16
restart_after_crash = on
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION sage');

my $cfg = q{sage_yaml:
  name: "crash"
  description: "crash test"
  version: "1.0.0"
  author: "QA"
catalogs:
  t:
    name: "T"
    description: "t"
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
};
$node->safe_psql('postgres',
	"CREATE TABLE cfg AS SELECT \$y\$$cfg\$y\$::text AS c");

# the large execution first, then small ones queued behind it
my $big = $node->safe_psql('postgres', q{
	SELECT sage_submit(c, convert_to('a,b' || E'\n' || repeat(E'1,x\n', 12000000), 'UTF8'), 't.csv')
	FROM cfg});
$node->safe_psql('postgres', q{
	SELECT sage_submit(c, convert_to(E'a,b\n1,x\n', 'UTF8'), 't.csv', priority => 1)
	FROM cfg, generate_series(1, 20)});

# wait until a worker is in the middle of it
ok( $node->poll_query_until('postgres',
		"SELECT count(*) > 0 FROM sage.progress WHERE execution_id = '$big' AND records_done > 0"),
	'the large execution is being processed');
my $pid = $node->safe_psql('postgres',
	"SELECT pid FROM sage.progress WHERE execution_id = '$big'");
my $type = $node->safe_psql('postgres',
	"SELECT backend_type FROM pg_stat_activity WHERE pid = $pid");
is($type, 'sage worker', 'it runs in a "sage worker" background worker');

my $log_offset = -s $node->logfile;
kill 'KILL', $pid;

# the postmaster restarts the cluster; measure from when it accepts connections
$node->poll_query_until('postgres', 'SELECT true') or die 'server did not come back';
my $accepting = time;
my $workers_back;
while (time - $accepting < 10)
{
	my $n = $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'sage worker'");
	if ($n > 0)
	{
		$workers_back = time - $accepting;
		last;
	}
	usleep(20_000);
}
ok(defined $workers_back && $workers_back < 2,
	'workers are back within 2 s of the server accepting connections ('
	  . (defined $workers_back ? sprintf('%.2f s', $workers_back) : 'never') . ')');
ok($node->log_contains('terminated by signal 9', $log_offset),
	'the worker was killed');
$node->wait_for_log(qr/interrupted by a server restart to pending/, $log_offset);
pass('the launcher rescued the interrupted execution');

# it finishes with the next attempt, and nothing submitted is lost
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM sage.executions WHERE state NOT IN ('succeeded', 'failed', 'dead', 'cancelled')"),
	'every execution finishes');
is( $node->safe_psql('postgres',
		"SELECT state || ' ' || attempt || ' ' || records FROM sage.executions WHERE id = '$big'"),
	'succeeded 2 12000000',
	'the large execution succeeded with attempt 2');
is( $node->safe_psql('postgres',
		"SELECT count(*) FILTER (WHERE state = 'succeeded') || '/' || count(*) FROM sage.executions"),
	'21/21', 'no submitted execution was lost');

$node->stop;
done_testing();
