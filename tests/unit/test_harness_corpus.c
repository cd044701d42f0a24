/* Unit tests for hs_corpus, the seeded documents behind {"corpus": ...}:
 * the same seed gives the same bytes, slices are consecutive parts of one
 * document, the text kinds are valid UTF-8 at every size and offset and carry
 * non-ASCII characters, words follow a Zipf-like law, passages come back from
 * far behind, and each kind compresses like the real thing rather than like
 * one paragraph repeated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "harness/hs_corpus.h"
#include "ws/ws_utf8.h"

static const int text_kinds[] = {HS_CORPUS_JSON, HS_CORPUS_PROSE, HS_CORPUS_HTML};
#define N_TEXT (sizeof text_kinds / sizeof text_kinds[0])

static uint8_t *make(int kind, uint64_t seed, uint64_t offset, size_t size)
{
    uint8_t *b = malloc(size ? size : 1);
    assert_non_null(b);
    hs_corpus_fill(kind, seed, offset, size, b);
    return b;
}

static double deflate_ratio(const uint8_t *b, size_t n)
{
    uLongf cap = compressBound((uLong)n);
    uint8_t *z = malloc(cap);
    assert_non_null(z);
    assert_int_equal(compress2(z, &cap, b, (uLong)n, Z_DEFAULT_COMPRESSION), Z_OK);
    free(z);
    return (double)cap / (double)n;
}

static void test_kind_names(void **state)
{
    (void)state;
    assert_int_equal(hs_corpus_kind_parse("json"), HS_CORPUS_JSON);
    assert_int_equal(hs_corpus_kind_parse("bitmap"), HS_CORPUS_BITMAP);
    assert_int_equal(hs_corpus_kind_parse("prose"), HS_CORPUS_PROSE);
    assert_int_equal(hs_corpus_kind_parse("html"), HS_CORPUS_HTML);
    assert_int_equal(hs_corpus_kind_parse("pdf"), HS_CORPUS_PDF);
    assert_int_equal(hs_corpus_kind_parse("JSON"), -1);
    assert_int_equal(hs_corpus_kind_parse(""), -1);
}

static void test_same_seed_same_bytes(void **state)
{
    (void)state;
    for (int k = 0; k < HS_CORPUS_KINDS; k++) {
        uint8_t *a = make(k, 42, 0, 300000), *b = make(k, 42, 0, 300000);
        uint8_t *c = make(k, 43, 0, 300000);
        assert_memory_equal(a, b, 300000);
        /* another seed, another document (the opening of a file may agree) */
        assert_memory_not_equal(a + 2000, c + 2000, 298000);
        free(a);
        free(b);
        free(c);
    }
    /* a different kind with the same seed is another document too */
    uint8_t *j = make(HS_CORPUS_JSON, 5, 0, 4096), *h = make(HS_CORPUS_HTML, 5, 0, 4096);
    assert_memory_not_equal(j, h, 4096);
    free(j);
    free(h);
}

/* fill(offset, n) is bytes [offset, offset + n) of the whole document, where
 * the cut does not fall inside a character. */
static void test_slices_are_consecutive(void **state)
{
    (void)state;
    static const size_t cuts[] = {1, 16, 255, 4096, 70001, 263222, 300000};
    for (int k = 0; k < HS_CORPUS_KINDS; k++) {
        uint8_t *doc = make(k, 9, 0, 400000);
        for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
            size_t at = cuts[i];
            while ((doc[at] & 0xC0) == 0x80) at++; /* start on a character */
            size_t n = 4096;
            while ((doc[at + n] & 0xC0) == 0x80) n++; /* and end before one */
            uint8_t *slice = make(k, 9, at, n);
            if (memcmp(slice, doc + at, n))
                fail_msg("kind %d: slice at %zu differs from the document", k, at);
            free(slice);
        }
        free(doc);
    }
}

static void test_text_is_valid_utf8(void **state)
{
    (void)state;
    static const size_t sizes[] = {0,  1,  2,  3,   4,   5,   7,   8,    15,   16,  17,
                                   31, 63, 64, 100, 127, 128, 255, 1000, 4093, 8191};
    for (size_t t = 0; t < N_TEXT; t++) {
        for (uint64_t seed = 0; seed < 200; seed++) {
            for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
                /* offsets that start inside characters as well as between them */
                uint64_t offset = (seed % 4 == 0) ? 0 : seed * 37 + i;
                uint8_t *b = make(text_kinds[t], seed, offset, sizes[i]);
                if (!ws_utf8_valid(b, sizes[i]))
                    fail_msg("kind %d seed %llu offset %llu size %zu: not valid UTF-8",
                             text_kinds[t], (unsigned long long)seed, (unsigned long long)offset,
                             sizes[i]);
                free(b);
            }
        }
        for (uint64_t seed = 0; seed < 8; seed++) {
            uint8_t *b = make(text_kinds[t], seed, seed * 1001, 300001);
            assert_true(ws_utf8_valid(b, 300001));
            free(b);
        }
    }
}

static size_t count_of(const uint8_t *b, size_t n, const char *needle)
{
    size_t k = strlen(needle), c = 0;
    for (size_t i = 0; i + k <= n; i++) c += !memcmp(b + i, needle, k);
    return c;
}

static void test_text_has_non_ascii(void **state)
{
    (void)state;
    for (size_t t = 0; t < N_TEXT; t++) {
        uint8_t *b = make(text_kinds[t], 3, 0, 65536);
        size_t high = 0;
        for (size_t i = 0; i < 65536; i++) high += b[i] >= 0x80;
        if (high < 100)
            fail_msg("kind %d: only %zu non-ASCII bytes in 64 KiB", text_kinds[t], high);
        free(b);
    }
    /* German verse: umlauts and sharp s, as in Faust */
    uint8_t *p = make(HS_CORPUS_PROSE, 3, 0, 65536);
    assert_true(count_of(p, 65536, "ü") > 20);
    assert_true(count_of(p, 65536, "ä") > 5);
    assert_true(count_of(p, 65536, "ö") > 5);
    assert_true(count_of(p, 65536, "ß") > 5);
    free(p);
}

struct tally {
    char word[40];
    size_t n;
};

/* Words of the German verse: a few very frequent ones, a long tail of rare
 * ones, as in natural text (Zipf's law). */
static void test_words_are_zipf_like(void **state)
{
    (void)state;
    size_t len = 65536;
    uint8_t *b = make(HS_CORPUS_PROSE, 11, 0, len);
    static struct tally t[1024];
    size_t distinct = 0, words = 0;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && !strchr(" \n,.;:!?()", b[j])) j++;
        size_t wl = j - i;
        if (wl > 0 && wl < sizeof t[0].word && j < len) {
            size_t k = 0;
            while (k < distinct && (strlen(t[k].word) != wl || memcmp(t[k].word, b + i, wl))) k++;
            if (k == distinct && distinct < 1024) {
                memcpy(t[k].word, b + i, wl);
                t[k].word[wl] = 0;
                distinct++;
            }
            if (k < distinct) t[k].n++;
            words++;
        }
        i = j + 1;
    }
    size_t top = 0, rare = 0;
    for (size_t k = 0; k < distinct; k++) {
        if (t[k].n > top) top = t[k].n;
        rare += t[k].n <= 5;
    }
    if (distinct < 150) fail_msg("%zu distinct words", distinct);
    if (top * 100 < words * 4 || top * 100 > words * 15)
        fail_msg("the most frequent word is %zu of %zu words", top, words);
    if (rare < 20) fail_msg("only %zu words seen 5 times or less", rare);
    free(b);
}

/* Somewhere in 128 KiB, 48 bytes come back more than 8 KiB after they first
 * appeared: a quoted line or sentence, not a coincidence of common words. */
static void test_passages_come_back_from_far(void **state)
{
    (void)state;
    enum { LEN = 131072, SPAN = 48, DISTANCE = 8192, SLOTS = 1 << 18 };
    uint32_t *seen = malloc(SLOTS * sizeof *seen);
    assert_non_null(seen);
    for (size_t t = 0; t < N_TEXT; t++) {
        uint8_t *b = make(text_kinds[t], 21, 0, LEN);
        memset(seen, 0xFF, SLOTS * sizeof *seen);
        size_t far = 0;
        for (uint32_t i = 0; i + SPAN <= LEN; i++) {
            uint64_t h = 1469598103934665603ull;
            for (size_t k = 0; k < SPAN; k++) h = (h ^ b[i + k]) * 1099511628211ull;
            uint32_t slot = (uint32_t)(h >> 46);
            uint32_t prev = seen[slot];
            if (prev != UINT32_MAX && i - prev > DISTANCE && !memcmp(b + prev, b + i, SPAN)) far++;
            if (prev == UINT32_MAX) seen[slot] = i;
        }
        if (far < SPAN * 3) fail_msg("kind %d: %zu far repeats", text_kinds[t], far);
        free(b);
    }
    free(seen);
}

/* Ratios near those of real files of each kind; and a long text is not a
 * short one repeated: 128 KiB compresses nearly as badly as 4 KiB. */
static void test_compresses_like_the_real_thing(void **state)
{
    (void)state;
    static const struct {
        int kind;
        double lo, hi;
    } want[] = {
        {HS_CORPUS_JSON, 0.12, 0.40},   {HS_CORPUS_PROSE, 0.22, 0.50}, {HS_CORPUS_HTML, 0.15, 0.45},
        {HS_CORPUS_BITMAP, 0.30, 0.85}, {HS_CORPUS_PDF, 0.85, 1.01},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        uint8_t *big = make(want[i].kind, 77, 0, 131072);
        uint8_t *small = make(want[i].kind, 77, 0, 4096);
        double r = deflate_ratio(big, 131072), r4 = deflate_ratio(small, 4096);
        if (r < want[i].lo || r > want[i].hi)
            fail_msg("kind %d: 128 KiB deflate to %.3f, want %.2f..%.2f", want[i].kind, r,
                     want[i].lo, want[i].hi);
        if (r < 0.5 * r4) fail_msg("kind %d: 128 KiB %.3f vs 4 KiB %.3f", want[i].kind, r, r4);
        free(big);
        free(small);
    }
}

static uint32_t le32_at(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void test_bitmap_is_a_bmp_file(void **state)
{
    (void)state;
    uint8_t *b = make(HS_CORPUS_BITMAP, 1, 0, 600000);
    for (size_t at = 0; at < 600000; at += 263222) { /* picture after picture */
        assert_memory_equal(b + at, "BM", 2);
        assert_int_equal(le32_at(b + at + 2), 263222);                /* file size */
        assert_int_equal(le32_at(b + at + 10), 1078);                 /* pixels start */
        assert_int_equal(le32_at(b + at + 18), 512);                  /* width */
        assert_int_equal(le32_at(b + at + 22), 512);                  /* height */
        assert_int_equal(b[at + 28], 8);                              /* bits per pixel */
        assert_int_equal(le32_at(b + at + 54 + 4 * 200), 0x00C8C8C8); /* grey palette */
    }
    free(b);
}

static void test_pdf_has_objects_streams_and_xref(void **state)
{
    (void)state;
    size_t n = 1 << 20;
    uint8_t *b = make(HS_CORPUS_PDF, 1, 0, n);
    assert_memory_equal(b, "%PDF-1.4\n", 9);
    size_t objs = count_of(b, n, " 0 obj\n");
    assert_true(objs > 50);
    /* every object is whole: only the one the slice ends in may lack its end */
    size_t ends = count_of(b, n, "endobj\n");
    assert_true(ends == objs || ends + 1 == objs);
    assert_true(count_of(b, n, "stream\n") > 20);
    assert_true(count_of(b, n, "/FlateDecode") > 5);
    assert_true(count_of(b, n, "BT\n") > 5);
    assert_true(count_of(b, n, "\nxref\n") > 0);
    assert_true(count_of(b, n, "%%EOF\n") > 0);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_same_seed_same_bytes),
        cmocka_unit_test(test_slices_are_consecutive),
        cmocka_unit_test(test_text_is_valid_utf8),
        cmocka_unit_test(test_text_has_non_ascii),
        cmocka_unit_test(test_words_are_zipf_like),
        cmocka_unit_test(test_passages_come_back_from_far),
        cmocka_unit_test(test_compresses_like_the_real_thing),
        cmocka_unit_test(test_bitmap_is_a_bmp_file),
        cmocka_unit_test(test_pdf_has_objects_streams_and_xref),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
