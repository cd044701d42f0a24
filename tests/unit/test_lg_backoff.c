/* lg_backoff_next: the reconnect delays after a failure double from
 * --reconnect-delay up to 5 s, and a zero delay does not make a busy loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "loadgen/lg_worker.h"

#define MS 1000000LL

/* The delays of n reconnect attempts in a row, starting from first. */
static void sequence(int64_t first, int64_t *out, int n)
{
    int64_t d = first;
    for (int i = 0; i < n; i++) {
        out[i] = d;
        d = lg_backoff_next(d);
    }
}

static void test_doubles_up_to_five_seconds(void **state)
{
    (void)state;
    int64_t got[8];
    sequence(400 * MS, got, 8);
    const int64_t want[8] = {400 * MS,  800 * MS,  1600 * MS, 3200 * MS,
                             5000 * MS, 5000 * MS, 5000 * MS, 5000 * MS};
    for (int i = 0; i < 8; i++) assert_int_equal(got[i], want[i]);
    /* The default 100 ms: 100, 200, ... 3.2 s, then the cap. */
    sequence(100 * MS, got, 8);
    assert_int_equal(got[5], 3200 * MS);
    assert_int_equal(got[6], 5000 * MS);
}

static void test_cap_edges(void **state)
{
    (void)state;
    /* Just under half the cap doubles to just under it; half doubles to it. */
    assert_int_equal(lg_backoff_next(2499 * MS), 4998 * MS);
    assert_int_equal(lg_backoff_next(2500 * MS), 5000 * MS);
    /* A first delay above the cap is used once, then the cap. */
    assert_int_equal(lg_backoff_next(7000 * MS), 5000 * MS);
    /* Large values do not overflow into a negative delay. */
    assert_int_equal(lg_backoff_next(INT64_MAX), 5000 * MS);
}

static void test_zero_delay_grows(void **state)
{
    (void)state;
    int64_t got[4];
    sequence(0, got, 4);
    assert_int_equal(got[0], 0);
    assert_int_equal(got[1], 1 * MS);
    assert_int_equal(got[2], 2 * MS);
    assert_int_equal(got[3], 4 * MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doubles_up_to_five_seconds),
        cmocka_unit_test(test_cap_edges),
        cmocka_unit_test(test_zero_delay_grows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
