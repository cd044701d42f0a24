#!/usr/bin/python3
"""wsprobe check / cases: exit statuses (2 usage and bad case files, 3 unreachable),
selection, --config (one server, and two with per-agent reports),
--cases-dir, -j ordering, report.json, --header and --origin in the request
(and a case's own headers over them), time limits (per case, --timeout), and
servers that misbehave (silent, endless data, one huge frame, never closing
TCP, control characters in what they send): each gets a verdict within the
time limit and nothing raw reaches the terminal."""
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import (PEERS, ROOT, WSPROBE, Proc, RawServer, Results, free_port,  # noqa: E402
                          read_frame, serve, upgrade, user_cases)
from report_util import schema_errors  # noqa: E402
from serve_wire import frame  # noqa: E402

ENV = dict(os.environ, NO_COLOR="1")


def run(*args, timeout=120):
    t0 = time.monotonic()
    p = subprocess.run([WSPROBE, *args], capture_output=True, text=True, timeout=timeout,
                       cwd=ROOT, env=ENV, errors="replace")
    p.elapsed = time.monotonic() - t0
    return p


# ---- small raw-socket servers that misbehave in one way each ----

def silent(srv, c):
    while not srv.stop and c.recv(4096):
        pass


def endless(srv, c):
    upgrade(c)
    chunk = frame(1, b"spam" * 16, mask=False) * 64
    t_end = time.monotonic() + 15
    while not srv.stop and time.monotonic() < t_end:
        c.sendall(chunk)


def huge_frame(srv, c):
    upgrade(c)
    c.sendall(bytes([0x82, 127]) + struct.pack("!Q", 1 << 40))
    t_end = time.monotonic() + 15
    while not srv.stop and time.monotonic() < t_end:
        c.sendall(b"\0" * 65536)


def never_closes(srv, c):
    upgrade(c)
    while not srv.stop:
        _, op, data = read_frame(c)
        if op == 8:
            c.sendall(frame(8, data, mask=False))
            while not srv.stop:  # keeps TCP open
                time.sleep(0.1)
            return
        if op in (1, 2):
            c.sendall(frame(op, data, mask=False))


def hostile_strings(srv, c):
    upgrade(c, "Server: evil\xff\xfe<script>\r\n")
    read_frame(c)
    c.sendall(frame(1, b"\x1b]0;pwned\x07 \x1b[2J", mask=False))
    c.sendall(frame(8, struct.pack("!H", 1000) + b"\x1b[31mred\x07", mask=False))
    time.sleep(0.3)
    c.close()


def no_close_reply(srv, c):
    upgrade(c)
    while not srv.stop:
        _, op, data = read_frame(c)
        if op in (1, 2):
            c.sendall(frame(op, data, mask=False))


def utf8_strings(srv, c):
    upgrade(c, "Server: W\xc3\xbcrfel \xc2\xa7 \xff\r\n")
    read_frame(c)
    c.sendall(frame(1, "grüße § 7.2".encode(), mask=False))
    c.sendall(frame(8, struct.pack("!H", 1000) + "tschüß".encode(), mask=False))
    time.sleep(0.3)
    c.close()


def bad_utf8_fragment(srv, c):
    """A valid first fragment, then invalid UTF-8 (a surrogate, ED A0: invalid
    at its second byte, byte 7 of the message) in an unfinished second one,
    then silence: only a per-frame check can see it."""
    upgrade(c)
    read_frame(c)
    c.sendall(bytes([0x01, 6]) + "héllo".encode())
    c.sendall(bytes([0x00, 5]) + b"\xed\xa0\x80ab")
    while not srv.stop and c.recv(4096):
        pass


def reset_while_writing(srv, c):
    """Reads a few bytes of the request, then resets (SO_LINGER 0) while the
    client is still writing a large one."""
    c.recv(16)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()


def waits_for_eof(srv, c):
    """Echoes, answers a close frame, and closes TCP only after the client's FIN."""
    upgrade(c)
    while not srv.stop:
        _, op, data = read_frame(c)
        if op == 8:
            c.sendall(frame(8, data, mask=False))
            c.settimeout(10)
            while c.recv(4096):
                pass
            c.close()
            return
        if op in (1, 2):
            c.sendall(frame(op, data, mask=False))


def echo_unless_slow(srv, c):
    """Echoes text messages, except one starting with "slow": never answered."""
    upgrade(c)
    while not srv.stop:
        _, op, data = read_frame(c)
        if op == 8:
            c.sendall(frame(8, data, mask=False))
            c.close()
            return
        if op in (1, 2) and not data.startswith(b"slow"):
            c.sendall(frame(op, data, mask=False))


def interrupt_tests(r, tmp):
    """Ctrl-C / SIGTERM during check: running cases finish or are cut within
    about 1 s, no new case starts, the partial report is written, exit 130; a
    second signal leaves at once."""
    import signal
    cases = [{"id": "93.1", "title": "answered", "rfc": "6455 §5.6", "steps": [
        {"send": {"op": "text", "payload": "fast"}}, {"expect": {"echo": True}}]}]
    for i in range(2, 12):
        cases.append({"id": f"93.{i}", "title": "never answered", "rfc": "6455 §5.6",
                      "timeout": 60, "steps": [
                          {"send": {"op": "text", "payload": "slow"}}, {"expect": {"echo": True}}]})
    cdir = user_cases(tmp, "slowcases", "93", cases, title="slow")

    def start(sig_plan, rep):
        # The plan's delays count from the first connection: by then the run
        # has begun and its signal handlers are in place (on a loaded machine
        # loading the catalogue under ASan can take over a second, and a
        # signal before that kills wsprobe the default way).
        began = threading.Event()

        def behave(srv, c):
            began.set()
            echo_unless_slow(srv, c)
        srv = RawServer(behave)
        args = [WSPROBE, "check", srv.url, "--cases-dir", cdir, "--cases", "93", "-j", "2"]
        if rep:
            args += ["--report", rep]
        t0 = time.monotonic()
        p = subprocess.Popen(args, cwd=ROOT, env=ENV, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, errors="replace")
        try:
            began.wait(30)
            for delay, sig in sig_plan:
                time.sleep(delay)
                p.send_signal(sig)
            t_sig = time.monotonic()
            out, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        finally:
            srv.close()
        return p.returncode, out, err, time.monotonic() - t_sig, time.monotonic() - t0

    rep = os.path.join(tmp, "interrupted")
    code, out, err, after, total = start([(1.5, signal.SIGINT)], rep)
    # the two running cases never answer: they are cut at the end of the 1 s
    # grace, not before (which is what makes the second-signal check below
    # mean something)
    r.check("SIGINT: exit 130 about 1 s after the signal (the grace, not sooner)",
            code == 130 and 0.8 <= after < 3.0, (code, after, out[-600:], err[-600:]))
    r.check("SIGINT: the summary so far is printed, saying it was interrupted",
            "1 cases, 1 ok" in out and "interrupted: 10 of 11" in out, out[-800:])
    j = json.load(open(os.path.join(rep, "report.json")))
    r.check("SIGINT: report.json marked interrupted, finished case kept, the rest listed",
            j["interrupted"] is True and j["summary"]["interrupted"] is True and
            [c["id"] for c in j["cases"]] == ["93.1"] and j["cases"][0]["verdict"] == "OK" and
            j["not_run"] == [f"93.{i}" for i in range(2, 12)] and j["exit_status"] == 130 and
            j["summary"]["total"] == 1, (j.get("interrupted"), j.get("not_run"),
                                         [c["id"] for c in j["cases"]]))
    r.check("SIGINT: the rendered files are written too",
            all(os.path.exists(os.path.join(rep, f)) for f in ("index.html", "junit.xml")),
            os.listdir(rep))

    rep = os.path.join(tmp, "terminated")
    code, out, err, after, total = start([(1.0, signal.SIGTERM)], rep)
    j = json.load(open(os.path.join(rep, "report.json")))
    r.check("SIGTERM: same as Ctrl-C (exit 130, partial report)",
            code == 130 and after < 3.0 and j["interrupted"] is True and
            len(j["not_run"]) == 10, (code, after, j.get("not_run")))

    code, out, err, after, total = start([(1.0, signal.SIGINT), (0.05, signal.SIGINT)], None)
    r.check("second SIGINT: exits at once with 130", code == 130 and after < 0.6,
            (code, after, err[-300:]))


def header_origin_tests(r, tmp, surl):
    """--header and --origin reach the request of every case (report.json's
    handshake.request), and a case's own header settings override them as
    cases/README.md ("Handshake") says: `set` replaces in place, `omit`
    removes, `add` appends a duplicate, a changed `path` keeps them, `raw`
    replaces the whole request."""
    echo = [{"send": {"op": "text", "payload": "h"}}, {"expect": {"echo": True}}]

    def c(i, hs=None):
        return {"id": f"89.{i}", "title": f"headers {i}", "rfc": "6455 §4.1",
                "steps": ([{"handshake": hs}] if hs is not None else []) + echo}
    udir = user_cases(tmp, "hdrcases", "89", [
        c(1), c(2, {"set": {"origin": "http://case.example", "X-EXTRA": "case"}}),
        c(3, {"omit": ["Origin", "x-extra"]}), c(4, {"add": [["X-Extra", "added"]]}),
        c(5, {"path": "{path}?p=1"}),
        c(6, {"raw": "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n"})])
    d = os.path.join(tmp, "hdrrep")
    p = run("check", surl, "--cases-dir", udir, "--cases", "89", "--origin", "http://o.example",
            "--header", "X-Extra: one", "--header", "X-Two:2", "--report", d)
    rep = json.load(open(os.path.join(d, "report.json")))
    req = {c["id"]: c["handshake"]["request"] for c in rep["cases"]}
    ok = all(c["verdict"] == "OK" for c in rep["cases"]) and p.returncode == 0
    r.check("--header/--origin run: every case OK", ok, (p.returncode, p.stdout[-500:]))
    r.check("--header/--origin recorded in report.json options",
            rep["options"].get("origin") == "http://o.example" and
            rep["options"].get("headers") == ["X-Extra: one", "X-Two:2"], rep["options"])
    r.check("default request: Origin and both --header lines, after the version",
            req["89.1"].endswith("Sec-WebSocket-Version: 13\r\nOrigin: http://o.example\r\n"
                                 "X-Extra: one\r\nX-Two: 2\r\n\r\n"), req["89.1"])
    r.check("set: the case's values replace --origin and --header in place, as spelled",
            "\r\norigin: http://case.example\r\nX-EXTRA: case\r\nX-Two: 2\r\n" in req["89.2"] and
            "o.example" not in req["89.2"] and "one" not in req["89.2"], req["89.2"])
    r.check("omit: removes --origin and a --header line, keeps the other",
            "Origin" not in req["89.3"] and "X-Extra" not in req["89.3"] and
            "\r\nX-Two: 2\r\n" in req["89.3"], req["89.3"])
    r.check("add: a second line next to the --header one",
            "\r\nX-Extra: one\r\nX-Two: 2\r\nX-Extra: added\r\n" in req["89.4"], req["89.4"])
    r.check("path: a changed target keeps --origin and --header",
            req["89.5"].startswith("GET /?p=1 HTTP/1.1\r\n") and
            "\r\nOrigin: http://o.example\r\nX-Extra: one\r\nX-Two: 2\r\n" in req["89.5"],
            req["89.5"])
    r.check("raw: the request is only what the case wrote",
            "Origin" not in req["89.6"] and "X-Extra" not in req["89.6"] and
            "X-Two" not in req["89.6"], req["89.6"])


def config_two_servers(r, tmp, surl):
    """--config with two servers: one report directory per agent (its name
    made safe for a path), exclude-agent-cases only for its agent, and the
    exit status is the worst of the two runs."""
    port = free_port()
    with Proc([os.path.join(PEERS, "badserver"), "--port", str(port), "--bug", "no-pong"],
              port=port):
        cfg = os.path.join(tmp, "two.json")
        with open(cfg, "w") as f:
            json.dump({"servers": [{"agent": "good.one", "url": surl},
                                   {"agent": "bad/two", "url": f"ws://127.0.0.1:{port}/"}],
                       "cases": ["1.1.1", "2.1", "2.2"],
                       "exclude-agent-cases": {"good.one": ["1.1.1"]}}, f)
        rep = os.path.join(tmp, "tworep")
        p = run("check", "--config", cfg, "--report", rep)
    r.check("--config two servers: one report directory per agent",
            sorted(os.listdir(rep)) == ["bad_two", "good_one"], os.listdir(rep))
    good = json.load(open(os.path.join(rep, "good_one", "report.json")))
    bad = json.load(open(os.path.join(rep, "bad_two", "report.json")))
    r.check("--config: exclude-agent-cases applies to its agent only",
            [c["id"] for c in good["cases"]] == ["2.1", "2.2"] and
            [c["id"] for c in bad["cases"]] == ["1.1.1", "2.1", "2.2"],
            ([c["id"] for c in good["cases"]], [c["id"] for c in bad["cases"]]))
    r.check("--config: each report names its agent and its own status",
            good["agent"] == "good.one" and bad["agent"] == "bad/two" and
            good["exit_status"] == 0 and bad["exit_status"] == 1 and
            all(c["verdict"] == "OK" for c in good["cases"]) and
            [c["verdict"] for c in bad["cases"]] == ["OK", "FAILED", "FAILED"],
            (good["exit_status"], bad["exit_status"], [c["verdict"] for c in bad["cases"]]))
    r.check("--config: the exit status is the worse of the two (1)",
            p.returncode == 1 and "agent good.one" in p.stdout and "agent bad/two" in p.stdout,
            (p.returncode, p.stdout[-600:]))


def timeout_tests(r, tmp):
    """Against a server that never answers, a case lasts its time limit: the
    case's own `timeout`, else --timeout, else 5 s; --timeout raises a smaller
    per-case value and never lowers a larger one. Measured as duration_ms in
    report.json, each within [95% of the limit, limit + 1.5 s]."""
    def c(i, t=None):
        case = {"id": f"88.{i}", "title": f"silent {i}", "rfc": "6455 §4.1", "steps": []}
        if t is not None:
            case["timeout"] = t
        return case
    udir = user_cases(tmp, "silentcases", "88", [c(1), c(2, 1), c(3, 1), c(4, 3), c(5)])
    runs = [((), {"88.2": 1.0, "88.5": 5.0}),
            (("--timeout", "1"), {"88.1": 1.0, "88.4": 3.0}),
            (("--timeout", "2500ms"), {"88.3": 2.5})]
    srv = RawServer(silent)
    try:
        for k, (extra, want) in enumerate(runs):
            d = os.path.join(tmp, f"silent{k}")
            p = run("check", srv.url, "--cases-dir", udir, "--cases", ",".join(want), "-j", "2",
                    "--report", d, *extra, timeout=60)
            got = {c["id"]: c for c in json.load(open(os.path.join(d, "report.json")))["cases"]}
            for i, limit in want.items():
                c = got.get(i, {})
                ms = c.get("duration_ms", -1)
                r.check(f"timeout {' '.join(extra) or '(none)'}: {i} lasts {limit} s",
                        c.get("verdict") == "FAILED" and "no response" in c.get("reason", "") and
                        limit * 950 <= ms <= limit * 1000 + 1500,
                        (ms, c.get("reason"), p.stdout[-300:]))
    finally:
        srv.close()


def main():
    r = Results()
    tmp = tempfile.mkdtemp(prefix="wsprobe-cli-")

    # ---- usage errors and unreachable targets ----
    p = run("check", "http://127.0.0.1:1/")
    r.check("bad URL: exit 2", p.returncode == 2, p.returncode)
    r.check("bad URL: says so", "bad URL" in p.stderr, p.stderr)
    p = run("check", "--bogus")
    r.check("unknown option: exit 2", p.returncode == 2 and "unknown option" in p.stderr, p.stderr)
    for args in (["-j", "0"], ["--timeout", "abc"], ["--header", "nocolon"]):
        p = run("check", *args)
        r.check(f"bad value {args}: exit 2", p.returncode == 2, (p.returncode, p.stderr))
    port = free_port()
    p = run("check", f"ws://127.0.0.1:{port}/")
    r.check("refused: exit 3", p.returncode == 3, (p.returncode, p.stdout, p.stderr))
    r.check("refused: one clear line", p.stderr.count("\n") == 1 and "cannot reach" in p.stderr
            and "refused" in p.stderr, p.stderr)

    bad = os.path.join(tmp, "bad")
    os.mkdir(bad)
    with open(os.path.join(bad, "50-bad.json"), "w") as f:
        f.write('{"section": "50", "title": "bad", "cases": [{"id": "50.1", "title": "t", '
                '"rfc": "r", "steps": [{"send": {"op": "txt"}}]}]}')
    p = run("check", "--cases-dir", bad)
    r.check("bad case file: exit 2", p.returncode == 2, p.returncode)
    r.check("bad case file: names file, case and field",
            "50-bad.json" in p.stderr and "case 50.1" in p.stderr and "steps[0].send.op" in p.stderr,
            p.stderr)
    p = run("cases", "--cases-dir", bad)
    r.check("cases with a bad file: exit 2", p.returncode == 2, p.returncode)
    dup = os.path.join(tmp, "dup")
    os.mkdir(dup)
    with open(os.path.join(dup, "x.json"), "w") as f:
        f.write('{"section": "1", "title": "dup", "cases": [{"id": "1.1.1", "title": "t", '
                '"rfc": "r", "steps": []}]}')
    p = run("cases", "--cases-dir", dup)
    r.check("duplicate id: exit 2 naming both files", p.returncode == 2 and
            "defined twice" in p.stderr and "x.json" in p.stderr, p.stderr)

    # ---- listing ----
    p = run("cases")
    lines = [l for l in p.stdout.splitlines() if l and not l.endswith(" cases")]
    r.check("cases: lists id, title and RFC", p.returncode == 0 and len(lines) > 50 and
            any(l.startswith("7.9.1 ") and "6455" in l for l in lines), p.stdout[:500])
    p = run("cases", "7.9")
    ids = [l.split()[0] for l in p.stdout.splitlines() if not l.endswith(" cases")]
    r.check("cases PATTERN: prefix selects the family", ids and all(i.startswith("7.9.") for i in ids),
            ids)
    p = run("cases", "tag:slow")
    ids = [l.split()[0] for l in p.stdout.splitlines() if not l.endswith(" cases")]
    r.check("cases tag:slow: only 9.x", ids and all(i.startswith("9.") for i in ids), ids)

    with serve(free_port()) as _:
        pass  # serve starts and stops cleanly; the real one is below
    sport = free_port()
    with serve(sport):
        surl = f"ws://127.0.0.1:{sport}/"
        # ---- selection, config, user cases, order, report ----
        rep1, rep8 = os.path.join(tmp, "j1"), os.path.join(tmp, "j8")
        p1 = run("check", surl, "--cases", "1.*,7.*", "--exclude", "7.9.*", "-j", "1",
                 "--report", rep1)
        p8 = run("check", surl, "--cases", "1.*,7.*", "--exclude", "7.9.*", "-j", "8",
                 "--report", rep8)
        j1 = json.load(open(os.path.join(rep1, "report.json")))
        j8 = json.load(open(os.path.join(rep8, "report.json")))
        ids1 = [c["id"] for c in j1["cases"]]
        r.check("selection: --cases and --exclude", ids1 and all(
            i.startswith(("1.", "7.")) and not i.startswith("7.9.") for i in ids1), ids1)
        r.check("-j 8 reports in catalogue order like -j 1",
                ids1 == [c["id"] for c in j8["cases"]] and p1.returncode == p8.returncode == 0,
                (p1.stdout[-500:], p8.stdout[-500:]))
        repq = os.path.join(tmp, "quick")
        p = run("check", surl, "--quick", "--cases", "9.1.1,9.7,1.1.1", "--report", repq)
        jq = json.load(open(os.path.join(repq, "report.json")))
        r.check("--quick leaves out the slow cases (9.x) even when selected",
                p.returncode == 0 and [c["id"] for c in jq["cases"]] == ["1.1.1"] and
                jq["options"]["quick"] is True, ([c["id"] for c in jq["cases"]], p.stderr))
        c0 = j1["cases"][0]
        r.check("report: top-level fields", all(k in j1 for k in (
            "version", "tool", "target", "agent", "started", "duration_ms", "options",
            "summary", "cases")), list(j1))
        r.check("report: case fields", all(k in c0 for k in (
            "id", "title", "rfc", "verdict", "close_verdict", "reason", "duration_ms",
            "expected", "observed", "handshake", "wire")), list(c0))
        r.check("report: handshake and wire log recorded",
                c0["handshake"]["request"].startswith("GET ") and
                "101" in c0["handshake"]["response"] and
                any(w["dir"] == ">" and w["kind"] == "frame" for w in c0["wire"]) and
                any(w["dir"] == "<" and w["kind"] == "frame" for w in c0["wire"]), c0["wire"][:4])
        # --wire-logs: 12.1.1 is UNIMPLEMENTED against serve without --deflate.
        wl = {}
        for mode in ("not-ok", "none"):
            d = os.path.join(tmp, "wire-" + mode)
            p = run("check", surl, "--cases", "1.1.1,12.1.1", "--wire-logs", mode, "--report", d)
            wl[mode] = (p.returncode, json.load(open(os.path.join(d, "report.json"))))
        cases = {m: {c["id"]: c for c in j["cases"]} for m, (_, j) in wl.items()}
        nok = cases["not-ok"]
        r.check("--wire-logs not-ok: an OK case's log left out and marked, the others kept",
                wl["not-ok"][0] == 0 and wl["not-ok"][1]["options"]["wire_logs"] == "not-ok" and
                nok["1.1.1"]["verdict"] == "OK" and nok["1.1.1"]["wire"] == [] and
                nok["1.1.1"]["wire_omitted"] is True and
                nok["12.1.1"]["verdict"] == "UNIMPLEMENTED" and nok["12.1.1"]["wire"] and
                "wire_omitted" not in nok["12.1.1"] and "wire_omitted" not in c0 and
                j1["options"]["wire_logs"] == "all" and
                not schema_errors(os.path.join(tmp, "wire-not-ok", "report.json")),
                (nok, wl["not-ok"][1]["options"]))
        r.check("--wire-logs none: no case keeps its log",
                wl["none"][0] == 0 and
                all(c["wire"] == [] and c["wire_omitted"] for c in cases["none"].values()),
                cases["none"])
        p = run("check", surl, "--wire-logs", "failed")
        r.check("--wire-logs with an unknown mode: exit 2 naming the modes",
                p.returncode == 2 and "all, not-ok or none" in p.stderr, p.stderr)
        r.check("report: summary adds up", j1["summary"]["total"] == len(ids1) ==
                sum(s["total"] for s in j1["summary"]["sections"]))
        r.check("plain output without colour", "\x1b[" not in p1.stdout)
        r.check("output ends like h2spec", " cases, " in p1.stdout and " ok, " in p1.stdout and
                " non-strict, " in p1.stdout and " unimplemented, " in p1.stdout, p1.stdout[-300:])

        cfg = os.path.join(tmp, "fuzzingclient.json")
        with open(cfg, "w") as f:
            json.dump({"outdir": "./reports/servers",
                       "servers": [{"agent": "serve", "url": surl}],
                       "cases": ["1.*"], "exclude-cases": ["1.2.*"],
                       "exclude-agent-cases": {"serve": ["1.1.1"]}}, f)
        repc = os.path.join(tmp, "cfg")
        p = run("check", "--config", cfg, "--report", repc)
        jc = json.load(open(os.path.join(repc, "report.json")))
        idsc = [c["id"] for c in jc["cases"]]
        r.check("--config: servers, cases, exclude-cases, exclude-agent-cases",
                p.returncode == 0 and idsc and "1.1.1" not in idsc and
                all(i.startswith("1.") and not i.startswith("1.2.") for i in idsc) and
                jc["agent"] == "serve", (p.returncode, idsc[:5], p.stderr))

        user = os.path.join(tmp, "user")
        os.mkdir(user)
        with open(os.path.join(user, "90-mine.json"), "w") as f:
            json.dump({"section": "90", "title": "mine", "cases": [
                {"id": "90.1", "title": "my own case", "rfc": "6455 §5.6", "steps": [
                    {"send": {"op": "text", "payload": "mine"}},
                    {"expect": {"message": {"op": "text", "payload": "mine"}}}]},
                {"id": "90.2", "title": "a case that must fail", "rfc": "6455 §5.6", "steps": [
                    {"send": {"op": "text", "payload": "mine"}},
                    {"expect": {"close": 1002}}]}]}, f)
        p = run("check", surl, "--cases-dir", user, "--cases", "90")
        r.check("--cases-dir: user cases run; a FAILED gives exit 1",
                p.returncode == 1 and "90.2" in p.stdout and
                "expected close 1002, got echo of 4 bytes" in p.stdout, p.stdout)
        base = os.path.join(tmp, "baseline.txt")
        with open(base, "w") as f:
            f.write("# known\n90.2  # documented\n")
        p = run("check", surl, "--cases-dir", user, "--cases", "90", "--expect-failures", base)
        r.check("--expect-failures: baseline failure gives exit 0",
                p.returncode == 0 and "expected failure" in p.stdout, p.stdout)
        header_origin_tests(r, tmp, surl)
        config_two_servers(r, tmp, surl)

    # ---- misbehaving servers get verdicts within the limits ----
    def one(behave, case, *extra):
        srv = RawServer(behave)
        try:
            d = os.path.join(tmp, behave.__name__)
            p = run("check", srv.url, "--cases", case, "--timeout", "1", "--report", d, *extra,
                    timeout=60)
            rep = json.load(open(os.path.join(d, "report.json")))
            return p, rep["cases"][0]
        finally:
            srv.close()

    p, c = one(silent, "1.1.1")
    r.check("silent server: FAILED within the limit",
            p.returncode == 1 and c["verdict"] == "FAILED" and "no response" in c["reason"] and
            p.elapsed < 8, (p.elapsed, c["reason"]))
    p, c = one(endless, "1.1.1")
    r.check("endless data: FAILED, closing FAILED, bounded time",
            p.returncode == 1 and c["verdict"] == "FAILED" and
            ("unexpected" in c["reason"] or "expected echo" in c["reason"]),
            (c["reason"], c["close_reason"]))
    r.check("endless data: finished within the limits", p.elapsed < 10 and
            c["close_verdict"] == "FAILED", (p.elapsed, c["close_reason"]))
    r.check("endless data: wire log capped with a note", len(c["wire"]) <= 2000 and
            c["wire_truncated"] > 0, (len(c["wire"]), c["wire_truncated"]))
    p, c = one(huge_frame, "1.1.1")
    r.check("2^40-byte frame: FAILED as a violation, not a hang",
            c["verdict"] == "FAILED" and "over" in c["reason"] and p.elapsed < 10,
            (p.elapsed, c["reason"]))
    p, c = one(never_closes, "1.1.1")
    r.check("server never closes TCP: case OK, closing FAILED",
            c["verdict"] == "OK" and c["close_verdict"] == "FAILED" and
            "did not close TCP" in c["close_reason"] and p.returncode == 1 and p.elapsed < 10,
            (c["verdict"], c["close_reason"], p.elapsed))
    p, c = one(no_close_reply, "1.1.1")
    r.check("server never answers our close: closing FAILED",
            c["close_verdict"] == "FAILED" and "no close frame" in c["close_reason"],
            c["close_reason"])
    p, c = one(hostile_strings, "1.1.1", "-v")
    r.check("control characters from the server are escaped on the terminal",
            "\x1b" not in p.stdout and "\x07" not in p.stdout and "\\x1b" in p.stdout and
            "\\xff" in p.stdout,
            p.stdout[-1500:])
    r.check("control characters escaped in report.json", "\x1b" not in json.dumps(c, ensure_ascii=False)
            and "\\x1b" in c["reason"] + "".join(c["observed"]), c["reason"])

    # UTF-8 is kept as it is, on the terminal and in report.json (titles, RFC
    # clauses, messages, close reasons); invalid bytes still become \xNN.
    udir = os.path.join(tmp, "utf8cases")
    os.mkdir(udir)
    with open(os.path.join(udir, "91-utf8.json"), "w", encoding="utf-8") as f:
        json.dump({"section": "91", "title": "Überprüfung", "cases": [
            {"id": "91.1", "title": "Grüße über §5.6", "rfc": "RFC 7692 §7.2.3.4", "steps": [
                {"send": {"op": "text", "payload": "x"}},
                {"expect": {"close": 1002}}]},
            {"id": "91.2", "title": "Invalid UTF-8 in an unfinished message", "rfc": "6455 §8.1",
             "steps": [{"send": {"op": "text", "payload": "x"}}, {"expect": {"echo": True}}]},
            {"id": "91.3", "title": "64 KiB header value while the server resets",
             "rfc": "6455 §10.4", "steps": [
                {"handshake": {"add": [["X-Big", {"repeat": {"byte": "a", "count": 65536}}]]}},
                {"expect": {"one_of": [
                    {"events": {"response": {"status": "4xx"}}},
                    {"events": {"drop": True}, "verdict": "NON-STRICT", "why": "reset seen"}]}}]},
            {"id": "91.4", "title": "Close, then half-close: the server closes after our FIN",
             "rfc": "6455 §7.1.1", "close_timeout": 1, "steps": [
                {"send": {"op": "text", "payload": "eof"}}, {"expect": {"echo": True}},
                {"close": 1000}, {"shutdown": "write"}, {"expect": {"close": 1000}}]},
            {"id": "91.5", "title": "Close without half-close: the server waits for EOF",
             "rfc": "6455 §7.1.1", "close_timeout": 1, "steps": [
                {"send": {"op": "text", "payload": "eof"}}, {"expect": {"echo": True}},
                {"close": 1000}, {"expect": {"close": 1000}}]}]}, f, ensure_ascii=False)

    def mine(behave, case, *extra):
        srv = RawServer(behave)
        try:
            d = os.path.join(tmp, behave.__name__ + case)
            p = run("check", srv.url, "--cases-dir", udir, "--cases", case, "--report", d, *extra,
                    timeout=60)
            rep = json.load(open(os.path.join(d, "report.json"), encoding="utf-8"))
            return p, rep["cases"][0], rep
        finally:
            srv.close()

    p, c, rep = mine(utf8_strings, "91.1", "-v")
    r.check("UTF-8 title and server text kept on the terminal",
            "Grüße über §5.6" in p.stdout and "grüße § 7.2" in p.stdout and
            "\\xc2" not in p.stdout and "\\xc3" not in p.stdout, p.stdout[-1500:])
    r.check("UTF-8 in report.json: title, rfc, reason, close reason preview",
            c["title"] == "Grüße über §5.6" and c["rfc"] == "RFC 7692 §7.2.3.4" and
            "grüße § 7.2" in c["reason"] and any("tschüß" in o for o in c["observed"]) and
            "\\xc2" not in json.dumps(rep, ensure_ascii=False), (c["title"], c["reason"]))
    r.check("invalid UTF-8 from the server still \\xNN (terminal and report.json)",
            "Würfel § \\xff" in rep["agent"] and "Würfel § \\xff" in c["handshake"]["response"],
            (rep["agent"], p.stdout[-600:]))

    p, c, _ = mine(bad_utf8_fragment, "91.2", "--timeout", "6")
    r.check("invalid UTF-8 from the server: FAILED at the bad frame, not at the message end",
            c["verdict"] == "FAILED" and
            "invalid UTF-8 at byte 7 of the message" in c["reason"] and p.elapsed < 4.5,
            (c["verdict"], c["reason"], p.elapsed))

    for i in range(5):
        p, c, _ = mine(reset_while_writing, "91.3", "--timeout", "3")
        ok = c["verdict"] == "NON-STRICT" and c["reason"] == "reset seen"
        if not ok:
            break
    r.check("reset while a 64 KiB request is written: the drop alternative matches (5 runs)",
            ok, (c["verdict"], c["reason"], c["observed"], [w.get("note") for w in c["wire"]]))

    p, c, _ = mine(waits_for_eof, "91.4")
    r.check("shutdown write: the server that waits for EOF closes, closing OK",
            c["verdict"] == "OK" and c["close_verdict"] == "OK" and
            c["close"]["tcp_closed_by"] == "server" and
            any("shut down our side" in (w.get("note") or "") for w in c["wire"]),
            (c["verdict"], c["reason"], c["close_reason"]))
    p, c, _ = mine(waits_for_eof, "91.5")
    r.check("without shutdown the same server never closes TCP (closing FAILED)",
            c["verdict"] == "OK" and c["close_verdict"] == "FAILED" and
            "did not close TCP" in c["close_reason"], (c["verdict"], c["close_reason"]))
    bad = user_cases(tmp, "shutbad", "92", [
        {"id": "92.1", "title": "t", "rfc": "r", "steps": [
            {"shutdown": "write"}, {"send": {"op": "text", "payload": "x"}}]}], title="t")
    p = run("cases", "--cases-dir", bad)
    r.check("a send after shutdown is a load error (exit 2)",
            p.returncode == 2 and "after" in p.stderr and "shutdown" in p.stderr, p.stderr)
    timeout_tests(r, tmp)
    interrupt_tests(r, tmp)
    r.finish()


main()
