#!/usr/bin/python3
"""The case engine's features that the catalogue relies on, each against a real
server: verdict precedence for informational cases, placeholders in `why`,
oversized replies as events, RSV bits on compressed continuations, extension
parameter patterns, offer hints honoured by our compressor, and {i} in repeats."""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import ROOT, WSPROBE, Results, free_port, serve  # noqa: E402

ENV = dict(os.environ, NO_COLOR="1")


def check(url, *args, timeout=120):
    """Runs wsprobe check with --report; returns (process, {id: case})."""
    d = tempfile.mkdtemp(prefix="wsprobe-engine-")
    p = subprocess.run([WSPROBE, "check", url, "--report", d, *args], capture_output=True,
                       text=True, timeout=timeout, cwd=ROOT, env=ENV, errors="replace")
    try:
        rep = json.load(open(os.path.join(d, "report.json")))
    except (OSError, ValueError):
        rep = {"cases": []}
    return p, {c["id"]: c for c in rep["cases"]}


def user_cases(tmp, name, cases):
    d = os.path.join(tmp, name)
    os.mkdir(d)
    with open(os.path.join(d, "95.json"), "w") as f:
        json.dump({"section": "95", "title": name, "cases": cases}, f)
    return d


def main():
    r = Results()
    tmp = tempfile.mkdtemp(prefix="wsprobe-engine-")
    plain, deflate = free_port(), free_port()
    with serve(plain), serve(deflate, "--deflate"):
        purl, durl = f"ws://127.0.0.1:{plain}/", f"ws://127.0.0.1:{deflate}/"

        # 1a: an informational case against a server without compression
        p, cs = check(purl, "--cases", "14.5.22")
        c = cs.get("14.5.22", {})
        r.check("informational case without permessage-deflate is UNIMPLEMENTED",
                c.get("verdict") == "UNIMPLEMENTED" and "not negotiated" in c.get("reason", ""),
                (c.get("verdict"), c.get("reason"), p.stderr[-300:]))
    r.finish()


main()
