#!/usr/bin/env bash
# okno's HTTP server and signalling WebSocket against docs/protocol.md (tests/integration/
# ws_protocol.py): pages and path traversal, join and the room events, every error code a client
# can provoke, one reply per request in order, the flood limit, leave and close; then a SIGTERM with
# a client still connected must close its socket with 1001 and stop okno cleanly, with no sanitizer
# report in okno's stderr. Starts $OKNO_BUILD/src/okno on a temporary config with a free port and
# the rooms plugin of that build. Needs OKNO_BUILD and OKNO_SRCDIR (tests/run sets them) and
# /usr/bin/python3 with python3-websockets.
set -uo pipefail
: "${OKNO_BUILD:?set OKNO_BUILD to a build directory}" "${OKNO_SRCDIR:?set OKNO_SRCDIR}"
py=/usr/bin/python3
tmp=$(mktemp -d)
okno_pid=
driver_pid=
cleanup() {
    [ -n "$driver_pid" ] && kill -KILL "$driver_pid" 2>/dev/null
    [ -n "$okno_pid" ] && kill -KILL "$okno_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

if ! "$py" -c 'import websockets' 2>/dev/null; then
    echo "1..1"
    echo "ok 1 - ws protocol # SKIP python3-websockets missing"
    exit 0
fi

port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$tmp/okno.conf" <<CONF
[general]
workers = 2
[plugins]
dir = $OKNO_BUILD/plugins/.libs
load = rooms
[http]
address = 127.0.0.1
port = $port
web_root = $OKNO_SRCDIR/web
[media]
addresses = 127.0.0.1
ice_tcp = false
CONF

"$OKNO_BUILD/src/okno" --config "$tmp/okno.conf" 2>"$tmp/okno.err" &
okno_pid=$!
up=0
for _ in $(seq 100); do
    kill -0 "$okno_pid" 2>/dev/null || break
    if "$py" -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
        up=1
        break
    fi
    sleep 0.1
done
if [ "$up" -ne 1 ]; then
    echo "1..1"
    echo "not ok 1 - okno starts and listens on 127.0.0.1:$port"
    sed 's/^/#   /' "$tmp/okno.err" | tail -n 20
    exit 1
fi

# The driver prints its checks, writes their count, then waits with one socket open.
"$py" "$OKNO_SRCDIR/tests/integration/ws_protocol.py" --port "$port" --count-file "$tmp/count" \
    >"$tmp/driver.out" 2>"$tmp/driver.err" &
driver_pid=$!
for _ in $(seq 900); do
    [ -s "$tmp/count" ] && break
    kill -0 "$driver_pid" 2>/dev/null || break
    sleep 0.1
done
sleep 0.2
n=$(cat "$tmp/count" 2>/dev/null || echo 0)

kill -TERM "$okno_pid"
stopped=0
for _ in $(seq 300); do
    if ! kill -0 "$okno_pid" 2>/dev/null; then
        stopped=1
        break
    fi
    sleep 0.1
done
wait "$okno_pid" 2>/dev/null
okno_rc=$?
okno_pid=
for _ in $(seq 100); do
    kill -0 "$driver_pid" 2>/dev/null || break
    sleep 0.1
done
driver_pid=

cat "$tmp/driver.out"
if [ "$n" -eq 0 ]; then
    n=$(grep -cE '^(not )?ok ' "$tmp/driver.out")
    echo "not ok $((n + 1)) - the protocol driver reported its checks"
    sed 's/^/#   /' "$tmp/driver.err" | tail -n 20
    n=$((n + 1))
fi
if grep -q "^# last socket closed with 1001" "$tmp/driver.out"; then
    echo "ok $((n + 1)) - SIGTERM closes a connected client's socket with 1001"
else
    echo "not ok $((n + 1)) - SIGTERM closes a connected client's socket with 1001"
fi
if [ "$stopped" -eq 1 ] && [ "$okno_rc" -eq 0 ] && grep -q "okno stopped" "$tmp/okno.err"; then
    echo "ok $((n + 2)) - okno stops on SIGTERM with exit 0"
else
    echo "not ok $((n + 2)) - okno stops on SIGTERM with exit 0 (stopped $stopped, rc $okno_rc)"
    tail -n 20 "$tmp/okno.err" | sed 's/^/#   /'
fi
if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|UndefinedBehavior|Leak)Sanitizer' "$tmp/okno.err"; then
    echo "not ok $((n + 3)) - okno's stderr has no sanitizer report"
    grep -A 30 -E 'ERROR: |runtime error:' "$tmp/okno.err" | head -n 40 | sed 's/^/#   /'
else
    echo "ok $((n + 3)) - okno's stderr has no sanitizer report"
fi
echo "1..$((n + 3))"
