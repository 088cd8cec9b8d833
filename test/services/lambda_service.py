#!/usr/bin/env python3
# test/services/lambda_service.py
#	A local AWS Lambda service for one function, for the tests of the
#	extension's dispatcher and of lambda/bootstrap (moto runs functions only
#	with docker, which these machines lack). It speaks:
#
#	- the Invoke API (2015-03-31) to clients:
#	    POST /2015-03-31/functions/{name}/invocations[?Qualifier=$LATEST]
#	  SigV4 verified with botocore (403 InvalidSignatureException...),
#	  X-Amz-Invocation-Type Event (202, queued), RequestResponse (200 with
#	  the function's answer, X-Amz-Function-Error: Unhandled when it failed),
#	  DryRun (204); 404 ResourceNotFoundException for another function, 413
#	  RequestEntityTooLargeException over 256 KB (Event) / 6 MB (sync),
#	  400 InvalidRequestContentException for a payload that is not JSON, 429
#	  TooManyRequestsException during a throttle window, for synchronous
#	  invokes at the concurrency limit, for Event invokes at the limit when
#	  --reject-over-limit (or /_sage/concurrency?...&reject=1) is set, and
#	  when the event queue is full. Errors as Lambda's: JSON body
#	  {"__type", "Type", "message"[, "Reason"]}, x-amzn-ErrorType header.
#
#	- the Runtime API (2018-06-01) to the lambda/bootstrap processes it
#	  starts as execution environments, each on a port of its own
#	  (AWS_LAMBDA_RUNTIME_API=127.0.0.1:<port>): /invocation/next (with
#	  Lambda-Runtime-Aws-Request-Id, -Deadline-Ms, -Invoked-Function-Arn,
#	  -Trace-Id), /invocation/<id>/response, /invocation/<id>/error and
#	  /init/error. Idle environments take the next event (warm start); new
#	  ones start while events wait, up to the concurrency limit; idle ones
#	  stop after --idle-seconds; Event invocations wait in a bounded queue
#	  until an environment is free. A function timeout SIGKILLs the
#	  environment and the invocation counts as timed out. Lambda's own
#	  retries of failed Event invocations are off (MaximumRetryAttempts 0,
#	  as SAGE requires): a failed, crashed or timed-out event is not run
#	  again.
#
#	- a control API for tests (unsigned), under /_sage/:
#	    POST /_sage/throttle?seconds=N      every invoke 429 for N seconds
#	    POST /_sage/concurrency?limit=N[&reject=0|1]
#	    POST /_sage/crash?count=N[&after_ms=M]   SIGKILL the environments of
#	         the next N invocations M ms (default 30) after they fetched the
#	         event, or when they answer if that comes first
#	    POST /_sage/duplicate?count=N[&same_id=1]   deliver each of the next
#	         N Event invocations twice, to two environments (same request
#	         id by default, as Lambda's at-least-once delivery does)
#	    POST /_sage/timeout?seconds=S       the function's timeout
#	    POST /_sage/reset[?envs=1]          initial settings, counters and
#	         records cleared (envs=1 also stops idle environments)
#	    GET  /_sage/stats                   counters (JSON)
#	    GET  /_sage/invocations             one record per delivery (JSON)
#
#	Options: --port 0 (a free port), --port-file F, --bootstrap PATH,
#	--function NAME, --concurrency N, --timeout SEC, --memory MB,
#	--discard (accept Event invokes and drop them: dispatch benchmarks),
#	--log FILE (the service's and the environments' output),
#	--idle-seconds S, --queue-max N, --reject-over-limit.
#	Environments get AWS_* and SAGE_S3_ENDPOINT / SAGE_DYNAMODB_ENDPOINT
#	(or SAGE_TEST_MOTO_ENDPOINT / SAGE_TEST_DYNAMODB_ENDPOINT) of the
#	service, plus AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_MEMORY_SIZE
#	and AWS_REGION. The only known credentials are AWS_ACCESS_KEY_ID /
#	AWS_SECRET_ACCESS_KEY of the environment (test defaults otherwise).

import argparse
import asyncio
import collections
import datetime
import hashlib
import json
import os
import signal
import sys
import time
import uuid
from urllib.parse import parse_qsl, unquote, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

MAX_EVENT = 256 * 1024
MAX_SYNC = 6 * 1024 * 1024
CORAL = ':http://internal.amazon.com/coral/com.amazonaws.awslambda/'
INVOKE_PREFIX = '/2015-03-31/functions/'
INVOKE_SUFFIX = '/invocations'
RUNTIME_PREFIX = '/2018-06-01/runtime'
ACCOUNT = '123456789012'
REASON = 'ReservedFunctionConcurrentInvocationLimitExceeded'
PASS_ENV = ('SAGE_S3_ENDPOINT', 'SAGE_DYNAMODB_ENDPOINT', 'PATH', 'LANG', 'TZ',
            'ASAN_OPTIONS', 'UBSAN_OPTIONS')

REASONS = {200: 'OK', 202: 'Accepted', 204: 'No Content', 400: 'Bad Request',
           403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
           413: 'Request Entity Too Large', 429: 'Too Many Requests',
           500: 'Internal Server Error'}


def log(msg):
    sys.stderr.write('%s lambda_service: %s\n'
                     % (time.strftime('%H:%M:%S'), msg))
    sys.stderr.flush()


# ------------------------------------------------------------------ HTTP

async def serve_http(reader, writer, route):
    """HTTP/1.1 with keep-alive; route(method, target, headers, body)
    returns (status, headers dict, body bytes)."""
    try:
        while True:
            try:
                head = await reader.readuntil(b'\r\n\r\n')
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            except asyncio.LimitOverrunError:
                return
            lines = head.decode('latin-1').split('\r\n')
            try:
                method, target, version = lines[0].split(' ', 2)
            except ValueError:
                return
            headers = {}
            for ln in lines[1:]:
                if not ln:
                    continue
                k, _, v = ln.partition(':')
                headers[k.strip().lower()] = v.strip()
            if headers.get('expect', '').lower() == '100-continue':
                writer.write(b'HTTP/1.1 100 Continue\r\n\r\n')
            if headers.get('transfer-encoding', '').lower() == 'chunked':
                body = bytearray()
                while True:
                    size = int((await reader.readuntil(b'\r\n')).split(b';')[0], 16)
                    if size == 0:
                        await reader.readuntil(b'\r\n')
                        break
                    body += await reader.readexactly(size + 2)
                    del body[-2:]
                body = bytes(body)
            else:
                n = int(headers.get('content-length') or 0)
                body = await reader.readexactly(n) if n else b''
            status, rh, out = await route(method, target, headers, body)
            if status is None:      # the handler wants the connection dropped
                return
            parts = ['HTTP/1.1 %d %s' % (status, REASONS.get(status, 'Status')),
                     'Content-Length: %d' % len(out)]
            for k, v in rh.items():
                parts.append('%s: %s' % (k, v))
            close = (headers.get('connection', '').lower() == 'close' or
                     version.strip() == 'HTTP/1.0')
            if close:
                parts.append('Connection: close')
            writer.write(('\r\n'.join(parts) + '\r\n\r\n').encode('latin-1') + out)
            if writer.transport.get_write_buffer_size() > 65536:
                await writer.drain()
            if close:
                await writer.drain()
                return
    except (ConnectionError, asyncio.IncompleteReadError):
        return
    finally:
        try:
            writer.close()
        except Exception:
            pass


def json_reply(status, doc, extra=None):
    h = {'Content-Type': 'application/json'}
    h.update(extra or {})
    return status, h, json.dumps(doc).encode()


def lambda_error(status, code, message, extra=None):
    """An error answer as Lambda's."""
    doc = {'__type': code, 'Type': 'User' if status < 500 else 'Service',
           'message': message}
    doc.update(extra or {})
    return json_reply(status, doc, {'x-amzn-ErrorType': code + CORAL,
                                    'x-amzn-RequestId': str(uuid.uuid4())})


# ----------------------------------------------------------------- SigV4

class SigV4Checker:
    """Verifies SigV4 signatures (service "lambda") with botocore."""

    def __init__(self, keys):
        self.keys = keys

    def check(self, method, target, headers, body):
        """None when the request is signed correctly, else (code, message)."""
        auth = headers.get('authorization')
        if not auth:
            return ('MissingAuthenticationTokenException', 'Missing Authentication Token')
        try:
            algo, rest = auth.split(' ', 1)
            parts = dict(p.strip().split('=', 1) for p in rest.split(','))
            akid, date, region, service, term = parts['Credential'].split('/')
            signed = parts['SignedHeaders'].split(';')
            got = parts['Signature']
        except (ValueError, KeyError):
            return ('IncompleteSignatureException', 'Authorization header is malformed')
        if algo != 'AWS4-HMAC-SHA256' or service != 'lambda' or term != 'aws4_request':
            return ('IncompleteSignatureException', 'Credential scope is not for lambda')
        if akid not in self.keys:
            return ('UnrecognizedClientException',
                    'The security token included in the request is invalid.')
        amz_date = headers.get('x-amz-date', '')
        try:
            when = datetime.datetime.strptime(amz_date, '%Y%m%dT%H%M%SZ').replace(
                tzinfo=datetime.timezone.utc)
        except ValueError:
            return ('IncompleteSignatureException', 'X-Amz-Date is missing or malformed')
        if abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) > 300:
            return ('InvalidSignatureException', 'Signature expired: %s' % amz_date)
        if not amz_date.startswith(date):
            return ('InvalidSignatureException', 'Credential date does not match X-Amz-Date')
        sent = headers.get('x-amz-content-sha256')
        if sent is not None and sent != 'UNSIGNED-PAYLOAD' and \
                sent != hashlib.sha256(body).hexdigest():
            return ('InvalidSignatureException',
                    'x-amz-content-sha256 does not match the payload')
        if 'host' not in signed:
            return ('InvalidSignatureException', 'The Host header is not signed')
        hs = {}
        for name in signed:
            v = headers.get(name)
            if v is None:
                return ('InvalidSignatureException', 'Signed header %s is missing' % name)
            hs[name] = v
        req = AWSRequest(method=method, url='http://%s%s' % (headers['host'], target),
                         headers=hs, data=body)
        req.context['timestamp'] = amz_date
        signer = SigV4Auth(Credentials(akid, self.keys[akid],
                                       headers.get('x-amz-security-token')),
                           'lambda', region)
        want = signer.signature(signer.string_to_sign(req, signer.canonical_request(req)), req)
        if want != got:
            return ('InvalidSignatureException',
                    'The request signature we calculated does not match the '
                    'signature you provided. Check your AWS Secret Access Key '
                    'and signing method. Consult the service documentation for details.')
        return None


# ------------------------------------------------------ the service state

class Invocation:
    """One delivery of an event to the function."""
    __slots__ = ('request_id', 'payload', 'sync', 'future', 'execution_id',
                 'attempt', 'outcome', 'env', 'twin_env', 'duplicate',
                 'crash_after', 'queued_at', 'started_at', 'ended_at',
                 'status_code', 'error_type', 'timer', 'twin')

    def __init__(self, request_id, payload, doc, sync):
        self.request_id = request_id
        self.payload = payload
        self.sync = sync
        self.future = None
        self.execution_id = doc.get('execution_id') if isinstance(doc, dict) else None
        self.attempt = doc.get('attempt') if isinstance(doc, dict) else None
        self.outcome = 'queued'
        self.env = None
        self.twin_env = None        # a duplicate must go to another env
        self.twin = None            # the first copy: its duplicate
        self.duplicate = False
        self.crash_after = None     # seconds, when this delivery is to crash
        self.queued_at = time.time()
        self.started_at = None
        self.ended_at = None
        self.status_code = None     # the statusCode of the function's answer
        self.error_type = None
        self.timer = None

    def record(self):
        return {'request_id': self.request_id, 'execution_id': self.execution_id,
                'attempt': self.attempt, 'outcome': self.outcome,
                'type': 'RequestResponse' if self.sync else 'Event',
                'env': self.env, 'duplicate': self.duplicate,
                'status_code': self.status_code, 'error_type': self.error_type,
                'queued_at': self.queued_at, 'started_at': self.started_at,
                'ended_at': self.ended_at}


class Env:
    """An execution environment: one bootstrap process and its Runtime API."""

    def __init__(self, eid):
        self.id = eid
        self.port = None
        self.server = None
        self.proc = None
        self.waiter = None          # future set with an Invocation by the pump
        self.current = None         # the invocation it runs
        self.served = 0             # invocations handed to it
        self.idle_since = time.time()
        self.dead = False
        self.kill_reason = None     # 'crash', 'timeout', 'idle', 'shutdown'


class Service:
    def __init__(self, args):
        self.args = args
        self.function = args.function
        self.keys = {os.environ.get('AWS_ACCESS_KEY_ID', 'AKIDSAGETEST'):
                     os.environ.get('AWS_SECRET_ACCESS_KEY', 'sage-test-secret')}
        self.sigv4 = SigV4Checker(self.keys)
        self.region = (os.environ.get('AWS_REGION') or
                       os.environ.get('AWS_DEFAULT_REGION') or 'us-east-1')
        self.arn = 'arn:aws:lambda:%s:%s:function:%s' % (self.region, ACCOUNT, self.function)
        self.envs = {}
        self.next_env = 1
        self.queue = collections.deque()    # Invocations waiting for an env
        self.dups = []                      # duplicates waiting for another env
        self.log_file = open(args.log, 'ab') if args.log else None
        self.reset_settings()
        self.reset_counters()

    def reset_settings(self):
        self.concurrency = self.args.concurrency
        self.reject = self.args.reject_over_limit
        self.timeout = self.args.timeout
        self.throttle_until = 0.0
        self.crash_left = 0
        self.crash_after = 0.03
        self.dup_left = 0
        self.dup_same_id = True

    def reset_counters(self):
        self.stats = dict.fromkeys(
            ('accepted', 'throttled', 'completed', 'function_errors', 'crashed',
             'timed_out', 'duplicated', 'envs_started', 'warm_starts',
             'max_concurrency', 'init_errors', 'exited', 'discarded'), 0)
        self.records = []

    # ------------------------------------------------------- environments
    def busy(self):
        return sum(1 for e in self.envs.values() if e.current is not None)

    def env_vars(self, env):
        v = {k: val for k, val in os.environ.items()
             if k.startswith('AWS_') or k in PASS_ENV}
        for k, src in (('SAGE_S3_ENDPOINT', 'SAGE_TEST_MOTO_ENDPOINT'),
                       ('SAGE_DYNAMODB_ENDPOINT', 'SAGE_TEST_DYNAMODB_ENDPOINT')):
            if k not in v and os.environ.get(src):
                v[k] = os.environ[src]
        v.update({'AWS_LAMBDA_RUNTIME_API': '127.0.0.1:%d' % env.port,
                  'AWS_LAMBDA_FUNCTION_NAME': self.function,
                  'AWS_LAMBDA_FUNCTION_VERSION': '$LATEST',
                  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE': str(self.args.memory),
                  'AWS_REGION': self.region,
                  'AWS_DEFAULT_REGION': self.region,
                  'AWS_EXECUTION_ENV': 'AWS_Lambda_provided.al2023',
                  'LAMBDA_TASK_ROOT': os.path.dirname(os.path.abspath(self.args.bootstrap)),
                  '_HANDLER': 'sage'})
        return v

    def start_env(self):
        """Registers a new environment now (it counts against the limit at
        once) and boots it in the background."""
        env = Env(self.next_env)
        self.next_env += 1
        self.envs[env.id] = env
        self.stats['envs_started'] += 1
        asyncio.ensure_future(self.boot_env(env))

    async def boot_env(self, env):
        env.server = await asyncio.start_server(
            lambda r, w: serve_http(r, w, lambda *a: self.runtime_route(env, *a)),
            '127.0.0.1', 0)
        env.port = env.server.sockets[0].getsockname()[1]
        out = self.log_file.fileno() if self.log_file else asyncio.subprocess.DEVNULL
        cmd = self.args.wrapper.split() + [self.args.bootstrap]
        try:
            env.proc = await asyncio.create_subprocess_exec(
                *cmd, env=self.env_vars(env), stdin=asyncio.subprocess.DEVNULL,
                stdout=out, stderr=out)
        except OSError as e:
            log('env %d: could not start %s: %s' % (env.id, cmd, e))
            env.server.close()
            env.dead = True
            self.envs.pop(env.id, None)
            return
        log('env %d started (pid %d, runtime port %d)' % (env.id, env.proc.pid, env.port))
        asyncio.ensure_future(self.watch_env(env))

    async def watch_env(self, env):
        rc = await env.proc.wait()
        env.dead = True
        env.server.close()
        self.envs.pop(env.id, None)
        if env.waiter is not None and not env.waiter.done():
            env.waiter.cancel()
        inv = env.current
        env.current = None
        log('env %d exited (%s, reason %s)' % (env.id, rc, env.kill_reason))
        if inv is not None and inv.outcome == 'running':
            if env.kill_reason == 'timeout':
                self.finish(inv, 'timed_out', 'Sandbox.Timedout',
                            'Task timed out after %.2f seconds' % self.timeout)
            elif env.kill_reason == 'crash':
                self.finish(inv, 'crashed', 'Runtime.ExitError',
                            'RequestId: %s Error: Runtime exited with error: signal: killed'
                            % inv.request_id)
            else:
                self.finish(inv, 'exited', 'Runtime.ExitError',
                            'RequestId: %s Error: Runtime exited with error: exit status %s'
                            % (inv.request_id, rc))
        self.pump()

    def kill_env(self, env, reason):
        if env.dead or env.proc is None:
            return
        if env.kill_reason is None:
            env.kill_reason = reason
        try:
            env.proc.kill()     # SIGKILL: no goodbye, as Lambda does
        except ProcessLookupError:
            pass

    def pump(self):
        """Hands waiting events to idle environments, starts new ones."""
        idle = [e for e in self.envs.values()
                if e.waiter is not None and not e.waiter.done() and not e.dead]
        for env in idle:
            inv = None
            # a duplicate goes to another environment than its first copy,
            # once that copy has started
            for i, d in enumerate(self.dups):
                if d.twin_env is not None and d.twin_env != env.id:
                    inv = self.dups.pop(i)
                    break
            if inv is None and self.queue:
                inv = self.queue.popleft()
            if inv is None:
                continue
            self.assign(env, inv)
        starting = sum(1 for e in self.envs.values()
                       if e.current is None and e.served == 0 and not e.dead and
                       (e.waiter is None or e.waiter.done()))
        want = len(self.queue) + len(self.dups) - starting
        while want > 0 and len(self.envs) < self.concurrency:
            self.start_env()
            want -= 1
        if want > 0 and self.dups and starting == 0 and \
                len(self.envs) < self.concurrency + 1:
            # the second copy needs another environment even at the limit
            # (Lambda's duplicates are its own doing, not the caller's)
            self.start_env()

    def assign(self, env, inv):
        inv.env = env.id
        inv.outcome = 'running'
        inv.started_at = time.time()
        if env.served > 0:
            self.stats['warm_starts'] += 1
        env.served += 1
        env.current = inv
        env.waiter.set_result(inv)
        b = self.busy()
        if b > self.stats['max_concurrency']:
            self.stats['max_concurrency'] = b
        loop = asyncio.get_event_loop()
        inv.timer = loop.call_later(self.timeout, self.on_timeout, env, inv)
        if self.crash_left > 0 and inv.crash_after is None:
            self.crash_left -= 1
            inv.crash_after = self.crash_after
        if inv.crash_after is not None:
            loop.call_later(inv.crash_after, self.on_crash, env, inv)
        if inv.twin is not None:
            inv.twin.twin_env = env.id

    def on_timeout(self, env, inv):
        if env.current is inv and inv.outcome == 'running':
            log('env %d: invocation %s timed out' % (env.id, inv.request_id))
            self.kill_env(env, 'timeout')

    def on_crash(self, env, inv):
        if env.current is inv and inv.outcome == 'running':
            log('env %d: crashing during %s' % (env.id, inv.request_id))
            self.kill_env(env, 'crash')

    def finish(self, inv, outcome, error_type=None, message=None, payload=None):
        """Records the end of a delivery and answers a synchronous caller."""
        if inv.outcome not in ('queued', 'running'):
            return
        inv.outcome = outcome
        inv.ended_at = time.time()
        inv.error_type = error_type
        if inv.timer is not None:
            inv.timer.cancel()
        key = {'succeeded': 'completed', 'function_error': 'function_errors',
               'crashed': 'crashed', 'timed_out': 'timed_out',
               'exited': 'exited'}[outcome]
        self.stats[key] += 1
        if outcome == 'function_error':
            self.stats['completed'] += 1
        if inv.future is not None and not inv.future.done():
            if outcome == 'succeeded':
                inv.future.set_result((payload, None))
            else:
                if payload is None:
                    payload = json.dumps({'errorMessage': message or error_type,
                                          'errorType': error_type}).encode()
                inv.future.set_result((payload, 'Unhandled'))

    async def reaper(self):
        while True:
            await asyncio.sleep(0.5)
            now = time.time()
            for env in list(self.envs.values()):
                if env.current is None and env.waiter is not None and \
                        not env.waiter.done() and \
                        now - env.idle_since > self.args.idle_seconds:
                    self.kill_env(env, 'idle')
            # over the limit after it was lowered: idle environments go
            extra = len(self.envs) - self.concurrency
            for env in list(self.envs.values()):
                if extra <= 0:
                    break
                if env.current is None and env.waiter is not None and not env.waiter.done():
                    self.kill_env(env, 'idle')
                    extra -= 1

    # ------------------------------------------------------- Runtime API
    async def runtime_route(self, env, method, target, headers, body):
        path = target.split('?', 1)[0]
        if method == 'GET' and path == RUNTIME_PREFIX + '/invocation/next':
            if env.current is not None:
                # it moved on without answering: Lambda counts an error
                self.finish(env.current, 'function_error', 'Runtime.NoResponse',
                            'the runtime asked for the next event without answering')
                env.current = None
            env.idle_since = time.time()
            env.waiter = asyncio.get_event_loop().create_future()
            self.pump()
            try:
                inv = await env.waiter
            except asyncio.CancelledError:
                return None, None, None
            env.waiter = None
            deadline = int((inv.started_at + self.timeout) * 1000)
            return 200, {
                'Content-Type': 'application/json',
                'Lambda-Runtime-Aws-Request-Id': inv.request_id,
                'Lambda-Runtime-Deadline-Ms': str(deadline),
                'Lambda-Runtime-Invoked-Function-Arn': self.arn,
                'Lambda-Runtime-Trace-Id': 'Root=1-%08x-%s;Parent=%s;Sampled=0' % (
                    int(time.time()), uuid.uuid4().hex[:24], uuid.uuid4().hex[:16]),
            }, inv.payload
        if method == 'POST' and path == RUNTIME_PREFIX + '/init/error':
            self.stats['init_errors'] += 1
            log('env %d: init error %s: %s' % (
                env.id, headers.get('lambda-runtime-function-error-type'),
                body[:500].decode('utf-8', 'replace')))
            return json_reply(202, {'status': 'OK'})
        parts = path[len(RUNTIME_PREFIX):].split('/')
        if (method != 'POST' or not path.startswith(RUNTIME_PREFIX) or len(parts) != 4 or
                parts[1] != 'invocation' or parts[3] not in ('response', 'error')):
            return json_reply(404, {'errorType': 'NotFound', 'errorMessage': 'no such route'})
        inv = env.current
        if inv is None or inv.request_id != parts[2]:
            return json_reply(400, {'errorType': 'InvalidRequestID',
                                    'errorMessage': 'unknown or answered request id'})
        if inv.crash_after is not None and inv.outcome == 'running':
            # it dies before its answer gets out
            self.kill_env(env, 'crash')
            return None, None, None
        if len(body) > MAX_SYNC:
            return json_reply(413, {'errorType': 'RequestEntityTooLarge',
                                    'errorMessage': 'response over 6 MB'})
        env.current = None
        env.idle_since = time.time()
        if parts[3] == 'response':
            try:
                doc = json.loads(body)
                if isinstance(doc, dict):
                    inv.status_code = doc.get('statusCode')
            except ValueError:
                pass
            self.finish(inv, 'succeeded', payload=body)
        else:
            etype = headers.get('lambda-runtime-function-error-type') or 'Unhandled'
            self.finish(inv, 'function_error', etype, payload=body or None)
        return json_reply(202, {'status': 'OK'})

    # -------------------------------------------------------- Invoke API
    async def route(self, method, target, headers, body):
        if target.startswith('/_sage/'):
            return self.control(method, target, body)
        parts = urlsplit(target)
        path = parts.path
        if method != 'POST' or not (path.startswith(INVOKE_PREFIX) and
                                    path.endswith(INVOKE_SUFFIX)):
            return lambda_error(404, 'UnknownOperationException', 'Unknown operation')
        bad = self.sigv4.check(method, target, headers, body)
        if bad is not None:
            return lambda_error(403, bad[0], bad[1])
        name = unquote(path[len(INVOKE_PREFIX):-len(INVOKE_SUFFIX)])
        qualifier = dict(parse_qsl(parts.query)).get('Qualifier')
        if name.startswith('arn:'):
            f = name.split(':')
            if len(f) >= 7 and f[2] == 'lambda':
                if len(f) >= 8 and qualifier is None:
                    qualifier = f[7]
                name = f[6]
        elif ':' in name:
            name, q = name.split(':', 1)
            qualifier = qualifier or q
        itype = headers.get('x-amz-invocation-type', 'RequestResponse')
        if itype not in ('Event', 'RequestResponse', 'DryRun'):
            return lambda_error(400, 'InvalidParameterValueException',
                                '1 validation error detected: Value \'%s\' at '
                                '\'invocationType\' failed to satisfy constraint' % itype)
        if name != self.function or qualifier not in (None, '$LATEST'):
            return lambda_error(404, 'ResourceNotFoundException',
                                'Function not found: %s%s' % (
                                    self.arn.rsplit(':', 1)[0] + ':' + name,
                                    ':' + qualifier if qualifier else ''))
        limit = MAX_EVENT if itype == 'Event' else MAX_SYNC
        if len(body) > limit:
            return lambda_error(413, 'RequestEntityTooLargeException',
                                '%d byte payload is too large for the %s invocation '
                                'type (limit %d bytes)' % (len(body), itype, limit))
        try:
            doc = json.loads(body) if body else {}
        except ValueError:
            return lambda_error(400, 'InvalidRequestContentException',
                                'Could not parse request body into json: Could not '
                                'parse payload into json')
        now = time.time()
        if now < self.throttle_until:
            self.stats['throttled'] += 1
            return lambda_error(429, 'TooManyRequestsException', 'Rate Exceeded.',
                                {'Reason': REASON})
        version = {'X-Amz-Executed-Version': '$LATEST'}
        if itype == 'DryRun':
            return 204, version, b''
        rid = str(uuid.uuid4())
        version['x-amzn-RequestId'] = rid
        if itype == 'Event':
            if self.args.discard:
                self.stats['accepted'] += 1
                self.stats['discarded'] += 1
                return 202, version, b''
            waiting = len(self.queue) + len(self.dups)
            if waiting >= self.args.queue_max or \
                    (self.reject and self.busy() + waiting >= self.concurrency):
                self.stats['throttled'] += 1
                return lambda_error(429, 'TooManyRequestsException', 'Rate Exceeded.',
                                    {'Reason': REASON})
            self.stats['accepted'] += 1
            inv = Invocation(rid, body, doc, False)
            self.records.append(inv)
            self.queue.append(inv)
            if self.dup_left > 0:
                self.dup_left -= 1
                self.stats['duplicated'] += 1
                twin = Invocation(rid if self.dup_same_id else str(uuid.uuid4()),
                                  body, doc, False)
                twin.duplicate = True
                twin.twin_env = None    # set when the first copy starts
                inv.twin = twin
                self.records.append(twin)
                self.dups.append(twin)
            self.pump()
            return 202, version, b''
        # RequestResponse
        idle = any(e.waiter is not None and not e.waiter.done() for e in self.envs.values())
        if not idle and self.busy() + len(self.queue) >= self.concurrency:
            self.stats['throttled'] += 1
            return lambda_error(429, 'TooManyRequestsException', 'Rate Exceeded.',
                                {'Reason': REASON})
        self.stats['accepted'] += 1
        inv = Invocation(rid, body, doc, True)
        inv.future = asyncio.get_event_loop().create_future()
        self.records.append(inv)
        self.queue.append(inv)
        self.pump()
        payload, ferr = await inv.future
        if ferr:
            version['X-Amz-Function-Error'] = ferr
        return 200, dict(version, **{'Content-Type': 'application/json'}), payload

    # ----------------------------------------------------------- control
    def control(self, method, target, body):
        parts = urlsplit(target)
        q = dict(parse_qsl(parts.query))
        path = parts.path
        try:
            if method == 'GET' and path == '/_sage/stats':
                s = dict(self.stats)
                s.update(inflight=self.busy(), queued=len(self.queue) + len(self.dups),
                         envs=len(self.envs), concurrency=self.concurrency,
                         timeout=self.timeout,
                         throttled_for=max(0.0, self.throttle_until - time.time()))
                return json_reply(200, s)
            if method == 'GET' and path == '/_sage/invocations':
                return json_reply(200, [r.record() for r in self.records])
            if method != 'POST':
                return json_reply(404, {'message': 'unknown control operation'})
            if path == '/_sage/throttle':
                self.throttle_until = time.time() + float(q.get('seconds', 0))
            elif path == '/_sage/concurrency':
                self.concurrency = max(1, int(q['limit']))
                if 'reject' in q:
                    self.reject = q['reject'] not in ('0', 'false', '')
                self.pump()
            elif path == '/_sage/crash':
                self.crash_left = int(q.get('count', 1))
                self.crash_after = float(q.get('after_ms', 30)) / 1000.0
            elif path == '/_sage/duplicate':
                self.dup_left = int(q.get('count', 1))
                self.dup_same_id = q.get('same_id', '1') not in ('0', 'false')
            elif path == '/_sage/timeout':
                self.timeout = float(q['seconds'])
            elif path == '/_sage/reset':
                self.reset_settings()
                self.reset_counters()
                if q.get('envs') in ('1', 'true'):
                    for env in list(self.envs.values()):
                        if env.current is None:
                            self.kill_env(env, 'idle')
            else:
                return json_reply(404, {'message': 'unknown control operation'})
        except (KeyError, ValueError) as e:
            return json_reply(400, {'message': 'bad control request: %s' % e})
        return json_reply(200, {'ok': True})

    async def shutdown(self):
        for env in list(self.envs.values()):
            self.kill_env(env, 'shutdown')


async def main_async(args):
    svc = Service(args)
    server = await asyncio.start_server(
        lambda r, w: serve_http(r, w, svc.route), '127.0.0.1', args.port,
        backlog=1024, limit=MAX_SYNC + 65536)
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        tmp = args.port_file + '.tmp'
        with open(tmp, 'w') as f:
            f.write('%d\n' % port)
        os.rename(tmp, args.port_file)
    print(port, flush=True)
    log('listening on 127.0.0.1:%d, function %s, bootstrap %s, concurrency %d%s'
        % (port, args.function, args.bootstrap, args.concurrency,
           ', discard' if args.discard else ''))
    loop = asyncio.get_event_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(True))
    reaper = asyncio.ensure_future(svc.reaper())
    await stop
    reaper.cancel()
    server.close()
    await svc.shutdown()
    await asyncio.sleep(0.1)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description='local AWS Lambda service')
    p.add_argument('--port', type=int, default=0)
    p.add_argument('--port-file')
    p.add_argument('--bootstrap', default=os.path.join(here, '..', '..', 'lambda', 'bootstrap'))
    p.add_argument('--function', default='sage-file-processor')
    p.add_argument('--concurrency', type=int, default=4)
    p.add_argument('--timeout', type=float, default=60.0)
    p.add_argument('--memory', type=int, default=1024)
    p.add_argument('--discard', action='store_true')
    p.add_argument('--log')
    p.add_argument('--idle-seconds', type=float, default=60.0)
    p.add_argument('--queue-max', type=int, default=100000)
    p.add_argument('--reject-over-limit', action='store_true')
    p.add_argument('--wrapper', default=os.environ.get('SAGE_BOOTSTRAP_WRAPPER', ''),
                   help='command prefix for the bootstrap (valgrind...)')
    args = p.parse_args()
    args.bootstrap = os.path.abspath(args.bootstrap)
    if args.log:
        # the service's own messages go there too
        fd = os.open(args.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(fd, 2)
        os.close(fd)
    try:
        import uvloop  # noqa: F401  (faster when present; not required)
        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main_async(args))


if __name__ == '__main__':
    main()
