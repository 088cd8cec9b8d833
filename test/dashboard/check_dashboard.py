#!/usr/bin/python3
# test/dashboard/check_dashboard.py
#	Checks a page of sage_dashboard_html() against the views it was made
#	from, and its screenshot by headless Chromium:
#
#	  check_dashboard.py PAGE.html EXPECTED.json SCREENSHOT.png
#
#	EXPECTED.json holds what SQL says (sage.stats, sage.cost_daily, the
#	percentiles per place, finished executions per place, the ids of the
#	slowest and failing executions). The PNG is decoded with zlib (no
#	imaging library) and must show enough non-background pixels, among
#	them the colours of the charts. Prints one line per check and
#	"N passed, M failed"; exits 1 when any check failed.
import json
import struct
import sys
import zlib
from html.parser import HTMLParser


class Page(HTMLParser):
    """Every start tag with its attributes, in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def find(self, tag=None, **attrs):
        """Tags matching tag and attribute values (class_ for class)."""
        out = []
        for t, a in self.tags:
            if tag is not None and t != tag:
                continue
            ok = True
            for k, v in attrs.items():
                k = k.rstrip('_').replace('_', '-')
                if a.get(k) != v:
                    ok = False
                    break
            if ok:
                out.append(a)
        return out


def num(v):
    """A number from SQL's text or JSON (None for NULL or empty)."""
    if v is None or v == '':
        return None
    return float(v)


def png_pixels(path):
    """(width, height, rows of RGB(A) tuples) of a non-interlaced 8-bit PNG."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('not a PNG')
    pos = 8
    idat = b''
    width = height = None
    while pos < len(data):
        length, ctype = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if ctype == b'IHDR':
            width, height, depth, colour, _, _, interlace = struct.unpack('>IIBBBBB', body)
            if depth != 8 or colour not in (2, 6) or interlace != 0:
                raise ValueError('unsupported PNG (depth %d, colour %d, interlace %d)'
                                 % (depth, colour, interlace))
            bpp = 3 if colour == 2 else 4
        elif ctype == b'IDAT':
            idat += body
        elif ctype == b'IEND':
            break
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows = []
    prev = bytearray(stride)
    i = 0
    for _ in range(height):
        ftype = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ftype == 1:
                line[x] = (line[x] + a) & 0xff
            elif ftype == 2:
                line[x] = (line[x] + b) & 0xff
            elif ftype == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 0xff
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 0xff
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def main():
    page_path, expected_path, png_path = sys.argv[1:4]
    html = open(page_path, encoding='utf-8').read()
    exp = json.load(open(expected_path, encoding='utf-8'))
    page = Page()
    page.feed(html)
    results = []

    def check(name, cond, detail=''):
        results.append(bool(cond))
        print('%s: %s%s' % ('ok' if cond else 'FAILED', name,
                            '' if cond or not detail else ' (%s)' % detail))

    # self-contained: loads nothing
    check('the page is a complete HTML document',
          html.startswith('<!DOCTYPE html>') and html.rstrip().endswith('</html>'))
    loaders = [a for t, a in page.tags if 'src' in a or 'href' in a or t in ('script', 'link', 'iframe', 'img')]
    check('the page loads no external resource', not loaders and 'url(' not in html, loaders[:3])
    check('the charts are inline SVG', len(page.find('svg')) >= 3, len(page.find('svg')))

    # totals against sage.stats
    stats = exp['stats']
    for key in ('total', 'pending', 'running', 'succeeded', 'failed', 'dead',
                'cancelled', 'local', 'lambda', 'success_rate', 'consecutive_failures'):
        cards = page.find('div', id='stat-' + key)
        got = num(cards[0].get('data-value')) if cards else 'missing'
        check('stat %s matches sage.stats' % key, got == num(stats.get(key)),
              'page %s, view %s' % (got, stats.get(key)))

    # throughput: the buckets add up to the finished executions per place
    buckets = page.find('g', class_='bucket')
    for where in ('local', 'lambda'):
        got = sum(int(b['data-' + where]) for b in buckets)
        want = exp['finished_by_where'].get(where, 0)
        check('throughput buckets add up to the %s executions' % where, got == want,
              'page %s, SQL %s' % (got, want))

    # places and percentiles
    places = {a['data-where']: a for a in page.find('tr', class_='place')}
    for row in exp['places']:
        a = places.get(row['where'])
        if a is None:
            check('place %s is shown' % row['where'], False)
            continue
        for key in ('finished', 'succeeded', 'success_rate', 'p50_ms', 'p95_ms', 'p99_ms'):
            got = num(a.get('data-' + key.replace('_', '-')))
            check('%s %s matches SQL' % (row['where'], key), got == num(row[key]),
                  'page %s, SQL %s' % (got, row[key]))
    check('no place beyond SQL\'s', len(places) == len(exp['places']), sorted(places))
    bars = page.find('rect', class_='pct')
    check('three percentile bars per place', len(bars) == 3 * len(exp['places']), len(bars))

    # cost per day against sage.cost_daily
    rows = page.find('tr', class_='cost')
    got = [(a['data-day'], a['data-where'], num(a['data-executions']),
            num(a['data-gb-seconds']), num(a['data-estimated-cost'])) for a in rows]
    want = [(c['day'], c['where'], num(c['executions']), num(c['gb_seconds']),
             num(c['estimated_cost'])) for c in (exp['cost'] or [])]
    check('cost rows match sage.cost_daily', got == want, 'page %s, view %s' % (got, want))
    days = page.find('rect', class_='day')
    check('one cost bar per day', len(days) == len({c[0] for c in want}), len(days))

    # tables
    tables = {}
    current = None
    for t, a in page.tags:
        if t == 'table' and a.get('id') in ('slowest-table', 'failing-table'):
            current = a['id']
            tables[current] = []
        elif t == 'table':
            current = None
        elif t == 'tr' and current and a.get('class') == 'execution':
            tables[current].append(a['data-id'])
    check('the slowest executions match SQL', tables.get('slowest-table') == exp['slowest'],
          'page %s, SQL %s' % (tables.get('slowest-table'), exp['slowest']))
    check('the failing table is not empty', len(tables.get('failing-table') or []) >= 1)
    check('error texts are escaped', '<script>alert' not in html and '&lt;script&gt;alert' in html)
    check('the failing executions match SQL', tables.get('failing-table') == (exp['failing'] or []),
          'page %s, SQL %s' % (tables.get('failing-table'), exp['failing']))

    # the screenshot: not empty, with the charts' colours
    try:
        width, height, bpp, pixels = png_pixels(png_path)
        counts = {}
        for line in pixels:
            for x in range(0, len(line), bpp):
                px = line[x:x + 3]
                counts[px] = counts.get(px, 0) + 1
        background = max(counts, key=counts.get)
        ink = width * height - counts[background]

        def near(colour):
            r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
            return sum(n for px, n in counts.items()
                       if abs(px[0] - r) + abs(px[1] - g) + abs(px[2] - b) <= 24)

        check('the screenshot is %dx%d with a white background' % (width, height),
              width >= 800 and height >= 600 and background == b'\xff\xff\xff', background)
        check('the screenshot is not empty (%d of %d pixels drawn)' % (ink, width * height),
              ink > width * height // 50)
        check('the screenshot shows the local bars (%d pixels)' % near('#3b7dd8'),
              near('#3b7dd8') > 200)
        check('the screenshot shows the success line or cards (%d pixels)' % near('#2f9e44'),
              near('#2f9e44') > 20)
    except (OSError, ValueError, zlib.error) as e:
        check('the screenshot can be decoded', False, e)

    passed = sum(results)
    failed = len(results) - passed
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
