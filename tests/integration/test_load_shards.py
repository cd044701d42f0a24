#!/usr/bin/python3
"""Three `wsprobe load --shard i/3` runs against one `wsprobe serve` on
127.0.0.1, started together with --start-at, merged with `wsprobe report
--merge`: the merged counts are the sum of the shards and what the server
counted, the merged percentiles are those of the three histograms merged, and
thresholds are judged on the merged result. Every shard's and merged
report.json follows reports/schema/load.schema.json (shard, start_at_unix_s,
config.id_base, merge.missing_shards included), and the merged index.html
passes the headless Chromium checks (tests/browser/check_report.js)."""
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import WSPROBE, Proc, Results, free_port  # noqa: E402
import report_util as ru  # noqa: E402

N = 3
CONNS = 10  # 4 + 3 + 3
RATE = 601  # 201 + 200 + 200


def run(*args, timeout=60):
    p = subprocess.run([WSPROBE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def bucket_width(low):
    if low < 2048:
        return 1
    return 1 << (low.bit_length() - 1 - 10)


def merge_hists(hs):
    """The three shards' histograms added bucket by bucket, in Python."""
    out = {"count": 0, "overflow": 0, "min": None, "max": 0, "sum": 0, "buckets": {}}
    for h in hs:
        for k in ("count", "overflow", "sum"):
            out[k] += h[k]
        if h["count"] + h["overflow"]:
            out["min"] = h["min"] if out["min"] is None else min(out["min"], h["min"])
            out["max"] = max(out["max"], h["max"])
        for low, n in h["buckets"]:
            out["buckets"][low] = out["buckets"].get(low, 0) + n
    return out


def percentile(h, p):
    """What lg_hist_percentile computes: the top of the bucket holding the
    sample of that rank, capped by the maximum."""
    total = h["count"] + h["overflow"]
    if total == 0:
        return 0
    rank = max(1, math.ceil(p / 100.0 * total))
    if rank > h["count"]:
        return h["max"]
    seen = 0
    for low in sorted(h["buckets"]):
        seen += h["buckets"][low]
        if seen >= rank:
            return min(low + bucket_width(low) - 1, h["max"])
    return h["max"]


def main():
    res = Results()
    tmp = tempfile.mkdtemp(prefix="wsprobe-shards-")
    port = free_port()
    url = f"ws://127.0.0.1:{port}/"
    slog = os.path.join(tmp, "serve.log")
    server = Proc([WSPROBE, "serve", "--port", str(port), "--threads", "1"], port=port, log=slog)
    try:
        start = int(time.time()) + 3
        procs = []
        for i in range(1, N + 1):
            argv = [WSPROBE, "load", "--no-progress", "-t", "1", "--shard", f"{i}/{N}",
                    "-c", str(CONNS), "-r", str(RATE), "-d", "2s", "--start-at", str(start),
                    "--report", os.path.join(tmp, f"s{i}"), url]
            procs.append(subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        outs = [p.communicate(timeout=60) for p in procs]
        codes = [p.returncode for p in procs]
        res.check("three shards exit 0", codes == [0, 0, 0],
                  f"{codes} {[e.decode()[-300:] for _, e in outs]}")
        res.check("each shard says it waits for the start",
                  all(f"shard {i + 1}/{N} waiting" in e.decode() for i, (_, e) in enumerate(outs)),
                  outs[0][1].decode()[-300:])
        reps = [json.load(open(os.path.join(tmp, f"s{i}", "report.json"))) for i in range(1, N + 1)]
    finally:
        rc = server.stop()
    with open(slog) as f:
        summary = f.read()
    m = re.search(r"accepted=(\d+) upgraded=(\d+) messages=(\d+)", summary)
    res.check("server printed its summary", m is not None and rc == 0, summary[-300:])
    srv = {"upgraded": int(m.group(2)), "messages": int(m.group(3))} if m else {}

    # Stamps and shares.
    res.check("shard stamps", [r.get("shard") for r in reps] ==
              [{"index": i, "count": N} for i in range(1, N + 1)], [r.get("shard") for r in reps])
    res.check("start time stamped", all(r.get("start_at_unix_s") == start for r in reps),
              [r.get("start_at_unix_s") for r in reps])
    res.check("shards began together within 0.5 s of --start-at",
              all(start <= r["started_unix_s"] < start + 0.5 for r in reps),
              [r["started_unix_s"] - start for r in reps])
    res.check("host stamped", all(r.get("host") for r in reps))
    res.check("connections split 4+3+3", [r["config"]["connections"] for r in reps] == [4, 3, 3],
              [r["config"]["connections"] for r in reps])
    res.check("rate split 201+200+200", [r["config"]["rate"] for r in reps] == [201, 200, 200],
              [r["config"]["rate"] for r in reps])
    res.check("connection ids offset 0, 4, 7", [r["config"]["id_base"] for r in reps] == [0, 4, 7],
              [r["config"]["id_base"] for r in reps])

    for i in range(1, N + 1):
        errs = ru.schema_errors(os.path.join(tmp, f"s{i}", "report.json"))
        res.check(f"shard {i}'s report.json follows the load schema", not errs, errs[:5])
    # The schema is a real check of the shard fields.
    bad = dict(reps[0], shard={"index": 0, "count": N})
    bad["config"] = {k: v for k, v in reps[0]["config"].items() if k != "id_base"}
    with open(os.path.join(ru.SCHEMAS, "load.schema.json")) as f:
        schema = json.load(f)
    errs = ru.validate(bad, schema)
    res.check("control: the schema refuses shard.index 0 and a config without id_base",
              any("shard.index" in e for e in errs) and any("id_base" in e for e in errs), errs)

    # Merge with thresholds that pass.
    files = [os.path.join(tmp, f"s{i}", "report.json") for i in range(1, N + 1)]
    out = os.path.join(tmp, "merged")
    total_sent = sum(r["summary"]["messages"]["sent"] for r in reps)
    code, so, se = run("report", "--merge", *files, "-o", out, "--threshold", "lost==0",
                       "--threshold", f"sent=={total_sent}", "--threshold", "p99<60s")
    res.check("merge exits 0 with thresholds met", code == 0, se[-500:])
    merged = json.load(open(os.path.join(out, "report.json")))
    res.check("merged report rendered", os.path.getsize(os.path.join(out, "index.html")) > 1000
              and os.path.exists(os.path.join(out, "junit.xml")))
    ms = merged["summary"]
    keys = ["sent", "received", "lost", "duplicated", "reordered", "corrupted", "bytes_sent",
            "bytes_received", "in_flight_at_stop"]
    for k in keys:
        res.check(f"merged {k} = sum of shards",
                  ms["messages"][k] == sum(r["summary"]["messages"][k] for r in reps),
                  (ms["messages"][k], [r["summary"]["messages"][k] for r in reps]))
    for k in ["attempts", "opened", "closed"]:
        res.check(f"merged connections.{k} = sum of shards",
                  ms["connections"][k] == sum(r["summary"]["connections"][k] for r in reps))
    res.check("merged counts add up (sent = received + lost + in flight)",
              ms["messages"]["sent"] == ms["messages"]["received"] + ms["messages"]["lost"]
              + ms["messages"]["in_flight_at_stop"] and ms["messages"]["sent"] > 0)
    res.check("server's message count = merged sent",
              srv.get("messages") == ms["messages"]["sent"], (srv, ms["messages"]["sent"]))
    res.check("server's upgrades = merged opened",
              srv.get("upgraded") == ms["connections"]["opened"] == CONNS,
              (srv, ms["connections"]["opened"]))
    res.check("merged config is the whole load",
              merged["config"]["connections"] == CONNS and merged["config"]["rate"] == RATE,
              merged["config"])
    res.check("merged series sums to merged sent",
              sum(s["sent"] for s in merged["series"]) == ms["messages"]["sent"],
              [s["sent"] for s in merged["series"]])
    res.check("merged series spans the run's seconds, not 3x",
              2 <= len(merged["series"]) <= 4, len(merged["series"]))
    res.check("merge lists its shards", len(merged["merge"]["shards"]) == N
              and "missing_shards" not in merged["merge"])
    errs = ru.schema_errors(os.path.join(out, "report.json"))
    res.check("merged report.json follows the load schema", not errs, errs[:5])
    if res.check("playwright-core installed (npm ci in tests/browser)", ru.npm_ready()):
        os.makedirs(ru.SHOTS, exist_ok=True)
        for name, ok, detail in ru.browser_checks(os.path.join(out, "index.html"),
                                                  os.path.join(out, "report.json"),
                                                  os.path.join(ru.SHOTS, "load-merged.png")):
            res.check(f"merged page in chromium: {name}", ok, detail)

    for name in ("latency", "latency_uncorrected", "connect", "upgrade", "send_lag"):
        want = merge_hists([r["histograms"][name] for r in reps])
        got = merged["histograms"][name]
        res.check(f"{name} histogram = shards' merged bucket by bucket",
                  {low: n for low, n in got["buckets"]} == want["buckets"]
                  and got["count"] == want["count"] and got["max"] == want["max"])
    want = merge_hists([r["histograms"]["latency"] for r in reps])
    lat = ms["latency"]["corrected"]
    for p, key in ((50, "p50_us"), (90, "p90_us"), (99, "p99_us"), (99.9, "p999_us")):
        res.check(f"merged {key} = percentile of all samples",
                  lat[key] == percentile(want, p) / 1e3, (lat[key], percentile(want, p) / 1e3))
    res.check("merged latency count = sum", lat["count"] == sum(
        r["summary"]["latency"]["corrected"]["count"] for r in reps))
    lag = ms["latency"]["send_lag"]
    res.check("merged send lag: count = sum of the shards' (open loop)", lag["count"] > 0 and
              lag["count"] == sum(r["summary"]["latency"]["send_lag"]["count"] for r in reps),
              lag)
    res.check("merged series: send lag counts add up to the shards'",
              sum(s["send_lag_count"] for s in merged["series"]) ==
              sum(s["send_lag_count"] for r in reps for s in r["series"]))
    res.check("thresholds recorded in merged report",
              [t["pass"] for t in merged["thresholds"]] == [True, True, True], merged["thresholds"])

    # Thresholds judged on the merged result, not on a shard.
    one = reps[0]["summary"]["messages"]["sent"]
    code, so, se = run("report", "--merge", *files, "-o", os.path.join(tmp, "m2"),
                       "--threshold", f"sent=={one}", "--threshold", "p50<1ns")
    res.check("missed thresholds exit 1 and are named", code == 1 and "p50<1ns" in se
              and f"sent=={one}" in se, (code, se[-400:]))
    m2 = json.load(open(os.path.join(tmp, "m2", "report.json")))
    res.check("missed thresholds recorded", [t["pass"] for t in m2["thresholds"]] == [False, False]
              and m2["summary"]["exit_code"] == 1)

    # Bad merges.
    code, so, se = run("report", "--merge", files[0], files[0], "-o", os.path.join(tmp, "m3"))
    res.check("same shard twice refused", code == 2 and "already merged" in se, (code, se))
    code, so, se = run("report", "--merge", files[0], files[2], "-o", os.path.join(tmp, "m4"))
    res.check("a missing shard is named", code == 0 and "shard(s) 2 of 3 not given" in se,
              (code, se))
    m4 = json.load(open(os.path.join(tmp, "m4", "report.json")))
    res.check("merge.missing_shards names it", m4["merge"].get("missing_shards") == "2",
              m4["merge"].get("missing_shards"))
    errs = ru.schema_errors(os.path.join(tmp, "m4", "report.json"))
    res.check("a merge with a missing shard follows the load schema", not errs, errs[:5])
    errs = ru.validate(dict(m4, merge=dict(m4["merge"], missing_shards=2)), schema)
    res.check("control: the schema refuses a missing_shards that is not a list of numbers",
              any("missing_shards" in e for e in errs), errs)
    code, so, se = run("report", "--threshold", "lost==0", files[0])
    res.check("--threshold without --merge refused", code == 2, (code, se))
    code, so, se = run("report", "--merge", *files, "-o", os.path.join(tmp, "m5"),
                       "--threshold", "nonsense<3")
    res.check("a bad threshold is a usage error", code == 2 and "nonsense" in se, (code, se))
    code, so, se = run("load", "--shard", "1/2", "--start-at", str(int(time.time()) - 30), url)
    res.check("--start-at in the past refused", code == 2 and "in the past" in se, (code, se))
    code, so, se = run("load", "--shard", "3/2", url)
    res.check("--shard 3/2 refused", code == 2 and "numbered 1 to 2" in se, (code, se))
    code, so, se = run("load", "--help")
    res.check("load --help lists --shard, --id-base and --start-at",
              code == 0 and all(f"\n      {o} " in so for o in ("--shard", "--id-base", "--start-at")),
              so[-600:])

    check_source_ips(res)
    shutil.rmtree(tmp, ignore_errors=True)
    res.finish()


def check_source_ips(res):
    """--source-ips: the run states each address's capacity, and connections
    really leave from those addresses (seen with ss while they are open)."""
    port = free_port()
    with Proc([WSPROBE, "serve", "--port", str(port), "--threads", "1"], port=port):
        p = subprocess.Popen([WSPROBE, "load", "--no-progress", "-s", "idle", "-c", "6", "-d", "3s",
                              "--source-ips", "127.0.0.2-127.0.0.4", f"ws://127.0.0.1:{port}/"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        seen = set()
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline and len(seen) < 3:
            time.sleep(0.3)
            ss = subprocess.run(["ss", "-Htn", "state", "established", f"dport = :{port}"],
                                capture_output=True).stdout.decode()
            seen |= {line.split()[-2].rsplit(":", 1)[0] for line in ss.splitlines() if line}
        _, err = p.communicate(timeout=30)
    err = err.decode()
    m = re.search(r"3 source addresses x (\d+) ports each \(ephemeral (\d+)-(\d+), (\d+) "
                  r"reserved\) = (\d+) connections toward one target; this run opens 6", err)
    res.check("--source-ips: capacity per address stated before the run",
              m is not None and int(m.group(1)) == int(m.group(3)) - int(m.group(2)) + 1
              - int(m.group(4)) and int(m.group(5)) == 3 * int(m.group(1)), err[-300:])
    res.check("--source-ips: connections leave from each address", p.returncode == 0 and
              seen == {"127.0.0.2", "127.0.0.3", "127.0.0.4"}, (p.returncode, seen))
    code, so, se = run("load", "-c", "10000000", "--source-ips", "127.0.0.2,127.0.0.3",
                       "ws://127.0.0.1:1/")
    res.check("--source-ips: a run that cannot fit is refused", code == 2
              and "addresses are needed" in se, se[-300:])
    # 192.0.2.1 (TEST-NET-1) is on no interface here: bound once, refused,
    # nothing sent anywhere
    code, so, se = run("load", "-c", "2", "-d", "1s", "--source-ips", "127.0.0.2,192.0.2.1",
                       f"ws://127.0.0.1:{port}/")
    res.check("--source-ips: an address this host does not have is refused before the run",
              code == 2 and "192.0.2.1" in se and "address of this host" in se, (code, se[-300:]))


if __name__ == "__main__":
    main()
