#!/usr/bin/python3
"""Catalogue policies, each shown by servers built to take both sides.

Versions (RFC 6455 §4.2.1 (6), §4.2.2, §4.4): a request whose
Sec-WebSocket-Version is missing, repeated or not a single number is OK only
when the rejection lists `Sec-WebSocket-Version: 13`; a bare 4xx is
NON-STRICT (0.2.4, 0.3.5-0.3.7, 0.6.6, 0.6.7), and a well-formed version the
server does not speak answered without the list is FAILED (0.6.1).

Subprotocols (§4.2.2): 0.8.5-0.8.7 offer the server's own subprotocol
(--subprotocol, bound into the cases as {subprotocol}) among
`wsprobe.invalid` and expect exactly it back. Against `wsprobe serve
--subprotocol chat` they pass; without --subprotocol they are UNIMPLEMENTED
and open no connection; a server that selects nothing, one that selects an
unoffered name (badserver) and node-ws, which selects the first name offered,
each get their verdict.

Only 127.0.0.1; every run is bounded by a subprocess timeout."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import (PEERS, Proc, RawServer, Results, check_report, free_port,  # noqa: E402
                          node_echo, read_head, serve)

VERSION_CASES = ["0.2.4", "0.3.5", "0.3.6", "0.3.7", "0.6.6", "0.6.7"]
SUBPROTOCOL_CASES = ["0.8.5", "0.8.6", "0.8.7"]


def check(url, *args):
    """wsprobe check with --report; returns (exit status, {id: case}, output)."""
    p, cases = check_report(url, *args, timeout=120, missing_ok=True)
    return p.returncode, cases, p.stdout + p.stderr


def reject_with(status_line, extra=""):
    def behave(srv, c):
        read_head(c)
        c.sendall((f"HTTP/1.1 {status_line}\r\nContent-Length: 0\r\nConnection: close\r\n"
                   f"{extra}\r\n").encode())
        c.close()
    return behave


def verdicts(cases, ids):
    return {i: (cases[i]["verdict"], cases[i]["reason"][:100]) if i in cases else None
            for i in ids}


def version_policy(r):
    ids = VERSION_CASES + ["0.6.1", "0.2.1"]
    bare = RawServer(reject_with("400 Bad Request"))
    try:
        status, cases, out = check(bare.url, "--cases", ",".join(ids))
    finally:
        bare.close()
    r.check("bare 400: missing/repeated/malformed version NON-STRICT, naming the version list",
            all(cases.get(i, {}).get("verdict") == "NON-STRICT" and
                ("Sec-WebSocket-Version" in cases[i]["reason"] or
                 "version list" in cases[i]["reason"]) for i in VERSION_CASES),
            verdicts(cases, VERSION_CASES))
    r.check("bare 400: version 8 without the list FAILED (a MUST), 0.2.1 OK, exit 1",
            cases.get("0.6.1", {}).get("verdict") == "FAILED" and
            cases.get("0.2.1", {}).get("verdict") == "OK" and status == 1,
            (status, verdicts(cases, ["0.6.1", "0.2.1"]), out[-400:]))

    listing = RawServer(reject_with("426 Upgrade Required", "Sec-WebSocket-Version: 13\r\n"))
    try:
        status, cases, out = check(listing.url, "--cases", ",".join(ids))
    finally:
        listing.close()
    r.check("426 with Sec-WebSocket-Version: 13: every version case OK, exit 0",
            status == 0 and all(cases.get(i, {}).get("verdict") == "OK" for i in ids),
            (status, verdicts(cases, ids)))


def request_of(case):
    return case.get("handshake", {}).get("request", "")


def subprotocol_cases(r):
    sel = ["--cases", ",".join(SUBPROTOCOL_CASES)]
    port = free_port()
    with serve(port, "--subprotocol", "chat"):
        url = f"ws://127.0.0.1:{port}/"
        status, cases, out = check(url, "--subprotocol", "chat", *sel)
        r.check("serve --subprotocol chat: 0.8.5-0.8.7 OK, exit 0",
                status == 0 and all(cases.get(i, {}).get("verdict") == "OK"
                                    for i in SUBPROTOCOL_CASES),
                (status, verdicts(cases, SUBPROTOCOL_CASES), out[-400:]))
        reqs = [request_of(cases.get(i, {})) for i in SUBPROTOCOL_CASES]
        r.check("{subprotocol} bound into the requests as offered",
                "\r\nSec-WebSocket-Protocol: wsprobe.invalid, chat\r\n" in reqs[0] and
                "\r\nSec-WebSocket-Protocol: chat, wsprobe.invalid\r\n" in reqs[1] and
                "\r\nSec-WebSocket-Protocol: wsprobe.invalid\r\n" in reqs[2] and
                "\r\nSec-WebSocket-Protocol: chat\r\n" in reqs[2] and
                "{subprotocol}" not in "".join(reqs), reqs)
        r.check("{subprotocol} bound into titles and the expectation",
                all("chat" in cases.get(i, {}).get("title", "") and
                    "{subprotocol}" not in json.dumps(cases.get(i, {}))
                    for i in SUBPROTOCOL_CASES),
                [cases.get(i, {}).get("expected") for i in SUBPROTOCOL_CASES])
        r.check("the server's answer carried exactly chat",
                all("\r\nSec-WebSocket-Protocol: chat\r\n" in
                    cases.get(i, {}).get("handshake", {}).get("response", "")
                    for i in SUBPROTOCOL_CASES))

        status, cases, out = check(url, *sel)
        r.check("without --subprotocol: UNIMPLEMENTED, saying what to pass, exit 0",
                status == 0 and all(cases.get(i, {}).get("verdict") == "UNIMPLEMENTED" and
                                    "--subprotocol" in cases[i]["reason"] and
                                    cases[i]["close_verdict"] == "OK"
                                    for i in SUBPROTOCOL_CASES),
                (status, verdicts(cases, SUBPROTOCOL_CASES)))
        r.check("without --subprotocol: no request was sent",
                all(request_of(cases.get(i, {})) == "" for i in SUBPROTOCOL_CASES),
                [request_of(cases.get(i, {}))[:80] for i in SUBPROTOCOL_CASES])

    def all_failed(name, start, words):
        port = free_port()
        with start(port):
            status, cases, _ = check(f"ws://127.0.0.1:{port}/", "--subprotocol", "chat", *sel)
        r.check(f"{name}: FAILED, '{words}', exit 1",
                status == 1 and all(cases.get(i, {}).get("verdict") == "FAILED" and
                                    words in cases[i]["reason"] for i in SUBPROTOCOL_CASES),
                (status, verdicts(cases, SUBPROTOCOL_CASES)))

    all_failed("a server that speaks no subprotocol, told chat", serve, "selected no subprotocol")
    all_failed("badserver selecting an unoffered name",
               lambda port: Proc([os.path.join(PEERS, "badserver"), "--port", str(port), "--bug",
                                  "select-unoffered-subprotocol"], port=port),
               "which was not offered")

    # node-ws selects the first name offered, whatever it is
    port = free_port()
    with node_echo(port):
        status, cases, out = check(f"ws://127.0.0.1:{port}/", "--subprotocol", "chat", *sel)
    r.check("node-ws (first offered wins): 0.8.5 NON-STRICT (took wsprobe.invalid), 0.8.6 OK",
            cases.get("0.8.5", {}).get("verdict") == "NON-STRICT" and
            "wsprobe.invalid" in cases["0.8.5"]["reason"] and
            cases.get("0.8.6", {}).get("verdict") == "OK" and status == 0,
            (status, verdicts(cases, SUBPROTOCOL_CASES)))


def main():
    r = Results()
    r.run("version policy", version_policy, r)
    r.run("subprotocol cases", subprotocol_cases, r)
    r.finish()


main()
