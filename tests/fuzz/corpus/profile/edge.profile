# edge: a 2G EDGE data connection, what a kiosk in a village may fall back to.
# Capacity and delay are the figures of the common "Edge" link-conditioner preset (Apple's
# Network Link Conditioner, also used by browser throttling): 240 kbit/s down with 400 ms delay,
# 200 kbit/s up with 440 ms delay, so an 840 ms round trip. EDGE's radio scheduling adds about
# 40 ms of jitter (kept in order: the radio link control delivers in sequence) and losses come in
# bursts when the signal fades: about 1.7 % of packets, in bursts of 3 on average.
# Gilbert-Elliott with loss only in the bad state: mean loss p / (p + r) = 0.58 / 33.88 = 1.71 %,
# mean burst 1 / r = 3 packets. Cellular base stations buffer deeply: a 1 s queue.
[profile]
name = edge
description = 2G EDGE: 240/200 kbit/s, 840 ms RTT, 40 ms jitter, 1.7 % bursty loss

[up]
capacity_kbps = 200
delay_ms = 440
jitter_ms = 40
queue_ms = 1000
ge_p_pct = 0.58
ge_r_pct = 33.3
ge_loss_bad_pct = 100

[down]
capacity_kbps = 240
delay_ms = 400
jitter_ms = 40
queue_ms = 1000
ge_p_pct = 0.58
ge_r_pct = 33.3
ge_loss_bad_pct = 100
