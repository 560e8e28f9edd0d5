"""Currency events are money, end to end (docs/api.md "Numbers", docs/processing.md "eVars,
props, events"). A CNY suite declares event10 = name=Shipping; type=currency and a numeric
event5; Adobe hits in USD on two days are converted with each day's rate of a rates table
(12.3457 USD x 7.1234 = 87.9434 CNY; 1000000.0001 USD x 7.2 = 7200000.0007 CNY, more digits
than the 10 significant ones other numbers get). Checks, with exact text: the catalogue of
the suite and /suites name the events and say event10 is "currency"; report JSON totals,
trend, previous_period compare and change write event10 to 4 decimals as revenue; a
calculated metric event10 / orders is money; segment conditions on event10 are exact; the
numeric event keeps its decimals and is not money; `canton report` writes the same in CSV and
its table pads money to 4 decimals; `canton report --catalog --suite` names the events."""
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
event5 = name=Weight; type=numeric
event10 = name=Shipping; type=currency

[suite private]
token = s3cret-0123456789abcdef
"""
RATES = "# base=CNY\ndate,currency,rate\n2026-11-01,USD,7.1234\n2026-11-20,USD,7.2\n"
DAY19 = 1795082400  # 2026-11-19T10:00:00Z
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"


def adobe(**params):
    return "/b/ss/shop/1/JS-2.21.0/s1?" + urllib.parse.urlencode(dict(AQB="1", **params, AQE="1"))


HITS = [
    # the 19th: 7.1234 CNY per USD
    adobe(vid="A", ts=str(DAY19), pageName="Thanks", g="https://shop.test/thanks", cc="USD", purchaseID="O1",
          events="purchase,event10=12.3457,event5=2.5", products=";MUG;1;10.00"),
    # the 20th: 7.2
    adobe(vid="B", ts=str(DAY19 + 86400), pageName="Thanks", g="https://shop.test/thanks", cc="USD",
          purchaseID="O2", events="purchase,event10=1000000.0001", products=";MUG;1;1.00"),
    # in the base currency: as sent; the numeric event is never converted
    adobe(vid="C", ts=str(DAY19 + 86400 + 3600), pageName="Home", g="https://shop.test/", cc="CNY",
          events="event10=5.5,event5=0.25"),
]
BOTH = "suite=shop&from=2026-11-19&to=2026-11-20"


def run(*args):
    r = subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    if r.returncode != 0:
        raise AssertionError("canton %s: %s" % (" ".join(args), r.stderr.decode()))
    return r.stdout.decode()


def get(srv, target, headers=None):
    status, _, body = srv.request("GET", target, headers=headers)
    return status, body.decode("utf-8", "replace")


def main():
    data = tempfile.mkdtemp(prefix="canton-money-")
    t = canton_test.Checks()
    try:
        conf = os.path.join(data, "canton.conf")
        with open(conf, "w") as f:
            f.write(CONFIG)
        rates = os.path.join(data, "rates-in.csv")
        with open(rates, "w") as f:
            f.write(RATES)
        run("rates", "import", rates, "--data", data)
        with canton_test.Canton(config=CONFIG, data=data) as srv:
            for target in HITS:
                status, _ = get(srv, target, {"User-Agent": UA})
                t.check(status == 200, "collect %s: %d" % (target[:60], status))
            # processed and flushed: the three hits counted
            deadline = time.time() + 60
            want = '"totals":{"values":[7200093.4441,78.434,2.75,2,3]}'
            body = ""
            while time.time() < deadline:
                status, body = get(srv, "/api/v1/report?%s&metrics=event10,revenue,event5,orders,hits" % BOTH)
                if want in body:
                    break
                time.sleep(0.3)
            # 87.9434 + 7200000.0007 + 5.5: 11 significant digits (a count gave 7200093.444)
            t.check(want in body, "totals, event10 converted and written as money: %s" % body)

            # the catalogue of the suite: its events by name, event10 money, event5 a count
            status, body = get(srv, "/api/v1/catalog?suite=shop")
            t.check(status == 200 and body.endswith(
                '{"name":"event1..event1000","title":"Event","type":"count"},'
                '{"name":"event5","title":"Weight","type":"count"},'
                '{"name":"event10","title":"Shipping","type":"currency"}]}'), "catalog?suite=shop: %s" % body[-300:])
            status, body = get(srv, "/api/v1/catalog")
            t.check(status == 200 and '"event10"' not in body, "catalog without a suite: generic")
            status, body = get(srv, "/api/v1/catalog?suite=nosuch")
            t.check(status == 404 and "unknown suite 'nosuch'" in body, "catalog of an unknown suite: %d %s"
                    % (status, body))
            status, body = get(srv, "/api/v1/catalog?suite=private")
            t.check(status == 401, "catalog of a suite with a token, without it: %d" % status)
            status, body = get(srv, "/api/v1/catalog?suite=private", {"Authorization": "Bearer s3cret-0123456789abcdef"})
            t.check(status == 200, "catalog of a suite with its token: %d" % status)
            status, body = get(srv, "/api/v1/suites")
            shop = [s for s in json.loads(body)["suites"] if s["id"] == "shop"]
            t.check(shop and shop[0].get("events") == [
                {"name": "event5", "title": "Weight", "type": "count"},
                {"name": "event10", "title": "Shipping", "type": "currency"}], "/suites events: %s" % body)

            # a trend, by day: each day's rate
            status, body = get(srv, "/api/v1/report?%s&granularity=day&metrics=event10,event5" % BOTH)
            t.check('{"keys":["2026-11-19"],"values":[87.9434,2.5]},'
                    '{"keys":["2026-11-20"],"values":[7200005.5007,0.25]}' in body, "trend: %s" % body)
            # the previous period: compare and change are money too
            status, body = get(srv, "/api/v1/report?suite=shop&from=2026-11-20&to=2026-11-20"
                               "&metrics=event10,event5&compare=previous_period")
            t.check('"totals":{"values":[7200005.5007,0.25],"compare":[87.9434,2.5],'
                    '"change":[7199917.5573,-2.25],' in body, "compare: %s" % body)
            # event10 / orders is money (4 decimals), as revenue / orders; event5 / orders is not
            status, body = get(srv, "/api/v1/report?suite=shop&from=2026-11-20&to=2026-11-20&metrics=spo,wpo"
                               "&calc.spo=event10/orders&calc.wpo=event5/orders")
            t.check('"totals":{"values":[7200005.5007,0.25]}' in body, "calc: %s" % body)
            status, body = get(srv, "/api/v1/report?%s&metrics=x,y&calc.x=event10/7&calc.y=event5/hits" % BOTH)
            t.check('"totals":{"values":[1028584.7777,0.9166666667]}' in body, "calc: %s" % body)
            # segments compare the converted amount exactly
            for seg, hits in (("event10 = 87.9434", 1), ("event10 = 7200000.0007", 1), ("event10 > 5.5", 2),
                              ("event10 >= 5.5", 3), ("event5 = 0.25", 1), ("event10 < 0", 0)):
                status, body = get(srv, "/api/v1/report?%s&metrics=hits&segment=%s" % (BOTH, urllib.parse.quote(seg)))
                t.check('"totals":{"values":[%d]}' % hits in body, "segment %s: %s" % (seg, body))

        # the command line: CSV as JSON, the table padded to 4 decimals, the catalogue of the suite
        base = ["report", "--config", conf, "--data", data, "--suite", "shop", "--from", "2026-11-19",
                "--to", "2026-11-19"]
        out = run(*base, "--metrics", "event10,revenue,event5,spo", "--calc", "spo=event10/orders",
                  "--format", "csv")
        t.check(out == "event10,revenue,event5,spo\n87.9434,71.234,2.5,87.9434\n", "csv: %r" % out)
        out = run(*base, "--metrics", "event10,revenue,event5,spo", "--calc", "spo=event10/orders")
        lines = out.split("\n")
        t.check(len(lines) > 2 and lines[2].split() == ["87.9434", "71.2340", "2.5", "87.9434"],
                "table: %r" % out)
        out = run("report", "--config", conf, "--data", data, "--suite", "shop", "--catalog")
        t.check('{"name":"event10","title":"Shipping","type":"currency"}]}' in out, "--catalog --suite: %r"
                % out[-200:])
        out = run("report", "--catalog")
        t.check('"event10"' not in out, "--catalog alone: generic")
        t.finish()
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
