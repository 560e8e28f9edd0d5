#!/usr/bin/env python3
"""Every command that takes --config checks the whole file, also the suite keys that other
modules read (evarN attributes, channel_rules, salt_retention...), and refuses a bad one the
way `canton process` and `canton serve` do: exit status 1 and one line on stderr,
"canton <command>: FILE:LINE: [suite ID] KEY...: what is wrong" (docs/configuration.md).

For each of four bad files (an eVar attribute, a channel rule that does not parse, one with an
unknown ref_type, a salt_retention) each command must print exactly that line and nothing else
(under ASan a leak would add its report and change the status); then the same file with good
values works for every command.

canton.conf.example is the reference for the keys: the examples it gives in comments
(`# evar1 = ...`, `# tokens = ...`, `# name = ...`) are accepted once uncommented
(example_keys_are_accepted; the file itself running is test_collect_http's).
"""
import re
import os
import shutil
import subprocess
import sys
import tempfile

import canton_test

BIN = os.environ.get("CANTON_BIN", "canton")
DAY = "2026-11-01"


def run(args):
    p = subprocess.run([BIN] + args, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def conf_text(data, line5):
    # line 5 is the key under test: errors name it as FILE:5
    return "[server]\ndata = %s\n[suite demo]\nname = Demo\n%s\n" % (data, line5)


def example_keys_are_accepted(tmp):
    src = os.environ.get("CANTON_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
    with open(os.path.join(src, "canton.conf.example")) as f:
        lines = f.read().split("\n")
    data = os.path.join(tmp, "example-data")
    os.makedirs(data)
    uncommented = []
    active = {}  # key -> line index of its setting in the current section
    for i, line in enumerate(lines):
        if line.startswith("["):
            active = {}
            continue
        m = re.match(r"# ([a-z_]+[0-9]*) = (.*)$", line)
        # the files of channel_rules and referer_list are read: the example paths are not there
        if m and m.group(1) not in ("channel_rules", "referer_list"):
            # an example below a key's default replaces it: a key is set once in a section
            if m.group(1) in active:
                lines[active[m.group(1)]] = "# " + lines[active[m.group(1)]]
            lines[i] = "%s = %s" % (m.group(1), m.group(2))
            uncommented.append(m.group(1))
            active[m.group(1)] = i
            continue
        if line.startswith("data = "):
            lines[i] = "data = %s" % data
        m = re.match(r"([a-z_]+[0-9]*) =", line)
        if m:
            active[m.group(1)] = i
    check(len(uncommented) >= 10, "examples found in canton.conf.example: %s" % uncommented)
    conf = os.path.join(tmp, "example.conf")
    with open(conf, "w") as f:
        f.write("\n".join(lines))
    rc, out, err = run(["bad-rows", "--config", conf])
    check((rc, out) == (0, "0 bad rows shown (0 in the log)\n"),
          "canton.conf.example with its examples uncommented (%s): exit %d\n%s"
          % (", ".join(uncommented), rc, err[-2000:]))


def main():
    tmp = tempfile.mkdtemp(prefix="canton-conf-")
    try:
        example_keys_are_accepted(tmp)
        data = os.path.join(tmp, "data")
        log = os.path.join(tmp, "a.log")
        with open(log, "w") as f:
            f.write('10.0.0.1 - - [01/Nov/2026:08:03:55 +0800] "GET / HTTP/1.1" 200 5 "-" "ua"\n')
        bad_rules = os.path.join(tmp, "channels-bad.txt")
        with open(bad_rules, "w") as f:
            f.write("Partners: ref_source\n")
        # a referrer type that does not exist never matches: refused, with the known ones
        bogus_rules = os.path.join(tmp, "channels-reftype.txt")
        with open(bogus_rules, "w") as f:
            f.write("# partners\nPartners: ref_type=bogus & ref_source?\n")
        good_rules = os.path.join(tmp, "channels.txt")
        with open(good_rules, "w") as f:
            f.write("Partners: ref_source=Partner Network\nRest: campaign? | campaign!\n")

        # each command with the arguments it needs to get as far as reading its config
        commands = [
            ("import", ["import", "--suite", "demo", log]),
            ("process", ["process", "--until-end"]),
            ("reprocess", ["reprocess", "--suite", "demo"]),
            ("report", ["report", "--from", DAY, "--to", DAY]),
            ("export", ["export", "--from", DAY, "--to", DAY]),
            ("check", ["check"]),
            ("enrich", ["enrich", "--suite", "demo", "--referrer", "https://x.test/"]),
            ("token", ["token", "create", "--suite", "demo"]),
            ("bad-rows", ["bad-rows"]),
            ("serve", ["serve", "--listen", "127.0.0.1:0"]),
        ]
        bad = [
            ("evar", "evar1 = allocation=first",
             "[suite demo] evar1 = allocation=first: allocation is most_recent or original"),
            ("rules", "channel_rules = %s" % bad_rules,
             "[suite demo] channel_rules: %s:1: operator expected after the key" % bad_rules),
            ("ref_type", "channel_rules = %s" % bogus_rules,
             "[suite demo] channel_rules: %s:2: unknown ref_type \"bogus\" (known: none, "
             "internal, search, social, email, paid, other)" % bogus_rules),
            ("salt", "salt_retention = 0d", "[suite demo] salt_retention: want Nd (N >= 1) or never"),
        ]
        refused = 0
        for name, line, what in bad:
            conf = os.path.join(tmp, "bad-%s.conf" % name)
            with open(conf, "w") as f:
                f.write(conf_text(data, line))
            for cmd, args in commands:
                rc, out, err = run(args + ["--config", conf])
                want = "canton %s: %s:5: %s\n" % (cmd, conf, what)
                check((rc, err) == (1, want),
                      "%s with a bad %s: exit %d, stderr %r; want 1, %r" % (cmd, name, rc, err, want))
                refused += 1
        check(not os.path.exists(data), "a refused config wrote nothing to the data folder")

        # the same keys with good values: every command works
        good = os.path.join(tmp, "good.conf")
        with open(good, "w") as f:
            f.write(conf_text(data, "evar1 = allocation=original; expiry=visit\n"
                                    "channel_rules = %s\nsalt_retention = 7d" % good_rules))
        for cmd, args in commands:
            if cmd == "serve":
                continue  # below: it keeps running
            rc, out, err = run(args + ["--config", good])
            check(rc == 0, "%s with the good config: exit %d\n%s" % (cmd, rc, err[-2000:]))
        with open(good) as f:
            text = f.read().replace("data = %s\n" % data, "")
        with canton_test.Canton(config=text) as srv:
            status, _, _ = srv.request("GET", "/healthz")
            check(status == 200, "serve with the good config: /healthz %d" % status)
        print("ok: %d refusals, %d commands with the good config" % (refused, len(commands)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print("FAIL:", e, file=sys.stderr)
        sys.exit(1)
