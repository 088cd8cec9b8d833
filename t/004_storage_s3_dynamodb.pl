# t/004_storage_s3_dynamodb.pl
#	sage.storage = s3 and sage.lock = dynamodb for local workers, against
#	moto (S3) and DynamoDB Local: the acceptance cases give the same
#	report.json as with bytea; inputs move to S3 once, outputs go under
#	attempt-<n>/ and are promoted; sage_file reads S3 (and says clearly
#	when the object is missing or access is denied); two servers sharing
#	the bucket and the lock table never both commit an execution; a
#	holder that takes the lock during a run makes the run's commit be
#	refused; a lock lost mid-run fails the attempt transiently and the
#	execution is retried.
#
#	Needs SAGE_TEST_MOTO_ENDPOINT and SAGE_TEST_DYNAMODB_ENDPOINT (from
#	test/services/with_aws_services.sh, or with_dynamodb.sh wrapping
#	with_moto.sh); fails without them. Creates the bucket sage-test and
#	the table sage_execution_locks when they do not exist yet.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use HTTP::Tiny;
use Cwd ();
use IO::Socket::INET;
use JSON::PP;
use Time::HiRes qw(time usleep);
use FindBin;
use lib $FindBin::Bin;
use SageTestServices;

my $s3 = $ENV{SAGE_TEST_MOTO_ENDPOINT};
my $ddb = $ENV{SAGE_TEST_DYNAMODB_ENDPOINT};
ok(defined $s3 && defined $ddb,
	'SAGE_TEST_MOTO_ENDPOINT and SAGE_TEST_DYNAMODB_ENDPOINT are set')
  or BAIL_OUT('run under test/services/with_aws_services.sh (moto and DynamoDB Local)');

my $bucket = 'sage-test';
my $table = 'sage_execution_locks';
# a prefix of this run's own, so a shared bucket holds nothing of ours yet
my $prefix = sprintf('t004-%d-%d/', $$, int(time));
my $http = HTTP::Tiny->new(timeout => 30);
my $json = JSON::PP->new->canonical;

# ------------------------------------------------------------ services

sub put_item
{
	my ($item) = @_;
	my ($st, $out) = ddb('PutItem', { TableName => $table, Item => $item });
	die "PutItem: $st " . encode_json($out) unless $st == 200;
}

sub s3_get
{
	my ($key) = @_;
	my $r = s3('GET', "$bucket/$key");
	return $r->{status} == 200 ? $r->{content} : undef;
}

my $r = s3('PUT', $bucket);
ok($r->{status} == 200 || $r->{status} == 409, "bucket $bucket exists ($r->{status})");
my ($st, $out) = ddb('CreateTable', { TableName => $table,
	AttributeDefinitions => [ { AttributeName => 'execution_id', AttributeType => 'S' } ],
	KeySchema => [ { AttributeName => 'execution_id', KeyType => 'HASH' } ],
	BillingMode => 'PAY_PER_REQUEST' });
ok($st == 200 || ($out->{__type} // '') =~ /ResourceInUse/, "table $table exists ($st)");

# ------------------------------------------------------------ clusters

my $aws_conf = qq{
sage.s3_bucket = '$bucket'
sage.s3_prefix = '$prefix'
sage.s3_endpoint = '$s3'
sage.dynamodb_endpoint = '$ddb'
sage.aws_region = 'us-east-1'
sage.aws_access_key_id = 'AKIDSAGETEST'
sage.aws_secret_access_key = 'sage-test-secret'
sage.lock_table = '$table'
sage.copy_outputs = off
};

sub new_node
{
	my ($name, $extra) = @_;
	return sage_node($name, qq{
sage.retry_base = '100ms'
$aws_conf
$extra
});
}

sub wait_final
{
	my ($node, $id) = @_;
	return $node->poll_query_until('postgres',
		"SELECT state IN ('succeeded', 'failed', 'dead', 'cancelled') FROM sage.executions WHERE id = '$id'");
}

# node A starts on the embedded default (bytea, advisory) for the reference run
my $a = new_node('store_a', "sage.lock_lease = '30s'");

# ------------------------------------------------- the acceptance cases

my $casedir = 'test/data/cases';
my @cases = sort grep { -d "$casedir/$_" } do { opendir(my $d, $casedir) or die; readdir($d) };
@cases = grep { !/^\./ } @cases;
ok(@cases >= 10, scalar(@cases) . ' acceptance cases');

# submits every case whose configuration is accepted; returns name => id
sub submit_cases
{
	my ($node) = @_;
	my %ids;
	for my $c (@cases)
	{
		my $exp = decode_json(slurp_file("$casedir/$c/expected.json"));
		next if $exp->{config_rejected};
		my $dir = Cwd::abs_path("$casedir/$c");
		my ($ret, $stdout, $stderr) = $node->psql('postgres',
			"SELECT sage_submit(pg_read_file('$dir/config.yaml'), "
			  . "pg_read_binary_file('$dir/$exp->{data}'), '$exp->{data}')");
		die "submit $c: $stderr" if $ret != 0;
		$ids{$c} = $stdout;
	}
	for my $c (sort keys %ids)
	{
		wait_final($node, $ids{$c}) or die "case $c did not finish";
	}
	return %ids;
}

# what must not differ between backends: state, output names, report.json
sub case_results
{
	my ($node, %ids) = @_;
	my %res;
	for my $c (sort keys %ids)
	{
		$res{$c} = $node->safe_psql('postgres', qq{
			SELECT e.state || ' ' || coalesce(e.status, '-') || ' '
				   || (SELECT string_agg(f.name, ',' ORDER BY f.ordinal) FROM sage.execution_files f
					   WHERE f.execution_id = e.id AND f.role = 'out') || ' '
				   || coalesce((SELECT (convert_from(sage_file(e.id, 'report.json'), 'UTF8')::jsonb
							  - 'execution_info' - 'events')::text
							 FROM sage.execution_files f
							 WHERE f.execution_id = e.id AND f.name = 'report.json'), 'no report')
			FROM sage.executions e WHERE e.id = '$ids{$c}'});
	}
	return %res;
}

my %bytea_ids = submit_cases($a);
my %bytea = case_results($a, %bytea_ids);
# the reference itself is right: each case ends as expected.json says, with a report
my @wrong = grep {
	my $exp = decode_json(slurp_file("$casedir/$_/expected.json"));
	$bytea{$_} !~ /^$exp->{outcome} / || $bytea{$_} =~ / no report$/
} sort keys %bytea;
is("@wrong", '', 'bytea run: every case ends as expected, with a report.json');
is($a->safe_psql('postgres',
		"SELECT count(*) FROM sage.execution_files WHERE storage = 's3'"), '0',
	'bytea run: nothing in S3');

# switch node A to S3 and DynamoDB
$a->append_conf('postgresql.conf', "sage.storage = 's3'\nsage.lock = 'dynamodb'\n");
$a->restart;
my %s3_ids = submit_cases($a);
my %s3res = case_results($a, %s3_ids);
is_deeply(\%s3res, \%bytea, 'storage s3 + lock dynamodb: same states, outputs and report.json as bytea');

# where the files are, for one case
my $id = $s3_ids{csv_header_basic};
is( $a->safe_psql('postgres', qq{
		SELECT bool_and(f.storage = 's3' AND f.content IS NULL
						AND f.uri = 's3://$bucket/$prefix$id/'
							|| CASE f.role WHEN 'in' THEN 'inputs/' ELSE '' END || f.name)
			   AND count(*) FILTER (WHERE f.role = 'in') = 1 AND count(*) > 2
		FROM sage.execution_files f WHERE f.execution_id = '$id'}),
	't', 'rows: the input moved to S3, outputs named by their promoted uri, no content');
my @keys = s3_keys($bucket, "$prefix$id/");
ok((grep { $_ eq "$prefix$id/inputs/ventas.csv" } @keys), 'the input is under inputs/');
ok((grep { $_ eq "$prefix$id/attempt-1/report.json" } @keys), 'report.json is under attempt-1/');
ok((grep { $_ eq "$prefix$id/report.json" } @keys), 'report.json is promoted');
ok(defined s3_get("$prefix$id/report.json")
	  && s3_get("$prefix$id/report.json") eq s3_get("$prefix$id/attempt-1/report.json"),
	'the promoted object is the attempt\'s');
is( $a->safe_psql('postgres', "SELECT encode(sage_file('$id', 'report.json'), 'hex')"),
	unpack('H*', s3_get("$prefix$id/report.json")),
	'sage_file reads report.json from S3');
is( $a->safe_psql('postgres', "SELECT report = convert_from(sage_file('$id', 'report.json'), 'UTF8')::jsonb "
		  . "AND report -> 'summary' ->> 'total_records' = '12' FROM sage_result('$id')"),
	't', 'sage_result reads report.json from S3');
is( $a->safe_psql('postgres', "SELECT sha256(sage_file('$id', 'ventas.csv')) = sha256(pg_read_binary_file('"
		  . Cwd::abs_path("$casedir/csv_header_basic/ventas.csv") . "'))"),
	't', 'sage_file reads the moved input from S3');
is( $a->safe_psql('postgres',
		"SELECT count(*) > 1 AND count(*) = count(*) FILTER (WHERE uri LIKE 's3://$bucket/$prefix$id/%') FROM sage_files('$id')"),
	't', 'sage_files shows every uri');
my $status = ddb_item($table, "status#$id");
ok(defined $status && $status->{attempt}{N} == 1 && $status->{status}{S} eq 'succeeded'
	  && $status->{request_id}{S} =~ /^pg:\d+:\d+$/,
	'the final status record of attempt 1 is in the lock table');
ok(!defined ddb_item($table, $id), 'the lock item was released');

# sage_file errors: a missing object
is(s3('DELETE', "$bucket/$prefix$id/results.txt")->{status}, 204, 'results.txt deleted from S3');
my ($ret, $stdout, $stderr) = $a->psql('postgres', "SELECT sage_file('$id', 'results.txt')");
like($stderr, qr/ERROR:  file "results.txt" of execution $id is missing from S3\nDETAIL:  The object "s3:\/\/$bucket\/$prefix$id\/results.txt" does not exist\./,
	'sage_file: a missing object is named');

# the two backends are independent: bytea + dynamodb, then s3 + advisory
sub one_case
{
	my ($node) = @_;
	my $dir = Cwd::abs_path("$casedir/csv_header_basic");
	my $eid = $node->safe_psql('postgres',
		"SELECT sage_submit(pg_read_file('$dir/config.yaml'), pg_read_binary_file('$dir/ventas.csv'), 'ventas.csv')");
	wait_final($node, $eid) or die "execution $eid did not finish";
	return $eid;
}
$a->append_conf('postgresql.conf', "sage.storage = 'bytea'\nsage.lock = 'dynamodb'\n");
$a->restart;
my $mixed = one_case($a);
is( $a->safe_psql('postgres', "SELECT state || ' ' || (SELECT string_agg(DISTINCT f.storage, ',') "
		  . "FROM sage.execution_files f WHERE f.execution_id = e.id) FROM sage.executions e WHERE e.id = '$mixed'"),
	'succeeded bytea', 'bytea + dynamodb: files stay in bytea');
$status = ddb_item($table, "status#$mixed");
ok($status && $status->{attempt}{N} == 1 && !exists $status->{output_prefix},
	'bytea + dynamodb: the status record is written, without an output prefix');
$a->append_conf('postgresql.conf', "sage.storage = 's3'\nsage.lock = 'advisory'\n");
$a->restart;
$mixed = one_case($a);
is( $a->safe_psql('postgres', "SELECT state || ' ' || (SELECT string_agg(DISTINCT f.storage, ',') "
		  . "FROM sage.execution_files f WHERE f.execution_id = e.id) FROM sage.executions e WHERE e.id = '$mixed'"),
	'succeeded s3', 's3 + advisory: files in S3');
ok(!defined ddb_item($table, "status#$mixed") && !defined ddb_item($table, $mixed),
	's3 + advisory: nothing in the lock table');
ok((grep { $_ eq "$prefix$mixed/report.json" } s3_keys($bucket, "$prefix$mixed/")), 's3 + advisory: outputs promoted');
$a->append_conf('postgresql.conf', "sage.lock = 'dynamodb'\n");
$a->restart;

# ------------------------------------------ two servers, one bucket and table

my $b = new_node('store_b', "sage.storage = 's3'\nsage.lock = 'dynamodb'\nsage.lock_lease = '5s'");
my $cfg = q{sage_yaml:
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
};

# the same execution (same id) in a server's table, as if replicated
sub insert_same
{
	my ($node, $eid, $lines, $max) = @_;
	$node->safe_psql('postgres', qq{
		BEGIN;
		INSERT INTO sage.executions (id, config, max_attempts) VALUES ('$eid', \$y\$$cfg\$y\$, $max);
		INSERT INTO sage.execution_files (execution_id, role, name, ordinal, size, sha256, content)
		SELECT '$eid', 'in', 't.csv', 1, length(x), sha256(x), x
		FROM (SELECT convert_to('a' || E'\\n' || repeat(E'1\\n', $lines), 'UTF8') AS x) f;
		SELECT sage._wake_at_commit();
		COMMIT;});
}

my $shared = '5a9e0000-0000-4000-8000-' . sprintf('%012d', $$);
insert_same($a, $shared, 1000, 10);
ok(wait_final($a, $shared), 'server A finishes the shared execution');
insert_same($b, $shared, 1000, 10);
ok(wait_final($b, $shared), 'server B finishes it too');
is($a->safe_psql('postgres', "SELECT state || ' ' || attempt FROM sage.executions WHERE id = '$shared'"),
	'succeeded 1', 'A committed attempt 1');
like($b->safe_psql('postgres', "SELECT state || ': ' || last_error FROM sage.executions WHERE id = '$shared'"),
	qr/^failed: could not take the lock of the execution: attempt 1 of execution $shared already finished with status "succeeded" by pg:\d+:\d+$/,
	'B refuses it: A already finished that attempt');
is($b->safe_psql('postgres', "SELECT count(*) FROM sage.execution_files WHERE execution_id = '$shared' AND role = 'out'"),
	'0', 'B committed no output');

# both at once: exactly one commits
my $race = '5a9e0001-0000-4000-8000-' . sprintf('%012d', $$);
insert_same($a, $race, 200000, 20);
insert_same($b, $race, 200000, 20);
ok(wait_final($a, $race) && wait_final($b, $race), 'both servers finish the raced execution');
my @states = map { $_->safe_psql('postgres', "SELECT state FROM sage.executions WHERE id = '$race'") } ($a, $b);
is(join(',', sort @states), 'failed,succeeded', 'exactly one server committed it (' . join(',', @states) . ')');

# ------------------------------ a holder takes the lock during a run: commit refused

sub busy_until_locked
{
	my ($eid) = @_;
	my $start = time;
	while (time - $start < 60)
	{
		my $item = ddb_item($table, $eid);
		return $item if $item && ($item->{owner}{S} // '') =~ /^pg:/;
		usleep(5_000);
	}
	return undef;
}

my $fenced = '5a9e0002-0000-4000-8000-' . sprintf('%012d', $$);
my $log_offset = -s $a->logfile;
insert_same($a, $fenced, 2000000, 2);
my $item = busy_until_locked($fenced);
ok($item, 'server A holds the lock of a running execution');
my ($pid) = ($item->{owner}{S} =~ /:(\d+)$/);
kill 'STOP', $pid;
put_item({ execution_id => { S => $fenced }, owner => { S => 'intruder' },
		   attempt => { N => '99' }, expiration_time => { N => int(time) + 600 } });
kill 'CONT', $pid;
ok(wait_final($a, $fenced), 'the execution ends');
my $log = substr(slurp_file($a->logfile), $log_offset);
like($log, qr/result of execution $fenced attempt 1 was refused by the lock table|stopped processing execution $fenced attempt 1: it lost the execution's lock/,
	'the run\'s result was refused and logged');
like($a->safe_psql('postgres', "SELECT state || ': ' || last_error FROM sage.executions WHERE id = '$fenced'"),
	qr/^dead: could not take the lock of the execution: .*intruder/,
	'later attempts find the intruder\'s lock; out of attempts, dead');
is($a->safe_psql('postgres', "SELECT count(*) FROM sage.execution_files WHERE execution_id = '$fenced' AND role = 'out'"),
	'0', 'no output of the fenced run was committed');
ok(!(grep { $_ eq "$prefix$fenced/report.json" } s3_keys($bucket, "$prefix$fenced/")), 'nothing was promoted');
ddb('DeleteItem', { TableName => $table, Key => { execution_id => { S => $fenced } } });
$a->safe_psql('postgres', "SELECT sage_retry('$fenced')");
ok(wait_final($a, $fenced), 'retried after the intruder left');
is($a->safe_psql('postgres', "SELECT state || ' ' || attempt FROM sage.executions WHERE id = '$fenced'"),
	'succeeded 3', 'and committed by attempt 3');

# ---------------------------------- lock lost mid-run: transient failure, retry

my $lost = '5a9e0003-0000-4000-8000-' . sprintf('%012d', $$);
$log_offset = -s $b->logfile;
insert_same($b, $lost, 12000000, 5);
$item = busy_until_locked($lost);
ok($item, 'server B holds the lock of a long execution');
($pid) = ($item->{owner}{S} =~ /:(\d+)$/);
kill 'STOP', $pid;
# another owner of the same attempt, its lease already over: the next attempt may take it
put_item({ execution_id => { S => $lost }, owner => { S => 'thief' },
		   attempt => { N => $item->{attempt}{N} }, expiration_time => { N => int(time) - 1 } });
sleep 2;						# past sage.lock_lease / 3: the heartbeat refreshes at once
kill 'CONT', $pid;
ok(wait_final($b, $lost), 'the execution ends');
$log = substr(slurp_file($b->logfile), $log_offset);
like($log, qr/stopped processing execution $lost attempt 1: it lost the execution's lock/,
	'the heartbeat saw the lock lost and stopped the run');
is($b->safe_psql('postgres', "SELECT state || ' ' || attempt FROM sage.executions WHERE id = '$lost'"),
	'succeeded 2', 'retried: attempt 2 succeeded');
$status = ddb_item($table, "status#$lost");
ok($status && $status->{attempt}{N} == 2, 'the status record is attempt 2\'s');

# ------------------------------------------------- sage_file: access denied

# an endpoint that denies everything, as S3 does without permission
my $deny = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 5, ReuseAddr => 1)
  or die "listen: $!";
my $deny_port = $deny->sockport;
my $child = fork();
if ($child == 0)
{
	while (my $c = $deny->accept)
	{
		my $req = '';
		while (my $line = <$c>) { last if $line =~ /^\r?\n$/; }
		my $body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>';
		print $c "HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: "
		  . length($body) . "\r\nConnection: close\r\n\r\n$body";
		close $c;
	}
	exit 0;
}
$b->append_conf('postgresql.conf', "sage.s3_endpoint = 'http://127.0.0.1:$deny_port'\n");
$b->reload;
usleep(300_000);
($ret, $stdout, $stderr) = $b->psql('postgres', "SELECT sage_file('$lost', 'report.json')");
like($stderr, qr/ERROR:  could not read file "report.json" of execution $lost from S3: .*AccessDenied.*\n.*\nHINT:  Check the credentials and the bucket policy\./s,
	'sage_file: access denied is reported with a hint');
kill 'TERM', $child;
waitpid($child, 0);

$a->stop('fast');
$b->stop('fast');
done_testing();
