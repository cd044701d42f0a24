#!/usr/bin/python3
"""The top-level command line and the install: --version matches
cli/version.h, --help and every command's --help print their usage on stdout
and exit 0, a missing or unknown command is a usage error (exit 2), and
`make install DESTDIR=… PREFIX=…` gives a binary that finds its catalogue
from any directory."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import ROOT, WSPROBE, Results  # noqa: E402

COMMANDS = ["serve", "check", "cases", "load", "report"]


def run(*args, binary=WSPROBE, cwd=ROOT):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=30, cwd=cwd)


def main():
    r = Results()
    with open(os.path.join(ROOT, "cli", "version.h"), encoding="utf-8") as f:
        version = re.search(r'WSPROBE_VERSION "([^"]+)"', f.read()).group(1)
    for flag in ("--version", "-V"):
        p = run(flag)
        r.check(f"{flag}: 'wsprobe {version}', exit 0",
                p.returncode == 0 and p.stdout == f"wsprobe {version}\n", (p.returncode, p.stdout))

    p = run("--help")
    r.check("--help: usage on stdout, exit 0, every command listed",
            p.returncode == 0 and "usage: wsprobe COMMAND" in p.stdout and
            all(re.search(rf"^  {c} ", p.stdout, re.M) for c in COMMANDS), p.stdout)
    for c in COMMANDS:
        p = run(c, "--help")
        r.check(f"{c} --help: 'usage: wsprobe {c}' on stdout, exit 0",
                p.returncode == 0 and f"usage: wsprobe {c}" in p.stdout, (p.returncode, p.stdout[:200], p.stderr[:200]))

    p = run()
    r.check("no command: usage on stderr, exit 2",
            p.returncode == 2 and "usage:" in p.stderr and p.stdout == "", (p.returncode, p.stderr))
    p = run("chekc")
    r.check("unknown command: named, exit 2",
            p.returncode == 2 and "unknown command 'chekc'" in p.stderr, (p.returncode, p.stderr))

    # make install into a scratch root; the installed binary runs from / so
    # ./cases cannot be what it finds.
    tmp = tempfile.mkdtemp(prefix="wsprobe-install-")
    try:
        p = subprocess.run(["make", "--no-print-directory", "install", f"DESTDIR={tmp}",
                            "PREFIX=/opt/wsp"], capture_output=True, text=True, timeout=300,
                           cwd=ROOT)
        r.check("make install: exit 0", p.returncode == 0, p.stdout[-500:] + p.stderr[-500:])
        binary = os.path.join(tmp, "opt", "wsp", "bin", "wsprobe")
        shared = os.path.join(tmp, "opt", "wsp", "share", "wsprobe", "cases")
        want = sorted(f for f in os.listdir(os.path.join(ROOT, "cases")) if f.endswith(".json"))
        got = sorted(os.listdir(shared)) if os.path.isdir(shared) else []
        r.check("make install: every case file under share/wsprobe/cases", got == want, got)
        if r.check("make install: the binary is executable", os.access(binary, os.X_OK), binary):
            here = run("cases")
            there = run("cases", binary=binary, cwd="/")
            r.check("installed binary lists the whole catalogue from /",
                    there.returncode == 0 and there.stdout == here.stdout and
                    len(there.stdout.splitlines()) > 900,
                    (there.returncode, there.stderr[-300:], len(there.stdout.splitlines())))
            p = run("--version", binary=binary, cwd="/")
            r.check("installed binary: --version", p.stdout == f"wsprobe {version}\n", p.stdout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    r.finish()


main()
