"""Orders as Adobe Analytics counts them, end to end over HTTP (issue 3; docs/processing.md
"Orders and currency", docs/collect.md "GET /i: the pixel"). Adobe, canton JSON and pixel
purchases reach one suite: an order id is known without the white space around it (Adobe
purchaseID=O17 and +O17+, JSON " O17 ": one order), an Adobe purchaseID by its first 20
bytes (ORD-20261130-0000001-A and -B: one order), the pixel carries order_id, revenue and
currency and is de-duplicated with the others, a purchase without an id counts each time, and
an empty quantity counts no units but its price. The Adobe s_vi cookie's id is valid UTF-8:
the same id sent with an escaped Latin-1 byte, a raw one and an escaped U+FFFD is one visitor.
Checks, with exact values: report totals (orders, revenue, units, hits), visitors of the s_vi
page, and the order ids `canton export` writes."""
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
store_flush_seconds = 1
"""
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"


def adobe(**params):
    return "/b/ss/shop/1/JS-2.21.0/s1?" + urllib.parse.urlencode(dict(AQB="1", **params, AQE="1"))


def pixel(**params):
    return "/i?" + urllib.parse.urlencode(dict(suite="shop", **params))


THANKS = dict(pageName="Thanks", g="https://shop.test/thanks", events="purchase")
REQUESTS = [
    # O17, with an empty quantity: units 0, revenue 9.99
    ("GET", adobe(vid="A", purchaseID="O17", products=";Mug;;9.99", **THANKS), None, None),
    # the same order with spaces around its id: a repeat
    ("GET", adobe(vid="A", purchaseID=" O17 ", products=";Mug;;9.99", **THANKS), None, None),
    # 22 bytes: the first 20 are the order; -B repeats it
    ("GET", adobe(vid="B", purchaseID="ORD-20261130-0000001-A", products=";Tea;2;5", **THANKS), None, None),
    ("GET", adobe(vid="B", purchaseID="ORD-20261130-0000001-B", products=";Tea;2;5", **THANKS), None, None),
    # JSON, the order O17 again: a repeat
    ("POST", "/api/collect", json.dumps({"suite": "shop", "visitor": "C", "events": [
        {"type": "purchase", "order_id": " O17 ", "revenue": 100}]}).encode(), None),
    # the pixel: P1 once, however often; an order without an id each time
    ("GET", pixel(type="purchase", visitor="D", order_id="P1", revenue="12.50", currency="CNY"), None, None),
    ("GET", pixel(type="purchase", visitor="D", order_id=" P1", revenue="12.50"), None, None),
    ("GET", pixel(type="purchase", visitor="D", revenue="3"), None, None),
    ("GET", pixel(type="purchase", visitor="D", revenue="3"), None, None),
    # one s_vi id in three spellings: é escaped (Latin-1), é as a raw byte, U+FFFD escaped
    ("GET", adobe(pageName="SVI", g="https://shop.test/svi"), None, {"Cookie": "s_vi=[CS]v1|A%E9B[CE]"}),
    ("GET", adobe(pageName="SVI", g="https://shop.test/svi"), None, {"Cookie": "x=1; s_vi=[CS]v1|A\xe9B[CE]"}),
    ("GET", adobe(pageName="SVI", g="https://shop.test/svi"), None, {"Cookie": "s_vi=%5BCS%5Dv1%7CA%EF%BF%BDB%5BCE%5D"}),
]
# the hits are stamped when received: a span from yesterday to tomorrow holds them, also
# when the test runs across midnight
FROM = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
TO = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 86400))


def get(srv, target):
    status, _, body = srv.request("GET", target)
    return status, body.decode("utf-8", "replace")


def main():
    data = tempfile.mkdtemp(prefix="canton-orders-")
    t = canton_test.Checks()
    try:
        conf = os.path.join(data, "canton.conf")
        with open(conf, "w") as f:
            f.write(CONFIG)
        with canton_test.Canton(config=CONFIG, data=data) as srv:
            for method, target, body, headers in REQUESTS:
                hdr = {"User-Agent": UA}
                hdr.update(headers or {})
                status, _, _ = srv.request(method, target, body=body, headers=hdr)
                t.check(status in (200, 204), "collect %s: %d" % (target[:60], status))
            # orders: O17, ORD-20261130-0000001, P1 and the pixel's two without an id;
            # revenue 9.99 + 5 + 12.50 + 3 + 3; units 0 (the empty quantity) + 2
            want = '"totals":{"values":[5,33.49,2,12]}'
            deadline = time.time() + 60
            body = ""
            span = "suite=shop&from=%s&to=%s" % (FROM, TO)
            while time.time() < deadline:
                _, body = get(srv, "/api/v1/report?%s&metrics=orders,revenue,units,hits" % span)
                if want in body:
                    break
                time.sleep(0.3)
            t.check(want in body, "orders, revenue, units, hits: %s" % body)
            m = srv.metrics()
            t.check(m.get('canton_process_orders_total{kind="duplicate"}') == 4,
                    "4 repeats counted: %r" % {k: v for k, v in m.items() if "orders" in k})
            # the three s_vi spellings are one visitor
            _, body = get(srv, "/api/v1/report?%s&dimension=page&metrics=visitors,hits" % span)
            t.check('{"keys":["SVI"],"values":[1,3]}' in body, "s_vi visitors: %s" % body)

        out = subprocess.run([BIN, "export", "--config", conf, "--data", data, "--suite", "shop",
                              "--from", FROM, "--to", TO, "--format", "ndjson"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        t.check(out.returncode == 0, "export: %r" % out.stderr)
        rows = [json.loads(line) for line in out.stdout.decode().splitlines() if line.strip()]
        orders = sorted(r["order_id"] for r in rows if r.get("order_id"))
        t.check(orders == ["O17", "ORD-20261130-0000001", "P1"], "exported order ids: %r" % orders)
        t.finish()
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
