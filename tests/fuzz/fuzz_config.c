/* fuzz_config: the parsers of what a user or another machine hands us besides
 * cases and URLs. The first byte picks one:
 *   0  a load script (lg_script_parse, `load -s script --script FILE`)
 *   1  a threshold expression (lg_threshold_parse, `--threshold`), judged on
 *      the result of a merge so every metric is looked up
 *   2  a report.json (rp_report_parse, what `wsprobe report` reads)
 *   3  a load shard report (lg_merge_add, what `report --merge` combines from
 *      other machines), added twice and finished
 *   4  sizes, durations and integers (util_parse_*)
 *   5  an Autobahn fuzzingclient.json (hs_config_parse, `check --config`)
 *
 * Any input is parsed or refused with a message, never crashes, leaks or
 * hangs; what parses keeps the parser's promises (ranges, non-empty names). */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "harness/hs_config.h"
#include "loadgen/lg_hist.h"
#include "loadgen/lg_merge.h"
#include "loadgen/lg_report.h"
#include "loadgen/lg_scenario.h"
#include "loadgen/lg_threshold.h"
#include "reports/rp_model.h"
#include "tests/fuzz/fuzz_util.h"
#include "util/util_parse.h"

static void check_err(int rc, const char *err, size_t cap)
{
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK(memchr(err, 0, cap) != NULL);
    if (rc != 0) FUZZ_CHECK(err[0] != 0);
}

static void fuzz_script(const char *text)
{
    lg_script s = {0};
    char err[256] = "";
    int rc = lg_script_parse(text, &s, err, sizeof err);
    check_err(rc, err, sizeof err);
    for (size_t i = 0; rc == 0 && i < s.n; i++) {
        FUZZ_CHECK(s.steps[i].kind >= LG_STEP_SEND && s.steps[i].kind <= LG_STEP_SLEEP);
        FUZZ_CHECK(s.steps[i].ns >= 0);
        if (s.steps[i].kind != LG_STEP_SLEEP) FUZZ_CHECK(s.steps[i].text != NULL);
    }
    lg_script_free(&s);
}

/* A real (empty) load report, made once: the merge every threshold is
 * judged on. lg_merge_add must take it, or the judging would go untested. */
static const cJSON *seed_report(void)
{
    static cJSON *rep;
    if (rep) return rep;
    static lg_opts o;
    o.url_text = "ws://127.0.0.1:9001/";
    o.scenario = LG_SC_ECHO;
    o.threads = 1;
    o.duration_ns = 1000000000;
    o.inflight = 1;
    o.size_min = o.size_max = 64;
    o.senders = 1;
    lg_result r = {.o = &o, .measured_s = 1.0, .elapsed_s = 1.1, .started_unix_s = 1.7e9};
    lg_hist **h[] = {&r.lat, &r.lat_unc, &r.connect, &r.tls, &r.upgrade, &r.send_lag};
    for (size_t i = 0; i < sizeof h / sizeof h[0]; i++) {
        *h[i] = lg_hist_new();
        FUZZ_CHECK(*h[i] != NULL);
    }
    snprintf(r.started_at, sizeof r.started_at, "2026-01-01T00:00:00Z");
    snprintf(r.host, sizeof r.host, "seed");
    rep = lg_report_json(&r);
    for (size_t i = 0; i < sizeof h / sizeof h[0]; i++) lg_hist_free(*h[i]);
    FUZZ_CHECK(rep != NULL);
    return rep;
}

static void fuzz_threshold(const char *text)
{
    lg_threshold t;
    char err[256] = "";
    int rc = lg_threshold_parse(text, &t, err, sizeof err);
    check_err(rc, err, sizeof err);
    if (rc != 0) return;
    FUZZ_CHECK(memchr(t.metric, 0, sizeof t.metric) != NULL && t.metric[0]);
    /* the same expression through a merge: parsed again and judged */
    lg_merge *m = lg_merge_new();
    FUZZ_CHECK(lg_merge_add(m, seed_report(), "seed", err, sizeof err) == 0);
    const char *th[1] = {text};
    int missed = lg_merge_finish(m, th, 1, err, sizeof err);
    FUZZ_CHECK(missed >= -1 && missed <= 1);
    lg_merge_free(m);
}

static void fuzz_report(const char *text, size_t len)
{
    rp_report r;
    char err[256] = "";
    memset(&r, 0, sizeof r);
    int rc = rp_report_parse(&r, text, len, "fuzz.json", err, sizeof err);
    check_err(rc, err, sizeof err);
    if (rc == 0) {
        for (size_t i = 0; i < r.n_cases; i++) FUZZ_CHECK(r.cases[i].id != NULL);
        FUZZ_CHECK(rp_report_agent(&r) != NULL);
    }
    rp_report_free(&r);
}

static void fuzz_merge(const char *text)
{
    cJSON *rep = cJSON_Parse(text);
    if (!rep) return;
    lg_merge *m = lg_merge_new();
    char err[256] = "";
    int rc = lg_merge_add(m, rep, "a", err, sizeof err);
    check_err(rc, err, sizeof err);
    if (rc == 0) {
        /* the same shard twice is refused when it carries a shard stamp */
        (void)lg_merge_add(m, rep, "b", err, sizeof err);
        int missed = lg_merge_finish(m, NULL, 0, err, sizeof err);
        FUZZ_CHECK(missed == 0 || missed == -1);
        if (missed == 0) cJSON_Delete(lg_merge_json(m));
    }
    lg_merge_free(m);
    cJSON_Delete(rep);
}

static void fuzz_numbers(const char *text, fuzz_in *opt)
{
    /* one option byte per statement: the order they are read in is fixed */
    uint64_t lo = fuzz_byte(opt);
    uint64_t hi = fuzz_u16(opt);
    hi <<= fuzz_byte(opt) % 48;
    int unit = fuzz_byte(opt) % 4;
    uint64_t v = 12345;
    if (util_parse_uint(text, lo, hi, &v) == 0) FUZZ_CHECK(v >= lo && v <= hi);
    v = 12345;
    if (util_parse_size(text, lo, hi, &v) == 0) FUZZ_CHECK(v >= lo && v <= hi);
    int64_t units[] = {1, UTIL_NS_PER_US, UTIL_NS_PER_MS, UTIL_NS_PER_S};
    int64_t ns = -7;
    if (util_parse_duration(text, units[unit], &ns) == 0) FUZZ_CHECK(ns >= 0);
}

static void fuzz_autobahn(const char *text)
{
    hs_config c;
    char err[256] = "";
    int rc = hs_config_parse(text, &c, err, sizeof err);
    check_err(rc, err, sizeof err);
    if (rc == 0) {
        for (size_t i = 0; i < c.n_servers; i++) FUZZ_CHECK(c.servers[i].url != NULL);
        hs_config_free(&c);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = {data, size};
    int which = fuzz_byte(&in) % 6;
    fuzz_in opt = {0};
    if (which == 4) { /* five option bytes: lo, hi (two), hi's shift, the unit */
        opt.p = in.p;
        opt.n = in.n < 5 ? in.n : 5;
        in.p += opt.n;
        in.n -= opt.n;
    }
    char *text = fuzz_cstr(in.p, in.n);
    switch (which) {
    case 0:
        fuzz_script(text);
        break;
    case 1:
        fuzz_threshold(text);
        break;
    case 2:
        fuzz_report(text, in.n);
        break;
    case 3:
        fuzz_merge(text);
        break;
    case 4:
        fuzz_numbers(text, &opt);
        break;
    default:
        fuzz_autobahn(text);
        break;
    }
    free(text);
    return 0;
}
