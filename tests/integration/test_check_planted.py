#!/usr/bin/python3
"""`wsprobe check` catches planted bugs (issues 3 and 4), and rates the
allowed-but-not-ideal ones NON-STRICT.

build/peers/badserver is a correct echo server until told, with --bug NAME,
to break one rule. For each bug this test runs `wsprobe check` on a few cases
and asserts that the cases that must catch the bug are FAILED (or, for
closing bugs, get a FAILED closing verdict), that cases the bug cannot touch
stay OK, and that the exit status is 1. The same cases, run against the server
without any bug, must all pass with exit status 0, so a FAILED is the bug's
doing and not the harness's. Two bugs (NON_STRICT) break no MUST: the
cases that see them must be NON-STRICT, as cases/README.md's verdict policy
says, and the exit status 0.

Only 127.0.0.1; every run is bounded by a subprocess timeout."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import PEERS, WSPROBE, Proc, Results, free_port  # noqa: E402

BADSERVER = os.path.join(PEERS, "badserver")
RUN_TIMEOUT = 180  # seconds for one `wsprobe check` run; far above what any needs

# (bug, cases that must be FAILED, cases whose closing verdict must be FAILED,
#  cases that must stay OK under this bug)
PLANTED = [
    # opening handshake
    ("wrong-accept", ["0.1.1", "1.1.1", "2.2"], [], []),
    ("select-unoffered-subprotocol", ["0.1.1", "0.8.1", "0.8.2"], [], []),
    ("accept-version-8", ["0.6.3", "0.6.4", "0.6.5"], [], ["0.1.1"]),
    ("accept-unknown-extension", ["0.9.1", "0.9.2", "0.9.3"], [], ["0.1.1"]),
    # framing
    ("accept-unmasked", ["1.3.2", "1.7.1"], [], ["1.1.1"]),
    ("ignore-rsv", ["3.1", "3.2", "3.4"], [], ["1.1.2"]),
    ("truncate-len16", ["1.1.6", "1.2.6"], [], ["1.1.2", "1.1.7"]),
    ("accept-reserved-opcode", ["4.1.1", "4.2.1"], [], ["1.1.2"]),
    # fragmentation
    ("accept-fragmented-control", ["5.1", "5.29"], [], ["5.3"]),
    ("cont-without-start", ["5.9", "5.10"], [], ["5.3"]),
    # pings
    ("no-pong", ["2.1", "2.2", "2.10", "5.6"], [], ["1.1.2"]),
    ("pong-wrong-payload", ["2.2", "2.3", "2.4"], [], ["1.1.2"]),
    ("ping-too-long-accepted", ["2.5", "2.15"], [], ["2.4"]),
    # UTF-8
    ("no-utf8", ["6.3.1", "6.4.1"], [], ["1.1.2"]),
    # close handling
    ("accept-bad-close-codes", ["7.9.2", "7.9.3", "7.10.1"], [], ["7.1.1"]),
    ("no-close-reply", ["7.1.1", "7.3.1"], ["1.1.1"], []),
    ("no-tcp-close", [], ["1.1.1", "7.1.1"], []),
    # permessage-deflate (issue 4)
    ("deflate-ignore-no-context-takeover", ["13.2.1", "14.1.2"], [], ["12.1.1"]),
    ("deflate-reset-client-context", ["12.1.1", "12.2.1"], [], ["13.1.1"]),
    ("deflate-accept-rsv1-control", ["14.5.2", "14.5.3", "14.5.4"], [], ["12.1.1"]),
    ("deflate-accept-bad-window", ["14.2.5", "14.2.6", "14.2.11"], [], ["14.1.1"]),
    ("deflate-compress-after-decline", ["14.2.1", "14.4.1"], [], []),
    # a 15-bit window whatever server_max_window_bits said: the cases that
    # repeat a block farther back than the agreed window (bits 8 to 14)
    ("deflate-ignore-server-window",
     ["13.10.2", "13.10.6", "13.10.10", "13.10.14", "13.10.18", "13.10.22", "13.10.33", "14.3.4"],
     [], ["12.1.1", "13.10.29", "13.10.31"]),
]

# Bugs that cases/README.md ("Verdicts", "The closing phase") calls allowed
# but not ideal: invalid UTF-8 rejected only at the end of the message instead
# of fail-fast, and a TCP drop instead of a close frame. (bug, cases that must
# be NON-STRICT with these words in the reason, cases whose closing verdict
# must be NON-STRICT, cases that must stay OK.) Nothing FAILED: exit status 0.
NON_STRICT = [
    ("utf8-at-end", ["6.4.1", "6.4.2", "6.4.3", "6.4.4"], "only at the end", [],
     ["6.3.1", "1.1.2"]),
    ("drop-on-error", ["3.1", "5.1", "6.3.1", "4.1.1"], "TCP drop without a close frame",
     ["3.1", "5.1", "6.3.1", "4.1.1"], ["1.1.2", "7.1.1"]),
]


def check(port, ids, report_dir):
    """Runs `wsprobe check` on ids; returns (exit status, {id: case}, stderr)."""
    argv = [WSPROBE, "check", f"ws://127.0.0.1:{port}/", "--cases", ",".join(ids),
            "--report", report_dir, "-j", "4"]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    path = os.path.join(report_dir, "report.json")
    cases = {}
    if os.path.exists(path):
        with open(path) as f:
            cases = {c["id"]: c for c in json.load(f)["cases"]}
    return r.returncode, cases, r.stderr


def describe(case):
    if case is None:
        return "not in the report"
    return (f"verdict {case['verdict']} ({case.get('reason', '')[:120]}), "
            f"closing {case['close_verdict']} ({case.get('close_reason', '')[:80]})")


def no_sanitizer_report(res, name, stderr):
    bad = "Sanitizer" in stderr or "runtime error:" in stderr
    res.check(f"{name}: no sanitizer report", not bad, stderr[-2000:])


def run_baseline(res, tmp):
    ids = sorted({i for _, f, cf, ok in PLANTED for i in f + cf + ok} |
                 {i for _, ns, _, cns, ok in NON_STRICT for i in ns + cns + ok})
    port = free_port()
    with Proc([BADSERVER, "--port", str(port)], port=port):
        status, cases, err = check(port, ids, os.path.join(tmp, "baseline"))
    res.check("baseline: exit status 0", status == 0, f"got {status}: {err[-500:]}")
    no_sanitizer_report(res, "baseline", err)
    for i in ids:
        c = cases.get(i)
        good = c is not None and c["verdict"] != "FAILED" and c["close_verdict"] != "FAILED"
        res.check(f"baseline: {i} passes", good, describe(c))


def run_planted(res, tmp, bug, failed, close_failed, still_ok):
    port = free_port()
    ids = failed + close_failed + still_ok
    with Proc([BADSERVER, "--port", str(port), "--bug", bug], port=port):
        status, cases, err = check(port, ids, os.path.join(tmp, bug))
    res.check(f"{bug}: exit status 1", status == 1, f"got {status}: {err[-500:]}")
    no_sanitizer_report(res, bug, err)
    for i in failed:
        c = cases.get(i)
        res.check(f"{bug}: {i} FAILED", c is not None and c["verdict"] == "FAILED", describe(c))
    for i in close_failed:
        c = cases.get(i)
        res.check(f"{bug}: {i} closing FAILED", c is not None and c["close_verdict"] == "FAILED",
                  describe(c))
    for i in still_ok:
        c = cases.get(i)
        good = c is not None and c["verdict"] == "OK" and c["close_verdict"] != "FAILED"
        res.check(f"{bug}: {i} still OK", good, describe(c))


def run_non_strict(res, tmp, bug, non_strict, words, close_non_strict, still_ok):
    port = free_port()
    ids = sorted(set(non_strict + close_non_strict + still_ok))
    with Proc([BADSERVER, "--port", str(port), "--bug", bug], port=port):
        status, cases, err = check(port, ids, os.path.join(tmp, bug))
    res.check(f"{bug}: exit status 0 (NON-STRICT never fails a run)", status == 0,
              f"got {status}: {err[-500:]}")
    no_sanitizer_report(res, bug, err)
    for i in non_strict:
        c = cases.get(i)
        res.check(f"{bug}: {i} NON-STRICT ({words})", c is not None and
                  c["verdict"] == "NON-STRICT" and words in c.get("reason", ""), describe(c))
    for i in close_non_strict:
        c = cases.get(i)
        res.check(f"{bug}: {i} closing NON-STRICT", c is not None and
                  c["close_verdict"] == "NON-STRICT" and
                  "without a close frame" in c.get("close_reason", ""), describe(c))
    for i in still_ok:
        c = cases.get(i)
        good = c is not None and c["verdict"] == "OK" and c["close_verdict"] == "OK"
        res.check(f"{bug}: {i} still OK", good, describe(c))


def main():
    res = Results()
    only = sys.argv[1:]  # optional bug names, for debugging one
    with tempfile.TemporaryDirectory(prefix="wsprobe-planted-") as tmp:
        if not only:
            res.run("baseline", run_baseline, res, tmp)
        for bug, failed, close_failed, still_ok in PLANTED:
            if only and bug not in only:
                continue
            res.run(f"{bug}: run", run_planted, res, tmp, bug, failed, close_failed, still_ok)
        for bug, non_strict, words, close_non_strict, still_ok in NON_STRICT:
            if only and bug not in only:
                continue
            res.run(f"{bug}: run", run_non_strict, res, tmp, bug, non_strict, words,
                    close_non_strict, still_ok)
    res.finish()


if __name__ == "__main__":
    main()
