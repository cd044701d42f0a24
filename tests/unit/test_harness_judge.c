/* Unit tests for hs_judge: synthetic server events against expectations
 * loaded from JSON, checking the verdict, the chosen alternative, the echoes
 * consumed and the reason in words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness/hs_case.h"
#include "harness/hs_judge.h"
#include "harness/hs_load.h"

static hs_catalogue cat;

/* Loads one case whose only step is `expect_json` (the step object). */
static const hs_expect *expect_of(const char *step_json)
{
    char json[4096], err[512] = "";
    hs_catalogue_free(&cat);
    snprintf(json, sizeof json,
             "{\"section\": \"t\", \"title\": \"t\", \"cases\": [{\"id\": \"x\", \"title\": \"t\", "
             "\"rfc\": \"r\", \"steps\": [%s]}]}",
             step_json);
    if (hs_load_string(&cat, json, "t.json", err, sizeof err) != 0) fail_msg("%s", err);
    return &cat.cases[0].steps[0].expect;
}

static hs_event message(uint8_t op, const char *s)
{
    hs_event ev = {.kind = HS_EV_MESSAGE, .op = op, .len = strlen(s)};
    ev.hash = hs_hash(HS_HASH_INIT, (const uint8_t *)s, strlen(s));
    ev.preview_len = strlen(s) < HS_PREVIEW ? strlen(s) : HS_PREVIEW;
    memcpy(ev.preview, s, ev.preview_len);
    return ev;
}

static hs_event pong(const char *s)
{
    hs_event ev = message(0, s);
    ev.kind = HS_EV_PONG;
    return ev;
}

static hs_event close_ev(int code)
{
    hs_event ev = {.kind = HS_EV_CLOSE, .has_code = code != 1005, .code = (uint16_t)code};
    return ev;
}

static hs_sent sent(uint8_t op, const char *s)
{
    hs_sent m = {.op = op, .len = strlen(s)};
    m.hash = hs_hash(HS_HASH_INIT, (const uint8_t *)s, strlen(s));
    return m;
}

static void test_echo(void **state)
{
    (void)state;
    const hs_expect *e = expect_of("{\"expect\": {\"echo\": true}}");
    hs_sent q[2] = {sent(1, "Hello"), sent(2, "more")};
    hs_match m;
    assert_int_equal(hs_match_init(&m, e, q, 2), 0);
    hs_event ev = message(1, "Hello");
    assert_true(hs_match_feed(&m, &ev));
    assert_int_equal(m.verdict, HS_OK);
    assert_int_equal(m.alt, 0);
    assert_int_equal(m.echoes, 1);
    hs_match_free(&m);

    /* same bytes, wrong opcode: not an echo */
    assert_int_equal(hs_match_init(&m, e, q, 2), 0);
    ev = message(2, "Hello");
    assert_true(hs_match_feed(&m, &ev));
    assert_int_equal(m.verdict, HS_FAILED);
    assert_string_equal(m.reason, "expected echo of text message of 5 bytes, got binary message "
                                  "of 5 bytes \"Hello\"");
    hs_match_free(&m);
}

static void test_two_echoes_in_order(void **state)
{
    (void)state;
    const hs_expect *e = expect_of("{\"expect\": {\"echo\": 2}}");
    hs_sent q[2] = {sent(1, "one"), sent(1, "two")};
    hs_match m;
    hs_match_init(&m, e, q, 2);
    hs_event a = message(1, "two"), b = message(1, "one");
    assert_true(hs_match_feed(&m, &a)); /* out of order */
    assert_int_equal(m.verdict, HS_FAILED);
    hs_match_free(&m);
    hs_match_init(&m, e, q, 2);
    assert_false(hs_match_feed(&m, &b));
    assert_true(hs_match_feed(&m, &a));
    assert_int_equal(m.verdict, HS_OK);
    assert_int_equal(m.echoes, 2);
    hs_match_free(&m);
}

/* {"echo": N} is one pattern that consumes N echoes, then the next pattern
 * applies; a huge N costs one pattern, not N. */
static void test_counted_echo(void **state)
{
    (void)state;
    const hs_expect *e = expect_of("{\"expect\": [{\"echo\": 3}, {\"close\": 1000}]}");
    assert_int_equal(e->alts[0].n_items, 2);
    hs_sent q[3] = {sent(1, "a"), sent(1, "b"), sent(2, "c")};
    hs_event ev[4] = {message(1, "a"), message(1, "b"), message(2, "c"), close_ev(1000)};
    hs_match m;
    assert_int_equal(hs_match_init(&m, e, q, 3), 0);
    for (int i = 0; i < 3; i++) assert_false(hs_match_feed(&m, &ev[i]));
    assert_true(hs_match_feed(&m, &ev[3]));
    assert_int_equal(m.verdict, HS_OK);
    assert_int_equal(m.echoes, 3);
    hs_match_free(&m);

    /* a close after two of the three echoes is too early */
    assert_int_equal(hs_match_init(&m, e, q, 3), 0);
    assert_false(hs_match_feed(&m, &ev[0]));
    assert_false(hs_match_feed(&m, &ev[1]));
    assert_true(hs_match_feed(&m, &ev[3]));
    assert_int_equal(m.verdict, HS_FAILED);
    assert_int_equal(m.echoes, 0);
    hs_match_free(&m);

    /* the wait says which echo of the count is missing */
    assert_int_equal(hs_match_init(&m, e, q, 3), 0);
    assert_false(hs_match_feed(&m, &ev[0]));
    hs_match_timeout(&m, 100);
    assert_string_equal(m.reason, "timed out after 100 ms waiting for echo of text message of 1 "
                                  "bytes (2 of 3)");
    hs_match_free(&m);

    e = expect_of("{\"expect\": {\"echo\": 10000000}}");
    assert_int_equal(e->alts[0].n_items, 1);
    assert_int_equal(e->alts[0].items[0].count, 10000000);
    char words[256];
    hs_describe_expect(e, words, sizeof words);
    assert_string_equal(words, "[10000000 echoes]");
    assert_int_equal(hs_match_init(&m, e, q, 3), 0);
    for (int i = 0; i < 3; i++) assert_false(hs_match_feed(&m, &ev[i]));
    hs_match_timeout(&m, 5);
    assert_string_equal(m.reason, "timed out after 5 ms waiting for echo (but nothing is left to "
                                  "echo) (4 of 10000000)");
    hs_match_free(&m);
}

static void test_reason_in_words(void **state)
{
    (void)state;
    const hs_expect *e = expect_of("{\"expect\": {\"close\": 1002}}");
    hs_sent q[1] = {sent(1, "Hello")};
    hs_match m;
    hs_match_init(&m, e, q, 1);
    hs_event ev = message(1, "Hello");
    assert_true(hs_match_feed(&m, &ev));
    assert_int_equal(m.verdict, HS_FAILED);
    assert_int_equal(m.alt, -1);
    assert_string_equal(m.reason, "expected close 1002, got echo of 5 bytes");
    hs_match_free(&m);
}

static void test_alternatives_map_to_verdicts(void **state)
{
    (void)state;
    const hs_expect *e = expect_of(
        "{\"expect\": {\"one_of\": [{\"events\": {\"close\": [1007, 1002]}},"
        "{\"events\": {\"drop\": true}, \"verdict\": \"NON-STRICT\", \"why\": \"TCP drop\"}]}}");
    hs_match m;
    hs_event c = close_ev(1002), d = {.kind = HS_EV_DROP}, c2 = close_ev(1000);
    hs_match_init(&m, e, NULL, 0);
    assert_true(hs_match_feed(&m, &c));
    assert_int_equal(m.verdict, HS_OK);
    hs_match_free(&m);
    hs_match_init(&m, e, NULL, 0);
    assert_true(hs_match_feed(&m, &d));
    assert_int_equal(m.verdict, HS_NON_STRICT);
    assert_int_equal(m.alt, 1);
    assert_string_equal(m.reason, "TCP drop");
    hs_match_free(&m);
    hs_match_init(&m, e, NULL, 0);
    assert_true(hs_match_feed(&m, &c2));
    assert_int_equal(m.verdict, HS_FAILED);
    assert_string_equal(m.reason, "expected close 1007 or 1002 or TCP drop, got close 1000");
    hs_match_free(&m);
}

static void test_nothing_and_timeout(void **state)
{
    (void)state;
    const hs_expect *e = expect_of("{\"expect\": {\"one_of\": [{\"events\": {\"close\": 1007}},"
                                   "{\"events\": {\"nothing\": 1000}, \"verdict\": \"OK\"}]}}");
    assert_int_equal(hs_expect_window(e), 1000);
    hs_match m;
    hs_match_init(&m, e, NULL, 0);
    hs_match_timeout(&m, 1000);
    assert_true(m.decided);
    assert_int_equal(m.verdict, HS_OK);
    assert_int_equal(m.alt, 1);
    hs_match_free(&m);

    /* an event during the window kills `nothing` */
    hs_match_init(&m, e, NULL, 0);
    hs_event p = pong("x");
    assert_true(hs_match_feed(&m, &p));
    assert_int_equal(m.verdict, HS_FAILED);
    hs_match_free(&m);

    e = expect_of("{\"expect\": [{\"pong\": \"a\"}, {\"close\": 1002}]}");
    assert_int_equal(hs_expect_window(e), -1);
    hs_match_init(&m, e, NULL, 0);
    hs_event pa = pong("a");
    assert_false(hs_match_feed(&m, &pa));
    hs_match_timeout(&m, 5000);
    assert_int_equal(m.verdict, HS_FAILED);
    assert_string_equal(m.reason, "timed out after 5000 ms waiting for close 1002");
    hs_match_free(&m);
}

static void test_any_order(void **state)
{
    (void)state;
    const hs_expect *e = expect_of("{\"expect\": [{\"any_order\": [{\"pong\": \"p\"}, "
                                   "{\"message\": {\"op\": \"text\", \"payload\": \"m\"}}]},"
                                   "{\"close\": true}]}");
    hs_event p = pong("p"), msg = message(1, "m"), c = close_ev(1000);
    const hs_event *orders[2][3] = {{&p, &msg, &c}, {&msg, &p, &c}};
    for (int o = 0; o < 2; o++) {
        hs_match m;
        hs_match_init(&m, e, NULL, 0);
        assert_false(hs_match_feed(&m, orders[o][0]));
        assert_false(hs_match_feed(&m, orders[o][1]));
        assert_true(hs_match_feed(&m, orders[o][2]));
        assert_int_equal(m.verdict, HS_OK);
        hs_match_free(&m);
    }
    hs_match m;
    hs_match_init(&m, e, NULL, 0);
    assert_false(hs_match_feed(&m, &p));
    assert_true(hs_match_feed(&m, &p)); /* the same pong twice */
    assert_int_equal(m.verdict, HS_FAILED);
    assert_non_null(strstr(m.reason, "got pong of 1 bytes"));
    hs_match_free(&m);
}

static void test_pong_payload_and_close_without_code(void **state)
{
    (void)state;
    const hs_expect *e = expect_of("{\"expect\": [{\"pong\": {\"hex\": \"00ff\"}}, "
                                   "{\"close\": [1005]}]}");
    hs_match m;
    hs_event good = {.kind = HS_EV_PONG,
                     .len = 2,
                     .hash = hs_hash(HS_HASH_INIT, (const uint8_t *)"\x00\xff", 2)};
    hs_event bad = pong("xy"), nocode = close_ev(1005);
    hs_match_init(&m, e, NULL, 0);
    assert_true(hs_match_feed(&m, &bad));
    assert_int_equal(m.verdict, HS_FAILED);
    hs_match_free(&m);
    hs_match_init(&m, e, NULL, 0);
    assert_false(hs_match_feed(&m, &good));
    assert_true(hs_match_feed(&m, &nocode));
    assert_int_equal(m.verdict, HS_OK);
    hs_match_free(&m);
}

static void test_connection_ended(void **state)
{
    (void)state;
    const hs_expect *e = expect_of("{\"expect\": [{\"pong\": true}, {\"echo\": true}]}");
    hs_sent q[1] = {sent(1, "abc")};
    hs_match m;
    hs_match_init(&m, e, q, 1);
    hs_event p = pong("");
    assert_false(hs_match_feed(&m, &p));
    hs_match_ended(&m);
    assert_int_equal(m.verdict, HS_FAILED);
    assert_string_equal(m.reason, "expected echo of text message of 3 bytes, but the connection "
                                  "was closed");
    hs_match_free(&m);
}

static void test_response_headers(void **state)
{
    (void)state;
    char buf[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Extensions: permessage-deflate; "
                 "client_max_window_bits=10\r\n\r\n";
    ws_http_header hdrs[16];
    ws_http_head head = {.headers = hdrs, .max_headers = 16};
    assert_true(ws_http_parse_response(buf, strlen(buf), &head, 0) > 0);
    hs_event ev = {.kind = HS_EV_RESPONSE, .head = &head};
    struct {
        const char *json;
        int verdict;
    } t[] = {
        {"{\"response\": {\"status\": 101, \"headers\": {\"sec-websocket-extensions\": "
         "\"permessage-deflate\"}}}",
         HS_OK},
        {"{\"response\": {\"status\": 101, \"headers\": {\"Sec-WebSocket-Extensions\": "
         "\"permessage\"}}}",
         HS_FAILED},
        {"{\"response\": {\"status\": \"1xx\", \"headers\": {\"Upgrade\": \"*\"}}}", HS_OK},
        {"{\"response\": {\"status\": [400, 426]}}", HS_FAILED},
        {"{\"response\": {\"absent\": [\"Sec-WebSocket-Protocol\"]}}", HS_OK},
        {"{\"response\": {\"absent\": [\"Sec-WebSocket-Extensions\"]}}", HS_FAILED},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char step[512];
        snprintf(step, sizeof step, "{\"handshake\": {}}, {\"expect\": %s}", t[i].json);
        char json[1024], err[512] = "";
        hs_catalogue_free(&cat);
        snprintf(json, sizeof json,
                 "{\"section\": \"t\", \"title\": \"t\", \"cases\": [{\"id\": \"x\", \"title\": "
                 "\"t\", \"rfc\": \"r\", \"steps\": [%s]}]}",
                 step);
        if (hs_load_string(&cat, json, "t.json", err, sizeof err) != 0) fail_msg("%s", err);
        hs_match m;
        hs_match_init(&m, &cat.cases[0].steps[1].expect, NULL, 0);
        assert_true(hs_match_feed(&m, &ev));
        if (m.verdict != t[i].verdict)
            fail_msg("%s: verdict %d (%s)", t[i].json, m.verdict, m.reason);
        hs_match_free(&m);
    }
}

/* The verdict of one response pattern (JSON) against the response text. */
static int response_verdict(const char *pattern, const char *response, char *reason, size_t cap)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", response);
    ws_http_header hdrs[16];
    ws_http_head head = {.headers = hdrs, .max_headers = 16};
    assert_true(ws_http_parse_response(buf, strlen(buf), &head, 0) > 0);
    hs_event ev = {.kind = HS_EV_RESPONSE, .head = &head};
    char json[1024], err[512] = "";
    hs_catalogue_free(&cat);
    snprintf(json, sizeof json,
             "{\"section\": \"t\", \"title\": \"t\", \"cases\": [{\"id\": \"x\", \"title\": "
             "\"t\", \"rfc\": \"r\", \"steps\": [{\"handshake\": {}}, {\"expect\": {\"response\": "
             "%s}}]}]}",
             pattern);
    if (hs_load_string(&cat, json, "t.json", err, sizeof err) != 0) fail_msg("%s", err);
    hs_match m;
    hs_match_init(&m, &cat.cases[0].steps[1].expect, NULL, 0);
    assert_true(hs_match_feed(&m, &ev));
    int v = m.verdict;
    snprintf(reason, cap, "%s", m.reason);
    hs_match_free(&m);
    return v;
}

static void test_response_extension_params(void **state)
{
    (void)state;
    const char *bits10 = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                         "Sec-WebSocket-Extensions: permessage-deflate; "
                         "client_max_window_bits=10; server_no_context_takeover\r\n\r\n";
    const char *quoted = "HTTP/1.1 101 OK\r\nSec-WebSocket-Extensions: permessage-deflate; "
                         "client_max_window_bits=\"12\"\r\n\r\n";
    const char *plain = "HTTP/1.1 101 OK\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n";
    const char *none = "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\n\r\n";
    const char *broken = "HTTP/1.1 101 OK\r\nSec-WebSocket-Extensions: ;;=\r\n\r\n";
    struct {
        const char *params;
        const char *response;
        int verdict;
    } t[] = {
        {"{\"client_max_window_bits\": \"10\"}", bits10, HS_OK},
        {"{\"client_max_window_bits\": 10}", bits10, HS_OK},
        {"{\"client_max_window_bits\": \"9\"}", bits10, HS_FAILED},
        {"{\"client_max_window_bits\": \"present\"}", bits10, HS_OK},
        {"{\"client_max_window_bits\": \"absent\"}", bits10, HS_FAILED},
        {"{\"server_no_context_takeover\": \"present\"}", bits10, HS_OK},
        /* a parameter without a value has no value to equal */
        {"{\"server_no_context_takeover\": \"1\"}", bits10, HS_FAILED},
        {"{\"client_max_window_bits\": 12}", quoted, HS_OK},
        {"{\"client_max_window_bits\": \"absent\"}", plain, HS_OK},
        {"{\"client_max_window_bits\": \"present\"}", plain, HS_FAILED},
        {"{\"client_max_window_bits\": \"absent\"}", none, HS_OK},
        {"{\"client_max_window_bits\": \"present\"}", none, HS_FAILED},
        /* an extension list that does not parse satisfies nothing */
        {"{\"client_max_window_bits\": \"absent\"}", broken, HS_FAILED},
        /* every parameter listed must hold */
        {"{\"client_max_window_bits\": \"10\", \"server_max_window_bits\": \"present\"}", bits10,
         HS_FAILED},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char pattern[256], reason[512];
        snprintf(pattern, sizeof pattern, "{\"status\": 101, \"extension_params\": %s}",
                 t[i].params);
        int v = response_verdict(pattern, t[i].response, reason, sizeof reason);
        if (v != t[i].verdict)
            fail_msg("%s (case %zu): verdict %d (%s)", t[i].params, i, v, reason);
    }
    /* the expectation says what it wanted */
    char reason[512];
    assert_int_equal(response_verdict("{\"extension_params\": {\"client_max_window_bits\": \"9\"}}",
                                      bits10, reason, sizeof reason),
                     HS_FAILED);
    assert_non_null(strstr(reason, "extension parameter client_max_window_bits=9"));
    /* bad values are load errors naming the field */
    const char *bad[] = {"{\"extension_params\": {}}",
                         "{\"extension_params\": {\"client_max_window_bits\": true}}",
                         "{\"extension_params\": {\"client_max_window_bits\": \"\"}}",
                         "{\"extension_params\": [\"client_max_window_bits\"]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char json[1024], err[512] = "";
        hs_catalogue_free(&cat);
        snprintf(json, sizeof json,
                 "{\"section\": \"t\", \"title\": \"t\", \"cases\": [{\"id\": \"x\", \"title\": "
                 "\"t\", \"rfc\": \"r\", \"steps\": [{\"handshake\": {}}, {\"expect\": "
                 "{\"response\": %s}}]}]}",
                 bad[i]);
        if (hs_load_string(&cat, json, "t.json", err, sizeof err) == 0)
            fail_msg("%s loaded", bad[i]);
        if (!strstr(err, "extension_params")) fail_msg("%s: error '%s'", bad[i], err);
    }
}

static void test_verdict_names(void **state)
{
    (void)state;
    for (int v = 0; v < HS_VERDICT_COUNT; v++)
        assert_int_equal(hs_verdict_parse(hs_verdict_name(v)), v);
    assert_int_equal(hs_verdict_parse("non-strict"), HS_NON_STRICT);
    assert_int_equal(hs_verdict_parse("PASS"), -1);
    assert_true(HS_FAILED > HS_UNIMPLEMENTED && HS_UNIMPLEMENTED > HS_NON_STRICT &&
                HS_NON_STRICT > HS_INFORMATIONAL && HS_INFORMATIONAL > HS_OK);
}

static int teardown(void **state)
{
    (void)state;
    hs_catalogue_free(&cat);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo),
        cmocka_unit_test(test_two_echoes_in_order),
        cmocka_unit_test(test_counted_echo),
        cmocka_unit_test(test_reason_in_words),
        cmocka_unit_test(test_alternatives_map_to_verdicts),
        cmocka_unit_test(test_nothing_and_timeout),
        cmocka_unit_test(test_any_order),
        cmocka_unit_test(test_pong_payload_and_close_without_code),
        cmocka_unit_test(test_connection_ended),
        cmocka_unit_test(test_response_headers),
        cmocka_unit_test(test_response_extension_params),
        cmocka_unit_test(test_verdict_names),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
