/* rp_junit: JUnit XML (see rp_junit.h). */
#include "reports/rp_junit.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "reports/rp_escape.h"
#include "util/util_host.h"

static void x(rp_str *o, const char *s)
{
    rp_esc_xml(o, s ? s : "", s ? strlen(s) : 0);
}

/* JUnit timestamps have no zone or fraction: 2026-01-02T03:04:05. */
static void timestamp(rp_str *o, const char *iso)
{
    size_t n = 0;
    while (iso && n < 19 && iso[n]) n++;
    if (n == 19)
        rp_esc_xml(o, iso, 19);
    else
        rp_str_adds(o, "1970-01-01T00:00:00");
}

static void lines(rp_str *o, const char *title, const cJSON *arr)
{
    const cJSON *s;
    rp_str_adds(o, title);
    rp_str_adds(o, ":&#10;");
    cJSON_ArrayForEach(s, arr)
    {
        if (!cJSON_IsString(s)) continue;
        rp_str_adds(o, "  ");
        x(o, s->valuestring);
        rp_str_adds(o, "&#10;");
    }
}

static void check_case(rp_str *o, const rp_case *c, const char *classname)
{
    rp_str_adds(o, "    <testcase name=\"");
    x(o, c->id);
    rp_str_adds(o, " ");
    x(o, c->title);
    rp_str_adds(o, "\" classname=\"");
    x(o, classname);
    rp_str_addf(o, "\" time=\"%.3f\">\n", c->duration_ms / 1000.0);
    const char *why = c->verdict == RP_FAILED ? c->reason : c->close_reason;
    if (rp_case_failed(c) && c->expected_failure) {
        rp_str_adds(o, "      <skipped message=\"known failure (in the baseline): ");
        x(o, why);
        rp_str_adds(o, "\"/>\n");
    } else if (rp_case_failed(c)) {
        rp_str_addf(o, "      <failure type=\"%s\" message=\"",
                    c->verdict == RP_FAILED ? "FAILED" : "closing FAILED");
        x(o, why);
        rp_str_adds(o, "\">");
        x(o, c->rfc);
        rp_str_adds(o, "&#10;");
        lines(o, "expected", cJSON_GetObjectItemCaseSensitive(c->json, "expected"));
        lines(o, "observed", cJSON_GetObjectItemCaseSensitive(c->json, "observed"));
        rp_str_adds(o, "closing: ");
        x(o, rp_verdict_name(c->close_verdict));
        rp_str_adds(o, ", ");
        x(o, c->close_reason);
        rp_str_adds(o, "</failure>\n");
    } else if (c->verdict == RP_UNIMPLEMENTED) {
        rp_str_adds(o, "      <skipped message=\"UNIMPLEMENTED: ");
        x(o, c->reason);
        rp_str_adds(o, "\"/>\n");
    }
    if (c->verdict == RP_NON_STRICT || c->verdict == RP_INFORMATIONAL ||
        c->close_verdict == RP_NON_STRICT) {
        rp_str_adds(o, "      <system-out>");
        x(o, rp_verdict_name(c->verdict));
        rp_str_adds(o, ": ");
        x(o, c->reason);
        rp_str_adds(o, "&#10;closing ");
        x(o, rp_verdict_name(c->close_verdict));
        rp_str_adds(o, ": ");
        x(o, c->close_reason);
        rp_str_adds(o, "</system-out>\n");
    }
    rp_str_adds(o, "    </testcase>\n");
}

typedef struct tally {
    size_t tests, failures, skipped;
    double time_s;
} tally;

static tally section_tally(const rp_report *r, const char *sec)
{
    tally t = {0, 0, 0, 0};
    for (size_t i = 0; i < r->n_cases; i++) {
        const rp_case *c = &r->cases[i];
        if (sec && strcmp(c->section, sec) != 0) continue;
        t.tests++;
        t.time_s += c->duration_ms / 1000.0;
        if (rp_case_failed(c) && !c->expected_failure)
            t.failures++;
        else if (rp_case_failed(c) || c->verdict == RP_UNIMPLEMENTED)
            t.skipped++;
    }
    return t;
}

static void properties(rp_str *o, const rp_report *r)
{
    rp_str_adds(o, "    <properties>\n      <property name=\"target\" value=\"");
    x(o, r->target);
    rp_str_adds(o, "\"/>\n      <property name=\"agent\" value=\"");
    x(o, rp_report_agent(r));
    rp_str_adds(o, "\"/>\n      <property name=\"wsprobe\" value=\"");
    x(o, r->tool_version);
    rp_str_adds(o, "\"/>\n    </properties>\n");
}

/* JUnit's hostname is where the tests ran: the report's host, or (a report
 * from before that field) this machine. Never the server's agent: that is
 * the system under test, and its words. */
static const char *report_host(const rp_report *r)
{
    static char here[256];
    if (r->host && r->host[0]) return r->host;
    return here[0] ? here : util_hostname(here, sizeof here);
}

static void suite_open(rp_str *o, const rp_report *r, size_t id, const char *name, tally t)
{
    rp_str_addf(o, "  <testsuite id=\"%zu\" name=\"", id);
    x(o, name);
    rp_str_addf(o,
                "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\" "
                "timestamp=\"",
                t.tests, t.failures, t.skipped, t.time_s);
    timestamp(o, r->started);
    rp_str_adds(o, "\" hostname=\"");
    x(o, report_host(r));
    rp_str_adds(o, "\">\n");
    properties(o, r);
}

/* Cases an interrupted run never finished have only their id: they are
 * skipped tests in a suite of their own, so CI shows them as not run rather
 * than passed or missing. */
static void not_run_suite(rp_str *o, const rp_report *r, size_t id)
{
    tally t = {r->n_not_run, 0, r->n_not_run, 0};
    suite_open(o, r, id, "not run (interrupted)", t);
    for (size_t i = 0; i < r->n_not_run; i++) {
        rp_str_adds(o, "    <testcase name=\"");
        x(o, r->not_run[i]);
        rp_str_adds(o, "\" classname=\"wsprobe.not run\" time=\"0\">\n"
                       "      <skipped message=\"not run (interrupted)\"/>\n    </testcase>\n");
    }
    rp_str_adds(o, "  </testsuite>\n");
}

static void write_check(rp_str *o, const rp_report *r)
{
    tally all = section_tally(r, NULL);
    all.tests += r->n_not_run;
    all.skipped += r->n_not_run;
    rp_str_adds(o, "<testsuites name=\"wsprobe check ");
    x(o, r->target);
    rp_str_addf(o,
                "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\">\n",
                all.tests, all.failures, all.skipped, r->duration_s);
    for (size_t s = 0; s < r->n_sections; s++) {
        const rp_section *sec = &r->sections[s];
        rp_str name = {0}, cls = {0};
        rp_str_addf(&name, "%s %s", sec->id, sec->title);
        /* CI tools split classname on dots into packages: keep the section's
         * dots out of it so each section is one class. */
        rp_str_addf(&cls, "wsprobe.section %s", sec->title[0] ? sec->title : sec->id);
        for (size_t k = strlen("wsprobe."); cls.p && k < cls.n; k++)
            if (cls.p[k] == '.') cls.p[k] = '_';
        suite_open(o, r, s, name.p ? name.p : "", section_tally(r, sec->id));
        for (size_t i = 0; i < r->n_cases; i++)
            if (!strcmp(r->cases[i].section, sec->id))
                check_case(o, &r->cases[i], cls.p ? cls.p : "");
        rp_str_adds(o, "  </testsuite>\n");
        rp_str_free(&name);
        rp_str_free(&cls);
    }
    if (r->n_not_run) not_run_suite(o, r, r->n_sections);
    rp_str_adds(o, "</testsuites>\n");
}

static double num_at(const cJSON *j, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, a), b);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void simple_case(rp_str *o, const char *name, const char *failure)
{
    rp_str_adds(o, "    <testcase name=\"");
    x(o, name);
    rp_str_adds(o, "\" classname=\"wsprobe.load\" time=\"0\"");
    if (!failure) {
        rp_str_adds(o, "/>\n");
        return;
    }
    rp_str_adds(o, ">\n      <failure type=\"FAILED\" message=\"");
    x(o, failure);
    rp_str_adds(o, "\"/>\n    </testcase>\n");
}

static void write_load(rp_str *o, const rp_report *r)
{
    const cJSON *sum = cJSON_GetObjectItemCaseSensitive(r->root, "summary");
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(r->root, "thresholds");
    tally t = {2, 0, 0, r->duration_s};
    const cJSON *e;
    cJSON_ArrayForEach(e, th)
    {
        t.tests++;
        t.failures += !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "pass"));
    }
    double lost = num_at(sum, "messages", "lost"), dup = num_at(sum, "messages", "duplicated"),
           reord = num_at(sum, "messages", "reordered"),
           corrupt = num_at(sum, "messages", "corrupted");
    double connected = num_at(sum, "connections", "connected");
    int integrity_bad = lost + dup + reord + corrupt > 0;
    t.failures += integrity_bad + (connected <= 0);

    rp_str_adds(o, "<testsuites name=\"wsprobe load ");
    x(o, r->target);
    rp_str_addf(o, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" time=\"%.3f\">\n",
                t.tests, t.failures, t.time_s);
    suite_open(o, r, 0, "load", t);
    simple_case(o, "target reachable", connected > 0 ? NULL : "no connection was made");
    char msg[256];
    snprintf(msg, sizeof msg, "lost %.0f, duplicated %.0f, reordered %.0f, corrupted %.0f", lost,
             dup, reord, corrupt);
    simple_case(o, "message integrity", integrity_bad ? msg : NULL);
    cJSON_ArrayForEach(e, th)
    {
        const cJSON *ex = cJSON_GetObjectItemCaseSensitive(e, "expr");
        const cJSON *tx = cJSON_GetObjectItemCaseSensitive(e, "text");
        rp_str name = {0};
        rp_str_adds(&name, "threshold ");
        rp_str_adds(&name, cJSON_IsString(ex) ? ex->valuestring : "?");
        simple_case(o, name.p ? name.p : "",
                    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "pass"))
                        ? NULL
                        : (cJSON_IsString(tx) ? tx->valuestring : "missed"));
        rp_str_free(&name);
    }
    rp_str_adds(o, "  </testsuite>\n</testsuites>\n");
}

void rp_junit_write(rp_str *o, const rp_report *r)
{
    rp_str_adds(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    if (r->kind == RP_KIND_CHECK)
        write_check(o, r);
    else
        write_load(o, r);
}
