/* lg_merge: one load report from the reports of several shards.
 *
 * Owns: reading the report.json of `wsprobe load --shard I/N` runs (on one
 * machine or many) and adding them into one lg_result, so the merged report
 * is written by the same code (lg_report_json) and judged by the same
 * thresholds (lg_threshold) as a single run; `wsprobe report --merge`.
 *
 * Exact wherever the shards carry the data: counters, errors by class, close
 * codes and HTTP statuses add; the five histograms add bucket by bucket, so the
 * merged percentiles are those of one histogram fed every sample; the series
 * add per wall-clock second (a shard's started_unix_s + t). What cannot be
 * exact is said so in the report's "merge" object: per-second percentiles are
 * the worst shard's that second (shard reports carry no per-second
 * histograms); rates are the merged window's messages over the longest shard
 * window; per-process peaks (RSS, busiest worker) take the maximum. */
#ifndef LG_MERGE_H
#define LG_MERGE_H

#include <stddef.h>

#include "loadgen/lg_report.h"

typedef struct cJSON cJSON;
typedef struct lg_merge lg_merge;

lg_merge *lg_merge_new(void); /* NULL when out of memory */
void lg_merge_free(lg_merge *m);

/* Adds one shard's report (name is used in errors and in the shard list).
 * 0, or -1 with err: not a wsprobe-load/1 report, a missing or mistyped field,
 * a different target, scenario or loop, the same shard twice. */
int lg_merge_add(lg_merge *m, const cJSON *report, const char *name, char *err, size_t errlen);

/* Completes the merged result once every shard is added: the series, the
 * thresholds (expressions as for `wsprobe load --threshold`) judged on the
 * merged numbers, the exit code. The number of thresholds missed, or -1 with
 * err (no shard added, a threshold that does not parse). */
int lg_merge_finish(lg_merge *m, const char *const *thresholds, int n_thresholds, char *err,
                    size_t errlen);

const lg_result *lg_merge_result(const lg_merge *m);
/* The shards the stamps say are missing ("2, 5"), "" when none or unknown. */
const char *lg_merge_missing(const lg_merge *m);

/* The merged report (schema wsprobe-load/1, plus a "merge" object listing
 * the shards); caller deletes. NULL when out of memory. */
cJSON *lg_merge_json(const lg_merge *m);

/* `wsprobe report --merge`: reads files, writes out_dir/report.json and the
 * reports made from it (index.html, junit.xml), prints the summary. 0, 1 when
 * a threshold is missed, 2 with err on bad input or a write that failed. */
int lg_merge_run(int nfiles, char **files, const char *out_dir, const char *const *thresholds,
                 int n_thresholds, char *err, size_t errlen);

#endif
