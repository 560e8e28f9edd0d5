"""`canton export` writes the same cells in tsv, csv and ndjson, whatever bytes the
strings hold: hits whose page, URL, vars, items and other strings carry tabs, line
ends, quotes, backslashes, commas, semicolons, '=', '%', control bytes and non-ASCII
are imported and processed, then exported in the three formats; every cell decoded
from each format (TSV backslash escapes, CSV quoting, JSON, the percent-encoded
packed item/var/event cells) must agree, and the strings must come back as sent.
Also: --out and stdout give the same bytes, a write error fails the command, and
progress is shown on a terminal (docs/storage.md "Export")."""
import csv
import io
import json
import os
import pty
import random
import select
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import canton_test  # noqa: E402

BIN = canton_test.BIN
c = canton_test.Checks()
tmp = tempfile.mkdtemp(prefix="canton-export-")

ALPHA = ["\t", "\n", "\r", "\\", '"', ",", ";", "=", "%", " ", "\x01", "\x1f", "\x7f", "é", "中",
         "😀", "a", "b", "Z", "0", "/", "?", "&", "+", "'"]
rnd = random.Random(7)


def word(n=None):
    n = rnd.randint(0, 12) if n is None else n
    return "".join(rnd.choice(ALPHA) for _ in range(n))


def run(*args, **kw):
    return subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=300, **kw)


def tsv_unescape(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            out.append({"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}.get(s[i + 1], "?"))
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def unpack(kind, cell):
    """A packed TSV/CSV cell back to the objects of the NDJSON array."""
    if cell == "":
        return []
    rows = []
    for part in cell.split(","):
        if kind == "items":
            f = part.split(";")
            c.check(len(f) == 4, "item has 4 fields: %r" % part)
            f = (f + ["", "", ""])[:4]
            rows.append({"sku": urllib.parse.unquote(f[0]),
                         "category": urllib.parse.unquote(f[1]), "quantity": f[2],
                         "revenue": f[3]})
        elif kind == "vars":
            name, _, value = part.partition("=")
            rows.append({"var": name, "value": urllib.parse.unquote(value)})
        else:
            name, _, value = part.partition("=")
            c.check(name.startswith("event"), "event cell: %r" % part)
            rows.append({"event": name[5:], "value": value})
    return rows


try:
    data = os.path.join(tmp, "data")
    conf = os.path.join(tmp, "c.conf")
    with open(conf, "w") as f:
        f.write("[server]\ndata = %s\n\n[suite w]\ntimezone = America/New_York\n"
                "currency = USD\n" % data)
    sent_pages, sent_values = set(), set()
    src = os.path.join(tmp, "hits.ndjson")
    ts0 = 1767229200 * 1000000  # 2026-01-01 01:00 UTC
    with open(src, "w", encoding="utf-8") as f:
        for i in range(1500):
            r = {"ts": ts0 + i * 37 * 1000000 + rnd.randint(0, 999999),
                 "visitor": "v%d" % rnd.randint(0, 150),
                 "ip": "10.0.%d.%d" % (rnd.randint(0, 255), rnd.randint(1, 254)),
                 "ua": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "Chrome/120.0 Safari/537.36",
                 "page": word(), "url": "https://x.test/" + word(),
                 "referrer": rnd.choice(["", "https://a.test/" + word()]),
                 "page_type": word(3), "section": word(), "link_name": word(),
                 "campaign": word(), "language": word(3), "screen": word(4)}
            sent_pages.add(r["page"])
            if rnd.random() < 0.4:
                r["items"] = json.dumps([{"sku": word(), "category": word(),
                                          "quantity": rnd.randint(0, 5),
                                          "price": round(rnd.random() * 100, 2)}
                                         for _ in range(rnd.randint(1, 3))])
            if rnd.random() < 0.7:
                vs = [{"var": rnd.choice(["evar1", "evar7", "prop2", "prop9"]), "value": word()}
                      for _ in range(rnd.randint(1, 4))]
                sent_values.update(v["value"] for v in vs)
                r["vars"] = json.dumps(vs)
            if rnd.random() < 0.3:
                r["event_rows"] = json.dumps([{"event": rnd.randint(1, 20),
                                               "value": round(rnd.random() * 10, 2)}
                                              for _ in range(rnd.randint(1, 2))])
            if rnd.random() < 0.1:
                r["order_id"] = word(6)
                r["revenue"] = round(rnd.random() * 500, 2)
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    r = run("import", "--config", conf, "--suite", "w", "--format", "ndjson", "--process",
            "--quiet", src)
    c.check(r.returncode == 0, "import --process: %r" % r.stderr)

    span = ["--config", conf, "--suite", "w", "--from", "2025-12-30", "--to", "2026-01-03"]
    out = {}
    for fmt in ("tsv", "csv", "ndjson"):
        r = run("export", *span, "--format", fmt)
        c.check(r.returncode == 0 and r.stderr == b"", "export %s: %r" % (fmt, r.stderr))
        out[fmt] = r.stdout
    text = {k: v.decode("utf-8") for k, v in out.items()}

    tsv = [line.split("\t") for line in text["tsv"].split("\n")[:-1]]
    head = tsv[0]
    tsv = [dict(zip(head, [tsv_unescape(x) for x in row])) for row in tsv[1:]]
    c.check(all(len(row) == len(head) for row in tsv), "tsv rows have every column")
    cs = list(csv.reader(io.StringIO(text["csv"], newline="")))
    c.check(cs[0] == head, "csv header is the tsv header")
    cs = [dict(zip(head, row)) for row in cs[1:]]
    nd = [json.loads(line, parse_float=str, parse_int=str)
          for line in text["ndjson"].split("\n")[:-1]]
    c.check(len(tsv) > 1000 and len(tsv) == len(cs) == len(nd),
            "rows: tsv %d, csv %d, ndjson %d" % (len(tsv), len(cs), len(nd)))
    c.check(list(nd[0].keys()) == head, "ndjson keys in the header's order")

    bad = 0
    for t, v, j in zip(tsv, cs, nd):
        for k in head:
            if k in ("items", "vars", "event_rows"):
                same = unpack(k, t[k]) == unpack(k, v[k]) == j[k]
            else:
                same = t[k] == v[k] == ("" if j[k] is None else j[k])
            if not same and bad < 5:
                print("differs: %s: %r %r %r" % (k, t[k], v[k], j[k]), file=sys.stderr)
            bad += not same
    c.check(bad == 0, "every cell decodes the same from tsv, csv and ndjson (%d differ)" % bad)

    pages = {row["page"] for row in tsv}
    values = {x["value"] for row in nd for x in row["vars"]}
    c.check(len(pages & sent_pages) > 500, "pages come back as sent (%d)" % len(pages & sent_pages))
    c.check(len(values & sent_values) > 500, "var values come back as sent")
    for ch in ("\t", "\n", "\r", "\\", '"', ",", ";", "=", "%", "\x01", "中"):
        c.check(any(ch in p for p in pages) and any(ch in x for x in values),
                "strings with %r are exported" % ch)

    # `canton report` writes those labels too: its CSV reads back (RFC 4180: a label with a
    # CR is quoted) to the labels and numbers of its JSON; TSV and the table keep one row
    # per line (tabs and line ends, and in the table every control byte, become spaces)
    rspan = ["report", "--config", conf, "--suite", "w", "--from", "2025-12-30", "--to",
             "2026-01-03", "--dimension", "page", "--metrics", "pageviews,visits", "--limit", "0"]
    rep = {}
    for fmt in ("json", "csv", "tsv", "table"):
        r = run(*rspan, "--format", fmt)
        c.check(r.returncode == 0 and r.stderr == b"", "report %s: %r" % (fmt, r.stderr))
        rep[fmt] = r.stdout.decode("utf-8")
    rj = json.loads(rep["json"])
    want = [[row["keys"][0]] + [str(v) for v in row["values"]] for row in rj["rows"]]
    c.check(len(want) > 500 and any("\r" in w[0] for w in want), "report rows: %d" % len(want))
    try:
        got = list(csv.reader(io.StringIO(rep["csv"], newline="")))
    except csv.Error as e:
        got = [["csv.Error: %s" % e]]
    c.check(got[1:] == want, "report --format csv reads back to its JSON rows: %r" %
            [(g, w) for g, w in zip(got[1:], want) if g != w][:3])
    flat = [[w[0].replace("\t", " ").replace("\n", " ").replace("\r", " ")] + w[1:] for w in want]
    got = [line.split("\t") for line in rep["tsv"].split("\n")[1:-1]]
    c.check(got == flat, "report --format tsv: one line per row, tabs and line ends as spaces: %r"
            % [(g, w) for g, w in zip(got, flat) if g != w][:3])
    lines = rep["table"].split("\n")[:-1]
    c.check(len(lines) == len(want) + 4 and lines[-1].startswith("Total"),
            "report table: header, line, one line per row, line, totals (%d lines for %d rows)"
            % (len(lines), len(want)))
    c.check(not any(ch in rep["table"] for ch in ("\t", "\r", "\x01", "\x1f", "\x7f")),
            "the report table holds no control bytes")

    # --out writes the same bytes as stdout
    dest = os.path.join(tmp, "out.ndjson")
    r = run("export", *span, "--format", "ndjson", "--out", dest)
    with open(dest, "rb") as f:
        c.check(r.returncode == 0 and f.read() == out["ndjson"], "--out FILE == stdout")

    # a write error fails the export
    if os.path.exists("/dev/full"):
        r = run("export", *span, "--out", "/dev/full")
        c.check(r.returncode != 0 and b"write error" in r.stderr,
                "write error: %d %r" % (r.returncode, r.stderr))

    # progress on a terminal (stderr), ending at 100 %
    mfd, sfd = pty.openpty()
    p = subprocess.Popen([BIN, "export", *span, "--out", os.devnull], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=sfd)
    os.close(sfd)
    got = b""
    while True:
        rl, _, _ = select.select([mfd], [], [], 60)
        if not rl:
            break
        try:
            chunk = os.read(mfd, 4096)
        except OSError:
            break
        if not chunk:
            break
        got += chunk
    p.wait(timeout=60)
    os.close(mfd)
    n = len(tsv)
    c.check(p.returncode == 0 and ("canton export: %d of %d hits (100%%)" % (n, n)).encode() in got,
            "progress on a terminal: %r" % got[-200:])
finally:
    shutil.rmtree(tmp, ignore_errors=True)
c.finish()
