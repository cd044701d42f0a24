/* rp_merge: merging load shards (see rp_merge.h). */
#include "reports/rp_merge.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "loadgen/lg_hist.h"

#define MAX_LIST 200 /* entries kept when lists (details, notes) are concatenated */

static bool is_max_key(const char *k)
{
    static const char *const keys[] = {"t",
                                       "elapsed_s",
                                       "measured_s",
                                       "exit_code",
                                       "busiest_worker_cpu",
                                       "cpu_busy_max",
                                       "max_us",
                                       "p50_us",
                                       "p90_us",
                                       "p99_us",
                                       "p999_us",
                                       "duration_s",
                                       "warmup_s",
                                       "threads"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strcmp(k, keys[i])) return true;
    return false;
}

/* Folds src into dst: numbers add (or take the max for is_max_key), booleans
 * OR, objects recurse, arrays concatenate up to MAX_LIST, strings keep dst's. */
static void fold(cJSON *dst, const cJSON *src)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, src)
    {
        cJSON *d = cJSON_GetObjectItemCaseSensitive(dst, s->string);
        if (!d) {
            cJSON_AddItemToObject(dst, s->string, cJSON_Duplicate(s, 1));
        } else if (cJSON_IsNumber(d) && cJSON_IsNumber(s)) {
            double v = is_max_key(s->string)
                           ? (s->valuedouble > d->valuedouble ? s->valuedouble : d->valuedouble)
                           : d->valuedouble + s->valuedouble;
            cJSON_SetNumberValue(d, v);
        } else if (cJSON_IsBool(d) && cJSON_IsBool(s)) {
            if (cJSON_IsTrue(s) && !cJSON_IsTrue(d))
                cJSON_ReplaceItemInObjectCaseSensitive(dst, s->string, cJSON_CreateTrue());
        } else if (cJSON_IsObject(d) && cJSON_IsObject(s)) {
            fold(d, s);
        } else if (cJSON_IsArray(d) && cJSON_IsArray(s)) {
            const cJSON *e;
            cJSON_ArrayForEach(e, s)
            {
                if (cJSON_GetArraySize(d) >= MAX_LIST) break;
                cJSON_AddItemToArray(d, cJSON_Duplicate(e, 1));
            }
        }
    }
}

static cJSON *obj(const cJSON *j, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(j, k);
}

static double num(const cJSON *j, const char *k)
{
    const cJSON *v = obj(j, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void set_num(cJSON *j, const char *k, double v)
{
    cJSON *x = obj(j, k);
    if (cJSON_IsNumber(x))
        cJSON_SetNumberValue(x, v);
    else
        cJSON_AddNumberToObject(j, k, v);
}

static void percentiles_into(cJSON *j, const lg_hist *h)
{
    uint64_t n = lg_hist_total(h);
    set_num(j, "count", (double)n);
    set_num(j, "min_us", n ? (double)h->min / 1e3 : 0);
    set_num(j, "mean_us", lg_hist_mean(h) / 1e3);
    set_num(j, "p50_us", (double)lg_hist_percentile(h, 50) / 1e3);
    set_num(j, "p90_us", (double)lg_hist_percentile(h, 90) / 1e3);
    set_num(j, "p99_us", (double)lg_hist_percentile(h, 99) / 1e3);
    set_num(j, "p999_us", (double)lg_hist_percentile(h, 99.9) / 1e3);
    set_num(j, "max_us", n ? (double)h->max / 1e3 : 0);
}

/* Merges histograms.NAME of every shard and rewrites the percentiles in
 * summary.latency.PCT from the result. */
static int merge_hist(cJSON *out, const rp_report *const *reps, size_t n, const char *name,
                      const char *pct, char *err, size_t errlen)
{
    lg_hist *h = lg_hist_new();
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const cJSON *j = obj(obj(reps[i]->root, "histograms"), name);
        char e[200];
        if (j && lg_hist_add_json(h, j, e, sizeof e) != 0) {
            snprintf(err, errlen, "shard %zu: histograms.%s: %s", i + 1, name, e);
            lg_hist_free(h);
            return -1;
        }
    }
    cJSON *hs = obj(out, "histograms");
    cJSON_ReplaceItemInObjectCaseSensitive(hs, name, lg_hist_to_json(h));
    cJSON *lat = obj(obj(obj(out, "summary"), "latency"), pct);
    if (lat) percentiles_into(lat, h);
    lg_hist_free(h);
    return 0;
}

static void merge_series(cJSON *out, const rp_report *const *reps, size_t n)
{
    cJSON *series = cJSON_CreateArray();
    for (int i = 0;; i++) {
        cJSON *sec = NULL;
        for (size_t k = 0; k < n; k++) {
            const cJSON *s = cJSON_GetArrayItem(obj(reps[k]->root, "series"), i);
            if (!s) continue;
            if (!sec)
                sec = cJSON_Duplicate(s, 1);
            else
                fold(sec, s);
        }
        if (!sec) break;
        cJSON_AddItemToArray(series, sec);
    }
    cJSON_ReplaceItemInObjectCaseSensitive(out, "series", series);
}

cJSON *rp_merge_load(const rp_report *const *reps, size_t n, const char *const *names, char *err,
                     size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        if (reps[i]->kind != RP_KIND_LOAD) {
            snprintf(err, errlen, "%s: --merge takes load reports, this is a check report",
                     names[i]);
            return NULL;
        }
        if (strcmp(reps[i]->target, reps[0]->target) != 0) {
            snprintf(err, errlen, "%s: target %.200s differs from %.200s in %s", names[i],
                     reps[i]->target, reps[0]->target, names[0]);
            return NULL;
        }
    }
    cJSON *out = cJSON_Duplicate(reps[0]->root, 1);
    cJSON *sum = obj(out, "summary");
    cJSON *cfg = obj(out, "config");
    for (size_t i = 1; i < n; i++) {
        fold(sum, obj(reps[i]->root, "summary"));
        /* The shards' configs differ only in what they split between them. */
        const cJSON *c = obj(reps[i]->root, "config");
        if (cJSON_IsObject(cfg))
            for (size_t k = 0; k < 3; k++) {
                const char *key = k == 0 ? "connections" : k == 1 ? "rate" : "messages";
                if (cJSON_IsNumber(obj(cfg, key))) set_num(cfg, key, num(cfg, key) + num(c, key));
            }
    }
    /* summary.generator.notes and thresholds name their shard */
    cJSON *notes = cJSON_CreateArray(), *th = cJSON_CreateArray(), *shards = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        const cJSON *e;
        cJSON_ArrayForEach(e, obj(obj(obj(reps[i]->root, "summary"), "generator"), "notes"))
        {
            char buf[600];
            snprintf(buf, sizeof buf, "shard %zu: %s", i + 1,
                     cJSON_IsString(e) ? e->valuestring : "");
            cJSON_AddItemToArray(notes, cJSON_CreateString(buf));
        }
        cJSON_ArrayForEach(e, obj(reps[i]->root, "thresholds"))
        {
            cJSON *t = cJSON_Duplicate(e, 1);
            const cJSON *ex = obj(e, "expr");
            char buf[300];
            snprintf(buf, sizeof buf, "shard %zu: %s", i + 1,
                     cJSON_IsString(ex) ? ex->valuestring : "?");
            cJSON_ReplaceItemInObjectCaseSensitive(t, "expr", cJSON_CreateString(buf));
            cJSON_AddItemToArray(th, t);
        }
        cJSON *sh = cJSON_CreateObject();
        cJSON_AddStringToObject(sh, "file", names[i]);
        const cJSON *host = obj(reps[i]->root, "host");
        cJSON_AddStringToObject(sh, "host", cJSON_IsString(host) ? host->valuestring : "");
        cJSON_AddStringToObject(sh, "started_at", reps[i]->started);
        cJSON_AddItemToArray(shards, sh);
    }
    cJSON *gen = obj(sum, "generator");
    if (gen)
        cJSON_ReplaceItemInObjectCaseSensitive(gen, "notes", notes);
    else
        cJSON_Delete(notes);
    cJSON_ReplaceItemInObjectCaseSensitive(out, "thresholds", th);
    cJSON_AddItemToObject(out, "shards", shards);
    cJSON *m = cJSON_AddObjectToObject(out, "merged");
    cJSON_AddNumberToObject(m, "shards", (double)n);
    cJSON_AddStringToObject(m, "series_percentiles", "max over shards");
    merge_series(out, reps, n);

    static const char *const hists[][2] = {{"latency", "corrected"},
                                           {"latency_uncorrected", "uncorrected"},
                                           {"connect", "connect"},
                                           {"tls", "tls"},
                                           {"upgrade", "upgrade"}};
    for (size_t i = 0; i < sizeof hists / sizeof hists[0]; i++)
        if (merge_hist(out, reps, n, hists[i][0], hists[i][1], err, errlen) != 0) {
            cJSON_Delete(out);
            return NULL;
        }
    /* Ratios are recomputed from the merged counts, not added. */
    cJSON *errs = obj(sum, "errors");
    cJSON *conn = obj(sum, "connections");
    cJSON *msgs = obj(sum, "messages");
    double ops = num(conn, "attempts") + num(msgs, "sent");
    if (errs) set_num(errs, "rate", ops > 0 ? num(errs, "total") / ops : 0);
    double peak = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, obj(out, "series")) if (num(s, "open") > peak) peak = num(s, "open");
    /* The sum of the shards' peaks overstates the peak when they peaked at
     * different seconds: the merged series knows better. */
    if (conn && peak > 0) set_num(conn, "peak_open", peak);
    cJSON *g = obj(sum, "generator");
    double m_total = num(msgs, "sent") + num(msgs, "received");
    if (g)
        set_num(g, "cpu_s_per_million_msgs",
                m_total > 0 ? (num(g, "cpu_user_s") + num(g, "cpu_sys_s")) / (m_total / 2) * 1e6
                            : 0);
    return out;
}
