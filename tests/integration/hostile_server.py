#!/usr/bin/python3
"""A WebSocket server whose every string is an attack on report viewers:
its Server header, the text it "echoes" and its close reasons carry <script>
and "><img onerror=...> payloads that set window.__pwned if a report
ever lets them run, plus terminal escape sequences.

    hostile_server.py PORT        (listens on 127.0.0.1 only)

It speaks just enough RFC 6455 for wsprobe check to reach the steps: a
correct 101, then for each data frame a text message with a payload, pongs
for pings, and a close frame with a hostile reason."""
import os
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_wire import accept_for, frame  # noqa: E402

# Each payload fits in the 32-byte previews the harness keeps, so a report
# that failed to escape one would run it whole.
SCRIPT = "<script>__pwned='script'</script>"
IMG = "\"><img src=x onerror=__pwned=1>"
SVG = "'><svg onload=__pwned='svg'>"
TERM = "\x1b]0;pwned\x07\x1b[2J"
SERVER = SCRIPT + IMG + SVG
PAYLOADS = [SCRIPT, IMG, SVG, "<b>bold</b>" + SVG]
REASONS = [IMG, SCRIPT, SVG + TERM]


def read_exact(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            raise ConnectionError
        b += d
    return b


def serve(c, k):
    c.settimeout(10)
    req = b""
    while b"\r\n\r\n" not in req and len(req) < 65536:
        d = c.recv(4096)
        if not d:
            return
        req += d
    key = ""
    for line in req.decode("latin-1").split("\r\n"):
        if line.lower().startswith("sec-websocket-key:"):
            key = line.split(":", 1)[1].strip()
    acc = accept_for(key)
    c.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Accept: {acc}\r\nServer: {SERVER}\r\nX-Note: {IMG}\r\n\r\n").encode())
    while True:
        b0, b1 = read_exact(c, 2)
        op, n = b0 & 0x0F, b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", read_exact(c, 2))[0]
        elif n == 127:
            n = struct.unpack("!Q", read_exact(c, 8))[0]
        if n > (1 << 24):
            return
        mask = read_exact(c, 4) if b1 & 0x80 else b"\0\0\0\0"
        data = bytes(x ^ mask[i % 4] for i, x in enumerate(read_exact(c, n)))
        if op == 8:
            reason = REASONS[k % len(REASONS)].encode()
            c.sendall(frame(8, struct.pack("!H", 1000) + reason[:123], mask=False))
            return
        if op == 9:
            c.sendall(frame(10, data, mask=False))
        elif op in (0, 1, 2) and b0 & 0x80:
            c.sendall(frame(1, PAYLOADS[k % len(PAYLOADS)].encode(), mask=False))


def main():
    port = int(sys.argv[1])
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    k = 0
    while True:
        c, _ = s.accept()
        k += 1

        def run(c=c, k=k):
            try:
                serve(c, k)
            except (OSError, ConnectionError, ValueError):
                pass
            finally:
                c.close()

        threading.Thread(target=run, daemon=True).start()


main()
