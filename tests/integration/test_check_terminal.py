#!/usr/bin/python3
"""What `wsprobe check` prints on a terminal.

Colour (README: "colour only on a TTY without NO_COLOR"): with stdout and
stderr on a pseudo-terminal (python's pty module) the verdicts and the
summary are coloured with SGR escapes; NO_COLOR=1 removes every SGR escape
(the progress line's cursor controls may stay: they are not colour); an
empty NO_COLOR does not count (no-color.org); piped, without NO_COLOR, not a
single escape byte is written.

The summary table: a section title is shown whole up to 60 columns (so
"Compression (permessage-deflate echo)" is not cut), longer ones are cut with
"..." at a character boundary, and every row keeps its columns aligned, UTF-8
titles included.

Only 127.0.0.1; every run is bounded in time."""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import ROOT, WSPROBE, Results, free_port, on_pty, serve, user_cases  # noqa: E402

SGR = re.compile(r"\x1b\[[0-9;]*m")
GREEN, RED_BOLD = "\x1b[32m", "\x1b[31;1m"
LONG_TITLE = "Überprüfung " * 6  # 72 columns, 84 bytes


def env_without_no_color(**extra):
    e = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    e.update(extra)
    return e


def colour_cases(tmp):
    user_cases(tmp, "cases", "97", [
        {"id": "97.1", "title": "echo", "rfc": "6455 §5.6", "steps": [
            {"send": {"op": "text", "payload": "x"}}, {"expect": {"echo": True}}]},
        {"id": "97.2", "title": "must fail", "rfc": "6455 §5.6", "steps": [
            {"send": {"op": "text", "payload": "x"}}, {"expect": {"close": 1002}}]}], title="colour")
    return user_cases(tmp, "cases", "98", [
        {"id": "98.1", "title": "long section title", "rfc": "6455 §5.6", "steps": [
            {"send": {"op": "text", "payload": "y"}}, {"expect": {"echo": True}}]}],
        title=LONG_TITLE, ensure_ascii=False)


def summary_rows(text):
    """The section rows of the summary table (after its header line)."""
    lines = SGR.sub("", text).replace("\r", "").split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("section "))
    rows = []
    for line in lines[start:]:
        if not line.strip():
            break
        rows.append(line)
    return rows


def colour_checks(r, url, cdir):
    argv = [WSPROBE, "check", url, "--cases-dir", cdir, "--cases", "97,12.1.1", "-j", "2"]
    status, text, _ = on_pty(argv, env_without_no_color())
    r.check("pty: exit 1 (97.2 fails)", status == 1, (status, text[-400:]))
    r.check("pty without NO_COLOR: FAILED in bold red, ok counts in green, reset after",
            RED_BOLD + "FAILED" in text and GREEN in text and "\x1b[0m" in text,
            repr(text[-800:]))
    row = next((line for line in text.split("\n") if line.startswith("97 ")), "")
    r.check("pty: the summary row of section 97 has its ok count green, failed red",
            GREEN in row and RED_BOLD in row, repr(row))
    r.check("pty: the summary line counts the failure in red",
            RED_BOLD + "3 cases," in text, repr(text[-300:]))

    status, text, _ = on_pty(argv, env_without_no_color(NO_COLOR="1"))
    r.check("pty with NO_COLOR=1: no SGR escape at all, same verdicts",
            status == 1 and not SGR.search(text) and "FAILED" in text, repr(text[-800:]))
    status, text, _ = on_pty(argv, env_without_no_color(NO_COLOR=""))
    r.check("pty with an empty NO_COLOR: still coloured (no-color.org)",
            status == 1 and RED_BOLD + "FAILED" in text, repr(text[-400:]))

    p = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=ROOT,
                       env=env_without_no_color(), errors="replace")
    r.check("piped without NO_COLOR: no escape byte on stdout or stderr",
            p.returncode == 1 and "\x1b" not in p.stdout and "\x1b" not in p.stderr and
            "FAILED" in p.stdout, (repr(p.stdout[-300:]), repr(p.stderr[-300:])))


def table_checks(r, url, cdir):
    p = subprocess.run([WSPROBE, "check", url, "--cases-dir", cdir, "--cases", "97.1,98,12.1.1,1.1.1"],
                       capture_output=True, text=True, timeout=60, cwd=ROOT,
                       env=dict(os.environ, NO_COLOR="1"), errors="replace")
    rows = summary_rows(p.stdout)
    r.check("table: 'Compression (permessage-deflate echo)' whole",
            any("Compression (permessage-deflate echo) " in row for row in rows), rows)
    long_row = next((row for row in rows if row.startswith("98 ")), "")
    want = LONG_TITLE[:57] + "..."
    r.check("table: a 72-column title cut to 60 columns with '...' at a character",
            long_row[9:9 + 60] == want, (long_row, want))
    # every row: the case count ends where the header's "cases" ends (code
    # points, as a terminal shows them)
    end = rows[0].index("cases") + len("cases") if rows else 0
    r.check("table: the count columns line up on every row", len(rows) == 5 and all(
        row[end - 1].isdigit() and row[end] == " " for row in rows[1:]), rows)


def main():
    r = Results()
    tmp = tempfile.mkdtemp(prefix="wsprobe-terminal-")
    cdir = colour_cases(tmp)
    port = free_port()
    with serve(port):
        url = f"ws://127.0.0.1:{port}/"
        r.run("colour", colour_checks, r, url, cdir)
        r.run("summary table", table_checks, r, url, cdir)
    r.finish()


main()
