# t/010_lambda_chaos.pl
#	Chaos on the Lambda path (issue 5), against the local AWS services
#	(test/services/with_aws_services.sh: moto, DynamoDB Local and the local
#	Lambda service, whose /_sage/ control API injects the faults):
#
#	1. invocations that time out (the environment is SIGKILLed);
#	2. environments killed mid-run;
#	3. duplicate delivery of the same event to two environments;
#	4. 429 throttling for a period: fallback to local workers, then
#	   Lambda again;
#	5. the server killed with kill -9 (postmaster and every backend at
#	   once) while ~100 executions are in flight, then started again;
#	6. a local worker (another server sharing the bucket and the lock
#	   table, sage.lock = dynamodb) paused with SIGSTOP past its lock's
#	   lease, and resumed after a Lambda attempt of the same execution
#	   committed.
#
#	Each ends checking that every execution finished exactly once: state
#	succeeded, the DynamoDB status record is the committed attempt's, every
#	output row is of that attempt (uri under attempt-<n>/), no lock is
#	left, and every successful answer of a Lambda delivery (statusCode
#	200) was for the committed attempt (late attempts were never run to a
#	result, or answered as duplicates of it). Fails without the services.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use HTTP::Tiny;
use JSON::PP;
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
my $prefix = sprintf('t010-%d-%d/', $$, int(time));
my $key_id = $ENV{AWS_ACCESS_KEY_ID} // 'AKIDSAGETEST';
my $secret = $ENV{AWS_SECRET_ACCESS_KEY} // 'sage-test-secret';
my $http = HTTP::Tiny->new(timeout => 30);
# the function's timeout, here and in the service: short, so leases pass
my $fn_timeout = 5;

# ------------------------------------------------------------ services

# the Lambda service's control API (unsigned)
sub svc
{
	my ($what) = @_;
	my $r = $http->request('POST', "$lambda/_sage/$what");
	die "lambda service /_sage/$what: $r->{status} $r->{content}" unless $r->{success};
	return decode_json($r->{content});
}

sub svc_get
{
	my ($what) = @_;
	my $r = $http->request('GET', "$lambda/_sage/$what");
	die "lambda service /_sage/$what: $r->{status}" unless $r->{success};
	return decode_json($r->{content});
}

# counters and records start again; the function's timeout stays ours
sub svc_reset
{
	my ($timeout) = @_;
	svc('reset');
	svc('timeout?seconds=' . ($timeout // $fn_timeout));
	svc('concurrency?limit=4');
}

# the item of $key in the lock table (consistent read), or undef
sub ddb_item
{
	my ($key) = @_;
	my ($st, $out) = ddb('GetItem', { TableName => $table,
		Key => { execution_id => { S => $key } }, ConsistentRead => JSON::PP::true });
	die "GetItem: $st" unless $st == 200;
	return $out->{Item};
}

# the keys under prefix $p of the bucket, sorted
sub s3_keys
{
	my ($p) = @_;
	my $r = s3('GET', "$bucket?list-type=2&prefix=$p");
	die "ListObjectsV2: $r->{status}" unless $r->{status} == 200;
	return sort ($r->{content} =~ m{<Key>([^<]+)</Key>}g);
}

# ------------------------------------------------------------ clusters

my $aws_conf = qq{
sage.aws_region = 'us-east-1'
sage.s3_endpoint = '$s3'
sage.dynamodb_endpoint = '$ddb'
sage.s3_bucket = '$bucket'
sage.s3_prefix = '$prefix'
sage.lock_table = '$table'
sage.aws_access_key_id = '$key_id'
sage.aws_secret_access_key = '$secret'
};

sub new_node
{
	my ($name, $extra) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'sage'
sage.database = 'postgres'
sage.retry_base = '100ms'
sage.retry_cap = '2s'
sage.max_attempts = 20
max_worker_processes = 16
$aws_conf
$extra
});
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION sage');
	return $node;
}

svc_reset();
my $node = new_node('chaos', qq{
sage.lambda_function = '$function'
sage.lambda_endpoint = '$lambda'
sage.lambda_timeout = '${fn_timeout}s'
sage.offload = 'always'
});
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'sage dispatcher'"),
	'the dispatcher runs');

my $config = q{sage_yaml:
  name: "chaos"
  description: "chaos"
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

# submits n executions tagged $tag (placement lambda unless told)
sub submit
{
	my ($tag, $n, $placement) = @_;
	$placement //= 'lambda';
	$node->safe_psql('postgres', qq{
		SELECT count(*) FROM sage_submit_batch(\$y\$$config\$y\$,
			(SELECT array_agg(convert_to('a,b' || E'\\n' || i || ',x' || E'\\n' || (i + 1) || ',y' || E'\\n', 'UTF8'))
			 FROM generate_series(1, $n) i),
			(SELECT array_agg('t.csv'::text) FROM generate_series(1, $n)),
			placement => '$placement', options => '{"tag": "$tag"}')});
}

# waits until every execution tagged $tag is final
sub wait_final
{
	my ($tag, $secs) = @_;
	my $deadline = time + ($secs // 180);
	while (time < $deadline)
	{
		my $left = $node->safe_psql('postgres',
			"SELECT count(*) FROM sage.executions WHERE options ->> 'tag' = '$tag' "
			  . "AND state NOT IN ('succeeded', 'failed', 'dead', 'cancelled')");
		return 1 if $left == 0;
		usleep(200_000);
	}
	return 0;
}

# waits until the Lambda service runs and holds nothing
sub wait_quiet
{
	my $deadline = time + 60;
	while (time < $deadline)
	{
		my $s = svc_get('stats');
		return 1 if $s->{inflight} == 0 && $s->{queued} == 0;
		usleep(200_000);
	}
	return 0;
}

# the exactly-once checks of every execution tagged $tag
sub check_once
{
	my ($tag, $n) = @_;
	ok(wait_final($tag), "$tag: every execution is final");
	ok(wait_quiet(), "$tag: the Lambda service is quiet (late deliveries ended)");
	usleep(1_000_000);			# a reconciler pass or more after the last answer
	my @rows = map { [ split /\|/ ] } split /\n/, $node->safe_psql('postgres',
		"SELECT id, state, attempt, coalesce(\"where\", ''), "
		  . "(SELECT count(*) FROM sage.execution_files f WHERE f.execution_id = e.id AND f.role = 'out'), "
		  . "(SELECT count(*) FROM sage.execution_files f WHERE f.execution_id = e.id AND f.role = 'out' "
		  . "   AND f.uri LIKE '%/' || e.id || '/attempt-' || e.attempt || '/%'), "
		  . "coalesce(finished_at::text, '') "
		  . "FROM sage.executions e WHERE options ->> 'tag' = '$tag' ORDER BY id");
	is(scalar(@rows), $n, "$tag: $n executions");
	my @bad_state = grep { $_->[1] ne 'succeeded' } @rows;
	is(scalar(@bad_state), 0, "$tag: all succeeded")
	  or diag(join("\n", map { join(' ', @$_) } @bad_state));

	# the Lambda service's deliveries, by execution
	my %deliveries;
	push @{ $deliveries{ $_->{execution_id} // '' } }, $_ for @{ svc_get('invocations') };

	my (@bad_record, @bad_outputs, @bad_lock, @bad_answers);
	my %where;
	for my $r (@rows)
	{
		my ($id, $state, $attempt, $where, $nout, $nout_attempt) = @$r;
		$where{$where}++;
		if ($where eq 'lambda')
		{
			my $st = ddb_item("status#$id");
			push @bad_record, "$id: " . encode_json($st // {})
			  unless $st && $st->{attempt}{N} == $attempt && $st->{status}{S} eq 'succeeded';
			push @bad_outputs, "$id: $nout outputs, $nout_attempt of attempt $attempt"
			  unless $nout >= 5 && $nout_attempt == $nout;
		}
		else
		{
			push @bad_outputs, "$id: $nout outputs (local)" unless $nout >= 5;
		}
		my $lock = ddb_item($id);
		push @bad_lock, "$id: " . encode_json($lock)
		  if $lock && $lock->{expiration_time}{N} > time;
		for my $d (@{ $deliveries{$id} // [] })
		{
			next unless defined $d->{status_code} && $d->{status_code} == 200;
			push @bad_answers, "$id: a delivery of attempt $d->{attempt} answered 200 ($where attempt $attempt committed)"
			  if $where ne 'lambda' || $d->{attempt} != $attempt;
		}
	}
	is(scalar(@bad_record), 0, "$tag: the status record of each Lambda execution is its committed attempt's")
	  or diag(join("\n", @bad_record));
	is(scalar(@bad_outputs), 0, "$tag: outputs of the committed attempt only")
	  or diag(join("\n", @bad_outputs));
	is(scalar(@bad_lock), 0, "$tag: no lock left") or diag(join("\n", @bad_lock));
	is(scalar(@bad_answers), 0, "$tag: only the committed attempt ran to a result on Lambda")
	  or diag(join("\n", @bad_answers));
	# nothing changes afterwards: committed once
	usleep(1_000_000);
	my $again = $node->safe_psql('postgres',
		"SELECT string_agg(id || ' ' || state || ' ' || attempt || ' ' || coalesce(finished_at::text, ''), ',' ORDER BY id) "
		  . "FROM sage.executions WHERE options ->> 'tag' = '$tag'");
	is($again, join(',', map { "$_->[0] $_->[1] $_->[2] $_->[6]" } @rows),
		"$tag: nothing committed again later");
	return \%where;
}

# shared by the scenarios
my ($logpos, $deadline, $s, $where);
my $shared = '5a9e0010-0000-4000-8000-' . sprintf('%012d', $$);
my $lines = 4000000;
my $other;

# ------------------------------------------------------------------
# 1. invocations that time out
# ------------------------------------------------------------------
sub chaos_timeouts
{
	svc_reset(0.001);				# every invocation runs out of time
	$logpos = -s $node->logfile;
	submit('timeout', 6);
	$deadline = time + 60;
	usleep(100_000) while svc_get('stats')->{timed_out} < 6 && time < $deadline;
	$s = svc_get('stats');
	ok($s->{timed_out} >= 6, "6 invocations timed out (environments SIGKILLed: $s->{timed_out})");
	svc("timeout?seconds=$fn_timeout");
	check_once('timeout', 6);
	ok( $node->safe_psql('postgres',
			"SELECT bool_and(attempt >= 2) FROM sage.executions WHERE options ->> 'tag' = 'timeout'") eq 't',
		'timeout: each finished with a later attempt');
	ok($node->log_contains(qr/Lambda executions gave no result before their lease expired/, $logpos),
		'timeout: the expired leases are logged');
}

# ------------------------------------------------------------------
# 2. environments killed mid-run
# ------------------------------------------------------------------
sub chaos_crashes
{
	svc_reset();
	svc('crash?count=6&after_ms=20');
	submit('crash', 10);
	check_once('crash', 10);
	$s = svc_get('stats');
	is($s->{crashed}, 6, 'crash: 6 environments were killed mid-run');
}

# ------------------------------------------------------------------
# 3. duplicate delivery of the same event
# ------------------------------------------------------------------
sub chaos_duplicates
{
	svc_reset();
	svc('duplicate?count=8');
	submit('duplicate', 8);
	check_once('duplicate', 8);
	$s = svc_get('stats');
	is($s->{duplicated}, 8, 'duplicate: 8 events were delivered twice');
	is( $node->safe_psql('postgres',
			"SELECT count(*) FROM sage.executions WHERE options ->> 'tag' = 'duplicate' AND attempt = 1"),
		8, 'duplicate: each committed by its first and only attempt');
}

# ------------------------------------------------------------------
# 4. 429 throttling for a period: local fallback, then Lambda again
# ------------------------------------------------------------------
sub chaos_throttling
{
	svc_reset();
	$logpos = -s $node->logfile;
	svc('throttle?seconds=3');
	submit('throttle', 20, 'auto');
	$where = check_once('throttle', 20);
	ok(($where->{local} // 0) > 0, 'throttle: ' . ($where->{local} // 0) . ' fell back to local workers, '
		  . ($where->{lambda} // 0) . ' ran on Lambda');
	ok(svc_get('stats')->{throttled} > 0, 'throttle: the service refused invokes (429)');
	ok($node->log_contains(qr/AWS Lambda is unavailable \(throttled/, $logpos), 'throttle: logged');
	sleep 1 while svc_get('stats')->{throttled_for} > 0;
	submit('after_throttle', 5, 'auto');
	$where = check_once('after_throttle', 5);
	is($where->{lambda} // 0, 5, 'after the throttle window, Lambda is used again');
}

# ------------------------------------------------------------------
# 5. kill -9 of the server while ~100 executions are in flight
# ------------------------------------------------------------------
sub chaos_kill9
{
	svc_reset();
	svc('concurrency?limit=2');		# slower, so that many are in flight
	submit('kill9', 100);
	$deadline = time + 60;
	usleep(20_000) while svc_get('stats')->{accepted} < 25 && time < $deadline;
	my $pm = $node->{_pid};
	# the postmaster's children, found before it dies
	my @children;
	opendir(my $proc, '/proc') or die "cannot read /proc: $!";
	for my $p (grep { /^\d+$/ } readdir($proc))
	{
		open(my $f, '<', "/proc/$p/stat") or next;
		my $stat = <$f>;
		close $f;
		push @children, $p if defined $stat && $stat =~ /^\d+ \(.*\) \S (\d+) / && $1 == $pm;
	}
	closedir($proc);
	my ($dispatched, $pending) = split /\|/, $node->safe_psql('postgres',
		"SELECT count(*) FILTER (WHERE state = 'dispatched'), count(*) FILTER (WHERE state = 'pending') "
		  . "FROM sage.executions WHERE options ->> 'tag' = 'kill9'");
	ok($dispatched > 0, "kill9: $dispatched dispatched, $pending pending when the server dies");
	$node->kill9;
	kill 'KILL', @children;
	$deadline = time + 30;
	usleep(50_000) while (grep { kill 0, $_ } ($pm, @children)) && time < $deadline;
	ok(!(grep { kill 0, $_ } ($pm, @children)), 'kill9: the postmaster and its ' . scalar(@children) . ' children are gone');
	svc('concurrency?limit=4');
	$node->start;
	ok( $node->poll_query_until('postgres',
			"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'sage dispatcher'"),
		'kill9: the server and its dispatcher are back');
	check_once('kill9', 100);
}

# the same execution (same id) in a server's table, as if replicated
sub insert_shared
{
	my ($n, $attempt, $placement) = @_;
	$n->safe_psql('postgres', qq{
		BEGIN;
		INSERT INTO sage.executions (id, config, max_attempts, attempt, attempt_base, placement, options)
		VALUES ('$shared', \$y\$$config\$y\$, 5, $attempt, $attempt, '$placement', '{"tag": "paused"}');
		INSERT INTO sage.execution_files (execution_id, role, name, ordinal, size, sha256, content)
		SELECT '$shared', 'in', 't.csv', 1, length(x), sha256(x), x
		FROM (SELECT convert_to('a,b' || E'\\n' || repeat(E'1,x\\n', $lines), 'UTF8') AS x) f;
		SELECT sage._wake_at_commit();
		COMMIT;});
}

# ------------------------------------------------------------------
# 6. a local worker paused past its lease, resumed after another attempt
#    of the same execution committed on Lambda
# ------------------------------------------------------------------
sub chaos_paused
{
	svc_reset(60);
	$node->append_conf('postgresql.conf', "sage.lambda_timeout = '60s'\n");
	$node->reload;
	$other = new_node('chaos_local', "sage.storage = 's3'\nsage.lock = 'dynamodb'\nsage.lock_lease = '5s'");
	my $other_log = -s $other->logfile;
	insert_shared($other, 0, 'local');
	# stopped while it processes records (its input already moved to S3)
	ok( $other->poll_query_until('postgres',
			"SELECT count(*) > 0 FROM sage.progress WHERE execution_id = '$shared' AND records_done > 0"),
		'paused: a local worker is processing the execution');
	my $wpid = $other->safe_psql('postgres',
		"SELECT pid FROM sage.progress WHERE execution_id = '$shared'");
	ok($wpid && kill('STOP', $wpid), "paused: worker $wpid stopped");
	my $item = ddb_item($shared);
	like($item ? $item->{owner}{S} : '', qr/^pg:.*:$wpid$/, 'paused: it holds the execution\'s lock');
	sleep 6;						# past sage.lock_lease (5 s)
	insert_shared($node, 1, 'lambda');
	my $ok = $node->poll_query_until('postgres',
		"SELECT state IN ('succeeded', 'failed', 'dead') FROM sage.executions WHERE id = '$shared'");
	ok($ok, 'paused: a Lambda attempt finishes while the worker is stopped');
	ok(kill(0, $wpid), 'paused: the worker is still there, stopped');
	my ($committed_state, $committed, $committed_where) = split / /, $node->safe_psql('postgres',
		"SELECT state || ' ' || attempt || ' ' || \"where\" FROM sage.executions WHERE id = '$shared'");
	ok($committed_state eq 'succeeded' && $committed >= 2 && $committed_where eq 'lambda',
		"paused: attempt $committed committed on Lambda ($committed_state)");
	ok(kill('CONT', $wpid), 'paused: the worker resumed');
	ok( $other->poll_query_until('postgres',
			"SELECT state IN ('succeeded', 'failed', 'dead') FROM sage.executions WHERE id = '$shared'"),
		'paused: the resumed worker\'s execution ends');
	like( $other->safe_psql('postgres', "SELECT state FROM sage.executions WHERE id = '$shared'"),
		qr/^(failed|dead)$/, 'paused: the resumed worker did not commit');
	is( $other->safe_psql('postgres',
			"SELECT count(*) FROM sage.execution_files WHERE execution_id = '$shared' AND role = 'out'"),
		0, 'paused: no output of the resumed worker committed');
	my $log = substr(slurp_file($other->logfile), $other_log);
	like($log, qr/execution $shared attempt 1 was refused by the lock table|stopped processing execution $shared attempt 1: it lost the execution's lock/,
		'paused: the stale attempt was fenced, and logged');
	like($log, qr/attempt \d+ of execution $shared could not take the execution's lock\n.*DETAIL:  attempt $committed of execution $shared already finished/,
		'paused: its retry found the execution finished by the committed attempt');
	my $st = ddb_item("status#$shared");
	ok($st && $st->{attempt}{N} == $committed && $st->{status}{S} eq 'succeeded',
		"paused: the status record is attempt $committed\'s");
	my $rep = s3('GET', "$bucket/$prefix$shared/attempt-$committed/report.json");
	like($rep->{content} // '', qr/"where"\s*:\s*"lambda"/, "paused: attempt $committed\'s report.json is Lambda\'s, untouched");
	# the reconciler promoted the committed attempt's outputs, and only those
	my $promoted = s3('GET', "$bucket/$prefix$shared/report.json");
	ok($promoted->{status} == 200 && $promoted->{content} eq $rep->{content},
		"paused: <id>/report.json is attempt $committed\'s, nothing of the stale attempt promoted");
	is( $node->safe_psql('postgres',
			"SELECT count(*) = count(*) FILTER (WHERE uri LIKE '%/$shared/attempt-$committed/%') AND count(*) >= 5 "
			  . "FROM sage.execution_files WHERE execution_id = '$shared' AND role = 'out'"),
		't', "paused: the committed outputs are attempt $committed\'s");
}

# SAGE_CHAOS_ONLY="kill9 paused" runs only those scenarios (development)
my %only = map { $_ => 1 } split /[ ,]+/, ($ENV{SAGE_CHAOS_ONLY} // '');
for my $name (qw(timeouts crashes duplicates throttling kill9 paused))
{
	next if %only && !$only{$name};
	my $t0 = time;
	no strict 'refs';
	&{"chaos_$name"}();
	diag(sprintf('scenario %s: %.1f s', $name, time - $t0));
}

$other->stop('fast') if $other;
$node->stop('fast');
svc('reset');
done_testing();
