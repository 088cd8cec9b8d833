#!/usr/bin/env python3
# test/lambda/local_runtime.py
#	A minimal, faithful Lambda Runtime API (2018-06-01) for testing
#	lambda/bootstrap: it hands scripted events to the runtime on
#	GET /runtime/invocation/next (with Lambda-Runtime-Aws-Request-Id,
#	Lambda-Runtime-Deadline-Ms, -Invoked-Function-Arn and -Trace-Id), and
#	records what comes back on /invocation/<id>/response,
#	/invocation/<id>/error and /init/error. Like the real service, it
#	refuses a second answer for one request id and answers for ids it
#	never handed out, and "next" blocks until an event is queued.
#
#	Used as a module (LocalRuntime) by run_bootstrap_test.py.

import json
import queue
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"
MAX_RESPONSE = 6 * 1024 * 1024  # Lambda's synchronous payload limit


class _QuietServer(ThreadingHTTPServer):
    """A runtime killed while it waits on "next" is normal, not news."""

    request_queue_size = 1024

    def handle_error(self, request, client_address):
        pass


class LocalRuntime:
    """The Runtime API of one execution environment."""

    def __init__(self, timeout_s=60, function_name="sage-bootstrap-test"):
        self.timeout_s = timeout_s
        self.function_name = function_name
        self.pending = queue.Queue()      # (request_id, event bytes)
        self.results = {}                 # request_id -> dict
        self.handed_out = set()
        self.init_errors = []
        self.cond = threading.Condition()
        self.first_next = None            # time.time() of the first "next"
        self.server = _QuietServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def address(self):
        host, port = self.server.server_address[:2]
        return "%s:%d" % (host, port)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def enqueue(self, event):
        """Queues an event (dict or raw bytes); returns its request id."""
        rid = str(uuid.uuid4())
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        self.pending.put((rid, body))
        return rid

    def wait(self, rid, timeout=None):
        """The recorded outcome of rid: {"kind": "response"|"error", ...}."""
        end = time.time() + (timeout or self.timeout_s + 30)
        with self.cond:
            while rid not in self.results:
                left = end - time.time()
                if left <= 0:
                    raise TimeoutError("no answer for invocation %s" % rid)
                self.cond.wait(left)
            return self.results[rid]

    def invoke(self, event, timeout=None):
        return self.wait(self.enqueue(event), timeout)

    def _record(self, rid, outcome):
        with self.cond:
            self.results[rid] = outcome
            self.cond.notify_all()

    def _handler(self):
        rt = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):
                pass

            def _send(self, code, obj, headers=None):
                data = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _body(self):
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def do_GET(self):
                if self.path != PREFIX + "/invocation/next":
                    return self._send(404, {"errorType": "NotFound"})
                if rt.first_next is None:
                    rt.first_next = time.time()
                rid, body = rt.pending.get()
                rt.handed_out.add(rid)
                deadline = int((time.time() + rt.timeout_s) * 1000)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Lambda-Runtime-Aws-Request-Id", rid)
                self.send_header("Lambda-Runtime-Deadline-Ms", str(deadline))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                                 "arn:aws:lambda:us-east-1:123456789012:function:" + rt.function_name)
                self.send_header("Lambda-Runtime-Trace-Id",
                                 "Root=1-%08x-%s;Sampled=0" % (int(time.time()), uuid.uuid4().hex[:24]))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                body = self._body()
                if self.path == PREFIX + "/init/error":
                    rt.init_errors.append({
                        "type": self.headers.get("Lambda-Runtime-Function-Error-Type"),
                        "payload": json.loads(body or b"{}")})
                    return self._send(202, {"status": "OK"})
                parts = self.path[len(PREFIX):].split("/")
                # ["", "invocation", rid, "response"|"error"]
                if (not self.path.startswith(PREFIX) or len(parts) != 4 or
                        parts[1] != "invocation" or parts[3] not in ("response", "error")):
                    return self._send(404, {"errorType": "NotFound"})
                rid = parts[2]
                if rid not in rt.handed_out:
                    return self._send(400, {"errorType": "InvalidRequestID",
                                            "errorMessage": "unknown request id"})
                if rid in rt.results:
                    return self._send(403, {"errorType": "InvalidStateTransition",
                                            "errorMessage": "invocation already answered"})
                if len(body) > MAX_RESPONSE:
                    return self._send(413, {"errorType": "RequestEntityTooLarge"})
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = None
                rt._record(rid, {
                    "kind": parts[3],
                    "payload": payload,
                    "raw": body,
                    "error_type": self.headers.get("Lambda-Runtime-Function-Error-Type"),
                })
                return self._send(202, {"status": "OK"})

        return Handler
