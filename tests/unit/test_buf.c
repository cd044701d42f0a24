/* Unit tests for ws_buf: growth, the hard limit, consume and reset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ws/ws_buf.h"

static void test_append_grows_and_keeps_bytes(void **state)
{
    (void)state;
    ws_buf b;
    ws_buf_init(&b, 0);
    assert_null(b.data);
    for (int i = 0; i < 10000; i++) {
        uint8_t c = (uint8_t)(i * 7);
        assert_int_equal(ws_buf_append(&b, &c, 1), 0);
    }
    assert_int_equal(b.len, 10000);
    assert_true(b.cap >= b.len);
    for (int i = 0; i < 10000; i++) assert_int_equal(b.data[i], (uint8_t)(i * 7));
    ws_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
}

static void test_limit_is_hard(void **state)
{
    (void)state;
    ws_buf b;
    ws_buf_init(&b, 100);
    uint8_t src[100];
    for (int i = 0; i < 100; i++) src[i] = (uint8_t)i;
    assert_int_equal(ws_buf_append(&b, src, 60), 0);
    assert_int_equal(ws_buf_append(&b, src, 41), -1); /* 101 > 100 */
    assert_int_equal(b.len, 60);                      /* unchanged */
    assert_int_equal(ws_buf_append(&b, src + 60, 40), 0);
    assert_int_equal(b.len, 100);
    assert_memory_equal(b.data, src, 100);
    assert_true(b.cap <= 100);
    assert_int_equal(ws_buf_append(&b, src, 1), -1);
    assert_int_equal(ws_buf_reserve(&b, 1), -1);
    assert_int_equal(ws_buf_reserve(&b, 0), 0);
    ws_buf_free(&b);
}

static void test_reserve_huge_does_not_wrap(void **state)
{
    (void)state;
    ws_buf b;
    ws_buf_init(&b, 0);
    assert_int_equal(ws_buf_append(&b, "abc", 3), 0);
    /* len + extra would wrap to a tiny number if added naively. */
    assert_int_equal(ws_buf_reserve(&b, SIZE_MAX), -1);
    assert_int_equal(ws_buf_reserve(&b, SIZE_MAX - 1), -1);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "abc", 3);

    ws_buf c;
    ws_buf_init(&c, 1 << 20);
    assert_int_equal(ws_buf_reserve(&c, SIZE_MAX), -1);
    assert_int_equal(ws_buf_reserve(&c, (1 << 20) + 1), -1);
    assert_null(c.data); /* nothing was allocated for a refused request */
    assert_int_equal(ws_buf_reserve(&c, 1 << 20), 0);
    assert_true(c.cap >= (1 << 20));
    ws_buf_free(&b);
    ws_buf_free(&c);
}

static void test_reserve_gives_room(void **state)
{
    (void)state;
    ws_buf b;
    ws_buf_init(&b, 0);
    assert_int_equal(ws_buf_reserve(&b, 5000), 0);
    assert_true(b.cap >= 5000);
    assert_int_equal(b.len, 0);
    memset(b.data, 0xAB, 5000); /* ASan would flag a short allocation */
    b.len = 5000;
    assert_int_equal(ws_buf_append(&b, "x", 1), 0);
    assert_int_equal(b.data[4999], 0xAB);
    assert_int_equal(b.data[5000], 'x');
    ws_buf_free(&b);
}

static void test_consume(void **state)
{
    (void)state;
    ws_buf b;
    ws_buf_init(&b, 0);
    assert_int_equal(ws_buf_append(&b, "hello world", 11), 0);
    ws_buf_consume(&b, 6);
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.data, "world", 5);
    ws_buf_consume(&b, 0);
    assert_int_equal(b.len, 5);
    ws_buf_consume(&b, 5);
    assert_int_equal(b.len, 0);
    assert_int_equal(ws_buf_append(&b, "ab", 2), 0);
    ws_buf_consume(&b, 99); /* more than there is: empties, no underflow */
    assert_int_equal(b.len, 0);
    ws_buf_free(&b);
}

static void test_reset_keeps_memory(void **state)
{
    (void)state;
    ws_buf b;
    ws_buf_init(&b, 0);
    assert_int_equal(ws_buf_append(&b, "0123456789", 10), 0);
    uint8_t *data = b.data;
    size_t cap = b.cap;
    ws_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_ptr_equal(b.data, data);
    assert_int_equal(b.cap, cap);
    assert_int_equal(ws_buf_append(&b, "xy", 2), 0);
    assert_memory_equal(b.data, "xy", 2);
    ws_buf_free(&b);
    /* A freed buffer is empty and usable again, with its limit. */
    assert_int_equal(ws_buf_append(&b, "z", 1), 0);
    assert_int_equal(b.len, 1);
    ws_buf_free(&b);
}

static void test_append_empty(void **state)
{
    (void)state;
    ws_buf b;
    ws_buf_init(&b, 4);
    assert_int_equal(ws_buf_append(&b, NULL, 0), 0);
    assert_int_equal(b.len, 0);
    assert_int_equal(ws_buf_append(&b, "abcd", 4), 0);
    assert_int_equal(ws_buf_append(&b, NULL, 0), 0); /* at the limit, 0 bytes still fit */
    assert_int_equal(b.len, 4);
    ws_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_grows_and_keeps_bytes),
        cmocka_unit_test(test_limit_is_hard),
        cmocka_unit_test(test_reserve_huge_does_not_wrap),
        cmocka_unit_test(test_reserve_gives_room),
        cmocka_unit_test(test_consume),
        cmocka_unit_test(test_reset_keeps_memory),
        cmocka_unit_test(test_append_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
