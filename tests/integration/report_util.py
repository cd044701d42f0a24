"""Helpers for the report tests: a small JSON Schema validator (the subset
reports/schema/*.json uses), JUnit validation with xmllint against
tests/data/junit.xsd (the lenient reading of the format) and
tests/data/junit-strict.xsd (the strict one), and the headless Chromium
checks in tests/browser/.

Everything runs locally: no network, no pip."""
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET

from harness_util import ROOT

SCHEMAS = os.path.join(ROOT, "reports", "schema")
JUNIT_XSD = os.path.join(ROOT, "tests", "data", "junit.xsd")
JUNIT_STRICT_XSD = os.path.join(ROOT, "tests", "data", "junit-strict.xsd")
BROWSER = os.path.join(ROOT, "tests", "browser")
SHOTS = os.path.join(ROOT, "build", "report-shots")

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
}


def validate(doc, schema, root=None, where="$"):
    """Returns a list of 'path: problem' strings (empty when doc is valid).
    Supports type, const, enum, required, properties, additionalProperties,
    items, minItems, maxItems, minimum, maximum, pattern and local $ref."""
    root = root or schema
    errs = []
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        return validate(doc, root["definitions"][name], root, where)
    t = schema.get("type")
    if t is not None:
        types = t if isinstance(t, list) else [t]
        if not any(_TYPES[x](doc) for x in types):
            return [f"{where}: expected {t}, got {type(doc).__name__}"]
    if "const" in schema and doc != schema["const"]:
        errs.append(f"{where}: expected {schema['const']!r}, got {doc!r}")
    if "enum" in schema and doc not in schema["enum"]:
        errs.append(f"{where}: {doc!r} not in {schema['enum']}")
    if isinstance(doc, (int, float)) and not isinstance(doc, bool):
        if "minimum" in schema and doc < schema["minimum"]:
            errs.append(f"{where}: {doc} < {schema['minimum']}")
        if "maximum" in schema and doc > schema["maximum"]:
            errs.append(f"{where}: {doc} > {schema['maximum']}")
    if isinstance(doc, str) and "pattern" in schema and not re.search(schema["pattern"], doc):
        errs.append(f"{where}: {doc[:60]!r} does not match {schema['pattern']}")
    if isinstance(doc, dict):
        for k in schema.get("required", []):
            if k not in doc:
                errs.append(f"{where}: missing {k}")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for k, v in doc.items():
            if k in props:
                errs += validate(v, props[k], root, f"{where}.{k}")
            elif extra is False:
                errs.append(f"{where}: unexpected {k}")
            elif isinstance(extra, dict):
                errs += validate(v, extra, root, f"{where}.{k}")
    if isinstance(doc, list):
        if len(doc) < schema.get("minItems", 0):
            errs.append(f"{where}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(doc) > schema["maxItems"]:
            errs.append(f"{where}: more than {schema['maxItems']} items")
        if "items" in schema:
            for i, v in enumerate(doc):
                errs += validate(v, schema["items"], root, f"{where}[{i}]")
    return errs


def schema_errors(report_path):
    with open(report_path, encoding="utf-8") as f:
        doc = json.load(f)
    name = "check" if doc.get("kind") == "check" else "load"
    with open(os.path.join(SCHEMAS, name + ".schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    return validate(doc, schema)


def junit_errors(xml_path, report=None):
    """xmllint against both XSDs, then what an XSD cannot express: the counts
    of each suite and of the whole agree with its testcases, and (given the
    check report.json it was made from) there is one testsuite per section of
    summary.sections, in order, holding that section's cases, plus the
    not-run suite of an interrupted run."""
    for xsd in (JUNIT_XSD, JUNIT_STRICT_XSD):
        p = subprocess.run(["xmllint", "--noout", "--schema", xsd, xml_path],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            return [os.path.basename(xsd) + ": " + p.stderr.strip()[:2000]]
    errs = []
    root = ET.parse(xml_path).getroot()
    tot = {"tests": 0, "failures": 0, "skipped": 0}
    for s in root.iter("testsuite"):
        cases = s.findall("testcase")
        got = {"tests": len(cases),
               "failures": sum(1 for c in cases if c.find("failure") is not None),
               "skipped": sum(1 for c in cases if c.find("skipped") is not None)}
        for k, v in got.items():
            tot[k] += v
            if int(s.get(k)) != v:
                errs.append(f"testsuite {s.get('name')}: {k}={s.get(k)} but {v} testcases")
    for k, v in tot.items():
        if int(root.get(k)) != v:
            errs.append(f"testsuites: {k}={root.get(k)} but {v}")
    if report and report.get("kind") == "check":
        suites = root.findall("testsuite")
        want = [f"{x['section']} {x['title']}" for x in report["summary"]["sections"]]
        if report.get("not_run"):
            want.append("not run (interrupted)")
        got = [x.get("name") for x in suites]
        if got != want:
            errs.append(f"testsuites {got[:8]} but summary.sections gives {want[:8]}")
        for suite, sec in zip(suites, report["summary"]["sections"]):
            ids = [c.get("name").split(" ", 1)[0] for c in suite.findall("testcase")]
            mine = [c["id"] for c in report["cases"] if c["section"] == sec["section"]]
            if ids != mine or int(suite.get("tests")) != sec["total"]:
                errs.append(f"testsuite {suite.get('name')}: cases {ids[:5]} != {mine[:5]}")
    return errs


CASE_FILE_MAX = 512 * 1024  # bytes: a case file is bounded (reports/SCHEMA.md)


def autobahn_case_file_errors(folder, agent, entry, case):
    """The case file an index.json entry names: next to index.json, named as
    Autobahn names them, bounded, and agreeing with the report's case."""
    f = entry["reportfile"]
    if "/" in f or not re.fullmatch(r"[a-z0-9_]+_case_[A-Za-z0-9_-]+\.json", f):
        return [f"{case['id']}: reportfile {f!r} is not AGENT_case_ID.json"]
    path = os.path.join(folder, f)
    if not os.path.isfile(path):
        return [f"{case['id']}: {f} missing"]
    if os.path.getsize(path) > CASE_FILE_MAX:
        return [f"{case['id']}: {f} is {os.path.getsize(path)} bytes"]
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    want = {"agent": agent, "id": case["id"], "behavior": case["verdict"],
            "behaviorClose": case["close_verdict"], "result": case["reason"],
            "remoteCloseCode": case["close"]["server_code"], "description": case["title"]}
    errs = [f"{case['id']}: {f}: {k} {doc.get(k)!r} != {v!r}" for k, v in want.items()
            if doc.get(k) != v]
    if doc.get("wsprobe", {}).get("steps") != case.get("steps"):
        errs.append(f"{case['id']}: {f}: wsprobe.steps differ from report.json")
    return errs


def autobahn_agent_errors(folder, agent, cases, report, files=None):
    """One agent's entries of an index.json in `folder` ({id: entry}, as
    `cases`) against the report.json it was made from: the same ids in the
    same order, Autobahn's keys, the verdicts, close code and an integer
    duration of each case, and each reportfile a case file in `folder` that
    agrees with the case. Each reportfile is added to the set `files` when
    given (to see that none is shared). Returns a list of problems."""
    errs = []
    if list(cases) != [c["id"] for c in report["cases"]]:
        errs.append(f"{agent}: case ids differ from report.json")
    for c in report["cases"]:
        e = cases.get(c["id"], {})
        if set(e) != {"behavior", "behaviorClose", "duration", "remoteCloseCode", "reportfile"}:
            errs.append(f"{c['id']}: keys {sorted(e)}")
            continue
        if e["behavior"] != c["verdict"] or e["behaviorClose"] != c["close_verdict"]:
            errs.append(f"{c['id']}: verdicts {e['behavior']}/{e['behaviorClose']}")
        if e["remoteCloseCode"] != c["close"]["server_code"]:
            errs.append(f"{c['id']}: remoteCloseCode {e['remoteCloseCode']}")
        if not isinstance(e["duration"], int):
            errs.append(f"{c['id']}: duration {e['duration']!r}")
        if files is not None:
            files.add(e["reportfile"])
        errs += autobahn_case_file_errors(folder, agent, e, c)
    return errs


def autobahn_errors(index_path, report):
    """index.json has Autobahn's shape and agrees with report.json; every
    reportfile is a case file next to it."""
    with open(index_path, encoding="utf-8") as f:
        idx = json.load(f)
    errs = []
    if len(idx) != 1:
        return [f"expected one agent, got {list(idx)}"]
    agent, cases = next(iter(idx.items()))
    want_agent = report.get("agent") or report["target"]
    if agent != want_agent:
        errs.append(f"agent {agent!r} != {want_agent!r}")
    files = set()
    errs += autobahn_agent_errors(os.path.dirname(index_path), agent, cases, report, files)
    if len(files) != len(report["cases"]):
        errs.append(f"{len(files)} distinct reportfiles for {len(report['cases'])} cases")
    return errs[:20]


def npm_ready():
    """tests/browser/node_modules from the lock file (npm ci), once."""
    if os.path.isdir(os.path.join(BROWSER, "node_modules", "playwright-core")):
        return True
    p = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=BROWSER,
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        print(p.stdout[-2000:], p.stderr[-2000:])
    return p.returncode == 0


def browser_checks(html, report_json, shot=None, *extra):
    """Runs tests/browser/check_report.js on a page and the JSON it was made
    from (one path, or a list: the reports of a --compare page, in order);
    returns [(name, ok, detail)]."""
    argv = ["node", os.path.join(BROWSER, "check_report.js"), "--html", html]
    for j in [report_json] if isinstance(report_json, str) else report_json:
        argv += ["--json", j]
    if shot:
        argv += ["--shot", shot]
    argv += list(extra)
    p = subprocess.run(argv, cwd=BROWSER, capture_output=True, text=True, timeout=180)
    try:
        checks = json.loads(p.stdout.strip().splitlines()[-1])["checks"]
    except (ValueError, IndexError, KeyError):
        return [("browser run", False, (p.stdout + p.stderr)[-2000:])]
    return [(c["name"], c["ok"], c["detail"]) for c in checks]
