/* lg_threshold: pass/fail gates on a run, e.g. 'p99<20ms' 'error_rate<0.1%'
 * 'lost==0', so CI can refuse a deployment on them.
 *
 * Owns: parsing METRIC OP VALUE[UNIT] (ops < <= > >= == !=; units ns us ms s m h
 * for latencies, bare latency numbers are ms; % for rates), the list of metrics
 * and their values in a result, and judging each. */
#ifndef LG_THRESHOLD_H
#define LG_THRESHOLD_H

#include <stdbool.h>
#include <stddef.h>

#include "loadgen/lg_report.h"

typedef struct lg_threshold {
    char metric[32];
    int op;
    double value; /* ns for latency metrics, a fraction for rates */
} lg_threshold;

/* 0, or -1 with err naming what is wrong (unknown metric, op, unit). */
int lg_threshold_parse(const char *expr, lg_threshold *t, char *err, size_t errlen);
/* The metric's value in r. 0, or -1 for an unknown metric. */
int lg_threshold_metric(const lg_result *r, const char *metric, double *value);
/* Judges t on r into out (pass, actual, text). */
void lg_threshold_eval(const lg_threshold *t, const lg_result *r, const char *expr,
                       lg_threshold_result *out);
/* A list of the metric names for help and errors. */
const char *lg_threshold_metrics(void);

#endif
