/* lg_hist: bucket accuracy, percentiles, overflow, exact merge, JSON round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "loadgen/lg_hist.h"
#include "tests/unit/test_rng.h"

static uint64_t rng_state = 0x1234567u;
static uint64_t rnd(void)
{
    return test_rng_next(&rng_state);
}

/* A latency-like value: log-uniform from 1 ns to about 2^38 ns (some overflow). */
static uint64_t rnd_latency(void)
{
    return test_rng_log_uniform(&rng_state, 38);
}

static void test_buckets_cover_values(void **state)
{
    (void)state;
    /* Every value lands in a bucket whose range holds it, and the bucket is at
     * most 1/1024 of the value wide (3 significant digits). */
    for (int i = 0; i < 200000; i++) {
        uint64_t v = rnd_latency() % (1ull << LG_HIST_MAX_EXP);
        unsigned b = lg_hist_index(v);
        assert_true(b < LG_HIST_BUCKETS);
        uint64_t lo = lg_hist_bucket_low(b), w = lg_hist_bucket_width(b);
        assert_true(lo <= v && v < lo + w);
        assert_true(w == 1 || w * 1024 <= lo);
    }
    /* Boundaries: the first and last bucket, and consecutive buckets touch. */
    assert_int_equal(lg_hist_index(0), 0);
    assert_int_equal(lg_hist_index((1ull << LG_HIST_MAX_EXP) - 1), LG_HIST_BUCKETS - 1);
    for (unsigned b = 0; b + 1 < LG_HIST_BUCKETS; b++)
        assert_true(lg_hist_bucket_low(b) + lg_hist_bucket_width(b) == lg_hist_bucket_low(b + 1));
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_percentiles_within_precision(void **state)
{
    (void)state;
    enum { N = 100000 };
    uint64_t *v = malloc(N * sizeof *v);
    lg_hist *h = lg_hist_new();
    assert_non_null(v);
    assert_non_null(h);
    for (int i = 0; i < N; i++) {
        v[i] = 1000 + rnd() % 100000000; /* 1 us .. 100 ms */
        lg_hist_record(h, v[i]);
    }
    qsort(v, N, sizeof *v, cmp_u64);
    double ps[] = {1, 10, 50, 90, 99, 99.9, 99.99};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        uint64_t exact = v[(size_t)((ps[i] / 100.0) * N + 0.999999) - 1];
        uint64_t got = lg_hist_percentile(h, ps[i]);
        double err = ((double)got - (double)exact) / (double)exact;
        assert_true(err >= -0.001 && err <= 0.001);
    }
    assert_int_equal(lg_hist_percentile(h, 100), v[N - 1]);
    assert_int_equal(lg_hist_percentile(h, 0), v[0]);
    free(v);
    lg_hist_free(h);
}

static void test_overflow_counted(void **state)
{
    (void)state;
    lg_hist *h = lg_hist_new();
    lg_hist_record(h, 5);
    lg_hist_record(h, 200ull * 1000000000ull); /* 200 s: past the range */
    assert_int_equal(h->count, 1);
    assert_int_equal(h->overflow, 1);
    assert_int_equal(lg_hist_total(h), 2);
    assert_int_equal(lg_hist_percentile(h, 50), 5);
    assert_int_equal(lg_hist_percentile(h, 99), 200ull * 1000000000ull);
    lg_hist_free(h);
}

static void assert_hist_equal(const lg_hist *a, const lg_hist *b)
{
    assert_int_equal(a->count, b->count);
    assert_int_equal(a->overflow, b->overflow);
    assert_int_equal(a->min, b->min);
    assert_int_equal(a->max, b->max);
    assert_int_equal(a->sum, b->sum);
    assert_memory_equal(a->buckets, b->buckets, sizeof a->buckets);
}

/* Property: samples split at random across K histograms, merged, equal one
 * histogram fed every sample, for many random K and sample sets; the same
 * holds after a JSON round trip of every part. */
static void test_merge_is_exact(void **state)
{
    (void)state;
    lg_hist *one = lg_hist_new(), *merged = lg_hist_new(), *viajson = lg_hist_new();
    lg_hist *parts[8];
    for (int k = 0; k < 8; k++) parts[k] = lg_hist_new();
    for (int round = 0; round < 20; round++) {
        int K = 1 + (int)(rnd() % 8);
        lg_hist_reset(one);
        lg_hist_reset(merged);
        lg_hist_reset(viajson);
        for (int k = 0; k < K; k++) lg_hist_reset(parts[k]);
        int n = (int)(rnd() % 20000);
        for (int i = 0; i < n; i++) {
            uint64_t v = rnd_latency();
            lg_hist_record(one, v);
            lg_hist_record(parts[rnd() % (uint64_t)K], v);
        }
        for (int k = 0; k < K; k++) {
            lg_hist_merge(merged, parts[k]);
            cJSON *j = lg_hist_to_json(parts[k]);
            char *text = cJSON_PrintUnformatted(j);
            cJSON *back = cJSON_Parse(text);
            char err[128];
            assert_int_equal(lg_hist_add_json(viajson, back, err, sizeof err), 0);
            cJSON_Delete(j);
            cJSON_Delete(back);
            free(text);
        }
        assert_hist_equal(one, merged);
        assert_hist_equal(one, viajson);
        double ps[] = {50, 90, 99, 99.9, 100};
        for (int i = 0; i < 5; i++)
            assert_int_equal(lg_hist_percentile(one, ps[i]), lg_hist_percentile(merged, ps[i]));
    }
    for (int k = 0; k < 8; k++) lg_hist_free(parts[k]);
    lg_hist_free(one);
    lg_hist_free(merged);
    lg_hist_free(viajson);
}

static void test_bad_json_refused(void **state)
{
    (void)state;
    const char *bad[] = {
        "{}",
        "{\"unit\":\"ms\",\"sub_bucket_bits\":10,\"max_exp\":37,\"count\":0,\"overflow\":0,"
        "\"min\":0,\"max\":0,\"sum\":0,\"buckets\":[]}",
        "{\"unit\":\"ns\",\"sub_bucket_bits\":10,\"max_exp\":37,\"count\":1,\"overflow\":0,"
        "\"min\":0,\"max\":0,\"sum\":0,\"buckets\":[[2049,1]]}", /* not a bucket boundary */
        "{\"unit\":\"ns\",\"sub_bucket_bits\":10,\"max_exp\":37,\"count\":2,\"overflow\":0,"
        "\"min\":0,\"max\":0,\"sum\":0,\"buckets\":[[5,1]]}", /* counts disagree */
        "{\"unit\":\"ns\",\"sub_bucket_bits\":10,\"max_exp\":37,\"count\":1,\"overflow\":0,"
        "\"min\":0,\"max\":0,\"sum\":0,\"buckets\":[[5,-1]]}",
    };
    lg_hist *h = lg_hist_new();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *j = cJSON_Parse(bad[i]);
        assert_non_null(j);
        char err[128] = "";
        assert_int_equal(lg_hist_add_json(h, j, err, sizeof err), -1);
        assert_true(err[0] != 0);
        cJSON_Delete(j);
    }
    assert_int_equal(lg_hist_total(h), 0);
    lg_hist_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets_cover_values),
        cmocka_unit_test(test_percentiles_within_precision),
        cmocka_unit_test(test_overflow_counted),
        cmocka_unit_test(test_merge_is_exact),
        cmocka_unit_test(test_bad_json_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
