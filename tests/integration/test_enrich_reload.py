"""Enrichment reload on SIGHUP (docs/enrich.md "Reload"), through the real binary.

`canton serve` with a suite whose referer_list file names news.reload.test a search engine:
hits keep coming while SIGHUP is sent several times; serve stays up, every hit is processed
(canton_process_raw_hits_total), the log shows the reload, /metrics counts it, and visits
after the reload carry what the new file says (the host is now a social network: channel
"Social Networks" instead of "Natural Search"). Then the file is broken, and later deleted,
before a SIGHUP: each reload fails with an error naming the file, serve goes on with the data
it had, and hits keep being processed. Last, `canton process` following the log reloads on
SIGHUP too and stops on SIGTERM with every hit processed. Python 3 stdlib only."""
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import canton_test  # noqa: E402

c = canton_test.Checks()
tmp = tempfile.mkdtemp(prefix="canton-reload-")
REFS = os.path.join(tmp, "refs.yml")

SEARCH = "search:\n  Reload Engine:\n    parameters:\n      - q\n    domains:\n      - news.reload.test\n"
SOCIAL = "social:\n  Reload Social:\n    domains:\n      - news.reload.test\n"

UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0.0.0 Safari/537.36")  # not a bot: reports leave bots out
CONF = ("[suite demo]\ncurrency = CNY\nhome_country = CN\ndomains = shop.canton.test\n"
        "referer_list = %s\n" % REFS)


def write_refs(text):
    with open(REFS + ".tmp", "w") as f:
        f.write(text)
    os.replace(REFS + ".tmp", REFS)


def hit(srv, visitor):
    q = urllib.parse.urlencode({
        "AQB": "1", "pageName": "home", "g": "https://shop.canton.test/",
        "r": "https://news.reload.test/x?q=tea", "vid": visitor, "AQE": "1"})
    status, _, _ = srv.request("GET", "/b/ss/demo/1/JS-2.21.0/s1?" + q, headers={"User-Agent": UA})
    return status


def wait_for(what, cond, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.1)
    c.check(False, "timed out waiting for " + what)
    return False


def channels(srv):
    today = datetime.datetime.now(datetime.timezone.utc).date()
    q = urllib.parse.urlencode({
        "suite": "demo", "dimension": "channel", "metrics": "visits", "limit": "0",
        "from": str(today - datetime.timedelta(days=1)), "to": str(today + datetime.timedelta(days=1))})
    status, _, body = srv.request("GET", "/api/v1/report?" + q)
    if status != 200:
        return {}
    return {r["keys"][0]: r["values"][0] for r in json.loads(body)["rows"]}


def settled(srv, total):
    """The channels once the store shows every visit (a report sees a row within ~1 s)."""
    last = [{}]

    def done():
        last[0] = channels(srv)
        return sum(last[0].values()) == total
    wait_for("%d visits in the reports" % total, done, timeout=30)
    return last[0]


def serve_checks():
    write_refs(SEARCH)
    with canton_test.Canton(config=CONF) as srv:
        sent = [0]

        def send(prefix, n):
            for i in range(n):
                if c.check(hit(srv, "%s%d" % (prefix, i)) in (200, 204), "hit %s%d taken" % (prefix, i)):
                    sent[0] += 1

        def processed():
            return srv.metrics().get("canton_process_raw_hits_total", -1) == sent[0]

        c.check("enrichment loaded" in srv.log(), "the start logs the data sets loaded")
        send("a", 100)
        wait_for("phase a processed", processed)
        c.check(settled(srv, 100).get("Natural Search") == 100, "before the reload: Natural Search")

        # hits keep coming while SIGHUP comes five times
        write_refs(SOCIAL)
        sender = threading.Thread(target=send, args=("b", 300))
        sender.start()
        for _ in range(5):
            time.sleep(0.3)
            srv.proc.send_signal(signal.SIGHUP)
            c.check(srv.proc.poll() is None, "serve is up after a SIGHUP")
        sender.join()
        wait_for("a reload taken into use",
                 lambda: srv.metrics().get("canton_enrich_switches_total", 0) >= 1)
        wait_for("phase b processed", processed)
        m = srv.metrics()
        c.check(m.get("canton_enrich_reloads_total", 0) >= 1, "reloads counted: %r" % m)
        c.check(m.get("canton_enrich_reload_errors_total") == 0, "no reload error")
        c.check(m.get("canton_process_up") == 1, "processing up")
        c.check(srv.log().count("enrichment reloaded") >= 1, "the reload is logged")
        c.check(srv.request("GET", "/healthz")[0] == 200, "serve answers after the reloads")

        send("c", 100)
        wait_for("phase c processed", processed)
        ch = settled(srv, 500)
        c.check(ch.get("Social Networks", 0) >= 100, "after the reload: Social Networks (%r)" % ch)
        c.check(ch.get("Natural Search", 0) >= 100, "visits before it keep Natural Search (%r)" % ch)
        c.check(ch.get("Social Networks", 0) + ch.get("Natural Search", 0) == 500,
                "every visit has one of the two channels (%r)" % ch)
        social = ch.get("Social Networks", 0)

        # a broken file, then a missing one: the reload fails, the data in use stay
        for n, breakit in enumerate((lambda: write_refs("search: [this is not\n  - yaml: ::\n"),
                                     lambda: os.remove(REFS)), start=1):
            # (a reload the SIGHUPs above queued may still run after the break and fail too:
            # counted from before the break, at least one more)
            errors = srv.metrics().get("canton_enrich_reload_errors_total", 0)
            breakit()
            srv.proc.send_signal(signal.SIGHUP)
            wait_for("reload error %d counted" % n,
                     lambda: srv.metrics().get("canton_enrich_reload_errors_total", 0) > errors)
            c.check(srv.log().count("enrichment reload failed") >= n, "reload failure %d logged" % n)
            send("d%d-" % n, 50)
            wait_for("phase d%d processed" % n, processed)
            ch = settled(srv, 500 + 50 * n)
            c.check(ch.get("Social Networks", 0) == social + 50 * n,
                    "after a failed reload: the data in use (%r)" % ch)
            c.check(srv.request("GET", "/healthz")[0] == 200, "serve up after a failed reload")
        lines = [l for l in srv.log().splitlines() if "enrichment reload failed" in l]
        c.check(all("refs.yml" in l for l in lines), "the errors name the file: %r" % lines)
        m = srv.metrics()
        c.check(m.get("canton_process_up") == 1, "processing up at the end")
        c.check(m.get("canton_process_raw_hits_total") == sent[0] == 600, "every hit processed")
    # the context manager stopped it with SIGTERM and checked exit code 0


def process_checks():
    """`canton process` following the log: SIGHUP reloads, SIGTERM stops in order."""
    data = os.path.join(tmp, "p")
    conf = os.path.join(tmp, "p.conf")
    write_refs(SEARCH)
    with open(conf, "w") as f:
        f.write(CONF)
    r = subprocess.run([canton_test.BIN, "gen", "--data", data, "--hits", "3000", "--from", "2026-11-01",
                        "--to", "2026-11-02", "--seed", "5"], capture_output=True, timeout=300)
    c.check(r.returncode == 0, "gen: %r" % r.stderr)
    log = open(os.path.join(tmp, "process.log"), "wb")
    p = subprocess.Popen([canton_test.BIN, "process", "--config", conf, "--data", data],
                         stdout=subprocess.PIPE, stderr=log)
    try:
        for _ in range(3):
            time.sleep(0.5)
            p.send_signal(signal.SIGHUP)
        text = lambda: open(log.name, errors="replace").read()  # noqa: E731
        wait_for("process logs the reload", lambda: "enrichment reloaded" in text())
        c.check(p.poll() is None, "process runs after SIGHUP")
        write_refs("search: [broken\n")
        p.send_signal(signal.SIGHUP)
        wait_for("process logs the failed reload", lambda: "enrichment reload failed" in text())
        c.check(p.poll() is None, "process runs after a failed reload")
        time.sleep(1)
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        log.close()
    c.check(p.returncode == 0, "process exits 0 on SIGTERM: %r\n%s" % (p.returncode, text()))
    write_refs(SEARCH)
    # what it had not processed yet when it stopped, the next run does: none lost, none twice
    r = subprocess.run([canton_test.BIN, "process", "--config", conf, "--data", data, "--until-end"],
                       capture_output=True, timeout=300)
    c.check(r.returncode == 0, "process --until-end: %r" % r.stderr)
    r2 = subprocess.run([canton_test.BIN, "hitlog", "dump", "--json", "--data", data],
                        capture_output=True, timeout=300)
    records = len([l for l in r2.stdout.splitlines() if l.strip()])
    first, second = (int(x.split(b" ")[0]) for x in (out, r.stdout))
    c.check(first > 0 and first + second == records,
            "every raw hit processed once: %d + %d of %d" % (first, second, records))


try:
    serve_checks()
    process_checks()
finally:
    shutil.rmtree(tmp, ignore_errors=True)
c.finish()
