# lte-edge: LTE at the edge of a cell, the usual rural 4G case: the capacity a user gets moves
# between about 0.5 and 3 Mbit/s down as the signal and the cell's load change, the round trip
# between 70 and 150 ms (35 to 75 ms each way, HARQ retransmissions and scheduling), about 2 % of
# packets are lost in bursts (fading), and the connection drops for about 1.6 s every two minutes
# (a handover or radio link failure and re-establishment). Uplink capacity at the cell edge is
# power-limited: 0.5 to 1.5 Mbit/s.
# Gilbert-Elliott with loss only in the bad state: mean loss 0.51 / (0.51 + 25) = 2.0 %, mean
# burst 1 / r = 4 packets. The steps below repeat every 120 s; the outages start at 60 s.
[profile]
name = lte-edge
description = cell-edge LTE: 0.5-3 Mbit/s, 70-150 ms RTT, 2 % bursty loss, 1.6 s outage every 120 s
duration_s = 240

[up]
capacity_kbps = 1000
delay_ms = 40
jitter_ms = 10
queue_ms = 300
ge_p_pct = 0.51
ge_r_pct = 25
ge_loss_bad_pct = 100

[down]
capacity_kbps = 2000
delay_ms = 40
jitter_ms = 10
queue_ms = 300
ge_p_pct = 0.51
ge_r_pct = 25
ge_loss_bad_pct = 100

[schedule]
period_s = 120
0s   = down.capacity_kbps=2000, up.capacity_kbps=1000, both.delay_ms=40
15s  = down.capacity_kbps=3000, up.capacity_kbps=1500, both.delay_ms=35
30s  = down.capacity_kbps=1200, up.capacity_kbps=700, both.delay_ms=55
45s  = down.capacity_kbps=500, up.capacity_kbps=500, both.delay_ms=75
60s  = down.capacity_kbps=800, up.capacity_kbps=500, both.delay_ms=65
75s  = down.capacity_kbps=2500, up.capacity_kbps=1200, both.delay_ms=40
90s  = down.capacity_kbps=1500, up.capacity_kbps=800, both.delay_ms=50
105s = down.capacity_kbps=700, up.capacity_kbps=500, both.delay_ms=70

[outage]
every_s = 120
duration_ms = 1600
first_s = 60
direction = both
