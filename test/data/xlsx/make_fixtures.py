#!/usr/bin/python3
# test/data/xlsx/make_fixtures.py
#	Generates the XLSX fixtures read by test/core/xlsx_reader_test.c.
#
#	The parts are written by hand (zipfile only packs them) so each test
#	controls every detail: shared vs inline strings, rich text, styles
#	with date formats, the 1904 system, booleans, errors, gaps, rows
#	without references, namespace prefixes, and hostile XML. Two files
#	come from openpyxl, a real library. The output is committed: tests
#	never need Python.
#
#	Run: /usr/bin/python3 test/data/xlsx/make_fixtures.py

import datetime
import os
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "zip"))
import make_fixtures as zipfx  # noqa: E402  (hand-made ZIP writer)

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PRNS = "http://schemas.openxmlformats.org/package/2006/relationships"
RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def content_types(nsheets):
    over = "".join(
        '<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' % i
        for i in range(1, nsheets + 1))
    return (DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension='
            '"xml" ContentType="application/xml"/>' + over + '</Types>')


def root_rels(target="xl/workbook.xml"):
    return (DECL + '<Relationships xmlns="%s"><Relationship Id="rId1" Type="%s'
            'officeDocument" Target="%s"/></Relationships>' % (PRNS, RT, target))


def workbook(sheets, date1904=False):
    """sheets: list of (name, rid)."""
    pr = '<workbookPr date1904="1"/>' if date1904 else '<workbookPr/>'
    sh = "".join('<sheet name="%s" sheetId="%d" r:id="%s"/>' % (n, i + 1, rid)
                 for i, (n, rid) in enumerate(sheets))
    return (DECL + '<workbook xmlns="%s" xmlns:r="%s">%s<sheets>%s</sheets>'
            '</workbook>' % (NS, RNS, pr, sh))


def wb_rels(rels):
    """rels: list of (id, kind, target)."""
    body = "".join('<Relationship Id="%s" Type="%s%s" Target="%s"/>' % (i, RT, k, t)
                   for i, k, t in rels)
    return DECL + '<Relationships xmlns="%s">%s</Relationships>' % (PRNS, body)


def sheet(rows, prefix=""):
    """rows: list of raw <row> XML strings."""
    p = prefix + ":" if prefix else ""
    xmlns = ('xmlns:%s="%s"' % (prefix, NS)) if prefix else 'xmlns="%s"' % NS
    return (DECL + '<%sworksheet %s xmlns:r="%s"><%sdimension ref="A1"/>'
            '<%ssheetData>%s</%ssheetData><%spageMargins left="0.7"/></%sworksheet>'
            % (p, xmlns, RNS, p, p, "".join(rows), p, p, p))


def sst(items):
    """items: raw <si> inner XML strings."""
    body = "".join("<si>%s</si>" % s for s in items)
    return (DECL + '<sst xmlns="%s" count="%d" uniqueCount="%d">%s</sst>'
            % (NS, len(items), len(items), body))


def styles(numfmts, xfs):
    """numfmts: list of (id, code); xfs: list of numFmtId (cellXfs order)."""
    nf = "".join('<numFmt numFmtId="%d" formatCode="%s"/>' % (i, c)
                 for i, c in numfmts)
    nfs = '<numFmts count="%d">%s</numFmts>' % (len(numfmts), nf) if numfmts else ""
    # a cellStyleXfs xf with a date format must not count as a cell format
    return (DECL + '<styleSheet xmlns="%s">%s<fonts count="1"><font/></fonts>'
            '<cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>'
            '<cellXfs count="%d">%s</cellXfs></styleSheet>'
            % (NS, nfs, len(xfs), "".join('<xf numFmtId="%d" xfId="0"/>' % x
                                          for x in xfs)))


def pack(name, parts, method=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(os.path.join(HERE, name), "w", method) as z:
        for pname, data in parts:
            z.writestr(pname, data.encode("utf-8") if isinstance(data, str) else data)


def standard(sheets_xml, names, sst_xml=None, styles_xml=None, date1904=False,
             order=None):
    """Parts of a normal workbook; order: which sheetN each tab points to."""
    n = len(sheets_xml)
    order = order or list(range(1, n + 1))
    rels = [("rId%d" % i, "worksheet", "worksheets/sheet%d.xml" % i)
            for i in range(1, n + 1)]
    if styles_xml is not None:
        rels.append(("rIdS", "styles", "styles.xml"))
    if sst_xml is not None:
        rels.append(("rIdT", "sharedStrings", "sharedStrings.xml"))
    parts = [("[Content_Types].xml", content_types(n)),
             ("_rels/.rels", root_rels()),
             ("xl/workbook.xml", workbook([(nm, "rId%d" % o)
                                           for nm, o in zip(names, order)],
                                          date1904)),
             ("xl/_rels/workbook.xml.rels", wb_rels(rels))]
    for i, x in enumerate(sheets_xml, 1):
        parts.append(("xl/worksheets/sheet%d.xml" % i, x))
    if styles_xml is not None:
        parts.append(("xl/styles.xml", styles_xml))
    if sst_xml is not None:
        parts.append(("xl/sharedStrings.xml", sst_xml))
    return parts


def basic():
    strings = [
        "<t>sku</t>",                                             # 0
        "<t>qty</t>",                                             # 1
        '<r><rPr><b/></rPr><t>ri</t></r><r><t xml:space="preserve">ch </t></r>'
        '<r><t>text</t></r>',                                     # 2 rich
        "<t>\u6771\u4eac</t><rPh sb=\"0\" eb=\"2\"><t>\u30c8\u30a6\u30ad\u30e7\u30a6"
        "</t></rPh>",                                             # 3 phonetic
        "<t>a &amp; b &lt;c&gt; &#225;&#x1F600;</t>",             # 4 entities
        "<t>line1_x000D__x000A_line2 _x005F_x0041_</t>",          # 5 escapes
        "<t></t>",                                                # 6 empty
        "<t xml:space=\"preserve\">  0012 </t>",                  # 7 spaces
    ]
    xfs = [0, 14, 22, 164, 165, 166, 167, 168, 2, 169, 170, 20]
    numfmts = [(164, "yyyy-mm-dd h:mm:ss"), (165, "0.0 &quot;days&quot;"),
               (166, "[Red]#,##0.00"), (167, "[h]:mm"),
               (168, "#,##0 \\d"), (169, "[$-409]mmmm d, yyyy;@"),
               (170, "General")]
    s1 = sheet([
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        '<c r="C1" t="inlineStr"><is><t>price</t></is></c></row>',
        # gaps, trailing styled empties
        '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="C2"><v>9.99</v></c>'
        '<c r="E2" s="1"/><c r="F2" t="s"><v>6</v></c></row>',
        '<row r="3"/>',
        '<row r="4"><c r="A4" s="3"/><c r="B4" t="str"><v></v></c></row>',
        '<row r="5"><c r="A5" t="s"><v>3</v></c><c r="B5" t="s"><v>4</v></c>'
        '<c r="C5" t="s"><v>5</v></c><c r="D5" t="s"><v>7</v></c></row>',
        # numbers
        '<row r="6"><c r="A6"><v>12</v></c><c r="B6" t="n"><v>12.0</v></c>'
        '<c r="C6"><v>-0.5</v></c><c r="D6"><v>0.30000000000000004</v></c>'
        '<c r="E6"><v>1E-7</v></c><c r="F6"><v>1.5E+20</v></c>'
        '<c r="G6"><v>123456789012</v></c><c r="H6"><v> 7 </v></c></row>',
        # booleans, errors, formulas
        '<row r="7"><c r="A7" t="b"><v>1</v></c><c r="B7" t="b"><v>0</v></c>'
        '<c r="C7" t="e"><v>#N/A</v></c><c r="D7" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
        '<c r="E7" t="str"><f>A1&amp;"x"</f><v>skux</v></c>'
        '<c r="F7"><f>1+1</f><v>2</v></c></row>',
        # dates under several formats
        '<row r="8"><c r="A8" s="1"><v>45672</v></c><c r="B8" s="2"><v>45672.75</v></c>'
        '<c r="C8" s="3"><v>45672</v></c><c r="D8" s="4"><v>45672</v></c>'
        '<c r="E8" s="5"><v>45672</v></c><c r="F8" s="6"><v>1.5</v></c>'
        '<c r="G8" s="7"><v>45672</v></c><c r="H8" s="8"><v>45672</v></c>'
        '<c r="I8" s="9"><v>45672</v></c><c r="J8" s="10"><v>45672</v></c>'
        '<c r="K8" s="11"><v>0.5</v></c></row>',
        # the 1900 leap-year bug and edges
        '<row r="9"><c r="A9" s="1"><v>1</v></c><c r="B9" s="1"><v>59</v></c>'
        '<c r="C9" s="1"><v>60</v></c><c r="D9" s="1"><v>61</v></c>'
        '<c r="E9" s="1"><v>0</v></c><c r="F9" s="2"><v>45672.00000001157</v></c>'
        '<c r="G9" s="1"><v>-1</v></c><c r="H9" s="1"><v>2958465</v></c>'
        '<c r="I9" s="1"><v>2958466</v></c><c r="J9" s="99"><v>45672</v></c>'
        '<c r="K9" s="1"><v>abc</v></c></row>',
        # t="d" ISO cells and out-of-order / duplicate references
        '<row r="10"><c r="A10" t="d"><v>2025-01-15T00:00:00Z</v></c>'
        '<c r="B10" t="d"><v>2025-01-15T10:30:00</v></c>'
        '<c r="D10"><v>4</v></c><c r="C10"><v>3</v></c><c r="D10"><v>5</v></c></row>',
        # only empty strings: no record
        '<row r="11"><c r="A11" t="s"><v>6</v></c><c r="B11" t="inlineStr"><is><t></t></is></c></row>',
        # inline rich text with phonetic runs, far column
        '<row r="12"><c r="B12" t="inlineStr"><is><r><t>in</t></r><r><t>line</t></r>'
        '<rPh><t>x</t></rPh></is></c><c r="AA12"><v>27</v></c></row>',
    ])
    s2 = sheet([
        '<row r="1"><c r="A1" t="inlineStr"><is><t>otra</t></is></c></row>',
        '<row r="2"><c r="A2"><v>2</v></c></row>',
    ])
    s3 = sheet([])
    # workbook order is not file order: tab 1 "Datos" is sheet2.xml,
    # tab 2 "Otra hoja" is sheet1.xml, tab 3 "Vacía" (no rows) is sheet3.xml
    return standard([s2, s1, s3], ["Datos", "Otra hoja", "Vac\u00eda"],
                    sst_xml=sst(strings), styles_xml=styles(numfmts, xfs),
                    order=[2, 1, 3])


def main():
    pack("basic.xlsx", basic())

    # the 1904 date system
    s = sheet(['<row r="1"><c r="A1" s="1"><v>0</v></c><c r="B1" s="1"><v>1</v></c>'
               '<c r="C1" s="1"><v>43000.5</v></c><c r="D1"><v>43000.5</v></c>'
               '<c r="E1" s="1"><v>0.25</v></c></row>'])
    pack("date1904.xlsx", standard([s], ["S"], styles_xml=styles([], [0, 14]),
                                   date1904=True))

    # no r attributes, prefixed elements, odd part names, absolute targets,
    # no styles and no shared strings
    s = sheet(['<x:row><x:c><x:v>1</x:v></x:c><x:c t="inlineStr"><x:is><x:t>b</x:t>'
               '</x:is></x:c><x:c/><x:c><x:v>4</x:v></x:c></x:row>',
               '<x:row><x:c t="b"><x:v>1</x:v></x:c></x:row>',
               '<x:row r="7"><x:c><x:v>7</x:v></x:c></x:row>',
               '<x:row><x:c r="C8"><x:v>8</x:v></x:c><x:c><x:v>9</x:v></x:c></x:row>'],
              prefix="x")
    pack("norefs.xlsx", [
        ("[Content_Types].xml", content_types(0)),
        ("_rels/.rels", root_rels("/book/Main.xml")),
        ("book/Main.xml", workbook([("Hoja", "r7")])),
        ("book/_rels/Main.xml.rels",
         wb_rels([("r7", "worksheet", "/book/sheets/../sheets/data.xml")])),
        ("book/sheets/data.xml", s),
    ])

    # streaming: many rows
    rows = ['<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d" t="inlineStr"><is>'
            '<t>row %d</t></is></c><c r="C%d"><v>%d.25</v></c></row>'
            % (i, i, i, i, i, i, i) for i in range(1, 30001)]
    pack("big.xlsx", standard([sheet(rows)], ["Big"]))

    # hostile and broken files
    def one(name, sheet_xml, **kw):
        pack(name, standard([sheet_xml], ["S"], **kw))

    lol = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
           '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
           '<worksheet xmlns="%s"><sheetData><row r="1"><c r="A1" t="inlineStr">'
           '<is><t>&lol3;</t></is></c></row></sheetData></worksheet>' % NS)
    one("billion_laughs.xlsx", lol)
    xxe = ('<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           '<worksheet xmlns="%s"><sheetData><row r="1"><c r="A1" t="inlineStr">'
           '<is><t>&x;</t></is></c></row></sheetData></worksheet>' % NS)
    one("xxe.xlsx", xxe)
    deep = ('<worksheet xmlns="%s"><sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
            % NS + "<a>" * 300 + "</a>" * 300 + "</sheetData></worksheet>")
    one("deep.xlsx", deep)
    one("badxml.xlsx", DECL + '<worksheet xmlns="%s">\n<sheetData>\n<row r="1">'
        '<c r="A1"><v>1</v></c></row>\n<row r="2"><c r="A2"><v>2</v></row>'
        '</sheetData></worksheet>' % NS)
    one("badsst.xlsx", sheet(['<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
                              '<row r="2"><c r="A2" t="s"><v>5</v></c></row>']),
        sst_xml=sst(["<t>only</t>"]))
    one("badref.xlsx", sheet(['<row r="1"><c r="1A"><v>1</v></c></row>']))
    one("farcol.xlsx", sheet(['<row r="1"><c r="XFD1"><v>1</v></c></row>',
                              '<row r="2"><c r="XFE2"><v>1</v></c></row>']))
    one("badrow.xlsx", sheet(['<row r="1"><c r="A1"><v>1</v></c></row>',
                              '<row r="0"><c r="A2"><v>1</v></c></row>']))
    # a row opened inside a cell (well-formed, meaningless): no crash, no rows
    one("nested.xlsx", sheet(['<row r="1"><c r="A1"><v>5</v></c><c r="B1"><v>12'
                              '<row r="2"></row></v></c></row>',
                              '<row r="3"><c r="A3"><v>3</v></c></row>']))
    one("badtype.xlsx", sheet(['<row r="1"><c r="A1" t="zz"><v>1</v></c></row>']))
    one("undefined_entity.xlsx", sheet(['<row r="1"><c r="A1" t="inlineStr"><is><t>'
                                        '&nbsp;</t></is></c></row>']))
    # a part missing, or no workbook at all
    parts = standard([sheet([])], ["S"])
    pack("missing_sheet.xlsx", [p for p in parts if p[0] != "xl/worksheets/sheet1.xml"])
    pack("no_workbook.xlsx", [("[Content_Types].xml", content_types(0)),
                              ("hello.txt", "not a workbook")])
    pack("no_sheets.xlsx", [("_rels/.rels", root_rels()),
                            ("xl/workbook.xml", workbook([]))])
    with open(os.path.join(HERE, "ole2.xlsx"), "wb") as f:
        f.write(bytes([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) + bytes(504))
    with open(os.path.join(HERE, "notzip.xlsx"), "wb") as f:
        f.write(b"sku,qty\nA1,5\n")
    # a sheet part lying about its size (declares 500 bytes, holds more)
    big_sheet = sheet(['<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i)
                       for i in range(1, 200)]).encode()
    members = [zipfx.Member(n, d.encode()) for n, d in standard([sheet([])], ["S"])
               if not n.startswith("xl/worksheets")]
    members.append(zipfx.Member("xl/worksheets/sheet1.xml", big_sheet, usize=500))
    with open(os.path.join(HERE, "lying_sheet.xlsx"), "wb") as f:
        f.write(zipfx.zip_build(members))
    # a worksheet whose deflate data is damaged (CRC check fails)
    members = [zipfx.Member(n, d.encode()) for n, d in standard([sheet([])], ["S"])
               if not n.startswith("xl/worksheets")]
    members.append(zipfx.Member("xl/worksheets/sheet1.xml", big_sheet, crc=1))
    with open(os.path.join(HERE, "badcrc_sheet.xlsx"), "wb") as f:
        f.write(zipfx.zip_build(members))

    # written by openpyxl
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Ventas"
    ws.append(["id", "fecha", "monto", "activo", "nota"])
    ws.append([1, datetime.date(2024, 2, 29), 10.5, True, "caf\u00e9"])
    ws.append([2, datetime.datetime(2024, 3, 1, 13, 45, 30), -3, False, None])
    ws.append([3, None, 1e-7, None, "0012"])
    ws2 = wb.create_sheet("Resumen")
    ws2["B2"] = "total"
    ws2["C2"] = 7.25
    wb.save(os.path.join(HERE, "openpyxl.xlsx"))
    wb = openpyxl.Workbook()
    wb.epoch = openpyxl.utils.datetime.MAC_EPOCH
    wb.active.append([datetime.date(2000, 1, 1), 5])
    wb.save(os.path.join(HERE, "openpyxl_1904.xlsx"))


if __name__ == "__main__":
    main()
