"""`canton import` edge cases end to end (docs/import.md).

- Page views of rows without a `type` column: the import summary counts them with the
  rule processing types them by (hit/pagerule.h), so the summary's page views equal
  `canton report`'s after processing, for CSV and NDJSON.
- Absolute-form request lines (proxies): the path and query, the host for the URL.
- Epoch times: the unit by the count of digits; 11 and 14 digits are bad timestamps.
- Empty files (also a byte order mark alone, also CSV without a header) import nothing
  and are no error.
- `.gz` by name: a .gz that is not gzip data, and gzip data under another name (or on
  stdin), are errors naming the input; an empty .gz is an empty file.
- Bytes that are not valid UTF-8 (Latin-1) in a log line or a CSV row are U+FFFD in reports.
"""
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
CONF = """[server]
data = %s
[suite demo]
currency = USD
timezone = UTC
"""
UA = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"


def run(args, want=0, stdin=None):
    r = subprocess.run([BIN] + args, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    if r.returncode != want:
        raise AssertionError("canton %s: exit %d (want %d)\n%s" % (
            " ".join(args), r.returncode, want, r.stderr.decode(errors="replace")))
    return r


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


class Folder:
    """A data folder with a config for the suite demo."""

    def __init__(self, tmp, name):
        self.data = os.path.join(tmp, name)
        self.conf = os.path.join(tmp, name + ".conf")
        with open(self.conf, "w") as f:
            f.write(CONF % self.data)

    def imp(self, files, *extra, want=0, stdin=None):
        r = run(["import", "--config", self.conf, "--suite", "demo", "--data", self.data,
                 "--summary", "json"] + list(extra) + files, want=want, stdin=stdin)
        return json.loads(r.stdout), r.stderr.decode()

    def totals(self, metrics):
        run(["process", "--config", self.conf, "--data", self.data, "--until-end"])
        out = run(["report", "--config", self.conf, "--data", self.data, "--suite", "demo",
                   "--metrics", metrics, "--from", "2024-01-01", "--to", "2024-12-31",
                   "--format", "json", "--limit", "0", "--bots"]).stdout
        return json.loads(out)["totals"]["values"]


def rows_page_views(tmp):
    """Rows without `type`: the summary's page views are the report's."""
    rows = [
        # a page: a page view
        {"ts": "2024-03-01T10:00:00Z", "ip": "10.0.0.1", "ua": UA, "url": "/home"},
        # a static asset: an other request
        {"ts": "2024-03-01T10:00:01Z", "ip": "10.0.0.1", "ua": UA, "url": "/logo.png"},
        # a page name without a url: a page view
        {"ts": "2024-03-01T10:00:02Z", "ip": "10.0.0.1", "ua": UA, "page": "Checkout"},
        # an order: a link (purchase)
        {"ts": "2024-03-01T10:00:03Z", "ip": "10.0.0.1", "ua": UA, "url": "/thanks",
         "order_id": "A1", "revenue": "10.00"},
        # a commerce event: a link
        {"ts": "2024-03-01T10:00:04Z", "ip": "10.0.0.1", "ua": UA, "url": "/p/mug",
         "events": "prodView"},
    ]
    cols = ["ts", "ip", "ua", "url", "page", "order_id", "revenue", "events"]
    csv = os.path.join(tmp, "rows.csv")
    with open(csv, "w") as f:
        f.write(",".join(cols) + "\n")
        for r in rows:
            f.write(",".join(r.get(c, "") for c in cols) + "\n")
    nd = os.path.join(tmp, "rows.ndjson")
    with open(nd, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    for name, path, fmt in (("csv", csv, "csv"), ("ndjson", nd, "ndjson")):
        d = Folder(tmp, "pv-" + name)
        s, _ = d.imp([path], "--format", fmt)
        check(s["hits"] == 5 and s["bad_lines"] == 0, s)
        check(s["page_views"] == 2, ("summary", name, s["page_views"]))
        got = d.totals("hits,pageviews,orders")
        check(got == [5, 2, 1], ("report", name, got))
        print("%s: summary page views %d, report %s" % (name, s["page_views"], got))


def epoch_digits(tmp):
    """An 11-digit epoch number is a bad timestamp, not the year 2537; 10 and 13 digits read."""
    csv = os.path.join(tmp, "epoch.csv")
    with open(csv, "w") as f:
        f.write("ts,ip,ua,url\n")
        f.write("1709287200,10.0.0.1,%s,/s\n" % UA)          # seconds
        f.write("1709287200123,10.0.0.1,%s,/ms\n" % UA)       # milliseconds
        f.write("17092872001,10.0.0.1,%s,/eleven\n" % UA)     # 11 digits: refused
        f.write("17092872001234,10.0.0.1,%s,/fourteen\n" % UA)  # 14 digits: refused
    d = Folder(tmp, "epoch")
    s, _ = d.imp([csv], "--format", "csv")
    check(s["hits"] == 2 and s["bad_by_reason"] == {"bad-timestamp": 2}, s)
    bad = open(s["bad_lines_file"]).read()
    check("epoch.csv:4: bad-timestamp" in bad and "epoch.csv:5: bad-timestamp" in bad, bad)


def header_and_column_counts(tmp):
    """A header naming a column twice is refused; a row with a wrong column count says both
    counts, on stderr and in the bad-lines file."""
    dup = os.path.join(tmp, "dup.csv")
    with open(dup, "w") as f:
        f.write("ts,url,prop1,prop1\n1709287200,/a,x,y\n")
    d = Folder(tmp, "dupcols")
    r = run(["import", "--config", d.conf, "--suite", "demo", "--data", d.data, "--format", "csv",
             dup], want=1)
    check("%s: the header names column 'prop1' twice (columns 3 and 4)" % dup
          in r.stderr.decode(), r.stderr)
    cols = os.path.join(tmp, "cols.csv")
    with open(cols, "w") as f:
        f.write("ts,url,prop1\n1709287200,/a\n1709287200,/b,x,\"y,z\"\n1709287200,/c,x\n")
    d = Folder(tmp, "badcols")
    s, err = d.imp([cols], "--format", "csv")
    check(s["hits"] == 1 and s["bad_by_reason"] == {"bad-columns": 2}, s)
    bad = open(s["bad_lines_file"]).read()
    for text in (err, bad):
        check("cols.csv:2: bad-columns at column 1 (the row has 2 columns, the header 3): "
              "1709287200,/a" in text, text)
        check("cols.csv:3: bad-columns at column 1 (the row has 4 columns, the header 3): "
              in text, text)


def empty_files(tmp):
    """An empty file imports nothing and is no error, whatever its format."""
    files = {"empty.csv": b"", "bom.csv": b"\xef\xbb\xbf", "empty.tsv": b"",
             "empty.ndjson": b"", "empty.log": b""}
    for name, body in files.items():
        with open(os.path.join(tmp, name), "wb") as f:
            f.write(body)
    d = Folder(tmp, "empty")
    for name in files:
        fmt = name.rsplit(".", 1)[1].replace("log", "combined")
        path = os.path.join(tmp, name)
        s, err = d.imp([path], "--format", fmt)
        check(s["ok"] and s["lines"] == 0 and s["hits"] == 0, (name, s, err))
        check(s["files"][0]["action"] == "imported", (name, s))
        t = Folder(tmp, "empty-text-" + name.replace(".", "-"))
        r = run(["import", "--config", t.conf, "--suite", "demo", "--data", t.data, "--format",
                 fmt, path])
        check("%s: empty, nothing to import" % path in r.stderr.decode(), (name, r.stderr))
    # stdin too
    r = run(["import", "--config", d.conf, "--suite", "demo", "--data", d.data, "--format", "csv",
             "-"], stdin=b"")
    check("-: empty, nothing to import" in r.stderr.decode(), r.stderr)
    # a file that was empty and then gets rows imports them all
    path = os.path.join(tmp, "empty.csv")
    with open(path, "w") as f:
        f.write("ts,ip,ua,url\n1709287200,10.0.0.1,%s,/a\n" % UA)
    s, _ = d.imp([path], "--format", "csv")
    check(s["hits"] == 1 and s["files"][0]["action"] == "imported", s)


def gzip_by_name(tmp):
    """A .gz that is not gzip, and gzip data not named .gz, are errors naming the input."""
    line = ('10.0.0.1 - - [01/Mar/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "%s"\n'
            % UA).encode()
    text_gz = os.path.join(tmp, "text.log.gz")
    with open(text_gz, "wb") as f:
        f.write(line)
    real = os.path.join(tmp, "real.log.gz")
    with gzip.open(real, "wb") as f:
        f.write(line)
    unnamed = os.path.join(tmp, "unnamed.log")
    with gzip.open(unnamed, "wb") as f:
        f.write(line.replace(b"GET /", b"GET /other"))
    empty_gz = os.path.join(tmp, "empty.log.gz")
    open(empty_gz, "wb").close()
    d = Folder(tmp, "gz")
    s, err = d.imp([text_gz, unnamed, real, empty_gz], want=1)
    check("text.log.gz: not gzip data, though the name ends in .gz" in err, err)
    check("unnamed.log: gzip data, though the name does not end in .gz" in err, err)
    check([f["action"] for f in s["files"]] == ["failed", "failed", "imported", "imported"], s)
    check(s["hits"] == 1, s)
    with open(real, "rb") as f:
        r = run(["import", "--config", d.conf, "--suite", "demo", "--data", d.data, "-"], want=1,
                stdin=f.read())
    check("stdin: gzip data" in r.stderr.decode(), r.stderr)


def dump(folder):
    r = run(["hitlog", "dump", "--data", folder.data, "--json"])
    return [json.loads(l) for l in r.stdout.decode().splitlines()]


def control_bytes(tmp):
    """A control byte in a user agent is a space, from a log as from a row."""
    log = os.path.join(tmp, "ctl.log")
    with open(log, "wb") as f:
        f.write(b'10.0.0.1 - - [01/Mar/2024:10:00:00 +0000] "GET /a\tb HTTP/1.1" 200 1 "-" '
                b'"Moz\tilla/5.0 \\x01X"\n')
    csv = os.path.join(tmp, "ctl.csv")
    with open(csv, "wb") as f:
        f.write(b'ts,ip,ua,url\n1709287200,10.0.0.1,"Moz\tilla/5.0 \x01X",/a\tb\n')
    uas, urls = [], []
    for path, fmt in ((log, "combined"), (csv, "csv")):
        d = Folder(tmp, "ctl-" + fmt)
        d.imp([path], "--format", fmt)
        h = dump(d)
        check(len(h) == 1, h)
        uas.append(h[0]["ua"])
        urls.append(h[0].get("path") or h[0].get("query"))
    check(uas == ["Moz illa/5.0  X"] * 2, uas)
    check("\t" in urls[0] and "%09" in urls[1], urls)  # other fields keep them


def partial_last_line(tmp):
    """A last line without a line end waits for its end; --final takes it."""
    a = '10.0.0.1 - - [01/Mar/2024:10:00:0%d +0000] "GET /p%d HTTP/1.1" 200 1 "-" "%s"'
    log = os.path.join(tmp, "live.log")
    full = a % (3, 3, UA)
    with open(log, "w") as f:
        f.write(a % (1, 1, UA) + "\n" + a % (2, 2, UA) + "\n" + full[:40])
    d = Folder(tmp, "live")
    s, _ = d.imp([log])
    f0 = s["files"][0]
    check(s["hits"] == 2 and s["bad_lines"] == 0 and f0["held_back"] == 40, s)
    check(f0["end"] == os.path.getsize(log) - 40, s)
    r = run(["import", "--config", d.conf, "--suite", "demo", "--data", d.data, log])
    check("live.log: already imported up to its last line, which has no line end (40 bytes)"
          in r.stderr.decode(), r.stderr)
    # the writer finishes the line and writes another: both arrive whole
    with open(log, "a") as f:
        f.write(full[40:] + "\n" + a % (4, 4, UA) + "\n")
    s, _ = d.imp([log])
    check(s["hits"] == 2 and s["bad_lines"] == 0 and s["files"][0]["held_back"] == 0, s)
    check(s["files"][0]["action"] == "resumed", s)
    paths = [h["path"] for h in dump(d)]
    check(paths == ["/p1", "/p2", "/p3", "/p4"], paths)
    # a file that is complete without a final line end: --final takes its last line
    with open(log, "a") as f:
        f.write(a % (5, 5, UA))
    s, _ = d.imp([log])
    check(s["hits"] == 0 and s["files"][0]["held_back"] > 0, s)
    s, _ = d.imp([log], "--final")
    check(s["hits"] == 1 and s["files"][0]["held_back"] == 0, s)
    s, _ = d.imp([log], "--final")
    check(s["files"][0]["action"] == "unchanged" and s["hits"] == 0, s)
    check([h["path"] for h in dump(d)][-1] == "/p5", dump(d)[-1])
    # a CSV without a final line end (an export, not a log being written) gives its last row;
    # a log on stdin is complete once read
    csv = os.path.join(tmp, "last.csv")
    body = "ts,ip,ua,url\n1709287200,10.0.0.1,%s,/x\n1709287201,10.0.0.1,%s,/y" % (UA, UA)
    with open(csv, "w") as f:
        f.write(body)
    d2 = Folder(tmp, "last")
    s, _ = d2.imp([csv], "--format", "csv")
    check(s["hits"] == 2 and s["files"][0]["held_back"] == 0, s)
    part = (a % (1, 1, UA) + "\n" + a % (2, 2, UA)).encode()
    s, _ = d2.imp(["-"], stdin=part)
    check(s["hits"] == 2 and s["files"][0]["held_back"] == 0, s)


def absolute_form(tmp):
    """A proxy's absolute-form request line: the path and query, and the host for the URL."""
    log = os.path.join(tmp, "proxy.log")
    with open(log, "w") as f:
        f.write('10.0.0.1 - - [01/Mar/2024:10:00:00 +0000] "GET http://shop.example/p/mug?'
                'utm_campaign=x HTTP/1.1" 200 1 "-" "%s"\n' % UA)
        f.write('10.0.0.1 - - [01/Mar/2024:10:00:01 +0000] "GET http://shop.example/a.css '
                'HTTP/1.1" 200 1 "-" "%s"\n' % UA)
    d = Folder(tmp, "proxy")
    s, _ = d.imp([log])
    check(s["hits"] == 2 and s["page_views"] == 1, s)
    h = dump(d)[0]
    check(h["path"] == "/p/mug" and h["query"] == "utm_campaign=x", h)
    check("host: shop.example\n" in h["headers"], h)
    got = d.totals("hits,pageviews")
    check(got == [2, 1], got)
    out = run(["report", "--config", d.conf, "--data", d.data, "--suite", "demo", "--dimension",
               "page", "--metrics", "hits", "--from", "2024-03-01", "--to", "2024-03-01",
               "--format", "csv", "--bots"]).stdout.decode()
    check("/p/mug" in out and "/a.css" in out and "http:" not in out, out)


def latin1_bytes(tmp):
    """Bytes that are not valid UTF-8 in a log's path or a CSV cell are U+FFFD once processed:
    `canton report --format csv` writes the text the API shows (docs/hit.md)."""
    log = os.path.join(tmp, "latin1.log")
    with open(log, "wb") as f:
        f.write(b'10.0.0.1 - - [01/Mar/2024:10:00:00 +0000] "GET /caf\xe9 HTTP/1.1" 200 1 '
                b'"http://r.example/\xe9" "' + UA.encode() + b'"\n')
    csv = os.path.join(tmp, "latin1.csv")
    with open(csv, "wb") as f:
        f.write(b"ts,ip,ua,url,page\n1709287201,10.0.0.2," + UA.encode() +
                b",/t\xe9,Th\xe9 \xc3\xa9\n")
    d = Folder(tmp, "latin1")
    d.imp([log], "--format", "combined")
    d.imp([csv], "--format", "csv")
    check(d.totals("hits,pageviews") == [2, 2], d.totals("hits,pageviews"))
    out = run(["report", "--config", d.conf, "--data", d.data, "--suite", "demo", "--dimension",
               "page", "--metrics", "hits", "--from", "2024-03-01", "--to", "2024-03-01",
               "--format", "csv", "--bots"]).stdout
    text = out.decode("utf-8")  # strict: raises on bytes that are not valid UTF-8
    check("/caf\ufffd," in text and "Th\ufffd \u00e9," in text, text)


def main():
    tmp = tempfile.mkdtemp(prefix="canton-import-rows-")
    parts = [rows_page_views, absolute_form, epoch_digits, empty_files, gzip_by_name,
             control_bytes, partial_last_line, header_and_column_counts, latin1_bytes]
    only = sys.argv[1:]  # names of parts to run (all by default)
    try:
        for part in parts:
            if not only or part.__name__ in only:
                part(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok")


if __name__ == "__main__":
    main()
