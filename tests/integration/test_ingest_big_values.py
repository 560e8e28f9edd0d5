#!/usr/bin/env python3
"""A hit with a value longer than a store's dictionary string (1 MiB) is a
too_big bad row naming the value (docs/processing.md), and processing goes on
with the next hits: one client request must not stop processing for every
suite. Before the fix, the store refused the row, processing stopped with
`ETOOBIG` and `canton_process_up` fell to 0 while collection went on.
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
MIB = 1 << 20
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
t = canton_test.Checks()


def wait_processed(srv, n):
    deadline = time.time() + 60
    m = srv.metrics()
    while time.time() < deadline and m.get("canton_process_raw_hits_total", 0) < n \
            and m.get("canton_process_up") == 1:
        time.sleep(0.1)
        m = srv.metrics()
    return m


def main():
    with canton_test.Canton(config=CONFIG) as srv:
        adobe = "/b/ss/shop/1/JS-2.21.0/s%d"
        sent = [
            # an eVar of 1 MiB + 1 byte, in a long-request POST body (AppMeasurement's form)
            ("POST", adobe % 1, ("AQB=1&vid=v1&pageName=Big&g=https%3A%2F%2Fs%2Fa&v1=" + "b" * (MIB + 1)
                                 + "&AQE=1").encode()),
            # a page name of exactly 1 MiB is kept
            ("POST", adobe % 2, ("AQB=1&vid=v2&g=https%3A%2F%2Fs%2Fb&pageName=" + "p" * MIB + "&AQE=1").encode()),
            # a canton JSON title of 1.5 MiB
            ("POST", "/api/collect", json.dumps({"suite": "shop", "visitor": "v3", "events": [
                {"type": "pageview", "url": "https://s/c", "title": "t" * (MIB + MIB // 2)}]}).encode()),
            ("GET", adobe % 4 + "?AQB=1&vid=v4&pageName=After&g=https%3A%2F%2Fs%2Fd&AQE=1", None),
        ]
        for method, target, body in sent:
            status, _, _ = srv.request(method, target, body=body, headers={"User-Agent": UA})
            t.check(status in (200, 204), "%s %s: %d" % (method, target[:40], status))
        m = wait_processed(srv, len(sent))
        t.check(m.get("canton_process_up") == 1, "processing stopped: %r" % m.get("canton_process_up"))
        t.check(m.get("canton_process_raw_hits_total") == len(sent),
                "raw hits processed: %r" % m.get("canton_process_raw_hits_total"))
        t.check(m.get('canton_bad_rows_total{reason="too_big"}') == 2,
                "too_big bad rows: %r" % m.get('canton_bad_rows_total{reason="too_big"}'))
        t.check(m.get('canton_process_rows_total{group="hit"}') == 2,
                "hit rows: %r" % m.get('canton_process_rows_total{group="hit"}'))
        out = subprocess.run([srv.bin, "bad-rows", "--config", os.path.join(srv.data, "canton.conf"),
                              "--data", srv.data, "--json"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        t.check(out.returncode == 0, "bad-rows: %r" % out.stderr)
        details = sorted(json.loads(line)["detail"] for line in out.stdout.decode().splitlines() if line.strip())
        t.check(details == ["eVar1 is 1048577 bytes (a value is at most 1048576 bytes)",
                            "the page name is 1572864 bytes (a value is at most 1048576 bytes)"],
                "bad-row details: %r" % details)
    t.finish()


if __name__ == "__main__":
    main()
