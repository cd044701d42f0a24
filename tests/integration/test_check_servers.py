#!/usr/bin/python3
"""wsprobe check against real servers, the whole catalogue (the slow 9.x
included): its own `wsprobe serve`, with and without --deflate (no FAILED),
and python3-websockets 10.4 and node-ws 8.11 with their known, investigated
deviations as committed baselines (tests/baselines/*.txt): exit 0 with
--expect-failures, and every baseline entry really FAILED (an entry that starts
passing is printed and fails the test). Both pass every 9.x case, so no 9.x id
is in their baselines. Their compression sections (12-14) are left to
test_check_deflate.py, which checks those baseline entries the same way; this
test would only repeat its slowest runs."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import (ROOT, Results, baseline_ids, check_report, free_port,  # noqa: E402
                          node_echo, python_echo, serve)

BASELINES = os.path.join(ROOT, "tests", "baselines")
# Every section of the catalogue runs, the slow 9.x too.
ALL_SECTIONS = {"0", "1", "2", "3", "4", "5", "6", "7", "9", "10", "12", "13", "14"}
COMPRESSION = {"12", "13", "14"}


def failed_ids(report):
    return sorted(c["id"] for c in report["cases"]
                  if c["verdict"] == "FAILED" or c["close_verdict"] == "FAILED")


def main():
    r = Results()
    tmp = tempfile.mkdtemp(prefix="wsprobe-peers-")

    for flags in ([], ["--deflate"]):
        name = " ".join(["serve"] + flags)
        port = free_port()
        with serve(port, *flags):
            url = f"ws://127.0.0.1:{port}/"
            p, _, rep = check_report(url, timeout=600, whole=True)
        r.check(f"{name}: exit 0", p.returncode == 0, p.stdout[-2000:] + p.stderr[-1000:])
        r.check(f"{name}: no FAILED", failed_ids(rep) == [], failed_ids(rep))
        r.check(f"{name}: summary line", "failed in" in p.stdout and " 0 failed" in p.stdout,
                p.stdout[-300:])
        r.check(f"{name}: every section ran, 9.x included",
                {c["section"] for c in rep["cases"]} == ALL_SECTIONS,
                sorted({c["section"] for c in rep["cases"]}))
        slow = [c for c in rep["cases"] if c["id"].startswith("9.")]
        r.check(f"{name}: the slow cases (16 MiB echo, 1000 round trips, ...) all OK",
                len(slow) > 50 and all(c["verdict"] == "OK" for c in slow),
                [(c["id"], c["verdict"]) for c in slow if c["verdict"] != "OK"])
        r.check(f"{name}: server agent recorded", (rep.get("agent") or "").startswith("wsprobe"),
                rep.get("agent"))
        compressed = [c for c in rep["cases"] if c["id"].startswith("12.1.")]
        r.check(f"{name}: compression cases {'OK' if flags else 'UNIMPLEMENTED'}",
                compressed and all(c["verdict"] == ("OK" if flags else "UNIMPLEMENTED")
                                   for c in compressed),
                [(c["id"], c["verdict"]) for c in compressed])

    # node-ws declines subprotocols here: by default it selects the first one
    # offered, and the baseline was taken with it declining.
    peers = [("python3-websockets", python_echo, [], "python-websockets-10.4.txt"),
             ("node-ws", node_echo, ["--no-subprotocol"], "node-ws-8.11.txt")]
    for name, start, peer_args, baseline in peers:
        path = os.path.join(BASELINES, baseline)
        listed = [i for i in baseline_ids(path) if i.split(".")[0] not in COMPRESSION]
        r.check(f"{name}: baseline {baseline} lists cases", len(listed) > 0, path)
        port = free_port()
        with start(port, *peer_args, log=os.path.join(tmp, name + ".log")):
            url = f"ws://127.0.0.1:{port}/"
            p, cases, rep = check_report(url, "--expect-failures", path, "--exclude",
                                         ",".join(COMPRESSION), timeout=600, whole=True)
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
        r.check(f"{name}: every section but 12-14 ran, 9.x included",
                {c["section"] for c in rep["cases"]} == ALL_SECTIONS - COMPRESSION,
                sorted({c["section"] for c in rep["cases"]}))
        slow = [c for c in rep["cases"] if c["id"].startswith("9.")]
        r.check(f"{name}: every 9.x case OK (none in the baseline)",
                len(slow) > 50 and all(c["verdict"] == "OK" and c["close_verdict"] == "OK"
                                       for c in slow),
                [(c["id"], c["verdict"], c["reason"][:80]) for c in slow if c["verdict"] != "OK"])
    r.finish()


main()
