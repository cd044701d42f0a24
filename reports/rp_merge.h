/* rp_merge: one load report from the reports of several shards.
 *
 * Owns: combining the report.json of `wsprobe load --shard i/N` runs (on one
 * machine or many) into the report of the whole load. Histograms merge
 * exactly (bucket counts add; lg_hist), so the merged percentiles are those
 * of one histogram fed every sample. Counters add up; rates add (the shards
 * ran at the same time); durations, peaks per process and busy shares take
 * the maximum; the per-second series add second by second, except the
 * per-second percentiles, which take the worst shard's (the report does not
 * carry per-second histograms) and are marked so. Thresholds are kept per
 * shard, prefixed with the shard. */
#ifndef RP_MERGE_H
#define RP_MERGE_H

#include <stddef.h>

#include "reports/rp_model.h"

typedef struct cJSON cJSON;

/* The merged report (caller deletes), or NULL with err (not all load
 * reports, different targets, a histogram that does not fit). */
cJSON *rp_merge_load(const rp_report *const *reps, size_t n, const char *const *names, char *err,
                     size_t errlen);

#endif
