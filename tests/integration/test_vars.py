"""eVars and list variables credited end to end with the real binary (docs/processing.md
"eVars, props, events" and "List variables"): Adobe image requests are collected by
`canton serve` and processed live, and reports come from the API and `canton report`.

- Every hit carries the eVars in force: `hits` by evar2 counts the plain link, download and
  exit hits (no events, no eVar of their own) of a visitor under the value set earlier in the
  visit, not under "".
- list1 (delimiter '|', expiry visit) keeps its values per visitor: event1 on a later hit is
  credited to the value in force from an earlier hit; after the visit it is not; a list
  without settings (list2) stays split at ',' on its hit only.
- Reports by listN credit a hit (and its events) to each value in force on it, in full, and
  count it once in the totals; listN cannot be crossed with an item dimension, nor give
  entries or exits.
- Paths refuse listN as their dimension; a path's condition and funnel steps on listN match
  a hit by any of its values.
- `canton export` shows each hit's var rows: the eVar on every hit of the visit, the list
  values on the hit that sets them and on the event hit.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canton_test  # noqa: E402

BIN = canton_test.BIN
CONFIG = """[suite shop]
timezone = UTC
currency = CNY
domains = shop.canton.test
evar2 = name=Colour
list1 = name=Interests; delimiter=|; expiry=visit
"""
T0 = 1793527200  # 2026-11-01T10:00:00Z
DAY = "from=2026-11-01&to=2026-11-01"
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"


def adobe(vid, minute, **params):
    q = {"AQB": "1", "vid": vid, "ts": str(T0 + 60 * minute),
         "g": "https://shop.canton.test/p%d" % minute, "pageName": "p%d" % minute}
    q.update(params)
    q["AQE"] = "1"
    return "/b/ss/shop/1/JS-2.21.0/s%d?%s" % (minute, urllib.parse.urlencode(q))


HITS = [
    # visitor a: eVar2 blue and list1 sports on the first page; links, a download and an
    # exit without events or eVars; event1 three pages later; a new visit's event1
    adobe("a", 0, v2="blue", l1="sports"),
    adobe("a", 1, pe="lnk_o", pev2="Menu"),
    adobe("a", 2, pe="lnk_d", pev1="https://shop.canton.test/a.pdf"),
    adobe("a", 3, pe="lnk_e", pev1="https://other.example/"),
    adobe("a", 4, pe="lnk_o", pev2="Signup", events="event1"),
    adobe("a", 90, pe="lnk_o", pev2="Signup", events="event1"),
    # visitor b: no eVar; list2 (no settings) on its hit; list1 music|jazz,rock then event1
    adobe("b", 0, l2="x,y"),
    adobe("b", 1, l1="music|jazz,rock"),
    adobe("b", 2, pe="lnk_o", pev2="Signup", events="event1"),
]
# hits by evar2: a's first visit (5 hits) under blue; a's second visit and b's hits under ""
WANT_EVAR = {"blue": [5], "": [4]}
# event1, hits by list1 and list2
WANT_LIST1 = {"sports": [1.0, 2], "music": [1.0, 2], "jazz,rock": [1.0, 2], "": [1.0, 5]}
WANT_LIST2 = {"x": [0.0, 1], "y": [0.0, 1], "": [3.0, 8]}


def run(*args):
    r = subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=240)
    if r.returncode != 0:
        raise AssertionError("canton %s: %s" % (" ".join(args), r.stderr.decode()))
    return r.stdout.decode()


def rows(report):
    return {tuple(r["keys"]) if len(r["keys"]) > 1 else r["keys"][0]: r["values"] for r in report["rows"]}


def main():
    data = tempfile.mkdtemp(prefix="canton-vars-")
    t = canton_test.Checks()
    try:
        conf = os.path.join(data, "canton.conf")
        with open(conf, "w") as f:
            f.write(CONFIG)
        with canton_test.Canton(config=CONFIG, data=data) as srv:
            for h in HITS:
                status, _, _ = srv.request("GET", h, headers={"User-Agent": UA})
                t.check(status == 200, "collect %s: %d" % (h[:40], status))
            deadline = time.time() + 60
            m = srv.wait_processed(len(HITS))
            t.check(m.get("canton_process_raw_hits_total", 0) >= len(HITS), "all hits processed")
            # the store makes rows visible on its flush timer: wait for all of them
            got = {}
            while time.time() < deadline:
                status, _, body = srv.request(
                    "GET", "/api/v1/report?suite=shop&%s&dimension=evar2&metrics=hits" % DAY)
                got = rows(json.loads(body)) if status == 200 else {}
                if got == WANT_EVAR:
                    break
                time.sleep(0.3)
            t.check(got == WANT_EVAR, "API hits by evar2: %r" % got)
            status, _, body = srv.request(
                "GET", "/api/v1/report?suite=shop&%s&dimension=list1&metrics=event1,hits" % DAY)
            rep = json.loads(body) if status == 200 else {}
            got = rows(rep) if status == 200 else {}
            # a's event1 in the first visit goes to sports (set four hits before), the one of
            # its second visit to "" (list1 ended with the visit); b's to both of its values
            # in force, each in full; hits: each hit once per value, once in the totals
            t.check(got == WANT_LIST1, "API event1,hits by list1: %r" % got)
            t.check(rep.get("totals", {}).get("values") == [3.0, 9], "API list1 totals: %r" % rep.get("totals"))
            status, _, body = srv.request(
                "GET", "/api/v1/report?suite=shop&%s&dimension=list2&metrics=event1,hits" % DAY)
            got = rows(json.loads(body)) if status == 200 else {}
            t.check(got == WANT_LIST2, "API event1,hits by list2 (hit-scoped): %r" % got)
            status, _, body = srv.request(
                "GET", "/api/v1/report?suite=shop&%s&dimension=list1,page&metrics=event1&empty=0" % DAY)
            got = rows(json.loads(body)) if status == 200 else {}
            t.check(got == {("sports", "p0"): [0.0], ("sports", "p4"): [1.0], ("music", "p1"): [0.0],
                            ("jazz,rock", "p1"): [0.0], ("music", "p2"): [1.0], ("jazz,rock", "p2"): [1.0]},
                    "API event1 by list1 x page: %r" % got)
            status, _, body = srv.request(
                "GET", "/api/v1/report?suite=shop&%s&dimension=list1,product&metrics=hits" % DAY)
            t.check(status == 400 and b"cannot be crossed" in body, "list1 x product refused: %d %r" % (status, body))
            # entries and exits have no one list value to credit: refused, naming the list
            status, _, body = srv.request(
                "GET", "/api/v1/report?suite=shop&%s&dimension=list1&metrics=entries" % DAY)
            t.check(status == 400 and json.loads(body).get("error", "").startswith(
                "entries and exits credit a visit's first and last page view to one value: they "
                "cannot be broken down by list1, which has several values per hit"),
                "entries by list1 refused: %d %r" % (status, body))
            # paths cannot follow a list (several values per hit), GET and POST
            status, _, body = srv.request(
                "GET", "/api/v1/paths?suite=shop&%s&dimension=list1&length=2" % DAY)
            want = ("list1 has several values per hit: paths cannot follow it; use a report "
                    "(dimension=list1) or a condition on it (condition=list1 = \"...\")")
            t.check(status == 400 and json.loads(body) == {"error": want},
                    "paths by list1 refused: %d %r" % (status, body))
            status, _, body = srv.request(
                "POST", "/api/v1/paths", body=json.dumps({"suite": "shop", "from": "2026-11-01", "to": "2026-11-01",
                                                          "dimension": "list:1", "condition": 'page = "p1"'}).encode(),
                headers={"Content-Type": "application/json"})
            t.check(status == 400 and json.loads(body) == {"error": want},
                    "POST paths by list:1 refused: %d %r" % (status, body))
            # a path's condition on a list matches a page view by any of its values: b's p1
            # (music and jazz,rock) is the last page view of its visit, after p0
            cond = urllib.parse.quote('list1 = "jazz,rock"')
            got = []
            for d in ("next", "previous"):
                status, _, body = srv.request(
                    "GET", "/api/v1/paths?suite=shop&%s&direction=%s&condition=%s" % (DAY, d, cond))
                got.append([(r["keys"], r["count"]) for r in json.loads(body)["rows"]] if status == 200 else status)
            t.check(got == [[(["(exit)"], 1)], [(["p0"], 1)]], "paths by a list condition: %r" % got)
            # funnel steps on a list: music, then jazz,rock on a later hit: b's event hit has
            # both in force (list1 persists for the visit); one hit is never two steps
            steps = "&".join("step=" + urllib.parse.quote('list1 = "%s"' % v) for v in ("music", "jazz,rock"))
            status, _, body = srv.request("GET", "/api/v1/funnel?suite=shop&%s&%s" % (DAY, steps))
            f = json.loads(body) if status == 200 else {}
            got = (f.get("total"), [s["count"] for s in f.get("steps", [])])
            t.check(got == (3, [1, 1]), "funnel by list1 values: %r" % (got,))

        out = run("report", "--config", conf, "--data", data, "--suite", "shop", "--dimension", "evar2",
                  "--metrics", "hits", "--from", "2026-11-01", "--to", "2026-11-01", "--format", "json")
        got = rows(json.loads(out))
        t.check(got == WANT_EVAR, "canton report --dimension evar2: %r" % got)
        out = run("report", "--config", conf, "--data", data, "--suite", "shop", "--dimension", "list1",
                  "--metrics", "event1,hits", "--from", "2026-11-01", "--to", "2026-11-01", "--format", "json")
        got = rows(json.loads(out))
        t.check(got == WANT_LIST1, "canton report --dimension list1: %r" % got)
        out = run("export", "--config", conf, "--data", data, "--suite", "shop", "--from", "2026-11-01",
                  "--format", "ndjson")
        hits = [json.loads(line) for line in out.splitlines() if line.strip()]
        t.check(len(hits) == len(HITS), "export: %d hits" % len(hits))
        got = [([(v["var"], v["value"]) for v in h["vars"]], [e["event"] for e in h["event_rows"]])
               for h in sorted(hits, key=lambda h: (h["visitor"], h["ts"]))]
        blue, sports = ("evar2", "blue"), ("list1", "sports")
        both = [("list1", "music"), ("list1", "jazz,rock")]
        want = [
            ([sports, blue], []), ([blue], []), ([blue], []), ([blue], []), ([sports, blue], [1]), ([], [1]),
            ([("list2", "x"), ("list2", "y")], []), (both, []), (both, [1]),
        ]
        t.check(got == want, "export: the rows of each hit: %r" % got)
        t.finish()
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
