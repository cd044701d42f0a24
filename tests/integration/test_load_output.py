#!/usr/bin/python3
"""What `wsprobe load` prints while and after it runs, against wsprobe serve:

* stderr a pipe (a log, a CI job): one plain progress line per second by
  default, no terminal escapes; -q / --no-progress silence it.
* stderr a terminal (a pseudo-terminal here): one live line rewritten in place
  (carriage return and erase-line), ended by a newline before the summary.
* the end-of-run summary table on stdout says what report.json says: the
  connection and message counts, the rate, the integrity counters, the latency
  rows with their sample counts, errors, the generator line."""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import WSPROBE, Results, free_port, on_pty, serve  # noqa: E402

R = Results()
PLAIN = re.compile(r"^\[ +(\d+)s\] open (\d+)  sent (\d+)/s  recv (\d+)/s  p50 [0-9.]+ [mu]?s"
                   r"  p99 [0-9.]+ [mu]?s  errors (\d+)$")


def run_load(url, *args, report=None):
    argv = [WSPROBE, "load", *args]
    if report:
        argv += ["--report", report]
    p = subprocess.run([*argv, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def summary_matches(out, rep):
    """Problems found comparing the summary table with report.json."""
    s = rep["summary"]
    c, m = s["connections"], s["messages"]
    want = [
        f"  connections  attempts {c['attempts']}, opened {c['opened']}, closed {c['closed']}, "
        f"peak open {c['peak_open']}",
        f"  messages     sent {m['sent']}, received {m['received']}, in flight at stop "
        f"{m['in_flight_at_stop']}",
        f"  rate         {s['rate']['sent_per_s']:.0f} msgs/s sent, "
        f"{s['rate']['received_per_s']:.0f} msgs/s received",
        f"  integrity    lost {m['lost']}, duplicated {m['duplicated']}, reordered "
        f"{m['reordered']}, corrupted {m['corrupted']}",
        f"  latency      {s['latency']['measures']}",
        f"  errors       {s['errors']['total']}",
    ]
    lines = out.splitlines()
    problems = [w for w in want if w not in lines]
    header = [x for x in lines if x.split() == ["p50", "p90", "p99", "p99.9", "max"]]
    if len(header) != 1:
        problems.append("no latency header p50 p90 p99 p99.9 max")
    for name, key in (("latency", "corrected"), ("connect", "connect"), ("upgrade", "upgrade")):
        row = [x for x in lines if x.startswith(f"  {name} ") and x.endswith(")")]
        n = s["latency"][key]["count"]
        if len(row) != 1 or not row[0].endswith(f"({n})") or len(row[0].split()) != 12:
            problems.append(f"{name} row {row} (want 5 figures and ({n}))")
    g = s["generator"]
    gen = [x for x in lines if x.startswith("  generator    cpu ")]
    if len(gen) != 1 or f"peak RSS {g['peak_rss_kb']} KiB" not in gen[0]:
        problems.append(f"generator line {gen}")
    title = [x for x in lines if x.startswith("wsprobe load ")]
    if len(title) != 1 or f": echo, {rep['config']['connections']} connections" not in title[0]:
        problems.append(f"title line {title}")
    return problems


port = free_port()
with serve(port):
    url = f"ws://127.0.0.1:{port}/"

    def plain_lines():
        with tempfile.TemporaryDirectory() as d:
            rc, out, err = run_load(url, "-c", "2", "-d", "3.5", report=d)
            rep = json.load(open(os.path.join(d, "report.json")))
        if rc != 0:
            return f"rc={rc} {err[-300:]}"
        lines = [x for x in err.splitlines() if x.startswith("[")]
        parsed = [PLAIN.match(x) for x in lines]
        problems = []
        if "\r" in err or "\033" in err:
            problems.append("terminal escapes on a pipe")
        if not 3 <= len(lines) <= 5 or not all(parsed):
            problems.append(f"want a plain line per second: {lines}")
        else:
            ts = [int(p.group(1)) for p in parsed]
            if ts[:3] != [1, 2, 3]:
                problems.append(f"seconds {ts}")
            # Each line is that second's counts: together they are the run's.
            if sum(int(p.group(3)) for p in parsed) != rep["summary"]["messages"]["sent"]:
                problems.append("per-second sends do not add up to the total")
            if int(parsed[1].group(2)) != 2:
                problems.append(f"open {parsed[1].group(2)} in second 2")
        problems += summary_matches(out, rep)
        return not problems or problems
    R.run("stderr a pipe: a plain line per second; the summary table matches report.json",
          plain_lines)

    def quiet():
        for flag in ("-q", "--quiet", "--no-progress"):
            rc, out, err = run_load(url, flag, "-c", "1", "-d", "1.5")
            if (rc != 0 or any(PLAIN.match(x) for x in err.splitlines())
                    or "messages     sent" not in out):
                return (flag, rc, err[-200:])
        return True
    R.run("-q, --quiet and --no-progress: no progress lines, the summary still printed", quiet)

    def terminal():
        rc, text, out = on_pty([WSPROBE, "load", "-c", "2", "-d", "2.5", url], timeout=30,
                               stdout_on_pty=False)
        rewrites = text.count("\r\033[K[")
        lines = [x for x in text.split("\r\033[K") if x.startswith("[")]
        ok = (rc == 0 and rewrites >= 3 and all(PLAIN.match(x.rstrip("\r\n")) for x in lines)
              # No newline between updates; one after the last, before the summary.
              and all("\n" not in x for x in lines[:-1]) and lines[-1].endswith("\n")
              and "messages     sent" in out.decode())
        return ok or (rc, rewrites, text[-400:])
    R.run("stderr a terminal: one live line rewritten each second, a newline at the end",
          terminal)

R.finish()
