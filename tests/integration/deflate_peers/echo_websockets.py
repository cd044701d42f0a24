#!/usr/bin/python3
"""Echo server on python3-websockets 10.4 with permessage-deflate (the
library's default server settings): echo_websockets.py PORT. Listens on
127.0.0.1 only; stops on SIGTERM."""
import asyncio
import signal
import sys

import websockets


async def echo(ws, path=None):
    try:
        async for m in ws:
            await ws.send(m)
    except websockets.ConnectionClosed:
        pass


async def main(port):
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with websockets.serve(echo, "127.0.0.1", port, compression="deflate",
                                max_size=64 * 1024 * 1024):
        await stop


asyncio.run(main(int(sys.argv[1])))
