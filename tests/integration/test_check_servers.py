#!/usr/bin/python3
"""wsprobe check against real servers: its own `wsprobe serve`, python3-websockets
and node-ws (both pass Autobahn). No FAILED on serve; on the two peers, exactly
the cases in tests/integration/check_baselines/ fail (each is a documented RFC
deviation), and --expect-failures turns the exit status to 0."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import PYTHON, ROOT, WSPROBE, Proc, Results, free_port, serve  # noqa: E402

BASELINES = os.path.join(ROOT, "tests", "integration", "check_baselines")

PY_ECHO = r'''
import asyncio, sys, websockets
async def echo(ws, path=None):
    try:
        async for m in ws:
            await ws.send(m)
    except websockets.ConnectionClosed:
        pass
async def main():
    async with websockets.serve(echo, "127.0.0.1", int(sys.argv[1]), max_size=2**26):
        await asyncio.Future()
asyncio.run(main())
'''

NODE_ECHO = r'''
const WebSocket = require('/usr/share/nodejs/ws');
const wss = new WebSocket.Server({host: '127.0.0.1', port: +process.argv[2], perMessageDeflate: true,
  maxPayload: 64 * 1024 * 1024, handleProtocols: () => false});
wss.on('connection', ws => { ws.on('error', () => {});
  ws.on('message', (data, isBinary) => ws.send(data, {binary: isBinary})); });
'''


def check(url, *args, timeout=300):
    rep = tempfile.mkdtemp(prefix="wsprobe-check-")
    p = subprocess.run([WSPROBE, "check", url, "--report", rep, *args], capture_output=True,
                       text=True, timeout=timeout, cwd=ROOT, env=dict(os.environ, NO_COLOR="1"))
    with open(os.path.join(rep, "report.json")) as f:
        report = json.load(f)
    return p, report


def failed_ids(report):
    return sorted(c["id"] for c in report["cases"]
                  if c["verdict"] == "FAILED" or c["close_verdict"] == "FAILED")


def baseline_ids(name):
    ids = []
    with open(os.path.join(BASELINES, name)) as f:
        for line in f:
            line = line.split("#")[0].strip()
            if line:
                ids.append(line)
    return sorted(ids)


def main():
    r = Results()
    tmp = tempfile.mkdtemp(prefix="wsprobe-peers-")

    port = free_port()
    with serve(port):
        url = f"ws://127.0.0.1:{port}/"
        p, rep = check(url, "--quick")
        r.check("serve: exit 0", p.returncode == 0, p.stdout[-2000:] + p.stderr[-1000:])
        r.check("serve: no FAILED", failed_ids(rep) == [], failed_ids(rep))
        r.check("serve: summary line", "failed in" in p.stdout and " 0 failed" in p.stdout,
                p.stdout[-300:])
        r.check("serve: every seed section ran", {c["section"] for c in rep["cases"]} >=
                {"0", "1", "2", "5", "6", "7"}, {c["section"] for c in rep["cases"]})
        r.check("serve: --quick skipped 9.x", not any(c["id"].startswith("9.") for c in rep["cases"]))
        r.check("serve: server agent recorded", (rep.get("agent") or "").startswith("wsprobe"),
                rep.get("agent"))
        # a few of the slow cases too (16 MiB echo, 64-byte fragments of 4 MiB)
        p, rep = check(url, "--cases", "9.1.6,9.4.1,9.7.1", "-j", "3")
        r.check("serve: slow cases pass", p.returncode == 0 and len(rep["cases"]) == 3,
                p.stdout[-1500:])

    node_js = os.path.join(tmp, "echo.js")
    with open(node_js, "w") as f:
        f.write(NODE_ECHO)
    peers = [("python3-websockets", [PYTHON, "-c", PY_ECHO], "python-websockets.txt"),
             ("node-ws", ["node", node_js], "node-ws.txt")]
    for name, argv, baseline in peers:
        port = free_port()
        with Proc(argv + [str(port)], port=port, log=os.path.join(tmp, name + ".log")):
            url = f"ws://127.0.0.1:{port}/"
            p, rep = check(url, "--quick")
            ran = {c["id"] for c in rep["cases"]}
            want = [i for i in baseline_ids(baseline) if i in ran]
            got = failed_ids(rep)
            r.check(f"{name}: FAILED exactly on the documented deviations", got == want,
                    f"got {got}, want {want}\n" + p.stdout[-3000:])
            r.check(f"{name}: exit 1 without the baseline", p.returncode == 1, p.returncode)
            r.check(f"{name}: the compression seed cases ran compressed",
                    all(c["verdict"] == "OK" for c in rep["cases"] if c["section"] == "12"),
                    [(c["id"], c["verdict"], c["reason"]) for c in rep["cases"]
                     if c["section"] == "12"])
            p2, rep2 = check(url, "--quick", "--expect-failures", os.path.join(BASELINES, baseline))
            r.check(f"{name}: exit 0 with the baseline", p2.returncode == 0,
                    p2.stdout[-1500:])
            r.check(f"{name}: baseline marks expected failures",
                    sorted(c["id"] for c in rep2["cases"] if c["expected_failure"]) == want)
    r.finish()


main()
