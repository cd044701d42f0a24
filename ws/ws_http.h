/* ws_http: HTTP/1.1 message heads (RFC 9112 / RFC 7230), as much as the
 * WebSocket opening handshake needs.
 *
 * Owns: parsing a request or response head in place (zero-copy: names and
 * values point into the caller's buffer), with limits on header count and head
 * size so a hostile peer cannot make us buffer without end; header look-up by
 * case-insensitive name and comma-separated token lists. */
#ifndef WS_HTTP_H
#define WS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ws_http_header {
    const char *name;
    size_t name_len;
    const char *value; /* leading and trailing whitespace stripped */
    size_t value_len;
} ws_http_header;

typedef struct ws_http_head {
    /* request line */
    const char *method;
    size_t method_len;
    const char *target;
    size_t target_len;
    /* status line */
    int status;
    const char *reason;
    size_t reason_len;
    int version_major, version_minor; /* HTTP/1.1 -> 1, 1 */
    ws_http_header *headers;          /* caller's array */
    size_t num_headers;
    size_t max_headers; /* capacity of headers[] */
    bool bare_lf;       /* a line ended in LF without CR (accepted, RFC 9112 §2.2) */
} ws_http_head;

enum ws_http_status {
    WS_HTTP_NEED_MORE = -2,
    WS_HTTP_E_SYNTAX = -1,
    WS_HTTP_E_TOO_MANY_HEADERS = -3,
    WS_HTTP_E_TOO_LARGE = -4, /* head longer than max_bytes without its end */
};

/* Parse a head from buf[0..len). Returns the head's length in bytes (through
 * the blank line) on success, or an enum ws_http_status. max_bytes bounds the
 * head (0 = 16 KiB): once len exceeds it without a complete head, the answer is
 * WS_HTTP_E_TOO_LARGE. Set h->headers and h->max_headers before calling.
 * Lines may end in CRLF or a bare LF; a bare CR, obs-fold, whitespace before a
 * colon, or a control character (other than HTAB) in a value is an error. */
long ws_http_parse_request(const char *buf, size_t len, ws_http_head *h, size_t max_bytes);
long ws_http_parse_response(const char *buf, size_t len, ws_http_head *h, size_t max_bytes);
const char *ws_http_strerror(long status);

/* The n-th (0-based) header with this name, case-insensitive; NULL if none. */
const ws_http_header *ws_http_find(const ws_http_head *h, const char *name, size_t nth);
size_t ws_http_count(const ws_http_head *h, const char *name);
/* True if any header `name` holds `token` in its comma-separated list
 * (case-insensitive, whitespace around items ignored). */
bool ws_http_has_token(const ws_http_head *h, const char *name, const char *token);
/* Iterates a comma-separated list in v[0..end): sets *item, *n to the next
 * non-empty element (OWS trimmed), advances *v; false at the end. */
bool ws_http_list_next(const char **v, const char *end, const char **item, size_t *n);
/* RFC 7230 tchar / token. */
bool ws_http_is_token(const char *s, size_t n);

#endif
