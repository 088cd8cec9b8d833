#!/usr/bin/env python3
# test/aws/fake_s3_faults.py
#	An S3 look-alike for the failures moto cannot be made to produce, used
#	by test/aws/svc_s3.c (path-style, no signature check). By key:
#	  POST /b/<key>?uploads            200 with UploadId "UP-<key>"
#	  PUT  /b/mp-fail?partNumber=2...  400 InvalidArgument (not retried)
#	  PUT  /b/mp-etag?partNumber=...   200 with a wrong ETag
#	  PUT  /b/<key>?partNumber=...     200 with the part's MD5 as ETag
#	  POST /b/mp-complete-error?uploadId=...  200 with an <Error> body
#	  POST /b/<key>?uploadId=...       200 CompleteMultipartUploadResult
#	  DELETE /b/<key>?uploadId=...     204, the abort recorded
#	  PUT  /b/copy-error (copy)        200 with an <Error> body
#	  GET  /b/badsum                   "hello" with a wrong SHA-256 checksum
#	  GET  /b/goodcrc | /b/badcrc      "hello" with a right | wrong CRC32
#	  GET  /__aborts                   JSON list of aborted keys
#	Binds 127.0.0.1 on a free port and prints the port on stdout.

import base64
import hashlib
import json
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

lock = threading.Lock()
aborts = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, fmt, *args):
        sys.stderr.write('%s\n' % (fmt % args))

    def send(self, status, body=b'', headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def parse(self):
        n = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(n) if n else b''
        parts = urlsplit(self.path)
        key = parts.path.split('/', 2)[2] if parts.path.count('/') >= 2 else ''
        return body, key, parse_qs(parts.query, keep_blank_values=True)

    def do_POST(self):
        body, key, q = self.parse()
        if 'uploads' in q:
            return self.send(200, ('<?xml version="1.0"?><InitiateMultipartUploadResult>'
                                   '<Bucket>b</Bucket><Key>%s</Key><UploadId>UP-%s</UploadId>'
                                   '</InitiateMultipartUploadResult>' % (key, key)).encode())
        if key == 'mp-complete-error':
            return self.send(200, b'<?xml version="1.0"?>\n<Error><Code>InternalError</Code>'
                             b'<Message>We encountered an internal error.</Message></Error>')
        return self.send(200, ('<CompleteMultipartUploadResult><ETag>"x-1"</ETag>'
                               '</CompleteMultipartUploadResult>').encode())

    def do_PUT(self):
        body, key, q = self.parse()
        if 'partNumber' in q:
            if key == 'mp-fail' and q['partNumber'] == ['2']:
                return self.send(400, b'<Error><Code>InvalidArgument</Code>'
                                 b'<Message>part refused</Message></Error>')
            etag = '0' * 32 if key == 'mp-etag' else hashlib.md5(body).hexdigest()
            return self.send(200, b'', {'ETag': '"%s"' % etag})
        if key == 'copy-error':
            return self.send(200, b'<Error><Code>InternalError</Code>'
                             b'<Message>copy failed late</Message></Error>')
        return self.send(200, b'', {'ETag': '"%s"' % hashlib.md5(body).hexdigest()})

    def do_DELETE(self):
        _, key, q = self.parse()
        if 'uploadId' in q:
            with lock:
                aborts.append(key)
        return self.send(204)

    def do_GET(self):
        _, key, _ = self.parse()
        if self.path == '/__aborts':
            with lock:
                return self.send(200, json.dumps(aborts).encode())
        body = b'hello'
        h = {}
        if key == 'badsum':
            h['x-amz-checksum-sha256'] = base64.b64encode(hashlib.sha256(b'other').digest()).decode()
        elif key in ('goodcrc', 'badcrc'):
            crc = zlib.crc32(body if key == 'goodcrc' else b'other')
            h['x-amz-checksum-crc32'] = base64.b64encode(crc.to_bytes(4, 'big')).decode()
        return self.send(200, body, h)


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
