# t/002_sigterm.pl
#	SIGTERM: a busy worker and the launcher each end within 1 s; the
#	execution the worker held is rescued at once and run again; the
#	launcher comes back; backend_type names the roles.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

my $node = PostgreSQL::Test::Cluster->new('sigterm');
$node->init;
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'sage'
sage.database = 'postgres'
sage.retry_base = '100ms'
max_worker_processes = 16
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION sage');

# waits until pid is gone; returns the seconds it took (or undef)
sub gone_after
{
	my ($pid, $start) = @_;
	while (time - $start < 10)
	{
		return time - $start unless kill 0, $pid;
		usleep(10_000);
	}
	return undef;
}

my $launcher;
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'sage launcher'"),
	'backend_type "sage launcher"');
$launcher = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'sage launcher'");

my $big = $node->safe_psql('postgres', q{
	SELECT sage_submit($y$sage_yaml:
  name: "s"
  description: "s"
  version: "1"
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
packages: {}
$y$, convert_to('a' || E'\n' || repeat(E'1\n', 12000000), 'UTF8'), 't.csv')});
ok( $node->poll_query_until('postgres',
		"SELECT count(*) > 0 FROM sage.progress WHERE execution_id = '$big' AND records_done > 0"),
	'a worker is processing');
my $worker = $node->safe_psql('postgres',
	"SELECT pid FROM sage.progress WHERE execution_id = '$big'");
is( $node->safe_psql('postgres', "SELECT backend_type FROM pg_stat_activity WHERE pid = $worker"),
	'sage worker', 'backend_type "sage worker"');
# the activity is refreshed every 500 ms while processing: poll, not one look
ok( $node->poll_query_until('postgres',
		"SELECT query ~ 'processing execution $big' FROM pg_stat_activity WHERE pid = $worker"),
	'pg_stat_activity shows the execution');

my $start = time;
kill 'TERM', $worker;
my $took = gone_after($worker, $start);
ok(defined $took && $took < 1,
	'a busy worker ends within 1 s of SIGTERM (' . (defined $took ? sprintf('%.3f s', $took) : 'never') . ')');

# rescued without waiting for the lease, and processed again
ok( $node->poll_query_until('postgres',
		"SELECT state = 'succeeded' AND attempt = 2 FROM sage.executions WHERE id = '$big'"),
	'the execution is run again with attempt 2 and succeeds');

$start = time;
kill 'TERM', $launcher;
$took = gone_after($launcher, $start);
ok(defined $took && $took < 1,
	'the launcher ends within 1 s of SIGTERM (' . (defined $took ? sprintf('%.3f s', $took) : 'never') . ')');
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'sage launcher' AND pid <> $launcher"),
	'the launcher is restarted');

# idle workers end within 1 s too
my @idle = split /\n/, $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'sage worker'");
$start = time;
kill 'TERM', $_ for @idle;
my $all = 1;
for my $p (@idle)
{
	my $t = gone_after($p, $start);
	$all = 0 unless defined $t && $t < 1;
}
ok($all, 'idle workers end within 1 s of SIGTERM (' . scalar(@idle) . ')');

$node->stop('fast');
done_testing();
