#!/usr/bin/env python3
# test/lambda/sleepy_runtime.py
#	A scriptable Lambda custom runtime for the mechanics tests of
#	test/services/lambda_service.py (timeouts, crashes, the concurrency
#	limit, duplicates), where lambda/bootstrap finishes too fast to be
#	caught mid-run. It loops on the Runtime API like a bootstrap; for each
#	event {"sleep": seconds, "fail": bool, ...} it sleeps, then answers
#	/response with what it saw (request id, deadline, ARN, trace id, its
#	pid and environment) or /error when "fail" is set. Stdlib only.

import json
import os
import time
import urllib.request

API = 'http://%s/2018-06-01/runtime' % os.environ['AWS_LAMBDA_RUNTIME_API']


def post(path, doc, headers=None):
    req = urllib.request.Request(API + path, data=json.dumps(doc).encode(),
                                 headers=dict({'Content-Type': 'application/json'},
                                              **(headers or {})), method='POST')
    urllib.request.urlopen(req, timeout=30).read()


def main():
    while True:
        try:
            r = urllib.request.urlopen(API + '/invocation/next', timeout=24 * 3600)
        except OSError:
            return          # the service is gone
        rid = r.headers['Lambda-Runtime-Aws-Request-Id']
        seen = {'request_id': rid,
                'deadline_ms': r.headers.get('Lambda-Runtime-Deadline-Ms'),
                'arn': r.headers.get('Lambda-Runtime-Invoked-Function-Arn'),
                'trace_id': r.headers.get('Lambda-Runtime-Trace-Id'),
                'pid': os.getpid(),
                'function_name': os.environ.get('AWS_LAMBDA_FUNCTION_NAME'),
                'memory': os.environ.get('AWS_LAMBDA_FUNCTION_MEMORY_SIZE'),
                'region': os.environ.get('AWS_REGION'),
                's3_endpoint': os.environ.get('SAGE_S3_ENDPOINT')}
        try:
            event = json.loads(r.read() or b'{}')
        except ValueError:
            event = {}
        seen['event'] = event
        if isinstance(event, dict) and event.get('sleep'):
            time.sleep(float(event['sleep']))
        if isinstance(event, dict) and event.get('fail'):
            post('/invocation/%s/error' % rid,
                 {'errorMessage': 'asked to fail', 'errorType': 'Sleepy.Failed'},
                 {'Lambda-Runtime-Function-Error-Type': 'Sleepy.Failed'})
        else:
            post('/invocation/%s/response' % rid, dict(seen, statusCode=200))


if __name__ == '__main__':
    main()
