#!/usr/bin/env python3
"""bench/gen_reference.py

Writes the workloads of the processor benchmark (issue 2, docs/PERFORMANCE.md):

  gen_reference.py config OUT.yaml
      the SAGE configuration of the reference workload: 15 fields, required
      on 5, unique on 1, types on 8, and three rules (a range with
      astype(float).between, a regex with str.match, a date comparison with
      pd.to_datetime);
  gen_reference.py data OUT.csv [--rows N] [--all-fail] [--seed S]
      the reference CSV (default 1,000,000 rows x 15 columns, ~140 MB), about
      2% of its rows defective (every row with --all-fail). Streamed to disk
      in blocks, so 10 M rows need no more memory than 1 M. Prints one JSON
      line: rows, defective rows, bytes and the number of error findings the
      defects must produce by PROCESSOR.md (the generator's own count, used
      to check both the baseline and sage);
  gen_reference.py rules100 OUT.yaml OUT.csv
      a configuration of exactly 100 rules over 20 fields and a 3-row file
      that passes them all (start-up and load time).

Deterministic: every value derives from a 64-bit mix of (seed, row number).
"""
import argparse
import datetime
import json
import os
import sys

MASK = (1 << 64) - 1

FIRST = ["Ana", "Beto", "Carla", "Diego", "Elena", "Fabián", "Gloria", "Hugo",
         "Inés", "Jorge", "Karina", "Luis", "María", "Néstor", "Olga", "Pablo",
         "Quique", "Rosa", "Sergio", "Tania", "Úrsula", "Víctor", "Wendy",
         "Ximena", "Yolanda", "Zoe", "Andrés", "Begoña", "César", "Dora",
         "Emilio", "Fátima"]
LAST = ["García", "Pérez", "López", "Sánchez", "Ramírez", "Torres", "Flores",
        "Rivera", "Gómez", "Díaz", "Cruz", "Morales", "Reyes", "Ortiz",
        "Gutiérrez", "Chávez", "Ruiz", "Vargas", "Castillo", "Núñez", "Rojas",
        "Mendoza", "Silva", "Quispe", "Huamán", "Mamani", "Ríos", "Vega",
        "Paredes", "Salazar", "Córdova", "Espinoza"]
ASCII = [n.lower().translate(str.maketrans("áéíóúñÁÉÍÓÚÑ", "aeiounAEIOUN"))
         for n in FIRST + LAST]
CITIES = ["Lima", "Cusco", "Arequipa", "Piura", "Trujillo", "Chiclayo", "Iquitos",
          "Huancayo", "Tacna", "Puno", "Ica", "Cajamarca", "Ayacucho", "Tumbes",
          "Moquegua", "Huaraz"]
DOMAINS = ["example.com", "correo.pe", "mail.example.org", "empresa.com.pe",
           "clorox.com", "ventas.pe", "test.io", "datos.net"]
NOTES = ["", "", "", "ok", "revisar", "Entrega parcial", '"Urgente, llamar"',
         '"Dijo ""listo"""', "sin stock", "pagado", "", "crédito 30 días",
         "reprogramado", "", "VIP", "devolución"]
BOOLS = ["true", "false", "1", "0", "si", "no", "t", "f", "yes", "y", "n",
         "verdadero", "falso", "TRUE", "Sí", "False"]
BASE = datetime.date(2023, 1, 1)
DATES = [(BASE + datetime.timedelta(days=k)).isoformat() for k in range(1200)]

COLUMNS = ["id", "code", "name", "city", "amount", "price", "qty", "stock",
           "d1", "d2", "active", "email", "category", "score", "notes"]

# Defect kinds: (what it does, error findings it must produce). A bad or
# missing date makes the row rule's comparison missing: a second finding.
DEFECTS = [
    ("empty id (required)", 1),
    ("empty code (required)", 1),
    ("empty name (required)", 1),
    ("empty amount (required)", 1),
    ("empty qty (required)", 1),
    ("repeated id (unique)", 1),
    ("qty 12x (type entero)", 1),
    ("amount 12,50 (type decimal)", 1),
    ("amount 1500.00 (range rule)", 1),
    ("e-mail without @ (regex rule)", 1),
    ("d1 2025-02-30 (type fecha + date rule)", 2),
    ("d2 before d1 (date rule)", 1),
    ("active quizás (type booleano)", 1),
    ("price N/A (type decimal)", 1),
    ("stock 3.0 (type entero)", 1),
    ("score 1e (type decimal)", 1),
    ("d2 30/06/2025 (type fecha + date rule)", 2),
]

CONFIG = """\
sage_yaml:
  name: "Benchmark de referencia"
  description: "Carga de referencia del issue 2: 15 columnas, 3 reglas"
  version: "1.0.0"
  author: "sage bench"

catalogs:
  movimientos:
    name: "Movimientos"
    description: "1 M filas x 15 columnas"
    filename: "reference.csv"
    file_format:
      type: "CSV"
      delimiter: ","
      header: true
    fields:
      - {name: "id", type: "texto", required: true, unique: true}
      - {name: "code", type: "texto", required: true}
      - {name: "name", type: "texto", required: true}
      - {name: "city", type: "texto"}
      - name: "amount"
        type: "decimal"
        required: true
        validation_rules:
          - name: "Monto en rango"
            description: "El monto debe estar entre 0 y 1000"
            rule: "df['amount'].astype(float).between(0, 1000)"
            severity: "error"
      - {name: "price", type: "decimal"}
      - {name: "qty", type: "entero", required: true}
      - {name: "stock", type: "entero"}
      - {name: "d1", type: "fecha"}
      - {name: "d2", type: "fecha"}
      - {name: "active", type: "booleano"}
      - name: "email"
        type: "texto"
        validation_rules:
          - name: "Correo valido"
            description: "El correo debe tener un formato valido"
            rule: "df['email'].str.match(r'^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\\\.[A-Za-z]{2,}$')"
            severity: "error"
      - {name: "category", type: "texto"}
      - {name: "score", type: "decimal"}
      - {name: "notes", type: "texto"}
    row_validation:
      - name: "Fechas en orden"
        description: "d2 no puede ser anterior a d1"
        rule: "pd.to_datetime(df['d2']) >= pd.to_datetime(df['d1'])"
        severity: "error"

packages: {}
"""


def mix(x):
    """splitmix64: a cheap, well-spread 64-bit hash of x."""
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def gen_data(path, rows, all_fail, seed):
    """Streams the CSV to path; returns the statistics dictionary."""
    seed_base = (seed & 0xFFFFFFFF) << 32
    expected = 0
    defective = 0
    kinds = [0] * len(DEFECTS)
    last_id = None
    nbytes = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        head = ",".join(COLUMNS) + "\n"
        out.write(head)
        nbytes += len(head.encode("utf-8"))
        block = []
        for i in range(rows):
            h = mix(seed_base + i)
            g = mix(h)
            fi = FIRST[h & 31]
            la = LAST[(h >> 5) & 31]
            rid = "ID%08d" % i
            code = "C-%05d" % ((h >> 10) % 100000)
            name = "%s %s" % (fi, la)
            city = CITIES[(h >> 27) & 15]
            amount = "%d.%02d" % ((g & 1023) % 1000, (g >> 10) % 100)
            price = "" if (g >> 17) & 15 == 0 else "%d.%02d" % ((g >> 21) % 5000, (g >> 34) % 100)
            qty = str(1 + (g >> 41) % 99)
            stock = str((h >> 31) % 5000) if (h >> 44) & 7 else "-%d" % ((h >> 31) % 50)
            k = 40 + (g >> 48) % 1000
            d1 = DATES[k]
            d2 = DATES[k + (h >> 48) % 60]
            active = BOOLS[(h >> 52) & 15]
            email = "%s.%s%d@%s" % (ASCII[(h >> 56) & 31], ASCII[32 + ((g >> 56) & 31)],
                                    (g >> 3) % 1000, DOMAINS[(g >> 61) & 7])
            category = "CAT-%02d" % ((g >> 25) % 40)
            sv = (h >> 36) & 255
            score = "%d.%dE-3" % (sv % 10, sv % 7) if sv < 16 else "0.%04d" % ((g >> 14) % 10000)
            notes = NOTES[(g >> 57) & 15]
            if all_fail:
                kind = (h >> 20) % len(DEFECTS)
                if last_id is None and kind == 5:
                    kind = 6
            elif i > 0 and (h >> 40) % 50 == 0:
                kind = (h >> 20) % len(DEFECTS)
            else:
                kind = -1
            if kind >= 0:
                defective += 1
                kinds[kind] += 1
                expected += DEFECTS[kind][1]
                if kind == 0:
                    rid = ""
                elif kind == 1:
                    code = ""
                elif kind == 2:
                    name = ""
                elif kind == 3:
                    amount = ""
                elif kind == 4:
                    qty = ""
                elif kind == 5:
                    rid = last_id
                elif kind == 6:
                    qty = "12x"
                elif kind == 7:
                    amount = "\"12,50\""  # quoted: the delimiter is a comma
                elif kind == 8:
                    amount = "1500.00"
                elif kind == 9:
                    email = email.replace("@", ".")
                elif kind == 10:
                    d1 = "2025-02-30"
                elif kind == 11:
                    d2 = DATES[k - 1 - (h >> 48) % 30]
                elif kind == 12:
                    active = "quizás"
                elif kind == 13:
                    price = "N/A"
                elif kind == 14:
                    stock = "3.0"
                elif kind == 15:
                    score = "1e"
                elif kind == 16:
                    d2 = "30/06/2025"
            if rid:
                last_id = rid
            block.append(",".join((rid, code, name, city, amount, price, qty, stock,
                                   d1, d2, active, email, category, score, notes)))
            if len(block) == 8192:
                text = "\n".join(block) + "\n"
                out.write(text)
                nbytes += len(text.encode("utf-8"))
                block = []
        if block:
            text = "\n".join(block) + "\n"
            out.write(text)
            nbytes += len(text.encode("utf-8"))
    return {"rows": rows, "defective_rows": defective, "expected_errors": expected,
            "bytes": nbytes,
            "defects": {DEFECTS[n][0]: c for n, c in enumerate(kinds) if c}}


def gen_rules100(cfg_path, data_path):
    """100 rules (90 field, 6 row, 4 catalog) over 20 fields, and 3 rows."""
    kinds = ["decimal", "texto", "entero", "fecha"]
    field_rules = {
        "decimal": ["df['{f}'].astype(float).between(-1000000, 1000000)",
                    "df['{f}'] >= -1000000",
                    "df['{f}'].abs() < 1000000000",
                    "df['{f}'].notnull()",
                    "df['{f}'].round(2) <= 1000000"],
        "texto": ["df['{f}'].str.match(r'^[A-Z]{{2}}\\d+$')",
                  "df['{f}'].str.len() <= 40",
                  "df['{f}'].isin(['AB1', 'CD2', 'EF3', 'GH4'])",
                  "df['{f}'].str.contains('[0-9]', regex=True)",
                  "~df['{f}'].str.startswith('ZZ')"],
        "entero": ["df['{f}'].astype(str).str.match(r'^-?\\d+$')",
                   "df['{f}'] >= 0",
                   "df['{f}'] % 1 == 0",
                   "df['{f}'].between(0, 1000000, inclusive='both')",
                   "df['{f}'].astype(float) < 1e9"],
        "fecha": ["df['{f}'].dt.year >= 2000",
                  "df['{f}'].dt.month.between(1, 12)",
                  "df['{f}'].dt.day >= 1",
                  "df['{f}'].dt.dayofweek <= 6",
                  "df['{f}'].notna()"],
    }
    sample = {"decimal": ["12.5", "0.25", "999"], "texto": ["AB1", "CD2", "EF3"],
              "entero": ["7", "0012", "450"],
              "fecha": ["2024-01-31", "2025-06-30", "2023-12-01"]}
    fields = [("f%02d" % (n + 1), kinds[n % 4]) for n in range(20)]
    lines = ["sage_yaml:", '  name: "100 reglas"', '  description: "Arranque y carga"',
             '  version: "1.0.0"', '  author: "sage bench"', "catalogs:", "  cien:",
             '    name: "Cien reglas"', '    description: "20 campos, 100 reglas"',
             '    filename: "rules100.csv"',
             '    file_format: {type: "CSV", delimiter: ",", header: true}',
             "    fields:"]
    nrules = 0
    for n, (f, t) in enumerate(fields):
        lines += ['      - name: "%s"' % f, '        type: "%s"' % t,
                  "        required: true", "        validation_rules:"]
        # 90 field rules: 5 on each of the first 10 fields, 4 on the rest.
        per = 5 if n < 10 else 4
        for r in range(per):
            nrules += 1
            lines += ['          - name: "r%03d"' % nrules,
                      '            description: "regla %d"' % nrules,
                      "            rule: %s" % json.dumps(field_rules[t][r].format(f=f)),
                      '            severity: "error"']
    lines.append("    row_validation:")
    row_rules = ["df['f01'] <= df['f05'] + 1000000",
                 "df['f03'] >= 0",
                 "(pd.to_datetime(df['f04']) >= pd.to_datetime(df['f08'])) | df['f04'].notna()",
                 "df.apply(lambda row: row['f03'] >= 0, axis=1)",
                 "df['f02'].str.len() + df['f03'] >= 0",
                 "df['f01'].notnull() & df['f02'].notnull()"]
    for rule in row_rules:
        nrules += 1
        lines += ['      - name: "r%03d"' % nrules, '        description: "fila %d"' % nrules,
                  "        rule: %s" % json.dumps(rule), '        severity: "warning"']
    lines.append("    catalog_validation:")
    cat_rules = ["len(df) >= 1", "len(df.columns) == 20", "df.shape[0] < 1000000",
                 "df['f01'].sum() > 0"]
    for rule in cat_rules:
        nrules += 1
        lines += ['      - name: "r%03d"' % nrules, '        description: "catalogo %d"' % nrules,
                  "        rule: %s" % json.dumps(rule), '        severity: "error"']
    lines.append("packages: {}")
    assert nrules == 100, nrules
    with open(cfg_path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    with open(data_path, "w", encoding="utf-8") as fh:
        fh.write(",".join(f for f, _ in fields) + "\n")
        for r in range(3):
            fh.write(",".join(sample[t][r] for _, t in fields) + "\n")


def main():
    ap = argparse.ArgumentParser(description="benchmark workloads of issue 2")
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("config")
    c.add_argument("out")
    d = sub.add_parser("data")
    d.add_argument("out")
    d.add_argument("--rows", type=int, default=1000000)
    d.add_argument("--all-fail", action="store_true")
    d.add_argument("--seed", type=int, default=2025)
    r = sub.add_parser("rules100")
    r.add_argument("config")
    r.add_argument("data")
    a = ap.parse_args()
    if a.cmd == "config":
        with open(a.out, "w", encoding="utf-8") as fh:
            fh.write(CONFIG)
    elif a.cmd == "data":
        stats = gen_data(a.out, a.rows, a.all_fail, a.seed)
        print(json.dumps(stats, ensure_ascii=False))
    else:
        gen_rules100(a.config, a.data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
