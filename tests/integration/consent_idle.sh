#!/usr/bin/env bash
# Consent for an idle subscriber connection with a real browser (consent_idle.mjs): okno runs with
# [media] consent_timeout_s = 3; a Chromium kiosk whose subscriber connection carries nothing (the
# specialist left) keeps its seat for 3 x the timeout and receives the next specialist's video on it;
# a kiosk whose browser process is killed is still dropped. okno must stop cleanly afterwards with
# no sanitizer report.
. "$(dirname "$0")/browser_lib.bash"
driver_checks=4
timeout_s=3
tap_plan $((driver_checks + 3))
need_chromium "an idle Chromium subscriber connection keeps consent"

okno_conf media consent_timeout_s "$timeout_s" media ice_restart_grace_s 2
okno_up "okno starts with consent_timeout_s = $timeout_s"
run_driver "$driver_checks" 70 consent_idle.mjs "$base_url" "$log" "$timeout_s"
check_okno_stops "okno still runs after the calls"
check_okno_stderr
