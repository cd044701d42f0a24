#!/usr/bin/python3
"""The `wsprobe serve` command line: --help, clear usage errors (exit 2),
start-up failures (exit 1: port in use, unreadable or bad certificate), the
banner and --quiet, --port 0, the default 127.0.0.1 bind, --host ::1, and the
summary line on SIGTERM."""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import WSPROBE, Proc, Results, free_port, wait_port  # noqa: E402
from serve_wire import OP_TEXT, Conn, expect, make_cert, summary_counts  # noqa: E402

R = Results()
tmp = tempfile.mkdtemp(prefix="wsprobe-serve-cli-")


def run(*args, timeout=15):
    return subprocess.run([WSPROBE, "serve", *args], capture_output=True, text=True,
                          timeout=timeout)


def usage_error(args, needle):
    p = run(*args)
    expect(p.returncode == 2, f"exit {p.returncode}, stderr {p.stderr!r}")
    expect(needle in p.stderr, f"stderr {p.stderr!r} lacks {needle!r}")


def startup_error(args, needle):
    p = run(*args)
    expect(p.returncode == 1, f"exit {p.returncode}, stderr {p.stderr!r}")
    expect(needle in p.stderr, f"stderr {p.stderr!r} lacks {needle!r}")


def help_text():
    p = run("--help")
    expect(p.returncode == 0, f"exit {p.returncode}")
    for opt in ("--host", "--port", "--threads", "--max-message", "--max-frame", "--subprotocol",
                "--deflate", "--tls-cert", "--tls-key", "--quiet"):
        expect(opt in p.stdout, f"--help does not mention {opt}")


def port_in_use():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        startup_error(["--port", str(s.getsockname()[1])], "Address already in use")


def second_server_same_port():
    port = free_port()
    with Proc([WSPROBE, "serve", "--port", str(port), "--quiet"], port=port):
        startup_error(["--port", str(port)], "Address already in use")


def banner_and_port_zero():
    log = os.path.join(tmp, "banner.log")
    p = Proc([WSPROBE, "serve", "--port", "0", "--threads", "3"], log=log)
    try:
        deadline = time.monotonic() + 10
        m = None
        while time.monotonic() < deadline and not m:
            time.sleep(0.05)
            m = re.search(r"listening on ws://127\.0\.0\.1:(\d+)/ \(3 threads", open(log).read())
        expect(m, f"banner: {open(log).read()!r}")
        port = int(m.group(1))
        expect(port != 0, "port 0 reported")
        c = Conn(port)
        c.upgrade()
        op, got = c.echo(OP_TEXT, b"port zero")
        expect(got == b"port zero", repr(got))
        c.close()
        expect(bound_addresses(port) == ["127.0.0.1"], f"listening on {bound_addresses(port)}")
    finally:
        os.kill(p.pid, signal.SIGTERM)
        rc = p.stop()
    expect(rc == 0, f"exit {rc}")
    counts = summary_counts(log)
    expect(counts and counts["accepted"] == 1 and counts["upgraded"] == 1
           and counts["messages"] == 1, f"summary {counts}")


def bound_addresses(port):
    """Local addresses of LISTEN sockets on port, from /proc/net/tcp{,6}."""
    found = []
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(path) as f:
            for line in f.readlines()[1:]:
                parts = line.split()
                addr, p = parts[1].split(":")
                if int(p, 16) == port and parts[3] == "0A":
                    if len(addr) == 8:
                        found.append(socket.inet_ntop(socket.AF_INET, bytes.fromhex(addr)[::-1]))
                    else:
                        raw = bytes.fromhex(addr)
                        words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                        found.append(socket.inet_ntop(socket.AF_INET6, words))
    return found


def quiet_has_no_banner():
    port = free_port()
    log = os.path.join(tmp, "quiet.log")
    p = Proc([WSPROBE, "serve", "--port", str(port), "--quiet"], port=port, log=log)
    os.kill(p.pid, signal.SIGTERM)
    p.stop()
    text = open(log).read()
    expect("listening" not in text, f"banner printed: {text!r}")
    expect(summary_counts(log) is not None, f"no summary: {text!r}")


def ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        print("     (no IPv6 loopback here; skipped)")
        return
    port = free_port()
    p = Proc([WSPROBE, "serve", "--host", "::1", "--port", str(port), "--quiet"])
    try:
        wait_port(port, host="::1", proc=p.p)
        c = Conn(port, host="::1")
        c.upgrade()
        op, got = c.echo(OP_TEXT, b"over ipv6")
        expect(got == b"over ipv6", repr(got))
        c.close()
    finally:
        p.stop()


def main():
    R.run("--help lists the options, exit 0", help_text)
    R.run("unknown option -> exit 2", usage_error, ["--bogus"], "unknown option '--bogus'")
    R.run("missing value -> exit 2", usage_error, ["--port"], "--port needs a value")
    R.run("port 70000 -> exit 2", usage_error, ["--port", "70000"], "not a port number")
    R.run("port 'abc' -> exit 2", usage_error, ["--port", "abc"], "not a port number")
    R.run("threads 0 -> exit 2", usage_error, ["--threads", "0"], "--threads")
    R.run("max-message 12Q -> exit 2", usage_error, ["--max-message", "12Q"], "not a size")
    R.run("subprotocol with a space -> exit 2", usage_error, ["--subprotocol", "a b"],
          "not an HTTP token")
    R.run("--tls-cert without --tls-key -> exit 2", usage_error, ["--tls-cert", "x.pem"],
          "go together")
    R.run("stray argument -> exit 2", usage_error, ["9001"], "unexpected argument")
    R.run("port in use -> exit 1", port_in_use)
    R.run("second server on the same port -> exit 1", second_server_same_port)
    R.run("missing certificate file -> exit 1", startup_error,
          ["--tls-cert", os.path.join(tmp, "nope.pem"), "--tls-key", os.path.join(tmp, "nope.key"),
           "--port", "0"], "nope.pem")
    cert, key = make_cert(tmp)
    garbage = os.path.join(tmp, "garbage.pem")
    with open(garbage, "w") as f:
        f.write("not a certificate\n")
    R.run("certificate file with garbage -> exit 1", startup_error,
          ["--tls-cert", garbage, "--tls-key", key, "--port", "0"], "garbage.pem")
    other_cert, other_key = make_cert(tempfile.mkdtemp(dir=tmp))
    R.run("key that does not match the certificate -> exit 1", startup_error,
          ["--tls-cert", cert, "--tls-key", other_key, "--port", "0"], "key")
    R.run("banner, --port 0, default bind 127.0.0.1, summary on SIGTERM", banner_and_port_zero)
    R.run("--quiet: no banner, summary still printed", quiet_has_no_banner)
    R.run("--host ::1 serves over IPv6 loopback", ipv6_loopback)
    R.finish()


if __name__ == "__main__":
    main()
