# geo-satellite: a consumer geostationary satellite link (the last resort of remote sites).
# Propagation alone is about 4 x 36,000 km / c = 480 ms per round trip through the satellite;
# with ground segment and modem scheduling a 600 ms round trip is typical, 300 ms each way.
# Typical small plans: 1 Mbit/s down, 256 kbit/s up (the return channel is the scarce one).
# Satellite modems buffer deeply: 1 s queues. Loss is rare in clear sky; none here.
[profile]
name = geo-satellite
description = GEO satellite: 1 Mbit/s down, 256 kbit/s up, 600 ms RTT

[up]
capacity_kbps = 256
delay_ms = 300
queue_ms = 1000

[down]
capacity_kbps = 1000
delay_ms = 300
queue_ms = 1000
