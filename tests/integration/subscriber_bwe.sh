#!/usr/bin/env bash
# Subscriber-side bandwidth estimation with real browsers: two headless Chromium participants call
# through okno with the bwe plugin loaded (the call of browser_chromium.mjs: each decodes the other's
# video and plays its audio). okno numbers every packet it sends them with the transport-wide-cc
# extension they accepted, their transport-cc feedback comes back, and the plugin's estimator turns
# it into an estimate per subscriber connection: okno's log must show, for both subscribers, packets
# stamped, feedback taken and matched, and an estimate above 0, while the video still plays. The
# estimates are printed, not judged beyond > 0. okno must stop cleanly with no sanitizer report.
. "$(dirname "$0")/browser_lib.bash"
driver_checks=8
tap_plan $((driver_checks + 6))
need_chromium "Chromium subscribers' transport-cc feedback gives okno an estimate"

okno_conf
# Whatever conf/okno.conf loads, this test needs the bwe plugin (after the rooms policy).
if ! grep -qE '^load *=.*\bbwe\b' "$conf"; then
    load=$(sed -n 's/^load *= *//p' "$conf" | head -1)
    ini_set "$conf" plugins load "${load:+$load, }bwe"
fi
okno_up "okno starts with the bwe plugin loaded" grep -q "loaded bwe " "$log"
run_driver "$driver_checks" 100 browser_chromium.mjs "$base_url" "bwe-pair"

check_okno_stops "okno still runs after the call"

# "pN subscriber bwe: estimate X kbit/s; stamped S (unstamped U), feedback F (E statuses, K unknown, ..."
# is logged when a participant goes; the estimates themselves as they change.
grep -E 'subscriber estimate [0-9]+ kbit/s' "$log" | sed 's/^/# /' | head -20
summaries=$(grep -E 'subscriber bwe: estimate' "$log")
echo "$summaries" | sed 's/^/# /'
n=0 good_stamp=0 good_fb=0 good_est=0
while IFS= read -r line; do
    [ -n "$line" ] || continue
    n=$((n + 1))
    est=$(sed -nE 's/.*subscriber bwe: estimate ([0-9]+) kbit\/s.*/\1/p' <<<"$line")
    stamped=$(sed -nE 's/.*; stamped ([0-9]+) .*/\1/p' <<<"$line")
    fb=$(sed -nE 's/.*, feedback ([0-9]+) \(([0-9]+) statuses.*/\1/p' <<<"$line")
    statuses=$(sed -nE 's/.*, feedback ([0-9]+) \(([0-9]+) statuses.*/\2/p' <<<"$line")
    acked=$(sed -nE 's/.*estimator: acked ([0-9]+),.*/\1/p' <<<"$line")
    [ "${stamped:-0}" -gt 0 ] && good_stamp=$((good_stamp + 1))
    # The estimator matched the statuses with the packets it was told about: acked ones.
    [ "${fb:-0}" -gt 0 ] && [ "${statuses:-0}" -gt 0 ] && [ "${acked:-0}" -gt 0 ] &&
        good_fb=$((good_fb + 1))
    [ "${est:-0}" -gt 0 ] && good_est=$((good_est + 1))
    echo "# metric subscriber_estimate_kbps=${est:-0} stamped=${stamped:-0} feedback=${fb:-0} acked=${acked:-0}"
done <<<"$summaries"
if [ "$n" -ge 2 ] && [ "$good_stamp" -eq "$n" ]; then
    ok "okno numbered the packets it sent each of the $n subscribers (transport-wide-cc)"
else
    not_ok "okno numbered the packets it sent each subscriber ($good_stamp of $n, want 2 or more)" "$log"
fi
if [ "$n" -ge 2 ] && [ "$good_fb" -eq "$n" ]; then
    ok "each subscriber's transport-cc feedback reached okno's estimator, which acked packets from it"
else
    not_ok "each subscriber's transport-cc feedback reached okno's estimator, which acked packets ($good_fb of $n)" "$log"
fi
if [ "$n" -ge 2 ] && [ "$good_est" -eq "$n" ]; then
    ok "the bwe plugin gave each subscriber connection an estimate above 0"
else
    not_ok "the bwe plugin gave each subscriber connection an estimate above 0 ($good_est of $n)" "$log"
fi

check_okno_stderr
