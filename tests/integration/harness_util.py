"""Shared helpers for integration tests: start real processes on 127.0.0.1,
wait for their port, stop them by PID, and count results.

Every test here talks only to 127.0.0.0/8 or [::1]; every wait is bounded."""
import json
import os
import pty
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

from serve_wire import accept_for  # serve_wire.py sits beside this file, on sys.path like it

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WSPROBE = os.path.join(ROOT, os.environ.get("WSPROBE_BIN", "build/san/wsprobe"))
PEERS = os.path.join(ROOT, "build", "peers")
PYTHON = "/usr/bin/python3"  # Debian's python, where python3-websockets lives
PEER_SCRIPTS = os.path.join(ROOT, "tests", "integration", "peers")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, host="127.0.0.1", timeout=10.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {host}:{port} after {timeout}s")


# What the sanitizers print. ASan and LSan reports go to the files that
# tests/run.sh names in ASAN_OPTIONS' log_path; UBSan's "runtime error" lines
# (GCC's libubsan) go to stderr whatever log_path says, so a background
# process's output is kept and scanned when it stops.
SANITIZER_MARKS = ("runtime error:", "ERROR: AddressSanitizer", "ERROR: LeakSanitizer")


def sanitizer_log_path():
    """The log_path prefix tests/run.sh set for this test, or None."""
    for opt in os.environ.get("ASAN_OPTIONS", "").split(":"):
        if opt.startswith("log_path="):
            return opt[len("log_path="):]
    return None


class Proc:
    """A child process that is stopped by PID when the test ends. Its output
    goes to `log` (a temporary file when none is given); when it stops, a
    sanitizer report in that output is copied next to the test's own
    sanitizer logs, which fails the test in tests/run.sh."""

    def __init__(self, argv, port=None, env=None, log=None, wait=True):
        self.argv = argv
        self.log_path = log
        if log is None:
            fd, self.log_path = tempfile.mkstemp(prefix="wsprobe-proc-", suffix=".log")
            os.close(fd)
        self.own_log = log is None
        self.log = open(self.log_path, "wb")
        e = dict(os.environ)
        if env:
            e.update(env)
        self.p = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=e,
                                  start_new_session=True)
        self.pid = self.p.pid
        if port is not None and wait:
            wait_port(port, proc=self.p)

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        if self.p.poll() is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.p.wait(timeout=5)
        if not self.log.closed:
            self.log.close()
            self.report_sanitizer()
        return self.p.returncode

    def report_sanitizer(self):
        with open(self.log_path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        if self.own_log:
            os.unlink(self.log_path)
        hit = [m for m in SANITIZER_MARKS if m in text]
        if not hit:
            return
        print(f"sanitizer report from {' '.join(self.argv)[:200]} (pid {self.pid})")
        prefix = sanitizer_log_path()
        if prefix:
            with open(f"{prefix}.proc.{self.pid}", "w", encoding="utf-8") as out:
                out.write(" ".join(self.argv) + "\n" + text[-6000:])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def on_pty(argv, env=None, timeout=60, stdout_on_pty=True):
    """Runs argv with stderr on a new pseudo-terminal, and stdout too unless
    stdout_on_pty is False (then a pipe); stdin is /dev/null. Reads with
    select until the child has closed both or `timeout` s have passed, so a
    child that hangs cannot hang the test; one still running 10 s later is
    killed. Returns (status, what the terminal got as text, the piped stdout
    as bytes, b"" when stdout was the terminal)."""
    master, slave = pty.openpty()
    p = subprocess.Popen(argv, stdout=slave if stdout_on_pty else subprocess.PIPE, stderr=slave,
                         stdin=subprocess.DEVNULL, env=env, cwd=ROOT)
    os.close(slave)
    got = {master: b""}
    if p.stdout is not None:
        got[p.stdout.fileno()] = b""
    reading = set(got)
    end = time.monotonic() + timeout
    while reading and time.monotonic() < end:
        ready, _, _ = select.select(list(reading), [], [], 0.2)
        for fd in ready:
            try:
                d = os.read(fd, 65536)
            except OSError:  # EIO on the pty: every writer has closed the slave side
                d = b""
            if d:
                got[fd] += d
            else:
                reading.discard(fd)
        if not ready and p.poll() is not None:
            break
    os.close(master)
    try:
        status = p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        status = p.wait()
    out = b""
    if p.stdout is not None:
        out = got[p.stdout.fileno()]
        p.stdout.close()
    return status, got[master].decode("utf-8", "replace"), out


def serve(port, *args, log=None):
    return Proc([WSPROBE, "serve", "--port", str(port), *args], port=port, log=log)


def python_echo(port, *args, log=None):
    """python3-websockets echo server (peers/echo_websockets.py, its options in ARGS)."""
    return Proc([PYTHON, os.path.join(PEER_SCRIPTS, "echo_websockets.py"), str(port), *args],
                port=port, log=log)


def node_echo(port, *args, log=None):
    """node-ws echo server (peers/echo_ws.js, its options in ARGS)."""
    return Proc(["node", os.path.join(PEER_SCRIPTS, "echo_ws.js"), str(port), *args],
                port=port, log=log)


class RawServer:
    """A hand-written server on 127.0.0.1: runs `behave(server, conn)` in a
    thread for each connection it accepts; close() ends them all."""

    def __init__(self, behave):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.behave = behave
        self.stop = False
        self.conns = []
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            self.conns.append(c)
            threading.Thread(target=self.safe, args=(c,), daemon=True).start()

    def safe(self, c):
        try:
            self.behave(self, c)
        except OSError:
            pass

    def close(self):
        self.stop = True
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass
        self.sock.close()

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}/"


def read_head(c, limit=1 << 20):
    """The request head (through the blank line) and the bytes read past it."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = c.recv(4096)
        if not d or len(buf) > limit:
            raise OSError("eof before the end of the request head")
        buf += d
    end = buf.index(b"\r\n\r\n") + 4
    return buf[:end], buf[end:]


def upgrade(c, extra=""):
    """Reads the request head and answers 101 with the right accept value;
    returns the head and the bytes that came after it."""
    head, rest = read_head(c)
    key = ""
    for line in head.decode("latin-1").split("\r\n"):
        if line.lower().startswith("sec-websocket-key:"):
            key = line.split(":", 1)[1].strip()
    c.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Accept: {accept_for(key)}\r\n{extra}\r\n").encode("latin-1"))
    return head, rest


def read_exact(c, n):
    """Exactly n bytes from c; ConnectionError (an OSError) at EOF."""
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            raise ConnectionError("eof")
        b += d
    return b


def read_frame(c, limit=1 << 24):
    """(fin, opcode, unmasked payload) of the next client frame; a payload
    over `limit` bytes is a ConnectionError."""
    b0, b1 = read_exact(c, 2)
    op, n = b0 & 0x0F, b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", read_exact(c, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", read_exact(c, 8))[0]
    if n > limit:
        raise ConnectionError(f"a {n}-byte frame")
    mask = read_exact(c, 4) if b1 & 0x80 else b"\0\0\0\0"
    return bool(b0 & 0x80), op, bytes(x ^ mask[i % 4] for i, x in enumerate(read_exact(c, n)))


def check_report(url, *args, timeout=120, wire_logs="not-ok", missing_ok=False, whole=False):
    """Runs `wsprobe check URL ARGS --wire-logs WIRE_LOGS --report DIR` in a
    temporary DIR that is removed afterwards (a full-catalogue report is
    ~150 MB). Returns (completed process, {id: case}), and the whole
    report.json as a third value when `whole` is true. A missing or unreadable
    report.json raises, unless missing_ok (then the cases are {} and the
    report is {"cases": []}). With the default `not-ok`, only cases not OK
    keep their wire log (reports/SCHEMA.md, wire_omitted); a test that reads
    the wire log of an OK case passes wire_logs="all"."""
    with tempfile.TemporaryDirectory(prefix="wsprobe-check-") as d:
        p = subprocess.run([WSPROBE, "check", url, *args, "--wire-logs", wire_logs,
                            "--report", d], capture_output=True, text=True, timeout=timeout,
                           cwd=ROOT, env=dict(os.environ, NO_COLOR="1"), errors="replace")
        try:
            with open(os.path.join(d, "report.json"), encoding="utf-8") as f:
                report = json.load(f)
        except (OSError, ValueError) as e:
            if not missing_ok:
                raise RuntimeError(f"no report.json (exit {p.returncode}): {e}; "
                                   f"{p.stderr[-500:]}") from e
            report = {"cases": []}
    cases = {c["id"]: c for c in report["cases"]}
    return (p, cases, report) if whole else (p, cases)


def baseline_ids(path, timing=None):
    """Case ids of a baseline file (tests/baselines/*.txt), in file order: one
    per line, '#' starts a comment. Entries whose line says
    (timing-dependent) are added to the set `timing` too, when given."""
    ids = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            i = line.split("#", 1)[0].strip()
            if i:
                ids.append(i)
                if timing is not None and "(timing-dependent)" in line:
                    timing.add(i)
    return ids


def user_cases(tmp, name, section, cases, title=None, ensure_ascii=True):
    """A --cases-dir, tmp/name, holding `cases` as section `section` in
    <section>.json, titled `title` (the directory's name when None); another
    call with the same name adds a section (never replaces one). Non-ASCII
    text is written as \\u escapes unless ensure_ascii is False (then UTF-8)."""
    d = os.path.join(tmp, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"{section}.json"), "x", encoding="utf-8") as f:
        json.dump({"section": section, "title": name if title is None else title, "cases": cases},
                  f, ensure_ascii=ensure_ascii)
    return d


class Results:
    """Collects named checks and prints the closing 'N passed, N failed' line."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            print(f"ok   {name}")
        else:
            self.failed += 1
            print(f"FAIL {name} {detail}")
        sys.stdout.flush()
        return cond

    def run(self, name, fn, *args):
        """Runs fn(*args). It passes when fn returns None or True; anything
        else it returns (a string, the values it looked at) is the detail of
        a failure, so `return ok or detail` cannot pass by being truthy. An
        exception counts as a failure too."""
        try:
            r = fn(*args)
            return self.check(name, r is None or r is True, "" if r is None else repr(r))
        except Exception as e:  # noqa: BLE001 - any error is a failed check
            return self.check(name, False, f"{type(e).__name__}: {e}")

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(0 if self.failed == 0 and self.passed > 0 else 1)


def strict(fn):
    """fn wrapped so that only True passes, anything else (None included) is
    raised as the failure's detail."""
    def wrapped():
        r = fn()
        if r is not True:
            raise AssertionError(r)
    return wrapped
