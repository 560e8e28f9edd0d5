"""An interrupted `canton import` resumes without losing or duplicating hits.

The input is a combined log (bench/import/genlog.py, each request given a long query
parameter so that fewer hits fill a block) of four of the importer's blocks of about
4 MiB, with a bad line in each block and two blank lines. CANTON_IMPORT_CHECKPOINT_MS=0
(documented) makes the import record its progress after every block: a run records it at
the file's start, at the three block ends inside the file, at the file's end (done 0) and
once done (docs/import.md, "Resuming an interrupted import"). A clean import into a
folder of its own is the reference.

The import is killed (SIGKILL) at points chosen by conditions, not by time:
- a fresh import once the state shows its start record, and resumed, once it shows the
  record of the first or the second block's end (the first it saves: the hits past the
  start record lie in the first block), each time once the hitlog has grown since the test
  saw the record: the next block's hits are being written, and the record after them comes
  only once they are synced. So the kill leaves some or all of that block's hits (whole
  records, or the last one cut short) past the record. (When the import went past the
  record before the kill, the folder is put back and the step run again; from the fourth
  try on, without waiting for the hitlog to grow.)
- resumed again as `canton import FILE -` with stdin kept open: it records the file's
  end (done 0; the hits past the record it resumes from lie in the block after it, so the
  last block is imported and recorded), then waits for stdin, so the kill lands after the
  last periodic record and before the final one.
After each kill the record must count the lines before its byte, and the hitlog must be a
prefix of the reference's that holds every hit the record covers. An import resumed from
each kill (from the first two in a copy of the folder) must say `resumed` at the record's
byte and line, skip exactly the hits past the record that the hitlog holds
(`duplicates_skipped`), count the bad and blank lines after it, and leave a hitlog equal
to the reference's record for record (`canton hitlog dump --json`); run again, the file is
`unchanged`. `canton process` + `canton report` then give the reference's totals.

A kill between syncing the hitlog and saving the record after it leaves a record behind
the hitlog: the records of the start and of the inside are put back once the import is
complete, and re-running must import nothing and skip every hit after the record. The
same for a .gz file of the same lines (resumed by decompressing again and skipping):
killed after a record inside while the next block's hits are written, resumed, and its
record put back.
"""
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

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
# a progress record after every block (docs/import.md, "Resuming an interrupted import")
ENV = dict(os.environ, CANTON_IMPORT_CHECKPOINT_MS="0")
BLOCK = 4 << 20  # the importer's block, about 4 MiB (docs/import.md)


def run(args):
    r = subprocess.run([BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120, env=ENV)
    if r.returncode != 0:
        raise AssertionError("canton %s: exit %d\n%s" % (" ".join(args), r.returncode,
                                                         r.stderr.decode()))
    return r


def imp_args(conf, data, paths):
    return ["import", "--config", conf, "--suite", "demo", "--data", data, "--summary", "json",
            "--quiet"] + paths


def imp(conf, data, path):
    s = json.loads(run(imp_args(conf, data, [path])).stdout)
    assert s["ok"] and len(s["files"]) == 1, s
    return s


def dump(data):
    return run(["hitlog", "dump", "--data", data, "--json"]).stdout.decode().splitlines()


def record(data, path):
    """The state's entry for path (offset, lines, done, the hitlog position of the last
    batch it covers and that batch's records) and the state file's text; or None."""
    p = os.path.join(data, "import", "state")
    try:
        text = open(p).read()  # written to state.tmp and renamed: never seen half-written
    except FileNotFoundError:
        return None
    for l in text.splitlines():
        f = l.split(" ")
        if l and not l.startswith("#") and f[-1] == path:
            return {"offset": int(f[3]), "lines": int(f[4]), "done": f[5] == "1",
                    "batch": (int(f[6]), int(f[7])), "records": int(f[8]), "text": text}
    return None


def totals(conf, data):
    run(["process", "--config", conf, "--data", data, "--until-end"])
    out = run(["report", "--config", conf, "--data", data, "--suite", "demo", "--metrics",
               "hits,pageviews,visits,visitors", "--from", "2024-01-01", "--to", "2026-12-31",
               "--format", "json", "--bots"]).stdout
    return json.loads(out)["totals"]["values"]


class Log:
    """The generated input: its lines, size, and which of them are bad or blank."""

    def __init__(self, path):
        gen = subprocess.run([sys.executable, GEN, "14000", "13"], stdout=subprocess.PIPE,
                             check=True).stdout.decode()
        rng = random.Random(13)
        lines = []
        for l in gen.splitlines(keepends=True):
            # a long query parameter (a session id, a tracking token): a block holds fewer
            # hits, so the test parses, dumps and processes fewer
            pad = "%0760x" % rng.getrandbits(760 * 4)
            cut = l.index(" HTTP/1.1\"")
            sep = "&" if "?" in l[:cut] else "?"
            lines.append(l[:cut] + sep + "sid=" + pad + l[cut:])
        # documented skips: bad lines (counted, no hit), blank lines (skipped)
        n = len(lines)
        self.bad = [5, n * 2 // 5, n * 7 // 10, n * 19 // 20]
        self.blank = [77, n * 3 // 5]
        for at in sorted(self.bad + self.blank):
            lines.insert(at, "not a log line\n" if at in self.bad else "\n")
        self.lines = lines
        self.text = "".join(lines).encode()
        self.size = len(self.text)
        with open(path, "wb") as f:
            f.write(self.text)
        self.path = path
        self.hits = len(lines) - len(self.bad) - len(self.blank)
        assert 3 * BLOCK < self.size < 4 * BLOCK, self.size  # four blocks
        # a bad line in each block, blank lines in the first and the third
        starts = [0]
        for l in lines:
            starts.append(starts[-1] + len(l))
        assert [starts[at] // BLOCK for at in self.bad] == [0, 1, 2, 3], self.bad
        assert [starts[at] // BLOCK for at in self.blank] == [0, 2], self.blank

    def hits_before(self, line):
        """Hits in the first `line` lines."""
        return line - sum(1 for at in self.bad + self.blank if at < line)

    def bad_from(self, line):
        return sum(1 for at in self.bad if at >= line)

    def blank_from(self, line):
        return sum(1 for at in self.blank if at >= line)


def check_record(log, rec, ref_dump):
    """A progress record counts the lines before its byte and names the batch whose last hit
    is the last one before it: the hits that follow that batch in the hitlog are those of
    the lines after the record (before any, the hitlog's end). The hitlogs of this test have
    the reference's positions (each is a prefix of it)."""
    assert rec["lines"] == log.text.count(b"\n", 0, rec["offset"]), rec  # lines before it
    at = log.hits_before(rec["lines"]) - rec["records"]  # the batch's first hit
    assert 0 <= at < len(ref_dump), rec
    first = json.loads(ref_dump[at])
    assert (first["segment"], first["offset"]) == rec["batch"], (first["pos"], rec)


def check_killed(data, log, rec, ref_dump):
    """After a kill: the record is right (check_record), and the hitlog is a prefix of the
    reference's that holds every hit the record covers. Returns the hits in it."""
    check_record(log, rec, ref_dump)
    got = dump(data)
    assert got == ref_dump[:len(got)], "the hitlog after a kill is not a prefix of the reference"
    covered = log.hits_before(rec["lines"])
    assert len(got) >= covered, (len(got), rec["lines"])
    print("  the hitlog holds %d hits, %d of them past the record" %
          (len(got), len(got) - covered))
    return len(got)


def check_resumed(s, log, rec, had):
    """The summary of an import resumed from rec with `had` hits in the hitlog, to its end."""
    f = s["files"][0]
    want = {"action": "resumed", "start": rec["offset"], "start_line": rec["lines"],
            "end": log.size,
            "duplicates_skipped": had - log.hits_before(rec["lines"]),
            "lines": len(log.lines) - rec["lines"], "hits": log.hits - had,
            "bad_lines": log.bad_from(rec["lines"]), "held_back": 0}
    got = {k: f[k] for k in want}
    assert got == want, (got, want)
    assert s["hits"] == log.hits - had and s["skipped"] == log.blank_from(rec["lines"]), s


def hitlog_bytes(data):
    d = os.path.join(data, "hitlog")
    if not os.path.isdir(d):
        return 0
    return sum(os.path.getsize(os.path.join(d, n)) for n in os.listdir(d) if n.endswith(".log"))


def kill_at(conf, data, path, cond, what, check, stdin=False, past=False):
    """Runs `canton import path` (with `-` after it when stdin: a pipe kept open) into data
    and SIGKILLs it once its progress record satisfies cond; with past, once the hitlog has
    also grown since the test first saw that record (the next block's hits, past the
    record, are being written: the record after them comes once they are synced). Returns
    the record the kill left. When the import ended first (it went through the whole file
    between two looks) or saved a newer record before the kill, the folder is put back as
    it was and the step is run again; from the fourth try on, past is not waited for (a
    machine whose fsync is instant may never show the hitlog grown behind a record). Every
    record of an unfinished import seen on the way is passed to check."""
    keep = data + ".before"
    for attempt in range(6):
        shutil.rmtree(keep, ignore_errors=True)
        if os.path.exists(data):
            shutil.copytree(data, keep)
        err = open(data + ".stderr", "w+b")
        p = subprocess.Popen([BIN] + imp_args(conf, data, [path] + (["-"] if stdin else [])),
                             stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=err, env=ENV)
        wait_past = past and attempt < 3
        seen = {}  # a record's text -> the hitlog's bytes when the test first saw it
        records = {}  # the records seen, by text
        at = []  # the record at the kill

        def ready():
            r = record(data, path)
            if r is None or r["done"]:
                return False
            records[r["text"]] = r
            if cond(r):
                size = hitlog_bytes(data)
                if not wait_past or size > seen.setdefault(r["text"], size):
                    at.append(r)
                    return True
            return False

        try:
            canton_test.kill_when(p, ready, 120)
        finally:
            if stdin:
                p.stdin.close()
        at = at[0] if at else None
        err.close()
        for r in records.values():
            check(r)
        # the record the kill left: a newer one may have been saved since the look
        rec = record(data, path) if at is not None else None
        if rec is not None and not rec["done"] and cond(rec) and (
                not wait_past or rec["text"] == at["text"]):
            print("killed at %s: byte %d, line %d (%d records seen on the way, checked)"
                  % (what, rec["offset"], rec["lines"], len(records)))
            return rec
        assert not stdin and (at is not None or p.returncode == 0), (
            "import", p.returncode, open(data + ".stderr").read())
        print("  not killed at %s (the import went on past it): again" % what)
        shutil.rmtree(data)
        if os.path.exists(keep):
            shutil.copytree(keep, data)
    raise AssertionError("the import never stopped at %s" % what)


def put_back(data, rec):
    """Puts a record saved earlier back, as if the import had died between syncing the
    hitlog and saving a newer one."""
    with open(os.path.join(data, "import", "state"), "w") as f:
        f.write(rec["text"])


def main():
    tmp = tempfile.mkdtemp(prefix="canton-import-resume-")
    try:
        conf = os.path.join(tmp, "canton.conf")
        with open(conf, "w") as f:  # every command names its data folder (--data)
            f.write(CONF % os.path.join(tmp, "unused"))
        log = Log(os.path.join(tmp, "access.log"))
        path = log.path

        # the reference: one clean import
        ref = os.path.join(tmp, "ref")
        s = imp(conf, ref, path)
        assert s["hits"] == log.hits and s["bad_lines"] == 4 and s["skipped"] == 2, s
        assert s["lines"] == len(log.lines) and s["files"][0]["action"] == "imported", s
        ref_dump = dump(ref)
        assert len(ref_dump) == log.hits, len(ref_dump)
        ref_totals = totals(conf, ref)
        print("reference: %d lines, %d bytes, %d hits, totals %s" % (len(log.lines), log.size,
                                                                    log.hits, ref_totals))

        # every progress record the test sees on the way is checked
        def check(rec):
            check_record(log, rec, ref_dump)

        # killed after its start record, while the first block's hits are written
        data = os.path.join(tmp, "data")
        r0 = kill_at(conf, data, path, lambda r: r["offset"] == 0, "the start record", check,
                     past=True)
        had = check_killed(data, log, r0, ref_dump)
        # resumed to the end (in a copy)
        copy = os.path.join(tmp, "copy")
        shutil.copytree(data, copy)
        check_resumed(imp(conf, copy, path), log, r0, had)
        assert dump(copy) == ref_dump, "the hitlog differs from a clean import's"
        shutil.rmtree(copy)

        # resumed, killed after the record of the first or second block's end while the next
        # block's hits are written; resumed to the end (in a copy)
        r1 = kill_at(conf, data, path, lambda r: 0 < r["offset"] < log.size - BLOCK,
                     "a record inside", check, past=True)
        had = check_killed(data, log, r1, ref_dump)
        shutil.copytree(data, copy)
        check_resumed(imp(conf, copy, path), log, r1, had)
        assert dump(copy) == ref_dump, "the hitlog differs from a clean import's"
        shutil.rmtree(copy)

        # resumed as `canton import FILE -`, killed after the record of the file's end and
        # before the final one, while it waits for stdin (the hits past r1 lie in the block
        # after it, so it records the last one); resumed from there, nothing is left
        r2 = kill_at(conf, data, path, lambda r: r["offset"] == log.size, "the end record",
                     check, stdin=True)
        assert check_killed(data, log, r2, ref_dump) == log.hits
        check_resumed(imp(conf, data, path), log, r2, log.hits)
        s = imp(conf, data, path)
        assert s["files"][0]["action"] == "unchanged" and s["hits"] == 0, s
        print("resumed after each kill: %d hits, once each" % log.hits)

        # a progress record behind the hitlog (killed between sync and save): from the
        # record inside the file the rest is there already, from the start record all
        for rec in (r1, r0):
            put_back(data, rec)
            check_resumed(imp(conf, data, path), log, rec, log.hits)
        # the runs since the kill at the end record added nothing
        assert dump(data) == ref_dump, "resuming from the end or an older record added hits"
        print("older records: %d and %d hits already there, skipped" %
              (log.hits - log.hits_before(r1["lines"]), log.hits))

        got_totals = totals(conf, data)
        assert got_totals == ref_totals, (got_totals, ref_totals)

        # .gz (the same lines): resumed by decompressing again and skipping what is imported
        gz = os.path.join(tmp, "access.log.gz")
        with gzip.open(gz, "wb", compresslevel=1) as f:
            f.write(log.text)
        gdata = os.path.join(tmp, "gzdata")
        g1 = kill_at(conf, gdata, gz, lambda r: 0 < r["offset"] < log.size,
                     "a .gz record inside", check, past=True)
        had = check_killed(gdata, log, g1, ref_dump)
        check_resumed(imp(conf, gdata, gz), log, g1, had)
        put_back(gdata, g1)
        check_resumed(imp(conf, gdata, gz), log, g1, log.hits)
        assert dump(gdata) == ref_dump, "the .gz hitlog differs from a clean import's"
        print("gz: resumed at byte %d, %d hits once each" % (g1["offset"], log.hits))
        print("ok")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
