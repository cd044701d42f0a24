/* lg_payload and lg_track: stamps round-trip, every single-byte corruption is
 * caught, frames parse back with ws/, and sequence tracking classes lost,
 * duplicated and reordered numbers. */
#include <setjmp.h>
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
}

/* Runs of consecutive sequence numbers across digit carries (f -> 10,
 * ffffffff -> 1 00000000), with jumps between runs: the digits built from the
 * previous number's must be the ones a fresh encoding gives, and an echo
 * checked against the words kept at send time must accept exactly that stamp. */
static void test_consecutive_stamps_and_kept_words(void **state)
{
    (void)state;
    enum { N = 64 };
    lg_tmpl t;
    assert_int_equal(lg_tmpl_init(&t, WS_OP_BINARY, N), 0);
    ws_mask_rng rng;
    ws_mask_rng_seed(&rng, 7);
    lg_stamp_cache echo;
    lg_stamp_cache_init(&echo);
    uint64_t starts[] = {0, 0xfff0, 0xfffffff0ull, 0x1fffffff0ull, 5, 0xabcdeffff0ull};
    uint8_t out[N + 14], copy[LG_STAMP_LEN], ref[N];
    for (size_t r = 0; r < sizeof starts / sizeof starts[0]; r++) {
        for (uint64_t seq = starts[r]; seq < starts[r] + 40; seq++) {
            lg_stamp s = {.seq = seq, .t_ns = 1000 + seq / 8, .conn = 3}, got;
            size_t len = lg_tmpl_write(&t, out, N, &s, &rng, copy);
            lg_payload_fill(ref, N);
            lg_payload_stamp(ref, N, &s);
            assert_memory_equal(copy, ref, LG_STAMP_LEN);
            assert_int_equal(lg_payload_verify(copy, LG_STAMP_LEN, &got), LG_VERIFY_STAMP);
            lg_stamp_var v;
            lg_payload_stamp_var(ref, &v);
            assert_true(v.seq_w == t.last.seq_w && v.sum_w == t.last.sum_w);
            uint8_t *pl = out + len - N;
            ws_mask_apply(pl, N, out + len - N - 4, 0);
            assert_memory_equal(pl, ref, N);
            assert_true(lg_payload_stamp_matches(&echo, pl, N, &s, &v));
            assert_true(lg_payload_stamp_is(&echo, pl, N, &s));
            assert_int_equal(lg_payload_echo_check(&echo, pl, N, &s, &v), LG_VERIFY_OK);
            pl[N - 1 - seq % 24] ^= 1;
            assert_int_equal(lg_payload_echo_check(&echo, pl, N, &s, &v), LG_VERIFY_FILL);
            pl[N - 1 - seq % 24] ^= 1;
            pl[seq % LG_STAMP_LEN] ^= 1;
            assert_int_equal(lg_payload_echo_check(&echo, pl, N, &s, &v), LG_VERIFY_STAMP);
            pl[seq % LG_STAMP_LEN] ^= 1;
            for (size_t i = 0; i < LG_STAMP_LEN; i += 7) {
                pl[i] ^= 0x20;
                assert_false(lg_payload_stamp_matches(&echo, pl, N, &s, &v));
                pl[i] ^= 0x20;
            }
            /* Another number than the one sent is not this stamp. */
            lg_stamp other = s;
            other.seq = seq + 1;
            assert_false(lg_payload_stamp_is(&echo, pl, N, &other));
        }
    }
    lg_tmpl_free(&t);
}

/* A run written by lg_tmpl_write_run is byte for byte the frames
 * lg_tmpl_write gives one at a time (same mask keys, consecutive numbers
 * across a digit carry), with each frame's kept words; every frame unmasks to
 * the stamped payload and passes the echo check. Sizes around the 8- and
 * 16-byte steps of the fill. */
static void test_write_run_matches_single_writes(void **state)
{
    (void)state;
    enum { MAXN = 200, COUNT = 20 };
    size_t sizes[] = {40, 47, 48, 56, 64, 71, 100, 200};
    static uint8_t a[COUNT * (MAXN + 14)], b[COUNT * (MAXN + 14)];
    for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
        size_t N = sizes[z];
        lg_tmpl ta, tb;
        assert_int_equal(lg_tmpl_init(&ta, WS_OP_TEXT, MAXN), 0);
        assert_int_equal(lg_tmpl_init(&tb, WS_OP_TEXT, MAXN), 0);
        ws_mask_rng ra, rb;
        ws_mask_rng_seed(&ra, 99 + z);
        ws_mask_rng_seed(&rb, 99 + z);
        lg_stamp first = {.seq = 0xfffffff6ull, .t_ns = 123456789, .conn = 42};
        lg_stamp_var vars[COUNT];
        size_t na = lg_tmpl_write_run(&ta, a, N, &first, COUNT, &ra, vars);
        assert_int_equal(na, COUNT * lg_tmpl_frame_size(N));
        size_t nb = 0;
        lg_stamp_cache echo;
        lg_stamp_cache_init(&echo);
        for (size_t i = 0; i < COUNT; i++) {
            lg_stamp s = first;
            s.seq += i;
            size_t f = lg_tmpl_write(&tb, b + nb, N, &s, &rb, NULL);
            assert_true(vars[i].seq_w == tb.last.seq_w && vars[i].sum_w == tb.last.sum_w);
            uint8_t *pl = a + nb + f - N;
            ws_mask_apply(pl, N, pl - 4, 0);
            assert_int_equal(lg_payload_echo_check(&echo, pl, N, &s, &vars[i]), LG_VERIFY_OK);
            lg_stamp got;
            assert_int_equal(lg_payload_verify(pl, N, &got), LG_VERIFY_OK);
            assert_true(got.seq == s.seq && got.t_ns == s.t_ns && got.conn == s.conn);
            ws_mask_apply(pl, N, pl - 4, 0);
            nb += f;
        }
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
        lg_tmpl_free(&ta);
        lg_tmpl_free(&tb);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stamp_round_trip),
        cmocka_unit_test(test_every_byte_flip_detected),
        cmocka_unit_test(test_template_frames_parse),
        cmocka_unit_test(test_track_classes),
        cmocka_unit_test(test_consecutive_stamps_and_kept_words),
        cmocka_unit_test(test_write_run_matches_single_writes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
