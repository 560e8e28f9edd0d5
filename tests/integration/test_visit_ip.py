"""The visit column `ip` end to end (issue 3: "The IP is anonymized after the lookup unless
the suite keeps it"; docs/processing.md "The client IP"). Adobe image requests from three
client IPs (IPv4 and IPv6, through a trusted proxy's X-Forwarded-For) go to two suites at
once: `anon` (default: IPv4 /24, IPv6 /48) and `kept` (keep_ip = yes). Checks: the report
by dimension `ip` of each suite, the catalogue's entry, a segment on ip, the `ip` of every
row of `canton export` (NDJSON and CSV), the hitlog keeping the raw IP, and `canton import`
of the NDJSON export giving the same report by ip. And a store written before the column
(format 5, tests/data/store-v5.tar.gz: tests/unit/store/test_store.c says how it was made)
reports and exports with ip ""."""
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canton_test  # noqa: E402

BIN = canton_test.BIN
SRC = os.environ.get("CANTON_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
CONFIG = """[server]
trusted_proxies = 127.0.0.1

[suite anon]
timezone = UTC
store_flush_seconds = 1

[suite kept]
timezone = UTC
store_flush_seconds = 1
keep_ip = yes
"""
UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
DAY0 = 1795168800  # 2026-11-20T10:00:00Z
RANGE = "from=2026-11-20&to=2026-11-20"
V4A, V4B, V6 = "203.0.113.77", "203.0.113.78", "2001:DB8:1234:5678::1"

# (visitor, minutes after DAY0, page, client IP): visitor a's second page view comes from
# another address, which does not change its visit's ip
HITS = [
    ("a", 0, "Home", V4A),
    ("a", 1, "Product", "198.51.100.1"),
    ("b", 2, "Home", V4B),
    ("c", 3, "Home", V6),
]
WANT = {
    "anon": {"203.0.113.0": [3, 2], "2001:db8:1234::": [1, 1]},
    "kept": {V4A: [2, 1], V4B: [1, 1], "2001:db8:1234:5678::1": [1, 1]},
}
# each export row's ip, in time order
WANT_ROWS = {
    "anon": ["203.0.113.0", "203.0.113.0", "203.0.113.0", "2001:db8:1234::"],
    "kept": [V4A, V4A, V4B, "2001:db8:1234:5678::1"],
}


def run(*args):
    r = subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    if r.returncode != 0:
        raise AssertionError("canton %s: %s" % (" ".join(args), r.stderr.decode()))
    return r.stdout.decode()


def by_key(report):
    return {r["keys"][0]: r["values"] for r in report.get("rows", [])}


def report(srv, suite, query):
    status, _, body = srv.request("GET", "/api/v1/report?suite=%s&%s&%s" % (suite, RANGE, query))
    return json.loads(body) if status == 200 else {"status": status, "body": body[:200]}


def main():
    data = tempfile.mkdtemp(prefix="canton-ip-")
    t = canton_test.Checks()
    try:
        conf = os.path.join(data, "canton.conf")
        with open(conf, "w") as f:
            f.write(CONFIG)
        with canton_test.Canton(config=CONFIG, data=data) as srv:
            for vid, minute, page, ip in HITS:
                q = urllib.parse.urlencode(dict(AQB="1", vid=vid, ts=str(DAY0 + minute * 60), pageName=page,
                                                g="https://shop.test/" + page.lower(), AQE="1"))
                status, _, _ = srv.request("GET", "/b/ss/anon,kept/1/JS-2.21.0/s1?" + q,
                                           headers={"User-Agent": UA, "X-Forwarded-For": ip})
                t.check(status == 200, "collect %s: %d" % (page, status))
            q = "dimension=ip&metrics=pageviews,visits&limit=0"
            deadline = time.time() + 60
            for suite in ("anon", "kept"):
                got = by_key(report(srv, suite, q))
                while got != WANT[suite] and time.time() < deadline:
                    time.sleep(0.2)
                    got = by_key(report(srv, suite, q))
                t.check(got == WANT[suite], "%s: report by ip %r, want %r" % (suite, got, WANT[suite]))
            r = report(srv, "anon", q)
            t.check(r.get("keys") == ["ip"], "the report is keyed by ip: %r" % r.get("keys"))
            status, _, body = srv.request("GET", "/api/v1/catalog")
            dims = {d["name"]: d for d in json.loads(body)["dimensions"]} if status == 200 else {}
            t.check(dims.get("ip", {}).get("title") == "IP address (anonymized unless keep_ip)",
                    "catalogue lists ip: %r" % dims.get("ip"))
            seg = urllib.parse.quote('visit(ip = "%s")' % V4B)
            got = by_key(report(srv, "kept", "dimension=page&metrics=pageviews&segment=" + seg))
            t.check(got == {"Home": [1]}, "segment on ip: %r" % got)
            # the hitlog keeps the raw IP, for reprocessing
            raw = sorted({h["ip"] for h in srv.dump()})
            t.check(raw == sorted(["198.51.100.1", V4A, V4B, V6]), "hitlog keeps raw IPs: %r" % raw)

        for suite in ("anon", "kept"):
            out = run("export", "--config", conf, "--data", data, "--suite", suite, "--from", "2026-11-20",
                      "--format", "ndjson")
            rows = [json.loads(line) for line in out.splitlines() if line]
            t.check([r.get("ip") for r in rows] == WANT_ROWS[suite],
                    "%s: export ndjson ip %r" % (suite, [r.get("ip") for r in rows]))
            out = run("export", "--config", conf, "--data", data, "--suite", suite, "--from", "2026-11-20",
                      "--format", "csv")
            rows = list(csv.DictReader(io.StringIO(out)))
            t.check([r.get("ip") for r in rows] == WANT_ROWS[suite],
                    "%s: export csv ip %r" % (suite, [r.get("ip") for r in rows]))
            # canton import reads an export's ip as the client IP: the report by ip round-trips
            # (an anonymized address anonymized again stays the same)
            data2 = tempfile.mkdtemp(prefix="canton-ip-import-")
            try:
                conf2 = os.path.join(data2, "canton.conf")
                with open(conf2, "w") as f:
                    f.write(CONFIG)
                ndjson = os.path.join(data2, "export.ndjson")
                with open(ndjson, "w") as f:
                    f.write(run("export", "--config", conf, "--data", data, "--suite", suite,
                                "--from", "2026-11-20", "--format", "ndjson"))
                run("import", "--config", conf2, "--data", data2, "--suite", suite, "--format", "ndjson",
                    "--process", "--quiet", ndjson)
                rep = json.loads(run("report", "--config", conf2, "--data", data2, "--suite", suite,
                                     "--from", "2026-11-20", "--to", "2026-11-20", "--dimension", "ip",
                                     "--metrics", "pageviews,visits", "--limit", "0", "--bots",
                                     "--format", "json"))
                got = by_key(rep)
                t.check(got == WANT[suite], "%s: imported export, report by ip %r" % (suite, got))
            finally:
                shutil.rmtree(data2, ignore_errors=True)

        # a format 5 store: three page views, two visits on 2026-11-02, ip ""
        old = os.path.join(data, "old")
        os.mkdir(old)
        with tarfile.open(os.path.join(SRC, "tests", "data", "store-v5.tar.gz")) as tf:
            tf.extractall(old)
        conf3 = os.path.join(old, "canton.conf")
        with open(conf3, "w") as f:
            f.write("[suite shop]\ntimezone = UTC\n")
        rep = json.loads(run("report", "--config", conf3, "--data", old, "--suite", "shop", "--from", "2026-11-02",
                             "--to", "2026-11-02", "--dimension", "ip,country", "--metrics", "pageviews,visits",
                             "--bots", "--format", "json"))
        got = {tuple(r["keys"]): r["values"] for r in rep.get("rows", [])}
        t.check(got == {("", "AU"): [2, 1], ("", "JP"): [1, 1]}, "format 5 store by ip: %r" % got)
        out = run("export", "--config", conf3, "--data", old, "--suite", "shop", "--from", "2026-11-02",
                  "--format", "ndjson")
        rows = [json.loads(line) for line in out.splitlines() if line]
        t.check([(r.get("ip"), r.get("page")) for r in rows] == [("", "Home"), ("", "Product"), ("", "Home")],
                "format 5 store export: %r" % [(r.get("ip"), r.get("page")) for r in rows])
    finally:
        shutil.rmtree(data, ignore_errors=True)
    t.finish()


if __name__ == "__main__":
    main()
