#!/usr/bin/python3
"""wsprobe check against real servers: its own `wsprobe serve` (the whole quick
catalogue, no FAILED), and python3-websockets 10.4 and node-ws 8.11 on the
whole quick catalogue (every section but the slow 9.x) with their known,
investigated deviations as committed baselines (tests/baselines/*.txt):
exit 0 with --expect-failures, and every baseline entry really FAILED (an entry
that starts passing is printed and fails the test)."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import (ROOT, WSPROBE, Results, free_port, node_echo, python_echo,  # noqa: E402
                          serve)

BASELINES = os.path.join(ROOT, "tests", "baselines")
# Every section of the catalogue runs; --quick leaves out the slow 9.x.
ALL_SECTIONS = {"0", "1", "2", "3", "4", "5", "6", "7", "10", "12", "13", "14"}

def check(url, *args, timeout=300):
    rep = tempfile.mkdtemp(prefix="wsprobe-check-")
    p = subprocess.run([WSPROBE, "check", url, "--report", rep, *args], capture_output=True,
                       text=True, timeout=timeout, cwd=ROOT, env=dict(os.environ, NO_COLOR="1"))
    with open(os.path.join(rep, "report.json")) as f:
        report = json.load(f)
    return p, report


def baseline_ids(path):
    """Case ids of a baseline file: one per line, '#' starts a comment."""
    ids = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                ids.append(line)
    return ids


def failed_ids(report):
    return sorted(c["id"] for c in report["cases"]
                  if c["verdict"] == "FAILED" or c["close_verdict"] == "FAILED")


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

    # node-ws declines subprotocols here: by default it selects the first one
    # offered, and the baseline was taken with it declining.
    peers = [("python3-websockets", python_echo, [], "python-websockets-10.4.txt"),
             ("node-ws", node_echo, ["--no-subprotocol"], "node-ws-8.11.txt")]
    for name, start, peer_args, baseline in peers:
        path = os.path.join(BASELINES, baseline)
        listed = baseline_ids(path)
        r.check(f"{name}: baseline {baseline} lists cases", len(listed) > 0, path)
        port = free_port()
        with start(port, *peer_args, log=os.path.join(tmp, name + ".log")):
            url = f"ws://127.0.0.1:{port}/"
            p, rep = check(url, "--quick", "--expect-failures", path, timeout=400)
        cases = {c["id"]: c for c in rep["cases"]}
        got = failed_ids(rep)
        r.check(f"{name}: exit 0 with the baseline", p.returncode == 0,
                f"exit {p.returncode}\n" + p.stdout[-3000:])
        new = [i for i in got if i not in listed]
        r.check(f"{name}: no FAILED beyond the baseline", new == [],
                [(i, cases[i]["verdict"], cases[i]["reason"][:150]) for i in new])
        stale = [i for i in listed if i not in cases or i not in got]
        for i in stale:
            c = cases.get(i)
            print(f"  {name}: baseline entry {i} no longer FAILED: " +
                  (f"{c['verdict']} ({c['reason'][:120]})" if c else "not in the catalogue"))
        r.check(f"{name}: every baseline entry is FAILED", stale == [], stale)
        r.check(f"{name}: every section ran", {c["section"] for c in rep["cases"]} == ALL_SECTIONS,
                sorted({c["section"] for c in rep["cases"]}))
        r.check(f"{name}: the compression cases ran compressed",
                all(c["verdict"] == "OK" for c in rep["cases"] if c["id"].startswith("12.1.")),
                [(c["id"], c["verdict"], c["reason"]) for c in rep["cases"]
                 if c["id"].startswith("12.1.") and c["verdict"] != "OK"])
    r.finish()


main()
