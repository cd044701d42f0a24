#!/usr/bin/python3
"""Reports of real runs: `wsprobe check --report` against `wsprobe serve` and
against build/peers/badserver with planted bugs, and `wsprobe load --report`
against `wsprobe serve`. Each report.json is checked against
reports/schema/*.json, junit.xml against tests/data/junit.xsd (and its counts),
index.json against Autobahn's shape and report.json, and index.html in
headless Chromium (tests/browser/check_report.js). Screenshots go to
build/report-shots/ (a CI artifact); WSPROBE_UPDATE_DOCS=1 also refreshes
docs/report.png for the README."""
import copy
import filecmp
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import xml.etree.ElementTree as ET

from harness_util import PEERS, ROOT, WSPROBE, Proc, Results, free_port, serve
import report_util as ru


def run(argv, timeout=300):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def check_outputs(r, label, out, kind):
    rj = os.path.join(out, "report.json")
    files = ["report.json", "index.html", "junit.xml"] + (["index.json"] if kind == "check" else [])
    for f in files:
        if not r.check(f"{label}: {f} written", os.path.isfile(os.path.join(out, f))):
            return None
    report = json.load(open(rj, encoding="utf-8"))
    errs = ru.schema_errors(rj)
    r.check(f"{label}: report.json follows reports/schema/{kind}.schema.json", not errs, errs[:5])
    errs = ru.junit_errors(os.path.join(out, "junit.xml"), report)
    r.check(f"{label}: junit.xml validates against both JUnit XSDs, counts agree"
            + (", one testsuite per section of summary.sections" if kind == "check" else ""),
            not errs, errs[:3])
    hosts = {s.get("hostname") for s in ET.parse(os.path.join(out, "junit.xml")).getroot().iter("testsuite")}
    r.check(f"{label}: junit.xml's hostname is the report's host ({report.get('host')}), "
            "this machine", hosts == {report.get("host")} == {socket.gethostname()}, hosts)
    if kind == "check":
        errs = ru.autobahn_errors(os.path.join(out, "index.json"), report)
        r.check(f"{label}: index.json is Autobahn's shape and agrees with report.json", not errs,
                errs[:3])
    return report


def browser(r, label, out, shot, *extra):
    os.makedirs(ru.SHOTS, exist_ok=True)
    path = os.path.join(ru.SHOTS, shot)
    for name, ok, detail in ru.browser_checks(os.path.join(out, "index.html"),
                                              os.path.join(out, "report.json"), path, *extra):
        r.check(f"{label} in chromium: {name}", ok, detail)
    return path


def junit_failures(out):
    root = ET.parse(os.path.join(out, "junit.xml")).getroot()
    return sorted(c.get("name").split(" ")[0] for c in root.iter("testcase")
                  if c.find("failure") is not None)


def main():
    r = Results()
    tmp = tempfile.mkdtemp(prefix="wsprobe-report-")
    try:
        if not r.check("playwright-core installed (npm ci in tests/browser)", ru.npm_ready()):
            r.finish()
        port = free_port()
        with serve(port):
            out = os.path.join(tmp, "serve")
            p = run([WSPROBE, "check", f"ws://127.0.0.1:{port}/", "--quick", "-j", "4",
                     "--report", out])
            r.check("check wsprobe serve --report exits 0", p.returncode == 0, p.stderr[-500:])
            rep = check_outputs(r, "serve", out, "check")
            if rep:
                r.check("serve: no case failed", rep["summary"]["FAILED"] == 0)
                r.check("serve: junit.xml has no failure", junit_failures(out) == [])
                browser(r, "serve", out, "check-serve.png")
                again = os.path.join(tmp, "again")
                p = run([WSPROBE, "report", os.path.join(out, "report.json"), "-o", again])
                r.check("wsprobe report re-renders the same files from report.json",
                        p.returncode == 0 and all(filecmp.cmp(os.path.join(out, f),
                                                              os.path.join(again, f), shallow=False)
                                                  for f in ("index.html", "junit.xml", "index.json")),
                        p.stderr)

            lout = os.path.join(tmp, "load")
            p = run([WSPROBE, "load", f"ws://127.0.0.1:{port}/", "-c", "8", "-t", "2",
                     "--duration", "3", "--report", lout], timeout=120)
            r.check("load --report exits 0", p.returncode == 0, p.stderr[-500:])
            rep = check_outputs(r, "load", lout, "load")
            if rep:
                r.check("load: series has a point per second", len(rep["series"]) >= 2)
                browser(r, "load", lout, "load.png")

        bad = os.path.join(PEERS, "badserver")
        if r.check("build/peers/badserver is built", os.access(bad, os.X_OK)):
            port = free_port()
            with Proc([bad, "--port", str(port), "--bug", "no-utf8", "--bug", "accept-reserved-opcode",
                       "--bug", "ignore-rsv"], port=port):
                out = os.path.join(tmp, "bad")
                p = run([WSPROBE, "check", f"ws://127.0.0.1:{port}/", "--quick", "-j", "4",
                         "--cases", "1.*,2.*,3.*,4.*,5.*,6.*,7.*", "--wire-logs", "not-ok",
                         "--report", out])
            r.check("check badserver --report exits 1", p.returncode == 1, p.stderr[-500:])
            rep = check_outputs(r, "badserver", out, "check")
            if rep:
                failed = sorted(c["id"] for c in rep["cases"]
                                if "FAILED" in (c["verdict"], c["close_verdict"]))
                r.check("badserver: the planted bugs fail cases in sections 3, 4 and 6",
                        {i.split(".")[0] for i in failed} >= {"3", "4", "6"},
                        sorted({i.split(".")[0] for i in failed}))
                r.check("badserver: junit.xml has a <failure> for exactly the failed cases",
                        junit_failures(out) == failed, len(junit_failures(out)))
                r.check("badserver, --wire-logs not-ok: exactly the OK cases left their log out",
                        all(bool(c.get("wire_omitted")) ==
                            (c["verdict"] == c["close_verdict"] == "OK") for c in rep["cases"])
                        and any(c.get("wire_omitted") for c in rep["cases"]), len(failed))
                shot = browser(r, "badserver", out, "check-badserver.png", "--expect-omitted")
                if os.environ.get("WSPROBE_UPDATE_DOCS") == "1" and os.path.isfile(shot):
                    os.makedirs(os.path.join(ROOT, "docs"), exist_ok=True)
                    shutil.copyfile(shot, os.path.join(ROOT, "docs", "report.png"))

        # The XSD is a real check: a testcase without a name is refused.
        broken = os.path.join(tmp, "broken.xml")
        with open(broken, "w", encoding="utf-8") as f:
            f.write('<?xml version="1.0"?><testsuites><testsuite name="s" tests="1">'
                    '<testcase classname="c"/></testsuite></testsuites>\n')
        r.check("control: the XSD refuses a testcase without a name", ru.junit_errors(broken) != [])
        # ... the strict XSD refuses a server's words as the hostname, and a
        # suite missing from a check report's sections is noticed.
        if rep and rep.get("kind") == "check" and os.path.isfile(os.path.join(out, "junit.xml")):
            text = open(os.path.join(out, "junit.xml"), encoding="utf-8").read()
            with open(broken, "w", encoding="utf-8") as f:
                f.write(re.sub(r'hostname="[^"]*"', 'hostname="srv&lt;script&gt;"', text))
            errs = ru.junit_errors(broken)
            r.check("control: the strict XSD refuses markup as the hostname",
                    errs and "junit-strict.xsd" in errs[0], errs[:1])
            doc = copy.deepcopy(rep)
            doc["summary"]["sections"].append(dict(doc["summary"]["sections"][0], section="99"))
            r.check("control: a section without its testsuite is noticed",
                    ru.junit_errors(os.path.join(out, "junit.xml"), doc) != [])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    r.finish()


main()
