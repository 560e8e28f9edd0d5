"""Per-suite processing rules end to end with the real binary: an access log is
imported into a suite with `exclude_ips` and the visit rules
(`new_visit_on_campaign`, `new_visit_on_referrer`) and into one without, then
`canton process`, `canton bad-rows --reason excluded_ip` and `canton report`
give the exact hits, visits and bad rows; a bad `exclude_ips` value is a
config error naming file, line and key (docs/processing.md)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canton_test  # noqa: E402

BIN = canton_test.BIN

CONF = """[suite rules]
domains = shop.example
exclude_ips = 10.0.0.0/8, 192.0.2.7, 2001:db8::/32
new_visit_on_campaign = yes
new_visit_on_referrer = yes
[suite plain]
domains = shop.example
"""

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"


def line(ip, minute, path, ref):
    return '%s - - [01/Nov/2026:10:%02d:00 +0000] "GET %s HTTP/1.1" 200 512 "%s" "%s"\n' % (
        ip, minute, path, ref, UA)


LOG = [
    # one visitor (same IP and UA, same day): 6 page views within 5 minutes
    line("203.0.113.5", 0, "/?utm_campaign=spring", "https://www.google.com/"),
    line("203.0.113.5", 1, "/a", "http://shop.example/"),
    line("203.0.113.5", 2, "/b?utm_campaign=spring", "http://shop.example/a"),   # same campaign
    line("203.0.113.5", 3, "/c?utm_campaign=summer", "http://shop.example/b"),   # new campaign
    line("203.0.113.5", 4, "/d", "https://news.example.org/x"),                  # another site
    line("203.0.113.5", 5, "/e", "https://news.example.org/y"),                  # same site again
    # excluded by `rules`, kept by `plain`
    line("10.1.2.3", 6, "/x", "-"),
    line("192.0.2.7", 7, "/y", "-"),
    line("2001:db8::5", 8, "/z", "-"),
    # kept by both
    line("192.0.2.8", 9, "/k", "-"),
]


def run(*args, check=True):
    r = subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=240)
    if check and r.returncode != 0:
        raise AssertionError("canton %s failed: %s" % (" ".join(args), r.stderr.decode()))
    return r


def totals(conf, data, suite):
    out = run("report", "--config", conf, "--data", data, "--suite", suite, "--metrics",
              "pageviews,visits,visitors", "--from", "2026-11-01", "--to", "2026-11-01",
              "--format", "json", "--bots").stdout
    return json.loads(out)["totals"]["values"]


def main():
    tmp = tempfile.mkdtemp(prefix="canton-rules-")
    try:
        conf = os.path.join(tmp, "canton.conf")
        with open(conf, "w") as f:
            f.write(CONF)
        log = os.path.join(tmp, "access.log")
        with open(log, "w") as f:
            f.writelines(LOG)
        data = {}
        for suite in ("rules", "plain"):
            data[suite] = os.path.join(tmp, "data-" + suite)
            run("import", "--config", conf, "--suite", suite, "--data", data[suite], "--quiet", log)
            run("process", "--config", conf, "--data", data[suite], "--until-end")

        # rules: 3 excluded hits are bad rows; 7 page views in 4 visits (the visitor's 6
        # page views split at the new campaign and at the other site) of 2 visitors
        got = totals(conf, data["rules"], "rules")
        assert got == [7, 4, 2], ("rules", got)
        got = totals(conf, data["plain"], "plain")
        assert got == [10, 5, 5], ("plain", got)

        rows = [json.loads(l) for l in run("bad-rows", "--data", data["rules"], "--reason",
                                           "excluded_ip", "--json").stdout.decode().splitlines()
                if l.startswith("{")]
        details = sorted(r["detail"] for r in rows)
        assert details == ["IP 10.1.2.3 is in suite rules's exclude_ips",
                           "IP 192.0.2.7 is in suite rules's exclude_ips",
                           "IP 2001:db8::5 is in suite rules's exclude_ips"], details
        assert all(r["reason"] == "excluded_ip" for r in rows), rows
        out = run("bad-rows", "--data", data["plain"]).stdout.decode()
        assert "0 in the log" in out, out

        # pages by visit: the visits start at /, /c and /d
        out = run("report", "--config", conf, "--data", data["rules"], "--suite", "rules",
                  "--dimension", "entry_page", "--metrics", "visits", "--from", "2026-11-01",
                  "--to", "2026-11-01", "--format", "json", "--bots").stdout
        entries = {r["keys"][0]: r["values"][0] for r in json.loads(out)["rows"]}
        assert entries == {"/": 1, "/c": 1, "/d": 1, "/k": 1}, entries

        # a config error names file, line and key
        bad = os.path.join(tmp, "bad.conf")
        with open(bad, "w") as f:
            f.write("[suite rules]\n\nexclude_ips = 10.0.0.0/33\n")
        r = run("process", "--config", bad, "--data", data["rules"], "--until-end", check=False)
        err = r.stderr.decode()
        assert r.returncode != 0 and ("%s:3: [suite rules] exclude_ips: '10.0.0.0/33' is not an IP "
                                      "address or CIDR range" % bad) in err, (r.returncode, err)
        print("ok")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
