#!/usr/bin/env python3
# test/aws/tls_server.py
#	A minimal HTTPS server for test/aws/run_tls_test.sh: serves with the
#	certificate and key it is given on 127.0.0.1 (a free port, written to
#	PORT_FILE) and answers 202 with an empty body to every POST, as
#	Lambda's Invoke API does for an Event invocation.
#
#	tls_server.py CERT KEY PORT_FILE
import http.server
import ssl
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(n)
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.send_header("x-amzn-RequestId", "tls-test")
        self.end_headers()

    def log_message(self, fmt, *args):
        pass


def main():
    cert, key, port_file = sys.argv[1:4]
    # the default listen backlog of 5 drops connects when a test opens
    # a hundred at once, as the real endpoints never do
    http.server.ThreadingHTTPServer.request_queue_size = 1024
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(port_file + ".tmp", port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
