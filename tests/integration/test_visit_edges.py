"""Visitors and visits at their edges, end to end (issue 3; docs/processing.md "Visitors",
"Visits", "Hits out of order"): Adobe image requests to `canton serve`, then the reporting
API's totals and `canton export`.

- a cookieless browser (no tracker id) at 23:59 and 00:01 UTC, when the daily salt changes:
  one visitor, one visit (before: two of each);
- an ECID visitor whose hits come stamped (Adobe `ts`) out of order: 10:00, 10:10, then 10:05
  (written at 10:10, in its visit), 08:00 (a visit of its own), then 10:12 (a new visit):
  times on page and visit durations are never negative (before: one visit from 10:00 with a
  hit at 08:00, and a negative visit duration and time on page);
- a page view followed by an exit-link click: a bounce in canton (one page view), which Adobe's
  Bounces (one hit) would not count.
"""
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canton_test  # noqa: E402

BIN = canton_test.BIN
CONFIG = """[server]
trusted_proxies = 127.0.0.1

[suite shop]
timezone = Asia/Shanghai
currency = CNY
domains = shop.test
store_flush_seconds = 1
"""
UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
# Today's midnight UTC (08:00 in Asia/Shanghai), not a fixed day: the cookieless visitor
# bridges midnight with the day before's salt, which the live pass destroys once that day is
# past salt_retention by the wall clock (a fixed day made the test fail two days later). The
# hits after it are stamped at most 12 hours ahead: Adobe ts is refused only past 24 hours.
Z = int(time.time()) // 86400 * 86400
DAY = time.strftime("%Y-%m-%d", time.gmtime(Z))

# (client IP, Adobe parameters); every hit is stamped
HITS = [
    ("198.51.100.2", dict(pageName="B1", ts=Z - 60)),
    ("198.51.100.2", dict(pageName="B2", ts=Z + 60)),
    ("198.51.100.4", dict(pageName="D1", ts=Z + 36000, mid="M4")),
    ("198.51.100.4", dict(pageName="D2", ts=Z + 36600, mid="M4")),
    ("198.51.100.4", dict(pageName="D3", ts=Z + 36300, mid="M4")),
    ("198.51.100.4", dict(pageName="D0", ts=Z + 28800, mid="M4")),
    ("198.51.100.4", dict(pageName="D4", ts=Z + 36720, mid="M4")),
    ("198.51.100.5", dict(pageName="E1", ts=Z + 43200, mid="M5")),
    ("198.51.100.5", dict(pe="lnk_e", pev1="https://other.test/", ts=Z + 43220, mid="M5")),
]
RANGE = "from=%s&to=%s" % (DAY, DAY)
METRICS = "visits,visitors,pageviews,hits,bounces,visit_duration,time_on_page,entries"
# visits: B 1, D 3, E 1; visit durations 120 + 600 + 0 + 0 + 20 over 5 visits; times on page
# B1 120, D1 600, D2 0 (D3 is written at D2's time), E1 20 over the 4 page views followed by a hit
WANT = [5, 3, 8, 9, 3, 148, 185, 5]
# export rows by time: (page, visit_num, hit_num, seconds after Z)
WANT_ROWS = [
    ("B1", 1, 1, -60), ("B2", 1, 2, 60),
    ("D0", 2, 1, 28800),
    ("D1", 1, 1, 36000), ("D2", 1, 2, 36600), ("D3", 1, 3, 36600),
    ("D4", 3, 1, 36720),
    ("E1", 1, 1, 43200), ("/", 1, 2, 43220),
]


def main():
    t = canton_test.Checks()
    with canton_test.Canton(config=CONFIG) as srv:
        for ip, params in HITS:
            p = dict(params, g="https://shop.test/" + params.get("pageName", "").lower())
            q = urllib.parse.urlencode(p)
            status, _, _ = srv.request("GET", "/b/ss/shop/1/JS-2.21.0/s1?" + q,
                                       headers={"User-Agent": UA, "X-Forwarded-For": ip})
            t.check(status == 200, "collect %r: %d" % (params, status))
        got, deadline = None, time.time() + 60
        while time.time() < deadline:
            status, _, body = srv.request("GET", "/api/v1/report?suite=shop&%s&metrics=%s" % (RANGE, METRICS))
            got = json.loads(body).get("totals", {}).get("values") if status == 200 else body[:200]
            if isinstance(got, list) and got[3] == len(HITS):
                break
            time.sleep(0.2)
        got = [round(v, 4) if isinstance(v, float) else v for v in got or []]
        t.check(got == WANT, "totals %s: %r, want %r" % (METRICS, got, WANT))
        conf = os.path.join(srv.data, "canton.conf")
        srv.stop()
        out = canton_test.subprocess.run(
            [BIN, "export", "--config", conf, "--data", srv.data, "--from", DAY, "--format", "ndjson"],
            stdout=canton_test.subprocess.PIPE, stderr=canton_test.subprocess.PIPE, timeout=60)
        t.check(out.returncode == 0, "export: %s" % out.stderr.decode()[-300:])
        rows = [json.loads(line) for line in out.stdout.decode().splitlines() if line]
        got = [(r.get("page"), r.get("visit_num"), r.get("hit_num"), r.get("ts", 0) // 1000000 - Z) for r in rows]
        got.sort(key=lambda g: (g[3], g[2]))  # export's order is the store's (processing order)
        t.check(got == WANT_ROWS, "export rows %r, want %r" % (got, WANT_ROWS))
        visitors = {r.get("page"): r.get("visitor") for r in rows}
        t.check(visitors.get("B1") == visitors.get("B2"), "B1 and B2 one visitor: %r" % visitors)
    t.finish()


if __name__ == "__main__":
    main()
