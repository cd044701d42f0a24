#!/usr/bin/python3
"""wsprobe serve against bad and tricky input over raw sockets: garbage and
half handshakes, lying and oversized frame lengths, invalid UTF-8 (fail-fast,
in the middle of a fragmented message), protocol violations, malformed close
frames, and a client that never reads. After each, a connection opened at the
start must still echo: one bad peer never takes the server down.
Finally the summary line printed on SIGINT must count exactly what we did."""
import os
import signal
import socket
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import Results, free_port, serve  # noqa: E402
from serve_wire import (OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT,  # noqa: E402
                        Conn, close_payload, expect, frame, summary_counts)

R = Results()
port = free_port()
tmp = tempfile.mkdtemp(prefix="wsprobe-serve-bad-")
log = os.path.join(tmp, "serve.log")
HS_TIMEOUT = 2
MAX_MESSAGE = 1 << 20
MAX_FRAME = 3 << 18  # 768 KiB: two 512 KiB fragments pass it, and exceed MAX_MESSAGE
expect_protocol_errors = 0
expect_messages = 0


def opened():
    c = Conn(port)
    c.upgrade()
    return c


def fails_with(code, *frames, read_timeout=5.0):
    """Sends frames on a fresh connection; the server must answer with a close
    carrying `code` and then close TCP."""
    global expect_protocol_errors
    c = opened()
    try:
        for f in frames:
            c.send(f)
        got = c.read_close_code(read_timeout)
        expect_protocol_errors += 1
        if got != code:
            raise AssertionError(f"close code {got}, expected {code}")
        if not c.wait_eof(3.0):
            raise AssertionError("TCP not closed after the close frame")
    finally:
        c.close()


def witness_echo(w, i):
    global expect_messages
    payload = f"still here {i}".encode()
    op, got = w.echo(OP_TEXT, payload)
    expect_messages += 1
    expect(op == OP_TEXT and got == payload, f"echo {op} {got!r}")


def garbage_gets_400():
    c = Conn(port)
    try:
        c.send(b"\x00\x01\x02 this is not HTTP \xff\xfe\r\n\r\n")
        status, _ = c.read_head()
        if status != 400:
            raise AssertionError(f"status {status}")
        if not c.wait_eof(3.0):
            raise AssertionError("not closed after 400")
    finally:
        c.close()


def not_websocket_refused():
    c = Conn(port)
    try:
        c.send(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        status, _ = c.read_head()
        if status not in (400, 426):
            raise AssertionError(f"status {status}")
        if not c.wait_eof(3.0):
            raise AssertionError("not closed after refusal")
    finally:
        c.close()


def wrong_version_426():
    c = Conn(port)
    try:
        c.send(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               b"Sec-WebSocket-Version: 8\r\n\r\n")
        status, headers = c.read_head()
        if status != 426 or headers.get("sec-websocket-version") != "13":
            raise AssertionError(f"status {status} headers {headers}")
    finally:
        c.close()


def oversized_head_refused():
    c = Conn(port)
    try:
        c.send(b"GET / HTTP/1.1\r\n" + b"X-Pad: " + b"a" * 40000 + b"\r\n\r\n")
        status, _ = c.read_head()
        if status not in (400, 431):
            raise AssertionError(f"status {status}")
    except (BrokenPipeError, ConnectionResetError, EOFError):
        raise AssertionError("connection dropped without a status")
    finally:
        c.close()


def half_handshake_times_out():
    c = Conn(port, timeout=HS_TIMEOUT + 5)
    try:
        c.send(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n")
        t0 = time.monotonic()
        closed = c.wait_eof(HS_TIMEOUT + 3)
        took = time.monotonic() - t0
        if not closed:
            raise AssertionError("still open after the handshake timeout")
        if took < HS_TIMEOUT - 0.5:
            raise AssertionError(f"closed after {took:.1f}s, before the {HS_TIMEOUT}s timeout")
    finally:
        c.close()


def silent_connection_times_out():
    c = Conn(port, timeout=HS_TIMEOUT + 5)
    try:
        expect(c.wait_eof(HS_TIMEOUT + 3), "idle unupgraded connection never closed")
    finally:
        c.close()


def len_2_63():
    # 127 + 8 bytes with the most significant bit set: RFC 6455 §5.2 forbids it.
    bad = bytes([0x82, 0xFF]) + b"\x80" + b"\x00" * 7 + os.urandom(4)
    return fails_with(1002, bad)


def len_2_62():
    bad = bytes([0x82, 0xFF]) + b"\x40" + b"\x00" * 7 + os.urandom(4)
    return fails_with(1009, bad)


def utf8_fail_fast():
    # The final fragment is never sent: only a fail-fast check can answer.
    return fails_with(1007, frame(OP_TEXT, "κόσμε".encode(), fin=False),
                      frame(OP_CONT, b"\xce\xba\xed\xa0\x80more", fin=False), read_timeout=3.0)


def utf8_fail_fast_within_frame():
    # One text frame declaring 1000 bytes; only its first 12 arrive, with an
    # invalid byte among them: the server must not wait for the other 988.
    whole = frame(OP_TEXT, b"valid \xf8 bad" + b"x" * 987)
    return fails_with(1007, whole[:8 + 12], read_timeout=3.0)


def text_frame_in_pieces_ok():
    """A 200 KB text frame written in odd-sized pieces (so the mask offset and
    UTF-8 sequences straddle the boundaries) comes back intact."""
    global expect_messages
    text = ("ab€ " * 30000).encode()[:200003].decode("utf-8", "ignore").encode()
    data = frame(OP_TEXT, text)
    c = opened()
    try:
        for i in range(0, len(data), 4001):
            c.send(data[i:i + 4001])
            time.sleep(0.002)
        _, _, op, payload = c.read_frame(10.0)
        expect_messages += 1
        expect(op == OP_TEXT and payload == text, f"op {op}, {len(payload)} bytes")
    finally:
        c.close()


def deflated(data):
    """A raw-deflate message payload as RFC 7692 §7.2.1 sends it (tail removed)."""
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    out = z.compress(data) + z.flush(zlib.Z_SYNC_FLUSH)
    return out[:-4] if out.endswith(b"\x00\x00\xff\xff") else out


def opened_deflate():
    c = Conn(port)
    headers = c.upgrade(b"Sec-WebSocket-Extensions: permessage-deflate\r\n")
    expect(headers.get("sec-websocket-extensions", "").startswith("permessage-deflate"),
           f"not negotiated: {headers}")
    return c


def deflate_hello_echoed():
    """RFC 7692 §7.2.3.1's compressed "Hello" comes back compressed (RSV1)."""
    global expect_messages
    c = opened_deflate()
    try:
        c.send(frame(OP_TEXT, bytes.fromhex("f248cdc9c90700"), rsv=4))
        fin, rsv, op, payload = c.read_frame()
        expect_messages += 1
        expect(fin and rsv == 4 and op == OP_TEXT, f"fin {fin} rsv {rsv} op {op}")
        got = zlib.decompressobj(-15).decompress(payload + b"\x00\x00\xff\xff")
        expect(got == b"Hello", repr(got))
    finally:
        c.close()


def deflate_bomb():
    # 2 MiB of zeros deflate to about 2 KB; inflated they are over --max-message.
    c = opened_deflate()
    global expect_protocol_errors
    try:
        c.send(frame(OP_BINARY, deflated(b"\0" * (2 * MAX_MESSAGE)), rsv=4))
        code = c.read_close_code()
        expect_protocol_errors += 1
        expect(code == 1009, f"close code {code}")
    finally:
        c.close()


def deflate_rsv1_on_continuation():
    c = opened_deflate()
    global expect_protocol_errors
    try:
        c.send(frame(OP_TEXT, deflated(b"frag"), fin=False, rsv=4) +
               frame(OP_CONT, deflated(b"ment"), rsv=4))
        code = c.read_close_code()
        expect_protocol_errors += 1
        expect(code == 1002, f"close code {code}")
    finally:
        c.close()


def deflate_garbage():
    c = opened_deflate()
    global expect_protocol_errors
    try:
        c.send(frame(OP_BINARY, b"\xff\xff\xff\xff not deflate", rsv=4))
        code = c.read_close_code()
        expect_protocol_errors += 1
        expect(code in (1002, 1007), f"close code {code}")
        expect(c.wait_eof(3.0), "TCP not closed")
    finally:
        c.close()


def utf8_split_across_frames_ok():
    global expect_messages
    c = opened()
    try:
        euro = "€".encode()  # e2 82 ac, split over three frames
        c.send(frame(OP_TEXT, b"a" + euro[:1], fin=False) + frame(OP_CONT, euro[1:2], fin=False) +
               frame(OP_CONT, euro[2:] + b"z"))
        _, _, op, payload = c.read_frame()
        expect_messages += 1
        expect(op == OP_TEXT and payload == b"a" + euro + b"z", repr(payload))
    finally:
        c.close()


def utf8_truncated_at_end():
    return fails_with(1007, frame(OP_TEXT, b"abc\xe2\x82"))


def ping_between_fragments():
    global expect_messages
    c = opened()
    try:
        c.send(frame(OP_TEXT, b"frag1", fin=False) + frame(OP_PING, b"ping!") +
               frame(OP_CONT, b"frag2"))
        f1 = c.read_frame()
        f2 = c.read_frame()
        expect_messages += 1
        if f1[2] != OP_PONG or f1[3] != b"ping!":
            raise AssertionError(f"first frame {f1}")
        if f2[2] != OP_TEXT or f2[3] != b"frag1frag2" or not f2[0]:
            raise AssertionError(f"second frame {f2}")
    finally:
        c.close()


def unsolicited_pong_ignored():
    global expect_messages
    c = opened()
    try:
        c.send(frame(OP_PONG, b"unasked"))
        op, payload = c.echo(OP_BINARY, b"\x00\x01")
        expect_messages += 1
        expect((op, payload) == (OP_BINARY, b"\x00\x01"), f"got {op} {payload}")
    finally:
        c.close()


def close_echoes_code():
    c = opened()
    try:
        c.send(frame(OP_CLOSE, close_payload(3000, b"bye")))
        code = c.read_close_code()
        if code != 3000:
            raise AssertionError(f"close code {code}")
        # §7.1.1: the server closes TCP first; we have not closed ours.
        expect(c.wait_eof(3.0), "server did not close TCP")
    finally:
        c.close()


def close_empty():
    c = opened()
    try:
        c.send(frame(OP_CLOSE, b""))
        _, _, op, payload = c.read_frame()
        expect(op == OP_CLOSE and payload in (b"", b"\x03\xe8"), f"{op} {payload!r}")
    finally:
        c.close()


def main():
    global expect_protocol_errors, expect_messages
    srv = serve(port, "--handshake-timeout", str(HS_TIMEOUT), "--max-message",
                str(MAX_MESSAGE), "--max-frame", str(MAX_FRAME), "--deflate", "--threads", "2",
                log=log)
    witness = Conn(port)
    witness.upgrade()
    try:
        checks = [
            ("garbage bytes get 400 then close", garbage_gets_400),
            ("plain GET without upgrade is refused", not_websocket_refused),
            ("Sec-WebSocket-Version 8 gets 426 with version 13", wrong_version_426),
            ("40 KB request head is refused", oversized_head_refused),
            ("half handshake closed after the timeout", half_handshake_times_out),
            ("connection that never speaks is closed", silent_connection_times_out),
            ("64-bit length with MSB set (2^63) -> 1002", len_2_63),
            ("length 2^62 -> 1009", len_2_62),
            ("invalid UTF-8 mid fragmented message -> 1007 before the end", utf8_fail_fast),
            ("invalid UTF-8 early in a frame -> 1007 before the frame is complete",
             utf8_fail_fast_within_frame),
            ("UTF-8 sequence split over three frames is fine", utf8_split_across_frames_ok),
            ("200 KB text frame sent in odd-sized pieces echoed intact", text_frame_in_pieces_ok),
            ("text ending inside a UTF-8 sequence -> 1007", utf8_truncated_at_end),
            ("RSV1 without extension -> 1002", lambda: fails_with(1002, frame(OP_TEXT, b"x", rsv=4))),
            ("RSV2 -> 1002", lambda: fails_with(1002, frame(OP_BINARY, b"x", rsv=2))),
            ("reserved opcode 3 -> 1002", lambda: fails_with(1002, frame(3, b"x"))),
            ("reserved opcode 0xB -> 1002", lambda: fails_with(1002, frame(0xB, b""))),
            ("unmasked client frame -> 1002", lambda: fails_with(1002, frame(OP_TEXT, b"x", mask=False))),
            ("ping with 126 bytes -> 1002", lambda: fails_with(1002, frame(OP_PING, b"p" * 126))),
            ("fragmented ping -> 1002", lambda: fails_with(1002, frame(OP_PING, b"p", fin=False))),
            ("continuation with no message -> 1002", lambda: fails_with(1002, frame(OP_CONT, b"x"))),
            ("text inside a fragmented message -> 1002",
             lambda: fails_with(1002, frame(OP_TEXT, b"a", fin=False), frame(OP_TEXT, b"b"))),
            ("message over --max-message -> 1009",
             lambda: fails_with(1009, frame(OP_BINARY, b"\0" * (MAX_MESSAGE + 1)))),
            ("fragments adding up over --max-message -> 1009",
             lambda: fails_with(1009, frame(OP_BINARY, b"\0" * (MAX_MESSAGE // 2 + 1), fin=False),
                                frame(OP_CONT, b"\0" * (MAX_MESSAGE // 2 + 1)))),
            ("frame over --max-frame (message under --max-message) -> 1009",
             lambda: fails_with(1009, frame(OP_BINARY, b"\0" * (MAX_FRAME + 1)))),
            ("deflate: RFC 7692 compressed 'Hello' echoed compressed", deflate_hello_echoed),
            ("deflate: message inflating past --max-message -> 1009", deflate_bomb),
            ("deflate: RSV1 on a continuation frame -> 1002", deflate_rsv1_on_continuation),
            ("deflate: payload that is not deflate data -> close", deflate_garbage),
            ("close with a 1-byte payload -> 1002", lambda: fails_with(1002, frame(OP_CLOSE, b"\x03"))),
            ("close with code 1005 -> 1002", lambda: fails_with(1002, frame(OP_CLOSE, close_payload(1005)))),
            ("close with code 999 -> 1002", lambda: fails_with(1002, frame(OP_CLOSE, close_payload(999)))),
            ("close with invalid UTF-8 reason -> 1007",
             lambda: fails_with(1007, frame(OP_CLOSE, close_payload(1000, b"\xff\xfe")))),
            ("ping between fragments answered first, message reassembled", ping_between_fragments),
            ("unsolicited pong ignored", unsolicited_pong_ignored),
            ("close 3000 echoed, then the server closes TCP", close_echoes_code),
            ("empty close answered with a close", close_empty),
        ]
        for i, (name, fn) in enumerate(checks):
            R.run(name, fn)
            R.run(f"  other connection still echoes after: {name}", witness_echo, witness, i)
        R.run("a new connection still works", lambda: witness_echo(opened(), -1))
        R.run("client that never reads stops being read (back-pressure)", never_reader)
        R.run("other connection still echoes after back-pressure", witness_echo, witness, 99)
    finally:
        witness.close()
        time.sleep(0.3)
        os.kill(srv.pid, signal.SIGINT)
        rc = srv.stop()
    R.check("server exits 0 on SIGINT", rc == 0, f"rc={rc}")
    counts = summary_counts(log)
    R.check("summary line printed", counts is not None, open(log, errors="replace").read()[-2000:])
    if counts:
        R.check("summary counts protocol errors exactly",
                counts.get("protocol_errors") == expect_protocol_errors,
                f"{counts.get('protocol_errors')} != {expect_protocol_errors}")
        # The never-reading client's echoes: as many as the server read before
        # it stopped, which only the server knows; at most what was pushed.
        lo, hi = expect_messages, expect_messages + getattr(never_reader, "pushed", 0)
        R.check("summary counts echoed messages exactly",
                lo <= counts.get("messages", -1) <= hi,
                f"{counts.get('messages')} not in [{lo}, {hi}]")
        R.check("summary counts handshake refusals and timeouts",
                counts.get("handshake_errors") == 6, f"{counts}")
    with open(log, errors="replace") as f:
        text = f.read()
    R.check("no sanitizer findings", "Sanitizer" not in text and "runtime error" not in text,
            text[-3000:])
    R.finish()


def never_reader():
    """Sends 512 KiB messages without reading the echoes: once our socket
    buffers and the server's output bound fill, the server must stop reading,
    so our sends stall far below what we tried to push."""
    c = opened()
    msg = frame(OP_BINARY, b"\xab" * (512 << 10))  # under --max-frame
    sent = 0
    limit = 256 << 20
    c.sock.setblocking(False)
    deadline = time.monotonic() + 8.0
    stalled_since = None
    stalled = False
    while sent < limit and time.monotonic() < deadline:
        try:
            sent += c.sock.send(msg[sent % len(msg):])
            stalled_since = None
        except BlockingIOError:
            if stalled_since is None:
                stalled_since = time.monotonic()
            elif time.monotonic() - stalled_since > 1.0:
                stalled = True
                break
            time.sleep(0.02)
    c.close()
    time.sleep(0.5)
    never_reader.pushed = sent // len(msg) + 1
    print(f"     (pushed {sent / (1 << 20):.1f} MiB before the server stopped reading)")
    if not stalled:
        raise AssertionError(f"pushed {sent >> 20} MiB and the server kept reading")
    if sent > (64 << 20):
        raise AssertionError(f"server read {sent >> 20} MiB before pushing back")
    return None


if __name__ == "__main__":
    main()
