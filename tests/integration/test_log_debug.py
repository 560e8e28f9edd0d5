#!/usr/bin/env python3
"""log_level = debug (and `canton serve --log-level debug`) shows what canton does, in the
debug lines docs/configuration.md lists; at info there are none of them.

- serve with log_level = debug: a hit gives an "http request" line (method, path, status,
  bytes) and, once processed, a "checkpoint written" line; "config loaded" and the
  enrichment data sets are there from the start;
- serve at info (the default): the same hit, processed, gives no debug line;
- serve --log-level debug with an info config: the option wins;
- `canton process` and `canton reprocess` follow the config's log_level too.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import canton_test

BIN = os.environ.get("CANTON_BIN", "canton")
HIT = "/b/ss/demo/1/JS-2.0/s1?pageName=home&g=https%3A%2F%2Fshop.test%2F&vid=v1"


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def wait_for(what, fn, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


def debug_lines(text):
    return [l for l in text.splitlines() if " level=debug " in l]


def send_hit(srv):
    status, _, body = srv.request("GET", HIT)
    check(status == 200 and len(body) == 43, "the hit: %d, %d bytes" % (status, len(body)))


def main():
    tmp = tempfile.mkdtemp(prefix="canton-log-")
    try:
        # 1. debug from the config
        data = os.path.join(tmp, "d1")
        os.mkdir(data)
        with canton_test.Canton(config="[server]\nlog_level = debug\n[suite demo]\n", data=data) as srv:
            send_hit(srv)
            wait_for("a checkpoint line", lambda: "msg=\"checkpoint written\"" in srv.log())
            log = srv.log()
        check(re.search(r'level=debug msg="http request" method=GET path=/b/ss/demo/1/JS-2\.0/s1 '
                        r'status=200 bytes=43 us=\d+\n', log), "http request line:\n" + log[-3000:])
        check(re.search(r'level=debug msg="checkpoint written" pos=1:\d+ visitors=1 file=yes '
                        r'ms=[0-9.]+\n', log), "checkpoint line:\n" + log[-3000:])
        check('msg="config loaded" path=' in log, "config loaded line")
        check(re.search(r'msg="enrichment data set loaded" set=uap path=\S+ entries=[1-9]\d* ms=',
                        log), "enrichment data set line")
        check(re.search(r'msg="hitlog segment opened" for=append dir=\S+ segment=1 offset=16\n', log),
              "hitlog segment line")

        # 2. info: the same hit, processed, and no debug line at all
        data2 = os.path.join(tmp, "d2")
        os.mkdir(data2)
        with canton_test.Canton(config="[suite demo]\n", data=data2) as srv:
            send_hit(srv)
            wait_for("the hit processed",
                     lambda: srv.metrics().get("canton_process_raw_hits_total", 0) >= 1)
        log = srv.log()
        check('msg="listening"' in log, "the info lines are there")
        check(debug_lines(log) == [], "debug lines at info: %r" % debug_lines(log)[:5])

        # 3. --log-level debug wins over the config's info
        data3 = os.path.join(tmp, "d3")
        os.mkdir(data3)
        with canton_test.Canton(config="[server]\nlog_level = info\n[suite demo]\n", data=data3,
                                args=["--log-level", "debug"]) as srv:
            send_hit(srv)
            wait_for("the request line", lambda: 'msg="http request"' in srv.log())
            check('msg="config loaded"' in srv.log(), "config loaded at --log-level debug")

        # 4. process and reprocess follow the config's log_level (d2 has one hit, processed by
        # serve: process from scratch on a copy, then reprocess the suite)
        for level, want in (("debug", True), ("info", False)):
            conf = os.path.join(tmp, "p-%s.conf" % level)
            copy = os.path.join(tmp, "p-%s" % level)
            shutil.copytree(data2, copy)
            shutil.rmtree(os.path.join(copy, "process"))
            shutil.rmtree(os.path.join(copy, "store"))
            with open(conf, "w") as f:
                f.write("[server]\ndata = %s\nlog_level = %s\n[suite demo]\n" % (copy, level))
            for args in (["process", "--until-end"], ["reprocess", "--suite", "demo"]):
                p = subprocess.run([BIN] + args + ["--config", conf], capture_output=True, text=True,
                                   timeout=120)
                check(p.returncode == 0, "%s: exit %d\n%s" % (args, p.returncode, p.stderr[-2000:]))
                has = 'level=debug msg="checkpoint written"' in p.stderr
                check(has == want, "%s at %s: checkpoint line %s\n%s" % (args, level, has, p.stderr[-2000:]))
                if not want:
                    check(debug_lines(p.stderr) == [], "%s at info: %r" % (args, debug_lines(p.stderr)[:3]))
        print("ok")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print("FAIL:", e, file=sys.stderr)
        sys.exit(1)
