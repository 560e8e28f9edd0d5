"""Shared helper for canton's integration tests (Python 3 stdlib only).

Starts the real binary ($CANTON_BIN) as `canton serve` on 127.0.0.1 with a
free port (port 0: the server picks one and prints it) and a temporary data
folder, waits for /healthz, and stops it. Typical use:

    import canton_test
    with canton_test.Canton() as srv:             # or Canton(config="...ini text...")
        status, headers, body = srv.request("GET", "/healthz")
        hits = srv.dump()                          # `canton hitlog dump --json`, parsed
    # stopped with SIGTERM, exit code checked, data folder removed

Attributes: srv.url ("http://127.0.0.1:PORT"), srv.port, srv.data (data
folder), srv.bin, srv.proc (the Popen), srv.log_path (its stderr).
Environment: CANTON_BIN (the binary), CANTON_SHARED (shared/ with the
tracker fixtures), set by meson test. Every wait has a deadline.
"""
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("CANTON_BIN", "canton")
SHARED = os.environ.get("CANTON_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared"))

_LISTEN_RE = re.compile(rb"listening on http://127\.0\.0\.1:(\d+)")


class CantonError(Exception):
    pass


class Canton:
    """One `canton serve` process. A context manager; start() and stop() also work alone.

    config: INI text written to the data folder and passed with --config
    (None: the built-in config, one suite "demo"). data: reuse this folder
    (kept on stop) instead of a fresh temporary one. args: extra arguments.
    preexec_fn: called in the child before exec (resource limits...).
    """

    def __init__(self, config=None, data=None, args=(), start_timeout=20.0, preexec_fn=None):
        self.bin = BIN
        self.keep_data = data is not None
        self.data = data or tempfile.mkdtemp(prefix="canton-test-")
        self.config = config
        self.args = list(args)
        self.start_timeout = start_timeout
        self.preexec_fn = preexec_fn  # run in the child before exec (e.g. to set resource limits)
        self.proc = None
        self.port = None
        self.url = None
        self.log_path = os.path.join(self.data, "serve.%d.log" % os.getpid())

    # --- life ---

    def start(self):
        cmd = [self.bin, "serve", "--data", self.data, "--listen", "127.0.0.1:0"]
        if self.config is not None:
            path = os.path.join(self.data, "canton.conf")
            with open(path, "w") as f:
                f.write(self.config)
            cmd += ["--config", path]
        cmd += self.args
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._log, preexec_fn=self.preexec_fn)
        deadline = time.monotonic() + self.start_timeout
        line = self._read_line(deadline)
        m = _LISTEN_RE.search(line)
        if not m:
            self._fail("no 'listening on' line, got %r" % line)
        self.port = int(m.group(1))
        self.url = "http://127.0.0.1:%d" % self.port
        while True:
            try:
                status, _, _ = self.request("GET", "/healthz", timeout=2)
                if status == 200:
                    return self
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self._fail("/healthz never answered 200")
            time.sleep(0.02)

    def _read_line(self, deadline):
        """Reads the first stdout line (the server prints it once it listens)."""
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        buf = b""
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                break
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
        sel.close()
        return buf

    def _fail(self, why):
        self.kill()
        raise CantonError("canton serve: %s\n--- log ---\n%s" % (why, self.log()))

    def stop(self, timeout=30.0):
        """SIGTERM, then waits; returns the exit code (0 expected)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = "killed after %ss" % timeout
        self._close_pipes()
        return rc

    def kill(self):
        """SIGKILL (a crash), then waits."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait()
            self._close_pipes()

    def _close_pipes(self):
        if self.proc.stdout:
            self.proc.stdout.close()
        self._log.close()

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        rc = self.stop()
        if exc_type is not None:
            sys.stderr.write("--- canton serve log (exit %r) ---\n%s\n" % (rc, self.log()[-20000:]))
        if not self.keep_data:
            shutil.rmtree(self.data, ignore_errors=True)
        if exc_type is None and rc != 0:
            raise CantonError("canton serve exited with %r\n--- log ---\n%s" % (rc, self.log()))
        return False

    # --- talking to it ---

    def request(self, method, target, body=None, headers=None, timeout=10):
        """One request on a fresh connection: returns (status, {lower-case name: value}, body bytes)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, target, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def metrics(self):
        """/metrics parsed into {'name{labels}': float}."""
        status, _, body = self.request("GET", "/metrics")
        if status != 200:
            raise CantonError("/metrics answered %d" % status)
        out = {}
        for line in body.decode().splitlines():
            if line and not line.startswith("#"):
                key, _, val = line.rpartition(" ")
                out[key] = float(val)
        return out

    def wait_processed(self, n, timeout=60.0):
        """Waits until processing has read n raw hits (canton_process_raw_hits_total), at most
        timeout seconds; returns /metrics as it was last read."""
        deadline = time.time() + timeout
        m = self.metrics()
        while m.get("canton_process_raw_hits_total", 0) < n and time.time() < deadline:
            time.sleep(0.1)
            m = self.metrics()
        return m

    def dump(self, *extra):
        """`canton hitlog dump --json --data DIR`: the raw hits, one dict each."""
        out = subprocess.run([self.bin, "hitlog", "dump", "--json", "--data", self.data] + list(extra),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if out.returncode != 0:
            raise CantonError("hitlog dump failed: %s" % out.stderr.decode("utf-8", "replace"))
        return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def fixtures(tracker):
    """The recorded requests of one tracker: a list of dicts from its *.jsonl files, sorted by file."""
    folder = os.path.join(SHARED, "fixtures", "trackers", tracker)
    out = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".jsonl"):
            with open(os.path.join(folder, name)) as f:
                out += [json.loads(line) for line in f if line.strip()]
    return out


class Checks:
    """Collects failed checks so that one run reports all of them; finish() exits 0 or 1."""

    def __init__(self):
        self.failed = []
        self.count = 0

    def check(self, cond, what):
        self.count += 1
        if not cond:
            self.failed.append(what)
            print("FAIL:", what, file=sys.stderr)
        return cond

    def finish(self):
        if self.failed:
            print("%d of %d checks failed" % (len(self.failed), self.count))
            sys.exit(1)
        print("ok: %d checks" % self.count)
        sys.exit(0)


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data):
    """CRC32C (Castagnoli) of bytes, as the hitlog's frames and the stores' MANIFESTs use."""
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC32C[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def kill_when(p, ready, timeout, interval=0.001):
    """Polls ready() every interval seconds while the Popen p runs (for at most timeout
    seconds) and SIGKILLs p the first time it returns true. True when p was killed so; False
    when p ended first or the time ran out (p is then killed, and waited for, too). For the
    crash tests, which kill a process at a moment its files show, not at a time."""
    deadline = time.monotonic() + timeout
    try:
        while p.poll() is None and time.monotonic() < deadline:
            if ready():
                p.send_signal(signal.SIGKILL)
                p.wait()
                return True
            time.sleep(interval)  # a poll interval, not a wait for the process
        return False
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
