#!/usr/bin/python3
"""TLS end to end: certificates made now with the openssl CLI (a CA and a leaf
for 127.0.0.1 and localhost, a self-signed one, a CA-signed one for another
host, a CA-signed one that expired in 2020), each served by
`wsprobe serve --tls-cert/--tls-key`, then `wsprobe check wss://... --cases
1.1.1` and `wsprobe load wss://... -d 1` with the system trust store (the
default), --cacert and --insecure.

Verification is on by default: an unknown CA, a self-signed certificate, a
host mismatch and an expiry each give exit 3 and a message with the words that
name the reason; --cacert with the right CA, or --insecure, works."""
import json
import os
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import WSPROBE, Proc, Results, free_port, strict  # noqa: E402

R = Results()

OPENSSL_CNF = """
[req]
distinguished_name = dn
prompt = no
[dn]
CN = wsprobe test CA
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ca]
default_ca = testca
[testca]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
copy_extensions = none
unique_subject = no
[any]
commonName = supplied
[local]
basicConstraints = CA:FALSE
subjectAltName = IP:127.0.0.1,DNS:localhost
[elsewhere]
basicConstraints = CA:FALSE
subjectAltName = DNS:wrong.example
"""


def openssl(d, *args):
    p = subprocess.run(["openssl", *args], cwd=d, capture_output=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args[:2])}: {p.stderr.decode()[-300:]}")


def make_certs(d):
    """CA, good (CA, 127.0.0.1 + localhost), self (self-signed, same names),
    wronghost (CA, wrong.example only), expired (CA, 2020-01-01..02)."""
    with open(os.path.join(d, "ca.cnf"), "w") as f:
        f.write(OPENSSL_CNF)
    open(os.path.join(d, "index.txt"), "w").close()
    with open(os.path.join(d, "serial"), "w") as f:
        f.write("1000\n")
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl(d, "req", "-x509", "-config", "ca.cnf", "-extensions", "v3_ca", *key,
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2")
    openssl(d, "req", "-x509", "-config", "ca.cnf", "-extensions", "local", *key,
            "-keyout", "self.key", "-out", "self.pem", "-days", "2", "-subj", "/CN=localhost")
    # OpenSSL 3.0's `x509 -req` has no -not_before; `ca` takes explicit dates.
    for name, ext, dates in [("good", "local", ["-days", "2"]),
                             ("wronghost", "elsewhere", ["-days", "2"]),
                             ("expired", "local", ["-startdate", "20200101000000Z",
                                                   "-enddate", "20200102000000Z"])]:
        openssl(d, "req", "-new", *key, "-keyout", f"{name}.key", "-out", f"{name}.csr",
                "-subj", f"/CN={name}")
        openssl(d, "ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key",
                "-extensions", ext, *dates, "-notext", "-in", f"{name}.csr",
                "-out", f"{name}.pem")


def check(url, *opts):
    p = subprocess.run([WSPROBE, "check", "--cases", "1.1.1", *opts, url], capture_output=True,
                       timeout=60)
    return p.returncode, p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")


def load(url, *opts):
    """(exit code, report, stderr) of a 1 s load with --json."""
    p = subprocess.run([WSPROBE, "load", "--no-progress", "--json", "-c", "2", "-d", "1s", *opts,
                        url], capture_output=True, timeout=60)
    try:
        rep = json.loads(p.stdout.decode())
    except ValueError:
        rep = None
    return p.returncode, rep, p.stderr.decode(errors="replace")


def works(url, *opts):
    def run():
        rc, out = check(url, *opts)
        if rc != 0 or "1 cases, 1 ok" not in out:
            return f"check: rc={rc} {out[-400:]}"
        rc, rep, err = load(url, *opts)
        if rc != 0 or rep is None:
            return f"load: rc={rc} {err[-400:]}"
        s = rep["summary"]
        if s["connections"]["opened"] < 2 or s["errors"]["total"] or s["messages"]["received"] == 0:
            return f"load: {s['connections']} {s['errors']['by_class']}"
        if s["latency"]["tls"]["count"] < 2:
            return f"load: no TLS handshakes timed: {s['latency']['tls']}"
        return True
    return run


def refused(url, words, *opts):
    """check and load both exit 3 and name the reason with every word."""
    def run():
        rc, out = check(url, *opts)
        missing = [w for w in words if w not in out]
        if rc != 3 or missing:
            return f"check: rc={rc}, missing {missing}: {out[-400:]}"
        rc, rep, err = load(url, *opts)
        if rep is None:
            return f"load: no report, rc={rc} {err[-300:]}"
        e = rep["summary"]["errors"]
        detail = (e["details"].get("tls") or [""])[0]
        missing = [w for w in words if w not in detail or w not in err]
        if rc != 3 or e["by_class"].get("tls", 0) == 0 or missing:
            return f"load: rc={rc} {e['by_class']}, missing {missing}: {detail!r} {err[-300:]}"
        if rep["summary"]["connections"]["opened"] != 0 or rep["summary"]["exit_code"] != 3:
            return f"load: {rep['summary']['connections']} exit_code={rep['summary']['exit_code']}"
        # A run over in a blink measured nothing: its start-up CPU (the trust
        # store) must not be reported as the generator being the bottleneck.
        g = rep["summary"]["generator"]
        if rep["summary"]["elapsed_s"] < 1 and (g["bottleneck"] or g["notes"]):
            return f"load: a {rep['summary']['elapsed_s']:.2f} s run noted: {g['notes']}"
        return True
    return run


def localhost_is_ipv4():
    try:
        return socket.getaddrinfo("localhost", 1, type=socket.SOCK_STREAM)[0][4][0] == "127.0.0.1"
    except OSError:
        return False


UNKNOWN_CA = ["TLS certificate verify failed", "unknown CA", "--cacert"]
SELF_SIGNED = ["TLS certificate verify failed", "self-signed"]

with tempfile.TemporaryDirectory() as d:
    make_certs(d)
    ca = os.path.join(d, "ca.pem")
    self_pem = os.path.join(d, "self.pem")
    for name in ("good", "self", "wronghost", "expired"):
        port = free_port()
        ip = f"wss://127.0.0.1:{port}/"
        host = f"wss://localhost:{port}/"
        with Proc([WSPROBE, "serve", "--port", str(port), "--tls-cert",
                   os.path.join(d, f"{name}.pem"), "--tls-key", os.path.join(d, f"{name}.key")],
                  port=port):
            if name == "good":
                R.run("CA-signed: system store (default) refuses it: unknown CA, exit 3",
                      strict(refused(ip, UNKNOWN_CA)))
                R.run("CA-signed: --cacert CA works (check and load)", strict(works(ip, "--cacert", ca)))
                if localhost_is_ipv4():
                    R.run("CA-signed: wss://localhost with --cacert works (DNS name, SNI)",
                          strict(works(host, "--cacert", ca)))
                R.run("CA-signed: --insecure works", strict(works(ip, "--insecure")))
            elif name == "self":
                R.run("self-signed: default refuses it naming 'self-signed', exit 3",
                      strict(refused(ip, SELF_SIGNED)))
                R.run("self-signed: another CA's --cacert still refuses it",
                      strict(refused(ip, SELF_SIGNED, "--cacert", ca)))
                R.run("self-signed: --cacert with the certificate itself works",
                      strict(works(ip, "--cacert", self_pem)))
                R.run("self-signed: --insecure works", strict(works(ip, "--insecure")))
            elif name == "wronghost":
                R.run("wrong host: default refuses it (unknown CA first), exit 3",
                      strict(refused(ip, UNKNOWN_CA)))
                R.run("wrong host: --cacert, 127.0.0.1 not in the certificate: names the mismatch",
                      strict(refused(ip, ["IP address mismatch", "not valid for 127.0.0.1"],
                                     "--cacert", ca)))
                if localhost_is_ipv4():
                    R.run("wrong host: --cacert, wss://localhost: names the host mismatch",
                          strict(refused(host, ["hostname mismatch", "not valid for 'localhost'"],
                                         "--cacert", ca)))
                R.run("wrong host: --insecure works", strict(works(ip, "--insecure")))
            else:
                R.run("expired: --cacert refuses it saying 'expired', exit 3",
                      strict(refused(ip, ["certificate has expired"], "--cacert", ca)))
                R.run("expired: --insecure works", strict(works(ip, "--insecure")))

R.finish()
