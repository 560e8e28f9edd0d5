"""canton gen end to end: --help, byte-identical --out for one seed, nginx lines,
the hitlog output read back by `canton hitlog dump`, and HTTP to a running
collector (a batch, then the live trickle stopped by SIGINT)."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import canton_test  # noqa: E402

BIN = canton_test.BIN
c = canton_test.Checks()
tmp = tempfile.mkdtemp(prefix="canton-gen-")


def gen(*args, timeout=120):
    return subprocess.run([BIN, "gen"] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout)


try:
    r = gen("--help")
    c.check(r.returncode == 0 and b"--visits-per-day" in r.stdout and b"--live" in r.stdout,
            "gen --help documents the options")
    r = gen("--out", "-", "--hitlog", tmp)
    c.check(r.returncode == 2, "two outputs are a usage error")

    base = ["--from", "2026-11-10", "--to", "2026-11-11", "--visits-per-day", "800"]
    outs = []
    for seed in ("4", "4", "5"):
        path = os.path.join(tmp, "out-%d.jsonl" % len(outs))
        r = gen(*base, "--seed", seed, "--out", path)
        c.check(r.returncode == 0, "gen --out exits 0: %s" % r.stderr.decode())
        with open(path, "rb") as f:
            outs.append(f.read())
    c.check(outs[0] == outs[1], "same seed, same bytes")
    c.check(outs[0] != outs[2], "another seed, other bytes")
    recs = [json.loads(line) for line in outs[0].splitlines()]
    c.check(len(recs) > 1000, "a day and a bit of traffic: %d requests" % len(recs))
    c.check(all(r["path"].startswith("/b/ss/demo/1/JS-2.21.0/s") or r["path"] == "/api/collect"
                for r in recs), "only Adobe and canton JSON requests")
    times = [r["received_at"] for r in recs]
    c.check(times == sorted(times), "records in time order")

    path = os.path.join(tmp, "access.log")
    r = gen("--format", "nginx", "--from", "2026-11-01", "--to", "2026-11-02",
            "--visits-per-day", "500", "--out", path)
    c.check(r.returncode == 0, "gen --format nginx exits 0")
    line_re = re.compile(r'^\d+\.\d+\.\d+\.\d+ - - \[\d\d/Nov/2026:\d\d:\d\d:\d\d \+0800\] '
                         r'"(GET|POST) \S+ HTTP/1\.1" (200|304|404) \d+ "[^"]*" "[^"]+"$')
    with open(path) as f:
        lines = f.read().splitlines()
    bad = [l for l in lines if not line_re.match(l)]
    c.check(len(lines) > 1000 and not bad, "nginx combined lines (%d, bad: %r)" % (len(lines), bad[:2]))

    # Straight into a hitlog, read back with `canton hitlog dump`.
    data = os.path.join(tmp, "data")
    r = gen("--hits", "3000", "--from", "2026-11-20", "--to", "2026-11-21", "--data", data)
    c.check(r.returncode == 0, "gen --data exits 0: %s" % r.stderr.decode())
    d = subprocess.run([BIN, "hitlog", "dump", "--json", "--data", data], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    hits = [json.loads(l) for l in d.stdout.splitlines() if l.strip()]
    c.check(len(hits) == 3000, "3000 raw hits in the hitlog (got %d)" % len(hits))
    # Processing decodes every generated hit (with rates for USD, EUR, GBP and AUD orders).
    src = os.environ.get("CANTON_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
    r = subprocess.run([BIN, "rates", "import", os.path.join(src, "docs", "rates-sample.csv"),
                        "--data", data], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    c.check(r.returncode == 0, "rates import: %s" % r.stderr.decode())
    r = subprocess.run([BIN, "reprocess", "--suite", "demo", "--data", data],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    m = re.search(rb"3000 raw hits read, (\d+) visits.* (\d+) bad rows", r.stdout)
    c.check(r.returncode == 0 and m is not None, "reprocess reads the 3000 hits: %r" % r.stdout)
    c.check(m is not None and int(m.group(2)) == 0 and int(m.group(1)) > 500,
            "no bad rows, visits made: %r" % r.stdout)

    # Over HTTP to a running collector.
    with canton_test.Canton() as srv:
        r = gen("--hits", "400", "--from", "2026-11-20", "--to", "2026-11-20", "--seed", "2",
                "--url", srv.url, "--connections", "4")
        c.check(r.returncode == 0, "gen --url exits 0: %s" % r.stderr.decode())
        c.check(b"400 2xx" in r.stderr, "every request answered 2xx: %s" % r.stderr.decode())
        p = subprocess.Popen([BIN, "gen", "--live", "--rate", "100", "--url", srv.url],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(2.0)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=30)
        m = re.search(rb"HTTP (\d+) sent, (\d+) 2xx", err)
        c.check(p.returncode == 0 and m is not None, "live trickle stops cleanly on SIGINT: %r" % err)
        live = int(m.group(2)) if m else 0
        c.check(100 <= live <= 320, "about 100 hits/s for 2 s (got %d)" % live)
        deadline = time.time() + 20
        got = []
        while time.time() < deadline:
            got = srv.dump()
            if len(got) >= 400 + live:
                break
            time.sleep(0.2)
        c.check(len(got) == 400 + live, "the collector kept every hit (%d of %d)" % (len(got), 400 + live))
        protos = {h.get("proto") for h in got}
        c.check({"adobe", "canton-json"} <= protos, "both protocols arrived: %r" % protos)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
c.finish()
