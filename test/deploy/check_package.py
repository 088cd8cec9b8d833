#!/usr/bin/env python3
# test/deploy/check_package.py
#	Checks the deployment packages of `make lambda-package`
#	(build/lambda/sage-bootstrap-<arch>.zip) as Lambda would use them:
#
#	- each zip unzips to an executable `bootstrap` script that execs
#	  bin/sage-bootstrap through the bundled dynamic loader with
#	  --library-path lib, and nothing else of the image;
#	- the property the package relies on to run on Amazon Linux 2023
#	  (glibc 2.34) although built on Debian 12 (glibc 2.36): every
#	  DT_NEEDED of the binary and of lib/* is bundled in lib/, and the
#	  highest GLIBC_x.y that any of them references is at most the version
#	  of the bundled libc.so.6 (printed: it is above 2.34, which is why
#	  glibc is bundled);
#	- x86_64: the package runs in a chroot that holds nothing but the
#	  unzipped package under /var/task and a static busybox as /bin/sh (no
#	  system library at all): without AWS_LAMBDA_RUNTIME_API it fails with a
#	  clear message and exit status 1; then, as the function of the local
#	  Lambda service (test/services/lambda_service.py --wrapper "chroot
#	  ROOT" --bootstrap /var/task/bootstrap), it processes an acceptance
#	  case end to end through the Invoke API (moto S3 and DynamoDB Local:
#	  run through with_dynamodb.sh and with_moto.sh, as
#	  run_deploy_tests.sh does), report.json matching expected.json, and
#	  prints its EMF line;
#	- arm64: the command line the script execs, under qemu-aarch64-static
#	  in the same kind of chroot (no binfmt_misc here to run the script
#	  itself): the same missing-API error, then the same case end to end
#	  as the local Lambda service's function.
#
#	  python3 test/deploy/check_package.py [BUILD_DIR]
#
#	Needs root (chroot). Prints "N passed, M failed".

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TOP, "build", "lambda")
CASES = os.path.join(TOP, "test", "data", "cases")
LOADERS = {"x86_64": "ld-linux-x86-64.so.2", "arm64": "ld-linux-aarch64.so.1"}
MACHINES = {"x86_64": "Advanced Micro Devices X86-64", "arm64": "AArch64"}
AL2023_GLIBC = (2, 34)
LIMIT = 250 * 1024 * 1024

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


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, **kw)


def needed(path):
    out = run(["readelf", "-d", path]).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def machine(path):
    m = re.search(r"Machine:\s+(.*)", run(["readelf", "-h", path]).stdout)
    return m.group(1).strip() if m else None


def glibc_refs(path):
    """GLIBC_x.y versions of the symbols the file needs (undefined)."""
    vers = set()
    for line in run(["objdump", "-T", path]).stdout.splitlines():
        if "*UND*" in line:
            for v in re.findall(r"GLIBC_(\d+)\.(\d+)", line):
                vers.add((int(v[0]), int(v[1])))
    return vers


def glibc_defined(path):
    vers = set()
    for line in run(["objdump", "-T", path]).stdout.splitlines():
        if "*UND*" not in line:
            for v in re.findall(r"GLIBC_(\d+)\.(\d+)", line):
                vers.add((int(v[0]), int(v[1])))
    return vers


def fmt(v):
    return "%d.%d" % v


def unpack(arch, tmp):
    """Unzips the package into ROOT/var/task; returns (root, task)."""
    zpath = os.path.join(BUILD, "sage-bootstrap-%s.zip" % arch)
    if not check(os.path.isfile(zpath), "%s: %s exists" % (arch, os.path.relpath(zpath, TOP))):
        return None, None
    root = os.path.join(tmp, arch + "-root")
    task = os.path.join(root, "var", "task")
    os.makedirs(task)
    with zipfile.ZipFile(zpath) as z:
        z.extractall(task)
        # zipfile drops the mode: restore it from the entries, as Lambda does
        for info in z.infolist():
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(os.path.join(task, info.filename), mode)
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in z.infolist()}
        unzipped = sum(i.file_size for i in z.infolist())
    print("%s: %d bytes zipped, %d bytes unzipped (limit %d)"
          % (arch, os.path.getsize(zpath), unzipped, LIMIT))
    check(unzipped < LIMIT, "%s: unzipped size under Lambda's 250 MB" % arch)
    check(modes.get("bootstrap", 0) & 0o111 and modes.get("bin/sage-bootstrap", 0) & 0o111
          and modes.get("lib/" + LOADERS[arch], 0) & 0o111,
          "%s: bootstrap, binary and loader are executable in the zip" % arch)
    # a root for chroot: the package and a static shell, nothing else
    for d in ("bin", "tmp", "etc"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    shutil.copy("/bin/busybox", os.path.join(root, "bin", "sh"))
    return root, task


def static_checks(arch, task):
    script = open(os.path.join(task, "bootstrap")).read()
    loader = LOADERS[arch]
    check(script.startswith("#!/bin/sh\n") and
          re.search(r'^exec "\$here/lib/%s" --library-path "\$here/lib" '
                    r'"\$here/bin/sage-bootstrap" "\$@"$' % re.escape(loader), script, re.M),
          "%s: bootstrap execs bin/sage-bootstrap through lib/%s --library-path lib"
          % (arch, loader))
    binary = os.path.join(task, "bin", "sage-bootstrap")
    libdir = os.path.join(task, "lib")
    files = [binary] + [os.path.join(libdir, f) for f in sorted(os.listdir(libdir))]
    check(all(machine(f) == MACHINES[arch] for f in files),
          "%s: binary and %d libraries are %s ELF files" % (arch, len(files) - 1, MACHINES[arch]))
    missing = ["%s needs %s" % (os.path.basename(f), n)
               for f in files for n in needed(f) if not os.path.exists(os.path.join(libdir, n))]
    check(not missing, "%s: every DT_NEEDED is bundled in lib/ %s" % (arch, missing[:5]))
    check(os.path.isfile(os.path.join(libdir, loader)) and
          os.path.isfile(os.path.join(libdir, "libc.so.6")),
          "%s: the dynamic loader and libc.so.6 are bundled" % arch)
    refs = set()
    for f in files:
        refs |= glibc_refs(f)
    need = max(refs)
    have = max(glibc_defined(os.path.join(libdir, "libc.so.6")))
    print("%s: highest GLIBC version needed: %s; bundled glibc: %s; Amazon Linux 2023: %s"
          % (arch, fmt(need), fmt(have), fmt(AL2023_GLIBC)))
    check(need <= have, "%s: GLIBC_%s needed <= bundled glibc %s" % (arch, fmt(need), fmt(have)))
    # what is relied on: nothing of the image's glibc; were the needs within
    # AL2023's 2.34, the bundling would be optional, and this says so
    if need > AL2023_GLIBC:
        print("%s: needs more than AL2023's glibc %s, so the bundled one is required"
              % (arch, fmt(AL2023_GLIBC)))


def no_runtime_api(arch, root, prefix):
    """Runs the package in its chroot without AWS_LAMBDA_RUNTIME_API."""
    env = {"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDSAGETEST",
           "AWS_SECRET_ACCESS_KEY": "sage-test-secret", "LAMBDA_TASK_ROOT": "/var/task"}
    t0 = time.time()
    p = run(["/usr/sbin/chroot", root] + prefix, env=env, timeout=120)
    print("%s: exit %d in %.2f s, stderr %r" % (arch, p.returncode, time.time() - t0, p.stderr.strip()))
    check(p.returncode == 1 and "AWS_LAMBDA_RUNTIME_API is not set" in p.stderr,
          "%s: in a chroot with no system library, no AWS_LAMBDA_RUNTIME_API -> "
          "clear error, exit 1" % arch)


def end_to_end(arch, wrapper, bootstrap):
    """The package as the local Lambda service's function: the service runs
    WRAPPER BOOTSTRAP as each execution environment."""
    import boto3

    s3_ep = os.environ.get("SAGE_TEST_MOTO_ENDPOINT")
    ddb_ep = os.environ.get("SAGE_TEST_DYNAMODB_ENDPOINT")
    if not check(s3_ep and ddb_ep, "%s: S3 and DynamoDB test services are running" % arch):
        return
    region = "us-east-1"
    bucket, table, prefix = "sage-deploy-test", "sage_execution_locks", "executions/"
    s3 = boto3.client("s3", endpoint_url=s3_ep, region_name=region)
    ddb = boto3.client("dynamodb", endpoint_url=ddb_ep, region_name=region)
    if bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=bucket)
    if table not in ddb.list_tables()["TableNames"]:
        ddb.create_table(TableName=table,
                         KeySchema=[{"AttributeName": "execution_id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "execution_id",
                                                "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
    logs = tempfile.mkdtemp(prefix="sage-deploy-logs-")
    env = dict(os.environ, SAGE_SERVICE_LOGS=logs)
    start = run([os.path.join(TOP, "test", "services", "start_lambda.sh"),
                 "--bootstrap", bootstrap, "--wrapper", wrapper,
                 "--memory", "2048", "--timeout", "120", "--concurrency", "2"], env=env)
    m = re.search(r"LAMBDA_PORT=(\d+) LAMBDA_PID=(\d+)", start.stdout)
    if not check(m is not None, "%s: local Lambda service started (%s)" % (arch, start.stderr.strip())):
        return
    port, pid = m.group(1), m.group(2)
    try:
        lam = boto3.client("lambda", endpoint_url="http://127.0.0.1:" + port, region_name=region)
        case = "csv_header_basic"
        d = os.path.join(CASES, case)
        exp = json.load(open(os.path.join(d, "expected.json")))
        eid = "deploy-%s-%s" % (arch, case)
        in_key = "%s%s/input/%s" % (prefix, eid, exp["data"])
        cfg_key = "%s%s/input/config.yaml" % (prefix, eid)
        s3.upload_file(os.path.join(d, exp["data"]), bucket, in_key)
        s3.upload_file(os.path.join(d, "config.yaml"), bucket, cfg_key)
        event = {"execution_id": eid, "attempt": 1, "config_key": cfg_key,
                 "input_files": [{"name": exp["data"], "key": in_key}],
                 "bucket": bucket, "prefix": prefix, "lock_table": table}
        t0 = time.time()
        resp = lam.invoke(FunctionName="sage-file-processor", InvocationType="RequestResponse",
                          Payload=json.dumps(event).encode())
        payload = json.loads(resp["Payload"].read() or b"null")
        print("%s: invoke answered in %.2f s: %r" % (arch, time.time() - t0, payload))
        body = None
        if isinstance(payload, dict) and isinstance(payload.get("body"), str):
            body = json.loads(payload["body"])
        want = exp["outcome"] == "succeeded"
        check(resp["StatusCode"] == 200 and "FunctionError" not in resp and
              payload.get("statusCode") == (200 if want else 500) and body is not None and
              body.get("status") == exp["outcome"] and body.get("execution_id") == eid,
              "%s: %s processed through the Invoke API: %s" % (arch, case, exp["outcome"]))
        key = "%s%s/attempt-1/report.json" % (prefix, eid)
        try:
            report = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        except Exception as e:  # noqa: BLE001  (reported as the failure)
            report = None
            print("%s: could not read %s: %s" % (arch, key, e))
        summary = (report or {}).get("summary", {})
        want_summary = exp.get("summary", {})
        diffs = {k: (summary.get(k), v) for k, v in want_summary.items() if summary.get(k) != v}
        check(report is not None and want_summary and not diffs,
              "%s: report.json in S3 matches expected.json's summary %s" % (arch, diffs or ""))
        item = ddb.get_item(TableName=table, Key={"execution_id": {"S": "status#" + eid}},
                            ConsistentRead=True).get("Item")
        check(item is not None and item["status"]["S"] == exp["outcome"],
              "%s: status record written in DynamoDB" % arch)
        stats = json.loads(run(["python3", "-c",
                                "import urllib.request,sys;print(urllib.request.urlopen("
                                "'http://127.0.0.1:%s/_sage/stats').read().decode())" % port]).stdout
                           or "{}")
        print("%s: service stats %s" % (arch, json.dumps(stats, sort_keys=True)))
    finally:
        run([os.path.join(TOP, "test", "services", "stop_service.sh"), pid])
    emf = []
    for f in os.listdir(logs):
        for line in open(os.path.join(logs, f), errors="replace"):
            if line.startswith("{") and '"_aws"' in line:
                try:
                    emf.append(json.loads(line))
                except ValueError:
                    pass
    check(any(e["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "SAGE" and
              e.get("FunctionName") == "sage-file-processor" and e.get("Where") == "lambda" and
              e["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Where", "FunctionName"]] and
              e.get("Invocations") == 1
              for e in emf), "%s: the bootstrap printed its EMF line (%d)" % (arch, len(emf)))
    shutil.rmtree(logs, ignore_errors=True)


def main():
    if os.geteuid() != 0:
        print("check_package.py needs root (chroot)")
        print("0 passed, 1 failed")
        return 1
    tmp = tempfile.mkdtemp(prefix="sage-deploy-pkg-")
    try:
        root, task = unpack("x86_64", tmp)
        if root:
            static_checks("x86_64", task)
            no_runtime_api("x86_64", root, ["/var/task/bootstrap"])
            end_to_end("x86_64", "/usr/sbin/chroot " + root, "/var/task/bootstrap")
        root, task = unpack("arm64", tmp)
        if root:
            static_checks("arm64", task)
            qemu = shutil.which("qemu-aarch64-static")
            if check(qemu, "arm64: qemu-aarch64-static is installed (qemu-user-static)"):
                shutil.copy(qemu, os.path.join(root, "qemu-aarch64-static"))
                # the command line the script execs (no binfmt_misc here to
                # run the script itself on an arm64 loader)
                no_runtime_api("arm64", root, [
                    "/qemu-aarch64-static", "/var/task/lib/ld-linux-aarch64.so.1",
                    "--library-path", "/var/task/lib", "/var/task/bin/sage-bootstrap"])
                # and as the local Lambda service's function, under qemu
                end_to_end("arm64", "/usr/sbin/chroot %s /qemu-aarch64-static "
                           "/var/task/lib/ld-linux-aarch64.so.1 --library-path /var/task/lib"
                           % root, "/var/task/bin/sage-bootstrap")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
