"""Imported logs end to end: `canton import` -> `canton process` -> `canton report`.

A generated nginx combined log (bench/import/genlog.py: pages, 30% static assets,
3xx/4xx/5xx, bots, campaigns, 30 days) plus a few hand-written lines is imported,
processed, and reported. The report must equal counts computed here from the log:
  hits (bots included)       == every valid line
  pageviews (bots included)  == GET and POST lines with status 2xx or 304, not a static asset
  visitors (bots included)   == distinct (IP, UTC date, UA): the cookieless key
  the same without bots, and campaign hits by utm_campaign.
With GoAccess installed, canton agrees with GoAccess's JSON report on the same log:
total requests == hits with bots; unique visitors == visitors with bots over hits whose
status is not 4xx (GoAccess leaves 4xx out unless --4xx-to-unique-count), the status
being a prop set from the context data `http.status` (docs/processing.md).
`canton import --process` (processing in a thread while importing) gives the same report, and
importing the same file again adds and processes nothing.
Then `canton export --format ndjson` imports back into a new data folder with the same
hits, page views, visits and visitors by page (docs/processing.md "Imported hits").
"""
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import canton_test  # noqa: E402

BIN = canton_test.BIN
SRC = os.environ.get("CANTON_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))

STATIC = set("css js mjs map png jpg jpeg gif webp avif svg ico bmp tif tiff woff woff2 ttf otf "
             "eot mp4 webm mp3 ogg wav flac m4a mov avi txt xml pdf zip gz tgz tar rar 7z exe dmg "
             "iso swf flv json".split())
MONTHS = {m: i + 1 for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())}
CONF = """[server]
data = %s
[suite demo]
currency = CNY
timezone = UTC
prop1 = name=HTTP status; from=c.http.status
"""
EXTRA = [
    '10.9.9.9 - - [03/Nov/2024:10:00:00 +0000] "GET /cart HTTP/1.1" 304 0 "-" "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"\n',
    '10.9.9.9 - - [03/Nov/2024:10:00:01 +0000] "GET /old HTTP/1.1" 301 0 "-" "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"\n',
    '10.9.9.9 - - [03/Nov/2024:10:00:02 +0000] "GET /x.CSS?v=2 HTTP/1.1" 200 10 "-" "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"\n',
    '10.9.9.9 - - [04/Nov/2024:10:00:02 +0000] "GET /v1.2/ HTTP/1.1" 200 10 "-" "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"\n',
    # a HEAD (a link checker): a request, no page view
    '10.9.9.8 - - [04/Nov/2024:10:00:03 +0000] "HEAD /about HTTP/1.1" 200 0 "-" "LinkChecker/10.2"\n',
    # a form sent, answered with a page: a page view
    '10.9.9.7 - - [04/Nov/2024:10:01:00 +0000] "POST /contact HTTP/1.1" 200 512 "-" "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"\n',
    # methods that fetch no page, answered 2xx: requests, no page views
    '10.9.9.7 - - [04/Nov/2024:10:01:01 +0000] "OPTIONS /api/cart HTTP/1.1" 204 0 "-" "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"\n',
    '10.9.9.7 - - [04/Nov/2024:10:01:02 +0000] "PUT /api/cart HTTP/1.1" 200 20 "-" "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"\n',
    '10.9.9.7 - - [04/Nov/2024:10:01:03 +0000] "DELETE /api/cart HTTP/1.1" 204 0 "-" "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"\n',
    '10.9.9.7 - - [04/Nov/2024:10:01:04 +0000] "PATCH /api/profile HTTP/1.1" 200 20 "-" "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"\n',
    '10.9.9.6 - - [04/Nov/2024:10:02:00 +0000] "PROPFIND /dav/ HTTP/1.1" 207 900 "-" "Microsoft-WebDAV-MiniRedir/10.0.19045"\n',
    '10.9.9.6 - - [04/Nov/2024:10:02:01 +0000] "MKCOL /dav/new HTTP/1.1" 201 0 "-" "Microsoft-WebDAV-MiniRedir/10.0.19045"\n',
    '10.9.9.5 - - [04/Nov/2024:10:03:00 +0000] "OPTIONS * HTTP/1.1" 200 0 "-" "curl/8.5.0"\n',
    '10.9.9.5 - - [04/Nov/2024:10:03:01 +0000] "TRACE / HTTP/1.1" 200 80 "-" "curl/8.5.0"\n',
    '10.9.9.5 - - [04/Nov/2024:10:03:02 +0000] "CONNECT shop.example:443 HTTP/1.1" 200 0 "-" "curl/8.5.0"\n',
]
PAGE_METHODS = ("GET", "POST")  # docs/import.md "Page views"


def parse(line):
    ip = line.split(" ", 1)[0]
    ts = line.split("[", 1)[1].split("]", 1)[0]
    d, mon, rest = ts.split("/", 2)
    date = (int(rest[:4]), MONTHS[mon], int(d))
    req = line.split('"', 2)[1]
    path = req.split(" ")[1].split("?", 1)[0]
    query = req.split(" ")[1].split("?", 1)[1] if "?" in req.split(" ")[1] else ""
    status = int(line.split('"')[2].split()[0])
    ua = line.rsplit('"', 2)[1]
    return ip, date, path, query, status, ua, req.split(" ")[0]


def is_page(path, status, method="GET"):
    if method not in PAGE_METHODS:
        return False
    last = path.rsplit("/", 1)[-1]
    ext = last.rsplit(".", 1)[1].lower() if "." in last else ""
    return (200 <= status < 300 or status == 304) and ext not in STATIC


def run(*args, **kw):
    r = subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=kw.get("timeout", 240))
    if r.returncode != 0:
        raise AssertionError("canton %s failed: %s" % (" ".join(args), r.stderr.decode()))
    return r.stdout.decode()


def report(conf, data, metrics, *extra):
    out = run("report", "--config", conf, "--data", data, "--suite", "demo", "--metrics", metrics,
              "--from", "2024-10-01", "--to", "2025-01-31", "--format", "json", "--limit", "0",
              *extra)
    return json.loads(out)


def totals(conf, data, metrics, *extra):
    return report(conf, data, metrics, *extra)["totals"]["values"]


def main():
    tmp = tempfile.mkdtemp(prefix="canton-import-report-")
    try:
        data = os.path.join(tmp, "data")
        conf = os.path.join(tmp, "canton.conf")
        with open(conf, "w") as f:
            f.write(CONF % data)
        log = os.path.join(tmp, "access.log")
        gen = subprocess.run([sys.executable, os.path.join(SRC, "bench", "import", "genlog.py"),
                              "6000", "5"], stdout=subprocess.PIPE, check=True).stdout.decode()
        lines = gen.splitlines(keepends=True) + EXTRA
        with open(log, "w") as f:
            f.writelines(lines)

        recs = [parse(l) for l in lines]
        bots = [r for r in recs if "bot" in r[5].lower() or "spider" in r[5].lower()
                or "crawl" in r[5].lower()]
        want_hits = len(recs)
        want_pv = sum(1 for r in recs if is_page(r[2], r[4], r[6]))
        want_vis = len({(r[0], r[1], r[5]) for r in recs})
        print("log: %d lines, %d page views, %d visitors (IP+date+UA), ~%d bot lines"
              % (want_hits, want_pv, want_vis, len(bots)))

        s = json.loads(run("import", "--config", conf, "--suite", "demo", "--data", data,
                           "--summary", "json", "--quiet", log))
        assert s["hits"] == want_hits and s["bad_lines"] == 0, s
        assert s["page_views"] == want_pv, ("import summary page views", s["page_views"], want_pv)
        run("process", "--config", conf, "--data", data, "--until-end")
        bad = run("bad-rows", "--data", data)
        assert "0 in the log" in bad, bad

        got = totals(conf, data, "hits,pageviews,visitors", "--bots")
        print("canton (bots included): hits %d pageviews %d visitors %d" % tuple(got))
        assert got == [want_hits, want_pv, want_vis], (got, [want_hits, want_pv, want_vis])

        # `import --process`: processing follows the import in a thread, with the same result
        data3 = os.path.join(tmp, "data3")
        s3 = json.loads(run("import", "--config", conf, "--suite", "demo", "--data", data3,
                            "--process", "--summary", "json", "--quiet", log))
        assert s3["hits"] == want_hits and s3["processed"]["raw_hits"] == want_hits, s3
        assert s3["processed"]["ok"] and s3["processed"]["bad_rows"] == 0, s3
        assert s3["seconds"] >= s3["import_seconds"], s3
        got3 = totals(conf, data3, "hits,pageviews,visitors", "--bots")
        assert got3 == got, ("import --process", got3, got)
        # again: nothing is added, nothing is processed twice
        s4 = json.loads(run("import", "--config", conf, "--suite", "demo", "--data", data3,
                            "--process", "--summary", "json", "--quiet", log))
        assert s4["files"][0]["action"] == "unchanged" and s4["processed"]["raw_hits"] == 0, s4
        assert totals(conf, data3, "hits,pageviews,visitors", "--bots") == got
        a3 = report(conf, data, "hits,pageviews,visits,visitors", "--bots", "--dimension", "page")
        b3 = report(conf, data3, "hits,pageviews,visits,visitors", "--bots", "--dimension", "page")
        assert a3["rows"] == b3["rows"], "import --process differs from import + process"
        print("import --process: same totals and pages (%.2f s, import part %.2f s)"
              % (s3["seconds"], s3["import_seconds"]))

        # without bots: fewer, never more, and the hand-written human lines are all there
        nb = totals(conf, data, "hits,pageviews,visitors")
        assert 0 < nb[0] < want_hits and nb[1] <= want_pv and nb[2] <= want_vis, nb
        pages = report(conf, data, "hits,pageviews", "--bots", "--dimension", "page")
        by_page = {r["keys"][0]: r["values"] for r in pages["rows"]}
        assert by_page["/old"] == [1, 0], by_page["/old"]        # 301: a request, not a page
        assert by_page["/x.CSS"] == [1, 0], by_page["/x.CSS"]    # static, query dropped
        assert by_page["/v1.2/"] == [1, 1], by_page["/v1.2/"]
        assert by_page["/cart"][1] >= 1                           # 304 counts as a page view
        assert by_page["/contact"] == [1, 1], by_page["/contact"]  # POST: a page view
        # the other methods: requests, no page views (GET and POST only fetch pages)
        for page, hits in (("/api/cart", 3), ("/api/profile", 1), ("/dav/", 1), ("/dav/new", 1),
                           ("*", 1), ("shop.example:443", 1)):
            assert by_page[page] == [hits, 0], (page, by_page[page])

        # request types by name (other request = static, errors, redirects)
        types = report(conf, data, "hits", "--bots", "--dimension", "hit_type")
        tmap = {r["keys"][0]: r["values"][0] for r in types["rows"]}
        assert tmap.get("page view") == want_pv, tmap
        assert tmap.get("other request") == want_hits - want_pv, tmap

        # campaign from the URL's query string, through enrichment
        camp = collections.Counter()
        for r in recs:
            for kv in r[3].split("&"):
                if kv.startswith("utm_campaign="):
                    camp[kv.split("=", 1)[1]] += 1
        cr = report(conf, data, "hits", "--bots", "--dimension", "campaign")
        # campaign is a visit attribute: every hit of a visit that landed with it carries it,
        # so the visits' landing campaigns must be the log's campaigns
        got_camps = {r["keys"][0] for r in cr["rows"] if r["keys"][0] not in ("", "(none)")}
        assert got_camps and got_camps <= set(camp), (got_camps, set(camp))

        if shutil.which("goaccess"):
            rep = os.path.join(tmp, "goaccess.json")
            subprocess.run(["goaccess", log, "--log-format=COMBINED", "--no-progress", "-o", rep],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=240)
            g = json.load(open(rep))["general"]
            no4 = totals(conf, data, "visitors", "--bots", "--segment",
                         'hit(not prop1 starts with "4")')[0]
            print("goaccess: total requests %d unique visitors %d; canton: hits %d, "
                  "visitors without 4xx hits %d" % (g["total_requests"], g["unique_visitors"],
                                                     got[0], no4))
            assert got[0] == g["total_requests"], "total requests differ"
            assert no4 == g["unique_visitors"], "unique visitors differ"
        else:
            print("goaccess is not installed: agreement part skipped")

        # export -> import -> same numbers by page (bots included: export carries no UA)
        exp = os.path.join(tmp, "export.ndjson")
        with open(exp, "w") as f:
            f.write(run("export", "--config", conf, "--data", data, "--suite", "demo",
                        "--from", "2024-10-01", "--to", "2025-01-31", "--format", "ndjson"))
        data2 = os.path.join(tmp, "data2")
        run("import", "--config", conf, "--suite", "demo", "--data", data2, "--format", "ndjson",
            "--quiet", exp)
        run("process", "--config", conf, "--data", data2, "--until-end")
        a = report(conf, data, "hits,pageviews,visits,visitors", "--bots", "--dimension", "page")
        b = report(conf, data2, "hits,pageviews,visits,visitors", "--bots", "--dimension", "page")
        ra = sorted((tuple(r["keys"]), tuple(r["values"])) for r in a["rows"])
        rb = sorted((tuple(r["keys"]), tuple(r["values"])) for r in b["rows"])
        assert ra == rb, "export/import round trip differs"
        print("round trip: %d pages agree" % len(ra))
        print("ok")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
