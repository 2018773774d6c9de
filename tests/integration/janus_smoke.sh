#!/usr/bin/env bash
# Janus side of okno-bench, end to end: bench/janus/janus-netns.sh starts Debian's Janus in its
# network namespace at 127.0.0.2, tests/integration/janus_smoke.py publishes VP8+Opus from one
# aiortc client into the VideoRoom and decodes it in a second one (>= 50 frames of the right
# colour in 5 s, time to first frame printed), and stop must leave no namespace, veth or process.
# Skips when janus, curl, aiortc/websockets or root are missing, or when a Janus started by
# someone else already runs in the namespace (it is not ours to stop). Bounded: about 90 s at most.
# Needs OKNO_SRCDIR (tests/run sets it; defaults to this checkout).
set -uo pipefail
OKNO_SRCDIR=${OKNO_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
py=/usr/bin/python3
netns=$OKNO_SRCDIR/bench/janus/janus-netns.sh
N=5
state=$(mktemp -d)
export OKNO_JANUS_STATE=$state/janus
started=
child=
cleanup() {
    [ -n "$child" ] && kill -TERM "$child" 2>/dev/null && wait "$child" 2>/dev/null
    if [ -n "$started" ]; then
        "$netns" stop >/dev/null 2>&1
    fi
    rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

skip_all() {
    echo "1..$N"
    for i in $(seq "$N"); do
        echo "ok $i # SKIP $1"
    done
    exit 0
}
# Janus and the harness do not depend on okno's build: run once, in the normal build (an empty plan
# counts nothing, unlike five skips).
if [ "${OKNO_SANITIZERS:-0}" = 1 ]; then
    echo "1..0 # SKIP runs in the normal build only"
    exit 0
fi
command -v janus >/dev/null || skip_all "janus is not installed (apt-get install janus)"
command -v curl >/dev/null || skip_all "curl is not installed"
[ "$(id -u)" -eq 0 ] || skip_all "needs root for network namespaces"
"$py" -c 'import aiortc, websockets' 2>/dev/null || skip_all "python3-aiortc or python3-websockets missing"
if ip netns list 2>/dev/null | grep -qw '^okno-janus'; then
    skip_all "namespace okno-janus already exists (another Janus run owns it)"
fi

echo "1..$N"
t=0
fails=0
result() { # result OK-STATUS DESCRIPTION
    t=$((t + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $t - $2"
    else
        echo "not ok $t - $2"
        fails=$((fails + 1))
    fi
}

started=1
timeout 40 "$netns" start >"$state/start.out" 2>&1
rc=$?
sed 's/^/# /' "$state/start.out"
result "$rc" "janus-netns start brings Janus up in its namespace, answering on 127.0.0.2:8088"
if [ "$rc" -ne 0 ]; then
    for _ in $(seq 2 "$N"); do result 1 "skipped: Janus did not start"; done
    exit 1
fi

timeout 20 "$netns" start >"$state/start2.out" 2>&1
rc=$?
grep -q "already running" "$state/start2.out" || rc=1
result "$rc" "a second start finds the running Janus and leaves it alone"

# In the background and waited for, so a TERM to this script runs the cleanup at once.
timeout 75 "$py" "$OKNO_SRCDIR/tests/integration/janus_smoke.py" >"$state/client.out" \
    2>"$state/client.err" &
child=$!
wait "$child"
rc=$?
child=
cat "$state/client.out"
[ "$rc" -ne 0 ] && tail -n 15 "$state/client.err" | sed 's/^/# stderr: /'
result "$rc" "an aiortc subscriber decodes an aiortc publisher's VP8 through the Janus VideoRoom"

if [ "$rc" -ne 0 ]; then
    grep -E 'ERR|WARN' "$OKNO_JANUS_STATE/janus.log" | grep -v 'disabled, skipping' | tail -n 10 |
        sed 's/^/# janus: /'
fi
pid=$(cat "$OKNO_JANUS_STATE/janus.pid" 2>/dev/null)
timeout 20 "$netns" stop >/dev/null 2>&1
rc=$?
started=
ip netns list | grep -qw '^okno-janus' && rc=1
ip link show okjanus0 >/dev/null 2>&1 && rc=1
[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && rc=1
result "$rc" "janus-netns stop ends Janus and removes the namespace and the veth pair"

timeout 20 "$netns" stop >/dev/null 2>&1
rc=$?
"$netns" status >/dev/null 2>&1
[ $? -eq 3 ] || rc=1
result "$rc" "stop again is a no-op and status then reports stopped"
[ "$fails" -eq 0 ]
