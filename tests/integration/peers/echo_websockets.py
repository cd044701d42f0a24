#!/usr/bin/python3
"""Echo server on python3-websockets 10.4, the peer every integration test
that needs this library starts:

    echo_websockets.py PORT [--max-size BYTES|none] [--broadcast]

permessage-deflate is on (the library's default server settings). The
largest message taken is 64 MiB unless --max-size says otherwise ("none": no
limit). --broadcast makes it a hub instead: every message goes to every
connected client, the sender included. Listens on 127.0.0.1 only; stops on
SIGTERM."""
import argparse
import asyncio
import signal

import websockets


async def echo(ws, path=None):
    try:
        async for m in ws:
            await ws.send(m)
    except websockets.ConnectionClosed:
        pass


clients = set()


async def hub(ws, path=None):
    clients.add(ws)
    try:
        async for m in ws:
            websockets.broadcast(clients, m)
    except websockets.ConnectionClosed:
        pass
    finally:
        clients.discard(ws)


def max_size(text):
    return None if text == "none" else int(text)


async def main(args):
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    handler = hub if args.broadcast else echo
    async with websockets.serve(handler, "127.0.0.1", args.port, compression="deflate",
                                max_size=args.max_size):
        await stop


parser = argparse.ArgumentParser()
parser.add_argument("port", type=int)
parser.add_argument("--max-size", type=max_size, default=64 * 1024 * 1024)
parser.add_argument("--broadcast", action="store_true")
asyncio.run(main(parser.parse_args()))
