#!/usr/bin/env python3
"""Adobe AppMeasurement requests against the real collector.

Replays every request recorded in $CANTON_SHARED/fixtures/trackers/
adobe-appmeasurement/*.jsonl (method, path, query, headers and body as
recorded) and checks that each gets the answer the tracker expects and is in
`canton hitlog dump --json` byte-exact (path, query, body), with its
headers, user agent, client IP and suite. Then the variants the fixtures do
not cover: JSONP callback, the postback XHR POST (JSON answer), the
hard-coded short path, multi-suite lists, and bad paths.
"""
import base64
import http.client
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canton_test  # noqa: E402

GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")
CONFIG = """
[server]
trusted_proxies = 10.0.0.0/8
[suite cantonshopprod]
timezone = Asia/Shanghai
currency = CNY
[suite demo]
"""

t = canton_test.Checks()


def send_recorded(srv, rec):
    """Sends one recorded request exactly: the recorded headers only, in order."""
    body = rec.get("body")
    if body is not None:
        body = base64.b64decode(body) if rec.get("body_encoding") == "base64" else body.encode()
    target = rec["path"] + ("?" + rec["query"] if rec.get("query") else "")
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    c.putrequest(rec["method"], target, skip_host=True, skip_accept_encoding=True)
    names = set()
    for name, value in rec["headers"].items():
        if name == "content-length" and body is not None:
            value = str(len(body))
        c.putheader(name, value)
        names.add(name)
    if body is not None and "content-length" not in names:
        c.putheader("content-length", str(len(body)))
    c.endheaders(body)
    r = c.getresponse()
    out = (r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    c.close()
    return out


def header_lines(hit):
    return hit.get("headers", "").split("\n")


def main():
    recs = canton_test.fixtures("adobe-appmeasurement")
    t.check(len(recs) >= 9, "found %d fixture requests" % len(recs))
    with canton_test.Canton(config=CONFIG) as srv:
        for rec in recs:
            status, headers, body = send_recorded(srv, rec)
            want = rec["response"]
            name = "%s#%s" % (rec["scenario"], rec["seq"])
            t.check(status == want["status"], "%s: status %d, want %d" % (name, status, want["status"]))
            t.check(headers.get("content-type", "").startswith(want["content_type"]),
                    "%s: content type %r" % (name, headers.get("content-type")))
            if want["content_type"] == "image/gif":
                t.check(body == GIF, "%s: body is not the 43-byte GIF" % name)
            t.check(headers.get("cache-control") == "no-store", "%s: cache-control %r" % (name, headers.get("cache-control")))
            origin = rec["headers"].get("origin")
            if origin:
                t.check(headers.get("access-control-allow-origin") == origin, "%s: CORS origin not echoed" % name)
                t.check(headers.get("access-control-allow-credentials") == "true", "%s: no CORS credentials" % name)

        hits = srv.dump()
        by_path = {}
        for h in hits:
            by_path.setdefault(h.get("path"), []).append(h)
        for rec in recs:
            name = "%s#%s" % (rec["scenario"], rec["seq"])
            got = by_path.get(rec["path"], [])
            if not t.check(len(got) == 1, "%s: %d hits with path %s" % (name, len(got), rec["path"])):
                continue
            h = got[0]
            t.check(h.get("query") == rec["query"], "%s: query differs:\n%r\n%r" % (name, h.get("query"), rec["query"]))
            body = rec.get("body") or ""
            t.check(h.get("body") == body, "%s: body differs" % name)
            t.check(h.get("method") == rec["method"], "%s: method %r" % (name, h.get("method")))
            t.check(h.get("suite") == "cantonshopprod", "%s: suite %r" % (name, h.get("suite")))
            t.check(h.get("proto") == "adobe", "%s: proto %r" % (name, h.get("proto")))
            t.check(h.get("flags") == 0, "%s: flags %r" % (name, h.get("flags")))
            t.check(h.get("ip") == "127.0.0.1", "%s: ip %r" % (name, h.get("ip")))
            t.check(h.get("ua") == rec["headers"]["user-agent"], "%s: ua %r" % (name, h.get("ua")))
            lines = header_lines(h)
            for k, v in rec["headers"].items():
                if k == "content-length":
                    continue  # h2o reads it to frame the body
                t.check("%s: %s" % (k, v) in lines, "%s: header %s missing from %r" % (name, k, lines))
        t.check(len(hits) == len(recs), "%d hits for %d requests" % (len(hits), len(recs)))

        variants(srv)


def variants(srv):
    q = "AQB=1&ndh=1&pageName=Home&AQE=1"
    # JSONP: the callback AppMeasurement sends when postbacks are on.
    status, headers, body = srv.request("GET", "/b/ss/demo/10/JS-2.21.0/s1?AQB=1&ndh=1&callback=s_c_il%5B0%5D.doPostbacks&et=1&AQE=1")
    t.check(status == 200 and headers.get("content-type", "").startswith("application/javascript"),
            "JSONP: %d %r" % (status, headers.get("content-type")))
    t.check(body == b's_c_il[0].doPostbacks({"dests":[]})', "JSONP body %r" % body)
    # A callback that is not a plain name is never echoed: the GIF instead.
    status, headers, body = srv.request("GET", "/b/ss/demo/1/JS-2.21.0/s2?AQB=1&callback=alert(1)%3B&AQE=1")
    t.check(status == 200 and body == GIF, "unsafe callback answered %d %r" % (status, body[:40]))
    # The long-request XHR POST with postbacks on: JSON.
    status, headers, body = srv.request("POST", "/b/ss/demo/10/JS-2.21.0/s3", body=q.encode(),
                                        headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": "https://shop.example"})
    t.check(status == 200 and headers.get("content-type") == "application/json" and body == b'{"dests":[]}',
            "postback POST: %d %r %r" % (status, headers.get("content-type"), body))
    t.check(headers.get("access-control-allow-origin") == "https://shop.example", "postback POST: CORS")
    # Hard-coded image request: /b/ss/<suite>/1?...
    status, headers, body = srv.request("GET", "/b/ss/demo/1?" + q)
    t.check(status == 200 and body == GIF, "short path: %d" % status)
    # Multi-suite tagging: the raw field is kept; an unknown suite in the list flags the hit.
    status, _, _ = srv.request("GET", "/b/ss/cantonshopprod,demo/1/JS-2.21.0/s4?" + q)
    t.check(status == 200, "multi-suite: %d" % status)
    status, _, _ = srv.request("GET", "/b/ss/demo,nosuch/1/JS-2.21.0/s5?" + q)
    t.check(status == 200, "multi-suite with unknown: %d" % status)
    # X-Forwarded-For from an untrusted peer (127.0.0.1 is not in 10.0.0.0/8) is ignored.
    status, _, _ = srv.request("GET", "/b/ss/demo/1/JS-2.21.0/s6?" + q, headers={"X-Forwarded-For": "203.0.113.9"})
    t.check(status == 200, "XFF request: %d" % status)
    # Bad paths: 400, nothing stored, the server keeps serving.
    for path in ["/b/ss//1/JS/s1", "/b/ss/demo", "/b/ss/demo/", "/b/ss/de%20mo/1", "/b/ss/demo/1/a/b/c/d"]:
        status, _, body = srv.request("GET", path + "?" + q)
        t.check(status == 400 and body.startswith(b'{"error":'), "bad path %s: %d %r" % (path, status, body))
    status, _, _ = srv.request("GET", "/healthz")
    t.check(status == 200, "healthz after bad paths: %d" % status)

    hits = {h["path"]: h for h in srv.dump()}
    h = hits.get("/b/ss/demo/10/JS-2.21.0/s1")
    t.check(h is not None and "callback=s_c_il%5B0%5D.doPostbacks" in h["query"], "JSONP hit stored with its query")
    h = hits.get("/b/ss/demo/10/JS-2.21.0/s3")
    t.check(h is not None and h["body"] == q and h["query"] == "" and h["method"] == "POST", "postback POST stored: %r" % h)
    h = hits.get("/b/ss/demo/1")
    t.check(h is not None and h["suite"] == "demo" and h["query"] == q, "short path stored: %r" % h)
    h = hits.get("/b/ss/cantonshopprod,demo/1/JS-2.21.0/s4")
    t.check(h is not None and h["suite"] == "cantonshopprod,demo" and h["flags"] == 0, "multi-suite stored: %r" % h)
    h = hits.get("/b/ss/demo,nosuch/1/JS-2.21.0/s5")
    t.check(h is not None and h["suite"] == "demo,nosuch" and h["flags"] & 1, "multi-suite with unknown flagged: %r" % h)
    h = hits.get("/b/ss/demo/1/JS-2.21.0/s6")
    t.check(h is not None and h["ip"] == "127.0.0.1" and "x-forwarded-for: 203.0.113.9" in header_lines(h),
            "untrusted XFF: %r" % h)
    t.check(not any(p.startswith("/b/ss/demo/1/a") or p.startswith("/b/ss//") for p in hits), "bad paths were stored")
    m = srv.metrics()
    t.check(m.get('canton_collect_unknown_suite_hits_total{protocol="adobe"}') == 1, "unknown suite hits counted")
    t.check(m.get('canton_http_requests_total{endpoint="adobe",status="400"}') == 5, "400s counted")


if __name__ == "__main__":
    main()
    t.finish()
