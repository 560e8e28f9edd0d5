"""Processing as a user sees it, end to end with the real binary (issue 3's acceptance):
Adobe image requests collected by `canton serve` (through a trusted proxy, so that the
X-Forwarded-For addresses give real geography), processed live, read back through the
reporting API. Checks: bad rows counted per reason in /metrics and listed by
`canton bad-rows --suite --reason`; eVars with expiry on an event, in days and never,
credited with a currency event converted to the suite's currency and a numeric event;
context data keys named like variables (contextData["pageName"]) set no variable, and
"c.=" markers reach a from= rule; referrer types and marketing channels (e-mail, AI
assistant, paid search, natural search, social, internal, a configured campaign
parameter); cross-border as a dimension and a segment; bots kept but out of reports
unless asked for; Adobe ts in ISO 8601 basic form; a value written by escape() (%uXXXX);
a purchaseID repeated after a restart
is not counted again; `canton reprocess --suite` gives the same export
(docs/processing.md, docs/hit.md, docs/enrich.md)."""
import hashlib
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
SRC = os.environ.get("CANTON_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
CONFIG = """[server]
trusted_proxies = 127.0.0.1

[suite shop]
timezone = UTC
currency = CNY
home_country = CN
domains = shop.test
store_flush_seconds = 1
campaign_params = utm_campaign, cid, src
evar1 = name=First; allocation=original; expiry=30d
evar3 = name=Payment; expiry=event:purchase
evar4 = name=Segment; expiry=never
evar5 = name=Recent; expiry=2d
evar6 = name=Plan; from=c.nl.plan
event10 = name=Shipping; type=currency
event11 = name=Score; type=numeric
"""
UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
DAY0 = 1795168800  # 2026-11-20T10:00:00Z
CN, US = "1.0.1.1", "8.8.8.8"
RANGE = "from=2026-11-20&to=2026-12-31"


def adobe(suite="shop", raw=None, **params):
    q = raw if raw is not None else urllib.parse.urlencode(dict(AQB="1", **params, AQE="1"))
    return "/b/ss/%s/1/JS-2.21.0/s1?%s" % (suite, q)


def at(days, minutes=0):
    return str(DAY0 + days * 86400 + minutes * 60)


# (target, client IP, user agent)
A = dict(vid="A")
HITS = [
    (adobe(**A, ts=at(0), pageName="Home", g="https://shop.test/?utm_medium=email&utm_campaign=SPRING",
           r="https://mail.google.com/mail/u/0/", v1="FIRST", v3="alipay", v4="gold", v5="r1"), CN, UA),
    (adobe(**A, ts=at(0, 1), pageName="Product", g="https://shop.test/p", v1="SECOND", v5="r2",
           events="prodView", products=";MUG"), CN, UA),
    (adobe(**A, ts=at(0, 2), pageName="Thanks", g="https://shop.test/thanks", cc="USD", purchaseID="O1",
           events="purchase,event10=5.00,event11=7", products="Kitchen;MUG;2;20.00"), CN, UA),
    (adobe(**A, ts=at(3), pageName="Later", g="https://shop.test/later", events="event11=2"), CN, UA),
    # context data: keys named like variables stay context data; "c.=" markers work
    (adobe(raw="AQB=1&vid=C1&ts=%s&pageName=Real&g=https%%3A%%2F%%2Fshop.test%%2Freal"
           "&c.&pageName=Ctx&v4=ctx&.c&AQE=1" % at(1)), CN, UA),
    (adobe(raw="AQB=1&vid=C2&ts=%s&pageName=Plan&g=https%%3A%%2F%%2Fshop.test%%2Fplan"
           "&c.=&nl.=&plan=weekly&.nl=&.c=&AQE=1" % at(1)), CN, UA),
    # ISO 8601 basic form and windows-1252; a prop written by escape() (%u: every escape a
    # character, %E8 is U+00E8 whatever ce says)
    (adobe(raw="AQB=1&vid=T1&ts=20261121T100000Z&ce=windows-1252&pageName=Caf%E9+%80"
           "&c1=cr%u00E8me+%u4E2D%uD83D%uDE00&g=https%3A%2F%2Fshop.test%2Fcafe&AQE=1"), CN, UA),
    # referrers and channels, one visitor each
    (adobe(vid="R1", ts=at(1), pageName="L", g="https://shop.test/", r="https://www.google.com/search?q=red+mug"),
     CN, UA),
    (adobe(vid="R2", ts=at(1), pageName="L", g="https://shop.test/", r="https://www.facebook.com/"), CN, UA),
    (adobe(vid="R3", ts=at(1), pageName="L", g="https://shop.test/", r="https://chatgpt.com/"), CN, UA),
    (adobe(vid="R4", ts=at(1), pageName="L", g="https://shop.test/?gclid=x", r="https://www.google.com/"),
     CN, UA),
    (adobe(vid="R5", ts=at(1), pageName="L", g="https://shop.test/a", r="https://www.shop.test/"), CN, UA),
    (adobe(vid="R6", ts=at(1), pageName="L", g="https://shop.test/?src=SRC6"), CN, UA),
    # cross-border and a bot
    (adobe(vid="U1", ts=at(1), pageName="L", g="https://shop.test/"), US, UA),
    (adobe(vid="B1", ts=at(1), pageName="L", g="https://shop.test/"), CN, BOT),
    # bad rows
    (adobe(suite="nosuch", vid="X", ts=at(1), g="https://shop.test/"), CN, UA),
    (adobe(vid="X1", ts=at(1), g="https://shop.test/", cc="JPY", events="purchase", products=";A;1;1"), CN, UA),
    (adobe(vid="X2", ts=at(1), g="https://shop.test/", products=";A;x"), CN, UA),
    (adobe(vid="X3", ts="yesterday", g="https://shop.test/"), CN, UA),
]
REPEAT = adobe(**A, ts=at(4), pageName="Thanks", g="https://shop.test/thanks", cc="CNY", purchaseID="O1",
               events="purchase", products=";MUG;1;5.00")


def run(*args):
    r = subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=240)
    if r.returncode != 0:
        raise AssertionError("canton %s: %s" % (" ".join(args), r.stderr.decode()))
    return r.stdout.decode()


def rows(report):
    return {tuple(r["keys"]) if len(r["keys"]) > 1 else r["keys"][0]: r["values"] for r in report["rows"]}


def report(srv, query):
    status, _, body = srv.request("GET", "/api/v1/report?suite=shop&%s&%s" % (RANGE, query))
    return rows(json.loads(body)) if status == 200 else {"status": status, "body": body[:200]}


def totals(srv, query):
    status, _, body = srv.request("GET", "/api/v1/report?suite=shop&%s&%s" % (RANGE, query))
    return json.loads(body)["totals"]["values"] if status == 200 else status


def until(srv, query, ok, deadline):
    """The report, asked again until ok(report) holds or the deadline passes: the store
    makes rows visible on its flush timer, and a flush may come between two hits."""
    got = report(srv, query)
    while not ok(got) and time.time() < deadline:
        time.sleep(0.3)
        got = report(srv, query)
    return got


def send(t, srv, hits):
    for target, ip, ua in hits:
        status, _, _ = srv.request("GET", target, headers={"User-Agent": ua, "X-Forwarded-For": ip})
        t.check(status == 200, "collect %s: %d" % (target[:60], status))


def main():
    data = tempfile.mkdtemp(prefix="canton-accept-")
    t = canton_test.Checks()
    try:
        conf = os.path.join(data, "canton.conf")
        with open(conf, "w") as f:
            f.write(CONFIG)
        run("rates", "import", os.path.join(SRC, "docs", "rates-sample.csv"), "--data", data)
        with canton_test.Canton(config=CONFIG, data=data) as srv:
            send(t, srv, HITS)
            deadline = time.time() + 90
            srv.wait_processed(len(HITS), timeout=90)
            m = srv.metrics()
            for reason in ("unknown_suite", "no_rate", "bad_products", "bad_timestamp"):
                key = 'canton_bad_rows_total{reason="%s"}' % reason
                t.check(m.get(key) == 1, "/metrics %s: %r" % (key, m.get(key)))
            t.check(m.get('canton_bad_rows_total{reason="bad_json"}') == 0, "/metrics: no other reason")

            # eVar credit: the purchase (USD 20.00 -> CNY) and its converted currency event
            # credit the payment eVar, which ends with the purchase
            want = {"alipay": [1, 139.6, 34.9, 7.0], "": [0, 0.0, 0.0, 2.0]}
            got = until(srv, "dimension=evar3&metrics=orders,revenue,event10,event11", lambda g: g == want, deadline)
            t.check(got == want, "evar3 credit: %r" % got)
            # original allocation keeps FIRST; expiry 2d ends evar5 before day 3; never keeps evar4
            got = until(srv, "dimension=evar1&metrics=pageviews,orders",
                        lambda g: g.get("FIRST") == [4, 1] and "SECOND" not in g, deadline)
            t.check(got.get("FIRST") == [4, 1] and "SECOND" not in got, "evar1 original, 30d: %r" % got)
            got = until(srv, "dimension=evar5&metrics=pageviews,event11",
                        lambda g: g.get("r1") == [1, 0.0] and g.get("r2") == [2, 7.0], deadline)
            t.check(got.get("r1") == [1, 0.0] and got.get("r2") == [2, 7.0], "evar5 2d: %r" % got)
            got = until(srv, "dimension=evar4&metrics=pageviews,event11",
                        lambda g: g.get("gold") == [4, 9.0] and "ctx" not in g, deadline)
            t.check(got.get("gold") == [4, 9.0] and "ctx" not in got, "evar4 never: %r" % got)

            got = until(srv, "dimension=page&metrics=pageviews&limit=0",
                        lambda g: "Real" in g and "Caf\u00e9 \u20ac" in g, deadline)
            t.check("Real" in got and "Ctx" not in got, "contextData pageName is not the page: %r" % got)
            t.check("Caf\u00e9 \u20ac" in got, "ts basic form and windows-1252: %r" % got)
            want = "cr\u00e8me \u4e2d\U0001f600"
            got = until(srv, "dimension=prop1&metrics=pageviews", lambda g: want in g, deadline)
            t.check(got.get(want) == [1] and len(got) == 2, "escape() %%u prop1: %r" % got)
            got = until(srv, "dimension=evar6&metrics=pageviews", lambda g: g.get("weekly") == [1], deadline)
            t.check(got.get("weekly") == [1], "c.= context data reaches evar6 = from=c.nl.plan: %r" % got)

            want = {"Email": [1], "Natural Search": [1], "Social Networks": [1], "AI Assistants": [1],
                    "Paid Search": [1], "Internal": [1], "Other Campaigns": [1], "Direct": [5]}
            got = until(srv, "dimension=channel&metrics=visits&limit=0", lambda g: g == want, deadline)
            t.check(got == want, "channels: %r" % got)
            got = until(srv, "dimension=referrer_type&metrics=visits&limit=0",
                        lambda g: g.get("email") == [1] and g.get("paid") == [1] and g.get("internal") == [1],
                        deadline)
            t.check(got.get("email") == [1] and got.get("paid") == [1]
                    and got.get("internal") == [1], "referrer types: %r" % got)
            got = until(srv, "dimension=campaign&metrics=visits&limit=0",
                        lambda g: g.get("SPRING") == [1] and g.get("SRC6") == [1], deadline)
            t.check(got.get("SPRING") == [1] and got.get("SRC6") == [1], "campaigns: %r" % got)

            got = until(srv, "dimension=cross_border&metrics=visits", lambda g: g.get("yes") == [1], deadline)
            t.check(got.get("yes") == [1], "cross-border dimension: %r" % got)
            seg = urllib.parse.quote('visit(cross_border = "yes")')
            got = until(srv, "dimension=country&metrics=visits&segment=" + seg, lambda g: g == {"US": [1]},
                        deadline)
            t.check(got == {"US": [1]}, "cross-border segment: %r" % got)

            got = until(srv, "dimension=bot&metrics=visits&bots=1", lambda g: g.get("search-engine") == [1],
                        deadline)
            t.check(got.get("search-engine") == [1], "bots=1 shows the bot and its type: %r" % got)
            got = report(srv, "dimension=bot&metrics=visits")
            t.check(set(got) == {""}, "bots are out of reports by default: %r" % got)
            before = totals(srv, "metrics=orders,revenue")

        # the same purchaseID after a restart: a duplicate, not a second order
        with canton_test.Canton(config=CONFIG, data=data) as srv:
            send(t, srv, [(REPEAT, CN, UA)])
            deadline = time.time() + 60
            while time.time() < deadline and srv.metrics().get(
                    'canton_process_orders_total{kind="duplicate"}', 0) < 1:
                time.sleep(0.2)
            t.check(srv.metrics().get('canton_process_orders_total{kind="duplicate"}') == 1,
                    "the repeat after a restart is a duplicate")
            time.sleep(1.5)  # a store flush
            got = totals(srv, "metrics=orders,revenue")
            t.check(got == before and got == [1, 139.6], "orders and revenue unchanged: %r vs %r" % (got, before))

        out = run("bad-rows", "--data", data, "--suite", "shop", "--reason", "no_rate")
        t.check("1 bad rows shown (4 in the log), no_rate 1" in out, "bad-rows --suite --reason: %r" % out)
        out = run("bad-rows", "--data", data, "--suite", "nosuch")
        t.check("1 bad rows shown (4 in the log), unknown_suite 1" in out, "bad-rows --suite: %r" % out)

        def export():
            return hashlib.sha256(run("export", "--config", conf, "--data", data, "--suite", "shop",
                                      "--from", "2026-11-20", "--to", "2026-12-31").encode()).hexdigest()

        before = export()
        run("reprocess", "--config", conf, "--data", data, "--suite", "shop")
        t.check(export() == before, "reprocess --suite gives the same export")
        t.finish()
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
