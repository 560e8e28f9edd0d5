#!/usr/bin/env python3
"""gzip on canton's HTTP answers (h2o's compress filter, src/http/server.c).

Generates two days of traffic, starts `canton serve`, and checks with and without
`Accept-Encoding: gzip`: a report from /api/v1/report, /metrics, the dashboard's
page and JavaScript (gzip copies made at build time). Compressed answers say
Content-Encoding: gzip and gunzip to the plain answer byte for byte; both carry
Vary: Accept-Encoding. The collector's tiny answers (pixel, 204) and answers to
clients that refuse gzip stay plain. Then `[server] compress = off` turns the
run-time compression off (the build-time copies of the dashboard stay).
"""
import datetime
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canton_test  # noqa: E402

BIN = canton_test.BIN
GZ = {"Accept-Encoding": "gzip, deflate"}
t = canton_test.Checks()


def timeless(body):
    """A report says how long it took ("elapsed_ms"): the one part two answers may not share."""
    return re.sub(rb'"elapsed_ms":[0-9.eE+-]+', b'"elapsed_ms":0', body)


def same_both_ways(srv, path, what, want_gzip=True):
    """GETs path plain and with gzip accepted; checks encodings and equal bodies."""
    st1, h1, plain = srv.request("GET", path)
    st2, h2, packed = srv.request("GET", path, headers=GZ)
    plain = timeless(plain)
    t.check(st1 == 200 and st2 == 200, "%s: 200 both ways: %d %d" % (what, st1, st2))
    t.check(h1.get("content-encoding") is None, "%s: plain without Accept-Encoding: %r" % (what, h1))
    if want_gzip:
        t.check(h2.get("content-encoding") == "gzip", "%s: gzip with Accept-Encoding: %r" % (what, h2))
        t.check(len(packed) < len(plain), "%s: smaller gzipped: %d vs %d" % (what, len(packed), len(plain)))
        try:
            unpacked = timeless(gzip.decompress(packed))
        except OSError as e:
            unpacked = b"(not gzip: %s)" % str(e).encode()
        t.check(unpacked == plain, "%s: gunzipped body equals the plain body" % what)
        for h in (h1, h2):
            t.check((h.get("vary") or "").lower() == "accept-encoding", "%s: Vary: Accept-Encoding: %r" % (what, h))
    else:
        t.check(h2.get("content-encoding") is None and timeless(packed) == plain, "%s: not compressed: %r" % (what, h2))
    # a client that refuses gzip gets it plain
    st3, h3, body3 = srv.request("GET", path, headers={"Accept-Encoding": "gzip;q=0, identity"})
    t.check(st3 == 200 and h3.get("content-encoding") is None and timeless(body3) == plain,
            "%s: plain for gzip;q=0: %r" % (what, h3))


def metrics(srv):
    """/metrics changes between two requests (it counts them): compare its comment lines."""
    st1, h1, plain = srv.request("GET", "/metrics")
    st2, h2, packed = srv.request("GET", "/metrics", headers=GZ)
    t.check(st1 == 200 and st2 == 200 and h1.get("content-encoding") is None and h2.get("content-encoding") == "gzip",
            "metrics: plain, then gzip: %r %r" % (h1, h2))
    try:
        unpacked = gzip.decompress(packed)
    except OSError:
        unpacked = b""
    # the values move between the two requests (hits, processing), the # HELP and # TYPE lines do not
    def comments(b):
        return [x for x in b.split(b"\n") if x.startswith(b"#")]
    t.check(len(comments(plain)) > 0 and comments(unpacked) == comments(plain),
            "metrics: the gunzipped text is the metrics: %r" % unpacked[:100])
    for h in (h1, h2):
        t.check((h.get("vary") or "").lower() == "accept-encoding", "metrics: Vary: %r" % h)


def collector(srv):
    st, h, body = srv.request("GET", "/b/ss/demo/1/JS-2.21.0/s1?AQB=1&pageName=home&g=https%3A%2F%2Fshop.canton.test%2F&AQE=1",
                              headers=GZ)
    t.check(st == 200 and h.get("content-type") == "image/gif" and body.startswith(b"GIF"),
            "collector pixel: 200 GIF: %d %r" % (st, h))
    t.check(h.get("content-encoding") is None, "collector pixel: not compressed: %r" % h)
    st, h, body = srv.request("POST", "/b/ss/demo/1/JS-2.21.0/s2", body=b"AQB=1&pageName=cart&AQE=1",
                              headers=dict(GZ, **{"Content-Type": "application/x-www-form-urlencoded"}))
    t.check(st in (200, 204) and h.get("content-encoding") is None, "collector POST: not compressed: %d %r" % (st, h))
    st, h, body = srv.request("GET", "/healthz", headers=GZ)
    t.check(st == 200 and h.get("content-encoding") is None and body == b"ok\n", "healthz: tiny, plain: %r" % h)


def main():
    data = tempfile.mkdtemp(prefix="canton-gzip-")
    try:
        today = datetime.datetime.utcnow().date()
        frm, to = (today - datetime.timedelta(days=2)).isoformat(), (today - datetime.timedelta(days=1)).isoformat()
        gen = subprocess.run([BIN, "gen", "--suite", "demo", "--from", frm, "--to", to, "--visits-per-day", "100",
                              "--data", data, "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        t.check(gen.returncode == 0, "canton gen: %s" % gen.stderr.decode()[-500:])
        report = "/api/v1/report?suite=demo&from=%s&to=%s&dimension=page&metrics=pageviews,visits&limit=50" % (frm, to)
        dump = subprocess.run([BIN, "hitlog", "dump", "--data", data], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=120)
        records = len(dump.stdout.splitlines())
        t.check(dump.returncode == 0 and records > 0, "hitlog dump: %d records" % records)
        with canton_test.Canton(data=data) as srv:
            # processing runs in the server: wait until it has taken every hit (the report
            # grows while it runs, and the two answers compared below must be of the same rows)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                done = srv.metrics().get("canton_process_raw_hits_total", 0) >= records
                st, _, body = srv.request("GET", report)
                if done and st == 200 and body.count(b'"keys"') >= 20:
                    break
                time.sleep(0.3)
            t.check(srv.metrics().get("canton_process_raw_hits_total", 0) >= records,
                    "processing took all %d raw hits" % records)
            t.check(body.count(b'"keys"') >= 20, "the report has rows: %r" % body[:300])
            same_both_ways(srv, report, "report")
            metrics(srv)
            st, h, page = srv.request("GET", "/", headers=GZ)
            t.check(st == 200 and h.get("content-encoding") == "gzip", "dashboard page: gzip: %r" % h)
            st, h, html = srv.request("GET", "/")
            scripts = [a for a in re.findall(r'src="(/assets/[^"]+\.js)"', html.decode()) if a]
            t.check(len(scripts) >= 1, "the dashboard names its JavaScript: %r" % scripts)
            for a in scripts:
                same_both_ways(srv, a, a)
            collector(srv)
            # small API answers stay plain
            st, h, body = srv.request("GET", "/api/v1/report?suite=nope", headers=GZ)
            t.check(st != 200 and h.get("content-encoding") is None, "an error answer is plain: %d %r" % (st, h))
        with canton_test.Canton(data=data, config="[server]\ncompress = off\n[suite demo]\n") as srv:
            same_both_ways(srv, report, "report, compress = off", want_gzip=False)
            st, h, body = srv.request("GET", "/metrics", headers=GZ)
            t.check(st == 200 and h.get("content-encoding") is None and body.startswith(b"# "),
                    "metrics, compress = off: plain: %r" % h)
            st, h, html = srv.request("GET", "/", headers=GZ)
            t.check(st == 200 and h.get("content-encoding") == "gzip", "compress = off keeps the page's gzip copy: %r" % h)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    t.finish()


if __name__ == "__main__":
    main()
