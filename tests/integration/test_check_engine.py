#!/usr/bin/python3
"""The case engine's features that the catalogue relies on, each against a real
server: verdict precedence for informational cases, placeholders in `why`,
oversized replies as events, RSV bits on compressed continuations, extension
parameter patterns, offer hints honoured by our compressor, and {i} in repeats."""
import os
import re
import struct
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import (RawServer, Results, check_report, free_port, read_exact,  # noqa: E402
                          serve, upgrade, user_cases)


def check(url, *args, wire_logs="not-ok"):
    """Runs wsprobe check with --report; returns (process, {id: case}). Only
    cases not OK keep their wire log unless wire_logs is "all"."""
    return check_report(url, *args, timeout=120, wire_logs=wire_logs, missing_ok=True)


def fresh_inflater(srv, c):
    """Accepts permessage-deflate without parameters, then inflates every
    message with a fresh zlib context (as a client that offered
    client_no_context_takeover promised) and echoes it uncompressed; a message
    it cannot inflate gets close 1007."""
    upgrade(c, "Sec-WebSocket-Extensions: permessage-deflate\r\n")
    while True:
        h = read_exact(c, 2)
        op, n = h[0] & 15, h[1] & 127
        if n == 126:
            n = struct.unpack("!H", read_exact(c, 2))[0]
        elif n == 127:
            n = struct.unpack("!Q", read_exact(c, 8))[0]
        k = read_exact(c, 4)
        data = bytes(b ^ k[i % 4] for i, b in enumerate(read_exact(c, n)))
        if op == 8:
            c.sendall(bytes([0x88, len(data)]) + data)
            return
        if h[0] & 0x40:
            try:
                data = zlib.decompressobj(-15).decompress(data + b"\0\0\xff\xff")
            except zlib.error:
                c.sendall(bytes([0x88, 2]) + struct.pack("!H", 1007))
                return
        c.sendall(bytes([0x80 | op, len(data)]) + data)


def main():
    r = Results()
    tmp = tempfile.mkdtemp(prefix="wsprobe-engine-")
    plain, deflate = free_port(), free_port()
    with serve(plain), serve(deflate, "--deflate"):
        purl, durl = f"ws://127.0.0.1:{plain}/", f"ws://127.0.0.1:{deflate}/"

        # 1a: an informational case against a server without compression
        p, cs = check(purl, "--cases", "14.5.22")
        c = cs.get("14.5.22", {})
        r.check("informational case without permessage-deflate is UNIMPLEMENTED",
                c.get("verdict") == "UNIMPLEMENTED" and "not negotiated" in c.get("reason", ""),
                (c.get("verdict"), c.get("reason"), p.stderr[-300:]))
        # 1b, 1c: placeholders in `why`; a reply over max_message is an event
        ud = user_cases(tmp, "bigreply", "95", [
            {"id": "95.1", "title": "close code and time in why", "rfc": "6455 §7.4",
             "steps": [{"close": 1000}, {"expect": {"one_of": [
                 {"events": {"close": True}, "verdict": "INFORMATIONAL",
                  "why": "closed with {close_code} after {elapsed_ms} ms"}]}}]},
            {"id": "95.2", "title": "reply over max_message, accepted", "rfc": "6455 §10.4",
             "max_message": 1000, "steps": [
                 {"handshake": {"extensions": "permessage-deflate"}},
                 {"send": {"op": "binary", "compress": True,
                           "payload": {"repeat": {"byte": 7, "count": 3000}}}},
                 {"expect": {"one_of": [{"events": {"too_big": True}, "verdict": "INFORMATIONAL",
                                         "why": "reply passed max_message at {bytes} bytes"}]}}]},
            {"id": "95.3", "title": "compressed reply over max_message, accepted", "rfc": "7692",
             "max_message": 100000, "steps": [
                 {"handshake": {"extensions": "permessage-deflate"}},
                 {"send": {"op": "binary", "compress": True,
                           "payload": {"repeat": {"byte": 0, "count": 3000000}}}},
                 {"expect": {"one_of": [{"events": {"too_big": True}, "verdict": "INFORMATIONAL",
                                         "why": "reply passed max_message at {bytes} bytes"}]}}]},
            {"id": "95.4", "title": "reply over max_message, echo expected", "rfc": "6455 §10.4",
             "max_message": 1000, "steps": [
                 {"handshake": {"extensions": "permessage-deflate"}},
                 {"send": {"op": "binary", "compress": True,
                           "payload": {"repeat": {"byte": 7, "count": 3000}}}},
                 {"expect": {"echo": True}}]}])
        p, cs = check(purl, "--cases-dir", ud, "--cases", "95.1")
        reason = cs.get("95.1", {}).get("reason", "")
        m = re.fullmatch(r"closed with 1000 after (\d+) ms", reason)
        r.check("why: {close_code} and {elapsed_ms} filled from the matching event",
                m is not None and int(m.group(1)) < 5000, reason)
        p, cs = check(durl, "--cases-dir", ud, "--cases", "95.2,95.4")
        c = cs.get("95.2", {})
        m = re.fullmatch(r"reply passed max_message at (\d+) bytes", c.get("reason", ""))
        r.check("too_big: a reply over max_message matches, with the figure",
                c.get("verdict") == "INFORMATIONAL" and m is not None and
                1000 < int(m.group(1)) <= 3000, (c.get("verdict"), c.get("reason")))
        c = cs.get("95.4", {})
        r.check("too_big: any other expectation fails on it",
                c.get("verdict") == "FAILED" and "over max_message" in c.get("reason", ""),
                (c.get("verdict"), c.get("reason")))
        p, cs = check(durl, "--cases-dir", ud, "--cases", "95.3")
        c = cs.get("95.3", {})
        m = re.fullmatch(r"reply passed max_message at (\d+) bytes", c.get("reason", ""))
        r.check("too_big: a compressed reply is inflated a slice at a time and counted",
                c.get("verdict") == "INFORMATIONAL" and m is not None and
                100000 < int(m.group(1)) < 100000 + (2 << 20), (c.get("verdict"), c.get("reason")))
        r.check("too_big: the rest is counted and discarded (total in the log)",
                any("ended after 3000000 bytes" in o for o in c.get("observed", [])),
                c.get("observed"))
        p, cs = check(durl, "--cases", "14.5.22")
        c = cs.get("14.5.22", {})
        r.check("bomb against serve --deflate: INFORMATIONAL with the code and the time",
                c.get("verdict") == "INFORMATIONAL" and
                re.fullmatch(r"closed with 1009 after \d+ ms", c.get("reason", "")) is not None,
                (c.get("verdict"), c.get("reason")))
        # 1d: RSV bits on the continuations of a compressed, fragmented send
        p, cs = check(durl, "--cases", "14.5.1", wire_logs="all")  # the wire log of an OK case
        c = cs.get("14.5.1", {})
        sent = [w for w in c.get("wire", []) if w["dir"] == ">" and w["kind"] == "frame" and
                w["opcode"] in ("text", "cont")]
        r.check("cont_rsv: the compressor's fragments carry RSV1 on continuations; 14.5.1 OK",
                c.get("verdict") == "OK" and len(sent) >= 2 and sent[0]["rsv"] == 4 and
                all(w["rsv"] == 4 and w["opcode"] == "cont" for w in sent[1:]),
                (c.get("verdict"), c.get("reason"), [(w["opcode"], w["rsv"]) for w in sent]))
        # 1g: {i} in repeated payloads
        ud = user_cases(tmp, "loop", "95", [
            {"id": "95.7", "title": "each round differs", "rfc": "6455 §5.6", "steps": [
                {"repeat": 3, "steps": [{"send": {"op": "text", "payload": "msg {i}"}},
                                        {"expect": {"echo": True}}]},
                {"send": {"op": "text", "payload": "outside {i}"}}, {"expect": {"echo": True}}]}])
        p, cs = check(purl, "--cases-dir", ud, "--cases", "95.7", wire_logs="all")
        c = cs.get("95.7", {})
        texts = [w["head_text"] for w in c.get("wire", []) if w["dir"] == ">" and
                 w["kind"] == "frame" and w["opcode"] == "text"]
        r.check("{i}: the repeat's iteration in each round's payload, literal outside",
                c.get("verdict") == "OK" and texts == ["msg 0", "msg 1", "msg 2", "outside {i}"],
                (c.get("verdict"), c.get("reason"), texts))
    # 1f: our offer's client_no_context_takeover binds our compressor even
    # when the response leaves it out
    srv = RawServer(fresh_inflater)
    ud = user_cases(tmp, "hints", "95", [
        {"id": "95.8", "title": "offered no context takeover, response silent", "rfc": "7692 §7.1.1.2",
         "steps": [
             {"handshake": {"extensions": "permessage-deflate; client_no_context_takeover"}},
             {"send": {"op": "text", "compress": True, "count": 3,
                       "payload": "the same sentence, three times over, the same sentence"}},
             {"expect": {"echo": 3}}]}])
    p, cs = check(srv.url, "--cases-dir", ud, "--cases", "95.8")
    srv.close()
    c = cs.get("95.8", {})
    r.check("client_no_context_takeover offered: each message compressed on its own",
            c.get("verdict") == "OK", (c.get("verdict"), c.get("reason")))
    r.finish()


main()
