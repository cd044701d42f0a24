"""Helpers for the `wsprobe load` integration tests: run a load with --json and
return (exit code, report, stderr), and the check that counts add up."""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import PEERS, PYTHON, WSPROBE, Proc, free_port  # noqa: E402,F401

HERE = os.path.dirname(os.path.abspath(__file__))


def load(url, *args, timeout=60):
    """Runs wsprobe load URL ARGS --json; returns (rc, report or None, stderr)."""
    p = subprocess.run([WSPROBE, "load", "--no-progress", "--json", *args, url],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    try:
        rep = json.loads(p.stdout.decode()) if p.stdout.strip() else None
    except ValueError:
        rep = None
    return p.returncode, rep, p.stderr.decode(errors="replace")


def interrupted_load(url, sig, *args, after=1.5, timeout=15):
    """Runs wsprobe load URL ARGS --report DIR, sends `sig` after `after` s.
    Returns (rc, seconds from the signal to the exit, report.json or None,
    stderr); raises TimeoutError if it does not exit within `timeout` s."""
    with tempfile.TemporaryDirectory() as d:
        p = subprocess.Popen([WSPROBE, "load", "--no-progress", *args, "--report", d, url],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(after)
        t0 = time.monotonic()
        p.send_signal(sig)
        try:
            _, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise TimeoutError(f"did not stop within {timeout} s of signal {sig}") from None
        took = time.monotonic() - t0
        path = os.path.join(d, "report.json")
        rep = None
        if os.path.exists(path):
            with open(path) as f:
                rep = json.load(f)
        return p.returncode, took, rep, err.decode(errors="replace")


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


def load_peer(mode, port, *args, **kw):
    """load_peer.py (python3-websockets) in MODE on PORT, its options in ARGS;
    keyword arguments go to Proc (wait=False: do not wait for the port)."""
    return Proc([PYTHON, os.path.join(HERE, "load_peer.py"), mode, str(port), *args], port=port,
                **kw)
