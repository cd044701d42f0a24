/* Tests for ws_ext: the Sec-WebSocket-Extensions grammar (RFC 6455 §9.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ws/ws_ext.h"

#define MAX_EXT 8

static ws_ext exts[MAX_EXT];

static int parse(const char *v, size_t *n)
{
    return ws_ext_parse(v, strlen(v), exts, MAX_EXT, n);
}

static void assert_slice(const char *p, size_t n, const char *want)
{
    assert_non_null(p);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(p, want, n);
}

static void test_single_extension(void **state)
{
    (void)state;
    size_t n = 0;
    assert_int_equal(parse("permessage-deflate", &n), 0);
    assert_int_equal(n, 1);
    assert_slice(exts[0].name, exts[0].name_len, "permessage-deflate");
    assert_int_equal(exts[0].n_params, 0);
    assert_true(ws_ext_name_is(&exts[0], "permessage-deflate"));
    assert_true(ws_ext_name_is(&exts[0], "PerMessage-Deflate"));
    assert_false(ws_ext_name_is(&exts[0], "permessage"));
}

static void test_params(void **state)
{
    (void)state;
    size_t n = 0;
    assert_int_equal(parse("permessage-deflate; client_max_window_bits;server_max_window_bits=10 "
                           ";\tserver_no_context_takeover",
                           &n),
                     0);
    assert_int_equal(n, 1);
    const ws_ext *e = &exts[0];
    assert_int_equal(e->n_params, 3);
    assert_true(ws_ext_param_is(&e->params[0], "client_max_window_bits"));
    assert_null(e->params[0].value);
    assert_true(ws_ext_param_is(&e->params[1], "Server_Max_Window_Bits"));
    assert_slice(e->params[1].value, e->params[1].value_len, "10");
    assert_false(e->params[1].quoted);
    assert_true(ws_ext_param_is(&e->params[2], "server_no_context_takeover"));
    assert_null(e->params[2].value);
}

static void test_quoted_values(void **state)
{
    (void)state;
    size_t n = 0;
    assert_int_equal(parse("foo; a=\"10\"; b = \"x-y.z\" ; c=plain", &n), 0);
    assert_int_equal(n, 1);
    const ws_ext *e = &exts[0];
    assert_int_equal(e->n_params, 3);
    assert_slice(e->params[0].value, e->params[0].value_len, "10");
    assert_true(e->params[0].quoted);
    assert_slice(e->params[1].name, e->params[1].name_len, "b");
    assert_slice(e->params[1].value, e->params[1].value_len, "x-y.z");
    assert_true(e->params[1].quoted);
    assert_slice(e->params[2].value, e->params[2].value_len, "plain");
    assert_false(e->params[2].quoted);
}

static void test_list_and_several_headers(void **state)
{
    (void)state;
    size_t n = 0;
    assert_int_equal(parse("a, b; x=1 ,c;y", &n), 0);
    assert_int_equal(n, 3);
    assert_true(ws_ext_name_is(&exts[0], "a"));
    assert_true(ws_ext_name_is(&exts[1], "b"));
    assert_int_equal(exts[1].n_params, 1);
    assert_true(ws_ext_name_is(&exts[2], "c"));
    assert_int_equal(exts[2].n_params, 1);
    /* A second header instance appends. */
    assert_int_equal(parse("permessage-deflate; client_max_window_bits", &n), 0);
    assert_int_equal(n, 4);
    assert_true(ws_ext_name_is(&exts[3], "permessage-deflate"));
    assert_true(ws_ext_name_is(&exts[0], "a"));
    /* Empty list elements are tolerated. */
    n = 0;
    assert_int_equal(parse(" , a ,, b , ", &n), 0);
    assert_int_equal(n, 2);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",         "  ",           ",",           "a;",
        "a; ",      "a; =1",        "a; b=",       "a; b=\"1 0\"",
        "a; b=\"x", "a; b=\"\\1\"", "a; b=\"\"",   "a; b=\"a,b\"",
        "a b",      "a;b=c d",      "a=1",         "a; b=1=2",
        "a; b; ;c", "\"a\"",        "a; b=x\"y\"", "caf\xc3\xa9",
        "a;\x01",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = 0;
        if (parse(bad[i], &n) != -1) fail_msg("'%s' was accepted", bad[i]);
        assert_int_equal(n, 0);
    }
}

static void test_limits(void **state)
{
    (void)state;
    char buf[512];
    size_t len = (size_t)snprintf(buf, sizeof buf, "x");
    for (int i = 0; i < WS_EXT_MAX_PARAMS; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "; p%d=%d", i, i);
    size_t n = 0;
    assert_int_equal(ws_ext_parse(buf, len, exts, MAX_EXT, &n), 0);
    assert_int_equal(exts[0].n_params, WS_EXT_MAX_PARAMS);
    snprintf(buf + len, sizeof buf - len, "; one_more");
    n = 0;
    assert_int_equal(ws_ext_parse(buf, strlen(buf), exts, MAX_EXT, &n), -1);

    /* Out of room for extensions: an error, and *n left as it was. */
    n = 0;
    assert_int_equal(ws_ext_parse("a, b", 4, exts, 2, &n), 0);
    assert_int_equal(ws_ext_parse("c", 1, exts, 2, &n), -1);
    assert_int_equal(n, 2);
    n = 0;
    assert_int_equal(ws_ext_parse("a, b, c", 7, exts, 2, &n), -1);
    assert_int_equal(n, 0);
}

static void test_no_overread(void **state)
{
    (void)state;
    /* Unterminated inputs in exact-size heap blocks: ASan catches over-reads. */
    static const char *const inputs[] = {"a; b=\"x", "a; b=", "a;", "a; b = \"1\"", "a"};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        size_t len = strlen(inputs[i]), n = 0;
        char *copy = malloc(len);
        assert_non_null(copy);
        memcpy(copy, inputs[i], len);
        int rc = ws_ext_parse(copy, len, exts, MAX_EXT, &n);
        free(copy);
        assert_int_equal(rc, i >= 3 ? 0 : -1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_extension), cmocka_unit_test(test_params),
        cmocka_unit_test(test_quoted_values),    cmocka_unit_test(test_list_and_several_headers),
        cmocka_unit_test(test_syntax_errors),    cmocka_unit_test(test_limits),
        cmocka_unit_test(test_no_overread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
