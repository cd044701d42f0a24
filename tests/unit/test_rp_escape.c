/* Unit tests for reports/rp_escape: every output a server string can reach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "reports/rp_escape.h"

typedef void (*esc_fn)(rp_str *, const char *, size_t);

static void expect(esc_fn f, const char *in, size_t n, const char *want)
{
    rp_str o = {0};
    f(&o, in, n);
    assert_false(o.oom);
    assert_string_equal(o.p ? o.p : "", want);
    rp_str_free(&o);
}

static void term0(rp_str *o, const char *p, size_t n)
{
    rp_esc_term(o, p, n, 0);
}

static void term1(rp_str *o, const char *p, size_t n)
{
    rp_esc_term(o, p, n, 1);
}

#define EXPECT(f, lit, want) expect(f, lit, sizeof(lit) - 1, want)

static void test_utf8_next(void **state)
{
    (void)state;
    uint32_t cp = 0;
    assert_int_equal(rp_utf8_next((const uint8_t *)"A", 1, &cp), 1);
    assert_int_equal(cp, 'A');
    assert_int_equal(rp_utf8_next((const uint8_t *)"\xce\xba", 2, &cp), 2);
    assert_int_equal(cp, 0x3ba);
    assert_int_equal(rp_utf8_next((const uint8_t *)"\xf4\x8f\xbf\xbf", 4, &cp), 4);
    assert_int_equal(cp, 0x10ffff);
    /* overlong, surrogate, above U+10FFFF, truncated, lone continuation */
    assert_int_equal(rp_utf8_next((const uint8_t *)"\xc0\xaf", 2, &cp), 0);
    assert_int_equal(rp_utf8_next((const uint8_t *)"\xe0\x80\xaf", 3, &cp), 0);
    assert_int_equal(rp_utf8_next((const uint8_t *)"\xed\xa0\x80", 3, &cp), 0);
    assert_int_equal(rp_utf8_next((const uint8_t *)"\xf4\x90\x80\x80", 4, &cp), 0);
    assert_int_equal(rp_utf8_next((const uint8_t *)"\xe2\x82", 2, &cp), 0);
    assert_int_equal(rp_utf8_next((const uint8_t *)"\x80", 1, &cp), 0);
    assert_int_equal(rp_utf8_next((const uint8_t *)"", 0, &cp), 0);
}

static void test_html(void **state)
{
    (void)state;
    EXPECT(rp_esc_html, "<script>alert('x')</script>",
           "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
    EXPECT(rp_esc_html, "\"><img src=x onerror=alert(1)>",
           "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
    EXPECT(rp_esc_html, "a & b", "a &amp; b");
    EXPECT(rp_esc_html, "line\nnext\ttab", "line\nnext\ttab");
    EXPECT(rp_esc_html, "\x1b[31m\x00\x7f", "\\x1b[31m\\x00\\x7f");
    EXPECT(rp_esc_html, "caf\xc3\xa9 \xce\xba\xe1\xbd\xb9", "caf\xc3\xa9 \xce\xba\xe1\xbd\xb9");
    /* invalid UTF-8 becomes visible hex, byte by byte */
    EXPECT(rp_esc_html, "a\xff\xc3(b", "a\\xff\\xc3(b");
    /* C1 control U+0085 */
    EXPECT(rp_esc_html, "x\xc2\x85y", "x\\xc2\\x85y");
}

static void test_xml(void **state)
{
    (void)state;
    EXPECT(rp_esc_xml, "<a b=\"c\">'&", "&lt;a b=&quot;c&quot;&gt;&#39;&amp;");
    /* attribute normalisation would turn raw \n \t into spaces: references keep them */
    EXPECT(rp_esc_xml, "a\nb\tc\rd", "a&#10;b&#9;c&#13;d");
    /* not XML characters at all: C0 controls and U+FFFE */
    EXPECT(rp_esc_xml, "\x01\x08\x0b\xef\xbf\xbe", "\\x01\\x08\\x0b\\u{FFFE}");
    EXPECT(rp_esc_xml, "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");
}

static void test_term(void **state)
{
    (void)state;
    EXPECT(term0, "\x1b]0;title\x07\x1b[2J", "\\x1b]0;title\\x07\\x1b[2J");
    /* one terminal form with the harness (rp_term_char): \n \r \t named,
     * a backslash doubled so a server cannot fake an escape */
    EXPECT(term0, "a\nb\r\t", "a\\nb\\r\\t");
    EXPECT(term1, "a\nb\tc\r", "a\nb\tc\\r");
    EXPECT(term0, "\\x1b \"q\"", "\\\\x1b \"q\"");
    EXPECT(term0, "\xe2\x80\x8f\xd8\x9c", "\\u{200F}\\u{61C}");
    /* C1 CSI (U+009B) and the bidi overrides that reorder what is shown */
    EXPECT(term0,
           "\xc2\x9b"
           "2J",
           "\\u{9B}2J");
    EXPECT(term0,
           "abc\xe2\x80\xae"
           "fdp.exe",
           "abc\\u{202E}fdp.exe");
    EXPECT(term0, "\xe2\x81\xa6x", "\\u{2066}x");
    EXPECT(term0, "\xff", "\\xff");
    EXPECT(term0, "plain \xc3\xa9", "plain \xc3\xa9");
}

static void test_json_script(void **state)
{
    (void)state;
    EXPECT(rp_esc_json_script, "{\"a\":\"</script><script>x</script>\"}",
           "{\"a\":\"\\u003c/script\\u003e\\u003cscript\\u003ex\\u003c/script\\u003e\"}");
    EXPECT(rp_esc_json_script, "[\"<!-- & \xe2\x80\xa8 \xe2\x80\xa9 \xe2\x80\xa7\"]",
           "[\"\\u003c!-- \\u0026 \\u2028 \\u2029 \xe2\x80\xa7\"]");
    EXPECT(rp_esc_json_script, "{}", "{}");
}

/* Whatever the strings, the escaped JSON parses back to the same document. */
static void test_json_script_round_trip(void **state)
{
    (void)state;
    const char *vals[] = {"</script>", "<!--",
                          "-->",       "a\xe2\x80\xa8\x62\xe2\x80\xa9",
                          "&amp;",     "\"><img src=x onerror=1>",
                          "\\u003c"};
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(vals[i]));
    char *json = cJSON_PrintUnformatted(a);
    rp_str o = {0};
    rp_esc_json_script(&o, json, strlen(json));
    assert_null(strstr(o.p, "</"));
    assert_null(strstr(o.p, "<!--"));
    assert_null(strstr(o.p, "\xe2\x80\xa8"));
    cJSON *b = cJSON_Parse(o.p);
    assert_non_null(b);
    assert_true(cJSON_Compare(a, b, 1));
    cJSON_Delete(a);
    cJSON_Delete(b);
    free(json);
    rp_str_free(&o);
}

static void test_hex(void **state)
{
    (void)state;
    rp_str o = {0};
    rp_hex(&o, (const uint8_t *)"\x00\xff\x41", 3, 16);
    assert_string_equal(o.p, "00 ff 41");
    rp_str_free(&o);
    rp_hex(&o, (const uint8_t *)"abcdef", 6, 2);
    assert_string_equal(o.p, "61 62 \xe2\x80\xa6");
    rp_str_free(&o);
}

/* Every byte value, alone and after each other byte: no raw markup or control
 * character survives, and the output is valid UTF-8. */
static void test_all_bytes(void **state)
{
    (void)state;
    for (int a = 0; a < 256; a++)
        for (int b = 0; b < 256; b += 17) {
            char in[3] = {(char)a, (char)b, '<'};
            esc_fn fns[] = {rp_esc_html, rp_esc_xml, term0};
            for (size_t k = 0; k < 3; k++) {
                rp_str o = {0};
                fns[k](&o, in, sizeof in);
                for (size_t i = 0; i < o.n; i++) {
                    unsigned char c = (unsigned char)o.p[i];
                    assert_true(c >= 0x20 || c == '\n' || c == '\t' || (k == 0 && c == '\r'));
                    assert_true(c != 0x7f);
                    if (k < 2) assert_true(c != '<' && c != '>' && c != '"' && c != '\'');
                }
                size_t i = 0;
                while (i < o.n) {
                    uint32_t cp;
                    size_t len = rp_utf8_next((const uint8_t *)o.p + i, o.n - i, &cp);
                    assert_true(len > 0);
                    i += len;
                }
                rp_str_free(&o);
            }
        }
}

static void test_str(void **state)
{
    (void)state;
    rp_str s = {0};
    for (int i = 0; i < 1000; i++) rp_str_addf(&s, "%d,", i);
    assert_int_equal(s.n, strlen(s.p));
    assert_memory_equal(s.p, "0,1,2,", 6);
    rp_str_add(&s, "", 0);
    rp_str_free(&s);
    assert_null(s.p);
    char err[128];
    rp_str bad = {0};
    bad.oom = true;
    assert_int_equal(rp_str_write_file(&bad, "/nonexistent-dir/x", err, sizeof err), -1);
    rp_str ok = {0};
    rp_str_adds(&ok, "x");
    assert_int_equal(rp_str_write_file(&ok, "/nonexistent-dir/x", err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot write"));
    rp_str_free(&ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_next),   cmocka_unit_test(test_html),
        cmocka_unit_test(test_xml),         cmocka_unit_test(test_term),
        cmocka_unit_test(test_json_script), cmocka_unit_test(test_json_script_round_trip),
        cmocka_unit_test(test_hex),         cmocka_unit_test(test_all_bytes),
        cmocka_unit_test(test_str),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
