#!/usr/bin/env bash
# A room's fan-out protected and sent by another worker: okno on 2 workers with [general]
# egress_workers 1 (each subscriber connection's SRTP protect + sendto on the worker that does not
# run the room), okno-bench load with 2 publishers and 14 subscribers that all unprotect and verify
# every packet (--verify-every 1), 3 s. Every packet the subscribers got decrypted and
# authenticated (no rx drop of any kind), loss stays low (5 %: a wide margin for a shared host and
# the sanitizer build), okno made the lane from the room's worker to the other one and dropped
# nothing for a full lane or a refused send; half the connections stay on the room's own worker
# (egress_room_share 50, its lane to itself), so both kinds of lane carry the load. Then the same
# load with egress_workers 0 (the room's worker sends everything) at realtime_priority 5. Needs OKNO_BUILD and OKNO_SRCDIR.
. "$(dirname "$0")/browser_lib.bash"
tap_plan 11
bench=$OKNO_BUILD/bench/okno-bench

[ -x "$bench" ] || skip_rest "okno-bench" "not built in $OKNO_BUILD"
okno_conf media ice_tcp false general egress_workers 1 general egress_room_share 50
okno_up "okno starts on 2 workers with egress_workers 1, half the connections kept on the room's worker"

# load_run NAME: the load, its exit status checked, its JSON judged and its figures printed.
load_run() {
    local name=$1
    run_bounded 50 "$tmp/$name.out" "$bench" load --server "$ws" --rooms 1 --publishers 2 \
        --subscribers 14 --duration 3 --warmup 1 --decoders 0 --verify-every 1 \
        --json "$tmp/$name.json"
    local st=$?
    sed 's/^/# /' "$tmp/$name.out"
    [ "$st" -eq 0 ]
    check $? "$name: okno-bench load 2 publishers x 14 subscribers for 3 s exits 0 (got $st)" \
        "$tmp/$name.out"
    "$python" - "$tmp/$name.json" >"$tmp/$name.check" 2>&1 <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["result"]
g, s = r["generator"], r["server"]
print("streams %d received %d loss %.3f %% p99 added %s ms, client rx drops %d, okno cpu %.1f %%"
      % (r["streams"], r["packets_received"], r["loss_pct"], r["added_latency_ms"].get("p99"),
         g["client_rx_drops"], s["cpu_pct"]))
assert r["streams"] == 28, "streams"
assert r["packets_received"] > 1000, "too few packets"
assert g["client_rx_drops"] == 0, "packets that did not decrypt or authenticate"
assert r["loss_pct"] is not None and r["loss_pct"] < 5, "loss"
PY
    local ok_json=$?
    sed 's/^/# /' "$tmp/$name.check"
    [ "$ok_json" -eq 0 ]
    check $? "$name: every received packet decrypts and authenticates, loss < 5 %" "$tmp/$name.check"
}

load_run offloaded
grep -q "lane from worker [01] to worker [01]" "$log"
check $? "okno made a lane between its two workers" "$log"

stop_okno 10
# Every connection's closing line: no send refused, no packet dropped for a full lane.
bad=$(grep -E "subscriber: rx .* tx [0-9]+ rtp" "$log" | grep -vE "send 0, egress queue 0" | head -3)
subs=$(grep -cE "subscriber: rx .* tx [1-9][0-9]* rtp" "$log")
reports=$(sanitizer_reports "$log")
[ "${okno_status:-1}" -eq 0 ] && [ -z "$bad" ] && [ "$subs" -ge 14 ] && [ -z "$reports" ]
check $? "okno stops cleanly without sanitizer report; $subs subscriber connections sent RTP, none dropped a send or for a full lane ${bad:+($bad)}" "$log"

okno_conf media ice_tcp false general egress_workers 0 general realtime_priority 5
okno_up "okno starts again with egress_workers 0 and realtime_priority 5"
load_run serial
# Root (CI) may give the workers SCHED_RR; elsewhere okno must say it could not and go on.
if [ "$(id -u)" -eq 0 ]; then
    grep -q "media workers run at SCHED_RR priority 5" "$log"
    check $? "the media workers run at SCHED_RR priority 5" "$log"
else
    grep -q "cannot put the media workers at SCHED_RR 5" "$log"
    check $? "without the privilege okno says so and runs at normal priority" "$log"
fi
check_okno_stopped
check_okno_stderr
