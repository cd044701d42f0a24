/* lg_hist: log-linear latency histograms (see lg_hist.h). */
#include "loadgen/lg_hist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

lg_hist *lg_hist_new(void)
{
    lg_hist *h = malloc(sizeof *h);
    if (h) lg_hist_reset(h);
    return h;
}

void lg_hist_free(lg_hist *h)
{
    free(h);
}

void lg_hist_reset(lg_hist *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

uint64_t lg_hist_bucket_low(unsigned i)
{
    if (i < (2u << LG_HIST_SUB_BITS)) return i;
    unsigned j = i - (2u << LG_HIST_SUB_BITS);
    unsigned shift = j / (1u << LG_HIST_SUB_BITS) + 1;
    uint64_t sub = (1u << LG_HIST_SUB_BITS) + j % (1u << LG_HIST_SUB_BITS);
    return sub << shift;
}

uint64_t lg_hist_bucket_width(unsigned i)
{
    if (i < (2u << LG_HIST_SUB_BITS)) return 1;
    return 1ull << ((i - (2u << LG_HIST_SUB_BITS)) / (1u << LG_HIST_SUB_BITS) + 1);
}

void lg_hist_merge(lg_hist *dst, const lg_hist *src)
{
    if (lg_hist_total(src) == 0) return;
    for (unsigned i = 0; i < LG_HIST_BUCKETS; i++) dst->buckets[i] += src->buckets[i];
    dst->count += src->count;
    dst->overflow += src->overflow;
    dst->sum += src->sum;
    if (src->min < dst->min) dst->min = src->min;
    if (src->max > dst->max) dst->max = src->max;
}

void lg_hist_delta(lg_hist *dst, const lg_hist *a, const lg_hist *b)
{
    lg_hist_reset(dst);
    dst->count = a->count - b->count;
    dst->overflow = a->overflow - b->overflow;
    dst->sum = a->sum - b->sum;
    if (lg_hist_total(dst) == 0) return;
    unsigned lo = LG_HIST_BUCKETS, hi = 0;
    for (unsigned i = 0; i < LG_HIST_BUCKETS; i++) {
        uint64_t n = a->buckets[i] - b->buckets[i];
        if (!n) continue;
        dst->buckets[i] = n;
        if (lo == LG_HIST_BUCKETS) lo = i;
        hi = i;
    }
    dst->min = lo < LG_HIST_BUCKETS ? lg_hist_bucket_low(lo) : a->max;
    dst->max = dst->overflow ? a->max : lg_hist_bucket_low(hi) + lg_hist_bucket_width(hi) - 1;
    if (dst->max > a->max) dst->max = a->max;
    if (dst->min < a->min) dst->min = a->min;
}

uint64_t lg_hist_total(const lg_hist *h)
{
    return h->count + h->overflow;
}

uint64_t lg_hist_percentile(const lg_hist *h, double p)
{
    uint64_t total = lg_hist_total(h);
    if (total == 0) return 0;
    if (p <= 0) return h->min;
    if (p >= 100) return h->max;
    uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)total);
    if (rank == 0) rank = 1;
    if (rank > h->count) return h->max;
    uint64_t seen = 0;
    for (unsigned i = 0; i < LG_HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank) {
            uint64_t high = lg_hist_bucket_low(i) + lg_hist_bucket_width(i) - 1;
            return high < h->max ? high : h->max;
        }
    }
    return h->max;
}

double lg_hist_mean(const lg_hist *h)
{
    uint64_t total = lg_hist_total(h);
    return total ? (double)h->sum / (double)total : 0.0;
}

cJSON *lg_hist_to_json(const lg_hist *h)
{
    cJSON *j = cJSON_CreateObject();
    if (!j) return NULL;
    cJSON_AddStringToObject(j, "unit", "ns");
    cJSON_AddNumberToObject(j, "sub_bucket_bits", LG_HIST_SUB_BITS);
    cJSON_AddNumberToObject(j, "max_exp", LG_HIST_MAX_EXP);
    cJSON_AddNumberToObject(j, "count", (double)h->count);
    cJSON_AddNumberToObject(j, "overflow", (double)h->overflow);
    cJSON_AddNumberToObject(j, "min", lg_hist_total(h) ? (double)h->min : 0);
    cJSON_AddNumberToObject(j, "max", (double)h->max);
    cJSON_AddNumberToObject(j, "sum", (double)h->sum);
    cJSON *b = cJSON_AddArrayToObject(j, "buckets");
    for (unsigned i = 0; b && i < LG_HIST_BUCKETS; i++) {
        if (!h->buckets[i]) continue;
        cJSON *pair = cJSON_CreateArray();
        cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)lg_hist_bucket_low(i)));
        cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)h->buckets[i]));
        cJSON_AddItemToArray(b, pair);
    }
    return j;
}

/* A JSON number that is a whole non-negative value exactly representable. */
static int json_u64(const cJSON *j, const char *name, uint64_t *out)
{
    const cJSON *v = name ? cJSON_GetObjectItemCaseSensitive(j, name) : j;
    if (!cJSON_IsNumber(v)) return -1;
    double d = v->valuedouble;
    if (d < 0 || d > 9007199254740992.0 || d != floor(d)) return -1;
    *out = (uint64_t)d;
    return 0;
}

int lg_hist_add_json(lg_hist *h, const cJSON *j, char *err, size_t errlen)
{
    uint64_t sub_bits, max_exp, count, overflow, min, max, sum;
    const cJSON *unit = cJSON_GetObjectItemCaseSensitive(j, "unit");
    if (!cJSON_IsString(unit) || strcmp(unit->valuestring, "ns") != 0 ||
        json_u64(j, "sub_bucket_bits", &sub_bits) || json_u64(j, "max_exp", &max_exp) ||
        sub_bits != LG_HIST_SUB_BITS || max_exp != LG_HIST_MAX_EXP) {
        snprintf(err, errlen, "histogram: not a ns histogram with sub_bucket_bits %d, max_exp %d",
                 LG_HIST_SUB_BITS, LG_HIST_MAX_EXP);
        return -1;
    }
    if (json_u64(j, "count", &count) || json_u64(j, "overflow", &overflow) ||
        json_u64(j, "min", &min) || json_u64(j, "max", &max) || json_u64(j, "sum", &sum)) {
        snprintf(err, errlen, "histogram: count, overflow, min, max and sum must be whole numbers");
        return -1;
    }
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(j, "buckets");
    if (!cJSON_IsArray(b)) {
        snprintf(err, errlen, "histogram: buckets must be an array");
        return -1;
    }
    /* Check everything before touching h, so a bad document changes nothing. */
    uint64_t seen = 0;
    const cJSON *pair;
    cJSON_ArrayForEach(pair, b)
    {
        uint64_t low, n;
        if (cJSON_GetArraySize(pair) != 2 || json_u64(cJSON_GetArrayItem(pair, 0), NULL, &low) ||
            json_u64(cJSON_GetArrayItem(pair, 1), NULL, &n) || low >> LG_HIST_MAX_EXP ||
            lg_hist_bucket_low(lg_hist_index(low)) != low) {
            snprintf(err, errlen, "histogram: bucket entries must be [bucket_low_ns, count]");
            return -1;
        }
        seen += n;
    }
    if (seen != count) {
        snprintf(err, errlen, "histogram: buckets add up to %llu, count says %llu",
                 (unsigned long long)seen, (unsigned long long)count);
        return -1;
    }
    cJSON_ArrayForEach(pair, b)
    {
        uint64_t low = 0, n = 0;
        json_u64(cJSON_GetArrayItem(pair, 0), NULL, &low);
        json_u64(cJSON_GetArrayItem(pair, 1), NULL, &n);
        h->buckets[lg_hist_index(low)] += n;
    }
    h->count += count;
    h->overflow += overflow;
    h->sum += sum;
    if (count + overflow) {
        if (min < h->min) h->min = min;
        if (max > h->max) h->max = max;
    }
    return 0;
}
