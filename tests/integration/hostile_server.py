#!/usr/bin/python3
"""A WebSocket server whose every string is an attack on report viewers:
its Server header, the text it "echoes" and its close reasons carry <script>
and "><img onerror=...> payloads that set window.__pwned if a report
ever lets them run, plus terminal escape sequences.

    hostile_server.py PORT [--load]     (listens on 127.0.0.1 only)

It speaks just enough RFC 6455 for wsprobe check to reach the steps: a
correct 101, then for each data frame a text message with a payload, pongs
for pings, and a close frame with a hostile reason.

With --load it is a target for `wsprobe load`: every other connection is
refused with "403 <script>..." (the reason phrase a load report keeps) and a
hostile HTML body; the others get a 101 with the hostile Server header, have
their first ECHOES messages echoed faithfully, then a close 1000 whose reason
is a payload."""
import os
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import read_frame, read_head, upgrade  # noqa: E402
from serve_wire import frame  # noqa: E402

# Each payload fits in the 32-byte previews the harness keeps, so a report
# that failed to escape one would run it whole.
SCRIPT = "<script>__pwned='script'</script>"
IMG = "\"><img src=x onerror=__pwned=1>"
SVG = "'><svg onload=__pwned='svg'>"
TERM = "\x1b]0;pwned\x07\x1b[2J"
SERVER = SCRIPT + IMG + SVG
PAYLOADS = [SCRIPT, IMG, SVG, "<b>bold</b>" + SVG]
REASONS = [IMG, SCRIPT, SVG + TERM]
ECHOES = 20  # --load: messages echoed before the hostile close


def serve_load(c, k):
    """--load: refuse every other connection, echo then close the rest."""
    c.settimeout(10)
    if k % 2:
        read_head(c)
        body = f"<html><body>{SCRIPT}{IMG}{SVG}</body></html>".encode()
        c.sendall(f"HTTP/1.1 403 {SCRIPT}\r\nServer: {SERVER}\r\nContent-Type: text/html\r\n"
                  f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        return
    upgrade(c, f"Server: {SERVER}\r\n")
    echoed = 0
    while True:
        fin, op, data = read_frame(c)
        if op == 8:
            c.sendall(frame(8, data[:2], mask=False))
            return
        if op == 9:
            c.sendall(frame(10, data, mask=False))
        elif op in (1, 2):
            c.sendall(frame(op, data, fin=fin, mask=False))
            echoed += 1
            if echoed == ECHOES:
                reason = REASONS[(k // 2) % 2].encode()
                c.sendall(frame(8, struct.pack("!H", 1000) + reason, mask=False))


def serve(c, k):
    c.settimeout(10)
    upgrade(c, f"Server: {SERVER}\r\nX-Note: {IMG}\r\n")
    while True:
        fin, op, data = read_frame(c)
        if op == 8:
            reason = REASONS[k % len(REASONS)].encode()
            c.sendall(frame(8, struct.pack("!H", 1000) + reason[:123], mask=False))
            return
        if op == 9:
            c.sendall(frame(10, data, mask=False))
        elif op in (0, 1, 2) and fin:
            c.sendall(frame(1, PAYLOADS[k % len(PAYLOADS)].encode(), mask=False))


def main():
    port = int(sys.argv[1])
    handler = serve_load if "--load" in sys.argv[2:] else serve
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
                handler(c, k)
            except (OSError, ConnectionError, ValueError):
                pass
            finally:
                c.close()

        threading.Thread(target=run, daemon=True).start()


main()
