/* lg_hist: latency histograms for the load generator.
 *
 * Owns: a log-linear histogram of nanosecond values with a relative bucket
 * width of at most 1/1024 (about 3 significant digits) from 1 ns to 2^37 ns
 * (137 s); larger values are counted in `overflow`, never dropped. Two
 * histograms merge by adding bucket counts, so merging is exact: percentiles of
 * a merge equal those of one histogram fed every sample. Serialized to and from
 * JSON as sparse [bucket_low_ns, count] pairs, so runs on many machines merge
 * exactly too.
 *
 * Layout: values below 2048 have a bucket each; above, each power of two
 * [2^e, 2^(e+1)) is cut into 1024 equal buckets. */
#ifndef LG_HIST_H
#define LG_HIST_H

#include <stddef.h>
#include <stdint.h>

#define LG_HIST_SUB_BITS 10
#define LG_HIST_MAX_EXP  37 /* values >= 2^37 ns go to overflow */
#define LG_HIST_BUCKETS                                                                            \
    ((2u << LG_HIST_SUB_BITS) + (LG_HIST_MAX_EXP - LG_HIST_SUB_BITS - 1) * (1u << LG_HIST_SUB_BITS))

typedef struct lg_hist {
    uint64_t count;    /* samples in buckets (overflow excluded) */
    uint64_t overflow; /* samples >= 2^37 ns */
    uint64_t min, max; /* over every sample, overflow included; min = UINT64_MAX when empty */
    uint64_t sum;      /* ns, for the mean */
    uint64_t buckets[LG_HIST_BUCKETS];
} lg_hist;

typedef struct cJSON cJSON;

lg_hist *lg_hist_new(void); /* zeroed, NULL when out of memory */
void lg_hist_free(lg_hist *h);
void lg_hist_reset(lg_hist *h);

static inline unsigned lg_hist_index(uint64_t v)
{
    if (v < (2u << LG_HIST_SUB_BITS)) return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = e - LG_HIST_SUB_BITS;
    return (2u << LG_HIST_SUB_BITS) + (shift - 1) * (1u << LG_HIST_SUB_BITS) +
           (unsigned)((v >> shift) - (1u << LG_HIST_SUB_BITS));
}

/* n samples of value v at once. */
static inline void lg_hist_record_n(lg_hist *h, uint64_t v, uint64_t n)
{
    if (v < h->min) h->min = v;
    if (v > h->max) h->max = v;
    h->sum += v * n;
    if (v >> LG_HIST_MAX_EXP) {
        h->overflow += n;
        return;
    }
    h->buckets[lg_hist_index(v)] += n;
    h->count += n;
}

static inline void lg_hist_record(lg_hist *h, uint64_t v)
{
    lg_hist_record_n(h, v, 1);
}

/* Lowest value of bucket i, and its width. */
uint64_t lg_hist_bucket_low(unsigned i);
uint64_t lg_hist_bucket_width(unsigned i);

void lg_hist_merge(lg_hist *dst, const lg_hist *src);
/* dst = a - b, where b is an earlier state of a (samples recorded between
 * them). min and max become the bounds of the lowest and highest buckets. */
void lg_hist_delta(lg_hist *dst, const lg_hist *a, const lg_hist *b);
uint64_t lg_hist_total(const lg_hist *h); /* count + overflow */
/* The value at percentile p (0..100): the highest value of the bucket holding
 * that sample, capped by max. Overflowed samples rank above every bucket and
 * report as max. 0 when empty. */
uint64_t lg_hist_percentile(const lg_hist *h, double p);
double lg_hist_mean(const lg_hist *h);

/* {"unit":"ns","sub_bucket_bits":10,"max_exp":37,"count":..,"overflow":..,
 *  "min":..,"max":..,"sum":..,"buckets":[[low_ns,count],...]} */
cJSON *lg_hist_to_json(const lg_hist *h);
/* Adds what j describes into h (so several can be merged). 0, or -1 with err
 * (wrong layout, a low value that is not a bucket boundary, bad counts). */
int lg_hist_add_json(lg_hist *h, const cJSON *j, char *err, size_t errlen);

#endif
