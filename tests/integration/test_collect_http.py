#!/usr/bin/env python3
"""HTTP behaviour of the collector (docs/http.md): CORS, canton's own
endpoints, limits and their answers, bad requests, /canton.js, /metrics,
trusted proxies, connection limits and slow clients. After every bad
request the server must still serve.
"""
import gzip
import http.client
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canton_test  # noqa: E402

GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")
SRC = os.environ.get("CANTON_SRC", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
t = canton_test.Checks()


def still_serving(srv, after):
    status, _, _ = srv.request("GET", "/healthz")
    t.check(status == 200, "after %s: /healthz answered %d" % (after, status))


def raw(srv, data, read_timeout=5.0, shut=False, whole=False):
    """Sends raw bytes on a fresh connection and returns the bytes read until close, timeout or
    (unless whole or shut) the end of the first answer."""
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=read_timeout)
    try:
        s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
        out = b""
        end = time.monotonic() + read_timeout
        while time.monotonic() < end:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
            if b"\r\n\r\n" in out and not shut and not whole:
                head = out.split(b"\r\n\r\n", 1)[0].lower()
                if b"content-length: " in head:
                    n = int(head.split(b"content-length: ")[1].split(b"\r\n")[0])
                    if len(out.split(b"\r\n\r\n", 1)[1]) >= n:
                        break
        return out
    finally:
        s.close()


def status_of(resp):
    try:
        return int(resp.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def cors(srv):
    for path in ["/api/collect", "/b/ss/demo/1/JS-2.21.0/s1", "/i"]:
        status, h, body = srv.request("OPTIONS", path, headers={
            "Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-custom"})
        t.check(status == 204 and body == b"", "preflight %s: %d" % (path, status))
        t.check(h.get("access-control-allow-origin") == "https://shop.example", "preflight %s: origin %r" % (path, h))
        t.check(h.get("access-control-allow-credentials") == "true", "preflight %s: credentials" % path)
        t.check(h.get("access-control-allow-headers") == "content-type, x-custom", "preflight %s: allow-headers %r" % (path, h))
        methods = {m.strip() for m in h.get("access-control-allow-methods", "").split(",")}
        t.check(methods == {"GET", "POST", "OPTIONS"}, "preflight %s: methods %r" % (path, methods))
        t.check(h.get("cache-control") == "no-store", "preflight %s: cache-control" % path)
    # A preflight stores nothing.
    t.check(not [x for x in srv.dump() if x["method"] == "OPTIONS"], "a preflight was stored")


def canton_json(srv):
    doc = b'{"suite":"demo","sent_at":1,"events":[{"type":"pageview","url":"https://shop.example/"}]}'
    for ctype in ["application/json", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", None]:
        hdr = {"Origin": "https://shop.example"}
        if ctype:
            hdr["Content-Type"] = ctype
        status, h, body = srv.request("POST", "/api/collect?ct=%s" % (ctype or "none").split(";")[0], body=doc, headers=hdr)
        t.check(status == 204 and body == b"", "JSON as %s: %d %r" % (ctype, status, body))
        t.check(h.get("access-control-allow-origin") == "https://shop.example", "JSON answer has CORS")
        t.check(h.get("cache-control") == "no-store", "JSON answer: cache-control")
    gz = gzip.compress(b'{"suite":"demo","events":[{"type":"event","name":"gz"}]}')
    status, _, _ = srv.request("POST", "/api/collect?gzip=1", body=gz, headers={"Content-Type": "text/plain"})
    t.check(status == 204, "gzip JSON without Content-Encoding: %d" % status)
    status, _, _ = srv.request("POST", "/api/collect?unknown=1", body=b'{"suite":"nosuch","events":[]}')
    t.check(status == 204, "unknown suite: %d" % status)

    bad = {
        "garbage": b"this is not json",
        "truncated": b'{"suite":"demo","events":[',
        "array": b'[{"suite":"demo"}]',
        "empty": b"",
        "non-utf8": b'{"suite":"demo","events":[{"type":"event","name":"\xff\xfe"}]}',
        "bad-gzip": gz[:-8],
        "gzip-garbage": gzip.compress(b"not json"),
        "nul-escape": b'{"suite":"demo","events":[{"type":"event","name":"a\\u0000b"}]}',
    }
    for name, body in bad.items():
        status, h, answer = srv.request("POST", "/api/collect?bad=" + name, body=body)
        ok = status == 400
        try:
            ok = ok and isinstance(json.loads(answer)["error"], str)
        except (ValueError, KeyError):
            ok = False
        t.check(ok, "%s body: %d %r" % (name, status, answer))
        t.check(h.get("content-type") == "application/json", "%s: error content type" % name)
        still_serving(srv, name)
    # the error names what is wrong in the body, not a jansson flag (JSON_ALLOW_NUL)
    status, _, answer = srv.request("POST", "/api/collect?bad=nul-escape", body=bad["nul-escape"])
    t.check(status == 400 and json.loads(answer)["error"]
            == "malformed JSON: \\u0000 (a NUL character) is not allowed in a string (line 1, column 59)",
            "NUL escape error: %r" % answer)
    status, _, _ = srv.request("GET", "/api/collect")
    t.check(status == 405, "GET /api/collect: %d" % status)

    hits = [x for x in srv.dump() if x["path"] == "/api/collect"]
    queries = {x["query"]: x for x in hits}
    for q in ["ct=application/json", "ct=text/plain", "ct=application/x-www-form-urlencoded", "ct=none"]:
        x = queries.get(q)
        t.check(x is not None and x["body"] == doc.decode() and x["proto"] == "canton-json" and x["suite"] == "demo"
                and x["flags"] == 0, "stored %s: %r" % (q, x))
    x = queries.get("gzip=1")
    if t.check(x is not None, "gzip hit stored"):
        import base64
        stored = base64.b64decode(x["body"]) if x.get("body_encoding") == "base64" else x["body"].encode("latin-1")
        t.check(stored == gz, "gzip body stored as received")
        t.check(x["flags"] & 2, "gzip flag set: %r" % x["flags"])
    x = queries.get("unknown=1")
    t.check(x is not None and x["flags"] & 1 and x["suite"] == "nosuch", "unknown suite kept and flagged: %r" % x)
    t.check(not [q for q in queries if q.startswith("bad=")], "a rejected body was stored")
    m = srv.metrics()
    t.check(m.get('canton_collect_unknown_suite_hits_total{protocol="canton-json"}') == 1, "unknown suite counted")
    t.check(m.get('canton_http_requests_total{endpoint="canton-json",status="400"}') == len(bad) + 1, "400s counted")


def pixel(srv):
    q = "suite=demo&type=pageview&url=https%3A%2F%2Fshop.example%2F&title=Caf%C3%A9+%26+more"
    status, h, body = srv.request("GET", "/i?" + q, headers={"Referer": "https://shop.example/"})
    t.check(status == 200 and body == GIF and h.get("content-type") == "image/gif", "pixel: %d %r" % (status, h))
    t.check(h.get("cache-control") == "no-store", "pixel: cache-control")
    x = [x for x in srv.dump() if x["path"] == "/i"]
    t.check(len(x) == 1 and x[0]["query"] == q and x[0]["proto"] == "canton-pixel" and x[0]["suite"] == "demo",
            "pixel stored: %r" % x)


def sizes(srv):
    # 1 MiB POSTs are accepted by default (Adobe long request and JSON).
    big = "AQB=1&pageName=big&c1=" + "x" * (1 << 20) + "&AQE=1"
    status, _, body = srv.request("POST", "/b/ss/demo/1/JS-2.21.0/sbig", body=big.encode(), timeout=30)
    t.check(status == 200 and body == GIF, "1 MiB Adobe POST: %d" % status)
    doc = json.dumps({"suite": "demo", "events": [{"type": "event", "name": "big", "props": {"p": "y" * (1 << 20)}}]})
    status, _, _ = srv.request("POST", "/api/collect?big=1", body=doc.encode(), timeout=30)
    t.check(status == 204, "1 MiB JSON POST: %d" % status)
    stored = {x["path"] + "?" + x["query"]: x for x in srv.dump()}
    x = stored.get("/b/ss/demo/1/JS-2.21.0/sbig?")
    t.check(x is not None and x["body"] == big, "1 MiB Adobe body stored byte-exact")
    x = stored.get("/api/collect?big=1")
    t.check(x is not None and x["body"] == doc, "1 MiB JSON body stored byte-exact")

    # Over the body cap (2 MiB): 413, answered as soon as the head says so.
    resp = raw(srv, b"POST /api/collect HTTP/1.1\r\nHost: x\r\nContent-Length: 3000000\r\n\r\n")
    t.check(status_of(resp) == 413, "3 MB body: %r" % resp[:60])
    still_serving(srv, "413")
    # Chunked, over the cap.
    chunk = b"%x\r\n%s\r\n" % (1 << 20, b"z" * (1 << 20))
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(b"POST /api/collect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    resp = b""
    try:
        for _ in range(4):
            s.sendall(chunk)
    except OSError:
        pass
    try:
        resp = s.recv(4096)
    except OSError:
        pass
    s.close()
    t.check(status_of(resp) == 413 or resp == b"", "chunked 4 MB body: %r" % resp[:60])
    still_serving(srv, "chunked 413")

    # Heads: 60 KB of headers work, over 64 KB is 431.
    status, _, _ = srv.request("GET", "/i?suite=demo&h=60k", headers={"X-Big": "a" * 60000})
    t.check(status == 200, "60 KB header: %d" % status)
    x = [x for x in srv.dump() if x["query"] == "suite=demo&h=60k"]
    t.check(len(x) == 1 and ("x-big: " + "a" * 60000) in x[0]["headers"].split("\n"), "60 KB header stored")
    status, _, body = srv.request("GET", "/i?suite=demo&h=70k", headers={"X-Big": "a" * 70000})
    t.check(status == 431, "70 KB header: %d %r" % (status, body))
    status, _, body = srv.request("GET", "/i?suite=demo&h=many", headers={"X-H%d" % i: "b" * 700 for i in range(95)})
    t.check(status == 431, "95 headers of 700 bytes: %d" % status)
    still_serving(srv, "431")
    # URIs: 60 KB works, over 64 KB is 414.
    status, _, _ = srv.request("GET", "/b/ss/demo/1/JS-2.21.0/suri?AQB=1&c1=" + "u" * 60000 + "&AQE=1")
    t.check(status == 200, "60 KB URI: %d" % status)
    status, _, _ = srv.request("GET", "/b/ss/demo/1/JS-2.21.0/suri2?AQB=1&c1=" + "u" * 70000 + "&AQE=1")
    t.check(status == 414, "70 KB URI: %d" % status)
    still_serving(srv, "414")
    t.check(not [x for x in srv.dump() if x["path"] == "/b/ss/demo/1/JS-2.21.0/suri2" or x["query"].endswith("h=70k")],
            "a request over a limit was stored")


def bad_requests(srv):
    cases = {
        "garbage line": b"HELLO\r\n\r\n",
        "binary": bytes(range(256)) * 4,
        "bad version": b"GET / HTTP/9.9\r\n\r\n",
        "header without colon": b"GET /healthz HTTP/1.1\r\nno colon here\r\n\r\n",
        "bad content-length": b"POST /api/collect HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        "NUL in path": b"GET /i?suite=demo\x00x HTTP/1.1\r\nHost: x\r\n\r\n",
    }
    for name, data in cases.items():
        resp = raw(srv, data, read_timeout=3, shut=True)
        t.check(resp == b"" or status_of(resp) in (400, 404, 413, 505), "%s: %r" % (name, resp[:80]))
        still_serving(srv, name)
    # Clients that leave before their (fsync-deferred) answer: no crash, no deferral left behind.
    for i in range(50):
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(b"GET /b/ss/demo/1/JS/sgone%d?AQB=1&AQE=1 HTTP/1.1\r\nHost: x\r\n\r\n" % i)
        s.close()
    # Each waits for an fsync: slow on a busy disk under ASan. The server may not have read
    # every request yet when the count is first 0, so wait for it to stay 0 for a second.
    deadline = time.monotonic() + 90
    zero_since = None
    while time.monotonic() < deadline:
        if srv.metrics().get("canton_http_deferred_requests") != 0:
            zero_since = None
        elif zero_since is None:
            zero_since = time.monotonic()
        elif time.monotonic() - zero_since >= 1.0:
            break
        time.sleep(0.05)
    m = srv.metrics()
    t.check(m.get("canton_http_deferred_requests") == 0, "deferrals left after clients left: %r" % {
        k: v for k, v in m.items() if "deferred" in k or "fsync_seconds_sum" in k or "records_total" in k})
    still_serving(srv, "clients that left")
    status, _, _ = srv.request("GET", "/nothing/here")
    t.check(status == 404, "unknown path: %d" % status)
    status, h, _ = srv.request("PUT", "/b/ss/demo/1/JS/s1")
    t.check(status == 405 and h.get("allow") == "GET, HEAD, POST, OPTIONS",
            "PUT on the Adobe path: 405 with the methods it has: %d %r" % (status, h.get("allow")))
    # "/" is the dashboard's page: a known path, so another method is a 405 with its methods
    for target in ("/", "/?x=1"):
        status, h, _ = srv.request("PUT", target, body=b"x")
        t.check(status == 405 and h.get("allow") == "GET, HEAD",
                "PUT %s: 405 with the methods it has: %d %r" % (target, status, h.get("allow")))
    # Another tracker's endpoint (Matomo): not found, not "method not allowed" by the dashboard's
    # catch-all route, and counted as routed nowhere.
    before = srv.metrics().get('canton_http_requests_total{endpoint="none",status="404"}', 0)
    status, _, _ = srv.request("POST", "/matomo.php", body=b"idsite=1&rec=1")
    t.check(status == 404, "POST /matomo.php: %d" % status)
    after = srv.metrics().get('canton_http_requests_total{endpoint="none",status="404"}', 0)
    t.check(after == before + 1, "POST /matomo.php counted as endpoint none: %r -> %r" % (before, after))
    # Pipelining: two requests in one write, two answers in order.
    resp = raw(srv, b"GET /i?suite=demo&pipe=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
               whole=True, read_timeout=3)
    t.check(resp.count(b"HTTP/1.1 200") == 2 and b"ok\n" in resp, "pipelined: %r" % resp[:200])


def static(srv):
    with open(os.path.join(SRC, "web", "canton.js"), "rb") as f:
        source = f.read()
    status, h, body = srv.request("GET", "/canton.js")
    t.check(status == 200 and body == source, "GET /canton.js: %d, %d bytes" % (status, len(body)))
    t.check(h.get("content-type", "").startswith("application/javascript"), "canton.js type %r" % h.get("content-type"))
    t.check("max-age=" in h.get("cache-control", ""), "canton.js cache-control %r" % h.get("cache-control"))
    status, h2, body = srv.request("GET", "/canton.js", headers={"Accept-Encoding": "gzip, deflate, br"})
    t.check(status == 200 and h2.get("content-encoding") == "gzip" and gzip.decompress(body) == source,
            "gzip canton.js: %d %r" % (status, h2.get("content-encoding")))
    t.check(len(body) <= 2048, "canton.js is %d bytes gzipped" % len(body))
    status, h3, body = srv.request("GET", "/canton.js", headers={"If-None-Match": h.get("etag", "-")})
    t.check(status == 304 and body == b"", "If-None-Match: %d" % status)


def metrics(srv):
    status, h, body = srv.request("GET", "/metrics")
    t.check(status == 200 and h.get("content-type", "").startswith("text/plain"), "metrics: %d" % status)
    text = body.decode()
    for family in ["canton_http_requests_total", "canton_collect_hits_total", "canton_collect_unknown_suite_hits_total",
                   "canton_collect_hit_bytes_total", "canton_hitlog_fsync_seconds", "canton_hitlog_disk_bytes",
                   "canton_http_open_connections"]:
        t.check("# TYPE %s " % family in text, "metrics: no %s" % family)
    m = srv.metrics()
    t.check(m.get('canton_collect_hits_total{protocol="canton-pixel",suite="demo"}', 0) >= 3, "pixel hits counted")
    t.check(m.get('canton_http_requests_total{endpoint="none",status="431"}') == 2, "431s counted")
    t.check(m.get('canton_http_requests_total{endpoint="none",status="414"}') == 1, "414 counted")
    t.check(m.get("canton_hitlog_fsync_seconds_count", 0) > 0, "fsyncs counted")
    t.check(m.get('canton_hitlog_fsync_seconds_bucket{le="+Inf"}') == m.get("canton_hitlog_fsync_seconds_count"),
            "histogram +Inf equals count")
    t.check(m.get("canton_hitlog_disk_bytes", 0) > 2 << 20, "hitlog size %r" % m.get("canton_hitlog_disk_bytes"))
    t.check(m.get("canton_http_open_connections", 0) >= 1, "open connections")
    t.check(m.get("canton_hitlog_healthy") == 1, "healthy")
    t.check(m.get("canton_hitlog_records_total") == len(srv.dump()), "records counted")


LIMITED = """
[server]
max_connections = 4
io_timeout = 2s
durability = buffered
trusted_proxies = 127.0.0.1, 10.0.0.0/8
[suite demo]
"""


def limited():
    with canton_test.Canton(config=LIMITED) as srv:
        # Trusted proxy: the client is the nearest untrusted address in X-Forwarded-For.
        status, _, _ = srv.request("GET", "/i?suite=demo&xff=1", headers={"X-Forwarded-For": "198.51.100.7, 10.1.2.3"})
        t.check(status == 200, "XFF request: %d" % status)
        status, _, _ = srv.request("GET", "/i?suite=demo&xff=2", headers={"X-Forwarded-For": "not-an-ip"})
        t.check(status == 200, "XFF garbage: %d" % status)
        # Connection limit: four idle connections, the fifth gets 503 and is closed.
        # The server may still count the previous request's connection as open when it takes
        # new ones: a held connection that got the 503 is replaced until four are held.
        import select
        held = []
        for _ in range(5):
            while len(held) < 4:
                held.append(socket.create_connection(("127.0.0.1", srv.port)))
            time.sleep(0.2)
            readable, _, _ = select.select(held, [], [], 0.2)
            for h in readable:
                held.remove(h)
                h.close()
            if not readable:
                break
        t.check(len(held) == 4, "could not hold four connections")
        resp = raw(srv, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", read_timeout=3, shut=False)
        t.check(status_of(resp) == 503, "connection over the limit: %r" % resp[:60])
        held.pop().close()
        deadline = time.monotonic() + 3
        ok = False
        while time.monotonic() < deadline and not ok:
            ok = status_of(raw(srv, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", read_timeout=2)) == 200
        t.check(ok, "a connection slot came free")
        # Slow clients: io_timeout = 2s closes the held idle connections and a half-sent head.
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        s.sendall(b"GET /i?suite=demo&slow=1 HTTP/1.1\r\nHost: x\r\n")
        start = time.monotonic()
        try:
            data = s.recv(100)
        except OSError:
            data = b""
        took = time.monotonic() - start
        t.check(data == b"" or status_of(data) == 408, "slow client got %r" % data)
        t.check(1.5 < took < 5, "slow client closed after %.1fs" % took)
        for h in held:
            h.close()
        status, _, _ = srv.request("GET", "/healthz")
        t.check(status == 200, "serving after the slow client")
        m = srv.metrics()
        t.check(m.get("canton_http_connections_rejected_total", 0) >= 1, "rejected connections counted")
        srv.stop()
        hits = {x["query"]: x for x in srv.dump()}
        t.check(hits.get("suite=demo&xff=1", {}).get("ip") == "198.51.100.7", "trusted XFF: %r" % hits.get("suite=demo&xff=1"))
        t.check(hits.get("suite=demo&xff=2", {}).get("ip") == "127.0.0.1", "garbage XFF: %r" % hits.get("suite=demo&xff=2"))
        t.check("suite=demo&slow=1" not in hits, "the half-sent request was stored")


def example_config():
    """canton.conf.example must stay a valid config that runs."""
    with open(os.path.join(SRC, "canton.conf.example")) as f:
        text = f.read()
    with canton_test.Canton(config=text) as srv:
        status, _, body = srv.request("GET", "/b/ss/demo/1/JS-2.21.0/s1?AQB=1&AQE=1")
        t.check(status == 200 and body == GIF, "with canton.conf.example: %d" % status)
        m = srv.metrics()
        t.check(m.get('canton_collect_hits_total{protocol="adobe",suite="demo"}') == 1, "example config has suite demo")


def disk_full():
    """A write error (here: a 256 KB file size limit) answers 503, fails /healthz, loses no acked hit."""
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))

    with canton_test.Canton(preexec_fn=limit) as srv:
        acked, failed = [], []
        body = b"AQB=1&c1=" + b"f" * 10000 + b"&AQE=1"
        for i in range(60):
            status, h, answer = srv.request("POST", "/b/ss/demo/1/JS-2.21.0/sfull%d" % i, body=body)
            (acked if status == 200 else failed).append((i, status, answer))
        t.check(len(acked) >= 10 and len(failed) >= 10, "disk full: %d acked, %d failed" % (len(acked), len(failed)))
        t.check(all(s == 503 and a.startswith(b'{"error":') for _, s, a in failed),
                "disk full answers: %r" % sorted({s for _, s, _ in failed}))
        status, _, _ = srv.request("GET", "/healthz")
        t.check(status == 503, "healthz with a failing hitlog: %d" % status)
        m = srv.metrics()
        t.check(m.get("canton_collect_hit_failures_total") == len(failed), "failures counted: %r" % m.get("canton_collect_hit_failures_total"))
        t.check(m.get("canton_hitlog_healthy") == 0, "hitlog_healthy is 1")
        stored = {x["path"] for x in srv.dump()}
        lost = [i for i, _, _ in acked if "/b/ss/demo/1/JS-2.21.0/sfull%d" % i not in stored]
        t.check(not lost, "acknowledged hits missing after write errors: %r" % lost)
        t.check("hit not stored" in srv.log(), "the failure is logged")


def main():
    example_config()
    disk_full()
    with canton_test.Canton() as srv:
        cors(srv)
        canton_json(srv)
        pixel(srv)
        sizes(srv)
        bad_requests(srv)
        static(srv)
        metrics(srv)
    limited()


if __name__ == "__main__":
    main()
    t.finish()
