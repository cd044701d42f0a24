#!/usr/bin/python3
"""A hostile server cannot run script in wsprobe's reports.

tests/integration/hostile_server.py puts <script>, "><img onerror=...> and
<svg onload=...> payloads (each short enough to survive the harness's 32-byte
previews whole) in its Server header, its echoed text and its close reasons.
We run `wsprobe check --report` against it and check: report.json follows
the schema and carries the payloads verbatim; junit.xml validates and gives
them back verbatim after XML parsing; index.html contains none of them as
markup; in headless Chromium, with every case opened (so every string is in
the DOM), nothing ran — with the page's CSP and with CSP bypassed, so the
escaping alone holds. A control page with one payload pasted in unescaped
shows the detector works."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import xml.etree.ElementTree as ET

from harness_util import PYTHON, WSPROBE, Proc, Results, free_port
import report_util as ru

HERE = os.path.dirname(os.path.abspath(__file__))
PAYLOADS = ["<script>__pwned='script'</script>", "\"><img src=x onerror=__pwned=1>",
            "'><svg onload=__pwned='svg'>"]


def main():
    r = Results()
    tmp = tempfile.mkdtemp(prefix="wsprobe-hostile-")
    port = free_port()
    out = os.path.join(tmp, "report")
    try:
        with Proc([PYTHON, os.path.join(HERE, "hostile_server.py"), str(port)], port=port):
            p = subprocess.run([WSPROBE, "check", f"ws://127.0.0.1:{port}/", "--cases",
                                "1.1.*,2.1,7.1.*", "-j", "4", "--report", out],
                               capture_output=True, timeout=300)
        r.check("check against the hostile server exits 1 (its echoes are wrong)",
                p.returncode == 1, p.returncode)
        r.check("check's terminal output carries no raw ESC from the server",
                b"\x1b]0;pwned" not in p.stdout + p.stderr)
        for f in ("report.json", "index.html", "junit.xml", "index.json"):
            r.check(f"{f} written", os.path.isfile(os.path.join(out, f)))
        rj = os.path.join(out, "report.json")
        report = json.load(open(rj, encoding="utf-8"))
        r.check("report.json follows reports/schema/check.schema.json",
                not ru.schema_errors(rj), ru.schema_errors(rj)[:5])
        text = json.dumps(report, ensure_ascii=False)
        for pl in PAYLOADS:
            r.check(f"report.json keeps {pl!r} verbatim (the attack reached the report)",
                    pl in text or pl.replace('"', '\\"') in text)
        r.check("the agent is the hostile Server header", "<script>" in (report["agent"] or ""))

        jx = os.path.join(out, "junit.xml")
        errs = ru.junit_errors(jx, report)
        r.check("junit.xml validates against both JUnit XSDs, a testsuite per section", not errs,
                errs[:3])
        hosts = {s.get("hostname") for s in ET.parse(jx).getroot().iter("testsuite")}
        r.check("junit.xml's hostname is this machine, not the hostile Server header",
                hosts == {socket.gethostname()}, hosts)
        parsed = " ".join(
            (e.get("message") or "") + (e.text or "") + (e.get("value") or "")
            for e in ET.parse(jx).getroot().iter())
        r.check("junit.xml gives the payloads back verbatim after parsing (escaped, not lost)",
                any(pl in parsed for pl in PAYLOADS), parsed[:300])
        raw_x = open(jx, encoding="utf-8").read()
        r.check("junit.xml has no raw payload markup",
                not any(pl in raw_x for pl in PAYLOADS) and "<img" not in raw_x and "<svg" not in raw_x)

        html = os.path.join(out, "index.html")
        raw = open(html, encoding="utf-8").read()
        r.check("index.html has no payload as markup",
                "<img" not in raw and "<svg onload" not in raw and "__pwned='script'</script>" not in raw
                and raw.count("<script") == 2)
        r.check("the embedded JSON escapes '<' (no '</' inside the data script)",
                "</" not in raw.split('id="wsprobe-data">', 1)[1].split("</script>", 1)[0])

        if not r.check("playwright-core installed (npm ci in tests/browser)", ru.npm_ready()):
            r.finish()
        os.makedirs(ru.SHOTS, exist_ok=True)
        for mode, extra in (("with CSP", []), ("CSP bypassed", ["--bypass-csp"])):
            for name, ok, detail in ru.browser_checks(html, rj, os.path.join(ru.SHOTS, "hostile.png"),
                                                      "--open-all", *extra):
                r.check(f"chromium ({mode}): {name}", ok, detail)

        # Control: the same page with one payload pasted in unescaped.
        bad = os.path.join(tmp, "control.html")
        with open(bad, "w", encoding="utf-8") as f:
            f.write(raw.replace("<main>", "<main><img src=x onerror=__pwned=1>", 1))
        res = dict((n, ok) for n, ok, _ in ru.browser_checks(bad, rj, None, "--bypass-csp"))
        r.check("control: an unescaped payload is detected (script ran)",
                res.get("no script from the report ran") is False, res)
        res = dict((n, ok) for n, ok, _ in ru.browser_checks(bad, rj, None))
        r.check("control: with the page's CSP it is blocked, and the refusal is reported",
                res.get("no script from the report ran") is True
                and (res.get("no console errors or warnings") is False
                     or res.get("no network requests") is False), res)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    r.finish()


main()
