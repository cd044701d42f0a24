#!/usr/bin/python3
"""An interrupted `wsprobe check` (SIGINT) still writes a report that says so:
report.json has interrupted, not_run and exit_status 130 and validates against
reports/schema/check.schema.json; index.html shows 'Interrupted: N of M
selected cases did not run' with the not-run ids; junit.xml validates against
tests/data/junit.xsd with the not-run cases skipped as 'not run
(interrupted)'. The run is cut at a known point: a gate in front of `wsprobe
serve` passes the first connections and holds the next one silent, so the
case on it hangs until the signal."""
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import xml.etree.ElementTree as ET

from harness_util import WSPROBE, Results, free_port, serve
import report_util as ru

PASSED = 6  # connections the gate forwards before it holds one


class Gate:
    """127.0.0.1 proxy: forwards the first `passed` connections to backend,
    accepts the rest and never answers them."""

    def __init__(self, backend, passed):
        self.backend, self.passed = backend, passed
        self.ls = socket.socket()
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(64)
        self.port = self.ls.getsockname()[1]
        self.held = []
        self.socks = []
        self.n = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            self.n += 1
            self.socks.append(c)
            if self.n > self.passed:
                self.held.append(c)
                continue
            b = socket.create_connection(("127.0.0.1", self.backend), timeout=5)
            b.settimeout(None)
            self.socks.append(b)
            threading.Thread(target=self._pipe, args=(c, b), daemon=True).start()
            threading.Thread(target=self._pipe, args=(b, c), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                b.sendall(d)
        except OSError:
            pass
        try:
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self):
        self.ls.close()
        for s in self.socks:
            s.close()


def interrupted_run(tmp, port):
    """wsprobe check through the gate, SIGINT once a case hangs on a held
    connection. Returns (exit status, stdout, report dir)."""
    gate = Gate(port, PASSED)
    out = os.path.join(tmp, "r")
    try:
        p = subprocess.Popen([WSPROBE, "check", f"ws://127.0.0.1:{gate.port}/", "-j", "1",
                              "--cases", "1.*", "--report", out],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 30
        while not gate.held and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.05)
        time.sleep(0.3)  # the held case is waiting for its handshake response
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
        try:
            stdout, _ = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            stdout, _ = p.communicate(timeout=10)
        return p.returncode, stdout, out
    finally:
        gate.close()


def main():
    r = Results()
    tmp = tempfile.mkdtemp(prefix="wsprobe-interrupted-")
    port = free_port()
    with serve(port):
        rc, stdout, out = interrupted_run(tmp, port)
    r.check("check exits 130 when interrupted", rc == 130, f"rc={rc} {stdout[-800:]}")
    m = re.search(r"interrupted: (\d+) of (\d+) selected cases", stdout)
    r.check("check says how many cases did not run", m is not None, stdout[-800:])
    path = os.path.join(out, "report.json")
    if not os.path.exists(path):
        r.check("report.json written", False, stdout[-800:])
        r.finish()
    doc = json.load(open(path, encoding="utf-8"))
    ran = [c["id"] for c in doc["cases"]]
    not_run = doc.get("not_run", [])
    selected = int(m.group(2)) if m else -1

    def fields():
        s = doc["summary"]
        got = (doc.get("interrupted"), doc["exit_status"], s.get("interrupted"),
               s.get("not_run"), s["total"], len(ran), len(not_run))
        ok = (got[0] is True and got[1] == 130 and got[2] is True and got[3] == len(not_run)
              and s["total"] == len(ran) and len(ran) >= 1 and len(not_run) >= 1
              and len(ran) + len(not_run) == selected and not set(ran) & set(not_run))
        return ok or got

    r.run("report.json: interrupted, not_run, exit_status 130, counts add up", fields)
    r.run("report.json validates against check.schema.json",
          lambda: ru.schema_errors(path) or None)

    def page():
        html = open(os.path.join(out, "index.html"), encoding="utf-8").read()
        want = f"Interrupted: {len(not_run)} of {selected} selected cases did not run"
        missing = [i for i in not_run if f"<li>{i}</li>" not in html]
        ran_listed = [i for i in ran if f"<li>{i}</li>" in html]
        ok = want in html and not missing and not ran_listed and 'id="not-run"' in html
        return ok or (want in html, missing[:5], ran_listed[:5])

    r.run("index.html: the banner and every not-run id", page)
    junit = os.path.join(out, "junit.xml")
    r.run("junit.xml validates against both JUnit XSDs, a suite per section and the not-run one",
          lambda: ru.junit_errors(junit, doc) or None)

    def skipped():
        root = ET.parse(junit).getroot()
        marked, other = [], []
        for tc in root.iter("testcase"):
            sk = tc.find("skipped")
            if sk is not None and sk.get("message") == "not run (interrupted)":
                marked.append(tc.get("name"))
            else:
                other.append(tc.get("name").split(" ")[0])
        ok = marked == not_run and other == ran and int(root.get("tests")) == selected
        return ok or (marked[:5], other[:5], root.get("tests"))

    r.run("junit.xml: the not-run cases are skipped 'not run (interrupted)'", skipped)

    def rerender():
        again = os.path.join(tmp, "again")
        p = subprocess.run([WSPROBE, "report", path, "-o", again], capture_output=True,
                           text=True, timeout=60)
        same = all(open(os.path.join(out, f), "rb").read() ==
                   open(os.path.join(again, f), "rb").read() for f in ("index.html", "junit.xml"))
        return (p.returncode == 0 and same) or (p.returncode, same, p.stderr[-400:])

    r.run("wsprobe report re-renders the same index.html and junit.xml", rerender)

    def refused():
        bad = dict(doc, not_run=not_run + ran[:1])
        bad["summary"] = dict(doc["summary"], not_run=len(bad["not_run"]))
        d = os.path.join(tmp, "bad")
        os.makedirs(d)
        with open(os.path.join(d, "report.json"), "w", encoding="utf-8") as f:
            json.dump(bad, f)
        p = subprocess.run([WSPROBE, "report", os.path.join(d, "report.json")],
                           capture_output=True, text=True, timeout=60)
        want = f"not_run[{len(not_run)}]: a case that is also in cases"
        return (p.returncode == 2 and want in p.stderr) or (p.returncode, p.stderr[-400:])

    r.run("a report listing a case as both run and not run is refused", refused)
    r.finish()


if __name__ == "__main__":
    main()
