#!/usr/bin/env python3
"""What a new user meets on the command line around the data folder: mistyped folders
and suites, options that do not apply, damaged stores, hit-level files with eVar columns.

Each case runs the real binary ($CANTON_BIN) and checks the exit status and the message
(under ASan a leak turns the exit status into LeakSanitizer's, so the status checks also
catch the leaks the error paths had):

- `report --format csv|tsv` without a dimension: no empty first column, totals even of 0; the
  table prints that one row once; the table lines up by display width (你好 takes 4 columns);
- `report` offers every parameter of GET /api/v1/report (docs/api.md's table) with its defaults:
  --offset, --empty, limit 100; a request the API answers 400 exits 2, also when the report
  refuses it only once it runs (time_on_page by product);
- `token create` / `report` with an unknown suite: "canton token: unknown suite 'x'", 2;
- `export`: an extra argument is named, an unknown suite is named, --out errors say
  "canton export:";
- `bad-rows` and `check` with a data folder that is not there: exit 1 naming it, not
  "0 bad rows" / "no store"; `bad-rows --config` reads the file's [server] data; `check
  --suite` with a suite neither configured nor on disk: exit 2 naming it, not "no store";
- `check` on a store folder whose MANIFEST is gone: DAMAGED, exit 1; with a config whose
  time zone differs from the store's, it says that may be why;
- `import`: --threads x, --map with a log format, --date-format without goaccess: refused;
- `hitlog dump --from` in the middle of a record: the message asks whether it is one;
- `rates` and `token` without their subcommand, or with another word, say which (not the usage
  alone);
- `import --format csv` with an evar1 column: the eVar is set (report --dimension evar1);
  importing it again adds nothing and the JSON summary gives the line it stopped at;
- every command's --help lists every option its parser in src/cli/ accepts, and names no
  option the parser does not accept (help_lists_every_option); README.md, docs/*.md and
  canton.conf.example show no option a command's --help does not name;
- values the help rules out are usage errors that name the option, before anything is
  opened: `serve --listen` with a host name or a bad port, `process`/`reprocess --threads 3`,
  `import --threads 65`, `version` with an argument; an option missing its value says
  "needs a value"; getopt's own messages begin with "canton <command>:".
- every command parses its options one way, cn_cli_getopt (getopt_long), so that every option
  that takes a value takes `--opt=value` as well as `--opt value` (every_option_takes_both_forms
  tries each one of each command), a flag given a value says it takes none, an abbreviation
  that fits several options names them.
"""
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile

BIN = os.environ.get("CANTON_BIN", "canton")


def run(*args, stdin=None):
    p = subprocess.run([BIN] + list(args), capture_output=True, text=True, timeout=120, input=stdin)
    return p.returncode, p.stdout, p.stderr


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def expect(args, code, err_has=None, out_has=None):
    rc, out, err = run(*args)
    check(rc == code, "%s: exit %d, want %d\nstdout: %s\nstderr: %s" % (args, rc, code, out, err[-2000:]))
    if err_has is not None:
        check(err_has in err, "%s: stderr lacks %r: %s" % (args, err_has, err[-2000:]))
    if out_has is not None:
        check(out_has in out, "%s: stdout lacks %r: %s" % (args, out_has, out[-2000:]))
    return out, err


SRC = os.environ.get("CANTON_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))


def command_parsers():
    """{command: the C text of its parser}: a command's part of src/cli/cmd_*.c runs from its
    cn_cmd_<name>() to the next cn_cmd_ function (the file's first one from the file's start,
    so that static option parsers before it count)."""
    parsers = {}
    cli = os.path.join(SRC, "src", "cli")
    for name in sorted(os.listdir(cli)):
        if not (name.startswith("cmd_") and name.endswith(".c")):
            continue
        with open(os.path.join(cli, name)) as f:
            text = f.read()
        starts = [(m.start(), m.group(1)) for m in re.finditer(r"^int cn_cmd_(\w+)\(", text, re.M)]
        for k, (pos, cmd) in enumerate(starts):
            begin = 0 if k == 0 else pos
            end = starts[k + 1][0] if k + 1 < len(starts) else len(text)
            parsers[cmd.replace("_", "-")] = text[begin:end]
    return parsers


def help_lists_every_option():
    """The options a command's parser accepts (getopt_long tables, strcmp/opt_value on
    "--name" or "-x") are the options its --help names, both ways."""
    rc, top, _ = run("--help")
    check(rc == 0, "canton --help: exit %d" % rc)
    commands = re.findall(r"^  ([a-z][a-z-]*)  ", top, re.M)
    parsers = command_parsers()
    check(len(commands) >= 14 and set(commands) == set(parsers),
          "commands in --help %s, parsers in src/cli %s" % (commands, sorted(parsers)))
    for cmd in commands:
        rc, text, err = run(cmd, "--help")
        check(rc == 0 and text.startswith("Usage: canton %s" % cmd),
              "%s --help: exit %d, %r" % (cmd, rc, (text + err)[:200]))
        named = set(re.findall(r"(?<![\w-])(--?[a-z][a-z0-9-]*)", text))
        c = parsers[cmd]
        parsed = {"--" + m for m in re.findall(
            r'\{"([a-z][a-z0-9-]*)",\s*(?:required|no|optional)_argument', c)}
        parsed |= set(re.findall(r'"(--?[a-z][a-z0-9-]*)"', c))
        parsed -= {"--help", "-h"}  # every command: cn_cli_wants_help
        check(parsed <= named, "%s --help does not name %s" % (cmd, sorted(parsed - named)))
        unknown = {o for o in named - parsed if o.startswith("--")}
        check(not unknown, "%s --help names %s, which its parser does not take"
              % (cmd, sorted(unknown)))


def every_option_takes_both_forms():
    """Every command parses its options one way, with cn_cli_getopt (getopt_long), so that an
    option that takes a value takes it as `--opt=value` as well as `--opt value`: for each
    such option of each command (the getopt tables in src/cli/), `--opt=x1 --zz-none` is a
    usage error either about --zz-none (x1 was taken, nothing ran) or naming the option and
    its value x1 (the value's own check), never "unknown option '--opt=x1'". A flag given a
    value says it takes none."""
    parsers = command_parsers()
    runs = []
    for cmd, c in sorted(parsers.items()):
        table = re.findall(r'\{"([a-z][a-z0-9-]*)",\s*(required|no|optional)_argument', c)
        if not table:
            check(not re.search(r'"--[a-z]', c), "%s: options parsed without a getopt table" % cmd)
            continue
        check("cn_cli_getopt(" in c and not re.search(r"strcmp\(argv\[i\]", c),
              "%s: parse the options with cn_cli_getopt, not by hand" % cmd)
        rc, text, _ = run(cmd, "--help")
        sub = re.match(r"Usage: canton %s((?: [a-z]+)*)" % re.escape(cmd), text).group(1).split()
        runs += [([cmd] + sub, name, arg) for name, arg in table]

    def one(r):
        base, name, arg = r
        if arg == "no":
            args = base + ["--%s=1" % name]
        else:
            args = base + ["--%s=x1" % name, "--zz-none"]
        return r, args, run(*args)

    checked = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        for (base, name, arg), args, (rc, out, err) in pool.map(one, runs):
            first = err.split("\n")[0]
            what = "canton %s: exit %d, %r" % (" ".join(args), rc, err[:300])
            check(rc == 2 and re.match(r"canton %s( [a-z]+)?: " % base[0], first), what)
            if arg == "no":
                check(first.endswith("--%s takes no value ('--%s=1')" % (name, name)), what)
                continue
            check(first.endswith("unknown option '--zz-none'")
                  or ("--" + name in first and "x1" in first), what)
            checked += 1
    check(checked >= 60, "options that take a value, checked: %d" % checked)


def docs_show_only_options_there_are():
    """Every option README.md, canton.conf.example and docs/*.md show on a `canton <command>`
    line (a code span, or a line of a code block) is one its --help names."""
    named = {}
    files = [os.path.join(SRC, "README.md"), os.path.join(SRC, "canton.conf.example")]
    docs = os.path.join(SRC, "docs")
    files += [os.path.join(docs, n) for n in sorted(os.listdir(docs)) if n.endswith(".md")]
    shown = 0
    for path in files:
        with open(path) as f:
            text = f.read()
        uses = re.findall(r"`canton ([a-z][a-z-]*)([^`]*)`", text)
        in_block = False
        for line in text.split("\n"):
            if line.startswith("```"):
                in_block = not in_block
            elif in_block:
                m = re.match(r"\s*canton ([a-z][a-z-]*)(.*)$", line)
                if m:
                    uses.append((m.group(1), m.group(2)))
        for cmd, rest in uses:
            if cmd not in named:
                rc, text, _ = run(cmd, "--help")
                check(rc == 0, "%s: `canton %s` is not a command" % (path, cmd))
                named[cmd] = set(re.findall(r"(?<![\w-])(--?[a-z][a-z0-9-]*)", text))
            rest = re.split(r"\s\|\s|\s#", rest)[0]  # up to a pipe or a comment
            rest = re.sub(r"'[^']*'|\"[^\"]*\"", "", rest)  # quoted values
            opts = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", rest)) - {"--help"}
            shown += len(opts)
            check(opts <= named[cmd], "%s: `canton %s%s`: %s --help does not name %s"
                  % (os.path.basename(path), cmd, rest, cmd, sorted(opts - named[cmd])))
    check(shown >= 50, "options found on canton lines of the docs: %d" % shown)


def report_takes_every_api_parameter():
    """`canton report` offers every parameter GET /api/v1/report takes (the table of docs/api.md:
    `calc.NAME` is --calc), and says the API's defaults: limit 100, offset 0."""
    with open(os.path.join(SRC, "docs", "api.md")) as f:
        text = f.read()
    start = text.index("| parameter | meaning | default |", text.index("## GET|POST /api/v1/report"))
    table = text[start:text.index("\n\n", start)]
    params = []
    for line in table.split("\n"):
        m = re.match(r"^\| ((?:`[a-z.A-Z_]+`(?:, )?)+) \|", line)
        if m:
            params += [p.split(".")[0] for p in re.findall(r"`([a-z.A-Z_]+)`", m.group(1))]
    check(len(params) >= 15 and "offset" in params and "empty" in params,
          "docs/api.md's report parameters: %r" % params)
    rc, text, _ = run("report", "--help")
    named = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", text))
    missing = sorted("--" + p for p in params if "--" + p not in named)
    check(rc == 0 and not missing, "report --help lacks the API's %s" % missing)
    check(re.search(r"--limit N +rows \(default 100\b", text) and re.search(r"--offset N .*default 0", text),
          "report --help: limit 100 and offset 0 by default, as the API: %r" % text)


def main():
    report_takes_every_api_parameter()
    help_lists_every_option()
    every_option_takes_both_forms()
    docs_show_only_options_there_are()
    tmp = tempfile.mkdtemp(prefix="canton-cli-")
    try:
        data = os.path.join(tmp, "data")
        missing = os.path.join(tmp, "nope")
        # a small store: three CSV rows with an eVar column, processed by the import
        csv = os.path.join(tmp, "rows.csv")
        with open(csv, "w") as f:
            f.write("timestamp,client_ip,user_agent,url,eVar1,prop2,type,visitor\n"
                    "2026-11-02T10:00:00Z,203.0.113.5,Mozilla/5.0,https://shop.canton.test/a,"
                    "\"blue, green\",x,pageview,v1\n"
                    "2026-11-02T10:01:00Z,203.0.113.5,Mozilla/5.0,https://shop.canton.test/b,,,link,v1\n"
                    "2026-11-02T10:02:00Z,203.0.113.5,Mozilla/5.0,https://shop.canton.test/c,red,,,v1\n"
                    # 04:00 on 3 November in Shanghai (the built-in demo's zone), 2 November in UTC
                    "2026-11-02T20:00:00Z,203.0.113.5,Mozilla/5.0,https://shop.canton.test/d,,,,v1\n")
        out, _ = expect(["import", "--suite", "demo", "--data", data, "--format", "csv", "--process",
                         "--summary", "json", csv], 0)
        check('"hits":4' in out and '"page_views":3' in out, out)  # the link row is no page view
        # the same file again: nothing added, and the summary says how far it was imported
        out, _ = expect(["import", "--suite", "demo", "--data", data, "--format", "csv",
                         "--summary", "json", csv], 0)
        check('"action":"unchanged"' in out and '"start_line":5' in out and '"hits":0' in out, out)
        out, _ = expect(["report", "--data", data, "--from", "2026-11-01", "--to", "2026-11-03",
                         "--dimension", "evar1", "--metrics", "hits", "--format", "csv", "--bots"], 0)
        # the link row carries the eVar in force: two hits for blue, green
        check("\"blue, green\",2" in out and "red,1" in out, out)
        # csv without a dimension: the metrics alone, and the totals also when nothing matched
        out, _ = expect(["report", "--data", data, "--from", "2026-11-01", "--to", "2026-11-03",
                         "--metrics", "hits,visits", "--format", "csv", "--bots"], 0)
        check(out == "hits,visits\n4,2\n", repr(out))
        out, _ = expect(["report", "--data", data, "--from", "2025-11-01", "--to", "2025-11-03",
                         "--metrics", "hits", "--format", "tsv", "--bots"], 0)
        check(out == "hits\n0\n", repr(out))
        # the table without a dimension: the one row of totals, printed once, zeros or not
        for frm, to, want in (("2026-11-01", "2026-11-03", "   4       2"), ("2025-11-01", "2025-11-03", "   0       0")):
            out, _ = expect(["report", "--data", data, "--from", frm, "--to", to,
                             "--metrics", "hits,visits", "--bots"], 0)
            check(out == "hits  visits\n------------\n" + want + "\n", repr(out))
        # --offset and --empty, as the API's offset= and empty=; limit 100 unless told
        out, _ = expect(["report", "--data", data, "--from", "2026-11-01", "--to", "2026-11-03",
                         "--dimension", "evar1", "--metrics", "hits", "--format", "csv", "--bots",
                         "--empty", "no", "--offset", "1"], 0)
        check(out == "evar1,hits\nred,1\n", repr(out))
        expect(["report", "--data", data, "--empty", "maybe"], 2,
               err_has="canton report: 'empty' is 1, true or yes, or 0, false or no, not 'maybe'")
        expect(["report", "--data", data, "--metrics", "pageviews", "--calc", "rpv=revenue/visits"], 2,
               err_has="canton report: calc.rpv is not in metrics")
        # what the API refuses with a 400 once it runs the request is a usage error too (2),
        # as the requests refused while their parameters are read, not a failure (1)
        expect(["report", "--data", data, "--dimension", "product", "--metrics", "time_on_page"], 2,
               err_has="canton report: time_on_page is per page view: it cannot be broken down")
        expect(["report", "--data", data, "--dimension", "list1", "--metrics", "entries"], 2,
               err_has="canton report: entries and exits credit")

        # the table lines up by display width: a Chinese or Japanese character takes two
        # columns, and a label wider than 60 is cut on a character with "…" (1 column)
        cjk = os.path.join(tmp, "cjk.csv")
        with open(cjk, "w", encoding="utf-8") as f:
            f.write("timestamp,client_ip,user_agent,url,page,visitor\n"
                    "2026-11-02T10:00:00Z,203.0.113.5,Mozilla/5.0,https://shop.canton.test/a,你好,v1\n"
                    "2026-11-02T10:01:00Z,203.0.113.5,Mozilla/5.0,https://shop.canton.test/b,abc,v1\n"
                    "2026-11-02T10:02:00Z,203.0.113.6,Mozilla/5.0,https://shop.canton.test/b,abc,v2\n"
                    "2026-11-02T10:03:00Z,203.0.113.6,Mozilla/5.0,https://shop.canton.test/c,%s,v2\n"
                    % ("こんにちは" * 7))  # 70 columns
        cjk_data = os.path.join(tmp, "cjk")
        expect(["import", "--suite", "demo", "--data", cjk_data, "--format", "csv", "--process", cjk], 0)
        out, _ = expect(["report", "--data", cjk_data, "--from", "2026-11-01", "--to", "2026-11-03",
                         "--dimension", "page", "--metrics", "pageviews,visits", "--bots"], 0)
        nums = lambda pv, v: "  " + " " * 8 + pv + "  " + " " * 5 + v  # noqa: E731
        want = ("page" + " " * 56 + "  pageviews  visits\n" + "-" * 79 + "\n"
                + "abc" + " " * 57 + nums("2", "2") + "\n"
                + "こんにちは" * 5 + "こんにち…" + " " + nums("1", "1") + "\n"  # 58 + 1 columns
                + "你好" + " " * 56 + nums("1", "1") + "\n"
                + "-" * 79 + "\n" + "Total" + " " * 55 + nums("4", "2") + "\n")
        check(out == want, "table by display width:\n%s\nwant:\n%s" % (out, want))

        # unknown suites are named, by the command that was run
        expect(["token", "create", "--suite", "nosuch", "--data", data], 2,
               err_has="canton token: unknown suite 'nosuch'")
        expect(["report", "--suite", "nosuch", "--data", data], 2,
               err_has="canton report: unknown suite 'nosuch'")
        expect(["export", "--suite", "nosuch", "--data", data, "--from", "2026-11-02"], 2,
               err_has="canton export: unknown suite 'nosuch'")
        expect(["export", "--data", data, "--from", "2026-11-02", "extra"], 2,
               err_has="unexpected argument 'extra'")
        expect(["export", "--data", data, "--from", "2026-11-02", "--out", os.path.join(missing, "x")], 1,
               err_has="canton export: " + os.path.join(missing, "x"))

        # a data folder that is not there is an error, not an empty answer
        expect(["bad-rows", "--data", missing], 1, err_has=missing)
        expect(["check", "--data", missing], 1, err_has=missing)
        conf = os.path.join(tmp, "c.conf")
        with open(conf, "w") as f:
            f.write("[server]\ndata = %s\n[suite demo]\n" % data)
        expect(["bad-rows", "--config", conf], 0, out_has="0 bad rows shown (0 in the log)")
        expect(["check", "--data", data], 0, out_has="demo: ok")
        # a --suite neither configured nor on disk is a typo (2), not "no store" (0)
        expect(["check", "--data", data, "--suite", "dmeo"], 2,
               err_has="canton check: suite 'dmeo' is not configured (configured: demo in the built-in")
        # the same store checked with a config whose demo suite is in UTC: the days differ
        out, _ = expect(["check", "--config", conf], 1, out_has="demo: DAMAGED")
        check("written with another timezone than UTC" in out, out)

        # a store folder without its manifest is damaged, not "no store"
        os.rename(os.path.join(data, "store", "demo", "MANIFEST"), os.path.join(tmp, "MANIFEST"))
        out, _ = expect(["check", "--data", data], 1, out_has="demo: DAMAGED")
        check("MANIFEST: missing" in out, out)
        os.rename(os.path.join(tmp, "MANIFEST"), os.path.join(data, "store", "demo", "MANIFEST"))
        expect(["check", "--data", data], 0, out_has="demo: ok")

        # a --from that is not the start of a record says so, not only "corrupt"
        expect(["hitlog", "dump", "--data", data, "--from", "1:17"], 1, err_has="start of a record")
        expect(["hitlog", "dump", "--data", data, "--from", "1:16"], 0)
        # a subcommand missing or mistyped is named, not answered with the usage alone
        expect(["rates"], 2, err_has="canton rates: missing subcommand (import)")
        expect(["rates", "imp", "x.csv"], 2, err_has="canton rates: unknown subcommand 'imp' (import)")
        expect(["token"], 2, err_has="canton token: missing subcommand (create)")
        expect(["token", "crate", "--data", data], 2,
               err_has="canton token: unknown subcommand 'crate' (create)")

        # import options that do not apply, or do not parse
        log = os.path.join(tmp, "a.log")
        with open(log, "w") as f:
            f.write('10.0.0.1 - - [01/Nov/2026:08:03:55 +0800] "GET / HTTP/1.1" 200 5 "-" "ua"\n')
        base = ["import", "--suite", "demo", "--data", data, "--dry-run", "--quiet"]
        expect(base + ["--threads", "x", log], 2, err_has="--threads")
        expect(base + ["--threads", "0", log], 2, err_has="--threads")
        expect(base + ["--map", "a=b", log], 2, err_has="--map applies to")
        expect(base + ["--lookup-dir", tmp, log], 2, err_has="--lookup-dir applies to")
        expect(base + ["--date-format", "%Y", log], 2, err_has="--date-format")
        expect(base + ["--threads", "65", log], 2, err_has="--threads takes a number from 1 to 64")
        expect(base + ["--threads", "2", log], 0)

        # values the help rules out: usage errors naming the option, nothing opened
        fresh = os.path.join(tmp, "fresh")
        for listen, why in (("localhost:8080", "the address must be a numeric IPv4 or IPv6"),
                            ("nowhere", "expected ADDRESS:PORT"),
                            ("127.0.0.1:65536", "port must be 0..65535")):
            expect(["serve", "--data", fresh, "--listen", listen], 2,
                   err_has="canton serve: --listen '%s': %s" % (listen, why))
        check(not os.path.exists(fresh), "serve with a bad --listen made its data folder")
        with open(conf, "w") as f:
            f.write("[server]\ndata = %s\nlisten = localhost:8080\n" % data)
        expect(["check", "--config", conf], 1,
               err_has="c.conf:3: [server] listen: the address must be a numeric")
        expect(["process", "--data", fresh, "--threads", "3"], 2,
               err_has="canton process: --threads takes 1 or 2, not '3'")
        expect(["process", "--data", fresh, "--checkpoint-ms", "0"], 2,
               err_has="canton process: --checkpoint-ms takes")
        expect(["reprocess", "--all", "--data", fresh, "--threads", "3"], 2,
               err_has="canton reprocess: --threads takes 1 or 2, not '3'")
        expect(["reprocess", "--data", fresh], 2, err_has="give one of --suite S and --all")
        check(not os.path.exists(fresh), "a refused process or reprocess made the data folder")
        expect(["version", "--json"], 2, err_has="canton version: unexpected argument '--json'")
        # an option that takes a value, given none, is named as such, not as unknown
        expect(["bad-rows", "--data"], 2, err_has="canton bad-rows: --data needs a value")
        expect(["hitlog", "dump", "--from"], 2, err_has="canton hitlog dump: --from needs a value")
        expect(["process", "--data", fresh, "--threads"], 2,
               err_has="canton process: --threads needs a value")
        expect(["token", "create", "--suite"], 2, err_has="canton token: --suite needs a value")
        expect(["token", "create", "extra"], 2, err_has="canton token: unexpected argument 'extra'")
        expect(["rates", "import", "a.csv", "b.csv"], 2,
               err_has="canton rates: unexpected argument 'b.csv'")
        _, err = expect(["enrich", "--bogus"], 2)
        check(err.startswith("canton enrich: unknown option '--bogus'"), err[:200])
        # the same messages from every command's getopt: values, flags, abbreviations
        expect(["process", "--data=" + fresh, "--threads=3"], 2,
               err_has="canton process: --threads takes 1 or 2, not '3'")
        expect(["reprocess", "--all", "--data=" + fresh, "--thr=3"], 2,
               err_has="canton reprocess: --threads takes 1 or 2, not '3'")
        expect(["process", "--until-end=yes"], 2,
               err_has="canton process: --until-end takes no value ('--until-end=yes')")
        expect(["report", "--d", "x"], 2,
               err_has="canton report: ambiguous option '--d' (--data, --dimension, --dimensions)")
        expect(["report", "--dim"], 2, err_has="canton report: --dimension needs a value")
        expect(["hitlog", "dump", "--json", "-zf"], 2, err_has="canton hitlog dump: unknown option '-z'")
        expect(["check", "--data=" + data, "extra"], 2, err_has="canton check: unexpected argument 'extra'")
        expect(["bad-rows", "--data=" + data, "--reason=no_such"], 2,
               err_has="canton bad-rows: unknown --reason 'no_such' (bad_record, ")
        conf2 = os.path.join(tmp, "c2.conf")
        with open(conf2, "w") as f:
            f.write("[server]\ndata = %s\n" % data)
        expect(["bad-rows", "--config=" + conf2], 0, out_has="0 bad rows shown (0 in the log)")
        expect(["hitlog", "dump", "--data=" + data, "--from=1:16"], 0)
        expect(["token", "create", "--suite=nosuch", "--data=" + data], 2,
               err_has="canton token: unknown suite 'nosuch'")
        expect(["rates", "import", "--data=" + missing, os.path.join(tmp, "none.csv")], 1,
               err_has="none.csv")
        expect(["serve", "--data=" + fresh, "--listen=nowhere"], 2,
               err_has="canton serve: --listen 'nowhere': expected ADDRESS:PORT")
        check(not os.path.exists(fresh), "a refused command made the data folder")
        print("ok")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print("FAIL:", e, file=sys.stderr)
        sys.exit(1)
