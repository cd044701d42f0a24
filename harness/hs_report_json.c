/* hs_report_json: the run as JSON. */
#include "harness/hs_report_json.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/version.h"
#include "harness/hs_report_steps.h"
#include "harness/hs_wire.h"
#include "util/util_host.h"
#include "util/util_time.h"
#include "ws/ws_frame.h"

/* Bytes -> a string cJSON can carry as is: valid UTF-8 stays (cJSON escapes
 * the controls), invalid bytes become \xNN (hs_escape_as, HS_ESC_JSON). */
static char *safe(const char *p, size_t n)
{
    return hs_escape_dup(HS_ESC_JSON, (const uint8_t *)p, n);
}

static void add_safe(cJSON *o, const char *name, const char *p, size_t n)
{
    char *s = safe(p ? p : "", p ? n : 0);
    cJSON_AddStringToObject(o, name, s ? s : "");
    free(s);
}

static void add_strings(cJSON *o, const char *name, const char *const *v, size_t n)
{
    cJSON *a = cJSON_AddArrayToObject(o, name);
    for (size_t i = 0; i < n; i++) {
        char *s = safe(v[i], strlen(v[i]));
        cJSON_AddItemToArray(a, cJSON_CreateString(s ? s : ""));
        free(s);
    }
}

static cJSON *wire_json(const hs_wire *w)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < w->n; i++) {
        const hs_wire_entry *e = &w->e[i];
        cJSON *o = cJSON_CreateObject();
        char dir[2] = {e->dir, 0};
        char hex[HS_WIRE_HEAD * 3 + 1];
        cJSON_AddNumberToObject(o, "t_ms", (double)e->t_us / 1000.0);
        cJSON_AddStringToObject(o, "dir", dir);
        if (e->kind == HS_WIRE_NOTE) {
            cJSON_AddStringToObject(o, "kind", "note");
            add_safe(o, "note", e->note, e->note ? strlen(e->note) : 0);
        } else {
            cJSON_AddStringToObject(o, "kind", e->kind == HS_WIRE_FRAME ? "frame" : "bytes");
            if (e->kind == HS_WIRE_FRAME) {
                cJSON_AddStringToObject(o, "opcode", ws_opcode_name(e->opcode));
                cJSON_AddNumberToObject(o, "op", e->opcode);
                cJSON_AddBoolToObject(o, "fin", e->fin);
                cJSON_AddNumberToObject(o, "rsv", e->rsv);
                cJSON_AddBoolToObject(o, "masked", e->masked);
            }
            cJSON_AddNumberToObject(o, "len", (double)e->len);
            cJSON_AddStringToObject(o, "head_hex", hs_hex(e->head, e->head_len, hex, sizeof hex));
            add_safe(o, "head_text", (const char *)e->head, e->head_len);
        }
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

const char *hs_wire_logs_name(int mode)
{
    return mode == HS_WIRE_NOT_OK ? "not-ok" : mode == HS_WIRE_NONE ? "none" : "all";
}

int hs_wire_logs_parse(const char *s)
{
    for (int m = HS_WIRE_ALL; m <= HS_WIRE_NONE; m++)
        if (!strcmp(s, hs_wire_logs_name(m))) return m;
    return -1;
}

static bool keeps_wire(int mode, const hs_result *r)
{
    if (mode == HS_WIRE_NOT_OK) return r->verdict != HS_OK || r->close_verdict != HS_OK;
    return mode != HS_WIRE_NONE;
}

static cJSON *case_json(const hs_case *c, const hs_result *r, bool expected_failure, int wire_logs)
{
    cJSON *o = cJSON_CreateObject();
    add_safe(o, "id", c->id, strlen(c->id));
    add_safe(o, "title", c->title, strlen(c->title));
    add_safe(o, "rfc", c->rfc, strlen(c->rfc));
    add_safe(o, "section", c->section, strlen(c->section));
    add_strings(o, "tags", (const char *const *)c->tags, c->n_tags);
    cJSON_AddStringToObject(o, "verdict", hs_verdict_name(r->verdict));
    cJSON_AddStringToObject(o, "close_verdict", hs_verdict_name(r->close_verdict));
    add_safe(o, "reason", r->reason, strlen(r->reason));
    add_safe(o, "close_reason", r->close_reason, strlen(r->close_reason));
    cJSON_AddBoolToObject(o, "expected_failure", expected_failure);
    cJSON_AddNumberToObject(o, "duration_ms", (double)r->duration_ms);
    cJSON *cl = cJSON_AddObjectToObject(o, "close");
    if (r->server_close_code >= 0)
        cJSON_AddNumberToObject(cl, "server_code", r->server_close_code);
    else
        cJSON_AddNullToObject(cl, "server_code");
    cJSON_AddStringToObject(cl, "tcp_closed_by", r->tcp_closed_by ? r->tcp_closed_by : "none");
    /* The script in words (bounded: hs_report_steps.h). */
    hs_step_lines *steps = malloc(sizeof *steps);
    const char *line[HS_STEPS_MAX_LINES];
    size_t n_lines = 0;
    if (steps) hs_report_steps(c, steps);
    for (; steps && n_lines < steps->n; n_lines++) line[n_lines] = steps->line[n_lines];
    add_strings(o, "steps", line, n_lines);
    free(steps);
    add_strings(o, "expected", (const char *const *)r->expected, r->n_expected);
    add_strings(o, "observed", (const char *const *)r->observed, r->n_observed);
    cJSON_AddNumberToObject(o, "observed_truncated", (double)r->observed_dropped);
    cJSON *hs = cJSON_AddObjectToObject(o, "handshake");
    add_safe(hs, "request", r->wire.request, r->wire.request_len);
    cJSON_AddBoolToObject(hs, "request_truncated", r->wire.request_cut);
    add_safe(hs, "response", r->wire.response, r->wire.response_len);
    cJSON_AddBoolToObject(hs, "response_truncated", r->wire.response_cut);
    cJSON_AddNumberToObject(hs, "status", r->http_status);
    cJSON_AddBoolToObject(hs, "upgraded", r->upgraded);
    if (keeps_wire(wire_logs, r)) {
        cJSON_AddItemToObject(o, "wire", wire_json(&r->wire));
        cJSON_AddNumberToObject(o, "wire_truncated", (double)r->wire.dropped);
    } else {
        cJSON_AddArrayToObject(o, "wire");
        cJSON_AddNumberToObject(o, "wire_truncated", 0);
        cJSON_AddBoolToObject(o, "wire_omitted", true);
    }
    return o;
}

char *hs_report_json_string(const hs_report_info *info, const hs_case *const *cases,
                            const hs_result *results, size_t n)
{
    char when[40];
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "kind", "check");
    cJSON_AddNumberToObject(root, "version", HS_REPORT_SCHEMA_VERSION);
    cJSON *tool = cJSON_AddObjectToObject(root, "tool");
    cJSON_AddStringToObject(tool, "name", "wsprobe");
    cJSON_AddStringToObject(tool, "version", WSPROBE_VERSION);
    add_safe(root, "target", info->target, strlen(info->target));
    /* Where the run happened (JUnit's hostname), never a server's words. */
    char host[256];
    util_hostname(host, sizeof host);
    add_safe(root, "host", host, strlen(host));
    const char *agent = info->agent;
    for (size_t i = 0; !agent && i < n; i++)
        if (results[i].server_agent[0]) agent = results[i].server_agent;
    if (agent)
        add_safe(root, "agent", agent, strlen(agent));
    else
        cJSON_AddNullToObject(root, "agent");
    util_time_iso8601(info->start_unix_ms, true, when, sizeof when);
    cJSON_AddStringToObject(root, "started", when);
    cJSON_AddNumberToObject(root, "duration_ms", (double)info->duration_ms);
    cJSON_AddNumberToObject(root, "exit_status", info->exit_status);
    cJSON_AddBoolToObject(root, "interrupted", info->interrupted);
    add_strings(root, "not_run", info->not_run, info->n_not_run);

    cJSON *opt = cJSON_AddObjectToObject(root, "options");
    add_strings(opt, "cases", info->cases, info->n_cases);
    add_strings(opt, "exclude", info->exclude, info->n_exclude);
    cJSON_AddBoolToObject(opt, "quick", info->quick);
    cJSON_AddNumberToObject(opt, "jobs", info->jobs);
    cJSON_AddNumberToObject(opt, "timeout_s", info->timeout_s);
    add_strings(opt, "headers", info->headers, info->n_headers);
    if (info->origin) add_safe(opt, "origin", info->origin, strlen(info->origin));
    if (info->subprotocol)
        add_safe(opt, "subprotocol", info->subprotocol, strlen(info->subprotocol));
    cJSON_AddBoolToObject(opt, "insecure", info->insecure);
    if (info->expect_failures)
        add_safe(opt, "expect_failures", info->expect_failures, strlen(info->expect_failures));
    cJSON_AddStringToObject(opt, "wire_logs", hs_wire_logs_name(info->wire_logs));

    /* summary: totals, and per section in catalogue order */
    cJSON *sum = cJSON_AddObjectToObject(root, "summary");
    size_t tot[HS_VERDICT_COUNT] = {0}, close_failed = 0;
    cJSON *secs = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        tot[results[i].verdict]++;
        close_failed += results[i].close_verdict == HS_FAILED;
        cJSON *sec = NULL;
        for (cJSON *s = secs->child; s; s = s->next)
            if (!strcmp(cJSON_GetObjectItem(s, "section")->valuestring, cases[i]->section)) sec = s;
        if (!sec) {
            sec = cJSON_CreateObject();
            add_safe(sec, "section", cases[i]->section, strlen(cases[i]->section));
            add_safe(sec, "title", cases[i]->section_title, strlen(cases[i]->section_title));
            cJSON_AddNumberToObject(sec, "total", 0);
            for (int v = 0; v < HS_VERDICT_COUNT; v++)
                cJSON_AddNumberToObject(sec, hs_verdict_name(v), 0);
            cJSON_AddNumberToObject(sec, "close_failed", 0);
            cJSON_AddItemToArray(secs, sec);
        }
        cJSON *t = cJSON_GetObjectItem(sec, "total");
        cJSON_SetNumberValue(t, t->valuedouble + 1);
        cJSON *v = cJSON_GetObjectItem(sec, hs_verdict_name(results[i].verdict));
        cJSON_SetNumberValue(v, v->valuedouble + 1);
        if (results[i].close_verdict == HS_FAILED) {
            cJSON *cf = cJSON_GetObjectItem(sec, "close_failed");
            cJSON_SetNumberValue(cf, cf->valuedouble + 1);
        }
    }
    cJSON_AddNumberToObject(sum, "total", (double)n);
    for (int v = 0; v < HS_VERDICT_COUNT; v++)
        cJSON_AddNumberToObject(sum, hs_verdict_name(v), (double)tot[v]);
    cJSON_AddNumberToObject(sum, "close_failed", (double)close_failed);
    cJSON_AddBoolToObject(sum, "interrupted", info->interrupted);
    cJSON_AddNumberToObject(sum, "not_run", (double)info->n_not_run);
    cJSON_AddItemToObject(sum, "sections", secs);

    cJSON *cs = cJSON_AddArrayToObject(root, "cases");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(cs, case_json(cases[i], &results[i],
                                           info->expected_failure && info->expected_failure[i],
                                           info->wire_logs));
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    return s;
}

static int mkdirs(const char *dir)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST) return -1;
        *s = '/';
    }
    return mkdir(p, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

int hs_report_json_write(const char *dir, const hs_report_info *info, const hs_case *const *cases,
                         const hs_result *results, size_t n, char *err, size_t errlen)
{
    if (mkdirs(dir) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    char *s = hs_report_json_string(info, cases, results, n);
    if (!s) {
        snprintf(err, errlen, "out of memory writing the report");
        return -1;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/report.json", dir);
    FILE *f = fopen(path, "w");
    int rc = 0;
    if (!f || fputs(s, f) < 0 || fputc('\n', f) < 0) rc = -1;
    if (f && fclose(f) != 0) rc = -1;
    if (rc) snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    free(s);
    return rc;
}
