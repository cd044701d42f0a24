/* fuzz_handshake_client: a server's response as the client sees it,
 * ws_http_parse_response then ws_handshake_client_check.
 *
 * Input: byte 0 picks the head limits, byte 1 what the client offered
 * (subprotocols, permessage-deflate parameters); the rest is the response.
 * The key is RFC 6455's sample, so a seed can carry the right accept value.
 * An accepted response must really satisfy §4.1: status 101, exactly one
 * correct Sec-WebSocket-Accept, a subprotocol only if offered, deflate only
 * if offered and with parameters the offer allowed. */
#include <string.h>

#include "tests/fuzz/fuzz_http.h"
#include "ws/ws_handshake.h"

#define KEY    "dGhlIHNhbXBsZSBub25jZQ=="
#define ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

static void pick_client_opts(uint8_t b, ws_client_hs_opts *o)
{
    memset(o, 0, sizeof(*o));
    static const char *const lists[] = {NULL, "chat", "chat, superchat", "v2.mqtt,chat"};
    o->subprotocols = lists[b & 3];
    o->deflate = (b & 4) != 0;
    o->deflate_offer.server_no_context_takeover = (b & 8) != 0;
    o->deflate_offer.client_no_context_takeover = (b & 16) != 0;
    o->deflate_offer.server_max_window_bits = (b & 32) ? 10 : 0;
    o->deflate_offer.client_max_window_bits = (b & 64) ? ((b & 128) ? 12 : -1) : 0;
}

static bool offered(const char *list, const char *p)
{
    if (!list) return false;
    const char *v = list, *end = list + strlen(list), *item;
    size_t n;
    while (ws_http_list_next(&v, end, &item, &n))
        if (n == strlen(p) && memcmp(item, p, n) == 0) return true;
    return false;
}

static void check_accepted(const ws_http_head *h, const ws_client_hs_opts *o,
                           const ws_client_hs_result *r)
{
    FUZZ_CHECK(h->status == 101);
    FUZZ_CHECK(ws_http_count(h, "Sec-WebSocket-Accept") == 1);
    const ws_http_header *a = ws_http_find(h, "Sec-WebSocket-Accept", 0);
    FUZZ_CHECK(a->value_len == WS_ACCEPT_LEN && memcmp(a->value, ACCEPT, WS_ACCEPT_LEN) == 0);
    FUZZ_CHECK(ws_http_has_token(h, "Upgrade", "websocket"));
    FUZZ_CHECK(ws_http_has_token(h, "Connection", "upgrade"));
    if (r->subprotocol[0])
        FUZZ_CHECK(offered(o->subprotocols, r->subprotocol));
    else
        FUZZ_CHECK(ws_http_find(h, "Sec-WebSocket-Protocol", 0) == NULL);
    if (!o->deflate) FUZZ_CHECK(!r->deflate);
    if (r->deflate) {
        const ws_pmd_params *p = &r->pmd;
        /* The server may only limit the client's window if the offer allowed it. */
        if (p->client_max_window_bits) {
            FUZZ_CHECK(o->deflate_offer.client_max_window_bits != 0);
            FUZZ_CHECK(p->client_max_window_bits >= 8 && p->client_max_window_bits <= 15);
        }
        if (p->server_max_window_bits)
            FUZZ_CHECK(p->server_max_window_bits >= 8 && p->server_max_window_bits <= 15);
        if (o->deflate_offer.server_no_context_takeover) FUZZ_CHECK(p->server_no_context_takeover);
        if (o->deflate_offer.server_max_window_bits)
            FUZZ_CHECK(p->server_max_window_bits &&
                       p->server_max_window_bits <= o->deflate_offer.server_max_window_bits);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = {data, size};
    uint8_t b0 = fuzz_byte(&in);
    ws_client_hs_opts o;
    pick_client_opts(fuzz_byte(&in), &o);
    const char *buf = (const char *)in.p;

    ws_http_header hs[FUZZ_MAX_HEADERS];
    ws_http_head h = {.headers = hs};
    if (fuzz_parse_head(ws_http_parse_response, b0, buf, in.n, &h, false) == 0) return 0;

    ws_client_hs_result res;
    memset(&res, 0xAA, sizeof res);
    int rc = ws_handshake_client_check(&h, KEY, &o, &res);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc == 0) {
        FUZZ_CHECK(memchr(res.subprotocol, 0, sizeof res.subprotocol) != NULL);
        check_accepted(&h, &o, &res);
    } else {
        FUZZ_CHECK(memchr(res.error, 0, sizeof res.error) != NULL && res.error[0]);
    }
    return 0;
}
