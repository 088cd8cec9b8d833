#!/usr/bin/python3
"""bench/baseline_pandas.py

The baseline of the processor benchmark: what SAGE users run today. Reads
a SAGE YAML configuration and one CSV catalog, then does the same checks as
sage-validate with pandas:

  read_csv(dtype=str, keep_default_na=False) -- every cell as text, as the
  contract asks; required (empty cell), unique (repeats after the first
  non-null occurrence), the type of every entero/decimal/fecha/booleano
  cell by PROCESSOR.md section 4; then the catalog's rules given to Python's
  `eval`, as SAGE did, on a frame whose columns are typed by their fields
  (nulls and cells that failed their type are missing values). A field rule
  counts the rows where its field has a value and the result is not True;
  a row rule counts every row whose result is not True; a catalog rule
  counts once.

Usage: /usr/bin/python3 baseline_pandas.py CONFIG.yaml DATA.csv
Prints a human line and a JSON line {"errors", "warnings", "records",
"seconds", "peak_rss_mb", "counts"}. Needs Debian's python3-pandas and
python3-yaml (the pyenv python3 on PATH has no pandas).
"""
import json
import os
import resource
import sys
import time

import numpy as np
import pandas as pd
import yaml

ENTERO = r"^[+-]?[0-9]+$"
DECIMAL = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
FECHA = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?$"
BOOL_TRUE = {"true", "1", "t", "yes", "y", "si", "sí", "verdadero"}
BOOL_FALSE = {"false", "0", "f", "no", "n", "falso"}


def pick_catalog(cfg, data):
    """The catalog whose filename is the data file's, else the first CSV."""
    base = os.path.basename(data)
    cats = cfg["catalogs"]
    for c in cats.values():
        if c["filename"] == base:
            return c
    for c in cats.values():
        if str(c["file_format"]["type"]).upper() == "CSV":
            return c
    raise SystemExit("baseline: no CSV catalog in the configuration")


def typed_column(col, ftype, null):
    """(typed values, mask of cells that passed their type) for one field."""
    if ftype == "texto":
        return col.where(~null), ~null
    if ftype == "entero":
        ok = col.str.match(ENTERO) & ~null
        return pd.to_numeric(col.where(ok), errors="coerce"), ok
    if ftype == "decimal":
        ok = col.str.match(DECIMAL) & ~null
        return pd.to_numeric(col.where(ok), errors="coerce"), ok
    if ftype == "fecha":
        shape = col.str.match(FECHA) & ~null
        plain = shape & (col.str.len() == 10)
        val = pd.to_datetime(col.where(plain), format="%Y-%m-%d", errors="coerce")
        timed = shape & ~plain
        if timed.any():
            val = val.where(~timed, pd.to_datetime(col.where(timed), errors="coerce"))
        ok = shape & val.notna()  # the date must exist (no 2025-02-30)
        return val.where(ok), ok
    if ftype == "booleano":
        low = col.str.lower()
        ok = (low.isin(BOOL_TRUE) | low.isin(BOOL_FALSE)) & ~null
        return low.map(lambda v: v in BOOL_TRUE).where(ok), ok
    raise SystemExit("baseline: unknown type %s" % ftype)


def failing(res, n):
    """Boolean mask of rows whose rule result is not True."""
    if isinstance(res, pd.Series):
        return ~(res.fillna(False).astype(bool))
    if isinstance(res, (bool, np.bool_)):
        return pd.Series(not bool(res), index=range(n))
    raise SystemExit("baseline: rule gave %r" % type(res))


def main():
    if len(sys.argv) != 3:
        print("usage: baseline_pandas.py CONFIG.yaml DATA.csv", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    with open(sys.argv[1], encoding="utf-8") as fh:
        cfg = yaml.safe_load(fh)
    cat = pick_catalog(cfg, sys.argv[2])
    ff = cat["file_format"]
    fields = cat["fields"]
    header = bool(ff.get("header", False))
    df = pd.read_csv(sys.argv[2], sep=ff["delimiter"], dtype=str, keep_default_na=False,
                     header=0 if header else None, encoding="utf-8",
                     quotechar=ff.get("quotechar", '"'))
    t_read = time.perf_counter()
    if not header:
        df.columns = [f["name"] for f in fields][:len(df.columns)] + \
            ["_extra%d" % i for i in range(len(df.columns) - len(fields))]
    n = len(df)
    counts = {"required": 0, "unique": 0, "type": 0, "field_rule": 0,
              "row_rule": 0, "catalog_rule": 0}
    sev = {"error": 0, "warning": 0}
    typed = pd.DataFrame(index=df.index)
    has_value = {}
    for f in fields:
        name = f["name"]
        col = df[name]
        null = col == ""
        if f.get("required"):
            counts["required"] += int(null.sum())
        if f.get("unique"):
            counts["unique"] += int(col[~null].duplicated(keep="first").sum())
        val, ok = typed_column(col, f["type"], null)
        counts["type"] += int((~null & ~ok).sum())
        typed[name] = val
        has_value[name] = ok
    sev["error"] += counts["required"] + counts["unique"] + counts["type"]
    t_checks = time.perf_counter()
    env = {"df": typed, "pd": pd, "np": np, "str": str, "int": int, "float": float,
           "bool": bool, "len": len, "abs": abs, "min": min, "max": max, "round": round}

    def run(rule):
        return eval(rule["rule"], {"__builtins__": {}}, env)  # as SAGE did

    def count(rule, nfail, check):
        s = str(rule.get("severity", "error")).lower()
        counts[check] += nfail
        if s in sev:
            sev[s] += nfail

    for f in fields:
        for rule in f.get("validation_rules") or []:
            bad = failing(run(rule), n) & has_value[f["name"]]
            count(rule, int(bad.sum()), "field_rule")
    for rule in cat.get("row_validation") or []:
        count(rule, int(failing(run(rule), n).sum()), "row_rule")
    for rule in cat.get("catalog_validation") or []:
        count(rule, 1 if failing(run(rule), n).any() else 0, "catalog_rule")
    secs = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    phases = {"read_csv": round(t_read - t0, 3),
              "builtin_checks": round(t_checks - t_read, 3),
              "rules": round(t0 + secs - t_checks, 3)}
    print("baseline: %d records, %d errors, %d warnings, %.2f s (read_csv %.2f, "
          "checks %.2f, rules %.2f), peak RSS %.0f MB"
          % (n, sev["error"], sev["warning"], secs, phases["read_csv"],
             phases["builtin_checks"], phases["rules"], rss))
    print(json.dumps({"records": n, "errors": sev["error"], "warnings": sev["warning"],
                      "seconds": round(secs, 3), "phases": phases,
                      "peak_rss_mb": round(rss, 1), "counts": counts}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
