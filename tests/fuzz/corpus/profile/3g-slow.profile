# 3g-slow: a weak 3G (UMTS/HSPA) connection.
# Capacity and delay are the figures of the common "3G" link-conditioner preset (Apple's Network
# Link Conditioner): 780 kbit/s down, 330 kbit/s up, 100 ms each way, so a 200 ms round trip.
# A loaded 3G cell adds about 30 ms of jitter (delivered in order) and loses about 0.5 % of
# packets independently. Queue: 500 ms, typical of a 3G RNC buffer at these rates.
[profile]
name = 3g-slow
description = slow 3G: 780/330 kbit/s, 200 ms RTT, 30 ms jitter, 0.5 % loss

[up]
capacity_kbps = 330
delay_ms = 100
jitter_ms = 30
loss_pct = 0.5
queue_ms = 500

[down]
capacity_kbps = 780
delay_ms = 100
jitter_ms = 30
loss_pct = 0.5
queue_ms = 500
