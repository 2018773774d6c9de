#!/usr/bin/env bash
# ICE restart keeps a participant in the room: two headless Chromium participants through the demo
# page, the first restarts ICE on both its connections (window.okno.client.restartIce()), and both keep
# decoding each other's video with no participant_left (ice_restart.mjs). Here: okno's log must show
# the restart of both connections, and okno must stop cleanly with no sanitizer report.
. "$(dirname "$0")/browser_lib.bash"
driver_checks=8
tap_plan $((driver_checks + 4))
need_chromium "ICE restart keeps a Chromium participant in the room"

okno_conf
okno_up "okno starts and serves the demo page on 127.0.0.1:$http_port"
run_driver "$driver_checks" 100 ice_restart.mjs "$base_url" "ice-restart"

grep -q "ICE restart of the publisher connection" "$log" &&
    grep -q "ICE restart of the subscriber connection" "$log" && ! grep -q " dropped: " "$log"
check $? "okno's log shows the ICE restart of both connections and no participant dropped" "$log"
check_okno_stops "okno still runs after the restart"
check_okno_stderr
