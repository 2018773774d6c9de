# clean: a perfect link, the baseline every other profile is compared with. No capacity limit,
# no added delay, no jitter, no loss: what okno and the client do when the network is not the
# problem (loopback's own delay is tens of microseconds).
[profile]
name = clean
description = perfect link: no limit, no delay, no loss

[up]
capacity_kbps = unlimited

[down]
capacity_kbps = unlimited
