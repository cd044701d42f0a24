/* Tests for ws_handshake: key and accept (RFC 6455 §1.3, §4), the client's
 * request and its judgement of responses, the server's judgement of requests
 * (§4.2.1) and its responses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "ws/ws_handshake.h"

#define MAX_H      32
#define RFC_KEY    "dGhlIHNhbXBsZSBub25jZQ=="
#define RFC_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

/* A parsed head and the text it points into. Requests and responses get one
 * each, so a test can hold a request while parsing the response to it. */
typedef struct parsed {
    char text[8192];
    ws_http_header hdrs[MAX_H];
    ws_http_head head;
} parsed;

static parsed req_store, resp_store;

static ws_http_head *parse(const char *s, bool request)
{
    parsed *p = request ? &req_store : &resp_store;
    memset(&p->head, 0, sizeof p->head);
    p->head.headers = p->hdrs;
    p->head.max_headers = MAX_H;
    size_t len = strlen(s);
    assert_true(len < sizeof p->text);
    memcpy(p->text, s, len + 1);
    long rc = request ? ws_http_parse_request(p->text, len, &p->head, 0)
                      : ws_http_parse_response(p->text, len, &p->head, 0);
    if (rc <= 0) fail_msg("test input does not parse (%ld): %s", rc, s);
    return &p->head;
}

static void assert_header(const ws_http_head *h, const char *name, const char *want)
{
    const ws_http_header *f = ws_http_find(h, name, 0);
    if (!f) fail_msg("no %s header", name);
    assert_int_equal(ws_http_count(h, name), 1);
    if (f->value_len != strlen(want) || memcmp(f->value, want, f->value_len) != 0)
        fail_msg("%s is '%.*s', expected '%s'", name, (int)f->value_len, f->value, want);
}

/* ---- key and accept ---- */

static void test_rfc_accept_example(void **state)
{
    (void)state;
    char out[WS_ACCEPT_LEN + 1];
    ws_handshake_accept(RFC_KEY, strlen(RFC_KEY), out);
    assert_string_equal(out, RFC_ACCEPT);
}

static void test_random_keys(void **state)
{
    (void)state;
    char a[WS_KEY_LEN + 1], b[WS_KEY_LEN + 1];
    unsigned char raw[32];
    assert_int_equal(ws_handshake_key(a), 0);
    assert_int_equal(ws_handshake_key(b), 0);
    assert_int_equal(strlen(a), WS_KEY_LEN);
    assert_string_not_equal(a, b);
    /* base64 of 16 bytes: 18 decoded bytes from EVP_DecodeBlock, 2 of them padding. */
    assert_int_equal(EVP_DecodeBlock(raw, (const unsigned char *)a, WS_KEY_LEN), 18);
    assert_string_equal(a + 22, "==");
}

/* ---- client request ---- */

static ws_url test_url(void)
{
    ws_url u;
    memset(&u, 0, sizeof u);
    strcpy(u.host, "127.0.0.1");
    u.port = 9001;
    strcpy(u.target, "/chat?room=1");
    strcpy(u.host_header, "127.0.0.1:9001");
    return u;
}

static void test_client_request_minimal(void **state)
{
    (void)state;
    ws_url u = test_url();
    ws_client_hs_opts o = {0};
    char out[1024];
    size_t n = ws_handshake_client_request(out, sizeof out, &u, RFC_KEY, &o);
    assert_int_equal(n, strlen(out));
    assert_true(strncmp(out, "GET /chat?room=1 HTTP/1.1\r\n", 27) == 0);
    ws_http_head *h = parse(out, true);
    assert_int_equal(h->num_headers, 5);
    assert_header(h, "Host", "127.0.0.1:9001");
    assert_header(h, "Upgrade", "websocket");
    assert_header(h, "Connection", "Upgrade");
    assert_header(h, "Sec-WebSocket-Key", RFC_KEY);
    assert_header(h, "Sec-WebSocket-Version", "13");
    assert_null(ws_http_find(h, "Origin", 0));
    assert_null(ws_http_find(h, "Sec-WebSocket-Protocol", 0));
    assert_null(ws_http_find(h, "Sec-WebSocket-Extensions", 0));
}

static void test_client_request_options(void **state)
{
    (void)state;
    ws_url u = test_url();
    const char *extra[] = {"X-Trace: 1", "Authorization: Bearer t"};
    ws_client_hs_opts o = {.origin = "http://example.com",
                           .subprotocols = "chat, superchat",
                           .deflate = true,
                           .deflate_offer = {.client_max_window_bits = -1},
                           .extra_headers = extra,
                           .n_extra_headers = 2};
    char out[1024];
    assert_true(ws_handshake_client_request(out, sizeof out, &u, RFC_KEY, &o) > 0);
    ws_http_head *h = parse(out, true);
    assert_header(h, "Origin", "http://example.com");
    assert_header(h, "Sec-WebSocket-Protocol", "chat, superchat");
    assert_header(h, "Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits");
    assert_header(h, "X-Trace", "1");
    assert_header(h, "Authorization", "Bearer t");
}

static void test_client_request_refuses(void **state)
{
    (void)state;
    ws_url u = test_url();
    ws_client_hs_opts o = {0};
    char out[1024];
    size_t full = ws_handshake_client_request(out, sizeof out, &u, RFC_KEY, &o);
    assert_true(full > 0);
    /* Exactly enough room for the NUL, and one byte short. */
    assert_int_equal(ws_handshake_client_request(out, full + 1, &u, RFC_KEY, &o), full);
    assert_int_equal(ws_handshake_client_request(out, full, &u, RFC_KEY, &o), 0);
    /* A value with a line end would inject headers. */
    const char *extra[] = {"X: a\r\nEvil: b"};
    o.extra_headers = extra;
    o.n_extra_headers = 1;
    assert_int_equal(ws_handshake_client_request(out, sizeof out, &u, RFC_KEY, &o), 0);
    o.n_extra_headers = 0;
    o.origin = "http://a\nb";
    assert_int_equal(ws_handshake_client_request(out, sizeof out, &u, RFC_KEY, &o), 0);
}

/* ---- client check ---- */

static const char GOOD_101[] = "HTTP/1.1 101 Switching Protocols\r\n"
                               "Upgrade: websocket\r\n"
                               "Connection: Upgrade\r\n"
                               "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n";

/* A 101 response: GOOD_101 plus extra header lines. */
static ws_http_head *response_with(const char *extra)
{
    static char buf[2048];
    snprintf(buf, sizeof buf, "%s%s\r\n", GOOD_101, extra);
    return parse(buf, false);
}

static void assert_client_refuses(const ws_http_head *h, const ws_client_hs_opts *o,
                                  const char *want_error)
{
    ws_client_hs_result r;
    assert_int_equal(ws_handshake_client_check(h, RFC_KEY, o, &r), -1);
    if (!strstr(r.error, want_error))
        fail_msg("error '%s' does not contain '%s'", r.error, want_error);
}

static void test_client_accepts_good_response(void **state)
{
    (void)state;
    ws_client_hs_opts o = {0};
    ws_client_hs_result r;
    assert_int_equal(ws_handshake_client_check(response_with(""), RFC_KEY, &o, &r), 0);
    assert_string_equal(r.subprotocol, "");
    assert_false(r.deflate);
    assert_string_equal(r.error, "");
    /* Names and tokens in any case; Connection as a list. */
    ws_http_head *h = parse("HTTP/1.1 101 OK\r\nUPGRADE: WebSocket\r\n"
                            "connection: keep-alive, UPGRADE\r\n"
                            "sec-websocket-accept: " RFC_ACCEPT "\r\n\r\n",
                            false);
    assert_int_equal(ws_handshake_client_check(h, RFC_KEY, &o, &r), 0);
}

static void test_client_refuses_bad_responses(void **state)
{
    (void)state;
    ws_client_hs_opts o = {0};
    assert_client_refuses(parse("HTTP/1.1 400 Bad Request\r\n\r\n", false), &o,
                          "server answered 400 Bad Request, expected 101");
    assert_client_refuses(parse("HTTP/1.1 200 OK\r\nUpgrade: websocket\r\n\r\n", false), &o,
                          "answered 200");
    assert_client_refuses(parse("HTTP/1.0 101 Switching\r\nUpgrade: websocket\r\n"
                                "Connection: Upgrade\r\nSec-WebSocket-Accept: " RFC_ACCEPT
                                "\r\n\r\n",
                                false),
                          &o, "HTTP/1.0");
    assert_client_refuses(parse("HTTP/1.1 101 OK\r\nConnection: Upgrade\r\n"
                                "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n\r\n",
                                false),
                          &o, "Upgrade: websocket");
    assert_client_refuses(parse("HTTP/1.1 101 OK\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n"
                                "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n\r\n",
                                false),
                          &o, "Upgrade: websocket");
    assert_client_refuses(parse("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: close\r\n"
                                "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n\r\n",
                                false),
                          &o, "Connection: Upgrade");
    assert_client_refuses(parse("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                "\r\n",
                                false),
                          &o, "no Sec-WebSocket-Accept");
    assert_client_refuses(response_with("Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n"), &o,
                          "2 Sec-WebSocket-Accept headers");
}

static void test_client_wrong_accept_message(void **state)
{
    (void)state;
    ws_client_hs_opts o = {0};
    ws_client_hs_result r;
    ws_http_head *h = parse("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Accept: x\r\n\r\n",
                            false);
    assert_int_equal(ws_handshake_client_check(h, RFC_KEY, &o, &r), -1);
    assert_string_equal(r.error, "Sec-WebSocket-Accept is 'x', expected '" RFC_ACCEPT "'");
    /* Base64 is case-sensitive. */
    h = parse("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Accept: S3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
              false);
    assert_int_equal(ws_handshake_client_check(h, RFC_KEY, &o, &r), -1);
    /* Hostile bytes are not copied into the message as they are. */
    h = parse("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Accept: \xff\xfe\r\n\r\n",
              false);
    assert_int_equal(ws_handshake_client_check(h, RFC_KEY, &o, &r), -1);
    assert_string_equal(r.error, "Sec-WebSocket-Accept is '\?\?', expected '" RFC_ACCEPT "'");
}

static void test_client_subprotocols(void **state)
{
    (void)state;
    ws_client_hs_opts none = {0};
    ws_client_hs_opts two = {.subprotocols = "chat, superchat"};
    ws_client_hs_result r;
    assert_client_refuses(response_with("Sec-WebSocket-Protocol: chat\r\n"), &none,
                          "server selected subprotocol 'chat' but none was offered");
    assert_client_refuses(response_with("Sec-WebSocket-Protocol: mqtt\r\n"), &two,
                          "subprotocol 'mqtt', which was not offered");
    assert_client_refuses(response_with("Sec-WebSocket-Protocol: Chat\r\n"), &two, "not offered");
    assert_client_refuses(response_with("Sec-WebSocket-Protocol: chat, superchat\r\n"), &two,
                          "not a single subprotocol");
    assert_client_refuses(
        response_with("Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n"), &two,
        "2 Sec-WebSocket-Protocol headers");
    assert_int_equal(ws_handshake_client_check(
                         response_with("Sec-WebSocket-Protocol: superchat\r\n"), RFC_KEY, &two, &r),
                     0);
    assert_string_equal(r.subprotocol, "superchat");
    /* Offered, but the server chose none: fine. */
    assert_int_equal(ws_handshake_client_check(response_with(""), RFC_KEY, &two, &r), 0);
    assert_string_equal(r.subprotocol, "");
}

static void test_client_extensions(void **state)
{
    (void)state;
    ws_client_hs_opts plain = {0};
    ws_client_hs_opts pmd = {.deflate = true, .deflate_offer = {.client_max_window_bits = -1}};
    ws_client_hs_result r;
    assert_client_refuses(response_with("Sec-WebSocket-Extensions: x-unknown\r\n"), &pmd,
                          "server accepted extension 'x-unknown', which was not offered");
    assert_client_refuses(response_with("Sec-WebSocket-Extensions: permessage-deflate\r\n"), &plain,
                          "'permessage-deflate', which was not offered");
    assert_client_refuses(response_with("Sec-WebSocket-Extensions: permessage-deflate\r\n"
                                        "Sec-WebSocket-Extensions: permessage-deflate\r\n"),
                          &pmd, "twice");
    assert_client_refuses(response_with("Sec-WebSocket-Extensions: permessage-deflate; x=1\r\n"),
                          &pmd, "permessage-deflate response refused");
    assert_client_refuses(response_with("Sec-WebSocket-Extensions: permessage-deflate;\r\n"), &pmd,
                          "malformed Sec-WebSocket-Extensions");
    assert_int_equal(
        ws_handshake_client_check(
            response_with("sec-websocket-extensions: permessage-deflate; "
                          "server_no_context_takeover; client_max_window_bits=\"10\"\r\n"),
            RFC_KEY, &pmd, &r),
        0);
    assert_true(r.deflate);
    assert_true(r.pmd.server_no_context_takeover);
    assert_int_equal(r.pmd.client_max_window_bits, 10);
}

/* ---- server ---- */

static const char GOOD_REQUEST[] = "GET /chat HTTP/1.1\r\n"
                                   "Host: server.example.com\r\n"
                                   "Upgrade: websocket\r\n"
                                   "Connection: Upgrade\r\n"
                                   "Sec-WebSocket-Key: " RFC_KEY "\r\n"
                                   "Origin: http://example.com\r\n"
                                   "Sec-WebSocket-Version: 13\r\n";

static char resp_buf[2048];
static ws_server_hs_result sres;

/* Judges GOOD_REQUEST + extra lines (or a whole request if it starts with a
 * method) and parses the response written. */
static ws_http_head *serve(const char *req_text, const ws_server_hs_opts *o)
{
    static char buf[2048];
    if (strncmp(req_text, "GET ", 4) == 0 || strncmp(req_text, "POST ", 5) == 0)
        snprintf(buf, sizeof buf, "%s", req_text);
    else
        snprintf(buf, sizeof buf, "%s%s\r\n", GOOD_REQUEST, req_text);
    ws_http_head *req = parse(buf, true);
    size_t n = ws_handshake_server_respond(req, o, resp_buf, sizeof resp_buf, &sres);
    assert_true(n > 0);
    assert_int_equal(n, strlen(resp_buf));
    ws_http_head *resp = parse(resp_buf, false);
    assert_int_equal(resp->status, sres.status);
    return resp;
}

static void assert_refusal(const char *req_text, int status, const char *why)
{
    ws_server_hs_opts o = {0};
    ws_http_head *r = serve(req_text, &o);
    if (sres.status != status)
        fail_msg("status %d, expected %d (%s)", sres.status, status, sres.error);
    assert_non_null(sres.error);
    if (!strstr(sres.error, why)) fail_msg("error '%s' lacks '%s'", sres.error, why);
    assert_header(r, "Connection", "close");
    assert_null(ws_http_find(r, "Sec-WebSocket-Accept", 0));
    /* The body is the reason, and Content-Length says how long it is. */
    const char *body = strstr(resp_buf, "\r\n\r\n") + 4;
    char len[24];
    snprintf(len, sizeof len, "%zu", strlen(body));
    assert_header(r, "Content-Length", len);
    assert_true(strstr(body, why) != NULL);
}

static void test_server_rfc_example(void **state)
{
    (void)state;
    ws_server_hs_opts o = {.server_name = "wsprobe"};
    ws_http_head *r = serve("", &o);
    assert_int_equal(sres.status, 101);
    assert_null(sres.error);
    assert_true(strncmp(resp_buf, "HTTP/1.1 101 Switching Protocols\r\n", 34) == 0);
    assert_header(r, "Upgrade", "websocket");
    assert_header(r, "Connection", "Upgrade");
    assert_header(r, "Sec-WebSocket-Accept", RFC_ACCEPT);
    assert_header(r, "Server", "wsprobe");
    assert_null(ws_http_find(r, "Sec-WebSocket-Protocol", 0));
    assert_null(ws_http_find(r, "Sec-WebSocket-Extensions", 0));
    assert_null(ws_http_find(r, "Content-Length", 0));
}

static void test_server_case_and_lists(void **state)
{
    (void)state;
    ws_server_hs_opts o = {0};
    serve("GET / HTTP/1.1\r\nhost: a\r\nUPGRADE: WebSocket\r\n"
          "connection: keep-alive, Upgrade\r\nsec-websocket-key: " RFC_KEY "\r\n"
          "SEC-WEBSOCKET-VERSION: 13\r\n\r\n",
          &o);
    assert_int_equal(sres.status, 101);
    /* Tokens may be spread over several headers. */
    serve("GET /x HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nUpgrade: websocket\r\n"
          "Connection: keep-alive\r\nConnection: upgrade\r\nSec-WebSocket-Key: " RFC_KEY "\r\n"
          "Sec-WebSocket-Version: 13\r\n\r\n",
          &o);
    assert_int_equal(sres.status, 101);
    /* HTTP/1.2 counts as 1.1 or later; absolute-form targets are allowed. */
    serve("GET ws://a/x HTTP/1.2\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Key: " RFC_KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
          &o);
    assert_int_equal(sres.status, 101);
}

static void test_server_method_and_version(void **state)
{
    (void)state;
    ws_server_hs_opts o = {0};
    ws_http_head *r = serve("POST /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\nSec-WebSocket-Key: " RFC_KEY "\r\n"
                            "Sec-WebSocket-Version: 13\r\n\r\n",
                            &o);
    assert_int_equal(sres.status, 405);
    assert_header(r, "Allow", "GET");
    assert_refusal("POST / HTTP/1.1\r\nHost: a\r\n\r\n", 405, "method must be GET");
    assert_refusal("GET / HTTP/1.0\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: " RFC_KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
                   400, "HTTP/1.1");
    assert_refusal("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "HTTP version");
    assert_refusal("GET * HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: " RFC_KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
                   400, "request target");
}

static void test_server_missing_and_duplicated(void **state)
{
    (void)state;
    assert_refusal("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: " RFC_KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
                   400, "missing Host");
    assert_refusal("Host: b\r\n", 400, "more than one Host");
    assert_refusal("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: " RFC_KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
                   400, "Upgrade header must contain 'websocket'");
    assert_refusal("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n"
                   "Sec-WebSocket-Key: " RFC_KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
                   400, "Connection header must contain 'Upgrade'");
    assert_refusal("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n",
                   400, "missing Sec-WebSocket-Key");
    assert_refusal("Sec-WebSocket-Key: " RFC_KEY "\r\n", 400, "more than one Sec-WebSocket-Key");
    ws_http_head *r = serve("Sec-WebSocket-Version: 13\r\n", &(ws_server_hs_opts){0});
    assert_int_equal(sres.status, 400);
    assert_string_equal(sres.error, "more than one Sec-WebSocket-Version header");
    assert_header(r, "Sec-WebSocket-Version", "13");
    r = serve("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: " RFC_KEY "\r\n\r\n",
              &(ws_server_hs_opts){0});
    assert_int_equal(sres.status, 400);
    assert_string_equal(sres.error, "missing Sec-WebSocket-Version header");
    assert_header(r, "Sec-WebSocket-Version", "13");
}

static void test_server_bad_keys(void **state)
{
    (void)state;
    static const char *const keys[] = {
        "dGhlIHNhbXBsZSBub25j",         /* 15 bytes */
        "dGhlIHNhbXBsZSBub25jZQ",       /* unpadded */
        "dGhlIHNhbXBsZSBub25jZSE=",     /* 17 bytes */
        "dGhlIHNhbXBsZSBub25jZSEh",     /* 18 bytes */
        "dGhlIHNhbXBsZSBub25j*Q==",     /* not base64 */
        "dGhlIHNhbXBsZSBub25jZQ===",    /* too long */
        "",                             /* empty */
        "dGhlIHNhbXBsZSBub25jZQ==dGhl", /* trailing junk */
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char req[512];
        snprintf(req, sizeof req,
                 "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
                 keys[i]);
        assert_refusal(req, 400, "Sec-WebSocket-Key must be base64 of 16 bytes");
    }
}

static void test_server_version_426(void **state)
{
    (void)state;
    static const char *const versions[] = {"8", "12", "14", "13, 8", "0013", "x"};
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        char req[512];
        snprintf(req, sizeof req,
                 "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: " RFC_KEY "\r\nSec-WebSocket-Version: %s\r\n\r\n",
                 versions[i]);
        ws_http_head *r = serve(req, &(ws_server_hs_opts){0});
        if (sres.status != 426) fail_msg("version '%s' got %d", versions[i], sres.status);
        assert_true(strncmp(resp_buf, "HTTP/1.1 426 Upgrade Required\r\n", 31) == 0);
        assert_header(r, "Sec-WebSocket-Version", "13");
        assert_header(r, "Upgrade", "websocket");
        assert_header(r, "Connection", "close");
    }
}

static void test_server_subprotocol_choice(void **state)
{
    (void)state;
    const char *prefs[] = {"superchat", "chat"};
    ws_server_hs_opts o = {.subprotocols = prefs, .n_subprotocols = 2};
    /* Our preference wins over the client's order. */
    ws_http_head *r = serve("Sec-WebSocket-Protocol: chat, superchat\r\n", &o);
    assert_int_equal(sres.status, 101);
    assert_string_equal(sres.subprotocol, "superchat");
    assert_header(r, "Sec-WebSocket-Protocol", "superchat");
    /* Spread over two headers. */
    serve("Sec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Protocol: chat\r\n", &o);
    assert_string_equal(sres.subprotocol, "chat");
    /* No match, names compared exactly, nothing offered: none selected. */
    static const char *const none[] = {"Sec-WebSocket-Protocol: mqtt, soap\r\n",
                                       "Sec-WebSocket-Protocol: Chat, superchatx\r\n", ""};
    for (size_t i = 0; i < 3; i++) {
        r = serve(none[i], &o);
        assert_int_equal(sres.status, 101);
        assert_string_equal(sres.subprotocol, "");
        assert_null(ws_http_find(r, "Sec-WebSocket-Protocol", 0));
    }
    /* A server without subprotocols selects none. */
    r = serve("Sec-WebSocket-Protocol: chat\r\n", &(ws_server_hs_opts){0});
    assert_null(ws_http_find(r, "Sec-WebSocket-Protocol", 0));
}

static void test_server_extensions(void **state)
{
    (void)state;
    ws_server_hs_opts plain = {0};
    ws_server_hs_opts pmd = {.deflate = true};
    /* Unknown extensions are never accepted. */
    ws_http_head *r =
        serve("Sec-WebSocket-Extensions: x-webkit-deflate-frame, foo; bar=1\r\n", &pmd);
    assert_int_equal(sres.status, 101);
    assert_false(sres.deflate);
    assert_null(ws_http_find(r, "Sec-WebSocket-Extensions", 0));
    /* permessage-deflate only when configured. */
    r = serve("Sec-WebSocket-Extensions: permessage-deflate\r\n", &plain);
    assert_false(sres.deflate);
    assert_null(ws_http_find(r, "Sec-WebSocket-Extensions", 0));
    r = serve("Sec-WebSocket-Extensions: foo, permessage-deflate; client_max_window_bits\r\n",
              &pmd);
    assert_true(sres.deflate);
    assert_header(r, "Sec-WebSocket-Extensions", "permessage-deflate");
    /* Offers spread over two headers; the server's demands are stated. */
    pmd.deflate_cfg.client_no_context_takeover = true;
    r = serve("Sec-WebSocket-Extensions: foo\r\nSec-WebSocket-Extensions: permessage-deflate\r\n",
              &pmd);
    assert_true(sres.deflate);
    assert_true(sres.pmd.client_no_context_takeover);
    assert_header(r, "Sec-WebSocket-Extensions", "permessage-deflate; client_no_context_takeover");
    /* A malformed header is a bad request. */
    assert_refusal("Sec-WebSocket-Extensions: permessage-deflate; =\r\n", 400,
                   "malformed Sec-WebSocket-Extensions");
}

static void test_server_small_buffer(void **state)
{
    (void)state;
    ws_http_head *req = parse("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
                              "Connection: Upgrade\r\nSec-WebSocket-Key: " RFC_KEY "\r\n"
                              "Sec-WebSocket-Version: 13\r\n\r\n",
                              true);
    ws_server_hs_opts o = {0};
    ws_server_hs_result r;
    char out[64];
    assert_int_equal(ws_handshake_server_respond(req, &o, out, sizeof out, &r), 0);
    assert_int_equal(r.status, 101);
}

/* Our client's request, judged by our server, answered, judged by our client. */
static void test_round_trip(void **state)
{
    (void)state;
    ws_url u = test_url();
    char key[WS_KEY_LEN + 1], req[1024], reply[1024];
    assert_int_equal(ws_handshake_key(key), 0);
    ws_client_hs_opts co = {.subprotocols = "v2.echo, v1.echo",
                            .deflate = true,
                            .deflate_offer = {.client_max_window_bits = -1}};
    assert_true(ws_handshake_client_request(req, sizeof req, &u, key, &co) > 0);

    ws_http_header qh[MAX_H], rh[MAX_H];
    ws_http_head q = {.headers = qh, .max_headers = MAX_H};
    assert_int_equal(ws_http_parse_request(req, strlen(req), &q, 0), (long)strlen(req));
    const char *prefs[] = {"v1.echo"};
    ws_server_hs_opts so = {.subprotocols = prefs,
                            .n_subprotocols = 1,
                            .deflate = true,
                            .deflate_cfg = {.client_max_window_bits = 12}};
    ws_server_hs_result sr;
    size_t n = ws_handshake_server_respond(&q, &so, reply, sizeof reply, &sr);
    assert_true(n > 0);
    assert_int_equal(sr.status, 101);

    ws_http_head p = {.headers = rh, .max_headers = MAX_H};
    assert_int_equal(ws_http_parse_response(reply, n, &p, 0), (long)n);
    ws_client_hs_result cr;
    if (ws_handshake_client_check(&p, key, &co, &cr) != 0) fail_msg("%s", cr.error);
    assert_string_equal(cr.subprotocol, "v1.echo");
    assert_true(cr.deflate);
    assert_int_equal(cr.pmd.client_max_window_bits, 12);
    /* The same response does not fit another key. */
    char other[WS_KEY_LEN + 1];
    assert_int_equal(ws_handshake_key(other), 0);
    assert_int_equal(ws_handshake_client_check(&p, other, &co, &cr), -1);
    assert_non_null(strstr(cr.error, "Sec-WebSocket-Accept is"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_accept_example),
        cmocka_unit_test(test_random_keys),
        cmocka_unit_test(test_client_request_minimal),
        cmocka_unit_test(test_client_request_options),
        cmocka_unit_test(test_client_request_refuses),
        cmocka_unit_test(test_client_accepts_good_response),
        cmocka_unit_test(test_client_refuses_bad_responses),
        cmocka_unit_test(test_client_wrong_accept_message),
        cmocka_unit_test(test_client_subprotocols),
        cmocka_unit_test(test_client_extensions),
        cmocka_unit_test(test_server_rfc_example),
        cmocka_unit_test(test_server_case_and_lists),
        cmocka_unit_test(test_server_method_and_version),
        cmocka_unit_test(test_server_missing_and_duplicated),
        cmocka_unit_test(test_server_bad_keys),
        cmocka_unit_test(test_server_version_426),
        cmocka_unit_test(test_server_subprotocol_choice),
        cmocka_unit_test(test_server_extensions),
        cmocka_unit_test(test_server_small_buffer),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
