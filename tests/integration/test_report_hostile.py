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
shows the detector works.

The same for the other pages server strings reach: `report --compare` of a
`wsprobe serve` run and the hostile run (the hostile Server header heads a
column), `report --diff` of the two (hostile reasons in the rows), and
`wsprobe load --report` against hostile_server.py --load (403 with a <script>
reason phrase and body, close reasons with "><img onerror=...>)."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import xml.etree.ElementTree as ET

from harness_util import PYTHON, WSPROBE, Proc, Results, free_port, serve
import report_util as ru

HERE = os.path.dirname(os.path.abspath(__file__))
PAYLOADS = ["<script>__pwned='script'</script>", "\"><img src=x onerror=__pwned=1>",
            "'><svg onload=__pwned='svg'>"]


CASES = "1.1.*,2.1,7.1.*"


JSON_LT = "'</' inside the embedded JSON"


def markup_errors(html):
    """What an escaped page must not contain: a payload as markup, a third
    script element, or '</' inside the embedded JSON (JSON_LT)."""
    raw = open(html, encoding="utf-8").read()
    errs = []
    if "<img" in raw or "<svg onload" in raw or "__pwned='script'</script>" in raw:
        errs.append("a payload as markup")
    if raw.count("<script") != 2:
        errs.append(f"{raw.count('<script')} script elements")
    if "</" in raw.split('id="wsprobe-data">', 1)[1].split("</script>", 1)[0]:
        errs.append(JSON_LT)
    return errs


def in_chromium(r, label, html, jsons, *extra, shot=None):
    """The page with its CSP and with CSP bypassed: nothing runs either way.
    `shot`: where to save a screenshot (the second run's overwrites the first's)."""
    for mode, more in (("with CSP", []), ("CSP bypassed", ["--bypass-csp"])):
        for name, ok, detail in ru.browser_checks(html, jsons, shot, *extra, *more):
            r.check(f"{label} in chromium ({mode}): {name}", ok, detail)


def compare_and_diff(r, tmp, serve_rj, hostile_rj):
    out = os.path.join(tmp, "compare")
    p = subprocess.run([WSPROBE, "report", "--compare", serve_rj, hostile_rj, "-o", out],
                       capture_output=True, timeout=120)
    r.check("--compare serve hostile exits 0", p.returncode == 0, p.stderr[-300:])
    html = os.path.join(out, "index.html")
    r.check("compare page: the hostile agent is in the page, escaped",
            "&lt;script&gt;__pwned" in open(html, encoding="utf-8").read())
    errs = markup_errors(html)
    r.check("compare page: no payload as markup", not errs, errs)
    in_chromium(r, "compare page", html, [serve_rj, hostile_rj])

    out = os.path.join(tmp, "diff")
    p = subprocess.run([WSPROBE, "report", "--diff", serve_rj, hostile_rj, "-o", out],
                       capture_output=True, timeout=120)
    r.check("--diff serve hostile exits 1 (the hostile server's echoes fail)", p.returncode == 1,
            p.stderr[-300:])
    r.check("--diff's terminal output carries no raw ESC", b"\x1b]0;pwned" not in p.stdout + p.stderr)
    dj = os.path.join(out, "diff.json")
    text = json.dumps(json.load(open(dj, encoding="utf-8")), ensure_ascii=False)
    r.check("diff.json carries the hostile reasons verbatim", any(pl in text for pl in PAYLOADS))
    errs = markup_errors(os.path.join(out, "index.html"))
    r.check("diff page: no payload as markup", not errs, errs)
    in_chromium(r, "diff page", os.path.join(out, "index.html"), dj)


def hostile_load(r, tmp):
    port = free_port()
    out = os.path.join(tmp, "load")
    with Proc([PYTHON, os.path.join(HERE, "hostile_server.py"), str(port), "--load"], port=port):
        p = subprocess.run([WSPROBE, "load", f"ws://127.0.0.1:{port}/", "-c", "4", "-t", "1",
                            "-d", "2", "--reconnect", "--no-progress", "--report", out],
                           capture_output=True, timeout=120)
    r.check("load against the hostile server exits 0", p.returncode == 0, p.stderr[-300:])
    r.check("load's terminal output carries no raw payload ESC", b"\x1b" not in p.stdout + p.stderr)
    rj = os.path.join(out, "report.json")
    errs = ru.schema_errors(rj)
    r.check("load report.json follows the load schema", not errs, errs[:5])
    rep = json.load(open(rj, encoding="utf-8"))
    det = rep["summary"]["errors"]["details"]
    text = json.dumps(det, ensure_ascii=False)
    r.check("the 403 reason phrase and a close reason reached the report verbatim",
            "HTTP 403 " + PAYLOADS[0] in text and PAYLOADS[1] in text, text[:400])
    errs = ru.junit_errors(os.path.join(out, "junit.xml"), rep)
    r.check("load junit.xml validates against both JUnit XSDs", not errs, errs[:3])
    errs = markup_errors(os.path.join(out, "index.html"))
    r.check("load page: no payload as markup", not errs, errs)
    in_chromium(r, "load page", os.path.join(out, "index.html"), rj)


def main():
    r = Results()
    tmp = tempfile.mkdtemp(prefix="wsprobe-hostile-")
    port = free_port()
    out = os.path.join(tmp, "report")
    try:
        with Proc([PYTHON, os.path.join(HERE, "hostile_server.py"), str(port)], port=port):
            p = subprocess.run([WSPROBE, "check", f"ws://127.0.0.1:{port}/", "--cases",
                                CASES, "-j", "4", "--report", out],
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
        errs = markup_errors(html)
        r.check("index.html has no payload as markup", not [e for e in errs if e != JSON_LT], errs)
        r.check("the embedded JSON escapes '<' (no '</' inside the data script)",
                JSON_LT not in errs)

        if not r.check("playwright-core installed (npm ci in tests/browser)", ru.npm_ready()):
            r.finish()
        os.makedirs(ru.SHOTS, exist_ok=True)
        in_chromium(r, "index.html", html, rj, "--open-all",
                    shot=os.path.join(ru.SHOTS, "hostile.png"))

        port = free_port()
        with serve(port):
            sout = os.path.join(tmp, "serve")
            subprocess.run([WSPROBE, "check", f"ws://127.0.0.1:{port}/", "--cases", CASES, "-j",
                            "4", "--report", sout], capture_output=True, timeout=300)
        compare_and_diff(r, tmp, os.path.join(sout, "report.json"), rj)
        hostile_load(r, tmp)

        # Control: the same page with one payload pasted in unescaped.
        raw = open(html, encoding="utf-8").read()
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
