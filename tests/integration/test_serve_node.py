#!/usr/bin/python3
"""wsprobe serve against node-ws (Debian's /usr/share/nodejs/ws) clients:
the echo session of node/echo_client.js over ws, with permessage-deflate
negotiated by the client, and over TLS with a self-signed certificate made
now (trusted through the client's `ca` option). The summary line must count
every echo."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import Results, free_port, serve  # noqa: E402
from serve_wire import make_cert, stop_and_count  # noqa: E402

R = Results()
HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT = os.path.join(HERE, "node", "echo_client.js")


def node_session(label, url, *args):
    """Runs the node client; every JSON line it prints becomes a check.
    Returns how many messages it saw echoed."""
    try:
        p = subprocess.run(["node", CLIENT, url, *args], capture_output=True, text=True,
                           timeout=50)
    except subprocess.TimeoutExpired:
        R.check(f"{label}: node client finished", False, "timed out")
        return 0
    echoed, saw = 0, 0
    for line in p.stdout.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("done"):
            echoed = rec.get("echoed", 0)
            continue
        saw += 1
        R.check(f"{label}: {rec['name']}", rec["ok"], rec.get("detail", ""))
    R.check(f"{label}: node client ran every check and exited 0", p.returncode == 0 and saw >= 15,
            f"rc={p.returncode} checks={saw} stderr={p.stderr[-1500:]}")
    return echoed


def main():
    tmp = tempfile.mkdtemp(prefix="wsprobe-serve-node-")

    port = free_port()
    log = os.path.join(tmp, "plain.log")
    srv = serve(port, "--subprotocol", "chat", log=log)
    n = node_session("ws", f"ws://127.0.0.1:{port}/")
    n += node_session("ws, subprotocol", f"ws://127.0.0.1:{port}/", "--subprotocol", "chat")
    n += node_session("ws, deflate offered but not enabled", f"ws://127.0.0.1:{port}/")
    stop_and_count(R, srv, log, "ws", n)

    port = free_port()
    log = os.path.join(tmp, "deflate.log")
    srv = serve(port, "--deflate", log=log)
    n = node_session("ws --deflate", f"ws://127.0.0.1:{port}/", "--deflate")
    stop_and_count(R, srv, log, "ws --deflate", n)

    cert, key = make_cert(tmp)
    port = free_port()
    log = os.path.join(tmp, "tls.log")
    srv = serve(port, "--tls-cert", cert, "--tls-key", key, "--deflate", log=log)
    n = node_session("wss", f"wss://127.0.0.1:{port}/", "--ca", cert)
    n += node_session("wss + deflate", f"wss://127.0.0.1:{port}/", "--ca", cert, "--deflate")
    stop_and_count(R, srv, log, "wss", n)
    R.finish()


if __name__ == "__main__":
    main()
