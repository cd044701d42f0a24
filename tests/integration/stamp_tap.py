#!/usr/bin/python3
"""A transparent TCP relay in front of a WebSocket server that notes, for each
client connection, its source address and the connection ids in the stamps of
the messages the server echoes back (wsprobe load's payloads start with a
40-byte stamp whose bytes 24..32 are the connection id in hex; server frames
are unmasked, so the ids can be read without touching the traffic).

    stamp_tap.py LISTEN_HOST LISTEN_PORT BACKEND_PORT OUT.json

Relays to 127.0.0.1:BACKEND_PORT. On SIGTERM it writes OUT.json:
{"connections": [{"peer": "10.123.0.11", "ids": [0]}, ...]} and exits."""
import json
import signal
import socket
import struct
import sys
import threading

STAMP = 40
lock = threading.Lock()
conns = []


def pump(src, dst, frames=None):
    """Copies src to dst until either side ends; frames, if given, reads along."""
    try:
        while True:
            d = src.recv(65536)
            if not d:
                break
            if frames:
                frames.feed(d)
            dst.sendall(d)
    except OSError:
        pass
    for s in (dst, src):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class Frames:
    """Reads the server's bytes: the HTTP response, then frames."""

    def __init__(self, ids):
        self.buf, self.ids, self.in_body = b"", ids, False

    def feed(self, d):
        self.buf += d
        if not self.in_body:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            self.buf, self.in_body = self.buf[end + 4:], True
        while len(self.buf) >= 2:
            op, n = self.buf[0] & 0x0F, self.buf[1] & 0x7F
            head = 2
            if n == 126:
                if len(self.buf) < 4:
                    return
                n, head = struct.unpack("!H", self.buf[2:4])[0], 4
            elif n == 127:
                if len(self.buf) < 10:
                    return
                n, head = struct.unpack("!Q", self.buf[2:10])[0], 10
            if len(self.buf) < head + n:
                return
            payload = self.buf[head:head + n]
            self.buf = self.buf[head + n:]
            if op in (1, 2) and n >= STAMP:
                try:
                    self.ids.add(int(payload[24:32], 16))
                except ValueError:
                    pass


def main():
    host, port, backend_port, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

    def stop(*_):
        with lock:
            doc = {"connections": [{"peer": p, "ids": sorted(i)} for p, i in conns]}
        with open(out, "w") as f:
            json.dump(doc, f)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(256)
    while True:
        c, addr = ls.accept()
        try:
            b = socket.create_connection(("127.0.0.1", backend_port), timeout=5)
        except OSError:
            # the server is not up yet (or gone): this client is turned away,
            # the relay keeps serving the next one
            c.close()
            continue
        b.settimeout(None)
        ids = set()
        with lock:
            conns.append((addr[0], ids))
        threading.Thread(target=pump, args=(c, b), daemon=True).start()
        threading.Thread(target=pump, args=(b, c, Frames(ids)), daemon=True).start()


main()
