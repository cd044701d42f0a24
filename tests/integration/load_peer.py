#!/usr/bin/python3
"""Servers for the `wsprobe load` tests that need a server to do one
particular thing (127.0.0.1 only, stopped by PID):

    load_peer.py record PORT LOG [--subprotocol NAME]
        python3-websockets echo server that appends each upgrade request to LOG
        as one JSON line {"path", "headers": [[name, value], ...],
        "subprotocol"} (the one it agreed to; it agrees to NAME when offered).
    load_peer.py pubsub PORT TEXT
        python3-websockets hub: a connection whose message is exactly TEXT is
        subscribed; every other message goes to every subscribed connection
        (none to a connection that never subscribed).
    load_peer.py backlog PORT READY
        a listener with a backlog of 1 that never accepts: it fills its own
        accept queue, then writes READY. Later connection attempts get no
        SYN-ACK (the kernel drops their SYNs), so they time out."""
import asyncio
import json
import signal
import socket
import sys
import time

import websockets


async def serve_until_term(handler, port, **kw):
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with websockets.serve(handler, "127.0.0.1", port, compression=None, max_size=None,
                                **kw):
        await stop


def record(port, log, subprotocol):
    def process_request(path, headers):
        with open(log, "a") as f:
            f.write(json.dumps({"path": path, "headers": list(headers.raw_items())}) + "\n")

    async def echo(ws, path=None):
        with open(log, "a") as f:
            f.write(json.dumps({"subprotocol": ws.subprotocol}) + "\n")
        try:
            async for m in ws:
                await ws.send(m)
        except websockets.ConnectionClosed:
            pass

    protos = [subprotocol] if subprotocol else None
    asyncio.run(serve_until_term(echo, port, process_request=process_request,
                                 subprotocols=protos))


def pubsub(port, text):
    subscribed = set()

    async def hub(ws, path=None):
        try:
            async for m in ws:
                if m == text:
                    subscribed.add(ws)
                else:
                    websockets.broadcast(subscribed, m)
        except websockets.ConnectionClosed:
            pass
        finally:
            subscribed.discard(ws)

    asyncio.run(serve_until_term(hub, port))


def backlog(port, ready):
    lst = socket.socket()
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", port))
    lst.listen(1)
    held = []
    # The accept queue takes backlog + 1 connections; stop at the first one
    # that the kernel no longer completes (bounded: 16 tries, 0.3 s each).
    for _ in range(16):
        c = socket.socket()
        c.setblocking(False)
        c.connect_ex(("127.0.0.1", port))
        t0 = time.monotonic()
        done = False
        while time.monotonic() - t0 < 0.3:
            if c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                try:
                    c.getpeername()
                    done = True
                    break
                except OSError:
                    pass
            time.sleep(0.01)
        if not done:
            c.close()
            break
        held.append(c)
    with open(ready, "w") as f:
        f.write(f"{len(held)}\n")
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    while True:
        time.sleep(60)


if __name__ == "__main__":
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "record":
        record(port, sys.argv[3], sys.argv[5] if sys.argv[4:5] == ["--subprotocol"] else None)
    elif mode == "pubsub":
        pubsub(port, sys.argv[3])
    elif mode == "backlog":
        backlog(port, sys.argv[3])
    else:
        sys.exit(f"load_peer.py: unknown mode {mode}")
