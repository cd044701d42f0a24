#!/usr/bin/python3
"""wsprobe load's timeouts and reconnects, each produced by a real server
doing the one thing that causes it:

* write_timeout: a server that stops reading (lg_badecho --deaf) while 32 MiB
  of large messages are queued fails the connection after --write-timeout,
  long before the 64 MiB backlog limit.
* close_timeout: a server that answers our close frame 3 s late is
  close_timeout after --close-timeout 400ms; one 600 ms late, with
  --close-timeout 3s, closes cleanly.
* connect_timeout: a listener that never accepts, its backlog full (the kernel
  drops further SYNs), with --connect-timeout 500ms.
* a frozen server (SIGSTOP for 2 s in the middle of the run): echoes in flight
  become read_timeout, new connections' upgrades handshake_timeout, and both
  runs still end on time.
* --reconnect-delay 400ms while the server is down for 3 s: the delay doubles
  (0.4, 0.8, 1.6 s), so about 3 refused attempts, not 7; the connection comes
  back when the server does."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import WSPROBE, Results, free_port, serve  # noqa: E402
from load_util import badecho, errors, load, load_peer  # noqa: E402

R = Results()


def write_timeout():
    port = free_port()
    with badecho(port, "--deaf", "1"):
        t0 = time.monotonic()
        rc, rep, err = load(f"ws://127.0.0.1:{port}/", "-c", "1", "-k", "64", "--size", "512K",
                            "--write-timeout", "1s", "--message-timeout", "60s", "-d", "6")
        took = time.monotonic() - t0
    if not rep:
        return f"rc={rc} {err[-300:]}"
    e = rep["summary"]["errors"]
    detail = (e["details"].get("write_timeout") or [""])[0]
    # The first echo comes back, then nothing is read: 63 x 512 KiB wait (far
    # below the 64 MiB limit that made write_error), and 1 s later the
    # connection fails; without --reconnect the run then ends early.
    return (errors(rep) == {"write_timeout": 1} and "stopped reading" in detail
            and rep["summary"]["messages"]["lost"] > 0 and took < 5) or (e, took)


R.run("a server that stops reading: write_timeout after --write-timeout 1s", write_timeout)


def close_timeout():
    """lg_badecho --close-delay holds each close reply: past --close-timeout it
    is close_timeout (and the run ends on time), within it a clean close."""
    port = free_port()
    with badecho(port, "--close-delay", "3000"):
        t0 = time.monotonic()
        rc, late, err = load(f"ws://127.0.0.1:{port}/", "-c", "2", "-d", "1",
                             "--close-timeout", "400ms")
        took = time.monotonic() - t0
    port = free_port()
    with badecho(port, "--close-delay", "600"):
        rc2, slow, err2 = load(f"ws://127.0.0.1:{port}/", "-c", "2", "-d", "1",
                               "--close-timeout", "3s")
    if not late or not slow:
        return f"rc={rc},{rc2} {err[-300:]} {err2[-300:]}"
    detail = (late["summary"]["errors"]["details"].get("close_timeout") or [""])[0]
    c = slow["summary"]["connections"]
    return (errors(late) == {"close_timeout": 2} and "no close frame back" in detail
            and took < 2.8 and errors(slow) == {} and c["closed"] == 2) or (
        errors(late), took, errors(slow), c)


R.run("a server slow to answer our close: close_timeout past --close-timeout, "
      "a clean close within it", close_timeout)


def connect_timeout():
    port = free_port()
    with tempfile.TemporaryDirectory() as d:
        ready = os.path.join(d, "ready")
        peer = load_peer("backlog", port, ready, wait=False)
        try:
            for _ in range(100):
                if os.path.exists(ready) and os.path.getsize(ready):
                    break
                time.sleep(0.1)
            else:
                return "the backlog peer did not get ready"
            t0 = time.monotonic()
            rc, rep, err = load(f"ws://127.0.0.1:{port}/", "-c", "2", "--connect-timeout",
                                "500ms", "--reconnect", "-d", "2")
            took = time.monotonic() - t0
        finally:
            peer.stop()
    if not rep:
        return f"rc={rc} {err[-300:]}"
    e = errors(rep)
    # Each connection retries after 0.5 s timeout + 0.1, 0.2, ... s backoff:
    # at least two timeouts each in 2 s, and nothing else.
    return (rc == 3 and set(e) == {"connect_timeout"} and e["connect_timeout"] >= 3
            and rep["summary"]["connections"]["connected"] == 0 and took < 6) or (rc, e, took)


R.run("a listener with a full backlog: connect_timeout counted, exit 3", connect_timeout)


def frozen_server():
    port = free_port()
    srv = serve(port)
    url = f"ws://127.0.0.1:{port}/"
    procs = {}
    try:
        for name, args in (("echo", ["-c", "4", "--message-timeout", "800ms"]),
                           ("churn", ["-s", "churn", "-c", "2", "--handshake-timeout", "800ms",
                                      "--reconnect"])):
            procs[name] = subprocess.Popen(
                [WSPROBE, "load", "--no-progress", "--json", "-d", "5", *args, url],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        t0 = time.monotonic()
        time.sleep(1.5)
        os.kill(srv.pid, signal.SIGSTOP)
        time.sleep(2.0)
        os.kill(srv.pid, signal.SIGCONT)
        out = {}
        for name, p in procs.items():
            so, se = p.communicate(timeout=20)
            out[name] = (p.returncode, json.loads(so) if so.strip() else None,
                         time.monotonic() - t0, se.decode(errors="replace"))
    finally:
        os.kill(srv.pid, signal.SIGCONT)
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
        srv.stop()
    problems = []
    for name, cls in (("echo", "read_timeout"), ("churn", "handshake_timeout")):
        rc, rep, took, err = out[name]
        if not rep:
            problems.append(f"{name}: rc={rc} {err[-200:]}")
            continue
        s = rep["summary"]
        if s["errors"]["by_class"].get(cls, 0) < 1:
            problems.append(f"{name}: no {cls}: {s['errors']['by_class']}")
        # 5 s, then at most 1 s of drain and 1 s of closing handshakes.
        if took > 5 + 2 + 1.5 or s["elapsed_s"] > 5 + 2 + 0.5:
            problems.append(f"{name}: ended after {took:.1f} s (elapsed {s['elapsed_s']:.1f})")
        # It recovered: the last whole second moved messages or handshakes.
        last = [x for x in rep["series"] if 4.0 <= x["t"] <= 5.2]
        key = "received" if name == "echo" else "opened"
        if not any(x[key] > 0 for x in last):
            problems.append(f"{name}: no {key} after the server resumed")
    return not problems or problems


R.run("serve frozen (SIGSTOP) 2 s mid-run: read_timeout and handshake_timeout, ends on time",
      frozen_server)


def reconnect_delay():
    port = free_port()
    srv = serve(port)
    url = f"ws://127.0.0.1:{port}/"
    p = subprocess.Popen([WSPROBE, "load", "--no-progress", "--json", "-c", "1", "--reconnect",
                          "--reconnect-delay", "400ms", "-d", "9", url],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    srv2 = None
    try:
        time.sleep(1.5)
        srv.stop(signal.SIGKILL)
        time.sleep(3.0)
        srv2 = serve(port)
        so, se = p.communicate(timeout=25)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        if srv2:
            srv2.stop()
    if not so.strip():
        return f"rc={p.returncode} {se.decode()[-300:]}"
    rep = json.loads(so)
    e = errors(rep)
    c = rep["summary"]["connections"]
    # Down from 1.5 s to 4.5 s: retries 0.4, then 0.8 and 1.6 s later (refused,
    # refused, refused); the next, 3.2 s later at about 7.5 s, finds the server
    # back. A constant 400 ms delay would be refused about 7 times.
    return (2 <= e.get("refused", 0) <= 4 and c["opened"] == 2
            and e.get("reset", 0) + e.get("dropped", 0) == 1) or (e, c)


R.run("--reconnect-delay 400ms, server down 3 s: the delay doubles (about 3 refused)",
      reconnect_delay)

R.finish()
