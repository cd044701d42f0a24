#!/usr/bin/python3
"""No raw control characters from a server reach the user's terminal.

A small hostile server on 127.0.0.1 puts ESC (\\x1b, as in "\\x1b[2J", clear
screen) and BEL (\\x07) in every place a server controls: the close reason, a
data message, the status line's reason phrase, a Server header and a 403
body. `wsprobe check` (verbose, with its wire log) and `wsprobe load` run
against each behaviour; their stdout and stderr must hold no ESC or BEL byte,
and report.json none either. If the escaping is removed, the bytes pass
straight through and these checks fail."""
import os
import socket
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import WSPROBE, Results, free_port, read_head, upgrade  # noqa: E402
from serve_wire import frame  # noqa: E402

EVIL = b"\x1b[2J\x1b]0;pwned\x07\x07"
# A C1 CSI (U+009B, valid UTF-8) and a right-to-left override (U+202E): in
# the close reason and the message they are shown as \u{9B} and \u{202E}, the
# one terminal form the harness and the reports share.
EVIL_C1 = b"\xc2\x9b2J\xe2\x80\xae"


def handle(conn, mode):
    """One connection; read_head and upgrade (harness_util) read the request
    head, and raise OSError when the client leaves before its end."""
    conn.settimeout(5)
    try:
        if mode == "close-reason":
            upgrade(conn)
            conn.recv(65536)  # whatever the client sends first
            conn.sendall(frame(0x8, b"\x03\xe8" + b"bye " + EVIL_C1 + EVIL, mask=False))
            conn.recv(65536)
        elif mode == "message":
            upgrade(conn)
            for _ in range(50):
                if not conn.recv(65536):
                    break
                conn.sendall(frame(0x1, b"echo? " + EVIL_C1 + EVIL, mask=False))
        elif mode == "server-header":
            upgrade(conn, "Server: evil " + EVIL.decode("latin-1") + "\r\n")
            conn.recv(65536)
        elif mode == "status-403":
            read_head(conn)
            body = b"forbidden " + EVIL
            conn.sendall(b"HTTP/1.1 403 Forbidden " + EVIL + b"\r\nServer: evil " + EVIL +
                         b"\r\nContent-Type: text/plain\r\nContent-Length: " +
                         str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
        elif mode == "403-body":  # a well-formed refusal: only the body is hostile
            read_head(conn)
            body = b"forbidden " + EVIL
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: " +
                         str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    except OSError:
        pass
    finally:
        conn.close()


class EvilServer:
    def __init__(self, mode):
        self.port = free_port()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.mode = mode
        self.stopping = False
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=handle, args=(conn, self.mode), daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stopping = True
        self.thread.join(timeout=5)
        self.sock.close()


def run(argv, timeout=60):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def clean(out, c1=True):
    bad = [hex(b) for b in (0x1B, 0x07) if b in out]
    # report.json keeps valid UTF-8 as it is (JSON strings carry it safely)
    if c1:
        bad += [repr(s) for s in (b"\xc2\x9b", b"\xe2\x80\xae") if s in out]
    return not bad, f"raw {', '.join(bad)} in output: {out[:600]!r}"


MODES = ["close-reason", "message", "server-header", "status-403", "403-body"]
# Where check -v shows the server's bytes, escaped: proof the test is not vacuous.
SHOWN = {"close-reason", "message", "status-403"}
CASES = "0.1.1,1.1.1,1.1.2,2.1,7.1.1"


def main():
    r = Results()
    for mode in MODES:
        with EvilServer(mode) as srv, tempfile.TemporaryDirectory() as rep:
            url = f"ws://127.0.0.1:{srv.port}/"
            rc, out = run([WSPROBE, "check", url, "--cases", CASES, "-v", "--timeout", "3",
                           "--report", rep])
            r.check(f"check vs {mode}: ran (exit {rc})", rc in (0, 1), out[-400:])
            ok, why = clean(out)
            r.check(f"check vs {mode}: no ESC/BEL on the terminal", ok, why)
            if mode in SHOWN:
                r.check(f"check vs {mode}: the server's bytes are shown escaped", b"\\x1b[2J" in out,
                        out[-600:])
            if mode in ("close-reason", "message"):
                r.check(f"check vs {mode}: C1 and bidi controls shown as \\u{{9B}} \\u{{202E}}",
                        b"\\u{9B}2J\\u{202E}" in out, out[-600:])
            path = os.path.join(rep, "report.json")
            if os.path.exists(path):
                ok, why = clean(open(path, "rb").read(), c1=False)
                r.check(f"check vs {mode}: no raw ESC/BEL in report.json", ok, why)
            rc, out = run([WSPROBE, "load", url, "-c", "2", "-t", "1", "-d", "1s",
                           "--no-progress"])
            r.check(f"load vs {mode}: ran (exit {rc})", rc in (0, 1, 3), out[-400:])
            ok, why = clean(out)
            r.check(f"load vs {mode}: no ESC/BEL on the terminal", ok, why)
    r.finish()


if __name__ == "__main__":
    main()
