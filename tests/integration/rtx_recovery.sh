#!/usr/bin/env bash
# Loss recovery through a real okno: okno-bench call on the random-loss profile (3 % of the kiosk's
# packets lost on its uplink, 60 ms RTT) puts holes into the kiosk's video before okno. okno NACKs
# them, and each packet the kiosk retransmits goes at once into the gap the specialist's numbering
# kept for it, as RTX: the specialist's receiver counts recovered packets that came as RTX, and
# okno's log counts them per track (recovered from the publisher) and per subscription (forwarded
# late). Figures are printed as TAP comments; only "more than zero" is judged, with 3 % loss over
# the run there are tens of holes. Needs OKNO_BUILD and OKNO_SRCDIR (tests/run sets them).
. "$(dirname "$0")/browser_lib.bash"
tap_plan 7
bench=$OKNO_BUILD/bench/okno-bench
duration=12
bench_size

bench_up "$bench"

start=$SECONDS
run_bounded 45 "$tmp/call.out" "$bench" call --server "$ws" --room rtx --profile random-loss \
    --duration "$duration" --json "$tmp/call.json" --quiet "${size[@]}"
st=$?
[ "$st" -eq 0 ] && [ -s "$tmp/call.json" ]
check $? \
    "okno-bench call --profile random-loss --duration $duration runs and reports (got $st, $((SECONDS - start)) s)" \
    "$tmp/call.out"

# "LOST RECOVERED RTX NACKS PUB_RTX" of the specialist's receiver for the kiosk's video.
read -r lost recovered rtx nacks pub_rtx < <("$python" - "$tmp/call.json" 2>/dev/null <<'PY' || echo "null null null null null"
import json, sys
r = json.load(open(sys.argv[1]))["kiosk_to_specialist"]
v = (r.get("receiver") or {}).get("video") or {}
s = r.get("sender") or {}
f = lambda x: "null" if x is None else str(x)
print(f(v.get("lost")), f(v.get("recovered")), f(v.get("rtx_packets")), f(v.get("nacks_sent")),
      f(s.get("rtx_packets")))
PY
)
echo "# kiosk -> specialist: receiver lost $lost, recovered $recovered, RTX received $rtx, NACKs sent $nacks; kiosk sent $pub_rtx RTX"
awk -v v="$recovered" 'BEGIN { exit !(v != "null" && v + 0 > 0) }'
check $? "the specialist recovers packets lost on the kiosk's uplink (recovered $recovered)" "$tmp/call.json"
awk -v v="$rtx" 'BEGIN { exit !(v != "null" && v + 0 > 0) }'
check $? "they reach it as RTX (RTX packets received $rtx)" "$tmp/call.out"

stop_okno 10 && [ "$okno_status" -eq 0 ]
check $? "okno stops within 10 s with status 0 (got ${okno_status:-none})" "$log"

# "pN-vM retransmission: publisher nacked N recovered R too-late T given-up G" for the kiosk's video
# and "pS pN-vM retransmission: nacks ... forwarded-late L ..." for the specialist's subscription.
grep "retransmission:" "$log" | sed 's/^/# /'
up=$(grep -o "retransmission: publisher nacked [0-9]* recovered [0-9]*" "$log" |
    awk '{ if ($6 > m) m = $6 } END { print m + 0 }')
late=$(grep -o "forwarded-late [0-9]*" "$log" | awk '{ if ($2 > m) m = $2 } END { print m + 0 }')
[ "$up" -gt 0 ] && [ "$late" -gt 0 ]
check $? "okno counts packets recovered from the kiosk ($up) and forwarded late to the specialist ($late)" "$log"
check_no_reports "no sanitizer report in okno's log" "$log"
