"""Crash consistency between processing's checkpoint and the stores.

Generates hits for two suites (interleaved by day) into a hitlog, processes
them once without interruption (the reference), then processes a copy of the
same hitlog (same rates and salts) with `canton process`, killing it with
SIGKILL at random moments -- checkpoints every 20 ms, flushes every 3000 hits
and background merges every 50 ms, so kills land during flushes, merges and
between the two suites' checkpoints -- and restarting it, until a run reaches
the end of the log. Then `canton check` must pass and `canton export` of every
suite must equal the reference's byte for byte (per-day row counts and a
digest): every hit is in the store exactly once.

The moments scale with the machine's speed: the reference run is timed, and
each run is killed after 2% to 20% of its time (with more than 20000 hits per
suite and day, of its time per 20000: the bench's kills come as often as the
test's). The crash runs' settings and restarts only add work, so a killed
run has processed at most a fifth of the log and at least four kills land
before a run can reach the end, however fast the machine is (25-250 ms on
the 2-core build machine when it is quiet, up to about 900 ms when it is busy,
2 s in an ASan build).

Kill cycles go on for up to CANTON_CRASH_SECONDS (default 20; ~30 s in all)
or until processing reaches the end of the log;
bench/process/crash runs it with many more cycles and hits."""
import hashlib
import os
import random
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
SECONDS = float(os.environ.get("CANTON_CRASH_SECONDS", "20"))
HITS = int(os.environ.get("CANTON_CRASH_HITS", "20000"))  # per suite and day
DAYS = ["2026-11-0%d" % d for d in range(1, 5)]
SUITES = ["demo", "shop2"]
SEED = int(os.environ.get("CANTON_CRASH_SEED", str(random.randrange(1 << 30))))
c = canton_test.Checks()
tmp = tempfile.mkdtemp(prefix="canton-store-crash-")
rnd = random.Random(SEED)


def run(*args, timeout=300):
    return subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout)


def export(conf, data):
    """Per-suite (per-day row counts, sha256 of the export)."""
    out = {}
    for s in SUITES:
        r = run("export", "--config", conf, "--data", data, "--suite", s, "--from", "2026-10-31",
                "--to", "2026-11-06")
        if r.returncode != 0:
            return None, r.stderr
        days = {}
        lines = r.stdout.split(b"\n")
        col = lines[0].split(b"\t").index(b"local_time")
        for line in lines[1:]:
            if line:
                d = line.split(b"\t")[col][:10].decode()
                days[d] = days.get(d, 0) + 1
        out[s] = (days, hashlib.sha256(r.stdout).hexdigest())
    return out, b""


try:
    print("# seed %d" % SEED)
    conf = os.path.join(tmp, "c.conf")
    with open(conf, "w") as f:
        for s in SUITES:
            f.write("[suite %s]\ncurrency = CNY\nhome_country = CN\ndomains = shop.canton.test\n"
                    "timezone = Asia/Shanghai\nsalt_retention = never\n"
                    "evar1 = allocation=original; expiry=30d\n" % s)
    ref = os.path.join(tmp, "ref")
    r = run("rates", "import", os.path.join(SRC, "docs", "rates-sample.csv"), "--data", ref)
    c.check(r.returncode == 0, "rates import: %r" % r.stderr)
    for d in DAYS:
        for i, s in enumerate(SUITES):
            r = run("gen", "--data", ref, "--suite", s, "--hits", str(HITS), "--from", d, "--to", d,
                    "--seed", str(SEED % 1000 + i))
            c.check(r.returncode == 0, "gen %s %s: %r" % (s, d, r.stderr))
    crash = os.path.join(tmp, "crash")
    os.makedirs(crash)
    shutil.copytree(os.path.join(ref, "hitlog"), os.path.join(crash, "hitlog"))
    shutil.copy(os.path.join(ref, "rates.csv"), os.path.join(crash, "rates.csv"))

    # the reference: one uninterrupted run, timed (the kills' moments are fractions of its time
    # per 20000 hits per suite and day, so that bench/process/crash's are the test's)
    t = time.monotonic()
    r = run("process", "--config", conf, "--data", ref, "--until-end", "--no-enrich")
    unit = (time.monotonic() - t) * min(1.0, 20000.0 / HITS)
    c.check(r.returncode == 0, "reference run: %r" % r.stderr)
    print("# kills after %.0f to %.0f ms" % (20 * unit, 200 * unit))
    # the same salts, so that cookieless visitor keys are the same
    shutil.copy(os.path.join(ref, "salts"), os.path.join(crash, "salts"))
    want, e = export(conf, ref)
    c.check(want is not None and sum(want["demo"][0].values()) > 0, "reference export: %r" % e)

    args = [BIN, "process", "--config", conf, "--data", crash, "--until-end", "--no-enrich",
            "--checkpoint-ms", "20", "--flush-rows", "3000", "--maintain-ms", "50"]
    kills = 0
    finished = False
    deadline = time.monotonic() + SECONDS
    while not finished:
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if time.monotonic() < deadline:
            try:
                p.wait(timeout=rnd.uniform(0.02, 0.2) * unit)
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGKILL)
                p.wait()
                kills += 1
                if rnd.random() < 0.2:
                    r = run("check", "--config", conf, "--data", crash)
                    c.check(r.returncode == 0, "check after kill %d: %r" % (kills, r.stdout[-300:]))
                continue
        _, err = p.communicate(timeout=600)
        c.check(p.returncode == 0, "process exits cleanly: %r" % err[-500:])
        finished = True
    print("# %d kills" % kills)
    c.check(kills >= 3, "the writer was killed several times (%d)" % kills)

    r = run("check", "--config", conf, "--data", crash)
    c.check(r.returncode == 0, "canton check passes after the crashes: %r" % r.stdout[-500:])
    got, e = export(conf, crash)
    c.check(got is not None, "export after crashes: %r" % e)
    for s in SUITES:
        if got is None or want is None:
            break
        c.check(got[s][0] == want[s][0], "suite %s: rows per day %r, want %r (seed %d)"
                % (s, got[s][0], want[s][0], SEED))
        c.check(got[s][1] == want[s][1], "suite %s: export digest equals the uninterrupted run's "
                "(seed %d)" % (s, SEED))
finally:
    shutil.rmtree(tmp, ignore_errors=True)
c.finish()
