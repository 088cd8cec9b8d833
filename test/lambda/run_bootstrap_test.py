#!/usr/bin/env python3
# test/lambda/run_bootstrap_test.py
#	End-to-end test of lambda/bootstrap against moto (S3), DynamoDB Local
#	and test/lambda/local_runtime.py (the Runtime API). Run through
#	run_bootstrap_test.sh, which starts the services and exports
#	SAGE_TEST_MOTO_ENDPOINT and SAGE_TEST_DYNAMODB_ENDPOINT.
#
#	Checks, for acceptance cases run as Lambda invocations: the response,
#	the outputs under <prefix><id>/attempt-1/, report.json against
#	expected.json and against sage-validate (apart from execution_info
#	and events), the status record with its attempt, the released lock;
#	then a held lock (409), a stale attempt after a newer attempt's final
#	status (fencing), a missing input (failed with error.log) and a
#	malformed event (invocation error). Prints "N passed, M failed".

import json
import os
import subprocess
import sys
import tempfile
import time

import boto3

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from local_runtime import LocalRuntime  # noqa: E402

CASES = os.path.join(TOP, "test", "data", "cases")
BOOTSTRAP = os.path.join(TOP, "lambda", "bootstrap")
VALIDATE = os.path.join(TOP, "sage-validate")
BUCKET = "sage-lambda-test"
TABLE = "sage_execution_locks_test"
PREFIX = "executions/"
REGION = "us-east-1"
SUMMARY_KEYS = ("total_records", "errors", "warnings", "rows_with_errors",
                "success_rate", "status")

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


def body_of(outcome):
    """The design's response: {"statusCode", "body": "<json>"}."""
    if outcome["kind"] != "response" or not isinstance(outcome["payload"], dict):
        return None, None
    p = outcome["payload"]
    try:
        return p.get("statusCode"), json.loads(p.get("body", "null"))
    except ValueError:
        return p.get("statusCode"), None


def strip_report(r):
    return {k: v for k, v in r.items() if k not in ("execution_info", "events")}


def main():
    s3_ep = os.environ["SAGE_TEST_MOTO_ENDPOINT"]
    ddb_ep = os.environ["SAGE_TEST_DYNAMODB_ENDPOINT"]
    s3 = boto3.client("s3", endpoint_url=s3_ep, region_name=REGION)
    ddb = boto3.client("dynamodb", endpoint_url=ddb_ep, region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    ddb.create_table(TableName=TABLE,
                     KeySchema=[{"AttributeName": "execution_id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "execution_id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")

    def get_item(key):
        return ddb.get_item(TableName=TABLE, Key={"execution_id": {"S": key}},
                            ConsistentRead=True).get("Item")

    def outputs(eid, attempt):
        pre = "%s%s/attempt-%d/" % (PREFIX, eid, attempt)
        resp = s3.list_objects_v2(Bucket=BUCKET, Prefix=pre)
        return {o["Key"][len(pre):] for o in resp.get("Contents", [])}

    def read(eid, attempt, name):
        key = "%s%s/attempt-%d/%s" % (PREFIX, eid, attempt, name)
        return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()

    rt = LocalRuntime(timeout_s=120).start()
    env = dict(os.environ)
    env.update({
        "AWS_LAMBDA_RUNTIME_API": rt.address,
        "AWS_REGION": REGION,
        "SAGE_S3_ENDPOINT": s3_ep,
        "SAGE_DYNAMODB_ENDPOINT": ddb_ep,
        "AWS_LAMBDA_FUNCTION_NAME": "sage-bootstrap-test",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
    })
    env.pop("AWS_SESSION_TOKEN", None)
    stdout_path = os.path.join(tempfile.mkdtemp(prefix="sage-bootstrap-"), "stdout")
    stdout_f = open(stdout_path, "wb")
    t0 = time.time()
    # SAGE_BOOTSTRAP_WRAPPER="valgrind --error-exitcode=9" runs it under a tool
    wrapper = os.environ.get("SAGE_BOOTSTRAP_WRAPPER", "").split()
    proc = subprocess.Popen(wrapper + [BOOTSTRAP], env=env, stdout=stdout_f)
    try:
        rt.invoke({"warmup": True})  # an invocation error, but it times the init
        init_ms = (rt.first_next - t0) * 1000
        print("init (process start to first next): %.1f ms" % init_ms)
        check(init_ms < 500 or wrapper, "cold start: init well under a second (%.1f ms)" % init_ms)
        run_tests(rt, s3, ddb, get_item, outputs, read)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        rt.stop()
        stdout_f.close()
    check(not rt.init_errors, "no init error (%r)" % rt.init_errors)
    # one EMF line per answered invocation
    emf = []
    with open(stdout_path, "rb") as f:
        for line in f:
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            if "_aws" in doc:
                emf.append(doc)
    answered = sum(1 for r in rt.results.values() if r["kind"] == "response")
    check(len(emf) == answered and answered > 0,
          "one EMF line per response (%d lines, %d responses)" % (len(emf), answered))
    check(all(d["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "SAGE" and "Invocations" in d
              for d in emf), "EMF lines carry the SAGE namespace and metrics")
    # the extension's dimension (Where) plus the function, as the dashboard reads them
    check(all(d["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Where", "FunctionName"]] and
              d.get("Where") == "lambda" and d.get("FunctionName") for d in emf),
          "EMF lines carry the dimensions Where = lambda and FunctionName")
    print("bootstrap: %d bytes; whole run %.1f s" % (os.path.getsize(BOOTSTRAP), time.time() - t0))

    # an init failure (no region) goes to /runtime/init/error and exits
    rt2 = LocalRuntime().start()
    env2 = {k: v for k, v in env.items() if k not in ("AWS_REGION", "AWS_DEFAULT_REGION")}
    env2["AWS_LAMBDA_RUNTIME_API"] = rt2.address
    try:
        rc = subprocess.run([BOOTSTRAP], env=env2, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, timeout=30).returncode
    finally:
        rt2.stop()
    check(rc != 0 and len(rt2.init_errors) == 1 and
          rt2.init_errors[0]["type"] == "Runtime.InitError" and
          "AWS_REGION" in rt2.init_errors[0]["payload"].get("errorMessage", ""),
          "init error reported to /runtime/init/error (rc %d, %r)" % (rc, rt2.init_errors))


def run_tests(rt, s3, ddb, get_item, outputs, read):
    cases = ["csv_header_basic", "zip_package", "xlsx_basic", "unsafe_1"]
    for case in cases:
        d = os.path.join(CASES, case)
        exp = json.load(open(os.path.join(d, "expected.json")))
        data = exp["data"]
        eid = "case-" + case
        cfg_key = "inputs/%s/config.yaml" % eid
        in_key = "inputs/%s/%s" % (eid, data)
        s3.upload_file(os.path.join(d, "config.yaml"), BUCKET, cfg_key)
        s3.upload_file(os.path.join(d, data), BUCKET, in_key)
        event = {"execution_id": eid, "attempt": 1, "input_files": [{"name": data, "key": in_key}],
                 "bucket": BUCKET, "prefix": PREFIX, "lock_table": TABLE}
        # half the cases carry the configuration inline, half by key
        if case in ("zip_package", "unsafe_1"):
            event["yaml_config"] = open(os.path.join(d, "config.yaml")).read()
        else:
            event["config_key"] = cfg_key
        if exp.get("marker") and os.path.exists(exp["marker"]):
            os.unlink(exp["marker"])
        res = rt.invoke(event)
        code, body = body_of(res)
        want_ok = exp["outcome"] == "succeeded"
        check(code == (200 if want_ok else 500) and body is not None and
              body.get("execution_id") == eid and
              body.get("status") == ("succeeded" if want_ok else "failed"),
              "%s: response %r %r" % (case, code, body if code != (200 if want_ok else 500) else ""))
        outs = outputs(eid, 1)
        need = {"report.json", "report.html", "results.txt", "output.log", "failures.csv"}
        if not want_ok:
            need.add("error.log")
        check(need <= outs, "%s: outputs under attempt-1/ %s" % (case, sorted(outs)))
        item = get_item("status#" + eid)
        check(item is not None and item["attempt"]["N"] == "1" and
              item["status"]["S"] == ("succeeded" if want_ok else "failed") and
              item["output_prefix"]["S"] == "%s%s/attempt-1/" % (PREFIX, eid),
              "%s: status record with attempt 1 (%r)" % (case, item))
        listed = {}
        try:
            listed = {o["name"]: o["size"] for o in json.loads(item["outputs"]["S"])}
        except (KeyError, TypeError, ValueError):
            pass
        check(set(listed) == outs and
              all(listed[n] == len(read(eid, 1, n)) for n in listed),
              "%s: the record lists the outputs with their sizes (%r)" % (case, listed))

        def promoted(n):
            try:
                return s3.get_object(Bucket=BUCKET, Key="%s%s/%s" % (PREFIX, eid, n))["Body"].read()
            except Exception:
                return None
        check(outs and all(promoted(n) == read(eid, 1, n) for n in outs),
              "%s: the outputs are promoted to <prefix><id>/" % case)
        check(get_item(eid) is None, "%s: lock released" % case)
        if exp.get("marker"):
            check(not os.path.exists(exp["marker"]), "%s: marker not created" % case)
        if "report.json" not in outs:
            continue
        rep = json.loads(read(eid, 1, "report.json"))
        check(rep["execution_info"].get("where") == "lambda" and
              rep["execution_info"].get("execution_id") == eid,
              "%s: report.json says where=lambda" % case)
        if "summary" in exp:
            got = {k: rep["summary"].get(k) for k in SUMMARY_KEYS}
            check(got == {k: exp["summary"][k] for k in SUMMARY_KEYS},
                  "%s: summary equals expected.json (%r)" % (case, got))
            counts = body.get("counts", {}) if body else {}
            check(counts.get("total_records") == exp["summary"]["total_records"] and
                  counts.get("errors") == exp["summary"]["errors"] and
                  item is not None and item.get("errors", {}).get("N") == str(exp["summary"]["errors"]),
                  "%s: counts in the response and the status record" % case)
        # the same case through sage-validate
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([VALIDATE, os.path.join(d, "config.yaml"), os.path.join(d, data),
                            "--out", tmp, "--execution-id", eid],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            local = json.load(open(os.path.join(tmp, "report.json")))
            check(strip_report(local) == strip_report(rep),
                  "%s: report.json equals sage-validate's (apart from execution_info/events)" % case)
            with open(os.path.join(tmp, "failures.csv"), "rb") as f:
                check(f.read() == read(eid, 1, "failures.csv"),
                      "%s: failures.csv equals sage-validate's" % case)

    # duplicate delivery of a finished attempt: answered from its record,
    # nothing run or written again
    eid = "case-csv_header_basic"
    before = get_item("status#" + eid)
    etag = s3.head_object(Bucket=BUCKET, Key="%s%s/attempt-1/report.json" % (PREFIX, eid))["ETag"]
    ev = {"execution_id": eid, "attempt": 1, "bucket": BUCKET, "prefix": PREFIX,
          "lock_table": TABLE, "config_key": "inputs/%s/config.yaml" % eid,
          "input_files": [{"name": "ventas.csv", "key": "inputs/%s/ventas.csv" % eid}]}
    code, body = body_of(rt.invoke(ev))
    check(code == 200 and body.get("duplicate") is True and body.get("status") == "succeeded" and
          body.get("output_prefix") == "%s%s/attempt-1/" % (PREFIX, eid),
          "duplicate delivery: answered from the status record (%r %r)" % (code, body))
    check(get_item("status#" + eid) == before and get_item(eid) is None and
          s3.head_object(Bucket=BUCKET, Key="%s%s/attempt-1/report.json" % (PREFIX, eid))["ETag"] == etag,
          "duplicate delivery: status record and outputs untouched")

    # a held lock: another owner's live lease on the execution -> 409
    eid = "held-1"
    s3.put_object(Bucket=BUCKET, Key="inputs/held/ventas.csv",
                  Body=open(os.path.join(CASES, "csv_header_basic", "ventas.csv"), "rb").read())
    base = {"execution_id": eid, "attempt": 1, "bucket": BUCKET, "prefix": PREFIX,
            "lock_table": TABLE, "config_key": "inputs/case-csv_header_basic/config.yaml",
            "input_files": [{"name": "ventas.csv", "key": "inputs/held/ventas.csv"}]}
    ddb.put_item(TableName=TABLE, Item={
        "execution_id": {"S": eid}, "owner": {"S": "other-request"},
        "attempt": {"N": "1"}, "expiration_time": {"N": str(int(time.time()) + 600)}})
    code, body = body_of(rt.invoke(base))
    check(code == 409 and body and body.get("status") == "refused" and
          "in progress" in body.get("error", ""),
          "held lock: second event gets 409 (%r %r)" % (code, body))
    check(outputs(eid, 1) == set() and get_item("status#" + eid) is None,
          "held lock: nothing written")
    it = get_item(eid)
    check(it is not None and it["owner"]["S"] == "other-request", "held lock: holder kept")

    # fencing: attempt 2 finishes, then a late attempt 1 is refused
    eid = "fence-1"
    ev2 = dict(base, execution_id=eid, attempt=2)
    code, body = body_of(rt.invoke(ev2))
    check(code == 200 and body.get("attempt") == 2, "fencing: attempt 2 succeeds (%r)" % code)
    code, body = body_of(rt.invoke(dict(ev2, attempt=1)))
    check(code == 409 and body.get("status") == "refused" and "stale" in body.get("error", ""),
          "fencing: stale attempt 1 refused (%r %r)" % (code, body))
    item = get_item("status#" + eid)
    check(item is not None and item["attempt"]["N"] == "2", "fencing: attempt 2's status kept")
    check(outputs(eid, 1) == set() and get_item(eid) is None,
          "fencing: no attempt-1 outputs, no lock left")
    check(s3.get_object(Bucket=BUCKET, Key="%s%s/report.json" % (PREFIX, eid))["Body"].read() ==
          read(eid, 2, "report.json"), "fencing: <id>/report.json is attempt 2's")

    # fencing at the final write: a newer status appears while attempt 3 runs
    eid = "fence-2"
    ddb.put_item(TableName=TABLE, Item={
        "execution_id": {"S": eid}, "owner": {"S": "old"}, "attempt": {"N": "5"},
        "expiration_time": {"N": str(int(time.time()) - 10)}})
    code, body = body_of(rt.invoke(dict(base, execution_id=eid, attempt=3)))
    check(code == 409 and get_item("status#" + eid) is None,
          "fencing: expired lock of newer attempt 5 supersedes attempt 3 (%r %r)" % (code, body))
    pre = "%s%s/" % (PREFIX, eid)
    keys = {o["Key"][len(pre):] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=pre).get("Contents", [])}
    check("report.json" not in keys,
          "fencing: nothing of the refused attempt 3 promoted (%s)" % sorted(keys))

    # a missing input: a result (failed, error.log), not an invocation error
    eid = "missing-1"
    ev = dict(base, execution_id=eid, input_files=[{"name": "x.csv", "key": "inputs/none.csv"}])
    code, body = body_of(rt.invoke(ev))
    check(code == 500 and body.get("status") == "failed" and "does not exist" in body.get("error", ""),
          "missing input: 500 failed (%r %r)" % (code, body))
    check("error.log" in outputs(eid, 1) and b"inputs/none.csv" in read(eid, 1, "error.log"),
          "missing input: error.log uploaded")
    item = get_item("status#" + eid)
    check(item is not None and item["status"]["S"] == "failed" and get_item(eid) is None,
          "missing input: failed status, lock released")

    # a malformed event: an invocation error, and the runtime goes on
    res = rt.invoke(b'{"execution_id": "bad/1", "attempt": 1}')
    check(res["kind"] == "error" and res["error_type"] == "Sage.InvalidEvent" and
          "errorMessage" in (res["payload"] or {}),
          "malformed event: invocation error (%r)" % res)
    res = rt.invoke(b"not json")
    check(res["kind"] == "error" and "could not parse the event" in res["payload"]["errorMessage"],
          "non-JSON event: invocation error (%r)" % res["payload"])

    # warm reuse: the same environment still answers after the errors
    code, body = body_of(rt.invoke(dict(base, execution_id="warm-1")))
    check(code == 200, "warm environment keeps serving (%r)" % code)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a crash of the harness is a failure, not a pass
        import traceback
        traceback.print_exc()
        failed += 1
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
