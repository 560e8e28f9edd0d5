"""canton gen end to end: --help, byte-identical --out for one seed, nginx lines,
the hitlog output read back by `canton hitlog dump`, and HTTP to a running
collector (a batch, then the live trickle stopped by SIGINT)."""
import calendar
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

    # --to as an instant ends the history there (exclusive), not at the end of a day.
    path = os.path.join(tmp, "cut.jsonl")
    r = gen("--from", "2026-11-10", "--to", "2026-11-10T06:00:00Z", "--visits-per-day", "800",
            "--seed", "4", "--out", path)
    c.check(r.returncode == 0, "gen --to <instant> exits 0: %s" % r.stderr.decode())
    with open(path) as f:
        cut = [json.loads(l)["received_at"] for l in f.read().splitlines()]
    c.check(len(cut) > 100 and "2026-11-10T05:30:00Z" < cut[-1] < "2026-11-10T06:00:00Z",
            "--to 2026-11-10T06:00:00Z: hits up to 06:00 (%d, last %s)" % (len(cut), cut[-1:]))
    path = os.path.join(tmp, "now.jsonl")
    start = time.time()
    r = gen("--from", time.strftime("%Y-%m-%d", time.gmtime(start - 86400)), "--to", "now",
            "--visits-per-day", "800", "--out", path)
    with open(path) as f:
        last = json.loads(f.read().splitlines()[-1])["received_at"]
    last_s = calendar.timegm(time.strptime(last[:19], "%Y-%m-%dT%H:%M:%S"))
    c.check(r.returncode == 0 and start - 1800 < last_s <= time.time(),
            "--to now: history up to now (last hit %s)" % last)
    r = gen("--to", "2026-11-10T06:00", "--out", path)
    c.check(r.returncode == 2, "a --to that is neither a day nor an instant is a usage error")

    # A fractional --rate: 2.5 hits/s, one every 0.4 s from the start.
    path = os.path.join(tmp, "live.jsonl")
    p = subprocess.Popen([BIN, "gen", "--live", "--rate", "2.5", "--out", path],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # 3 s from its first hit, not from the exec: starting takes a while on a busy machine
    # (a SIGINT before gen has its handler ends it with no summary)
    deadline = time.time() + 30
    while time.time() < deadline and p.poll() is None and not (os.path.exists(path) and os.path.getsize(path)):
        time.sleep(0.05)
    time.sleep(3.0)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=30)
    m = re.search(rb"canton gen: (\d+) hits .* in ([0-9.]+) s", err)
    with open(path) as f:
        n = len(f.read().splitlines())
    c.check(p.returncode == 0 and m is not None and int(m.group(1)) == n and n >= 3
            and abs(n - float(m.group(2)) * 2.5) <= 1.01,
            "--live --rate 2.5: 2.5 hits a second (%d lines, %r)" % (n, err))
    for bad in ("0", "-1", "x", "1e9"):
        r = gen("--live", "--rate", bad, "--out", path)
        c.check(r.returncode == 2, "--rate %s is a usage error" % bad)
    # options that apply only with another are refused without it, not ignored
    r = gen("--connections", "4", "--out", path)
    c.check(r.returncode == 2 and b"canton gen: --connections applies to --url only" in r.stderr,
            "--connections without --url: %r" % r.stderr[-300:])
    for fmt in ("json", "nginx"):
        r = gen("--format", fmt, "--hitlog", os.path.join(tmp, "fmt-hitlog"))
        c.check(r.returncode == 2 and b"canton gen: --format applies to --out only" in r.stderr,
                "--format %s without --out: %r" % (fmt, r.stderr[-300:]))
    r = gen("--rate=5", "--out", path)
    c.check(r.returncode == 2 and b"canton gen: --rate applies to --live only" in r.stderr,
            "--rate without --live: %r" % r.stderr[-300:])

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
    # The summary counts the lines written, not Adobe or JSON hits (it said "N hits (0 adobe,
    # 0 json)").
    m = re.match(rb"canton gen: (\d+) access-log lines, \d+ visits \(\d+ returning, \d+ crawlers\), "
                 rb"\d+ orders in [\d.]+ s: \d+ lines/s\n$", r.stderr)
    c.check(m is not None and int(m.group(1)) == len(lines),
            "gen --format nginx summary names the %d lines: %r" % (len(lines), r.stderr[-300:]))

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
        def hits_total():
            return sum(v for k, v in srv.metrics().items()
                       if k.startswith("canton_collect_hits_total"))

        # 2 s from its first hit, not from the exec: starting takes a while on a busy machine
        before = hits_total()
        p = subprocess.Popen([BIN, "gen", "--live", "--rate", "100", "--url", srv.url],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        while hits_total() == before and time.time() < deadline and p.poll() is None:
            time.sleep(0.05)
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

        # Between hits the trickle sleeps: at 5 hits/s it takes next to no CPU (it once
        # spun polling a clock, 30-50% of a core). Measured over 2 s once it has started.
        def cpu_s(pid):
            f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
            return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

        before = hits_total()
        p = subprocess.Popen([BIN, "gen", "--live", "--rate", "5", "--url", srv.url],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        while hits_total() == before and time.time() < deadline and p.poll() is None:
            time.sleep(0.05)
        t0, c0 = time.monotonic(), cpu_s(p.pid)
        time.sleep(2.0)
        t1, c1 = time.monotonic(), cpu_s(p.pid)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=30)
        share = (c1 - c0) / (t1 - t0)
        c.check(share < 0.05, "the live trickle at 5 hits/s sleeps between hits: %.1f%% of a core"
                % (100 * share))
        m = re.search(rb"HTTP (\d+) sent, (\d+) 2xx", err)
        c.check(p.returncode == 0 and m is not None and int(m.group(1)) == int(m.group(2)),
                "every trickled hit answered 2xx: %r" % err)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
c.finish()
