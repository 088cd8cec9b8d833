# t/SageTestServices.pm
#	Helpers the TAP tests share to reach the local AWS services
#	(test/services/with_aws_services.sh: moto for S3 and CloudWatch,
#	DynamoDB Local) and to start a server with sage preloaded. The
#	endpoints come from SAGE_TEST_MOTO_ENDPOINT and
#	SAGE_TEST_DYNAMODB_ENDPOINT; the services do not check signatures, so
#	requests carry a fixed, well-formed Authorization header.
package SageTestServices;

use strict;
use warnings;
use Exporter 'import';
use HTTP::Tiny;
use JSON::PP;
use PostgreSQL::Test::Cluster;

our @EXPORT = qw(ddb ddb_item s3 s3_keys sage_node);

my $http = HTTP::Tiny->new(timeout => 30);

# one DynamoDB call (DynamoDB Local does not check signatures)
sub ddb
{
	my ($op, $body) = @_;
	my $r = $http->request('POST', "$ENV{SAGE_TEST_DYNAMODB_ENDPOINT}/", {
		headers => {
			'X-Amz-Target' => "DynamoDB_20120810.$op",
			'Content-Type' => 'application/x-amz-json-1.0',
			'X-Amz-Date' => '20260101T000000Z',
			'Authorization' => 'AWS4-HMAC-SHA256 Credential=AKIDSAGETEST/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=00' },
		content => encode_json($body) });
	my $out = $r->{content} ne '' ? eval { decode_json($r->{content}) } : {};
	return ($r->{status}, $out // {});
}

# the item of execution_id $key in $table (consistent read), or undef
sub ddb_item
{
	my ($table, $key) = @_;
	my ($st, $out) = ddb('GetItem', { TableName => $table,
		Key => { execution_id => { S => $key } }, ConsistentRead => JSON::PP::true });
	die "GetItem: $st" unless $st == 200;
	return $out->{Item};
}

# one S3 request (with a body when $content is given); moto treats
# unsigned requests as anonymous (403 on private objects) but does not
# check signatures
sub s3
{
	my ($method, $path, $content) = @_;
	return $http->request($method, "$ENV{SAGE_TEST_MOTO_ENDPOINT}/$path", {
		headers => { 'Authorization' => 'AWS4-HMAC-SHA256 Credential=AKIDSAGETEST/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00',
					 'X-Amz-Content-Sha256' => 'UNSIGNED-PAYLOAD',
					 'X-Amz-Date' => '20260101T000000Z' },
		defined $content ? (content => $content) : () });
}

# the keys under prefix $p of $bucket, sorted
sub s3_keys
{
	my ($bucket, $p) = @_;
	my $r = s3('GET', "$bucket?list-type=2&prefix=$p");
	die "ListObjectsV2: $r->{status}" unless $r->{status} == 200;
	return sort ($r->{content} =~ m{<Key>([^<]+)</Key>}g);
}

# a started server $name with sage preloaded and created, plus $conf
sub sage_node
{
	my ($name, $conf) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'sage'
sage.database = 'postgres'
max_worker_processes = 16
$conf
});
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION sage');
	return $node;
}

1;
