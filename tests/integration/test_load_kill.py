#!/usr/bin/python3
"""Faults under load: `wsprobe serve` is killed (SIGKILL) in the middle of a
`wsprobe load -d 8` run and restarted on the same port 2 s later.

With --reconnect: the run ends at its planned time, the open connections are
reset (class reset) and reconnecting to the dead port is refused (class
refused), connections come back once the server does (later seconds of the
series show messages again), the counts still add up, and the report is
written. Without --reconnect: the failed connections stay closed (no new
connect attempts, no messages after the kill). SIGTERM during a run writes the
partial report with the 'interrupted' status, 130; a second SIGINT during the
stop (here: waiting for close replies that never come) exits at once."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import (PEERS, WSPROBE, Proc, Results, free_port, serve, strict,  # noqa: E402
                          wait_port)
from load_util import interrupted_load  # noqa: E402

R = Results()
CONNS = 8
DURATION = 8.0
KILL_AT = 2.5  # s after the load starts
DOWN = 2.0  # s the server stays dead


def kill_and_restart(reconnect, report_dir):
    """Runs the load, kills serve at KILL_AT, restarts it DOWN s later.
    Returns (exit code, seconds, report.json, stderr, kill time, restart time)
    with times in seconds since the load started."""
    port = free_port()
    srv = serve(port)
    args = [WSPROBE, "load", "--no-progress", "-c", str(CONNS), "-d", f"{DURATION:g}s",
            "--report", report_dir]
    if reconnect:
        args.append("--reconnect")
    t0 = time.monotonic()
    load = subprocess.Popen([*args, f"ws://127.0.0.1:{port}/"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    srv2 = None
    try:
        time.sleep(KILL_AT)
        srv.stop(signal.SIGKILL)
        killed = time.monotonic() - t0
        time.sleep(DOWN)
        restarted = None
        if load.poll() is None:
            srv2 = serve(port)  # same port: serve sets SO_REUSEADDR
            restarted = time.monotonic() - t0
        try:
            _, err = load.communicate(timeout=DURATION + 15)
        except subprocess.TimeoutExpired:
            load.kill()
            load.wait()
            return None, None, None, "load did not finish", killed, restarted
        took = time.monotonic() - t0
    finally:
        srv.stop()
        if srv2:
            srv2.stop()
    path = os.path.join(report_dir, "report.json")
    rep = json.load(open(path)) if os.path.exists(path) else None
    return load.returncode, took, rep, err.decode(errors="replace"), killed, restarted


def with_reconnect():
    with tempfile.TemporaryDirectory() as d:
        rc, took, rep, err, killed, restarted = kill_and_restart(True, d)
        if rep is None:
            return f"no report.json (rc={rc}): {err[-400:]}"
        html = os.path.exists(os.path.join(d, "index.html"))
    s = rep["summary"]
    e = s["errors"]["by_class"]
    m = s["messages"]
    c = s["connections"]
    series = rep["series"]
    problems = []
    if rc != 0:
        problems.append(f"exit {rc}")
    if abs(took - DURATION) > 1.5:
        problems.append(f"took {took:.2f} s, planned {DURATION} s")
    if abs(s["elapsed_s"] - DURATION) > 1.5:
        problems.append(f"report elapsed_s {s['elapsed_s']:.2f}")
    if e.get("reset", 0) + e.get("dropped", 0) < CONNS:
        problems.append(f"the {CONNS} open connections did not fail as reset/dropped: {e}")
    if e.get("reset", 0) == 0:
        problems.append(f"no reset class: {e}")
    if e.get("refused", 0) == 0:
        problems.append(f"no refused class while the server was down: {e}")
    if set(e) - {"reset", "refused", "dropped"}:
        problems.append(f"unexpected classes: {e}")
    # Policy: every slot reconnects once the server is back.
    if c["opened"] < 2 * CONNS:
        problems.append(f"only {c['opened']} upgrades: connections did not come back")
    back = [x for x in series if restarted and x["t"] > restarted + 1.0 and x["t"] <= DURATION]
    if not back or not any(x["received"] > 0 and x["open"] == CONNS for x in back):
        problems.append("no later second with all connections open and messages received: "
                        + str([(round(x["t"], 1), x["open"], x["received"]) for x in series]))
    down = [x for x in series if killed + 0.6 < x["t"] <= restarted]
    if not down or any(x["received"] > 0 for x in down):
        problems.append("messages while the server was down: "
                        + str([(round(x["t"], 1), x["received"]) for x in down]))
    if m["sent"] != m["received"] + m["lost"] + m["in_flight_at_stop"]:
        problems.append(f"counts do not add up: {m}")
    if m["duplicated"] or m["reordered"] or m["corrupted"]:
        problems.append(f"integrity counters moved: {m}")
    if s["interrupted"] or s["exit_code"] != 0:
        problems.append(f"status in the report: {s['interrupted']} {s['exit_code']}")
    if not html:
        problems.append("no index.html next to report.json")
    return not problems or "; ".join(problems)


def without_reconnect():
    with tempfile.TemporaryDirectory() as d:
        rc, took, rep, err, killed, restarted = kill_and_restart(False, d)
        if rep is None:
            return f"no report.json (rc={rc}): {err[-400:]}"
    s = rep["summary"]
    c = s["connections"]
    e = s["errors"]["by_class"]
    problems = []
    if rc not in (0, 1):
        problems.append(f"exit {rc}")
    if c["attempts"] != CONNS or c["opened"] != CONNS:
        problems.append(f"connections were reopened without --reconnect: {c}")
    if e.get("reset", 0) + e.get("dropped", 0) != CONNS or "refused" in e:
        problems.append(f"errors: {e}")
    late = [x for x in rep["series"] if x["t"] > killed + 0.6]
    if any(x["received"] or x["sent"] or x["open"] for x in late):
        problems.append("activity after the kill: "
                        + str([(round(x["t"], 1), x["open"], x["sent"]) for x in late]))
    # Nothing is left to do once every connection has failed: the run ends
    # then instead of idling to the planned end.
    if s["elapsed_s"] > killed + 1.0:
        problems.append(f"ran on to {s['elapsed_s']:.2f} s with no connection left "
                        f"(killed at {killed:.2f} s)")
    return not problems or "; ".join(problems)


def sigterm_report():
    port = free_port()
    with serve(port):
        try:
            rc, took, j, err = interrupted_load(f"ws://127.0.0.1:{port}/", signal.SIGTERM,
                                                "-c", "4", "-d", "60s")
        except TimeoutError:
            return "did not stop within 15 s of SIGTERM"
        if j is None:
            return f"no report after SIGTERM; rc={rc} {err[-300:]}"
    s = j["summary"]
    m = s["messages"]
    ok = (rc == 130 and s["interrupted"] is True and s["exit_code"] == 130
          and took < 5 and s["elapsed_s"] < 10 and m["sent"] > 0 and len(j["series"]) >= 1
          and m["sent"] == m["received"] + m["lost"] + m["in_flight_at_stop"])
    return ok or f"rc={rc} took={took:.2f} summary={s['interrupted']} {m}"


def second_sigint():
    """Against a server that never answers our close, the stop after one
    SIGINT waits out the close timeout (1 s); a second SIGINT ends it now."""
    port = free_port()
    times = []
    with Proc([os.path.join(PEERS, "badserver"), "--port", str(port), "--bug", "no-close-reply"],
              port=port):
        for twice in (False, True):
            p = subprocess.Popen([WSPROBE, "load", "--no-progress", "-c", "4", "-d", "60s",
                                  f"ws://127.0.0.1:{port}/"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            time.sleep(1.5)
            t0 = time.monotonic()
            p.send_signal(signal.SIGINT)
            if twice:
                time.sleep(0.05)
                p.send_signal(signal.SIGINT)
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                return f"no exit within 15 s (second SIGINT: {twice})"
            times.append((p.returncode, round(time.monotonic() - t0, 2)))
    (rc1, t1), (rc2, t2) = times
    return (rc1 == 130 and rc2 == 130 and t1 >= 0.8 and t2 < 0.5) or f"once {times[0]}, twice {times[1]}"


def restart_same_port():
    """The premise of the test above: serve can rebind a port whose
    connections were just killed (TIME_WAIT on the server side)."""
    port = free_port()
    a = serve(port)
    subprocess.run([WSPROBE, "load", "--no-progress", "-c", "2", "-d", "1s",
                    f"ws://127.0.0.1:{port}/"], capture_output=True, timeout=30)
    a.stop(signal.SIGKILL)
    b = Proc([WSPROBE, "serve", "--port", str(port)], port=port)
    try:
        wait_port(port)
    finally:
        b.stop()
    return True


R.run("serve comes back on the same port after SIGKILL", strict(restart_same_port))
R.run("SIGKILL + restart during load --reconnect: on time, reset/refused, reconnected, report",
      strict(with_reconnect))
R.run("SIGKILL during load without --reconnect: nothing reopened, run ends", strict(without_reconnect))
R.run("SIGTERM during load: partial report, interrupted, exit 130", strict(sigterm_report))
R.run("a second SIGINT while stopping exits at once (130)", strict(second_sigint))
R.finish()
