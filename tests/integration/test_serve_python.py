#!/usr/bin/python3
"""wsprobe serve against python3-websockets 10.4 clients: text and binary
echoes of 0, 125, 126, 65535, 65536 and 1 MiB bytes, a fragmented message,
ping/pong, subprotocol choice, a clean close (the code the client sees), then
the same over TLS (a self-signed certificate made now) and with
permessage-deflate negotiated by the client. The summary line must count
every echo."""
import asyncio
import os
import ssl
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import Results, free_port, serve  # noqa: E402
from serve_wire import SIZES, binary_of, make_cert, stop_and_count, text_of  # noqa: E402

import websockets  # noqa: E402

R = Results()
echoed = {}  # server log -> messages the clients saw echoed


async def session(url, log, *, ssl_ctx=None, compression="deflate", want_deflate=False,
                  subprotocols=None, want_subprotocol=None):
    """One client connection: every echo check, then a clean close. Returns
    the list of (name, ok, detail) results."""
    out = []

    def check(name, cond, detail=""):
        out.append((name, bool(cond), detail))

    async with websockets.connect(url, ssl=ssl_ctx, compression=compression, max_size=1 << 22,
                                  subprotocols=subprotocols, open_timeout=10,
                                  close_timeout=10) as ws:
        ext = ws.response_headers.get("Sec-WebSocket-Extensions", "")
        if want_deflate:
            check("permessage-deflate negotiated", "permessage-deflate" in ext, ext)
        else:
            check("no extension negotiated", ext == "", ext)
        if subprotocols is not None:
            check(f"subprotocol {want_subprotocol!r} selected", ws.subprotocol == want_subprotocol,
                  repr(ws.subprotocol))
        for n in SIZES:
            t = text_of(n)
            await ws.send(t)
            got = await asyncio.wait_for(ws.recv(), 20)
            check(f"text {n} B echoed", got == t, f"type {type(got).__name__} len {len(got)}")
            b = binary_of(n, n)
            await ws.send(b)
            got = await asyncio.wait_for(ws.recv(), 20)
            check(f"binary {n} B echoed", got == b, f"type {type(got).__name__} len {len(got)}")
            echoed[log] = echoed.get(log, 0) + 2
        big = b"\x00" * (1 << 20)  # compresses to almost nothing under deflate
        await ws.send(big)
        got = await asyncio.wait_for(ws.recv(), 20)
        check("compressible 1 MiB binary echoed", got == big)
        await ws.send(["frag", "ment", "ed ✓"])
        got = await asyncio.wait_for(ws.recv(), 20)
        check("fragmented text echoed as one message", got == "fragmented ✓", repr(got))
        echoed[log] = echoed.get(log, 0) + 2
        waiter = await ws.ping(b"are you there")
        await asyncio.wait_for(waiter, 10)  # resolves only on a pong with the same payload
        check("ping answered by a pong with the same payload", True)
        await ws.close(1000, "done")
        check("clean close: client sees the server's close code 1000", ws.close_code == 1000,
              f"code {ws.close_code} reason {ws.close_reason!r}")
    return out


def run_session(label, *args, **kw):
    try:
        results = asyncio.run(asyncio.wait_for(session(*args, **kw), 50))
    except Exception as e:  # noqa: BLE001 - a broken session is a failed check
        R.check(f"{label}: session completed", False, f"{type(e).__name__}: {e}")
        return
    for name, ok, detail in results:
        R.check(f"{label}: {name}", ok, detail)


def main():
    tmp = tempfile.mkdtemp(prefix="wsprobe-serve-py-")

    port = free_port()
    log = os.path.join(tmp, "plain.log")
    srv = serve(port, "--subprotocol", "chat", "--subprotocol", "superchat", log=log)
    url = f"ws://127.0.0.1:{port}/"
    run_session("ws, deflate offered but not enabled", url, log)
    run_session("ws, no extensions", url, log, compression=None)
    run_session("ws, subprotocols", url, log, compression=None,
                subprotocols=["superchat", "chat"], want_subprotocol="chat")
    run_session("ws, unknown subprotocol", url, log, compression=None,
                subprotocols=["other"], want_subprotocol=None)
    stop_and_count(R, srv, log, "ws", echoed.get(log, 0))

    port = free_port()
    log = os.path.join(tmp, "deflate.log")
    srv = serve(port, "--deflate", log=log)
    url = f"ws://127.0.0.1:{port}/"
    run_session("ws --deflate", url, log, want_deflate=True)
    run_session("ws --deflate, client without", url, log, compression=None)
    stop_and_count(R, srv, log, "ws --deflate", echoed.get(log, 0))

    cert, key = make_cert(tmp)
    ctx = ssl.create_default_context(cafile=cert)
    port = free_port()
    log = os.path.join(tmp, "tls.log")
    srv = serve(port, "--tls-cert", cert, "--tls-key", key, "--deflate", log=log)
    run_session("wss", f"wss://127.0.0.1:{port}/", log, ssl_ctx=ctx, compression=None)
    run_session("wss + deflate", f"wss://localhost:{port}/", log, ssl_ctx=ctx,
                want_deflate=True)
    stop_and_count(R, srv, log, "wss", echoed.get(log, 0))
    R.finish()


if __name__ == "__main__":
    main()
