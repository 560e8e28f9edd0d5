"""Differential test: canton's reports against DuckDB SQL on the same hits.

Generates 14 days of traffic with `canton gen`, processes it, writes it out
with `canton export --format tsv`, loads the export into DuckDB
(tests/duckdb/duckq.mjs, npm @duckdb/node-api) and compares canton's answers
(HTTP API of `canton serve`) with SQL written here from the definitions of
docs/api.md and docs/segments.md: the canonical queries Q1-Q9 of the reports
issue and a few hundred random ranked, trended and segmented reports.
Counts and money must be equal; rates to 1e-9 relative.

Also (docs/api.md "Order", "Compared ranges"): rows sorted by key (text by
the bytes of UTF-8, which is DuckDB's default collation, checked; numbers by
value; time buckets by time), key:desc, time:desc, a metric :asc, and pages of
them, against SQL ORDER BY / LIMIT / OFFSET; compare=previous_period,
previous_year and previous_bucket: compare_from/compare_to against the
documented rules (whole calendar months, a leap February) and each row's
compare, change and growth against SQL over the compared range, also on a
thin second history (2026-12 to 2028-03; a second export holds it with the
two weeks) and a visitor with 12 visits imported from a web server log;
numbered dimensions named with their number in "keys" (merch4, evar5);
visit_duration, whose time buckets (trend, hour, day_of_week) get the time
of their own hits (the data must have visits over local midnight). The
SQL leaves out the measures a report does not ask for (report_sql lean).

The suite declares event10 (the shipping `canton gen` sends with each order,
in the order's currency) a currency event: processing converts it as it
converts revenue, and reports and segments (event10 > 20.5) on it must equal
the SQL sums of the export's event_rows, exactly (docs/api.md "Numbers").

Environment: CANTON_BIN, CANTON_SRC; DIFF_REPORTS=N changes the number of
random reports (default 200), DIFF_SEQ_REPORTS the sequential ones (24),
DIFF_CMP_REPORTS the random compared ones (6), DIFF_SEED the seed.
"""
import datetime
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canton_test  # noqa: E402

BIN = canton_test.BIN
SRC = os.environ.get("CANTON_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
FROM, TO = "2026-11-01", "2026-11-14"  # generated (UTC); local days run to 11-15
Q_FROM, Q_TO = "2026-10-31", "2026-11-15"
M_FROM, M_TO = "2026-12-01", "2028-03-05"  # the months (their export has the two weeks too)

# Export column expressions for each dimension of the catalogue (labels as
# canton prints them). Visit attributes are repeated on every exported hit.
ENUM = {
    "hit_type": ("type", ["page view", "link", "download", "exit link", "other request"]),
    "referrer_type": ("ref_type", ["none", "internal", "search", "social", "email", "paid", "other"]),
    "device": ("device", ["other", "desktop", "mobile", "tablet", "bot"]),
    "cross_border": ("cross_border", ["no", "yes"]),
}


def enum_sql(col, names):
    return "CASE %s %s END" % (col, " ".join("WHEN %d THEN '%s'" % (i, n) for i, n in enumerate(names)))


DIMS = {
    "page": "page", "page_type": "page_type", "section": "section", "currency": "currency",
    "entry_page": "entry_page", "referrer_domain": "ref_domain", "search_term": "search_term",
    "channel": "channel", "campaign": "campaign", "utm_source": "utm_source", "country": "country",
    "region": "region", "city": "city", "ip": "ip", "browser": "browser", "os": "os",
    "language": "language",
    "screen": "screen", "link_name": "link_name", "url": "url", "referrer": "ref_url",
    "utm_medium": "utm_medium", "browser_version": "browser_version", "os_version": "os_version",
    "server": "server", "link_url": "link_url",
    "visit_number": "CAST(visit_num AS VARCHAR)",
    "new_returning": "CASE WHEN visit_num = 1 THEN 'new' ELSE 'returning' END",
    "hour": "lpad(CAST(hour(lt) AS VARCHAR), 2, '0')",
    "day_of_week": "dayname(lt)",
}
for _d, (_c, _n) in ENUM.items():
    DIMS[_d] = enum_sql(_c, _n)

# Numbered dimensions (docs/api.md: the answer names them "prop3"): a hit's own
# traffic variables, from the export's vars column ("prop3=zh-CN,evar5=new").
NUMBERED = {"prop3": "coalesce(regexp_extract(vars, '(?:^|,)prop3=([^,]*)', 1), '')"}

# The suite: the built-in demo suite's settings, with event10 (canton gen's shipping, in the
# order's currency) a currency event, converted to CNY like revenue.
CONFIG = """[server]
trusted_proxies = 127.0.0.1, ::1
[suite demo]
name = Demo shop
timezone = Asia/Shanghai
currency = CNY
home_country = CN
domains = shop.canton.test
event10 = name=Shipping; type=currency
"""
# A hit's event10 (its event_rows cell holds "event10=12.3400" among others), 0 without one.
EV10 = ("CAST(coalesce(nullif(regexp_extract(event_rows, '(?:^|,)event10=([^,]*)', 1), ''), '0') "
        "AS DECIMAL(18,4))")
PURCHASE = "(evflags & 64 <> 0)"
NOT_BOT = "bot = '' AND device <> 4"  # docs/api.md: crawler user agents, device type bot
METRICS = ["pageviews", "visits", "visitors", "bounces", "entries", "exits", "orders", "revenue",
           "units", "cart_adds", "conversion_rate", "hits", "checkouts", "product_views", "time_on_page",
           "event10", "visit_duration"]
RATES = {"conversion_rate", "time_on_page", "visit_duration"}
TIME_DIMS = {"hour", "day_of_week"}  # with a trend bucket, the time parts of a key (visit_duration)


def q(s):
    return "'" + s.replace("'", "''") + "'"


def day_range(a, b):
    return "day BETWEEN DATE %s AND DATE %s" % (q(a), q(b))


# --- Segments: a small tree, rendered both as canton's text and as SQL ---

def cond_text(field, op, val):
    if op == "in":
        return "%s in (%s)" % (field, ", ".join(json.dumps(v) for v in val))
    return "%s %s %s" % (field, op, json.dumps(val))


def cond_sql(field, op, val):
    if field in ("orders", "cart_adds", "pageviews", "product_views"):
        e = {"orders": "CAST(%s AS INT)" % PURCHASE, "cart_adds": "CAST(evflags & 2 <> 0 AS INT)",
             "pageviews": "CAST(type = 0 AS INT)",
             "product_views": "CAST(evflags & 1 <> 0 AS INT)"}[field]
    elif field == "revenue":
        e = "CASE WHEN %s THEN revenue ELSE 0 END" % PURCHASE
    elif field == "event10":
        e = EV10
    else:
        e = DIMS[field]
    if op == "in":
        return "%s IN (%s)" % (e, ", ".join(q(v) for v in val))
    if op == "contains":
        return "contains(%s, %s)" % (e, q(val))
    if op == "starts with":
        return "starts_with(%s, %s)" % (e, q(val))
    if isinstance(val, str):
        val = q(val)
    return "%s %s %s" % (e, op, val)


def seg_sql(node, a, b):
    """SQL boolean over a hit row of `hits` for a segment node."""
    kind = node[0]
    if kind == "cond":
        return "(" + cond_sql(*node[1:]) + ")"
    if kind == "not":
        return "(NOT " + seg_sql(node[1], a, b) + ")"
    if kind in ("and", "or"):
        return "(" + (" %s " % kind.upper()).join(seg_sql(n, a, b) for n in node[1:]) + ")"
    scope, inner = node[1], node[2]
    if scope == "hit":
        return seg_sql(inner, a, b)
    col = "visit" if scope == "visit" else "visitor"
    # Inside a container every condition is checked against the whole visit
    # (visitor): one IN-set per condition, combined with the same operators.
    return container_sql(col, inner, a, b)


def then_sql(col, node, a, b):
    """Sequential segment: the visits (visitors) with a hit of step 1, then a later
    hit of step 2, ... Positions are (ts, visit, hit_num); each step takes the
    first matching hit after the previous step's."""
    steps = node[1:]
    flags = ", ".join("%s AS c%d" % (seg_sql(st, a, b), i) for i, st in enumerate(steps))
    ctes = ["sq_r AS (SELECT %s AS e, struct_pack(t := ts, v := visit, n := hit_num) AS p, %s "
            "FROM hits WHERE %s)" % (col, flags, day_range(a, b)),
            "sq_s0 AS (SELECT e, min(p) AS p FROM sq_r WHERE c0 GROUP BY e)"]
    for i in range(1, len(steps)):
        ctes.append("sq_s%d AS (SELECT sq_r.e, min(sq_r.p) AS p FROM sq_s%d JOIN sq_r ON sq_r.e = sq_s%d.e "
                    "AND sq_r.p > sq_s%d.p WHERE sq_r.c%d GROUP BY sq_r.e)" % (i, i - 1, i - 1, i - 1, i))
    return "(%s IN (WITH %s SELECT e FROM sq_s%d))" % (col, ", ".join(ctes), len(steps) - 1)


def container_sql(col, node, a, b):
    kind = node[0]
    if kind == "then":
        return then_sql(col, node, a, b)
    if kind == "cond":
        return "(%s IN (SELECT %s FROM hits WHERE %s AND %s))" % (col, col, day_range(a, b), "(" + cond_sql(*node[1:]) + ")")
    if kind == "not":
        return "(NOT " + container_sql(col, node[1], a, b) + ")"
    if kind in ("and", "or"):
        return "(" + (" %s " % kind.upper()).join(container_sql(col, n, a, b) for n in node[1:]) + ")"
    return seg_sql(node, a, b)


def seg_text(node):
    kind = node[0]
    if kind == "cond":
        return cond_text(*node[1:])
    if kind == "not":
        return "not " + seg_text(node[1])
    if kind in ("and", "or", "then"):
        return "(" + (" %s " % kind).join(seg_text(n) for n in node[1:]) + ")"
    return "%s(%s)" % (node[1], seg_text(node[2]))


# --- The SQL of a ranked / trended report ---

def bucket_sql(gran):
    return {"hour": "strftime(lt, '%Y-%m-%dT%H:00')", "day": "strftime(day, '%Y-%m-%d')",
            "week": "strftime(date_trunc('week', day), '%Y-%m-%d')",
            "month": "strftime(day, '%Y-%m')"}[gran]


def key_sql(dims, gran=None):
    parts = ([bucket_sql(gran)] if gran else []) + [DIMS[d] if d in DIMS else NUMBERED[d] for d in dims]
    return "[" + ", ".join(parts) + "]" if parts else "[]::VARCHAR[]"


def time_key_sql(dims, gran=None):
    """The time parts of a key (trend bucket, hour, day_of_week) as text: a visit's time is
    credited by them (docs/api.md, visit_duration)."""
    parts = ([bucket_sql(gran)] if gran else []) + [DIMS[d] for d in dims if d in TIME_DIMS]
    return "CAST(%s AS VARCHAR)" % ("[" + ", ".join(parts) + "]" if parts else "[]::VARCHAR[]")


def report_sql(dims, metrics, a, b, gran=None, seg=None, lean=False):
    """lean: the measures `metrics` does not need are left out (0): a third of the time."""
    key = key_sql(dims, gran)
    where = "%s AND %s" % (day_range(a, b), NOT_BOT)
    segw = "TRUE" if seg is None else seg_sql(seg, a, b)
    need = set(metrics) if lean else set(METRICS)
    nts = "lead(ts) OVER (PARTITION BY visit ORDER BY ts, hit_num)" if "time_on_page" in need else "NULL::BIGINT"
    withv = ("sel JOIN vst USING (visit)" if need & {"bounces", "conversion_rate"}
             else "(SELECT *, NULL::BIGINT AS pv, NULL::BOOLEAN AS ord FROM sel)")
    full = bool(need & {"entries", "exits"})
    ev10 = EV10 if "event10" in need else "0"
    ent = "FROM epv GROUP BY 1" if full else "FROM base WHERE FALSE GROUP BY 1"
    # visit_duration: nsel is the visit's next selected hit; the time to it belongs to the hit's
    # time part tk; a row gets, for each of its visits, the visit's time in the row's time part
    dur = "visit_duration" in need
    nsel = "lead(ts) OVER (PARTITION BY visit ORDER BY ts, hit_num)" if dur else "NULL::BIGINT"
    durq = ("SELECT k, CAST(sum(vus) AS BIGINT) AS durus FROM (SELECT DISTINCT k, visit, tk FROM sel)"
            " JOIN vt USING (visit, tk) GROUP BY k" if dur else "SELECT k, 0::BIGINT AS durus FROM sel WHERE FALSE")
    # time_on_page: nts is the visit's next hit in the range (any non-bot hit, before the segment)
    return """
WITH rng AS (SELECT *, %(nts)s AS nts FROM hits WHERE %(where)s),
sel AS (SELECT *, %(key)s AS k, %(tkey)s AS tk, %(nsel)s AS nsel FROM rng WHERE %(segw)s),
vt AS (SELECT visit, tk, sum(coalesce(nsel - ts, 0)) AS vus FROM sel GROUP BY visit, tk),
dur AS (%(durq)s),
vst AS (SELECT visit, count_if(type = 0) AS pv, bool_or(%(p)s) AS ord FROM sel GROUP BY visit),
epv AS (SELECT arg_min(k, struct_pack(t := ts, n := hit_num)) AS ek,
               arg_max(k, struct_pack(t := ts, n := hit_num)) AS xk FROM sel WHERE type = 0 GROUP BY visit),
base AS (SELECT k, count_if(type = 0) AS pageviews, count(*) AS hits,
               count(DISTINCT visit) AS visits, count(DISTINCT visitor) AS visitors,
               count(DISTINCT visit) FILTER (WHERE pv = 1) AS bounces,
               count(DISTINCT visit) FILTER (WHERE ord) AS ordvisits,
               count_if(%(p)s) AS orders,
               coalesce(sum(revenue) FILTER (WHERE %(p)s), 0) AS revenue,
               coalesce(sum(units) FILTER (WHERE %(p)s), 0) AS units,
               count_if(evflags & 2 <> 0) AS cart_adds, count_if(evflags & 32 <> 0) AS checkouts,
               count_if(evflags & 1 <> 0) AS product_views,
               count_if(type = 0 AND nts IS NOT NULL) AS topviews,
               CAST(coalesce(sum(nts - ts) FILTER (WHERE type = 0), 0) AS BIGINT) AS topus,
               coalesce(sum(%(ev10)s), 0) AS event10
        FROM %(withv)s GROUP BY k),
ent AS (SELECT %(ek)s AS k, count(*) AS entries %(ent)s),
ext AS (SELECT %(xk)s AS k, count(*) AS exits %(ext)s)
SELECT k, pageviews, hits, visits, visitors, bounces, ordvisits, orders, CAST(revenue AS VARCHAR),
       units, cart_adds, checkouts, product_views, coalesce(entries, 0), coalesce(exits, 0), topviews, topus,
       CAST(event10 AS VARCHAR), coalesce(durus, 0)
FROM base LEFT JOIN ent USING (k) LEFT JOIN ext USING (k) LEFT JOIN dur USING (k)""" % {
        "key": key, "where": where, "segw": segw, "p": PURCHASE, "nts": nts, "withv": withv, "ent": ent,
        "ext": ent, "ek": "ek" if full else "k", "xk": "xk" if full else "k", "tkey": time_key_sql(dims, gran),
        "nsel": nsel, "durq": durq, "ev10": ev10}


BASE_COLS = ["pageviews", "hits", "visits", "visitors", "bounces", "ordvisits", "orders", "revenue",
             "units", "cart_adds", "checkouts", "product_views", "entries", "exits", "topviews", "topus",
             "event10", "durus"]


def metric_value(base, m):
    if m == "conversion_rate":
        return 100.0 * base["ordvisits"] / base["visits"] if base["visits"] else 0.0
    if m in ("revenue", "event10"):
        return float(base[m])
    if m == "time_on_page":
        return base["topus"] / base["topviews"] / 1e6 if base["topviews"] else 0.0
    if m == "visit_duration":
        return base["durus"] / base["visits"] / 1e6 if base["visits"] else 0.0
    return base[m]


def sql_rows(res):
    """{tuple(keys): {base measure: value}} from report_sql's result rows."""
    out = {}
    for r in res:
        out[tuple(r[0])] = dict(zip(BASE_COLS, r[1:]))
    return out


# --- Running both sides ---

def duck_start(export, sqls):
    """DuckDB at work on sqls in the background; duck_wait() gives the rows."""
    script = os.path.join(SRC, "tests", "duckdb", "duckq.mjs")
    inp = tempfile.TemporaryFile()
    inp.write(json.dumps(sqls).encode())
    inp.seek(0)
    p = subprocess.Popen(["node", script, export, "--threads", "1"], stdin=inp, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, cwd=SRC)
    inp.close()
    return p


def duck_wait(p):
    out, err = p.communicate(timeout=300)
    if p.returncode != 0:
        raise SystemExit("duckdb failed: " + err.decode()[-3000:])
    return [r["rows"] for r in json.loads(out)["results"]]


def duck(export, sqls):
    return duck_wait(duck_start(export, sqls))


def api(srv, path, body):
    st, _, data = srv.request("POST", path, json.dumps(body).encode(),
                              headers={"Content-Type": "application/json"}, timeout=60)
    if st != 200:
        raise AssertionError("%s %s -> %d %s" % (path, json.dumps(body), st, data[:500]))
    return json.loads(data)


def close(a, b, rate):
    if a is None or b is None:
        return a == b
    if rate:
        return abs(a - b) <= 1e-9 * max(abs(a), abs(b)) or abs(a - b) < 1e-12
    return a == b


class Mismatch(Exception):
    pass


def compare_report(name, req, ans, expect, metrics, sort_first=True):
    """ans: canton's JSON; expect: {keys: base} from DuckDB. Every row equal."""
    got = {}
    for row in ans["rows"]:
        got[tuple(row["keys"])] = row["values"]
    errs = []
    for k, base in expect.items():
        want = [metric_value(base, m) for m in metrics]
        if k not in got:
            errs.append("missing row %r: duckdb %r" % (k, want))
            continue
        g = got.pop(k)
        for m, gv, wv in zip(metrics, g, want):
            if not close(gv, wv, m in RATES):
                errs.append("row %r %s: canton %r duckdb %r" % (k, m, gv, wv))
    for k, g in got.items():  # trends list empty buckets with zeros
        if any(v not in (0, None) for v in g):
            errs.append("extra row %r: canton %r" % (k, g))
    if ans["total_rows"] != len(ans["rows"]):
        errs.append("total_rows %d but %d rows with limit=0" % (ans["total_rows"], len(ans["rows"])))
    if sort_first and not req.get("granularity") and ans["rows"]:
        # first metric descending, ties by label ascending (docs/api.md)
        keyed = [(-r["values"][0], [s.encode() for s in r["keys"]]) for r in ans["rows"]]
        if keyed != sorted(keyed):
            errs.append("rows not in order (first metric desc, then label)")
    if errs:
        raise Mismatch("%s: %s\n  request %s\n  %s" % (name, "; ".join(errs[:6]), json.dumps(req),
                                                       "%d mismatches" % len(errs)))


def totals_check(name, req, ans, tot, metrics):
    want = [metric_value(tot, m) for m in metrics]
    for m, gv, wv in zip(metrics, ans["totals"]["values"], want):
        if not close(gv, wv, m in RATES):
            raise Mismatch("%s totals %s: canton %r duckdb %r\n  request %s" % (name, m, gv, wv, json.dumps(req)))


# --- Order (sort=key, key:desc, time:desc, a metric :asc) and compared ranges ---

DOW = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def order_part_sql(i, part):
    """ORDER BY expression of key part i (docs/api.md "Order"): time buckets by
    time, numbers by value, text (and named values) as DuckDB's default
    collation orders it, which is the bytes of the UTF-8 label (checked)."""
    e = "k[%d]" % (i + 1)
    if part.startswith("@"):
        return {"hour": "CAST(replace(%s, 'T', ' ') || ':00' AS TIMESTAMP)" % e,
                "day": "CAST(%s AS DATE)" % e, "week": "CAST(%s AS DATE)" % e,
                "month": "CAST(%s || '-01' AS DATE)" % e}[part[1:]]
    if part in ("visit_number", "hour"):
        return "CAST(%s AS INTEGER)" % e
    if part == "day_of_week":
        return "list_position(%s, %s)" % ("[" + ", ".join(q(d) for d in DOW) + "]", e)
    if part == "new_returning":
        return "list_position(['new', 'returning'], %s)" % e
    return e


SORT_COLS = ["pageviews", "hits", "visits", "visitors"]  # what the order checks ask for


def sort_sql(dims, a, b, sort, gran=None, seg=None):
    """The report's rows (key, SORT_COLS) in the order `sort` asks for. A trend
    without a dimension lists every bucket of the range (NULL measures when empty)."""
    parts = (["@" + gran] if gran else []) + list(dims)
    field, _, dirn = sort.partition(":")
    if field in ("key", "time"):
        d = " DESC" if dirn == "desc" else " ASC"
        order = ", ".join(order_part_sql(i, p) + d for i, p in enumerate(parts))
    else:  # a metric; equal values by label (bytes) ascending, whatever the direction
        order = ", ".join(["%s %s" % (field, "ASC" if dirn == "asc" else "DESC")] +
                          ["k[%d] ASC" % (i + 1) for i in range(len(parts))])
    inner = """WITH sel AS (SELECT *, %s AS k FROM hits WHERE %s AND %s AND %s)
SELECT k, count_if(type = 0) AS pageviews, count(*) AS hits, count(DISTINCT visit) AS visits,
       count(DISTINCT visitor) AS visitors FROM sel GROUP BY k""" % (
        key_sql(dims, gran), day_range(a, b), NOT_BOT, "TRUE" if seg is None else seg_sql(seg, a, b))
    if gran and not dims:
        inner = """WITH r AS (%s),
bk AS (SELECT DISTINCT [%s] AS k FROM (SELECT CAST(t AS DATE) AS day, t AS lt FROM
       generate_series(TIMESTAMP '%s 00:00:00', TIMESTAMP '%s 23:00:00', INTERVAL 1 HOUR) g(t)))
SELECT bk.k AS k, r.* EXCLUDE (k) FROM bk LEFT JOIN r ON r.k = bk.k""" % (inner, bucket_sql(gran), a, b)
    return "SELECT * FROM (%s) ORDER BY %s" % (inner, order)


def check_sorted(name, req, ans, rows, metrics):
    """canton's rows in DuckDB's order (the page limit/offset asks for), same figures."""
    keys = [tuple(r[0]) for r in rows]
    base = {tuple(r[0]): dict(zip(SORT_COLS, r[1:])) for r in rows if r[1] is not None}
    lim, off = req.get("limit", 0), req.get("offset", 0)
    want = keys[off:off + lim] if lim else keys[off:]
    got = [tuple(r["keys"]) for r in ans["rows"]]
    errs = []
    if got != want:
        i = next((j for j, (x, y) in enumerate(zip(got, want)) if x != y), min(len(got), len(want)))
        errs.append("order differs at row %d of %d/%d: canton %r duckdb %r" % (
            i, len(got), len(want), got[i:i + 3], want[i:i + 3]))
    if ans["total_rows"] != len(keys):
        errs.append("total_rows canton %d duckdb %d" % (ans["total_rows"], len(keys)))
    for r in ans["rows"]:
        b = base.get(tuple(r["keys"]))
        w = [metric_value(b, m) if b else 0 for m in metrics]
        for m, gv, wv in zip(metrics, r["values"], w):
            if not close(gv, wv, m in RATES):
                errs.append("row %r %s: canton %r duckdb %r" % (r["keys"], m, gv, wv))
    if errs:
        raise Mismatch("%s: %s\n  request %s" % (name, "; ".join(errs[:4]), json.dumps(req)))
    return len(got)


def _d(s):
    return datetime.date.fromisoformat(s)


def month_last(y, m):
    return datetime.date(y + m // 12, m % 12 + 1, 1) - datetime.timedelta(1)


def months_back(day, k, keep_day):
    """The 1st (or, keep_day, the same day, at most the month's last) of the month k months before."""
    n = day.year * 12 + day.month - 1 - k
    y, m = n // 12, n % 12 + 1
    return datetime.date(y, m, min(day.day, month_last(y, m).day) if keep_day else 1)


def compared_range(a, b, compare, gran=None):
    """docs/api.md "Compared ranges", as (compare_from, compare_to)."""
    a, b = _d(a), _d(b)
    whole = a.day == 1 and (b + datetime.timedelta(1)).day == 1
    if compare == "previous_bucket" and gran != "month":
        step = datetime.timedelta(7 if gran == "week" else 1)
        return (a - step).isoformat(), (b - step).isoformat()
    if compare == "previous_period":
        if not whole:
            n = datetime.timedelta((b - a).days + 1)
            return (a - n).isoformat(), (b - n).isoformat()
        months = (b.year * 12 + b.month) - (a.year * 12 + a.month) + 1
    else:  # previous_year, previous_bucket by month
        months = 12 if compare == "previous_year" else 1
    f = months_back(a, months, not whole)
    t = months_back(b, months, not whole)
    if whole:
        t = month_last(t.year, t.month)
    return f.isoformat(), t.isoformat()


def bucket_index(label, start, gran):
    """A trend bucket's number counted from the range's first day (canton compares bucket i
    of the range with bucket i of the compared range, but by day and hour with previous_year
    the same day a year before: compared_bucket)."""
    s = _d(start)
    if gran == "hour":
        return (_d(label[:10]) - s).days * 24 + int(label[11:13])
    if gran == "day":
        return (_d(label) - s).days
    if gran == "week":
        return (_d(label) - (s - datetime.timedelta(s.weekday()))).days // 7
    return int(label[:4]) * 12 + int(label[5:7]) - (s.year * 12 + s.month)


def compare_sqls(dims, metrics, a, b, cf, ct, gran=None, seg=None):
    return [report_sql(dims, metrics, a, b, gran, seg, True), report_sql(dims, metrics, cf, ct, gran, seg, True),
            report_sql([], metrics, a, b, None, seg, True), report_sql([], metrics, cf, ct, None, seg, True)]


def close_delta(got, want, v, c, rate):
    """change (v - c; exact for counts and money) and growth (percent, printed to 10 digits)."""
    if got is None or want is None:
        return got == want
    return abs(got - want) <= (1e-9 if rate else 1e-12) * (abs(v) + abs(c) + abs(want) + 1e-3)


def check_compare(name, req, ans, res, metrics, cf, ct):
    """compare_from/compare_to, values, and per row and in the totals: compare (the same key,
    trend buckets by their number, in the compared range; 0 when absent), change, growth."""
    gran = req.get("granularity")
    cur, prev = sql_rows(res[0]), sql_rows(res[1])
    zero = dict.fromkeys(BASE_COLS, 0)
    tot, ptot = sql_rows(res[2]).get((), zero), sql_rows(res[3]).get((), zero)
    errs = []
    if (ans.get("compare_from"), ans.get("compare_to")) != (cf, ct):
        errs.append("compared range canton %s..%s, docs %s..%s" % (ans.get("compare_from"), ans.get("compare_to"),
                                                                   cf, ct))
    compare_report(name, req, ans, cur, metrics)
    totals_check(name, req, ans, tot, metrics)

    def bk(k, start):
        return (bucket_index(k[0], start, gran),) + k[1:] if gran else k

    def compared_bucket(k):
        """The compared bucket of row k: by day and hour with previous_year, the same day (hour)
        a year before, 29 February becoming the 28th (docs/api.md "Compared ranges"); else the
        bucket at the same place in the compared range."""
        if gran not in ("day", "hour") or req.get("compare") != "previous_year":
            return bk(k, req["from"])
        day = months_back(_d(k[0][:10]), 12, True)
        if day < _d(cf) or day > _d(ct):
            return None
        i = (day - _d(cf)).days
        return ((i * 24 + int(k[0][11:13])) if gran == "hour" else i,) + k[1:]

    prev = {bk(k, cf): v for k, v in prev.items()}
    nonzero = 0
    blocks = [(tuple(r["keys"]), r, cur.get(tuple(r["keys"])), prev.get(compared_bucket(tuple(r["keys"]))))
              for r in ans["rows"]] + [("totals", ans["totals"], tot, ptot)]
    for k, r, cb, pb in blocks:
        for i, m in enumerate(metrics):
            v = metric_value(cb, m) if cb else 0
            c = metric_value(pb, m) if pb else 0
            nonzero += c != 0
            want = {"compare": c, "change": v - c, "growth": None if c == 0 else 100.0 * (v - c) / abs(c)}
            for what, w in want.items():
                g = r.get(what, [None] * len(metrics))[i]
                ok = close(g, w, m in RATES) if what == "compare" else close_delta(
                    g, w, v, c, m in RATES or what == "growth")
                if not ok:
                    errs.append("%r %s %s: canton %r duckdb %r" % (k, m, what, g, w))
    if errs:
        raise Mismatch("%s: %s\n  request %s\n  %d mismatches" % (name, "; ".join(errs[:6]), json.dumps(req),
                                                                  len(errs)))
    return nonzero


def numbered(srv, a, b, failures):
    """docs/api.md: "keys" names numbered dimensions as the catalogue does (merch:4 -> merch4)."""
    base = {"suite": "demo", "from": a, "to": b, "limit": 0}
    for dims, extra, want in [(["merch:4"], {"metrics": ["units"]}, ["merch4"]),
                              (["evar:5"], {}, ["evar5"]), (["evar5"], {}, ["evar5"]),
                              (["prop:3"], {"granularity": "week"}, ["time", "prop3"]),
                              (["evar5", "merch:4"], {"metrics": ["units"]}, ["evar5", "merch4"]),
                              (["page", "evar:4"], {}, ["page", "evar4"])]:
        req = dict(base, dimensions=dims, **extra)
        ans = api(srv, "/api/v1/report", req)
        if ans["keys"] != want or not any(all(k for k in r["keys"]) for r in ans["rows"]):
            failures.append("numbered: %s answers keys %r (want %r), %d rows" % (dims, ans["keys"], want,
                                                                                 len(ans["rows"])))
    one, other = (api(srv, "/api/v1/report", dict(base, dimensions=[d])) for d in ("evar:5", "evar5"))
    if one["rows"] != other["rows"]:
        failures.append("numbered: evar:5 and evar5 answer different rows")
    ans = api(srv, "/api/v1/paths", {"suite": "demo", "from": a, "to": b, "dimension": "evar:4",
                                     "condition": 'evar4 = "browse"', "limit": 5})
    if ans.get("dimension") != "evar4" or not ans.get("rows"):
        failures.append("numbered: paths by evar:4 answers dimension %r, %d rows" % (ans.get("dimension"),
                                                                                     len(ans.get("rows", []))))


def main():
    tmp = tempfile.mkdtemp(prefix="canton-diff-")
    try:
        run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(tmp):
    data = os.path.join(tmp, "data")
    os.makedirs(data)
    subprocess.run([BIN, "gen", "--data", data, "--from", FROM, "--to", TO, "--visits-per-day", "300",
                    "--seed", "7"], check=True, capture_output=True)
    # one visitor's 12 visits (visit_number 10 after 9 when sorted by key), from a web server log
    # (an IP and user agent are one visitor for a UTC day): 2026-11-16, after the two weeks
    alog = os.path.join(tmp, "access.log")
    with open(alog, "w") as f:
        for i in range(24):
            t = datetime.datetime(2026, 11, 16, 1, 0) + datetime.timedelta(minutes=40 * (i // 2) + i % 2)
            f.write('81.2.69.160 - - [%s] "GET /p/tea-%d HTTP/1.1" 200 512 "-" "Mozilla/5.0 (Windows NT 10.0; '
                    'Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"\n'
                    % (t.strftime("%d/%b/%Y:%H:%M:%S +0000"), i % 2))
    subprocess.run([BIN, "import", "--suite", "demo", "--data", data, alog], check=True, capture_output=True)
    # and a thin year and a quarter after it, for compared whole months (a leap February)
    subprocess.run([BIN, "gen", "--data", data, "--from", M_FROM, "--to", M_TO, "--visits-per-day", "12",
                    "--seed", "8"], check=True, capture_output=True)
    subprocess.run([BIN, "rates", "import", os.path.join(SRC, "docs", "rates-sample.csv"), "--data", data],
                   check=True, capture_output=True)
    conf = os.path.join(tmp, "canton.conf")
    with open(conf, "w") as f:
        f.write(CONFIG)
    subprocess.run([BIN, "process", "--config", conf, "--data", data, "--until-end"], check=True, capture_output=True)
    export = os.path.join(tmp, "hits.tsv")
    subprocess.run([BIN, "export", "--data", data, "--from", Q_FROM, "--to", Q_TO, "--format", "tsv",
                    "--out", export], check=True, capture_output=True)
    export2 = os.path.join(tmp, "months.tsv")
    subprocess.run([BIN, "export", "--data", data, "--from", Q_FROM, "--to", "2028-03-31", "--format", "tsv",
                    "--out", export2], check=True, capture_output=True)

    # values present in the data, for random segments
    fields = ["page", "country", "channel", "browser", "device", "referrer_type", "section", "os",
              "new_returning", "hit_type", "page_type", "entry_page", "campaign"]
    pre = ["SELECT min(day)::VARCHAR, max(day)::VARCHAR, count(*) FROM hits"]
    pre += ["SELECT DISTINCT %s FROM hits ORDER BY 1" % DIMS[f] for f in fields]
    # visits over local midnight, whose visit_duration each day gets a part of (D1..D5)
    pre += ["SELECT count(*) FROM (SELECT visit FROM hits WHERE %s GROUP BY visit HAVING count(DISTINCT day) > 1)"
            % NOT_BOT]
    res = duck(export, pre)
    dmin, dmax, nhits = res[0][0]
    values = {f: [r[0] for r in rows if r[0] is not None] for f, rows in zip(fields, res[1:-1])}
    midnight = res[-1][0][0]
    print("export: %d hits, days %s..%s, %d visits over midnight" % (nhits, dmin, dmax, midnight))
    if midnight == 0:
        raise Mismatch("no visit runs over local midnight: D1..D5 would test nothing")

    rnd = random.Random(int(os.environ.get("DIFF_SEED", "11")))
    days = [(datetime.date.fromisoformat(dmin) + datetime.timedelta(d)).isoformat()
            for d in range((datetime.date.fromisoformat(dmax) - datetime.date.fromisoformat(dmin)).days + 1)]

    def rand_cond(hitlevel_ok=True, g=None, flds=None):
        g = g or rnd
        r = g.random()
        if r < 0.12:
            return ("cond", "orders", ">", 0)
        if r < 0.18:
            return ("cond", "cart_adds", "=", 1)
        if r < 0.22:
            return ("cond", "revenue", ">", g.choice([50, 200, 1000]))
        if r < 0.26:
            return ("cond", "event10", g.choice([">", "<=", "="]), g.choice([0, 10, 20.5, 48.7902]))
        f = g.choice(flds or fields)
        vals = values[f]
        op = g.choice(["=", "=", "!=", "in", "contains", "starts with"])
        if op == "in":
            return ("cond", f, "in", g.sample(vals, min(len(vals), g.randint(1, 3))))
        v = g.choice(vals)
        if op in ("contains", "starts with") and len(v) > 2:
            v = v[:g.randint(1, len(v) - 1)] if op == "starts with" else v[1:-1]
        return ("cond", f, op, v)

    def rand_seg():
        scope = rnd.choice(["hit", "visit", "visitor"])
        r = rnd.random()
        if r < 0.6:
            inner = rand_cond()
        elif r < 0.8:
            inner = ("and", rand_cond(), rand_cond())
        elif r < 0.9:
            inner = ("or", rand_cond(), rand_cond())
        else:
            inner = ("not", rand_cond())
        node = ("scope", scope, inner)
        if rnd.random() < 0.15:
            node = ("not", node)
        return node

    cases = []  # (name, request, sql, metrics)

    def add_report(name, req, dims, metrics, a, b, gran=None, seg=None):
        r = dict(req)
        r.update({"suite": "demo", "from": a, "to": b, "metrics": metrics, "limit": 0})
        if dims:
            r["dimensions"] = dims
        if gran:
            r["granularity"] = gran
        if seg is not None:
            r["segment"] = seg_text(seg)
        cases.append((name, r, report_sql(dims, metrics, a, b, gran, seg, True), metrics))
        cases.append((name + " totals", r, report_sql([], metrics, a, b, None, seg, True), metrics))

    last30 = (days[-1 - 29] if len(days) >= 30 else days[0], days[-1])
    a, b = days[0], days[-1]
    # Q1..Q5, Q8, Q9 as reports (all rows compared; canton's top-N is its first N)
    add_report("Q1", {}, ["page"], ["pageviews"], *last30)
    add_report("Q2", {}, [], ["pageviews", "visits", "visitors"], a, b, gran="day")
    add_report("Q3", {}, [], ["visitors"], a, b)
    add_report("Q4", {}, ["country"], ["revenue", "orders", "units"], a, b)
    add_report("Q5", {}, ["channel"], ["conversion_rate"], a, b)
    add_report("Q8", {}, [], ["revenue"], a, b, gran="month")
    q9seg = ("scope", "visit", ("and", ("cond", "channel", "=", "Natural Search"), ("cond", "country", "=", "US")))
    add_report("Q9", {}, ["page"], ["pageviews"], a, b, seg=q9seg)
    # time on page (docs/api.md): by page, by day, under a hit segment, over part of the range
    add_report("T1", {}, ["page"], ["time_on_page", "pageviews"], a, b)
    add_report("T2", {}, [], ["time_on_page"], days[1], days[-3], gran="day")
    add_report("T3", {}, ["page_type"], ["time_on_page"], a, b,
               seg=("scope", "hit", ("cond", "page", "starts with", "product:")))
    add_report("T4", {}, ["entry_page", "channel"], ["time_on_page", "visits"], days[2], days[6])
    # visit duration (docs/api.md): a time bucket (trend, hour, day_of_week) gets the time of
    # its own hits; other dimensions the visit's (in the bucket); under a hit segment, between
    # the selected hits
    add_report("D1", {}, [], ["visit_duration", "visits"], a, b, gran="day")
    add_report("D2", {}, [], ["visit_duration"], days[3], days[5], gran="hour")
    add_report("D3", {}, ["hour"], ["visit_duration", "visits"], a, b)
    add_report("D4", {}, ["page"], ["visit_duration"], days[1], days[-2], gran="week",
               seg=("scope", "hit", ("cond", "page", "starts with", "product:")))
    add_report("D5", {}, ["day_of_week", "channel"], ["visit_duration", "bounces"], a, b)
    # no dimension (visits and visitors as bits only) and day trends (one segment a day), with
    # and without a visit container
    vseg = ("scope", "visit", ("cond", "channel", "=", values["channel"][0]))
    add_report("V1", {}, [], ["visits", "visitors", "conversion_rate", "orders"], a, b, seg=vseg)
    add_report("V2", {}, [], ["visits", "visitors", "pageviews"], days[1], days[-2], gran="day", seg=vseg)
    add_report("V3", {}, [], ["visitors", "visits", "revenue"], days[3], days[-1], gran="day")
    # the currency event: converted amounts summed exactly, by country and under an exact condition
    add_report("E1", {}, ["country"], ["event10", "revenue", "orders"], a, b)
    add_report("E2", {}, ["currency"], ["event10", "hits"], a, b, seg=("scope", "hit", ("cond", "event10", ">", 20.5)))
    add_report("E3", {}, [], ["event10"], a, b, gran="day", seg=("scope", "visit", ("cond", "event10", "<=", 10)))

    dimnames = sorted(DIMS)
    n = int(os.environ.get("DIFF_REPORTS", "200"))
    for i in range(n):
        i0 = rnd.randrange(len(days))
        i1 = rnd.randrange(i0, len(days))
        gran = rnd.choice([None, None, None, "day", "week", "month"])
        nd = rnd.choice([0, 1, 1, 1, 2]) if not gran else rnd.choice([0, 1])
        if nd == 0 and not gran:
            nd = 1
        dims = rnd.sample(dimnames, nd)
        metrics = rnd.sample(METRICS, rnd.randint(1, 4))
        seg = rand_seg() if rnd.random() < 0.6 else None
        add_report("R%d" % i, {}, dims, metrics, days[i0], days[i1], gran, seg)

    # Sequential segments (docs/segments.md "Sequences"): fixed ones, then random ones
    s1 = ("scope", "visit", ("then", ("cond", "page", "=", "home"), ("cond", "page", "starts with", "product:")))
    add_report("S1", {}, ["page"], ["pageviews", "visits"], a, b, seg=s1)
    s2 = ("scope", "visit", ("then", ("cond", "product_views", ">", 0), ("cond", "cart_adds", ">", 0),
                             ("cond", "orders", ">", 0)))
    add_report("S2", {}, ["entry_page"], ["visits", "orders", "revenue"], a, b, seg=s2)
    s3 = ("scope", "visitor", ("then", ("scope", "visit", ("cond", "channel", "=", rnd.choice(values["channel"]))),
                               ("cond", "orders", ">", 0)))
    add_report("S3", {}, ["channel"], ["visits", "visitors", "revenue"], a, b, seg=s3)
    s4 = ("not", ("scope", "visit", ("then", ("cond", "page", "starts with", "product:"),
                                     ("cond", "page", "starts with", "product:"))))
    add_report("S4", {}, ["country"], ["pageviews", "visits"], a, b, seg=s4)
    srnd = random.Random(int(os.environ.get("DIFF_SEED", "11")) + 1)
    for i in range(int(os.environ.get("DIFF_SEQ_REPORTS", "24"))):
        # steps mostly on what changes from hit to hit (visit attributes are the same on every hit)
        steps = [rand_cond(g=srnd, flds=["page", "section", "page_type", "hit_type"] if srnd.random() < 0.7
                           else None) for _ in range(srnd.choice([2, 2, 3]))]
        seg = ("scope", srnd.choice(["visit", "visitor"]), ("then",) + tuple(steps))
        i0 = srnd.randrange(len(days))
        i1 = srnd.randrange(i0, len(days))
        dims = srnd.sample(dimnames, srnd.choice([0, 1]))
        add_report("SR%d" % i, {}, dims, srnd.sample(METRICS, srnd.randint(1, 3)), days[i0], days[i1],
                   seg=seg)

    # Q6 funnel, Q7 next pages, Q8 growth: SQL of their own
    funnel_sql = """
WITH sel AS (SELECT * FROM hits WHERE %s AND %s),
s1 AS (SELECT visit, min(struct_pack(t := ts, n := hit_num)) AS p FROM sel WHERE evflags & 1 <> 0 GROUP BY visit),
s2 AS (SELECT s1.visit, min(struct_pack(t := ts, n := hit_num)) AS p FROM s1 JOIN sel ON sel.visit = s1.visit
        AND struct_pack(t := ts, n := hit_num) > s1.p AND evflags & 2 <> 0 GROUP BY s1.visit),
s3 AS (SELECT s2.visit FROM s2 JOIN sel ON sel.visit = s2.visit
        AND struct_pack(t := ts, n := hit_num) > s2.p AND %s GROUP BY s2.visit)
SELECT (SELECT count(DISTINCT visit) FROM sel), (SELECT count(*) FROM s1), (SELECT count(*) FROM s2),
       (SELECT count(*) FROM s3)""" % (day_range(a, b), NOT_BOT, PURCHASE)
    paths_sql = """
WITH pv AS (SELECT visit, page, lead(page) OVER (PARTITION BY visit ORDER BY ts, hit_num) AS nxt
            FROM hits WHERE %s AND %s AND type = 0)
SELECT coalesce(nxt, '(exit)'), count(*) FROM pv WHERE starts_with(page, 'product:') GROUP BY 1""" % (
        day_range(a, b), NOT_BOT)
    # Without repeats (docs/api.md "Repeats"): runs of consecutive page views with one value are
    # steps; a step matches when one of its page views does, and its next is the next step's value.
    # By section, a run matches when one of its page views is a product page.
    def steps_next_sql(dim):
        return """
WITH pv AS (SELECT visit, ts, hit_num, %s AS v, starts_with(page, 'product:') AS m,
                   lag(%s) OVER (PARTITION BY visit ORDER BY ts, hit_num) AS prv
            FROM hits WHERE %s AND %s AND type = 0),
runs AS (SELECT visit, v, m, sum(CASE WHEN prv IS NOT DISTINCT FROM v THEN 0 ELSE 1 END)
                OVER (PARTITION BY visit ORDER BY ts, hit_num) AS run FROM pv),
steps AS (SELECT visit, run, any_value(v) AS v, bool_or(m) AS m FROM runs GROUP BY visit, run),
nx AS (SELECT m, lead(v) OVER (PARTITION BY visit ORDER BY run) AS nxt FROM steps)
SELECT coalesce(nxt, '(exit)'), count(*) FROM nx WHERE m GROUP BY 1""" % (dim, dim, day_range(a, b), NOT_BOT)
    paths_steps_sql = [steps_next_sql("page"), steps_next_sql("section")]
    growth_sql = """
SELECT strftime(day, '%%Y-%%m') AS m, CAST(sum(revenue) FILTER (WHERE %s) AS VARCHAR)
FROM hits WHERE %s AND %s GROUP BY 1 ORDER BY 1""" % (PURCHASE, day_range("2026-10-01", b), NOT_BOT)

    # Order: sort=key / key:desc / time:desc / a metric :asc against ORDER BY (docs/api.md "Order");
    # compared ranges against the documented rules, each side's figures against SQL.
    extra = {export: [], export2: []}  # export -> [(kind, name, request, sqls, metrics, (cf, ct))]

    def add_sort(name, dims, metrics, fa, fb, sort, gran=None, seg=None, limit=0, offset=0, exp=export):
        r = {"suite": "demo", "from": fa, "to": fb, "metrics": metrics, "sort": sort, "limit": limit,
             "offset": offset}
        if dims:
            r["dimensions"] = dims
        if gran:
            r["granularity"] = gran
        if seg is not None:
            r["segment"] = seg_text(seg)
        extra[exp].append(("sort", name, r, [sort_sql(dims, fa, fb, sort, gran, seg)], metrics, None))

    def add_cmp(name, exp, dims, metrics, fa, fb, compare, gran=None, seg=None, want=None):
        cf, ct = compared_range(fa, fb, compare, gran)
        if want is not None and (cf, ct) != want:  # the test's own reading of the docs
            raise SystemExit("%s: compared_range %s..%s, docs say %s..%s" % ((name, cf, ct) + want))
        r = {"suite": "demo", "from": fa, "to": fb, "metrics": metrics, "compare": compare, "limit": 0}
        if dims:
            r["dimensions"] = dims
        if gran:
            r["granularity"] = gran
        if seg is not None:
            r["segment"] = seg_text(seg)
        extra[exp].append(("cmp", name, r, compare_sqls(dims, metrics, fa, fb, cf, ct, gran, seg), metrics, (cf, ct)))

    for i, (dims, gran, sort) in enumerate([
            (["country"], None, "key"), (["country"], None, "key:desc"), (["search_term"], None, "key:asc"),
            (["search_term"], None, "key:desc"), (["city"], None, "key"), (["region"], None, "key:desc"),
            (["browser"], None, "key"), (["os"], None, "key:desc"), (["link_name"], None, "key"),
            (["device"], None, "key:desc"), (["referrer_type"], None, "key"), (["hit_type"], None, "key:desc"),
            (["cross_border"], None, "key:desc"), (["section"], None, "key"), (["visit_number"], None, "key"),
            (["visit_number"], None, "key:desc"), (["hour"], None, "key:desc"), (["day_of_week"], None, "key"),
            (["day_of_week"], None, "key:desc"), (["new_returning"], None, "key:desc"), (["prop3"], None, "key"),
            (["country", "visit_number"], None, "key:desc"), (["day_of_week", "device"], None, "key"),
            (["visit_number", "search_term"], None, "key"), (["hour", "language"], None, "key:desc"),
            ([], "day", "time:desc"), ([], "week", "time"), ([], "day", "key:desc"), ([], "hour", "time:desc"),
            ([], "month", "time:desc"), (["day_of_week"], "week", "time:desc"), (["country"], "day", "key"),
            (["hour"], "day", "key:desc"), (["visit_number"], "week", "key:asc"),
            (["visit_number"], None, "pageviews:asc"), (["city"], None, "visits:asc"),
            (["day_of_week", "device"], None, "hits:asc"), (["search_term"], None, "visitors")]):
        field = sort.split(":")[0]
        metrics = ["pageviews", "visits"] if i % 2 else ["visitors", "hits"]
        if field not in ("key", "time"):
            metrics = [m for m in metrics if m != field] + [field]
        add_sort("O%d" % i, dims, metrics, days[1], days[-2], sort, gran, vseg if i % 5 == 4 else None)
    # paged: the first `limit` rows after `offset` of the same order (a partial sort in canton)
    add_sort("P1", ["page"], ["pageviews"], a, b, "key:desc", limit=10, offset=5)
    # visit numbers past 9 (the imported visitor) by value, in the months' export
    for i, (dims, gran, sort) in enumerate([
            (["visit_number"], None, "key"), (["visit_number"], None, "key:desc"),
            (["visit_number", "device"], None, "key:desc"), (["visit_number"], None, "visits:asc"),
            (["visit_number"], "day", "key"), (["day_of_week", "visit_number"], None, "key")]):
        add_sort("N%d" % i, dims, ["visits", "pageviews"], "2026-11-02", "2026-11-30", sort, gran, exp=export2)
    add_sort("P2", ["visit_number"], ["visits"], "2026-11-02", "2026-11-30", "key", limit=7, offset=4,
             exp=export2)
    add_sort("P3", ["city"], ["visitors"], a, b, "key", limit=20, offset=3)
    add_sort("P4", ["search_term", "day_of_week"], ["hits"], a, b, "key:desc", limit=15)
    add_sort("P5", [], ["pageviews"], a, b, "time:desc", gran="day", limit=4, offset=2)
    add_sort("P6", ["visit_number"], ["pageviews"], a, b, "pageviews:asc", limit=6, offset=1)

    # compared ranges over the two weeks (previous_bucket by day and week reads the folded days
    # when every metric adds up, no dimension, no segment; the others read both ranges)
    add_cmp("C1", export, ["country"], ["visits", "revenue", "orders"], "2026-11-08", "2026-11-14",
            "previous_period", want=("2026-11-01", "2026-11-07"))
    add_cmp("C2", export, [], ["pageviews", "visits", "visitors"], "2026-11-05", "2026-11-10", "previous_period",
            "day", want=("2026-10-30", "2026-11-04"))
    add_cmp("C3", export, [], ["pageviews", "hits", "orders", "revenue"], "2026-11-02", "2026-11-14",
            "previous_bucket", "day", want=("2026-11-01", "2026-11-13"))
    add_cmp("C4", export, [], ["visits", "conversion_rate", "time_on_page", "visit_duration"], "2026-11-02",
            "2026-11-14", "previous_bucket", "day")
    add_cmp("C5", export, [], ["pageviews", "revenue", "units"], "2026-11-04", "2026-11-15", "previous_bucket",
            "week", want=("2026-10-28", "2026-11-08"))
    add_cmp("C6", export, [], ["pageviews", "visits"], "2026-11-10", "2026-11-11", "previous_bucket", "hour")
    add_cmp("C7", export, ["channel"], ["visits", "bounces", "time_on_page"], "2026-11-09", "2026-11-14",
            "previous_period", seg=vseg)
    add_cmp("C8", export, ["device", "new_returning"], ["visitors", "cart_adds"], "2026-11-06", "2026-11-13",
            "previous_period")
    add_cmp("C9", export, ["channel"], ["pageviews", "entries"], "2026-11-08", "2026-11-14", "previous_period",
            "day")
    add_cmp("C10", export, [], ["pageviews", "exits"], "2026-11-03", "2026-11-14", "previous_bucket", "day",
            seg=("scope", "hit", ("cond", "page", "starts with", "product:")))
    add_cmp("C11", export, ["country"], ["visits"], "2026-11-03", "2026-11-09", "previous_year",
            want=("2025-11-03", "2025-11-09"))
    add_cmp("C12", export, ["channel"], ["event10", "revenue"], "2026-11-08", "2026-11-14", "previous_period")
    # whole calendar months and the leap February (docs/api.md "Compared ranges")
    e2 = export2
    add_cmp("M1", e2, ["country"], ["visits", "pageviews", "revenue"], "2027-02-01", "2027-02-28",
            "previous_period", want=("2027-01-01", "2027-01-31"))
    add_cmp("M2", e2, [], ["pageviews", "visits"], "2028-02-01", "2028-02-29", "previous_period", "day",
            want=("2028-01-01", "2028-01-31"))
    add_cmp("M3", e2, ["browser"], ["visits", "hits"], "2027-11-01", "2027-11-30", "previous_period",
            want=("2027-10-01", "2027-10-31"))
    add_cmp("M4", e2, [], ["revenue", "orders", "visitors"], "2027-01-01", "2027-02-28", "previous_period",
            "month", want=("2026-11-01", "2026-12-31"))
    add_cmp("M5", e2, ["device"], ["visits", "pageviews"], "2028-02-01", "2028-02-29", "previous_year",
            want=("2027-02-01", "2027-02-28"))
    add_cmp("M6", e2, [], ["pageviews", "hits"], "2028-02-29", "2028-02-29", "previous_year",
            want=("2027-02-28", "2027-02-28"))
    add_cmp("M7", e2, [], ["visits"], "2027-02-01", "2027-02-28", "previous_year",
            want=("2026-02-01", "2026-02-28"))
    add_cmp("M8", e2, ["channel"], ["visits", "conversion_rate"], "2028-02-10", "2028-03-04", "previous_year",
            want=("2027-02-10", "2027-03-04"))
    add_cmp("M9", e2, [], ["revenue", "pageviews"], "2027-12-01", "2028-02-29", "previous_bucket", "month",
            want=("2027-11-01", "2028-01-31"))
    add_cmp("M10", e2, [], ["visits", "visitors", "bounces"], "2027-12-01", "2028-02-29", "previous_bucket",
            "month")
    add_cmp("M11", e2, [], ["hits", "orders"], "2027-12-15", "2028-03-03", "previous_bucket", "month",
            want=("2027-11-15", "2028-02-03"))
    add_cmp("M12", e2, ["new_returning"], ["visits", "pageviews"], "2027-02-02", "2027-02-28", "previous_period",
            want=("2027-01-06", "2027-02-01"))
    add_cmp("M13", e2, [], ["pageviews", "visits"], "2027-02-01", "2027-02-28", "previous_period", "week")
    add_cmp("M14", e2, [], ["visits", "time_on_page"], "2027-03-01", "2027-03-31", "previous_period", "day",
            want=("2027-02-01", "2027-02-28"))
    add_cmp("M15", e2, ["device"], ["visits", "orders"], "2028-01-01", "2028-02-29", "previous_period",
            seg=("scope", "visitor", ("cond", "new_returning", "=", "returning")), want=("2027-11-01", "2027-12-31"))
    # day and hour trends over 29 February, a year later: each day with the same day a year before
    add_cmp("M16", e2, [], ["pageviews", "visits"], "2028-02-20", "2028-03-04", "previous_year", "day",
            want=("2027-02-20", "2027-03-04"))
    add_cmp("M17", e2, ["device"], ["hits"], "2028-02-28", "2028-03-01", "previous_year", "hour",
            want=("2027-02-28", "2027-03-01"))
    add_cmp("M18", e2, [], ["pageviews"], "2027-02-25", "2027-03-03", "previous_year", "day",
            want=("2026-02-25", "2026-03-03"))
    # random ones: whole months (1-3) or any days, any compare, some trends, dimensions and segments
    crnd = random.Random(int(os.environ.get("DIFF_SEED", "11")) + 2)
    for i in range(int(os.environ.get("DIFF_CMP_REPORTS", "6"))):
        if crnd.random() < 0.5:
            m0 = crnd.randrange(3, 15)  # months after 2026-12
            fa = months_back(datetime.date(2026, 12, 1), -m0, False)
            y, m = divmod(fa.year * 12 + fa.month - 1 + crnd.randint(0, 2), 12)
            fb = month_last(y, m + 1)
        else:
            fa = datetime.date(2027, 1, 1) + datetime.timedelta(crnd.randrange(420))
            fb = fa + datetime.timedelta(crnd.randrange(60))
        fb = min(fb, datetime.date(2028, 3, 5))
        gran = crnd.choice([None, None, "day", "week", "month"])
        compare = crnd.choice(["previous_period", "previous_year"] + (["previous_bucket"] if gran else []))
        dims = crnd.sample(["country", "channel", "device", "browser", "visit_number", "day_of_week"],
                           crnd.choice([0, 1] if gran else [0, 1, 1]))
        seg = rand_seg() if crnd.random() < 0.3 else None
        add_cmp("CR%d" % i, e2, dims, crnd.sample(METRICS, crnd.randint(1, 3)), fa.isoformat(), fb.isoformat(),
                compare, gran, seg)

    sqls = [c[2] for c in cases] + [funnel_sql, paths_sql, growth_sql] + paths_steps_sql
    nbase = len(sqls)
    uniq = {export: {}, export2: {}}  # SQL text -> position (no-dimension totals = rows)
    for exp in (export, export2):
        for e in extra[exp]:
            for q_ in e[3]:
                uniq[exp].setdefault(q_, len(uniq[exp]))
    sqls += list(uniq[export])
    # DuckDB's default collation is the bytes of UTF-8 (what sort=key promises for text)
    probe = ["", "B", "Z", "a", "ab", "e", "\u00c5", "\u00e9", "\u6771", "z\u00e9", "ze"]
    sqls.append("SELECT list(x ORDER BY x) FROM (VALUES %s) t(x)" % ", ".join("(%s)" % q(x) for x in probe))
    t0 = time.time()
    sqls2 = list(uniq[export2])
    p2 = duck_start(export2, sqls2)  # the months' export, alongside
    results = duck(export, sqls)
    results2 = duck_wait(p2)
    print("duckdb: %d queries in %.1f s" % (len(sqls) + len(sqls2), time.time() - t0))
    if results[-1][0][0] != sorted(probe, key=lambda x: x.encode()):
        raise SystemExit("DuckDB's default collation is not UTF-8 byte order: %r" % results[-1][0][0])
    extra_res = []
    for exp, res in ((export, results[nbase:]), (export2, results2)):
        for e in extra[exp]:
            extra_res.append((e, [res[uniq[exp][q_]] for q_ in e[3]]))
    t0 = time.time()
    failures = []
    with canton_test.Canton(config=CONFIG, data=data) as srv:
        for (name, req, _, metrics), rows in zip(cases, results):
            try:
                ans = api(srv, "/api/v1/report", req)
                exp = sql_rows(rows)
                if name.endswith(" totals"):
                    totals_check(name, req, ans, exp.get((), dict.fromkeys(BASE_COLS, 0)), metrics)
                else:
                    compare_report(name, req, ans, exp, metrics)
            except (Mismatch, AssertionError) as e:
                failures.append(str(e))
        fres, pres, gres, spres, ssres = results[len(cases):nbase]
        # Q6
        try:
            ans = api(srv, "/api/v1/funnel", {"suite": "demo", "from": a, "to": b,
                                              "steps": ["product_views > 0", "cart_adds > 0", "orders > 0"]})
            total, c1, c2, c3 = fres[0]
            got = [s["count"] for s in ans["steps"]]
            if ans["total"] != total or got != [c1, c2, c3]:
                failures.append("Q6 funnel: canton total %r steps %r, duckdb %r %r" % (ans["total"], got, total, [c1, c2, c3]))
        except AssertionError as e:
            failures.append(str(e))
        # Q7: each page view a step (repeats=include), then runs of one value a step (the default)
        print("Q7 paths after product pages (duckdb totals): %d page views, %d steps; by section %d steps" %
              (sum(c for _, c in pres), sum(c for _, c in spres), sum(c for _, c in ssres)))
        for what, extra, rows in (("Q7 paths", {"repeats": "include"}, pres),
                                  ("Q7 paths without repeats", {}, spres),
                                  ("Q7 paths by section without repeats", {"dimension": "section"}, ssres)):
            try:
                ans = api(srv, "/api/v1/paths", dict({"suite": "demo", "from": a, "to": b,
                                                      "condition": 'page starts with "product:"', "limit": 10},
                                                     **extra))
                want = sorted(((-c, k.encode()) for k, c in rows))
                total = sum(c for _, c in rows)
                got = [(-r["count"], r["keys"][0].encode()) for r in ans["rows"]]
                if ans["total"] != total or got != want[:10] or not rows:
                    failures.append("%s: canton total %r %r\n  duckdb total %r %r" % (what, ans["total"], got, total,
                                                                                        want[:10]))
            except AssertionError as e:
                failures.append(str(e))
        # Q8 with growth over the previous month
        try:
            req = {"suite": "demo", "from": "2026-10-01", "to": b, "metrics": ["revenue"], "granularity": "month",
                   "compare": "previous_bucket", "limit": 0}
            ans = api(srv, "/api/v1/report", req)
            want = {m: float(v or 0) for m, v in gres}
            months = sorted(want)
            for row in ans["rows"]:
                m = row["keys"][0]
                if row["values"][0] != want.get(m, 0.0):
                    failures.append("Q8 %s revenue: canton %r duckdb %r" % (m, row["values"][0], want.get(m)))
                prev = (datetime.date.fromisoformat(m + "-01") - datetime.timedelta(1)).strftime("%Y-%m")
                pv = want.get(prev, 0.0)
                g = row.get("growth", [None])[0]
                wg = None if pv == 0 else 100.0 * (want.get(m, 0.0) - pv) / pv
                if prev >= months[0] and not close(g, wg, True):
                    failures.append("Q8 %s growth: canton %r duckdb %r" % (m, g, wg))
        except AssertionError as e:
            failures.append(str(e))
        # order and compared ranges
        nsorted = nsortrows = ncmp = ncmpvals = 0
        for (kind, name, req, _, metrics, rng), res in extra_res:
            try:
                ans = api(srv, "/api/v1/report", req)
                if kind == "sort":
                    nsortrows += check_sorted(name, req, ans, res[0], metrics)
                    nsorted += 1
                else:
                    ncmpvals += check_compare(name, req, ans, res, metrics, *rng)
                    ncmp += 1
            except (Mismatch, AssertionError) as e:
                failures.append(str(e))
        # numbered dimensions keep their number in the answer's keys (and paths' dimension)
        try:
            numbered(srv, a, b, failures)
        except AssertionError as e:
            failures.append(str(e))
    print("canton: %.1f s" % (time.time() - t0))
    print("order: %d reports (%d rows) in DuckDB's order; compared ranges: %d reports, %d nonzero compared values"
          % (nsorted, nsortrows, ncmp, ncmpvals))
    if ncmpvals < 200 or nsortrows < 1000:
        failures.append("too little compared: %d compared values, %d sorted rows" % (ncmpvals, nsortrows))
    print("%d reports compared (+ funnel, paths, growth, %d sorted, %d with compare), %d mismatches"
          % (len(cases), nsorted, ncmp, len(failures)))
    for f in failures[:30]:
        print("MISMATCH " + f)
    if failures:
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
