"""Raw-socket WebSocket helpers for the integration tests: build frames byte
by byte (including broken ones), do the upgrade by hand, read the server's
frames with deadlines; for the small hand-written servers, the accept value
and unmasked server frames. Test code only: it exists so the tests do not
depend on the codec they are testing.

Every socket here connects to 127.0.0.1 and every read has a deadline."""
import base64
import hashlib
import os
import re
import signal
import socket
import struct
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


def frame(op, payload=b"", fin=True, rsv=0, mask=True, length=None):
    """A client frame. `length` overrides the declared payload length (a lie)."""
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | (rsv << 4) | op
    mbit = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    body = bytes(b ^ key[i & 3] for i, b in enumerate(payload)) if len(payload) < 4096 \
        else _mask_big(payload, key)
    return head + key + body


def accept_for(key):
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 §4.2.2), both as str."""
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def _mask_big(payload, key):
    n = len(payload)
    k = int.from_bytes((key * (n // 4 + 1))[:n], "big")
    return (int.from_bytes(payload, "big") ^ k).to_bytes(n, "big")


def expect(cond, what):
    """Raises with `what` unless cond: harness_util.Results.run counts it as a failure."""
    if not cond:
        raise AssertionError(what)


def close_payload(code, reason=b""):
    return struct.pack("!H", code) + reason


class Conn:
    """One raw client connection with a buffered, deadline-bound frame reader."""

    def __init__(self, port, host="127.0.0.1", timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no data before the deadline")
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("no data before the deadline") from None
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            raise EOFError("connection closed")
        self.buf += chunk

    def read_head(self, timeout=5.0):
        """The HTTP response head: (status, {lower-name: value})."""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            self._fill(deadline)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        m = re.match(r"HTTP/1\.1 (\d{3})", lines[0])
        status = int(m.group(1)) if m else 0
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return status, headers

    def upgrade(self, extra=b"", timeout=5.0):
        key = base64.b64encode(os.urandom(16))
        self.send(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                  b"Connection: Upgrade\r\nSec-WebSocket-Key: " + key +
                  b"\r\nSec-WebSocket-Version: 13\r\n" + extra + b"\r\n")
        status, headers = self.read_head(timeout)
        if status != 101 or headers.get("sec-websocket-accept") != accept_for(key.decode()):
            raise RuntimeError(f"upgrade refused: {status} {headers}")
        return headers

    def read_frame(self, timeout=5.0):
        """(fin, rsv, opcode, payload) of the next server frame."""
        deadline = time.monotonic() + timeout
        while len(self.buf) < 2:
            self._fill(deadline)
        b0, b1 = self.buf[0], self.buf[1]
        if b1 & 0x80:
            raise RuntimeError("server frame is masked")
        n, hl = b1 & 0x7F, 2
        if n == 126:
            hl = 4
        elif n == 127:
            hl = 10
        while len(self.buf) < hl:
            self._fill(deadline)
        if hl == 4:
            n = struct.unpack("!H", self.buf[2:4])[0]
        elif hl == 10:
            n = struct.unpack("!Q", self.buf[2:10])[0]
        while len(self.buf) < hl + n:
            self._fill(deadline)
        payload = self.buf[hl:hl + n]
        self.buf = self.buf[hl + n:]
        return bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0xF, payload

    def read_close_code(self, timeout=5.0):
        """Reads frames until a close; its code (None for an empty close)."""
        deadline = time.monotonic() + timeout
        while True:
            _, _, op, payload = self.read_frame(max(0.01, deadline - time.monotonic()))
            if op == OP_CLOSE:
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None

    def wait_eof(self, timeout=5.0):
        """True if the server closes TCP before the deadline (data is dropped)."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                self.buf = b""
                self._fill(deadline)
        except EOFError:
            return True
        except TimeoutError:
            return False

    def echo(self, op, payload, timeout=5.0):
        """Sends one message and returns the echoed (opcode, payload)."""
        self.send(frame(op, payload))
        _, _, rop, rpayload = self.read_frame(timeout)
        return rop, rpayload

    def close(self):
        self.sock.close()


def summary_counts(log_path):
    """The numbers in the server's closing 'wsprobe serve: accepted=...' line."""
    with open(log_path, "r", errors="replace") as f:
        lines = [l for l in f if l.startswith("wsprobe serve: accepted=")]
    if not lines:
        return None
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", lines[-1])}


def stop_and_count(results, srv, log_path, label, echoed):
    """Stops `wsprobe serve` with SIGINT and checks, in `results`, that it exits
    0, that its summary line counts exactly the `echoed` messages (at least
    one) with no protocol error, and that its log has no sanitizer finding."""
    os.kill(srv.pid, signal.SIGINT)
    rc = srv.stop()
    results.check(f"{label}: server exits 0 on SIGINT", rc == 0, f"rc={rc}")
    counts = summary_counts(log_path)
    with open(log_path, errors="replace") as f:
        text = f.read()
    results.check(f"{label}: summary counts every echo",
                  counts is not None and counts.get("messages") == echoed and echoed > 0
                  and counts.get("protocol_errors") == 0, f"{counts} vs {echoed}")
    results.check(f"{label}: no sanitizer findings",
                  "Sanitizer" not in text and "runtime error" not in text, text[-3000:])


def make_cert(directory):
    """A self-signed certificate for 127.0.0.1 and localhost, made with the
    openssl CLI: (cert_path, key_path)."""
    import subprocess
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    return cert, key


SIZES = (0, 125, 126, 65535, 65536, 1 << 20)


def text_of(n):
    """n bytes of UTF-8 text, with two-byte characters where they fit."""
    pair = "é" * (n // 4)
    return pair + "x" * (n - 2 * len(pair))


def binary_of(n, seed):
    """n bytes that do not compress (so deflate is exercised on both kinds)."""
    out = bytearray()
    block = hashlib.sha256(str(seed).encode()).digest()
    while len(out) < n:
        out += block
        block = hashlib.sha256(block).digest()
    return bytes(out[:n])
