#!/usr/bin/python3
"""`wsprobe check` against hostile servers (issue 7): it must never hang,
crash or run out of memory, whatever the server does.

build/peers/badserver --bug MODE plays one hostile server at a time: it never
answers, answers one byte per second, sends an endless header line or a
million headers, 200 OK, a wrong accept key, frames declaring 2^63-1 or
2^64-1 bytes, endless continuations, a deflate bomb, half a frame then RST,
a TCP close without a close frame, data after its close, or a ping flood.

For each mode `wsprobe check` runs a handful of cases (handshake, echo of a
16-bit-length message, ping, close, a compressed echo) and this test asserts:
- it ends within its time bound: for the slowest selected case, its time
  limit (the case's own, raised to --timeout) plus two closing-phase waits,
  plus a fixed margin (cases/README.md, "Limits and time"); all run in one
  round since -j equals the number of cases;
- it exits normally with status 1: every mode breaks the protocol. Never a
  signal, never 2 (usage) nor 3 (unreachable): even `silent` accepts TCP, and
  the pass policy keeps 3 for a refused first connection or an unresolvable
  host;
- every selected case is FAILED for the mode's own reason, in words (HOSTILE:
  e.g. wrong-accept names Sec-WebSocket-Accept, len64-msb the most
  significant bit), and where it matters the closing reason too (a drop
  without a close frame, frames after the close frame);
- each case's duration_ms in report.json stays within that case's own bound
  (its limit plus two closing-phase waits, plus CASE_SLACK): the deadline is
  enforced per case even while the server keeps sending (ping-flood);
- against `silent`, 0.1.1's reason gives the time really waited;
- report.json gives every selected case a verdict and a closing verdict from
  the documented vocabulary;
- its peak RSS (getrusage of that child alone, via wait4) stays under
  RSS_BOUND_MIB, and under HEAD_RSS_BOUND_MIB for an endless header line or a
  million headers (the response head is read up to the head limit, no more);
- the sanitizers (the default WSPROBE_BIN is the ASan+UBSan build) say nothing.

Only 127.0.0.1; every wait is bounded, and the process is killed (and the
check failed) if it overruns its bound by HARD_EXTRA seconds."""
import glob
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import PEERS, ROOT, WSPROBE, Proc, Results, free_port  # noqa: E402

BADSERVER = os.path.join(PEERS, "badserver")
CASES = ["0.1.1", "1.1.6", "2.2", "7.1.1", "14.1.3"]  # 14.1.3 negotiates deflate
TIMEOUT = 3  # --timeout: the default time limit, raising smaller per-case ones
MARGIN = 10  # seconds: process start-up, report writing, a loaded 2-core machine
CASE_SLACK = 2  # seconds past one case's own bound (report.json duration_ms)
HARD_EXTRA = 30  # seconds past the bound before the test kills wsprobe
RSS_BOUND_MIB = 200
# A response head is read only up to the HTTP head limit (16 KiB), with or
# without a handshake step: these modes must cost no more than start-up.
HEAD_MODES = {"endless-header", "million-headers"}
HEAD_RSS_BOUND_MIB = 100
DEFAULT_CASE_TIMEOUT = 5
DEFAULT_CLOSE_TIMEOUT = 2
VERDICTS = {"OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"}

# What each mode must make every selected case say: mode -> ({case id, or
# "*" for the others: words its reason must contain, a tuple for any of
# them}, words the closing reason must contain, or None). Each case must be
# FAILED for that reason, so a mode that fails a case by accident, or for
# another reason, is caught.
TIMED_OUT = {"*": "no response before the deadline", "0.1.1": "timed out after",
             "14.1.3": "timed out after"}
HOSTILE = {
    "silent": (TIMED_OUT, None),
    "slowloris": (TIMED_OUT, None),
    "endless-header": ({"*": "HTTP head too large"}, None),
    "million-headers": ({"*": "too many HTTP header fields"}, None),
    "status-200": ({"*": "server answered 200, expected 101", "0.1.1": "got status 200",
                    "14.1.3": "got status 200"}, None),
    "wrong-accept": ({"*": "Sec-WebSocket-Accept is"}, None),
    "len63": ({"*": "frame payload over the configured limit"}, None),
    "len64-msb": ({"*": "most significant bit set"}, None),
    "endless-continuation": ({"*": "over max_message"}, None),
    # deflate declined: RSV1 is a violation; negotiated (14.1.3): the bomb is
    # inflated a slice at a time and stops at max_message
    "deflate-bomb": ({"*": "RSV bit set that no negotiated extension defines",
                      "14.1.3": "binary message over max_message"}, None),
    "rst-mid-frame": ({"*": "got TCP drop"}, "without a close frame"),
    "drop-no-close": ({"*": "got TCP drop"}, "without a close frame"),
    "close-then-data": ({"*": "got close 1000"}, "frames after its close frame"),
    # the pings never let an expectation match; the flood stops at its
    # 1,000,000-ping cap, which a fast run can reach before a case's limit
    # (14.1.3 has 10 s): then the case sees the connection end instead
    "ping-flood": ({"*": ("timed out after", "got TCP drop")}, None),
}


def case_limits(case_id):
    """(time limit, close_timeout) of a case from cases/NN-*.json. A case made by
    a family takes the largest limit found in its file, to stay conservative."""
    section = int(case_id.split(".")[0])
    files = glob.glob(os.path.join(ROOT, "cases", f"{section:02d}-*.json"))
    if not files:
        raise RuntimeError(f"no case file for section {section}")
    with open(files[0]) as f:
        doc = json.load(f)
    d = doc.get("defaults", {})
    d_timeout = d.get("timeout", DEFAULT_CASE_TIMEOUT)
    d_close = d.get("close_timeout", DEFAULT_CLOSE_TIMEOUT)
    worst = (d_timeout, d_close)
    for c in doc["cases"]:
        limits = (c.get("timeout", d_timeout), c.get("close_timeout", d_close))
        if c.get("id") == case_id:
            return limits
        worst = (max(worst[0], limits[0]), max(worst[1], limits[1]))
    return worst


def time_bound():
    worst = 0
    for i in CASES:
        t, close = case_limits(i)
        worst = max(worst, max(t, TIMEOUT) + 2 * close)
    return worst + MARGIN


def run_measured(argv, out_path, hard_limit):
    """Runs argv; returns (exit code or -signal, seconds, peak RSS in KiB, killed)."""
    with open(out_path, "wb") as out:
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    start = time.monotonic()
    killed = False
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            break
        if time.monotonic() - start > hard_limit and not killed:
            os.kill(p.pid, signal.SIGKILL)
            killed = True
        time.sleep(0.05)
    elapsed = time.monotonic() - start
    p.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return p.returncode, elapsed, ru.ru_maxrss, killed


def run_mode(res, tmp, mode, bound):
    port = free_port()
    report_dir = os.path.join(tmp, mode)
    log = os.path.join(tmp, mode + ".log")
    argv = [WSPROBE, "check", f"ws://127.0.0.1:{port}/", "--cases", ",".join(CASES),
            "--timeout", str(TIMEOUT), "-j", str(len(CASES)), "--report", report_dir]
    with Proc([BADSERVER, "--port", str(port), "--bug", mode], port=port):
        status, elapsed, rss_kib, killed = run_measured(argv, log, bound + HARD_EXTRA)
    with open(log, errors="replace") as f:
        output = f.read()

    res.check(f"{mode}: finished within {bound} s", elapsed <= bound and not killed,
              f"took {elapsed:.1f} s{' (killed)' if killed else ''}")
    res.check(f"{mode}: exit status 1", status == 1, f"got {status}: {output[-600:]}")
    sanitizer = "Sanitizer" in output or "runtime error:" in output
    res.check(f"{mode}: no sanitizer report", not sanitizer, output[-2000:])
    rss_mib = rss_kib / 1024
    res.check(f"{mode}: peak RSS {rss_mib:.0f} MiB <= {RSS_BOUND_MIB} MiB",
              rss_mib <= RSS_BOUND_MIB, f"peak RSS {rss_mib:.0f} MiB")
    if mode in HEAD_MODES:
        res.check(f"{mode}: peak RSS {rss_mib:.0f} MiB <= {HEAD_RSS_BOUND_MIB} MiB (head limit)",
                  rss_mib <= HEAD_RSS_BOUND_MIB, f"peak RSS {rss_mib:.0f} MiB")

    path = os.path.join(report_dir, "report.json")
    cases = {}
    if os.path.exists(path):
        with open(path) as f:
            cases = {c["id"]: c for c in json.load(f)["cases"]}
    res.check(f"{mode}: report.json written", bool(cases), f"no cases in {path}")
    for i in CASES:
        c = cases.get(i)
        good = c is not None and c["verdict"] in VERDICTS and c["close_verdict"] in VERDICTS
        res.check(f"{mode}: {i} has a verdict", good,
                  "missing" if c is None else f"{c['verdict']} / {c['close_verdict']}")
    for i in CASES:
        c = cases.get(i)
        if c is None:
            continue
        # Each case keeps its own deadline, whatever the server keeps sending:
        # its time limit plus two closing-phase waits, plus CASE_SLACK.
        t, close = case_limits(i)
        limit_ms = (max(t, TIMEOUT) + 2 * close + CASE_SLACK) * 1000
        res.check(f"{mode}: {i} ended within its deadline ({limit_ms} ms)",
                  c["duration_ms"] <= limit_ms, f"took {c['duration_ms']} ms")
    if mode == "silent" and "0.1.1" in cases:
        # 0.1.1 waits for the response within its own limit: the reason gives
        # the time really waited, not the wait left after the handshake.
        # Its limit is at least --timeout (a smaller one is raised to it).
        reason = cases["0.1.1"]["reason"]
        m = re.search(r"timed out after (\d+) ms", reason)
        floor_ms = int(TIMEOUT * 1000 * 0.9)
        res.check(f"{mode}: 0.1.1 reason gives the real wait (>= {floor_ms} ms)",
                  m is not None and int(m.group(1)) >= floor_ms, reason)
    reasons, close_words = HOSTILE[mode]
    for i in CASES:
        c = cases.get(i)
        if c is None:
            continue
        words = reasons.get(i, reasons["*"])
        words = words if isinstance(words, tuple) else (words,)
        res.check(f"{mode}: {i} FAILED, '{' or '.join(words)}'",
                  c["verdict"] == "FAILED" and any(w in c["reason"] for w in words),
                  f"{c['verdict']}: {c['reason'][:200]}")
        if close_words:
            res.check(f"{mode}: {i} closing reason '{close_words}'",
                      close_words in c["close_reason"], c["close_reason"])
    failed = [i for i, c in cases.items() if c["verdict"] == "FAILED"]
    print(f"     {mode}: {elapsed:.1f} s, exit {status}, peak RSS {rss_mib:.0f} MiB, "
          f"FAILED {len(failed)}/{len(CASES)}")


def main():
    res = Results()
    only = sys.argv[1:]  # optional mode names, for debugging one
    bound = time_bound()
    print(f"     time bound per run: {bound} s, RSS bound: {RSS_BOUND_MIB} MiB, "
          f"binary: {os.path.relpath(WSPROBE, ROOT)}")
    with tempfile.TemporaryDirectory(prefix="wsprobe-hostile-") as tmp:
        for mode in HOSTILE:
            if only and mode not in only:
                continue
            res.run(f"{mode}: run", run_mode, res, tmp, mode, bound)
    res.finish()


if __name__ == "__main__":
    main()
