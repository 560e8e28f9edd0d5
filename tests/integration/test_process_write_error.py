"""A write that fails under processing (a file size limit here, as a full disk
would fail it) stops `canton process` with an error that names the suite's
store, the file and the system's reason, not a bare error code; run again
without the limit, processing resumes from its last checkpoint and the store
holds every hit exactly once: `canton check` passes and `canton export` equals
an uninterrupted run's byte for byte (docs/storage.md "When the store refuses
a row")."""
import hashlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import canton_test  # noqa: E402

BIN = canton_test.BIN
SRC = os.environ.get("CANTON_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
c = canton_test.Checks()
tmp = tempfile.mkdtemp(prefix="canton-write-error-")
LIMIT = 8 << 10  # bytes a file may grow to in the limited run: less than a segment of 500 hits


def run(*args, preexec_fn=None, timeout=300):
    return subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, preexec_fn=preexec_fn)


def limited():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, resource.RLIM_INFINITY))


def export(conf, data):
    r = run("export", "--config", conf, "--data", data, "--suite", "demo", "--from", "2026-11-20",
            "--to", "2026-11-21")
    return r.returncode, len(r.stdout.split(b"\n")), hashlib.sha256(r.stdout).hexdigest()


try:
    conf = os.path.join(tmp, "c.conf")
    with open(conf, "w") as f:
        f.write("[suite demo]\ncurrency = CNY\nhome_country = CN\ndomains = shop.example\n"
                "timezone = UTC\nsalt_retention = never\n")
    ref = os.path.join(tmp, "ref")
    r = run("rates", "import", os.path.join(SRC, "docs", "rates-sample.csv"), "--data", ref)
    c.check(r.returncode == 0, "rates import: %r" % r.stderr)
    r = run("gen", "--data", ref, "--suite", "demo", "--hits", "6000", "--from", "2026-11-20",
            "--to", "2026-11-20", "--seed", "5")
    c.check(r.returncode == 0, "gen: %r" % r.stderr)
    data = os.path.join(tmp, "data")
    os.makedirs(data)
    shutil.copytree(os.path.join(ref, "hitlog"), os.path.join(data, "hitlog"))
    shutil.copy(os.path.join(ref, "rates.csv"), os.path.join(data, "rates.csv"))
    r = run("process", "--config", conf, "--data", ref, "--until-end", "--no-enrich")
    c.check(r.returncode == 0, "reference run: %r" % r.stderr)
    shutil.copy(os.path.join(ref, "salts"), os.path.join(data, "salts"))
    want = export(conf, ref)
    c.check(want[0] == 0 and want[1] > 6000, "reference export: %r" % (want,))

    # the store flushes its first 500 hits (a segment of about 12 KiB) long before processing's
    # first checkpoint (after a second), whose file would be the first to grow past the limit
    args = ["process", "--config", conf, "--data", data, "--until-end", "--no-enrich",
            "--flush-rows", "500"]
    r = run(*args, preexec_fn=limited)
    err = r.stderr.decode(errors="replace")
    c.check(r.returncode == 1, "the limited run fails: %d %r" % (r.returncode, err[-500:]))
    store = os.path.join(data, "store", "demo") + "/"
    c.check("store of suite demo: " + store in err and ": File too large" in err,
            "the error names the store, the file and the reason: %r" % err[-500:])

    r = run(*args)
    c.check(r.returncode == 0, "the run after resumes: %r" % r.stderr[-500:])
    r = run("check", "--config", conf, "--data", data)
    c.check(r.returncode == 0, "canton check passes: %r" % r.stdout[-300:])
    got = export(conf, data)
    c.check(got == want, "every hit once, as the uninterrupted run: %r, want %r" % (got, want))
finally:
    shutil.rmtree(tmp, ignore_errors=True)
c.finish()
