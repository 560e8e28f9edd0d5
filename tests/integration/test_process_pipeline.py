"""Processing on two threads (a worker decodes and enriches ahead of the state stage,
src/process/pipe.c) gives exactly what one thread gives: the same store files, checkpoint,
bad-row log and export bytes from `canton process --threads 1` and `--threads 2` over the
same hitlog (collected-style Adobe/canton hits of two suites, imported access-log lines and a
few bad hits, with eVar and visit rules), the same `canton reprocess --all` digest, and the same
export after following the log (no --until-end), stopping with SIGTERM and resuming."""
import filecmp
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
tmp = tempfile.mkdtemp(prefix="canton-pipeline-")


def run(*args, timeout=300):
    return subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout)


def export(conf, data, suite):
    r = run("export", "--config", conf, "--data", data, "--suite", suite, "--from", "2026-10-01",
            "--to", "2026-11-10")
    c.check(r.returncode == 0, "export %s: %r" % (suite, r.stderr))
    return r.stdout


def files(d):
    out = []
    for root, _, names in os.walk(d):
        for n in names:
            out.append(os.path.relpath(os.path.join(root, n), d))
    return sorted(out)


def write_conf(path, data):
    with open(path, "w") as f:
        f.write("[server]\ndata = %s\n" % data)
        f.write("[suite demo]\ncurrency = CNY\nhome_country = CN\ndomains = shop.canton.test\n"
                "timezone = Asia/Shanghai\nsalt_retention = never\nstore_flush_seconds = 36000\n"
                "evar1 = allocation=original; expiry=30d\nnew_visit_on_campaign = true\n")
        f.write("[suite other]\ncurrency = CNY\nhome_country = CN\ndomains = shop.canton.test\n"
                "timezone = Asia/Shanghai\nsalt_retention = never\nstore_flush_seconds = 36000\n"
                "new_visit_on_referrer = true\n")


try:
    base = os.path.join(tmp, "base")
    conf0 = os.path.join(tmp, "c0.conf")
    write_conf(conf0, base)
    r = run("rates", "import", os.path.join(SRC, "docs", "rates-sample.csv"), "--data", base)
    c.check(r.returncode == 0, "rates import")
    for day in ("2026-11-01", "2026-11-02"):
        for i, s in enumerate(("demo", "other")):
            r = run("gen", "--data", base, "--suite", s, "--hits", "12000", "--from", day, "--to",
                    day, "--seed", str(3 + i))
            c.check(r.returncode == 0, "gen: %r" % r.stderr)
    log = os.path.join(tmp, "access.log")
    with open(log, "w") as f:
        subprocess.run([sys.executable, os.path.join(SRC, "bench", "import", "genlog.py"),
                        "20000", "5"], stdout=f, check=True)
    r = run("import", "--config", conf0, "--data", base, "--suite", "demo", "--quiet", log)
    c.check(r.returncode == 0, "import: %r" % r.stderr)
    # a record that is not a raw hit and a hit for a suite that is not configured: bad rows
    r = run("gen", "--data", base, "--suite", "nosuch", "--hits", "50", "--from", "2026-11-03",
            "--to", "2026-11-03", "--seed", "11")
    c.check(r.returncode == 0, "gen for an unknown suite: %r" % r.stderr)

    datas = {}
    for t in ("1", "2"):
        d = os.path.join(tmp, "t" + t)
        shutil.copytree(base, d)
        if t == "2":
            # the daily salts of cookieless visitor keys are random: take the first run's
            shutil.copyfile(os.path.join(datas["1"][1], "salts"), os.path.join(d, "salts"))
        conf = os.path.join(tmp, "c%s.conf" % t)
        write_conf(conf, d)
        r = run("process", "--config", conf, "--data", d, "--until-end", "--threads", t,
                "--flush-rows", "5000", "--checkpoint-ms", "600000")
        c.check(r.returncode == 0, "process --threads %s: %r" % (t, r.stderr))
        c.check(b"bad rows" in r.stdout and b" 0 bad rows" not in r.stdout,
                "some bad rows: %r" % r.stdout)
        datas[t] = (conf, d, r.stdout.split(b"\n")[0])
    c.check(datas["1"][2] == datas["2"][2],
            "the same counts: %r vs %r" % (datas["1"][2], datas["2"][2]))
    f1, f2 = files(os.path.join(datas["1"][1], "store")), files(os.path.join(datas["2"][1], "store"))
    c.check(f1 == f2 and len(f1) > 4, "the same store files: %r vs %r" % (f1[:10], f2[:10]))
    for rel in ["process/checkpoint", "badrows/badrows.log"] + ["store/" + x for x in f1]:
        a, b = os.path.join(datas["1"][1], rel), os.path.join(datas["2"][1], rel)
        if not os.path.exists(a) and not os.path.exists(b):
            continue
        c.check(os.path.exists(b) and filecmp.cmp(a, b, shallow=False),
                "%s is byte-identical" % rel)
    for s in ("demo", "other"):
        e1 = export(datas["1"][0], datas["1"][1], s)
        e2 = export(datas["2"][0], datas["2"][1], s)
        c.check(e1 == e2 and e1.count(b"\n") > 10000,
                "suite %s exports the same bytes (%d lines)" % (s, e1.count(b"\n")))

    digests = []
    for t in ("1", "2"):
        r = run("reprocess", "--all", "--threads", t, "--config", datas["1"][0], "--data",
                datas["1"][1])
        c.check(r.returncode == 0, "reprocess --all --threads %s: %r" % (t, r.stderr))
        digests.append([x for x in r.stdout.split(b"\n") if x.startswith(b"digest")])
    c.check(digests[0] == digests[1] and digests[0], "reprocess digests agree: %r" % digests)

    # reprocess one suite with the worker: the rebuilt store exports the same bytes
    conf2, d2 = datas["2"][0], datas["2"][1]
    before = export(conf2, d2, "demo")
    r = run("reprocess", "--suite", "demo", "--threads", "2", "--config", conf2, "--data", d2)
    c.check(r.returncode == 0, "reprocess --suite demo: %r" % r.stderr)
    c.check(export(conf2, d2, "demo") == before, "the rebuilt store exports the same bytes")

    # following the log: stop with SIGTERM part-way, then resume to the end
    d3 = os.path.join(tmp, "t3")
    shutil.copytree(base, d3)
    shutil.copyfile(os.path.join(datas["1"][1], "salts"), os.path.join(d3, "salts"))
    conf3 = os.path.join(tmp, "c3.conf")
    write_conf(conf3, d3)
    p = subprocess.Popen([BIN, "process", "--config", conf3, "--data", d3, "--threads", "2",
                          "--checkpoint-ms", "50", "--flush-rows", "5000"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # once it has checkpointed (it is processing), stop it part-way
    deadline = time.time() + 120
    while not os.path.exists(os.path.join(d3, "process", "checkpoint")) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    p.send_signal(signal.SIGTERM)
    c.check(p.wait(timeout=120) == 0, "process (following) stops on SIGTERM: %r"
            % p.stderr.read()[-2000:])
    r = run("process", "--config", conf3, "--data", d3, "--until-end", "--threads", "2")
    c.check(r.returncode == 0, "resume: %r" % r.stderr)
    for s in ("demo", "other"):
        c.check(export(conf3, d3, s) == export(datas["1"][0], datas["1"][1], s),
                "suite %s: stop and resume export the same bytes" % s)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
c.finish()
