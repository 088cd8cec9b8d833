# t/020_metrics_cloudwatch.pl
#	sage.metrics = cloudwatch: the launcher sends the metrics of finished
#	executions to CloudWatch (moto) with the names of the Lambda
#	bootstrap's EMF lines (Invocations, Succeeded, Records, Errors,
#	DurationMs) and the dimension Where = local; the counts equal the
#	executions; an unreachable endpoint is logged, at most once per
#	interval, the launcher keeps running, and the window is sent once
#	CloudWatch is back.
#
#	Needs SAGE_TEST_MOTO_ENDPOINT (test/services/with_moto.sh or
#	with_aws_services.sh); fails without it. Uses a namespace of its own
#	so a shared moto holds nothing of it yet.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use HTTP::Tiny;
use IO::Socket::INET;
use POSIX qw(strftime);
use Time::HiRes qw(time usleep);
use FindBin;
use lib $FindBin::Bin;
use SageTestServices;

my $cw = $ENV{SAGE_TEST_MOTO_ENDPOINT};
ok(defined $cw, 'SAGE_TEST_MOTO_ENDPOINT is set')
  or BAIL_OUT('run under test/services/with_moto.sh or with_aws_services.sh');

my $namespace = sprintf('SAGE-t020-%d-%d', $$, int(time));
my $http = HTTP::Tiny->new(timeout => 30);

# one CloudWatch query-protocol call (moto does not check signatures)
sub cloudwatch
{
	my (%params) = @_;
	$params{Version} = '2010-08-01';
	my $r = $http->post_form("$cw/", \%params, {
		headers => { 'Authorization' => 'AWS4-HMAC-SHA256 Credential=AKIDSAGETEST/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=00' } });
	die "CloudWatch $params{Action}: $r->{status} $r->{content}" unless $r->{success};
	return $r->{content};
}

# "name Where=value" of every metric of the namespace
sub metric_names
{
	my $xml = cloudwatch(Action => 'ListMetrics', Namespace => $namespace);
	my @names;
	while ($xml =~ m{<member><Namespace>[^<]*</Namespace><MetricName>([^<]+)</MetricName><Dimensions>(.*?)</Dimensions></member>}g)
	{
		my ($name, $dims) = ($1, $2);
		my @d;
		push @d, "$1=$2" while $dims =~ m{<Name>([^<]+)</Name><Value>([^<]*)</Value>}g;
		push @names, join(' ', $name, @d);
	}
	return sort @names;
}

# Sum (or SampleCount) of a metric with Where = local over the last day
sub stat_local
{
	my ($metric, $stat) = @_;
	my $fmt = '%Y-%m-%dT%H:%M:%SZ';
	my $xml = cloudwatch(Action => 'GetMetricStatistics', Namespace => $namespace,
		MetricName => $metric,
		StartTime => strftime($fmt, gmtime(time - 86400)),
		EndTime => strftime($fmt, gmtime(time + 3600)),
		Period => 86400 * 2, 'Statistics.member.1' => $stat,
		'Dimensions.member.1.Name' => 'Where',
		'Dimensions.member.1.Value' => 'local');
	my $sum = 0;
	$sum += $1 while $xml =~ m{<$stat>([0-9.eE+-]+)</$stat>}g;
	return $sum;
}

my $node = sage_node('metrics', qq{
sage.max_local_executions = 2
sage.aws_region = 'us-east-1'
sage.cloudwatch_endpoint = '$cw'
sage.aws_access_key_id = 'AKIDSAGETEST'
sage.aws_secret_access_key = 'sage-test-secret'
sage.metrics = 'cloudwatch'
sage.metrics_namespace = '$namespace'
sage.metrics_interval = '1s'
});

my $config = q{sage_yaml:
  name: "metrics"
  description: "metrics"
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
        required: true
packages: {}
};

# submits n executions of data; returns their count
sub submit
{
	my ($n, $data) = @_;
	$node->safe_psql('postgres', qq{
SELECT sage_submit(\$c\$$config\$c\$, convert_to(\$d\$$data\$d\$, 'UTF8'), 't.csv')
FROM generate_series(1, $n)});
	return $n;
}

sub wait_final
{
	return $node->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM sage.executions "
		  . "WHERE state NOT IN ('succeeded', 'failed', 'dead', 'cancelled')");
}

# polls CloudWatch until cond returns true (up to secs)
sub wait_for
{
	my ($cond, $secs) = @_;
	my $deadline = time + ($secs // 60);
	while (time < $deadline)
	{
		return 1 if $cond->();
		usleep(500_000);
	}
	return 0;
}

# ------------------------------------------------------------------
# 1. finished executions arrive with the bootstrap's names
# ------------------------------------------------------------------
submit(3, "a\n1\n2\n");
submit(2, "a\nx\n3\n");
ok(wait_final(), 'five executions finished');
my ($finished, $succeeded, $records, $errors) = split /\|/, $node->safe_psql('postgres',
	"SELECT count(*), count(*) FILTER (WHERE state = 'succeeded'), sum(records), sum(errors) "
	  . "FROM sage.executions WHERE state IN ('succeeded', 'failed', 'dead')");
is($finished, 5, 'five executions are finished');

my @expected = map { "$_ Where=local" } qw(DurationMs Errors Invocations Records Succeeded);
ok(wait_for(sub { join(',', metric_names()) eq join(',', @expected) }, 60),
	'the metrics arrive under the namespace with the names of the EMF lines and Where=local')
  or diag('metrics: ' . join(', ', metric_names()));
ok(wait_for(sub { stat_local('Invocations', 'Sum') == $finished }, 20),
	'Invocations sums the finished executions')
  or diag('Invocations: ' . stat_local('Invocations', 'Sum'));
is(stat_local('Succeeded', 'Sum'), $succeeded, 'Succeeded sums the succeeded ones');
is(stat_local('Records', 'Sum'), $records, 'Records sums their records');
is(stat_local('Errors', 'Sum'), $errors, 'Errors sums their error findings');
is(stat_local('DurationMs', 'SampleCount'), $finished, 'one DurationMs value per execution');

# ------------------------------------------------------------------
# 2. CloudWatch unreachable: logged once per interval, nothing lost
# ------------------------------------------------------------------
my $sock = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1)
  or die "socket: $!";
my $closed = $sock->sockport;
close $sock;
my $launcher = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'sage launcher'");
my $log_offset = -s $node->logfile;
$node->safe_psql('postgres', "ALTER SYSTEM SET sage.cloudwatch_endpoint = 'http://127.0.0.1:$closed'");
$node->safe_psql('postgres', "ALTER SYSTEM SET sage.metrics_interval = '2s'");
$node->reload;
sleep 1;
submit(1, "a\n4\n");
ok(wait_final(), 'one more execution finished');
my $start = time;
ok(wait_for(sub {
			slurp_file($node->logfile, $log_offset) =~ /could not send metrics to CloudWatch/ }, 40),
	'the failed push is logged');
sleep 6;
my $elapsed = time - $start + 20;    # the execution may have waited up to the lag
my @lines = (slurp_file($node->logfile, $log_offset) =~ /could not send metrics to CloudWatch/g);
cmp_ok(scalar(@lines), '<=', int($elapsed / 2) + 1, 'at most one log line per interval');
is( $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'sage launcher'"),
	$launcher, 'the launcher keeps running');

$node->safe_psql('postgres', "ALTER SYSTEM SET sage.cloudwatch_endpoint = '$cw'");
$node->reload;
ok(wait_for(sub { stat_local('Invocations', 'Sum') == $finished + 1 }, 40),
	'the window that failed is sent once CloudWatch is back')
  or diag('Invocations: ' . stat_local('Invocations', 'Sum'));

# ------------------------------------------------------------------
# 3. off: nothing more is sent
# ------------------------------------------------------------------
$node->safe_psql('postgres', "ALTER SYSTEM SET sage.metrics = 'off'");
$node->reload;
sleep 1;
submit(1, "a\n5\n");
ok(wait_final(), 'an execution finished with metrics off');
sleep 14;
is(stat_local('Invocations', 'Sum'), $finished + 1, 'nothing is sent when sage.metrics is off');

$node->stop;
done_testing();
