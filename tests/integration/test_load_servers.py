#!/usr/bin/python3
"""wsprobe load against correct servers (wsprobe serve, python3-websockets,
node-ws): counts add up (sent = received + lost + in flight at stop), the
integrity counters stay 0, every scenario does what it says, over TLS and
with permessage-deflate too."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import Results, free_port, node_echo, python_echo, serve  # noqa: E402
from load_util import adds_up, errors, load, msgs  # noqa: E402
from serve_wire import make_cert  # noqa: E402

R = Results()
port = free_port()
with serve(port):
    url = f"ws://127.0.0.1:{port}/"

    def closed_loop():
        rc, rep, err = load(url, "-c", "8", "-k", "4", "-d", "1.5", "-t", "2")
        if rc != 0 or not rep:
            return f"rc={rc} {err[-300:]}"
        return adds_up(rep)
    R.run("serve: closed loop, 8 connections x 4 in flight: counts add up, integrity 0",
          closed_loop)

    def open_loop():
        rc, rep, err = load(url, "-c", "4", "-r", "400", "-d", "2", "--size", "40-300")
        if rc != 0 or not rep:
            return f"rc={rc} {err[-300:]}"
        rate = rep["summary"]["rate"]
        if not 300 <= rate["sent_per_s"] <= 440:
            return f"achieved {rate['sent_per_s']} of 400/s"
        lat = rep["summary"]["latency"]
        if lat["corrected"]["p50_us"] < lat["uncorrected"]["p50_us"]:
            return "corrected latency below uncorrected"
        return adds_up(rep)
    R.run("serve: open loop at 400/s, sizes 40-300: rate met, counts add up", open_loop)

    def messages_and_warmup():
        rc, rep, err = load(url, "-c", "2", "-n", "500", "--binary")
        if rc != 0 or not rep:
            return f"rc={rc} {err[-300:]}"
        return msgs(rep)["sent"] == 500 and msgs(rep)["received"] == 500 or msgs(rep)
    R.run("serve: --messages 500 --binary sends and receives exactly 500", messages_and_warmup)

    def report_shape():
        with tempfile.TemporaryDirectory() as d:
            rc, rep, err = load(url, "-c", "2", "-d", "2.2", "--warmup", "1", "--report", d)
            path = os.path.join(d, "report.json")
            if rc != 0 or not os.path.exists(path):
                return f"rc={rc} {err[-300:]}"
            j = json.load(open(path))
            s = j["summary"]
            ok = (j["schema"] == "wsprobe-load/1" and len(j["series"]) >= 2
                  and any(x["warmup"] for x in j["series"])
                  and 0.9 <= s["measured_s"] <= 1.6
                  and j["histograms"]["latency"]["count"] > 0
                  and s["latency"]["connect"]["count"] == 2
                  and s["latency"]["upgrade"]["count"] == 2)
            return ok or {"measured_s": s["measured_s"], "series": len(j["series"])}
    R.run("serve: --report DIR writes report.json (series, histograms, warm-up excluded)",
          report_shape)

    def idle():
        rc, rep, err = load(url, "-s", "idle", "-c", "20", "--ping-interval", "200ms", "-d", "1.5")
        if rc != 0 or not rep:
            return f"rc={rc} {err[-300:]}"
        m = msgs(rep)
        return (m["pongs"] >= 20 and m["pings_lost"] == 0
                and rep["summary"]["connections"]["peak_open"] == 20) or m
    R.run("serve: idle holds 20 connections, pings answered, ping RTT measured", idle)

    def churn():
        rc, rep, err = load(url, "-s", "churn", "-c", "4", "-d", "1.5", "--churn-echo")
        if rc != 0 or not rep:
            return f"rc={rc} {err[-300:]}"
        c = rep["summary"]["connections"]
        return (c["opened"] >= 20 and c["handshakes_per_s"] > 10
                and rep["summary"]["errors"]["total"] == 0
                and msgs(rep)["received"] >= c["opened"] - 4) or (c, msgs(rep), errors(rep))
    R.run("serve: churn opens, echoes once and closes, handshakes/s reported", churn)

    def script():
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"steps": [{"send": {"op": "subscribe", "topic": "t"}},
                                 {"expect": "subscribe", "timeout": "2s"},
                                 {"sleep": "50ms"}], "loop": True}, f)
        try:
            rc, rep, err = load(url, "-s", "script", "--script", f.name, "-c", "3", "-d", "1.2")
            if rc != 0 or not rep:
                return f"rc={rc} {err[-300:]}"
            bad = {"steps": [{"send": "ping"}, {"expect": "never-sent", "timeout": "300ms"}]}
            with open(f.name, "w") as g:
                json.dump(bad, g)
            rc2, rep2, err2 = load(url, "-s", "script", "--script", f.name, "-c", "2", "-d", "1")
            return (msgs(rep)["received"] >= 6 and rep["summary"]["errors"]["total"] == 0
                    and errors(rep2).get("script_timeout") == 2) or (msgs(rep), errors(rep2))
        finally:
            os.unlink(f.name)
    R.run("serve: script sends, expects and sleeps; an unmet expect is a script_timeout",
          script)

    def script_opens_with_expect():
        # The first step waits for the echo of --subscribe: its latency runs
        # from the start of the wait, not from the clock's epoch.
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"steps": [{"expect": "hello", "timeout": "2s"}]}, f)
        try:
            rc, rep, err = load(url, "-s", "script", "--script", f.name, "--subscribe", "hello",
                                "-c", "2", "-d", "1")
            if rc != 0 or not rep:
                return f"rc={rc} {err[-300:]}"
            lat = rep["summary"]["latency"]["corrected"]
            return (lat["max_us"] < 1000000 and rep["summary"]["errors"]["total"] == 0) or lat
        finally:
            os.unlink(f.name)
    R.run("serve: a script that opens with an expect times it from the wait", script_opens_with_expect)

port = free_port()
with serve(port, "--deflate"):
    def deflate():
        rc, rep, err = load(f"ws://127.0.0.1:{port}/", "--deflate", "-c", "4", "-k", "2",
                            "-d", "1", "--size", "64-2000")
        if rc != 0 or not rep:
            return f"rc={rc} {err[-300:]}"
        m = msgs(rep)
        if m["bytes_sent"] >= m["sent"] * 64:
            return "payloads were not compressed"
        return adds_up(rep)
    R.run("serve --deflate: permessage-deflate load, integrity 0, bytes compressed", deflate)

with tempfile.TemporaryDirectory() as d:
    cert, key = make_cert(d)
    port = free_port()
    with serve(port, "--tls-cert", cert, "--tls-key", key):
        url = f"wss://127.0.0.1:{port}/"

        def tls():
            rc, rep, err = load(url, "--insecure", "-c", "4", "-k", "2", "-d", "1")
            if rc != 0 or not rep:
                return f"rc={rc} {err[-300:]}"
            if rep["summary"]["latency"]["tls"]["count"] != 4:
                return "TLS handshakes not timed"
            return adds_up(rep)
        R.run("serve over TLS: wss load with --insecure, TLS time measured", tls)

        def tls_verify():
            rc, rep, err = load(url, "-c", "2", "-d", "1")
            return (rep is not None and errors(rep).get("tls", 0) == 2) or (rc, err[-300:])
        R.run("wss with a self-signed certificate and no --insecure: tls errors", tls_verify)

port = free_port()
with python_echo(port, "--max-size", "none"):
    def py():
        rc, rep, err = load(f"ws://127.0.0.1:{port}/", "-c", "4", "-k", "2", "-d", "1.5")
        return adds_up(rep) if rc == 0 and rep else f"rc={rc} {err[-300:]}"
    R.run("python3-websockets echo server: counts add up, integrity 0", py)

port = free_port()
with node_echo(port, "--no-deflate"):
    def node():
        rc, rep, err = load(f"ws://127.0.0.1:{port}/", "-c", "4", "-k", "2", "-d", "1.5",
                            "--binary")
        return adds_up(rep) if rc == 0 and rep else f"rc={rc} {err[-300:]}"
    R.run("node-ws echo server: counts add up, integrity 0", node)

port = free_port()
with python_echo(port, "--max-size", "none", "--broadcast"):
    def broadcast():
        rc, rep, err = load(f"ws://127.0.0.1:{port}/", "-s", "broadcast", "-c", "5",
                            "--senders", "1", "-r", "50", "-d", "2")
        if rc != 0 or not rep:
            return f"rc={rc} {err[-300:]}"
        m = msgs(rep)
        # Every publish reaches the 5 subscribers (the sender included); the
        # last ones may still be on their way when the run stops.
        return (m["sent"] >= 80 and m["received"] >= 5 * m["sent"] - 25
                and m["received"] <= 5 * m["sent"] and m["duplicated"] == 0
                and m["lost"] == 0 and m["corrupted"] == 0) or m
    R.run("broadcast against a python3-websockets hub: fan-out counted, no loss", broadcast)

R.finish()
