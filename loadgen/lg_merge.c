/* lg_merge: merging the reports of load shards (see lg_merge.h). */
#include "loadgen/lg_merge.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "loadgen/lg_threshold.h"
#include "reports/rp_write.h"
#include "util/util_file.h"

#define MAX_FILE_BYTES (1u << 30)
#define MAX_SPAN_S     (7 * 86400) /* shards further apart are not one load */

/* One second of one shard's series, kept until every shard is in. */
typedef struct sec_entry {
    size_t shard;
    double t;
    int warmup;
    uint64_t c[LG_C_COUNT], err[LG_E_COUNT];
    uint64_t open, lat_count, p50, p90, p99, p999, max;
    uint64_t lag_count, lag_p50, lag_p99, lag_max; /* 0 in reports made before send lag */
    double cpu;
} sec_entry;

typedef struct shard_info {
    double start; /* started_unix_s, 0 when the report has none */
    uint32_t index, count;
} shard_info;

struct lg_merge {
    lg_opts o;
    lg_result r;
    char *target, *subprotocol;
    shard_info *shards;
    size_t n, cap;
    sec_entry *secs;
    size_t n_secs, cap_secs;
    cJSON *list; /* the "shards" array of the merged report */
    char missing[512];
    uint32_t shard_count; /* N of the stamps, 0 when unstamped */
    char host[64];
    bool hosts_differ;
    bool finished;
};

/* Reading one report: every getter records the first problem. */
typedef struct rd {
    const char *name;
    char *err;
    size_t errlen;
    bool failed;
} rd;

static void bad(rd *x, const char *fmt, ...)
{
    if (x->failed) return;
    x->failed = true;
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(x->err, x->errlen, "%s: %s", x->name, what);
}

static const cJSON *get(rd *x, const cJSON *j, const char *where, const char *key, int type)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!v || !(v->type & type)) {
        bad(x, "%s%s%s is %s", where, *where ? "." : "", key, v ? "of the wrong type" : "missing");
        return NULL;
    }
    return v;
}

static double num(rd *x, const cJSON *j, const char *where, const char *key)
{
    const cJSON *v = get(x, j, where, key, cJSON_Number);
    if (!v) return 0;
    if (!isfinite(v->valuedouble) || v->valuedouble < 0) {
        bad(x, "%s.%s is not a number >= 0", where, key);
        return 0;
    }
    return v->valuedouble;
}

static uint64_t count(rd *x, const cJSON *j, const char *where, const char *key)
{
    double v = num(x, j, where, key);
    if (v != floor(v) || v > 9007199254740992.0) {
        bad(x, "%s.%s is not a whole count", where, key);
        return 0;
    }
    return (uint64_t)v;
}

static const char *str(rd *x, const cJSON *j, const char *where, const char *key)
{
    const cJSON *v = get(x, j, where, key, cJSON_String);
    return v ? v->valuestring : "";
}

static bool flag(rd *x, const cJSON *j, const char *where, const char *key)
{
    const cJSON *v = get(x, j, where, key, cJSON_True | cJSON_False);
    return v && cJSON_IsTrue(v);
}

static int err_class(const char *name)
{
    for (int i = 0; i < LG_E_COUNT; i++)
        if (!strcmp(lg_err_name(i), name)) return i;
    return -1;
}

static int scenario_kind(const char *name)
{
    for (int i = 0; i <= LG_SC_SCRIPT; i++)
        if (!strcmp(lg_scenario_name(i), name)) return i;
    return -1;
}

/* Where each summary counter is in the report. */
static const struct {
    int idx;
    const char *part, *key;
} COUNTERS[] = {
    {LG_C_CONNECT_ATTEMPTS, "connections", "attempts"},
    {LG_C_CONNECTED, "connections", "connected"},
    {LG_C_OPENED, "connections", "opened"},
    {LG_C_CLOSED, "connections", "closed"},
    {LG_C_SENT, "messages", "sent"},
    {LG_C_RECEIVED, "messages", "received"},
    {LG_C_BYTES_SENT, "messages", "bytes_sent"},
    {LG_C_BYTES_RECEIVED, "messages", "bytes_received"},
    {LG_C_LOST, "messages", "lost"},
    {LG_C_DUPLICATED, "messages", "duplicated"},
    {LG_C_REORDERED, "messages", "reordered"},
    {LG_C_CORRUPTED, "messages", "corrupted"},
    {LG_C_UNEXPECTED, "messages", "unexpected"},
    {LG_C_BEHIND, "rate", "behind"},
    {LG_C_LATE_LOCAL, "rate", "late_local"},
    {LG_C_SKIPPED, "rate", "skipped"},
    {LG_C_PINGS, "messages", "pings"},
    {LG_C_PONGS, "messages", "pongs"},
    {LG_C_PINGS_LOST, "messages", "pings_lost"},
};

lg_merge *lg_merge_new(void)
{
    lg_merge *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->r.lat = lg_hist_new();
    m->r.lat_unc = lg_hist_new();
    m->r.connect = lg_hist_new();
    m->r.tls = lg_hist_new();
    m->r.upgrade = lg_hist_new();
    m->r.send_lag = lg_hist_new();
    m->list = cJSON_CreateArray();
    if (!m->r.lat || !m->r.lat_unc || !m->r.connect || !m->r.tls || !m->r.upgrade ||
        !m->r.send_lag || !m->list) {
        lg_merge_free(m);
        return NULL;
    }
    m->o.size_min = SIZE_MAX;
    m->o.id_base = UINT32_MAX;
    m->r.o = &m->o;
    return m;
}

void lg_merge_free(lg_merge *m)
{
    if (!m) return;
    lg_hist_free(m->r.lat);
    lg_hist_free(m->r.lat_unc);
    lg_hist_free(m->r.connect);
    lg_hist_free(m->r.tls);
    lg_hist_free(m->r.upgrade);
    lg_hist_free(m->r.send_lag);
    free(m->r.series);
    free(m->target);
    free(m->subprotocol);
    free(m->shards);
    free(m->secs);
    cJSON_Delete(m->list);
    free(m);
}

/* The configuration: the whole load is the shards' shares added back up. */
static void add_config(lg_merge *m, rd *x, const cJSON *cfg, bool first)
{
    lg_opts *o = &m->o;
    const char *where = "config";
    int sc = scenario_kind(str(x, cfg, where, "scenario"));
    double rate = num(x, cfg, where, "rate");
    const cJSON *stages = get(x, cfg, where, "stages", cJSON_Array);
    if (x->failed) return;
    if (sc < 0) return bad(x, "config.scenario is not one this wsprobe knows");
    if (!first && sc != o->scenario)
        return bad(x, "scenario %s differs from the other shards' (%s)", lg_scenario_name(sc),
                   lg_scenario_name(o->scenario));
    if (!first && (rate > 0) != (o->rate > 0))
        return bad(x, "an %s-loop run cannot merge with %s-loop shards",
                   rate > 0 ? "open" : "closed", o->rate > 0 ? "open" : "closed");
    o->scenario = sc;
    o->connections += (uint32_t)count(x, cfg, where, "connections");
    o->threads += (int)count(x, cfg, where, "threads");
    int64_t dur = (int64_t)(num(x, cfg, where, "duration_s") * 1e9);
    int64_t warm = (int64_t)(num(x, cfg, where, "warmup_s") * 1e9);
    if (dur > o->duration_ns) o->duration_ns = dur;
    if (warm > o->warmup_ns) o->warmup_ns = warm;
    o->messages += count(x, cfg, where, "messages");
    o->rate += rate;
    o->connect_rate += num(x, cfg, where, "connect_rate");
    size_t lo = (size_t)count(x, cfg, where, "size_min"),
           hi = (size_t)count(x, cfg, where, "size_max");
    if (lo < o->size_min) o->size_min = lo;
    if (hi > o->size_max) o->size_max = hi;
    o->n_sources += (int)count(x, cfg, where, "source_ips");
    o->senders += (uint32_t)count(x, cfg, where, "senders");
    uint64_t base = count(x, cfg, where, "id_base");
    if (base < o->id_base) o->id_base = (uint32_t)base;
    uint64_t inflight = count(x, cfg, where, "inflight");
    bool binary = flag(x, cfg, where, "binary"), deflate = flag(x, cfg, where, "deflate");
    bool reconnect = flag(x, cfg, where, "reconnect");
    if (first) {
        o->inflight = (uint32_t)inflight;
        o->binary = binary;
        o->deflate = deflate;
        o->reconnect = reconnect;
        const cJSON *sp = cJSON_GetObjectItemCaseSensitive(cfg, "subprotocol");
        if (cJSON_IsString(sp) && !(m->subprotocol = strdup(sp->valuestring)))
            return bad(x, "out of memory");
        o->subprotocol = m->subprotocol;
    }
    /* Stages add target by target when every shard ramps the same way. */
    int n = cJSON_GetArraySize(stages);
    if (first) o->n_stages = n <= LG_MAX_STAGES ? n : 0;
    if (n != o->n_stages) o->n_stages = 0;
    for (int i = 0; i < o->n_stages && !x->failed; i++) {
        const cJSON *st = cJSON_GetArrayItem(stages, i);
        uint64_t target = count(x, st, "config.stages[]", "target");
        o->stages[i].dur_ns = (int64_t)(num(x, st, "config.stages[]", "duration_s") * 1e9);
        o->stages[i].target = first ? (uint32_t)target : o->stages[i].target + (uint32_t)target;
    }
}

static void add_codes(lg_code_count *slots, rd *x, const cJSON *codes, const char *where)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, codes)
    {
        uint64_t n = count(x, codes, where, c->string);
        char *end;
        unsigned long code = strtoul(c->string, &end, 10);
        if (!strcmp(c->string, "other"))
            slots[LG_CODE_SLOTS - 1].n += n;
        else if (!strcmp(c->string, "none"))
            lg_code_add(slots, 0, n);
        else if (*end || end == c->string || code == 0 || code > 65535)
            bad(x, "%s: '%s' is not a code", where, c->string);
        else
            lg_code_add(slots, (uint32_t)code, n);
    }
}

static void add_errors(lg_merge *m, rd *x, const cJSON *e, const char *label)
{
    lg_result *r = &m->r;
    const cJSON *by = get(x, e, "summary.errors", "by_class", cJSON_Object);
    const cJSON *cc = get(x, e, "summary.errors", "close_codes", cJSON_Object);
    const cJSON *hs = get(x, e, "summary.errors", "handshake_status", cJSON_Object);
    const cJSON *det = get(x, e, "summary.errors", "details", cJSON_Object);
    if (x->failed) return;
    const cJSON *c;
    cJSON_ArrayForEach(c, by)
    {
        int cls = err_class(c->string);
        if (cls < 0) return bad(x, "summary.errors.by_class: unknown class '%s'", c->string);
        r->total.err[cls] += count(x, by, "summary.errors.by_class", c->string);
    }
    add_codes(r->total.close_codes, x, cc, "summary.errors.close_codes");
    add_codes(r->total.http_status, x, hs, "summary.errors.handshake_status");
    cJSON_ArrayForEach(c, det)
    {
        int cls = err_class(c->string);
        const cJSON *d;
        if (cls < 0) continue;
        cJSON_ArrayForEach(d, c)
        {
            char text[LG_DETAIL_LEN];
            if (!cJSON_IsString(d)) continue;
            snprintf(text, sizeof text, "%.40s: %.110s", label, d->valuestring);
            lg_details_add(&r->det, cls, text);
        }
    }
}

static void add_summary(lg_merge *m, rd *x, const cJSON *s, const char *label)
{
    lg_result *r = &m->r;
    const cJSON *parts[7];
    static const char *const names[7] = {"connections", "messages",  "rate",     "latency",
                                         "errors",      "integrity", "generator"};
    for (int i = 0; i < 7; i++) parts[i] = get(x, s, "summary", names[i], cJSON_Object);
    if (x->failed) return;
    for (size_t i = 0; i < sizeof COUNTERS / sizeof COUNTERS[0]; i++) {
        const cJSON *part = cJSON_GetObjectItemCaseSensitive(s, COUNTERS[i].part);
        r->total.c[COUNTERS[i].idx] += count(x, part, COUNTERS[i].part, COUNTERS[i].key);
    }
    const cJSON *cn = parts[0], *msg = parts[1], *rate = parts[2], *gen = parts[6];
    double measured = num(x, s, "summary", "measured_s"),
           elapsed = num(x, s, "summary", "elapsed_s");
    /* The report has the window's rates; counts come back exactly (15 digits). */
    double secs = measured > 0 ? measured : 1;
    r->window.c[LG_C_SENT] += (uint64_t)llround(num(x, rate, "rate", "sent_per_s") * secs);
    r->window.c[LG_C_RECEIVED] += (uint64_t)llround(num(x, rate, "rate", "received_per_s") * secs);
    r->window.c[LG_C_OPENED] +=
        (uint64_t)llround(num(x, cn, "connections", "handshakes_per_s") * secs);
    if (measured > r->measured_s) r->measured_s = measured;
    if (elapsed > r->elapsed_s) r->elapsed_s = elapsed;
    r->interrupted |= flag(x, s, "summary", "interrupted");
    r->peak_open += count(x, cn, "connections", "peak_open");
    r->in_flight_at_stop += count(x, msg, "messages", "in_flight_at_stop");
    add_errors(m, x, parts[4], label);

    const cJSON *in = parts[5];
    r->n_bad_total += count(x, in, "integrity", "connections_with_problems");
    const cJSON *list = get(x, in, "integrity", "connections", cJSON_Array), *b;
    cJSON_ArrayForEach(b, list)
    {
        if (r->n_bad == LG_MAX_BAD_CONNS) break;
        const char *w = "integrity.connections[]";
        r->bad[r->n_bad++] = (lg_conn_integrity){
            (uint32_t)count(x, b, w, "id"), (uint32_t)count(x, b, w, "lost"),
            (uint32_t)count(x, b, w, "duplicated"), (uint32_t)count(x, b, w, "reordered"),
            (uint32_t)count(x, b, w, "corrupted")};
    }

    r->cpu_user_s += num(x, gen, "generator", "cpu_user_s");
    r->cpu_sys_s += num(x, gen, "generator", "cpu_sys_s");
    long rss = (long)num(x, gen, "generator", "peak_rss_kb");
    double busy = num(x, gen, "generator", "busiest_worker_cpu");
    if (rss > r->peak_rss_kb) r->peak_rss_kb = rss;
    if (busy > r->busy_max) r->busy_max = busy;
    r->bottleneck |= flag(x, gen, "generator", "bottleneck");
    const cJSON *notes = get(x, gen, "generator", "notes", cJSON_Array), *n;
    cJSON_ArrayForEach(n, notes)
    {
        if (r->n_notes == LG_MAX_NOTES || !cJSON_IsString(n)) break;
        snprintf(r->notes[r->n_notes++], sizeof r->notes[0], "%.40s: %.150s", label,
                 n->valuestring);
    }
}

/* A field that reports written before it existed lack. */
static bool has(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key) != NULL;
}

static void add_histograms(lg_merge *m, rd *x, const cJSON *h)
{
    static const char *const names[6] = {
        "latency", "latency_uncorrected", "connect", "tls", "upgrade", "send_lag"};
    lg_hist *dst[6] = {m->r.lat, m->r.lat_unc, m->r.connect, m->r.tls, m->r.upgrade, m->r.send_lag};
    for (int i = 0; i < 6 && !x->failed; i++) {
        /* optional: reports written before the send lag was measured have none */
        if (dst[i] == m->r.send_lag && !has(h, names[i])) continue;
        const cJSON *j = get(x, h, "histograms", names[i], cJSON_Object);
        char why[200];
        if (j && lg_hist_add_json(dst[i], j, why, sizeof why))
            bad(x, "histograms.%s: %s", names[i], why);
    }
}

static uint64_t us_to_ns(double us)
{
    return (uint64_t)llround(us * 1e3);
}

static void add_series(lg_merge *m, rd *x, const cJSON *series)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, series)
    {
        if (x->failed) return;
        if (m->n_secs == m->cap_secs) {
            size_t cap = m->cap_secs ? m->cap_secs * 2 : 256;
            sec_entry *p = realloc(m->secs, cap * sizeof *p);
            if (!p) return bad(x, "out of memory");
            m->secs = p;
            m->cap_secs = cap;
        }
        sec_entry *e = &m->secs[m->n_secs];
        memset(e, 0, sizeof *e);
        e->shard = m->n;
        const char *w = "series[]";
        e->t = num(x, s, w, "t");
        e->warmup = flag(x, s, w, "warmup");
        e->open = count(x, s, w, "open");
        for (int i = 0; i < LG_C_COUNT; i++) e->c[i] = count(x, s, w, lg_counter_name(i));
        const cJSON *by = get(x, s, w, "errors_by_class", cJSON_Object), *c;
        cJSON_ArrayForEach(c, by)
        {
            int cls = err_class(c->string);
            if (cls < 0) return bad(x, "series[].errors_by_class: unknown class '%s'", c->string);
            e->err[cls] = count(x, by, w, c->string);
        }
        e->lat_count = count(x, s, w, "latency_count");
        e->p50 = us_to_ns(num(x, s, w, "p50_us"));
        e->p90 = us_to_ns(num(x, s, w, "p90_us"));
        e->p99 = us_to_ns(num(x, s, w, "p99_us"));
        e->p999 = us_to_ns(num(x, s, w, "p999_us"));
        e->max = us_to_ns(num(x, s, w, "max_us"));
        e->cpu = num(x, s, w, "cpu_busy_max");
        if (has(s, "send_lag_count")) {
            e->lag_count = count(x, s, w, "send_lag_count");
            e->lag_p50 = us_to_ns(num(x, s, w, "send_lag_p50_us"));
            e->lag_p99 = us_to_ns(num(x, s, w, "send_lag_p99_us"));
            e->lag_max = us_to_ns(num(x, s, w, "send_lag_max_us"));
        }
        m->n_secs++;
    }
}

/* The shard stamp: a shard seen twice would count its load twice. */
static void add_stamp(lg_merge *m, rd *x, const cJSON *rep, shard_info *si, char *label, size_t cap)
{
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(rep, "shard");
    snprintf(label, cap, "%s", x->name);
    if (!sh) return;
    si->index = (uint32_t)count(x, sh, "shard", "index");
    si->count = (uint32_t)count(x, sh, "shard", "count");
    if (x->failed) return;
    if (si->index < 1 || si->index > si->count)
        return bad(x, "shard %u/%u is not a shard number", si->index, si->count);
    snprintf(label, cap, "shard %u/%u", si->index, si->count);
    for (size_t i = 0; i < m->n; i++) {
        if (!m->shards[i].count) continue;
        if (m->shards[i].count != si->count)
            return bad(x, "shard %u/%u does not belong with the shards of %u", si->index, si->count,
                       m->shards[i].count);
        if (m->shards[i].index == si->index)
            return bad(x,
                       "shard %u/%u is already merged (from another report): it would count "
                       "twice",
                       si->index, si->count);
    }
}

int lg_merge_add(lg_merge *m, const cJSON *rep, const char *name, char *err, size_t errlen)
{
    rd x = {name, err, errlen, false};
    if (m->finished) {
        bad(&x, "the merge is already finished");
        return -1;
    }
    const char *schema = str(&x, rep, "", "schema");
    if (!x.failed && strcmp(schema, "wsprobe-load/1") != 0)
        bad(&x, "schema '%.40s' is not wsprobe-load/1 (is it a load report?)", schema);
    const char *target = str(&x, rep, "", "target");
    const char *started = str(&x, rep, "", "started_at");
    const char *host = str(&x, rep, "", "host");
    const cJSON *cfg = get(&x, rep, "", "config", cJSON_Object);
    const cJSON *sum = get(&x, rep, "", "summary", cJSON_Object);
    const cJSON *series = get(&x, rep, "", "series", cJSON_Array);
    const cJSON *hist = get(&x, rep, "", "histograms", cJSON_Object);
    if (x.failed) return -1;
    if (m->target && strcmp(m->target, target) != 0)
        bad(&x, "target %s is not the other shards' %s", target, m->target);
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 8;
        shard_info *p = realloc(m->shards, cap * sizeof *p);
        if (!p) {
            bad(&x, "out of memory");
        } else {
            m->shards = p;
            m->cap = cap;
        }
    }
    if (x.failed) return -1;
    shard_info si = {0};
    const cJSON *su = cJSON_GetObjectItemCaseSensitive(rep, "started_unix_s");
    si.start = cJSON_IsNumber(su) && su->valuedouble > 0 ? su->valuedouble : 0;
    char label[160];
    add_stamp(m, &x, rep, &si, label, sizeof label);
    bool first = m->n == 0;
    if (first && !(m->target = strdup(target))) bad(&x, "out of memory");
    if (x.failed) return -1;
    m->o.url_text = m->target;
    add_config(m, &x, cfg, first);
    add_summary(m, &x, sum, label);
    add_histograms(m, &x, hist);
    add_series(m, &x, series);
    if (x.failed) return -1; /* the merge is unusable now: the caller stops */

    if (first || strcmp(started, m->r.started_at) < 0)
        snprintf(m->r.started_at, sizeof m->r.started_at, "%s", started);
    if (si.start && (!m->r.started_unix_s || si.start < m->r.started_unix_s))
        m->r.started_unix_s = si.start;
    if (first)
        snprintf(m->host, sizeof m->host, "%s", host);
    else if (strcmp(host, m->host) != 0)
        m->hosts_differ = true;
    m->shards[m->n++] = si;

    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "report", name);
    if (si.count) {
        cJSON_AddNumberToObject(e, "index", si.index);
        cJSON_AddNumberToObject(e, "count", si.count);
    }
    cJSON_AddStringToObject(e, "host", host);
    cJSON_AddStringToObject(e, "started_at", started);
    if (si.start) cJSON_AddNumberToObject(e, "started_unix_s", si.start);
    cJSON *sc = cJSON_GetObjectItemCaseSensitive(sum, "exit_code");
    cJSON_AddNumberToObject(e, "exit_code", cJSON_IsNumber(sc) ? sc->valuedouble : 0);
    cJSON_AddNumberToObject(e, "connections",
                            cJSON_GetObjectItemCaseSensitive(cfg, "connections")->valuedouble);
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(sum, "messages");
    cJSON_AddNumberToObject(e, "sent", cJSON_GetObjectItemCaseSensitive(msg, "sent")->valuedouble);
    cJSON_AddNumberToObject(e, "received",
                            cJSON_GetObjectItemCaseSensitive(msg, "received")->valuedouble);
    cJSON_AddItemToArray(m->list, e);
    return 0;
}

/* Seconds of every shard's series, added per wall-clock second: the second
 * in which each entry's interval ended (started_unix_s + t). Shards without a
 * start time align on t alone. */
static int build_series(lg_merge *m, char *err, size_t errlen)
{
    bool wall = true;
    for (size_t i = 0; i < m->n; i++) wall &= m->shards[i].start > 0;
    double base = wall ? floor(m->r.started_unix_s) : 0;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < m->n_secs; i++) {
        const sec_entry *e = &m->secs[i];
        int64_t key = (int64_t)floor((wall ? m->shards[e->shard].start - base : 0) + e->t);
        if (key < lo) lo = key;
        if (key > hi) hi = key;
    }
    if (m->n_secs == 0) return 0;
    if (hi - lo > MAX_SPAN_S) {
        snprintf(err, errlen, "the shards ran more than a week apart: not one load");
        return -1;
    }
    size_t n = (size_t)(hi - lo + 1);
    lg_second *out = calloc(n, sizeof *out);
    size_t *last_shard = calloc(n, sizeof *last_shard);
    uint64_t *last_open = calloc(n, sizeof *last_open);
    if (!out || !last_shard || !last_open) {
        free(out);
        free(last_shard);
        free(last_open);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t k = 0; k < n; k++) {
        out[k].t = (double)(lo + (int64_t)k);
        last_shard[k] = SIZE_MAX;
    }
    for (size_t i = 0; i < m->n_secs; i++) {
        const sec_entry *e = &m->secs[i];
        size_t k =
            (size_t)((int64_t)floor((wall ? m->shards[e->shard].start - base : 0) + e->t) - lo);
        lg_second *s = &out[k];
        /* k.c holds this second's deltas until the running sum below. */
        for (int c = 0; c < LG_C_COUNT; c++) s->k.c[c] += e->c[c];
        for (int c = 0; c < LG_E_COUNT; c++) s->k.err[c] += e->err[c];
        /* open is a gauge: a shard's later entry in the same second replaces its earlier one. */
        s->k.open += e->open - (last_shard[k] == e->shard ? last_open[k] : 0);
        last_shard[k] = e->shard;
        last_open[k] = e->open;
        s->warmup |= e->warmup;
        s->lat_count += e->lat_count;
        if (e->p50 > s->p50) s->p50 = e->p50;
        if (e->p90 > s->p90) s->p90 = e->p90;
        if (e->p99 > s->p99) s->p99 = e->p99;
        if (e->p999 > s->p999) s->p999 = e->p999;
        if (e->max > s->max) s->max = e->max;
        if (e->cpu > s->cpu_busy_max) s->cpu_busy_max = e->cpu;
        s->lag_count += e->lag_count;
        if (e->lag_p50 > s->lag_p50) s->lag_p50 = e->lag_p50;
        if (e->lag_p99 > s->lag_p99) s->lag_p99 = e->lag_p99;
        if (e->lag_max > s->lag_max) s->lag_max = e->lag_max;
    }
    for (size_t k = 1; k < n; k++) {
        for (int c = 0; c < LG_C_COUNT; c++) out[k].k.c[c] += out[k - 1].k.c[c];
        for (int c = 0; c < LG_E_COUNT; c++) out[k].k.err[c] += out[k - 1].k.err[c];
    }
    free(last_shard);
    free(last_open);
    m->r.series = out;
    m->r.n_series = n;
    return 0;
}

/* Shards 1..N that the stamps lead one to expect but no report brought. */
static void find_missing(lg_merge *m)
{
    uint32_t total = 0;
    for (size_t i = 0; i < m->n; i++)
        if (m->shards[i].count) total = m->shards[i].count;
    m->shard_count = total;
    size_t len = 0;
    m->missing[0] = 0;
    for (uint32_t want = 1; total && want <= total; want++) {
        bool seen = false;
        for (size_t i = 0; i < m->n && !seen; i++) seen = m->shards[i].index == want;
        if (seen || len + 16 >= sizeof m->missing) continue;
        len += (size_t)snprintf(m->missing + len, sizeof m->missing - len, "%s%u", len ? ", " : "",
                                want);
    }
}

int lg_merge_finish(lg_merge *m, const char *const *thresholds, int n_th, char *err, size_t errlen)
{
    if (m->n == 0 || m->finished) {
        snprintf(err, errlen, m->n ? "the merge is already finished" : "no report to merge");
        return -1;
    }
    if (n_th > LG_MAX_THRESHOLDS) {
        snprintf(err, errlen, "at most %d thresholds", LG_MAX_THRESHOLDS);
        return -1;
    }
    lg_threshold th[LG_MAX_THRESHOLDS];
    for (int i = 0; i < n_th; i++)
        if (lg_threshold_parse(thresholds[i], &th[i], err, errlen)) return -1;
    if (build_series(m, err, errlen)) return -1;
    m->finished = true;
    lg_result *r = &m->r;
    if (m->o.size_min == SIZE_MAX) m->o.size_min = 0;
    if (m->hosts_differ)
        snprintf(r->host, sizeof r->host, "%zu shards on several hosts", m->n);
    else
        snprintf(r->host, sizeof r->host, "%s", m->host);
    find_missing(m);
    int missed = 0;
    for (int i = 0; i < n_th; i++) {
        lg_threshold_eval(&th[i], r, thresholds[i], &r->th[i]);
        missed += !r->th[i].pass;
    }
    r->n_th = n_th;
    const uint64_t *e = r->total.err;
    uint64_t unreachable =
        e[LG_E_REFUSED] + e[LG_E_CONNECT_TIMEOUT] + e[LG_E_UNREACHABLE] + e[LG_E_RESOLVE];
    r->exit_code = missed                                               ? 1
                   : r->interrupted                                     ? 130
                   : r->total.c[LG_C_CONNECTED] == 0 && unreachable > 0 ? 3
                                                                        : 0;
    return missed;
}

const lg_result *lg_merge_result(const lg_merge *m)
{
    return &m->r;
}

const char *lg_merge_missing(const lg_merge *m)
{
    return m->missing;
}

cJSON *lg_merge_json(const lg_merge *m)
{
    cJSON *j = lg_report_json(&m->r);
    cJSON *mg = j ? cJSON_AddObjectToObject(j, "merge") : NULL;
    if (!mg) {
        cJSON_Delete(j);
        return NULL;
    }
    cJSON_AddNumberToObject(mg, "shards_merged", (double)m->n);
    cJSON_AddItemToObject(mg, "shards", cJSON_Duplicate(m->list, 1));
    if (m->missing[0]) cJSON_AddStringToObject(mg, "missing_shards", m->missing);
    cJSON_AddStringToObject(mg, "exact",
                            "counters, errors, histograms and summary percentiles; series "
                            "counts per wall-clock second");
    cJSON_AddStringToObject(mg, "approximate",
                            "series percentiles are the worst shard's in that second; rates are "
                            "the merged window's messages over the longest shard window; peak "
                            "RSS and busiest worker are the largest shard's");
    return j;
}

int lg_merge_run(int nfiles, char **files, const char *out_dir, const char *const *thresholds,
                 int n_thresholds, char *err, size_t errlen)
{
    lg_merge *m = lg_merge_new();
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return 2;
    }
    int rc = 2;
    cJSON *j = NULL;
    for (int i = 0; i < nfiles; i++) {
        char *text = util_read_file(files[i], MAX_FILE_BYTES, NULL, err, errlen);
        if (!text) goto out;
        cJSON *rep = cJSON_Parse(text);
        free(text);
        if (!rep) {
            snprintf(err, errlen, "%s: not JSON", files[i]);
            goto out;
        }
        int added = lg_merge_add(m, rep, files[i], err, errlen);
        cJSON_Delete(rep);
        if (added) goto out;
    }
    int missed = lg_merge_finish(m, thresholds, n_thresholds, err, errlen);
    if (missed < 0) goto out;
    if (m->missing[0])
        fprintf(stderr,
                "wsprobe report: warning: shard(s) %s of %u not given: the merge covers "
                "only part of the load\n",
                m->missing, m->shard_count);
    j = lg_merge_json(m);
    if (!j) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (lg_report_write(out_dir, j, err, errlen) || rp_write_dir(out_dir, err, errlen)) goto out;
    printf("merged %zu shard reports (%s)", m->n, m->r.host);
    lg_report_summary(stdout, &m->r);
    if (missed) {
        fprintf(stderr, "wsprobe report: %d threshold(s) missed on the merged result:", missed);
        for (int i = 0; i < m->r.n_th; i++)
            if (!m->r.th[i].pass) fprintf(stderr, " '%s' (%s)", m->r.th[i].expr, m->r.th[i].text);
        fprintf(stderr, "\n");
    }
    rc = missed ? 1 : 0;
out:
    cJSON_Delete(j);
    lg_merge_free(m);
    return rc;
}
