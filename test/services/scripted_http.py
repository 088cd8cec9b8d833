#!/usr/bin/env python3
# test/services/scripted_http.py
#	A scripted HTTP server for the transport error paths that real
#	services cannot be made to produce on demand (STYLE.md practice 22):
#	5xx then success, throttling, dropped connections, slow replies,
#	oversized bodies.
#
#	A request to /script/<id>/<step>,<step>,... answers with the n-th step
#	on the n-th request for that <id> (the last step repeats). Steps:
#	  200      200 with a JSON body echoing the method, path, query, body
#	           length and request headers
#	  404|403|500|503|408|429   that status with an S3-style XML error
#	  400T     400 with <Code>Throttling</Code>
#	  json400T 400 with a JSON ThrottlingException (DynamoDB style)
#	  drop     close the connection without answering
#	  slow     wait 3 s, then 200
#	  big      200 with a 3 MB body
#	Credential endpoints (for test/aws/credentials_test.c):
#	  /ecs/<seconds>[?auth=<v>]   an ECS credentials document expiring in
#	           <seconds>, with a new AccessKeyId on every call; 401 unless
#	           the Authorization header equals <v> when given
#	  /latest/api/token (PUT), /latest/meta-data/iam/security-credentials/
#	  and .../<role>: IMDSv2, the token required on the GETs
#	  /bad-doc: a 200 that is not a credentials document
#	S3 listings (for test/aws/s3_test.c), the bucket name choosing:
#	  /xml-doctype/  a listing with a DOCTYPE (entity expansion bait)
#	  /xml-deep/     elements nested 50 deep
#	  /xml-notoken/  IsTruncated true without a continuation token
#	Any other path answers 200 with the echo.
#
#	Binds 127.0.0.1 on a free port and prints the port on stdout.

import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

counters = {}
lock = threading.Lock()

ERRORS = {
    403: 'AccessDenied', 404: 'NoSuchKey', 408: 'RequestTimeout', 429: 'TooManyRequests',
    500: 'InternalError', 503: 'SlowDown',
}


LISTINGS = {
    '/xml-doctype/': b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">]>'
                     b'<ListBucketResult><Contents><Key>&a;</Key></Contents></ListBucketResult>',
    '/xml-deep/': b'<ListBucketResult>' + b'<a>' * 50 + b'</a>' * 50 + b'</ListBucketResult>',
    '/xml-notoken/': b'<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>k</Key>'
                     b'<Size>1</Size></Contents></ListBucketResult>',
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, fmt, *args):
        sys.stderr.write('%s\n' % (fmt % args))

    def send(self, status, body, ctype='application/json'):
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('x-amz-request-id', 'REQ123')
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def echo(self):
        length = int(self.headers.get('Content-Length') or 0)
        data = self.rfile.read(length) if length else b''
        path, _, query = self.path.partition('?')
        doc = {'method': self.command, 'path': path, 'query': query, 'body_len': len(data),
               'headers': [[k, v] for k, v in self.headers.items()]}
        return json.dumps(doc).encode()

    def creds_doc(self, seconds):
        with lock:
            n = counters.get('creds', 0) + 1
            counters['creds'] = n
        exp = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() + seconds))
        doc = json.dumps({'Code': 'Success', 'AccessKeyId': 'ASIATEST%04d' % n,
                          'SecretAccessKey': 'secret/key%d' % n, 'Token': 'tok/en+%d=' % n,
                          'Expiration': exp})
        # JSON may escape '/': the client must unescape it
        return doc.replace('secret/', 'secret\\/').encode()

    def handle_any(self):
        echo = self.echo()
        path, _, query = self.path.partition('?')
        if path.startswith('/ecs/'):
            want = unquote(query[5:]) if query.startswith('auth=') else None
            if want is not None and self.headers.get('Authorization') != want:
                self.send(401, b'{"message":"unauthorized"}')
                return
            self.send(200, self.creds_doc(int(path[5:])))
            return
        if path in LISTINGS:
            self.send(200, LISTINGS[path], 'application/xml')
            return
        if path == '/bad-doc':
            self.send(200, b'{"Code":"Success","AccessKeyId":"A"}')
            return
        if path.startswith('/latest/'):
            if path == '/latest/api/token' and self.command == 'PUT':
                if not self.headers.get('X-aws-ec2-metadata-token-ttl-seconds'):
                    self.send(400, b'missing ttl')
                else:
                    self.send(200, b'IMDSTOKEN', 'text/plain')
                return
            if self.headers.get('X-aws-ec2-metadata-token') != 'IMDSTOKEN':
                self.send(401, b'', 'text/plain')
            elif path == '/latest/meta-data/iam/security-credentials/':
                self.send(200, b'sage-role\n', 'text/plain')
            elif path == '/latest/meta-data/iam/security-credentials/sage-role':
                self.send(200, self.creds_doc(21600))
            else:
                self.send(404, b'', 'text/plain')
            return
        parts = self.path.split('?')[0].split('/')
        if len(parts) < 4 or parts[1] != 'script':
            self.send(200, echo)
            return
        steps = parts[3].split(',')
        with lock:
            n = counters.get(parts[2], 0)
            counters[parts[2]] = n + 1
        step = steps[min(n, len(steps) - 1)]
        if step == '200':
            self.send(200, echo)
        elif step == 'drop':
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif step == 'slow':
            time.sleep(3)
            self.send(200, echo)
        elif step == 'big':
            self.send(200, b'x' * (3 * 1024 * 1024), 'application/octet-stream')
        elif step == '400T':
            self.send(400, b'<?xml version="1.0"?><Error><Code>Throttling</Code>'
                      b'<Message>Rate exceeded</Message></Error>', 'application/xml')
        elif step == 'json400T':
            self.send(400, b'{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException",'
                      b'"message":"Rate of requests exceeds the allowed throughput."}',
                      'application/x-amz-json-1.0')
        else:
            status = int(step)
            self.send(status, ('<?xml version="1.0"?><Error><Code>%s</Code><Message>scripted %d'
                               '</Message></Error>' % (ERRORS.get(status, 'Error'), status)).encode(),
                      'application/xml')

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = handle_any


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
