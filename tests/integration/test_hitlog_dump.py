"""`canton hitlog dump` against a hitlog written by an independent writer.

This file writes segment files by docs/hitlog.md (segment header, frames
with CRC32C, raw-hit records version 1) in plain Python, so it checks the
documented format as well as the command: every field of every raw hit must
come back byte-exact from `--json` (UTF-8 strings as JSON strings, anything
else in base64), positions must match, `--from` must resume at a position,
a torn tail reads as the end, and damage in the middle is an error.
"""
import base64
import json
import os
import shutil
import struct
import select
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import canton_test  # noqa: E402

BIN = canton_test.BIN


crc32c = canton_test.crc32c


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


FIELDS = ["suite", "ip", "ua", "method", "path", "query", "headers", "body"]


def rawhit(hit):
    out = bytes([1]) + varint(hit["recv_us"]) + bytes([hit["proto"], hit["flags"]])
    for f in FIELDS:
        out += varint(len(hit[f])) + hit[f]
    return out


def segment_header(segno):
    return b"CNHITLOG" + struct.pack("<II", 1, segno)


def frame(payload):
    return struct.pack("<II", len(payload), crc32c(payload)) + payload


HITS = [
    dict(recv_us=1764387600123456, proto=1, flags=0, suite=b"demo", ip=b"203.0.113.7",
         ua=b"Mozilla/5.0 (X11; Linux x86_64)", method=b"GET",
         path=b"/b/ss/demo/1/JS-2.22.0/s12345",
         query=b"AQB=1&ndh=1&pageName=Home%20page&g=https%3A%2F%2Fshop.example%2F&AQE=1",
         headers=b"host: shop.example\nuser-agent: Mozilla/5.0 (X11; Linux x86_64)\n", body=b""),
    dict(recv_us=1764387600200000, proto=2, flags=0, suite=b"shop", ip=b"2001:db8::1",
         ua=b"curl/8.0", method=b"POST", path=b"/api/collect", query=b"",
         headers=b"content-type: text/plain\n",
         body='{"events":[{"name":"purchase","revenue":"12.50","currency":"EUR","city":"Z\u00fcrich \u2603 \U0001F600"}]}'.encode()),
    # Not UTF-8: a gzip body, a query with a raw Latin-1 byte, control bytes in headers.
    dict(recv_us=1764387600300000, proto=1, flags=2, suite=b"demo", ip=b"198.51.100.2",
         ua=b"", method=b"POST", path=b"/b/ss/demo/1/JS-2.22.0/s9",
         query=b"AQB=1&v1=caf\xe9&AQE=1", headers=b"x-odd: a\x01b\tc\"d\\e\n",
         body=b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\x00\x00"),
    # Unknown suite, NUL bytes (valid UTF-8), an overlong encoding and a surrogate (not UTF-8).
    dict(recv_us=0, proto=3, flags=1, suite=b"nosuch", ip=b"127.0.0.1", ua=b"a\x00b",
         method=b"GET", path=b"/i", query=b"e=\xc0\xaf", headers=b"", body=b"\xed\xa0\x80"),
]


def run(*args):
    return subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)


def read_line(fd, buf, timeout=20.0):
    """One line from the pipe fd (buf: bytes left over), with a deadline. Returns (line, rest)."""
    deadline = time.monotonic() + timeout
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise canton_test.CantonError("no line from hitlog dump --follow within %.0f s" % timeout)
        chunk = os.read(fd, 65536)
        if not chunk:
            raise canton_test.CantonError("hitlog dump --follow exited")
        buf += chunk
    line, _, rest = buf.partition(b"\n")
    return line, rest


def field_bytes(obj, name):
    v = obj[name]
    if obj.get(name + "_encoding") == "base64":
        return base64.b64decode(v, validate=True)
    return v.encode("utf-8")


def main():
    checks = canton_test.Checks()
    data = tempfile.mkdtemp(prefix="canton-dump-")
    try:
        hdir = os.path.join(data, "hitlog")
        os.makedirs(hdir)
        # Segment 1 holds hits 0-1, segment 2 holds hits 2-3 and then a torn tail.
        positions = []
        seg1 = segment_header(1)
        for h in HITS[:2]:
            positions.append("1:%d" % len(seg1))
            seg1 += frame(rawhit(h))
        seg2 = segment_header(2)
        for h in HITS[2:]:
            positions.append("2:%d" % len(seg2))
            seg2 += frame(rawhit(h))
        torn = frame(rawhit(HITS[0]))[:-7]
        with open(os.path.join(hdir, "00000001.log"), "wb") as f:
            f.write(seg1)
        with open(os.path.join(hdir, "00000002.log"), "wb") as f:
            f.write(seg2 + torn)

        out = run("hitlog", "dump", "--json", "--data", data)
        checks.check(out.returncode == 0, "dump --json exits 0 (stderr %r)" % out.stderr)
        lines = out.stdout.splitlines()
        checks.check(len(lines) == len(HITS), "one line per hit, got %d" % len(lines))
        for i, (line, want) in enumerate(zip(lines, HITS)):
            obj = json.loads(line)
            checks.check(obj["pos"] == positions[i], "hit %d pos %s" % (i, obj["pos"]))
            seg, off = positions[i].split(":")
            checks.check(obj["segment"] == int(seg) and obj["offset"] == int(off), "hit %d segment/offset" % i)
            checks.check(obj["recv_us"] == want["recv_us"], "hit %d recv_us" % i)
            checks.check(obj["flags"] == want["flags"], "hit %d flags" % i)
            checks.check(obj["proto"] == ["unknown", "adobe", "canton-json", "canton-pixel"][want["proto"]],
                         "hit %d proto %s" % (i, obj["proto"]))
            for f in FIELDS:
                checks.check(field_bytes(obj, f) == want[f], "hit %d field %s byte-exact: %r" % (i, f, obj.get(f)))
                is_utf8 = True
                try:
                    want[f].decode("utf-8")
                except UnicodeDecodeError:
                    is_utf8 = False
                checks.check((obj.get(f + "_encoding") == "base64") == (not is_utf8),
                             "hit %d field %s encoding" % (i, f))
        checks.check(json.loads(lines[0])["time"] == "2025-11-29T03:40:00.123456Z", "ISO time")

        # The human form: one line per hit with position, protocol, suite and path?query.
        out = run("hitlog", "dump", "--data", data)
        human = out.stdout.decode().splitlines()
        checks.check(out.returncode == 0 and len(human) == len(HITS), "human dump: %r" % human)
        checks.check(human[0].startswith("1:16 2025-11-29T03:40:00.123456Z adobe demo 203.0.113.7 GET "
                                          "/b/ss/demo/1/JS-2.22.0/s12345?AQB=1&ndh=1"), "human line: %r" % human[0])
        checks.check(human[2].endswith("body=13 gzip"), "human gzip flag: %r" % human[2])
        checks.check("v1=caf\\xe9" in human[2], "human escapes bytes: %r" % human[2])

        # --from resumes at a position, across the segment boundary.
        out = run("hitlog", "dump", "--json", "--data", data, "--from", positions[1])
        got = [json.loads(x)["pos"] for x in out.stdout.splitlines()]
        checks.check(got == positions[1:], "--from %s gives %r" % (positions[1], got))
        out = run("hitlog", "dump", "--data", data, "--from", "1:x")
        checks.check(out.returncode == 2, "bad --from is a usage error")
        out = run("hitlog", "dump", "--help")
        checks.check(out.returncode == 0 and b"--from SEG:OFF" in out.stdout, "dump --help")
        out = run("hitlog", "dump", "--data", os.path.join(data, "missing"))
        checks.check(out.returncode == 1 and b"No such file" in out.stderr, "missing data folder: %r" % out.stderr)

        # --follow waits at the end and prints what is appended later.
        proc = subprocess.Popen([BIN, "hitlog", "dump", "--json", "--follow", "--data", data,
                                 "--from", positions[3]], stdout=subprocess.PIPE)
        try:
            fd = proc.stdout.fileno()
            line, rest = read_line(fd, b"")
            first = json.loads(line)
            checks.check(first["pos"] == positions[3], "--follow starts at --from")
            # Finish the torn record: the follower must print it.
            with open(os.path.join(hdir, "00000002.log"), "ab") as f:
                f.write(frame(rawhit(HITS[0]))[-7:])
            line, rest = read_line(fd, rest)
            got = json.loads(line)
            checks.check(got["pos"] == "2:%d" % len(seg2) and got["query"] == HITS[0]["query"].decode(),
                         "--follow prints a record completed later: %r" % line)
        finally:
            proc.kill()
            proc.wait(timeout=10)
            proc.stdout.close()

        # Damage in the middle of a sealed segment, followed by a valid record: an error.
        bad = bytearray(seg1)
        bad[len(segment_header(1)) + 12] ^= 0xFF
        with open(os.path.join(hdir, "00000001.log"), "wb") as f:
            f.write(bytes(bad))
        out = run("hitlog", "dump", "--json", "--data", data)
        checks.check(out.returncode == 1, "corrupt log: exit 1")
        checks.check(b"segment 1 is corrupt at offset 16" in out.stderr, "corrupt message: %r" % out.stderr)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    checks.finish()


if __name__ == "__main__":
    main()
