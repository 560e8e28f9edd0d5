"""Processing from the command line: `canton rates import` (the shipped sample
and a bad file), `canton reprocess --all` (a dry run) over a generated hitlog twice (same
digest), `canton process`, bad rows for a suite that is not configured listed by `canton bad-rows`
(filters, JSON), and `canton reprocess --suite` giving the same digest as the
suite's part of the first run."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import canton_test  # noqa: E402

BIN = canton_test.BIN
SRC = os.environ.get("CANTON_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
c = canton_test.Checks()
tmp = tempfile.mkdtemp(prefix="canton-process-")


def run(*args, timeout=300):
    return subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout)


def digest(out):
    m = re.search(rb"digest ([0-9a-f]{16})", out)
    return m.group(1) if m else None


try:
    data = os.path.join(tmp, "data")
    conf = os.path.join(tmp, "c.conf")
    with open(conf, "w") as f:
        f.write("[suite demo]\ncurrency = CNY\nhome_country = CN\ndomains = shop.example\n"
                "evar1 = allocation=original; expiry=30d\n")

    r = run("rates", "import", os.path.join(SRC, "docs", "rates-sample.csv"), "--data", data)
    c.check(r.returncode == 0 and b"96 rates imported" in r.stdout,
            "rates import takes the sample: %r" % r.stdout)
    bad = os.path.join(tmp, "bad.csv")
    with open(bad, "w") as f:
        f.write("date,currency,rate\n2026-13-01,USD,7.1\n")
    r = run("rates", "import", bad, "--data", os.path.join(tmp, "other"))
    c.check(r.returncode == 1 and b"line 2, date" in r.stderr,
            "a bad rates file is refused with its line and field")
    # A file without rates (or with a conflicting duplicate) leaves the installed table as it was.
    with open(os.path.join(data, "rates.csv"), "rb") as f:
        installed = f.read()
    for text, want in (("# base=CNY\ndate,currency,rate\n", b"no rate lines"),
                       ("2026-11-01,USD,7.1\n2026-11-01,USD,7.2\n", b"line 2, rate: 7.2")):
        with open(bad, "w") as f:
            f.write(text)
        r = run("rates", "import", bad, "--data", data)
        with open(os.path.join(data, "rates.csv"), "rb") as f:
            after = f.read()
        c.check(r.returncode == 1 and want in r.stderr and b"left unchanged" in r.stderr
                and after == installed, "refused, rates.csv unchanged: %r" % r.stderr)

    for suite, hits in (("demo", "6000"), ("nosuch", "40")):
        r = run("gen", "--data", data, "--suite", suite, "--hits", hits, "--from", "2026-11-20",
                "--to", "2026-11-20", "--seed", "3")
        c.check(r.returncode == 0, "gen into the hitlog: %r" % r.stderr)

    r1 = run("reprocess", "--all", "--config", conf, "--data", data)
    c.check(r1.returncode == 0 and digest(r1.stdout), "reprocess --all: %r %r" % (r1.stdout,
                                                                                 r1.stderr))
    c.check(b"40 bad rows" in r1.stdout, "the unconfigured suite's hits are bad rows: %r"
            % r1.stdout)
    r2 = run("reprocess", "--all", "--config", conf, "--data", data)
    c.check(digest(r1.stdout) == digest(r2.stdout), "a second full reprocess gives the same rows")

    # --all is a dry run; `canton process` keeps the bad rows and fills the store
    r = run("process", "--config", conf, "--data", data, "--until-end")
    c.check(r.returncode == 0 and b"40 bad rows" in r.stdout, "process: %r %r" % (r.stdout,
                                                                                 r.stderr))
    r = run("bad-rows", "--data", data)
    c.check(r.returncode == 0 and b"40 bad rows shown (40 in the log), unknown_suite 40" in r.stdout,
            "bad-rows lists each bad row once: %r" % r.stdout[-200:])
    r = run("bad-rows", "--data", data, "--reason", "no_rate")
    c.check(r.returncode == 0 and b"0 bad rows shown (40 in the log)" in r.stdout,
            "bad-rows filters by reason")
    r = run("bad-rows", "--data", data, "--suite", "nosuch", "--json")
    rows = [json.loads(line) for line in r.stdout.decode().splitlines()]
    c.check(len(rows) == 40 and all(x["reason"] == "unknown_suite" and x["path"].startswith("/")
                                    for x in rows), "bad-rows --json keeps the raw request")
    # a suite that is neither configured nor in the log is an error naming the configured ones
    r = run("bad-rows", "--data", data, "--suite", "nosuch2")
    c.check(r.returncode == 2 and r.stdout == b"" and
            b"suite 'nosuch2' is not configured (configured: demo in the built-in "
            b"configuration: use --config) and has no bad rows" in r.stderr,
            "bad-rows --suite names an unknown suite: %r" % r.stderr)
    r = run("bad-rows", "--data", data, "--suite", "demo")
    c.check(r.returncode == 0 and r.stdout.startswith(b"0 bad rows shown (40 in the log)"),
            "bad-rows --suite of a configured suite without bad rows: %r" % r.stdout)
    r = run("bad-rows", "--reason", "nonsense", "--data", data)
    c.check(r.returncode == 2, "an unknown reason is a usage error")

    r3 = run("reprocess", "--suite", "demo", "--config", conf, "--data", data)
    c.check(r3.returncode == 0 and digest(r3.stdout) == digest(r1.stdout),
            "reprocess --suite demo gives the same rows: %r vs %r" % (r3.stdout, r1.stdout))
    r = run("bad-rows", "--data", data)
    c.check(b"(40 in the log)" in r.stdout, "a one-suite reprocess leaves the bad-row log alone")
    r = run("reprocess", "--suite", "nope", "--config", conf, "--data", data)
    c.check(r.returncode == 1 and b"not configured" in r.stderr, "an unknown suite is refused")
    r = run("bad-rows", "--help")
    c.check(r.returncode == 0 and b"--reason" in r.stdout, "bad-rows --help")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
c.finish()
