[profile]
name = drop
description = 2.5 -> 0.6 Mbit/s at 20 s; 50 ms, 300 ms queue
duration_s = 35

[up]
capacity_kbps = 2500
delay_ms = 50
queue_ms = 300

[down]
capacity_kbps = 2500
delay_ms = 50
queue_ms = 300

[schedule]
20s = both.capacity_kbps=600
