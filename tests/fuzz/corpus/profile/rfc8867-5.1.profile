# rfc8867-5.1: RFC 8867 (Test Cases for Evaluating Congestion Control for Interactive Real-Time
# Media), section 5.1 "Variable Available Capacity with a Single Flow".
#   bottleneck capacity: 1.0 Mbit/s from 0 s, 2.5 Mbit/s at 40 s, 0.6 Mbit/s at 60 s,
#                        1.0 Mbit/s at 80 s (its Table 1, forward path)
#   one-way propagation delay 50 ms, tail-drop queue of 300 ms, no path loss, 100 s long.
# The RFC tests one media flow in the forward direction with feedback on the way back; okno's
# bench sends media both ways (a consultation is two-way), so both directions follow the
# forward pattern. The RFC allows up to 30 ms of end-to-end jitter; it is left out here so that
# how well the sender tracks the capacity steps is measured on its own (edge and 3g-slow carry
# jitter).
[profile]
name = rfc8867-5.1
description = RFC 8867 5.1: 1.0 -> 2.5 -> 0.6 -> 1.0 Mbit/s at 40, 60, 80 s; 50 ms, 300 ms queue
duration_s = 100

[up]
capacity_kbps = 1000
delay_ms = 50
queue_ms = 300

[down]
capacity_kbps = 1000
delay_ms = 50
queue_ms = 300

[schedule]
40s = both.capacity_kbps=2500
60s = both.capacity_kbps=600
80s = both.capacity_kbps=1000
