#!/usr/bin/env python3
"""The reporting API end to end: every endpoint, tokens, and errors that say what is wrong.

Generates a week of traffic for suite "demo" (open: no token) and configures a second
suite "shop" that needs a token (one from the config, one made by `canton token create`),
starts `canton serve`, waits until processing has stored every hit, then checks
/api/v1/{catalog,suites,report,funnel,paths,realtime,batch}, GET and POST, the error answers,
and that `canton report` gives the same numbers as the API.
"""
import csv
import datetime
import json
import os
import re
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
CONFIG = """[suite demo]
timezone = Asia/Shanghai
currency = CNY
home_country = CN
domains = shop.canton.test
[suite shop]
tokens = config-token-0123456789
"""


def run(*args):
    out = subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    if out.returncode != 0:
        raise canton_test.CantonError("%s: %s" % (" ".join(args), out.stderr.decode()))
    return out.stdout.decode()


MONEY_RE = re.compile(r"^-?\d+(\.\d{1,4})?$")


def money_agrees_everywhere(t, srv, conf, data, q, frm, to):
    """Money has one rule (4 decimals: the store's fixed point, docs/hit.md) in the API's JSON
    and in `canton report` json, csv, tsv and table, and the built-in money ratios are the
    same figures as the calculated metrics revenue / visits and revenue / orders."""
    metrics = "revenue,revenue_per_visit,rpv,aov,apo,visits,orders"
    status, _, body = srv.request("GET", "/api/v1/report?" + q + "&dimension=country&metrics=" + metrics
                                  + "&calc.rpv=revenue%2Fvisits&calc.apo=revenue%2Forders&limit=0")
    # numbers as the text the API wrote them
    api = json.loads(body, parse_float=str, parse_int=str) if status == 200 else {"rows": []}
    rows = [row["keys"] + row["values"] for row in api["rows"]]
    t.check(len(rows) > 5, "money report: %d countries (%d %r)" % (len(rows), status, body[:200]))
    args = ["report", "--config", conf, "--data", data, "--suite", "demo", "--from", frm, "--to", to,
            "--metrics", metrics, "--calc", "rpv=revenue/visits", "--calc", "apo=revenue/orders"]
    by_country = args + ["--dimension", "country", "--limit", "0"]
    cli = json.loads(run(*by_country, "--format", "json"), parse_float=str, parse_int=str)
    t.check([row["keys"] + row["values"] for row in cli["rows"]] == rows
            and cli["totals"]["values"] == api["totals"]["values"],
            "money: canton report --format json writes the API's numbers")
    for fmt, sep in (("csv", ","), ("tsv", "\t")):
        got = list(csv.reader(run(*by_country, "--format", fmt).splitlines(), delimiter=sep))
        t.check(got and got[0] == ["country"] + metrics.split(",") and got[1:] == rows,
                "money: canton report --format %s writes the API's numbers: %r vs %r" % (fmt, got[1:3], rows[:2]))
    wrong = [row for row in rows
             if not all(MONEY_RE.match(v) for v in row[1:6]) or row[2] != row[3] or row[4] != row[5]]
    t.check(not wrong, "money to 4 decimals, revenue_per_visit = revenue/visits, aov = revenue/orders: %r"
            % wrong[:3])
    t.check(any(len(row[2].partition(".")[2]) == 4 for row in rows),
            "some revenue per visit has 4 decimals (a real test of the rounding): %r" % rows[:3])
    # the table (for people) pads money to the same 4 decimals
    totals = list(csv.reader(run(*args, "--format", "csv").splitlines()))
    table = run(*args, "--format", "table").splitlines()
    t.check(len(totals) == 2 and totals[1] == api["totals"]["values"]
            and table[-1].split() == ["%.4f" % float(v) if i < 5 else v for i, v in enumerate(totals[1])],
            "money: the table's totals are the csv's, to 4 decimals: %r vs %r" % (table[-1:], totals[1:]))


def main():
    data = tempfile.mkdtemp(prefix="canton-api-")
    try:
        checks(data)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def checks(data):
    t = canton_test.Checks()
    conf = os.path.join(data, "canton.conf")
    with open(conf, "w") as f:
        f.write(CONFIG)
    today = datetime.datetime.utcnow().date()
    frm, to = (today - datetime.timedelta(days=7)).isoformat(), (today - datetime.timedelta(days=1)).isoformat()
    run("rates", "import", os.path.join(SRC, "docs", "rates-sample.csv"), "--data", data)
    gen = subprocess.run([BIN, "gen", "--suite", "demo", "--from", frm, "--to", to, "--visits-per-day", "150",
                          "--data", data], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    t.check(gen.returncode == 0, "canton gen")
    bad = os.path.join(data, "bad.conf")
    with open(bad, "w") as f:
        f.write("[suite demo]\nquery_cache_mb = lots\n")
    r = subprocess.run([BIN, "serve", "--config", bad, "--data", os.path.join(data, "bad"), "--listen",
                        "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    t.check(r.returncode == 1 and b"query_cache_mb: 'lots'" in r.stderr,
            "a bad query_cache_mb stops serve with the key named (got %d)" % r.returncode)
    made = run("token", "create", "--suite", "shop", "--config", conf, "--data", data).strip()
    t.check(len(made) == 64, "canton token create prints a 64-hex token")
    records = len(run("hitlog", "dump", "--data", data).splitlines())

    with canton_test.Canton(config=CONFIG, data=data) as srv:
        def get(path, headers=None):
            status, hdrs, body = srv.request("GET", path, headers=headers)
            return status, json.loads(body) if body else None

        def post(path, obj, headers=None):
            status, hdrs, body = srv.request("POST", path, body=json.dumps(obj).encode(), headers=headers)
            return status, json.loads(body) if body else None

        # The API is same-origin: a cross-origin preflight is refused, with no CORS headers,
        # as the answers carry none; a plain OPTIONS lists the methods.
        status, hdrs, body = srv.request("OPTIONS", "/api/v1/report?suite=demo", headers={
            "Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization"})
        t.check(status == 403 and not any(k.lower().startswith("access-control-") for k in hdrs)
                and json.loads(body)["error"].startswith("the reporting API is same-origin"),
                "cross-origin preflight: %d %r %r" % (status, hdrs, body))
        status, hdrs, body = srv.request("OPTIONS", "/api/v1/report")
        t.check(status == 204 and hdrs.get("allow") == "GET, POST, OPTIONS"
                and not any(k.lower().startswith("access-control-") for k in hdrs),
                "plain OPTIONS: %d %r" % (status, hdrs))
        status, hdrs, _ = srv.request("GET", "/api/v1/suites", headers={"Origin": "https://elsewhere.example"})
        t.check(status == 200 and not any(k.lower().startswith("access-control-") for k in hdrs),
                "cross-origin GET: no CORS headers: %r" % hdrs)

        # Wait until processing has taken every raw hit (the store's hit count stops growing).
        deadline, last, stable = time.time() + 90, -1, 0
        while time.time() < deadline:
            m = srv.metrics()
            raw = m.get("canton_process_raw_hits_total", 0)
            if raw >= records:
                break
            time.sleep(0.2)
        t.check(srv.metrics().get("canton_process_raw_hits_total", 0) >= records,
                "processing took all %d raw hits" % records)
        t.check(srv.metrics().get("canton_process_up") == 1, "canton_process_up is 1")

        q = "suite=demo&from=%s&to=%s" % (frm, to)
        status, cat = get("/api/v1/catalog")
        t.check(status == 200 and any(d["name"] == "page" for d in cat["dimensions"])
                and any(m["name"] == "revenue" and m["type"] == "currency" for m in cat["metrics"]),
                "catalog lists page and revenue")
        # Each dimension says whether it has several values per hit ("multi") and whether
        # paths follow it ("paths"); the other fields are as before (docs/api.md).
        dims = {d["name"]: d for d in cat["dimensions"]} if status == 200 else {}
        want = {"product": (True, False), "category": (True, False), "list1..list3": (True, False),
                "merch1..merch250": (True, False), "page": (False, True), "evar1..evar250": (False, True),
                "prop1..prop75": (False, True), "country": (False, False), "hour": (False, False)}
        got = {n: (dims.get(n, {}).get("multi"), dims.get(n, {}).get("paths")) for n in want}
        t.check(got == want, "catalog: multi and paths of %s: %r" % (", ".join(want), got))
        t.check(dims and all(list(d) == ["name", "title", "scope", "multi", "paths"] for d in dims.values()),
                "catalog: every dimension has name, title, scope, multi, paths: %r"
                % [list(d) for d in dims.values()][:3])
        t.check(dims.get("product", {}).get("scope") == "item" and dims.get("page", {}).get("title") == "Page",
                "catalog: scope and title unchanged")
        # What it says is what the API does, for every dimension (the first and last of a range):
        # paths refuse the multi ones and those that are not text, and entries by a multi one.
        # A refusal names the dimensions paths take: those the catalogue says "paths" of
        # (a visit dimension, one value per visit, would only follow itself).
        paths_take = ", ".join(d["name"] for d in dims.values() if d.get("paths"))
        t.check(paths_take == "page, url, page_type, section, server, link_url, link_name, currency, "
                "evar1..evar250, prop1..prop75, hier1..hier5",
                "catalog: paths take the text dimensions of hits: %s" % paths_take)
        wrong = []
        for d in dims.values():
            m = re.match(r"^([a-z]+)(\d+)\.\.\1(\d+)$", d["name"])
            for name in [m.group(1) + m.group(2), m.group(1) + m.group(3)] if m else [d["name"]]:
                st, b = get("/api/v1/paths?" + q + "&length=2&dimension=" + name)
                err = (b or {}).get("error", "")
                ok = (st == 400 and err.startswith(name + " has several values per hit: paths cannot follow it")
                      if d.get("multi") else st == 200 if d.get("paths") else
                      st == 400 and err.startswith("paths cannot follow %s: " % name)
                      and err.endswith("; paths take " + paths_take))
                st2, b2 = get("/api/v1/report?" + q + "&dimension=" + name + "&metrics=entries,visits&limit=1")
                ok2 = (st2 == 400 and "which has several values per hit" in (b2 or {}).get("error", "")
                       if d.get("multi") else st2 == 200)
                if not (ok and ok2):
                    wrong.append((name, d.get("multi"), d.get("paths"), st, err, st2))
        t.check(len(dims) == 43 and not wrong, "catalog: paths and entries answer as multi and paths say: %r" % wrong)
        cli_cat = json.loads(run("report", "--catalog"))
        t.check(cli_cat == cat, "canton report --catalog prints GET /api/v1/catalog")
        # /suites and /catalog name a parameter they do not take with a 400, as reports do
        for path, msg in (("/api/v1/suites?x=1", "unknown parameter 'x'"),
                          ("/api/v1/catalog?x=1", "unknown parameter 'x'"),
                          ("/api/v1/catalog?suite=demo&dimension=page", "unknown parameter 'dimension'"),
                          ("/api/v1/catalog?suite=demo&suite=shop", "'suite' is given twice (give it once)")):
            status, e = get(path)
            t.check(status == 400 and e == {"error": msg}, "%s: 400 %r (got %d %r)" % (path, msg, status, e))
        status, e = post("/api/v1/batch", {"requests": ["suites?x=1", "catalog?suite=demo&x=1"]})
        t.check(status == 200 and [(x["status"], x["body"]) for x in e["responses"]]
                == [(400, {"error": "unknown parameter 'x'"})] * 2,
                "batch: suites and catalog with an unknown parameter: 400 (%d %r)" % (status, e))
        t.check(get("/api/v1/catalog?suite=demo&token=nothing")[0] == 200
                and get("/api/v1/suites?token=nothing")[0] == 200, "token= is a parameter of /suites and /catalog")
        # --catalog takes only --suite, --config and --data
        p = subprocess.run([BIN, "report", "--catalog", "--suite", "demo", "--config", conf, "--data", data,
                            "--dimension", "page"], capture_output=True, text=True, timeout=120)
        t.check(p.returncode == 2 and p.stdout == "" and p.stderr ==
                "canton report: --catalog takes only --suite, --config and --data, not --dimension\n",
                "canton report --catalog --dimension: usage error (%d %r)" % (p.returncode, p.stderr))
        t.check(json.loads(run("report", "--catalog", "--suite", "demo", "--config", conf, "--data", data))
                == get("/api/v1/catalog?suite=demo")[1], "canton report --catalog --suite = GET /api/v1/catalog?suite=")

        status, s = get("/api/v1/suites")
        ids = [x["id"] for x in s["suites"]] if status == 200 else []
        t.check(ids == ["demo"], "suites without a token: only the open suite (%r)" % ids)
        demo = s["suites"][0] if ids else {}
        t.check(demo.get("hits", 0) > 1000 and demo.get("currency") == "CNY", "demo suite has hits")
        status, s = get("/api/v1/suites", {"Authorization": "Bearer " + made})
        t.check(status == 200 and [x["id"] for x in s["suites"]] == ["demo", "shop"],
                "suites with the shop token: both")

        # report: GET and POST give the same numbers
        status, r = get("/api/v1/report?" + q + "&dimension=country&metrics=pageviews,visits,visitors,revenue&limit=5")
        t.check(status == 200 and r["keys"] == ["country"] and len(r["rows"]) == 5, "report GET")
        status, r2 = post("/api/v1/report", {"suite": "demo", "from": frm, "to": to, "dimensions": ["country"],
                                             "metrics": ["pageviews", "visits", "visitors", "revenue"], "limit": 5})
        t.check(status == 200 and r2["rows"] == r["rows"] and r2["totals"] == r["totals"], "report POST = GET")
        # the CLI reads the same store and agrees
        cli = json.loads(run("report", "--config", conf, "--data", data, "--suite", "demo", "--from", frm,
                             "--to", to, "--dimension", "country", "--metrics",
                             "pageviews,visits,visitors,revenue", "--limit", "5", "--format", "json"))
        t.check(cli["rows"] == r["rows"] and cli["totals"] == r["totals"], "canton report = API")
        money_agrees_everywhere(t, srv, conf, data, q, frm, to)
        # CLI and API take the same parameters with the same defaults: without --limit, 100 rows
        # (the API's default); --offset and --empty as offset= and empty=
        status, pr = get("/api/v1/report?" + q + "&dimension=page&metrics=pageviews&offset=3&empty=0")
        cli = json.loads(run("report", "--config", conf, "--data", data, "--suite", "demo", "--from", frm,
                             "--to", to, "--dimension", "page", "--metrics", "pageviews", "--offset", "3",
                             "--empty", "no", "--format", "json"))
        t.check(status == 200 and pr["total_rows"] > 103 and len(pr["rows"]) == 100
                and cli["rows"] == pr["rows"] and cli["total_rows"] == pr["total_rows"],
                "canton report --offset 3 --empty no = API offset=3&empty=0, 100 rows by default: %d %d"
                % (len(pr.get("rows", [])), len(cli["rows"])))
        # totals only: one row, the totals, also when nothing matches (zeros), API and CLI alike
        for seg in ("", "&segment=page%20%3D%20%22%2Fno-such-page%22"):
            status, pr = get("/api/v1/report?" + q + "&metrics=pageviews,revenue" + seg)
            want = [0, 0] if seg else pr["totals"]["values"]
            t.check(status == 200 and pr["rows"] == [{"keys": [], "values": want}]
                    and pr["totals"]["values"] == want and pr["total_rows"] == 1,
                    "totals only: one row of the totals %r: %r" % (want, pr.get("rows")))
        cli = json.loads(run("report", "--config", conf, "--data", data, "--suite", "demo", "--from", frm,
                             "--to", to, "--metrics", "pageviews,revenue", "--segment",
                             'page = "/no-such-page"', "--format", "json"))
        t.check(cli["rows"] == pr["rows"], "totals only: canton report = API: %r" % cli["rows"])
        # the table's change column is the API's growth, also for a compared value below zero
        # (a loss that shrank grew: growth is the change over the compared value's magnitude)
        status, pr = get("/api/v1/report?" + q + "&calc.x=revenue-1000000&metrics=x,revenue"
                         "&compare=previous_period")
        table = run("report", "--config", conf, "--data", data, "--suite", "demo", "--from", frm,
                    "--to", to, "--calc", "x=revenue-1000000", "--metrics", "x,revenue",
                    "--compare", "previous-period").split("\n")
        want = ["-" if g is None else "%+.1f%%" % g for g in pr["totals"]["growth"]]
        got = table[2].split()[1::2] if len(table) > 2 else []
        t.check(status == 200 and pr["totals"]["compare"][0] < 0 and got == want,
                "canton report's change = the API's growth, below zero too: %r, API %r" % (got, want))
        # a calculated metric no metric asks for: a 400 naming it, not a formula left unread
        status, eb = get("/api/v1/report?" + q + "&metrics=pageviews&calc.rpv=revenue%2Fvisits")
        t.check(status == 400 and eb["error"] ==
                "calc.rpv is not in metrics: add it (metrics=...,rpv) or leave the formula out",
                "an unused calc is a 400: %d %r" % (status, eb))
        # sorting by key: labels by their bytes, both ways; trends by time, both ways
        status, up = get("/api/v1/report?" + q + "&dimension=country&sort=key:asc&limit=0")
        status2, down = get("/api/v1/report?" + q + "&dimension=country&sort=key:desc&limit=0")
        labels = [row["keys"][0].encode() for row in up["rows"]] if status == 200 else []
        t.check(len(labels) > 3 and labels == sorted(labels) and status2 == 200
                and [row["keys"] for row in down["rows"]] == [row["keys"] for row in reversed(up["rows"])],
                "sort=key:asc orders countries by label, key:desc the other way (%r)" % labels[:6])
        cli = json.loads(run("report", "--config", conf, "--data", data, "--suite", "demo", "--from", frm,
                             "--to", to, "--dimension", "country", "--sort", "key:desc", "--limit", "0", "--format", "json"))
        t.check(cli["rows"] == down["rows"], "canton report --sort key:desc = API")
        status, days = get("/api/v1/report?" + q + "&granularity=day&metrics=pageviews&sort=time:desc")
        dates = [row["keys"][0] for row in days["rows"]] if status == 200 else []
        t.check(len(dates) == 7 and dates == sorted(dates, reverse=True) and dates[0] == to,
                "sort=time:desc: the last day first (%r)" % dates)
        # numbered dimensions are named with their number
        status, m4 = get("/api/v1/report?" + q + "&dimension=merch:4&metrics=units")
        status2, e3 = get("/api/v1/report?" + q + "&granularity=week&dimension=evar3")
        t.check(status == 200 and m4["keys"] == ["merch4"] and status2 == 200 and e3["keys"] == ["time", "evar3"],
                "merch:4 answers keys [merch4], evar3 [time, evar3] (%r %r)" % (m4.get("keys"), e3.get("keys")))
        csv_head = run("report", "--config", conf, "--data", data, "--suite", "demo", "--from", frm, "--to", to,
                       "--dimension", "evar:3", "--format", "csv").splitlines()[0]
        t.check(csv_head.startswith("evar3,"), "canton report names the evar3 column (%r)" % csv_head)
        t.check("Usage: canton report [--suite S]" in run("report", "--help"), "--suite shown as optional")
        # a whole month compares with the whole month before
        status, feb = get("/api/v1/report?suite=demo&from=2026-02-01&to=2026-02-28&compare=previous_period")
        status2, nov = get("/api/v1/report?suite=demo&from=2025-11-01&to=2025-11-30&compare=previous_year")
        t.check(status == 200 and (feb["compare_from"], feb["compare_to"]) == ("2026-01-01", "2026-01-31")
                and status2 == 200 and (nov["compare_from"], nov["compare_to"]) == ("2024-11-01", "2024-11-30"),
                "whole months compare with whole months (%r)" % (feb,))
        status, tr = get("/api/v1/report?" + q + "&granularity=day&metrics=pageviews&compare=previous_period")
        t.check(status == 200 and len(tr["rows"]) == 7 and "compare" in tr["rows"][0]
                and tr["compare_to"] < frm, "trend by day with a compared period")
        seg = urllib.parse.quote('visit(country = "US") and pageviews > 0')
        status, sr = get("/api/v1/report?" + q + "&metrics=pageviews&segment=" + seg)
        status2, us = get("/api/v1/report?" + q + "&dimension=country&metrics=pageviews&limit=0")
        us_pv = [row["values"][0] for row in us["rows"] if row["keys"] == ["US"]]
        t.check(status == 200 and us_pv and sr["totals"]["values"][0] == us_pv[0],
                "a visit segment equals the country row")
        t.check(sr.get("segment") == '(visit(country = "US") and pageviews > 0)' and "segment" not in us,
                "the answer gives the segment as read, in canonical form: %r" % sr.get("segment"))

        # funnel, paths, realtime
        fq = q + "&" + urllib.parse.urlencode([("step", "product_views > 0"), ("step", "cart_adds > 0"),
                                              ("step", "orders > 0")])
        status, f = get("/api/v1/funnel?" + fq)
        counts = [s["count"] for s in f["steps"]] if status == 200 else []
        t.check(len(counts) == 3 and counts[0] >= counts[1] >= counts[2] > 0, "funnel narrows: %r" % counts)
        # percentages to 10 significant digits, as reports write them (docs/api.md "Numbers")
        if len(counts) == 3:
            conv = [(s["conversion"], s["conversion_from_start"]) for s in f["steps"]]
            prev = [f["total"]] + counts[:2]
            want = [(float("%.10g" % (c / p * 100)), float("%.10g" % (c / f["total"] * 100)))
                    for c, p in zip(counts, prev)]
            t.check(conv == want, "funnel conversions to 10 significant digits: %r, want %r" % (conv, want))
        status, f2 = post("/api/v1/funnel", {"suite": "demo", "from": frm, "to": to,
                                             "steps": ["product_views > 0", "cart_adds > 0", "orders > 0"]})
        t.check(status == 200 and [s["count"] for s in f2["steps"]] == counts, "funnel POST = GET")
        status, p = get("/api/v1/paths?" + q + "&" + urllib.parse.urlencode([("condition", 'page = "home"')]))
        t.check(status == 200 and p["direction"] == "next" and len(p["rows"]) > 0, "paths after home")
        status, rt = get("/api/v1/realtime?suite=demo&minutes=5")
        t.check(status == 200 and len(rt["minutes"]) == 5, "realtime by minute")

        # tokens
        shop = "/api/v1/report?suite=shop&metrics=pageviews"
        status, e = get(shop)
        t.check(status == 401 and "token" in e["error"], "shop without a token: 401")
        status, e = get(shop, {"Authorization": "Bearer wrong-token-000000000"})
        t.check(status == 401, "shop with a wrong token: 401")
        status, _ = get(shop, {"Authorization": "Bearer config-token-0123456789"})
        t.check(status == 200, "shop with the config's token: 200")
        status, _ = get(shop + "&token=" + made)
        t.check(status == 200, "shop with the created token as ?token=: 200")

        # batch: several GET requests in one POST, answered in order, each as its own GET answers;
        # requests without suite= read the batch's "suite", by default the first the token may read
        items = ["suites", "catalog",
                 "report?" + q + "&dimension=country&metrics=pageviews,visits,visitors,revenue&limit=5",
                 "report?from=%s&to=%s&granularity=day&metrics=pageviews&compare=previous_period" % (frm, to),
                 "/api/v1/funnel?" + fq, "report?" + q + "&dimension=pagez",
                 "report?suite=shop&metrics=pageviews", "nothing", "batch?requests=suites",
                 "report?" + q + "&limit=1&limit=2"]
        status, b = post("/api/v1/batch", {"requests": items})
        codes = [x["status"] for x in b["responses"]] if status == 200 else []
        t.check(codes == [200, 200, 200, 200, 200, 400, 401, 404, 400, 400] and b["suite"] == "demo"
                and b["elapsed_ms"] >= 0, "batch: one answer per request, in order (%d %r)" % (status, codes))
        if len(codes) == len(items):
            body = [x["body"] for x in b["responses"]]
            t.check(body[0] == get("/api/v1/suites")[1] and body[1] == cat, "batch: suites and catalog = GET")
            t.check(body[2]["rows"] == r["rows"] and body[2]["totals"] == r["totals"], "batch: report = GET")
            t.check(body[3]["suite"] == "demo" and body[3]["rows"] == tr["rows"]
                    and body[3]["totals"] == tr["totals"], "batch: a report without suite= reads the default suite")
            t.check([x["count"] for x in body[4]["steps"]] == counts, "batch: funnel = GET")
            t.check("unknown dimension 'pagez'" in body[5]["error"] and "token" in body[6]["error"]
                    and body[7]["error"] == "unknown endpoint in a batch"
                    " (suites, catalog, report, funnel, paths, realtime)"
                    and body[8]["error"] == "a batch cannot hold a batch: list its requests in this one"
                    and body[9]["error"] == "'limit' is given twice (give it once)",
                    "batch: each error says what is wrong")
        status, b = post("/api/v1/batch", {"suite": "shop", "requests": ["report?metrics=pageviews",
                                                                        "report?suite=demo&metrics=pageviews"]},
                         {"Authorization": "Bearer " + made})
        _, alone = get(shop, {"Authorization": "Bearer " + made})
        t.check(status == 200 and b["suite"] == "shop" and [x["status"] for x in b["responses"]] == [200, 200]
                and b["responses"][0]["body"]["totals"] == alone["totals"]
                and b["responses"][1]["body"]["suite"] == "demo", "batch with a token and \"suite\": shop")
        status, b = post("/api/v1/batch", {"requests": ["report?suite=shop&metrics=pageviews"]},
                         {"Authorization": "Bearer wrong-token-000000000"})
        t.check(status == 200 and b["responses"][0]["status"] == 401, "batch: a wrong token gets 401 per request")
        for obj, code, words in [
            ({"requests": []}, 400, "1 to 32 requests"),
            ({"requests": ["catalog"] * 33}, 400, "1 to 32 requests"),
            ({"requests": ["catalog", 7]}, 400, "request 2 is not a string"),
            ({"suite": 3, "requests": ["catalog"]}, 400, "suite"),
            ({"suite": "nope", "requests": ["catalog"]}, 404, "unknown suite 'nope'"),
            ([], 400, "the body must be"),
        ]:
            status, e = post("/api/v1/batch", obj)
            t.check(status == code and words in e.get("error", ""),
                    "batch %r -> %d %r (got %d %r)" % (obj, code, words, status, e))
        status, hdrs, body = srv.request("GET", "/api/v1/batch")
        t.check(status == 405 and b"POST" in body and hdrs.get("allow") == "POST, OPTIONS",
                "GET /api/v1/batch: 405 saying POST, Allow: POST, OPTIONS (got %d %r %r)"
                % (status, hdrs.get("allow"), body))
        for path in ("/api/v1/suites", "/api/v1/catalog?suite=demo"):
            status, hdrs, body = srv.request("POST", path, body=b"{}")
            t.check(status == 405 and b"GET only" in body and hdrs.get("allow") == "GET, OPTIONS",
                    "POST %s: 405, Allow: GET, OPTIONS (got %d %r %r)"
                    % (path, status, hdrs.get("allow"), body))
        status, hdrs, body = srv.request("POST", "/api/v1/batch", body=b"{not json")
        t.check(status == 400 and b"bad JSON" in body, "batch with bad JSON: 400")

        # errors say what is wrong
        for path, code, words in [
            ("/api/v1/report?" + q + "&dimension=pagez", 400, "unknown dimension 'pagez'"),
            ("/api/v1/report?" + q + "&metrics=pageviewz", 400, "unknown metric 'pageviewz'"),
            ("/api/v1/report?suite=demo&from=2026-02-30", 400, "2026-02-30"),
            ("/api/v1/report?" + q + "&segment=" + urllib.parse.quote('visit(country = "US"'), 400, "position 20"),
            ("/api/v1/report?suite=nope", 404, "unknown suite 'nope'"),
            ("/api/v1/report?metrics=pageviews", 400, "which suite"),
            ("/api/v1/funnel?" + q + "&step=" + urllib.parse.quote("orders > 0"), 400, "at least 2 steps"),
            ("/api/v1/nothing", 404, "unknown endpoint"),
            # a preset and days are two answers to "which days": an error naming both
            ("/api/v1/report?" + q + "&range=last_7_days", 400,
             "give either range or from/to, not both (range=last_7_days, from=%s, to=%s)" % (frm, to)),
            ("/api/v1/paths?range=today&suite=demo&length=2&to=" + to, 400,
             "give either range or from/to, not both (range=today, to=%s)" % to),
        ]:
            status, e = get(path)
            t.check(status == code and e is not None and words in e.get("error", ""),
                    "%s -> %d %r (got %d %r)" % (path, code, words, status, e))
        status, hdrs, body = srv.request("POST", "/api/v1/report", body=b"{not json")
        t.check(status == 400 and b"bad JSON" in body, "POST with bad JSON: 400")
        status, e = post("/api/v1/report", {"suite": "demo", "range": "today", "from": frm})
        t.check(status == 400 and "not both (range=today, from=%s)" % frm in e.get("error", ""),
                "POST with range and from: 400 naming both (%d %r)" % (status, e))
        # the command line refuses the same, with the same words
        p = subprocess.run([BIN, "report", "--config", conf, "--data", data, "--suite", "demo",
                            "--range", "last_7_days", "--from", frm], capture_output=True, text=True, timeout=120)
        t.check(p.returncode == 2 and p.stderr.startswith(
            "canton report: give either range or from/to, not both (range=last_7_days, from=%s)" % frm),
            "canton report --range --from: usage error naming both (%d %r)" % (p.returncode, p.stderr))
    t.finish()


if __name__ == "__main__":
    main()
