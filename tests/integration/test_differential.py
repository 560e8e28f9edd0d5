"""Differential test: canton's reports against DuckDB SQL on the same hits.

Generates 14 days of traffic with `canton gen`, processes it, writes it out
with `canton export --format tsv`, loads the export into DuckDB
(tests/duckdb/duckq.mjs, npm @duckdb/node-api) and compares canton's answers
(HTTP API of `canton serve`) with SQL written here from the definitions of
docs/api.md and docs/segments.md: the canonical queries Q1-Q9 of the reports
issue and a few hundred random ranked, trended and segmented reports.
Counts and money must be equal; rates to 1e-9 relative.

Environment: CANTON_BIN, CANTON_SRC; DIFF_REPORTS=N changes the number of
random reports (default 200), DIFF_SEED the seed.
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
    "region": "region", "city": "city", "browser": "browser", "os": "os", "language": "language",
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

PURCHASE = "(evflags & 64 <> 0)"
NOT_BOT = "bot = '' AND device <> 4"  # docs/api.md: crawler user agents, device type bot
METRICS = ["pageviews", "visits", "visitors", "bounces", "entries", "exits", "orders", "revenue",
           "units", "cart_adds", "conversion_rate", "hits", "checkouts", "product_views", "time_on_page"]
RATES = {"conversion_rate", "time_on_page"}


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
    return {"day": "strftime(day, '%Y-%m-%d')",
            "week": "strftime(date_trunc('week', day), '%Y-%m-%d')",
            "month": "strftime(day, '%Y-%m')"}[gran]


def report_sql(dims, metrics, a, b, gran=None, seg=None):
    parts = ([bucket_sql(gran)] if gran else []) + [DIMS[d] for d in dims]
    key = "[" + ", ".join(parts) + "]" if parts else "[]::VARCHAR[]"
    where = "%s AND %s" % (day_range(a, b), NOT_BOT)
    segw = "TRUE" if seg is None else seg_sql(seg, a, b)
    # time_on_page: nts is the visit's next hit in the range (any non-bot hit, before the segment)
    return """
WITH rng AS (SELECT *, lead(ts) OVER (PARTITION BY visit ORDER BY ts, hit_num) AS nts FROM hits WHERE %(where)s),
sel AS (SELECT *, %(key)s AS k FROM rng WHERE %(segw)s),
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
               CAST(coalesce(sum(nts - ts) FILTER (WHERE type = 0), 0) AS BIGINT) AS topus
        FROM sel JOIN vst USING (visit) GROUP BY k),
ent AS (SELECT ek AS k, count(*) AS entries FROM epv GROUP BY 1),
ext AS (SELECT xk AS k, count(*) AS exits FROM epv GROUP BY 1)
SELECT k, pageviews, hits, visits, visitors, bounces, ordvisits, orders, CAST(revenue AS VARCHAR),
       units, cart_adds, checkouts, product_views, coalesce(entries, 0), coalesce(exits, 0), topviews, topus
FROM base LEFT JOIN ent USING (k) LEFT JOIN ext USING (k)""" % {"key": key, "where": where, "segw": segw,
                                                                "p": PURCHASE}


BASE_COLS = ["pageviews", "hits", "visits", "visitors", "bounces", "ordvisits", "orders", "revenue",
             "units", "cart_adds", "checkouts", "product_views", "entries", "exits", "topviews", "topus"]


def metric_value(base, m):
    if m == "conversion_rate":
        return 100.0 * base["ordvisits"] / base["visits"] if base["visits"] else 0.0
    if m == "revenue":
        return float(base["revenue"])
    if m == "time_on_page":
        return base["topus"] / base["topviews"] / 1e6 if base["topviews"] else 0.0
    return base[m]


def sql_rows(res):
    """{tuple(keys): {base measure: value}} from report_sql's result rows."""
    out = {}
    for r in res:
        out[tuple(r[0])] = dict(zip(BASE_COLS, r[1:]))
    return out


# --- Running both sides ---

def duck(export, sqls):
    script = os.path.join(SRC, "tests", "duckdb", "duckq.mjs")
    p = subprocess.run(["node", script, export, "--threads", "1"], input=json.dumps(sqls).encode(), capture_output=True,
                       cwd=SRC, timeout=300)
    if p.returncode != 0:
        raise SystemExit("duckdb failed: " + p.stderr.decode()[-3000:])
    return [r["rows"] for r in json.loads(p.stdout)["results"]]


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
    subprocess.run([BIN, "rates", "import", os.path.join(SRC, "docs", "rates-sample.csv"), "--data", data],
                   check=True, capture_output=True)
    subprocess.run([BIN, "process", "--data", data, "--until-end"], check=True, capture_output=True)
    export = os.path.join(tmp, "hits.tsv")
    subprocess.run([BIN, "export", "--data", data, "--from", Q_FROM, "--to", Q_TO, "--format", "tsv",
                    "--out", export], check=True, capture_output=True)

    # values present in the data, for random segments
    fields = ["page", "country", "channel", "browser", "device", "referrer_type", "section", "os",
              "new_returning", "hit_type", "page_type", "entry_page", "campaign"]
    pre = ["SELECT min(day)::VARCHAR, max(day)::VARCHAR, count(*) FROM hits"]
    pre += ["SELECT DISTINCT %s FROM hits ORDER BY 1" % DIMS[f] for f in fields]
    res = duck(export, pre)
    dmin, dmax, nhits = res[0][0]
    values = {f: [r[0] for r in rows if r[0] is not None] for f, rows in zip(fields, res[1:])}
    print("export: %d hits, days %s..%s" % (nhits, dmin, dmax))

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
        cases.append((name, r, report_sql(dims, metrics, a, b, gran, seg), metrics))
        cases.append((name + " totals", r, report_sql([], metrics, a, b, None, seg), metrics))

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
    # no dimension (visits and visitors as bits only) and day trends (one segment a day), with
    # and without a visit container
    vseg = ("scope", "visit", ("cond", "channel", "=", values["channel"][0]))
    add_report("V1", {}, [], ["visits", "visitors", "conversion_rate", "orders"], a, b, seg=vseg)
    add_report("V2", {}, [], ["visits", "visitors", "pageviews"], days[1], days[-2], gran="day", seg=vseg)
    add_report("V3", {}, [], ["visitors", "visits", "revenue"], days[3], days[-1], gran="day")

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
    growth_sql = """
SELECT strftime(day, '%%Y-%%m') AS m, CAST(sum(revenue) FILTER (WHERE %s) AS VARCHAR)
FROM hits WHERE %s AND %s GROUP BY 1 ORDER BY 1""" % (PURCHASE, day_range("2026-10-01", b), NOT_BOT)

    sqls = [c[2] for c in cases] + [funnel_sql, paths_sql, growth_sql]
    t0 = time.time()
    results = duck(export, sqls)
    print("duckdb: %d queries in %.1f s" % (len(sqls), time.time() - t0))
    t0 = time.time()
    failures = []
    with canton_test.Canton(data=data) as srv:
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
        fres, pres, gres = results[len(cases):]
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
        # Q7
        try:
            ans = api(srv, "/api/v1/paths", {"suite": "demo", "from": a, "to": b,
                                             "condition": 'page starts with "product:"', "limit": 10})
            want = sorted(((-c, k.encode()) for k, c in pres))
            total = sum(c for _, c in pres)
            got = [(-r["count"], r["keys"][0].encode()) for r in ans["rows"]]
            if ans["total"] != total or got != want[:10]:
                failures.append("Q7 paths: canton total %r %r\n  duckdb total %r %r" % (ans["total"], got, total, want[:10]))
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
    print("canton: %.1f s" % (time.time() - t0))
    print("%d reports compared (+ funnel, paths, growth), %d mismatches" % (len(cases), len(failures)))
    for f in failures[:30]:
        print("MISMATCH " + f)
    if failures:
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
