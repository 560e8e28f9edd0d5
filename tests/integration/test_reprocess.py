"""`canton reprocess --suite S` rebuilds S's store from the whole hitlog and the
rebuilt store exports exactly (byte for byte) what the original processing
exported; the other suite's store is not touched; it is refused while another
process holds the store's lock; a later `canton process` goes on from there."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import canton_test  # noqa: E402

BIN = canton_test.BIN
SRC = os.environ.get("CANTON_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
c = canton_test.Checks()
tmp = tempfile.mkdtemp(prefix="canton-reprocess-")


def run(*args, timeout=300):
    return subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout)


def export(suite):
    r = run("export", "--config", conf, "--data", data, "--suite", suite, "--from", "2026-10-31",
            "--to", "2026-11-05")
    c.check(r.returncode == 0, "export %s: %r" % (suite, r.stderr))
    return r.stdout


def ready(pid, lock):
    """pid holds the flock on the file lock (/proc/locks) and has its SIGTERM handler."""
    ino = os.stat(lock).st_ino if os.path.exists(lock) else -1
    with open("/proc/locks") as f:
        held = any(len(p) > 5 and p[4] == str(pid) and p[5].endswith(":%d" % ino)
                   for p in (line.split() for line in f))
    with open("/proc/%d/status" % pid) as f:
        cgt = [int(line.split()[1], 16) for line in f if line.startswith("SigCgt:")]
    return held and bool(cgt and cgt[0] & (1 << (signal.SIGTERM - 1)))


def listing(d):
    out = []
    for name in sorted(os.listdir(d)):
        st = os.stat(os.path.join(d, name))
        out.append((name, st.st_size, st.st_mtime_ns, st.st_ino))
    return out


try:
    data = os.path.join(tmp, "data")
    conf = os.path.join(tmp, "c.conf")
    with open(conf, "w") as f:
        for s in ("demo", "other"):
            f.write("[suite %s]\ncurrency = CNY\nhome_country = CN\ndomains = shop.canton.test\n"
                    "timezone = Asia/Shanghai\nsalt_retention = never\n"
                    "evar1 = allocation=original; expiry=30d\n" % s)
    r = run("rates", "import", os.path.join(SRC, "docs", "rates-sample.csv"), "--data", data)
    c.check(r.returncode == 0, "rates import")
    for day in ("2026-11-01", "2026-11-02", "2026-11-03"):
        for i, s in enumerate(("demo", "other")):
            r = run("gen", "--data", data, "--suite", s, "--hits", "8000", "--from", day, "--to",
                    day, "--seed", str(7 + i))
            c.check(r.returncode == 0, "gen: %r" % r.stderr)
        # processing in several runs, with enrichment, as a live system would
        r = run("process", "--config", conf, "--data", data, "--until-end", "--flush-rows", "2000")
        c.check(r.returncode == 0, "process: %r" % r.stderr)

    before = export("demo")
    before_other = export("other")
    c.check(before.count(b"\n") > 20000, "the original export has the hits (%d lines)"
            % before.count(b"\n"))
    old_demo = listing(os.path.join(data, "store", "demo"))

    # refused while another process holds the store
    p = subprocess.Popen([BIN, "process", "--config", conf, "--data", data, "--no-enrich"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # once it holds the store (taking it takes a while on a busy machine; after it, so does
    # setting up the SIGTERM handler)
    deadline = time.monotonic() + 60
    while (time.monotonic() < deadline and p.poll() is None
           and not ready(p.pid, os.path.join(data, "store", "demo", "LOCK"))):
        time.sleep(0.02)
    c.check(p.poll() is None, "process runs: %r" % p.returncode)
    r = run("reprocess", "--suite", "demo", "--config", conf, "--data", data)
    c.check(r.returncode == 1 and b"in use" in r.stderr,
            "reprocess is refused while the store is held: %r" % r.stderr)
    p.send_signal(signal.SIGTERM)
    c.check(p.wait(timeout=60) == 0, "process stops on SIGTERM")
    c.check(export("demo") == before, "the refused reprocess changed nothing")
    other_files = listing(os.path.join(data, "store", "other"))

    r = run("reprocess", "--suite", "demo", "--config", conf, "--data", data)
    c.check(r.returncode == 0 and b"rebuilt" in r.stdout, "reprocess --suite demo: %r %r"
            % (r.stdout, r.stderr))
    new_demo = listing(os.path.join(data, "store", "demo"))
    c.check(new_demo != old_demo, "demo's store is a new folder")
    c.check(not os.path.exists(os.path.join(data, "store", ".reprocess-demo")),
            "the old store is gone")
    after = export("demo")
    c.check(after == before, "the rebuilt store exports the same bytes (%d vs %d bytes)"
            % (len(after), len(before)))
    c.check(listing(os.path.join(data, "store", "other")) == other_files,
            "the other suite's store is untouched")
    c.check(export("other") == before_other, "the other suite exports the same")
    r = run("check", "--config", conf, "--data", data)
    c.check(r.returncode == 0, "check passes after the swap: %r" % r.stdout[-300:])

    # processing goes on from the rebuilt store: new hits land once
    r = run("gen", "--data", data, "--suite", "demo", "--hits", "3000", "--from", "2026-11-04",
            "--to", "2026-11-04", "--seed", "9")
    r = run("process", "--config", conf, "--data", data, "--until-end")
    c.check(r.returncode == 0 and b"3000 raw hits" in r.stdout,
            "process after reprocess takes only the new hits: %r %r" % (r.stdout, r.stderr))
    more = export("demo")
    c.check(more.startswith(before[:-1]) or more.count(b"\n") > before.count(b"\n"),
            "the new hits are appended")
    r = run("reprocess", "--suite", "demo", "--config", conf, "--data", data)
    c.check(r.returncode == 0 and export("demo") == more,
            "a second reprocess gives the same bytes again")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
c.finish()
