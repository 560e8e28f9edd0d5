"""`canton import` end to end: formats, bad lines, idempotence, stdin, .gz, rows.

Generates a small deterministic combined log (bench/import/genlog.py), imports it
into a fresh data folder and reads the hits back with `canton hitlog dump --json`:
every line becomes one hit in file order with the documented fields and
pseudo-headers; bad lines are counted by reason, printed and kept with their line
numbers; importing again adds nothing, a grown file adds only its tail, --force
imports again; stdin and .gz work; a format that does not compile is a usage error; a hitlog
that another process writes is named once, with what to do.
"""
import fcntl
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import canton_test  # noqa: E402

BIN = canton_test.BIN
SRC = os.environ.get("CANTON_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
GEN = os.path.join(SRC, "bench", "import", "genlog.py")


def run(args, stdin=None, want=0):
    r = subprocess.run([BIN] + args, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    if r.returncode != want:
        raise AssertionError("canton %s: exit %d (want %d)\n%s" % (" ".join(args), r.returncode,
                                                                   want, r.stderr.decode()))
    return r


def imp(data, files, *extra, stdin=None, want=0):
    r = run(["import", "--suite", "shop", "--data", data, "--summary", "json"] + list(extra)
            + files, stdin=stdin, want=want)
    return json.loads(r.stdout), r.stderr.decode()


def dump(data):
    r = run(["hitlog", "dump", "--data", data, "--json"])
    return [json.loads(l) for l in r.stdout.decode().splitlines()]


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def main():
    tmp = tempfile.mkdtemp(prefix="canton-import-test-")
    try:
        data = os.path.join(tmp, "data")
        log = os.path.join(tmp, "access.log")
        gen = subprocess.run([sys.executable, GEN, "3000", "11"], stdout=subprocess.PIPE,
                             check=True).stdout
        lines = gen.decode().splitlines(keepends=True)
        # bad lines at known places, a blank line, a CRLF line
        lines.insert(9, "not a log line at all\n")                                 # line 10
        lines.insert(99, '10.0.0.1 - - [31/Feb/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"\n')
        lines.insert(199, "\n")                                                    # line 200
        lines[300] = lines[300].rstrip("\n") + "\r\n"
        with open(log, "w", newline="") as f:
            f.writelines(lines)
        first = lines[0]

        s, err = imp(data, [log])
        check(s["lines"] == 3003, s)
        check(s["hits"] == 3000 and s["bad_lines"] == 2 and s["skipped"] == 1, s)
        check(s["bad_by_reason"] == {"no-match": 1, "bad-timestamp": 1}, s)
        check(s["files"][0]["action"] == "imported" and s["files"][0]["end"] == os.path.getsize(log), s)
        check(0 < s["page_views"] < s["hits"], s)
        check("access.log:10: no-match" in err and "access.log:100: bad-timestamp" in err, err)
        bad = open(s["bad_lines_file"]).read()
        check("access.log:10: no-match at column" in bad and "not a log line at all" in bad, bad)

        hits = dump(data)
        check(len(hits) == 3000, len(hits))
        check(all(h["proto"] == "import-log" and h["suite"] == "shop" for h in hits), hits[0])
        times = [h["recv_us"] for h in hits]
        check(times == sorted(times), "hits are not in file order")
        # the first line, field by field
        ip = first.split(" ", 1)[0]
        req = first.split('"')[1].split(" ")
        url = req[1]
        h = hits[0]
        check(h["ip"] == ip and h["method"] == req[0], h)
        check(h["path"] == url.split("?")[0] and h["query"] == (url.split("?", 1) + [""])[1], h)
        check(h["ua"] == first.rsplit('"', 2)[1], h)
        status, size = first.split('"')[2].split()
        check("x-canton-status: %s\n" % status in h["headers"], h)
        check("x-canton-bytes: %s\n" % size in h["headers"], h)
        check(h["time"] == "2024-11-01T00:00:00.000000Z", h)
        crlf = [x for x in hits if x["ua"].endswith("\r")]
        check(not crlf, "CR kept in a user agent")

        # the same file again: nothing added
        s, err = imp(data, [log])
        check(s["hits"] == 0 and s["files"][0]["action"] == "unchanged", s)
        r = run(["import", "--suite", "shop", "--data", data, log])
        check(b"already imported" in r.stderr, r.stderr)
        check(len(dump(data)) == 3000, "re-import added hits")

        # the file grows: only the tail
        with open(log, "a") as f:
            f.writelines(lines[:5])
        s, err = imp(data, [log])
        check(s["files"][0]["action"] == "resumed" and s["hits"] == 5 and s["lines"] == 5, s)
        check(len(dump(data)) == 3005, "tail import")

        # --force: everything again
        s, err = imp(data, [log], "--force")
        check(s["hits"] == 3005, s)
        check(len(dump(data)) == 6010, "--force")

        # stdin and .gz give the same hits as the file
        data2 = os.path.join(tmp, "data2")
        body = "".join(lines[:50]).encode()
        s, _ = imp(data2, ["-"], stdin=body)
        check(s["hits"] == 49 and s["bad_lines"] == 1, s)
        gz = os.path.join(tmp, "part.log.gz")
        with gzip.open(gz, "wb") as f:
            f.write(body)
        s, _ = imp(data2, [gz])
        check(s["hits"] == 49 and s["files"][0]["action"] == "imported", s)
        s, _ = imp(data2, [gz])
        check(s["hits"] == 0 and s["files"][0]["action"] == "unchanged", s)
        h2 = dump(data2)
        check(len(h2) == 98 and h2[0] == dict(h2[49], pos=h2[0]["pos"], offset=h2[0]["offset"]),
              (h2[0], h2[49]))

        # a pasted nginx directive
        data3 = os.path.join(tmp, "data3")
        nlog = os.path.join(tmp, "nginx.log")
        with open(nlog, "w") as f:
            f.write('2024-11-01T10:00:00+01:00|2001:db8::7|/p/a?b=c|200|"ua 1"|0.250|uid=42\n')
        fmt = ("nginx:log_format x '$time_iso8601|$remote_addr|$request_uri|$status|'\n"
               "                   '\"$http_user_agent\"|$request_time|uid=$cookie_uid';")
        s, _ = imp(data3, [nlog], "--format", fmt)
        check(s["hits"] == 1, s)
        h = dump(data3)[0]
        check(h["time"] == "2024-11-01T09:00:00.000000Z" and h["ip"] == "2001:db8::7", h)
        check(h["path"] == "/p/a" and h["query"] == "b=c" and h["ua"] == "ua 1", h)
        check("x-canton-request-time-us: 250000\n" in h["headers"] and "cookie: uid=42\n" in h["headers"], h)

        # a GoAccess format with --date-format/--time-format
        glog = os.path.join(tmp, "g.log")
        with open(glog, "w") as f:
            f.write("2024-11-01 10:00:00 10.1.1.1 GET /x 404\n")
        s, _ = imp(data3, [glog], "--format", "goaccess:%d %t %h %m %U %s",
                   "--date-format", "%Y-%m-%d", "--time-format", "%H:%M:%S")
        check(s["hits"] == 1 and s["page_views"] == 0, s)

        # CSV rows with a mapping
        clog = os.path.join(tmp, "hits.csv")
        with open(clog, "w") as f:
            f.write("when,client,agent,page,evar1\n1730455200,10.2.2.2,\"UA, 2\",https://shop.example/p,gold\n")
        s, _ = imp(data3, [clog], "--format", "csv", "--map", "when=ts,client=ip,agent=ua,page=url")
        check(s["hits"] == 1 and s["skipped"] == 1, s)
        h = dump(data3)[-1]
        check(h["proto"] == "import-row" and h["ua"] == "UA, 2" and h["ip"] == "10.2.2.2", h)
        check(h["query"] == "url=https%3A%2F%2Fshop.example%2Fp&vars=evar1%3Dgold", h)

        # a format that does not compile: usage error, nothing written
        r = run(["import", "--suite", "shop", "--data", os.path.join(tmp, "d4"), "--format",
                 "nginx:'$remote_addr", log], want=2)
        check(b"unterminated" in r.stderr, r.stderr)
        check(not os.path.exists(os.path.join(tmp, "d4")), "data folder created for a bad format")
        r = run(["import", "--data", data, log], want=2)
        check(b"--suite" in r.stderr, r.stderr)
        r = run(["import", "--help"])
        check(b"--format" in r.stdout, r.stdout)
        # a missing file fails, the others are imported
        s, _ = imp(os.path.join(tmp, "d5"), [os.path.join(tmp, "nope.log"), log], want=1)
        check(s["files"][0]["action"] == "failed" and s["hits"] == 3005 and not s["ok"], s)

        # the hitlog held by another writer (as `canton serve` holds it): the message names
        # the folder once and says what to do
        hl = os.path.join(data, "hitlog")
        with open(os.path.join(hl, "LOCK"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            r = run(["import", "--suite", "shop", "--data", data, "--force", log], want=1)
        err = r.stderr.decode()
        check(err.startswith("canton import: hitlog %s is open for writing by another process\n"
                             "(`canton serve`" % hl) and err.count(hl) == 1, err)

        # page views are 2xx and 304 (not other 3xx, not 4xx, not static assets), and the
        # summary says so; a dry run says it wrote nothing, and writes nothing
        plog = os.path.join(tmp, "pv.log")
        with open(plog, "w") as f:
            for st, path in ((200, "/a"), (304, "/b"), (301, "/c"), (302, "/d"), (404, "/e"),
                             (200, "/app.js"), (206, "/f")):
                f.write('10.3.3.3 - - [01/Nov/2024:10:00:00 +0000] "GET %s HTTP/1.1" %d 5 "-" "ua"\n'
                        % (path, st))
        d6 = os.path.join(tmp, "d6")
        for extra in (["--dry-run"], []):
            r = run(["import", "--suite", "shop", "--data", d6, plog] + extra)
            out = r.stdout.decode()
            check("page views  3 (GET or POST; status 2xx, 304 or none;" in out, out)
            if extra:
                check(out.startswith("dry run: parsed 7 lines for suite shop") and
                      "nothing was written" in out and "imported" not in out, out)
                check(not os.path.exists(os.path.join(d6, "hitlog")), "a dry run wrote a hitlog")
                s, _ = imp(d6, [plog], "--dry-run")
                check(s["dry_run"] is True and s["files"][0]["action"] == "dry-run"
                      and s["hits"] == 7 and s["page_views"] == 3, s)
            else:
                check(out.startswith("imported 7 lines into suite shop"), out)
                check(len(dump(d6)) == 7, "7 hits imported")
        print("ok")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
