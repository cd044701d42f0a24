/* Unit tests for reports/: the report model and its validation, and what the
 * JUnit, Autobahn, HTML and compare writers make of a small report with every
 * verdict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "reports/rp_autobahn.h"
#include "reports/rp_compare.h"
#include "reports/rp_html.h"
#include "reports/rp_junit.h"
#include "reports/rp_model.h"

/* One case per line: id, section, verdict, close verdict, reason, server code,
 * expected_failure. */
#define CASE(id, sec, v, cv, why, code, ef)                                                        \
    "{\"id\":\"" id "\",\"title\":\"T " id "\",\"rfc\":\"6455\",\"section\":\"" sec                \
    "\",\"tags\":[],\"verdict\":\"" v "\",\"close_verdict\":\"" cv "\",\"reason\":\"" why          \
    "\",\"close_reason\":\"cr\",\"expected_failure\":" ef ",\"duration_ms\":12.7,"                 \
    "\"close\":{\"server_code\":" code ",\"tcp_closed_by\":\"server\"},\"expected\":[\"[echo]\"]," \
    "\"observed\":[\"+1ms text message of 3 bytes \\\"<b>\\\"\"],\"observed_truncated\":0,"        \
    "\"handshake\":{\"request\":\"GET\",\"request_truncated\":false,\"response\":\"HTTP/1.1 "      \
    "101\","                                                                                       \
    "\"response_truncated\":false,\"status\":101,\"upgraded\":true},\"wire\":[],"                  \
    "\"wire_truncated\":0}"

#define SEC(id, title, tot, ok, ns, info, un, fail, cf)                                            \
    "{\"section\":\"" id "\",\"title\":\"" title "\",\"total\":" tot ",\"OK\":" ok                 \
    ",\"NON-STRICT\":" ns ",\"INFORMATIONAL\":" info ",\"UNIMPLEMENTED\":" un ",\"FAILED\":" fail  \
    ",\"close_failed\":" cf "}"

/* clang-format off */
static const char *const good =
    "{\"kind\":\"check\",\"version\":1,\"tool\":{\"name\":\"wsprobe\",\"version\":\"0.1.0\"},"
    "\"target\":\"ws://127.0.0.1:9/\",\"agent\":\"srv</script><img src=x onerror=1>\","
    "\"started\":\"2026-01-02T03:04:05.678Z\",\"duration_ms\":1500,\"exit_status\":1,"
    "\"options\":{},"
    "\"summary\":{\"total\":6,\"OK\":2,\"NON-STRICT\":1,\"INFORMATIONAL\":0,\"UNIMPLEMENTED\":1,"
    "\"FAILED\":2,\"close_failed\":1,\"sections\":["
        SEC("1", "Framing", "3", "1", "1", "0", "0", "1", "1") ","
        SEC("12", "Compression", "3", "1", "0", "0", "1", "1", "0") "]},"
    "\"cases\":["
        CASE("1.1", "1", "OK", "OK", "", "1000", "false") ","
        CASE("1.2", "1", "NON-STRICT", "FAILED", "late\\u001b[31m", "null", "false") ","
        CASE("1.3", "1", "FAILED", "OK", "bad &<>", "1002", "false") ","
        CASE("12.1", "12", "OK", "OK", "", "1000", "false") ","
        CASE("12.2", "12", "UNIMPLEMENTED", "OK", "declined", "1000", "false") ","
        CASE("12.3", "12", "FAILED", "OK", "known", "1000", "true")
    "]}";
/* clang-format on */

static int parse(rp_report *r, const char *text, char *err)
{
    return rp_report_parse(r, text, strlen(text), "t.json", err, 300);
}

static void test_parse_good(void **state)
{
    (void)state;
    rp_report r;
    char err[300] = "";
    assert_int_equal(parse(&r, good, err), 0);
    assert_int_equal(r.kind, RP_KIND_CHECK);
    assert_int_equal(r.n_cases, 6);
    assert_int_equal(r.n_sections, 2);
    assert_string_equal(r.sections[1].title, "Compression");
    assert_int_equal(r.count[RP_OK], 2);
    assert_int_equal(r.count[RP_FAILED], 2);
    assert_int_equal(r.close_failed, 1);
    assert_int_equal(r.failed, 3); /* 1.2 (closing), 1.3, 12.3 */
    assert_int_equal(r.cases[0].server_code, 1000);
    assert_int_equal(r.cases[1].server_code, -1);
    assert_true(r.cases[5].expected_failure);
    assert_string_equal(rp_report_agent(&r), "srv</script><img src=x onerror=1>");
    rp_report_free(&r);
}

/* Replaces the first occurrence of from with to in good, parses, and expects
 * the error to contain want. */
static void expect_error(const char *from, const char *to, const char *want)
{
    const char *at = strstr(good, from);
    assert_non_null(at);
    size_t n = strlen(good) + strlen(to) + 1;
    char *doc = malloc(n);
    snprintf(doc, n, "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
    rp_report r;
    char err[300] = "";
    assert_int_equal(parse(&r, doc, err), -1);
    if (!strstr(err, want)) fail_msg("error '%s' does not contain '%s'", err, want);
    assert_null(r.root);
    free(doc);
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_error("\"kind\":\"check\"", "\"kind\":\"race\"", "t.json: kind: 'race' is neither");
    expect_error("\"version\":1", "\"version\":2",
                 "version: 2 is newer than this wsprobe reads (1)");
    expect_error("\"version\":1", "\"version\":1.5", "version: not a positive integer");
    expect_error("\"version\":1,", "", "version: missing");
    expect_error("\"target\":\"ws://127.0.0.1:9/\"", "\"target\":7", "target: not a string");
    expect_error("\"verdict\":\"OK\"", "\"verdict\":\"MAYBE\"",
                 "cases[0].verdict: unknown verdict 'MAYBE'");
    expect_error("\"close_verdict\":\"OK\"", "\"close_verdict\":null",
                 "cases[0].close_verdict: not a string");
    expect_error("\"total\":6", "\"total\":7", "summary.total: says 7, but there are 6 cases");
    expect_error("\"FAILED\":2", "\"FAILED\":3", "summary.FAILED: says 3, but 2 cases have it");
    expect_error("\"close_failed\":1", "\"close_failed\":0", "summary.close_failed");
    expect_error("\"id\":\"1.2\"", "\"id\":\"1.1\"", "cases[1].id: the same id as an earlier case");
    expect_error("\"wire\":[]", "\"wire\":{}", "cases[0].wire: not an array");
    expect_error("\"agent\":\"srv", "\"agent\":[\"srv", "t.json: not valid JSON");
    expect_error("\"section\":\"12\",\"title\":\"Compression\"",
                 "\"section\":\"13\",\"title\":\"Compression\"",
                 "summary.sections[1].section: no case has this section");
    rp_report r;
    char err[300] = "";
    assert_int_equal(parse(&r, "[1]", err), -1);
    assert_non_null(strstr(err, "not a JSON object"));
    assert_int_equal(parse(&r, "", err), -1);
    assert_int_equal(parse(&r, "{\"kind\":\"load\",\"schema\":\"wsprobe-load/9\"}", err), -1);
    assert_non_null(strstr(err, "schema: 'wsprobe-load/9' is not one this wsprobe reads"));
    assert_int_equal(rp_report_load(&r, "/nonexistent/report.json", err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open"));
}

static char *junit(const rp_report *r)
{
    rp_str o = {0};
    rp_junit_write(&o, r);
    assert_false(o.oom);
    return o.p;
}

static void test_junit(void **state)
{
    (void)state;
    rp_report r;
    char err[300];
    assert_int_equal(parse(&r, good, err), 0);
    char *x = junit(&r);
    /* totals: 6 tests; failures 1.2 (closing) and 1.3; skipped 12.2 and the
     * baseline failure 12.3 */
    assert_non_null(strstr(x, "<testsuites name=\"wsprobe check ws://127.0.0.1:9/\" tests=\"6\" "
                              "failures=\"2\" errors=\"0\" skipped=\"2\" time=\"1.500\">"));
    assert_non_null(strstr(x, "<testsuite id=\"0\" name=\"1 Framing\" tests=\"3\" failures=\"2\" "
                              "errors=\"0\" skipped=\"0\" time=\"0.038\" "
                              "timestamp=\"2026-01-02T03:04:05\""));
    assert_non_null(strstr(x, "<failure type=\"closing FAILED\" message=\"cr\">"));
    assert_non_null(strstr(x, "<failure type=\"FAILED\" message=\"bad &amp;&lt;&gt;\">"));
    assert_non_null(strstr(x, "<skipped message=\"UNIMPLEMENTED: declined\"/>"));
    assert_non_null(strstr(x, "<skipped message=\"known failure (in the baseline): known\"/>"));
    assert_non_null(strstr(x, "<system-out>NON-STRICT: late\\x1b[31m"));
    assert_non_null(strstr(x, "classname=\"wsprobe.section Framing\""));
    assert_non_null(strstr(x, "value=\"srv&lt;/script&gt;&lt;img src=x onerror=1&gt;\""));
    assert_null(strstr(x, "<img"));
    assert_null(strstr(x, "\x1b"));
    /* hostname: where the run was, never the server's agent; a report
     * without "host" (older) gets this machine's name */
    char here[256] = "", want[300];
    assert_int_equal(gethostname(here, sizeof here - 1), 0);
    snprintf(want, sizeof want, "hostname=\"%s\"", here);
    assert_non_null(strstr(x, want));
    assert_null(strstr(x, "hostname=\"srv"));
    free(x);
    rp_report_free(&r);
    const char *at = strstr(good, "\"agent\":");
    char *doc = malloc(strlen(good) + 32);
    sprintf(doc, "%.*s\"host\":\"runner-7\",%s", (int)(at - good), good, at);
    assert_int_equal(parse(&r, doc, err), 0);
    x = junit(&r);
    assert_non_null(strstr(x, "hostname=\"runner-7\""));
    assert_null(strstr(x, want));
    free(x);
    free(doc);
    rp_report_free(&r);
}

static void test_autobahn(void **state)
{
    (void)state;
    rp_report r;
    char err[300];
    assert_int_equal(parse(&r, good, err), 0);
    const rp_report *one[1] = {&r};
    cJSON *idx = rp_autobahn_index(one, 1);
    const cJSON *agent = cJSON_GetObjectItemCaseSensitive(idx, "srv</script><img src=x onerror=1>");
    assert_non_null(agent);
    assert_int_equal(cJSON_GetArraySize(agent), 6);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(agent, "1.2");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(c, "behavior")->valuestring, "NON-STRICT");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(c, "behaviorClose")->valuestring,
                        "FAILED");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(c, "remoteCloseCode")));
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(c, "duration")->valueint, 12);
    /* Autobahn's file naming: the agent in lower-case letters, digits and
     * '_', then _case_, then the id with '.' as '_' */
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(c, "reportfile")->valuestring,
                        "srv_script_img_src_x_onerror_1_case_1_2.json");
    c = cJSON_GetObjectItemCaseSensitive(agent, "1.3");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(c, "remoteCloseCode")->valueint, 1002);
    cJSON_Delete(idx);
    /* The same agent twice stays two agents, with files of their own. */
    const rp_report *two[2] = {&r, &r};
    idx = rp_autobahn_index(two, 2);
    assert_int_equal(cJSON_GetArraySize(idx), 2);
    agent = cJSON_GetObjectItemCaseSensitive(idx, "srv</script><img src=x onerror=1> (2)");
    assert_non_null(agent);
    c = cJSON_GetObjectItemCaseSensitive(agent, "1.2");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(c, "reportfile")->valuestring,
                        "srv_script_img_src_x_onerror_1_2_case_1_2.json");
    cJSON_Delete(idx);

    /* A case file: Autobahn's keys, and wsprobe's case under "wsprobe". */
    cJSON *f = rp_autobahn_case(&r, 2, "an agent");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(f, "agent")->valuestring, "an agent");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(f, "id")->valuestring, "1.3");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(f, "case")->valueint, 3);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(f, "description")->valuestring, "T 1.3");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(f, "expectation")->valuestring, "[echo]");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(f, "behavior")->valuestring, "FAILED");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(f, "result")->valuestring, "bad &<>");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(f, "httpResponse")->valuestring,
                        "HTTP/1.1 101");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(f, "remoteCloseCode")->valueint, 1002);
    const cJSON *own = cJSON_GetObjectItemCaseSensitive(f, "wsprobe");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(own, "id")->valuestring, "1.3");
    cJSON_Delete(f);
    rp_report_free(&r);

    /* Bounded whatever the report holds: a 100 KB reason and 1000 wire
     * entries come out cut, the cut entries counted in wire_truncated. */
    rp_str doc = {0};
    const char *at = strstr(good, "\"reason\":\"late");
    rp_str_add(&doc, good, (size_t)(at - good));
    rp_str_adds(&doc, "\"reason\":\"");
    for (int i = 0; i < 100000; i++) rp_str_adds(&doc, i % 50 ? "x" : "\xc3\xa9");
    rp_str_adds(&doc, "\"");
    const char *rest = strchr(at + 10, '"') + 1; /* after the old reason's closing quote */
    const char *wire = strstr(rest, "\"wire\":[]");
    rp_str_add(&doc, rest, (size_t)(wire - rest));
    rp_str_adds(&doc, "\"wire\":[");
    for (int i = 0; i < 1000; i++)
        rp_str_addf(&doc, "%s{\"t_ms\":%d,\"dir\":\"*\",\"kind\":\"note\",\"note\":\"n\"}",
                    i ? "," : "", i);
    rp_str_adds(&doc, "]");
    rp_str_adds(&doc, wire + strlen("\"wire\":[]"));
    assert_false(doc.oom);
    if (parse(&r, doc.p, err) != 0) fail_msg("%s", err);
    f = rp_autobahn_case(&r, 1, "a");
    const char *res = cJSON_GetObjectItemCaseSensitive(f, "result")->valuestring;
    assert_true(strlen(res) <= RP_AB_MAX_STRING + 3);
    assert_string_equal(res + strlen(res) - 3, "...");
    own = cJSON_GetObjectItemCaseSensitive(f, "wsprobe");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(own, "wire")),
                     RP_AB_MAX_ITEMS);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(own, "wire_truncated")->valueint,
                     1000 - RP_AB_MAX_ITEMS);
    char *text = cJSON_PrintUnformatted(f);
    assert_true(strlen(text) < 64 * 1024);
    cJSON_free(text);
    cJSON_Delete(f);
    rp_report_free(&r);
    rp_str_free(&doc);

    /* 300 expectations: the first RP_AB_MAX_ITEMS are joined, none after */
    rp_str d2 = {0};
    const char *ex = strstr(strstr(good, "\"reason\":\"late"), "\"expected\":[\"[echo]\"]");
    rp_str_add(&d2, good, (size_t)(ex - good));
    rp_str_adds(&d2, "\"expected\":[");
    for (int i = 0; i < 300; i++) rp_str_addf(&d2, "%s\"e%d\"", i ? "," : "", i);
    rp_str_adds(&d2, "]");
    rp_str_adds(&d2, ex + strlen("\"expected\":[\"[echo]\"]"));
    if (parse(&r, d2.p, err) != 0) fail_msg("%s", err);
    f = rp_autobahn_case(&r, 1, "a");
    const char *e = cJSON_GetObjectItemCaseSensitive(f, "expectation")->valuestring;
    assert_non_null(strstr(e, "; e255"));
    assert_null(strstr(e, "e256"));
    assert_null(strstr(e, "e299"));
    cJSON_Delete(f);
    rp_report_free(&r);
    rp_str_free(&d2);
}

static void test_html(void **state)
{
    (void)state;
    rp_report r;
    char err[300];
    assert_int_equal(parse(&r, good, err), 0);
    rp_str o = {0};
    rp_html_report(&o, &r);
    assert_false(o.oom);
    /* The agent appears escaped in the header and only escaped in the data. */
    assert_non_null(strstr(o.p, "srv&lt;/script&gt;&lt;img src=x onerror=1&gt;"));
    assert_null(strstr(o.p, "<img"));
    assert_non_null(strstr(o.p, "srv\\u003c/script\\u003e\\u003cimg"));
    assert_non_null(strstr(o.p, "Content-Security-Policy\" content=\"default-src 'none'; "
                                "script-src 'sha256-"));
    /* the summary cell for section 1, FAILED */
    assert_non_null(
        strstr(o.p, "data-section=\"1\" data-verdict=\"FAILED\" title=\"1 FAILED\">1<"));
    assert_non_null(strstr(o.p, "FAIL: 2 of 6 cases failed; 1 known failures from the baseline"));
    /* exactly our two scripts */
    size_t scripts = 0;
    for (const char *p = o.p; (p = strstr(p, "<script")); p++) scripts++;
    assert_int_equal(scripts, 2);
    rp_str_free(&o);
    rp_report_free(&r);
}

/* good, cut short: two more cases were selected but did not run. */
static char *interrupted_doc(const char *not_run, const char *summary_extra)
{
    const char *opt = strstr(good, "\"options\"");
    const char *secs = strstr(good, "\"sections\"");
    size_t n = strlen(good) + strlen(not_run) + strlen(summary_extra) + 64;
    char *doc = malloc(n);
    snprintf(doc, n, "%.*s\"interrupted\":true,\"not_run\":%s,%.*s%s%s", (int)(opt - good), good,
             not_run, (int)(secs - opt), opt, summary_extra, secs);
    return doc;
}

static void test_interrupted(void **state)
{
    (void)state;
    rp_report r;
    char err[300] = "";
    char *doc = interrupted_doc("[\"2.1\",\"2.2<b>\"]", "\"interrupted\":true,\"not_run\":2,");
    if (parse(&r, doc, err) != 0) fail_msg("%s", err);
    assert_true(r.interrupted);
    assert_int_equal(r.n_not_run, 2);
    assert_int_equal(r.n_cases, 6);
    assert_string_equal(r.not_run[1], "2.2<b>");
    char *x = junit(&r);
    assert_non_null(strstr(x, "tests=\"8\" failures=\"2\" errors=\"0\" skipped=\"4\""));
    assert_non_null(strstr(x, "name=\"not run (interrupted)\" tests=\"2\" failures=\"0\" "
                              "errors=\"0\" skipped=\"2\""));
    assert_non_null(strstr(x, "<testcase name=\"2.2&lt;b&gt;\" classname=\"wsprobe.not run\" "
                              "time=\"0\">\n      <skipped message=\"not run (interrupted)\"/>"));
    free(x);
    rp_str o = {0};
    rp_html_report(&o, &r);
    assert_false(o.oom);
    assert_non_null(strstr(o.p, "Interrupted: 2 of 8 selected cases did not run"));
    assert_non_null(strstr(o.p, "<details id=\"not-run\" open><summary>Cases not run (2)"));
    assert_non_null(strstr(o.p, "<li>2.1</li><li>2.2&lt;b&gt;</li>"));
    rp_str_free(&o);
    rp_report_free(&r);
    free(doc);

    /* A complete run has no banner and no not-run suite. */
    assert_int_equal(parse(&r, good, err), 0);
    assert_false(r.interrupted);
    x = junit(&r);
    assert_null(strstr(x, "not run"));
    free(x);
    rp_html_report(&o, &r);
    assert_null(strstr(o.p, "Interrupted"));
    rp_str_free(&o);
    rp_report_free(&r);

    const struct {
        const char *not_run, *extra, *want;
    } bad[] = {
        {"[\"1.1\"]", "", "not_run[0]: a case that is also in cases"},
        {"[\"2.1\",\"2.1\"]", "", "not_run[1]: listed twice"},
        {"[7]", "", "not_run[0]: not a string"},
        {"\"2.1\"", "", "not_run: not an array"},
        {"[\"2.1\"]", "\"not_run\":3,", "summary.not_run: says 3, but not_run lists 1 cases"},
        {"[\"2.1\"]", "\"interrupted\":false,", "summary.interrupted: disagrees"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        doc = interrupted_doc(bad[i].not_run, bad[i].extra);
        assert_int_equal(parse(&r, doc, err), -1);
        if (!strstr(err, bad[i].want))
            fail_msg("error '%s' does not contain '%s'", err, bad[i].want);
        assert_null(r.root);
        free(doc);
    }
    /* not_run without interrupted */
    expect_error("\"options\"", "\"not_run\":[\"2.1\"],\"options\"",
                 "not_run: lists cases, but the run is not marked interrupted");
}

static void test_diff(void **state)
{
    (void)state;
    rp_report a, b;
    char err[300];
    assert_int_equal(parse(&a, good, err), 0);
    assert_int_equal(parse(&b, good, err), 0);
    cJSON *d = rp_diff_data(&a, &b);
    assert_int_equal(rp_diff_regressions(d), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, "changes")), 0);
    cJSON_Delete(d);
    /* 1.1 regresses, 1.3 is fixed (the counts of the summary follow). */
    b.cases[0].verdict = RP_FAILED;
    b.cases[2].verdict = RP_OK;
    d = rp_diff_data(&a, &b);
    assert_int_equal(rp_diff_regressions(d), 1);
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(d, "changes");
    assert_int_equal(cJSON_GetArraySize(ch), 2);
    assert_string_equal(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ch, 0), "change")->valuestring,
        "newly failing");
    assert_string_equal(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ch, 1), "id")->valuestring, "1.3");
    rp_str t = {0};
    rp_diff_print(&t, d);
    assert_non_null(strstr(t.p, "newly failing  1.1  OK/OK -> FAILED/OK"));
    assert_non_null(strstr(t.p, "1 newly failing, 1 fixed, 0 changed, 0 added, 0 removed"));
    rp_str_free(&t);
    cJSON_Delete(d);
    /* Side by side: the union of cases, one results map per report. */
    const rp_report *two[2] = {&a, &b};
    d = rp_compare_data(two, 2);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, "cases")), 6);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, "reports")), 2);
    cJSON_Delete(d);
    rp_report_free(&a);
    rp_report_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),  cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_junit),       cmocka_unit_test(test_autobahn),
        cmocka_unit_test(test_html),        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_interrupted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
