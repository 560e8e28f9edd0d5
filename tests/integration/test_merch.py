"""Merchandising eVars end to end with the real binary: Adobe image requests whose
products strings bind eVar4 (finding method) to SKUs on product views are collected by
`canton serve`, processed live, and the purchase later in the visit is credited to the
values the products were found with: the `merch4` report (API, `canton report`, after
`canton reprocess --suite` too) gives the exact units, revenue and orders per value; a
purchase in a later visit is not credited (eVar4 expires with the visit); a repeated
purchaseID adds no units; an eVar with allocation=original keeps crediting the first value
bound to a product, a most recent one the last; the catalogue lists merch1..merch250 (docs/hit.md,
docs/processing.md "Merchandising eVars")."""
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
unconverted_currency = keep
evar4 = name=Finding method
evar5 = name=First finding method; allocation=original
evar6 = name=Last finding method
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
    # visitor v1: A found by search, B by browse, then an order of A, B and C
    adobe("v1", 0, events="prodView", products="Mugs;A;;;;eVar4=search"),
    adobe("v1", 1, events="prodView", products="Mugs;B;;;;eVar4=browse"),
    adobe("v1", 2, events="scAdd", products="Mugs;A,Mugs;B"),
    adobe("v1", 3, events="purchase", purchaseID="o1", currency="CNY",
          products="Mugs;A;2;20.00,Mugs;B;1;5.00,Mugs;C;1;10.00"),
    adobe("v1", 4, events="purchase", purchaseID="o1", currency="CNY",  # a repeat: no units
          products="Mugs;A;2;20.00,Mugs;B;1;5.00,Mugs;C;1;10.00"),
    # visitor v2: A found in a list, bought in a later visit: not credited
    adobe("v2", 0, events="prodView", products="Mugs;A;;;;eVar4=list"),
    adobe("v2", 40, events="purchase", purchaseID="o2", currency="CNY", products="Mugs;A;1;10.00"),
    # visitor v3: D found first by search, then by list: eVar5 (original) credits the order
    # to search, eVar6 (most recent) to list
    adobe("v3", 0, events="prodView", products="Mugs;D;;;;eVar5=search|eVar6=search"),
    adobe("v3", 1, events="prodView", products="Mugs;D;;;;eVar5=list|eVar6=list"),
    adobe("v3", 2, events="purchase", purchaseID="o3", currency="CNY", products="Mugs;D;1;8.00"),
]
# merch:N x product, units and revenue: allocation original vs most recent on the same hits
WANT_ALLOC = {
    "5": {("search", "D"): [1, 8.0], ("list", "D"): [0, 0.0]},
    "6": {("search", "D"): [0, 0.0], ("list", "D"): [1, 8.0]},
}

METRICS = "units,revenue,orders,cart_adds,product_views"
# value -> [units, revenue, orders, cart adds, product views]; "" is items without a value
WANT = {
    "search": [2, 20.0, 1, 1, 1],
    "browse": [1, 5.0, 1, 1, 1],
    "list": [0, 0.0, 0, 0, 1],
    "": [3, 28.0, 3, 0, 2],
}


def run(*args):
    r = subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=240)
    if r.returncode != 0:
        raise AssertionError("canton %s: %s" % (" ".join(args), r.stderr.decode()))
    return r.stdout.decode()


def rows(report):
    return {tuple(r["keys"]) if len(r["keys"]) > 1 else r["keys"][0]: r["values"] for r in report["rows"]}


def main():
    data = tempfile.mkdtemp(prefix="canton-merch-")
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
            # the store makes rows visible on its flush timer: wait for the last order
            got = {}
            while time.time() < deadline:
                status, _, body = srv.request(
                    "GET", "/api/v1/report?suite=shop&%s&dimension=merch4&metrics=%s" % (DAY, METRICS))
                got = rows(json.loads(body)) if status == 200 else {}
                if got == WANT:
                    break
                time.sleep(0.3)
            t.check(got == WANT, "API merch4 report: %r" % got)
            status, _, body = srv.request(
                "GET", "/api/v1/report?suite=shop&%s&dimension=merch:4,product&metrics=units,revenue&empty=0" % DAY)
            got = rows(json.loads(body)) if status == 200 else {}
            t.check(got == {("search", "A"): [2, 20.0], ("browse", "B"): [1, 5.0], ("list", "A"): [0, 0.0]},
                    "API merch:4 x product: %r" % got)
            for n, want in WANT_ALLOC.items():
                status, _, body = srv.request(
                    "GET", "/api/v1/report?suite=shop&%s&dimension=merch:%s,product&metrics=units,revenue"
                    "&empty=0" % (DAY, n))
                got = rows(json.loads(body)) if status == 200 else {}
                t.check(got == want, "API merch:%s x product: %r" % (n, got))
            status, _, body = srv.request("GET", "/api/v1/catalog")
            cat = json.loads(body)["dimensions"] if status == 200 else []
            t.check({"name": "merch1..merch250", "title": "eVar (merchandising)", "scope": "item",
                     "multi": True, "paths": False} in cat,
                    "the catalogue lists merch1..merch250")

        def cli():
            out = run("report", "--config", conf, "--data", data, "--suite", "shop", "--dimension", "merch4",
                      "--metrics", METRICS, "--from", "2026-11-01", "--to", "2026-11-01", "--format", "json")
            return rows(json.loads(out))

        got = cli()
        t.check(got == WANT, "canton report --dimension merch4: %r" % got)
        run("reprocess", "--config", conf, "--data", data, "--suite", "shop")
        got = cli()
        t.check(got == WANT, "after canton reprocess --suite shop: %r" % got)
        t.finish()
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
