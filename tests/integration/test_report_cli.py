#!/usr/bin/python3
"""`wsprobe report`: usage errors and unreadable reports get a clear message
and exit 2; --diff names what newly fails and what got fixed (exit 1 on a
regression); --compare puts several servers side by side; --merge combines
load shards exactly (counts add up, histogram buckets add up, percentiles of
the merge lie between the shards'); several reports given at once are each
rendered next to themselves. Strings from a report never reach the terminal
raw.

The --diff and --compare pages are made from real runs that really differ:
`wsprobe serve` and build/peers/badserver with a planted bug (pong-wrong-payload:
section 2 fails), with case lists that overlap only in part (cases added and
removed) and with permessage-deflate declined by one and accepted by the other
(12.1.1: UNIMPLEMENTED -> OK, a verdict that changes without failing). Both
pages are opened in Chromium (tests/browser/check_report.js) and checked
against the reports and diff.json, cell by cell and row by row."""
import copy
import filecmp
import json
import os
import shutil
import subprocess
import tempfile

from harness_util import PEERS, WSPROBE, Proc, Results, free_port, serve
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
    s["sections"] = [x for x in s["sections"] if any(c["section"] == x["section"] for c in doc["cases"])]
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


def diff_synthetic(r, tmp, good):
    """Hand-made changes, to pin the terminal output and its escaping."""
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
    r.check("--diff lists the regression",
            any(l.startswith("newly failing") and c0["id"] in l for l in lines), p.stdout[-800:])
    r.check("--diff lists the fix", any(l.startswith("fixed") and c1["id"] in l for l in lines))
    r.check("--diff lists the removed case",
            any(l.startswith("removed") and removed in l for l in lines))
    r.check("--diff counts", "1 newly failing, 1 fixed, 0 changed, 0 added, 1 removed" in p.stdout,
            lines[-1:])
    r.check("--diff escapes terminal controls from the report",
            "\x1b" not in p.stdout and "\u202e" not in p.stdout and "\\x1b[31m" in p.stdout)
    d = json.load(open(os.path.join(out, "diff.json"), encoding="utf-8"))
    r.check("diff.json agrees",
            d["counts"]["newly failing"] == 1 and d["changes"][0]["id"] == c0["id"])
    p = run("report", "--diff", old_p, old_p)
    r.check("--diff of a report with itself exits 0, no changes",
            p.returncode == 0 and "0 newly failing" in p.stdout)


def expected_changes(old, new):
    """What --diff must find, worked out here from the two reports' cases."""
    def failed(c):
        return "FAILED" in (c["verdict"], c["close_verdict"])
    a = {c["id"]: c for c in old["cases"]}
    b = {c["id"]: c for c in new["cases"]}
    out = {k: [] for k in ("newly failing", "fixed", "changed", "added", "removed")}
    for i, c in b.items():
        o = a.get(i)
        if o is None:
            out["added"].append(i)
        elif not failed(o) and failed(c):
            out["newly failing"].append(i)
        elif failed(o) and not failed(c):
            out["fixed"].append(i)
        elif (o["verdict"], o["close_verdict"]) != (c["verdict"], c["close_verdict"]):
            out["changed"].append(i)
    out["removed"] = [i for i in a if i not in b]
    return out


def diff_real(r, tmp, a_p, b_p):
    """serve (old) against badserver (new): every category but 'fixed'."""
    out = os.path.join(tmp, "diff-real")
    p = run("report", "--diff", a_p, b_p, "-o", out)
    r.check("--diff serve -> badserver exits 1 (section 2 newly fails)", p.returncode == 1,
            p.stderr[-300:])
    d = json.load(open(os.path.join(out, "diff.json"), encoding="utf-8"))
    want = expected_changes(*(json.load(open(f, encoding="utf-8")) for f in (a_p, b_p)))
    got = {k: [c["id"] for c in d["changes"] if c["change"] == k] for k in want}
    r.check("diff.json's changes are what the two reports' cases say", got == want, (got, want))
    r.check("the inputs really differ: newly failing, changed, added and removed all occur",
            all(want[k] for k in ("newly failing", "changed", "added", "removed")),
            {k: len(v) for k, v in want.items()})
    r.check("diff.json counts agree with its changes",
            all(d["counts"][k] == len(v) for k, v in got.items()), d["counts"])
    os.makedirs(ru.SHOTS, exist_ok=True)
    for name, ok, detail in ru.browser_checks(os.path.join(out, "index.html"),
                                              os.path.join(out, "diff.json"),
                                              os.path.join(ru.SHOTS, "diff.png")):
        r.check(f"diff page in chromium: {name}", ok, detail)


def compare_real(r, tmp, a_p, b_p):
    """serve, badserver and serve again side by side."""
    out = os.path.join(tmp, "compare")
    p = run("report", "--compare", a_p, b_p, a_p, "-o", out)
    r.check("--compare exits 0", p.returncode == 0, p.stderr)
    reps = [json.load(open(f, encoding="utf-8")) for f in (a_p, b_p, a_p)]
    idx = json.load(open(os.path.join(out, "index.json"), encoding="utf-8"))
    agents = list(idx)
    names = [x.get("agent") or x["target"] for x in reps]
    r.check("--compare index.json has one agent per report (the same agent twice gets ' (2)')",
            agents == [names[0], names[1], names[0] + " (2)"], agents)
    files = set()
    for agent, rep in zip(agents, reps):
        errs = ru.autobahn_agent_errors(out, agent, idx.get(agent, {}), rep, files)
        r.check(f"--compare index.json: {agent}'s entries and case files agree with its report",
                not errs, errs[:3])
    r.check("--compare writes every agent's case files, none shared",
            len(files) == sum(len(x["cases"]) for x in reps), len(files))
    os.makedirs(ru.SHOTS, exist_ok=True)
    for name, ok, detail in ru.browser_checks(os.path.join(out, "index.html"), [a_p, b_p, a_p],
                                              os.path.join(ru.SHOTS, "compare.png")):
        r.check(f"compare page in chromium: {name}", ok, detail)


def render_several(r, tmp, a_p, b_p):
    """`wsprobe report A.json B.json`: each rendered next to itself, the same
    files `check --report` wrote there."""
    dirs = []
    for name, src in (("a", a_p), ("b", b_p)):
        d = os.path.join(tmp, "several", name)
        os.makedirs(d)
        shutil.copyfile(src, os.path.join(d, "report.json"))
        dirs.append(d)
    p = run("report", *(os.path.join(d, "report.json") for d in dirs))
    r.check("report A.json B.json exits 0 and names both folders",
            p.returncode == 0 and all(f"wrote {d}/" in p.stdout for d in dirs),
            p.stdout + p.stderr)
    for d, src in zip(dirs, (a_p, b_p)):
        rep = json.load(open(src, encoding="utf-8"))
        label = os.path.basename(d)
        same = [f for f in ("index.html", "junit.xml", "index.json")
                if not filecmp.cmp(os.path.join(d, f), os.path.join(os.path.dirname(src), f),
                                   shallow=False)]
        r.check(f"report {label}: index.html, junit.xml, index.json as check --report wrote them",
                not same, same)
        errs = ru.autobahn_errors(os.path.join(d, "index.json"), rep)
        r.check(f"report {label}: index.json and its case files agree with its own report",
                not errs, errs[:3])
        errs = ru.junit_errors(os.path.join(d, "junit.xml"), rep)
        r.check(f"report {label}: junit.xml validates, a testsuite per section", not errs, errs[:3])
    a_html, b_html = (open(os.path.join(d, "index.html"), encoding="utf-8").read() for d in dirs)
    ta, tb = (json.load(open(f, encoding="utf-8"))["target"] for f in (a_p, b_p))
    r.check("each index.html holds its own report, not the other's",
            ta in a_html and tb not in a_html and tb in b_html and ta not in b_html)


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


def check_run(r, url, cases, out):
    p = run("check", url, "--cases", cases, "-j", "4", "--report", out)
    r.check(f"check {url} --cases {cases} wrote a report",
            os.path.isfile(os.path.join(out, "report.json")), p.stderr[-300:])
    return p, os.path.join(out, "report.json")


def main():
    r = Results()
    tmp = tempfile.mkdtemp(prefix="wsprobe-report-cli-")
    try:
        if not r.check("playwright-core installed", ru.npm_ready()):
            r.finish()
        bad_port = free_port()
        with Proc([os.path.join(PEERS, "badserver"), "--port", str(bad_port), "--bug",
                   "pong-wrong-payload"], port=bad_port):
            p, b_p = check_run(r, f"ws://127.0.0.1:{bad_port}/", "1.1.1,1.1.2,2.*,12.1.1,3.1",
                               os.path.join(tmp, "bad"))
        r.check("badserver with pong-wrong-payload: exit 1", p.returncode == 1, p.returncode)
        port = free_port()
        with serve(port):
            # 9.9.1 and 9.3.3 have more events and wire log than a report keeps.
            p, good = check_run(r, f"ws://127.0.0.1:{port}/", "1.1.*,2.*,9.9.1,9.3.3,12.1.1",
                                os.path.join(tmp, "base"))
            if not r.check("a base check report of wsprobe serve", p.returncode == 0, p.stderr):
                r.finish()
            for name, ok, detail in ru.browser_checks(os.path.join(tmp, "base", "index.html"),
                                                      good, None, "--expect-truncated"):
                r.check(f"serve page in chromium: {name}", ok, detail)
            errors(r, tmp, good)
            diff_synthetic(r, tmp, good)
            diff_real(r, tmp, good, b_p)
            compare_real(r, tmp, good, b_p)
            render_several(r, tmp, good, b_p)
            merge(r, tmp, port)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    r.finish()


main()
