/* The daemon's configuration schema: every key okno reads, with its type, default, limits and a
 * one-line doc. A subsystem adds a key by adding one row here (and documenting it in
 * conf/okno.conf; a unit test checks that every row is there). It deliberately holds no logic
 * beyond small checks of single values: what a key means is up to the subsystem that reads it. */
#include "core/config.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>

/* Where `make install` puts plugins ($(pkglibdir)); the fragment defines it for the real build. */
#ifndef OKNO_PLUGIN_DIR
#define OKNO_PLUGIN_DIR "/usr/local/lib/okno"
#endif

int okno__config_check_name(const char *item, char *why, size_t why_size)
{
    size_t len = 0;
    for (const char *p = item; *p; p++, len++) {
        if (!g_ascii_islower(*p) && !g_ascii_isdigit(*p) && *p != '_') {
            snprintf(why, why_size, "must be made of a-z, 0-9 and _");
            return -1;
        }
    }
    if (len == 0 || len > 64) {
        snprintf(why, why_size, "must be 1 to 64 characters long");
        return -1;
    }
    return 0;
}

/* A host name or IP literal: no spaces or URL parts, which would only fail later at bind time. */
static int check_address(const char *item, char *why, size_t why_size)
{
    if (!*item || strpbrk(item, " \t/[]@")) {
        snprintf(why, why_size, "must be an IP address or host name");
        return -1;
    }
    return 0;
}

#define INT(group, key, def, min, max, doc)                                                        \
    {                                                                                              \
        group, key, OKNO_CONFIG_INT, def, min, max, NULL, NULL, doc                                \
    }
#define BOOL(group, key, def, doc)                                                                 \
    {                                                                                              \
        group, key, OKNO_CONFIG_BOOL, def, 0, 0, NULL, NULL, doc                                   \
    }
#define STRING(group, key, def, check, doc)                                                        \
    {                                                                                              \
        group, key, OKNO_CONFIG_STRING, def, 0, 0, NULL, check, doc                                \
    }
#define LIST(group, key, def, check, doc)                                                          \
    {                                                                                              \
        group, key, OKNO_CONFIG_STRING_LIST, def, 0, 0, NULL, check, doc                           \
    }
#define ENUM(group, key, def, allowed, doc)                                                        \
    {                                                                                              \
        group, key, OKNO_CONFIG_ENUM, def, 0, 0, allowed, NULL, doc                                \
    }

const struct okno_config_key okno__config_schema[] = {
    INT("general", "workers", "0", 0, 256, "media worker threads; 0 means one per CPU core"),
    INT("general", "egress_workers", "1", 0, 255,
        "other workers that protect and send a room's subscriber packets; 0: the room's own"),
    INT("general", "egress_room_share", "0", 0, 100,
        "percent of a room's subscriber connections the room's own worker still sends"),
    INT("general", "realtime_priority", "0", 0, 99,
        "SCHED_RR priority of the media workers (needs CAP_SYS_NICE); 0: normal scheduling"),
    ENUM("general", "log_level", "info", "error|warn|info|debug", "least severe level logged"),
    STRING("plugins", "dir", OKNO_PLUGIN_DIR, NULL,
           "where plugins are; a relative path is taken from the config file's directory"),
    LIST("plugins", "load", "", okno__config_check_name,
         "plugins to load, in order: NAME loads DIR/okno_NAME.so"),
    STRING("http", "address", "0.0.0.0", check_address, "address the HTTP server listens on"),
    INT("http", "port", "8080", 1, 65535, "TCP port of the HTTP server"),
    STRING("http", "web_root", "../web", NULL,
           "directory of the web pages served under /; a relative path is taken from the config "
           "file's directory"),
    LIST("media", "addresses", "", check_address,
         "host addresses media sockets listen on; empty: 127.0.0.1 and the machine's addresses"),
    INT("media", "port_min", "0", 0, 65535, "lowest UDP/TCP media port; 0 with port_max 0: any"),
    INT("media", "port_max", "0", 0, 65535, "highest UDP/TCP media port"),
    BOOL("media", "ice_tcp", "true", "offer passive ICE-TCP candidates besides UDP"),
    STRING("media", "announced_address", "", NULL,
           "public IP written into candidates in place of the host address (1:1 NAT)"),
    STRING("media", "certificate", "", NULL,
           "PEM DTLS certificate; empty: a fresh one at every start"),
    STRING("media", "key", "", NULL, "PEM private key (EC) of the certificate"),
    INT("media", "ice_restart_grace_s", "20", 1, 3600,
        "seconds a participant whose media connection was lost keeps its seat for an ICE restart"),
    INT("media", "consent_timeout_s", "30", 3, 300,
        "seconds without any datagram from a client before its connection counts as lost (under 5"
        " only for tests: a browser's audio-only RTCP comes about every 5 s)"),
    INT("media", "max_publisher_kbps", "2500", 30, 100000,
        "the most a publisher may send, kbit/s, announced to it by REMB"),
    INT("media", "video_playout_budget_ms", "3000", 20, 5000,
        "how old (plus half the leg's RTT, plus its RTT) lost video may be and still be resent,"
        " unless a key frame went to the subscriber since (3000: libwebrtc waits about 3 s for a"
        " decodable frame before it asks for a key frame)"),
    INT("media", "audio_playout_budget_ms", "150", 20, 5000,
        "how old (plus half the leg's RTT) lost audio may be and still be resent"),
    BOOL("media", "pacing", "true",
         "pace what each subscriber receives at 2.5 x its bandwidth estimate, audio first"),
    INT("media", "pacer_max_delay_ms", "400", 50, 5000,
        "video and retransmissions waiting longer in a subscriber's pacer are dropped"),
    INT("media", "link_memory_days", "7", 0, 365,
        "days okno remembers the rates a client's links carried (by its address and role), to"
        " start its next connections below them; 0: no memory"),
    STRING("media", "link_memory_file", "", NULL,
           "file the link memory is kept in across restarts (read at start, written every minute"
           " and at exit); empty: in memory only"),
};

const size_t okno__config_schema_len = G_N_ELEMENTS(okno__config_schema);
