#!/usr/bin/env python3
"""canton.js in a real browser, end to end.

Starts the real `canton serve`, serves tests/browser/shop.html from a second
local web server (a different origin, as a real site would be), and drives the
page in headless Chromium (tests/browser/drive_shop.js, playwright-core with
Debian's /usr/bin/chromium). Then reads what canton stored with
`canton hitlog dump --json` and checks that every page view (first load, SPA
pushState and back/popstate), custom event, queued call, e-commerce event,
download and outbound click arrived as a raw hit with the expected fields;
that cookie mode sets `_cn_id` and sends it as `visitor`; that the default mode
stores nothing in the browser; that without sendBeacon (or when it refuses)
fetch sends the hits, to data-endpoint; that data-hash and data-auto="false"
work; and that Do-Not-Track and Global Privacy Control modes send nothing.
Also checks that GET /canton.js serves web/canton.js and that it is at most
2 KB gzipped. drive_shop.js tags each mode's requests with the header
X-Canton-Test-Mode, which tells the modes' raw hits apart.

Exits 77 (Meson's skip) only when /usr/bin/chromium is missing.
"""
import gzip
import http.server
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SRC = os.environ.get("CANTON_SRC", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BROWSER_DIR = os.path.join(SRC, "tests", "browser")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canton_test  # noqa: E402  (the shared start-the-binary helper)

# The script tag's data attributes per mode ({canton}: canton's origin). In
# "fetch" the script comes from canton by another name (localhost), so that the
# hits reach 127.0.0.1 only through data-endpoint.
MODES = {
    "default": "",
    "cookie": 'data-cookie="true"',
    "fetch": 'data-endpoint="{canton}/" data-hash="true"',
    "manual": 'data-auto="false"',
    "gpc": 'data-respect-dnt="true"',
    "dnt": 'data-respect-dnt="true"',
}
checks = canton_test.Checks()
check = checks.check


class ShopServer(http.server.ThreadingHTTPServer):
    """Serves shop.html with canton's origin and the mode's data attributes filled in."""

    daemon_threads = True

    def __init__(self, canton_origin):
        self.canton_origin = canton_origin
        super().__init__(("127.0.0.1", 0), ShopHandler)

    @property
    def origin(self):
        return "http://127.0.0.1:%d" % self.server_address[1]


class ShopHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        mode = urllib.parse.parse_qs(url.query).get("mode", ["default"])[0]
        if url.path != "/shop.html" or mode not in MODES:
            self.send_error(404)
            return
        with open(os.path.join(BROWSER_DIR, "shop.html"), encoding="utf-8") as f:
            page = f.read()
        canton = self.server.canton_origin
        script = canton.replace("127.0.0.1", "localhost") if mode == "fetch" else canton
        page = page.replace("__ATTRS__", MODES[mode].format(canton=canton)).replace("__SCRIPT__", script)
        body = page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def gzip9_size(data):
    """Size of `gzip -9 -c web/canton.js` (the header carries the file name)."""
    out = io.BytesIO()
    with gzip.GzipFile(filename="canton.js", mode="wb", fileobj=out, compresslevel=9, mtime=0) as g:
        g.write(data)
    return len(out.getvalue())


def header(hit, name):
    """A request header of a dumped raw hit (headers as text or as an object)."""
    h = hit.get("headers") or ""
    if isinstance(h, dict):
        for k, v in h.items():
            if k.lower() == name:
                return v
        return None
    for line in h.splitlines():
        k, _, v = line.partition(":")
        if k.strip().lower() == name:
            return v.strip()
    return None


def check_tracker_file(srv):
    with open(os.path.join(SRC, "web", "canton.js"), "rb") as f:
        source = f.read()
    size = gzip9_size(source)
    print("canton.js: %d bytes, %d gzipped (-9)" % (len(source), size))
    check(size <= 2048, "canton.js is %d bytes gzipped, more than 2 KB" % size)
    status, headers, served = srv.request("GET", "/canton.js")
    check(status == 200, "GET /canton.js answered %d" % status)
    ctype = headers.get("content-type", "")
    check("javascript" in ctype, "GET /canton.js Content-Type %r" % ctype)
    check(served == source, "GET /canton.js is not web/canton.js as in the source tree")


def run_browser(web_origin, canton_origin):
    node = shutil.which("node")
    if not node:
        sys.exit("node is not installed (scripts/debian-packages.txt lists nodejs)")
    if not os.path.isdir(os.path.join(SRC, "node_modules", "playwright-core")):
        sys.exit("node_modules/playwright-core is missing: run scripts/run or npm ci")
    p = subprocess.run([node, os.path.join(BROWSER_DIR, "drive_shop.js"), web_origin, canton_origin],
                       stdout=subprocess.PIPE, timeout=240, cwd=BROWSER_DIR)
    if p.returncode != 0:
        sys.exit("drive_shop.js failed with exit code %d" % p.returncode)
    return json.loads(p.stdout)


def collect_hits(srv, want, deadline=10.0):
    """The raw hits of POST /api/collect, once at least `want` are in the hitlog."""
    end = time.monotonic() + deadline
    while True:
        hits = [h for h in srv.dump() if h.get("path") == "/api/collect"]
        if len(hits) >= want or time.monotonic() > end:
            return hits
        time.sleep(0.2)


def check_common(web, hit, body):
    check(hit.get("method") == "POST", "method %r" % hit.get("method"))
    check(hit.get("proto") == "canton-json", "proto %r" % hit.get("proto"))
    check(hit.get("suite") == "demo", "raw hit suite %r" % hit.get("suite"))
    check(hit.get("ip") == "127.0.0.1", "ip %r" % hit.get("ip"))
    check("Chrome" in (hit.get("ua") or ""), "user agent %r" % hit.get("ua"))
    ctype = header(hit, "content-type") or ""
    check(ctype.startswith("text/plain"), "beacon content type %r (want text/plain: no preflight)" % ctype)
    check(header(hit, "origin") == web, "Origin header %r" % header(hit, "origin"))
    check(header(hit, "dnt") is None, "a hit came from the Do-Not-Track browser")
    check(body.get("suite") == "demo", "body suite %r" % body.get("suite"))
    check(isinstance(body.get("sent_at"), int) and abs(body["sent_at"] / 1000 - time.time()) < 600,
          "sent_at %r" % body.get("sent_at"))
    check(isinstance(body.get("events"), list) and body["events"], "events %r" % body.get("events"))
    for e in body.get("events") or []:
        check(isinstance(e.get("ts"), int) and e["ts"] <= body["sent_at"] + 5, "ts %r" % e.get("ts"))
        check(e.get("url", "").startswith(web + "/"), "url %r" % e.get("url"))
        check(re.fullmatch(r"\d+x\d+", e.get("screen", "")) is not None, "screen %r" % e.get("screen"))
        check(bool(e.get("lang")), "lang %r" % e.get("lang"))
        check(e.get("title", "").endswith("Canton Test Shop"), "title %r" % e.get("title"))


MUG = {"sku": "SKU-RED-MUG", "name": "Red Mug", "category": "Kitchen/Mugs", "quantity": 2, "price": 39.9}
POT = {"sku": "SKU-BLUE-TEAPOT", "name": "Blue Teapot", "category": "Kitchen/Tea", "quantity": 1, "price": 127.8}
MUG_VIEW = {k: v for k, v in MUG.items() if k != "quantity"}


def check_default(web, bodies, seen):
    shop = web + "/shop.html?mode=default"
    mug, cart = web + "/p/red-mug", web + "/cart"
    events = [e for b in bodies for e in b["events"]]
    got = sorted((e["type"], e["url"], e.get("name", "")) for e in events)
    want = sorted([
        ("pageview", shop, ""), ("event", shop, "queued_before_load"),
        ("pageview", mug, ""), ("product_view", mug, ""),
        ("event", mug, "newsletter_signup"), ("cart_add", mug, ""),
        ("pageview", cart, ""), ("checkout", cart, ""), ("purchase", cart, ""),
        ("pageview", mug, ""), ("product_view", mug, ""),
        ("download", mug, "Manual (PDF)"), ("outbound", mug, "Partner offer"),
    ])
    check(got == want, "cookieless events:\n  got  %s\n  want %s" % (got, want))
    for b in bodies:
        check("visitor" not in b, "cookieless mode sent a visitor id: %r" % b.get("visitor"))

    pv = [e for e in events if e["type"] == "pageview"]
    refs = sorted((e["url"], e.get("referrer")) for e in pv)
    check(refs == sorted([(shop, None), (mug, shop), (cart, mug), (mug, cart)]),
          "page views (url, referrer): %s" % refs)
    for e in pv:
        title = {shop: "Canton Test Shop", mug: "Red Mug - Canton Test Shop",
                 cart: "Cart - Canton Test Shop"}.get(e["url"])
        check(e.get("title") == title, "page view %s title %r" % (e["url"], e.get("title")))

    def one(type_, name=None):
        m = [e for e in events if e["type"] == type_ and (name is None or e.get("name") == name)]
        return m[0] if m else {}

    check(one("event", "queued_before_load").get("props") == {"source": "stub"}, "queued event props")
    check(one("event", "newsletter_signup").get("props") == {"plan": "weekly", "step": 2}, "event props")
    for e in events:
        if e["type"] == "product_view":
            check(e.get("items") == [MUG_VIEW] and e.get("currency") == "CNY", "product_view %r" % e)
    check(one("cart_add").get("items") == [MUG] and one("cart_add").get("currency") == "CNY", "cart_add")
    check(one("checkout").get("items") == [MUG, POT], "checkout items")
    buy = one("purchase")
    check(buy.get("order_id") == "ORD-1001", "purchase order_id %r" % buy.get("order_id"))
    check(buy.get("currency") == "CNY", "purchase currency %r" % buy.get("currency"))
    check(buy.get("items") == [MUG, POT], "purchase items %r" % buy.get("items"))
    lines = sum(i["quantity"] * i["price"] for i in buy.get("items") or [])
    check(buy.get("revenue") == 207.6 and abs(lines - 207.6) < 1e-9, "purchase revenue %r" % buy.get("revenue"))
    check(one("download").get("target") == web + "/files/manual.pdf", "download target")
    check(one("outbound").get("target") == "http://partner.example/offer?ref=shop", "outbound target")

    # A product view made right after an SPA navigation follows its page view, in one request.
    for b in bodies:
        types = [e["type"] for e in b["events"]]
        if "product_view" in types:
            check(types == ["pageview", "product_view"], "SPA page view first, same request: %s" % types)

    check(seen["cookies"] == [] and seen["documentCookie"] == "", "cookieless mode set a cookie: %r" % seen["cookies"])
    check(seen["localStorage"] == 0 and seen["sessionStorage"] == 0, "cookieless mode used storage")
    check(all(s == 204 for s in seen["net"]["answered"]), "answers %r" % seen["net"]["answered"])
    check(set(seen["net"]["kinds"]) == {"ping"}, "sendBeacon not used: %r" % seen["net"]["kinds"])


def check_cookie(web, bodies, seen):
    cookies = seen["cookies"]
    check(len(cookies) == 1 and cookies[0]["name"] == "_cn_id", "cookie mode cookies: %r" % cookies)
    if not cookies:
        return
    c = cookies[0]
    check(re.fullmatch(r"[0-9a-f]{32}", c["value"]) is not None, "_cn_id %r is not 128-bit hex" % c["value"])
    check(c["sameSite"] == "Lax" and c["path"] == "/" and not c["httpOnly"], "_cn_id attributes %r" % c)
    # max-age is 2 years; Chromium caps any cookie's lifetime at 400 days.
    left = c["expires"] - time.time()
    check(399 * 86400 < left < (2 * 365 + 1) * 86400, "_cn_id expires in %r s" % left)
    events = [e for b in bodies for e in b["events"]]
    got = sorted((e["type"], e.get("name", "")) for e in events)
    want = sorted([("pageview", ""), ("pageview", ""), ("event", "queued_before_load"),
                   ("event", "queued_before_load"), ("event", "newsletter_signup")])
    check(got == want, "cookie mode events %s" % got)
    for b in bodies:  # the same id across the reload
        check(b.get("visitor") == c["value"], "visitor %r, cookie %r" % (b.get("visitor"), c["value"]))
    check(all(s == 204 for s in seen["net"]["answered"]), "answers %r" % seen["net"]["answered"])


def check_fetch(web, bodies, seen):
    """No sendBeacon: fetch with keepalive, to data-endpoint; hash changes with data-hash."""
    check(seen["beaconApi"] == "undefined", "sendBeacon was not removed: %r" % seen["beaconApi"])
    check(seen["net"]["kinds"] and set(seen["net"]["kinds"]) == {"fetch"}, "request kinds %r" % seen["net"]["kinds"])
    check(all(s == 204 for s in seen["net"]["answered"]), "answers %r" % seen["net"]["answered"])
    check(seen["misuse"] == "ok", "canton() threw on misuse: %r" % seen["misuse"])
    shop = web + "/shop.html?mode=fetch"
    events = [e for b in bodies for e in b["events"]]
    got = sorted((e["type"], e["url"], e.get("name", ""), e.get("referrer", "")) for e in events)
    want = sorted([("pageview", shop, "", ""), ("event", shop, "queued_before_load", ""),
                   ("pageview", shop + "#reviews", "", shop),
                   ("event", shop + "#reviews", "newsletter_signup", "")])
    check(got == want, "fetch/hash mode events:\n  got  %s\n  want %s" % (got, want))
    for e in events:
        if e["url"].endswith("#reviews"):
            check(e.get("title") == "Reviews - Canton Test Shop", "hash page title %r" % e.get("title"))


def check_manual(web, bodies, seen):
    """data-auto="false": only the page's own page view; refused beacons go by fetch."""
    check(seen["refusedBeacons"] >= 1, "sendBeacon was not tried: %r" % seen["refusedBeacons"])
    check(seen["net"]["kinds"] and set(seen["net"]["kinds"]) == {"fetch"}, "request kinds %r" % seen["net"]["kinds"])
    check(all(s == 204 for s in seen["net"]["answered"]), "answers %r" % seen["net"]["answered"])
    shop = web + "/shop.html?mode=manual"
    events = [e for b in bodies for e in b["events"]]
    got = sorted((e["type"], e["url"], e.get("name", e.get("title", ""))) for e in events)
    want = sorted([("event", shop, "queued_before_load"), ("pageview", web + "/virtual/step-2", "Step 2 - Canton Test Shop"),
                   ("product_view", web + "/p/red-mug", "Red Mug - Canton Test Shop")])
    check(got == want, "manual mode events:\n  got  %s\n  want %s" % (got, want))


def main():
    if not os.path.exists(CHROMIUM):
        print("SKIP: %s is missing (scripts/debian-packages.txt lists chromium)" % CHROMIUM)
        sys.exit(77)

    with canton_test.Canton() as srv:
        check_tracker_file(srv)
        shop = ShopServer(srv.url)
        threading.Thread(target=shop.serve_forever, daemon=True).start()
        try:
            seen = run_browser(shop.origin, srv.url)
        finally:
            shop.shutdown()
            shop.server_close()

        dnt = seen["dnt"]
        check(dnt["doNotTrack"] == "1", "the browser's Do-Not-Track is %r" % dnt["doNotTrack"])
        check(dnt["net"]["sent"] == 0, "Do-Not-Track mode sent %d requests" % dnt["net"]["sent"])
        fetch = seen["fetch"]
        check(fetch["globalPrivacyControl"] is True, "globalPrivacyControl %r" % fetch["globalPrivacyControl"])
        check(fetch["gpcSent"] == 0, "Global Privacy Control mode sent %d requests" % fetch["gpcSent"])

        sent = sum(seen[m]["net"]["sent"] for m in ("default", "cookie", "fetch", "manual"))
        hits = collect_hits(srv, sent)
        check(len(hits) == sent, "%d raw hits for %d requests the browser sent" % (len(hits), sent))
        # No CORS preflight: the collector answered as many requests as it stored hits.
        answered = srv.metrics().get('canton_http_requests_total{endpoint="canton-json",status="204"}')
        check(answered == len(hits), "%r requests to /api/collect for %d hits: preflights?" % (answered, len(hits)))
        by_mode = {"default": [], "cookie": [], "fetch": [], "manual": []}
        for h in hits:
            try:
                body = json.loads(h.get("body") or "")
            except ValueError:
                check(False, "raw hit body is not JSON: %r" % h.get("body"))
                continue
            check_common(shop.origin, h, body)
            urls = [e.get("url", "") for e in body.get("events") or []]
            check(not any("mode=dnt" in u or "mode=gpc" in u for u in urls), "a hit from a do-not-track page")
            mode = header(h, "x-canton-test-mode")  # set by drive_shop.js
            check(mode in by_mode, "a hit from mode %r" % mode)
            by_mode.get(mode, []).append(body)
        check_default(shop.origin, by_mode["default"], seen["default"])
        check_cookie(shop.origin, by_mode["cookie"], seen["cookie"])
        check_fetch(shop.origin, by_mode["fetch"], seen["fetch"])
        check_manual(shop.origin, by_mode["manual"], seen["manual"])

    print("%d raw hits checked" % len(hits))
    checks.finish()


if __name__ == "__main__":
    main()
