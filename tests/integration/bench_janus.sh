#!/usr/bin/env bash
# okno-bench's --target janus end to end: bench/janus/janus-netns.sh starts Debian's Janus in its
# namespace at 127.0.0.2; two okno-bench-probe clients (on 127.0.0.3, the veth's root end) join
# VideoRoom 1234 and each receives the other's Opus at the rate it is sent (50 packets/s), while a
# receive-only probe (publishes nothing, as load mode's subscribers) receives both; a room that does
# not exist is a refused join (exit 3, Janus error 426) and a Janus that is not there is unreachable
# (exit 2, at once). When okno-bench is built with its call and load modes, a short clean call and a
# small load run against Janus must also work (figures printed). Janus is stopped at the end.
# Normal build only, like janus_smoke.sh: Janus does not depend on okno's build, and the probe's own
# code runs under the sanitizers in bench_probe.sh. Skips without janus, curl or root, or when a
# Janus started by someone else runs in the namespace. Bounded: about 60 s.
# Needs OKNO_BUILD and OKNO_SRCDIR (tests/run sets them).
set -uo pipefail
OKNO_SRCDIR=${OKNO_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
OKNO_BUILD=${OKNO_BUILD:-$OKNO_SRCDIR/build}
source "$OKNO_SRCDIR/tests/tap.bash"
netns=$OKNO_SRCDIR/bench/janus/janus-netns.sh
probe=$OKNO_BUILD/bench/okno-bench-probe
bench=$OKNO_BUILD/bench/okno-bench
ws=ws://127.0.0.2:8188/
addr=127.0.0.3
duration=6
plan=12
state=$(mktemp -d)
export OKNO_JANUS_STATE=$state/janus
started=
children=()
cleanup() {
    local c
    for c in "${children[@]}"; do
        kill -TERM "$c" 2>/dev/null
    done
    if [ -n "$started" ]; then
        "$netns" stop >/dev/null 2>&1
    fi
    rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

skip_all() {
    echo "1..$plan"
    while [ "$tap_n" -lt "$plan" ]; do skip "bench_janus" "$1"; done
    exit 0
}
fail_rest() {
    while [ "$tap_n" -lt "$plan" ]; do not_ok "not reached: $1"; done
    exit 1
}
if [ "${OKNO_SANITIZERS:-0}" = 1 ]; then
    echo "1..0 # SKIP runs in the normal build only"
    exit 0
fi
[ -x "$probe" ] || skip_all "okno-bench-probe is not built in $OKNO_BUILD"
command -v janus >/dev/null || skip_all "janus is not installed (apt-get install janus)"
command -v curl >/dev/null || skip_all "curl is not installed"
[ "$(id -u)" -eq 0 ] || skip_all "needs root for network namespaces"
if ip netns list 2>/dev/null | grep -qw '^okno-janus'; then
    skip_all "namespace okno-janus already exists (another Janus run owns it)"
fi

echo "1..$plan"
started=1
timeout 40 "$netns" start >"$state/start.out" 2>&1
rc=$?
check $rc "Janus runs in its namespace at 127.0.0.2" "$state/start.out"
[ "$rc" -eq 0 ] || fail_rest "Janus did not start"

# run_bg OUT CMD...: in the background, bounded, its pid appended to children.
run_bg() {
    local out=$1
    shift
    timeout --kill-after=5 40 "$@" >"$out" 2>&1 &
    children+=($!)
}
run_bg "$state/a.out" "$probe" --target janus --server "$ws" --address "$addr" --name A \
    --duration "$duration"
run_bg "$state/b.out" "$probe" --target janus --server "$ws" --address "$addr" --name B \
    --duration "$duration"
run_bg "$state/r.out" "$probe" --target janus --server "$ws" --address "$addr" --name R \
    --receive-only --duration "$duration"
st=()
for c in "${children[@]}"; do
    wait "$c"
    st+=($?)
done
children=()
[ "${st[0]}" -eq 0 ] && [ "${st[1]}" -eq 0 ] && [ "${st[2]}" -eq 0 ]
check $? "three probes run $duration s in room 1234 and exit 0 (${st[*]})" "$state/a.out"
for who in a b r; do # printed, not judged: first packet of each track after the probe's start
    echo "# probe ${who^^}: $(grep -o 'first_ms=[0-9-]*' "$state/$who.out" | xargs)"
done

# rates FILE [FIRST LAST]: per remote audio track, its mean packets a second over seconds FIRST..LAST
# (default 3..duration: the first seconds hold the set-up), one per line.
rates() {
    awk -v first="${2:-3}" -v last="${3:-$duration}" '/^t=[0-9]+ .*kind=audio/ {
            split($1, t, "="); tr = $2
            for (i = 2; i <= NF; i++) if ($i ~ /^packets=/) { split($i, p, "=") }
            if (t[2] >= first && t[2] <= last) { sum[tr] += p[2]; n[tr]++ } }
        END { for (tr in sum) printf "%d\n", sum[tr] / n[tr] }' "$1"
}
in_50() { [ "$1" -ge 45 ] && [ "$1" -le 55 ]; }
for who in a b; do
    other=$([ $who = a ] && echo B || echo A)
    r=$(rates "$state/$who.out" | xargs)
    set -- $r
    [ $# -eq 1 ] && in_50 "$1"
    check $? "probe ${who^^} receives $other's audio through Janus at 50 packets/s (got ${r:-none})" \
        "$state/$who.out"
done
r=$(rates "$state/r.out" | xargs)
set -- $r
[ $# -eq 2 ] && in_50 "$1" && in_50 "$2"
check $? "the receive-only probe receives both A and B at 50 packets/s (got ${r:-none})" \
    "$state/r.out"
grep -q '"type":"participant_joined".*"name":"B"' "$state/a.out" ||
    grep -q '"type":"participant_joined".*"name":"A"' "$state/b.out"
check $? "a probe hears the other publish (participant_joined)" "$state/a.out"

# Churn: while R (receive-only) and A stay, B leaves after 3 s and C arrives at 5 s; R's
# subscription drops B and takes C (renegotiations on one PeerConnection), so over seconds 9-10 it
# receives exactly A and C.
run_bg "$state/r2.out" "$probe" --target janus --server "$ws" --address "$addr" --name R2 \
    --receive-only --duration 11
run_bg "$state/a2.out" "$probe" --target janus --server "$ws" --address "$addr" --name A2 \
    --duration 11
timeout 20 "$probe" --target janus --server "$ws" --address "$addr" --name B2 --duration 3 \
    >"$state/b2.out" 2>&1
sleep 2
run_bg "$state/c2.out" "$probe" --target janus --server "$ws" --address "$addr" --name C2 \
    --duration 6
for c in "${children[@]}"; do wait "$c"; done
children=()
r=$(rates "$state/r2.out" 9 10 | xargs)
set -- $r
left=$(grep -c '"type":"participant_left"' "$state/r2.out")
[ $# -eq 2 ] && in_50 "$1" && in_50 "$2" && [ "$left" -ge 1 ]
check $? "a receive-only probe follows publishers leaving and arriving (A and C at ${r:-none}/s)" \
    "$state/r2.out"

# Debian's Janus has been seen to exit during the churn (CI, 2026-12-04: every later connection was
# refused). That is Janus's failure, not okno-bench's: say so with its log, and start it again so
# the checks below still judge okno-bench.
if ! kill -0 "$(cat "$OKNO_JANUS_STATE/janus.pid" 2>/dev/null)" 2>/dev/null; then
    echo "# Janus exited during the churn; its log ends:"
    tail -n 15 "$OKNO_JANUS_STATE/janus.log" "$OKNO_JANUS_STATE/janus.out" 2>/dev/null | sed "s/^/#   /"
    "$netns" stop >/dev/null 2>&1
    timeout 40 "$netns" start >"$state/restart.out" 2>&1 || fail_rest "Janus did not start again"
fi

timeout 20 "$probe" --target janus --server "$ws" --address "$addr" --name C --room 999 \
    --timeout 5000 >"$state/room.out" 2>&1
st=$?
[ "$st" -eq 3 ] && grep -q "join refused.*426" "$state/room.out"
check $? "a room that does not exist is a refused join: exit 3 with Janus's 426 (got $st)" \
    "$state/room.out"

# Janus's address, a port nothing listens on.
t0=$SECONDS
timeout 20 "$probe" --target janus --server ws://127.0.0.2:8199/ --address "$addr" --name D \
    --timeout 5000 >"$state/dead.out" 2>&1
st=$?
[ "$st" -eq 2 ] && [ $((SECONDS - t0)) -le 3 ] && grep -q "cannot reach" "$state/dead.out"
check $? "no Janus at the URL: exit 2 at once with a clear message (got $st)" "$state/dead.out"

# okno-bench's modes against Janus, once they are built. The call's threshold only proves video
# flows both ways through the relay and Janus (30 fps on a quiet machine; bench_call.sh judges the
# mode itself).
if [ -x "$bench" ] && "$bench" call --help >/dev/null 2>&1; then
    timeout --kill-after=5 60 "$bench" call --target janus --server "$ws" --address "$addr" \
        --profile clean --duration 8 --json "$state/call.json" >"$state/call.out" 2>&1
    st=$?
    sed 's/^/# call: /' "$state/call.out" | head -n 40
    [ "$st" -eq 0 ] && /usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
for k in ("kiosk_to_specialist", "specialist_to_kiosk"):
    print("# %s: fps %s freezes %s latency p95 %s ms" % (k, d[k].get("fps"), d[k].get("freezes"),
          (d[k].get("latency_ms") or {}).get("p95")))
    assert d[k].get("fps", 0) > 5, k' "$state/call.json"
    check $? "okno-bench call --target janus --profile clean: video both ways, above 5 fps (exit $st)" \
        "$state/call.out"
else
    skip "okno-bench call --target janus" "okno-bench call is not built"
fi
if [ -x "$bench" ] && "$bench" load --help >/dev/null 2>&1; then
    timeout --kill-after=5 60 "$bench" load --target janus --server "$ws" --address "$addr" \
        --rooms 2 --publishers 1 --subscribers 2 --duration 4 --decoders 1 \
        --server-pid "$(cat "$OKNO_JANUS_STATE/janus.pid")" >"$state/load.out" 2>&1
    st=$?
    sed 's/^/# load: /' "$state/load.out" | head -n 30
    [ "$st" -eq 0 ]
    check $? "okno-bench load --target janus (2 rooms of 1 publisher, 2 subscribers) runs (exit $st)" \
        "$state/load.out"
else
    skip "okno-bench load --target janus" "okno-bench load is not built"
fi

pid=$(cat "$OKNO_JANUS_STATE/janus.pid" 2>/dev/null)
timeout 20 "$netns" stop >"$state/stop.out" 2>&1
rc=$?
started=
ip netns list | grep -qw '^okno-janus' && rc=1
ip link show okjanus0 >/dev/null 2>&1 && rc=1
[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && rc=1
check $rc "Janus stops and leaves no namespace, veth or process" "$state/stop.out"
