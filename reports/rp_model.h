/* rp_model: a report.json loaded, validated and indexed for the writers.
 *
 * Owns: reading report.json (both kinds: "check" from `wsprobe check`, "load"
 * from `wsprobe load`), refusing what this version cannot render (unknown kind,
 * a newer schema version, a missing or mistyped field, a summary that
 * contradicts the cases) with the field named in the error, and giving the
 * writers typed access to the parts they use. The cJSON tree is kept (root):
 * the HTML writer embeds it whole. The schema is documented in
 * reports/SCHEMA.md. */
#ifndef RP_MODEL_H
#define RP_MODEL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cJSON cJSON;

/* Autobahn|Testsuite's vocabulary, best first. */
enum rp_verdict {
    RP_OK,
    RP_NON_STRICT,
    RP_INFORMATIONAL,
    RP_UNIMPLEMENTED,
    RP_FAILED,
    RP_VERDICT_COUNT
};

const char *rp_verdict_name(int v);  /* "OK", "NON-STRICT", ... */
int rp_verdict_parse(const char *s); /* -1 when unknown */

enum rp_kind { RP_KIND_CHECK, RP_KIND_LOAD };

#define RP_CHECK_VERSION 1                /* the check schema version this code reads */
#define RP_LOAD_SCHEMA   "wsprobe-load/1" /* the load schema this code reads */

typedef struct rp_case {
    const char *id, *title, *rfc, *section;
    int verdict, close_verdict;
    const char *reason, *close_reason;
    double duration_ms;
    int server_code; /* -1: no close frame from the server */
    bool expected_failure;
    const cJSON *json;
} rp_case;

/* A case counts as failed (exit status 1, JUnit failure, the HTML filter)
 * when its verdict or its closing verdict is FAILED. */
bool rp_case_failed(const rp_case *c);

typedef struct rp_section {
    const char *id, *title;
    size_t total, count[RP_VERDICT_COUNT], close_failed, failed;
} rp_section;

typedef struct rp_report {
    int kind;
    cJSON *root;
    const char *target, *agent; /* agent may be NULL */
    const char *host;           /* the machine that ran it; NULL in older reports */
    const char *started;        /* ISO 8601 */
    const char *tool_version;
    double duration_s;
    int exit_status;
    /* check reports */
    rp_case *cases;
    size_t n_cases;
    rp_section *sections; /* in catalogue order */
    size_t n_sections;
    size_t count[RP_VERDICT_COUNT], close_failed, failed;
    /* An interrupted check run (Ctrl-C/SIGTERM): the cases that did not run
     * (or were cut short) are not in cases, only their ids in not_run. */
    bool interrupted;
    const char **not_run;
    size_t n_not_run;
} rp_report;

/* Parses and validates text (name is used in errors). 0, or -1 with err. */
int rp_report_parse(rp_report *r, const char *text, size_t len, const char *name, char *err,
                    size_t errlen);
/* Reads path (at most 1 GiB) and parses it. 0, or -1 with err. */
int rp_report_load(rp_report *r, const char *path, char *err, size_t errlen);
void rp_report_free(rp_report *r);
/* The agent, or the target when the report names none. */
const char *rp_report_agent(const rp_report *r);

#endif
