#!/bin/sh
# The release binary (bin/wsprobe, no sanitizers) under Valgrind memcheck in a
# handful of short scenarios on 127.0.0.1: serve handling check and load
# clients, check against serve and against hostile servers, load, the case
# catalogue. Any memcheck error or leak (definite, indirect or possible) fails
# the scenario. Each scenario is bounded by `timeout`; the whole run < 2 min.
cd "$(dirname "$0")/../.." || exit 2
BIN=bin/wsprobe
BAD=build/peers/badserver
PY=/usr/bin/python3
tmp=$(mktemp -d /tmp/wsprobe-valgrind.XXXXXX)
passed=0
failed=0
servers=""

cleanup() {
    for pid in $servers; do kill "$pid" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT

if ! command -v valgrind >/dev/null 2>&1 || [ ! -x "$BIN" ] || [ ! -x "$BAD" ]; then
    echo "FAIL needs valgrind, $BIN and $BAD (make bin/wsprobe $BAD)"
    echo "0 passed, 1 failed"
    exit 1
fi

VG="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99"

check() { # $1 name, $2 condition result (0 = ok), $3 detail
    if [ "$2" -eq 0 ]; then
        passed=$((passed + 1))
        echo "ok   $1"
    else
        failed=$((failed + 1))
        echo "FAIL $1 $3"
    fi
}

free_port() {
    $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() { # $1 port: up to 30 s (serve under valgrind starts slowly)
    $PY - "$1" <<'EOF'
import socket, sys, time
end = time.monotonic() + 30
while time.monotonic() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
EOF
}

# Runs "$@" under valgrind with a time limit; $1 = scenario name, $2 = allowed
# exit codes ("0 1"). Passes when the exit code is allowed and valgrind
# reported nothing (its own exit code 99 or any text in its log).
vg_run() {
    name=$1 allowed=$2
    shift 2
    log="$tmp/$name.vg"
    timeout -s KILL 90 $VG --log-file="$log" "$@" >"$tmp/$name.out" 2>&1
    rc=$?
    ok=1
    for a in $allowed; do [ "$rc" -eq "$a" ] && ok=0; done
    [ -s "$log" ] && ok=1
    check "$name (exit $rc)" $ok "$(head -c 2000 "$log" 2>/dev/null; tail -n 5 "$tmp/$name.out")"
}

# Starts a server in the background; sets $spid.
start() { # $1 port, rest: argv
    port=$1
    shift
    "$@" >"$tmp/server-$port.out" 2>&1 &
    spid=$!
    servers="$servers $spid"
    wait_port "$port" || echo "     (nothing listening on $port)"
}

# Stops a server by PID and returns its exit code.
stop() { # $1 pid
    kill -TERM "$1" 2>/dev/null
    wait "$1"
}

CASES='1.1.*,2.*,3.1,4.1.1,5.1*,6.2.*,7.1.*,7.5.1,12.1.1,13.1.1'

# 1. serve under valgrind, with deflate, handling check and load clients.
p=$(free_port)
start "$p" $VG --log-file="$tmp/serve.vg" "$BIN" serve --port "$p" --threads 2 --deflate --quiet
serve_pid=$spid
"$BIN" check "ws://127.0.0.1:$p/" --cases "$CASES" -j 2 >"$tmp/check-vs-vgserve.out" 2>&1
check "check against serve under valgrind: all OK" $? "$(tail -n 5 "$tmp/check-vs-vgserve.out")"
"$BIN" load "ws://127.0.0.1:$p/" -c 4 -t 1 -d 2s --deflate --no-progress >"$tmp/load-vs-vgserve.out" 2>&1
check "load against serve under valgrind" $? "$(tail -n 5 "$tmp/load-vs-vgserve.out")"
stop "$serve_pid"
rc=$?
[ "$rc" -eq 0 ] && [ ! -s "$tmp/serve.vg" ]
check "serve under valgrind: clean exit, no errors, no leaks (exit $rc)" $? "$(head -c 2000 "$tmp/serve.vg")"

# Plain servers (release build) for the clients under valgrind.
p=$(free_port)
start "$p" "$BIN" serve --port "$p" --threads 2 --deflate --quiet
url="ws://127.0.0.1:$p/"

# 2. check under valgrind, with a report.
vg_run "check under valgrind" "0" "$BIN" check "$url" --cases "0.1.*,$CASES" -j 2 --report "$tmp/rep"
[ -s "$tmp/rep/report.json" ]
check "check under valgrind wrote report.json" $?

# 3. load under valgrind: echo with deflate, then churn.
vg_run "load echo under valgrind" "0" "$BIN" load "$url" -c 8 -t 2 -d 2s --deflate --size 40-2000 --no-progress
vg_run "load churn under valgrind" "0" "$BIN" load "$url" -s churn -c 4 -t 1 -d 2s --no-progress

# 4. check under valgrind against hostile servers: a deflate bomb, a frame
# declaring 2^63-1 bytes, a 200 OK instead of 101. Verdicts may fail (exit 1).
for bug in deflate-bomb len63 status-200; do
    bp=$(free_port)
    start "$bp" "$BAD" --port "$bp" --bug "$bug"
    vg_run "check vs badserver --bug $bug under valgrind" "0 1" "$BIN" check "ws://127.0.0.1:$bp/" \
        --cases '1.1.1,12.1.1,13.1.1' --timeout 5
    kill "$spid" 2>/dev/null
done

# 5. load under valgrind against a server that drops connections.
bp=$(free_port)
start "$bp" "$BAD" --port "$bp" --bug drop-no-close --after 20
vg_run "load vs badserver --bug drop-no-close under valgrind" "0 1" "$BIN" load "ws://127.0.0.1:$bp/" \
    -c 4 -t 1 -d 2s --reconnect --no-progress
kill "$spid" 2>/dev/null

# 6. the whole catalogue, and an unreachable target (exit 3).
vg_run "cases under valgrind" "0" "$BIN" cases
dead=$(free_port)
vg_run "check of an unreachable target under valgrind" "3" "$BIN" check "ws://127.0.0.1:$dead/" --cases 1.1.1

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
