/* ws_deflate: the permessage-deflate extension (RFC 7692) over zlib.
 *
 * Owns: the meaning of the extension's four parameters (validating offers and
 * responses, choosing what to accept), and compressing / decompressing whole
 * messages with or without context takeover, window bits 8..15, the trailing
 * 00 00 ff ff, and a limit on inflated size so a bomb cannot exhaust memory. */
#ifndef WS_DEFLATE_H
#define WS_DEFLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ws_buf.h"
#include "ws_ext.h"

/* Parameters of one offer or response. Window bits: 0 = parameter absent,
 * 8..15 = its value; for client_max_window_bits in an offer, -1 = present
 * without a value (the client supports the parameter, RFC 7692 §7.1.2.2). */
typedef struct ws_pmd_params {
    bool server_no_context_takeover;
    bool client_no_context_takeover;
    int server_max_window_bits;
    int client_max_window_bits;
} ws_pmd_params;

/* Reads permessage-deflate parameters from a parsed extension. `is_offer`
 * selects client-offer rules, else server-response rules. Returns 0, or -1 with
 * *err naming the problem (unknown parameter, duplicate, bad window bits). */
int ws_pmd_from_ext(const ws_ext *e, bool is_offer, ws_pmd_params *out, const char **err);
/* "permessage-deflate; server_no_context_takeover; ..." Returns length, 0 if cap too small. */
size_t ws_pmd_format(char *out, size_t cap, const ws_pmd_params *p);

/* What a server is willing to do. */
typedef struct ws_pmd_server_config {
    bool server_no_context_takeover; /* insist on resetting our own context */
    bool client_no_context_takeover; /* ask the client to reset its context */
    int server_max_window_bits;      /* our window, 8..15 (0 = 15) */
    int client_max_window_bits;      /* limit for the client, if it allows one (0 = none) */
} ws_pmd_server_config;

/* Picks the first acceptable offer among the permessage-deflate ones in
 * offers[0..n). 1 with *agreed set (the response parameters), 0 to decline. */
int ws_pmd_server_negotiate(const ws_ext *offers, size_t n, const ws_pmd_server_config *cfg,
                            ws_pmd_params *agreed);
/* Client side: checks a server's response against what was offered (§7.1:
 * only parameters the client allowed). 0 with *agreed, or -1 with *err. */
int ws_pmd_client_check(const ws_pmd_params *offered, const ws_ext *response, ws_pmd_params *agreed,
                        const char **err);

typedef struct ws_pmd ws_pmd;

enum ws_pmd_status {
    WS_PMD_OK = 0,
    WS_PMD_E_ZLIB = -1,    /* corrupt stream */
    WS_PMD_E_TOO_BIG = -2, /* inflated past out->limit */
    WS_PMD_E_NOMEM = -3,
};

/* A compressor and decompressor for one connection. is_server decides which
 * side's parameters apply to which direction. level: zlib level (-1 default).
 * Both zlib streams live as long as the connection; per message, only `out`
 * may grow. After any error the connection must be failed: the shared
 * compression context is no longer in step with the peer's. */
ws_pmd *ws_pmd_new(bool is_server, const ws_pmd_params *agreed, int level);
void ws_pmd_free(ws_pmd *z);
/* Compresses one whole message, appending to out, tail 00 00 ff ff removed. */
int ws_pmd_compress(ws_pmd *z, const uint8_t *in, size_t n, ws_buf *out);
/* Inflates one frame's payload of a compressed message, appending to out
 * (bounded by out->limit). On the message's last frame, pass last = true. */
int ws_pmd_decompress(ws_pmd *z, const uint8_t *in, size_t n, bool last, ws_buf *out);

#endif
