/* Unit tests for ws_close: every code class boundary, payload parsing
 * (empty, 1 byte, bad code, bad UTF-8 reason, over 125), building, names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ws/ws_close.h"

struct code_case {
    uint16_t code;
    enum ws_close_code_class cls;
};

/* Both sides of every boundary between classes. */
static const struct code_case boundaries[] = {
    {0, WS_CODE_INVALID},        {1, WS_CODE_INVALID},     {999, WS_CODE_INVALID},
    {1000, WS_CODE_VALID},       {1001, WS_CODE_VALID},    {1002, WS_CODE_VALID},
    {1003, WS_CODE_VALID},       {1004, WS_CODE_INVALID},  {1005, WS_CODE_NOT_ON_WIRE},
    {1006, WS_CODE_NOT_ON_WIRE}, {1007, WS_CODE_VALID},    {1008, WS_CODE_VALID},
    {1009, WS_CODE_VALID},       {1010, WS_CODE_VALID},    {1011, WS_CODE_VALID},
    {1012, WS_CODE_VALID},       {1013, WS_CODE_VALID},    {1014, WS_CODE_VALID},
    {1015, WS_CODE_NOT_ON_WIRE}, {1016, WS_CODE_INVALID},  {1100, WS_CODE_INVALID},
    {2000, WS_CODE_INVALID},     {2999, WS_CODE_INVALID},  {3000, WS_CODE_VALID},
    {3999, WS_CODE_VALID},       {4000, WS_CODE_VALID},    {4999, WS_CODE_VALID},
    {5000, WS_CODE_INVALID},     {65535, WS_CODE_INVALID},
};

static void test_classify_boundaries(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(boundaries) / sizeof(boundaries[0]); i++) {
        const struct code_case *c = &boundaries[i];
        if (ws_close_code_classify(c->code) != c->cls)
            fail_msg("code %u: class %d, want %d", c->code, ws_close_code_classify(c->code),
                     c->cls);
        assert_int_equal(ws_close_code_valid_on_wire(c->code), c->cls == WS_CODE_VALID);
    }
}

/* Every code, against the rule written out as plain ranges. */
static void test_classify_all_codes(void **state)
{
    (void)state;
    int valid = 0, never = 0;
    for (uint32_t c = 0; c <= 65535; c++) {
        enum ws_close_code_class want = WS_CODE_INVALID;
        if ((c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999))
            want = WS_CODE_VALID;
        if (c == 1005 || c == 1006 || c == 1015) want = WS_CODE_NOT_ON_WIRE;
        enum ws_close_code_class got = ws_close_code_classify((uint16_t)c);
        if (got != want) fail_msg("code %u: class %d, want %d", c, got, want);
        valid += got == WS_CODE_VALID;
        never += got == WS_CODE_NOT_ON_WIRE;
    }
    assert_int_equal(valid, 4 + 8 + 2000);
    assert_int_equal(never, 3);
}

static void test_parse_empty(void **state)
{
    (void)state;
    ws_close_info ci;
    assert_int_equal(ws_close_parse(NULL, 0, &ci), WS_CLOSE_OK);
    assert_false(ci.has_code);
    assert_int_equal(ci.code, WS_CLOSE_NO_STATUS);
    assert_int_equal(ci.reason_len, 0);
}

static void test_parse_one_byte(void **state)
{
    (void)state;
    const uint8_t p[] = {0x03};
    ws_close_info ci;
    assert_int_equal(ws_close_parse(p, 1, &ci), WS_CLOSE_E_LEN1);
    assert_false(ci.has_code);
}

static void test_parse_code_only(void **state)
{
    (void)state;
    const uint8_t p[] = {0x03, 0xE8};
    ws_close_info ci;
    assert_int_equal(ws_close_parse(p, 2, &ci), WS_CLOSE_OK);
    assert_true(ci.has_code);
    assert_int_equal(ci.code, 1000);
    assert_int_equal(ci.reason_len, 0);
}

static void test_parse_code_and_reason(void **state)
{
    (void)state;
    const uint8_t p[] = {0x0F, 0xA0, 'b', 'y', 'e', ' ', 0xE2, 0x82, 0xAC};
    ws_close_info ci;
    assert_int_equal(ws_close_parse(p, sizeof(p), &ci), WS_CLOSE_OK);
    assert_int_equal(ci.code, 4000);
    assert_int_equal(ci.reason_len, 7);
    assert_ptr_equal(ci.reason, p + 2);
    assert_memory_equal(ci.reason, "bye \xe2\x82\xac", 7);
}

static void test_parse_bad_codes(void **state)
{
    (void)state;
    const uint16_t bad[] = {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t p[2] = {(uint8_t)(bad[i] >> 8), (uint8_t)bad[i]};
        ws_close_info ci;
        if (ws_close_parse(p, 2, &ci) != WS_CLOSE_E_CODE) fail_msg("code %u accepted", bad[i]);
        /* the received code is still reported */
        assert_true(ci.has_code);
        assert_int_equal(ci.code, bad[i]);
    }
    const uint16_t good[] = {1000, 1003, 1007, 1012, 1013, 1014, 3000, 4999};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        uint8_t p[2] = {(uint8_t)(good[i] >> 8), (uint8_t)good[i]};
        ws_close_info ci;
        if (ws_close_parse(p, 2, &ci) != WS_CLOSE_OK) fail_msg("code %u rejected", good[i]);
    }
}

static void test_parse_bad_utf8_reason(void **state)
{
    (void)state;
    const uint8_t surrogate[] = {0x03, 0xE8, 'a', 0xED, 0xA0, 0x80};
    const uint8_t truncated[] = {0x03, 0xE8, 'a', 0xE2, 0x82};
    const uint8_t lone[] = {0x03, 0xE8, 0xFF};
    ws_close_info ci;
    assert_int_equal(ws_close_parse(surrogate, sizeof(surrogate), &ci), WS_CLOSE_E_UTF8);
    assert_int_equal(ci.code, 1000);
    assert_int_equal(ws_close_parse(truncated, sizeof(truncated), &ci), WS_CLOSE_E_UTF8);
    assert_int_equal(ws_close_parse(lone, sizeof(lone), &ci), WS_CLOSE_E_UTF8);
}

static void test_parse_length_limit(void **state)
{
    (void)state;
    uint8_t p[126];
    memset(p, 'r', sizeof(p));
    p[0] = 0x03, p[1] = 0xE8;
    ws_close_info ci;
    assert_int_equal(ws_close_parse(p, 125, &ci), WS_CLOSE_OK);
    assert_int_equal(ci.reason_len, 123);
    assert_int_equal(ws_close_parse(p, 126, &ci), WS_CLOSE_E_TOO_LONG);
}

static void test_build(void **state)
{
    (void)state;
    uint8_t out[125];
    assert_int_equal(ws_close_build(out, 0, "ignored", 7), 0);

    size_t n = ws_close_build(out, 1001, NULL, 0);
    assert_int_equal(n, 2);
    assert_int_equal(out[0], 0x03);
    assert_int_equal(out[1], 0xE9);

    n = ws_close_build(out, 4321, "done", 4);
    assert_int_equal(n, 6);
    assert_memory_equal(out,
                        "\x10\xe1"
                        "done",
                        6);

    /* round trip */
    ws_close_info ci;
    assert_int_equal(ws_close_parse(out, n, &ci), WS_CLOSE_OK);
    assert_int_equal(ci.code, 4321);
    assert_int_equal(ci.reason_len, 4);
}

static void test_build_cuts_long_reason(void **state)
{
    (void)state;
    char reason[200];
    uint8_t *out = malloc(125); /* exact size: ASan catches an overflow */
    assert_non_null(out);

    memset(reason, 'x', sizeof(reason));
    assert_int_equal(ws_close_build(out, 1000, reason, sizeof(reason)), 125);

    /* a 3-byte character straddling byte 123 is dropped whole, not split */
    for (int at = 120; at <= 123; at++) {
        memset(reason, 'x', sizeof(reason));
        memcpy(reason + at, "\xe2\x82\xac", 3);
        size_t n = ws_close_build(out, 1000, reason, sizeof(reason));
        size_t want = at + 3 <= 123 ? 125 : 2 + (size_t)at;
        if (n != want) fail_msg("euro at %d: length %zu, want %zu", at, n, want);
        ws_close_info ci;
        assert_int_equal(ws_close_parse(out, n, &ci), WS_CLOSE_OK);
    }
    free(out);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(ws_close_code_name(1000), "normal closure");
    assert_string_equal(ws_close_code_name(1002), "protocol error");
    assert_string_equal(ws_close_code_name(1007), "invalid frame payload data");
    assert_string_equal(ws_close_code_name(1009), "message too big");
    assert_string_equal(ws_close_code_name(1012), "service restart");
    assert_string_equal(ws_close_code_name(1013), "try again later");
    assert_string_equal(ws_close_code_name(1014), "bad gateway");
    assert_string_equal(ws_close_code_name(1015), "TLS handshake failure");
    assert_non_null(ws_close_code_name(3000));
    assert_string_equal(ws_close_code_name(4000), "private use");
    assert_null(ws_close_code_name(1004));
    assert_null(ws_close_code_name(999));
    assert_null(ws_close_code_name(2999));
    assert_null(ws_close_code_name(5000));
    /* every code that may appear on the wire or is defined has a name */
    for (uint32_t c = 0; c <= 65535; c++) {
        if (ws_close_code_classify((uint16_t)c) != WS_CODE_INVALID &&
            !ws_close_code_name((uint16_t)c))
            fail_msg("code %u has no name", c);
    }
}

static void test_strerror(void **state)
{
    (void)state;
    const int all[] = {WS_CLOSE_OK, WS_CLOSE_E_LEN1, WS_CLOSE_E_CODE, WS_CLOSE_E_UTF8,
                       WS_CLOSE_E_TOO_LONG};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(ws_close_strerror(all[i]), ws_close_strerror(all[j]));
    }
    assert_non_null(strstr(ws_close_strerror(WS_CLOSE_E_UTF8), "UTF-8"));
    assert_non_null(ws_close_strerror(42));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify_boundaries),
        cmocka_unit_test(test_classify_all_codes),
        cmocka_unit_test(test_parse_empty),
        cmocka_unit_test(test_parse_one_byte),
        cmocka_unit_test(test_parse_code_only),
        cmocka_unit_test(test_parse_code_and_reason),
        cmocka_unit_test(test_parse_bad_codes),
        cmocka_unit_test(test_parse_bad_utf8_reason),
        cmocka_unit_test(test_parse_length_limit),
        cmocka_unit_test(test_build),
        cmocka_unit_test(test_build_cuts_long_reason),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
