#!/bin/sh
# `make demo`: start `wsprobe serve` on a free 127.0.0.1 port, echo a few
# messages through it with a python3-websockets client, show what happened,
# and stop the server by its PID. (Later issues turn this into a conformance
# run and a short load.)
cd "$(dirname "$0")/.." || exit 2
bin="${WSPROBE_BIN:-bin/wsprobe}"
[ -x "$bin" ] || { echo "demo: $bin is not built (run make)" >&2; exit 2; }
tmp=$(mktemp -d)
log="$tmp/serve.log"

"$bin" serve --port 0 --deflate >"$log" 2>&1 &
pid=$!
cleanup() {
    kill -TERM "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# --port 0 lets the kernel pick a free port; the banner says which.
port=""
i=0
while [ -z "$port" ] && [ $i -lt 100 ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "demo: the server did not start:" >&2
        cat "$log" >&2
        exit 1
    fi
    port=$(sed -n 's|.*listening on ws://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$log")
    [ -z "$port" ] && sleep 0.1
    i=$((i + 1))
done
[ -n "$port" ] || { echo "demo: no banner from the server" >&2; cat "$log" >&2; exit 1; }
echo "demo: $(head -n 1 "$log" | sed 's/^wsprobe serve: //') (pid $pid)"

/usr/bin/python3 - "$port" <<'PY'
import asyncio, sys, websockets

async def main(port):
    url = f"ws://127.0.0.1:{port}/"
    async with websockets.connect(url, max_size=1 << 21, open_timeout=10) as ws:
        ext = ws.response_headers.get("Sec-WebSocket-Extensions", "none")
        print(f"client: connected to {url}, extensions: {ext}")
        for msg in ["hello, wsprobe", "κόσμε ✓", b"\x00\x01\x02\xff", "x" * 65536]:
            await ws.send(msg)
            echo = await asyncio.wait_for(ws.recv(), 10)
            kind = "binary" if isinstance(msg, bytes) else "text"
            shown = repr(msg) if len(msg) <= 32 else f"{len(msg)} bytes"
            print(f"client: sent {kind} {shown}, echo {'matches' if echo == msg else 'DIFFERS'}")
            if echo != msg:
                sys.exit(1)
        await ws.send(["frag", "ment", "ed"])
        print(f"client: sent a message in 3 fragments, echo {await ws.recv()!r}")
        await asyncio.wait_for(await ws.ping(b"ping"), 10)
        print("client: ping answered with a pong")
        await ws.close(1000, "demo done")
        print(f"client: closed, server's close code {ws.close_code}")
        if ws.close_code != 1000:
            sys.exit(1)

asyncio.run(asyncio.wait_for(main(int(sys.argv[1])), 30))
PY
status=$?

kill -INT "$pid"
wait "$pid"
echo "demo: server stopped; $(tail -n 1 "$log" | sed 's/^wsprobe serve: //')"
trap - EXIT INT TERM
rm -rf "$tmp"
[ $status -eq 0 ] && echo "demo: ok" || echo "demo: FAILED"
exit $status
