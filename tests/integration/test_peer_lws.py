#!/usr/bin/python3
"""wsprobe check and wsprobe load against libwebsockets (Debian's
libwebsockets-test-server, lws 4.1.x), a real peer nobody here wrote.

What the test server really does (found by talking to it, see the report):
- --interface=lo binds the listener to 127.0.0.1 ([::ffff:127.0.0.1]) only; an
  address such as --interface=127.0.0.1 is NOT understood and binds every
  interface, so the test uses lo and connects only to 127.0.0.1.
- Resources: /usr/share/libwebsockets-test-server (compiled in); only the HTTP
  pages use them, not the WebSocket protocols.
- "lws-mirror-protocol" sends every received chunk to every client of the same
  mirror instance, chosen by the URL argument ?mirror=NAME. It is not a message
  echo: everything comes back as TEXT (binary too), each received fragment or
  read chunk becomes its own message, and messages are cut at about 4 KiB (its
  4096-byte rx buffer). So cases that send binary, fragmented, chopped or larger
  messages and expect them back whole do not apply (NOT_FOR_MIRROR below, each
  checked by hand). Clients without a subprotocol (raw handshakes) get the
  first protocol, http-only, which mirrors nothing.
- No permessage-deflate is negotiated (every offer is declined).
- "dumb-increment-protocol" sends a decimal counter to each client many times a
  second; the text "reset\n" sets it back to 0.

Cases on one mirror instance see each other's messages, so the catalogue runs
with -j 1 (about 60 s). Splitting it over several wsprobe check processes, each
on its own ?mirror=NAME instance, was tried: with 4 concurrent clients the
server dropped ~80 plain cases' connections without a close frame (not
investigated further), so SHARDS stays 1."""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import ROOT, WSPROBE, Proc, Results, baseline_ids, free_port  # noqa: E402
from load_util import load, msgs  # noqa: E402

LWS = "/usr/bin/libwebsockets-test-server"
BASELINE = os.path.join(ROOT, "tests", "baselines", "libwebsockets-4.x.txt")
SHARDS = 1
MIRROR = "lws-mirror-protocol"
# Two deviations in the closing phase depend on timing inside lws, so they show
# up on some runs of a case and not others: after failing a connection (close
# 1002) it either closes TCP at once or keeps it open until its ~5 s timeout
# (past our 2 s close_timeout); and the mirrored message queued before the
# failure goes out before or after its close frame. Every case in these
# sections may show either; a run passes them to wsprobe as extra baseline
# globs, and the test accepts a FAILED beyond the committed baseline only when
# it is one of these two closing verdicts on an otherwise non-FAILED case.
TIMING_SECTIONS = ["3.*", "4.*", "5.*", "14.4.*"]
TIMING_REASONS = ("server did not close TCP within", "frames after its close frame")

# Cases that need a real echo, which the mirror protocol is not (each was run
# and read in the wire log): raw handshakes without the subprotocol then an
# echo (0.1.3 0.1.4 0.1.9 0.1.15 0.8.4: bound to http-only, nothing comes
# back); binary messages (come back as text, invalid UTF-8 ones as invalid
# text); fragmented messages and frames written in pieces (each fragment/read
# comes back as its own text message, cut inside UTF-8 sequences; 1.3.7 and
# 1.3.8, a frame whose first 100 bytes come 1 s before the rest, come back as
# a 100-byte text message at once); messages over ~4 KiB (cut into
# 4082-4088-byte text messages).
NOT_FOR_MIRROR = "1.3.7,1.3.8,5.25,7.1.5,6.1.2,7.2.3,7.2.8,0.1.3,0.1.4,0.1.9,0.1.15,0.8.4,1.1.6,1.1.7,1.1.8,1.2.1,1.2.2,1.2.3,1.2.4,1.2.5,1.2.6,1.2.7,1.2.8,1.4.1,1.4.2,1.4.3,1.4.4,1.4.5,1.4.6,1.4.7,1.5.3,1.5.4,1.5.5,1.5.6,1.5.7,1.5.8,1.5.9,1.5.10,1.5.11,1.5.12,1.5.13,1.5.14,1.5.15,1.5.16,1.8.2,1.8.3,3.4,4.3.1,4.3.10,5.3,5.4,5.5,5.6,5.7,5.8,5.19,5.20,5.21,5.26,5.27,5.28.1,5.28.2,5.28.3,5.28.4,5.28.5,5.28.6,5.28.7,5.28.9,5.28.10,5.28.11,5.28.12,5.28.13,5.28.14,5.28.15,5.28.16,5.30,5.31,5.32,5.34,6.1.3,6.2.2,6.2.3,6.2.4,6.3.2,6.4.1,6.4.2,6.4.3,6.4.4,6.24.1,6.24.2,6.24.3,6.24.4,6.24.5,6.24.6,6.24.7,6.24.8,6.24.9,6.24.10,6.26.1,6.26.2,6.26.3,6.26.4,6.26.5,6.26.6,6.27.2,6.28.1,6.28.2,6.28.3,6.28.4,6.28.5,7.1.6,10.1.1,10.2.1,10.2.2,10.2.3,10.2.4,10.2.5,10.2.6,10.2.7,10.3.1,10.3.2,10.3.3,10.4.1,10.4.2,10.4.3,10.4.4,10.5.1,10.5.2,10.5.3,10.6.1,10.6.2,14.4.1"


def failed_ids(cases):
    return sorted((c["id"] for c in cases if c["verdict"] == "FAILED" or
                   c["close_verdict"] == "FAILED"), key=lambda i: [int(x) for x in i.split(".")])


def catalogue():
    """Ids of the quick catalogue (no slow 9.x), in catalogue order."""
    p = subprocess.run([WSPROBE, "cases"], capture_output=True, text=True, timeout=30, cwd=ROOT)
    ids = [line.split()[0] for line in p.stdout.splitlines() if line.strip()]
    return [i for i in ids if "." in i and i[0].isdigit() and not i.startswith("9.")]


def timing_only(c):
    return (c["verdict"] != "FAILED" and c["close_verdict"] == "FAILED" and
            any(t in c["close_reason"] for t in TIMING_REASONS) and
            any(c["id"].startswith(g[:-1]) for g in TIMING_SECTIONS))


def check_sharded(port, ids, tmp):
    """Runs the ids round-robin over SHARDS concurrent wsprobe check processes
    (-j 1 each); returns [(rc, stdout)] and all cases."""
    procs = []
    expect = os.path.join(tmp, "expect-failures.txt")
    with open(BASELINE, encoding="utf-8") as f, open(expect, "w", encoding="utf-8") as out:
        out.write(f.read() + "\n# timing-dependent closing (test_peer_lws.py)\n" +
                  "\n".join(TIMING_SECTIONS) + "\n")
    for k in range(SHARDS):
        part = ids[k::SHARDS]
        rep = os.path.join(tmp, f"shard{k}")
        url = f"ws://127.0.0.1:{port}/" if SHARDS == 1 else f"ws://127.0.0.1:{port}/?mirror=s{k}"
        out = open(os.path.join(tmp, f"shard{k}.out"), "w+")
        argv = [WSPROBE, "check", url, "--subprotocol", MIRROR, "--quick", "-j", "1",
                "--cases", ",".join(part), "--expect-failures", expect, "--report", rep]
        procs.append((subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                                       env=dict(os.environ, NO_COLOR="1")), out, rep))
    runs, cases = [], []
    for p, out, rep in procs:
        try:
            rc = p.wait(timeout=120)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
        out.seek(0)
        runs.append((rc, out.read()))
        out.close()
        with open(os.path.join(rep, "report.json")) as f:
            cases += json.load(f)["cases"]
    return runs, cases


def conformance(r, port, tmp):
    excluded = set(NOT_FOR_MIRROR.split(","))
    all_ids = catalogue()
    r.check("catalogue listed", len(all_ids) > 800, len(all_ids))
    r.check("every excluded id is in the catalogue", excluded <= set(all_ids),
            sorted(excluded - set(all_ids)))
    ids = [i for i in all_ids if i not in excluded]
    t0 = time.monotonic()
    runs, cases = check_sharded(port, ids, tmp)
    print(f"  {len(cases)} cases in {time.monotonic() - t0:.1f} s over {SHARDS} shards")
    for k, (rc, out) in enumerate(runs):
        r.check(f"check shard {k}: exit 0 with the baseline", rc == 0,
                f"exit {rc}\n" + out[-2500:])
    r.check("every selected case ran once", sorted(c["id"] for c in cases) == sorted(ids),
            len(cases))
    timing = set()
    listed = baseline_ids(BASELINE, timing)
    byid = {c["id"]: c for c in cases}
    got = failed_ids(cases)
    new = [i for i in got if i not in listed and not timing_only(byid[i])]
    extra = [i for i in got if i not in listed and timing_only(byid[i])]
    print(f"  timing-dependent closing FAILED beyond the baseline this run: {extra}")
    r.check("no FAILED beyond the baseline", new == [],
            [(i, byid[i]["verdict"], byid[i]["reason"][:120], byid[i]["close_reason"][:80])
             for i in new])
    stale = [i for i in listed if i not in byid or (i not in got and i not in timing)]
    print(f"  timing-dependent baseline entries that failed this run: "
          f"{len([i for i in timing if i in got])} of {len(timing)}")
    r.check("timing-dependent entries: most failed", 2 * len([i for i in timing if i in got])
            >= len(timing), sorted(timing - set(got)))
    for i in stale:
        c = byid.get(i)
        print(f"  baseline entry {i} no longer FAILED: " +
              (f"{c['verdict']}/{c['close_verdict']} ({c['reason'][:120]})" if c
               else "not run (excluded or not in the catalogue)"))
    r.check("every baseline entry is FAILED", stale == [], stale)
    ok = sum(1 for c in cases if c["verdict"] == "OK" and c["close_verdict"] == "OK")
    r.check("at least 300 cases pass outright", ok >= 300, ok)
    r.check("UTF-8 validation: invalid text is failed with 1007",
            byid.get("6.3.1", {}).get("verdict") == "OK", byid.get("6.3.1"))


def load_checks(r, port):
    url = f"ws://127.0.0.1:{port}/"
    # broadcast: 1 sender, 20 receivers (the sender included) on one mirror
    rc, rep, err = load(url + "?mirror=bcast", "-s", "broadcast", "--senders", "1", "-c", "20",
                        "--subprotocol", MIRROR, "-d", "3", timeout=40)
    if r.check("broadcast: exit 0 with a report", rc == 0 and rep is not None,
               f"rc={rc} {err[-400:]}"):
        m = msgs(rep)
        conns = rep["summary"]["connections"]
        r.check("broadcast: 20 connections opened", conns["opened"] == 20, conns)
        r.check("broadcast: published enough", m["sent"] >= 50, m)
        # every publish reaches all 20; only the last one may be on its way at stop
        r.check("broadcast: fan-out adds up (received = 20 x sent, minus the last in flight)",
                20 * (m["sent"] - 1) <= m["received"] <= 20 * m["sent"], m)
        r.check("broadcast: lost, duplicated, corrupted, unexpected all 0",
                (m["lost"], m["duplicated"], m["corrupted"], m["unexpected"]) == (0, 0, 0, 0), m)
        r.check("broadcast: no errors", rep["summary"]["errors"]["total"] == 0,
                rep["summary"]["errors"])
    # echo: mirror with a single client is an echo
    rc, rep, err = load(url + "?mirror=echo", "-c", "1", "--subprotocol", MIRROR, "-d", "2",
                        timeout=30)
    if r.check("echo -c 1: exit 0 with a report", rc == 0 and rep is not None,
               f"rc={rc} {err[-400:]}"):
        m = msgs(rep)
        r.check("echo -c 1: messages went round", m["sent"] >= 100, m)
        r.check("echo -c 1: sent = received + in flight",
                m["sent"] == m["received"] + m["in_flight_at_stop"], m)
        r.check("echo -c 1: integrity counters 0",
                (m["lost"], m["duplicated"], m["reordered"], m["corrupted"]) == (0, 0, 0, 0), m)
        r.check("echo -c 1: no errors", rep["summary"]["errors"]["total"] == 0,
                rep["summary"]["errors"])


def dumb_increment(r, port, tmp):
    # Wait for the first counter, reset it, wait for "0", then count what
    # arrives: the server pushes without being asked.
    script = os.path.join(tmp, "dumb.json")
    with open(script, "w") as f:
        json.dump({"steps": [{"expect": "", "timeout": "2s"}, {"send": "reset\n"},
                             {"expect": "0", "timeout": "2s"}], "loop": False}, f)
    rc, rep, err = load(f"ws://127.0.0.1:{port}/", "-s", "script", "--script", script,
                        "-c", "5", "--subprotocol", "dumb-increment-protocol", "-d", "3",
                        timeout=30)
    if r.check("dumb-increment script: exit 0 with a report", rc == 0 and rep is not None,
               f"rc={rc} {err[-400:]}"):
        m = msgs(rep)
        lat = rep["summary"]["latency"]["uncorrected"]
        r.check("dumb-increment: one reset sent per connection", m["sent"] == 5, m)
        r.check("dumb-increment: both expects met on every connection", lat["count"] == 10, lat)
        # pushed counters: at least 10 a second on each of the 5 connections
        r.check("dumb-increment: counters keep arriving unasked", m["received"] >= 5 * 3 * 10, m)
        r.check("dumb-increment: no errors", rep["summary"]["errors"]["total"] == 0,
                rep["summary"]["errors"])


def main():
    r = Results()
    if not os.access(LWS, os.X_OK):
        print(f"SKIPPED: {LWS} not installed")
        print("0 passed, 0 failed")
        sys.exit(0)
    tmp = tempfile.mkdtemp(prefix="wsprobe-lws-")
    port = free_port()
    # --interface=lo: listen on 127.0.0.1 only (an address is not understood here)
    argv = [LWS, f"--port={port}", "--interface=lo"]
    with Proc(argv, port=port, log=os.path.join(tmp, "lws.log")):
        conformance(r, port, tmp)
        load_checks(r, port)
        dumb_increment(r, port, tmp)
    r.finish()


main()
