"""An interrupted `canton import` resumes without losing or duplicating hits.

Generates a combined log (bench/import/genlog.py) with a few bad and blank lines,
imports it once cleanly (the reference), then imports it into a second data folder
while killing the process with SIGKILL several times, re-running the same command
until it completes: the first run is killed once it has recorded progress (a condition,
not a time: however fast or loaded the machine, one kill lands in an unfinished import),
the later ones at random moments. The second hitlog must hold every hit exactly
once, in the same order (`canton hitlog dump --json` equals the reference), and
`canton process` + `canton report` must give the reference's totals.

The gap between a synced hitlog and the progress record saved after it is tested
deterministically: a progress record saved after one of the kills is put back once
the import has completed, as if the process had died just before saving a newer
one; re-running must skip every hit already in the hitlog (docs/import.md,
"Resuming"). The record put back is the furthest one with lines left to import: a kill
after the last periodic record and before the final one leaves a record of an unfinished
import at the file's end, which resumes with nothing to do (also checked). The same
holds for a .gz file (resumed by decompressing again and skipping).
CANTON_IMPORT_CHECKPOINT_MS (documented) makes progress records more frequent so that
kills land between several of them.
"""
import gzip
import json
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
GEN = os.path.join(SRC, "bench", "import", "genlog.py")
CONF = """[server]
data = %s
[suite demo]
timezone = UTC
"""


def run(args, want=0, env=None):
    r = subprocess.run([BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=240, env=env)
    if r.returncode != want:
        raise AssertionError("canton %s: exit %d (want %d)\n%s" % (" ".join(args), r.returncode,
                                                                   want, r.stderr.decode()))
    return r


def imp_args(conf, data, path):
    return ["import", "--config", conf, "--suite", "demo", "--data", data, "--summary", "json",
            "--quiet", path]


def imp(conf, data, path, env=None):
    return json.loads(run(imp_args(conf, data, path), env=env).stdout)


def dump(data):
    return run(["hitlog", "dump", "--data", data, "--json"]).stdout.decode().splitlines()


def state(data):
    p = os.path.join(data, "import", "state")
    if not os.path.exists(p):
        return []
    return [l.split(" ") for l in open(p).read().splitlines() if l and not l.startswith("#")]


def totals(conf, data):
    run(["process", "--config", conf, "--data", data, "--until-end"])
    out = run(["report", "--config", conf, "--data", data, "--suite", "demo", "--metrics",
               "hits,pageviews,visits,visitors", "--from", "2024-01-01", "--to", "2026-12-31",
               "--format", "json", "--bots"]).stdout
    return json.loads(out)["totals"]["values"]


def killed_import(conf, data, path, delay, env):
    """Starts an import, SIGKILLs it after delay s. True when it was killed mid-way."""
    p = subprocess.Popen([BIN] + imp_args(conf, data, path), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=env)
    try:
        p.wait(timeout=delay)
        return False  # finished first
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGKILL)
        p.wait()
        return True


def killed_after_record(conf, data, path, env):
    """Starts an import into a data folder without state and SIGKILLs it as soon as it has
    recorded progress of an unfinished import. True when killed so; False when it finished
    before the record was seen (it saves one at its start, so only if this script did not
    run for the whole import)."""
    assert not state(data)
    p = subprocess.Popen([BIN] + imp_args(conf, data, path), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=env)
    try:
        while p.poll() is None:
            st = state(data)  # written to state.tmp and renamed: never seen half-written
            if st and st[0][5] == "0":
                p.send_signal(signal.SIGKILL)
                p.wait()
                return True
            time.sleep(0.001)  # a poll interval, not a wait for the import
        return False
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def interrupted(conf, data, path, size, clean_secs, rng, kills, env):
    """Kills imports (the first once it has recorded progress, the others at random
    moments), then completes. Returns the summary, the furthest progress record seen with
    lines left to import (offset < size, the input's uncompressed bytes) and how many kills
    left such a record."""
    snapshot, snapshot_at = None, -1
    partial = 0
    for k in range(kills):
        if k == 0:
            killed = killed_after_record(conf, data, path, env)
            assert killed, "the import finished before it was seen recording progress"
        elif not killed_import(conf, data, path, rng.uniform(0.05, 0.6) * clean_secs, env):
            break
        st = state(data)
        if not st or st[0][5] != "0":
            continue  # killed before its start record, or after its final one
        offset = int(st[0][3])
        if offset == size:
            # between the last periodic record (at the end) and the final one: an
            # unfinished record with no line left; resuming from it adds nothing
            print("killed at the end (line %s), before the final record" % st[0][4])
            continue
        assert offset < size, st
        partial += 1
        print("killed at byte %d (line %s)" % (offset, st[0][4]))
        # keep the record furthest into the file: resuming from it skips the most
        if offset > snapshot_at:
            snapshot = open(os.path.join(data, "import", "state")).read()
            snapshot_at = offset
    s = imp(conf, data, path, env=env)
    # "unchanged" when the last run finished before its kill
    assert s["ok"] and s["files"][0]["action"] in ("resumed", "imported", "unchanged"), s
    if s["files"][0]["action"] == "resumed" and s["files"][0]["start"] == size:
        assert s["hits"] == 0 and s["files"][0]["duplicates_skipped"] == 0, s
    return s, snapshot, partial


def main():
    rng = random.Random(int(os.environ.get("CANTON_TEST_SEED", "7")))
    tmp = tempfile.mkdtemp(prefix="canton-import-resume-")
    try:
        conf = os.path.join(tmp, "canton.conf")
        log = os.path.join(tmp, "access.log")
        gen = subprocess.run([sys.executable, GEN, "300000", "13"], stdout=subprocess.PIPE,
                             check=True).stdout.decode()
        lines = gen.splitlines(keepends=True)
        # documented skips: bad lines (counted, no hit) and blank lines (skipped)
        for at in (5, 123456, 250000):
            lines.insert(at, "not a log line\n")
        for at in (77, 200000):
            lines.insert(at, "\n")
        with open(log, "w") as f:
            f.writelines(lines)
        size = os.path.getsize(log)
        want_hits = len(lines) - 5

        # the reference: one clean import
        ref = os.path.join(tmp, "ref")
        with open(conf, "w") as f:
            f.write(CONF % ref)
        t0 = time.monotonic()
        s = imp(conf, ref, log)
        clean_secs = time.monotonic() - t0
        assert s["hits"] == want_hits and s["bad_lines"] == 3 and s["skipped"] == 2, s
        ref_dump = dump(ref)
        assert len(ref_dump) == want_hits, len(ref_dump)
        ref_totals = totals(conf, ref)
        print("clean import: %.2f s, totals %s" % (clean_secs, ref_totals))

        # killed several times, then completed
        data = os.path.join(tmp, "data")
        env = dict(os.environ, CANTON_IMPORT_CHECKPOINT_MS="20")
        s, snapshot, partial = interrupted(conf, data, log, size, clean_secs, rng, 6, env)
        assert partial >= 1 and snapshot is not None, "no kill left a record with lines left"
        got = dump(data)
        assert len(got) == want_hits, ("hits in the hitlog", len(got), want_hits)
        assert got == ref_dump, "the hitlog differs from a clean import's"
        print("resumed after %d kills: %d hits, once each" % (partial, len(got)))

        # a progress record behind the hitlog (killed between sync and save)
        with open(os.path.join(data, "import", "state"), "w") as f:
            f.write(snapshot)
        s = imp(conf, data, log)
        f0 = s["files"][0]
        assert f0["action"] == "resumed" and s["hits"] == 0, s
        # from a record at the file's start every hit is a duplicate; from a later one, the rest
        assert f0["duplicates_skipped"] > 0, s
        assert f0["duplicates_skipped"] + f0["start_line"] >= want_hits, s
        assert dump(data) == ref_dump, "resuming from an older record duplicated hits"
        print("older record: %d hits already there, skipped" % f0["duplicates_skipped"])
        # complete now: nothing more
        s = imp(conf, data, log)
        assert s["files"][0]["action"] == "unchanged" and s["hits"] == 0, s

        with open(conf, "w") as f:
            f.write(CONF % data)
        got_totals = totals(conf, data)
        assert got_totals == ref_totals, (got_totals, ref_totals)

        # .gz: resumed by decompressing again and skipping what is imported
        gz = os.path.join(tmp, "access.log.gz")
        gz_text = "".join(lines[:120000]).encode()
        with gzip.open(gz, "wb", compresslevel=1) as f:
            f.write(gz_text)
        want_gz = 120000 - 2  # a blank line and a bad line in the first 120000
        gdata = os.path.join(tmp, "gzdata")
        with open(conf, "w") as f:
            f.write(CONF % gdata)
        gref = os.path.join(tmp, "gzref")
        t0 = time.monotonic()
        s = imp(conf, gref, gz)
        gz_secs = time.monotonic() - t0
        assert s["hits"] == want_gz, s
        s, snapshot, partial = interrupted(conf, gdata, gz, len(gz_text), gz_secs, rng, 3, env)
        assert partial >= 1 and snapshot is not None, "no .gz kill left a record with lines left"
        got = dump(gdata)
        assert len(got) == want_gz and got == dump(gref), ("gz hits", len(got), want_gz)
        with open(os.path.join(gdata, "import", "state"), "w") as f:
            f.write(snapshot)
        s = imp(conf, gdata, gz)
        assert s["hits"] == 0 and s["files"][0]["duplicates_skipped"] > 0, s
        assert dump(gdata) == got
        print("gz: %d kills after a progress record, %d hits once each" % (partial, len(got)))
        print("ok")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
