/* fuzz_url: ws:// and wss:// URLs (ws_url), and the request built from one.
 *
 * A URL that parses must give NUL-terminated fields free of spaces and
 * control bytes, a request target starting with '/', and a port; the upgrade
 * request our client builds from it must parse with ws_http and be answered
 * 101 by our own server judge. A URL that fails must say why. */
#include <string.h>

#include "tests/fuzz/fuzz_http.h"
#include "ws/ws_handshake.h"
#include "ws/ws_url.h"

static void check_field(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    FUZZ_CHECK(n < cap);
    for (size_t i = 0; i < n; i++) FUZZ_CHECK((unsigned char)s[i] > ' ' && s[i] != 0x7F);
}

static void check_request(const ws_url *u)
{
    static const char key[] = "dGhlIHNhbXBsZSBub25jZQ==";
    ws_client_hs_opts co = {0};
    char req[WS_URL_TARGET_MAX + 1024];
    size_t n = ws_handshake_client_request(req, sizeof req, u, key, &co);
    FUZZ_CHECK(n > 0 && strlen(req) == n);

    ws_http_header hs[FUZZ_MAX_HEADERS];
    ws_http_head h = {.headers = hs, .max_headers = FUZZ_MAX_HEADERS};
    long r = ws_http_parse_request(req, n, &h, sizeof req);
    FUZZ_CHECK(r == (long)n);
    FUZZ_CHECK(h.target_len == strlen(u->target) && memcmp(h.target, u->target, h.target_len) == 0);
    const ws_http_header *host = ws_http_find(&h, "Host", 0);
    FUZZ_CHECK(host && host->value_len == strlen(u->host_header) &&
               memcmp(host->value, u->host_header, host->value_len) == 0);

    ws_server_hs_opts so = {0};
    ws_server_hs_result sr;
    char resp[1024];
    FUZZ_CHECK(ws_handshake_server_respond(&h, &so, resp, sizeof resp, &sr) > 0);
    if (sr.status != 101) fprintf(stderr, "server said %d: %s\n", sr.status, sr.error);
    FUZZ_CHECK(sr.status == 101);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    ws_url u;
    char err[128];
    memset(err, 0, sizeof err);
    if (ws_url_parse(s, &u, err, sizeof err) != 0) {
        FUZZ_CHECK(err[0] != 0 && memchr(err, 0, sizeof err) != NULL);
        free(s);
        return 0;
    }
    check_field(u.host, sizeof u.host);
    check_field(u.target, sizeof u.target);
    check_field(u.host_header, sizeof u.host_header);
    FUZZ_CHECK(u.host[0] != 0 && u.target[0] == '/' && u.port != 0);
    FUZZ_CHECK(strchr(u.target, '#') == NULL);
    check_request(&u);
    free(s);
    return 0;
}
