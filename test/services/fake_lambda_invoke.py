#!/usr/bin/env python3
# test/services/fake_lambda_invoke.py
#	A minimal but faithful implementation of the HTTP contract of AWS
#	Lambda's Invoke API (2015-03-31), for testing src/aws/lambda.c where no
#	real Lambda runs (moto's Invoke needs docker, which these machines do
#	not have). What a function *does* is scripted by the test; how the API
#	answers is Lambda's:
#
#	  POST /2015-03-31/functions/{FunctionName}/invocations[?Qualifier=q]
#	    - SigV4 (service "lambda") verified with botocore against the
#	      secret of the access key (403 InvalidSignatureException on a
#	      mismatch, 403 UnrecognizedClientException for an unknown key,
#	      403 MissingAuthenticationTokenException without one, 403
#	      InvalidSignatureException "Signature expired" outside 5 minutes),
#	      x-amz-content-sha256 checked against the body;
#	    - X-Amz-Invocation-Type Event (202, empty body), RequestResponse
#	      (default; 200 with the function's result, X-Amz-Function-Error
#	      when it failed, X-Amz-Executed-Version), DryRun (204); anything
#	      else is 400 InvalidParameterValueException;
#	    - payload limits: 256 KB for Event, 6 MB for RequestResponse, else
#	      413 RequestEntityTooLargeException; a payload that is not JSON is
#	      400 InvalidRequestContentException;
#	    - unknown function or qualifier: 404 ResourceNotFoundException;
#	    - errors carry x-amzn-ErrorType "<Exception>:http://internal.amazon.com/
#	      coral/com.amazonaws.awslambda/", x-amzn-RequestId and a JSON body
#	      {"Type": "User", "message": ...} (+ "Reason" for throttling).
#	Test control (unsigned, not part of the API):
#	  PUT /__function/{name}   body: JSON list of steps, consumed one per
#	      invocation, the last repeating; creates the function. A step is
#	      {"result": <json>} (return it; default: echo the payload),
#	      {"error": "Unhandled", "errorMessage": ...} (function error),
#	      {"throttle": "ReservedFunctionConcurrentInvocationLimitExceeded"}
#	      (429), {"status": 500} (service error), {"drop": true} (close
#	      the connection without answering).
#	  GET /__invocations/{name}   JSON list of the invocations received:
#	      type, qualifier, payload (text), signature_ok.
#
#	Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY of the
#	environment are the only known keys. Binds 127.0.0.1 on a free port and
#	prints the port on stdout.

import datetime
import hashlib
import json
import os
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

MAX_EVENT = 256 * 1024
MAX_SYNC = 6 * 1024 * 1024
CORAL = ':http://internal.amazon.com/coral/com.amazonaws.awslambda/'
PREFIX = '/2015-03-31/functions/'
SUFFIX = '/invocations'

KEYS = {os.environ.get('AWS_ACCESS_KEY_ID', 'AKIDSAGETEST'):
        os.environ.get('AWS_SECRET_ACCESS_KEY', 'sage-test-secret')}

lock = threading.Lock()
functions = {}      # name -> {'steps': [...], 'n': invocations so far}
invocations = {}    # name -> [records]


def verify_signature(handler, body):
    """Returns None when the request is signed correctly, else (code, message)."""
    auth = handler.headers.get('Authorization')
    if not auth:
        return ('MissingAuthenticationTokenException', 'Missing Authentication Token')
    try:
        algo, rest = auth.split(' ', 1)
        parts = dict(p.strip().split('=', 1) for p in rest.split(','))
        cred = parts['Credential'].split('/')
        signed = parts['SignedHeaders'].split(';')
        got_sig = parts['Signature']
        akid, date, region, service, term = cred
    except (ValueError, KeyError):
        return ('IncompleteSignatureException', 'Authorization header is malformed')
    if algo != 'AWS4-HMAC-SHA256' or service != 'lambda' or term != 'aws4_request':
        return ('IncompleteSignatureException', 'Credential scope is not for lambda')
    if akid not in KEYS:
        return ('UnrecognizedClientException', 'The security token included in the request is invalid.')
    amz_date = handler.headers.get('X-Amz-Date', '')
    try:
        when = datetime.datetime.strptime(amz_date, '%Y%m%dT%H%M%SZ').replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        return ('IncompleteSignatureException', 'X-Amz-Date is missing or malformed')
    if abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) > 300:
        return ('InvalidSignatureException', 'Signature expired: %s' % amz_date)
    if not amz_date.startswith(date):
        return ('InvalidSignatureException', 'Credential date does not match X-Amz-Date')
    sent_hash = handler.headers.get('x-amz-content-sha256')
    if sent_hash is not None and sent_hash != hashlib.sha256(body).hexdigest():
        return ('InvalidSignatureException', 'x-amz-content-sha256 does not match the payload')
    headers = {}
    for name in signed:
        value = handler.headers.get(name)
        if value is None:
            return ('InvalidSignatureException', 'Signed header %s is missing' % name)
        headers[name] = value
    if 'host' not in signed:
        return ('InvalidSignatureException', 'The Host header is not signed')
    url = 'http://%s%s' % (handler.headers['Host'], handler.path)
    req = AWSRequest(method=handler.command, url=url, headers=headers, data=body)
    req.context['timestamp'] = amz_date
    signer = SigV4Auth(Credentials(akid, KEYS[akid], handler.headers.get('X-Amz-Security-Token')),
                       'lambda', region)
    want = signer.signature(signer.string_to_sign(req, signer.canonical_request(req)), req)
    if want != got_sig:
        return ('InvalidSignatureException',
                'The request signature we calculated does not match the signature you provided.')
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, fmt, *args):
        sys.stderr.write('%s\n' % (fmt % args))

    def reply(self, status, body=b'', headers=None):
        self.send_response(status)
        self.send_header('x-amzn-RequestId', str(uuid.uuid4()))
        self.send_header('Content-Length', str(len(body)))
        if body:
            self.send_header('Content-Type', 'application/json')
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, code, message, extra=None, headers=None):
        doc = {'Type': 'User' if status < 500 else 'Service', 'message': message}
        doc.update(extra or {})
        h = {'x-amzn-ErrorType': code + CORAL}
        h.update(headers or {})
        self.reply(status, json.dumps(doc).encode(), h)

    def read_body(self):
        length = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(length) if length else b''

    def do_PUT(self):
        body = self.read_body()
        if not self.path.startswith('/__function/'):
            return self.error(404, 'UnknownOperationException', 'Unknown operation')
        name = unquote(self.path[len('/__function/'):])
        steps = json.loads(body or b'[{}]')
        with lock:
            functions[name] = {'steps': steps or [{}], 'n': 0}
            invocations[name] = []
        self.reply(200, b'{}')

    def do_GET(self):
        if not self.path.startswith('/__invocations/'):
            return self.error(404, 'UnknownOperationException', 'Unknown operation')
        name = unquote(self.path[len('/__invocations/'):])
        with lock:
            doc = json.dumps(invocations.get(name, [])).encode()
        self.reply(200, doc)

    def do_POST(self):
        body = self.read_body()
        parts = urlsplit(self.path)
        path = parts.path
        if not (path.startswith(PREFIX) and path.endswith(SUFFIX)):
            return self.error(404, 'UnknownOperationException', 'Unknown operation')
        bad = verify_signature(self, body)
        if bad is not None:
            return self.error(403, bad[0], bad[1])
        name = unquote(path[len(PREFIX):-len(SUFFIX)])
        # a full ARN names the function by its last element(s)
        if name.startswith('arn:aws:lambda:'):
            name = name.split(':')[6]
        qualifier = dict(parse_qsl(parts.query)).get('Qualifier')
        itype = self.headers.get('X-Amz-Invocation-Type', 'RequestResponse')
        if itype not in ('Event', 'RequestResponse', 'DryRun'):
            return self.error(400, 'InvalidParameterValueException',
                              'Invalid invocation type: %s' % itype)
        limit = MAX_EVENT if itype == 'Event' else MAX_SYNC
        if len(body) > limit:
            return self.error(413, 'RequestEntityTooLargeException',
                              'Request must be smaller than %d bytes for the %s invocation'
                              % (limit, itype))
        with lock:
            known = name in functions
        if known and body:
            try:
                payload = json.loads(body)
            except ValueError:
                return self.error(400, 'InvalidRequestContentException',
                                  'Could not parse request body into json')
        else:
            payload = None
        with lock:
            fn = functions.get(name)
            if fn is None or (qualifier not in (None, '$LATEST', '1')):
                missing = True
            else:
                missing = False
                step = fn['steps'][min(fn['n'], len(fn['steps']) - 1)]
                fn['n'] += 1
                invocations[name].append({'type': itype, 'qualifier': qualifier,
                                          'payload': body.decode('utf-8', 'replace'),
                                          'signature_ok': True})
        if missing:
            return self.error(404, 'ResourceNotFoundException',
                              'Function not found: arn:aws:lambda:us-east-1:123456789012:'
                              'function:%s%s' % (name, ':' + qualifier if qualifier else ''))
        if step.get('drop'):
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if 'throttle' in step:
            return self.error(429, 'TooManyRequestsException', 'Rate Exceeded.',
                              {'Reason': step['throttle']}, {'Retry-After': '1'})
        if 'status' in step:
            return self.error(step['status'], 'ServiceException', 'Internal error')
        version = {'X-Amz-Executed-Version': qualifier if qualifier and qualifier != '$LATEST'
                   else '$LATEST'}
        if itype == 'DryRun':
            return self.reply(204, b'', version)
        if itype == 'Event':
            return self.reply(202, b'', version)
        if 'error' in step:
            doc = {'errorMessage': step.get('errorMessage', 'failed'),
                   'errorType': step.get('errorType', 'Error'), 'stackTrace': []}
            version['X-Amz-Function-Error'] = step['error']
            return self.reply(200, json.dumps(doc).encode(), version)
        result = step['result'] if 'result' in step else payload
        return self.reply(200, json.dumps(result).encode(), version)


def main():
    # the default listen backlog of 5 drops connects when a test opens
    # a hundred at once, as the real endpoints never do
    ThreadingHTTPServer.request_queue_size = 1024
    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == '__main__':
    main()
