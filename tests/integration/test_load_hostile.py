#!/usr/bin/python3
"""wsprobe load against hostile servers (build/peers/badserver, one --bug each):
`load -c 4 -d 3 --reconnect` finishes in time, exits 0 without a sanitizer
report, classes the misbehaviour as the error class expected for it (asserted
in the JSON report, with a detail naming it), keeps reconnecting, and its peak
RSS (from wait4 on that one child) stays under a bound, even for the deflate
bomb, the 2^63 frame and the endless message.

Figures: each mode prints its peak RSS and run time; the bound is asserted."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import PEERS, SANITIZER_MARKS, WSPROBE, Proc, Results, free_port  # noqa: E402

R = Results()
BADSERVER = os.path.join(PEERS, "badserver")
DURATION = 3.0
# The run's end: duration, then up to 1 s draining echoes still in flight and
# 1 s for closing handshakes (loadgen/README.md), plus scheduling slack.
LATEST = DURATION + 1.0 + 1.0 + 1.5
RSS_BOUND_KIB = 100 * 1024

# mode: (error class, words of its first detail, extra options)
MODES = {
    "silent": ("handshake_timeout", "no upgrade response in time", []),
    "slowloris": ("handshake_timeout", "no upgrade response in time", []),
    "endless-header": ("handshake_invalid", "too large", []),
    "million-headers": ("handshake_invalid", "too many HTTP header fields", []),
    "status-200": ("handshake_status", "HTTP 200", []),
    "wrong-accept": ("handshake_invalid", "Sec-WebSocket-Accept", []),
    "len63": ("protocol_error", "over the configured limit", []),
    "len64-msb": ("protocol_error", "most significant bit", []),
    "endless-continuation": ("protocol_error", "over the configured limit", []),
    "deflate-bomb": ("protocol_error", "inflated message over the receive limit", ["--deflate"]),
    "rst-mid-frame": ("reset", "reset", []),
    "drop-no-close": ("dropped", "without a close frame", []),
    "close-then-data": ("close_received", "server closed with 1000", []),
    "ping-flood": ("read_timeout", "not echoed within", []),
}


def child_env():
    env = dict(os.environ)
    # ASan parks freed memory in a 256 MiB quarantine by default, which would
    # measure the sanitizer rather than wsprobe; 16 MiB still catches reuse.
    opts = env.get("ASAN_OPTIONS", "")
    env["ASAN_OPTIONS"] = (opts + ":" if opts else "") + "quarantine_size_mb=16"
    return env


def run_measured(argv, timeout):
    """Runs argv; returns (exit code, stdout, stderr, seconds, peak RSS KiB and
    CPU seconds of that child alone, from wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdout=out, stderr=err, env=child_env(),
                             start_new_session=True)
        killer = threading.Timer(timeout, lambda: os.kill(p.pid, signal.SIGKILL))
        killer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            killer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
        took = time.monotonic() - t0
        out.seek(0)
        err.seek(0)
        return (p.returncode, out.read().decode(errors="replace"),
                err.read().decode(errors="replace"), took, ru.ru_maxrss,
                ru.ru_utime + ru.ru_stime)


figures = []


def strict(fn):
    """Results.run passes any truthy value, a problem text included: here
    only True passes, anything else is raised as the failure's detail."""
    def wrapped():
        r = fn()
        if r is not True:
            raise AssertionError(r)
    return wrapped


def hostile(mode, cls, words, extra):
    def check():
        port = free_port()
        with Proc([BADSERVER, "--port", str(port), "--bug", mode], port=port):
            if mode == "deflate-bomb":
                # badserver compresses its 1 GiB bomb once, at the first
                # message (seconds on a busy machine): have it ready first.
                subprocess.run([WSPROBE, "load", "--no-progress", "-c", "1", "-d", "0", "-n", "1",
                                "--message-timeout", "20s", "--deflate",
                                f"ws://127.0.0.1:{port}/"], capture_output=True, timeout=40)
            rc, out, err, took, rss, cpu = run_measured(
                [WSPROBE, "load", "--no-progress", "--json", "-c", "4", "-d", "3s",
                 "--reconnect", "--handshake-timeout", "1s", "--message-timeout", "1s", *extra,
                 f"ws://127.0.0.1:{port}/"], timeout=30)
        figures.append((mode, rss, took, cpu))
        bad = [s for s in SANITIZER_MARKS if s in err]
        if bad or rc != 0:
            return f"rc={rc} sanitizer={bad} {err[-600:]}"
        try:
            rep = json.loads(out)
        except ValueError:
            return f"no JSON report on stdout: {out[:200]!r}"
        s = rep["summary"]
        e = s["errors"]
        got = e["by_class"].get(cls, 0)
        detail = (e["details"].get(cls) or [""])[0]
        attempts = s["connections"]["attempts"]
        problems = []
        if got == 0:
            problems.append(f"no {cls} error: {e['by_class']}")
        if words not in detail:
            problems.append(f"{cls} detail {detail!r} lacks {words!r}")
        if not DURATION - 0.1 <= took <= LATEST:
            problems.append(f"took {took:.2f} s (planned {DURATION} s, latest {LATEST} s)")
        if s["elapsed_s"] < DURATION - 0.1:
            problems.append(f"stopped early at {s['elapsed_s']:.2f} s")
        if rss >= RSS_BOUND_KIB:
            problems.append(f"peak RSS {rss} KiB >= {RSS_BOUND_KIB} KiB")
        # A connection that failed early enough is reopened (--reconnect,
        # 100 ms first delay): then there are more attempts than connections.
        # (The bomb comes late when badserver is still compressing it, and the
        # ping flood's echoes time out without ending the connection.)
        early = any(x["errors"] and x["t"] <= DURATION - 0.8 for x in rep["series"])
        if cls != "read_timeout" and early and attempts <= 4:
            problems.append(f"no reconnection: {attempts} connect attempts")
        if mode == "status-200" and e["handshake_status"] != {"200": got}:
            problems.append(f"handshake_status by code: {e['handshake_status']}")
        if mode == "close-then-data" and e["close_codes"].get("1000", 0) == 0:
            problems.append(f"close codes: {e['close_codes']}")
        return not problems or "; ".join(problems)
    return check


for mode, (cls, words, extra) in MODES.items():
    R.run(f"load vs badserver --bug {mode}: class {cls}, in time, bounded RSS, exit 0",
          strict(hostile(mode, cls, words, extra)))

print("peak RSS of wsprobe load -c 4 -d 3 --reconnect per hostile mode "
      f"({os.path.basename(WSPROBE)} {os.path.dirname(WSPROBE)}):")
for mode, rss, took, cpu in figures:
    print(f"  {mode:22s} {rss / 1024:7.1f} MiB  {took:5.2f} s  {cpu:5.2f} s CPU")
R.finish()
