"""An Adobe Analytics data feed end to end: `canton import --format adobe-feed` ->
`canton process` -> `canton report`.

tests/data/adobe-feed holds a small feed: hit_data.tsv (no header), column_headers.tsv
and event.tsv beside it (found there without --lookup-dir). Its post_event_list carries
the success events: prodView, scAdd + scOpen, scCheckout + scView, two purchases (one with
event1 and event2=2.5, one with an instance of eVar5 and a ClickMap id, which are no success
events), a custom link with event1 (with a serialization ID, "200:s7", dropped) and event2=4
(its event_list also has event3, which Adobe's processing removed: post_event_list wins). A
row with exclude_hit 1 is skipped; a row with "1,abc" and one with id 7 (not in event.tsv) are
bad lines (bad-events). The report must give
exactly the figures worked out by hand from the file: 7 hits, 6 page views, 2 visits,
2 orders, revenue 46.00 (25.00 + 10.50 + 10.50 from post_product_list), 4 units, 1 product view,
1 cart add, 1 checkout, event1 2, event2 6.5, event3 0. Without event.tsv the same feed
gives the same figures (Adobe's fixed numbering) and id 7 is left out, not a bad line.

The feed also has post_pagename, post_page_url, post_product_list, post_purchaseid,
post_page_event, post_page_event_var1/2 and post_currency (docs/import.md "Adobe feed post_
columns"), which differ from the columns as sent on five rows: the page "mug-page" a processing
rule names "Mug", a checkout URL with a ";jsessionid=42" that is gone after processing, an order
sent in USD (currency and post_currency USD, the transaction's currency; product_list
3.50 + 1.50) that post_product_list has converted to the report suite's CNY (25.00 + 10.50), an
order sent with the purchaseid o1 again (a repeat: no order) that post_purchaseid gives as o2,
and the link hit, sent as a download (page_event 11) with the link name "signup" and a URL with
"?cid=9", which post_page_event 100 makes a custom link named "Newsletter signup" (as a VISTA
rule can) with the URL without the query. The o2 order's post_product_list also carries the
merchandising eVar5 instance 105 (Adobe's numbering in post_product_list) and eVar5=search. The
post columns win: the figures above (no USD rate needed: the USD is only context data), pages
Home, Mug, Cart, Checkout and Thanks x2, URLs without the session id, both orders in CNY, 10.50
of revenue and 1 unit bound to merch5 "search" and the instance left out (not a bad row), hit
types 6 page views and 1 link, the link's post_ name and URL. With `--map` renaming
post_pagename, post_page_event and post_page_event_var2 away the page as sent, "mug-page", the
download and the name "signup" are back and nothing else changes.

The second feed, written by the test, has only event_list (no post_ columns) and
duplicate_purchase, Adobe's flag that a hit's purchase is a repeat of a purchase ID Adobe had
already recorded. Visitor A: a home page; a product page with products and no event (no
product view: canton adds none to a feed's rows, docs/import.md); the order o1 (2 units, 20.00,
event1); its repeat, flagged and with o1 again. Visitor B, whose original orders are before the
feed starts: o9 flagged (never seen by canton; with event1 and a prodView), a flagged purchase
without an order id, and a new order o7 (1 unit, 7.00). Flagged hits count as canton's own
repeats: page views, but no order, revenue, units, events or items. The report: 7 hits, 7 page
views, 2 visits, 2 orders, revenue 27.00, 3 units, 0 product views, event1 1; products SKU1 and
SKU7 only. With `--map duplicate_purchase=duplicate_purchase_sent` the flag is only context
data and o9, the order without an id and their events and items count (as before the flag was
read): 4 orders, 62.00, 7 units, 1 product view, event1 2.
"""
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
FEED = os.path.join(SRC, "tests", "data", "adobe-feed")
CONF = """[server]
data = %s
[suite demo]
currency = CNY
timezone = UTC
"""
METRICS = ("hits,pageviews,visits,orders,revenue,units,product_views,cart_adds,checkouts,"
           "event1,event2,event3")
WANT = [7, 6, 2, 2, 46, 4, 1, 1, 1, 2, 6.5, 0]


def run(*args, want=0):
    r = subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    if r.returncode != want:
        raise AssertionError("canton %s: exit %d (want %d)\n%s" % (" ".join(args), r.returncode,
                                                                   want, r.stderr.decode()))
    return r.stdout.decode(), r.stderr.decode()


def report(conf, data, *args):
    out, _ = run("report", "--config", conf, "--data", data, "--suite", "demo",
                 "--from", "2025-03-01", "--to", "2025-03-31", "--format", "json", *args)
    return json.loads(out)


def breakdown(conf, data, dimension, metrics):
    rows = report(conf, data, "--dimension", dimension, "--metrics", metrics)["rows"]
    return {r["keys"][0]: r["values"] for r in rows}


def import_and_report(tmp, name, feed_dir, *extra):
    data = os.path.join(tmp, name)
    conf = os.path.join(tmp, name + ".conf")
    with open(conf, "w") as f:
        f.write(CONF % data)
    out, err = run("import", "--config", conf, "--suite", "demo", "--data", data,
                   "--format", "adobe-feed", "--summary", "json", *extra,
                   os.path.join(feed_dir, "hit_data.tsv"))
    s = json.loads(out)
    run("process", "--config", conf, "--data", data, "--until-end")
    bad, _ = run("bad-rows", "--data", data)
    assert "0 in the log" in bad, bad
    got = report(conf, data, "--metrics", METRICS)["totals"]["values"]
    by = {d: breakdown(conf, data, d, m)
          for d, m in (("page", "pageviews"), ("url", "hits"), ("currency", "orders,revenue"),
                       ("merch5", "revenue,units"), ("hit_type", "hits"), ("link_name", "hits"),
                       ("link_url", "hits"))}
    return s, err, got, by


PAGES = {"Home": [1], "Mug": [1], "Cart": [1], "Checkout": [1], "Thanks": [2],
         "/thanks": [0]}  # the custom link's URL names its (non-page-view) row
URLS = {"https://shop.example/": [1], "https://shop.example/p/mug": [1],
        "https://shop.example/cart": [1], "https://shop.example/checkout": [1],
        "https://shop.example/thanks": [3]}
CURRENCIES = {"CNY": [2, 46]}
MERCH5 = {"search": [10.5, 1], "": [35.5, 3]}  # SKU2 of order o2 bound to eVar5 "search"


def want_by(pages=PAGES, urls=URLS, link_type="link", link_name="Newsletter signup", views=6):
    """The breakdowns: views page views (no link name or URL) and the one link hit."""
    return {"page": pages, "url": urls, "currency": CURRENCIES, "merch5": MERCH5,
            "hit_type": {"page view": [views], link_type: [1]},
            "link_name": {link_name: [1], "": [views]},
            "link_url": {"https://shop.example/thanks": [1], "": [views]}}


DUP_HEADER = ["hit_time_gmt", "ip", "user_agent", "pagename", "page_url", "page_event",
              "event_list", "product_list", "purchaseid", "duplicate_purchase"]
UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
      "Safari/537.36")
DUP_ROWS = [
    # visitor A: home, a product page (products, no event), the order o1, its flagged repeat
    (0, "198.51.100.7", "Home", "/", "", "", "", "0"),
    (60, "198.51.100.7", "Mug", "/p/mug", "", ";SKU1", "", "0"),
    (120, "198.51.100.7", "Thanks", "/thanks", "1,200", ";SKU1;2;20.00", "o1", "0"),
    (180, "198.51.100.7", "Thanks", "/thanks", "1,200", ";SKU1;2;20.00", "o1", "1"),
    # visitor B: repeats of orders Adobe recorded before the feed starts, then a new order
    (240, "203.0.113.20", "Thanks", "/thanks", "1,200,2", ";SKU9;3;30.00", "o9", "1"),
    (300, "203.0.113.20", "Thanks", "/thanks", "1", ";SKU8;1;5.00", "", "1"),
    (360, "203.0.113.20", "Thanks", "/thanks", "1", ";SKU7;1;7.00", "o7", "0"),
]
DUP_METRICS = "hits,pageviews,visits,orders,revenue,units,product_views,event1"


def duplicate_purchase_feed(tmp):
    """A feed with event_list only and duplicate_purchase (the module's docstring)."""
    feed = os.path.join(tmp, "dupfeed")
    os.mkdir(feed)
    with open(os.path.join(feed, "column_headers.tsv"), "w") as f:
        f.write("\t".join(DUP_HEADER) + "\n")
    with open(os.path.join(feed, "hit_data.tsv"), "w") as f:
        for dt, ip, page, path, events, products, order, dup in DUP_ROWS:
            f.write("\t".join([str(1741600800 + dt), ip, UA, page, "https://shop.example" + path,
                               "0", events, products, order, dup]) + "\n")
    results = []
    for name, extra in (("dup", ()), ("dupmap", ("--map",
                                                 "duplicate_purchase=duplicate_purchase_sent"))):
        data = os.path.join(tmp, name)
        conf = os.path.join(tmp, name + ".conf")
        with open(conf, "w") as f:
            f.write(CONF % data)
        out, _ = run("import", "--config", conf, "--suite", "demo", "--data", data,
                     "--format", "adobe-feed", "--summary", "json", *extra,
                     os.path.join(feed, "hit_data.tsv"))
        s = json.loads(out)
        assert (s["lines"], s["hits"], s["bad_lines"]) == (7, 7, 0), s
        run("process", "--config", conf, "--data", data, "--until-end")
        bad, _ = run("bad-rows", "--data", data)
        assert "0 in the log" in bad, bad
        got = report(conf, data, "--metrics", DUP_METRICS)["totals"]["values"]
        products = breakdown(conf, data, "product", "hits,orders,units,revenue")
        results.append((got, products))
    return results


def main():
    tmp = tempfile.mkdtemp(prefix="canton-import-adobe-")
    try:
        s, err, got, by = import_and_report(tmp, "data", FEED)
        assert (s["lines"], s["hits"], s["skipped"], s["bad_lines"]) == (10, 7, 1, 2), s
        assert s["bad_by_reason"] == {"bad-events": 2}, s
        # the bad entries are named by line and column: "abc" and the id 7
        assert "hit_data.tsv:9: bad-events at column 197:" in err, err
        assert "hit_data.tsv:10: bad-events at column 191:" in err, err
        print("report:", dict(zip(METRICS.split(","), got)), by)
        assert got == WANT, (got, WANT)
        # the post_ columns win: page, URL, order id, products and their currency, hit type,
        # link name and URL
        assert by == want_by(), by

        # --map renames post_ columns away: the page, hit type and link name as sent are
        # back, nothing else moves
        s, err, got, by = import_and_report(
            tmp, "data3", FEED, "--map",
            "post_pagename=pagename_post,post_page_event=page_event_post,"
            "post_page_event_var2=link_name_post")
        assert got == WANT, (got, WANT)
        pages = dict(PAGES)
        pages["mug-page"] = pages.pop("Mug")
        assert by == want_by(pages=pages, link_type="download", link_name="signup"), by

        # without event.tsv: Adobe's fixed numbering; id 7 (no success event) is left out
        bare = os.path.join(tmp, "feed")
        os.mkdir(bare)
        for f in ("hit_data.tsv", "column_headers.tsv"):
            shutil.copy(os.path.join(FEED, f), bare)
        s, err, got, by = import_and_report(tmp, "data2", bare)
        assert (s["hits"], s["bad_lines"]) == (8, 1), s
        assert "hit_data.tsv:9: bad-events at column 197:" in err, err
        want = list(WANT)
        want[0] += 1  # the row with id 7 is a page view of its own
        want[1] += 1
        assert got == want, (got, want)
        pages = dict(PAGES)
        pages["Home"] = [2]
        urls = dict(URLS)
        urls["https://shop.example/"] = [2]
        assert by == want_by(pages=pages, urls=urls, views=7), by

        # duplicate_purchase: flagged purchases count as canton's own repeats; --map renaming
        # the column away counts them
        (got, products), (got_map, products_map) = duplicate_purchase_feed(tmp)
        print("duplicate_purchase:", got, products, "mapped away:", got_map, products_map)
        assert got == [7, 7, 2, 2, 27, 3, 0, 1], got
        assert products == {"SKU1": [2, 1, 2, 20], "SKU7": [1, 1, 1, 7]}, products
        assert got_map == [7, 7, 2, 4, 62, 7, 1, 2], got_map
        assert products_map == {"SKU1": [2, 1, 2, 20], "SKU9": [1, 1, 3, 30],
                                "SKU8": [1, 1, 1, 5], "SKU7": [1, 1, 1, 7]}, products_map
        print("ok")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
