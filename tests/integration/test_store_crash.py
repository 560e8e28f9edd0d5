"""Crash consistency between processing's checkpoint and the stores.

Generates hits for two suites (interleaved by day) into a hitlog, processes
them once without interruption (the reference), then processes a copy of the
same hitlog (same rates and salts) with `canton process` (checkpoints every
20 ms, flushes every 3000 hits, background merges every 50 ms), killing it
with SIGKILL at chosen moments and restarting it from what the kill left.
Then a run reaches the end of the log, `canton check` passes and `canton
export` of every suite equals the reference's byte for byte (per-day row
counts and a digest): every hit is in the store exactly once.

The moments are conditions on the data folder, not times (docs/storage.md
"Writes, checkpoints and recovery", "Maintenance"; docs/processing.md "Crash
consistency with the stores"). The test polls the stores' MANIFESTs, their
files and processing's checkpoint while the process runs, and kills it once
one holds:

- flush: a suite folder holds a segment a flush wrote that its MANIFEST does
  not list yet (written, before the manifest naming it);
- merge: a segment a merge wrote (it starts at the row of a listed segment
  with a lower number, which it replaces) not yet swapped into the MANIFEST;
- store checkpoint: a `.ckpt` blob newer than the MANIFEST's checkpoint (the
  blob written; the fdatasyncs and the manifest that makes it the store's
  checkpoint not done);
- MANIFEST.tmp: a complete new manifest (its CRC32C right, the generation
  after MANIFEST's) not yet renamed over MANIFEST (between its write and fsync
  and the rename);
- one store ahead: one suite's store took a checkpoint the other's has not;
- stores ahead: both stores took a checkpoint processing's file has not.

A moment counts when the run reached it: the condition holds on a look that
differs from the one before the run, and only once the stores' MANIFESTs list
step / (steps + 2) of the reference's hit rows, so that the kills spread over
the log (both suites, every day, closed days' merges). After each kill the
look is taken again: the condition must still hold (the kill came before the
moment passed), else the folder is put back as it was before the run and the
run started again (at most TRIES times, from the fifth without waiting for the
rows). A moment not caught in TRIES runs (a disk whose fsync is near
instant makes some too short to see) is printed, and the step kills at any
moment once the stores hold its rows instead: every step kills. Before the last step, a kill must
leave some store short of the log's end, so that the later steps have hits to
process. On every look while a run goes on, each segment a MANIFEST lists has
the length it lists (a segment is written once under a new number and never
changed, docs/storage.md "Segments"). After each kill `canton check` passes on
the folder as the kill left it, and every store's checkpoint is at the
position of processing's file or ahead of it (a store ahead takes no
checkpoint until processing passes it, so its sequence may be behind). The
kinds come ROUNDS times (default 2: 12 kills). A SIGKILL leaves written data
to the kernel's page cache: the test proves the order of writes, renames and
checkpoints, not the fsyncs. The folder is made in the build folder
($CANTON_BUILD, on a disk: on a tmpfs, where fsync costs nothing, the moments
bound by an fsync last microseconds and the test cannot catch them by
looking).
bench/process/crash runs it with more hits and rounds."""
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import canton_test  # noqa: E402

BIN = canton_test.BIN
SRC = os.environ.get("CANTON_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
HITS = int(os.environ.get("CANTON_CRASH_HITS", "2500"))  # per suite and day
ROUNDS = int(os.environ.get("CANTON_CRASH_ROUNDS", "2"))
TRIES = 10
ANY = "any moment"  # the kill when a moment was not caught (kill_at's name)
DAYS = ["2026-11-0%d" % d for d in range(1, 5)]
SUITES = ["demo", "shop2"]
SEED = int(os.environ.get("CANTON_CRASH_SEED", "7"))
c = canton_test.Checks()
# in the build folder when meson runs it: a disk, where fsync takes time (on a tmpfs the
# moments bound by an fsync last microseconds, too short to see by looking)
tmp = tempfile.mkdtemp(prefix="canton-store-crash-", dir=os.environ.get("CANTON_BUILD") or None)


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


# --- reading the folder (docs/storage.md "Manifest", "Segments"; docs/processing.md) ---

crc32c = canton_test.crc32c


def varint(b, at):
    v = shift = 0
    while True:
        x = b[at]
        at += 1
        v |= (x & 0x7F) << shift
        shift += 7
        if x < 0x80:
            return v, at


def manifest(path, crc=False):
    """A MANIFEST: generation, ck_file_id and its segments {file_id: (key, first_row, rows,
    file length)},
    key ("v",) or ("h", day); None when absent or cut short (with crc: or its CRC32C is
    wrong; a MANIFEST is always whole, being renamed over the old one once written)."""
    try:
        with open(path, "rb") as f:
            b = f.read()
    except FileNotFoundError:
        return None
    if len(b) < 16 or b[:8] != b"CNSTMAN1" or (
            crc and struct.unpack("<I", b[-4:])[0] != crc32c(b[:-4])):
        return None
    at = 12
    head = []
    for _ in range(10):
        v, at = varint(b, at)
        head.append(v)
    ndict, at = varint(b, at)
    for _ in range(ndict):
        nl, at = varint(b, at)
        at += nl
        for _ in range(6):
            _, at = varint(b, at)
    segs = {}

    def seg(key, at):
        f = []
        for _ in range(9):
            v, at = varint(b, at)
            f.append(v)
        segs[f[0]] = (key, f[1], f[2] if key == ("v",) else f[3], f[7])
        return at

    n, at = varint(b, at)
    for _ in range(n):
        at = seg(("v",), at)
    n, at = varint(b, at)
    for _ in range(n):
        z, at = varint(b, at)
        day = (z >> 1) ^ -(z & 1)
        k, at = varint(b, at)
        for _ in range(k):
            at = seg(("h", day), at)
    return {"generation": head[0], "ck": head[7], "segs": segs}


def segment(path):
    """A segment's (key, first_row), None when cut short (still being written) or gone."""
    try:
        with open(path, "rb") as f:
            size = f.seek(0, 2)
            if size < 48:
                return None
            f.seek(size - 32)
            end = f.read(32)
            if end[-8:] != b"CNSTEND1":
                return None
            off = struct.unpack("<Q", end[:8])[0]
            if off + 16 > size:
                return None
            f.seek(off)
            kind, day, first = struct.unpack("<IiQ", f.read(16))
    except FileNotFoundError:
        return None
    return (("v",) if kind == 0 else ("h", day)), first


def blob(path):
    """A store's checkpoint blob (sequence, (hitlog segment, offset)) or None."""
    try:
        with open(path, "rb") as f:
            b = f.read()
    except FileNotFoundError:
        return None
    if len(b) != 28 or b[:8] != b"CNPROCK1":
        return None
    seq, segno, off = struct.unpack("<QIQ", b[8:])
    return seq, (segno, off)


def proc_checkpoint(data):
    """Processing's checkpoint file: (sequence, (hitlog segment, offset) or None) or None."""
    try:
        with open(os.path.join(data, "process", "checkpoint"), "rb") as f:
            b = f.read(64)  # the head: magic, version, sequence, position
    except FileNotFoundError:
        return None
    _, at = varint(b, 8)  # version
    seq, at = varint(b, at)
    has = b[at]
    segno, at = varint(b, at + 1)
    off, at = varint(b, at)
    return seq, ((segno, off) if has else None)


def look(data):
    """What the folder shows now, per suite and for processing's checkpoint."""
    out = {"proc": proc_checkpoint(data), "changed": []}
    for s in SUITES:
        d = os.path.join(data, "store", s)
        m = manifest(os.path.join(d, "MANIFEST"))
        try:
            names = sorted(os.listdir(d))
        except FileNotFoundError:
            names = []
        st = {"m": m, "flush": [], "merge": [], "ckpt": [], "tmp": None, "blob": None}
        out[s] = st
        if m is None:
            continue
        if m["ck"]:
            st["blob"] = blob(os.path.join(d, "%010d.ckpt" % m["ck"]))
        starts = {(k, f): i for i, (k, f, _, _) in m["segs"].items()}
        # a segment is written once and never changed: a listed file has the listed length
        # (or is gone, deleted after a newer manifest stopped listing it)
        for i, (_, _, _, n) in m["segs"].items():
            try:
                size = os.stat(os.path.join(d, "%010d.seg" % i)).st_size
            except FileNotFoundError:
                continue
            if size != n:
                out["changed"].append("%s %010d.seg: %d bytes, listed as %d" % (s, i, size, n))
        for n in names:
            if n.endswith(".seg") and int(n[:-4]) not in m["segs"]:
                sg = segment(os.path.join(d, n))
                if sg is None:
                    continue
                rep = starts.get(sg)
                if rep is None:
                    st["flush"].append(n)
                elif rep < int(n[:-4]):
                    st["merge"].append(n)
            elif n.endswith(".ckpt") and int(n[:-5]) > m["ck"]:
                st["ckpt"].append(n)
        t = manifest(os.path.join(d, "MANIFEST.tmp"), crc=True)
        if t is not None and t["generation"] == m["generation"] + 1:
            st["tmp"] = t["generation"]
    return out


def rows(lk):
    """The hit rows the stores' MANIFESTs list (durable or tentative): how far processing is."""
    return sum(n for s in SUITES if lk[s]["m"] for k, _, n, _ in lk[s]["m"]["segs"].values()
               if k[0] == "h")


def pos_of(st):
    return st["blob"][1] if st["blob"] else None


# the kinds of moment: a condition on a look, returning what it saw or None
def k_flush(lk):
    return next(("%s %s" % (s, lk[s]["flush"]) for s in SUITES if lk[s]["flush"]), None)


def k_merge(lk):
    return next(("%s %s" % (s, lk[s]["merge"]) for s in SUITES if lk[s]["merge"]), None)


def k_ckpt(lk):
    return next(("%s %s" % (s, lk[s]["ckpt"]) for s in SUITES if lk[s]["ckpt"]), None)


def k_tmp(lk):
    return next(("%s generation %d" % (s, lk[s]["tmp"]) for s in SUITES if lk[s]["tmp"]), None)


def k_split(lk):
    a, b = (pos_of(lk[s]) for s in SUITES)
    return "store positions %s, %s" % (a, b) if a and b and a != b else None


def k_ahead(lk):
    p = lk["proc"][1] if lk["proc"] else None
    pos = [pos_of(lk[s]) for s in SUITES]
    return "store positions %s, processing's %s" % (pos, p) if None not in pos and (
        p is None or min(pos) > p) else None


KINDS = [("flush", k_flush), ("store checkpoint", k_ckpt), ("MANIFEST.tmp", k_tmp),
         ("merge", k_merge), ("one store ahead", k_split), ("stores ahead", k_ahead)]


def kill_at(args, data, name, cond, target, end):
    """Runs args and SIGKILLs the process once the stores list target hit rows or more (from
    the fifth try on, any number: a busy machine may process the rest of the log between two
    checkpoints), cond holds on the folder and, when end is not None, some store's
    checkpoint is before end (the later steps need log to process). Returns (what cond says
    about the folder the kill left, the tries before); when the process ended first or the
    moment had passed by the kill, puts the folder back and tries again (TRIES in all)."""
    keep = data + ".before"
    shutil.rmtree(keep, ignore_errors=True)
    shutil.copytree(data, keep)
    changed = []
    before = cond(look(data))  # a moment is one this run reaches, not one the folder shows

    def now():
        lk = look(data)
        if lk["changed"] and not changed:
            changed.extend(lk["changed"])
            c.check(False, "a segment the MANIFEST lists changed while %s ran: %s"
                    % (name, changed))
        if rows(lk) < (target if attempt < 4 else 0):
            return None
        # a kill after which every store holds the whole log leaves the later steps nothing
        if end is not None and None not in (pos_of(lk[s]) for s in SUITES) and min(
                pos_of(lk[s]) for s in SUITES) >= end:
            return None
        saw = cond(lk)
        return saw if saw and saw != before else None

    for attempt in range(TRIES):
        errf = open(data + ".stderr", "w+b")
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=errf)
        killed = canton_test.kill_when(p, now, 300, interval=0.0005)
        errf.seek(0)
        err = errf.read()
        errf.close()
        if not killed and not c.check(p.returncode == 0, "process (%s): %r" % (name, err[-500:])):
            return None
        saw = now() if killed else None
        if saw:
            return saw, attempt
        shutil.rmtree(data)
        shutil.copytree(keep, data)
    if name == ANY:
        c.check(False, "the process was never killed after %d rows (%d tries)" % (target, TRIES))
    return None


try:
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
                    "--seed", str(SEED + i))
            c.check(r.returncode == 0, "gen %s %s: %r" % (s, d, r.stderr))
    crash = os.path.join(tmp, "crash")
    os.makedirs(crash)
    shutil.copytree(os.path.join(ref, "hitlog"), os.path.join(crash, "hitlog"))
    shutil.copy(os.path.join(ref, "rates.csv"), os.path.join(crash, "rates.csv"))

    # the reference: one uninterrupted run
    r = run("process", "--config", conf, "--data", ref, "--until-end", "--no-enrich")
    c.check(r.returncode == 0, "reference run: %r" % r.stderr)
    # the same salts, so that cookieless visitor keys are the same
    shutil.copy(os.path.join(ref, "salts"), os.path.join(crash, "salts"))
    end = proc_checkpoint(ref)[1]  # the last hit's position
    want, e = export(conf, ref)
    c.check(want is not None and sum(want["demo"][0].values()) > 0, "reference export: %r" % e)

    args = [BIN, "process", "--config", conf, "--data", crash, "--until-end", "--no-enrich",
            "--checkpoint-ms", "20", "--flush-rows", "3000", "--maintain-ms", "50"]
    kills = 0
    missed = []  # the moments not caught (the kill then came at any moment)
    total = sum(sum(want[s][0].values()) for s in SUITES) if want else 0
    steps = [k for _ in range(ROUNDS) for k in KINDS]
    for i, (name, cond) in enumerate(steps):
        # the kills spread over the log: the stores hold i / (steps + 2) of the hit rows
        target = total * i // (len(steps) + 2)
        stop = end if i + 1 < len(steps) else None
        got = kill_at(args, crash, name, cond, target, stop)
        if got is None and not c.failed:
            # A moment this machine did not show (a disk whose fsync is near instant makes
            # some too short to see between two looks): the kill still comes, at whatever
            # the process is doing once the stores hold the target rows, so that every
            # step tests a recovery. Which kinds were caught is printed, not required.
            print("# the moment %s was not caught in %d tries: killed at any moment" % (
                name, TRIES))
            missed.append(name)
            name = ANY
            got = kill_at(args, crash, name, lambda lk: "at %d rows" % rows(lk), target, stop)
        if got is None:
            continue
        kills += 1
        lk = look(crash)
        print("# kill %d at %s, %d of %d rows: %s (%d tries before)" % (
            kills, name, rows(lk), total, got[0], got[1]))
        r = run("check", "--config", conf, "--data", crash)
        c.check(r.returncode == 0, "check after the kill at %s: %r" % (name, r.stdout[-300:]))
        c.check(not lk["changed"], "after the kill at %s, listed segments changed: %s"
                % (name, lk["changed"]))
        # every store at the position of processing's checkpoint or ahead of it (its
        # sequence may be behind: a store ahead takes no checkpoint until processing
        # passes its position, docs/processing.md)
        if lk["proc"] and lk["proc"][1]:
            for s in SUITES:
                b = lk[s]["blob"]
                c.check(b is not None and b[1] >= lk["proc"][1],
                        "after the kill at %s, store %s's checkpoint %r is at processing's "
                        "%r or ahead" % (name, s, b, lk["proc"]))
    print("# %d kills; moments not caught: %s" % (kills, ", ".join(missed) or "none"))
    c.check(kills == len(steps), "%d kills, want %d" % (kills, len(steps)))

    r = run("process", "--config", conf, "--data", crash, "--until-end", "--no-enrich",
            "--checkpoint-ms", "20", "--flush-rows", "3000", "--maintain-ms", "50")
    c.check(r.returncode == 0, "process exits cleanly: %r" % r.stderr[-500:])
    r = run("check", "--config", conf, "--data", crash)
    c.check(r.returncode == 0, "canton check passes after the crashes: %r" % r.stdout[-500:])
    got, e = export(conf, crash)
    c.check(got is not None, "export after crashes: %r" % e)
    for s in SUITES:
        if got is None or want is None:
            break
        c.check(got[s][0] == want[s][0], "suite %s: rows per day %r, want %r"
                % (s, got[s][0], want[s][0]))
        c.check(got[s][1] == want[s][1], "suite %s: export digest equals the uninterrupted "
                "run's" % s)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
c.finish()
