/* ws_url: ws:// and wss:// URLs (RFC 6455 §3).
 *
 * Owns: splitting a URL into what the transport needs (host, port, TLS) and
 * what the handshake needs (Host header value, request target). Anything that
 * is not a ws/wss URL gets a sentence saying what is wrong. */
#ifndef WS_URL_H
#define WS_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_URL_HOST_MAX   256
#define WS_URL_TARGET_MAX 4096

typedef struct ws_url {
    bool tls;
    char host[WS_URL_HOST_MAX]; /* without brackets for IPv6 */
    bool host_is_ipv6;
    uint16_t port;
    char target[WS_URL_TARGET_MAX];         /* path + query, "/" when empty */
    char host_header[WS_URL_HOST_MAX + 16]; /* host[:port], port only if not default */
} ws_url;

/* 0 on success; -1 with a one-sentence message in err (err may be NULL).
 * Scheme is case-insensitive; an empty port ("ws://h:/") means the default;
 * userinfo, fragments, spaces, control and non-ASCII bytes are rejected.
 * u is zeroed first and must not be used after an error. */
int ws_url_parse(const char *s, ws_url *u, char *err, size_t errlen);

#endif
