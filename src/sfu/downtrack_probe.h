/* Probe packets of a downtrack (downtrack_probe.c): what a subscriber transport sends to probe
 * its link, written on the RTX SSRC of one of its video downtracks. It deliberately does not decide
 * when or how much to probe (sfu/prober.h does) nor send anything (the pacer does). */
#ifndef OKNO_SFU_DOWNTRACK_PROBE_H
#define OKNO_SFU_DOWNTRACK_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "sfu/downtrack.h"

/* Writes into out[0..cap) a packet that probes the subscriber's link, of about want bytes: an RTX
 * copy of one of the video packets sent last, found with lookup, when want exceeds what padding
 * carries (*back, the caller's cursor starting at 0, says how many packets before the newest the
 * next copy is; it walks back up to 32 and starts again), else, or when none of those is cached
 * any more, a padding-only RTX packet (RFC 3550 padding, at most 255 bytes of it). Both go on the
 * RTX SSRC with the downtrack's next RTX sequence number and carry the transport-wide-cc and
 * abs-send-time elements to stamp; the media numbering and the retransmission bookkeeping are
 * untouched. Returns the length; 0 when RTX or transport-wide-cc was not negotiated (nothing to
 * probe with); OKNO_E_NOSPC or OKNO_E_INVAL when out cannot take the packet. */
int okno_downtrack_write_probe(struct okno_downtrack *dt, okno_downtrack_cache_fn lookup,
                               void *lookup_ctx, uint16_t *back, size_t want, int64_t now_us,
                               uint8_t *out, size_t cap);

#endif
