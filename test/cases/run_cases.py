#!/usr/bin/env python3
"""test/cases/run_cases.py

Runs every acceptance case (test/data/cases/*/) through sage-validate and
compares with expected.json as the cases' README says: the summary keys,
per-file statistics, and the complete multiset of findings from
failures.csv. Unsafe cases must be rejected and their marker never appear.

Usage: run_cases.py SAGE_VALIDATE CASES_DIR [WORK_DIR]
Prints one line per case and a final "N passed, M failed".
"""
import collections
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile

SUBJECT_IS_RULE = {"field_rule", "row_rule", "catalog_rule", "package_rule", "rule_error"}
SUBJECT_IS_FIELD = {"type", "required", "unique", "column_missing", "column_extra"}
SUMMARY_KEYS = ["total_records", "errors", "warnings", "rows_with_errors", "success_rate", "status"]


def findings_of(path):
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            check = row["check"]
            if check in SUBJECT_IS_RULE:
                subject = row["rule"] or None
            elif check in SUBJECT_IS_FIELD:
                subject = row["field"] or None
            else:
                subject = None
            line = int(row["line"]) if row["line"] else None
            out.append((row["file"] or None, line, check, subject))
    return out


def run_case(binary, case_dir, work):
    exp = json.load(open(os.path.join(case_dir, "expected.json"), encoding="utf-8"))
    marker = exp.get("marker")
    if marker and os.path.exists(marker):
        os.unlink(marker)
    out = os.path.join(work, os.path.basename(case_dir))
    shutil.rmtree(out, ignore_errors=True)
    proc = subprocess.run([binary, os.path.join(case_dir, "config.yaml"),
                           os.path.join(case_dir, exp["data"]), "--out", out],
                          capture_output=True, text=True, timeout=120)
    problems = []
    if exp["outcome"] == "failed":
        if proc.returncode != 2:
            problems.append("exit code %d, expected 2" % proc.returncode)
        if marker and os.path.exists(marker):
            problems.append("marker %s was created" % marker)
        rep_path = os.path.join(out, "report.json")
        if not os.path.exists(os.path.join(out, "error.log")):
            problems.append("no error.log for a system failure")
        if os.path.exists(rep_path):
            json.load(open(rep_path, encoding="utf-8"))
        else:
            problems.append("no report.json for a system failure")
        return problems, proc
    rep = json.load(open(os.path.join(out, "report.json"), encoding="utf-8"))
    for k in SUMMARY_KEYS:
        if rep["summary"].get(k) != exp["summary"][k]:
            problems.append("summary.%s = %r, expected %r" % (k, rep["summary"].get(k), exp["summary"][k]))
    stats = rep["files"]["statistics"]
    for name, want in exp["files"].items():
        got = stats.get(name)
        if got is None:
            problems.append("no statistics for %s (have %s)" % (name, list(stats)))
            continue
        for k in ("records", "errors", "warnings"):
            if got.get(k) != want[k]:
                problems.append("files.%s.%s = %r, expected %r" % (name, k, got.get(k), want[k]))
    for name in stats:
        if name not in exp["files"]:
            problems.append("unexpected statistics for %s" % name)
    want = collections.Counter(tuple(x) for x in exp["failures"])
    got = collections.Counter(findings_of(os.path.join(out, "failures.csv")))
    for k in sorted(want - got, key=str):
        problems.append("missing finding %r" % (k,))
    for k in sorted(got - want, key=str):
        problems.append("unexpected finding %r" % (k,))
    code = 1 if exp["summary"]["errors"] > 0 else 0
    if proc.returncode != code:
        problems.append("exit code %d, expected %d" % (proc.returncode, code))
    return problems, proc


def main():
    binary, cases = sys.argv[1], sys.argv[2]
    work = sys.argv[3] if len(sys.argv) > 3 else tempfile.mkdtemp(prefix="sage-cases-")
    passed = failed = 0
    for name in sorted(os.listdir(cases)):
        d = os.path.join(cases, name)
        if not os.path.isfile(os.path.join(d, "expected.json")):
            continue
        try:
            problems, proc = run_case(binary, d, work)
        except Exception as e:  # a crash or timeout is a failed case
            problems, proc = ["%s: %s" % (type(e).__name__, e)], None
        if problems:
            failed += 1
            print("FAIL %s" % name)
            for p in problems:
                print("     %s" % p)
            if proc is not None and proc.stderr:
                print("     stderr: %s" % proc.stderr.strip().replace("\n", "\n             "))
        else:
            passed += 1
            print("ok   %s" % name)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
