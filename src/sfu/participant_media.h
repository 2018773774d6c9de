/* What arrives on a participant's transports, on the media path: publisher RTP to the track it
 * belongs to (by SSRC, or by the mid header extension for a sender that announced none), publisher
 * RTX unwrapped back into the original, publisher RTCP (sender reports), and subscriber RTCP (NACK,
 * PLI, FIR) to the subscription and track it names. Every publisher RTP packet that parses is
 * first recorded for the transport's transport-cc feedback (sfu/pub_fb.h), whatever becomes of it
 * after. Allocates nothing; malformed packets are dropped and counted. It deliberately does not
 * build anything itself: tracks, subscriptions and the room timer's feedback answer. */
#ifndef OKNO_SFU_PARTICIPANT_MEDIA_H
#define OKNO_SFU_PARTICIPANT_MEDIA_H

#include <stddef.h>
#include <stdint.h>

/* Peer listener entries; owner is the struct okno_participant. */
void okno__participant_on_pub_rtp(void *owner, uint8_t *pkt, size_t len, int64_t now_us);
void okno__participant_on_pub_rtcp(void *owner, uint8_t *pkt, size_t len, int64_t now_us);
void okno__participant_on_sub_rtcp(void *owner, uint8_t *pkt, size_t len, int64_t now_us);

#endif
