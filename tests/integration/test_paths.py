"""Paths with and without repeats end to end with the real binary (docs/api.md "GET|POST
/api/v1/paths", "Repeats"): Adobe image requests are collected by `canton serve` and processed
live, and GET and POST /api/v1/paths answer with exact counts.

- By default (repeats=exclude) consecutive page views of a visit with the same value are one
  step: a reload, a page viewed again after a link click, a run of page views over which eVar 3
  persists. A matching step counts once; next is the first different value after it, or
  (exit); previous the last different value before it, or (entry); no pair is a value and
  itself.
- repeats=include makes each page view a step.
- GET and POST answer the same; any other value of repeats is a 400 naming it.
"""
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canton_test  # noqa: E402

CONFIG = """[suite flow]
timezone = UTC
currency = CNY
domains = shop.canton.test
evar3 = name=Step
"""
T0 = 1793527200  # 2026-11-01T10:00:00Z
DAY = {"from": "2026-11-01", "to": "2026-11-01"}
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"


def adobe(vid, minute, page, **params):
    q = {"AQB": "1", "vid": vid, "ts": str(T0 + 60 * minute),
         "g": "https://shop.canton.test/%s" % page, "pageName": page}
    q.update(params)
    q["AQE"] = "1"
    return "/b/ss/flow/1/JS-2.21.0/s%s%d?%s" % (vid, minute, urllib.parse.urlencode(q))


HITS = [
    # visitor a: home, home (a reload), list (sets eVar 3 to s, in force to the end of the
    # visit), mug, a link click, mug, cart
    adobe("a", 0, "home"),
    adobe("a", 1, "home"),
    adobe("a", 2, "list", v3="s"),
    adobe("a", 3, "mug"),
    adobe("a", 4, "mug", pe="lnk_o", pev2="Zoom"),
    adobe("a", 5, "mug"),
    adobe("a", 6, "cart"),
    # visitor b: list (s), list, mug
    adobe("b", 0, "list", v3="s"),
    adobe("b", 1, "list"),
    adobe("b", 2, "mug"),
]
PAGEVIEWS = 9
# steps without repeats: a home, list, mug, cart; b list, mug. By eVar 3: a "", s; b s.


def rows(ans):
    return [(r["keys"], r["count"], r["share"]) for r in ans["rows"]]


def main():
    data = tempfile.mkdtemp(prefix="canton-paths-")
    try:
        run(data)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def run(data):
    t = canton_test.Checks()
    with canton_test.Canton(config=CONFIG, data=data) as srv:
        for h in HITS:
            status, _, _ = srv.request("GET", h, headers={"User-Agent": UA})
            t.check(status == 200, "collect %s: %d" % (h[:40], status))

        def get(params):
            q = urllib.parse.urlencode(dict({"suite": "flow"}, **DAY, **params))
            status, _, body = srv.request("GET", "/api/v1/paths?" + q)
            return status, json.loads(body)

        def post(params):
            status, _, body = srv.request("POST", "/api/v1/paths",
                                          body=json.dumps(dict({"suite": "flow"}, **DAY, **params)).encode(),
                                          headers={"Content-Type": "application/json"})
            return status, json.loads(body)

        # the store makes rows visible on its flush timer: wait for every page view
        deadline = time.monotonic() + 60
        pv = None
        while time.monotonic() < deadline:
            q = urllib.parse.urlencode(dict({"suite": "flow", "metrics": "pageviews"}, **DAY))
            status, _, body = srv.request("GET", "/api/v1/report?" + q)
            pv = json.loads(body)["totals"]["values"][0] if status == 200 else None
            if pv == PAGEVIEWS:
                break
            time.sleep(0.2)
        t.check(pv == PAGEVIEWS, "all %d page views are in: %r" % (PAGEVIEWS, pv))

        cases = [
            # next after mug: a's mug, (link), mug is one step, then cart; b's ends the visit
            ({"condition": 'page = "mug"'}, "exclude", 2,
             [(["(exit)"], 1, 50), (["cart"], 1, 50)]),
            ({"condition": 'page = "mug"', "repeats": "include"}, "include", 3,
             [(["(exit)"], 1, 33.33333333), (["cart"], 1, 33.33333333), (["mug"], 1, 33.33333333)]),
            # pairs: without repeats never a value and itself
            ({"length": 2}, "exclude", 4,
             [(["list", "mug"], 2, 50), (["home", "list"], 1, 25), (["mug", "cart"], 1, 25)]),
            ({"length": 2, "repeats": "include"}, "include", 7,
             [(["list", "mug"], 2, 28.57142857), (["home", "home"], 1, 14.28571429),
              (["home", "list"], 1, 14.28571429), (["list", "list"], 1, 14.28571429),
              (["mug", "cart"], 1, 14.28571429), (["mug", "mug"], 1, 14.28571429)]),
            # before eVar 3 = s, which persists: a's run of s after "", b's at the visit's start
            ({"dimension": "evar3", "direction": "previous", "condition": 'evar3 = "s"'}, "exclude", 2,
             [([""], 1, 50), (["(entry)"], 1, 50)]),
            ({"dimension": "evar3", "direction": "previous", "condition": 'evar3 = "s"', "repeats": "include"},
             "include", 7, [(["s"], 5, 71.42857143), ([""], 1, 14.28571429), (["(entry)"], 1, 14.28571429)]),
            # repeats=exclude said is the default
            ({"dimension": "evar3", "condition": 'evar3 = "s"', "repeats": "exclude"}, "exclude", 2,
             [(["(exit)"], 2, 100)]),
        ]
        for params, repeats, total, want in cases:
            for how, ask in (("GET", get), ("POST", post)):
                status, ans = ask(params)
                got = (status, ans.get("repeats"), ans.get("total"), rows(ans) if status == 200 else ans)
                t.check(got == (200, repeats, total, want),
                        "%s paths %r: %r, want %r" % (how, params, got, (200, repeats, total, want)))

        # any other value is a 400 naming it, GET and POST
        for bad in ("both", "", "INCLUDE"):
            want = {"error": "repeats must be exclude (the default: consecutive page views with the same "
                             "value are one step) or include, not '%s'" % bad}
            for how, ask in (("GET", get), ("POST", post)):
                status, ans = ask({"length": 2, "repeats": bad})
                t.check((status, ans) == (400, want), "%s paths repeats=%r: %d %r" % (how, bad, status, ans))
    t.finish()


if __name__ == "__main__":
    main()
