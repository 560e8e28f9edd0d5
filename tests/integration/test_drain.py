#!/usr/bin/env python3
"""SIGTERM drains: every hit taken before the stop is acknowledged.

Concurrent clients send hits with unique ids on keep-alive connections;
SIGTERM arrives mid-flight. The server must exit 0 within a few seconds,
say so in its log, and every hit that got a 2xx answer must be stored
exactly once; requests that arrive while it drains get 503 (never a 2xx
for a hit that is not stored).
"""
import http.client
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canton_test  # noqa: E402

t = canton_test.Checks()
ID_RE = re.compile(r"cid=([0-9]+-[0-9]+)")


def client(port, n, acked, refused, stop):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    i = 0
    while not stop.is_set():
        cid = "%d-%d" % (n, i)
        i += 1
        try:
            conn.request("GET", "/b/ss/demo/1/JS-2.21.0/s%d?AQB=1&cid=%s&AQE=1" % (i, cid))
            r = conn.getresponse()
            r.read()
        except (OSError, http.client.HTTPException):
            return
        if 200 <= r.status < 300:
            acked.append(cid)
        else:
            refused.append(r.status)
            conn.close()
            return


def main():
    acked, refused = [], []
    with canton_test.Canton() as srv:
        stop = threading.Event()
        threads = [threading.Thread(target=client, args=(srv.port, n, acked, refused, stop), daemon=True) for n in range(8)]
        for th in threads:
            th.start()
        time.sleep(1.0)
        before = len(acked)
        began = time.monotonic()
        rc = srv.stop(timeout=20)
        took = time.monotonic() - began
        stop.set()
        for th in threads:
            th.join(10)
        t.check(rc == 0, "exit code after SIGTERM: %r" % rc)
        t.check(took < 10, "the drain took %.1fs" % took)
        t.check(before > 20, "only %d hits before the stop" % before)
        t.check("every hit taken is acknowledged" in srv.log(), "no drain line in the log:\n" + srv.log())
        t.check(all(s == 503 for s in refused), "answers while draining: %r" % sorted(set(refused)))
        seen = {}
        for h in srv.dump():
            m = ID_RE.search(h.get("query", ""))
            if m:
                seen[m.group(1)] = seen.get(m.group(1), 0) + 1
        missing = [c for c in acked if seen.get(c, 0) != 1]
        t.check(not missing, "%d acknowledged hits not stored exactly once: %s" % (len(missing), missing[:5]))
        print("%d acknowledged, %d refused while draining, drain %.2fs" % (len(acked), len(refused), took))


if __name__ == "__main__":
    main()
    t.finish()
