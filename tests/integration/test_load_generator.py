#!/usr/bin/python3
"""What `wsprobe load` says about itself (summary.generator, the send lag):

* the generator as the bottleneck: one thread publishing at 30 million msgs/s
  to a server that only reads (lg_badecho --drop 1, nothing to echo) cannot
  keep up; the report says bottleneck: true with notes (a busy worker, sends
  late because of the generator, the send lag growing second after second),
  and its figures are sane: the target, late_local, the CPU cost per million
  messages, a send lag (p99) in the hundreds of milliseconds.
* a light open loop (200 msgs/s against wsprobe serve, a window of 64 so no
  send waits for an echo): every send is in the send lag histogram, which is small (the timer fires early and the send
  waits out the rest), and no note says the lag grew.
* a server stalling 1 s: sends its window held back are `behind` but not in
  the send lag (that is the server's lateness, not the generator's), which
  stays small while the corrected p99 shows the stall."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import Results, free_port, serve  # noqa: E402
from load_util import badecho, load, msgs  # noqa: E402

R = Results()
GREW = "send lag grew"


def generator_bound():
    port = free_port()
    with badecho(port, "--drop", "1"):
        rc, rep, err = load(f"ws://127.0.0.1:{port}/", "-t", "1", "-s", "broadcast",
                            "--senders", "20", "-c", "20", "-r", "30000000", "-d", "4")
    if rc != 0 or not rep:
        return f"rc={rc} {err[-300:]}"
    s = rep["summary"]
    g, rate, lag = s["generator"], s["rate"], s["latency"]["send_lag"]
    problems = []
    if not g["bottleneck"] or not any(GREW in n for n in g["notes"]):
        problems.append(f"bottleneck {g['bottleneck']}, notes {g['notes']}")
    if rate["target_msgs_per_s"] != 30000000 or not 0 < rate["sent_per_s"] < 0.9 * 30000000:
        problems.append(f"rate {rate}")
    if not 0.5 * msgs(rep)["sent"] <= rate["late_local"] <= msgs(rep)["sent"]:
        problems.append(f"late_local {rate['late_local']} of {msgs(rep)['sent']} sent")
    if not 0 < g["cpu_s_per_million_msgs"] < 100:
        problems.append(f"cpu_s_per_million_msgs {g['cpu_s_per_million_msgs']}")
    if not 0.1 <= g["busiest_worker_cpu"] <= 1 or not 0 < g["peak_rss_kb"] < 1 << 20:
        problems.append(f"generator {g}")
    if lag["count"] < 0.5 * msgs(rep)["sent"] or lag["p99_us"] < 100000:
        problems.append(f"send lag {lag}")
    measured = [x["send_lag_p99_us"] for x in rep["series"] if not x["warmup"]
                and x["send_lag_count"]]
    if len(measured) < 3 or measured[-2] <= measured[0]:
        problems.append(f"per-second send lag p99 {measured}")
    return not problems or problems


R.run("one thread at 30M msgs/s: bottleneck true, the send lag grows, figures sane",
      generator_bound)

port = free_port()
with serve(port):
    def light():
        # -k 64: the window never holds a send back, so every send is the
        # timer's (a send the window released when an echo came back is not in
        # the send lag: CI once saw 113 of 598 so when serve answered late).
        rc, rep, err = load(f"ws://127.0.0.1:{port}/", "-c", "4", "-r", "200", "-d", "3",
                            "-k", "64")
        if rc != 0 or not rep:
            return f"rc={rc} {err[-300:]}"
        s = rep["summary"]
        g, lag = s["generator"], s["latency"]["send_lag"]
        sent = msgs(rep)["sent"]
        ok = (lag["count"] >= 0.9 * sent and lag["p50_us"] < 1000
              and not any(GREW in n for n in g["notes"]) and g["cpu_s_per_million_msgs"] > 0
              and s["rate"]["target_msgs_per_s"] == 200
              and sum(x["send_lag_count"] for x in rep["series"]) == lag["count"])
        return ok or (lag, g, sent)
    R.run("200 msgs/s: every send in the send lag, which is small; no growth noted", light)


def stalling_server():
    port = free_port()
    with badecho(port, "--stall", "1000", "--after", "800"):
        rc, rep, err = load(f"ws://127.0.0.1:{port}/", "-c", "10", "-r", "1000", "-d", "4")
    if rc != 0 or not rep:
        return f"rc={rc} {err[-300:]}"
    s = rep["summary"]
    lag, corr = s["latency"]["send_lag"], s["latency"]["corrected"]
    sent = msgs(rep)["sent"]
    ok = (s["rate"]["behind"] > 100 and lag["count"] < sent - 100 and lag["p99_us"] < 100000
          and corr["p99_us"] >= 500000
          and not any(GREW in n for n in s["generator"]["notes"]))
    return ok or (s["rate"], lag, corr["p99_us"], sent, s["generator"]["notes"])


R.run("a server stalling 1 s: its held-back sends are behind, not in the send lag",
      stalling_server)

R.finish()
