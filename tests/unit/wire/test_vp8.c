/* Unit tests of the VP8 payload descriptor and payload header (wire/vp8.h): RFC 7741's layouts
 * rebuilt by hand and a real libvpx key frame, parsed, checked field by field and written back byte
 * for byte; every truncation; in-place rewriting. The munger's continuity rules are tested in
 * test_vp8_munger.c. */
#include "testutil.h"
#include "okno/err.h"
#include "wire/vp8.h"

/* RFC 7741 4.6.1: a key frame in one packet, with a 15-bit picture ID. The VP8 bytes after the
 * descriptor are the first bytes of a real 320x180 key frame from libvpx's encoder. */
static const char key_long_pid[] = "90       # X=1 S=1 PID=0\n"
                                   "80       # I=1\n"
                                   "92 67    # M=1 picture ID 0x1267 = 4711\n"
                                   "d0 39 00 # P=0 key frame, VER=0, H=1 shown, size 462\n"
                                   "9d 01 2a # start code\n"
                                   "40 01    # width 320, scale 0\n"
                                   "b4 00    # height 180, scale 0\n"
                                   "00 07 08 85 // first partition\n";

/* RFC 7741 4.6.2: a non-discardable interframe, no extension; the VP8 bytes are libvpx's next
 * frame. */
static const char inter_minimal[] = "10       # X=0 N=0 S=1 PID=0\n"
                                    "b1 0b 00 # P=1 interframe, VER=0, H=1, size 93\n"
                                    "0d 11 64 00 // first partition\n";

/* RFC 7741 4.2 with every optional field, a 7-bit picture ID, in the middle of a partition. */
static const char all_fields_short_pid[] = "a2 # X=1 N=1 S=0 PID=2\n"
                                           "f0 # I=1 L=1 T=1 K=1\n"
                                           "35 # M=0 picture ID 53\n"
                                           "7b # TL0PICIDX 123\n"
                                           "b1 # TID=2 Y=1 KEYIDX=17\n"
                                           "de ad // partition 2 bytes\n";

/* A real key frame as a browser's simulcast packetizer sends it: picture ID, TL0PICIDX, TID. */
static const char key_simulcast[] = "90       # X=1 S=1 PID=0\n"
                                    "e0       # I=1 L=1 T=1\n"
                                    "9a 4b    # M=1 picture ID 0x1a4b = 6731\n"
                                    "21       # TL0PICIDX 33\n"
                                    "20       # TID=0 Y=1\n"
                                    "d0 39 00 # key frame, shown, size 462\n"
                                    "9d 01 2a # start code\n"
                                    "40 01    # width 320\n"
                                    "b4 00    # height 180\n";

static size_t hex(const char *text, uint8_t *buf)
{
    return okno_test_hex(text, buf, 64);
}

/* Rebuilds the descriptor from the parsed fields and checks it matches the original bytes. */
static void assert_descriptor_round_trips(const uint8_t *buf, const struct okno_vp8_desc *d)
{
    uint8_t out[OKNO_VP8_DESC_MAX];
    assert_int_equal(okno_vp8_descriptor_size(d), d->size);
    assert_int_equal(okno_vp8_write_descriptor(out, sizeof out, d), d->size);
    assert_memory_equal(out, buf, d->size);
}

static void test_vp8_parse_key_frame_with_long_picture_id(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = hex(key_long_pid, buf);
    struct okno_vp8_packet p;
    assert_int_equal(okno_vp8_parse(buf, len, &p), 0);
    assert_true(p.desc.x);
    assert_true(p.desc.s);
    assert_false(p.desc.n);
    assert_int_equal(p.desc.part_id, 0);
    assert_true(p.desc.has_picture_id);
    assert_false(p.desc.has_tl0picidx);
    assert_false(p.desc.has_tid);
    assert_false(p.desc.has_keyidx);
    assert_int_equal(p.desc.picture_id_bits, 15);
    assert_int_equal(p.desc.picture_id, 4711);
    assert_int_equal(p.desc.size, 4);
    assert_true(p.has_header);
    assert_true(okno_vp8_is_keyframe(&p));
    assert_int_equal(p.header.version, 0);
    assert_true(p.header.show_frame);
    assert_int_equal(p.header.first_part_size, 462);
    assert_int_equal(p.header.width, 320);
    assert_int_equal(p.header.height, 180);
    assert_int_equal(p.header.hscale, 0);
    assert_int_equal(p.header.vscale, 0);
    assert_ptr_equal(p.payload, buf + 4);
    assert_int_equal(p.payload_len, len - 4);
    assert_descriptor_round_trips(buf, &p.desc);
}

static void test_vp8_parse_minimal_descriptor_interframe(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = hex(inter_minimal, buf);
    struct okno_vp8_packet p;
    assert_int_equal(okno_vp8_parse(buf, len, &p), 0);
    assert_false(p.desc.x);
    assert_true(p.desc.s);
    assert_int_equal(p.desc.size, 1);
    assert_false(p.desc.has_picture_id);
    assert_int_equal(p.desc.picture_id_bits, 0);
    assert_true(p.has_header);
    assert_false(okno_vp8_is_keyframe(&p));
    assert_true(p.header.show_frame);
    assert_int_equal(p.header.first_part_size, 93);
    assert_int_equal(p.header.width, 0);
    assert_descriptor_round_trips(buf, &p.desc);
}

static void test_vp8_parse_every_optional_field_with_short_picture_id(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = hex(all_fields_short_pid, buf);
    struct okno_vp8_packet p;
    assert_int_equal(okno_vp8_parse(buf, len, &p), 0);
    assert_true(p.desc.n);
    assert_false(p.desc.s);
    assert_int_equal(p.desc.part_id, 2);
    assert_int_equal(p.desc.picture_id_bits, 7);
    assert_int_equal(p.desc.picture_id, 53);
    assert_true(p.desc.has_tl0picidx);
    assert_int_equal(p.desc.tl0picidx, 123);
    assert_true(p.desc.has_tid);
    assert_int_equal(p.desc.tid, 2);
    assert_true(p.desc.y);
    assert_true(p.desc.has_keyidx);
    assert_int_equal(p.desc.keyidx, 17);
    assert_int_equal(p.desc.size, 5);
    assert_false(p.has_header);
    assert_false(okno_vp8_is_keyframe(&p));
    assert_int_equal(p.payload_len, 2);
    assert_descriptor_round_trips(buf, &p.desc);
}

static void test_vp8_parse_real_key_frame_from_simulcast_packetizer(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = hex(key_simulcast, buf);
    struct okno_vp8_packet p;
    assert_int_equal(okno_vp8_parse(buf, len, &p), 0);
    assert_int_equal(p.desc.picture_id, 6731);
    assert_int_equal(p.desc.tl0picidx, 33);
    assert_int_equal(p.desc.tid, 0);
    assert_true(p.desc.y);
    assert_false(p.desc.has_keyidx);
    assert_int_equal(p.desc.size, 6);
    assert_true(okno_vp8_is_keyframe(&p));
    assert_int_equal(p.header.width, 320);
    assert_int_equal(p.header.height, 180);
    assert_descriptor_round_trips(buf, &p.desc);
}

static void test_vp8_parse_rejects_every_truncation_of_key_frame(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = hex(key_simulcast, buf);
    assert_int_equal(len, 6 + OKNO_VP8_KEY_HEADER_LEN);
    struct okno_vp8_packet p;
    for (size_t cut = 0; cut < len; cut++)
        assert_int_equal(okno_vp8_parse(buf, cut, &p), OKNO_E_TRUNCATED);
    assert_int_equal(okno_vp8_parse(buf, len, &p), 0);
}

static void test_vp8_parse_desc_rejects_every_truncation_of_descriptor(void **state)
{
    (void)state;
    uint8_t buf[64];
    hex(all_fields_short_pid, buf);
    struct okno_vp8_desc d;
    for (size_t cut = 0; cut < 5; cut++)
        assert_int_equal(okno_vp8_parse_desc(buf, cut, &d), OKNO_E_TRUNCATED);
    assert_int_equal(okno_vp8_parse_desc(buf, 5, &d), 5);
}

static void test_vp8_parse_rejects_descriptor_without_payload(void **state)
{
    (void)state;
    const uint8_t buf[] = {0x00};
    struct okno_vp8_packet p;
    assert_int_equal(okno_vp8_parse(buf, sizeof buf, &p), OKNO_E_TRUNCATED);
}

static void test_vp8_parse_rejects_key_frame_without_start_code(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = hex(key_long_pid, buf);
    buf[4 + 5] = 0x2b;
    struct okno_vp8_packet p;
    assert_int_equal(okno_vp8_parse(buf, len, &p), OKNO_E_MALFORMED);
}

static void test_vp8_parse_reads_key_frame_scaling_bits(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = hex(key_long_pid, buf);
    buf[4 + 7] |= 0x40; /* horizontal scale 1 */
    buf[4 + 9] |= 0xc0; /* vertical scale 3 */
    struct okno_vp8_packet p;
    assert_int_equal(okno_vp8_parse(buf, len, &p), 0);
    assert_int_equal(p.header.width, 320);
    assert_int_equal(p.header.hscale, 1);
    assert_int_equal(p.header.height, 180);
    assert_int_equal(p.header.vscale, 3);
}

static void test_vp8_later_partition_has_no_payload_header(void **state)
{
    (void)state;
    /* RFC 7741 4.6.3: the second partition starts its own packet with S=1 PID=1; its first byte is
     * partition data, not a payload header, so a P bit of 0 there must not read as a key frame. */
    uint8_t buf[64];
    size_t len = hex("91    # X=1 S=1 PID=1\n"
                     "80    # I=1\n"
                     "92 67 # picture ID 4711\n"
                     "00 9d // partition data\n",
                     buf);
    struct okno_vp8_packet p;
    assert_int_equal(okno_vp8_parse(buf, len, &p), 0);
    assert_int_equal(p.desc.part_id, 1);
    assert_false(p.has_header);
    assert_false(okno_vp8_is_keyframe(&p));
}

static void test_vp8_parse_ignores_reserved_bits(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = hex("d8    # X=1 R=1 S=1 R=1 PID=0\n"
                     "8f    # I=1 RSV=15\n"
                     "05    # picture ID 5\n"
                     "b1 0b 00 0d // interframe\n",
                     buf);
    struct okno_vp8_packet p;
    assert_int_equal(okno_vp8_parse(buf, len, &p), 0);
    assert_true(p.desc.s);
    assert_int_equal(p.desc.part_id, 0);
    assert_int_equal(p.desc.picture_id, 5);
    assert_false(p.desc.has_tl0picidx);
    assert_false(okno_vp8_is_keyframe(&p));
}

static void test_vp8_rewrite_wraps_picture_id_to_short_field(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = hex(all_fields_short_pid, buf);
    struct okno_vp8_packet p;
    assert_int_equal(okno_vp8_parse(buf, len, &p), 0);
    struct okno_vp8_desc w = p.desc;
    w.picture_id = 300; /* 300 mod 128 = 44 */
    w.tl0picidx = 7;
    w.tid = 1;
    w.y = false;
    w.keyidx = 3;
    assert_int_equal(okno_vp8_rewrite(buf, len, &w), 0);
    struct okno_vp8_packet q;
    assert_int_equal(okno_vp8_parse(buf, len, &q), 0);
    assert_int_equal(q.desc.size, 5);
    assert_int_equal(q.desc.picture_id_bits, 7);
    assert_int_equal(q.desc.picture_id, 44);
    assert_int_equal(q.desc.tl0picidx, 7);
    assert_int_equal(q.desc.tid, 1);
    assert_false(q.desc.y);
    assert_int_equal(q.desc.keyidx, 3);
    assert_int_equal(buf[0], 0xa2);
    assert_int_equal(buf[1], 0xf0);
    assert_int_equal(buf[5], 0xde);
    assert_int_equal(buf[6], 0xad);
}

static void test_vp8_rewrite_long_picture_id_keeps_payload(void **state)
{
    (void)state;
    uint8_t buf[64], orig[64];
    size_t len = hex(key_simulcast, buf);
    memcpy(orig, buf, len);
    struct okno_vp8_desc w = {.picture_id = 0x8001, .tl0picidx = 0xff, .tid = 0, .y = true};
    assert_int_equal(okno_vp8_rewrite(buf, len, &w), 0);
    struct okno_vp8_packet q;
    assert_int_equal(okno_vp8_parse(buf, len, &q), 0);
    assert_int_equal(q.desc.picture_id_bits, 15);
    assert_int_equal(q.desc.picture_id, 1);
    assert_int_equal(q.desc.tl0picidx, 0xff);
    assert_memory_equal(buf + 6, orig + 6, len - 6);
    assert_true(okno_vp8_is_keyframe(&q));
}

static void test_vp8_rewrite_keeps_bits_of_absent_tid_or_keyidx(void **state)
{
    (void)state;
    /* T=1, K=0: the KEYIDX bits are not a field, so the rewrite leaves them as sent. */
    uint8_t buf[] = {0x80, 0x20, 0x45, 0xaa};
    struct okno_vp8_desc w = {.tid = 3, .y = true, .keyidx = 0};
    assert_int_equal(okno_vp8_rewrite(buf, sizeof buf, &w), 0);
    assert_int_equal(buf[2], 0xc0 | 0x20 | 0x05);
    /* K=1, T=0: TID and Y bits are kept. */
    uint8_t buf2[] = {0x80, 0x10, 0x65, 0xaa};
    w.keyidx = 30;
    assert_int_equal(okno_vp8_rewrite(buf2, sizeof buf2, &w), 0);
    assert_int_equal(buf2[2], 0x60 | 30);
}

static void test_vp8_rewrite_without_fields_changes_nothing(void **state)
{
    (void)state;
    uint8_t buf[64], orig[64];
    size_t len = hex(inter_minimal, buf);
    memcpy(orig, buf, len);
    struct okno_vp8_desc w = {.picture_id = 9, .tl0picidx = 9, .tid = 1, .keyidx = 1};
    assert_int_equal(okno_vp8_rewrite(buf, len, &w), 0);
    assert_memory_equal(buf, orig, len);
}

static void test_vp8_rewrite_rejects_truncated_descriptor_untouched(void **state)
{
    (void)state;
    uint8_t buf[] = {0x80, 0xe0, 0x9a, 0x4b, 0x21};
    struct okno_vp8_desc w = {.picture_id = 1};
    assert_int_equal(okno_vp8_rewrite(buf, sizeof buf, &w), OKNO_E_TRUNCATED);
    assert_int_equal(buf[2], 0x9a);
    assert_int_equal(buf[3], 0x4b);
}

static void test_vp8_write_descriptor_for_packetizer(void **state)
{
    (void)state;
    struct okno_vp8_desc d = {.s = true,
                              .has_picture_id = true,
                              .picture_id_bits = 15,
                              .picture_id = 6731,
                              .has_tl0picidx = true,
                              .tl0picidx = 33,
                              .has_tid = true,
                              .y = true};
    uint8_t expect[64], out[OKNO_VP8_DESC_MAX];
    hex(key_simulcast, expect);
    assert_int_equal(okno_vp8_descriptor_size(&d), 6);
    assert_int_equal(okno_vp8_write_descriptor(out, sizeof out, &d), 6);
    assert_memory_equal(out, expect, 6);
    /* An extension octet with no fields in it is allowed and kept. */
    struct okno_vp8_desc bare = {.x = true, .s = true};
    assert_int_equal(okno_vp8_write_descriptor(out, sizeof out, &bare), 2);
    assert_int_equal(out[0], 0x90);
    assert_int_equal(out[1], 0x00);
}

static void test_vp8_write_descriptor_rejects_fields_too_wide(void **state)
{
    (void)state;
    uint8_t out[OKNO_VP8_DESC_MAX];
    struct okno_vp8_desc d = {.has_picture_id = true, .picture_id_bits = 7, .picture_id = 128};
    assert_int_equal(okno_vp8_write_descriptor(out, sizeof out, &d), OKNO_E_RANGE);
    d.picture_id_bits = 15;
    d.picture_id = 0x8000;
    assert_int_equal(okno_vp8_write_descriptor(out, sizeof out, &d), OKNO_E_RANGE);
    d.picture_id_bits = 8;
    d.picture_id = 1;
    assert_int_equal(okno_vp8_descriptor_size(&d), OKNO_E_RANGE);
    struct okno_vp8_desc t = {.has_tid = true, .tid = 4};
    assert_int_equal(okno_vp8_descriptor_size(&t), OKNO_E_RANGE);
    struct okno_vp8_desc k = {.has_keyidx = true, .keyidx = 32};
    assert_int_equal(okno_vp8_descriptor_size(&k), OKNO_E_RANGE);
    struct okno_vp8_desc pid = {.part_id = 8};
    assert_int_equal(okno_vp8_descriptor_size(&pid), OKNO_E_RANGE);
    /* Values of absent fields are not checked: the writer ignores them. */
    struct okno_vp8_desc absent = {.tid = 9, .keyidx = 99, .picture_id = 0xffff};
    assert_int_equal(okno_vp8_descriptor_size(&absent), 1);
}

static void test_vp8_write_descriptor_reports_nospc_without_writing(void **state)
{
    (void)state;
    uint8_t out[6] = {0xee, 0xee, 0xee, 0xee, 0xee, 0xee};
    struct okno_vp8_desc d = {.has_picture_id = true, .picture_id_bits = 15, .picture_id = 1};
    assert_int_equal(okno_vp8_write_descriptor(out, 3, &d), OKNO_E_NOSPC);
    assert_int_equal(out[0], 0xee);
    assert_int_equal(okno_vp8_write_descriptor(out, 4, &d), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vp8_parse_key_frame_with_long_picture_id),
        cmocka_unit_test(test_vp8_parse_minimal_descriptor_interframe),
        cmocka_unit_test(test_vp8_parse_every_optional_field_with_short_picture_id),
        cmocka_unit_test(test_vp8_parse_real_key_frame_from_simulcast_packetizer),
        cmocka_unit_test(test_vp8_parse_rejects_every_truncation_of_key_frame),
        cmocka_unit_test(test_vp8_parse_desc_rejects_every_truncation_of_descriptor),
        cmocka_unit_test(test_vp8_parse_rejects_descriptor_without_payload),
        cmocka_unit_test(test_vp8_parse_rejects_key_frame_without_start_code),
        cmocka_unit_test(test_vp8_parse_reads_key_frame_scaling_bits),
        cmocka_unit_test(test_vp8_later_partition_has_no_payload_header),
        cmocka_unit_test(test_vp8_parse_ignores_reserved_bits),
        cmocka_unit_test(test_vp8_rewrite_wraps_picture_id_to_short_field),
        cmocka_unit_test(test_vp8_rewrite_long_picture_id_keeps_payload),
        cmocka_unit_test(test_vp8_rewrite_keeps_bits_of_absent_tid_or_keyidx),
        cmocka_unit_test(test_vp8_rewrite_without_fields_changes_nothing),
        cmocka_unit_test(test_vp8_rewrite_rejects_truncated_descriptor_untouched),
        cmocka_unit_test(test_vp8_write_descriptor_for_packetizer),
        cmocka_unit_test(test_vp8_write_descriptor_rejects_fields_too_wide),
        cmocka_unit_test(test_vp8_write_descriptor_reports_nospc_without_writing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
