#!/usr/bin/env python3
"""A label with a NUL byte (Adobe pageName=nul%00byte is stored whole) is written whole by
every output: the API's JSON (\\u0000), `canton report` json, csv and tsv (the byte as is, as
other control bytes), and the table (a space, as other control bytes). Before the fix, the
report's labels were cut at the NUL: "nul".
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canton_test  # noqa: E402

CONFIG = """[suite shop]
timezone = UTC
store_flush_seconds = 1
"""
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
t = canton_test.Checks()


def main():
    with canton_test.Canton(config=CONFIG) as srv:
        adobe = "/b/ss/shop/1/JS-2.21.0/s%d?AQB=1&vid=v%d&g=https%%3A%%2F%%2Fs%%2F%d&pageName=%s&AQE=1"
        for i, name in enumerate(("nul%00byte", "ctl%01byte")):
            status, _, _ = srv.request("GET", adobe % (i, i, i, name), headers={"User-Agent": UA})
            t.check(status in (200, 204), "hit %d: %d" % (i, status))
        q = "/api/v1/report?suite=shop&dimension=page&metrics=pageviews&sort=key"
        deadline, body = time.time() + 60, None
        while time.time() < deadline:
            status, _, body = srv.request("GET", q)
            if status == 200 and json.loads(body)["totals"]["values"] == [2]:
                break
            time.sleep(0.1)
        r = json.loads(body)
        t.check([row["keys"] for row in r["rows"]] == [["ctl\x01byte"], ["nul\x00byte"]],
                "API: the labels whole: %r" % r["rows"])
        t.check(b'"nul\\u0000byte"' in body and b'"ctl\\u0001byte"' in body,
                "API: the NUL as \\u0000 in the JSON: %r" % body)
        conf = os.path.join(srv.data, "canton.conf")

        def report(fmt):
            out = subprocess.run([srv.bin, "report", "--config", conf, "--data", srv.data, "--suite", "shop",
                                  "--dimension", "page", "--metrics", "pageviews",
                                  "--sort", "key", "--format", fmt],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            t.check(out.returncode == 0, "canton report --format %s: %r" % (fmt, out.stderr))
            return out.stdout
        got = json.loads(report("json"))
        t.check([row["keys"] for row in got["rows"]] == [["ctl\x01byte"], ["nul\x00byte"]],
                "canton report --format json: the labels whole: %r" % got["rows"])
        csv = report("csv")
        t.check(csv == b"page,pageviews\nctl\x01byte,1\nnul\x00byte,1\n", "csv: %r" % csv)
        tsv = report("tsv")
        t.check(tsv == b"page\tpageviews\nctl\x01byte\t1\nnul\x00byte\t1\n", "tsv: %r" % tsv)
        table = report("table").decode().splitlines()
        rows = [line.split("  ")[0] for line in table if line.endswith(" 1")]
        t.check(rows == ["ctl byte", "nul byte"], "table: control bytes as spaces: %r" % table)
    t.finish()


if __name__ == "__main__":
    main()
