#!/usr/bin/python3
"""The exact bytes `wsprobe check` writes, seen by a capture server.

The capture server on 127.0.0.1 completes the upgrade of every connection
(whatever the request says), then records every byte it receives with its
arrival time, answers nothing, and keeps each connection's request head and
bytes under the request target. User cases (--cases-dir), one target each,
send what cases/README.md documents, and this test compares the bytes:

- FIN, RSV and opcode by name and by number (reserved opcodes too);
- the mask: an explicit key (RFC 6455 §5.7's own example), no mask, a fresh
  random key that unmasks the payload;
- declared lengths that lie, in the 16- and 64-bit forms, and len_form
  forcing 7, 16 or 64 bits;
- payloads as text, {text}, hex, repeat (byte, number, text), codepoints,
  concat and seeded random (the same seed gives the same bytes, in one case
  and across connections; another seed other bytes);
- chopped writes and `count` copies with delays (each gap at least the delay,
  minus a generous margin), a sleep step, raw bytes (also chopped);
- the handshake: the default request, one built field by field (method,
  path, HTTP version, key, a header set in place under a new spelling, one
  added, one omitted, one duplicated) with a frame in the same write, and a
  raw request with {path} {host} {key} filled in.

After the steps the engine starts the closing phase; its masked close 1000
must follow the case's bytes directly. Nothing answers it, so the closing
verdicts are FAILED: the exit status is not what is tested here."""
import base64
import json
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import ROOT, WSPROBE, RawServer, Results, upgrade  # noqa: E402
from serve_wire import frame  # noqa: E402

ENV = dict(os.environ, NO_COLOR="1")
BASE = "/base"
GAP_MARGIN = 0.6  # an arrival gap must be at least 60% of the delay asked for
RFC_57_HELLO = bytes.fromhex("818537fa213d7f9f4d5158")  # RFC 6455 §5.7, masked "Hello"


class Capture:
    """Per request target: the request head and [(arrival time, bytes)]."""

    def __init__(self):
        self.lock = threading.Lock()
        self.seen = {}
        self.srv = RawServer(self.behave)

    def behave(self, srv, c):
        head, rest = upgrade(c)
        chunks = [(time.monotonic(), rest)] if rest else []
        target = head.split(b"\r\n", 1)[0].split(b" ")[1].decode("latin-1")
        c.settimeout(0.1)
        end = time.monotonic() + 30
        while not srv.stop and time.monotonic() < end:
            try:
                d = c.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not d:
                break
            chunks.append((time.monotonic(), d))
        with self.lock:
            self.seen[target] = (head, chunks)

    def get(self, target):
        with self.lock:
            head, chunks = self.seen.get(target, (b"", []))
        return head, b"".join(d for _, d in chunks), chunks


def arrival(chunks, offset):
    """When the byte at this offset of the stream arrived."""
    pos = 0
    for t, d in chunks:
        if offset < pos + len(d):
            return t
        pos += len(d)
    raise IndexError(f"byte {offset} never arrived ({pos} bytes in all)")


def mask(key, data):
    return bytes(b ^ key[i % 4] for i, b in enumerate(data))


def closing_frame_follows(stream, n):
    """The stream after its first n bytes is our masked close 1000."""
    rest = stream[n:]
    return len(rest) == 8 and rest[:2] == b"\x88\x82" and mask(rest[2:6], rest[6:]) == b"\x03\xe8"


def case(cid, steps, hs=None, **fields):
    """A user case whose handshake targets BASE/<cid>, so the capture can find it."""
    h = {"path": "{path}/" + cid}
    h.update(hs or {})
    return {"id": cid, "title": f"wire {cid}", "rfc": "6455 §5.2", **fields,
            "steps": [{"handshake": h}] + steps}


K = "0a0b0c0d"
KEY = bytes.fromhex(K)
CASES = [
    # FIN / RSV / opcode by name and number
    case("96.1", [
        {"send": {"op": "text", "fin": False, "rsv": 5, "mask": K, "payload": "Hi"}},
        {"send": {"op": "cont", "mask": K, "payload": "!"}},
        {"send": {"op": "binary", "rsv": 2, "mask": K}},
        {"send": {"op": "ping", "mask": False, "payload": "p"}},
        {"send": {"op": "pong", "mask": False}},
        {"send": {"op": 1, "mask": False, "payload": "one"}},
        {"send": {"op": 3, "fin": False, "rsv": 7, "mask": False, "payload": "x"}},
        {"send": {"op": 15, "mask": False}}]),
    # masks; the case's own close frame ends the stream
    case("96.2", [
        {"send": {"op": "text", "mask": False, "payload": "plain"}},
        {"send": {"op": "text", "mask": "37fa213d", "payload": "Hello"}},
        {"send": {"op": "text", "payload": "random key"}},
        {"send": {"op": "close", "mask": "00000000", "payload": {"hex": "03e8"}}}]),
    # declared lengths and length forms
    case("96.3", [
        {"send": {"op": "binary", "mask": False, "payload": "abc", "length": 1000}},
        {"send": {"op": "binary", "mask": False, "payload": "abc", "length": 5, "len_form": 64}},
        {"send": {"op": "binary", "mask": False, "payload": "abc", "length": 70000}},
        {"send": {"op": "binary", "mask": False, "payload": "abc", "len_form": 16}},
        {"send": {"op": "binary", "mask": False, "payload": "abc", "length": 2, "len_form": 7}},
        {"send": {"op": "binary", "mask": K, "payload": "abcd", "length": 300, "len_form": 64}}]),
    # payload forms
    case("96.4", [
        {"send": {"op": "text", "mask": False, "payload": "Hello"}},
        {"send": {"op": "text", "mask": False, "payload": {"text": "é"}}},
        {"send": {"op": "binary", "mask": False, "payload": {"hex": "ce ba e1"}}},
        {"send": {"op": "binary", "mask": False, "payload": {"repeat": {"byte": "*", "count": 300}}}},
        {"send": {"op": "binary", "mask": False, "payload": {"repeat": {"byte": 0, "count": 3}}}},
        {"send": {"op": "text", "mask": False, "payload": {"repeat": {"text": "ab", "count": 3}}}},
        {"send": {"op": "binary", "mask": False, "payload": {"codepoints": [955, 55296]}}},
        {"send": {"op": "text", "mask": False, "payload": {
            "concat": ["a", {"hex": "62"}, {"repeat": {"text": "c", "count": 2}}]}}},
        {"send": {"op": "binary", "mask": False, "payload": {"random": {"seed": 7, "size": 64}}}},
        {"send": {"op": "binary", "mask": False, "payload": {"random": {"seed": 7, "size": 64}}}},
        {"send": {"op": "binary", "mask": False, "payload": {"random": {"seed": 8, "size": 64}}}}]),
    # the same seed on another connection
    case("96.5", [
        {"send": {"op": "binary", "mask": False, "payload": {"random": {"seed": 7, "size": 64}}}}]),
    # chop, delay, count, sleep
    case("96.6", [
        {"send": {"op": "binary", "mask": False, "payload": {"hex": "0102030405060708"},
                  "chop": 3, "delay": 200}},
        {"sleep": 400},
        {"send": {"op": "text", "mask": False, "payload": "c", "count": 3, "delay": 250}}]),
    # raw bytes, whole and chopped
    case("96.7", [
        {"raw": {"hex": "81 85 37fa213d 7f9f4d5158"}},
        {"raw": "abcdef", "chop": 2, "delay": 150}]),
    # a handshake built field by field, with a frame in the same write
    case("96.8", [{"send": {"op": "text", "mask": False, "payload": "after"}}], hs={
        "method": "PUT", "path": "{path}/96.8?x=1", "version": "HTTP/1.0",
        "key": "dGhlIHNhbXBsZSBub25jZQ==", "set": {"upgrade": "WEBSOCKET", "X-New": "n"},
        "omit": ["Sec-WebSocket-Version"], "add": [["X-Dup", "1"], ["X-Dup", {"hex": "32"}]],
        "early": [{"op": "binary", "mask": False, "payload": "early"}]}),
    # a raw handshake
    case("96.9", [{"send": {"op": "text", "mask": False, "payload": "raw"}}], hs={
        "raw": "GET {path}?raw HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               "X-Raw: {host}\r\nX-Raw: again\r\n\r\n"}),
    # the default handshake: no handshake step, the URL's own target
    {"id": "96.10", "title": "wire 96.10", "rfc": "6455 §4.1",
     "steps": [{"send": {"op": "text", "mask": False, "payload": "default"}}]},
]


def expected_96_1():
    return (bytes([0x51, 0x82]) + KEY + mask(KEY, b"Hi") +
            bytes([0x80, 0x81]) + KEY + mask(KEY, b"!") +
            bytes([0xA2, 0x80]) + KEY +
            b"\x89\x01p" + b"\x8a\x00" + b"\x81\x03one" + b"\x73\x01x" + b"\x8f\x00")


def expected_96_3():
    return (b"\x82\x7e\x03\xe8abc" +
            b"\x82\x7f" + struct.pack("!Q", 5) + b"abc" +
            b"\x82\x7f" + struct.pack("!Q", 70000) + b"abc" +
            b"\x82\x7e\x00\x03abc" +
            b"\x82\x02abc" +
            b"\x82\xff" + struct.pack("!Q", 300) + KEY + mask(KEY, b"abcd"))


def expected_96_4_fixed():
    """The frames before the three random ones."""
    def plain(op, payload):
        return frame(op, payload, mask=False)
    return (plain(1, b"Hello") + plain(1, "é".encode()) +
            plain(2, bytes.fromhex("cebae1")) + plain(2, b"*" * 300) +
            plain(2, b"\0\0\0") + plain(1, b"ababab") +
            plain(2, bytes.fromhex("cebbeda080")) + plain(1, b"abcc"))


def main():
    r = Results()
    cap = Capture()
    tmp = tempfile.mkdtemp(prefix="wsprobe-wire-")
    cdir = os.path.join(tmp, "cases")
    os.mkdir(cdir)
    with open(os.path.join(cdir, "96.json"), "w", encoding="utf-8") as f:
        json.dump({"section": "96", "title": "wire", "defaults": {"close_timeout": 0.3},
                   "cases": CASES}, f, ensure_ascii=False)
    url = f"ws://127.0.0.1:{cap.srv.port}{BASE}"
    rep = os.path.join(tmp, "report")
    try:
        p = subprocess.run([WSPROBE, "check", url, "--cases-dir", cdir, "--cases", "96", "-j", "4",
                            "--report", rep], capture_output=True, text=True, timeout=120,
                           cwd=ROOT, env=ENV, errors="replace")
        # the capture keeps a connection once the client has closed it
        deadline = time.monotonic() + 10
        while len(cap.seen) < len(CASES) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        cap.srv.close()
    with open(os.path.join(rep, "report.json")) as f:
        cases = {c["id"]: c for c in json.load(f)["cases"]}
    r.check("every case ran its steps (verdict OK; nobody answers the close)",
            all(cases.get(c["id"], {}).get("verdict") == "OK" for c in CASES),
            ({i: (c["verdict"], c["reason"]) for i, c in cases.items()}, p.stderr[-500:]))

    head, s, _ = cap.get(BASE + "/96.1")
    want = expected_96_1()
    r.check("FIN/RSV/opcode by name and number, explicit key",
            s[:len(want)] == want and closing_frame_follows(s, len(want)),
            (s.hex(), want.hex()))

    head, s, _ = cap.get(BASE + "/96.2")
    plain = b"\x81\x05plain"
    ok = s.startswith(plain + RFC_57_HELLO) and s[len(plain) + 11:len(plain) + 13] == b"\x81\x8a"
    rk = s[len(plain) + 13:len(plain) + 17]
    body = s[len(plain) + 17:len(plain) + 27]
    r.check("mask off; key 37fa213d gives RFC 6455 §5.7's bytes; a random key unmasks",
            ok and mask(rk, body) == b"random key", s.hex())
    r.check("a close step ends the stream: no second close from the closing phase",
            s[len(plain) + 27:] == b"\x88\x82\x00\x00\x00\x00\x03\xe8", s[len(plain) + 27:].hex())

    head, s, _ = cap.get(BASE + "/96.3")
    want = expected_96_3()
    r.check("lying declared lengths (16-bit, 64-bit), len_form 7/16/64",
            s[:len(want)] == want and closing_frame_follows(s, len(want)), (s.hex(), want.hex()))

    head, s, _ = cap.get(BASE + "/96.4")
    want = expected_96_4_fixed()
    rnd = s[len(want):]
    frames = [rnd[i * 66:(i + 1) * 66] for i in range(3)]
    r.check("payload forms: text, {text}, hex, repeat byte/number/text, codepoints, concat",
            s[:len(want)] == want, (s[:len(want)].hex(), want.hex()))
    r.check("random: 64 bytes, same seed same bytes, other seed other bytes",
            all(f[:2] == b"\x82\x40" for f in frames) and frames[0] == frames[1] and
            frames[0] != frames[2] and len(set(frames[0][2:])) > 16 and
            closing_frame_follows(rnd, 3 * 66), [f.hex() for f in frames])
    head, s5, _ = cap.get(BASE + "/96.5")
    r.check("random: the same seed on another connection gives the same bytes",
            s5[:66] == frames[0] and closing_frame_follows(s5, 66), (s5[:66].hex(), frames[0].hex()))

    head, s, chunks = cap.get(BASE + "/96.6")
    chopped = b"\x82\x08" + bytes(range(1, 9))
    copies = b"\x81\x01c" * 3
    r.check("chopped frame, then three copies: bytes unchanged",
            s[:len(chopped) + len(copies)] == chopped + copies and
            closing_frame_follows(s, len(chopped) + len(copies)), s.hex())
    gaps = [arrival(chunks, k) - arrival(chunks, k - 3) for k in (3, 6, 9)]
    r.check("chop 3, delay 200: each piece arrives >= 200 ms after the previous (margin)",
            all(g >= 0.2 * GAP_MARGIN for g in gaps), [round(g, 3) for g in gaps])
    slept = arrival(chunks, 10) - arrival(chunks, 9)
    r.check("sleep 400 between the steps", slept >= 0.4 * GAP_MARGIN, round(slept, 3))
    gaps = [arrival(chunks, 10 + 3 * k) - arrival(chunks, 10 + 3 * (k - 1)) for k in (1, 2)]
    r.check("count 3, delay 250: each copy >= 250 ms after the previous (margin)",
            all(g >= 0.25 * GAP_MARGIN for g in gaps), [round(g, 3) for g in gaps])

    head, s, chunks = cap.get(BASE + "/96.7")
    r.check("raw bytes as written, chopped raw too",
            s[:17] == RFC_57_HELLO + b"abcdef" and closing_frame_follows(s, 17), s.hex())
    gaps = [arrival(chunks, k) - arrival(chunks, k - 2) for k in (13, 15)]
    r.check("raw chop 2, delay 150: pieces >= 150 ms apart (margin)",
            all(g >= 0.15 * GAP_MARGIN for g in gaps), [round(g, 3) for g in gaps])

    host = f"127.0.0.1:{cap.srv.port}"
    head, s, _ = cap.get(BASE + "/96.8?x=1")
    want = (f"PUT {BASE}/96.8?x=1 HTTP/1.0\r\nHost: {host}\r\nupgrade: WEBSOCKET\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "X-New: n\r\nX-Dup: 1\r\nX-Dup: 2\r\n\r\n").encode()
    r.check("handshake field by field: method, path, version, key, set in place, "
            "omitted, added, duplicated", head == want, (head, want))
    r.check("the early frame follows the request, then the steps",
            s[:len(b"\x82\x05early\x81\x05after")] == b"\x82\x05early\x81\x05after" and
            closing_frame_follows(s, 14), s.hex())

    head, s, _ = cap.get(BASE + "?raw")
    m = re.fullmatch((f"GET {BASE}\\?raw HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: ([A-Za-z0-9+/]{22}==)\r\n"
                      f"Sec-WebSocket-Version: 13\r\nX-Raw: {host}\r\nX-Raw: again\r\n\r\n")
                     .encode(), head)
    r.check("raw handshake: written as given, {path} {host} {key} filled in",
            m is not None and len(base64.b64decode(m.group(1))) == 16, head)
    r.check("raw handshake: the steps follow",
            s[:5] == b"\x81\x03raw" and closing_frame_follows(s, 5), s.hex())

    head, s, _ = cap.get(BASE)
    m = re.fullmatch((f"GET {BASE} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: ([A-Za-z0-9+/]{22}==)\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n").encode(), head)
    r.check("default handshake: the documented lines in order, a fresh 16-byte key",
            m is not None and len(base64.b64decode(m.group(1))) == 16, head)
    r.check("default handshake: the step follows",
            s[:9] == b"\x81\x07default" and closing_frame_follows(s, 9), s.hex())
    r.finish()


main()
