/* fuzz_handshake_server: a client's upgrade request as the server sees it,
 * ws_http_parse_request then ws_handshake_server_respond.
 *
 * Input: byte 0 picks the head limits (0: the defaults, 64 headers), byte 1 the server's options
 * (subprotocols, permessage-deflate configuration, Server header); the rest
 * is the request. Whatever the request, the response must be a well-formed
 * HTTP head with one of the documented statuses; a 101 must carry the right
 * Sec-WebSocket-Accept and be accepted by our own client judge when that
 * client offered what the server selected. */
#include <string.h>

#include "tests/fuzz/fuzz_http.h"
#include "ws/ws_handshake.h"

static const char *const protos[] = {"chat", "superchat", "v2.mqtt"};

static void pick_server_opts(uint8_t b, ws_server_hs_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->subprotocols = protos;
    o->n_subprotocols = b & 3;
    o->deflate = (b & 4) != 0;
    o->deflate_cfg.server_no_context_takeover = (b & 8) != 0;
    o->deflate_cfg.client_no_context_takeover = (b & 16) != 0;
    o->deflate_cfg.server_max_window_bits = (b & 32) ? 9 : 0;
    o->deflate_cfg.client_max_window_bits = (b & 64) ? 10 : 0;
    o->server_name = (b & 128) ? "wsprobe-fuzz" : NULL;
}

/* Our client, offering exactly what the server selected, must accept the 101. */
static void check_client_accepts(const ws_http_head *req, const char *resp, size_t resp_len,
                                 const ws_server_hs_result *sr)
{
    const ws_http_header *key = ws_http_find(req, "Sec-WebSocket-Key", 0);
    FUZZ_CHECK(key != NULL);
    char *k = fuzz_cstr((const uint8_t *)key->value, key->value_len);

    ws_http_header hs[FUZZ_MAX_HEADERS];
    ws_http_head h = {.headers = hs, .max_headers = FUZZ_MAX_HEADERS};
    FUZZ_CHECK(ws_http_parse_response(resp, resp_len, &h, resp_len + 1) > 0);

    char accept[WS_ACCEPT_LEN + 1];
    ws_handshake_accept(k, strlen(k), accept);
    const ws_http_header *a = ws_http_find(&h, "Sec-WebSocket-Accept", 0);
    FUZZ_CHECK(a && a->value_len == WS_ACCEPT_LEN && memcmp(a->value, accept, WS_ACCEPT_LEN) == 0);

    ws_client_hs_opts co = {0};
    co.subprotocols = sr->subprotocol[0] ? sr->subprotocol : NULL;
    co.deflate = sr->deflate;
    co.deflate_offer = sr->pmd;
    co.deflate_offer.client_max_window_bits = -1; /* any value the server picks */
    ws_client_hs_result cr;
    int rc = ws_handshake_client_check(&h, k, &co, &cr);
    if (rc != 0) fprintf(stderr, "client refused: %s\n", cr.error);
    FUZZ_CHECK(rc == 0);
    FUZZ_CHECK(strcmp(cr.subprotocol, sr->subprotocol) == 0);
    FUZZ_CHECK(cr.deflate == sr->deflate);
    free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = {data, size};
    uint8_t b0 = fuzz_byte(&in);
    ws_server_hs_opts o;
    pick_server_opts(fuzz_byte(&in), &o);
    const char *buf = (const char *)in.p;

    ws_http_header hs[FUZZ_MAX_HEADERS];
    ws_http_head req = {.headers = hs};
    if (fuzz_parse_head(ws_http_parse_request, b0, buf, in.n, &req, true) == 0) return 0;

    char resp[4096];
    ws_server_hs_result sr;
    size_t n = ws_handshake_server_respond(&req, &o, resp, sizeof resp, &sr);
    FUZZ_CHECK(n > 0 && n < sizeof resp && strlen(resp) == n);
    FUZZ_CHECK(sr.status == 101 || sr.status == 400 || sr.status == 405 || sr.status == 426 ||
               sr.status == 505);
    FUZZ_CHECK(sr.status == 101 || (sr.error != NULL && sr.error[0]));

    ws_http_header rh[FUZZ_MAX_HEADERS];
    ws_http_head resp_head = {.headers = rh, .max_headers = FUZZ_MAX_HEADERS};
    long rr = ws_http_parse_response(resp, n, &resp_head, n + 1);
    FUZZ_CHECK(rr > 0 && resp_head.status == sr.status);
    if (sr.status == 426) FUZZ_CHECK(ws_http_find(&resp_head, "Sec-WebSocket-Version", 0) != NULL);
    if (sr.status == 101) check_client_accepts(&req, resp, n, &sr);
    return 0;
}
