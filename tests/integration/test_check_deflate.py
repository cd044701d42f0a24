#!/usr/bin/python3
"""The compression catalogue (cases 12.x, 13.x, 14.x) against real servers.

- `wsprobe serve --deflate` passes every case (no FAILED verdict, no FAILED
  closing verdict), and the 12.x/13.x echo cases are all OK.
- `wsprobe serve` without --deflate: every case that needs compression is
  UNIMPLEMENTED, never FAILED; the negotiation cases still pass.
- python3-websockets 10.4 and node-ws 8.11 echo servers (deflate on): exactly
  the cases listed below fail, each a deviation checked by hand against
  RFC 7692; with those ids as an --expect-failures baseline, exit 0.
- build/peers/badserver with each planted compression bug: the cases that
  must catch it are FAILED, and none of the cases that have nothing to do with
  the bug are.

Everything listens on 127.0.0.1; every run has a time limit."""
import fnmatch
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import (PEERS, ROOT, Proc, Results, baseline_ids, check_report,  # noqa: E402
                          free_port, node_echo, python_echo, serve)

BADSERVER = os.path.join(PEERS, "badserver")
FAMILY = "12,13,14"

# python3-websockets 10.4, default server settings. Every failure comes from one
# defect: an offer with server_max_window_bits=8 is accepted although Python's
# zlib cannot deflate with an 8-bit raw window, so the server answers 500 to
# the handshake (13.3.x, 13.10.1-4) or 101 and then closes 1011 at the first
# message (13.5.x, 13.9.x, and 13.7.x whose first offer asks for 8 bits).
# RFC 7692 §7.1.2.1: "A server declines an extension negotiation offer with
# this parameter if the server doesn't support it" (13.7's later offers would
# have been acceptable, RFC 7692 §5.1).
PY_DEVIATIONS = ["13.3.*", "13.5.*", "13.7.*", "13.9.*", "13.10.1", "13.10.2", "13.10.3",
                 "13.10.4"]

# node-ws 8.11, perMessageDeflate: true. It parses window bits with parseInt,
# so "08" is accepted as 8 (14.2.7 server_max_window_bits=08, 14.2.13
# client_max_window_bits=08). RFC 7692 §7.1.2.1/§7.1.2.2: the value is "a
# decimal integer value without leading zeroes"; §7: a server MUST decline an
# offer with an invalid parameter value.
# Also seen, not FAILED: it answers 400 to the whole handshake instead of
# declining a bad offer (14.1.5, 14.1.6 and most 14.2.x are NON-STRICT), and
# closes the decompression bomb (14.5.22, INFORMATIONAL) with 1007 rather than
# 1009: past maxPayload it resets its inflater while compressed input is still
# queued, and zlib's error on that leftover input wins.
NODE_DEVIATIONS = ["14.2.7", "14.2.13"]
# The committed baselines users pass with --expect-failures must agree.
BASELINE_FILES = {"python3-websockets": "python-websockets-10.4.txt",
                  "node-ws": "node-ws-8.11.txt"}


def check(url, cases, *extra, timeout=240):
    """wsprobe check on CASES, 4 at a time; returns (process, {id: case})."""
    return check_report(url, "--cases", cases, "-j", "4", *extra, timeout=timeout)


def failed(cases):
    return sorted((i for i, c in cases.items()
                   if c["verdict"] == "FAILED" or c["close_verdict"] == "FAILED"), key=id_key)


def id_key(i):
    return [int(x) for x in i.split(".")]


def matching(cases, patterns):
    return sorted((i for i in cases if any(fnmatch.fnmatchcase(i, p) for p in patterns)),
                  key=id_key)


def verdicts(cases, ids):
    return {i: cases[i]["verdict"] for i in ids}


def show(cases, ids, n=8):
    return [(i, cases[i]["verdict"], cases[i].get("reason", "")[:120]) for i in ids[:n]]


def serve_with_deflate(r):
    port = free_port()
    with serve(port, "--deflate"):
        p, cases = check(f"ws://127.0.0.1:{port}/", FAMILY)
    r.check("serve --deflate: exit 0", p.returncode == 0, p.stdout[-1500:] + p.stderr[-500:])
    r.check("serve --deflate: no FAILED case", failed(cases) == [],
            show(cases, failed(cases)))
    echo = [i for i in cases if i.split(".")[0] in ("12", "13")]
    r.check("serve --deflate: the 12.x/13.x echo catalogue ran (>= 300 cases)", len(echo) >= 300,
            len(echo))
    not_ok = [i for i in echo if cases[i]["verdict"] != "OK"]
    r.check("serve --deflate: every 12.x/13.x case OK", not_ok == [], show(cases, not_ok))
    neg = [i for i in cases if i.startswith("14.")]
    r.check("serve --deflate: 14.x ran", len(neg) >= 50, len(neg))
    r.check("serve --deflate: bad offers declined (14.2.x OK)",
            all(cases[i]["verdict"] == "OK" for i in neg if i.startswith("14.2.")),
            verdicts(cases, [i for i in neg if i.startswith("14.2.")]))
    r.check("serve --deflate: the bomb is closed with 1009 (INFORMATIONAL)",
            cases["14.5.22"]["verdict"] == "INFORMATIONAL" and
            "1009" in cases["14.5.22"].get("reason", ""), cases["14.5.22"])
    r.check("serve --deflate: RSV1 on a control frame gets 1002",
            all(cases[i]["verdict"] == "OK" for i in ("14.5.2", "14.5.3", "14.5.4", "14.5.5")))


def serve_without_deflate(r):
    port = free_port()
    with serve(port):
        p, cases = check(f"ws://127.0.0.1:{port}/", FAMILY)
    r.check("serve (no deflate): exit 0", p.returncode == 0, p.stdout[-1500:])
    r.check("serve (no deflate): no FAILED case", failed(cases) == [], show(cases, failed(cases)))
    echo = [i for i in cases if i.split(".")[0] in ("12", "13")]
    wrong = [i for i in echo if cases[i]["verdict"] != "UNIMPLEMENTED"]
    r.check("serve (no deflate): every 12.x/13.x case UNIMPLEMENTED", echo and wrong == [],
            show(cases, wrong))
    framing = [i for i in cases if i.startswith("14.5.") and i != "14.5.22"]
    r.check("serve (no deflate): 14.5.x framing-with-compression cases UNIMPLEMENTED",
            all(cases[i]["verdict"] == "UNIMPLEMENTED" for i in framing),
            verdicts(cases, framing))
    r.check("serve (no deflate): declining bad offers and RSV1 without negotiation are OK",
            all(cases[i]["verdict"] == "OK" for i in cases
                if i.startswith("14.2.") or i.startswith("14.4.")))


def committed_baseline(name):
    """The compression entries (12-14) of the peer's committed baseline file,
    which test_check_servers.py leaves to this test."""
    path = os.path.join(ROOT, "tests", "baselines", BASELINE_FILES[name])
    return [i for i in baseline_ids(path) if i.split(".")[0] in ("12", "13", "14")]


def peer(r, name, start, deviations):
    port = free_port()
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(deviations) + "\n")
        baseline = f.name
    with start(port):
        p, cases = check(f"ws://127.0.0.1:{port}/", FAMILY, "--expect-failures", baseline)
    os.unlink(baseline)
    want = matching(cases, deviations)
    got = failed(cases)
    r.check(f"{name}: deflate negotiated (12.1.1 OK)", cases["12.1.1"]["verdict"] == "OK",
            cases["12.1.1"])
    r.check(f"{name}: exactly the documented deviations fail", got == want,
            {"unexpected": show(cases, [i for i in got if i not in want]),
             "missing": [i for i in want if i not in got]})
    r.check(f"{name}: every other 12.x/13.x case OK",
            all(c["verdict"] == "OK" for i, c in cases.items()
                if i.split(".")[0] in ("12", "13") and i not in want))
    r.check(f"{name}: exit 0 with the deviations as a baseline", p.returncode == 0,
            p.stdout[-800:])
    committed = committed_baseline(name)
    r.check(f"{name}: tests/baselines/{BASELINE_FILES[name]} lists exactly these 12-14 cases",
            sorted(committed, key=id_key) == want,
            {"not in the file": [i for i in want if i not in committed],
             "only in the file": [i for i in committed if i not in want]})


# For each planted bug: the cases to run, those that must be FAILED, and those
# that must not be (they do not exercise the bug).
BUGS = [
    ("deflate-ignore-no-context-takeover", "13.1,13.2,13.6,14.3",
     ["13.2.1", "13.2.2", "13.2.4", "13.6.1", "13.6.3", "14.3.5", "14.3.8"],
     ["13.1.*", "14.3.1", "14.3.2", "14.3.3", "14.3.4", "14.3.6", "14.3.7"]),
    # Every payload kind of 12.1-12.5 refers back to the previous message.
    ("deflate-reset-client-context", "12.1,12.2.1,12.3.10,12.4,12.5.18,13.1,13.8,14.5.9,14.5.13",
     ["12.1.1", "12.1.4", "12.1.19", "12.2.1", "12.3.10", "12.4.1", "12.4.5", "12.5.18", "13.8.1",
      "13.8.5", "14.5.9", "14.5.13"],
     ["13.1.*"]),
    ("deflate-accept-rsv1-control", "14.5",
     ["14.5.2", "14.5.3", "14.5.4", "14.5.5"],
     ["14.5.1", "14.5.6", "14.5.7", "14.5.8", "14.5.9", "14.5.1?", "14.5.2?"]),
    ("deflate-accept-bad-window", "14.1,14.2,14.3",
     ["14.1.6", "14.2.5", "14.2.6", "14.2.11", "14.2.12", "14.2.15", "14.2.16"],
     ["14.1.[1-5]", "14.2.[1-4]", "14.2.[7-9]", "14.2.1[03478]", "14.3.*"]),
    ("deflate-compress-after-decline", "12.1.1,14.2,14.4",
     ["14.2.1", "14.2.3", "14.2.5", "14.2.9", "14.2.16", "14.2.18", "14.4.1", "14.4.2"],
     ["12.1.1", "14.4.3"]),
]


def badserver(r):
    if not os.access(BADSERVER, os.X_OK):
        r.check("badserver built (make test-build)", False, BADSERVER)
        return
    port = free_port()
    with Proc([BADSERVER, "--port", str(port)], port=port):
        p, cases = check(f"ws://127.0.0.1:{port}/", "12.1,12.4,13.1,13.2,13.8,14")
    r.check("badserver without bugs: no FAILED case", failed(cases) == [],
            show(cases, failed(cases)))
    for bug, selection, must_fail, must_pass in BUGS:
        port = free_port()
        with Proc([BADSERVER, "--port", str(port), "--bug", bug], port=port):
            p, cases = check(f"ws://127.0.0.1:{port}/", selection)
        got = failed(cases)
        missing = [i for i in must_fail if i not in got]
        r.check(f"{bug}: caught by {', '.join(must_fail)}", not missing,
                {"missing": missing, "verdicts": verdicts(cases, [i for i in missing
                                                                   if i in cases])})
        wrong = [i for i in matching(cases, must_pass) if i in got]
        r.check(f"{bug}: unrelated cases not FAILED", wrong == [], show(cases, wrong))
        r.check(f"{bug}: exit 1", p.returncode == 1, p.returncode)
        if bug == "deflate-compress-after-decline":
            r.check(f"{bug}: 12.1.1 is UNIMPLEMENTED (declined)",
                    cases["12.1.1"]["verdict"] == "UNIMPLEMENTED", cases["12.1.1"]["verdict"])


def main():
    r = Results()
    r.run("wsprobe serve --deflate", serve_with_deflate, r)
    r.run("wsprobe serve without --deflate", serve_without_deflate, r)
    r.run("python3-websockets", peer, r, "python3-websockets", python_echo, PY_DEVIATIONS)
    r.run("node-ws", peer, r, "node-ws", node_echo, NODE_DEVIATIONS)
    r.run("badserver", badserver, r)
    r.finish()


if __name__ == "__main__":
    main()
