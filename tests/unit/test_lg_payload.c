/* lg_payload and lg_track: stamps round-trip, every single-byte corruption is
 * caught, frames parse back with ws/, the run check of echoes stops at the
 * first one that differs, and sequence tracking classes lost, duplicated and
 * reordered numbers. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loadgen/lg_payload.h"
#include "loadgen/lg_track.h"
#include "ws/ws_frame.h"
#include "ws/ws_mask.h"

static void test_stamp_round_trip(void **state)
{
    (void)state;
    size_t sizes[] = {40, 41, 63, 64, 65, 127, 128, 1000, 70000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        uint8_t *p = malloc(n);
        lg_payload_fill(p, n);
        lg_stamp s = {.seq = 0xabcdef123456ull, .t_ns = 987654321ull, .conn = 0xdeadbeef}, got;
        lg_payload_stamp(p, n, &s);
        assert_int_equal(lg_payload_verify(p, n, &got), LG_VERIFY_OK);
        assert_true(got.seq == s.seq && got.t_ns == s.t_ns && got.conn == s.conn);
        /* The checksum covers the length: a truncated echo is not accepted. */
        assert_int_not_equal(lg_payload_verify(p, n - 1, &got), LG_VERIFY_OK);
        free(p);
    }
    uint8_t small[39] = {0};
    lg_stamp got;
    assert_int_equal(lg_payload_verify(small, sizeof small, &got), LG_VERIFY_SHORT);
}

static void test_every_byte_flip_detected(void **state)
{
    (void)state;
    enum { N = 200 };
    uint8_t p[N];
    lg_payload_fill(p, N);
    lg_stamp s = {.seq = 42, .t_ns = 7, .conn = 3}, got;
    lg_payload_stamp(p, N, &s);
    for (size_t i = 0; i < N; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            p[i] ^= (uint8_t)(1u << bit);
            int r = lg_payload_verify(p, N, &got);
            assert_int_equal(r, i < LG_STAMP_LEN ? LG_VERIFY_STAMP : LG_VERIFY_FILL);
            if (r == LG_VERIFY_FILL) assert_true(got.seq == 42);
            p[i] ^= (uint8_t)(1u << bit);
        }
    }
}

static void test_template_frames_parse(void **state)
{
    (void)state;
    lg_tmpl t;
    assert_int_equal(lg_tmpl_init(&t, WS_OP_TEXT, 70000), 0);
    ws_mask_rng rng;
    ws_mask_rng_seed(&rng, 1);
    size_t sizes[] = {64, 64, 125, 126, 65535, 65536, 40, 64};
    uint8_t *out = malloc(lg_tmpl_frame_size(70000));
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        lg_stamp s = {.seq = k, .t_ns = 1000 + k, .conn = 9}, got;
        uint8_t copy[LG_STAMP_LEN];
        size_t len = lg_tmpl_write(&t, out, n, &s, &rng, copy);
        assert_int_equal(len, lg_tmpl_frame_size(n));
        ws_parser p;
        ws_parser_opts o = {.peer = WS_PEER_CLIENT};
        ws_parser_init(&p, &o);
        ws_frame f;
        assert_int_equal(ws_parser_feed(&p, out, len, &f), (long)len);
        assert_true(f.fin && f.masked && f.opcode == WS_OP_TEXT && f.payload_len == n);
        uint8_t *pl = (uint8_t *)f.payload;
        ws_mask_apply(pl, n, f.mask_key, 0);
        assert_int_equal(lg_payload_verify(pl, n, &got), LG_VERIFY_OK);
        assert_true(got.seq == k && got.t_ns == 1000 + k && got.conn == 9);
        assert_memory_equal(copy, pl, LG_STAMP_LEN); /* the unmasked stamp kept for the echo */
        assert_true(lg_payload_fill_ok(pl, n));
    }
    free(out);
    lg_tmpl_free(&t);
}

static void test_track_classes(void **state)
{
    (void)state;
    lg_track t = {0};
    uint64_t gap;
    assert_int_equal(lg_track_see(&t, 0, &gap), LG_TRACK_NEW);
    assert_int_equal(gap, 0);
    assert_int_equal(lg_track_see(&t, 1, &gap), LG_TRACK_NEW);
    assert_int_equal(lg_track_see(&t, 4, &gap), LG_TRACK_NEW); /* 2, 3 missing */
    assert_int_equal(gap, 2);
    assert_int_equal(t.missing, 2);
    assert_int_equal(lg_track_see(&t, 3, &gap), LG_TRACK_REORDERED);
    assert_int_equal(t.missing, 1);
    assert_int_equal(lg_track_see(&t, 3, &gap), LG_TRACK_DUPLICATE);
    assert_int_equal(lg_track_see(&t, 4, &gap), LG_TRACK_DUPLICATE);
    assert_int_equal(lg_track_see(&t, 0, &gap), LG_TRACK_DUPLICATE);
    assert_int_equal(t.missing, 1); /* 2 is still lost */
    /* A long run in order pushes old numbers out of the window. */
    for (uint64_t s = 5; s < 1000; s++) assert_int_equal(lg_track_see(&t, s, &gap), LG_TRACK_NEW);
    assert_int_equal(lg_track_see(&t, 2, &gap), LG_TRACK_REORDERED); /* gap open: late */
    assert_int_equal(t.missing, 0);
    assert_int_equal(lg_track_see(&t, 2, &gap), LG_TRACK_DUPLICATE); /* no gap left */
    /* A jump larger than the window. */
    assert_int_equal(lg_track_see(&t, 2000, &gap), LG_TRACK_NEW);
    assert_int_equal(gap, 1000);
    assert_int_equal(lg_track_see(&t, 1999, &gap), LG_TRACK_REORDERED);
    assert_int_equal(lg_track_skip_to(&t, 2005), 4);
    lg_track_next(&t); /* 2005, the inlined in-order case */
    assert_int_equal(lg_track_see(&t, 2005, &gap), LG_TRACK_DUPLICATE);
    assert_int_equal(t.next, 2006);
    t.next = 2005;
    assert_int_equal(t.missing, 999 + 4);
    assert_int_equal(t.next, 2005);
    /* A stream joined late starts where it is first seen: nothing missing,
     * then gaps count as before. */
    lg_track j = {0};
    lg_track_start_at(&j, 7);
    assert_int_equal(lg_track_see(&j, 7, &gap), LG_TRACK_NEW);
    assert_int_equal(gap, 0);
    assert_int_equal(j.missing, 0);
    assert_int_equal(lg_track_see(&j, 9, &gap), LG_TRACK_NEW);
    assert_int_equal(j.missing, 1);
    assert_int_equal(lg_track_see(&j, 6, &gap), LG_TRACK_EARLY); /* before the start */
    assert_int_equal(j.missing, 1);
    assert_int_equal(lg_track_see(&j, 8, &gap), LG_TRACK_REORDERED);
    assert_int_equal(j.missing, 0);
}

/* Builds the echo a server sends of the masked client frame at f (len
 * payload bytes): an unmasked FIN frame of the same opcode and payload, at
 * out. Returns its size. */
static size_t echo_of(uint8_t *out, const uint8_t *f, size_t flen)
{
    ws_parser p;
    ws_parser_opts o = {.peer = WS_PEER_CLIENT};
    ws_parser_init(&p, &o);
    ws_frame fr;
    assert_int_equal(ws_parser_feed(&p, f, flen, &fr), (long)flen);
    uint8_t *pl = malloc(fr.payload_len ? fr.payload_len : 1);
    memcpy(pl, fr.payload, fr.payload_len);
    ws_mask_apply(pl, fr.payload_len, fr.mask_key, 0);
    ws_frame_spec s;
    ws_frame_spec_default(&s, fr.opcode, false);
    size_t n = ws_frame_write(out, fr.payload_len + 14, &s, pl, fr.payload_len);
    free(pl);
    return n;
}

/* Runs of consecutive sequence numbers across digit carries (f -> 10, ff ->
 * 100, ffffffff -> 1 00000000), with jumps between runs: each frame's stamp
 * is the one a fresh encoding gives, and an echo checked against the number
 * sent must accept exactly that stamp. The template's payloads are short
 * enough to be kept masked (64) and too long to be (5000). */
static void test_consecutive_stamps(void **state)
{
    (void)state;
    size_t maxes[] = {64, 5000};
    for (size_t z = 0; z < 2; z++) {
        size_t N = maxes[z];
        lg_tmpl t;
        assert_int_equal(lg_tmpl_init(&t, WS_OP_BINARY, N), 0);
        ws_mask_rng rng;
        ws_mask_rng_seed(&rng, 7);
        lg_stamp_cache echo;
        lg_stamp_cache_init(&echo);
        uint64_t starts[] = {0, 0xfff0, 0xfffffff0ull, 0x1fffffff0ull, 5, 0xabcdeffff0ull};
        uint8_t *out = malloc(N + 14), copy[LG_STAMP_LEN], *ref = malloc(N);
        for (size_t r = 0; r < sizeof starts / sizeof starts[0]; r++) {
            for (uint64_t seq = starts[r]; seq < starts[r] + 40; seq++) {
                /* The first run starts at time 0 and connection 0, the
                 * values a fresh cache holds. */
                lg_stamp s = {.seq = seq,
                              .t_ns = r ? 1000 + seq / 8 : seq / 8,
                              .conn = (uint32_t)r},
                         got;
                size_t len = lg_tmpl_write(&t, out, N, &s, &rng, copy);
                lg_payload_fill(ref, N);
                lg_payload_stamp(ref, N, &s);
                assert_memory_equal(copy, ref, LG_STAMP_LEN);
                assert_int_equal(lg_payload_verify(copy, LG_STAMP_LEN, &got), LG_VERIFY_STAMP);
                uint8_t *pl = out + len - N;
                ws_mask_apply(pl, N, out + len - N - 4, 0);
                assert_memory_equal(pl, ref, N);
                assert_true(lg_payload_stamp_is(&echo, pl, N, &s));
                assert_int_equal(lg_payload_echo_check(&echo, pl, N, &s), LG_VERIFY_OK);
                pl[N - 1 - seq % 24] ^= 1;
                assert_int_equal(lg_payload_echo_check(&echo, pl, N, &s), LG_VERIFY_FILL);
                pl[N - 1 - seq % 24] ^= 1;
                pl[seq % LG_STAMP_LEN] ^= 1;
                assert_int_equal(lg_payload_echo_check(&echo, pl, N, &s), LG_VERIFY_STAMP);
                pl[seq % LG_STAMP_LEN] ^= 1;
                for (size_t i = 0; i < LG_STAMP_LEN; i += 7) {
                    pl[i] ^= 0x20;
                    assert_false(lg_payload_stamp_is(&echo, pl, N, &s));
                    pl[i] ^= 0x20;
                }
                /* Another number than the one sent is not this stamp. */
                lg_stamp other = s;
                other.seq = seq + 1;
                assert_false(lg_payload_stamp_is(&echo, pl, N, &other));
            }
        }
        free(out);
        free(ref);
        lg_tmpl_free(&t);
    }
}

/* A run written by lg_tmpl_write_run (across the 0xff -> 0x100 and 2^32
 * carries, sizes around the 8- and 16-byte steps of the fill, with the
 * template's own length, kept masked, and shorter ones) is frames that each
 * unmask to the payload lg_payload_stamp gives for its number, masked with
 * one of the template's keys, and the server's echoes of them all pass
 * lg_tmpl_echoes in one call. */
static void test_write_run_and_echoes(void **state)
{
    (void)state;
    enum { MAXN = 200, COUNT = 40 };
    size_t sizes[] = {40, 47, 48, 55, 56, 64, 71, 72, 73, 100, 125, 126, 200};
    uint64_t firsts[] = {0xe0, 0xffffffeeull, 0x2345ffffffe5ull};
    static uint8_t frames[COUNT * (MAXN + 14)], echoes[COUNT * (MAXN + 14)];
    for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
        for (int own = 0; own < 2; own++) {
            size_t N = sizes[z];
            lg_tmpl t;
            assert_int_equal(lg_tmpl_init(&t, WS_OP_TEXT, own ? N : MAXN), 0);
            ws_mask_rng rng;
            ws_mask_rng_seed(&rng, 99 + z);
            for (size_t k = 0; k < 3; k++) {
                lg_stamp first = {.seq = firsts[k], .t_ns = 123456789 + k, .conn = 42};
                size_t n = lg_tmpl_write_run(&t, frames, N, &first, COUNT, &rng);
                assert_int_equal(n, COUNT * lg_tmpl_frame_size(N));
                size_t off = 0, eoff = 0;
                uint8_t ref[MAXN];
                for (size_t i = 0; i < COUNT; i++) {
                    size_t fsz = lg_tmpl_frame_size(N);
                    uint8_t *key = frames + off + fsz - N - 4;
                    bool known = false;
                    for (int j = 0; j < LG_KEYS; j++) known |= memcmp(key, &t.keys[j], 4) == 0;
                    assert_true(known);
                    size_t esz = echo_of(echoes + eoff, frames + off, fsz);
                    assert_int_equal(esz, lg_tmpl_echo_size(N));
                    eoff += esz;
                    uint8_t *pl = frames + off + fsz - N;
                    ws_mask_apply(pl, N, key, 0);
                    lg_stamp s = first, got;
                    s.seq += i;
                    lg_payload_fill(ref, N);
                    lg_payload_stamp(ref, N, &s);
                    assert_memory_equal(pl, ref, N);
                    assert_int_equal(lg_payload_verify(pl, N, &got), LG_VERIFY_OK);
                    assert_true(got.seq == s.seq && got.t_ns == s.t_ns && got.conn == s.conn);
                    off += fsz;
                }
                /* A run stops where the high digits change (a multiple of
                 * 2^32), so a whole read may take two calls. */
                size_t used, total = 0, taken = 0;
                lg_stamp at = first;
                while (taken < COUNT) {
                    size_t m = lg_tmpl_echoes(&t, echoes + total, eoff - total, N, &at,
                                              COUNT - taken, &used);
                    assert_true(m > 0);
                    taken += m;
                    total += used;
                    at.seq += m;
                }
                assert_int_equal(total, eoff);
            }
            lg_tmpl_free(&t);
        }
    }
}

/* The run check takes the echoes before the first one that is not exactly
 * the next as sent, and stops there, whatever is wrong with it: any bit of
 * any byte flipped (header, stamp, fill), a message missing, one twice, two
 * swapped, another length, another time or connection, a masked or
 * fragmented frame, a ping in between, a frame cut short. */
static void test_echoes_stop_at_first_difference(void **state)
{
    (void)state;
    enum { N = 64, COUNT = 6 };
    lg_tmpl t;
    assert_int_equal(lg_tmpl_init(&t, WS_OP_TEXT, N), 0);
    ws_mask_rng rng;
    ws_mask_rng_seed(&rng, 5);
    lg_stamp first = {.seq = 250, .t_ns = 77, .conn = 9};
    uint8_t frames[COUNT * (N + 6)], echo[COUNT * (N + 2)], bad[(COUNT + 1) * (N + 14)];
    lg_tmpl_write_run(&t, frames, N, &first, COUNT, &rng);
    size_t fsz = N + 2, elen = 0, used;
    for (size_t i = 0; i < COUNT; i++) elen += echo_of(echo + elen, frames + i * (N + 6), N + 6);
    assert_int_equal(lg_tmpl_echoes(&t, echo, elen, N, &first, COUNT, &used), COUNT);
    assert_int_equal(used, elen);
    /* At most max, and whole frames only. */
    assert_int_equal(lg_tmpl_echoes(&t, echo, elen, N, &first, 4, &used), 4);
    assert_int_equal(lg_tmpl_echoes(&t, echo, elen - 1, N, &first, COUNT, &used), COUNT - 1);
    assert_int_equal(used, (COUNT - 1) * fsz);
    for (size_t j = 0; j < fsz; j++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            memcpy(bad, echo, elen);
            bad[3 * fsz + j] ^= (uint8_t)(1u << bit);
            assert_int_equal(lg_tmpl_echoes(&t, bad, elen, N, &first, COUNT, &used), 3);
            assert_int_equal(used, 3 * fsz);
        }
    }
    /* Missing (4 where 3 should be), twice (2 again), swapped (4 before 3). */
    memcpy(bad, echo, 3 * fsz);
    memcpy(bad + 3 * fsz, echo + 4 * fsz, 2 * fsz);
    assert_int_equal(lg_tmpl_echoes(&t, bad, 5 * fsz, N, &first, COUNT, &used), 3);
    memcpy(bad, echo, 3 * fsz);
    memcpy(bad + 3 * fsz, echo + 2 * fsz, 3 * fsz);
    assert_int_equal(lg_tmpl_echoes(&t, bad, 6 * fsz, N, &first, COUNT, &used), 3);
    memcpy(bad, echo, elen);
    memcpy(bad + 3 * fsz, echo + 4 * fsz, fsz);
    memcpy(bad + 4 * fsz, echo + 3 * fsz, fsz);
    assert_int_equal(lg_tmpl_echoes(&t, bad, elen, N, &first, COUNT, &used), 3);
    /* Other time, connection, length: none taken. */
    lg_stamp other = first;
    other.t_ns++;
    assert_int_equal(lg_tmpl_echoes(&t, echo, elen, N, &other, COUNT, &used), 0);
    other = first;
    other.conn++;
    assert_int_equal(lg_tmpl_echoes(&t, echo, elen, N, &other, COUNT, &used), 0);
    assert_int_equal(lg_tmpl_echoes(&t, echo, elen, N - 1, &first, COUNT, &used), 0);
    /* Frames that are not echoes: FIN clear, binary, RSV1, masked, a ping. */
    uint8_t hdr[][2] = {{0x01, N}, {0x82, N}, {0xC1, N}, {0x81, 0x80 | N}};
    for (size_t k = 0; k < sizeof hdr / sizeof hdr[0]; k++) {
        memcpy(bad, echo, elen);
        memcpy(bad + 2 * fsz, hdr[k], 2);
        assert_int_equal(lg_tmpl_echoes(&t, bad, elen, N, &first, COUNT, &used), 2);
    }
    memcpy(bad, echo, 2 * fsz);
    memcpy(bad + 2 * fsz, "\x89\x00", 2);
    memcpy(bad + 2 * fsz + 2, echo + 2 * fsz, elen - 2 * fsz);
    assert_int_equal(lg_tmpl_echoes(&t, bad, elen + 2, N, &first, COUNT, &used), 2);
    lg_tmpl_free(&t);
}

/* Echoes of payloads longer than the template's own are not its messages:
 * the run check takes none of them (and reads nothing past the template's
 * payload, which ASan would flag), though they are whole, good echoes that a
 * template of their length takes. */
static void test_echoes_longer_than_template(void **state)
{
    (void)state;
    enum { MAXN = 64, N = 200, COUNT = 4 };
    lg_tmpl t, wide;
    assert_int_equal(lg_tmpl_init(&t, WS_OP_TEXT, MAXN), 0);
    assert_int_equal(lg_tmpl_init(&wide, WS_OP_TEXT, N), 0);
    ws_mask_rng rng;
    ws_mask_rng_seed(&rng, 11);
    lg_stamp first = {.seq = 3, .t_ns = 500, .conn = 2};
    static uint8_t frames[COUNT * (N + 8)], echo[COUNT * (N + 4)];
    size_t fsz = lg_tmpl_frame_size(N), elen = 0, used = 1;
    assert_int_equal(lg_tmpl_write_run(&wide, frames, N, &first, COUNT, &rng), COUNT * fsz);
    for (size_t i = 0; i < COUNT; i++) elen += echo_of(echo + elen, frames + i * fsz, fsz);
    assert_int_equal(lg_tmpl_echoes(&t, echo, elen, N, &first, COUNT, &used), 0);
    assert_int_equal(used, 0);
    assert_int_equal(lg_tmpl_echoes(&wide, echo, elen, N, &first, COUNT, &used), COUNT);
    assert_int_equal(used, elen);
    lg_tmpl_free(&t);
    lg_tmpl_free(&wide);
}

/* lg_track_next_n records what as many lg_track_next calls record, across
 * word and window boundaries. */
static void test_track_next_n(void **state)
{
    (void)state;
    uint64_t runs[] = {1, 3, 60, 64, 65, 1, 200, 256, 300, 7, 129};
    lg_track a = {0}, b = {0};
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        lg_track_next_n(&a, runs[r]);
        for (uint64_t i = 0; i < runs[r]; i++) lg_track_next(&b);
        assert_memory_equal(&a, &b, sizeof a);
        uint64_t gap;
        lg_track c = a;
        assert_int_equal(lg_track_see(&c, a.next - 1, &gap), LG_TRACK_DUPLICATE);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stamp_round_trip),
        cmocka_unit_test(test_every_byte_flip_detected),
        cmocka_unit_test(test_template_frames_parse),
        cmocka_unit_test(test_track_classes),
        cmocka_unit_test(test_consecutive_stamps),
        cmocka_unit_test(test_write_run_and_echoes),
        cmocka_unit_test(test_echoes_stop_at_first_difference),
        cmocka_unit_test(test_echoes_longer_than_template),
        cmocka_unit_test(test_track_next_n),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
