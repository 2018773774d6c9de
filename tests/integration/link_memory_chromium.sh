#!/usr/bin/env bash
# okno's link memory with a real browser: an okno-bench kiosk calls from 127.0.0.1 over the edge
# profile (200 kbit/s up, 840 ms RTT) for 15 s, and okno remembers what its uplink carried. Then a
# Chromium kiosk joins from the same address: okno's publisher answer carries
# x-google-start-bitrate at 85 % of that, and Chromium's send-side estimate must start there
# (link_memory_chromium.mjs samples it every 20 ms), while a Chromium specialist, whom okno never
# saw, starts at Chromium's own 300 kbit/s. okno must stop cleanly with no sanitizer report.
. "$(dirname "$0")/browser_lib.bash"
driver_checks=3
tap_plan $((driver_checks + 4))
need_chromium "okno's link memory sets Chromium's start"
bench=$OKNO_BUILD/bench/okno-bench
bench_size
bench_up "$bench"

run_bounded 80 "$tmp/edge.out" "$bench" call --server "$ws" --room seed --profile edge \
    --duration 15 --quiet "${size[@]}"
st=$?
# The kiosk's summary when it leaves: "pN: its links carried U kbit/s up, D down (remembered)".
deadline=$((SECONDS + 10))
while [ $SECONDS -lt $deadline ] && ! grep -q 'down (remembered)' "$log"; do sleep 0.2; done
line=$(grep 'down (remembered)' "$log" | head -1)
echo "# ${line#*\[sfu\] }"
up=$(echo "$line" | sed -n 's/.*carried \([0-9]*\) kbit\/s up.*/\1/p')
check $([ "$st" = 0 ] && [ -n "$up" ] && [ "$up" -gt 0 ]; echo $?) \
    "an okno-bench kiosk's call over edge leaves its uplink remembered (exit $st, ${up:-no} kbit/s)" \
    "$tmp/edge.out"
start=$((up * 85 / 100))
[ "$start" -lt 50 ] && start=50

run_driver "$driver_checks" 60 link_memory_chromium.mjs "$base_url" "$start"
grep -h "before: its sender starts" "$log" | sed 's/^.*\[sfu\] /# /'
said=$(sed -n 's/.*before: its sender starts at \([0-9]*\) kbit\/s.*/\1/p' "$log" | head -1)
check $([ -n "$said" ] && [ $((said - start)) -le 2 ] && [ $((start - said)) -le 2 ]; echo $?) \
    "okno's log says the Chromium kiosk's sender starts at ${said:-no} kbit/s (85 % of $up)" "$log"

stop_okno 10
check $([ "${okno_status:-1}" = 0 ] && ! sanitizer_reports "$log" >/dev/null; echo $?) \
    "okno stops cleanly (exit ${okno_status:-none}), no sanitizer report" "$log"
