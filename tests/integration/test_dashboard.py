#!/usr/bin/env python3
"""The dashboard in a real browser against the real server, end to end.

Generates a small history with `canton gen --hitlog`, starts `canton serve`
on it, waits until /api/v1/suites shows the hits, then drives the dashboard
in headless Chromium (tests/browser/drive_dashboard.js: playwright-core with
Debian's /usr/bin/chromium) and checks what it showed against the API:
the overview's headline figures equal the API's totals; a new date range and
a new comparison change the URL and the figures; a click on a country row
adds a filter chip and every panel follows (each table equals the API's
report with that segment); a bad segment shows the API's error with its
position; CSV export downloads the rows shown; every view renders without an
error (e-commerce with the funnel equal to /api/v1/funnel); the geography
map has every country of the API's country dimension, shades the API's
visitors and revenue, shows a tooltip on hover and focus, and a click or
Enter on a country filters by it; the paths view's dimension picker lists
the catalogue's dimensions that paths follow and none with several values per
hit, and a picked one shows the API's paths; the eVars view's pickers list every
variable and event of the catalogue and their filter boxes work, and event10 (the
suite's Shipping, a currency event) is named so and shown in money; phone width has
no horizontal scrolling; the keyboard adds a filter; no console errors.
Each view's reports come in one POST /api/v1/batch: the API requests the
page makes are counted for the first view, a date range change, every view
and a view loaded directly (a batch of 401s asks for the token once and is
asked again as one batch), and tables of those views equal the API's reports.
Every view's period line equals the API's from/to (and compared days);
an hourly trend asked over a year falls back with the hour button disabled;
a range the API refuses shows its error in every panel.
Then live hits (`canton gen --url --live`) and the realtime view shows them
and refreshes. Also checks the serving: / is no-cache, hashed assets are
immutable, gzip. Screenshots go to $CANTON_BUILD/dashboard-screens/.
The page and the checks name their ranges (last_30_days...), which the server
resolves at each request in the suite's time zone (Asia/Shanghai: the day
changes at 16:00 UTC); a walk during which the suite's day changed is walked
and checked again, and only the second walk's checks count.

Exits 77 (Meson's skip) only when /usr/bin/chromium is missing.
"""
import csv
import datetime
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SRC = os.environ.get("CANTON_SRC", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUILD = os.environ.get("CANTON_BUILD", os.path.dirname(os.environ.get("CANTON_BIN", ".")))
DRIVER = os.path.join(SRC, "tests", "browser", "drive_dashboard.js")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canton_test  # noqa: E402

checks = canton_test.Checks()
check = checks.check

# The built-in demo suite (cn_conf_default), with event10, the shipping `canton gen` sends with
# each order, declared a currency event (an order's shipping is in the order's currency).
DEMO_CONFIG = """[server]
trusted_proxies = 127.0.0.1, ::1
[suite demo]
name = Demo shop
timezone = Asia/Shanghai
currency = CNY
home_country = CN
domains = shop.canton.test
event10 = name=Shipping; type=currency
"""
OVERVIEW = ["visitors", "visits", "pageviews", "bounce_rate", "visit_duration", "orders", "revenue", "conversion_rate"]
# The overview's tables: panel -> (dimension, metrics) of its first tab.
TABLES = {"pages": ("page", "pageviews,visitors"), "sources": ("channel", "visitors,visits"),
          "countries": ("country", "visitors,visits"), "devices": ("device", "visitors,visits")}


def api(srv, path, params):
    status, _, body = srv.request("GET", "/api/v1/%s?%s" % (path, urllib.parse.urlencode(params, doseq=True)), timeout=60)
    if status != 200:
        raise canton_test.CantonError("%s %r answered %d: %s" % (path, params, status, body[:300]))
    return json.loads(body)


def quote(v):
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def check_figures(step, shown, params, srv, what):
    r = api(srv, "report", dict(params, metrics=",".join(OVERVIEW)))
    for i, m in enumerate(OVERVIEW):
        check(same(shown["figures"].get(m), r["totals"]["values"][i]),
              "%s: figure %s is %r, the API says %r" % (what, m, shown["figures"].get(m), r["totals"]["values"][i]))
        if "growth" in r["totals"] and r["totals"]["growth"][i] is not None:
            text = shown["growth"].get(m, "")
            num = re.search(r"([\d.]+)%", text)
            check(num is not None and abs(float(num.group(1)) - round(abs(r["totals"]["growth"][i]), 1)) < 0.051,
                  "%s: change of %s shows %r, the API's growth is %r" % (what, m, text, r["totals"]["growth"][i]))
    return r


def check_tables(shown, params, srv, what):
    for panel, (dim, metrics) in TABLES.items():
        t = shown["tables"].get(panel)
        if not check(t is not None and t["dim"] == dim, "%s: panel %s shows %r" % (what, panel, t and t["dim"])):
            continue
        r = api(srv, "report", dict(params, dimension=dim, metrics=metrics, limit=10))
        keys = [row["keys"][0] for row in r["rows"]]
        check(t["keys"] == keys, "%s: panel %s keys %r, the API's %r" % (what, panel, t["keys"][:5], keys[:5]))


def check_map(m, base, srv):
    """The geography map: ISO codes, tooltip, click and Enter filters, revenue."""
    r = api(srv, "report", dict(base, dimension="country", metrics="visitors,revenue", limit=0, empty=0))
    api_rows = {row["keys"][0]: row["values"] for row in r["rows"]}
    check(len(m["codes"]) > 150, "the map draws the world's countries: %d" % len(m["codes"]))
    missing = [k for k in api_rows if k not in m["codes"]]
    check(not missing, "every country of the API's country dimension is on the map: missing %r" % missing)
    shown = dict(m["withData"])
    check(set(shown) == set(api_rows), "the map shades the API's countries: %r vs %r" % (sorted(shown), sorted(api_rows)))
    check(all(same(shown[k], api_rows[k][0]) for k in shown if k in api_rows), "the map's visitors are the API's")
    t = m["target"]
    check(t in m["tip"] and "{:,}".format(int(api_rows[t][0])) in m["tip"],
          "hovering %s shows its visitors (%r): %r" % (t, api_rows.get(t), m["tip"]))
    # one source of country names: the table's label is the map's CSV name and tooltip, with the code
    table = dict(m["tableNames"])
    rows = list(csv.reader(io.StringIO(m["csv"])))
    named = {row[0]: row[1] for row in rows[1:]}
    check(rows and rows[0][:2] == ["country", "name"] and set(named) == set(api_rows),
          "the map's CSV has the API's countries: %r" % rows[:3])
    check("US" in table and table["US"] == "United States (US)", "the table names US: %r" % table.get("US"))
    bad = [(k, v, named.get(k)) for k, v in table.items() if v != (named[k] + " (" + k + ")" if named.get(k) else k)]
    check(table and not bad, "the map's CSV names countries as the table does: %r" % bad)
    check(m["tipName"] == table.get(t), "the tooltip names %s as the table does: %r vs %r" % (t, m["tipName"], table.get(t)))
    check("f=country%3A" + t in m["clickedQuery"], "a click on %s filters by it: %r" % (t, m["clickedQuery"]))
    ct = m["clicked"]["tables"].get("country") or {}
    check(ct.get("keys") == [t], "after the click the countries table shows only %s: %r" % (t, ct.get("keys")))
    check(not m["clicked"]["errors"], "the filtered geography view shows no error: %r" % m["clicked"]["errors"])
    k = m["keyboardCountry"]
    check(m["focusTip"] and "(" + k + ")" in m["focusTip"], "focus on %s shows its tooltip: %r" % (k, m["focusTip"]))
    check(m["focusLabel"] and "{:,}".format(int(api_rows[k][0])) in m["focusLabel"],
          "the focused country's accessible name has its visitors: %r" % m["focusLabel"])
    check("f=country%3A" + k in m["keyboardQuery"], "Enter on %s filters by it: %r" % (k, m["keyboardQuery"]))
    rv = m["revenue"]
    check("metric=revenue" in rv["query"] and "Revenue" in rv["title"], "the revenue switch: %r" % rv)
    rshown = dict(rv["withData"])
    check(all(same(rshown.get(c), v[1]) for c, v in api_rows.items()), "the map's revenue is the API's")


def check_pickers(p, srv):
    """The eVars view lists every variable and event of the catalogue, with a filter box."""
    cat = api(srv, "catalog", {})
    want = []
    for d in cat["dimensions"]:
        m = re.match(r"^(evar|prop|list|hier|merch)1\.\.\1(\d+)$", d["name"])
        if m:
            want += ["%s%d" % (m.group(1), i) for i in range(1, int(m.group(2)) + 1)]
    check(len(want) > 300 and p["vars"] == want, "the variable picker lists all %d of the catalogue: %d" % (len(want), len(p["vars"])))
    check(p["events"] == ["event%d" % i for i in range(1, 1001)], "the event picker lists event1..event1000: %d" % len(p["events"]))
    check(p["filtered"] == ["prop7"] + ["prop%d" % i for i in range(70, 76)], "the filter box narrows to prop7, prop70..75: %r" % p["filtered"])
    check(p["count"].startswith("%d of " % len(p["filtered"])), "the picker counts what it shows: %r" % p["count"])
    check("var=prop7" in p["varQuery"] and p["varTable"] == "prop7", "Enter picks the first: %r %r" % (p["varQuery"], p["varTable"]))
    check(p["eventFiltered"][0] == "event10" and "event100" in p["eventFiltered"], "the event filter: %r" % p["eventFiltered"][:5])
    check("ev=event10" in p["eventQuery"] and p["eventChart"] >= 1, "a picked event is charted: %r %r" % (p["eventQuery"], p["eventChart"]))
    # event10 is the suite's Shipping, a currency event: named so, and shown as money (as
    # revenue is: the suite's currency, 2 decimals under 1,000, none above), not as a count
    row = p.get("eventRow") or []
    q = dict(urllib.parse.parse_qsl(p.get("eventSearch", "").lstrip("?")))
    r = api(srv, "report", {"suite": "demo", "range": q.get("range", "last_30_days"), "metrics": "event10"})
    total = r["totals"]["values"][0]
    big = abs(total) >= 1000
    m = re.match(r"CN\u00a5(-?[\d,]+%s)" % ("" if big else r"\.\d\d"), row[1] if len(row) == 2 else "")
    shown = float(m.group(1).replace(",", "")) if m else None
    check(len(row) == 2 and row[0] == "Shipping" and shown is not None
          and abs(shown - total) <= (0.5 if big else 0.005) + 1e-9,
          "event10 in the event totals is Shipping, in money (the API's %r): %r" % (total, row))
    check(p.get("eventTitle", "").startswith("Shipping over time"), "the picked event's chart is titled by its name: %r"
          % p.get("eventTitle"))


def check_path_picker(pp, srv):
    """The paths view offers the dimensions the catalogue says paths follow, and none with several
    values per hit (listN, product, category, merchN: /api/v1/paths refuses them); a picked one
    shows the API's paths."""
    cat = api(srv, "catalog", {})
    want, multi = [], []
    for d in cat["dimensions"]:
        m = re.match(r"^([a-z]+)(\d+)\.\.\1(\d+)$", d["name"])
        names = ["%s%d" % (m.group(1), i) for i in range(int(m.group(2)), int(m.group(3)) + 1)] if m else [d["name"]]
        if d.get("multi"):
            multi += names
        elif d.get("paths"):
            want += names
    check(len(want) > 300 and pp["dims"] == want,
          "the path picker lists the %d dimensions paths follow: %d (%r...)" % (len(want), len(pp["dims"]), pp["dims"][:5]))
    check(multi and not set(multi) & set(pp["dims"]) and "product" not in pp["dims"] and "list1" not in pp["dims"],
          "the path picker offers no dimension with several values per hit: %r" % sorted(set(multi) & set(pp["dims"]))[:5])
    check({"page", "evar1", "prop1", "section"} <= set(pp["dims"]) and pp["selected"] == "page",
          "the path picker offers page (picked), evar1, prop1, section: %r" % pp["selected"])
    if not check(pp["selected"] is not None, "the paths view has a dimension picker"):
        return
    check(pp["filtered"] == ["section"], "the path picker's filter box narrows to section: %r" % pp["filtered"])
    s = pp["picked"]
    check("pathdim=section" in s["query"] and not s["errors"] and pp["label"] == "Site section",
          "a picked path dimension is in the URL and shows no error: %r %r %r" % (s["query"], s["errors"], pp["label"]))
    params = {"suite": "demo", "range": "last_30_days", "dimension": "section", "limit": 15}

    def same_paths(snap, repeats, what):
        """The path tables of snap are the API's with repeats (None: left out, the default)."""
        for panel, extra in (("path-next", {"condition": "section = " + quote(pp["value"]), "direction": "next"}),
                             ("path-previous", {"condition": "section = " + quote(pp["value"]),
                                                "direction": "previous"}),
                             ("path-pairs", {"length": 2})):
            r = api(srv, "paths", dict(params, **extra, **({"repeats": repeats} if repeats else {})))
            shown = snap["tables"].get(panel, {}).get("rows") or []
            check(r["rows"] and [row[0] for row in shown] == [" → ".join(k or "(none)" for k in x["keys"])
                                                              for x in r["rows"]]
                  and [int(re.sub(r"\D", "", row[1])) for row in shown] == [x["count"] for x in r["rows"]],
                  "paths by section%s, %s: %r, the API's %r" % (what, panel, shown[:3], r["rows"][:3]))
            yield r

    # without repeats (the default) no pair is a section and itself; with them, sections persist
    # over page views, so some are
    pairs = list(same_paths(s, None, ""))[2]
    check(all(x["keys"][0] != x["keys"][1] for x in pairs["rows"]),
          "paths by section: no pair repeats a value by default: %r" % pairs["rows"][:3])
    check(pp.get("repeatsBefore") is False, "Include repeats is off by default: %r" % pp.get("repeatsBefore"))
    r = pp.get("repeats")
    if check(r is not None and "repeats=include" in r["query"] and "pathdim=section" in r["query"]
             and not r["errors"] and pp.get("repeatsAfter") is True and pp.get("repeatsValue") == pp["value"],
             "Include repeats ticked: in the URL, the dimension and value kept, no error: %r %r" %
             (r and r["query"], r and r["errors"])):
        pairs = list(same_paths(r, "include", " with repeats"))[2]
        check(any(x["keys"][0] == x["keys"][1] for x in pairs["rows"]),
              "paths by section with repeats: a section follows itself: %r" % pairs["rows"][:3])
    off = pp.get("repeatsOff")
    if check(off is not None and "repeats=" not in off["query"], "Include repeats unticked: out of the URL"):
        list(same_paths(off, None, " (repeats unticked)"))


# The reports (and funnels, paths) each view asks: one batch of this many.
VIEW_BATCH = {"pages": 5, "acquisition": 5, "geography": 6, "technology": 4, "ecommerce": 6, "vars": 2}


def check_one_batch(reqs, n, what, kinds=("report?", "funnel?")):
    """reqs (the page's API requests during a step) are one POST /api/v1/batch of n distinct requests."""
    if not check(reqs is not None and len(reqs) == 1, "%s: one API request, not %r" %
                 (what, [(r["method"], r["path"]) for r in reqs or []])):
        return None
    b = reqs[0]
    items = b.get("requests") or []
    check(b["method"] == "POST" and b["path"] == "/api/v1/batch" and b.get("status") == 200,
          "%s: the request is POST /api/v1/batch answered 200: %s %s %r" % (what, b["method"], b["path"], b.get("status")))
    check(len(items) == n and len(set(items)) == n and all(x.startswith(kinds) for x in items),
          "%s: the batch holds the view's %d requests: %r" % (what, n, items))
    check(b.get("statuses") == [200] * len(items), "%s: each answered 200: %r" % (what, b.get("statuses")))
    return items


def check_shown_table(t, srv, params, what):
    """A table shown (panel snapshot) equals the API's report: keys, and the first metric of each row."""
    r = api(srv, "report", params)
    if not check(t is not None and t["keys"], "%s: the table is shown" % what):
        return
    check(t["keys"] == [row["keys"][0] for row in r["rows"]], "%s: keys %r, the API's %r" %
          (what, t["keys"][:4], [row["keys"][0] for row in r["rows"]][:4]))
    shown = [float(re.sub(r"[^\d.]", "", row[1])) if re.search(r"\d", row[1]) else None for row in t["rows"]]
    check(all(same(a, b["values"][0]) for a, b in zip(shown, r["rows"])) and len(shown) == len(r["rows"]),
          "%s: first column %r, the API's %r" % (what, shown[:4], [row["values"][0] for row in r["rows"]][:4]))


def check_requests(res, srv, base):
    """Each view's reports came in one batch, and what they show is the API's."""
    req = res["requests"]
    views = res["views"]
    items = check_one_batch(req.get("first"), 7, "first view", ("suites", "catalog", "report?"))
    if items:
        check(items[:2] == ["suites", "catalog"], "the first view's batch asks /suites and /catalog: %r" % items[:2])
    check_one_batch(req.get("range"), 5, "date range change", ("report?",))
    for v, n in VIEW_BATCH.items():
        check_one_batch(req.get(v), n, "view " + v)
    # Paths: the top pages (its input's list and the page to start from), then the three path tables at once.
    p = req.get("paths") or []
    check(len(p) == 2 and p[0]["method"] == "GET" and p[0]["path"] == "/api/v1/report"
          and p[1]["path"] == "/api/v1/batch" and len(p[1].get("requests") or []) == 3
          and all(x.startswith("paths?") for x in p[1]["requests"]),
          "view paths: the top pages, then one batch of 3 paths: %r" % [(x["method"], x["path"], x.get("requests")) for x in p])
    rt = req.get("realtime") or []
    check(len(rt) == 1 and rt[0]["method"] == "GET" and rt[0]["path"] == "/api/v1/realtime",
          "view realtime: one request, a plain GET: %r" % [(x["method"], x["path"]) for x in rt])
    d = req.get("direct") or []
    if check(len(d) == 2 and all(x["path"] == "/api/v1/batch" for x in d),
             "a view loaded directly: two batches: %r" % [(x["method"], x["path"]) for x in d]):
        check(d[0].get("requests") == ["suites", "catalog"], "boot.js's batch: %r" % d[0].get("requests"))
        check_one_batch(d[1:], 5, "acquisition loaded directly")
    # A batch that fails (503 from the test's route): its requests go again as plain GETs.
    fb = req.get("fallback") or []
    gets = sorted(x["path"] for x in fb if x["method"] == "GET")
    check(fb and all(x.get("status") == 503 for x in fb if x["path"] == "/api/v1/batch")
          and gets == ["/api/v1/catalog"] + ["/api/v1/report"] * 4 + ["/api/v1/suites"],
          "a failed batch: its requests asked as plain GETs: %r" % [(x["method"], x["path"], x.get("status")) for x in fb])
    check(not views.get("fallback", {}).get("errors") and res.get("expected503"),
          "the view renders after failed batches: %r" % views.get("fallback", {}).get("errors"))
    check_shown_table(views.get("fallback", {}).get("tables", {}).get("device"), srv,
                      dict(base, range="last_7_days", dimension="device", metrics="visitors,visits,bounce_rate", limit=10),
                      "technology view by plain GETs, devices")
    # What the batched views show equals the API's reports.
    cmp = dict(base)
    check_shown_table(views.get("pages", {}).get("tables", {}).get("page"), srv,
                      dict(cmp, dimension="page", metrics="pageviews,visitors,visits,time_on_page,visit_duration", limit=25),
                      "pages view, page table")
    check_shown_table(views.get("acquisition", {}).get("tables", {}).get("channel"), srv,
                      dict(cmp, dimension="channel", metrics="visits,visitors,bounce_rate,conversion_rate,revenue", limit=15),
                      "acquisition view, channels")
    check_shown_table(views.get("technology", {}).get("tables", {}).get("device"), srv,
                      dict(cmp, dimension="device", metrics="visitors,visits,bounce_rate", limit=10),
                      "technology view, devices")
    check_shown_table(views.get("geography", {}).get("tables", {}).get("country"), srv,
                      dict(cmp, dimension="country", metrics="visits,visitors,orders,revenue", limit=25),
                      "geography view, countries")
    check_shown_table(views.get("direct", {}).get("tables", {}).get("channel"), srv,
                      dict(cmp, range="last_90_days", dimension="channel",
                           metrics="visits,visitors,bounce_rate,conversion_rate,revenue", limit=15),
                      "acquisition loaded directly, channels")


def wait_processed(srv, deadline, records):
    """Waits until processing has taken the hitlog's records (the counter moves once a pass has
    reached the end and checkpointed) and the store's hit count stays put: a pause between
    publications does not end the wait (over 1.5 s on a busy machine)."""
    last, stable_since = None, None
    while time.monotonic() < deadline:
        try:
            s = api(srv, "suites", {})
            hits = sum(x.get("hits", 0) for x in s["suites"])
            if srv.metrics().get("canton_process_raw_hits_total", 0) < records:
                hits = None
        except (canton_test.CantonError, OSError, ValueError):
            hits = None
        if hits and hits == last:
            if time.monotonic() - stable_since > 2:
                return hits
        else:
            last, stable_since = hits, time.monotonic()
        time.sleep(0.3)
    return None


def node(srv, shots, phase):
    out = subprocess.run(["node", DRIVER, srv.url, shots, phase], cwd=SRC, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=400)
    sys.stderr.write(out.stderr.decode("utf-8", "replace")[-4000:])
    try:
        return json.loads(out.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise canton_test.CantonError("drive_dashboard.js printed no result (exit %d)" % out.returncode)


def check_serving(srv):
    status, headers, body = srv.request("GET", "/", headers={"Accept-Encoding": "gzip"})
    check(status == 200 and headers.get("content-type", "").startswith("text/html"), "GET / is the dashboard")
    check(headers.get("cache-control") == "no-cache", "/ is no-cache: %r" % headers.get("cache-control"))
    check(headers.get("content-encoding") == "gzip", "/ is gzipped")
    status, headers, html = srv.request("GET", "/")
    assets = re.findall(r'(?:src|href)="(/assets/[^"]+)"', html.decode())
    check(len(assets) == 4, "index.html names 4 hashed assets: %r" % assets)
    for a in assets:
        status, headers, body = srv.request("GET", a)
        check(status == 200 and "immutable" in headers.get("cache-control", "") and "max-age=31536000" in headers.get("cache-control", ""),
              "%s: 200, cached for a year: %d %r" % (a, status, headers.get("cache-control")))
        ctype = "text/css" if a.endswith(".css") else "application/javascript"
        check(headers.get("content-type", "").startswith(ctype), "%s has type %r" % (a, headers.get("content-type")))
        status, _, _ = srv.request("GET", a, headers={"If-None-Match": headers.get("etag", "")})
        check(status == 304, "%s: 304 on its ETag" % a)
    m = re.search(r'name="canton-map" content="(/assets/world\.[0-9a-f]{10}\.json)"', html.decode())
    if check(m is not None, "index.html names the map's data"):
        status, headers, body = srv.request("GET", m.group(1), headers={"Accept-Encoding": "gzip"})
        check(status == 200 and headers.get("content-type", "").startswith("application/json")
              and "immutable" in headers.get("cache-control", "") and headers.get("content-encoding") == "gzip",
              "the map's data: 200, JSON, immutable, gzip: %d %r" % (status, headers))
        status, _, body = srv.request("GET", m.group(1))
        world = json.loads(body)
        drawn = {c[0] for c in world["countries"]} | {d[0] for d in world["dots"]}
        with open(os.path.join(SRC, "node_modules", "i18n-iso-countries", "codes.json"), encoding="utf-8") as f:
            iso = {row[0] for row in json.load(f)}
        check(iso - drawn == {"AQ"} and drawn <= iso | {"XK"},
              "the map has every ISO 3166-1 alpha-2 code but Antarctica: missing %r, unknown %r"
              % (sorted(iso - drawn), sorted(drawn - iso)))
    check("{{" not in html.decode() and "window.cantonBoot" in html.decode(), "index.html has boot.js inlined")
    status, _, _ = srv.request("GET", "/assets/app.0000000000.js")
    check(status == 404, "an unknown asset is 404")


def period_text(r):
    """The dashboard's period line for a report's answer (without the time zone)."""
    t = r["from"] if r["from"] == r["to"] else "%s – %s" % (r["from"], r["to"])
    if r.get("compare_from"):
        t += "  ·  compared with " + (r["compare_from"] if r["compare_from"] == r["compare_to"]
                                      else "%s – %s" % (r["compare_from"], r["compare_to"]))
    return t


def check_periods(res, srv, base):
    """Every view says which days it shows (and compares with); realtime, a range of none."""
    want = period_text(api(srv, "report", base))
    for v in ["overview", "pages", "acquisition", "geography", "technology", "ecommerce", "vars"]:
        s = res["views"].get(v)
        if s is not None:
            check(s["period"].startswith(want + "  ("), "view %s shows the period %r: %r" % (v, want, s["period"]))
    if "paths" in res["views"]:
        plain = period_text(api(srv, "report", dict(base, compare="")))
        check(res["views"]["paths"]["period"].startswith(plain + "  ("),
              "paths (never compared) shows the period %r: %r" % (plain, res["views"]["paths"]["period"]))
    if "realtime" in res["views"]:
        check(res["views"]["realtime"]["period"] == "", "realtime shows no date range: %r" % res["views"]["realtime"]["period"])
    # The technology view loaded directly (its tables only): the period of its range.
    if "fallback" in res["views"]:
        want = period_text(api(srv, "report", dict(base, range="last_7_days")))
        check(res["views"]["fallback"]["period"].startswith(want + "  ("),
              "a view of tables loaded directly shows the period %r: %r" % (want, res["views"]["fallback"]["period"]))
    lh = res["steps"].get("longHours")
    if check(lh is not None, "the hourly trend over a year was tried"):
        check(not lh["errors"] and lh["charts"] >= 1, "an hourly trend over a year falls back: %r" % lh["errors"])
        check(lh["hourDisabled"] and lh["gran"] == ["week"], "the hour button is disabled, weeks shown: %r" % lh)
        check_figures("longHours", lh, dict(base, range="last_12_months"), srv, "last 12 months")
    br = res["steps"].get("badRange")
    if check(br is not None, "a refused range was tried"):
        panels = ["figures", "trend", "pages", "sources", "countries", "devices"]
        check(sorted(e.split(": ", 1)[0] for e in br["errors"]) == sorted(panels) and
              all(e.endswith(": from is after to") for e in br["errors"]) and not br["loading"],
              "each panel shows the API's error: %r, loading %r" % (br["errors"], br["loading"]))


def check_period_start(res):
    """A preset's trend granularity follows the days the server gives it in the suite's zone."""
    ps = res["steps"].get("periodStart")
    # (browser clock, range): the granularity; Shanghai's day, not UTC's, decides
    want = [("2026-11-30T17:00:00Z", "month_to_date", "hour"),  # December 1 (1 day)
            ("2026-12-20T04:00:00Z", "month_to_date", "day"),  # 20 days
            ("2027-01-10T04:00:00Z", "year_to_date", "day"),  # 10 days
            ("2027-04-01T04:00:00Z", "year_to_date", "day"),  # 91 days
            ("2027-03-01T04:00:00Z", "last_month", "day")]  # February, 28 days
    if check(ps is not None, "presets early in their period were tried"):
        got = [(x["at"], x["range"], x["gran"], x["asked"]) for x in ps]
        check(got == [(a, r, [g], [g]) for a, r, g in want], "the trend's granularity by the range's days: %r" % got)


def suite_day(srv):
    """The suite's today (in its time zone, Asia/Shanghai), as the server resolves range=today."""
    return api(srv, "report", {"suite": "demo", "range": "today", "metrics": "visits"})["from"]


def walk_same_day(srv, shots, today):
    """The browser walk and its checks against the API, within one day of the suite.

    The page asks for ranges by name (range=last_30_days, boot.js base()) and so do the checks;
    the server resolves each request's range against its own clock (cn_report_resolve_range,
    with the time run_job reads), in the suite's time zone. When the suite's day changes
    between the page's requests and the checks' (16:00 UTC for Asia/Shanghai), the two ask
    for days one apart. The day is read before the walk and after its last check: if it
    changed, the walk and its checks are done again and the first walk's failures do not
    count. Once is enough: the next change is a day later."""
    for attempt in (1, 2):
        day, failed, count = suite_day(srv), len(checks.failed), checks.count
        walk(srv, shots, today)
        after = suite_day(srv)
        if after == day or attempt == 2:
            return
        print("the suite's day changed during the walk (%s, then %s): walking again; failures above "
              "this line do not count" % (day, after), flush=True)
        del checks.failed[failed:]
        checks.count = count


def walk(srv, shots, today):
    """Drives the dashboard through its steps and views and checks what it showed against the API."""
    os.environ["CANTON_TEST_FROM"] = str(today - datetime.timedelta(days=20))
    os.environ["CANTON_TEST_TO"] = str(today - datetime.timedelta(days=6))
    res = node(srv, shots, "main")
    check(not res.get("failure"), "the browser walk finished: %s" % res.get("failure"))
    steps, views = res["steps"], res["views"]
    base = {"suite": "demo", "range": "last_30_days", "compare": "previous_period"}

    # Headline figures and tables of the first view equal the API's.
    if "overview" in steps:
        ov = steps["overview"]
        check_figures("overview", ov, base, srv, "overview")
        check_tables(ov, base, srv, "overview")
        check(ov["charts"] >= 1, "overview draws the trend chart")
        check(not ov["errors"], "overview shows no error: %r" % ov["errors"])
        check("DB-IP" in open(os.path.join(SRC, "web", "dashboard", "index.html")).read(), "DB-IP attribution")
    # A new range, then a new comparison: URL and figures change.
    if "range" in steps:
        r7 = steps["range"]
        check("range=last_7_days" in r7["query"], "the range is in the URL: %r" % r7["query"])
        check_figures("range", r7, dict(base, range="last_7_days"), srv, "last 7 days")
        check(r7["figures"]["visits"] != steps["overview"]["figures"]["visits"], "the range changes the figures")
    if "compare" in steps:
        c = steps["compare"]
        check("compare=previous_year" in c["query"], "the comparison is in the URL: %r" % c["query"])
        check_figures("compare", c, dict(base, range="last_7_days", compare="previous_year"), srv, "vs previous year")
        check(c["growth"] != steps["range"]["growth"], "the comparison changes the changes shown")
    if "custom" in steps:
        cu = steps["custom"]
        check("range=custom" in cu["query"] and "from=" + os.environ["CANTON_TEST_FROM"] in cu["query"],
              "a custom range is in the URL: %r" % cu["query"])
        check_figures("custom", cu, {"suite": "demo", "from": os.environ["CANTON_TEST_FROM"],
                                     "to": os.environ["CANTON_TEST_TO"], "compare": "previous_year"}, srv, "custom range")
    # A click on a country row filters every panel.
    if "filtered" in steps:
        f = steps["filtered"]
        key = steps["clicked"].strip()
        check("f=country%3A" + urllib.parse.quote(key, safe="") in f["query"] or
              "f=" + urllib.parse.quote_plus("country:" + key) in f["query"],
              "the filter is in the URL: %r" % f["query"])
        check(any(key in chip for chip in f["chips"]), "a chip names the filter: %r" % f["chips"])
        check(steps["clickedText"].endswith("(" + key + ")") and len(steps["clickedText"]) > len(key) + 3,
              "the country row shows its name and code: %r" % steps["clickedText"])
        fp = dict(base, segment="country = " + quote(key))
        check_figures("filtered", f, fp, srv, "filtered")
        check_tables(f, fp, srv, "filtered")
        check(f["tables"]["countries"]["keys"] == [key], "countries shows only %r: %r" % (key, f["tables"]["countries"]["keys"]))
        check(f["figures"]["visits"] < steps["overview"]["figures"]["visits"], "the filter lowers the visits")
        # CSV of the filtered pages table: the rows shown, with the API's numbers.
        if "csv" in steps:
            rows = list(csv.reader(io.StringIO(steps["csv"]["text"])))
            shown = f["tables"]["pages"]
            check(steps["csv"]["name"].endswith(".csv"), "CSV file name %r" % steps["csv"]["name"])
            check(len(rows) == len(shown["keys"]) + 1, "CSV has %d rows + header, %d shown" % (len(rows) - 1, len(shown["keys"])))
            check([r[0] for r in rows[1:]] == [k or "(none)" for k in shown["keys"]], "CSV keys are the rows shown")
            api_rows = api(srv, "report", dict(fp, dimension="page", metrics="pageviews,visitors", limit=10))["rows"]
            check(all(same(float(r[1]), a["values"][0]) for r, a in zip(rows[1:], api_rows)), "CSV values are the API's")
    if "unfiltered" in steps:
        check("f=" not in steps["unfiltered"]["query"] and not steps["unfiltered"]["chips"], "the chip removes the filter")
    if "badSegment" in steps:
        b = steps["badSegment"]
        check("segment" in b["error"] and "position" in b["error"] and b["position"], "a bad segment shows its error: %r" % b["error"])
        check("^" in b["error"], "the error marks the position")
        check("segment=" not in b["url"], "a bad segment is not applied")
    if "goodSegment" in steps:
        check_figures("segment", steps["goodSegment"], dict(base, segment='(visit(device = "mobile"))'), srv, "segment")
    # Every view renders, without an error.
    for v in ["overview", "pages", "acquisition", "geography", "technology", "ecommerce", "paths", "vars", "realtime"]:
        s = views.get(v)
        if not check(s is not None, "view %s rendered" % v):
            continue
        check(not s["errors"], "view %s shows no error: %r" % (v, s["errors"]))
        check(not s["cut"], "view %s shows every figure of its tables whole: %r" % (v, s["cut"][:5]))
        check(any(t["keys"] for t in s["tables"].values()) or s["charts"] or v in ("realtime", "vars"),
              "view %s shows data" % v)
    if "ecommerce" in views:
        fun = api(srv, "funnel", {"suite": "demo", "range": "last_30_days",
                                  "step": ["product_views > 0", "cart_adds > 0", "checkouts > 0", "orders > 0"]})
        check(views["ecommerce"]["funnel"] == [s["count"] for s in fun["steps"]],
              "funnel shows %r, the API %r" % (views["ecommerce"]["funnel"], [s["count"] for s in fun["steps"]]))
        check(views["ecommerce"]["charts"] >= 1, "e-commerce draws its trend")
    if "map" in res:
        check_map(res["map"], base, srv)
    if check("pickers" in res, "the eVars view's pickers were checked"):
        check_pickers(res["pickers"], srv)
    if "darkMap" in steps:
        check(steps["darkMap"]["countries"] > 150, "the map draws in the dark scheme: %r" % steps["darkMap"])
    check("map" in res, "the geography map was checked")
    if "paths" in views:
        check(views["paths"]["tables"].get("path-next", {}).get("keys") is not None, "paths shows next pages")
    if check("pathPicker" in res, "the paths view's dimension picker was checked"):
        check_path_picker(res["pathPicker"], srv)
    check("realtime_refreshed" in views, "realtime refreshes by itself")
    for v, p in res["phone"].items():
        check(p["overflow"] <= 1, "view %s at phone width scrolls sideways by %dpx" % (v, p["overflow"]))
    if "geography" in res["phone"]:
        check(res["phone"]["geography"]["map"] and res["phone"]["geography"]["map"] <= 390,
              "the map fits a phone's width: %r" % res["phone"]["geography"]["map"])
    check(len(res["phone"]) == 9, "every view at phone width")
    if "dark" in steps:
        check(steps["dark"]["theme"] == "dark" and steps["dark"]["bg"] != "rgb(246, 247, 249)", "the toggle switches to dark: %r" % steps["dark"])
    if "keyboard" in steps:
        check("f=device" in steps["keyboard"]["query"], "Enter on a focused row filters")
    check(not res["console"], "no console errors: %r" % res["console"][:5])
    check_requests(res, srv, base)
    check_periods(res, srv, base)
    check_period_start(res)


def main():
    if not os.path.exists(CHROMIUM):
        print("no %s: skipped" % CHROMIUM)
        sys.exit(77)
    shots = os.path.join(BUILD, "dashboard-screens")
    shutil.rmtree(shots, ignore_errors=True)
    data = tempfile.mkdtemp(prefix="canton-dash-")
    today = datetime.datetime.now(datetime.timezone.utc).date()
    gen = [canton_test.BIN, "gen", "--suite", "demo", "--from", str(today - datetime.timedelta(days=70)),
           "--to", str(today - datetime.timedelta(days=1)), "--visits-per-day", "60", "--quiet"]
    subprocess.run(gen + ["--hitlog", os.path.join(data, "hitlog")], check=True, timeout=300)
    dump = subprocess.run([canton_test.BIN, "hitlog", "dump", "--data", data], stdout=subprocess.PIPE, check=True,
                          timeout=300)
    records = len(dump.stdout.splitlines())
    live = None
    try:
        with canton_test.Canton(config=DEMO_CONFIG, data=data) as srv:
            hits = wait_processed(srv, time.monotonic() + 120, records)
            if not check(hits, "/api/v1/suites shows the generated hits"):
                checks.finish()
            print("processed: %d hits" % hits)
            check_serving(srv)
            # The page's ranges (range=last_30_days...) and this test's are resolved by the server
            # at each request, in the suite's time zone; a walk during which the suite's day
            # changes is walked again (see walk_same_day).
            walk_same_day(srv, shots, today)

            # Live hits: realtime shows them and refreshes.
            live = subprocess.Popen([canton_test.BIN, "gen", "--suite", "demo", "--url", srv.url, "--live", "--rate", "20",
                                     "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not api(srv, "realtime", {"suite": "demo"}).get("hits"):
                time.sleep(0.5)
            rt = node(srv, shots, "realtime")
            check(not rt.get("failure"), "realtime walk finished: %s" % rt.get("failure"))
            s = rt["views"].get("realtime_refreshed") or {}
            check(s.get("figures", {}).get("hits", 0) > 0, "realtime shows live hits: %r" % s.get("figures"))
            check(s.get("charts", 0) >= 1, "realtime draws its chart")
            check(not rt["console"], "realtime: no console errors: %r" % rt["console"][:5])
            live.send_signal(2)
            live.wait(30)
            live = None
    finally:
        if live is not None:
            live.kill()
            live.wait()
        shutil.rmtree(data, ignore_errors=True)
    # A suite with a token: the dashboard asks for it once per session.
    tok = "dashboard-test-token-0123456789"
    os.environ["CANTON_TEST_TOKEN"] = tok
    with canton_test.Canton(config="[suite demo]\ntokens = %s\n" % tok) as srv:
        status, _, _ = srv.request("GET", "/api/v1/report?suite=demo")
        check(status == 401, "the API wants the token: %d" % status)
        res = node(srv, shots, "token")
        check(not res.get("failure"), "token walk finished: %s" % res.get("failure"))
        st = res["steps"]
        check("token" in st.get("dialog", ""), "the dialog asks for a token: %r" % st.get("dialog"))
        check(st.get("stored") == tok, "the token is kept in sessionStorage")
        a = st.get("afterToken") or {}
        check(not a.get("errors") and "visits" in a.get("figures", {}), "with the token the overview renders: %r" % a.get("errors"))
        r = st.get("reloaded") or {}
        check(r.get("dialogOpen") is False and "visits" in r.get("snap", {}).get("figures", {}), "a reload does not ask again")
        t = res["requests"].get("token401") or []
        check("does not grant" in st.get("dialog401", ""), "a 401 inside a batch asks for the token: %r" % st.get("dialog401"))
        check(len(t) == 2 and all(x["path"] == "/api/v1/batch" and len(x.get("requests") or []) == 4 for x in t)
              and t[0].get("statuses") == [401] * 4 and t[1].get("statuses") == [200] * 4 and t[0]["requests"] == t[1]["requests"],
              "the view's batch answered 401 each, then asked again as one batch: %r"
              % [(x["path"], x.get("requests"), x.get("statuses")) for x in t])
        rt = st.get("retried") or {}
        check(not rt.get("errors") and rt.get("tables", {}).get("device", {}).get("dim") == "device",
              "with the token again the view renders: %r" % rt.get("errors"))
        check(not res["console"] or all("status of 401" in c for c in res["console"]),
              "token: no console errors but the 401: %r" % res["console"][:5])
    n = len([x for x in os.listdir(shots) if x.endswith(".png")]) if os.path.isdir(shots) else 0
    check(n >= 18, "screenshots saved: %d in %s" % (n, shots))
    checks.finish()


if __name__ == "__main__":
    main()
