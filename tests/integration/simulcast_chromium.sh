#!/usr/bin/env bash
# Simulcast through okno with real browsers: a Chromium publisher sends three encodings (rids q, h,
# f), a Chromium subscriber receives one chosen for it; limited with receive_limit it drops to a lower
# encoding, the publisher's top encoding stops (okno's REMB cap), and lifted it comes back
# (simulcast_chromium.mjs; the switch times are printed). okno's log must show the three encodings
# learned from the rid extension and received (the per-encoding summary each track logs when it
# ends); okno must stop cleanly with no sanitizer report.
. "$(dirname "$0")/browser_lib.bash"
driver_checks=8
tap_plan $((driver_checks + 4))
need_chromium "okno forwards a Chromium simulcast publisher layer by layer"

okno_conf
okno_up "okno starts and serves the demo page on 127.0.0.1:$http_port"
run_driver "$driver_checks" 120 simulcast_chromium.mjs "$base_url" "simulcast"

grep -E 'quality|receive limit|publisher capped|simulcast|encoding' "$log" | sed 's/^/# /' | head -40
check_okno_stops "okno still runs after the call"
# "pN-vM encodings received: q ssrc S P packets, h ssrc S P packets, f ssrc S P packets"
summary=$(grep -m1 "encodings received: q " "$log")
echo "# ${summary:-no encoding summary in the log}"
n=$(echo "$summary" | grep -oE '[0-9]+ packets' | awk '$1 > 0' | wc -l)
if [ "$n" -eq 3 ]; then
    ok "okno received all three encodings of the simulcast track"
else
    not_ok "okno received all three encodings of the simulcast track ($n with packets)" "$log"
fi
check_okno_stderr
