/* fuzz_ext: Sec-WebSocket-Extensions values (ws_ext) and permessage-deflate
 * parameters and negotiation (ws_deflate).
 *
 * Input: byte 0 picks the server's deflate configuration; the rest is split
 * at '\n' into header instances. Parsed extensions must point into the input
 * and hold tokens; a failed parse must leave the count alone. Parameters that
 * are accepted must survive ws_pmd_format and a re-parse unchanged. The
 * server's answer to an offer must parse as a response and be accepted by the
 * client check against the offer it answered. */
#include <string.h>

#include "tests/fuzz/fuzz_util.h"
#include "ws/ws_deflate.h"
#include "ws/ws_ext.h"
#include "ws/ws_http.h"

#define MAX_EXT 16

static bool same_params(const ws_pmd_params *a, const ws_pmd_params *b)
{
    return a->server_no_context_takeover == b->server_no_context_takeover &&
           a->client_no_context_takeover == b->client_no_context_takeover &&
           a->server_max_window_bits == b->server_max_window_bits &&
           a->client_max_window_bits == b->client_max_window_bits;
}

static void check_window(int bits, bool is_offer)
{
    FUZZ_CHECK(bits == 0 || (bits >= 8 && bits <= 15) || (is_offer && bits == -1));
}

/* Parses a value that must hold exactly one extension. */
static void parse_one(const char *s, size_t n, ws_ext *e)
{
    size_t count = 0;
    FUZZ_CHECK(ws_ext_parse(s, n, e, 1, &count) == 0 && count == 1);
}

/* format -> parse -> from_ext gives the same parameters. */
static void check_format_roundtrip(const ws_pmd_params *p, bool is_offer)
{
    char text[256];
    size_t n = ws_pmd_format(text, sizeof text, p);
    FUZZ_CHECK(n > 0 && strlen(text) == n);
    ws_ext e;
    parse_one(text, n, &e);
    ws_pmd_params back;
    const char *err = NULL;
    FUZZ_CHECK(ws_pmd_from_ext(&e, is_offer, &back, &err) == 0);
    FUZZ_CHECK(same_params(p, &back));
}

static void check_ext(const ws_ext *e, const char *lo, const char *hi)
{
    FUZZ_CHECK(e->name >= lo && e->name + e->name_len <= hi);
    FUZZ_CHECK(ws_http_is_token(e->name, e->name_len));
    FUZZ_CHECK(e->n_params <= WS_EXT_MAX_PARAMS);
    for (size_t i = 0; i < e->n_params; i++) {
        const ws_ext_param *p = &e->params[i];
        FUZZ_CHECK(p->name >= lo && p->name + p->name_len <= hi);
        FUZZ_CHECK(ws_http_is_token(p->name, p->name_len));
        if (p->value) {
            FUZZ_CHECK(p->value >= lo && p->value + p->value_len <= hi);
            FUZZ_CHECK(ws_http_is_token(p->value, p->value_len));
        } else {
            FUZZ_CHECK(!p->quoted);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = {data, size};
    uint8_t b = fuzz_byte(&in);
    ws_pmd_server_config cfg = {
        .server_no_context_takeover = (b & 1) != 0,
        .client_no_context_takeover = (b & 2) != 0,
        .server_max_window_bits = (b & 4) ? 8 + ((b >> 4) & 7) : 0,
        .client_max_window_bits = (b & 8) ? 8 + ((b >> 5) & 7) : 0,
    };
    const char *s = (const char *)in.p, *end = s + in.n;

    ws_ext exts[MAX_EXT];
    size_t n = 0;
    for (int headers = 0; headers < 8 && s <= end; headers++) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *line_end = nl ? nl : end;
        size_t before = n;
        int rc = ws_ext_parse(s, (size_t)(line_end - s), exts, MAX_EXT, &n);
        FUZZ_CHECK(rc == 0 || rc == -1);
        if (rc == 0)
            FUZZ_CHECK(n > before && n <= MAX_EXT);
        else
            FUZZ_CHECK(n == before);
        for (size_t i = before; i < n; i++) check_ext(&exts[i], s, line_end);
        if (!nl) break;
        s = nl + 1;
    }

    const ws_ext *chosen = NULL;
    ws_pmd_params chosen_offer;
    for (size_t i = 0; i < n; i++) {
        if (!ws_ext_name_is(&exts[i], "permessage-deflate")) continue;
        for (int is_offer = 0; is_offer < 2; is_offer++) {
            ws_pmd_params p;
            const char *err = NULL;
            if (ws_pmd_from_ext(&exts[i], is_offer, &p, &err) != 0) {
                FUZZ_CHECK(err != NULL && err[0]);
                continue;
            }
            check_window(p.server_max_window_bits, false);
            check_window(p.client_max_window_bits, is_offer);
            check_format_roundtrip(&p, is_offer);
            if (is_offer && !chosen) chosen = &exts[i], chosen_offer = p;
        }
    }

    ws_pmd_params agreed;
    int accepted = ws_pmd_server_negotiate(exts, n, &cfg, &agreed);
    FUZZ_CHECK(accepted == (chosen != NULL));
    if (!accepted) return 0;
    check_window(agreed.server_max_window_bits, false);
    check_window(agreed.client_max_window_bits, false);
    check_format_roundtrip(&agreed, false);

    /* Our client, having sent the chosen offer, accepts the server's answer. */
    char text[256];
    size_t len = ws_pmd_format(text, sizeof text, &agreed);
    ws_ext resp;
    parse_one(text, len, &resp);
    ws_pmd_params client_view;
    const char *err = NULL;
    int rc = ws_pmd_client_check(&chosen_offer, &resp, &client_view, &err);
    if (rc != 0) fprintf(stderr, "client refused '%s': %s\n", text, err);
    FUZZ_CHECK(rc == 0 && same_params(&client_view, &agreed));
    return 0;
}
