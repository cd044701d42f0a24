#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/NAME/.

The seeds are the vectors the unit tests use (RFC 6455 §5.7 frames, the
RFC 6455 §1.3 handshake, RFC 7692 §7.2.3 compressed messages, Markus Kuhn's
UTF-8 cases) and a few small documents cut from cases/*.json, each with the
option bytes its fuzz target reads first. Re-run after changing a target's
option bytes: `tests/fuzz/make_seeds.py`."""
import json
import os
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def frames():
    # Option bytes: peer (0 client, 1 server, 2 any) | rsv_allowed << 2,
    # max_frame index, max_message index, unmask split.
    client, server, any_peer, rsv1 = 0, 1, 2, 4 << 2
    hello = b"Hello"
    masked = bytes([0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
    seeds = {
        "rfc-unmasked-text": (server, b"\x81\x05" + hello),
        "rfc-masked-text": (client, b"\x81\x85" + masked),
        "rfc-fragments": (server, b"\x01\x03Hel\x80\x02lo"),
        "rfc-ping-pong": (any_peer, b"\x89\x05" + hello + b"\x8a\x85" + masked),
        "rfc-256-binary": (server, b"\x82\x7e\x01\x00" + bytes(range(256))),
        "rfc-64k-header": (server, b"\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00" + b"x" * 64),
        "rfc7692-rsv1": (server | rsv1, b"\xc1\x07\xf2\x48\xcd\xc9\xc9\x07\x00"),
        "close-1000": (client, b"\x88\x82\x01\x02\x03\x04\x02\xea"),
        "len-msb": (server, b"\x82\x7f\x80" + b"\x00" * 7),
        "ping-in-fragments": (client, b"\x01\x81abcd\x05\x89\x80abcd\x80\x81abcd\x06"),
    }
    for name, (b0, stream) in seeds.items():
        write("fuzz_frame", name, bytes([b0, 0, 0, 3]) + stream)
    # Limits: a 126-byte frame against a 125-byte limit, a message over 127.
    write("fuzz_frame", "limit-frame", bytes([server, 3, 0, 0]) + b"\x82\x7e\x00\x7e" + b"a" * 126)
    write("fuzz_frame", "limit-message",
          bytes([server, 0, 5, 0]) + b"\x01\x7e\x00\x64" + b"a" * 100 + b"\x80\x7e\x00\x64" + b"b" * 100)


def utf8():
    seeds = {
        "kosme": "κόσμε".encode(),
        "ascii-long": b"The quick brown fox jumps over the lazy dog. " * 3,
        "boundaries": "\u0080\u07ff\u0800\uffff\U00010000\U0010ffff".encode(),
        "overlong-2": b"\xc0\xaf",
        "overlong-3": b"\xe0\x80\xaf",
        "overlong-4": b"\xf0\x80\x80\xaf",
        "surrogate": b"abc\xed\xa0\x80",
        "above-max": b"\xf4\x90\x80\x80",
        "five-byte": b"\xf8\x88\x80\x80\x80",
        "truncated": "κόσμε".encode()[:-1],
        "lone-cont": b"hello\x80world",
        "fail-fast-mid": "κόσμε".encode() + b"\xce\xbd\xed\xa0\x80edited",
        "mixed-words": ("abcdefgh" + "é" + "ijklmnop" + "😀").encode() * 4,
    }
    for name, data in seeds.items():
        write("fuzz_utf8", name, data)


RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def request(lines, start="GET /chat HTTP/1.1"):
    return (start + "\r\n" + "".join(l + "\r\n" for l in lines) + "\r\n").encode()


def handshakes():
    base = ["Host: server.example.com", "Upgrade: websocket", "Connection: Upgrade",
            "Sec-WebSocket-Key: " + RFC_KEY, "Origin: http://example.com",
            "Sec-WebSocket-Protocol: chat, superchat", "Sec-WebSocket-Version: 13"]
    pmd = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"
    # Option bytes: limits (0: defaults), server options (subprotocols | deflate 4 | ...).
    reqs = {
        "rfc6455": (0x01, request(base)),
        "rfc6455-deflate": (0x7D, request(base + [pmd])),
        "no-key": (0x00, request([l for l in base if "Key" not in l])),
        "version-8": (0x00, request(base[:-1] + ["Sec-WebSocket-Version: 8"])),
        "http10": (0x00, request(base, "GET /chat HTTP/1.0")),
        "post": (0x00, request(base, "POST /chat HTTP/1.1")),
        "absolute-uri": (0x02, request(base, "GET ws://server.example.com/chat HTTP/1.1")),
        "bare-lf": (0x00, request(base).replace(b"\r\n", b"\n")),
        "two-keys": (0x00, request(base + ["Sec-WebSocket-Key: " + RFC_KEY])),
        "bad-extension": (0x04, request(base + ["Sec-WebSocket-Extensions: permessage-deflate; x=\"a b\""])),
    }
    for name, (opts, data) in reqs.items():
        write("fuzz_handshake_server", name, bytes([0, opts]) + data)
    write("fuzz_handshake_server", "small-limits", bytes([0x83 | (2 << 3), 0]) + request(base))

    def response(lines, status="HTTP/1.1 101 Switching Protocols"):
        return request(lines, status)

    ok = ["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: " + RFC_ACCEPT]
    # Client option bytes: subprotocol list (1 "chat"), deflate 4, offer bits.
    resps = {
        "rfc6455": (0x01, response(ok + ["Sec-WebSocket-Protocol: chat"])),
        "deflate": (0x04 | 0x40, response(ok + ["Sec-WebSocket-Extensions: permessage-deflate; "
                                                "server_no_context_takeover; client_max_window_bits=9"])),
        "deflate-window": (0x04 | 0x08 | 0x20, response(ok + ["Sec-WebSocket-Extensions: permessage-deflate; "
                                                               "server_no_context_takeover; server_max_window_bits=10"])),
        "ok-200": (0x00, response(["Content-Length: 0"], "HTTP/1.1 200 OK")),
        "wrong-accept": (0x00, response(ok[:2] + ["Sec-WebSocket-Accept: x3JJHMbDL1EzLkh9GBhXDw=="])),
        "two-accepts": (0x00, response(ok + ok[2:])),
        "unoffered-protocol": (0x00, response(ok + ["Sec-WebSocket-Protocol: chat"])),
        "426": (0x00, response(["Sec-WebSocket-Version: 13"], "HTTP/1.1 426 Upgrade Required")),
    }
    for name, (opts, data) in resps.items():
        write("fuzz_handshake_client", name, bytes([0, opts]) + data)


def extensions():
    seeds = {
        "offers": (0x00, "permessage-deflate; client_max_window_bits, permessage-deflate"),
        "all-params": (0x0F, "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
                             "server_max_window_bits=10; client_max_window_bits=12"),
        "quoted": (0x00, 'permessage-deflate; client_max_window_bits="10"'),
        "unknown-first": (0x05, "x-webkit-deflate-frame, permessage-deflate; server_max_window_bits=8"),
        "two-headers": (0x0C, "foo; bar=baz\npermessage-deflate; client_no_context_takeover"),
        "bad-bits": (0x00, "permessage-deflate; server_max_window_bits=16"),
        "duplicate": (0x00, "permessage-deflate; server_no_context_takeover; server_no_context_takeover"),
    }
    for name, (b, text) in seeds.items():
        write("fuzz_ext", name, bytes([b]) + text.encode())


def inflate():
    def raw_deflate(data, bits=15):
        c = zlib.compressobj(9, zlib.DEFLATED, -bits)
        d = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
        return d[:-4]  # RFC 7692 §7.2.1: drop 00 00 ff ff

    # Option bytes: role | takeover bits, window bits, limit index, frame size - 1, frames per message - 1.
    seeds = {
        "rfc7692-hello": (bytes([0x01, 0, 5, 255, 0]), bytes.fromhex("f248cdc9c90700")),
        "rfc7692-two-hellos": (bytes([0x01, 0, 5, 6, 0]), bytes.fromhex("f248cdc9c90700") + bytes.fromhex("f200110000")),
        "rfc7692-stored": (bytes([0x01, 0, 5, 255, 0]), bytes.fromhex("000500faff48656c6c6f00")),
        "rfc7692-bfinal": (bytes([0x01, 0, 5, 255, 0]), bytes.fromhex("f348cdc9c90700 00".replace(" ", ""))),
        "rfc7692-fragmented": (bytes([0x01, 0, 5, 2, 2]), bytes.fromhex("f248cdc9c90700")),
        "bomb-1MiB": (bytes([0x01, 0, 5, 255, 7]), raw_deflate(b"\0" * (1 << 20))),
        "window-9": (bytes([0x00, 0x80 | 1, 6, 63, 3]), raw_deflate(bytes(range(256)) * 8, 9)),
        "prose": (bytes([0x00, 0, 7, 100, 0]), raw_deflate(open(os.path.join(ROOT, "README.md"), "rb").read()[:4000])),
    }
    for name, (opts, data) in seeds.items():
        write("fuzz_inflate", name, opts + data)


def closes():
    seeds = {
        "empty": b"",
        "1000": b"\x03\xe8",
        "1000-reason": b"\x03\xe8bye",
        "1001-utf8": b"\x03\xe9" + "κόσμε".encode(),
        "one-byte": b"\x03",
        "1005": b"\x03\xed",
        "999": b"\x03\xe7",
        "4000": b"\x0f\xa0app",
        "5000": b"\x13\x88",
        "bad-utf8": b"\x03\xe8\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80",
        "123-reason": b"\x03\xe8" + b"r" * 123,
        "cut-at-char": b"\x03\xe8" + "é".encode() * 62,
        "too-long": b"\x03\xe8" + b"x" * 124,
    }
    for name, data in seeds.items():
        write("fuzz_close", name, data)


def urls():
    for i, u in enumerate(["ws://example.com/chat", "wss://example.com:8443/a/b?x=1&y=2",
                           "ws://127.0.0.1:9001", "WS://[::1]:80/", "wss://[2001:db8::1]",
                           "ws://h:/", "ws://user@h/", "ws://h/#frag", "http://h/", "ws://h/a b",
                           "ws://h:65536/", "ws://" + "a" * 300 + "/"]):
        write("fuzz_url", "url-%02d" % i, u)


def cases():
    for path in sorted(os.listdir(os.path.join(ROOT, "cases"))):
        if not path.endswith(".json"):
            continue
        doc = json.load(open(os.path.join(ROOT, "cases", path)))
        items = doc.get("cases", [])
        plain = [c for c in items if "family" not in c][:3]
        family = [c for c in items if "family" in c][:1]
        for kind, chosen in (("plain", plain), ("family", family)):
            if not chosen:
                continue
            small = dict(doc, cases=chosen)
            text = json.dumps(small, ensure_ascii=False, indent=1)
            if len(text) > 6000:
                continue
            write("fuzz_cases", path[:-5] + "-" + kind, text)
    write("fuzz_cases", "empty-object", "{}")
    write("fuzz_cases", "not-json", "{\"cases\": [")


def configs():
    # Option byte: 0 load script, 1 threshold, 2 report.json, 3 shard report,
    # 4 numbers (then 5 option bytes: lo, hi, hi's shift, the unit of a bare
    # duration), 5 fuzzingclient.json. The report and
    # shard seeds (report-*, shard-*) were cut from real runs against
    # wsprobe serve and are kept as they are; this writes the others.
    scripts = {
        "script-subscribe": {"steps": [{"send": "{\"op\":\"subscribe\"}"},
                                       {"expect": "ok", "timeout": "2s"},
                                       {"sleep": "100ms"}], "loop": False},
        "script-loop": {"steps": [{"send": "ping"}, {"expect": ""}], "loop": True},
    }
    for name, doc in scripts.items():
        write("fuzz_config", name, b"\x00" + json.dumps(doc).encode())
    for i, t in enumerate(["p99<20ms", "error_rate<0.1%", "lost==0", "p50 <= 1.5s",
                           "msgs_per_s>=1000", "p999!=0us"]):
        write("fuzz_config", f"threshold-{i}", b"\x01" + t.encode())
    for i, n in enumerate(["64K", "16MiB", "1.5s", "250ms", "100us", "18446744073709551615",
                           "2m", "0"]):
        write("fuzz_config", f"number-{i}", b"\x04\x00\xff\xff\x20" + bytes([i % 4]) + n.encode())
    autobahn = {"outdir": "./reports/servers",
                "servers": [{"agent": "AutobahnServer", "url": "ws://127.0.0.1:9001",
                             "options": {"version": 18}},
                            {"agent": "other", "url": "ws://127.0.0.1:9002/"}],
                "cases": ["*"], "exclude-cases": ["9.*", "12.*", "13.*"],
                "exclude-agent-cases": {"other": ["6.4.*"]}}
    write("fuzz_config", "autobahn-fuzzingclient", b"\x05" + json.dumps(autobahn).encode())


if __name__ == "__main__":
    frames()
    utf8()
    handshakes()
    extensions()
    inflate()
    closes()
    urls()
    cases()
    configs()
    for t in sorted(os.listdir(os.path.join(HERE, "corpus"))):
        d = os.path.join(HERE, "corpus", t)
        print(t, len(os.listdir(d)), "seeds")
