/* The largest RTP packet the SFU keeps or forwards. Ethernet's 1500 bytes bound every datagram we
 * can receive over the links we serve, so a fixed slot of this size holds any packet that reached
 * us, and a stage can preallocate its storage at create time instead of per packet. It deliberately
 * says nothing about the smaller size we aim for when we build packets ourselves (DTLS uses 1200,
 * see net/dtls.h). */
#ifndef OKNO_SFU_MTU_H
#define OKNO_SFU_MTU_H

#define OKNO_MTU 1500

#endif
