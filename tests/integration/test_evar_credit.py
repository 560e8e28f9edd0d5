"""eVars and events credited end to end as an Adobe Analytics admin checks them (docs/processing.md
"eVars, props, events"): Adobe image requests (with `ts`) to `canton serve`, processed live,
then `canton report`.

Visitor a: eVar1 (original, 2d) "email" on the first hit and "search" on the second (original
keeps email); eVar4 and prop4 come from c.plan by rule, but the first hit also sets v4 and the
hit after c4 itself: the hit's own value wins (one prop4 row), and the second hit's c.plan (no
v4 there) replaces eVar4's value; eVar3 (ends on purchase) "card";
scAdd:cart1 twice (one cart add); event5:s1 twice (one event5) and a purchase that ends eVar3.
Visitor b repeats event5:s1 (not counted: serialization is per suite, not per visitor) and
gives a bare event5. a comes back exactly two days after email was set: eVar1 has ended,
its event5 goes to "(none)".
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canton_test  # noqa: E402

BIN = canton_test.BIN
CONFIG = """[suite shop]
timezone = UTC
currency = USD
domains = shop.test
evar1 = name=Campaign; allocation=original; expiry=2d
evar3 = name=Payment; expiry=event:purchase
evar4 = name=Plan; from=c.plan
prop4 = from=c.plan
event5 = name=Signup
"""
T0 = 1793527200  # 2026-11-01T10:00:00Z
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"


def adobe(vid, sec, query):
    q = "AQB=1&vid=%s&ts=%d&g=%s&%s&AQE=1" % (vid, T0 + sec, urllib.parse.quote("https://shop.test/p", safe=""), query)
    return "/b/ss/shop/1/JS-2.21.0/s%d?%s" % (sec, q)


HITS = [
    adobe("a", 0, "v1=email&v4=direct&c.&plan=ctx&.c"),
    adobe("a", 60, "v1=search&v3=card&c4=own&c.&plan=ctx&.c&events=scAdd:cart1&products=%3BA"),
    adobe("a", 120, "events=scAdd:cart1&products=%3BA"),
    adobe("a", 180, "events=event5:s1"),
    adobe("a", 240, "events=event5:s1,purchase&purchaseID=o1&products=%3BA%3B1%3B10"),
    adobe("b", 300, "events=event5:s1,event5"),
    adobe("a", 2 * 86400, "events=event5"),
]
RANGE = ["--from", "2026-11-01", "--to", "2026-11-03"]


def report(conf, data, dim, metrics):
    r = subprocess.run([BIN, "report", "--config", conf, "--data", data, "--suite", "shop", "--dimension", dim,
                        "--metrics", metrics, "--format", "json"] + RANGE,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    if r.returncode != 0:
        raise AssertionError("canton report: %s" % r.stderr.decode())
    return {row["keys"][0]: row["values"] for row in json.loads(r.stdout)["rows"]}


def main():
    data = tempfile.mkdtemp(prefix="canton-evar-credit-")
    t = canton_test.Checks()
    try:
        conf = os.path.join(data, "canton.conf")
        with open(conf, "w") as f:
            f.write(CONFIG)
        with canton_test.Canton(config=CONFIG, data=data) as srv:
            for h in HITS:
                status, _, _ = srv.request("GET", h, headers={"User-Agent": UA})
                t.check(status == 200, "collect %s: %d" % (h[:50], status))
            m = srv.wait_processed(len(HITS))
            t.check(m.get("canton_process_raw_hits_total", 0) >= len(HITS), "all hits processed")
            bad = {k: v for k, v in srv.metrics().items() if k.startswith("canton_bad_rows_total") and v}
            t.check(bad == {}, "no bad rows: %r" % bad)
        # the store is flushed when serve stops
        got = report(conf, data, "evar1", "hits,event5,orders,cart_adds")
        t.check(got == {"email": [5, 1.0, 1, 1], "": [2, 2.0, 0, 0]}, "by evar1: %r" % got)
        got = report(conf, data, "evar4", "hits")
        # the first hit's own v4 wins over c.plan; the second hit has only c.plan: most recent
        t.check(got == {"direct": [1], "ctx": [4], "": [2]}, "by evar4 (the hit's own v4 wins): %r" % got)
        got = report(conf, data, "prop4", "hits")
        t.check(got == {"ctx": [1], "own": [1], "": [5]}, "by prop4 (one row a hit): %r" % got)
        got = report(conf, data, "evar3", "hits,orders")
        t.check(got == {"card": [4, 1], "": [3, 0]}, "by evar3: %r" % got)
        t.finish()
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
