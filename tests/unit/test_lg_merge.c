/* lg_merge: shards merged from their JSON reports equal one run fed
 * everything (property test), series align on the wall clock, bad input is
 * refused with a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "loadgen/lg_merge.h"
#include "loadgen/lg_threshold.h"
#include "tests/unit/test_rng.h"

static uint64_t rng_state = 0x5eed1234u;
static uint64_t rnd(void)
{
    return test_rng_next(&rng_state);
}

/* Log-uniform from 1 ns to about 2^38 ns, so some samples overflow. */
static uint64_t rnd_latency(void)
{
    return test_rng_log_uniform(&rng_state, 38);
}

#define MAX_K 6

typedef struct run {
    lg_opts o;
    lg_result r;
} run;

static void run_init(run *x, uint32_t index, uint32_t count, double start)
{
    memset(x, 0, sizeof *x);
    x->o.url_text = "ws://127.0.0.1:9001/";
    x->o.scenario = LG_SC_ECHO;
    x->o.threads = 1;
    x->o.duration_ns = 2000000000;
    x->o.inflight = 1;
    x->o.size_min = x->o.size_max = 64;
    x->o.senders = 1;
    x->o.shard_index = index;
    x->o.shard_count = count;
    x->r.o = &x->o;
    x->r.lat = lg_hist_new();
    x->r.lat_unc = lg_hist_new();
    x->r.connect = lg_hist_new();
    x->r.tls = lg_hist_new();
    x->r.upgrade = lg_hist_new();
    assert_non_null(x->r.lat);
    assert_non_null(x->r.lat_unc);
    assert_non_null(x->r.connect);
    assert_non_null(x->r.tls);
    assert_non_null(x->r.upgrade);
    x->r.measured_s = 2.0;
    x->r.elapsed_s = 2.1;
    x->r.started_unix_s = start;
    snprintf(x->r.started_at, sizeof x->r.started_at, "2026-01-01T00:00:00Z");
    snprintf(x->r.host, sizeof x->r.host, "host%u", index);
}

static void run_free(run *x)
{
    lg_hist_free(x->r.lat);
    lg_hist_free(x->r.lat_unc);
    lg_hist_free(x->r.connect);
    lg_hist_free(x->r.tls);
    lg_hist_free(x->r.upgrade);
    free(x->r.series);
}

static void assert_hist_equal(const lg_hist *a, const lg_hist *b)
{
    assert_int_equal(a->count, b->count);
    assert_int_equal(a->overflow, b->overflow);
    assert_int_equal(a->min, b->min);
    assert_int_equal(a->max, b->max);
    assert_int_equal(a->sum, b->sum);
    assert_memory_equal(a->buckets, b->buckets, sizeof a->buckets);
    static const double ps[] = {0, 1, 50, 90, 99, 99.9, 99.99, 100};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        assert_int_equal(lg_hist_percentile(a, ps[i]), lg_hist_percentile(b, ps[i]));
}

static const char *const THRESHOLDS[] = {
    "p50<1ms",   "p99<50ms",      "p999<=2s",       "max<100s",        "lost==0",
    "sent>1000", "error_rate<1%", "msgs_per_s>100", "connect_p99<5ms", "mean<1s"};
#define N_TH ((int)(sizeof THRESHOLDS / sizeof THRESHOLDS[0]))

/* One trial: K shards' samples and counters, merged from their JSON, against
 * one run that got all of them. */
static void trial(int k)
{
    run whole, shard[MAX_K];
    run_init(&whole, 0, 0, 1e9);
    for (int i = 0; i < k; i++) run_init(&shard[i], (uint32_t)i + 1, (uint32_t)k, 1e9 + 0.001 * i);
    lg_hist *const *wh[5] = {&whole.r.lat, &whole.r.lat_unc, &whole.r.connect, &whole.r.tls,
                             &whole.r.upgrade};
    int samples = 1000 + (int)(rnd() % 20000);
    for (int n = 0; n < samples; n++) {
        int s = (int)(rnd() % (uint64_t)k), h = (int)(rnd() % 5);
        uint64_t v = h < 2 ? rnd_latency() : rnd() % 10000000;
        lg_hist *const *sh[5] = {&shard[s].r.lat, &shard[s].r.lat_unc, &shard[s].r.connect,
                                 &shard[s].r.tls, &shard[s].r.upgrade};
        lg_hist_record(*sh[h], v);
        lg_hist_record(*wh[h], v);
    }
    static const uint32_t codes[] = {1000, 1001, 1006, 1011, 4000};
    for (int i = 0; i < k; i++) {
        lg_result *r = &shard[i].r;
        for (int c = 0; c < LG_C_COUNT; c++) r->total.c[c] = rnd() % 1000000;
        for (int e = 0; e < LG_E_COUNT; e++) r->total.err[e] = rnd() % 4 ? 0 : rnd() % 1000;
        for (int n = 0; n < 3; n++) {
            uint64_t cnt = 1 + rnd() % 50;
            uint32_t code = codes[rnd() % 5];
            lg_code_add(r->total.close_codes, code, cnt);
            lg_code_add(whole.r.total.close_codes, code, cnt);
        }
        r->window.c[LG_C_SENT] = rnd() % 10000000;
        r->window.c[LG_C_RECEIVED] = rnd() % 10000000;
        r->window.c[LG_C_OPENED] = rnd() % 1000;
        r->peak_open = rnd() % 1000;
        r->in_flight_at_stop = rnd() % 10;
        shard[i].o.connections = 1 + (uint32_t)(rnd() % 1000);
        whole.o.connections += shard[i].o.connections;
        for (int c = 0; c < LG_C_COUNT; c++) whole.r.total.c[c] += r->total.c[c];
        for (int e = 0; e < LG_E_COUNT; e++) whole.r.total.err[e] += r->total.err[e];
        for (int c = 0; c < LG_C_COUNT; c++) whole.r.window.c[c] += r->window.c[c];
        whole.r.peak_open += r->peak_open;
        whole.r.in_flight_at_stop += r->in_flight_at_stop;
    }

    lg_merge *m = lg_merge_new();
    assert_non_null(m);
    char err[600];
    for (int i = 0; i < k; i++) {
        cJSON *j = lg_report_json(&shard[i].r);
        /* Through text, as the files travel. */
        char *text = cJSON_PrintUnformatted(j);
        cJSON *back = cJSON_Parse(text);
        char name[32];
        snprintf(name, sizeof name, "shard%d.json", i + 1);
        int rc = lg_merge_add(m, back, name, err, sizeof err);
        if (rc) fail_msg("%s", err);
        cJSON_Delete(back);
        free(text);
        cJSON_Delete(j);
    }
    int missed = lg_merge_finish(m, THRESHOLDS, N_TH, err, sizeof err);
    assert_true(missed >= 0);
    const lg_result *r = lg_merge_result(m);
    assert_memory_equal(r->total.c, whole.r.total.c, sizeof r->total.c);
    assert_memory_equal(r->total.err, whole.r.total.err, sizeof r->total.err);
    assert_int_equal(r->window.c[LG_C_SENT], whole.r.window.c[LG_C_SENT]);
    assert_int_equal(r->window.c[LG_C_RECEIVED], whole.r.window.c[LG_C_RECEIVED]);
    assert_int_equal(r->window.c[LG_C_OPENED], whole.r.window.c[LG_C_OPENED]);
    assert_int_equal(r->peak_open, whole.r.peak_open);
    assert_int_equal(r->in_flight_at_stop, whole.r.in_flight_at_stop);
    assert_int_equal(r->o->connections, whole.o.connections);
    for (uint32_t code = 1000; code <= 4000; code++) {
        uint64_t a = 0, b = 0;
        for (int s = 0; s < LG_CODE_SLOTS; s++) {
            if (r->total.close_codes[s].code == code) a += r->total.close_codes[s].n;
            if (whole.r.total.close_codes[s].code == code) b += whole.r.total.close_codes[s].n;
        }
        assert_int_equal(a, b);
    }
    assert_hist_equal(r->lat, whole.r.lat);
    assert_hist_equal(r->lat_unc, whole.r.lat_unc);
    assert_hist_equal(r->connect, whole.r.connect);
    assert_hist_equal(r->tls, whole.r.tls);
    assert_hist_equal(r->upgrade, whole.r.upgrade);

    /* The thresholds judge the merged numbers exactly as they judge one run. */
    int whole_missed = 0;
    for (int i = 0; i < N_TH; i++) {
        lg_threshold t;
        lg_threshold_result out;
        assert_int_equal(lg_threshold_parse(THRESHOLDS[i], &t, err, sizeof err), 0);
        lg_threshold_eval(&t, &whole.r, THRESHOLDS[i], &out);
        whole_missed += !out.pass;
        assert_int_equal(out.pass, r->th[i].pass);
        assert_true(out.actual == r->th[i].actual);
    }
    assert_int_equal(missed, whole_missed);
    assert_int_equal(r->exit_code, missed ? 1 : 0);

    /* The merged report says so too, and reads back as a report. */
    cJSON *j = lg_merge_json(m);
    assert_non_null(j);
    const cJSON *msg = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "summary"), "messages");
    assert_true(cJSON_GetObjectItem(msg, "sent")->valuedouble ==
                (double)whole.r.total.c[LG_C_SENT]);
    const cJSON *mg = cJSON_GetObjectItem(j, "merge");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(mg, "shards")), k);
    assert_null(cJSON_GetObjectItem(mg, "missing_shards"));
    lg_hist *back = lg_hist_new();
    assert_int_equal(
        lg_hist_add_json(back, cJSON_GetObjectItem(cJSON_GetObjectItem(j, "histograms"), "latency"),
                         err, sizeof err),
        0);
    assert_hist_equal(back, whole.r.lat);
    lg_hist_free(back);
    cJSON_Delete(j);

    lg_merge_free(m);
    for (int i = 0; i < k; i++) run_free(&shard[i]);
    run_free(&whole);
}

static void test_merge_equals_one_run(void **state)
{
    (void)state;
    for (int t = 0; t < 24; t++) trial(2 + (int)(rnd() % (MAX_K - 1)));
}

/* A shard's series: n seconds, sent_per_second each, cumulative. */
static void give_series(run *x, int n, uint64_t sent_per_second, uint64_t open)
{
    x->r.series = calloc((size_t)n, sizeof *x->r.series);
    assert_non_null(x->r.series);
    x->r.n_series = (size_t)n;
    for (int i = 0; i < n; i++) {
        lg_second *s = &x->r.series[i];
        s->t = 1.05 + i;
        s->k.c[LG_C_SENT] = sent_per_second * (uint64_t)(i + 1);
        s->k.open = open;
        s->lat_count = 10;
        s->p99 = 1000 * (uint64_t)(i + 1) * open;
    }
}

static cJSON *series_of(cJSON *j, int i)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItem(j, "series"), i);
}

static double field(const cJSON *j, const char *k)
{
    return cJSON_GetObjectItem(j, k)->valuedouble;
}

static void test_series_align_on_wall_clock(void **state)
{
    (void)state;
    /* Shard 1 starts at 1000.2, shard 2 a second later (1001.3): its first
     * second ends in wall-clock second 1002, the same as shard 1's second. */
    run a, b;
    run_init(&a, 1, 2, 1000.2);
    run_init(&b, 2, 2, 1001.3);
    give_series(&a, 2, 100, 3);
    give_series(&b, 2, 7, 5);
    lg_merge *m = lg_merge_new();
    char err[600];
    cJSON *ja = lg_report_json(&a.r), *jb = lg_report_json(&b.r);
    assert_int_equal(lg_merge_add(m, ja, "a", err, sizeof err), 0);
    assert_int_equal(lg_merge_add(m, jb, "b", err, sizeof err), 0);
    assert_int_equal(lg_merge_finish(m, NULL, 0, err, sizeof err), 0);
    cJSON *j = lg_merge_json(m);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "series")), 3);
    const double sent[3] = {100, 107, 7}, open[3] = {3, 8, 5}, p99[3] = {3, 6, 10};
    for (int i = 0; i < 3; i++) {
        cJSON *s = series_of(j, i);
        assert_true(field(s, "t") == i + 1);
        assert_true(field(s, "sent") == sent[i]);
        assert_true(field(s, "open") == open[i]);
        assert_true(field(s, "latency_count") == (i == 1 ? 20 : 10));
        assert_true(field(s, "p99_us") == p99[i]); /* the worst shard's */
    }
    cJSON_Delete(j);
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    lg_merge_free(m);
    run_free(&a);
    run_free(&b);
}

static void expect_add_error(cJSON *second, const char *want)
{
    run a;
    run_init(&a, 1, 3, 1000);
    cJSON *ja = lg_report_json(&a.r);
    lg_merge *m = lg_merge_new();
    char err[600] = "";
    assert_int_equal(lg_merge_add(m, ja, "a.json", err, sizeof err), 0);
    assert_int_equal(lg_merge_add(m, second, "b.json", err, sizeof err), -1);
    if (!strstr(err, want)) fail_msg("error '%s' does not say '%s'", err, want);
    assert_non_null(strstr(err, "b.json"));
    cJSON_Delete(ja);
    lg_merge_free(m);
    run_free(&a);
}

static cJSON *report_of(uint32_t index, uint32_t count)
{
    run b;
    run_init(&b, index, count, 1000);
    cJSON *j = lg_report_json(&b.r);
    run_free(&b);
    return j;
}

static void test_bad_input_refused(void **state)
{
    (void)state;
    cJSON *j = report_of(1, 3);
    expect_add_error(j, "already merged");
    cJSON_Delete(j);

    j = report_of(2, 4);
    expect_add_error(j, "does not belong");
    cJSON_Delete(j);

    j = report_of(2, 3);
    cJSON_ReplaceItemInObject(j, "target", cJSON_CreateString("ws://127.0.0.1:9002/"));
    expect_add_error(j, "target");
    cJSON_Delete(j);

    j = report_of(2, 3);
    cJSON_ReplaceItemInObject(j, "schema", cJSON_CreateString("wsprobe-check/1"));
    expect_add_error(j, "schema");
    cJSON_Delete(j);

    j = report_of(2, 3);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(j, "config"), "scenario",
                              cJSON_CreateString("idle"));
    expect_add_error(j, "scenario");
    cJSON_Delete(j);

    j = report_of(2, 3);
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(j, "summary"), "messages");
    expect_add_error(j, "summary.messages is missing");
    cJSON_Delete(j);

    j = report_of(2, 3);
    cJSON *sent = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "summary"), "messages"), "sent");
    cJSON_SetNumberValue(sent, -5);
    expect_add_error(j, "messages.sent");
    cJSON_Delete(j);

    j = report_of(2, 3);
    cJSON *h = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "histograms"), "latency");
    cJSON_AddItemToArray(cJSON_GetObjectItem(h, "buckets"), cJSON_Parse("[3001, 1]"));
    expect_add_error(j, "histograms.latency");
    cJSON_Delete(j);

    /* A histogram that is not an object; send_lag may be missing (reports
     * from before it was measured, as report_of's are) but not wrong, and it
     * is refused in the same words as the others. */
    static const char *const hists[] = {"latency", "upgrade", "send_lag"};
    for (size_t i = 0; i < sizeof hists / sizeof hists[0]; i++) {
        j = report_of(2, 3);
        cJSON *hs = cJSON_GetObjectItem(j, "histograms");
        cJSON_DeleteItemFromObject(hs, hists[i]);
        cJSON_AddItemToObject(hs, hists[i], cJSON_CreateArray());
        char want[80];
        snprintf(want, sizeof want, "histograms.%s is of the wrong type", hists[i]);
        expect_add_error(j, want);
        cJSON_Delete(j);
    }

    /* A threshold that does not parse, and nothing to merge. */
    lg_merge *m = lg_merge_new();
    char err[600];
    assert_int_equal(lg_merge_finish(m, NULL, 0, err, sizeof err), -1);
    j = report_of(1, 2);
    assert_int_equal(lg_merge_add(m, j, "a", err, sizeof err), 0);
    const char *bad[] = {"p99<<3"};
    assert_int_equal(lg_merge_finish(m, bad, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "p99<<3"));
    cJSON_Delete(j);
    lg_merge_free(m);
}

static void test_missing_shards_named(void **state)
{
    (void)state;
    lg_merge *m = lg_merge_new();
    char err[600];
    cJSON *a = report_of(1, 4), *c = report_of(3, 4);
    assert_int_equal(lg_merge_add(m, a, "a", err, sizeof err), 0);
    assert_int_equal(lg_merge_add(m, c, "c", err, sizeof err), 0);
    assert_int_equal(lg_merge_finish(m, NULL, 0, err, sizeof err), 0);
    assert_string_equal(lg_merge_missing(m), "2, 4");
    cJSON *j = lg_merge_json(m);
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "merge"), "missing_shards")->valuestring,
        "2, 4");
    cJSON_Delete(j);
    cJSON_Delete(a);
    cJSON_Delete(c);
    lg_merge_free(m);
}

static void test_shard_shares_add_up(void **state)
{
    (void)state;
    for (int t = 0; t < 2000; t++) {
        uint64_t total = rnd() % 100000;
        uint32_t n = 1 + (uint32_t)(rnd() % 64), sum = 0;
        uint64_t lo = UINT64_MAX, hi = 0;
        for (uint32_t i = 1; i <= n; i++) {
            uint64_t s = lg_shard_share(total, i, n);
            sum += (uint32_t)s;
            if (s < lo) lo = s;
            if (s > hi) hi = s;
        }
        assert_int_equal(sum, total);
        assert_true(hi - lo <= 1);
    }
}

static void test_wall_time_parse(void **state)
{
    (void)state;
    int64_t at;
    assert_int_equal(lg_parse_wall_time("2026-01-01T00:00:00Z", 0, &at), 0);
    assert_int_equal(at, 1767225600ll * 1000000000);
    assert_int_equal(lg_parse_wall_time("2026-01-01T01:00:00.25+01:00", 0, &at), 0);
    assert_int_equal(at, 1767225600ll * 1000000000 + 250000000);
    assert_int_equal(lg_parse_wall_time("1767225600", 0, &at), 0);
    assert_int_equal(at, 1767225600ll * 1000000000);
    assert_int_equal(lg_parse_wall_time("1767225600.5", 0, &at), 0);
    assert_int_equal(at, 1767225600ll * 1000000000 + 500000000);
    assert_int_equal(lg_parse_wall_time("+10s", 5, &at), 0);
    assert_int_equal(at, 10000000005ll);
    const char *bad[] = {"",
                         "+",
                         "+10x",
                         "2026-02-30T00:00:00Z",
                         "2026-01-01T24:00:00Z",
                         "2026-01-01T00:00:00",
                         "2026-01-01T00:00:00Zjunk",
                         "2026-01-01",
                         "17672256OO",
                         "-5",
                         "2026-01-01T00:00:00+1:00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (lg_parse_wall_time(bad[i], 0, &at) == 0) fail_msg("'%s' was accepted", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_equals_one_run),
        cmocka_unit_test(test_series_align_on_wall_clock),
        cmocka_unit_test(test_bad_input_refused),
        cmocka_unit_test(test_missing_shards_named),
        cmocka_unit_test(test_shard_shares_add_up),
        cmocka_unit_test(test_wall_time_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
