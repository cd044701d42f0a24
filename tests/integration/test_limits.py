#!/usr/bin/python3
"""Resource limits of `wsprobe load`, said before the run, never a silent cap.

File descriptors (under prlimit): connections that cannot fit under the hard
RLIMIT_NOFILE give exit 2 and a sentence naming the file-descriptor limit,
before any connection is tried; with a soft limit below the hard one, load
raises the soft limit itself and opens every connection.

Ephemeral ports: one source address reaches one target through the ephemeral
port range less the reserved ports; one connection more than that gives exit 2
and a sentence suggesting --source-ips, and --source-ips with two addresses
lets the same count through the port check."""
import json
import os
import re
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import WSPROBE, Results, free_port, serve, strict  # noqa: E402

R = Results()


def limited(soft, hard):
    """argv prefix running a command under RLIMIT_NOFILE soft:hard. As root,
    CAP_SYS_RESOURCE would let wsprobe lift the hard limit itself, so it is
    dropped (bounding and inheritable sets) for the command."""
    pre = []
    if os.geteuid() == 0:
        pre = ["setpriv", "--bounding-set=-sys_resource", "--inh-caps=-sys_resource"]
    return [*pre, "prlimit", f"--nofile={soft}:{hard}"]


def run(argv, timeout=60):
    t0 = time.monotonic()
    p = subprocess.run(argv, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"), \
        time.monotonic() - t0


def port_capacity():
    """Ephemeral ports one source address has toward one target."""
    lo, hi = (int(x) for x in open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
    reserved = 0
    text = open("/proc/sys/net/ipv4/ip_local_reserved_ports").read().strip()
    for tok in filter(None, text.split(",")):
        a, _, b = tok.partition("-")
        a, b = int(a), int(b or a)
        a, b = max(a, lo), min(b, hi)
        reserved += max(0, b - a + 1)
    return hi - lo + 1 - reserved


hard_now = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
HARD = 1024 if hard_now == resource.RLIM_INFINITY or hard_now >= 1024 else hard_now

port = free_port()
with serve(port):
    url = f"ws://127.0.0.1:{port}/"

    def too_many_for_hard_limit():
        rc, out, err, took = run([*limited(256, 256), WSPROBE, "load", "--no-progress",
                                  "-c", "5000", "-d", "2s", url])
        words = ["5000 connections need", "file descriptors", "hard limit is 256"]
        missing = [w for w in words if w not in err]
        # Exit 2 at once: a usage error before any connection (not the
        # summary of a run that hit EMFILE).
        return (rc == 2 and not missing and took < 5 and "errors" not in out) or \
            f"rc={rc} took={took:.1f}s missing={missing} {err[-300:]}"
    R.run("-c 5000 under nofile 256:256: exit 2 before starting, naming the fd limit",
          strict(too_many_for_hard_limit))

    def over_hard_after_soft():
        n = HARD - 10  # fits the hard limit alone, not with wsprobe's own descriptors
        rc, out, err, took = run([*limited(256, HARD), WSPROBE, "load", "--no-progress",
                                  "-c", str(n), "-d", "2s", url])
        return (rc == 2 and "file descriptors" in err and f"hard limit is {HARD}" in err
                and took < 5) or f"rc={rc} {err[-300:]}"
    R.run(f"-c {HARD - 10} under nofile 256:{HARD}: exit 2 naming the hard limit (no silent cap)",
          strict(over_hard_after_soft))

    def raises_soft_limit():
        n = 300
        p = subprocess.run([*limited(256, HARD), WSPROBE, "load", "--no-progress", "--json",
                            "-c", str(n), "-d", "2s", "-t", "2", url],
                           capture_output=True, timeout=60)
        try:
            rep = json.loads(p.stdout.decode())
        except ValueError:
            return f"rc={p.returncode} {p.stderr.decode()[-300:]}"
        c = rep["summary"]["connections"]
        e = rep["summary"]["errors"]
        return (p.returncode == 0 and c["opened"] == n and c["peak_open"] == n
                and e["total"] == 0) or f"rc={p.returncode} {c} {e['by_class']}"
    R.run(f"-c 300 under nofile 256:{HARD}: soft limit raised, all 300 open at once",
          strict(raises_soft_limit))

    per = port_capacity()

    def ports_one_address():
        rc, out, err, took = run([WSPROBE, "load", "--no-progress", "-c", str(per + 1),
                                  "-d", "2s", url])
        need = -(-(per + 1) // per)
        words = [f"{per + 1} connections do not fit", f"{per} ephemeral ports",
                 "--source-ips", f"127.0.0.1-127.0.0.{need}"]
        missing = [w for w in words if w not in err]
        return (rc == 2 and not missing and took < 5) or f"rc={rc} missing={missing} {err[-300:]}"
    R.run(f"-c {per + 1} (one more than the {per} ports of one address): exit 2 suggesting "
          "--source-ips", strict(ports_one_address))

    def ports_fit_exactly():
        # Exactly the ports of one address passes the port check; the fd
        # check that follows (under 256:256) proves it got that far.
        rc, out, err, took = run([*limited(256, 256), WSPROBE, "load", "--no-progress",
                                  "-c", str(per), "-d", "2s", url])
        return (rc == 2 and "do not fit" not in err and "file descriptors" in err) or \
            f"rc={rc} {err[-300:]}"
    R.run(f"-c {per}: fits one address's ports (stops at the fd limit instead)",
          strict(ports_fit_exactly))

    def ports_two_addresses():
        rc, out, err, took = run([*limited(256, 256), WSPROBE, "load", "--no-progress",
                                  "-c", str(per + 1), "--source-ips", "127.0.0.1-127.0.0.2",
                                  "-d", "2s", url])
        said = re.search(rf"2 source addresses x {per} ports each .* = {2 * per} connections", err)
        return (rc == 2 and "do not fit" not in err and said is not None
                and "file descriptors" in err) or f"rc={rc} {err[-400:]}"
    R.run(f"-c {per + 1} --source-ips 127.0.0.1-127.0.0.2: capacity said, port check passes",
          strict(ports_two_addresses))

R.finish()
