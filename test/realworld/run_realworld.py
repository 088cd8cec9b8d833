#!/usr/bin/env python3
"""test/realworld/run_realworld.py

Runs the two real SAGE configurations of test/data/realworld through
sage-validate on synthetic deliveries of their exact shape, generated here
with a fixed seed (the users' data is private):

  CanalTradicionalArchivosDistribuidora.yaml  a ZIP of seven header-less,
      pipe-delimited catalogs and a package rule joining five isin checks
      across catalogs with `and`;
  packhomologaciones.yaml  one EXCEL catalog with a header, entero fields
      checked with `.astype(str).str.match(r'^-?\\d+$')` and the catalog rule
      `len(df.columns) == 24`.

For every scenario the generator injects known defects and computes, from
what it injected and independently of the processor, the expected summary,
per-file statistics and multiset of findings [file, line, check, subject].
Each scenario is written as an acceptance-case folder (config.yaml, the
data, expected.json) under WORK_DIR/cases and compared with
test/cases/run_cases.py's own comparison, so both suites judge alike.

Usage: run_realworld.py SAGE_VALIDATE REALWORLD_DIR [WORK_DIR]
Prints one line per scenario and a final "N passed, M failed"; the exit
status is non-zero when any scenario failed.
"""
import io
import json
import os
import random
import shutil
import sys
import tempfile
import zipfile
from xml.sax.saxutils import escape as xml_escape

import yaml  # Debian's python3-yaml (listed in test/install_deps.sh)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cases"))
import run_cases  # noqa: E402  the acceptance runner's comparison

CANAL = "CanalTradicionalArchivosDistribuidora.yaml"
HOMOLOG = "packhomologaciones.yaml"

# Checks that mark a record (PROCESSOR.md section 6).
RECORD_CHECKS = {"type", "required", "unique", "field_rule", "row_rule",
                 "row_shape", "encoding"}

WORDS = ["Bodega", "Ñandú", "José", "Pérez", "Clorox", "Cía", "Lima", "Cusco",
         "Arequipa", "Mayorista", "Minimarket", "Farmacia", "Norte", "Sur",
         "Limpieza", "Lejía", "Detergente", "Açaí", "Piura", "Trujillo"]


class Expectation:
    """What one scenario must produce, built up as defects are injected."""

    def __init__(self):
        self.records = {}      # file name -> data records it holds
        self.findings = []     # (file, line, check, subject, severity)

    def add(self, file, line, check, subject, severity="error"):
        self.findings.append((file, line, check, subject, severity))

    def expected_json(self, data_name):
        """expected.json in the acceptance cases' format (see their README)."""
        errors = sum(1 for f in self.findings if f[4] == "error")
        warnings = sum(1 for f in self.findings if f[4] == "warning")
        marked = {(f[0], f[1]) for f in self.findings
                  if f[4] == "error" and f[2] in RECORD_CHECKS}
        total = sum(self.records.values())
        if total > 0:
            rate = round(100.0 * (total - len(marked)) / total, 2)
        else:
            rate = 0.0 if errors else 100.0
        status = "Fallido" if errors else ("Parcial" if warnings else "Éxito")
        files = {}
        for name, n in self.records.items():
            # Package-level findings and missing members belong to no file.
            mine = [f for f in self.findings
                    if f[0] == name and f[2] != "missing_file"]
            files[name] = {
                "records": n,
                "errors": sum(1 for f in mine if f[4] == "error"),
                "warnings": sum(1 for f in mine if f[4] == "warning"),
            }
        return {
            "outcome": "succeeded",
            "data": data_name,
            "summary": {"total_records": total, "errors": errors,
                        "warnings": warnings, "rows_with_errors": len(marked),
                        "success_rate": rate, "status": status},
            "files": files,
            "failures": [list(f[:4]) for f in self.findings],
        }


def zip_put(z, name, data):
    """Adds a deflated member with a fixed time, so the archives repeat."""
    info = zipfile.ZipInfo(name, date_time=(2025, 6, 30, 12, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, data)


# ------------------------------------------------------------ value makers

def rand_date(rng):
    return "%04d-%02d-%02d" % (rng.randint(2023, 2025), rng.randint(1, 12),
                               rng.randint(1, 28))


def rand_decimal(rng):
    return "%.2f" % rng.uniform(0, 5000)


def rand_text(rng):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))


# ------------------------------------------------ the ZIP of seven catalogs

class Canal:
    """Synthetic delivery for CanalTradicionalArchivosDistribuidora.yaml."""

    SIZES = {"clientes": 60, "productos": 40, "stock": 50, "vendedores": 12,
             "ventas": 300, "pedidos": 150, "rutas": 80}

    def __init__(self, config, seed):
        self.cfg = config
        self.rng = random.Random(seed)
        rng = self.rng
        self.cli = ["CL%05d" % (1000 + i) for i in range(self.SIZES["clientes"])]
        self.pro = ["PR%05d" % (500 + i) for i in range(self.SIZES["productos"])]
        self.ven = ["VD%03d" % (10 + i) for i in range(self.SIZES["vendedores"])]
        self.rows = {}
        for cat, n in self.SIZES.items():
            fields = self.cfg["catalogs"][cat]["fields"]
            self.rows[cat] = [[self.value(cat, f, i, rng) for f in fields]
                              for i in range(n)]

    def value(self, cat, field, i, rng):
        """A valid cell for row i of catalog cat."""
        name, ftype = field["name"], field["type"]
        if name == "CodigoCliente":
            return self.cli[i] if cat == "clientes" else rng.choice(self.cli)
        if name == "CodigoProducto":
            return self.pro[i] if cat == "productos" else rng.choice(self.pro)
        if name == "CodigoVendedor":
            return self.ven[i] if cat == "vendedores" else rng.choice(self.ven)
        if name == "CodigoProveedor":
            return "CLOROX"
        if name == "CodigoDistribuidor":
            return "D0%d" % rng.randint(1, 3)
        if name == "Estatus":
            # An empty status is null: the isin field rule must skip it.
            return rng.choice(["A", "A", "I", "T", ""])
        if ftype == "fecha":
            return rand_date(rng)
        if ftype == "decimal":
            return rng.choice([rand_decimal(rng), "-%s" % rand_decimal(rng),
                               str(rng.randint(0, 99)), ""])
        if ftype == "entero":
            return rng.choice([str(rng.randint(1, 48)), "0012", "-3", ""])
        if name.startswith("REF"):
            return rng.choice(["", "", rand_text(rng)])
        return rand_text(rng)

    def col(self, cat, name):
        names = [f["name"] for f in self.cfg["catalogs"][cat]["fields"]]
        return names.index(name)

    def filename(self, cat):
        return self.cfg["catalogs"][cat]["filename"]

    def set(self, cat, line, field, value):
        """Puts value in the record on physical line `line` (no header)."""
        self.rows[cat][line - 1][self.col(cat, field)] = value

    def inject_defects(self, exp):
        """Every kind of defect real deliveries carry, each noted in exp."""
        rng = self.rng
        f = self.filename
        # Bad entero, bad fecha and bad decimals.
        self.set("productos", 5, "FactorCaja", "12a")
        exp.add(f("productos"), 5, "type", "FactorCaja")
        self.set("ventas", 7, "FechaDocumento", "2025-02-30")
        exp.add(f("ventas"), 7, "type", "FechaDocumento")
        self.set("ventas", 15, "NumeroItem", "1.5")
        exp.add(f("ventas"), 15, "type", "NumeroItem")
        self.set("pedidos", 6, "Descuento", "1,50")
        exp.add(f("pedidos"), 6, "type", "Descuento")
        # Two findings on one record: one row with errors, two errors.
        self.set("productos", 9, "Peso", "abc")
        self.set("productos", 9, "FechaProceso", "2025-13-01")
        exp.add(f("productos"), 9, "type", "Peso")
        exp.add(f("productos"), 9, "type", "FechaProceso")
        # Estatus outside A/I/T.
        self.set("clientes", 8, "Estatus", "X")
        exp.add(f("clientes"), 8, "field_rule", "Valor de Estatus")
        # A duplicate client code (reported on the repeat) and a code with a
        # space, both appended so every referenced code still exists once.
        dup = list(self.rows["clientes"][2])
        self.rows["clientes"].append(dup)
        exp.add(f("clientes"), len(self.rows["clientes"]), "unique", "CodigoCliente")
        spaced = [self.value("clientes", fd, 0, rng)
                  for fd in self.cfg["catalogs"]["clientes"]["fields"]]
        spaced[self.col("clientes", "CodigoCliente")] = "CL 09999"
        spaced[self.col("clientes", "Estatus")] = "A"
        self.rows["clientes"].append(spaced)
        exp.add(f("clientes"), len(self.rows["clientes"]),
                "field_rule", "Sin espacios en blanco")
        # Ragged records: one short (its missing cells are null), one long.
        self.rows["stock"][9] = self.rows["stock"][9][:-3]
        exp.add(f("stock"), 10, "row_shape", None)
        self.rows["rutas"][3] = self.rows["rutas"][3] + ["sobra"]
        exp.add(f("rutas"), 4, "row_shape", None)
        # Every vendedores record has one column more than the YAML: one
        # column_count for the file, positional matching goes on.
        for r in self.rows["vendedores"]:
            r.append("extra")
        exp.add(f("vendedores"), None, "column_count", None)
        # A venta of an unknown client and a pedido of an unknown product:
        # the five-catalog `and` package rule fails, once.
        self.set("ventas", 12, "CodigoCliente", "CL99999")
        self.set("pedidos", 3, "CodigoProducto", "PR99999")
        rule = self.cfg["packages"]["paquete_bi_clorox"]["package_validation"][0]
        exp.add(None, None, "package_rule", rule["name"])

    def write_zip(self, path, omit=(), folder="", upper=False, crlf=("ventas",),
                  extra_member=False):
        """The delivery; members under `folder`, optionally upper-cased."""
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for cat in self.SIZES:
                if cat in omit:
                    continue
                eol = "\r\n" if cat in crlf else "\n"
                text = "".join("|".join(r) + eol for r in self.rows[cat])
                name = self.filename(cat)
                if upper:
                    name = name.upper()
                zip_put(z, folder + name, text.encode("utf-8"))
            if extra_member:
                zip_put(z, folder + "leeme.txt", b"Entrega de prueba\n")

    def expectation(self, omit=()):
        exp = Expectation()
        for cat in self.SIZES:
            if cat not in omit:
                exp.records[self.filename(cat)] = len(self.rows[cat])
        return exp


def canal_scenarios(config):
    """(name, writer) pairs; writer(path) -> Expectation."""
    rule = config["packages"]["paquete_bi_clorox"]["package_validation"][0]["name"]

    def valid(path):
        c = Canal(config, 20250101)
        c.write_zip(path)
        return c.expectation()

    def nested(path):
        # Members in a folder with upper-case names: matched by base name,
        # case-insensitively; an unrequested member is only an info event.
        c = Canal(config, 20250102)
        c.write_zip(path, folder="Entrega_Distribuidora_2025-06/", upper=True,
                    crlf=("clientes", "ventas", "rutas"), extra_member=True)
        return c.expectation()

    def defects(path):
        c = Canal(config, 20250103)
        exp = Expectation()
        c.inject_defects(exp)
        c.write_zip(path)
        full = c.expectation()
        exp.records = full.records
        return exp

    def missing_read(path):
        # productos.csv is read by the package rule: the rule cannot run.
        c = Canal(config, 20250104)
        c.write_zip(path, omit=("productos",))
        exp = c.expectation(omit=("productos",))
        exp.add(c.filename("productos"), None, "missing_file", None)
        exp.add(None, None, "rule_error", rule)
        return exp

    def missing_unread(path):
        # stock.csv is read by no rule: the package rule still holds.
        c = Canal(config, 20250105)
        c.write_zip(path, omit=("stock",), extra_member=True)
        exp = c.expectation(omit=("stock",))
        exp.add(c.filename("stock"), None, "missing_file", None)
        return exp

    return [("canal_valid", valid), ("canal_valid_nested_upper", nested),
            ("canal_defects", defects), ("canal_missing_productos", missing_read),
            ("canal_missing_stock", missing_unread)]


# -------------------------------------------------------- the EXCEL catalog

def col_letter(i):
    """0 -> A, 25 -> Z, 26 -> AA."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def write_xlsx(path, rows, sheet_name="Homologaciones", shared=False):
    """A minimal but complete workbook written by hand.

    rows: list of rows; each cell is None (no cell element), ("s", text) a
    string, or ("n", text) a number written as given. Strings are inline
    (t="inlineStr"), or with shared=True in xl/sharedStrings.xml (t="s"), as
    Excel itself writes them.
    """
    strings = {}
    sheet = io.StringIO()
    sheet.write('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<worksheet xmlns="http://schemas.openxmlformats.org/'
                'spreadsheetml/2006/main"><sheetData>')
    for r, row in enumerate(rows, start=1):
        sheet.write('<row r="%d">' % r)
        for c, cell in enumerate(row):
            if cell is None:
                continue
            ref = "%s%d" % (col_letter(c), r)
            kind, text = cell
            if kind == "s" and shared:
                idx = strings.setdefault(text, len(strings))
                sheet.write('<c r="%s" t="s"><v>%d</v></c>' % (ref, idx))
            elif kind == "s":
                sheet.write('<c r="%s" t="inlineStr"><is><t>%s</t></is></c>'
                            % (ref, xml_escape(text)))
            else:
                sheet.write('<c r="%s"><v>%s</v></c>' % (ref, text))
        sheet.write("</row>")
    sheet.write("</sheetData></worksheet>")
    ns_rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
          '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
          '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
          '%s</Types>' % ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                          'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                          if shared else ''))
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="%s/officeDocument" Target="xl/workbook.xml"/>'
            '</Relationships>' % ns_rel)
    wb = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
          'xmlns:r="%s"><sheets><sheet name="%s" sheetId="1" r:id="rId1"/>'
          '</sheets></workbook>' % (ns_rel, xml_escape(sheet_name)))
    wb_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
               '<Relationship Id="rId1" Type="%s/worksheet" Target="worksheets/sheet1.xml"/>'
               '<Relationship Id="rId2" Type="%s/styles" Target="styles.xml"/>'
               '%s</Relationships>'
               % (ns_rel, ns_rel,
                  '<Relationship Id="rId3" Type="%s/sharedStrings" Target="sharedStrings.xml"/>'
                  % ns_rel if shared else ''))
    styles = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
              '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
              '<borders count="1"><border/></borders>'
              '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
              '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
              '</styleSheet>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        zip_put(z, "[Content_Types].xml", ct.encode("utf-8"))
        zip_put(z, "_rels/.rels", rels.encode("utf-8"))
        zip_put(z, "xl/workbook.xml", wb.encode("utf-8"))
        zip_put(z, "xl/_rels/workbook.xml.rels", wb_rels.encode("utf-8"))
        zip_put(z, "xl/styles.xml", styles.encode("utf-8"))
        zip_put(z, "xl/worksheets/sheet1.xml", sheet.getvalue().encode("utf-8"))
        if shared:
            sst = "".join('<si><t xml:space="preserve">%s</t></si>' % xml_escape(t)
                          for t in sorted(strings, key=strings.get))
            zip_put(z, "xl/sharedStrings.xml", (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                'count="%d" uniqueCount="%d">%s</sst>'
                % (len(strings), len(strings), sst)).encode("utf-8"))


class Homolog:
    """Synthetic sheet for packhomologaciones.yaml."""

    NROWS = 120

    def __init__(self, config, seed):
        cat = config["catalogs"]["pck_homologaciones"]
        self.fields = cat["fields"]
        self.filename = cat["filename"]
        self.rng = random.Random(seed)
        self.header = [f["name"] for f in self.fields]
        self.rows = [[self.value(f, i) for f in self.fields]
                     for i in range(self.NROWS)]

    def value(self, field, i):
        rng = self.rng
        name, ftype = field["name"], field["type"]
        if name == "CodigoProducto":
            # Required; sometimes typed in as text with leading zeros.
            return rng.choice([("n", str(100000 + i)), ("n", str(100000 + i)),
                               ("s", "%07d" % (100000 + i))])
        if ftype == "entero":
            # Optional integers: numbers, negative ones, text digits, and
            # absent or empty cells (null: the astype(str) rule skips them).
            return rng.choice([("n", str(rng.randint(1, 999))), ("n", "-7"),
                               ("s", "0042"), None, ("s", "")])
        if ftype == "decimal":
            return rng.choice([("n", "%.2f" % rng.uniform(0.01, 90)),
                               ("n", str(rng.randint(1, 50))),
                               ("s", "%.3f" % rng.uniform(0, 5)), None])
        if name in ("EAN13", "EAN14"):
            return ("s", "%013d" % rng.randint(0, 10 ** 13 - 1))
        if name == "Estado":
            return ("s", rng.choice(["ACTIVO", "INACTIVO"]))
        return rng.choice([("s", rand_text(rng)), ("s", "Clorox & Cía <x>"),
                           None])

    def set(self, line, field, cell):
        """Sheet row `line` (the header is row 1)."""
        self.rows[line - 2][self.header.index(field)] = cell

    def write(self, path, order=None, extra=None, shared=False):
        """order: a permutation of the columns; extra: (name, cell) added;
        shared: strings in the shared-string table."""
        idx = order or list(range(len(self.header)))
        head = [("s", self.header[i]) for i in idx]
        body = [[r[i] for i in idx] for r in self.rows]
        if extra:
            head.append(("s", extra[0]))
            for r in body:
                r.append(extra[1])
        write_xlsx(path, [head] + body, shared=shared)

    def expectation(self):
        exp = Expectation()
        exp.records[self.filename] = len(self.rows)
        return exp


def homolog_scenarios(config):
    catrule = config["catalogs"]["pck_homologaciones"]["catalog_validation"][0]["name"]

    def valid(path):
        h = Homolog(config, 20250201)
        h.write(path)
        return h.expectation()

    def reordered(path):
        # Columns in another order (matched by header name), and strings in
        # the shared-string table as Excel writes them.
        h = Homolog(config, 20250202)
        order = list(range(len(h.header)))
        h.rng.shuffle(order)
        h.write(path, order=order, shared=True)
        return h.expectation()

    def defects(path):
        h = Homolog(config, 20250203)
        exp = h.expectation()
        f = h.filename
        h.set(5, "CodigoProducto", None)                  # missing required
        exp.add(f, 5, "required", "CodigoProducto")
        h.set(9, "CodigoProducto", ("s", ""))             # empty text: null
        exp.add(f, 9, "required", "CodigoProducto")
        h.set(12, "CodigoCategoria", ("s", "12a"))        # bad entero
        exp.add(f, 12, "type", "CodigoCategoria")
        h.set(20, "UnidadesPorCaja", ("n", "3.5"))        # not an integer
        exp.add(f, 20, "type", "UnidadesPorCaja")
        h.set(33, "PesoUnidadBase", ("s", "1,5"))         # decimal comma
        exp.add(f, 33, "type", "PesoUnidadBase")
        h.set(40, "CODDUENOMARCA", ("s", "12 3"))
        h.set(40, "PesoUnidadVenta", ("s", "kg"))         # two on one row
        exp.add(f, 40, "type", "CODDUENOMARCA")
        exp.add(f, 40, "type", "PesoUnidadVenta")
        # A 25th column: reported as extra, and len(df.columns) == 24 fails.
        h.write(path, extra=("Observaciones", ("s", "revisar")))
        exp.add(f, None, "column_extra", "Observaciones")
        exp.add(f, None, "catalog_rule", catrule)
        return exp

    return [("homolog_valid", valid), ("homolog_valid_reordered_shared", reordered),
            ("homolog_defects", defects)]


# ------------------------------------------------------------------- main

def main():
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[-3], file=sys.stderr)
        return 2
    binary, realworld = sys.argv[1], sys.argv[2]
    work = sys.argv[3] if len(sys.argv) > 3 else tempfile.mkdtemp(prefix="sage-realworld-")
    cases = os.path.join(work, "cases")
    outs = os.path.join(work, "out")
    os.makedirs(cases, exist_ok=True)
    os.makedirs(outs, exist_ok=True)
    plan = []
    for cfg_name, data_name, scen in (
            (CANAL, "entrega_distribuidora.zip", canal_scenarios),
            (HOMOLOG, "pck_homologaciones.xlsx", homolog_scenarios)):
        cfg_path = os.path.join(realworld, cfg_name)
        with open(cfg_path, encoding="utf-8") as fh:
            config = yaml.safe_load(fh)
        for name, writer in scen(config):
            plan.append((name, cfg_path, data_name, writer))

    passed = failed = 0
    for name, cfg_path, data_name, writer in plan:
        d = os.path.join(cases, name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        shutil.copyfile(cfg_path, os.path.join(d, "config.yaml"))
        exp = writer(os.path.join(d, data_name))
        with open(os.path.join(d, "expected.json"), "w", encoding="utf-8") as fh:
            json.dump(exp.expected_json(data_name), fh, ensure_ascii=False, indent=1)
        try:
            problems, proc = run_cases.run_case(binary, d, outs)
            out = os.path.join(outs, name)
            for f in ("output.log", "report.json", "report.html",
                      "results.txt", "failures.csv"):
                if not os.path.isfile(os.path.join(out, f)):
                    problems.append("no %s written" % f)
        except Exception as e:  # a crash, a timeout or bad JSON fails it
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
            s = exp.expected_json(data_name)["summary"]
            print("ok   %s (%d records, %d errors)" % (name, s["total_records"], s["errors"]))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
