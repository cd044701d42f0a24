/* lg_report: what a load run found, as JSON, a summary table and live lines.
 *
 * Owns: the result of a run (lg_result, assembled by lg_main from the
 * workers), the JSON report (schema "wsprobe-load/1", documented in
 * loadgen/README.md), report.json in --report DIR, the end-of-run summary
 * table and the once-a-second progress line. */
#ifndef LG_REPORT_H
#define LG_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "loadgen/lg_cli.h"
#include "loadgen/lg_hist.h"
#include "loadgen/lg_stats.h"

typedef struct cJSON cJSON;

#define LG_MAX_BAD_CONNS 100
#define LG_MAX_NOTES     6

typedef struct lg_conn_integrity {
    uint32_t id, lost, duplicated, reordered, corrupted;
} lg_conn_integrity;

typedef struct lg_threshold_result {
    const char *expr;
    double actual; /* in the metric's unit (ns for latency, fraction for rates) */
    bool pass;
    char text[160]; /* "p99 = 23.4 ms, wanted < 20 ms" */
} lg_threshold_result;

typedef struct lg_result {
    const lg_opts *o;
    lg_counters total;  /* over the whole run, drain included */
    lg_counters window; /* from the end of --warmup to the stop */
    double elapsed_s;   /* start to finish */
    double measured_s;  /* the window's length */
    bool interrupted;
    int exit_code;
    lg_hist *lat, *lat_unc, *connect, *tls, *upgrade;
    /* open loop: how late the generator sent what was due. A run and a merge
     * always have one (empty in closed loop, or when no shard's report had
     * it); NULL leaves it out of the report. */
    lg_hist *send_lag;
    lg_err_details det;
    uint64_t peak_open, in_flight_at_stop;
    lg_second *series;
    size_t n_series;
    lg_conn_integrity bad[LG_MAX_BAD_CONNS];
    size_t n_bad, n_bad_total;
    double cpu_user_s, cpu_sys_s;
    long peak_rss_kb;
    double busy_max; /* busiest worker's CPU share in its busiest measured second */
    bool bottleneck;
    char notes[LG_MAX_NOTES][200];
    int n_notes;
    char started_at[40];
    double started_unix_s; /* the same, to the microsecond: shards align series on it */
    char host[64];
    lg_threshold_result th[LG_MAX_THRESHOLDS];
    int n_th;
} lg_result;

/* The latency this scenario measures, in words ("echo round trip", ...). */
const char *lg_report_latency_name(const lg_opts *o);
cJSON *lg_report_json(const lg_result *r);
/* Writes DIR/report.json (creating DIR). 0, or -1 with err. */
int lg_report_write(const char *dir, const cJSON *j, char *err, size_t errlen);
void lg_report_summary(FILE *out, const lg_result *r);
/* One live line: on a TTY it rewrites itself, else a plain line. */
void lg_report_progress(FILE *out, const lg_second *now, const lg_second *prev, bool tty);

#endif
