#!/bin/sh
# `make demo`: start `wsprobe serve --deflate` on a free 127.0.0.1 port, run the
# whole conformance catalogue against it (slow 9.x cases skipped), then a short
# load, write the reports under build/demo/, and stop the server by its PID.
cd "$(dirname "$0")/.." || exit 2
bin="${WSPROBE_BIN:-bin/wsprobe}"
[ -x "$bin" ] || { echo "demo: $bin is not built (run make)" >&2; exit 2; }
out=build/demo
rm -rf "$out"
mkdir -p "$out"
log="$out/serve.log"

"$bin" serve --port 0 --deflate >"$log" 2>&1 &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' EXIT INT TERM

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
url="ws://127.0.0.1:$port/"
echo "== wsprobe serve --deflate on $url (pid $pid)"

echo
echo "== wsprobe check $url --quick --report $out/check"
start=$(date +%s.%N)
"$bin" check "$url" --quick --report "$out/check"
check_status=$?
end=$(date +%s.%N)
awk -v a="$start" -v b="$end" -v s="$check_status" \
    'BEGIN { printf "demo: conformance run took %.1f s (exit %d)\n", b - a, s }'

echo
echo "== wsprobe load $url -c 100 -k 8 -d 5s --report $out/load"
"$bin" load --no-progress -c 100 -k 8 -d 5s --report "$out/load" \
    --threshold 'lost==0' --threshold 'error_rate<0.1%' "$url"
load_status=$?

kill -INT "$pid"
wait "$pid"
trap - EXIT INT TERM
echo
echo "demo: server stopped; $(tail -n 1 "$log" | sed 's/^wsprobe serve: //')"
echo "demo: reports: $out/check/index.html and $out/load/index.html (open them in a browser)"
if [ $check_status -eq 0 ] && [ $load_status -eq 0 ]; then
    echo "demo: ok"
    exit 0
fi
echo "demo: FAILED (check exit $check_status, load exit $load_status)"
exit 1
