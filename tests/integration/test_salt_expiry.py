"""Cookieless salts expire by the wall clock in the live pass (docs/processing.md "Visitors"):
with no traffic at all, `canton serve` and `canton process` following the log destroy the
salts past salt_retention (default 2 days) before today and keep the recent ones, while
`canton process --until-end` and `canton reprocess --all` go by hit times only and leave
the file as it is."""
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
c = canton_test.Checks()
tmp = tempfile.mkdtemp(prefix="canton-salts-")

DAY = 86400
now = time.time()
OLD = ["2020-01-01 000102030405060708090a0b0c0d0e0f", "2020-01-02 101112131415161718191a1b1c1d1e1f"]
KEPT = [time.strftime("%Y-%m-%d", time.gmtime(now - DAY)) + " 202122232425262728292a2b2c2d2e2f",
        time.strftime("%Y-%m-%d", time.gmtime(now)) + " 303132333435363738393a3b3c3d3e3f"]


def fresh(name, kept=KEPT):
    """A data folder with an empty hitlog and a salts file of old and recent days."""
    data = os.path.join(tmp, name)
    os.makedirs(os.path.join(data, "hitlog"))
    with open(os.path.join(data, "salts"), "w") as f:
        f.write("\n".join(OLD + kept) + "\n")
    return data


def salts(data):
    with open(os.path.join(data, "salts")) as f:
        return f.read().splitlines()


def wait_expired(data, kept=KEPT, deadline_s=20.0):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if salts(data) == kept:
            return True
        time.sleep(0.1)
    return False


try:
    # canton serve: its processing thread expires them soon after it starts
    data = fresh("serve")
    srv = canton_test.Canton(data=data)
    srv.start()
    try:
        c.check(wait_expired(data), "serve destroys the old salts: %r" % salts(data))
        status, _, _ = srv.request("GET", "/healthz")
        c.check(status == 200, "serve is healthy after the expiry")
    finally:
        rc = srv.stop()
    c.check(rc == 0, "serve stops on SIGTERM: %r" % rc)
    c.check(salts(data) == KEPT, "the recent salts stay: %r" % salts(data))
    c.check("salts expired" in srv.log() and "count=2" in srv.log(), "the expiry is logged")

    # canton process following the log: the same, until SIGTERM; the newest salt is yesterday's,
    # so the clock's day is the newest
    data = fresh("follow", KEPT[:1])
    p = subprocess.Popen([BIN, "process", "--data", data], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        c.check(wait_expired(data, KEPT[:1]), "process (following) destroys the old salts: %r" % salts(data))
    finally:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
    c.check(p.returncode == 0, "process stops on SIGTERM: %r" % err)

    # by hit times only: the passes that must be repeatable leave the file alone
    data = fresh("repeatable")
    for args in (["process", "--until-end"], ["reprocess", "--all"]):
        r = subprocess.run([BIN] + args + ["--data", data], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        c.check(r.returncode == 0, "%s runs: %r" % (args, r.stderr))
        c.check(salts(data) == OLD + KEPT, "%s keeps every salt: %r" % (args, salts(data)))
finally:
    shutil.rmtree(tmp, ignore_errors=True)
c.finish()
