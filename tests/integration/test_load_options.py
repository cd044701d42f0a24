#!/usr/bin/python3
"""`wsprobe load` options checked on what a server saw and on report.json's
per-second series:

* --stages 2s:40,1s:40,2s:0: open connections follow the ramp up, the plateau
  and the ramp down second by second.
* --connect-rate 20 -c 100: open grows by about 20 a second, not all at once.
* -H, --origin, --subprotocol: the upgrade request a python3-websockets server
  recorded carries them, and the subprotocol is agreed.
* idle against badserver --bug no-pong: pings go unanswered, pings_lost > 0.
* broadcast with --subscribe against a hub that delivers only to subscribed
  connections: fan-out arrives with the subscribe message, nothing without.
* churn with and without --churn-echo: one echo per connection, or none."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import PEERS, Proc, Results, free_port, serve  # noqa: E402
from load_util import errors, load, load_peer, msgs  # noqa: E402

R = Results()


def near(x, want, slack):
    return want - slack <= x <= want + slack


port = free_port()
with serve(port):
    url = f"ws://127.0.0.1:{port}/"

    def stages():
        # --close-timeout 3s: CI once saw serve (ASan, beside a fuzz run) answer
        # 3 ramp-down closes more than the default 1 s late.
        rc, rep, err = load(url, "--stages", "2s:40,1s:40,2s:0", "--close-timeout", "3s")
        if rc != 0 or not rep:
            return f"rc={rc} {err[-300:]}"
        # The second ending near t: ramp 0->40 over 2 s, 40 for 1 s, 40->0 over 2 s.
        want = {1: 20, 2: 40, 3: 40, 4: 20}
        got = {}
        for x in rep["series"]:
            for t in want:
                if abs(x["t"] - t) < 0.3:
                    got[t] = x["open"]
        ok = (len(got) == 4 and all(near(got[t], want[t], 6) for t in want)
              and rep["summary"]["connections"]["peak_open"] >= 38
              and rep["config"]["stages"] == [{"duration_s": 2, "target": 40},
                                              {"duration_s": 1, "target": 40},
                                              {"duration_s": 2, "target": 0}]
              and rep["summary"]["errors"]["total"] == 0)
        return ok or (got, rep["summary"]["connections"], rep["summary"]["errors"])
    R.run("--stages 2s:40,1s:40,2s:0: open follows the ramp (20, 40, 40, 20)", stages)

    def connect_rate():
        rc, rep, err = load(url, "-c", "100", "--connect-rate", "20", "-d", "3.6")
        if rc != 0 or not rep:
            return f"rc={rc} {err[-300:]}"
        opens = [x["open"] for x in rep["series"] if x["t"] < 3.3]
        ok = (len(opens) == 3 and all(near(opens[i], 20 * (i + 1), 7) for i in range(3))
              and rep["summary"]["connections"]["attempts"] <= 85
              and rep["config"]["connect_rate"] == 20)
        return ok or (opens, rep["summary"]["connections"])
    R.run("--connect-rate 20 -c 100: open grows by about 20 a second", connect_rate)

    def churn():
        rc1, plain, err1 = load(url, "-s", "churn", "-c", "4", "-d", "1.5")
        rc2, echo, err2 = load(url, "-s", "churn", "-c", "4", "-d", "1.5", "--churn-echo")
        if rc1 != 0 or rc2 != 0 or not plain or not echo:
            return f"rc={rc1},{rc2} {err1[-200:]} {err2[-200:]}"
        p, e = plain["summary"], echo["summary"]
        pm, em = msgs(plain), msgs(echo)
        ok = (p["connections"]["opened"] >= 20 and pm["sent"] == 0 and pm["received"] == 0
              and p["connections"]["closed"] >= p["connections"]["opened"] - 4
              and e["connections"]["opened"] >= 20
              # One echo per opened connection (the last few may be cut by the stop).
              and e["connections"]["opened"] - 4 <= em["sent"] <= e["connections"]["opened"]
              and em["sent"] == em["received"] + em["lost"] + em["in_flight_at_stop"]
              and em["lost"] == 0 and p["errors"]["total"] == 0 and e["errors"]["total"] == 0)
        return ok or (p["connections"], pm, e["connections"], em)
    R.run("churn without --churn-echo sends nothing; with it one echo per connection", churn)


def headers():
    port = free_port()
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "requests.jsonl")
        with load_peer("record", port, log, "--subprotocol", "chat.v2"):
            rc, rep, err = load(f"ws://127.0.0.1:{port}/feed?x=1", "-c", "2", "-d", "1",
                                "-H", "X-Load-Test: one", "-H", "Authorization: Bearer abc",
                                "--origin", "http://origin.test", "--subprotocol",
                                "chat.v1, chat.v2")
        lines = [json.loads(x) for x in open(log)] if os.path.exists(log) else []
    if rc != 0 or not rep:
        return f"rc={rc} {err[-300:]}"
    reqs = [x for x in lines if "headers" in x]
    agreed = [x["subprotocol"] for x in lines if "subprotocol" in x]
    problems = []
    if len(reqs) != 2 or agreed != ["chat.v2", "chat.v2"]:
        problems.append(f"requests {len(reqs)}, agreed {agreed}")
    for r in reqs:
        h = {k.lower(): v for k, v in r["headers"]}
        if (r["path"] != "/feed?x=1" or h.get("x-load-test") != "one"
                or h.get("authorization") != "Bearer abc" or h.get("origin") != "http://origin.test"
                or h.get("sec-websocket-protocol") != "chat.v1, chat.v2"):
            problems.append(r)
    if rep["config"].get("subprotocol") != "chat.v1, chat.v2" or msgs(rep)["received"] == 0:
        problems.append(rep["config"])
    return not problems or problems


R.run("-H, --origin, --subprotocol reach the server; the subprotocol is agreed", headers)


def no_pong():
    port = free_port()
    with Proc([os.path.join(PEERS, "badserver"), "--port", str(port), "--bug", "no-pong"],
              port=port):
        rc, rep, err = load(f"ws://127.0.0.1:{port}/", "-s", "idle", "-c", "4",
                            "--ping-interval", "200ms", "-d", "2")
    if not rep:
        return f"rc={rc} {err[-300:]}"
    m = msgs(rep)
    # About 10 pings per connection; each one unanswered when the next is due.
    return (m["pings"] >= 20 and m["pongs"] == 0 and m["pings_lost"] >= m["pings"] - 8
            and rep["summary"]["latency"]["corrected"]["count"] == 0) or m


R.run("idle against badserver --bug no-pong: pings_lost counted, no ping RTT", no_pong)


def subscribe():
    port = free_port()
    with load_peer("pubsub", port, "sub:prices"):
        rc1, sub, err1 = load(f"ws://127.0.0.1:{port}/", "-s", "broadcast", "-c", "5",
                              "--senders", "1", "-r", "50", "-d", "2", "--subscribe",
                              "sub:prices")
        rc2, nosub, err2 = load(f"ws://127.0.0.1:{port}/", "-s", "broadcast", "-c", "5",
                                "--senders", "1", "-r", "50", "-d", "2")
    if rc1 != 0 or rc2 != 0 or not sub or not nosub:
        return f"rc={rc1},{rc2} {err1[-200:]} {err2[-200:]}"
    m, n = msgs(sub), msgs(nosub)
    # Subscribed: every publish reaches all 5 (the sender too), the last few
    # maybe still on their way. Not subscribed: the hub delivers nothing.
    return (m["sent"] >= 80 and 5 * m["sent"] - 25 <= m["received"] <= 5 * m["sent"]
            and m["lost"] == 0 and m["corrupted"] == 0 and m["unexpected"] == 0
            and n["sent"] >= 80 and n["received"] == 0 and errors(sub) == {}) or (m, n)


R.run("broadcast with --subscribe: fan-out only after the subscribe message", subscribe)

R.finish()
