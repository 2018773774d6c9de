#!/usr/bin/env bash
# okno-bench-probe through a real okno: two probes in one room each receive the other's Opus stream
# at the rate it is sent (50 packets a second), and the probe fails clearly (message and exit code)
# for an unreachable server, a refused join (a role the rooms plugin does not know) and a server
# that accepts the connection but never answers. okno must stop cleanly with no sanitizer report.
# Config, temp dir, process groups and cleanup come from browser_lib.bash; every wait is bounded.
# Needs OKNO_BUILD and OKNO_SRCDIR (tests/run sets them).
. "$(dirname "$0")/browser_lib.bash"
tap_plan 11
probe=$OKNO_BUILD/bench/okno-bench-probe
duration=6

bench_up "$probe"

# Two probes in one room, started together; each runs $duration seconds.
spawn "$tmp/a.out" timeout --kill-after=5 30 "$probe" --server "$ws" --room bench --name A \
    --duration "$duration" --address 127.0.0.1
pid_a=$spawned
spawn "$tmp/b.out" timeout --kill-after=5 30 "$probe" --server "$ws" --room bench --name B \
    --duration "$duration" --address 127.0.0.1
pid_b=$spawned
wait "$pid_a"
status_a=$?
wait "$pid_b"
status_b=$?
[ "$status_a" -eq 0 ] && [ "$status_b" -eq 0 ]
check $? "both probes run $duration s and exit 0 (A: $status_a, B: $status_b)" "$tmp/a.out"

# rate FILE: the packets a second of the one remote audio track over seconds 3..duration (the
# first seconds hold the ICE and DTLS set-up); prints the mean, or 0 when there is none.
rate() {
    awk -v last="$duration" '/^t=[0-9]+ .*kind=audio/ {
            split($1, t, "="); for (i = 2; i <= NF; i++) if ($i ~ /^packets=/) { split($i, p, "=") }
            if (t[2] >= 3 && t[2] <= last) { sum += p[2]; n++ } }
        END { if (n) printf "%d\n", sum / n; else print 0 }' "$1"
}
for who in a b; do
    other=$([ $who = a ] && echo B || echo A)
    r=$(rate "$tmp/$who.out")
    [ "$r" -ge 45 ] && [ "$r" -le 55 ]
    check $? "probe ${who^^} receives $other's audio at 50 packets/s (got $r)" "$tmp/$who.out"
done
# Whichever joined first hears the other join.
cat "$tmp/a.out" "$tmp/b.out" >"$tmp/ab.out"
grep -q '"type":"participant_joined"' "$tmp/ab.out"
check $? "a probe hears the other join as an event" "$tmp/ab.out"

# Unreachable: nothing listens on a fresh port.
dead=$(free_port)
run_bounded 20 "$tmp/dead.out" "$probe" --server "ws://127.0.0.1:$dead/ws" --room bench --name C \
    --timeout 3000
st=$?
[ "$st" -eq 2 ] && grep -q "cannot reach the server" "$tmp/dead.out"
check $? "an unreachable server exits 2 with a clear message (got $st)" "$tmp/dead.out"

# Refused: the rooms plugin knows no role "janitor".
run_bounded 20 "$tmp/refused.out" "$probe" --server "$ws" --room bench --name D --role janitor
st=$?
[ "$st" -eq 3 ] && grep -q "join refused: denied" "$tmp/refused.out"
check $? "a refused join exits 3 with the server's reason (got $st)" "$tmp/refused.out"

# Silent: a socket that accepts and never speaks; the connect timeout must end the probe.
silent=$(free_port)
silent_server "$silent"
start=$SECONDS
run_bounded 20 "$tmp/silent.out" "$probe" --server "ws://127.0.0.1:$silent/ws" --room bench \
    --name E --timeout 2000
st=$?
[ "$st" -eq 4 ] && [ $((SECONDS - start)) -le 6 ]
check $? "a server that never answers exits 4 within the timeout (got $st)" "$tmp/silent.out"

check_okno_stopped
check_no_reports "no sanitizer report in okno's log" "$log"
check_no_reports "no sanitizer report in the probes' output" "$tmp"/{a,b,dead,refused,silent}.out
