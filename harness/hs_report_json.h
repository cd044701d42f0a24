/* hs_report_json: report.json for a `wsprobe check` run.
 *
 * Owns: turning a finished run (target, options, cases and their results)
 * into the JSON document reports/ renders (fields listed in issue 5 and, once
 * written, reports/SCHEMA.md). Every string is made valid UTF-8 here: valid
 * UTF-8 is kept, invalid bytes become \xNN text (hs_escape_as, HS_ESC_JSON). */
#ifndef HS_REPORT_JSON_H
#define HS_REPORT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/hs_case.h"
#include "harness/hs_run.h"

#define HS_REPORT_SCHEMA_VERSION 1

/* Which cases keep their wire log in the report (--wire-logs): a full
 * catalogue's logs are most of its size (about 70 of 75 MB against serve
 * --deflate), nearly all from cases that passed. */
enum { HS_WIRE_ALL, HS_WIRE_NOT_OK, HS_WIRE_NONE };
/* "all", "not-ok", "none"; hs_wire_logs_parse gives the enum or -1. */
const char *hs_wire_logs_name(int mode);
int hs_wire_logs_parse(const char *s);

typedef struct hs_report_info {
    const char *target;
    const char *agent; /* from the config, or NULL */
    int64_t start_unix_ms;
    int64_t duration_ms;
    /* options, as given */
    const char *const *cases;
    size_t n_cases;
    const char *const *exclude;
    size_t n_exclude;
    bool quick;
    int jobs;
    double timeout_s;
    const char *const *headers;
    size_t n_headers;
    const char *origin;
    const char *subprotocol;
    bool insecure;
    const char *expect_failures;
    int wire_logs;                /* HS_WIRE_*: which cases keep their wire log */
    const bool *expected_failure; /* per case: listed in the baseline */
    int exit_status;
    /* Ctrl-C: the run stopped early; these selected cases have no result
     * (never started, or cut short) and are not among `cases`. */
    bool interrupted;
    const char *const *not_run;
    size_t n_not_run;
} hs_report_info;

/* Writes dir/report.json (creating dir). 0, or -1 with err. */
int hs_report_json_write(const char *dir, const hs_report_info *info, const hs_case *const *cases,
                         const hs_result *results, size_t n, char *err, size_t errlen);
/* The document as a string (caller frees), for tests and other writers. */
char *hs_report_json_string(const hs_report_info *info, const hs_case *const *cases,
                            const hs_result *results, size_t n);

#endif
