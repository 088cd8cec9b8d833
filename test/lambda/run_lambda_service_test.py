#!/usr/bin/env python3
# test/lambda/run_lambda_service_test.py
#	Tests of the local Lambda service (test/services/lambda_service.py).
#	Run inside test/services/with_aws_services.sh (through
#	run_lambda_service_test.sh), which gives DynamoDB Local, moto and the
#	service with lambda/bootstrap environments (SAGE_TEST_*_ENDPOINT).
#
#	With the real bootstrap: Invoke through botocore's lambda client and
#	through the C client (src/aws/lambda.c, test/lambda/invoke_driver.c),
#	an acceptance case run end to end (inputs and configuration in S3, the
#	status record and outputs checked), warm reuse, DryRun, unknown
#	function, bad signatures, payload limits, a crash, a timeout and a
#	duplicate delivery. With a second service running
#	test/lambda/sleepy_runtime.py (events that take as long as the test
#	wants): 429 at the concurrency limit, queueing up to the limit, the
#	throttle window, timeouts and crashes mid-run, duplicates on two
#	environments, the Runtime API headers, the environment's variables and
#	idle environments stopped. Prints "N passed, M failed".

import json
import os
import subprocess
import sys
import time
import urllib.request

import boto3
import botocore.config
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
CASES = os.path.join(TOP, "test", "data", "cases")
DRIVER = os.path.join(TOP, "build", "test", "lambda", "invoke_driver")
FUNCTION = os.environ.get("SAGE_TEST_LAMBDA_FUNCTION", "sage-file-processor")
BUCKET = os.environ.get("SAGE_TEST_BUCKET", "sage-test")
TABLE = os.environ.get("SAGE_TEST_LOCK_TABLE", "sage_execution_locks")
PREFIX = "executions/"

passed = 0
failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print("ok   - " + what)
    else:
        failed += 1
        print("FAIL - " + what)
    return cond


def control(ep, path, method="POST"):
    req = urllib.request.Request(ep + path, data=b"" if method == "POST" else None,
                                 method=method)
    return json.loads(urllib.request.urlopen(req, timeout=10).read())


def stats(ep):
    return control(ep, "/_sage/stats", "GET")


def records(ep):
    return control(ep, "/_sage/invocations", "GET")


def wait_for(pred, timeout=30, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def lambda_client(ep, secret=None, key=None):
    kw = {}
    if secret or key:
        kw = {"aws_access_key_id": key or os.environ["AWS_ACCESS_KEY_ID"],
              "aws_secret_access_key": secret or os.environ["AWS_SECRET_ACCESS_KEY"]}
    return boto3.client("lambda", endpoint_url=ep, region_name="us-east-1",
                        config=botocore.config.Config(retries={"total_max_attempts": 1},
                                                      read_timeout=120), **kw)


def error_of(fn):
    """(HTTP status, error code, response) of a ClientError fn raises."""
    try:
        fn()
    except ClientError as e:
        return (e.response["ResponseMetadata"]["HTTPStatusCode"],
                e.response["Error"]["Code"], e.response)
    return (None, None, None)


def driver(ep, fn, itype, payload, count=None, env=None):
    args = [DRIVER, ep, fn, itype, payload] + ([str(count)] if count else [])
    out = subprocess.run(args, capture_output=True, text=True, timeout=120,
                         env=env or os.environ)
    fields = {}
    line = out.stdout.strip()
    # payload= is last and may hold spaces
    head, _, payload_text = line.partition(" payload=")
    for kv in head.split():
        k, _, v = kv.partition("=")
        fields[k] = v
    fields["payload"] = payload_text
    return fields


def body_of(payload):
    """The bootstrap's answer {"statusCode", "body": "<json>"}."""
    try:
        doc = json.loads(payload)
        return doc.get("statusCode"), json.loads(doc.get("body", "null"))
    except (ValueError, AttributeError):
        return None, None


# ---------------------------------------------------------------- bootstrap

def test_bootstrap(ep, s3, ddb):
    lam = lambda_client(ep)
    control(ep, "/_sage/reset")

    def get_item(key):
        return ddb.get_item(TableName=TABLE, Key={"execution_id": {"S": key}},
                            ConsistentRead=True).get("Item")

    def outputs(eid, attempt):
        pre = "%s%s/attempt-%d/" % (PREFIX, eid, attempt)
        resp = s3.list_objects_v2(Bucket=BUCKET, Prefix=pre)
        return {o["Key"][len(pre):] for o in resp.get("Contents", [])}

    case = os.path.join(CASES, "csv_header_basic")
    exp = json.load(open(os.path.join(case, "expected.json")))
    data = exp["data"]
    s3.upload_file(os.path.join(case, "config.yaml"), BUCKET, "inputs/basic/config.yaml")
    s3.upload_file(os.path.join(case, data), BUCKET, "inputs/basic/" + data)

    def event(eid, attempt=1):
        return {"execution_id": eid, "attempt": attempt, "bucket": BUCKET,
                "prefix": PREFIX, "lock_table": TABLE,
                "config_key": "inputs/basic/config.yaml",
                "input_files": [{"name": data, "key": "inputs/basic/" + data}]}

    def finished(eid, attempt=1):
        item = get_item("status#" + eid)
        return (item is not None and item["attempt"]["N"] == str(attempt) and
                item["status"]["S"] == exp["outcome"] and get_item(eid) is None and
                {"report.json", "results.txt"} <= outputs(eid, attempt))

    # RequestResponse through botocore: a real execution end to end
    r = lam.invoke(FunctionName=FUNCTION, Payload=json.dumps(event("svc-sync-1")))
    code, body = body_of(r["Payload"].read())
    check(r["StatusCode"] == 200 and "FunctionError" not in r and code == 200 and
          body.get("status") == exp["outcome"] and body.get("execution_id") == "svc-sync-1",
          "botocore RequestResponse: the bootstrap ran the case (%r %r)" % (code, body))
    check(finished("svc-sync-1"), "botocore RequestResponse: status record, outputs, lock released")
    st0 = stats(ep)

    # Event through botocore: 202, then it runs in the background
    r = lam.invoke(FunctionName=FUNCTION, InvocationType="Event",
                   Payload=json.dumps(event("svc-event-1")))
    check(r["StatusCode"] == 202, "botocore Event: 202")
    check(wait_for(lambda: finished("svc-event-1")), "botocore Event: the execution finished")
    recs = [x for x in records(ep) if x["execution_id"] == "svc-event-1"]
    check(len(recs) == 1 and recs[0]["outcome"] == "succeeded" and recs[0]["status_code"] == 200
          and recs[0]["attempt"] == 1 and recs[0]["type"] == "Event",
          "invocation record of the Event (%r)" % recs)

    # the C client: Event, and RequestResponse of a malformed event
    f = driver(ep, FUNCTION, "Event", json.dumps(event("svc-c-1")))
    check(f.get("outcome") == "ok" and f.get("status") == "202", "C client Event: 202 (%r)" % f)
    check(wait_for(lambda: finished("svc-c-1")), "C client Event: the execution finished")
    f = driver(ep, FUNCTION, "RequestResponse", '{"execution_id": "bad/1", "attempt": 1}')
    check(f.get("outcome") == "function_error" and f.get("status") == "200" and
          f.get("function_error") == "Unhandled" and "Sage.InvalidEvent" in f["payload"],
          "C client RequestResponse: function error Unhandled (%r)" % f)
    f = driver(ep, FUNCTION, "RequestResponse", json.dumps(event("svc-c-2")))
    code, body = body_of(f["payload"])
    check(f.get("outcome") == "ok" and code == 200 and body.get("status") == exp["outcome"],
          "C client RequestResponse: the bootstrap's answer (%r)" % f)

    # warm reuse: everything since the first invocation ran in warm envs
    st = stats(ep)
    check(st["envs_started"] == st0["envs_started"] and st["warm_starts"] >= 4,
          "warm environments reused (envs %d -> %d, warm starts %d)"
          % (st0["envs_started"], st["envs_started"], st["warm_starts"]))

    # DryRun, unknown function, Qualifier, ARN
    r = lam.invoke(FunctionName=FUNCTION, InvocationType="DryRun", Payload=b"{}")
    check(r["StatusCode"] == 204, "DryRun: 204")
    st, code, resp = error_of(lambda: lam.invoke(FunctionName="no-such-function", Payload=b"{}"))
    check(st == 404 and code == "ResourceNotFoundException",
          "unknown function: 404 ResourceNotFoundException (%r %r)" % (st, code))
    f = driver(ep, "no-such-function", "Event", "{}")
    check(f.get("outcome") == "error" and "404" in f["payload"] + f.get("status", ""),
          "unknown function, C client: an error (%r)" % f)
    r = lam.invoke(FunctionName="arn:aws:lambda:us-east-1:123456789012:function:" + FUNCTION,
                   InvocationType="DryRun", Payload=b"{}")
    check(r["StatusCode"] == 204, "function named by its ARN")
    st, code, _ = error_of(lambda: lam.invoke(FunctionName=FUNCTION, Qualifier="7",
                                              InvocationType="DryRun", Payload=b"{}"))
    check(st == 404 and code == "ResourceNotFoundException", "unknown version: 404")

    # signatures
    st, code, _ = error_of(lambda: lambda_client(ep, secret="wrong").invoke(
        FunctionName=FUNCTION, InvocationType="Event", Payload=b"{}"))
    check(st == 403 and code == "InvalidSignatureException",
          "wrong secret: 403 InvalidSignatureException (%r %r)" % (st, code))
    st, code, _ = error_of(lambda: lambda_client(ep, key="AKIDUNKNOWN").invoke(
        FunctionName=FUNCTION, InvocationType="Event", Payload=b"{}"))
    check(st == 403 and code == "UnrecognizedClientException",
          "unknown key: 403 UnrecognizedClientException (%r)" % code)
    env = dict(os.environ, AWS_SECRET_ACCESS_KEY="wrong")
    f = driver(ep, FUNCTION, "Event", "{}", env=env)
    check(f.get("outcome") == "error" and "403" in f["payload"] + f.get("status", ""),
          "wrong secret, C client: refused (%r)" % f)
    req = urllib.request.Request(ep + "/2015-03-31/functions/%s/invocations" % FUNCTION,
                                 data=b"{}", method="POST")
    try:
        urllib.request.urlopen(req, timeout=10)
        code, etype, doc = 200, None, {}
    except urllib.error.HTTPError as e:
        code, etype, doc = e.code, e.headers.get("x-amzn-ErrorType", ""), json.loads(e.read())
    check(code == 403 and etype.startswith("MissingAuthenticationTokenException:") and
          doc.get("__type") == "MissingAuthenticationTokenException" and "message" in doc,
          "unsigned: 403 with x-amzn-ErrorType and a JSON body (%r %r)" % (code, doc))
    accepted = stats(ep)["accepted"]

    # payload limits: 256 KB for Event, 6 MB for RequestResponse
    big = json.dumps({"x": "a" * (256 * 1024)}).encode()
    st, code, _ = error_of(lambda: lam.invoke(FunctionName=FUNCTION, InvocationType="Event",
                                              Payload=big))
    check(st == 413 and code == "RequestEntityTooLargeException",
          "Event over 256 KB: 413 RequestEntityTooLargeException (%r %r)" % (st, code))
    huge = json.dumps({"x": "a" * (6 * 1024 * 1024)}).encode()
    st, code, _ = error_of(lambda: lam.invoke(FunctionName=FUNCTION, Payload=huge))
    check(st == 413 and code == "RequestEntityTooLargeException",
          "RequestResponse over 6 MB: 413 (%r %r)" % (st, code))
    check(stats(ep)["accepted"] == accepted, "refused invokes are not accepted")
    st, code, _ = error_of(lambda: lam.invoke(FunctionName=FUNCTION, InvocationType="Event",
                                              Payload=b"not json"))
    check(st == 400 and code == "InvalidRequestContentException", "not JSON: 400 (%r)" % code)

    # a crash right after the event was fetched: no status, env replaced
    control(ep, "/_sage/crash?count=1&after_ms=0")
    started = stats(ep)["envs_started"]
    r = lam.invoke(FunctionName=FUNCTION, InvocationType="Event",
                   Payload=json.dumps(event("svc-crash-1")))
    recs = wait_for(lambda: [x for x in records(ep) if x["execution_id"] == "svc-crash-1"
                             and x["outcome"] == "crashed"])
    check(r["StatusCode"] == 202 and len(recs) == 1, "crash: the invocation is recorded crashed")
    check(get_item("status#svc-crash-1") is None and not outputs("svc-crash-1", 1),
          "crash: no status record, no outputs")
    r = lam.invoke(FunctionName=FUNCTION, Payload=json.dumps(event("svc-after-crash")))
    code, _ = body_of(r["Payload"].read())
    st = stats(ep)
    check(code == 200 and st["crashed"] == 1 and st["envs_started"] >= started,
          "crash: the service goes on (%r)" % {k: st[k] for k in ("crashed", "envs_started")})

    # a timeout: the environment is killed, the caller told so
    control(ep, "/_sage/timeout?seconds=0.001")
    r = lam.invoke(FunctionName=FUNCTION, Payload=json.dumps(event("svc-timeout-1")))
    doc = json.loads(r["Payload"].read())
    control(ep, "/_sage/timeout?seconds=60")
    check(r.get("FunctionError") == "Unhandled" and "timed out" in doc.get("errorMessage", ""),
          "timeout: Unhandled, 'Task timed out' (%r)" % doc)
    check(stats(ep)["timed_out"] == 1 and get_item("status#svc-timeout-1") is None,
          "timeout: counted, no status record")

    # duplicate delivery of one event: one status record, both deliveries ended
    control(ep, "/_sage/duplicate?count=1")
    lam.invoke(FunctionName=FUNCTION, InvocationType="Event",
               Payload=json.dumps(event("svc-dup-1")))
    recs = wait_for(lambda: (lambda rs: rs if len(rs) == 2 and all(
        x["outcome"] not in ("queued", "running") for x in rs) else None)(
        [x for x in records(ep) if x["execution_id"] == "svc-dup-1"]))
    check(recs and recs[0]["request_id"] == recs[1]["request_id"] and
          recs[0]["env"] != recs[1]["env"] and sum(x["duplicate"] for x in recs) == 1,
          "duplicate: delivered twice, same request id, two environments (%r)"
          % [(x["env"], x["outcome"], x["status_code"]) for x in recs or []])
    check(wait_for(lambda: finished("svc-dup-1")) and stats(ep)["duplicated"] == 1,
          "duplicate: finished once (status record of attempt 1, lock released)")
    check(recs and all(x["outcome"] == "succeeded" and x["status_code"] in (200, 409)
                       for x in recs),
          "duplicate: both deliveries answered 200 or 409 (%r)"
          % [(x["outcome"], x["status_code"]) for x in recs or []])


# ------------------------------------------------------------- mechanics

def test_mechanics(ep):
    lam = lambda_client(ep)

    def ev(**kw):
        return json.dumps(kw).encode()

    # the Runtime API headers and the environment's variables
    r = lam.invoke(FunctionName="sleepy", Payload=ev(n=1))
    seen = json.loads(r["Payload"].read())
    now_ms = time.time() * 1000
    check(seen.get("arn") == "arn:aws:lambda:us-east-1:123456789012:function:sleepy" and
          seen.get("trace_id", "").startswith("Root=1-") and
          seen.get("request_id") == r["ResponseMetadata"]["HTTPHeaders"].get("x-amzn-requestid") and
          now_ms < int(seen.get("deadline_ms") or 0) < now_ms + 31000,
          "Runtime API headers: request id, deadline, ARN, trace id (%r)" % seen)
    check(seen.get("function_name") == "sleepy" and seen.get("memory") == "512" and
          seen.get("region") == "us-east-1" and
          seen.get("s3_endpoint") == os.environ["SAGE_TEST_MOTO_ENDPOINT"],
          "environment variables of the function")
    r = lam.invoke(FunctionName="sleepy", Payload=ev(fail=True))
    doc = json.loads(r["Payload"].read())
    check(r.get("FunctionError") == "Unhandled" and doc.get("errorType") == "Sleepy.Failed",
          "an /error answer: 200 with X-Amz-Function-Error Unhandled")

    # 429 at the limit when Event invokes are rejected over it
    control(ep, "/_sage/reset")
    control(ep, "/_sage/concurrency?limit=2&reject=1")
    for _ in range(2):
        lam.invoke(FunctionName="sleepy", InvocationType="Event", Payload=ev(sleep=1.5))
    st, code, resp = error_of(lambda: lam.invoke(FunctionName="sleepy", InvocationType="Event",
                                                 Payload=ev(n=3)))
    check(st == 429 and code == "TooManyRequestsException" and
          resp.get("Reason") == "ReservedFunctionConcurrentInvocationLimitExceeded",
          "Event over the limit: 429 TooManyRequestsException with Reason (%r %r)"
          % (st, resp and resp.get("Reason")))
    f = driver(ep, "sleepy", "Event", "{}")
    check(f.get("outcome") == "throttled" and f.get("status") == "429" and
          f.get("reason") == "ReservedFunctionConcurrentInvocationLimitExceeded",
          "C client sees the throttle and its reason (%r)" % f)
    st, code, _ = error_of(lambda: lam.invoke(FunctionName="sleepy", Payload=ev(n=4)))
    check(st == 429, "RequestResponse at the limit: 429")
    s = wait_for(lambda: (lambda s: s if s["completed"] == 2 else None)(stats(ep)), 10)
    check(s and s["throttled"] == 3 and s["accepted"] == 2 and s["max_concurrency"] == 2,
          "after the limit: 2 completed, 3 throttled (%r)" % s)

    # queueing: the limit holds, everything runs
    control(ep, "/_sage/reset")
    control(ep, "/_sage/concurrency?limit=2")
    for i in range(6):
        r = lam.invoke(FunctionName="sleepy", InvocationType="Event", Payload=ev(sleep=0.3, i=i))
    s = wait_for(lambda: (lambda s: s if s["completed"] == 6 else None)(stats(ep)), 20)
    check(s and s["max_concurrency"] == 2 and s["envs"] <= 2 and s["queued"] == 0 and
          s["warm_starts"] >= 4,
          "6 queued events on 2 environments (%r)" % s)

    # a throttle window
    control(ep, "/_sage/throttle?seconds=1")
    st, code, _ = error_of(lambda: lam.invoke(FunctionName="sleepy", InvocationType="Event",
                                              Payload=b"{}"))
    check(st == 429 and code == "TooManyRequestsException", "throttle window: 429")
    time.sleep(1.1)
    r = lam.invoke(FunctionName="sleepy", InvocationType="Event", Payload=b"{}")
    check(r["StatusCode"] == 202, "after the throttle window: 202")

    # timeout mid-run: SIGKILL
    control(ep, "/_sage/reset")
    control(ep, "/_sage/timeout?seconds=0.5")
    t0 = time.time()
    r = lam.invoke(FunctionName="sleepy", Payload=ev(sleep=5))
    doc = json.loads(r["Payload"].read())
    check(r.get("FunctionError") == "Unhandled" and "timed out" in doc.get("errorMessage", "") and
          time.time() - t0 < 3, "timeout: the caller gets 'Task timed out' after 0.5 s")
    lam.invoke(FunctionName="sleepy", InvocationType="Event", Payload=ev(sleep=5, tag="to"))
    s = wait_for(lambda: (lambda s: s if s["timed_out"] == 2 else None)(stats(ep)), 5)
    check(s is not None and s["inflight"] == 0, "timeout of an Event invocation counted")
    control(ep, "/_sage/timeout?seconds=30")

    # a crash mid-run
    control(ep, "/_sage/crash?count=1&after_ms=200")
    lam.invoke(FunctionName="sleepy", InvocationType="Event", Payload=ev(sleep=2, tag="crash"))
    rec = wait_for(lambda: [x for x in records(ep) if x["outcome"] == "crashed"], 5)
    check(rec and stats(ep)["crashed"] == 1, "crash mid-run recorded")
    r = lam.invoke(FunctionName="sleepy", Payload=ev(n=5))
    check(r["StatusCode"] == 200 and "FunctionError" not in r, "next invocation after a crash")

    # duplicates on two environments
    control(ep, "/_sage/reset")
    control(ep, "/_sage/duplicate?count=2")
    lam.invoke(FunctionName="sleepy", InvocationType="Event",
               Payload=ev(sleep=0.3, execution_id="d1", attempt=1))
    lam.invoke(FunctionName="sleepy", InvocationType="Event",
               Payload=ev(sleep=0.3, execution_id="d2", attempt=1))
    lam.invoke(FunctionName="sleepy", InvocationType="Event",
               Payload=ev(execution_id="d3", attempt=1))
    wait_for(lambda: stats(ep)["completed"] == 5, 10)
    recs = records(ep)
    ok = True
    for e in ("d1", "d2"):
        rs = [x for x in recs if x["execution_id"] == e]
        ok = ok and len(rs) == 2 and rs[0]["env"] != rs[1]["env"] and \
            rs[0]["request_id"] == rs[1]["request_id"] and \
            all(x["outcome"] == "succeeded" and x["attempt"] == 1 for x in rs)
    check(ok and len([x for x in recs if x["execution_id"] == "d3"]) == 1 and
          stats(ep)["duplicated"] == 2,
          "duplicate?count=2: two events delivered twice each, to two environments")

    # idle environments are stopped (this service: --idle-seconds 2)
    s = wait_for(lambda: (lambda s: s if s["envs"] == 0 else None)(stats(ep)), 10)
    check(s is not None, "idle environments stopped")


def main():
    ep = os.environ["SAGE_TEST_LAMBDA_ENDPOINT"]
    s3 = boto3.client("s3", endpoint_url=os.environ["SAGE_TEST_MOTO_ENDPOINT"])
    ddb = boto3.client("dynamodb", endpoint_url=os.environ["SAGE_TEST_DYNAMODB_ENDPOINT"])
    test_bootstrap(ep, s3, ddb)

    out = subprocess.run([os.path.join(TOP, "test", "services", "start_lambda.sh"),
                          "--function", "sleepy", "--memory", "512", "--timeout", "30",
                          "--idle-seconds", "2", "--concurrency", "4",
                          "--bootstrap", os.path.join(HERE, "sleepy_runtime.py")],
                         capture_output=True, text=True,
                         env=dict(os.environ,
                                  SAGE_S3_ENDPOINT=os.environ["SAGE_TEST_MOTO_ENDPOINT"]))
    fields = dict(kv.split("=") for kv in out.stdout.split())
    try:
        test_mechanics("http://127.0.0.1:%s" % fields["LAMBDA_PORT"])
    finally:
        subprocess.run([os.path.join(TOP, "test", "services", "stop_service.sh"),
                        fields["LAMBDA_PID"]])


if __name__ == "__main__":
    try:
        main()
    except Exception:  # a crash of the harness is a failure, not a pass
        import traceback
        traceback.print_exc()
        failed += 1
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
