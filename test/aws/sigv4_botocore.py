#!/usr/bin/env python3
# test/aws/sigv4_botocore.py
#	Second opinion on the SigV4 signer: generates varied requests, signs
#	each with botocore (SigV4Auth, S3SigV4Auth, SigV4QueryAuth,
#	S3SigV4QueryAuth) at a fixed time and with sage's signer through
#	test/aws/sigv4_tool, and compares the results.
#
#	Header mode compares the Authorization header, X-Amz-Date, and the
#	x-amz-content-sha256 and X-Amz-Security-Token headers; query mode
#	compares the signature and the decoded set of query parameters.
#
#	The generator stays inside what botocore itself handles correctly:
#	presigned requests have no body (botocore moves a body into the query)
#	and no repeated query keys (botocore keeps one), header values use no
#	white space other than space and tab (Python's str.split() also splits
#	on \x1c-\x1f and Unicode spaces, which AWS does not), and the query
#	string botocore sees is already canonically encoded (botocore signs a
#	URL's query verbatim). sage gets the same request in other, equivalent
#	forms where it supports them: unencoded parameters, lower-case hex
#	escapes, raw UTF-8, or a Host header instead of the host field.
#
#	usage: sigv4_botocore.py TOOL [COUNT [SEED]]
#	Prints one line per failure and a final "N passed, M failed"; exits 1
#	on any failure.

import datetime
import hashlib
import random
import subprocess
import sys
from urllib.parse import parse_qsl, quote, urlsplit

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS', 'get', 'Post']
SERVICES = ['s3', 'dynamodb', 'lambda', 'sqs', 'monitoring', 'execute-api', 'sts', 'service']
REGIONS = ['us-east-1', 'eu-west-3', 'ap-southeast-2', 'cn-north-1', 'us-gov-west-1', 'eu-south-2']
HOSTS = ['example.amazonaws.com', 'bucket.s3.eu-west-3.amazonaws.com', '127.0.0.1',
         'LOCALHOST', 'dynamodb.us-east-1.amazonaws.com']
SEGMENTS = ['a', 'key', 'Foo', '..', '.', '', 'with space', 'ünïcödé', '日本語', 'emoji😀',
            'a+b', 'x=y', 'p%q', 'semi;colon', 'at@sign', "quote'", 'paren(1)', 'star*',
            'tilde~', 'dash-dot.under_', 'comma,', 'dollar$', 'amp&', 'excl!', 'colon:',
            '%2F', 'ěšč', 'a' * 200, '...', 'x.', '.y']
QUERY_WORDS = ['', 'a', 'value', 'with space', 'ü', '日本', 'a+b', 'x=y', 'a&b', '%', '~tilde',
               '-._~', 'UPPER', 'lower', '0123', '/slash/', '?q', '#frag', 'emoji😀', 'a{', 'aa',
               "'\"<>", 'list-type', 'prefix', 'continuation-token', 'max-keys']
HEADER_NAMES = ['Content-Type', 'X-Amz-Meta-Foo', 'x-amz-meta-bar', 'If-None-Match', 'Range',
                'X-Amz-Target', 'Content-MD5', 'X-Custom', "X-Odd!#$%&'*+.^_`|~", 'ACCEPT',
                'Cache-Control', 'X-Amz-Storage-Class', 'User-Agent', 'Expect',
                'X-Amzn-Trace-Id']
HEADER_VALUES = ['x', '  padded  ', 'a   b    c', 'tab\there', '\t\tlead tab', 'trail tab\t',
                 'ü unicode ö', '"quoted   value"', '', '   ', 'bytes=0-99', '*',
                 'application/x-amz-json-1.0', 'DynamoDB_20120810.PutItem', 'a,b,c',
                 'multi  \t  space', '100-continue']


def fixed_time(rng):
    """A random signing time between 2001 and 2030, whole seconds."""
    t = rng.randint(978307200, 1893456000)
    return t, datetime.datetime.fromtimestamp(t, datetime.timezone.utc).replace(tzinfo=None)


def random_path(rng, s3):
    """A URI-encoded path made of odd segments, as a client would send it."""
    n = rng.randint(0, 6)
    segs = [rng.choice(SEGMENTS) for _ in range(n)]
    if s3 and n > 0:
        # S3 paths are signed as sent: no dot segments or empty segments a
        # client library would have to keep
        segs = [s if s not in ('', '.', '..') else 'dot' for s in segs]
    safe = rng.choice(['', "!$&'()*+,;=:@", '~'])
    path = '/' + '/'.join(quote(s, safe=safe) for s in segs)
    if rng.random() < 0.2:
        path += '/'
    if not s3 and rng.random() < 0.1:
        path = path.replace('/', '//', 1)
    return path


def random_query(rng, presign):
    """Unencoded (name, value) pairs; value None means no '='."""
    pairs = []
    used = set()
    for _ in range(rng.randint(0, 6)):
        k = rng.choice(QUERY_WORDS) or 'k'
        if presign and (k in used or k.lower().startswith('x-amz-')):
            continue
        used.add(k)
        v = rng.choice(QUERY_WORDS)
        if not presign and rng.random() < 0.15:
            v = None
        pairs.append((k, v))
    return pairs


def enc(s):
    return quote(s, safe='-_.~')


def raw_utf8(s):
    """Encoded except for non-ASCII characters, left as raw UTF-8."""
    return ''.join(c if ord(c) > 127 else enc(c) for c in s)


def lower_hex_variant(s):
    """The same query with lower-case hex escapes (sage decodes them)."""
    out = []
    i = 0
    while i < len(s):
        if s[i] == '%':
            out.append(s[i:i + 3].lower())
            i += 3
        else:
            out.append(s[i])
            i += 1
    return ''.join(out)


def random_body(rng):
    kind = rng.random()
    if kind < 0.3:
        return b''
    if kind < 0.5:
        return 'ünïcode body ✓ {"a": 1}'.encode('utf-8')
    if kind < 0.55:
        return rng.randbytes(1024 * 1024 + rng.randint(0, 999))
    return rng.randbytes(rng.randint(1, 5000))


def host_from_url(url):
    return botocore.auth._host_from_url(url)


def make_case(rng, index):
    """One random request: the botocore side and the sage side."""
    service = 's3' if rng.random() < 0.3 else rng.choice(SERVICES)
    s3 = service == 's3'
    presign = rng.random() < 0.3
    scheme = rng.choice(['http', 'https'])
    host = rng.choice(HOSTS)
    port = rng.choice([None, None, 443, 80, 5000, 8443])
    netloc = host if port is None else '%s:%d' % (host, port)
    path = random_path(rng, s3)
    pairs = random_query(rng, presign)
    query = '&'.join(enc(k) if v is None else enc(k) + '=' + enc(v) for k, v in pairs)
    url = '%s://%s%s' % (scheme, netloc, path) + ('?' + query if query else '')
    method = rng.choice(METHODS)
    tnum, tdt = fixed_time(rng)
    akid = 'AKIA' + ''.join(rng.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567') for _ in range(16))
    secret = ''.join(rng.choice('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/+')
                     for _ in range(40))
    token = None
    if rng.random() < 0.35:
        token = ''.join(rng.choice('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/+=')
                        for _ in range(rng.randint(16, 400)))
    region = rng.choice(REGIONS)
    headers = []
    for _ in range(rng.randint(0, 6)):
        name = rng.choice(HEADER_NAMES)
        if name.lower() == 'content-type' and presign:
            continue
        headers.append((name, rng.choice(HEADER_VALUES)))
    body = b'' if presign else random_body(rng)
    host_as_header = rng.random() < 0.15
    expires = rng.choice([1, 60, 900, 3600, 86400, 604800])

    # botocore
    creds = Credentials(akid, secret, token)
    req = AWSRequest(method=method, url=url, data=body if body else None)
    for name, value in headers:
        req.headers[name] = value  # appends: repeated names stay repeated
    if host_as_header:
        req.headers['Host'] = host_from_url(url)
    unsigned = False
    caller_hash = False
    if s3 and not presign and rng.random() < 0.25:
        req.context['client_config'] = Config(s3={'payload_signing_enabled': False})
        unsigned = True
    if not s3 and not presign and rng.random() < 0.1:
        # a caller-given x-amz-content-sha256 is the payload hash
        req.headers['X-Amz-Content-SHA256'] = hashlib.sha256(body).hexdigest()
        caller_hash = True
    if presign:
        cls = botocore.auth.S3SigV4QueryAuth if s3 else botocore.auth.SigV4QueryAuth
        signer = cls(creds, service, region, expires=expires)
    else:
        cls = botocore.auth.S3SigV4Auth if s3 else botocore.auth.SigV4Auth
        signer = cls(creds, service, region)
    botocore.auth.get_current_datetime = lambda: tdt
    signer.add_auth(req)

    # sage
    lines = []

    def put(key, *values):
        lines.append(key + ' ' + ' '.join(
            '-' if v is None else ('.' if v == b'' or v == '' else
                                   (v if isinstance(v, bytes) else v.encode('utf-8')).hex())
            for v in values))

    put('method', method)
    if not host_as_header:
        put('host', host_from_url(url))
    put('path', path)
    form = rng.random()
    if pairs and form < 0.35:
        for k, v in pairs:
            put('param', k, v)
    elif pairs and form < 0.5:
        put('raw_query', lower_hex_variant(query))
    elif pairs and form < 0.65 and not presign:
        # raw UTF-8: decoded and re-encoded by sage
        put('raw_query', '&'.join(raw_utf8(k) if v is None else raw_utf8(k) + '=' + raw_utf8(v)
                                  for k, v in pairs))
    elif pairs:
        half = len(pairs) // 2
        for k, v in pairs[:half]:
            put('param', k, v)
        rest = pairs[half:]
        put('raw_query', '&'.join(enc(k) if v is None else enc(k) + '=' + enc(v) for k, v in rest))
    for name, value in headers:
        put('header', name, value)
    if host_as_header:
        put('header', 'Host', host_from_url(url))
    if caller_hash:
        put('header', 'X-Amz-Content-SHA256', hashlib.sha256(body).hexdigest())
    put('region', region)
    put('service', service)
    put('time', str(tnum))
    put('akid', akid)
    put('secret', secret)
    if token is not None:
        put('token', token)
    put('mode', 'query' if presign else 'header')
    put('expires', str(expires))
    if s3 and (presign or unsigned):
        put('payload', 'unsigned')
    elif s3 and rng.random() < 0.3 and body:
        # a streamed upload: the caller hashed the body itself
        put('payload', 'hash')
        put('payload_hash', hashlib.sha256(body).hexdigest())
    elif body and not caller_hash:
        put('body', body)
    put('content_sha256', '1' if s3 and not presign else '0')
    lines.append('end')

    expect = {'presign': presign, 's3': s3, 'url': req.url}
    if presign:
        parts = urlsplit(req.url)
        q = parse_qsl(parts.query, keep_blank_values=True)
        expect['signature'] = dict(q)['X-Amz-Signature']
        expect['query'] = sorted(q)
    else:
        expect['authorization'] = req.headers['Authorization']
        expect['amz_date'] = req.headers['X-Amz-Date']
        expect['content_sha256'] = req.headers.get('X-Amz-Content-SHA256') if s3 else None
        expect['token'] = req.headers.get('X-Amz-Security-Token')
    desc = '#%d %s %s %s %s%s' % (index, 'presign' if presign else 'header', service,
                                  method, url[:120], ' (token)' if token else '')
    return '\n'.join(lines) + '\n', expect, desc


def unhex(s):
    if s == '-':
        return None
    if s == '.':
        return ''
    return bytes.fromhex(s).decode('utf-8')


def compare(result, expect):
    """A list of differences between sage's result line and botocore."""
    fields = result.split(' ')
    if fields[0] != 'ok':
        return ['sage failed: %s' % unhex(fields[1])]
    auth, query, sig, payload, amz_date, added = (unhex(f) for f in fields[1:7])
    added_map = {}
    for line in added.splitlines():
        name, _, value = line.partition(':')
        added_map[name.lower()] = value
    diffs = []
    if expect['presign']:
        if sig != expect['signature']:
            diffs.append('signature %s != botocore %s' % (sig, expect['signature']))
        ours = sorted(parse_qsl(query, keep_blank_values=True))
        if ours != expect['query']:
            diffs.append('query %r != botocore %r' % (ours, expect['query']))
    else:
        if auth != expect['authorization']:
            diffs.append('authorization %s != botocore %s' % (auth, expect['authorization']))
        if amz_date != expect['amz_date'] or added_map.get('x-amz-date') != amz_date:
            diffs.append('x-amz-date %s != botocore %s' % (amz_date, expect['amz_date']))
        if expect['content_sha256'] is not None and \
                added_map.get('x-amz-content-sha256') != expect['content_sha256']:
            diffs.append('x-amz-content-sha256 %s != botocore %s' %
                         (added_map.get('x-amz-content-sha256'), expect['content_sha256']))
        if added_map.get('x-amz-security-token') != expect['token']:
            diffs.append('security token header differs')
    return diffs


def main():
    tool = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20150830
    rng = random.Random(seed)
    cases = [make_case(rng, i) for i in range(count)]
    stdin = ''.join(c[0] for c in cases)
    proc = subprocess.run([tool], input=stdin.encode('ascii'), capture_output=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode('utf-8', 'replace'))
        print('0 passed, %d failed' % count)
        sys.exit(1)
    results = proc.stdout.decode('ascii').splitlines()
    passed = failed = 0
    kinds = {}
    for i, (_, expect, desc) in enumerate(cases):
        diffs = compare(results[i], expect) if i < len(results) else ['no result from sage']
        if diffs:
            failed += 1
            print('FAIL %s' % desc)
            for d in diffs:
                print('    ' + d)
        else:
            passed += 1
            key = ('presign' if expect['presign'] else 'header') + '/' + \
                ('s3' if expect['s3'] else 'other')
            kinds[key] = kinds.get(key, 0) + 1
    print('compared: ' + ', '.join('%s %d' % kv for kv in sorted(kinds.items())))
    print('%d passed, %d failed' % (passed, failed))
    sys.exit(1 if failed or passed < count else 0)


if __name__ == '__main__':
    main()
