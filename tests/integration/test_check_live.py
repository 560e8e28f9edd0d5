"""`canton check` on a live store.

A month of `canton gen` history goes into a hitlog; `canton serve` processes
it into the store (checkpointing every second, flushing every second,
merging closed days) while `canton gen --live` feeds it more hits over HTTP.
Meanwhile `canton check` runs again and again (CANTON_CHECK_LIVE_SECONDS,
default 8, at least 10 times, and until serve has written 5 checkpoint files
meanwhile): every run must say "ok" and exit 0 --
the checkpoint files, segments and manifests that serve replaces under it
are not damage. Then a byte of a dictionary is flipped while serve runs:
check must say DAMAGED naming the file and exit 1; with the byte restored,
ok again; and after serve stops, ok."""
import datetime
import glob
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
SECONDS = float(os.environ.get("CANTON_CHECK_LIVE_SECONDS", "8"))
c = canton_test.Checks()
tmp = tempfile.mkdtemp(prefix="canton-check-live-")
CONFIG = """[suite demo]
timezone = UTC
currency = USD
store_flush_seconds = 1
"""


def run(*args, timeout=120):
    return subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout)


def flip(path, off):
    with open(path, "r+b") as f:
        f.seek(off)
        b = f.read(1)
        f.seek(off)
        f.write(bytes([b[0] ^ 0x10]))


def ckpts(store):
    return {os.path.basename(p) for p in glob.glob(os.path.join(store, "*.ckpt"))}


gen = None
try:
    today = datetime.datetime.now(datetime.timezone.utc).date()
    r = run("gen", "--suite", "demo", "--data", tmp, "--seed", "7", "--visits-per-day", "250",
            "--from", str(today - datetime.timedelta(days=30)),
            "--to", str(today - datetime.timedelta(days=1)))
    c.check(r.returncode == 0, "gen history: %r" % r.stderr[-300:])
    store = os.path.join(tmp, "store", "demo")
    with canton_test.Canton(config=CONFIG, data=tmp) as srv:
        conf = os.path.join(tmp, "canton.conf")
        gen = subprocess.Popen([BIN, "gen", "--suite", "demo", "--url", srv.url, "--live", "--rate", "40",
                                "--seed", "8", "--quiet"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not os.path.exists(os.path.join(store, "MANIFEST")) and time.monotonic() < deadline:
            time.sleep(0.05)
        c.check(os.path.exists(os.path.join(store, "MANIFEST")), "serve started the store")

        checks = restarts = 0
        seen = ckpts(store)
        # SECONDS and 10 checks at least, and until serve has replaced its checkpoint 5 times
        # during them: how often it does depends on the machine (a slow checkpoint spaces the
        # next ones out), so that is waited for (120 s at most), not assumed
        start = time.monotonic()
        end = start + SECONDS
        while ((time.monotonic() < end or checks < 10 or len(seen) < 5) and checks < 500
               and time.monotonic() < start + 120):
            r = run("check", "--config", conf, "--data", tmp)
            checks += 1
            out, err = r.stdout.decode(), r.stderr.decode()
            c.check(r.returncode == 0 and re.search(r"^demo: ok: ", out, re.M) is not None
                    and "DAMAGED" not in out,
                    "check %d of the live store: exit %d\n%s%s" % (checks, r.returncode, out[-1500:], err[-500:]))
            m = re.search(r"\((\d+) restarts\)", err)
            restarts += int(m.group(1)) if m else 0
            seen |= ckpts(store)
        c.check(gen.poll() is None, "gen --live still feeding: %r" % (gen.stderr.read()[-300:] if gen.poll() is not None else ""))
        print("# %d checks of the live store, %d restarts, %d checkpoint files seen" % (checks, restarts, len(seen)))
        # serve did write under the checks: a checkpoint blob each second
        c.check(len(seen) >= 5, "serve checkpointed during the checks (%d checkpoint files)" % len(seen))

        # damage while serve runs: still DAMAGED, naming the file
        d = os.path.join(store, "page.dict")
        flip(d, 20)
        r = run("check", "--config", conf, "--data", tmp)
        out = r.stdout.decode()
        c.check(r.returncode == 1 and "DAMAGED" in out and "page.dict" in out,
                "a flipped byte in page.dict of the live store is reported: exit %d %r" % (r.returncode, out[-800:]))
        flip(d, 20)
        r = run("check", "--config", conf, "--data", tmp)
        c.check(r.returncode == 0 and "demo: ok: " in r.stdout.decode(),
                "byte restored: ok again: %r" % r.stdout[-500:])

        gen.send_signal(signal.SIGINT)
        try:
            gen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            gen.kill()
            gen.wait()
        gen = None
    r = run("check", "--config", conf, "--data", tmp)
    c.check(r.returncode == 0 and "demo: ok: " in r.stdout.decode(),
            "check after serve stopped: %r" % r.stdout[-500:])
finally:
    if gen is not None:
        gen.kill()
        gen.wait()
    shutil.rmtree(tmp, ignore_errors=True)

c.finish()
