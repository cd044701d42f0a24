/* Unit tests for hs_escape_as (terminal and report.json escaping of bytes a
 * server or a case file supplied) and for the strings report.json carries:
 * valid UTF-8 is kept as it is, controls and invalid bytes are not. */
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
#include "harness/hs_report_json.h"
#include "harness/hs_run.h"
#include "harness/hs_wire.h"
#include "reports/rp_escape.h"
#include "ws/ws_utf8.h"

static const char *term(const char *s)
{
    static char out[512];
    return hs_escape((const uint8_t *)s, strlen(s), out, sizeof out);
}

static const char *json(const char *s)
{
    static char out[512];
    return hs_escape_as(HS_ESC_JSON, (const uint8_t *)s, strlen(s), out, sizeof out);
}

static void test_valid_utf8_kept(void **state)
{
    (void)state;
    assert_string_equal(term("RFC 7692 §7.2.3.4"), "RFC 7692 §7.2.3.4");
    assert_string_equal(term("κόσμε"), "κόσμε");
    assert_string_equal(term("€ \xf0\x9f\x98\x80 U+10FFFF \xf4\x8f\xbf\xbf"),
                        "€ \xf0\x9f\x98\x80 U+10FFFF \xf4\x8f\xbf\xbf");
    assert_string_equal(json("bye — §1.2"), "bye — §1.2");
}

static void test_controls_escaped_on_terminal(void **state)
{
    (void)state;
    assert_string_equal(term("\033[31mred"), "\\x1b[31mred");
    assert_string_equal(term("a\nb\tc\r\"\\"), "a\\nb\\tc\\r\\\"\\\\");
    assert_string_equal(term("del\x7f"), "del\\x7f");
    /* C1: U+0085 NEL and U+009B CSI, valid UTF-8 but controls: the same
     * \u{..} form as the reports' terminal output (rp_term_char) */
    assert_string_equal(term("x\xc2\x85y\xc2\x9b"), "x\\u{85}y\\u{9B}");
    /* U+00A0 is the first character after C1: kept */
    assert_string_equal(term("\xc2\xa0"), "\xc2\xa0");
    /* bidirectional overrides U+202E and U+2066, and the RLM mark U+200F */
    assert_string_equal(term("a\xe2\x80\xae"
                             "b\xe2\x81\xa6"
                             "c\xe2\x80\x8f"),
                        "a\\u{202E}b\\u{2066}c\\u{200F}");
    /* the same bytes through the reports' escaper give the same text */
    const char mixed[] = "x\xc2\x85\xe2\x80\xae\033\xff\\\n";
    rp_str o = {0};
    rp_esc_term(&o, mixed, sizeof mixed - 1, 0);
    assert_non_null(o.p);
    assert_string_equal(o.p, term(mixed));
    rp_str_free(&o);
}

static void test_invalid_bytes_escaped(void **state)
{
    (void)state;
    assert_string_equal(term("\xff"), "\\xff");
    assert_string_equal(term("\xc0\xaf"), "\\xc0\\xaf");                   /* overlong '/' */
    assert_string_equal(term("\xed\xa0\x80"), "\\xed\\xa0\\x80");          /* surrogate */
    assert_string_equal(term("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80"); /* > U+10FFFF */
    assert_string_equal(term("ok\xe2\x82"), "ok\\xe2\\x82");               /* truncated € */
    assert_string_equal(term("\xe2\x82"
                             "A"),
                        "\\xe2\\x82A");
    /* JSON: invalid bytes escaped, controls left to cJSON */
    assert_string_equal(json("a\x01§\xff"), "a\x01§\\xff");
    assert_string_equal(json("\xce\xba\xe1\xbd"), "κ\\xe1\\xbd");
}

static void test_cut_between_characters(void **state)
{
    (void)state;
    char out[12];
    /* 6 x "§" (2 bytes each) does not fit in 12 with "...": never half a § */
    hs_escape((const uint8_t *)"§§§§§§", 12, out, sizeof out);
    assert_string_equal(out, "§§§§...");
    hs_escape((const uint8_t *)"\xff\xff\xff", 3, out, sizeof out);
    assert_string_equal(out, "\\xff\\xff...");
    hs_escape((const uint8_t *)"ab§§§§§§", 12, out, 11);
    assert_string_equal(out, "ab§§...");
    char *d = hs_escape_dup(HS_ESC_TERM, (const uint8_t *)"\xff\xff\xff", 3);
    assert_non_null(d);
    assert_string_equal(d, "\\xff\\xff\\xff");
    free(d);
}

/* report.json: UTF-8 titles, RFC clauses and server strings kept, invalid
 * bytes from the server as \xNN text, and the document valid UTF-8. */
static void test_report_json_text(void **state)
{
    (void)state;
    hs_catalogue cat = {0};
    char err[256] = "";
    const char *file =
        "{\"section\": \"7\", \"title\": \"Schließen\", \"cases\": [{\"id\": \"7.1\", "
        "\"title\": \"Close with reason “bye”\", \"rfc\": \"6455 §7.1.6\", \"steps\": []}]}";
    if (hs_load_string(&cat, file, "t.json", err, sizeof err) != 0) fail_msg("%s", err);
    hs_result r;
    memset(&r, 0, sizeof r);
    hs_wire_init(&r.wire, 0);
    r.tcp_closed_by = "server";
    snprintf(r.reason, sizeof r.reason,
             "expected close 1000, got close 1000 \"äöü\" (RFC 6455 §7)");
    const char resp[] = "HTTP/1.1 400 B\xe4se\r\nX-Bell: \a\r\n\r\n";
    hs_wire_response(&r.wire, resp, sizeof resp - 1);
    hs_wire_frame(&r.wire, '<', true, 0, 8, false, 6, (const uint8_t *)"\x03\xe8\xc3\xa9\xff!", 6);
    const hs_case *cases[1] = {&cat.cases[0]};
    hs_report_info info = {.target = "ws://127.0.0.1:1/§", .exit_status = 0};
    char *doc = hs_report_json_string(&info, cases, &r, 1);
    assert_non_null(doc);
    assert_true(ws_utf8_valid((const uint8_t *)doc, strlen(doc)));
    assert_non_null(strstr(doc, "\"title\":\t\"Close with reason “bye”\""));
    assert_non_null(strstr(doc, "\"rfc\":\t\"6455 §7.1.6\""));
    assert_non_null(strstr(doc, "\"title\":\t\"Schließen\""));
    assert_non_null(strstr(doc, "\\\"äöü\\\" (RFC 6455 §7)"));
    assert_non_null(strstr(doc, "\"target\":\t\"ws://127.0.0.1:1/§\""));
    /* 0xe4 alone is not UTF-8: \xe4 as text, which JSON writes as \\xe4 */
    assert_non_null(strstr(doc, "400 B\\\\xe4se"));
    assert_non_null(strstr(doc, "X-Bell: \\u0007"));
    assert_non_null(strstr(doc, "\"head_text\":\t\"\\u0003\\\\xe8é\\\\xff!\""));
    assert_null(strstr(doc, "\\\\xc2\\\\xa7"));
    free(doc);
    hs_wire_free(&r.wire);
    hs_catalogue_free(&cat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_utf8_kept),
        cmocka_unit_test(test_controls_escaped_on_terminal),
        cmocka_unit_test(test_invalid_bytes_escaped),
        cmocka_unit_test(test_cut_between_characters),
        cmocka_unit_test(test_report_json_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
