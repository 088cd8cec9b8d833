#!/usr/bin/python3
# test/pandas/crosscheck.py
#	Cross-checks the rule engine against pandas: generates typed data with
#	missing values, evaluates many rules (every form of PROCESSOR.md
#	section 5) with pandas and with rule_eval_tool, and compares the
#	results row by row.
#
#	Columns are typed as the specification says: entero -> float64 with
#	NaN when the column has missing values (int64 otherwise), decimal ->
#	float64, fecha -> datetime64[ns], texto -> object str with None,
#	booleano -> the nullable "boolean" dtype (bool when nothing is
#	missing). Where our semantics deliberately differ from pandas (and/or
#	taken elementwise, conversions that fail giving missing values), the
#	pandas side is written with the pandas equivalent of our meaning.
#
#	Usage: crosscheck.py TOOL [-v]. Prints "N passed, M failed" last and
#	exits 1 on any failure.

import csv
import math
import os
import random
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

ROWS = 80
random.seed(20250101)

# ----------------------------------------------------------------- data


def maybe(v, p=0.15):
    return None if random.random() < p else v


def gen_catalog():
    strings = ['ok1', 'okay', ' Ab1 ', 'ÑANDÚ', 'x-y', '', '12', 'nope', 'straße',
               'okokok', 'A-12', 'abc', 'Zz', 'ok', 'añO 2', 'ΣΟΦΙΑ', 'Москва']
    numtext = ['12', '3.5', 'abc', '1e3', '-2', '', '0', '7.25', '-0.5', 'nan?']
    rows = []
    for i in range(ROWS):
        y0 = random.choice([2023, 2024, 2025])
        d = pd.Timestamp(year=y0, month=random.randint(1, 12), day=random.randint(1, 28),
                         hour=random.choice([0, 0, 0, 10, 23]), minute=random.choice([0, 30]))
        d2 = d + pd.Timedelta(days=random.randint(-40, 40))
        rows.append({
            'id': 'id%03d' % random.randint(0, 60),
            's': maybe(random.choice(strings)),
            'e': random.choice(strings) + random.choice(['', '@x.com', '@y.org', '@bad']),
            't': maybe(random.choice(numtext)),
            'ds': maybe(random.choice(['03/03/2025', '29/02/2024', '31/02/2024', 'x',
                                       '01/12/2023'])),
            'n': maybe(random.randint(-5, 60)),
            'm': random.randint(-20, 100),
            'x': maybe(round(random.uniform(-10, 150), random.choice([0, 1, 2, 3]))),
            'y': round(random.uniform(-50, 50), random.choice([0, 1, 2])),
            'd': maybe(d),
            'd2': d2,
            'b': maybe(random.random() < 0.5),
            'c': random.random() < 0.5,
        })
    return rows


COLUMNS = [('id', 'str'), ('s', 'str'), ('e', 'str'), ('t', 'str'), ('ds', 'str'),
           ('n', 'int'), ('m', 'int'), ('x', 'float'), ('y', 'float'), ('d', 'date'),
           ('d2', 'date'), ('b', 'bool'), ('c', 'bool')]


def cell_text(v, typ):
    if v is None:
        return '<NA>'
    if typ == 'date':
        if v.hour == 0 and v.minute == 0 and v.second == 0:
            return v.strftime('%Y-%m-%d')
        return v.strftime('%Y-%m-%d %H:%M:%S')
    if typ == 'bool':
        return 'true' if v else 'false'
    if typ == 'float':
        return repr(float(v))
    return str(v)


def write_csv(path, rows, columns):
    with open(path, 'w', newline='', encoding='utf-8') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(['%s:%s' % (n, t) for n, t in columns])
        for r in rows:
            w.writerow([cell_text(r[n], t) for n, t in columns])


def frame(rows, columns):
    data = {}
    for n, t in columns:
        vals = [r[n] for r in rows]
        has_na = any(v is None for v in vals)
        if t == 'str':
            data[n] = pd.Series(vals, dtype=object)
        elif t == 'int':
            data[n] = pd.Series([np.nan if v is None else float(v) for v in vals],
                                dtype='float64') if has_na else pd.Series(vals, dtype='int64')
        elif t == 'float':
            data[n] = pd.Series([np.nan if v is None else v for v in vals], dtype='float64')
        elif t == 'date':
            data[n] = pd.Series(pd.to_datetime([pd.NaT if v is None else v for v in vals]))
        else:
            data[n] = pd.Series(vals, dtype='boolean') if has_na else pd.Series(vals, dtype=bool)
    return pd.DataFrame(data)


# ---------------------------------------------------------------- rules
# (rule, pandas expression or None when identical, note)
# Kinds of expected outcome: a pandas expression is evaluated; "X" means the
# rule must be refused at compile time; "E" a run-time error.

RULES = [
    # column access and literals
    "df['s'] == 'ok1'", 'df["s"] == \'okay\'', "df.s != 'ok'", "df.m > 10",
    "df['m'] == 0x10", "df['y'] > 1e1", "df['y'] <= -.5", "df['s'] == r'x-y'",
    "df['s'] == 'ok' 'ay'", "df['s'] == '\\u00d1AND\\u00da'", "df['s'] == None",
    "df['s'] != None", "True", "False", "1 == 1",
    # comparisons with missing values
    "df['n'] == 5", "df['n'] != 5", "df['n'] < 10", "df['n'] <= 10", "df['n'] > 10",
    "df['n'] >= 10", "df['x'] > df['y']", "df['x'] != df['y']", "df['n'] == df['m']",
    "df['n'] >= df['x']", "df['s'] < 'm'", "df['s'] >= df['e']", "df['d'] > '2024-06-01'",
    "df['d'] == df['d2']", "df['d'] < df['d2']", "df['d'] >= pd.to_datetime('2025-01-01')",
    "df['n'] == 'a'", "df['s'] != 1", "df['x'] == np.nan", "df['x'] != np.nan",
    # arithmetic
    "df['m'] + df['n'] > 20", "df['m'] - 3 < df['y']", "df['m'] * 2 == df['m'] + df['m']",
    "df['m'] / 4 > 2.5", "df['m'] // 7 == 2", "df['m'] % 7 == 3", "df['m'] % -7 == -3",
    "df['m'] // -3 == -4", "df['y'] // 3 == -2", "df['y'] % 4 > 1.5", "df['m'] ** 2 > 400",
    "df['y'] ** 2 > 100", "-df['y'] > 3", "+df['m'] > 3", "df['x'] + df['y'] > 20",
    "(df['x'] * 2).isna()", "df['n'] * 1.5 > 30", "df['s'] + '!' == 'ok!'",
    "(df['m'] + df['x'] - df['y'] / 2) > 40",
    # booleans, Kleene logic
    "df['b'] & df['c']", "df['b'] | df['c']", "df['b'] ^ df['c']", "~df['b']", "~df['c']",
    "~(df['b'] & df['c'])", "~(df['b'] | (df['n'] > 5))", "(df['b'] & df['c']).isna()",
    "df['b'] == True", ("df['b'] != False", "(df['b'] != False).fillna(True)"), "df['c'] & True", "False | df['c']",
    "~df['b'] | (df['n'] > 0)", "(df['m'] > 5) & (df['y'] < 0)", "(df['m'] > 5) | (df['x'] < 0)",
    ("df['m'] > 5 and df['y'] < 0", "(df['m'] > 5) & (df['y'] < 0)"),
    ("df['n'] > 5 or df['x'] < 0", "(df['n'] > 5) | (df['x'] < 0)"),
    ("not df['c']", "~df['c']"),
    ("df['n'].astype(float) >= 1 and df['x'] < 1000", "(df['n'].astype(float) >= 1) & (df['x'] < 1000)"),
    ("df['b'] and df['c'] or df['m'] > 50", "(df['b'] & df['c']) | (df['m'] > 50)"),
    ("not (df['m'] > 5 and df['c'])", "~((df['m'] > 5) & df['c'])"),
    ("0 < df['m'] < 50", "(df['m'] > 0) & (df['m'] < 50)"),
    "True and False", "True or False", "not False",
    # astype
    "df['m'].astype(float) > 3.5", "df['y'].astype(int) == 3", "df['m'].astype(str) == '12'",
    "df['m'].astype(str).str.len() == 2", "df['y'].astype(str).str.contains('.5')",
    "df['y'].astype('str').str.endswith('.0')", "df['m'].astype('string') == '-3'",
    "df['c'].astype(str) == 'True'", "df['c'].astype(int) == 1", "df['y'].astype(bool)",
    "df['m'].astype(bool)", "df['m'].astype('float64') > 10", "df['y'].astype('int64') == -2",
    "df['d2'].astype('datetime64[ns]') > '2024-01-01'", "df['s'].astype(str) == 'ok'",
    ("df['t'].astype(float) > 3", "pd.to_numeric(df['t'], errors='coerce') > 3"),
    ("df['t'].astype(float).isna()", "pd.to_numeric(df['t'], errors='coerce').isna()"),
    "df['x'].astype(float).between(0, 100)",
    # isin / between
    "df['s'].isin(['ok1', 'okay', ''])", "df['m'].isin([1, 2, 3, 50])", "df['m'].isin((7, 8))",
    "df['n'].isin([5, 10, 15])", "df['x'].isin([1.0, 2.5, 100])", "df['n'].isin([np.nan])",
    "df['m'].isin(['1', 'a'])", "~df['s'].isin(['ok'])", "df['s'].isin(df['e'])",
    "df['n'].isin(df['m'])", "df['m'].isin(df['n'])", "df['m'].isin(df['y'])",
    "df['d'].isin(df['d2'])", "df['s'].isin({'ok', 'nope'})",
    "df['m'].between(0, 50)", "df['m'].between(0, 50, inclusive='neither')",
    "df['m'].between(0, 50, inclusive='left')", "df['m'].between(0, 50, inclusive='right')",
    "df['m'].between(0, 50, inclusive='both')", "df['n'].between(5, 10)",
    "df['x'].between(-1.5, 99.5)", "df['y'].between(df['x'], 20)", "df['s'].between('a', 'o')",
    "df['d'].between('2024-01-01', '2024-12-31')",
    # missing values
    "df['n'].notnull()", "df['n'].notna()", "df['s'].isnull()", "df['d'].isna()",
    "df['b'].isna()", "~df['x'].isnull()", "df['n'].fillna(0) > 3", "df['x'].fillna(-1) < 0",
    "df['s'].fillna('ok') == 'ok'", "df['n'].fillna(df['m']) > 10", "pd.isna(df['x'])",
    "pd.notna(df['s'])", "pd.isnull(df['d'])", "pd.notnull(df['n'])", "np.isnan(df['x'])",
    "np.isnan(df['n'])",
    # numbers
    "df['x'].abs() > 50", "np.abs(df['y']) < 10", "abs(df['y']) > 25", "df['y'].round() == 3",
    "df['y'].round(1) == df['y']", "round(df['y'], 1) > 10", "df['x'].round(2) > 99.99",
    # regex and strings
    "df['s'].str.match('ok')", "df['s'].str.match(r'\\s*[A-Z]')", "df['s'].str.fullmatch(r'\\w+')",
    "df['s'].str.fullmatch(r'ok\\d?')", "df['s'].str.contains('ok')", "df['s'].str.contains('OK', case=False)",
    "df['s'].str.contains('-', regex=False)", "df['s'].str.contains('.', regex=False)",
    "df['s'].str.contains('x', na=False)", "df['s'].str.contains('x', na=True)",
    "df['s'].str.contains(r'\\d')", "df['s'].str.contains(r'^$')", "df['e'].str.contains(r'@\\w+\\.(com|org)$')",
    "df['e'].str.match(r'^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}$')",
    "df['s'].str.match(r'(?i)OK')", "df['s'].str.match(r'(?P<a>o)k(?P=a)?')",
    "df['s'].str.fullmatch(r'[^\\W\\d_]+')", "df['s'].str.match(r'ok$')",
    "df['s'].str.startswith('ok')", "df['s'].str.startswith(('ok', 'Ñ'))",
    "df['s'].str.endswith('ay')", "df['s'].str.endswith('y', na=False)",
    "df['s'].str.len() > 4", "df['s'].str.len() == 0", "df['s'].str.strip() == 'Ab1'",
    "df['s'].str.strip().str.len() == 3", "df['s'].str.lstrip() == 'Ab1 '", "df['s'].str.rstrip() == ' Ab1'",
    "df['s'].str.strip(' 1') == 'Ab'", "df['s'].str.lower() == 'ñandú'", "df['s'].str.upper() == 'STRASSE'",
    "df['s'].str.upper() == 'OKAY'", "df['s'].str.lower() == 'σοφια'", "df['s'].str.upper() == 'МОСКВА'",
    "df['s'].str.replace('ok', 'X', regex=False) == 'X1'",
    "df['s'].str.replace('', '.', regex=False) == '.1.2.'",
    "df['s'].str.replace(r'(o)(k)', r'\\2\\1', regex=True) == 'ko1'",
    "df['s'].str.replace(r'\\d', '#', regex=True).str.contains('#')",
    "df['s'].str.isdigit()", "df['s'].str.isalpha()", "df['s'].str.isalnum()",
    "df['s'].str.isspace()",
    "df['t'].str.isdigit()",
    # dates
    "df['d'].dt.year == 2025", "df['d'].dt.month > 6", "df['d'].dt.day < 10",
    "df['d'].dt.dayofweek >= 5", "df['d2'].dt.weekday == 0", "df['d2'].dt.hour == 10",
    "df['d2'].dt.minute == 30", "df['d2'].dt.quarter == 2", "df['d2'].dt.dayofyear > 300",
    "pd.to_datetime(df['d2']) > pd.to_datetime(df['d'])",
    "pd.to_datetime(df['ds'], format='%d/%m/%Y', errors='coerce') < '2025-01-01'",
    "pd.to_datetime(df['ds'], format='%d/%m/%Y', errors='coerce').isna()",
    ("pd.to_numeric(df['t'], errors='coerce') > 1", None),
    "pd.to_numeric(df['t'], errors='coerce').isna()",
    # where / conditional
    "np.where(df['c'], df['m'], 0) > 10", "np.where(df['m'] > 50, df['y'], df['m']) > 0",
    "np.where(df['n'] > 5, 1, 0) == 1",
    # lambdas
    "df['e'].apply(lambda v: len(v) <= 5)", "df['m'].apply(lambda v: v > 1 and v < 10)",
    "df['m'].apply(lambda v: v * 2 if v > 20 else -v) > 10",
    "df['e'].apply(lambda v: v.startswith('ok') or v.endswith('.org'))",
    "df['e'].apply(lambda v: not v.startswith('ok'))",
    "df['e'].apply(lambda v: '@' in v)", "df['e'].apply(lambda v: v in ['ok1', 'Zz@x.com'])",
    "df['e'].apply(lambda v: v.upper().strip() == 'OK')",
    "df['e'].apply(lambda v: v.replace('@', ' at ').strip() != v if len(v) > 3 else False)",
    "df['m'].apply(lambda v: str(v) == '12')", "df['y'].apply(lambda v: int(v) == 3)",
    "df['m'].apply(lambda v: float(v) > 2.5)", "df['m'].apply(lambda v: abs(v) > 10)",
    "df['m'].apply(lambda v: min(v, 10) == 10)", "df['m'].apply(lambda v: max(v, 0, 5) == 5)",
    "df['y'].apply(lambda v: round(v) == 3)", "df['m'].map(lambda v: v % 2 == 0)",
    "df['e'].apply(len) > 6", "df['m'].apply(lambda v: v > df['m'].mean())",
    "df['d2'].apply(lambda v: v.year == 2024)", "df['d2'].apply(lambda v: v.month > 6)",
    "df.apply(lambda row: row['m'] * 2 > row['y'], axis=1)",
    "df.apply(lambda row: row['n'] * 2 > row['x'], axis=1)",
    "df.apply(lambda row: row['e'].startswith('ok') and row['c'], axis=1)",
    "df.apply(lambda row: row.m > 10, axis=1)",
    "df.apply(lambda r: len(r['e']) > 6 if r['c'] else r['m'] > 1, axis=1)",
    "df.apply(lambda r: r['d2'] > pd.to_datetime('2024-06-01'), axis=1)",
    # aggregates and whole-table forms
    "df['m'].sum() < 2000", "df['n'].sum() > 100", "df['y'].sum() > 0", "df['c'].sum() > 30",
    "df['m'].min() < -10", "df['x'].max() > 140",
    ("df['s'].max() == 'straße'", "df['s'].dropna().max() == 'straße'"),
    ("df['s'].max() == 'Москва'", "df['s'].dropna().max() == 'Москва'"),
    ("df['s'].min() == ''", "df['s'].dropna().min() == ''"),
    ("df['d'].max() > '2025-06-01'", "df['d'].max() > pd.Timestamp('2025-06-01')"), "df['y'].mean() > 0",
    "df['x'].mean() > 70", "df['n'].count() == 67", "df['s'].count() > 60",
    "df['s'].nunique() > 10", "df['m'].nunique() > 50", "df['c'].all()", "df['c'].any()",
    "df['b'].all()", "df['b'].any()", "(df['m'] > -30).all()", "(df['n'] > 100).any()",
    "df['id'].is_unique", "df['m'].is_unique", "df['d2'].is_unique", "len(df) >= 10",
    "len(df) == 80", "len(df.columns) == 13", "df.shape[0] == 80", "df.shape[1] == 13",
    "len(df['s']) == 80", "df['m'].size == 80", "df['s'].shape[0] == 80",
    "df['id'].duplicated()", "~df['id'].duplicated(keep='last')", "df['id'].duplicated(keep=False)",
    "df['s'].duplicated()", "df['n'].duplicated(keep=False)", "df['m'] > df['m'].mean()",
    "(df['n'] > 5).sum() > 20", "round(df['y'].mean(), 2) < 100", "str(len(df)) == '80'",
    "0 < len(df) < 100", "df['m'].max() == max(df['m'])", "df['s'].str.len().max() == 6",
    # not booleans -> rule_error
    "df['m'] + 1", "df['s']", "df['m'].sum()", "'text'", "None", "[1, 2]",
    "df['x'].max()", "np.where(df['c'], 1, 0)",
    # refused at compile time (never evaluated)
    ("__import__('os').system('touch /tmp/sage-unsafe-marker')", "X"),
    ("df.__class__.__bases__[0].__subclasses__()", "X"),
    ("open('/etc/passwd').read() == ''", "X"),
    ("df['m'].str.len() > 1", "X"), ("df['s'].dt.year == 1", "X"), ("df['zz'] > 1", "X"),
    ("df['m'] > 'a'", "X"), ("eval('1')", "X"), ("getattr(df, 'm')", "X"),
]

# A second catalog for the forms added later (date differences, string
# slices and indexes, split, duplicated over several columns), generated
# with its own random stream so the first catalog's data stays the same.
COLUMNS2 = [('p', 'str'), ('a', 'date'), ('b', 'date'), ('ds', 'str'), ('k', 'int'),
            ('g', 'str'), ('f', 'float'), ('c', 'bool')]


def gen_catalog2():
    rng = random.Random(20251128)

    def opt(v, p=0.12):
        return None if rng.random() < p else v

    texts = ['AB-12-x', 'ABC', '', 'A', ' a  b ', 'ÑANDÚ-ü', 'x--y', '-lead', 'trail-',
             'Москва city', '\u3000ws\u3000x\u3000', 'AB-12', 'ab.cd.ef', 'a b c d',
             '--', '日本-語', 'e\u0301-x', 'z']
    rows = []
    for i in range(90):
        a = pd.Timestamp(year=rng.choice([2023, 2024]), month=rng.randint(1, 12),
                         day=rng.randint(1, 28), hour=rng.choice([0, 0, 6, 23]),
                         minute=rng.choice([0, 15]), second=rng.choice([0, 0, 59]))
        b = a + pd.Timedelta(hours=rng.randint(-900, 900), minutes=rng.choice([0, 0, 30, -45]),
                             seconds=rng.choice([0, 1, -1]))
        rows.append({
            'p': opt(rng.choice(texts)),
            'a': opt(a),
            'b': opt(b, 0.08),
            'ds': opt(rng.choice(['2024-01-15', '2024-02-30', 'x', '2023-12-31 12:00:00',
                                  '2024-02-29', '2024-13-01'])),
            'k': opt(rng.randint(0, 6)),
            'g': opt(rng.choice(['g1', 'g2', 'g3', 'G1'])),
            'f': opt(rng.choice([0.0, -0.0, 1.5, 2.25, 1e300])),
            'c': rng.random() < 0.5,
        })
    # whole rows repeated, for df.duplicated() over every column
    return rows + [dict(rows[i]) for i in (3, 7, 7, 11)]


RULES2 = [
    # differences of dates
    "(pd.to_datetime(df['b']) - pd.to_datetime(df['a'])).dt.days <= 30",
    "(df['b'] - df['a']).dt.days.between(-3, -1)", "(df['b'] - df['a']).dt.days == 0",
    "(df['b'] - df['a']).dt.days.abs() > 10", "abs((df['b'] - df['a']).dt.days) < 3",
    "(df['b'] - df['a']).dt.seconds >= 3600", "(df['b'] - df['a']).dt.seconds % 60 == 59",
    "(df['b'] - df['a']).dt.total_seconds() > 86400.5",
    "(df['b'] - df['a']).dt.total_seconds() < -1", "(df['b'] - df['a']).dt.microseconds == 0",
    "(df['b'] - df['a']).dt.days.isna()", "(df['a'] - df['b']).dt.days >= 1",
    "(pd.to_datetime(df['ds'], errors='coerce') - df['a']).dt.days > 0",
    "(pd.to_datetime(df['ds'], errors='coerce') - df['a']).dt.days.notna()",
    "(df['a'] - pd.to_datetime('2024-01-01')).dt.days < 100",
    "(pd.to_datetime('2024-06-30') - df['b']).dt.days > 180",
    "(df['b'] - df['a']).dt.days * 24 > 100",
    ("df.apply(lambda r: (r['b'] - r['a']).days > 3, axis=1)",
     "((df['b'] - df['a']).dt.days > 3)"),
    ("df.apply(lambda r: (r['b'] - r['a']).total_seconds() < 0, axis=1)",
     "((df['b'] - df['a']).dt.total_seconds() < 0)"),
    "(df['b'] - df['a']).dt.days + 1", "(df['b'] - df['a']).dt.days.max() < 40",
    # duplicated over several columns (missing values equal each other)
    "df.duplicated(subset=['g'])", "df.duplicated(subset=['g', 'k'])",
    "df.duplicated(subset=['g', 'k'], keep='last')", "df.duplicated(subset=['g', 'f'], keep=False)",
    "~df.duplicated(subset=['k', 'c'])", "df.duplicated(['a'])", "df.duplicated(subset='f')",
    "df.duplicated()", "df.duplicated(subset=('g', 'c', 'k'))", "df.duplicated(keep=False)",
    "df.duplicated(['ds', 'g'], keep='last') | df['c']", "df.duplicated(subset=['f', 'k']).sum() > 3",
    # string indexes and slices, in code points
    "df['p'].str[0:3] == 'AB-'", "df['p'].str[:2] == 'AB'", "df['p'].str[-2:] == '12'",
    "df['p'].str[0] == 'A'", "df['p'].str[-1] == 'x'", "df['p'].str[10].isna()",
    "df['p'].str[-1].isna()", "df['p'].str[100:] == ''", "df['p'].str[-100:2] == 'AB'",
    "df['p'].str[::2] == 'A-2x'", "df['p'].str[::-1] == 'x-21-BA'", "df['p'].str[5:1:-1] == '-21-'",
    "df['p'].str[-1:-100:-2] == 'x2-A'", "df['p'].str[1:4].str.len() == 3",
    "df['p'].str.slice(1, 3) == 'B-'", "df['p'].str.slice(step=3) == 'A1'",
    "df['p'].str.slice(-3) == 'Ú-ü'", "df['p'].str.get(0) == 'Ñ'", "df['p'].str.get(-1).isna()",
    "df['p'].str[0:1].isna()", "df['p'].str[1:3] == 'AN'", "df['p'].str[0] == '日'",
    "df['p'].str[1] == '\u0301'", "df['p'].str[2:4].str.upper() == 'C'",
    "df['p'].str.strip().str[0] == 'a'", "df['p'].str[0:3].isin(['AB-', 'ABC', 'x--'])",
    ("df['p'].apply(lambda v: v[0:2] == 'AB')",
     "df['p'].apply(lambda v: v[0:2] == 'AB' if v is not None else False)"),
    ("df['p'].apply(lambda v: v[-1] == 'x')",
     "df['p'].apply(lambda v: v[-1] == 'x' if v else False)"),
    "df['p'].str[0:2] + df['g'] == 'ABg1'",
    # split and rsplit
    "df['p'].str.split('-').str[0] == 'AB'", "df['p'].str.split('-').str[1] == '12'",
    "df['p'].str.split('-').str[-1] == 'x'", "df['p'].str.split('-').str[2].isna()",
    "df['p'].str.split('-').str.len() == 3", "df['p'].str.split('-').str.len() == 1",
    "df['p'].str.split('-').str.len().isna()", "df['p'].str.split('-').str[-3].isna()",
    "df['p'].str.split('-', n=1).str[1] == '12-x'", "df['p'].str.split('-', n=1).str.len() == 2",
    "df['p'].str.split('-', 0).str.len() == 3", "df['p'].str.split('-', n=-1).str[2] == 'x'",
    "df['p'].str.split().str[0] == 'a'", "df['p'].str.split().str.len() == 2",
    "df['p'].str.split().str.len() == 0", "df['p'].str.split().str[-1] == 'city'",
    "df['p'].str.split().str[0].isna()", "df['p'].str.split(n=1).str[1] == 'b '",
    "df['p'].str.split(n=1).str[1] == 'b c d'", "df['p'].str.split(None, 2).str.len() == 3",
    "df['p'].str.rsplit('-', n=1).str[0] == 'AB-12'", "df['p'].str.rsplit('-', n=1).str.len() == 2",
    "df['p'].str.rsplit('-').str[-1] == 'x'", "df['p'].str.rsplit(n=1).str[0] == ' a'",
    "df['p'].str.rsplit(n=1).str[0] == 'a b c'", "df['p'].str.rsplit('-', 1).str[-1] == ''",
    "df['p'].str.split('--').str.len() == 2", "df['p'].str.split('--').str[1] == 'y'",
    "df['p'].str.split('.', regex=False).str.len() == 3", "df['p'].str.split('.').str[1] == 'cd'",
    "df['p'].str.split('-').str.get(1) == '12'", "df['p'].str.split('-').str[0].str.len() == 0",
    "df['p'].str.split('ü').str[0] == 'ÑANDÚ-'", "df['p'].str.split('語').str.len() == 2",
    "df['p'].str.split('-').str[0].isin(['AB', 'x', ''])",
    "df['p'].str.split('-').str[0].str[0:1] == 'A'",
    ("df['p'].apply(lambda v: v.split('-')[0] == 'AB')",
     "df['p'].apply(lambda v: v.split('-')[0] == 'AB' if v is not None else False)"),
    ("df['p'].apply(lambda v: len(v.split()) == 2)",
     "df['p'].apply(lambda v: len(v.split()) == 2 if v is not None else False)"),
    ("df['p'].apply(lambda v: v.rsplit('-', 1)[-1] == 'x')",
     "df['p'].apply(lambda v: v.rsplit('-', 1)[-1] == 'x' if v is not None else False)"),
    ("df['p'].apply(lambda v: len(v.split(None, 0)) == 1)",
     "df['p'].apply(lambda v: len(v.split(None, 0)) == 1 if v is not None else False)"),
    ("df['p'].apply(lambda v: v.split(' ', 0)[0] == ' a  b ')",
     "df['p'].apply(lambda v: v.split(' ', 0)[0] == ' a  b ' if v is not None else False)"),
    # refused at compile time
    ("df['p'].str.split('.-').str[0] == 'a'", "X"), ("df['p'].str.split('-')", "X"),
    ("df['p'].str[1:2:0] == 'a'", "X"), ("(df['b'] - df['a']) > 3", "X"),
    ("df.duplicated(subset=['nope'])", "X"), ("df['k'].str[0] == '1'", "X"),
]

# Package rules: (rule, {catalog: pandas expression of its part}) or a scalar.
PACKAGE_RULES = [
    ("df['ventas']['c'].isin(df['clientes']['c']) and df['pedidos']['c'].isin(df['clientes']['c']) "
     "and df['ventas']['p'].isin(df['productos']['p']) and df['pedidos']['p'].isin(df['productos']['p'])",
     {'ventas': "df['ventas']['c'].isin(df['clientes']['c']) & df['ventas']['p'].isin(df['productos']['p'])",
      'pedidos': "df['pedidos']['c'].isin(df['clientes']['c']) & df['pedidos']['p'].isin(df['productos']['p'])"}),
    ("df['ventas']['c'].isin(df['clientes']['c']) & (df['clientes']['v'] > 2)",
     {'ventas': "df['ventas']['c'].isin(df['clientes']['c'])",
      'clientes': "df['clientes']['v'] > 2"}),
    ("df['ventas']['q'] > 0", {'ventas': "df['ventas']['q'] > 0"}),
    ("df['clientes']['v'].sum() > 10", "df['clientes']['v'].sum() > 10"),
    ("len(df['pedidos']) == 30 and df['ventas']['q'] > 1",
     {'ventas': "(df['ventas']['q'] > 1) & (len(df['pedidos']) == 30)"}),
]


def gen_package():
    clientes = [{'c': 'C%02d' % i, 'v': maybe(random.randint(0, 9))} for i in range(20)]
    productos = [{'p': 'P%02d' % i} for i in range(15)]
    ventas = [{'c': random.choice(['C%02d' % i for i in range(25)]),
               'p': maybe(random.choice(['P%02d' % i for i in range(18)])),
               'q': maybe(random.randint(-2, 9))} for _ in range(40)]
    pedidos = [{'c': random.choice(['C%02d' % i for i in range(22)]),
                'p': random.choice(['P%02d' % i for i in range(16)])} for _ in range(30)]
    return {
        'clientes': (clientes, [('c', 'str'), ('v', 'int')]),
        'productos': (productos, [('p', 'str')]),
        'ventas': (ventas, [('c', 'str'), ('p', 'str'), ('q', 'int')]),
        'pedidos': (pedidos, [('c', 'str'), ('p', 'str')]),
    }


# ------------------------------------------------------------ evaluation

def pandas_result(expr, env):
    """Our representation of pandas' result: ('C', bits) / ('S', 0|1) / ('I',) / ('E', msg)."""
    try:
        v = eval(expr, env)
    except Exception as e:  # pandas refuses: compared as an error
        return ('E', '%s: %s' % (type(e).__name__, e))
    if isinstance(v, (pd.Series, np.ndarray)):
        arr = pd.Series(v)
        if arr.dtype == bool or str(arr.dtype) == 'boolean' or (
                arr.dtype == object and all(isinstance(x, (bool, np.bool_)) or x is None
                                            or x is pd.NA for x in arr)):
            return ('C', ''.join('1' if (x is True or x is np.True_ or
                                         (isinstance(x, (bool, np.bool_)) and bool(x)))
                                 else '0' for x in arr.tolist()))
        return ('I',)
    if isinstance(v, (bool, np.bool_)):
        return ('S', 1 if v else 0)
    return ('I',)


def parse_tool(line):
    parts = line.split()
    if not parts:
        return ('?', line)
    kind = parts[0]
    if kind == 'C':
        bits = {}
        for p in parts[1:]:
            if ':' in p:
                t, b = p.split(':', 1)
                bits[int(t)] = b
        return ('C', bits)
    if kind == 'S':
        return ('S', int(parts[1]))
    if kind == 'I':
        return ('I',)
    return (kind, line[2:])


def run_tool(tool, tables, rules, scope):
    with tempfile.TemporaryDirectory() as tmp:
        rpath = os.path.join(tmp, 'rules.txt')
        with open(rpath, 'w', encoding='utf-8') as f:
            for r in rules:
                f.write(r + '\n')
        args = [tool, '--scope', scope]
        for key, (rows, cols) in tables.items():
            path = os.path.join(tmp, (key or 'table') + '.csv')
            write_csv(path, rows, cols)
            args.append(('%s=%s' % (key, path)) if key else path)
        args.append(rpath)
        out = subprocess.run(args, check=True, capture_output=True, text=True, encoding='utf-8')
        lines = out.stdout.split('\n')
        return lines[:len(rules)]


def check_catalog(tool, rows, columns, rule_list, verbose):
    """Runs rule_list on one catalog with both engines; returns (passed, failed)."""
    passed = failed = 0
    df = frame(rows, columns)
    env = {'df': df, 'pd': pd, 'np': np, '__builtins__': __builtins__}
    rules = [r if isinstance(r, str) else r[0] for r in rule_list]
    results = run_tool(tool, {None: (rows, columns)}, rules, 'catalog')
    for spec, line in zip(rule_list, results):
        rule, pexpr = (spec, spec) if isinstance(spec, str) else (spec[0], spec[1] or spec[0])
        ours = parse_tool(line)
        if pexpr == 'X':
            ok = ours[0] == 'X'
            expected = 'refused at compile time'
        else:
            theirs = pandas_result(pexpr, env)
            if theirs[0] == 'C':
                ok = ours[0] == 'C' and ours[1] == {0: theirs[1]}
                expected = 'C ' + theirs[1]
            elif theirs[0] == 'S':
                ok = ours == theirs
                expected = 'S %d' % theirs[1]
            elif theirs[0] == 'I':
                ok = ours[0] == 'I'
                expected = 'not a boolean'
            else:
                ok = False
                expected = 'pandas raised ' + theirs[1]
        if ok:
            passed += 1
            if verbose:
                print('ok   %s' % rule)
        else:
            failed += 1
            print('FAIL %s\n     ours:   %s\n     pandas: %s' % (rule, line, expected))

    return passed, failed


def main():
    if len(sys.argv) < 2:
        print('usage: crosscheck.py TOOL [-v]')
        return 2
    tool = sys.argv[1]
    verbose = '-v' in sys.argv
    passed = failed = 0

    for gen, columns, rule_list in ((gen_catalog, COLUMNS, RULES),
                                    (gen_catalog2, COLUMNS2, RULES2)):
        p, f = check_catalog(tool, gen(), columns, rule_list, verbose)
        passed += p
        failed += f

    # package rules
    tabs = gen_package()
    keys = list(tabs.keys())
    penv = {'df': {k: frame(*tabs[k]) for k in keys}, 'pd': pd, 'np': np,
            '__builtins__': __builtins__}
    results = run_tool(tool, tabs, [r for r, _ in PACKAGE_RULES], 'package')
    for (rule, spec), line in zip(PACKAGE_RULES, results):
        ours = parse_tool(line)
        if isinstance(spec, str):
            theirs = pandas_result(spec, penv)
            ok = ours == theirs
            expected = str(theirs)
        else:
            want = {}
            for key, pexpr in spec.items():
                r = pandas_result(pexpr, penv)
                want[keys.index(key)] = r[1] if r[0] == 'C' else '?'
            ok = ours[0] == 'C' and ours[1] == want
            expected = 'C ' + str(want)
        if ok:
            passed += 1
            if verbose:
                print('ok   %s' % rule)
        else:
            failed += 1
            print('FAIL %s\n     ours:   %s\n     pandas: %s' % (rule, line, expected))

    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
