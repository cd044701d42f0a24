/* Tests for ws_http: HTTP/1.x head parsing, limits, header look-up. Every
 * input is copied into a heap block of exactly its size, so a read past the
 * end is caught by ASan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ws/ws_http.h"

#define MAX_H 16

static ws_http_header hdrs[MAX_H];

static ws_http_head fresh(size_t max)
{
    ws_http_head h;
    memset(&h, 0, sizeof h);
    h.headers = hdrs;
    h.max_headers = max;
    return h;
}

/* The heap copy the last parsed head points into; kept until the next parse. */
static char *held;

static int free_held(void **state)
{
    (void)state;
    free(held);
    held = NULL;
    return 0;
}

/* Parses the first len bytes of s from an exact-size heap copy. */
static long parse_n(const char *s, size_t len, bool request, ws_http_head *h, size_t max_bytes)
{
    free_held(NULL);
    held = malloc(len ? len : 1);
    assert_non_null(held);
    memcpy(held, s, len);
    return request ? ws_http_parse_request(held, len, h, max_bytes)
                   : ws_http_parse_response(held, len, h, max_bytes);
}

static long req(const char *s, ws_http_head *h)
{
    return parse_n(s, strlen(s), true, h, 0);
}

static long resp(const char *s, ws_http_head *h)
{
    return parse_n(s, strlen(s), false, h, 0);
}

static void assert_value(const ws_http_head *h, const char *name, const char *want)
{
    const ws_http_header *f = ws_http_find(h, name, 0);
    assert_non_null(f);
    assert_int_equal(f->value_len, strlen(want));
    assert_memory_equal(f->value, want, f->value_len);
}

static const char REQUEST[] = "GET /chat?x=1 HTTP/1.1\r\n"
                              "Host: server.example.com\r\n"
                              "Upgrade: websocket\r\n"
                              "Connection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\n"
                              "\r\n";

static const char RESPONSE[] = "HTTP/1.1 101 Switching Protocols\r\n"
                               "Upgrade: websocket\r\n"
                               "Connection: Upgrade\r\n"
                               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                               "\r\n";

static void test_request_fields(void **state)
{
    (void)state;
    ws_http_head h = fresh(MAX_H);
    assert_int_equal(req(REQUEST, &h), (long)strlen(REQUEST));
    assert_int_equal(h.method_len, 3);
    assert_memory_equal(h.method, "GET", 3);
    assert_int_equal(h.target_len, 9);
    assert_memory_equal(h.target, "/chat?x=1", 9);
    assert_int_equal(h.version_major, 1);
    assert_int_equal(h.version_minor, 1);
    assert_int_equal(h.num_headers, 5);
    assert_false(h.bare_lf);
    assert_value(&h, "Host", "server.example.com");
    assert_value(&h, "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
}

static void test_head_length_excludes_body(void **state)
{
    (void)state;
    char buf[512];
    snprintf(buf, sizeof buf, "%s%s", RESPONSE, "\x81\x05Hello");
    ws_http_head h = fresh(MAX_H);
    assert_int_equal(resp(buf, &h), (long)strlen(RESPONSE));
}

static void test_response_fields(void **state)
{
    (void)state;
    ws_http_head h = fresh(MAX_H);
    assert_int_equal(resp(RESPONSE, &h), (long)strlen(RESPONSE));
    assert_int_equal(h.status, 101);
    assert_int_equal(h.reason_len, strlen("Switching Protocols"));
    assert_memory_equal(h.reason, "Switching Protocols", h.reason_len);
    assert_int_equal(h.num_headers, 3);
    assert_value(&h, "sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");

    /* Empty reason, with and without the space. */
    assert_true(resp("HTTP/1.1 400 \r\n\r\n", &h) > 0);
    assert_int_equal(h.status, 400);
    assert_int_equal(h.reason_len, 0);
    assert_true(resp("HTTP/1.0 404\r\n\r\n", &h) > 0);
    assert_int_equal(h.status, 404);
    assert_int_equal(h.version_minor, 0);
}

/* Every proper prefix needs more; the whole is the head; never an error. */
static void check_split_points(const char *s, bool request)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len; i++) {
        ws_http_head h = fresh(MAX_H);
        long rc = parse_n(s, i, request, &h, 0);
        if (rc != WS_HTTP_NEED_MORE) fail_msg("prefix of %zu bytes gave %ld", i, rc);
    }
    ws_http_head h = fresh(MAX_H);
    assert_int_equal(parse_n(s, len, request, &h, 0), (long)len);
}

static void test_every_split_point(void **state)
{
    (void)state;
    check_split_points(REQUEST, true);
    check_split_points(RESPONSE, false);
    check_split_points("GET / HTTP/1.1\nHost: a\nX:\n\n", true);
    check_split_points("HTTP/1.1 101\r\nA:b\r\n\r\n", false);
    check_split_points("\r\nGET / HTTP/1.1\r\nA: \t b \t\r\n\r\n", true);
}

static void test_value_trimming_and_chars(void **state)
{
    (void)state;
    ws_http_head h = fresh(MAX_H);
    const char *s = "GET / HTTP/1.1\r\n"
                    "A:x\r\n"
                    "B: \t spaced out \t \r\n"
                    "C:\r\n"
                    "D:   \r\n"
                    "E: tab\tinside\r\n"
                    "F: caf\xc3\xa9\r\n"
                    "\r\n";
    assert_int_equal(req(s, &h), (long)strlen(s));
    assert_value(&h, "A", "x");
    assert_value(&h, "B", "spaced out");
    assert_value(&h, "C", "");
    assert_value(&h, "D", "");
    assert_value(&h, "E", "tab\tinside");
    assert_value(&h, "F", "caf\xc3\xa9");
}

static void test_bare_lf_accepted(void **state)
{
    (void)state;
    ws_http_head h = fresh(MAX_H);
    const char *s = "GET / HTTP/1.1\nHost: a\r\nB: c\n\n";
    assert_int_equal(req(s, &h), (long)strlen(s));
    assert_true(h.bare_lf);
    assert_int_equal(h.num_headers, 2);
    assert_value(&h, "B", "c");
}

static void test_leading_empty_lines_ignored(void **state)
{
    (void)state;
    ws_http_head h = fresh(MAX_H);
    const char *s = "\r\n\r\nGET /x HTTP/1.1\r\nA: b\r\n\r\n";
    assert_int_equal(req(s, &h), (long)strlen(s));
    assert_memory_equal(h.target, "/x", 2);
}

typedef struct bad_case {
    const char *what;
    const char *text;
    size_t len; /* 0: strlen */
    bool request;
} bad_case;

#define NUL_HEAD "GET / HTTP/1.1\r\nA: b\0c\r\n\r\n"

static const bad_case BAD[] = {
    {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 0, true},
    {"tab before colon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 0, true},
    {"missing colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", 0, true},
    {"name only", "GET / HTTP/1.1\r\nHost\r\n\r\n", 0, true},
    {"empty name", "GET / HTTP/1.1\r\n: a\r\n\r\n", 0, true},
    {"non-token name", "GET / HTTP/1.1\r\nHo(st: a\r\n\r\n", 0, true},
    {"8-bit name", "GET / HTTP/1.1\r\nH\xc3\xa9: a\r\n\r\n", 0, true},
    {"obs-fold", "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", 0, true},
    {"obs-fold tab", "GET / HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n", 0, true},
    {"space before first field", "GET / HTTP/1.1\r\n A: b\r\n\r\n", 0, true},
    {"bare CR in value", "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", 0, true},
    {"bare CR ends line", "GET / HTTP/1.1\rA: b\r\n\r\n", 0, true},
    {"bare CR ends head", "GET / HTTP/1.1\r\nA: b\r\n\rX", 0, true},
    {"NUL in value", NUL_HEAD, sizeof NUL_HEAD - 1, true},
    {"control char in value", "GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", 0, true},
    {"DEL in value", "GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n", 0, true},
    {"ESC in value", "GET / HTTP/1.1\r\nA: \x1b[31m\r\n\r\n", 0, true},
    {"double space in request line", "GET  / HTTP/1.1\r\n\r\n", 0, true},
    {"no target", "GET HTTP/1.1\r\n\r\n", 0, true},
    {"space in target", "GET /a b HTTP/1.1\r\n\r\n", 0, true},
    {"no version", "GET /\r\n\r\n", 0, true},
    {"bad protocol name", "GET / HTTPS/1.1\r\n\r\n", 0, true},
    {"lowercase protocol", "GET / http/1.1\r\n\r\n", 0, true},
    {"two-digit version", "GET / HTTP/11\r\n\r\n", 0, true},
    {"junk after version", "GET / HTTP/1.1x\r\n\r\n", 0, true},
    {"non-token method", "G(T / HTTP/1.1\r\n\r\n", 0, true},
    {"empty method", " / HTTP/1.1\r\n\r\n", 0, true},
    {"tab separator", "GET\t/ HTTP/1.1\r\n\r\n", 0, true},
    {"binary garbage", "\x16\x03\x01\x02\x00\x01\x00", 0, true},
    {"short status", "HTTP/1.1 10 OK\r\n\r\n", 0, false},
    {"long status", "HTTP/1.1 1011 OK\r\n\r\n", 0, false},
    {"letters in status", "HTTP/1.1 1o1 OK\r\n\r\n", 0, false},
    {"control char in reason", "HTTP/1.1 101 Sw\x01tch\r\n\r\n", 0, false},
    {"request line as response", "GET / HTTP/1.1\r\n\r\n", 0, false},
    {"response header space before colon", "HTTP/1.1 101 OK\r\nUpgrade : x\r\n\r\n", 0, false},
};

static void test_malformed_heads(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        const bad_case *b = &BAD[i];
        size_t len = b->len ? b->len : strlen(b->text);
        ws_http_head h = fresh(MAX_H);
        long rc = parse_n(b->text, len, b->request, &h, 0);
        if (rc != WS_HTTP_E_SYNTAX) fail_msg("%s: got %ld, expected a syntax error", b->what, rc);
        /* No prefix may succeed either. */
        for (size_t n = 0; n < len; n++) {
            h = fresh(MAX_H);
            rc = parse_n(b->text, n, b->request, &h, 0);
            if (rc != WS_HTTP_NEED_MORE && rc != WS_HTTP_E_SYNTAX)
                fail_msg("%s: prefix %zu gave %ld", b->what, n, rc);
        }
    }
}

static void test_error_found_before_head_ends(void **state)
{
    (void)state;
    /* A peer that sends a broken line and then stalls must not be waited on. */
    ws_http_head h = fresh(MAX_H);
    assert_int_equal(req("GET / HTTP/1.1\r\nA: \x01", &h), WS_HTTP_E_SYNTAX);
    assert_int_equal(req("GET / HTTP/1.1\r\nBad Name", &h), WS_HTTP_E_SYNTAX);
}

static void test_case_insensitive_lookup(void **state)
{
    (void)state;
    ws_http_head h = fresh(MAX_H);
    const char *s =
        "GET / HTTP/1.1\r\nsec-websocket-KEY: k1\r\nX: y\r\nSEC-WEBSOCKET-key: k2\r\n\r\n";
    assert_true(req(s, &h) > 0);
    assert_int_equal(ws_http_count(&h, "Sec-WebSocket-Key"), 2);
    assert_int_equal(ws_http_count(&h, "sec-websocket-version"), 0);
    const ws_http_header *f = ws_http_find(&h, "Sec-WebSocket-Key", 1);
    assert_non_null(f);
    assert_memory_equal(f->value, "k2", 2);
    assert_null(ws_http_find(&h, "Sec-WebSocket-Key", 2));
    assert_null(ws_http_find(&h, "Sec-WebSocket", 0)); /* no prefix match */
}

static void test_has_token(void **state)
{
    (void)state;
    ws_http_head h = fresh(MAX_H);
    const char *s = "GET / HTTP/1.1\r\n"
                    "Connection: keep-alive, Upgrade\r\n"
                    "upgrade: h2c\r\n"
                    "UPGRADE: , WebSocket ,,\r\n"
                    "X: upgrade2, up grade, \tspaced\t\r\n"
                    "\r\n";
    assert_true(req(s, &h) > 0);
    assert_true(ws_http_has_token(&h, "Connection", "upgrade"));
    assert_true(ws_http_has_token(&h, "connection", "KEEP-ALIVE"));
    assert_false(ws_http_has_token(&h, "Connection", "close"));
    /* The token may sit in the second of two Upgrade headers. */
    assert_true(ws_http_has_token(&h, "Upgrade", "websocket"));
    assert_true(ws_http_has_token(&h, "Upgrade", "h2c"));
    assert_false(ws_http_has_token(&h, "X", "upgrade"));
    assert_true(ws_http_has_token(&h, "X", "spaced"));
    assert_true(ws_http_has_token(&h, "X", "up grade"));
    assert_false(ws_http_has_token(&h, "Missing", "upgrade"));
}

static void test_too_many_headers(void **state)
{
    (void)state;
    const char *three = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    const char *four = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n";
    ws_http_head h = fresh(3);
    assert_int_equal(req(three, &h), (long)strlen(three));
    assert_int_equal(h.num_headers, 3);
    h = fresh(3);
    assert_int_equal(req(four, &h), WS_HTTP_E_TOO_MANY_HEADERS);
    h = fresh(0);
    assert_int_equal(req(three, &h), WS_HTTP_E_TOO_MANY_HEADERS);
    h = fresh(0);
    assert_int_equal(req("GET / HTTP/1.1\r\n\r\n", &h), 18);
}

static void test_endless_header_line(void **state)
{
    (void)state;
    enum { MAXB = 1024 };
    char buf[4096];
    int pre = snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nX: ");
    memset(buf + pre, 'a', sizeof buf - (size_t)pre);
    ws_http_head h = fresh(MAX_H);
    /* Up to max_bytes it may still be a head; one byte more is too much. */
    assert_int_equal(parse_n(buf, MAXB, true, &h, MAXB), WS_HTTP_NEED_MORE);
    assert_int_equal(parse_n(buf, MAXB + 1, true, &h, MAXB), WS_HTTP_E_TOO_LARGE);
    assert_int_equal(parse_n(buf, sizeof buf, true, &h, MAXB), WS_HTTP_E_TOO_LARGE);
    /* The default limit is 16 KiB. */
    size_t big = 20000;
    char *endless = malloc(big);
    assert_non_null(endless);
    memcpy(endless, buf, (size_t)pre);
    memset(endless + pre, 'a', big - (size_t)pre);
    assert_int_equal(ws_http_parse_request(endless, 16384, &h, 0), WS_HTTP_NEED_MORE);
    assert_int_equal(ws_http_parse_request(endless, big, &h, 0), WS_HTTP_E_TOO_LARGE);
    free(endless);
}

static void test_head_size_boundary(void **state)
{
    (void)state;
    size_t len = strlen(REQUEST);
    ws_http_head h = fresh(MAX_H);
    assert_int_equal(parse_n(REQUEST, len, true, &h, len), (long)len);
    assert_int_equal(parse_n(REQUEST, len, true, &h, len - 1), WS_HTTP_E_TOO_LARGE);
    /* Many tiny header lines count against the size too. */
    char buf[2048];
    size_t n = (size_t)snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\n");
    while (n + 8 < sizeof buf) n += (size_t)snprintf(buf + n, sizeof buf - n, "A: b\r\n");
    h = fresh(1000);
    ws_http_header many[1000];
    h.headers = many;
    assert_int_equal(parse_n(buf, n, true, &h, 1024), WS_HTTP_E_TOO_LARGE);
}

static void test_is_token(void **state)
{
    (void)state;
    assert_true(ws_http_is_token("websocket", 9));
    assert_true(ws_http_is_token("!#$%&'*+-.^_`|~09azAZ", 21));
    assert_false(ws_http_is_token("", 0));
    assert_false(ws_http_is_token("a b", 3));
    assert_false(ws_http_is_token("a,b", 3));
    assert_false(ws_http_is_token("a\"", 2));
    assert_false(ws_http_is_token("a\0", 2));
    assert_false(ws_http_is_token("caf\xc3\xa9", 5));
}

static void test_strerror(void **state)
{
    (void)state;
    assert_string_equal(ws_http_strerror(WS_HTTP_E_TOO_LARGE), "HTTP head too large");
    assert_string_equal(ws_http_strerror(WS_HTTP_E_TOO_MANY_HEADERS),
                        "too many HTTP header fields");
    assert_string_equal(ws_http_strerror(WS_HTTP_E_SYNTAX), "malformed HTTP head");
    assert_string_equal(ws_http_strerror(WS_HTTP_NEED_MORE), "incomplete HTTP head");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_fields),
        cmocka_unit_test(test_head_length_excludes_body),
        cmocka_unit_test(test_response_fields),
        cmocka_unit_test(test_every_split_point),
        cmocka_unit_test(test_value_trimming_and_chars),
        cmocka_unit_test(test_bare_lf_accepted),
        cmocka_unit_test(test_leading_empty_lines_ignored),
        cmocka_unit_test(test_malformed_heads),
        cmocka_unit_test(test_error_found_before_head_ends),
        cmocka_unit_test(test_case_insensitive_lookup),
        cmocka_unit_test(test_has_token),
        cmocka_unit_test(test_too_many_headers),
        cmocka_unit_test(test_endless_header_line),
        cmocka_unit_test(test_head_size_boundary),
        cmocka_unit_test(test_is_token),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, free_held);
}
