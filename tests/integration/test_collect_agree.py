#!/usr/bin/env python3
"""The collector and processing read a request the same way (docs/collect.md,
docs/http.md): a canton suite with a comma is one unknown suite in both (no
multi-suite split, which is Adobe's /b/ss/a,b/ only), the pixel's suite= is
percent-decoded in both (and the last one counts when it is given twice), a UTF-8 byte order mark before a JSON body is
dropped in both, an Adobe suite list naming a suite twice makes one hit there
in both, and HEAD on a hit endpoint is answered as GET is, without a body and
without recording a hit (counted in canton_http_head_requests_total only).
"""
import gzip
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canton_test  # noqa: E402

GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")
CONFIG = """[suite shop]
timezone = UTC
store_flush_seconds = 1

[suite my-shop]
timezone = UTC
store_flush_seconds = 1
"""
BOM = b"\xef\xbb\xbf"
PAGE = b'"events":[{"type":"pageview","url":"https://shop.test/"}]}'
t = canton_test.Checks()


def head(srv):
    """HEAD is GET without the body (RFC 9110 9.3.2), and records nothing."""
    status, h, body = srv.request("HEAD", "/i?suite=shop&url=https%3A%2F%2Fshop.test%2F")
    t.check(status == 200 and body == b"" and h.get("content-type") == "image/gif"
            and h.get("content-length") == str(len(GIF)), "HEAD /i: %d %r %r" % (status, h, body))
    status, h, body = srv.request("HEAD", "/b/ss/shop/1/JS-2.21.0/s1?AQB=1&g=x&AQE=1")
    t.check(status == 200 and body == b"" and h.get("content-type") == "image/gif"
            and h.get("content-length") == str(len(GIF)), "HEAD /b/ss/: %d %r" % (status, h))
    status, h, body = srv.request("HEAD", "/b/ss/shop/1/JS-2.21.0/s1?g=x&callback=s_c_il%5B0%5D.doPostbacks")
    t.check(status == 200 and body == b"" and h.get("content-type") == "application/javascript",
            "HEAD /b/ss/ with callback=: %d %r" % (status, h))
    status, h, body = srv.request("HEAD", "/b/ss/shop")
    t.check(status == 400 and body == b"", "HEAD on a bad Adobe path: %d" % status)
    # /api/collect is a POST resource: HEAD (a GET without body) is not one of its methods.
    status, h, _ = srv.request("HEAD", "/api/collect")
    t.check(status == 405 and h.get("allow") == "POST, OPTIONS", "HEAD /api/collect: %d %r" % (status, h))
    t.check(not [x for x in srv.dump() if x["method"] == "HEAD"], "a HEAD was stored")
    m = srv.metrics()
    t.check(m.get('canton_collect_hits_total{protocol="canton-pixel",suite="shop"}') is None
            and m.get('canton_collect_hits_total{protocol="adobe",suite="shop"}') is None,
            "a HEAD was counted as a hit")
    # HEAD requests are counted, apart from the requests that can be hits
    t.check(m.get('canton_http_head_requests_total{endpoint="adobe",status="200"}') == 2
            and m.get('canton_http_head_requests_total{endpoint="adobe",status="400"}') == 1
            and m.get('canton_http_head_requests_total{endpoint="canton-pixel",status="200"}') == 1
            and m.get('canton_http_head_requests_total{endpoint="canton-json",status="405"}') == 1,
            "HEAD requests counted: %r" % {k: v for k, v in m.items() if "head_requests" in k})
    t.check(not [k for k in m if k.startswith("canton_http_requests_total{endpoint=\"adobe\"")
                 or k.startswith("canton_http_requests_total{endpoint=\"canton-")],
            "a HEAD was counted in canton_http_requests_total: %r"
            % {k: v for k, v in m.items() if k.startswith("canton_http_requests_total")})


def main():
    with canton_test.Canton(config=CONFIG) as srv:
        head(srv)
        sent = 0
        # a JSON suite with a comma: one name, not configured (not split into shop and my-shop)
        status, _, _ = srv.request("POST", "/api/collect?case=comma", body=b'{"suite":"shop,my-shop",' + PAGE)
        t.check(status == 204, "JSON suite with a comma: %d" % status)
        sent += 1
        # the pixel's suite= is percent-decoded, as its other parameters are
        status, _, body = srv.request("GET", "/i?suite=my%2Dshop&url=https%3A%2F%2Fshop.test%2F")
        t.check(status == 200 and body == GIF, "pixel my%%2Dshop: %d" % status)
        sent += 1
        # suite= given twice: the last one, in the collector as in processing (the collector
        # took the first: it counted nosuch's hit as unknown, processing stored it for my-shop)
        status, _, _ = srv.request("GET", "/i?suite=nosuch&url=https%3A%2F%2Fshop.test%2Ftwice&suite=my-shop")
        t.check(status == 200, "pixel suite twice: %d" % status)
        sent += 1
        status, _, _ = srv.request("GET", "/i?suite=shop%2Cmy-shop&url=https%3A%2F%2Fshop.test%2F")
        t.check(status == 200, "pixel suite with a comma: %d" % status)
        sent += 1
        # a byte order mark before the JSON, plain and inside gzip
        for name, body in (("bom", BOM + b'{"suite":"shop",' + PAGE),
                           ("bom-gzip", gzip.compress(BOM + b'{"suite":"shop",' + PAGE))):
            status, _, answer = srv.request("POST", "/api/collect?case=" + name, body=body,
                                            headers={"Content-Type": "application/json"})
            t.check(status == 204, "%s: %d %r" % (name, status, answer))
            sent += 1
        # a suite named twice in an Adobe suite list is one hit there, in the collector and in
        # processing (it was counted twice: two hits, two orders for shop)
        status, _, _ = srv.request("GET", "/b/ss/shop,shop,my-shop/1/JS-2.21.0/s1?AQB=1&pageName=Twice"
                                   "&g=https%3A%2F%2Fshop.test%2Ft&events=purchase&products=%3BA%3B1%3B10&AQE=1")
        t.check(status == 200, "shop,shop,my-shop: %d" % status)
        sent += 1
        status, _, answer = srv.request("POST", "/api/collect?case=only-bom", body=BOM)
        t.check(status == 400, "only a BOM: %d %r" % (status, answer))

        hits = srv.dump()
        t.check(len(hits) == sent, "stored %d hits, sent %d" % (len(hits), sent))
        by_query = {x["query"]: x for x in hits}
        x = by_query.get("suite=my%2Dshop&url=https%3A%2F%2Fshop.test%2F")
        t.check(x is not None and x["suite"] == "my-shop" and x["flags"] == 0, "pixel stored: %r" % x)
        x = by_query.get("case=comma")
        t.check(x is not None and x["suite"] == "shop,my-shop" and x["flags"] & 1, "comma stored: %r" % x)

        m = srv.wait_processed(sent)
        t.check(m.get("canton_process_raw_hits_total") == sent, "processed: %r" % m.get("canton_process_raw_hits_total"))
        t.check(m.get('canton_collect_unknown_suite_hits_total{protocol="canton-json"}') == 1,
                "collector: JSON unknown suites %r" % m.get('canton_collect_unknown_suite_hits_total{protocol="canton-json"}'))
        t.check(m.get('canton_collect_unknown_suite_hits_total{protocol="canton-pixel"}') == 1,
                "collector: pixel unknown suites %r" % m.get('canton_collect_unknown_suite_hits_total{protocol="canton-pixel"}'))
        t.check(m.get('canton_collect_hits_total{protocol="canton-pixel",suite="my-shop"}') == 2,
                "collector: the decoded pixel suite, and the last of two, is counted: %r"
                % m.get('canton_collect_hits_total{protocol="canton-pixel",suite="my-shop"}'))
        # processing: the two comma suites are unknown_suite bad rows, nothing else is bad
        t.check(m.get('canton_bad_rows_total{reason="unknown_suite"}') == 2,
                "unknown_suite bad rows: %r" % m.get('canton_bad_rows_total{reason="unknown_suite"}'))
        for reason in ("bad_json", "empty_hit", "bad_gzip"):
            t.check(m.get('canton_bad_rows_total{reason="%s"}' % reason) == 0, "no %s bad row" % reason)
        t.check(m.get('canton_collect_hits_total{protocol="adobe",suite="shop"}') == 1
                and m.get('canton_collect_hits_total{protocol="adobe",suite="my-shop"}') == 1,
                "collector: shop,shop,my-shop counted once a suite: %r"
                % {k: v for k, v in m.items() if k.startswith('canton_collect_hits_total{protocol="adobe"')})
        t.check(m.get('canton_process_orders_total{kind="counted"}') == 2,
                "orders of shop,shop,my-shop: %r" % m.get('canton_process_orders_total{kind="counted"}'))
        # three page views for my-shop (the two pixels, the Adobe hit), three for shop (the BOM
        # bodies, the Adobe hit), none split
        deadline = time.time() + 30
        while time.time() < deadline and (m.get('canton_store_hits{suite="my-shop"}') != 3
                                          or m.get('canton_store_hits{suite="shop"}') != 3):
            time.sleep(0.2)
            m = srv.metrics()
        t.check(m.get('canton_store_hits{suite="my-shop"}') == 3, "my-shop hits: %r" % m.get('canton_store_hits{suite="my-shop"}'))
        t.check(m.get('canton_store_hits{suite="shop"}') == 3, "shop hits: %r" % m.get('canton_store_hits{suite="shop"}'))

    t.finish()


if __name__ == "__main__":
    main()
