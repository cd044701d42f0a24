/* Unit tests for hs_request_build: the request line and headers a case's
 * handshake step produces, with {host} {path} {key} replaced in the `path`
 * field and in `set`/`add` header values as in `raw`, and the command-line options (--origin,
 * --subprotocol,
 * --header) applied to field-built requests. */
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
#include "harness/hs_request.h"
#include "harness/hs_run.h"
#include "ws/ws_url.h"

static hs_catalogue cat;
static ws_url url;
static hs_request req;

/* Builds the request of a case whose first step is `step_json`. */
static const char *build(const char *step_json, const hs_run_opts *o)
{
    char json[4096], err[512] = "";
    hs_catalogue_free(&cat);
    hs_request_free(&req);
    snprintf(json, sizeof json,
             "{\"section\": \"t\", \"title\": \"t\", \"cases\": [{\"id\": \"x\", \"title\": \"t\", "
             "\"rfc\": \"r\", \"steps\": [%s]}]}",
             step_json);
    if (hs_load_string(&cat, json, "t.json", err, sizeof err) != 0) fail_msg("%s", err);
    if (hs_request_build(&cat.cases[0].steps[0].hs, o, &req, err, sizeof err) != 0)
        fail_msg("%s", err);
    return req.bytes;
}

static int setup(void **state)
{
    (void)state;
    char err[128];
    return ws_url_parse("ws://127.0.0.1:9001/chat?room=1", &url, err, sizeof err);
}

static int teardown(void **state)
{
    (void)state;
    hs_catalogue_free(&cat);
    hs_request_free(&req);
    return 0;
}

static void test_path_substitutes_like_raw(void **state)
{
    (void)state;
    hs_run_opts o = {.url = &url};
    const char *r = build("{\"handshake\": {\"path\": \"{path}&wsprobe=1\"}}", &o);
    assert_memory_equal(r, "GET /chat?room=1&wsprobe=1 HTTP/1.1\r\n", 36);
    r = build("{\"handshake\": {\"path\": \"http://{host}{path}\"}}", &o);
    assert_memory_equal(r, "GET http://127.0.0.1:9001/chat?room=1 HTTP/1.1\r\n", 48);
    r = build("{\"handshake\": {\"path\": \"/k/{key}\", \"key\": \"dGhlIHNhbXBsZSBub25jZQ==\"}}",
              &o);
    assert_memory_equal(r, "GET /k/dGhlIHNhbXBsZSBub25jZQ== HTTP/1.1\r\n", 42);
    assert_string_equal(req.key, "dGhlIHNhbXBsZSBub25jZQ==");
    /* without a key field, {key} is the random key that is also sent */
    r = build("{\"handshake\": {\"path\": \"/{key}\"}}", &o);
    char line[300];
    snprintf(line, sizeof line, "GET /%s HTTP/1.1\r\n", req.key);
    assert_int_equal(strlen(req.key), 24);
    assert_memory_equal(r, line, strlen(line));
    /* a brace that is not a placeholder stays */
    r = build("{\"handshake\": {\"path\": \"/{x}{path\"}}", &o);
    assert_memory_equal(r, "GET /{x}{path HTTP/1.1\r\n", 24);
}

static void test_header_values_substitute(void **state)
{
    (void)state;
    hs_run_opts o = {.url = &url};
    const char *r = build("{\"handshake\": {\"key\": \"dGhlIHNhbXBsZSBub25jZQ==\", "
                          "\"set\": {\"Origin\": \"http://{host}\"}, "
                          "\"add\": [[\"Host\", \"{host}\"], [\"X-Echo\", \"{path} {key} {x}\"]]}}",
                          &o);
    assert_non_null(strstr(r, "\r\nOrigin: http://127.0.0.1:9001\r\n"));
    /* the duplicate Host line carries the same value as the first */
    assert_non_null(strstr(r, "\r\nHost: 127.0.0.1:9001\r\nUpgrade:"));
    assert_non_null(strstr(strstr(r, "Upgrade:"), "\r\nHost: 127.0.0.1:9001\r\n"));
    assert_non_null(strstr(r, "\r\nX-Echo: /chat?room=1 dGhlIHNhbXBsZSBub25jZQ== {x}\r\n"));
    /* --header values are the user's own bytes: not touched */
    const char *hdrs[] = {"X-Raw: {host}"};
    o.headers = hdrs;
    o.n_headers = 1;
    r = build("{\"handshake\": {\"method\": \"GET\"}}", &o);
    assert_non_null(strstr(r, "\r\nX-Raw: {host}\r\n"));
}

static void test_field_form_gets_options(void **state)
{
    (void)state;
    const char *hdrs[] = {"X-Token: abc"};
    hs_run_opts o = {.url = &url,
                     .origin = "http://o.test",
                     .subprotocol = "chat",
                     .headers = hdrs,
                     .n_headers = 1};
    const char *r =
        build("{\"handshake\": {\"path\": \"{path}&q=a%20b\", \"method\": \"GET\"}}", &o);
    assert_memory_equal(r, "GET /chat?room=1&q=a%20b HTTP/1.1\r\nHost: 127.0.0.1:9001\r\n", 56);
    assert_non_null(strstr(r, "\r\nOrigin: http://o.test\r\n"));
    assert_non_null(strstr(r, "\r\nSec-WebSocket-Protocol: chat\r\n"));
    assert_non_null(strstr(r, "\r\nX-Token: abc\r\n"));
    assert_string_equal(req.subprotocols, "chat");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_substitutes_like_raw),
        cmocka_unit_test(test_header_values_substitute),
        cmocka_unit_test(test_field_form_gets_options),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
