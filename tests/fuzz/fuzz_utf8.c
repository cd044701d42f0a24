/* fuzz_utf8: the incremental UTF-8 validator (ws_utf8) against a reference.
 *
 * The reference below follows the well-formed byte sequence table of Unicode
 * (chapter 3, table 3-7) one sequence at a time: it is slow and plain, and
 * shares nothing with the DFA. Both must agree on the verdict and on the
 * offset of the first byte that cannot start or continue a valid sequence,
 * for the whole input in one feed and for every split into two feeds. */
#include <string.h>

#include "tests/fuzz/fuzz_util.h"
#include "ws/ws_utf8.h"

/* Allowed range of the byte after a lead byte (table 3-7); 0 if the lead
 * byte cannot start a sequence. */
static int second_range(uint8_t b, uint8_t *lo, uint8_t *hi)
{
    *lo = 0x80, *hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) return 2;
    if (b == 0xE0) return *lo = 0xA0, 3;
    if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) return 3;
    if (b == 0xED) return *hi = 0x9F, 3;
    if (b == 0xF0) return *lo = 0x90, 4;
    if (b >= 0xF1 && b <= 0xF3) return 4;
    if (b == 0xF4) return *hi = 0x8F, 4;
    return 0;
}

/* WS_UTF8_OK, WS_UTF8_PARTIAL (valid but cut inside a sequence), or
 * WS_UTF8_INVALID with *err the offending byte's offset. */
static int ref_validate(const uint8_t *p, size_t n, size_t *err)
{
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        uint8_t lo, hi;
        int len = second_range(p[i], &lo, &hi);
        if (len == 0) return *err = i, WS_UTF8_INVALID;
        for (int k = 1; k < len; k++) {
            if (i + k >= n) return WS_UTF8_PARTIAL;
            uint8_t c = p[i + k];
            if (k > 1) lo = 0x80, hi = 0xBF;
            if (c < lo || c > hi) return *err = i + k, WS_UTF8_INVALID;
        }
        i += len;
    }
    return WS_UTF8_OK;
}

/* The validator fed p[0..split) then p[split..n), then finished. */
static void check_split(const uint8_t *p, size_t n, size_t split, int want, size_t want_err)
{
    ws_utf8 v;
    ws_utf8_init(&v);
    /* Exact-size heap copies: the word-at-a-time ASCII path must not read past either piece. */
    uint8_t *a = malloc(split ? split : 1), *b = malloc(n - split ? n - split : 1);
    FUZZ_CHECK(a && b);
    memcpy(a, p, split);
    memcpy(b, p + split, n - split);
    int r1 = ws_utf8_feed(&v, a, split);
    int r2 = ws_utf8_feed(&v, b, n - split);
    free(a);
    free(b);

    /* The first piece alone has its own reference verdict. */
    size_t err1 = 0;
    int want1 = ref_validate(p, split, &err1);
    FUZZ_CHECK(r1 == want1);
    if (want1 == WS_UTF8_INVALID) FUZZ_CHECK(v.error_at == err1);

    FUZZ_CHECK(r2 == want);
    FUZZ_CHECK(v.consumed == n);
    if (want == WS_UTF8_INVALID) FUZZ_CHECK(v.error_at == want_err);

    int fin = ws_utf8_finish(&v);
    if (want == WS_UTF8_OK) {
        FUZZ_CHECK(fin == WS_UTF8_OK);
    } else {
        FUZZ_CHECK(fin == WS_UTF8_INVALID);
        FUZZ_CHECK(v.error_at == (want == WS_UTF8_PARTIAL ? n : want_err));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t err = 0;
    int want = ref_validate(data, size, &err);

    ws_utf8 v;
    ws_utf8_init(&v);
    FUZZ_CHECK(ws_utf8_feed(&v, data, size) == want);
    if (want == WS_UTF8_INVALID) FUZZ_CHECK(v.error_at == err);
    FUZZ_CHECK(ws_utf8_valid(data, size) == (want == WS_UTF8_OK));

    /* Every split for inputs up to 1 KiB (quadratic), 64 spread splits beyond. */
    size_t step = size <= 1024 ? 1 : size / 64;
    for (size_t split = 0; split <= size; split += step) check_split(data, size, split, want, err);
    check_split(data, size, size, want, err);

    /* One byte per feed: the state carries everything across feeds. */
    ws_utf8_init(&v);
    int r = WS_UTF8_OK;
    for (size_t i = 0; i < size; i++) r = ws_utf8_feed(&v, data + i, 1);
    FUZZ_CHECK(r == want);
    if (want == WS_UTF8_INVALID) FUZZ_CHECK(v.error_at == err);
    return 0;
}
