/* Unit tests for ws_utf8: a table of valid and invalid sequences after Markus
 * Kuhn's UTF-8 decoder stress test, fail-fast offsets, splits across feeds,
 * and a property test against an arithmetic reference decoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ws/ws_utf8.h"

/* ---- reference decoder ------------------------------------------------
 * Written independently of the DFA: a byte sequence is a valid PREFIX when
 * some code point that is legal for its sequence length has an encoding that
 * starts with those bytes. The interval of code points a prefix can still
 * become is computed arithmetically and intersected with the legal set. */

static int legal_overlap(uint32_t lo, uint32_t hi, int len)
{
    if (len == 2) return hi >= 0x80 && lo <= 0x7FF;
    if (len == 3) {
        /* 0x800..0xFFFF minus the surrogates */
        return (hi >= 0x800 && lo <= 0xD7FF) || (hi >= 0xE000 && lo <= 0xFFFF);
    }
    return hi >= 0x10000 && lo <= 0x10FFFF;
}

/* Returns 0 = OK, 1 = PARTIAL, -1 = INVALID with *err set. */
static int ref_check(const uint8_t *p, size_t n, size_t *err)
{
    size_t i = 0;
    while (i < n) {
        uint8_t b = p[i];
        int len;
        uint32_t v;
        if (b < 0x80) {
            i++;
            continue;
        } else if ((b & 0xE0) == 0xC0) {
            len = 2, v = b & 0x1F;
        } else if ((b & 0xF0) == 0xE0) {
            len = 3, v = b & 0x0F;
        } else if ((b & 0xF8) == 0xF0) {
            len = 4, v = b & 0x07;
        } else {
            *err = i;
            return -1;
        }
        for (int k = 0; k < len; k++) {
            if (i + k >= n) return 1;
            if (k > 0) {
                if ((p[i + k] & 0xC0) != 0x80) {
                    *err = i + k;
                    return -1;
                }
                v = (v << 6) | (p[i + k] & 0x3F);
            }
            int rest = 6 * (len - 1 - k);
            uint32_t lo = v << rest, hi = lo | ((1u << rest) - 1);
            if (!legal_overlap(lo, hi, len)) {
                *err = i + k;
                return -1;
            }
        }
        i += len;
    }
    return 0;
}

/* ---- helpers ---------------------------------------------------------- */

/* Copies into a heap buffer of exactly n bytes so ASan catches over-reads
 * (the ASCII fast path reads 8 bytes at a time). */
static int feed_exact(ws_utf8 *v, const uint8_t *p, size_t n)
{
    uint8_t *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    if (n) memcpy(copy, p, n);
    int r = ws_utf8_feed(v, copy, n);
    free(copy);
    return r;
}

/* Whole-message result: OK, or INVALID with *err. */
static int check_whole(const uint8_t *p, size_t n, uint64_t *err)
{
    ws_utf8 v;
    ws_utf8_init(&v);
    feed_exact(&v, p, n);
    int r = ws_utf8_finish(&v);
    *err = v.error_at;
    return r;
}

struct seq {
    const char *name;
    const char *bytes;
    size_t len;
    long error_at; /* -1 = valid */
};

#define S(name, lit, err)                                                                          \
    {                                                                                              \
        name, lit, sizeof(lit) - 1, err                                                            \
    }

static const struct seq valid_seqs[] = {
    S("empty", "", -1),
    S("ascii", "Hello, world", -1),
    S("kosme (Greek)", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", -1),
    /* 2.1 first possible sequence of each length */
    S("U+0000", "\x00", -1),
    S("U+0080", "\xc2\x80", -1),
    S("U+0800", "\xe0\xa0\x80", -1),
    S("U+10000", "\xf0\x90\x80\x80", -1),
    /* 2.2 last possible sequence of each length */
    S("U+007F", "\x7f", -1),
    S("U+07FF", "\xdf\xbf", -1),
    S("U+FFFF (noncharacter, valid)", "\xef\xbf\xbf", -1),
    S("U+10FFFF", "\xf4\x8f\xbf\xbf", -1),
    /* 2.3 other boundary conditions */
    S("U+D7FF", "\xed\x9f\xbf", -1),
    S("U+E000", "\xee\x80\x80", -1),
    S("U+FFFD", "\xef\xbf\xbd", -1),
    S("U+FFFE (noncharacter, valid)", "\xef\xbf\xbe", -1),
    S("U+FDD0 (noncharacter, valid)", "\xef\xb7\x90", -1),
    S("U+1FFFF", "\xf0\x9f\xbf\xbf", -1),
    S("U+10FFFE", "\xf4\x8f\xbf\xbe", -1),
    S("mixed", "a\xc3\xa9z\xe2\x82\xac!\xf0\x9f\x98\x80.", -1),
};

static const struct seq invalid_seqs[] = {
    /* 3.1 unexpected continuation bytes */
    S("lone 80", "\x80", 0),
    S("lone BF", "\xbf", 0),
    S("ascii then 80", "ab\x80", 2),
    S("80 BF", "\x80\xbf", 0),
    S("valid 2-byte then extra continuation", "\xc3\xa9\xa9", 2),
    S("valid 4-byte then extra continuation", "\xf0\x9f\x98\x80\x80", 4),
    /* 3.2 lonely start characters (followed by a space) */
    S("C2 space", "\xc2 ", 1),
    S("DF space", "\xdf ", 1),
    S("E1 space", "\xe1 ", 1),
    S("EF space", "\xef ", 1),
    S("F1 space", "\xf1 ", 1),
    S("C2 C2", "\xc2\xc2", 1),
    /* 3.3 sequences with last continuation byte missing, then ASCII */
    S("E1 80 then ascii", "\xe1\x80x", 2),
    S("F1 80 80 then ascii", "\xf1\x80\x80x", 3),
    S("E1 80 then lead", "\xe1\x80\xc3\xa9", 2),
    /* 3.3/3.4 truncated at end of message: invalid at the end */
    S("C2 at end", "\xc2", 1),
    S("E1 80 at end", "\xe1\x80", 2),
    S("F0 90 80 at end", "\xf0\x90\x80", 3),
    S("ascii then F4 8F BF at end", "ab\xf4\x8f\xbf", 5),
    /* 3.5 impossible bytes */
    S("FE", "\xfe", 0),
    S("FF", "\xff", 0),
    S("FE FE FF FF", "\xfe\xfe\xff\xff", 0),
    S("F5", "\xf5\x80\x80\x80", 0),
    S("F8 (5-byte lead)", "\xf8\x88\x80\x80\x80", 0),
    S("FC (6-byte lead)", "\xfc\x84\x80\x80\x80\x80", 0),
    /* 4.1 overlong ASCII '/' */
    S("overlong / 2", "\xc0\xaf", 0),
    S("overlong / 3", "\xe0\x80\xaf", 1),
    S("overlong / 4", "\xf0\x80\x80\xaf", 1),
    S("overlong / 5", "\xf8\x80\x80\x80\xaf", 0),
    /* 4.2 maximum overlongs */
    S("overlong U+007F", "\xc1\xbf", 0),
    S("overlong U+07FF", "\xe0\x9f\xbf", 1),
    S("overlong U+FFFF", "\xf0\x8f\xbf\xbf", 1),
    /* 4.3 overlong NUL */
    S("overlong NUL 2", "\xc0\x80", 0),
    S("overlong NUL 3", "\xe0\x80\x80", 1),
    S("overlong NUL 4", "\xf0\x80\x80\x80", 1),
    /* above U+10FFFF */
    S("U+110000", "\xf4\x90\x80\x80", 1),
    S("U+13FFFF", "\xf4\xbf\xbf\xbf", 1),
    S("F7 BF BF BF", "\xf7\xbf\xbf\xbf", 0),
    /* 5.1 single surrogates */
    S("U+D800", "\xed\xa0\x80", 1),
    S("U+DB7F", "\xed\xad\xbf", 1),
    S("U+DC00", "\xed\xb0\x80", 1),
    S("U+DFFF", "\xed\xbf\xbf", 1),
    S("ascii then U+D800", "abc\xed\xa0\x80", 4),
    /* 5.2 paired surrogates (CESU-8) */
    S("U+D800 U+DC00", "\xed\xa0\x80\xed\xb0\x80", 1),
    S("U+DBFF U+DFFF", "\xed\xaf\xbf\xed\xbf\xbf", 1),
    /* fail-fast after a long valid prefix (crosses the 8-byte fast path) */
    S("long ascii then C0", "0123456789abcdef0123\xc0", 20),
    S("valid text then surrogate", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5 \xed\xa0\x80", 13),
};

/* ---- tests ------------------------------------------------------------ */

static void test_valid_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(valid_seqs) / sizeof(valid_seqs[0]); i++) {
        const struct seq *t = &valid_seqs[i];
        uint64_t err;
        if (check_whole((const uint8_t *)t->bytes, t->len, &err) != WS_UTF8_OK)
            fail_msg("valid sequence rejected: %s", t->name);
        assert_int_equal(ws_utf8_valid((const uint8_t *)t->bytes, t->len), 1);
    }
}

static void test_invalid_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(invalid_seqs) / sizeof(invalid_seqs[0]); i++) {
        const struct seq *t = &invalid_seqs[i];
        uint64_t err;
        if (check_whole((const uint8_t *)t->bytes, t->len, &err) != WS_UTF8_INVALID)
            fail_msg("invalid sequence accepted: %s", t->name);
        if (err != (uint64_t)t->error_at)
            fail_msg("%s: error_at %llu, want %ld", t->name, (unsigned long long)err, t->error_at);
        assert_int_equal(ws_utf8_valid((const uint8_t *)t->bytes, t->len), 0);
    }
}

/* Every code point U+0000..U+10FFFF, encoded by hand: surrogates must be
 * rejected at the second byte, everything else accepted. */
static void test_all_code_points(void **state)
{
    (void)state;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        uint8_t b[4];
        size_t n;
        if (cp < 0x80) {
            b[0] = (uint8_t)cp, n = 1;
        } else if (cp < 0x800) {
            b[0] = (uint8_t)(0xC0 | cp >> 6), b[1] = (uint8_t)(0x80 | (cp & 0x3F)), n = 2;
        } else if (cp < 0x10000) {
            b[0] = (uint8_t)(0xE0 | cp >> 12), b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
            b[2] = (uint8_t)(0x80 | (cp & 0x3F)), n = 3;
        } else {
            b[0] = (uint8_t)(0xF0 | cp >> 18), b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
            b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)), b[3] = (uint8_t)(0x80 | (cp & 0x3F));
            n = 4;
        }
        ws_utf8 v;
        ws_utf8_init(&v);
        int r = ws_utf8_feed(&v, b, n);
        int surrogate = cp >= 0xD800 && cp <= 0xDFFF;
        if (surrogate) {
            if (r != WS_UTF8_INVALID || v.error_at != 1) fail_msg("U+%04X accepted", cp);
        } else if (r != WS_UTF8_OK) {
            fail_msg("U+%04X rejected", cp);
        }
    }
}

/* A code point split across fragments is PARTIAL until it completes. */
static void test_split_across_feeds(void **state)
{
    (void)state;
    const uint8_t euro[] = {0xE2, 0x82, 0xAC};
    ws_utf8 v;
    ws_utf8_init(&v);
    assert_int_equal(ws_utf8_feed(&v, euro, 1), WS_UTF8_PARTIAL);
    assert_int_equal(ws_utf8_feed(&v, euro + 1, 1), WS_UTF8_PARTIAL);
    assert_int_equal(ws_utf8_feed(&v, NULL, 0), WS_UTF8_PARTIAL);
    assert_int_equal(ws_utf8_feed(&v, euro + 2, 1), WS_UTF8_OK);
    assert_int_equal(ws_utf8_finish(&v), WS_UTF8_OK);
    assert_int_equal(v.consumed, 3);

    /* truncated at the end of the message: INVALID at finish, at `consumed` */
    ws_utf8_init(&v);
    assert_int_equal(ws_utf8_feed(&v, (const uint8_t *)"ab", 2), WS_UTF8_OK);
    assert_int_equal(ws_utf8_feed(&v, euro, 2), WS_UTF8_PARTIAL);
    assert_int_equal(ws_utf8_finish(&v), WS_UTF8_INVALID);
    assert_int_equal(v.error_at, 4);

    /* a surrogate split after ED fails at the first byte of the next feed */
    const uint8_t sur[] = {'x', 0xED, 0xA0, 0x80};
    ws_utf8_init(&v);
    assert_int_equal(ws_utf8_feed(&v, sur, 2), WS_UTF8_PARTIAL);
    assert_int_equal(ws_utf8_feed(&v, sur + 2, 2), WS_UTF8_INVALID);
    assert_int_equal(v.error_at, 2);
}

/* Once INVALID, always INVALID, and error_at never moves. */
static void test_sticky_failure(void **state)
{
    (void)state;
    ws_utf8 v;
    ws_utf8_init(&v);
    assert_int_equal(ws_utf8_feed(&v, (const uint8_t *)"a\xff", 2), WS_UTF8_INVALID);
    assert_int_equal(v.error_at, 1);
    assert_int_equal(ws_utf8_feed(&v, (const uint8_t *)"valid", 5), WS_UTF8_INVALID);
    assert_int_equal(ws_utf8_finish(&v), WS_UTF8_INVALID);
    assert_int_equal(v.error_at, 1);
    assert_int_equal(v.consumed, 7);

    /* re-init resets everything */
    ws_utf8_init(&v);
    assert_int_equal(ws_utf8_feed(&v, (const uint8_t *)"ok", 2), WS_UTF8_OK);
    assert_int_equal(ws_utf8_finish(&v), WS_UTF8_OK);
}

/* Exercise the 8-byte ASCII fast path at every alignment and every position
 * of a bad byte inside and around a word. */
static void test_fast_path_positions(void **state)
{
    (void)state;
    uint8_t buf[64];
    for (size_t len = 1; len <= sizeof(buf); len++) {
        for (size_t bad = 0; bad < len; bad++) {
            memset(buf, 'a', len);
            buf[bad] = 0x80;
            uint64_t err;
            assert_int_equal(check_whole(buf, len, &err), WS_UTF8_INVALID);
            assert_int_equal(err, bad);
            /* a valid 2-byte sequence there instead is fine */
            if (bad + 1 < len) {
                buf[bad] = 0xC3, buf[bad + 1] = 0xA9;
                assert_int_equal(check_whole(buf, len, &err), WS_UTF8_OK);
            }
        }
    }
}

/* ---- property test against the reference ----------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32);
}

/* Bytes near every class boundary, so random strings hit the edge cases
 * far more often than uniform bytes would. */
static const uint8_t interesting[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF,
                                      0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE,
                                      0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF8, 0xFE, 0xFF};

static uint8_t random_byte(void)
{
    uint32_t r = rng() % 8;
    if (r < 3) return interesting[rng() % sizeof(interesting)];
    if (r < 5) return (uint8_t)(0x80 | (rng() & 0x3F)); /* continuation */
    if (r < 7) return (uint8_t)('a' + rng() % 26);
    return (uint8_t)rng();
}

/* Feeds p in two pieces split at k; checks every result against ref. */
static void check_split(const uint8_t *p, size_t n, size_t k)
{
    size_t ref_err = 0, prefix_err = 0;
    int ref = ref_check(p, n, &ref_err);
    int ref_prefix = ref_check(p, k, &prefix_err);

    ws_utf8 v;
    ws_utf8_init(&v);
    int r1 = feed_exact(&v, p, k);
    if (ref_prefix < 0) {
        assert_int_equal(r1, WS_UTF8_INVALID);
        assert_int_equal(v.error_at, prefix_err);
    } else {
        assert_int_equal(r1, ref_prefix == 0 ? WS_UTF8_OK : WS_UTF8_PARTIAL);
    }
    int r2 = feed_exact(&v, p + k, n - k);
    int fin = ws_utf8_finish(&v);
    if (ref < 0) {
        assert_int_equal(r2, WS_UTF8_INVALID);
        assert_int_equal(fin, WS_UTF8_INVALID);
        assert_int_equal(v.error_at, ref_err);
    } else if (ref == 1) {
        assert_int_equal(r2, WS_UTF8_PARTIAL);
        assert_int_equal(fin, WS_UTF8_INVALID);
        assert_int_equal(v.error_at, n);
    } else {
        assert_int_equal(r2, WS_UTF8_OK);
        assert_int_equal(fin, WS_UTF8_OK);
    }
}

static void test_property_random_vs_reference(void **state)
{
    (void)state;
    uint8_t buf[48];
    int seen_ok = 0, seen_invalid = 0, seen_partial = 0;
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = rng() % (sizeof(buf) + 1);
        /* short strings of random bytes, or a long ASCII run with a few
         * random bytes sprinkled in (reaches the fast path) */
        int sparse = iter % 3 == 0;
        for (size_t i = 0; i < n; i++)
            buf[i] = sparse && rng() % 10 ? (uint8_t)('A' + rng() % 26) : random_byte();
        size_t e;
        int ref = ref_check(buf, n, &e);
        seen_ok += ref == 0, seen_invalid += ref < 0, seen_partial += ref == 1;
        for (size_t k = 0; k <= n; k++) check_split(buf, n, k);
    }
    /* the generator must actually cover all three outcomes */
    assert_true(seen_ok > 100);
    assert_true(seen_invalid > 100);
    assert_true(seen_partial > 100);
}

/* Valid random text built from random code points: the reference and the
 * validator must both accept it at every split (valid inputs are rare in
 * the random-bytes test above). */
static void test_property_random_valid_text(void **state)
{
    (void)state;
    uint8_t buf[64];
    for (int iter = 0; iter < 5000; iter++) {
        size_t n = 0;
        while (n + 4 <= sizeof(buf) && rng() % 16) {
            uint32_t cp;
            do cp = rng() % 0x110000 >> (rng() % 4 * 5);
            while (cp >= 0xD800 && cp <= 0xDFFF);
            if (cp < 0x80) {
                buf[n++] = (uint8_t)cp;
            } else if (cp < 0x800) {
                buf[n++] = (uint8_t)(0xC0 | cp >> 6);
                buf[n++] = (uint8_t)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                buf[n++] = (uint8_t)(0xE0 | cp >> 12);
                buf[n++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
                buf[n++] = (uint8_t)(0x80 | (cp & 0x3F));
            } else {
                buf[n++] = (uint8_t)(0xF0 | cp >> 18);
                buf[n++] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
                buf[n++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
                buf[n++] = (uint8_t)(0x80 | (cp & 0x3F));
            }
        }
        size_t e;
        assert_int_equal(ref_check(buf, n, &e), 0);
        for (size_t k = 0; k <= n; k++) check_split(buf, n, k);
    }
}

/* The reference itself must agree with the hand-written table, or the
 * property tests would prove nothing. */
static void test_reference_agrees_with_table(void **state)
{
    (void)state;
    size_t err;
    for (size_t i = 0; i < sizeof(valid_seqs) / sizeof(valid_seqs[0]); i++)
        assert_int_equal(ref_check((const uint8_t *)valid_seqs[i].bytes, valid_seqs[i].len, &err),
                         0);
    for (size_t i = 0; i < sizeof(invalid_seqs) / sizeof(invalid_seqs[0]); i++) {
        const struct seq *t = &invalid_seqs[i];
        int r = ref_check((const uint8_t *)t->bytes, t->len, &err);
        if (r == 1) err = t->len;
        if (r == 0 || err != (size_t)t->error_at)
            fail_msg("reference disagrees on %s (r=%d err=%zu)", t->name, r, err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_table),
        cmocka_unit_test(test_invalid_table),
        cmocka_unit_test(test_all_code_points),
        cmocka_unit_test(test_split_across_feeds),
        cmocka_unit_test(test_sticky_failure),
        cmocka_unit_test(test_fast_path_positions),
        cmocka_unit_test(test_reference_agrees_with_table),
        cmocka_unit_test(test_property_random_vs_reference),
        cmocka_unit_test(test_property_random_valid_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
