#!/usr/bin/python3
"""`wsprobe report`: usage errors and unreadable reports get a clear message
and exit 2; --diff names what newly fails and what got fixed (exit 1 on a
regression); --compare puts several servers side by side (HTML checked in
Chromium, index.json with one agent per server); --merge combines load shards
exactly (counts add up, histogram buckets add up, percentiles of the merge lie
between the shards'). Strings from a report never reach the terminal raw."""
import copy
import json
import os
import shutil
import subprocess
import tempfile

from harness_util import WSPROBE, Results, free_port, serve
import report_util as ru


def run(*argv, timeout=120):
    return subprocess.run([WSPROBE, *argv], capture_output=True, text=True, timeout=timeout)


def write(path, doc):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(doc if isinstance(doc, str) else json.dumps(doc, indent=1))
    return path


def recount(doc):
    """Rebuilds the summary from the cases, as the harness does."""
    names = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"]
    s = doc["summary"]
    for k in names:
        s[k] = sum(1 for c in doc["cases"] if c["verdict"] == k)
    s["close_failed"] = sum(1 for c in doc["cases"] if c["close_verdict"] == "FAILED")
    s["total"] = len(doc["cases"])
    for sec in s["sections"]:
        cs = [c for c in doc["cases"] if c["section"] == sec["section"]]
        for k in names:
            sec[k] = sum(1 for c in cs if c["verdict"] == k)
        sec["close_failed"] = sum(1 for c in cs if c["close_verdict"] == "FAILED")
        sec["total"] = len(cs)
    return doc


def errors(r, tmp, good):
    cases = [
        ("no arguments", [], "no report given"),
        ("unknown option", ["--frobnicate", good], "unknown option"),
        ("missing file", [os.path.join(tmp, "nope.json")], "cannot open"),
        ("--diff with one file", ["--diff", good], "--diff takes two"),
        ("--compare without -o", ["--compare", good, good], "need -o"),
        ("two modes", ["--diff", "--merge", good, good], "choose one"),
        ("-o with several files", [good, good, "-o", os.path.join(tmp, "x")], "-o takes one"),
    ]
    doc = json.load(open(good, encoding="utf-8"))
    bad_docs = {
        "not JSON": ("{\"kind\": \"check\",", "not valid JSON"),
        "not an object": ("[1, 2]", "not a JSON object"),
        "unknown kind": (dict(doc, kind="race"), "neither \"check\" nor \"load\""),
        "newer version": (dict(doc, version=2), "newer than this wsprobe reads"),
        "missing cases": ({k: v for k, v in doc.items() if k != "cases"}, "cases: missing"),
        "unknown verdict": (None, "unknown verdict"),
        "summary contradicts cases": (None, "summary.total: says"),
        "duplicate case id": (None, "the same id as an earlier case"),
    }
    d = copy.deepcopy(doc)
    d["cases"][0]["verdict"] = "MAYBE"
    bad_docs["unknown verdict"] = (d, "cases[0].verdict: unknown verdict 'MAYBE'")
    d = copy.deepcopy(doc)
    d["summary"]["total"] += 1
    bad_docs["summary contradicts cases"] = (d, "summary.total: says")
    d = copy.deepcopy(doc)
    d["cases"].append(copy.deepcopy(d["cases"][0]))
    bad_docs["duplicate case id"] = (recount(d), "the same id as an earlier case")
    for name, (content, msg) in bad_docs.items():
        path = write(os.path.join(tmp, "bad", name.replace(" ", "_"), "report.json"), content)
        cases.append((name, [path], msg))
    for name, argv, msg in cases:
        p = run("report", *argv)
        r.check(f"error: {name} -> exit 2 with '{msg}'", p.returncode == 2 and msg in p.stderr,
                f"{p.returncode} {p.stderr[-300:]}")
    p = run("report", "--help")
    r.check("--help exits 0 and shows the modes", p.returncode == 0 and "--merge" in p.stdout)


def diff_and_compare(r, tmp, good):
    base = json.load(open(good, encoding="utf-8"))
    new = copy.deepcopy(base)
    # One case regresses, with a hostile reason; one gets fixed; one is removed.
    c0, c1 = new["cases"][0], new["cases"][1]
    c0["verdict"], c0["reason"] = "FAILED", "expected echo, got \x1b[31mred\x1b[0m \u202e<evil>"
    old = copy.deepcopy(base)
    old["cases"][1]["verdict"], old["cases"][1]["reason"] = "FAILED", "was broken"
    removed = new["cases"].pop()["id"]
    old_p = write(os.path.join(tmp, "old", "report.json"), recount(old))
    new_p = write(os.path.join(tmp, "new", "report.json"), recount(new))
    out = os.path.join(tmp, "diff")
    p = run("report", "--diff", old_p, new_p, "-o", out)
    r.check("--diff exits 1 when a case newly fails", p.returncode == 1, p.returncode)
    lines = p.stdout.splitlines()
    r.check("--diff lists the regression", any(l.startswith("newly failing") and c0["id"] in l for l in lines), p.stdout[-800:])
    r.check("--diff lists the fix", any(l.startswith("fixed") and c1["id"] in l for l in lines))
    r.check("--diff lists the removed case", any(l.startswith("removed") and removed in l for l in lines))
    r.check("--diff counts", "1 newly failing, 1 fixed, 0 changed, 0 added, 1 removed" in p.stdout, lines[-1:])
    r.check("--diff escapes terminal controls from the report",
            "\x1b" not in p.stdout and "\u202e" not in p.stdout and "\\x1b[31m" in p.stdout)
    d = json.load(open(os.path.join(out, "diff.json"), encoding="utf-8"))
    r.check("diff.json agrees", d["counts"]["newly failing"] == 1 and d["changes"][0]["id"] == c0["id"])
    p = run("report", "--diff", old_p, old_p)
    r.check("--diff of a report with itself exits 0, no changes", p.returncode == 0 and "0 newly failing" in p.stdout)

    out = os.path.join(tmp, "compare")
    other = copy.deepcopy(new)
    other["agent"] = "other-server/1.0"
    other_p = write(os.path.join(tmp, "other", "report.json"), other)
    p = run("report", "--compare", good, new_p, other_p, "-o", out)
    r.check("--compare exits 0", p.returncode == 0, p.stderr)
    idx = json.load(open(os.path.join(out, "index.json"), encoding="utf-8"))
    agents = list(idx)
    r.check("--compare index.json has one agent per report (same agent twice gets ' (2)')",
            len(agents) == 3 and agents[2] == "other-server/1.0" and agents[1].endswith(" (2)"), agents)
    r.check("--compare index.json carries each report's verdicts",
            idx[agents[1]][c0["id"]]["behavior"] == "FAILED" and idx[agents[0]][c0["id"]]["behavior"] == base["cases"][0]["verdict"])
    res = compare_page(os.path.join(out, "index.html"))
    for name, ok, detail in res:
        r.check(f"compare page in chromium: {name}", ok, detail)


def compare_page(html):
    """The compare page has its own structure: rows per case, a column per server."""
    script = r"""
const { chromium } = require('playwright-core');
const path = require('path'), fs = require('fs'), os = require('os');
(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsprobe-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, { executablePath: '/usr/bin/chromium', headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const page = ctx.pages()[0] || await ctx.newPage();
  const errs = [], reqs = [];
  const url = 'file://' + path.resolve(process.argv[1]);
  page.on('console', (m) => { if (m.type() === 'error') errs.push(m.text()); });
  page.on('pageerror', (e) => errs.push(e.message));
  page.on('request', (q) => { if (q.url() !== url) reqs.push(q.url()); });
  await page.goto(url);
  await page.waitForSelector('body[data-rendered=compare]');
  const cols = await page.$$eval('#compare-table thead th', (t) => t.length);
  const rows = await page.$$eval('#compare-table tbody tr', (t) => t.length);
  await page.setChecked('#f-differ', true);
  const differ = await page.$$eval('#compare-table tbody tr:not(.hidden)', (t) => t.map((x) => x.querySelector('td').textContent));
  await ctx.close();
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify({ errs, reqs, cols, rows, differ }));
})().catch((e) => { console.log(JSON.stringify({ fatal: String(e) })); });
"""
    p = subprocess.run(["node", "-e", script, html], cwd=ru.BROWSER, capture_output=True,
                       text=True, timeout=120)
    try:
        d = json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return [("ran", False, p.stdout + p.stderr)]
    if "fatal" in d:
        return [("ran", False, d["fatal"])]
    return [("no console errors", not d["errs"], d["errs"]), ("no network requests", not d["reqs"], d["reqs"]),
            ("a column per server (3) after case and title", d["cols"] == 5, d["cols"]),
            ("'only where servers differ' shows the changed cases", len(d["differ"]) >= 2 and len(d["differ"]) < d["rows"], d["differ"])]


def merge(r, tmp, port):
    shards = []
    for i in range(2):
        out = os.path.join(tmp, f"shard{i}")
        p = run("load", f"ws://127.0.0.1:{port}/", "-c", str(2 + 2 * i), "-t", "1", "--duration", "2",
                "--report", out, timeout=60)
        r.check(f"load shard {i} ran", p.returncode == 0, p.stderr[-300:])
        shards.append(os.path.join(out, "report.json"))
    out = os.path.join(tmp, "merged")
    p = run("report", "--merge", *shards, "-o", out)
    r.check("--merge exits 0", p.returncode == 0, p.stderr)
    m = json.load(open(os.path.join(out, "report.json"), encoding="utf-8"))
    a, b = (json.load(open(s, encoding="utf-8")) for s in shards)
    errs = ru.schema_errors(os.path.join(out, "report.json"))
    r.check("merged report follows the load schema", not errs, errs[:5])
    for k in ("sent", "received", "bytes_sent", "lost"):
        r.check(f"merged messages.{k} = sum of shards",
                m["summary"]["messages"][k] == a["summary"]["messages"][k] + b["summary"]["messages"][k])
    r.check("merged config.connections = sum", m["config"]["connections"] == a["config"]["connections"] + b["config"]["connections"])
    for h in ("latency", "connect", "upgrade"):
        buckets = {}
        for s in (a, b):
            for low, n in s["histograms"][h]["buckets"]:
                buckets[low] = buckets.get(low, 0) + n
        got = {low: n for low, n in m["histograms"][h]["buckets"]}
        r.check(f"merged histograms.{h}: every bucket is the sum of the shards' (exact merge)", got == buckets)
        r.check(f"merged histograms.{h}: count adds up",
                m["histograms"][h]["count"] == a["histograms"][h]["count"] + b["histograms"][h]["count"])
    la, lb, lm = (x["summary"]["latency"]["corrected"] for x in (a, b, m))
    for q in ("p50_us", "p99_us"):
        r.check(f"merged {q} lies between the shards' ({la[q]}, {lb[q]}) -> {lm[q]}",
                min(la[q], lb[q]) <= lm[q] <= max(la[q], lb[q]))
    r.check("merged count = sum", lm["count"] == la["count"] + lb["count"])
    r.check("merged report names its shards", m["merge"]["shards_merged"] == 2
            and [x["report"] for x in m["merge"]["shards"]] == shards, m.get("merge"))
    r.check("merged series adds up to the shards' series",
            sum(x["sent"] for x in m["series"]) == sum(x["sent"] for s in (a, b) for x in s["series"]))
    r.check("merged index.html and junit.xml written",
            all(os.path.isfile(os.path.join(out, f)) for f in ("index.html", "junit.xml")))
    errs = ru.junit_errors(os.path.join(out, "junit.xml"))
    r.check("merged junit.xml validates", not errs, errs)
    p = run("report", "--merge", shards[0], os.path.join(tmp, "old", "report.json"), "-o", os.path.join(tmp, "m2"))
    r.check("--merge refuses a check report", p.returncode == 2 and "takes load reports" in p.stderr, p.stderr)


def main():
    r = Results()
    tmp = tempfile.mkdtemp(prefix="wsprobe-report-cli-")
    try:
        if not r.check("playwright-core installed", ru.npm_ready()):
            r.finish()
        port = free_port()
        with serve(port):
            out = os.path.join(tmp, "base")
            p = run("check", f"ws://127.0.0.1:{port}/", "--cases", "1.1.*,2.*", "--report", out)
            good = os.path.join(out, "report.json")
            if not r.check("a base check report", p.returncode == 0 and os.path.isfile(good), p.stderr):
                r.finish()
            errors(r, tmp, good)
            diff_and_compare(r, tmp, good)
            merge(r, tmp, port)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    r.finish()


main()
