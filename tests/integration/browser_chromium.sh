#!/usr/bin/env bash
# Two headless Chromium participants in one okno room, through the demo page with fake camera and
# microphone: each decodes the other's video and plays the other's audio (frames and samples counted
# on the subscriber connection, not just "connected"), and the tile of a participant who leaves goes.
# Reports time to first frame and the frame rate seen. okno must stop cleanly afterwards with no
# sanitizer report on its stderr.
. "$(dirname "$0")/browser_lib.bash"
driver_checks=8
tap_plan $((driver_checks + 3))
need_chromium "two Chromium participants exchange media through okno"

okno_conf
okno_up "okno starts and serves the demo page on 127.0.0.1:$http_port"
run_driver "$driver_checks" 100 browser_chromium.mjs "$base_url" "chromium-pair"
note_okno_rates_on_failure
check_okno_stops "okno still runs after the call"
check_okno_stderr
