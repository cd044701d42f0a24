#!/usr/bin/python3
"""wsprobe load against servers that get things wrong: integrity counters
become non-zero for a server that drops, duplicates, reorders or corrupts one
message in N (each asserted); error classes for a refused port, a 403 and a
close with 1011; thresholds pass and fail; Ctrl-C still writes the report; a
1 s stall shows in the corrected p99 of an open-loop run and not in the
uncorrected one; bad options exit 2 with a sentence."""
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import WSPROBE, Results, free_port, serve  # noqa: E402
from load_util import badecho, errors, interrupted_load, load, msgs  # noqa: E402

R = Results()


def integrity(mode, counter):
    def check():
        port = free_port()
        with badecho(port, f"--{mode}", "50"):
            rc, rep, err = load(f"ws://127.0.0.1:{port}/", "-c", "4", "-k", "4", "-d", "1")
        if rc != 0 or not rep:
            return f"rc={rc} {err[-300:]}"
        m = msgs(rep)
        others = {"lost", "duplicated", "reordered", "corrupted"} - {counter}
        # One message in 50: the counter is about sent/50 and nothing else moves.
        want = m["sent"] / 50
        ok = (0.8 * want <= m[counter] <= 1.2 * want + 2 and all(m[o] == 0 for o in others)
              and m["sent"] == m["received"] + m["lost"] + m["in_flight_at_stop"])
        conns = rep["summary"]["integrity"]["connections"]
        return (ok and len(conns) > 0 and sum(c[counter] for c in conns) == m[counter]) or m
    return check


R.run("a server dropping 1 in 50: lost counted (per connection and in total)",
      integrity("drop", "lost"))
R.run("a server duplicating 1 in 50: duplicated counted", integrity("dup", "duplicated"))
R.run("a server reordering 1 in 50: reordered counted", integrity("reorder", "reordered"))
R.run("a server corrupting 1 in 50: corrupted counted", integrity("corrupt", "corrupted"))


def exact(mode, size, want):
    """--messages 2000 over 4 connections with 16 in flight each, against a
    server that spoils every 50th message it receives (counted over all
    connections): every message comes back or times out, so each planted
    fault is counted exactly, whether it arrives in the middle of a read
    (where the echoes around it are judged a run at a time) or at its end."""
    def check():
        port = free_port()
        with badecho(port, f"--{mode}", "50"):
            rc, rep, err = load(f"ws://127.0.0.1:{port}/", "-c", "4", "-k", "16", "-n", "2000",
                                "-d", "0", "--size", str(size), "--message-timeout", "1s")
        if rc != 0 or not rep:
            return f"rc={rc} {err[-300:]}"
        m = msgs(rep)
        got = {k: m[k] for k in ("sent", "received", "lost", "duplicated", "reordered",
                                 "corrupted", "in_flight_at_stop")}
        return got == {"sent": 2000, "duplicated": 0, "reordered": 0, "in_flight_at_stop": 0,
                       **want} or got
    return check


R.run("a server dropping every 50th of 2000: exactly 40 lost", exact(
    "drop", 64, {"received": 1960, "lost": 40, "corrupted": 0}))
R.run("a server flipping a fill bit in every 50th of 2000: exactly 40 corrupted", exact(
    "corrupt", 64, {"received": 2000, "lost": 0, "corrupted": 40}))
R.run("... the same with 200-byte messages (4-byte echo header)", exact(
    "corrupt", 200, {"received": 2000, "lost": 0, "corrupted": 40}))
R.run("... a checksum bit in 40-byte messages: 40 corrupted and their numbers lost", exact(
    "corrupt", 40, {"received": 1960, "lost": 40, "corrupted": 40}))


def refused():
    port = free_port()  # nothing listens there
    rc, rep, err = load(f"ws://127.0.0.1:{port}/", "-c", "3", "-d", "2")
    return (rc == 3 and errors(rep).get("refused") == 3 and "unreachable" in err) or (rc, rep
                                                                                    and errors(rep))


R.run("a refused port: error class refused, exit 3", refused)


def status_403():
    port = free_port()
    with badecho(port, "--status", "403"):
        rc, rep, err = load(f"ws://127.0.0.1:{port}/", "-c", "3", "-d", "1")
    e = rep["summary"]["errors"]
    return (errors(rep).get("handshake_status") == 3 and e["handshake_status"] == {"403": 3}
            and "HTTP 403" in e["details"]["handshake_status"][0]) or e


R.run("a server answering 403: handshake_status counted by code", status_403)


def close_1011():
    port = free_port()
    with badecho(port, "--close", "1011", "--after", "20"):
        rc, rep, err = load(f"ws://127.0.0.1:{port}/", "-c", "2", "-d", "1")
    e = rep["summary"]["errors"]
    return (errors(rep).get("close_received") == 1 and e["close_codes"] == {"1011": 1}) or e


R.run("a server closing with 1011: close_received, close code 1011 counted", close_1011)


def stall():
    port = free_port()
    with badecho(port, "--stall", "1000", "--after", "800"):
        rc, rep, err = load(f"ws://127.0.0.1:{port}/", "-c", "10", "-k", "1", "-r", "1000",
                            "-d", "4")
    if rc != 0 or not rep:
        return f"rc={rc} {err[-300:]}"
    lat = rep["summary"]["latency"]
    c, u = lat["corrected"]["p99_us"], lat["uncorrected"]["p99_us"]
    behind = rep["summary"]["rate"]["behind"]
    return (c >= 500000 and u < 200000 and behind > 100) or (c, u, behind)


R.run("a 1 s stall in an open-loop run: in the corrected p99, not the uncorrected", stall)

port = free_port()
with serve(port):
    url = f"ws://127.0.0.1:{port}/"

    def thresholds_pass():
        rc, rep, err = load(url, "-c", "2", "-d", "1", "--threshold", "p99<10s",
                            "--threshold", "error_rate<0.1%", "--threshold", "lost==0")
        return (rc == 0 and all(t["pass"] for t in rep["thresholds"])
                and len(rep["thresholds"]) == 3) or (rc, rep and rep["thresholds"])
    R.run("thresholds met: exit 0", thresholds_pass)

    def thresholds_fail():
        rc, rep, err = load(url, "-c", "2", "-d", "1", "--threshold", "p99<1ns",
                            "--threshold", "lost==0", "--threshold", "msgs_per_s>1000000000")
        th = rep["thresholds"]
        return (rc == 1 and [t["pass"] for t in th] == [False, True, False]
                and "'p99<1ns'" in err and "'msgs_per_s>1000000000'" in err
                and "'lost==0'" not in err) or (rc, err[-300:])
    R.run("thresholds missed: exit 1 naming the missed ones", thresholds_fail)

    def sigint_report():
        try:
            rc, took, j, err = interrupted_load(url, signal.SIGINT, "-c", "4", "-d", "60")
        except TimeoutError:
            return "did not stop within 15 s of SIGINT"
        if j is None:
            return f"no report; rc={rc} {err[-300:]}"
        m = j["summary"]["messages"]
        return (rc == 130 and j["summary"]["interrupted"] and took < 5
                and m["sent"] > 0
                and m["sent"] == m["received"] + m["lost"] + m["in_flight_at_stop"]) or (
            rc, took, m)
    R.run("SIGINT stops the run cleanly, writes the report, exits 130", sigint_report)

    def bad_options():
        cases = [(["--size", "10"], "at least 40"), (["-c", "0"], "--connections"),
                 (["--threshold", "p99<<3"], "threshold"), (["--threshold", "nope<3"], "metric"),
                 (["--stages", "10s"], "--stages"), (["--rate", "-5"], "--rate"),
                 (["-c", "3000000"], "ephemeral ports"),
                 (["--close-timeout", "0"], "--close-timeout: must be more than 0"),
                 (["--ping-interval", "0s"], "--ping-interval: must be more than 0"),
                 (["--close-timeout", "soon"], "not a duration")]
        for args, word in cases:
            p = subprocess.run([WSPROBE, "load", *args, url], capture_output=True, timeout=20)
            if p.returncode != 2 or word not in p.stderr.decode():
                return (args, p.returncode, p.stderr.decode()[-200:])
        p = subprocess.run([WSPROBE, "load", "http://x/"], capture_output=True, timeout=20)
        return p.returncode == 2 or p.stderr.decode()
    R.run("bad options: exit 2 with a sentence naming the problem", bad_options)

R.finish()
