# random-loss: plenty of capacity but 3 % of packets lost independently, as on a noisy Wi-Fi hop
# or an overloaded rural backhaul: it separates loss recovery (NACK, FEC, keyframes) from
# congestion control. 5 Mbit/s each way, 30 ms each way (60 ms round trip), a 100 ms queue that
# such a flow never fills.
[profile]
name = random-loss
description = 5 Mbit/s, 60 ms RTT, 3 % random loss

[up]
capacity_kbps = 5000
delay_ms = 30
loss_pct = 3
queue_ms = 100

[down]
capacity_kbps = 5000
delay_ms = 30
loss_pct = 3
queue_ms = 100
