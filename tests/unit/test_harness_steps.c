/* Unit tests for hs_report_steps: a loaded case's script in words, as
 * report.json's "steps" carries it. Every step kind has its line; payloads
 * are previewed from their first bytes (a 16 MiB repeat and a 16 MiB random
 * payload are described without being built); repeats indent their steps;
 * a long script is cut at HS_STEPS_MAX_LINES with a line saying how many
 * were left out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness/hs_case.h"
#include "harness/hs_load.h"
#include "harness/hs_report_steps.h"
#include "ws/ws_utf8.h"

#define HEAD                                                                                       \
    "{\"section\": \"1\", \"title\": \"T\", \"cases\": [{\"id\": \"1.1\", \"title\": \"x\", "      \
    "\"rfc\": \"6455\", "
#define TAIL "}]}"

static hs_step_lines *words(const char *steps_json)
{
    static hs_step_lines out;
    char json[8192], err[512] = "";
    hs_catalogue cat;
    memset(&cat, 0, sizeof cat);
    snprintf(json, sizeof json, HEAD "\"steps\": %s" TAIL, steps_json);
    int rc = hs_load_string(&cat, json, "t.json", err, sizeof err);
    if (rc != 0) hs_catalogue_free(&cat);
    if (rc != 0) fail_msg("%s", err);
    hs_report_steps(&cat.cases[0], &out);
    hs_catalogue_free(&cat);
    return &out;
}

static void test_every_kind(void **state)
{
    (void)state;
    hs_step_lines *w = words(
        "[{\"handshake\": {\"path\": \"/chat\", \"key\": \"dGhlIHNhbXBsZSBub25jZQ==\","
        " \"set\": {\"Origin\": \"http://a\"}, \"omit\": [\"Sec-WebSocket-Version\"]}},"
        " {\"expect\": {\"response\": {\"status\": 101}}},"
        " {\"send\": {\"op\": \"text\", \"payload\": \"Hello\", \"fin\": false, \"rsv\": 5,"
        "   \"mask\": \"01020304\", \"length\": 99, \"len_form\": 64, \"chop\": 1, \"count\": 2}},"
        " {\"send\": {\"op\": \"binary\", \"payload\": {\"hex\": \"00 ff 0a\"}, \"mask\": false}},"
        " {\"raw\": {\"hex\": \"81 05\"}, \"chop\": 1, \"delay\": 5},"
        " {\"sleep\": 10},"
        " {\"close\": {\"code\": 1000, \"reason\": \"bye\"}}, {\"close\": {}},"
        " {\"expect\": [{\"pong\": \"ping\"}, {\"close\": 1002}], \"within\": 500},"
        " {\"shutdown\": \"write\"}]");
    const char *want[] = {
        "opening handshake: GET /chat HTTP/1.1, key dGhlIHNhbXBsZSBub25jZQ==, set Origin: "
        "'http://a' (8 bytes), omit Sec-WebSocket-Version",
        "expect: [status 101]",
        "send text fin=0 rsv=5 'Hello' (5 bytes), mask key 01020304, length field says 99, "
        "64-bit length form, 2 times, written 1 byte at a time",
        "send binary fin=1 rsv=0 '\\x00\\xff\\n' (3 bytes), unmasked",
        "send raw bytes '\\x81\\x05' (2 bytes), written 1 byte at a time, delay 5 ms",
        "wait 10 ms (reading)",
        "send close 1000 reason 'bye' (3 bytes)",
        "send close without a code",
        NULL,
    };
    for (size_t i = 0; want[i]; i++) assert_string_equal(w->line[i], want[i]);
    /* the expectation in the words of report.json's "expected" */
    assert_string_equal(w->line[8], "expect: [pong of 4 bytes \"ping\", close 1002] within 500 ms");
    assert_string_equal(w->line[9], "shut down the TCP write side (half-close)");
    assert_int_equal(w->n, 10);
}

static void test_big_payloads_previewed(void **state)
{
    (void)state;
    hs_step_lines *w =
        words("[{\"send\": {\"op\": \"binary\", \"payload\": {\"repeat\": {\"byte\": \"*\", "
              "\"count\": 16777216}}}},"
              " {\"send\": {\"op\": \"binary\", \"payload\": {\"random\": {\"seed\": 7, \"size\": "
              "16777216}}}},"
              " {\"send\": {\"op\": \"text\", \"payload\": {\"concat\": [\"ab\", {\"repeat\": "
              "{\"text\": \"cd\", \"count\": 3}}]}}},"
              /* the preview stops where bytes it does not show begin */
              " {\"send\": {\"op\": \"text\", \"payload\": {\"concat\": [\"ab\", {\"corpus\": "
              "{\"kind\": \"prose\", \"seed\": 3, \"size\": 10, \"offset\": 5}}, \"cd\"]}}},"
              " {\"send\": {\"op\": \"binary\", \"payload\": {\"concat\": [\"ab\", {\"concat\": "
              "[\"x\", {\"random\": {\"seed\": 1, \"size\": 10}}]}, \"cd\"]}}},"
              " {\"send\": {\"op\": \"text\", \"payload\": {\"corpus\": {\"kind\": \"json\", "
              "\"seed\": 9, \"size\": 100}}}}]");
    assert_string_equal(w->line[0], "send binary fin=1 rsv=0 '********************************...' "
                                    "(16777216 bytes)");
    assert_string_equal(w->line[1], "send binary fin=1 rsv=0 (16777216 random bytes, seed 7)");
    assert_string_equal(w->line[2], "send text fin=1 rsv=0 'abcdcdcd' (8 bytes)");
    assert_string_equal(w->line[3], "send text fin=1 rsv=0 'ab...' (14 bytes)");
    assert_string_equal(w->line[4], "send binary fin=1 rsv=0 'abx...' (15 bytes)");
    assert_string_equal(w->line[5], "send text fin=1 rsv=0 (100 bytes of the json document, "
                                    "seed 9, from byte 0)");
}

static void test_repeat_indents(void **state)
{
    (void)state;
    hs_step_lines *w = words("[{\"repeat\": 3, \"steps\": [{\"send\": {\"op\": \"text\", "
                             "\"payload\": \"msg {i}\"}}, {\"expect\": {\"echo\": true}}]}]");
    assert_int_equal(w->n, 3);
    assert_string_equal(w->line[0], "repeat 3 times:");
    assert_string_equal(w->line[1], "  send text fin=1 rsv=0 'msg {i}' (7 bytes)");
    assert_string_equal(w->line[2], "  expect: [echo]");
}

static void test_bounded(void **state)
{
    (void)state;
    char steps[8000] = "[";
    for (int i = 0; i < 100; i++)
        snprintf(steps + strlen(steps), sizeof steps - strlen(steps), "%s{\"sleep\": %d}",
                 i ? "," : "", i);
    strcat(steps, "]");
    hs_step_lines *w = words(steps);
    assert_int_equal(w->n, HS_STEPS_MAX_LINES);
    assert_string_equal(w->line[HS_STEPS_MAX_LINES - 2], "wait 62 ms (reading)");
    assert_string_equal(w->line[HS_STEPS_MAX_LINES - 1], "... and 37 more steps");
    /* exactly the bound: nothing is cut */
    steps[1] = 0;
    for (int i = 0; i < HS_STEPS_MAX_LINES; i++)
        snprintf(steps + strlen(steps), sizeof steps - strlen(steps), "%s{\"sleep\": %d}",
                 i ? "," : "", i);
    strcat(steps, "]");
    w = words(steps);
    assert_int_equal(w->n, HS_STEPS_MAX_LINES);
    assert_string_equal(w->line[HS_STEPS_MAX_LINES - 1], "wait 63 ms (reading)");
    /* a long line is cut and says so */
    char big[4000];
    snprintf(big, sizeof big, "[{\"expect\": [");
    for (int i = 0; i < 30; i++)
        snprintf(big + strlen(big), sizeof big - strlen(big), "%s{\"pong\": \"payload-%d\"}",
                 i ? "," : "", i);
    strcat(big, "]}]");
    w = words(big);
    assert_int_equal(strlen(w->line[0]), HS_STEPS_LINE_MAX - 1);
    assert_string_equal(w->line[0] + HS_STEPS_LINE_MAX - 4, "...");
    /* a cut never splits a character: payloads of 'é' (2 bytes) after a
     * first one of 0..31 ASCII bytes, so the cut moves through the 'é's */
    for (int shift = 0; shift < 32; shift++) {
        snprintf(big, sizeof big, "[{\"expect\": [");
        for (int i = 0; i < 30; i++)
            snprintf(big + strlen(big), sizeof big - strlen(big), "%s{\"pong\": \"%.*s%s\"}",
                     i ? "," : "", i ? 0 : shift, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                     i ? "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9" : "");
        strcat(big, "]}]");
        w = words(big);
        size_t n = strlen(w->line[0]);
        assert_true(n >= HS_STEPS_LINE_MAX - 2);
        assert_string_equal(w->line[0] + n - 3, "...");
        if (!ws_utf8_valid((const uint8_t *)w->line[0], n))
            fail_msg("shift %d: %s", shift, w->line[0]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind),
        cmocka_unit_test(test_big_payloads_previewed),
        cmocka_unit_test(test_repeat_indents),
        cmocka_unit_test(test_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
