#!/usr/bin/env python3
"""Crash test: no acknowledged hit is ever lost or doubled.

Each cycle starts `canton serve` on the same data folder (default fsync
durability), lets concurrent clients (threads, keep-alive connections) send
hits that each carry a unique id (Adobe GETs, Adobe POSTs and canton JSON
batches), kills the server with SIGKILL at a random moment, and checks that
the hitlog still reads. At the end every hit that got a 2xx answer must be in
`canton hitlog dump --json` exactly once, and no id may appear twice.

CANTON_CRASH_CYCLES (default 5) and CANTON_CRASH_SECONDS (default 30, the
time budget; cycles stop early when it runs out) tune it; tests/slow/
crash_loop.sh runs 100 cycles.
"""
import http.client
import json
import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canton_test  # noqa: E402

CYCLES = int(os.environ.get("CANTON_CRASH_CYCLES", "5"))
BUDGET = float(os.environ.get("CANTON_CRASH_SECONDS", "30"))
THREADS = 8
ID_RE = re.compile(r"(?:^|&)cid=([0-9]+-[0-9]+-[0-9]+)(?:&|$)")
JSON_ID_RE = re.compile(r'"cid":"([0-9]+-[0-9]+-[0-9]+)"')

t = canton_test.Checks()


def client(port, cycle, n, acked, stop, errors):
    """Sends hits until the connection dies or stop is set; records acknowledged ids."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    i = 0
    while not stop.is_set():
        cid = "%d-%d-%d" % (cycle, n, i)
        i += 1
        kind = i % 3
        try:
            if kind == 0:
                conn.request("GET", "/b/ss/demo/1/JS-2.21.0/s%d?AQB=1&ndh=1&cid=%s&pageName=Crash%%20test&AQE=1" % (i, cid),
                             headers={"User-Agent": "crash-test"})
            elif kind == 1:
                body = ("AQB=1&cid=%s&c1=%s&AQE=1" % (cid, "p" * random.randint(0, 3000))).encode()
                conn.request("POST", "/b/ss/demo/1/JS-2.21.0/s%d" % i, body=body,
                             headers={"Content-Type": "text/plain;charset=UTF-8"})
            else:
                body = json.dumps({"suite": "demo", "events": [{"type": "event", "name": "crash", "cid": cid}]},
                                  separators=(",", ":")).encode()
                conn.request("POST", "/api/collect", body=body, headers={"Content-Type": "text/plain"})
            r = conn.getresponse()
            r.read()
        except (OSError, http.client.HTTPException):
            return  # the server died (or is dying): this hit is not acknowledged
        if 200 <= r.status < 300:
            acked.append(cid)
        else:
            errors.append((cid, r.status))


def hit_id(h):
    m = ID_RE.search(h.get("query", "")) or ID_RE.search(h.get("body", "") if h.get("proto") == "adobe" else "")
    if not m and h.get("proto") == "canton-json":
        m = JSON_ID_RE.search(h.get("body", ""))
    return m.group(1) if m else None


def main():
    data = tempfile.mkdtemp(prefix="canton-crash-")
    start = time.monotonic()
    acked = []
    errors = []
    cycles = 0
    try:
        for cycle in range(CYCLES):
            if time.monotonic() - start > BUDGET - 4:
                break
            srv = canton_test.Canton(data=data)
            srv.start()
            if cycle > 0:
                t.check("hitlog" in srv.log(), "cycle %d: no hitlog line in the log" % cycle)
            stop = threading.Event()
            threads = [threading.Thread(target=client, args=(srv.port, cycle, n, acked, stop, errors), daemon=True)
                       for n in range(THREADS)]
            for th in threads:
                th.start()
            time.sleep(random.uniform(0.3, 2.0))
            srv.kill()  # SIGKILL, mid-flight
            stop.set()
            for th in threads:
                th.join(10)
                t.check(not th.is_alive(), "cycle %d: a client thread hangs" % cycle)
            cycles += 1
            # The log of a killed server must read (a torn tail counts as its end).
            got = srv.dump()
            t.check(len(got) >= 1, "cycle %d: dump after SIGKILL read %d hits" % (cycle, len(got)))

        # A last clean start must recover whatever tail the last kill left.
        srv = canton_test.Canton(data=data)
        srv.start()
        rc = srv.stop()
        t.check(rc == 0, "clean stop after crashes: %r" % rc)
        hits = srv.dump()
    finally:
        shutil.rmtree(data, ignore_errors=True)

    seen = {}
    for h in hits:
        cid = hit_id(h)
        if cid is not None:
            seen[cid] = seen.get(cid, 0) + 1
    missing = [c for c in acked if seen.get(c, 0) == 0]
    doubled = [c for c, n in seen.items() if n > 1]
    t.check(not missing, "%d acknowledged hits lost, e.g. %s" % (len(missing), missing[:5]))
    t.check(not doubled, "%d hits stored twice, e.g. %s" % (len(doubled), doubled[:5]))
    t.check(not errors, "non-2xx answers: %s" % errors[:5])
    t.check(len(acked) > 20 * cycles, "only %d acknowledged hits in %d cycles" % (len(acked), cycles))
    t.check(len(set(acked)) == len(acked), "a client id was acknowledged twice")
    print("%d cycles, %d acknowledged hits, %d stored, %.1fs" % (cycles, len(acked), len(hits), time.monotonic() - start))


if __name__ == "__main__":
    main()
    t.finish()
