/* ws_handshake: the opening handshake (RFC 6455 §4), both roles.
 *
 * Owns: Sec-WebSocket-Key / Accept, building a client's upgrade request and
 * judging the server's response, judging a client's request and building the
 * server's response (101, or 400 / 426 with Sec-WebSocket-Version: 13),
 * subprotocol and extension negotiation. Parsing the HTTP itself is ws_http's. */
#ifndef WS_HANDSHAKE_H
#define WS_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "ws_deflate.h"
#include "ws_http.h"
#include "ws_url.h"

#define WS_KEY_LEN    24 /* base64 of 16 bytes */
#define WS_ACCEPT_LEN 28 /* base64 of a SHA-1 */

/* A fresh random key, NUL-terminated. 0, or -1 if the RNG failed. */
int ws_handshake_key(char key[WS_KEY_LEN + 1]);
/* base64(SHA-1(key + GUID)), NUL-terminated. */
void ws_handshake_accept(const char *key, size_t key_len, char out[WS_ACCEPT_LEN + 1]);

typedef struct ws_client_hs_opts {
    const char *origin;       /* NULL: no Origin header */
    const char *subprotocols; /* comma-separated list, NULL: none */
    bool deflate;             /* offer permessage-deflate */
    ws_pmd_params deflate_offer;
    const char *const *extra_headers; /* "Name: value" lines */
    size_t n_extra_headers;
} ws_client_hs_opts;

/* The upgrade request, NUL-terminated. Returns its length; 0 if cap is too
 * small or a value (target, Host, key, Origin, subprotocols, an extra header)
 * holds CR or LF, which would smuggle in header lines. */
size_t ws_handshake_client_request(char *out, size_t cap, const ws_url *u, const char *key,
                                   const ws_client_hs_opts *o);

typedef struct ws_client_hs_result {
    char subprotocol[128]; /* empty: none selected */
    bool deflate;
    ws_pmd_params pmd; /* agreed parameters when deflate */
    char error[256];   /* why the response was refused */
} ws_client_hs_result;

/* Judges a parsed response (§4.1): 101 over HTTP/1.1, Upgrade: websocket,
 * Connection: upgrade, exactly one correct Sec-WebSocket-Accept, at most one
 * subprotocol and only an offered one (compared exactly), only offered
 * extensions (permessage-deflate via ws_pmd_client_check). 0 if the
 * connection is open, -1 with r->error saying why in words. */
int ws_handshake_client_check(const ws_http_head *resp, const char *key, const ws_client_hs_opts *o,
                              ws_client_hs_result *r);

typedef struct ws_server_hs_opts {
    const char *const *subprotocols; /* in our order of preference */
    size_t n_subprotocols;
    bool deflate;
    ws_pmd_server_config deflate_cfg;
    const char *server_name; /* Server header value, NULL for none */
} ws_server_hs_opts;

typedef struct ws_server_hs_result {
    int status;            /* 101, 400, 405, 426 or 505 */
    char subprotocol[128]; /* selected, empty if none */
    bool deflate;
    ws_pmd_params pmd;
    const char *error; /* why the request was refused */
} ws_server_hs_result;

/* Judges a parsed request (§4.2.1) and writes the response (NUL-terminated)
 * into out. Not GET: 405 with Allow: GET. HTTP/1.0: 400; HTTP/2+: 505. Host,
 * Sec-WebSocket-Key (base64 of 16 bytes) missing, repeated or bad, no
 * websocket in Upgrade or upgrade in Connection, a target that is neither a
 * path nor an absolute URI, a malformed extension header: 400. Sec-WebSocket-Version missing or
 * repeated: 400, not 13: 426; both with "Sec-WebSocket-Version: 13". Refusals carry a text/plain
 * reason and Connection: close. The subprotocol is the first of o->subprotocols the client offered;
 * only permessage-deflate is ever accepted, and only if o->deflate. Returns the response length (0
 * if cap too small); r->status says which. */
size_t ws_handshake_server_respond(const ws_http_head *req, const ws_server_hs_opts *o, char *out,
                                   size_t cap, ws_server_hs_result *r);

#endif
