/* rp_model: report.json -> validated model (see rp_model.h). */
#include "reports/rp_model.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util_file.h"

static const char *const verdict_names[RP_VERDICT_COUNT] = {"OK", "NON-STRICT", "INFORMATIONAL",
                                                            "UNIMPLEMENTED", "FAILED"};

const char *rp_verdict_name(int v)
{
    return v >= 0 && v < RP_VERDICT_COUNT ? verdict_names[v] : "?";
}

int rp_verdict_parse(const char *s)
{
    for (int v = 0; s && v < RP_VERDICT_COUNT; v++)
        if (!strcmp(s, verdict_names[v])) return v;
    return -1;
}

bool rp_case_failed(const rp_case *c)
{
    return c->verdict == RP_FAILED || c->close_verdict == RP_FAILED;
}

const char *rp_report_agent(const rp_report *r)
{
    return r->agent && r->agent[0] ? r->agent : r->target;
}

/* Field access that names the field when it is missing or of the wrong type. */
typedef struct ctx {
    const char *name;
    char *err;
    size_t errlen;
    int failed;
} ctx;

static void bad(ctx *x, const char *where, const char *field, const char *what)
{
    if (x->failed++) return;
    snprintf(x->err, x->errlen, "%s: %s%s%s: %s", x->name, where, *where ? "." : "", field, what);
}

static const cJSON *field(ctx *x, const cJSON *o, const char *where, const char *f, int type)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, f);
    if (!v) {
        bad(x, where, f, "missing");
        return NULL;
    }
    bool ok = type == cJSON_Number   ? cJSON_IsNumber(v)
              : type == cJSON_String ? cJSON_IsString(v)
              : type == cJSON_Array  ? cJSON_IsArray(v)
              : type == cJSON_Object ? cJSON_IsObject(v)
              : type == cJSON_True   ? cJSON_IsBool(v)
                                     : false;
    if (!ok) {
        const char *names = type == cJSON_Number   ? "not a number"
                            : type == cJSON_String ? "not a string"
                            : type == cJSON_Array  ? "not an array"
                            : type == cJSON_Object ? "not an object"
                                                   : "not a boolean";
        bad(x, where, f, names);
        return NULL;
    }
    return v;
}

static const char *str(ctx *x, const cJSON *o, const char *where, const char *f)
{
    const cJSON *v = field(x, o, where, f, cJSON_String);
    return v ? v->valuestring : "";
}

static double num(ctx *x, const cJSON *o, const char *where, const char *f)
{
    const cJSON *v = field(x, o, where, f, cJSON_Number);
    return v ? v->valuedouble : 0;
}

static const char *opt_str(ctx *x, const cJSON *o, const char *where, const char *f)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, f);
    if (!v || cJSON_IsNull(v)) return NULL;
    if (!cJSON_IsString(v)) bad(x, where, f, "not a string or null");
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int verdict(ctx *x, const cJSON *o, const char *where, const char *f)
{
    const char *s = str(x, o, where, f);
    int v = rp_verdict_parse(s);
    if (v < 0 && !x->failed) {
        char what[160];
        snprintf(what, sizeof what, "unknown verdict '%.40s'", s);
        bad(x, where, f, what);
    }
    return v < 0 ? RP_FAILED : v;
}

static rp_section *section_for(rp_report *r, const char *id)
{
    for (size_t i = 0; i < r->n_sections; i++)
        if (!strcmp(r->sections[i].id, id)) return &r->sections[i];
    return NULL;
}

static void parse_case(ctx *x, rp_case *c, const cJSON *j, size_t i)
{
    char where[48];
    snprintf(where, sizeof where, "cases[%zu]", i);
    if (!cJSON_IsObject(j)) {
        bad(x, "", where, "not an object");
        return;
    }
    c->json = j;
    c->id = str(x, j, where, "id");
    c->title = str(x, j, where, "title");
    c->rfc = str(x, j, where, "rfc");
    c->section = str(x, j, where, "section");
    c->verdict = verdict(x, j, where, "verdict");
    c->close_verdict = verdict(x, j, where, "close_verdict");
    c->reason = str(x, j, where, "reason");
    c->close_reason = str(x, j, where, "close_reason");
    c->duration_ms = num(x, j, where, "duration_ms");
    const cJSON *ef = field(x, j, where, "expected_failure", cJSON_True);
    c->expected_failure = ef && cJSON_IsTrue(ef);
    field(x, j, where, "expected", cJSON_Array);
    field(x, j, where, "observed", cJSON_Array);
    field(x, j, where, "handshake", cJSON_Object);
    field(x, j, where, "wire", cJSON_Array);
    const cJSON *cl = field(x, j, where, "close", cJSON_Object);
    const cJSON *code = cl ? cJSON_GetObjectItemCaseSensitive(cl, "server_code") : NULL;
    c->server_code = cJSON_IsNumber(code) ? code->valueint : -1;
}

/* The summary the producer wrote must agree with the cases: a report whose
 * totals contradict its own cases is refused rather than rendered. */
static void check_summary(ctx *x, const rp_report *r, const cJSON *sum)
{
    char what[200];
    double total = num(x, sum, "summary", "total");
    if (!x->failed && total != (double)r->n_cases) {
        snprintf(what, sizeof what, "says %.0f, but there are %zu cases", total, r->n_cases);
        bad(x, "summary", "total", what);
    }
    for (int v = 0; v < RP_VERDICT_COUNT && !x->failed; v++) {
        double n = num(x, sum, "summary", verdict_names[v]);
        if (!x->failed && n != (double)r->count[v]) {
            snprintf(what, sizeof what, "says %.0f, but %zu cases have it", n, r->count[v]);
            bad(x, "summary", verdict_names[v], what);
        }
    }
    double cf = num(x, sum, "summary", "close_failed");
    if (!x->failed && cf != (double)r->close_failed) {
        snprintf(what, sizeof what, "says %.0f, but %zu cases have it", cf, r->close_failed);
        bad(x, "summary", "close_failed", what);
    }
    const cJSON *secs = field(x, sum, "summary", "sections", cJSON_Array);
    const cJSON *s;
    size_t i = 0;
    cJSON_ArrayForEach(s, secs)
    {
        char where[48];
        snprintf(where, sizeof where, "summary.sections[%zu]", i++);
        const char *id = str(x, s, where, "section");
        const rp_section *sec = x->failed ? NULL : section_for((rp_report *)r, id);
        if (!x->failed && !sec) bad(x, where, "section", "no case has this section");
        if (!sec) continue;
        if (num(x, s, where, "total") != (double)sec->total && !x->failed)
            bad(x, where, "total", "disagrees with the cases");
        for (int v = 0; v < RP_VERDICT_COUNT && !x->failed; v++)
            if (num(x, s, where, verdict_names[v]) != (double)sec->count[v] && !x->failed)
                bad(x, where, verdict_names[v], "disagrees with the cases");
    }
    if (!x->failed && i != r->n_sections)
        bad(x, "summary", "sections", "does not list every section of the cases");
    const cJSON *si = cJSON_GetObjectItemCaseSensitive(sum, "interrupted");
    if (si && !x->failed &&
        cJSON_IsTrue(field(x, sum, "summary", "interrupted", cJSON_True)) != r->interrupted)
        bad(x, "summary", "interrupted", "disagrees with the top-level interrupted");
    const cJSON *sn = cJSON_GetObjectItemCaseSensitive(sum, "not_run");
    if (sn && !x->failed && num(x, sum, "summary", "not_run") != (double)r->n_not_run &&
        !x->failed) {
        snprintf(what, sizeof what, "says %.0f, but not_run lists %zu cases", sn->valuedouble,
                 r->n_not_run);
        bad(x, "summary", "not_run", what);
    }
}

static bool has_case(const rp_report *r, const char *id)
{
    for (size_t i = 0; i < r->n_cases; i++)
        if (!strcmp(r->cases[i].id, id)) return true;
    return false;
}

/* interrupted and not_run are absent from reports written before runs could
 * be interrupted: absent means a complete run. A case that did not run is
 * listed once and has no entry in cases, so the summary counts only the
 * cases that ran. */
static void parse_interrupted(ctx *x, rp_report *r)
{
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(r->root, "interrupted");
    if (in) r->interrupted = cJSON_IsTrue(field(x, r->root, "", "interrupted", cJSON_True));
    const cJSON *nr = cJSON_GetObjectItemCaseSensitive(r->root, "not_run");
    if (!nr || !field(x, r->root, "", "not_run", cJSON_Array)) return;
    size_t n = (size_t)cJSON_GetArraySize(nr);
    r->not_run = calloc(n ? n : 1, sizeof *r->not_run);
    if (!r->not_run) {
        bad(x, "", "not_run", "out of memory");
        return;
    }
    const cJSON *s;
    cJSON_ArrayForEach(s, nr)
    {
        char where[48];
        snprintf(where, sizeof where, "not_run[%zu]", r->n_not_run);
        if (!cJSON_IsString(s)) {
            bad(x, "", where, "not a string");
            return;
        }
        if (has_case(r, s->valuestring)) {
            bad(x, "", where, "a case that is also in cases");
            return;
        }
        for (size_t k = 0; k < r->n_not_run; k++)
            if (!strcmp(r->not_run[k], s->valuestring)) {
                bad(x, "", where, "listed twice");
                return;
            }
        r->not_run[r->n_not_run++] = s->valuestring;
    }
    if (r->n_not_run && !r->interrupted)
        bad(x, "", "not_run", "lists cases, but the run is not marked interrupted");
}

static int parse_check(ctx *x, rp_report *r)
{
    const cJSON *root = r->root;
    const cJSON *ver = field(x, root, "", "version", cJSON_Number);
    if (ver && (ver->valuedouble != floor(ver->valuedouble) || ver->valuedouble < 1)) {
        bad(x, "", "version", "not a positive integer");
    } else if (ver && ver->valuedouble > RP_CHECK_VERSION) {
        char what[120];
        snprintf(what, sizeof what, "%.0f is newer than this wsprobe reads (%d): upgrade wsprobe",
                 ver->valuedouble, RP_CHECK_VERSION);
        bad(x, "", "version", what);
    }
    const cJSON *tool = field(x, root, "", "tool", cJSON_Object);
    if (tool) r->tool_version = str(x, tool, "tool", "version");
    r->target = str(x, root, "", "target");
    r->agent = opt_str(x, root, "", "agent");
    r->host = opt_str(x, root, "", "host");
    r->started = str(x, root, "", "started");
    r->duration_s = num(x, root, "", "duration_ms") / 1000.0;
    r->exit_status = (int)num(x, root, "", "exit_status");
    const cJSON *sum = field(x, root, "", "summary", cJSON_Object);
    const cJSON *cases = field(x, root, "", "cases", cJSON_Array);
    if (x->failed) return -1;

    size_t n = (size_t)cJSON_GetArraySize(cases);
    r->cases = calloc(n ? n : 1, sizeof *r->cases);
    r->sections = calloc(n ? n : 1, sizeof *r->sections);
    if (!r->cases || !r->sections) {
        bad(x, "", "cases", "out of memory");
        return -1;
    }
    const cJSON *j;
    cJSON_ArrayForEach(j, cases)
    {
        rp_case *c = &r->cases[r->n_cases];
        parse_case(x, c, j, r->n_cases);
        if (x->failed) return -1;
        r->n_cases++;
        rp_section *sec = section_for(r, c->section);
        if (!sec) {
            sec = &r->sections[r->n_sections++];
            sec->id = c->section;
            sec->title = "";
        }
        sec->total++;
        sec->count[c->verdict]++;
        r->count[c->verdict]++;
        sec->close_failed += c->close_verdict == RP_FAILED;
        r->close_failed += c->close_verdict == RP_FAILED;
        sec->failed += rp_case_failed(c);
        r->failed += rp_case_failed(c);
    }
    for (size_t i = 0; i + 1 < r->n_cases; i++)
        for (size_t k = i + 1; k < r->n_cases && !x->failed; k++)
            if (!strcmp(r->cases[i].id, r->cases[k].id)) {
                char where[48];
                snprintf(where, sizeof where, "cases[%zu]", k);
                bad(x, where, "id", "the same id as an earlier case");
            }
    /* Section titles come from the summary, which lists them in order. */
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(sum, "sections"))
    {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(s, "section");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(s, "title");
        rp_section *sec = cJSON_IsString(id) ? section_for(r, id->valuestring) : NULL;
        if (sec && cJSON_IsString(t)) sec->title = t->valuestring;
    }
    parse_interrupted(x, r);
    if (x->failed) return -1;
    check_summary(x, r, sum);
    return x->failed ? -1 : 0;
}

static int parse_load(ctx *x, rp_report *r)
{
    const cJSON *root = r->root;
    const char *schema = str(x, root, "", "schema");
    if (!x->failed && strcmp(schema, RP_LOAD_SCHEMA) != 0) {
        char what[160];
        snprintf(what, sizeof what, "'%.40s' is not one this wsprobe reads (%s)", schema,
                 RP_LOAD_SCHEMA);
        bad(x, "", "schema", what);
    }
    const char *tool = str(x, root, "", "tool");
    r->tool_version = strncmp(tool, "wsprobe ", 8) == 0 ? tool + 8 : tool;
    r->target = str(x, root, "", "target");
    r->started = str(x, root, "", "started_at");
    r->host = opt_str(x, root, "", "host");
    field(x, root, "", "config", cJSON_Object);
    const cJSON *sum = field(x, root, "", "summary", cJSON_Object);
    if (sum) {
        r->duration_s = num(x, sum, "summary", "elapsed_s");
        r->exit_status = (int)num(x, sum, "summary", "exit_code");
        r->interrupted = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sum, "interrupted"));
        const char *parts[] = {"connections", "messages",  "rate",     "latency",
                               "errors",      "integrity", "generator"};
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
            field(x, sum, "summary", parts[i], cJSON_Object);
    }
    field(x, root, "", "thresholds", cJSON_Array);
    const cJSON *series = field(x, root, "", "series", cJSON_Array);
    const cJSON *s;
    size_t i = 0;
    cJSON_ArrayForEach(s, series)
    {
        char where[48];
        snprintf(where, sizeof where, "series[%zu]", i++);
        if (x->failed) break;
        num(x, s, where, "t");
        num(x, s, where, "open");
        num(x, s, where, "sent");
        num(x, s, where, "received");
        num(x, s, where, "p50_us");
        num(x, s, where, "p99_us");
    }
    field(x, root, "", "histograms", cJSON_Object);
    return x->failed ? -1 : 0;
}

int rp_report_parse(rp_report *r, const char *text, size_t len, const char *name, char *err,
                    size_t errlen)
{
    memset(r, 0, sizeof *r);
    ctx x = {name, err, errlen, 0};
    const char *end = NULL;
    r->root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!r->root) {
        size_t at = end && end >= text ? (size_t)(end - text) : 0;
        snprintf(err, errlen, "%s: not valid JSON (near byte %zu)", name, at);
        return -1;
    }
    if (!cJSON_IsObject(r->root)) {
        bad(&x, "", "(document)", "not a JSON object");
        rp_report_free(r);
        return -1;
    }
    const char *kind = str(&x, r->root, "", "kind");
    int rc = -1;
    if (x.failed) {
        /* reported by str() */
    } else if (!strcmp(kind, "check")) {
        r->kind = RP_KIND_CHECK;
        rc = parse_check(&x, r);
    } else if (!strcmp(kind, "load")) {
        r->kind = RP_KIND_LOAD;
        rc = parse_load(&x, r);
    } else {
        char what[120];
        snprintf(what, sizeof what, "'%.40s' is neither \"check\" nor \"load\"", kind);
        bad(&x, "", "kind", what);
    }
    if (rc != 0) rp_report_free(r);
    return rc;
}

int rp_report_load(rp_report *r, const char *path, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    size_t n;
    char *buf = util_read_file(path, (size_t)1 << 30, &n, err, errlen);
    if (!buf) return -1;
    int rc = rp_report_parse(r, buf, n, path, err, errlen);
    free(buf);
    return rc;
}

void rp_report_free(rp_report *r)
{
    cJSON_Delete(r->root);
    free(r->cases);
    free(r->sections);
    free(r->not_run);
    memset(r, 0, sizeof *r);
}
