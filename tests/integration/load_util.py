"""Helpers for the `wsprobe load` integration tests: run a load with --json and
return (exit code, report, stderr), and the check that counts add up."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import PEERS, PYTHON, WSPROBE, Proc, free_port  # noqa: E402,F401


def load(url, *args, timeout=60):
    """Runs wsprobe load URL ARGS --json; returns (rc, report or None, stderr)."""
    p = subprocess.run([WSPROBE, "load", "--no-progress", "--json", *args, url],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    try:
        rep = json.loads(p.stdout.decode()) if p.stdout.strip() else None
    except ValueError:
        rep = None
    return p.returncode, rep, p.stderr.decode(errors="replace")


def msgs(rep):
    return rep["summary"]["messages"]


def errors(rep):
    return rep["summary"]["errors"]["by_class"]


def adds_up(rep):
    """sent = received + lost + in flight at stop, nothing duplicated,
    reordered or corrupted, no errors."""
    m = msgs(rep)
    ok = (m["sent"] == m["received"] + m["lost"] + m["in_flight_at_stop"] and m["sent"] > 0
          and m["lost"] == 0 and m["duplicated"] == 0 and m["reordered"] == 0
          and m["corrupted"] == 0 and rep["summary"]["errors"]["total"] == 0)
    return ok or {k: m[k] for k in ("sent", "received", "lost", "duplicated", "reordered",
                                    "corrupted", "in_flight_at_stop")} | {
        "errors": rep["summary"]["errors"]}


def badecho(port, *args):
    return Proc([os.path.join(PEERS, "lg_badecho"), str(port), *args], port=port)


PY_ECHO = """
import asyncio, sys, websockets
async def echo(ws, *path):
    async for m in ws:
        await ws.send(m)
async def main():
    async with websockets.serve(echo, "127.0.0.1", int(sys.argv[1]), max_size=None):
        await asyncio.Future()
asyncio.run(main())
"""

PY_BROADCAST = """
import asyncio, sys, websockets
clients = set()
async def hub(ws, *path):
    clients.add(ws)
    try:
        async for m in ws:
            websockets.broadcast(clients, m)
    finally:
        clients.discard(ws)
async def main():
    async with websockets.serve(hub, "127.0.0.1", int(sys.argv[1]), max_size=None):
        await asyncio.Future()
asyncio.run(main())
"""

NODE_ECHO = """
const WebSocket = require('/usr/share/nodejs/ws');
const wss = new WebSocket.Server({host: '127.0.0.1', port: parseInt(process.argv[process.argv.length - 1])});
wss.on('connection', ws => ws.on('message', (m, bin) => ws.send(m, {binary: bin})));
"""


def python_server(port, code):
    return Proc([PYTHON, "-c", code, str(port)], port=port)


def node_server(port, code):
    return Proc(["node", "-e", code, str(port)], port=port,
                env={"NODE_PATH": "/usr/share/nodejs"})
