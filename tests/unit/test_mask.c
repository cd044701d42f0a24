/* Unit tests for ws_mask: the word-at-a-time transform against a byte-at-a-
 * time reference, the RFC 6455 §5.7 example, and the two key sources. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ws/ws_mask.h"

/* §5.3 read literally: octet i is XOR-ed with key octet (i mod 4). */
static void mask_naive(uint8_t *data, size_t len, const uint8_t key[4], uint64_t offset)
{
    for (size_t i = 0; i < len; i++) data[i] ^= key[(offset + i) % 4];
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
}

static void test_rfc_hello(void **state)
{
    (void)state;
    const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    uint8_t data[5] = {'H', 'e', 'l', 'l', 'o'};
    const uint8_t masked[5] = {0x7f, 0x9f, 0x4d, 0x51, 0x58};
    ws_mask_apply(data, 5, key, 0);
    assert_memory_equal(data, masked, 5);
    ws_mask_apply(data, 5, key, 0);
    assert_memory_equal(data, "Hello", 5);
}

/* Every length up to 300 plus a few large ones, every key phase, and data
 * starting at every alignment: the fast path must equal the reference. */
static void test_equals_naive(void **state)
{
    (void)state;
    const size_t lens_big[] = {511, 512, 513, 1000, 4096, 4099, 65536 + 5};
    const uint64_t offsets[] = {0, 1, 2, 3, 4, 5, 6, 7, 13, 0x100000003ull, UINT64_MAX};
    const uint8_t key[4] = {0x01, 0x80, 0xfe, 0x5a};
    size_t maxlen = 65536 + 5;
    uint8_t *src = malloc(maxlen + 8);
    uint8_t *fast = malloc(maxlen + 8);
    uint8_t *ref = malloc(maxlen + 8);
    assert_non_null(src);
    assert_non_null(fast);
    assert_non_null(ref);
    fill(src, maxlen + 8, 42);

    for (size_t li = 0; li < 301 + sizeof(lens_big) / sizeof(lens_big[0]); li++) {
        size_t len = li <= 300 ? li : lens_big[li - 301];
        for (size_t oi = 0; oi < sizeof(offsets) / sizeof(offsets[0]); oi++) {
            size_t align = (li + oi) % 8;
            memcpy(fast, src, maxlen + 8);
            memcpy(ref, src, maxlen + 8);
            ws_mask_apply(fast + align, len, key, offsets[oi]);
            mask_naive(ref + align, len, key, offsets[oi]);
            /* Whole buffers: bytes outside [align, align+len) must be untouched. */
            if (memcmp(fast, ref, maxlen + 8) != 0)
                fail_msg("mismatch at len %zu offset %llu align %zu", len,
                         (unsigned long long)offsets[oi], align);
        }
    }
    free(src);
    free(fast);
    free(ref);
}

/* The masked copy equals the naive transform, touches nothing past n in dst,
 * and leaves src alone, for every length and alignment that matters. */
static void test_copy_equals_naive(void **state)
{
    (void)state;
    const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    enum { MAX = 300 + 8 };
    uint8_t src[MAX], keep[MAX], dst[MAX + 8], ref[MAX + 8];
    fill(src, sizeof src, 7);
    memcpy(keep, src, sizeof src);
    for (size_t len = 0; len <= 300; len++) {
        for (size_t align = 0; align < 8; align++) {
            memset(dst, 0xEE, sizeof dst);
            memset(ref, 0xEE, sizeof ref);
            memcpy(ref + align, src + align, len);
            mask_naive(ref + align, len, key, 0);
            ws_mask_copy(dst + align, src + align, len, key);
            if (memcmp(dst, ref, sizeof dst) != 0)
                fail_msg("mismatch at len %zu align %zu", len, align);
        }
    }
    assert_memory_equal(src, keep, sizeof src);
}

/* Unmasking a payload in pieces, as it arrives, gives the same bytes. */
static void test_piecewise(void **state)
{
    (void)state;
    const uint8_t key[4] = {0xde, 0xad, 0xbe, 0xef};
    uint8_t whole[777], pieces[777];
    fill(whole, sizeof(whole), 7);
    memcpy(pieces, whole, sizeof(whole));
    ws_mask_apply(whole, sizeof(whole), key, 0);
    size_t cuts[] = {0, 1, 3, 4, 11, 40, 41, 300, 301, 302, 776, 777};
    for (size_t i = 0; i + 1 < sizeof(cuts) / sizeof(cuts[0]); i++)
        ws_mask_apply(pieces + cuts[i], cuts[i + 1] - cuts[i], key, cuts[i]);
    assert_memory_equal(whole, pieces, sizeof(whole));
}

/* Exactly-sized heap block: ASan flags any access past the payload. */
static void test_no_overrun(void **state)
{
    (void)state;
    const uint8_t key[4] = {1, 2, 3, 4};
    for (size_t len = 1; len <= 70; len++) {
        uint8_t *p = malloc(len);
        uint8_t *r = malloc(len);
        assert_non_null(p);
        assert_non_null(r);
        fill(p, len, (uint32_t)len);
        memcpy(r, p, len);
        ws_mask_apply(p, len, key, len);
        mask_naive(r, len, key, len);
        assert_memory_equal(p, r, len);
        free(p);
        free(r);
    }
}

static void test_key_random(void **state)
{
    (void)state;
    uint8_t keys[8][4];
    for (int i = 0; i < 8; i++) assert_int_equal(ws_mask_key_random(keys[i]), 0);
    /* Eight equal 32-bit draws from a working RNG: chance 2^-224. */
    int same = 0;
    for (int i = 1; i < 8; i++) same += memcmp(keys[0], keys[i], 4) == 0;
    assert_true(same < 7);
}

static void test_rng(void **state)
{
    (void)state;
    ws_mask_rng a, b, c;
    ws_mask_rng_seed(&a, 0);
    ws_mask_rng_seed(&b, 0);
    ws_mask_rng_seed(&c, 1);
    uint8_t ka[4], kb[4], kc[4], prev[4] = {0, 0, 0, 0};
    int differs_from_c = 0, zero_keys = 0, repeats = 0;
    for (int i = 0; i < 1000; i++) {
        ws_mask_rng_key(&a, ka);
        ws_mask_rng_key(&b, kb);
        ws_mask_rng_key(&c, kc);
        assert_memory_equal(ka, kb, 4); /* same seed, same stream */
        differs_from_c += memcmp(ka, kc, 4) != 0;
        zero_keys += (ka[0] | ka[1] | ka[2] | ka[3]) == 0;
        repeats += memcmp(ka, prev, 4) == 0;
        memcpy(prev, ka, 4);
    }
    assert_true(differs_from_c > 990);
    assert_true(zero_keys < 2); /* seed 0 is not a stuck state */
    assert_true(repeats < 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_hello),
        cmocka_unit_test(test_equals_naive),
        cmocka_unit_test(test_copy_equals_naive),
        cmocka_unit_test(test_piecewise),
        cmocka_unit_test(test_no_overrun),
        cmocka_unit_test(test_key_random),
        cmocka_unit_test(test_rng),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
