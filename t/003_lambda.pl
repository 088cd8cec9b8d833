# t/003_lambda.pl
#	The Lambda path of the extension against the local AWS services: the
#	dispatcher sends executions to the local Lambda service (Event
#	invokes), lambda/bootstrap processes them with inputs and outputs in
#	S3 (moto) and the lock and status records in DynamoDB Local, and the
#	reconciler commits the results.
#
#	- the acceptance cases forced to Lambda give the same report.json
#	  (apart from times, ids and "where") as in-backend and as
#	  sage-validate; configurations the cases reject are refused at submit;
#	- with sage.max_local_executions = 3 and 200 submitted executions, the
#	  excess goes to Lambda, the split and the reasons show in sage.stats
#	  and sage.offload_reasons, and all 200 succeed;
#	- a status record of an older attempt is rejected (logged, never
#	  committed); a dispatch whose lease passes with no record is sent
#	  again with a new attempt and succeeds;
#	- throttling (429): executions fall back to local workers, forced
#	  ones wait, and Lambda is used again afterwards;
#	- outputs left in S3 only (sage.copy_outputs = off) are read by
#	  sage_file.
#
#	Needs SAGE_TEST_MOTO_ENDPOINT, SAGE_TEST_DYNAMODB_ENDPOINT and
#	SAGE_TEST_LAMBDA_ENDPOINT (test/services/with_aws_services.sh, which
#	also creates the bucket sage-test and the table sage_execution_locks);
#	fails without them.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use HTTP::Tiny;
use JSON::PP;
use Cwd qw(abs_path);
use File::Temp qw(tempdir);
use Time::HiRes qw(time usleep);
use FindBin;
use lib $FindBin::Bin;
use SageTestServices qw(ddb s3);

my $s3 = $ENV{SAGE_TEST_MOTO_ENDPOINT};
my $ddb = $ENV{SAGE_TEST_DYNAMODB_ENDPOINT};
my $lambda = $ENV{SAGE_TEST_LAMBDA_ENDPOINT};
ok(defined $s3 && defined $ddb && defined $lambda,
	'SAGE_TEST_MOTO_ENDPOINT, SAGE_TEST_DYNAMODB_ENDPOINT and SAGE_TEST_LAMBDA_ENDPOINT are set')
  or BAIL_OUT('run under test/services/with_aws_services.sh (moto, DynamoDB Local, the local Lambda service)');

my $bucket = $ENV{SAGE_TEST_BUCKET} // 'sage-test';
my $table = $ENV{SAGE_TEST_LOCK_TABLE} // 'sage_execution_locks';
my $function = $ENV{SAGE_TEST_LAMBDA_FUNCTION} // 'sage-file-processor';
my $prefix = sprintf('t003-%d-%d/', $$, int(time));
my $key_id = $ENV{AWS_ACCESS_KEY_ID} // 'AKIDSAGETEST';
my $secret = $ENV{AWS_SECRET_ACCESS_KEY} // 'sage-test-secret';
my $http = HTTP::Tiny->new(timeout => 30);
my $casedir = abs_path(($ENV{SAGE_TOP} // '.') . '/test/data/cases');
my $cli = `pg_config --bindir`;
chomp $cli;
$cli .= '/sage-validate';

# the Lambda service's control API (unsigned)
sub lambda_control
{
	my ($what) = @_;
	my $r = $http->request('POST', "$lambda/_sage/$what");
	die "lambda service /_sage/$what: $r->{status} $r->{content}" unless $r->{success};
	return $r->{content};
}

# the status record of an execution (consistent read), or undef
sub status_record
{
	my ($id) = @_;
	my ($st, $out) = ddb('GetItem', { TableName => $table,
		Key => { execution_id => { S => "status#$id" } }, ConsistentRead => JSON::PP::true });
	die "GetItem: $st" unless $st == 200;
	return $out->{Item};
}

lambda_control('reset');

my $node = PostgreSQL::Test::Cluster->new('lambda');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'sage'
sage.database = 'postgres'
sage.max_local_executions = 3
sage.retry_base = '100ms'
sage.retry_cap = '2s'
max_worker_processes = 16
sage.lambda_function = '$function'
sage.lambda_timeout = '30s'
sage.aws_region = 'us-east-1'
sage.lambda_endpoint = '$lambda'
sage.s3_endpoint = '$s3'
sage.dynamodb_endpoint = '$ddb'
sage.s3_bucket = '$bucket'
sage.s3_prefix = '$prefix'
sage.lock_table = '$table'
sage.aws_access_key_id = '$key_id'
sage.aws_secret_access_key = '$secret'
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION sage');

ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'sage dispatcher'"),
	'the launcher starts the dispatcher (backend_type "sage dispatcher")');
my $log = slurp_file($node->logfile);
unlike($log, qr/\Q$secret\E/, 'the secret access key is never logged');

# waits until every execution of a condition is final
sub wait_final
{
	my ($where, $secs) = @_;
	$secs //= 180;
	my $deadline = time + $secs;
	while (time < $deadline)
	{
		my $left = $node->safe_psql('postgres',
			"SELECT count(*) FROM sage.executions WHERE ($where) "
			  . "AND state NOT IN ('succeeded', 'failed', 'dead', 'cancelled')");
		return 1 if $left == 0;
		usleep(100_000);
	}
	return 0;
}

# ------------------------------------------------------------------
# 1. 200 executions with 3 local slots: the excess goes to Lambda
# ------------------------------------------------------------------
my $config = q{sage_yaml:
  name: "burst"
  description: "burst"
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
      - name: "b"
        type: "texto"
packages: {}
};
my $t0 = time;
$node->safe_psql('postgres', qq{
	SELECT count(*) FROM sage_submit_batch(\$y\$$config\$y\$,
		(SELECT array_agg(convert_to('a,b' || E'\\n' || i || ',x' || E'\\n' || (i + 1) || ',y' || E'\\n', 'UTF8'))
		 FROM generate_series(1, 200) i),
		(SELECT array_agg('t.csv'::text) FROM generate_series(1, 200)),
		options => '{"tag": "burst"}')});
ok(wait_final("options ->> 'tag' = 'burst'"), '200 executions finish');
my $took = time - $t0;
my ($total, $succeeded, $local, $lambdan) = split /\|/, $node->safe_psql('postgres',
	"SELECT count(*), count(*) FILTER (WHERE state = 'succeeded'), "
	  . "count(*) FILTER (WHERE \"where\" = 'local'), count(*) FILTER (WHERE \"where\" = 'lambda') "
	  . "FROM sage.executions WHERE options ->> 'tag' = 'burst'");
is($succeeded, 200, 'all 200 succeed');
ok($lambdan > 0 && $local > 0 && $local + $lambdan == 200,
	"the split: $local local, $lambdan on Lambda (" . sprintf('%.1f s', $took) . ')');
is( $node->safe_psql('postgres',
		"SELECT total = 200 AND succeeded = 200 AND local = $local AND lambda = $lambdan FROM sage.stats"),
	't', 'sage.stats shows the split by where');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM sage.executions WHERE options ->> 'tag' = 'burst' AND \"where\" = 'lambda' "
		  . "AND where_reason ~ '^queue [0-9]+ > 3\$'"),
	$lambdan, 'every Lambda execution records its reason ("queue N > 3")');
is( $node->safe_psql('postgres',
		"SELECT executions FROM sage.offload_reasons WHERE \"where\" = 'lambda' AND reason = 'queue'"),
	$lambdan, 'sage.offload_reasons counts the queue offloads');
ok( $node->safe_psql('postgres',
		"SELECT count(*) FROM sage.executions WHERE options ->> 'tag' = 'burst' AND \"where\" = 'lambda' "
		  . "AND records = 2 AND errors = 0 AND status = 'Éxito' "
		  . "AND (SELECT count(*) FROM sage.execution_files f WHERE f.execution_id = id "
		  . "     AND f.role = 'out' AND f.storage = 'bytea' AND f.uri LIKE 's3://$bucket/$prefix%/attempt-%') >= 5")
	  == $lambdan,
	'Lambda results carry counts, status and outputs copied from attempt-<n>/');
{
	# promoted to <prefix><id>/ for whatever reads the bucket; rows keep the attempt's
	my ($pid, $patt) = split / /, $node->safe_psql('postgres', qq{
		SELECT id || ' ' || attempt FROM sage.executions
		WHERE options ->> 'tag' = 'burst' AND "where" = 'lambda' ORDER BY id LIMIT 1});
	my $att_rep = s3('GET', "$bucket/$prefix$pid/attempt-$patt/report.json");
	my $promoted = s3('GET', "$bucket/$prefix$pid/report.json");
	ok($att_rep->{status} == 200 && $promoted->{status} == 200 &&
		$promoted->{content} eq $att_rep->{content},
		'the committed outputs are promoted to <prefix><id>/');
}

# ------------------------------------------------------------------
# 2. the acceptance cases forced to Lambda, against local and the CLI
# ------------------------------------------------------------------
opendir(my $dh, $casedir) or die "cannot open $casedir: $!";
my @cases = sort grep { !/^\./ && -d "$casedir/$_" } readdir($dh);
closedir($dh);
ok(@cases >= 14, scalar(@cases) . ' acceptance cases');
my %ids;
for my $c (@cases)
{
	my $exp = decode_json(slurp_file("$casedir/$c/expected.json"));
	my $data = "$casedir/$c/$exp->{data}";
	for my $placement ('lambda', 'local')
	{
		my ($ret, $out, $err) = $node->psql('postgres', qq{
			SELECT sage_submit(pg_read_file('$casedir/$c/config.yaml'),
				pg_read_binary_file('$data'), '$exp->{data}',
				placement => '$placement', package => NULL)});
		if ($exp->{config_rejected})
		{
			ok($ret != 0 && $err =~ /ERROR/, "$c: configuration refused at submit ($placement)");
			next;
		}
		is($ret, 0, "$c: submitted ($placement)") or diag($err);
		$ids{$c}{$placement} = $out;
	}
}
my @run = grep { exists $ids{$_} } @cases;
my $idlist = join(',', map { "'$ids{$_}{lambda}','$ids{$_}{local}'" } @run);
ok(wait_final("id IN ($idlist)"), 'the cases finish');
my $tmp = tempdir(CLEANUP => 1);
for my $c (@run)
{
	my ($l, $b) = ($ids{$c}{lambda}, $ids{$c}{local});
	my $exp = decode_json(slurp_file("$casedir/$c/expected.json"));
	is( $node->safe_psql('postgres',
			"SELECT state || ' ' || \"where\" || ' ' || where_reason FROM sage.executions WHERE id = '$l'"),
		"$exp->{outcome} lambda lambda requested at submit", "$c: processed on Lambda");
	system($cli, "$casedir/$c/config.yaml", "$casedir/$c/$exp->{data}", '--out', "$tmp/$c");
	my $clirep = -f "$tmp/$c/report.json" ? slurp_file("$tmp/$c/report.json") : '{}';
	$clirep =~ s/\$j\$//g;
	is( $node->safe_psql('postgres', qq{
			SELECT (a.report - 'execution_info' - 'events') = (b.report - 'execution_info' - 'events')
			   AND (a.report - 'execution_info' - 'events') = (\$j\$$clirep\$j\$::jsonb - 'execution_info' - 'events')
			   AND a.report IS NOT NULL
			FROM sage_result('$l') a, sage_result('$b') b}),
		't', "$c: same report.json on Lambda, in-backend and with sage-validate");
	is( $node->safe_psql('postgres', qq{
			SELECT a.records IS NOT DISTINCT FROM b.records AND a.errors IS NOT DISTINCT FROM b.errors
			   AND a.warnings IS NOT DISTINCT FROM b.warnings AND a.status IS NOT DISTINCT FROM b.status
			   AND a.success_rate IS NOT DISTINCT FROM b.success_rate AND a.outputs = b.outputs
			FROM sage_result('$l') a, sage_result('$b') b}),
		't', "$c: same counts, status and output names");
}

# a package named at submit is applied on Lambda too (and a wrong one
# fails there as it fails locally)
{
	my $zip = "$casedir/zip_package/entrega.zip";
	my %pk;
	for my $p (['lambda', 'paquete_ventas'], ['local', 'paquete_ventas'],
		['lambda', 'no_such_package'], ['local', 'no_such_package'])
	{
		$pk{"$p->[0]/$p->[1]"} = $node->safe_psql('postgres', qq{
			SELECT sage_submit(pg_read_file('$casedir/zip_package/config.yaml'),
				pg_read_binary_file('$zip'), 'entrega.zip',
				placement => '$p->[0]', package => '$p->[1]')});
	}
	my $pl = join(',', map { "'$_'" } values %pk);
	ok(wait_final("id IN ($pl)", 120), 'executions with a package finish');
	for my $name ('paquete_ventas', 'no_such_package')
	{
		my ($l, $b) = ($pk{"lambda/$name"}, $pk{"local/$name"});
		is( $node->safe_psql('postgres', qq{
				SELECT a.state = b.state AND a."where" = 'lambda' AND b."where" = 'local'
				   AND (a.report - 'execution_info' - 'events') IS NOT DISTINCT FROM
					   (b.report - 'execution_info' - 'events')
				   AND a.records IS NOT DISTINCT FROM b.records
				FROM sage_result('$l') a, sage_result('$b') b}),
			't', "package $name: same outcome and report on Lambda and in-backend")
		  or diag($node->safe_psql('postgres', qq{
				SELECT a.state, b.state, a.records, b.records, a.last_error, b.last_error,
					   a.outputs, b.outputs, a.report IS NULL, b.report IS NULL
				FROM sage_result('$l') a, sage_result('$b') b}));
	}
}

# ------------------------------------------------------------------
# 3. fencing: a late status record of an old attempt is rejected; an
#    expired dispatch is sent again with a new attempt
# ------------------------------------------------------------------
my $victim = $ids{$run[0]}{lambda};
my $att = $node->safe_psql('postgres', "SELECT attempt FROM sage.executions WHERE id = '$victim'");
my $logpos = -s $node->logfile;
# as if attempt $att+1 had been dispatched and attempt $att answered late
$node->safe_psql('postgres', qq{
	UPDATE sage.executions SET state = 'dispatched', attempt = attempt + 1,
		lease_until = now() + interval '1 hour', finished_at = NULL
	WHERE id = '$victim'});
ok($node->wait_for_log(qr/late result of attempt $att of execution $victim rejected/, $logpos),
	'the status record of the older attempt is logged as a late result');
usleep(500_000);
is( $node->safe_psql('postgres', "SELECT state || ' ' || attempt FROM sage.executions WHERE id = '$victim'"),
	'dispatched ' . ($att + 1), 'and never committed');
# the lease of attempt $att+1 passes with no record: dispatched again
$node->safe_psql('postgres',
	"UPDATE sage.executions SET lease_until = now() - interval '1 s' WHERE id = '$victim'");
ok(wait_final("id = '$victim'", 60), 'the expired dispatch finishes');
is( $node->safe_psql('postgres',
		"SELECT state || ' ' || attempt || ' ' || \"where\" FROM sage.executions WHERE id = '$victim'"),
	'succeeded ' . ($att + 2) . ' lambda', 'sent again with a new attempt, which commits');
ok($node->log_contains(qr/Lambda executions gave no result before their lease expired/, $logpos),
	'the expiry is logged');
# a record of an attempt that a newer one superseded, written late
my ($st) = ddb('PutItem', { TableName => $table, Item => {
	execution_id => { S => "status#$victim" }, attempt => { N => '' . ($att + 1) },
	status => { S => 'failed' }, error => { S => 'late failure' } } });
is($st, 200, 'a stale record is written directly');
usleep(600_000);
is( $node->safe_psql('postgres', "SELECT state || ' ' || coalesce(last_error, '') FROM sage.executions WHERE id = '$victim'"),
	'succeeded ', 'a finished execution is not touched by stale records');
# the bootstrap's billing attributes reach sage.cost_daily
is( $node->safe_psql('postgres', q{
		SELECT count(*) FROM sage.executions
		WHERE "where" = 'lambda' AND state = 'succeeded'
		  AND (billed_ms IS NULL OR billed_ms < 1 OR memory_mb IS NULL
			   OR architecture IS DISTINCT FROM 'x86_64')}),
	'0', 'Lambda executions carry billed_ms, memory_mb and architecture');
is( $node->safe_psql('postgres', q{
		SELECT bool_and(estimated_cost > 0 AND gb_seconds > 0 AND unpriced < executions)
		FROM sage.cost_daily WHERE "where" = 'lambda'}),
	't', 'sage.cost_daily prices the Lambda executions');
# a malformed record of the current attempt fails that execution only
my $dpid = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'sage dispatcher'");
$logpos = -s $node->logfile;
$node->safe_psql('postgres', qq{
	UPDATE sage.executions SET state = 'dispatched', attempt = attempt + 1,
		lease_until = now() + interval '1 hour', finished_at = NULL
	WHERE id = '$victim'});
($st) = ddb('PutItem', { TableName => $table, Item => {
	execution_id => { S => "status#$victim" }, attempt => { N => '' . ($att + 3) },
	status => { S => 'succeeded' }, report_status => { S => 'Bogus' },
	total_records => { N => '-1' } } });
is($st, 200, 'a malformed record of the current attempt is written directly');
ok(wait_final("id = '$victim'", 30), 'the execution with a malformed record finishes');
like( $node->safe_psql('postgres', "SELECT state || ' ' || last_error FROM sage.executions WHERE id = '$victim'"),
	qr/^failed the status record of attempt @{[$att + 3]} is malformed: "total_records" is not a count$/,
	'it fails with the reason');
ok($node->log_contains(qr/malformed status record of execution $victim/, $logpos),
	'the malformed record is logged');
is( $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'sage dispatcher'"),
	$dpid, 'the dispatcher keeps running');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM sage.workers WHERE backend_type = 'sage dispatcher' AND pid = $dpid"),
	'1', 'sage.workers shows the dispatcher');

# the record lists the attempt's outputs: they are committed without listing S3
my $listed = $node->safe_psql('postgres', qq{
	SELECT id || ' ' || attempt FROM sage.executions
	WHERE options ->> 'tag' = 'burst' AND "where" = 'lambda' ORDER BY id LIMIT 1});
my ($lid, $latt) = split / /, $listed;
my $lrec = status_record($lid);
my $louts = eval { decode_json($lrec->{outputs}{S}) } // [];
is( join(',', sort map { "$_->{name}:$_->{size}" } @$louts),
	join(',', split /\n/, $node->safe_psql('postgres', qq{
		SELECT name || ':' || size FROM sage.execution_files
		WHERE execution_id = '$lid' AND role = 'out' ORDER BY name})),
	'the status record lists the outputs the execution has, with their sizes');

# a record pointing outside its attempt, or listing an unsafe name, fails
# that execution; a record without a list (an older bootstrap) is listed
sub redispatch_with_record
{
	my ($n, %attrs) = @_;
	$node->safe_psql('postgres', qq{
		UPDATE sage.executions SET state = 'dispatched', attempt = $n,
			lease_until = now() + interval '1 hour', finished_at = NULL
		WHERE id = '$victim'});
	my ($st) = ddb('PutItem', { TableName => $table, Item => {
		execution_id => { S => "status#$victim" }, attempt => { N => "$n" },
		status => { S => 'succeeded' }, total_records => { N => '1' },
		errors => { N => '0' }, warnings => { N => '0' }, rows_with_errors => { N => '0' },
		success_rate => { N => '100' },
		map { $_ => { S => $attrs{$_} } } keys %attrs } });
	return $st == 200 && wait_final("id = '$victim'", 30);
}
my $rn = $att + 4;
ok(redispatch_with_record($rn, output_prefix => "${prefix}$victim/attempt-$rn/",
		outputs => '[{"name":"../../escape","size":1}]'),
	'a record listing an unsafe output name is committed');
like( $node->safe_psql('postgres', "SELECT state || ' ' || last_error FROM sage.executions WHERE id = '$victim'"),
	qr/^failed the status record of attempt $rn is malformed: entry 1 of "outputs" has a name with '\/'/,
	'it fails the execution with the reason');
$rn++;
ok(redispatch_with_record($rn, output_prefix => "${prefix}someone-else/attempt-$rn/",
		outputs => '[]'),
	'a record pointing at another prefix is committed');
like( $node->safe_psql('postgres', "SELECT state || ' ' || last_error FROM sage.executions WHERE id = '$victim'"),
	qr/^failed .* "output_prefix" does not end with "$victim\/attempt-$rn\/"$/,
	'it fails the execution with the reason');
is( $node->safe_psql('postgres', "SELECT count(*) FROM sage.execution_files WHERE execution_id = '$victim' AND role = 'out'"),
	'0', 'and stores no outputs');
$rn++;
is(s3('PUT', "$bucket/${prefix}$victim/attempt-$rn/legacy.txt", 'written by an older bootstrap')->{status},
	200, 'an output is put in S3 directly');
ok(redispatch_with_record($rn, output_prefix => "${prefix}$victim/attempt-$rn/"),
	'a record without an outputs list is committed');
is( $node->safe_psql('postgres', qq{
		SELECT e.state || ' ' || f.name || ' ' || convert_from(f.content, 'UTF8')
		FROM sage.executions e JOIN sage.execution_files f ON f.execution_id = e.id AND f.role = 'out'
		WHERE e.id = '$victim'}),
	'succeeded legacy.txt written by an older bootstrap',
	'its outputs are found by listing the attempt\'s prefix, and copied');

# ------------------------------------------------------------------
# 4. throttling: fallback to local workers, then Lambda again
# ------------------------------------------------------------------
$node->append_conf('postgresql.conf', "sage.offload = 'always'\n");
$node->reload;
usleep(300_000);
$logpos = -s $node->logfile;
lambda_control('throttle?seconds=3');
$node->safe_psql('postgres', qq{
	SELECT count(*) FROM sage_submit_batch(\$y\$$config\$y\$,
		(SELECT array_agg(convert_to('a,b' || E'\\n' || i || ',x' || E'\\n', 'UTF8')) FROM generate_series(1, 20) i),
		(SELECT array_agg('t.csv'::text) FROM generate_series(1, 20)), options => '{"tag": "throttled"}')});
my $forced = $node->safe_psql('postgres', qq{
	SELECT sage_submit(\$y\$$config\$y\$, convert_to('a,b' || E'\\n1,x' || E'\\n', 'UTF8'), 't.csv',
		placement => 'lambda', options => '{"tag": "throttled_forced"}')});
ok(wait_final("options ->> 'tag' IN ('throttled', 'throttled_forced')", 120), 'throttled executions finish');
ok($node->log_contains(qr/AWS Lambda is unavailable \(throttled/, $logpos),
	'the throttling is logged');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM sage.executions WHERE options ->> 'tag' = 'throttled' AND state = 'succeeded'"),
	20, 'all 20 succeed');
ok( $node->safe_psql('postgres',
		"SELECT count(*) FROM sage.executions WHERE options ->> 'tag' = 'throttled' AND \"where\" = 'local' "
		  . "AND where_reason LIKE 'fallback to local: lambda unavailable: throttled%'") > 0,
	'some fell back to local workers, and say why');
is( $node->safe_psql('postgres', "SELECT state || ' ' || \"where\" FROM sage.executions WHERE id = '$forced'"),
	'succeeded lambda', 'a forced execution waits for Lambda and runs there');
my $after = $node->safe_psql('postgres', qq{
	SELECT sage_submit(\$y\$$config\$y\$, convert_to('a,b' || E'\\n1,x' || E'\\n', 'UTF8'), 't.csv',
		options => '{"tag": "after_throttle"}')});
ok(wait_final("id = '$after'", 60), 'an execution after the throttle finishes');
is( $node->safe_psql('postgres', "SELECT \"where\" || ' ' || where_reason FROM sage.executions WHERE id = '$after'"),
	'lambda sage.offload = always', 'Lambda is used again after the throttle');

# ------------------------------------------------------------------
# 5. outputs left in S3 (sage.copy_outputs = off)
# ------------------------------------------------------------------
$node->append_conf('postgresql.conf', "sage.copy_outputs = off\n");
$node->reload;
usleep(300_000);
my $ins3 = $node->safe_psql('postgres', qq{
	SELECT sage_submit(\$y\$$config\$y\$, convert_to('a,b' || E'\\n1,x' || E'\\nz,y' || E'\\n', 'UTF8'), 't.csv',
		placement => 'lambda', options => '{"tag": "s3_outputs"}')});
ok(wait_final("id = '$ins3'", 60), 'an execution with outputs left in S3 finishes');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM sage.execution_files WHERE execution_id = '$ins3' AND role = 'out' "
		  . "AND storage = 's3' AND content IS NULL AND uri LIKE 's3://$bucket/$prefix$ins3/attempt-%'"),
	5, 'its outputs are rows of storage s3');
is( $node->safe_psql('postgres',
		"SELECT (convert_from(sage_file('$ins3', 'report.json'), 'UTF8')::jsonb -> 'summary' ->> 'errors')"),
	'1', 'sage_file reads an output from S3');

# ------------------------------------------------------------------
# 6. SIGTERM: the dispatcher ends within 1 s and is started again
# ------------------------------------------------------------------
$dpid = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'sage dispatcher'");
my $start = time;
kill 'TERM', $dpid;
my $gone;
while (time - $start < 5)
{
	unless (kill 0, $dpid) { $gone = time - $start; last; }
	usleep(10_000);
}
ok(defined $gone && $gone < 1,
	'the dispatcher ends within 1 s of SIGTERM (' . (defined $gone ? sprintf('%.3f s', $gone) : 'never') . ')');
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'sage dispatcher' AND pid <> $dpid"),
	'the launcher starts it again');

$log = slurp_file($node->logfile);
unlike($log, qr/\Q$secret\E/, 'the secret access key never appears in the log');

$node->stop('fast');
done_testing();
