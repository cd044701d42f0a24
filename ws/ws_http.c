/* ws_http: HTTP/1.x request and response heads, parsed in place.
 *
 * The contract is picohttpparser's: the whole head is re-parsed on every call,
 * and the answer is its length, "need more", or an error. Every check is made
 * on the bytes seen so far, so a prefix of a valid head is never an error and
 * a broken head is refused as soon as the broken byte arrives.
 *
 * Line endings: CRLF, or a bare LF (RFC 9112 §2.2 lets a recipient accept it;
 * h->bare_lf records that it happened so a checker can call it non-strict).
 * A bare CR anywhere is an error, as are obs-fold, whitespace before a colon,
 * and control characters other than HTAB in a field value. */
#include "ws_http.h"

#include <string.h>
#include <strings.h>

#define WS_HTTP_DEFAULT_MAX (16 * 1024)

enum { OK = 0 };

typedef struct cursor {
    const char *p;
    const char *end;
    ws_http_head *h;
} cursor;

/* RFC 7230 §3.2.6 tchar. */
static bool is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* field-vchar, SP and HTAB; obs-text (0x80-0xff) is allowed as RFC 9110 does. */
static bool is_value_char(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* CRLF or LF at the cursor. */
static int read_eol(cursor *c)
{
    if (c->p == c->end) return WS_HTTP_NEED_MORE;
    if (*c->p == '\n') {
        c->h->bare_lf = true;
        c->p++;
        return OK;
    }
    if (*c->p != '\r') return WS_HTTP_E_SYNTAX;
    if (c->p + 1 == c->end) return WS_HTTP_NEED_MORE;
    if (c->p[1] != '\n') return WS_HTTP_E_SYNTAX; /* bare CR */
    c->p += 2;
    return OK;
}

/* One byte that must be `want`. */
static int read_char(cursor *c, char want)
{
    if (c->p == c->end) return WS_HTTP_NEED_MORE;
    if (*c->p != want) return WS_HTTP_E_SYNTAX;
    c->p++;
    return OK;
}

/* "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3: exactly one digit each). */
static int read_version(cursor *c)
{
    static const char prefix[] = "HTTP/";
    for (size_t i = 0; i < sizeof prefix - 1; i++) {
        int rc = read_char(c, prefix[i]);
        if (rc != OK) return rc;
    }
    for (int part = 0; part < 2; part++) {
        if (part == 1) {
            int rc = read_char(c, '.');
            if (rc != OK) return rc;
        }
        if (c->p == c->end) return WS_HTTP_NEED_MORE;
        if (*c->p < '0' || *c->p > '9') return WS_HTTP_E_SYNTAX;
        if (part == 0)
            c->h->version_major = *c->p - '0';
        else
            c->h->version_minor = *c->p - '0';
        c->p++;
    }
    return OK;
}

/* A token ending at a byte that is not a tchar (or at the end of input). */
static int read_token(cursor *c, const char **tok, size_t *n)
{
    const char *start = c->p;
    while (c->p < c->end && is_tchar((unsigned char)*c->p)) c->p++;
    if (c->p == c->end) return WS_HTTP_NEED_MORE;
    if (c->p == start) return WS_HTTP_E_SYNTAX;
    *tok = start;
    *n = (size_t)(c->p - start);
    return OK;
}

/* method SP request-target SP HTTP-version CRLF. The target may be any
 * visible ASCII or obs-text; its form is the caller's business. */
static int read_request_line(cursor *c)
{
    ws_http_head *h = c->h;
    /* RFC 9112 §2.2: a server SHOULD ignore empty lines before the request. */
    while (c->p < c->end && (*c->p == '\r' || *c->p == '\n')) {
        int rc = read_eol(c);
        if (rc != OK) return rc;
    }
    int rc = read_token(c, &h->method, &h->method_len);
    if (rc != OK) return rc;
    if ((rc = read_char(c, ' ')) != OK) return rc;
    const char *start = c->p;
    while (c->p < c->end && (unsigned char)*c->p > 0x20 && *c->p != 0x7f) c->p++;
    if (c->p == c->end) return WS_HTTP_NEED_MORE;
    if (c->p == start) return WS_HTTP_E_SYNTAX;
    h->target = start;
    h->target_len = (size_t)(c->p - start);
    if ((rc = read_char(c, ' ')) != OK) return rc;
    if ((rc = read_version(c)) != OK) return rc;
    return read_eol(c);
}

/* HTTP-version SP 3DIGIT [SP reason-phrase] CRLF. The space before an empty
 * reason is required by RFC 9112 but commonly missing, so it is optional. */
static int read_status_line(cursor *c)
{
    ws_http_head *h = c->h;
    int rc = read_version(c);
    if (rc != OK) return rc;
    if ((rc = read_char(c, ' ')) != OK) return rc;
    h->status = 0;
    for (int i = 0; i < 3; i++) {
        if (c->p == c->end) return WS_HTTP_NEED_MORE;
        if (*c->p < '0' || *c->p > '9') return WS_HTTP_E_SYNTAX;
        h->status = h->status * 10 + (*c->p - '0');
        c->p++;
    }
    if (c->p == c->end) return WS_HTTP_NEED_MORE;
    h->reason = c->p;
    h->reason_len = 0;
    if (*c->p == ' ') {
        c->p++;
        h->reason = c->p;
        while (c->p < c->end && is_value_char((unsigned char)*c->p)) c->p++;
        if (c->p == c->end) return WS_HTTP_NEED_MORE;
        h->reason_len = (size_t)(c->p - h->reason);
    }
    return read_eol(c);
}

/* field-name ":" OWS field-value OWS CRLF, at a byte that is not a line end. */
static int read_header(cursor *c)
{
    ws_http_head *h = c->h;
    if (is_ows(*c->p)) return WS_HTTP_E_SYNTAX; /* obs-fold, or space before a name */
    if (h->num_headers == h->max_headers) return WS_HTTP_E_TOO_MANY_HEADERS;
    ws_http_header *f = &h->headers[h->num_headers];
    /* A name ends at its colon: whitespace or anything else there is an error. */
    int rc = read_token(c, &f->name, &f->name_len);
    if (rc != OK) return rc;
    if ((rc = read_char(c, ':')) != OK) return rc;
    while (c->p < c->end && is_ows(*c->p)) c->p++;
    const char *start = c->p;
    while (c->p < c->end && is_value_char((unsigned char)*c->p)) c->p++;
    const char *stop = c->p;
    if ((rc = read_eol(c)) != OK) return rc; /* also refuses NUL, CTLs, bare CR */
    while (stop > start && is_ows(stop[-1])) stop--;
    f->value = start;
    f->value_len = (size_t)(stop - start);
    h->num_headers++;
    return OK;
}

static int read_headers(cursor *c)
{
    for (;;) {
        if (c->p == c->end) return WS_HTTP_NEED_MORE;
        if (*c->p == '\r' || *c->p == '\n') return read_eol(c);
        int rc = read_header(c);
        if (rc != OK) return rc;
    }
}

static long parse(const char *buf, size_t len, ws_http_head *h, size_t max_bytes, bool request)
{
    if (max_bytes == 0) max_bytes = WS_HTTP_DEFAULT_MAX;
    h->method = h->target = h->reason = NULL;
    h->method_len = h->target_len = h->reason_len = 0;
    h->status = h->version_major = h->version_minor = 0;
    h->num_headers = 0;
    h->bare_lf = false;
    /* Only the first max_bytes are looked at: running out there means the
     * head is too large, not that more is needed. */
    cursor c = {buf, buf + (len < max_bytes ? len : max_bytes), h};
    int rc = request ? read_request_line(&c) : read_status_line(&c);
    if (rc == OK) rc = read_headers(&c);
    if (rc == WS_HTTP_NEED_MORE && len > max_bytes) return WS_HTTP_E_TOO_LARGE;
    if (rc != OK) return rc;
    return (long)(c.p - buf);
}

long ws_http_parse_request(const char *buf, size_t len, ws_http_head *h, size_t max_bytes)
{
    return parse(buf, len, h, max_bytes, true);
}

long ws_http_parse_response(const char *buf, size_t len, ws_http_head *h, size_t max_bytes)
{
    return parse(buf, len, h, max_bytes, false);
}

const char *ws_http_strerror(long status)
{
    switch (status) {
    case WS_HTTP_NEED_MORE:
        return "incomplete HTTP head";
    case WS_HTTP_E_SYNTAX:
        return "malformed HTTP head";
    case WS_HTTP_E_TOO_MANY_HEADERS:
        return "too many HTTP header fields";
    case WS_HTTP_E_TOO_LARGE:
        return "HTTP head too large";
    default:
        return status >= 0 ? "complete HTTP head" : "unknown HTTP parse error";
    }
}

static bool name_is(const ws_http_header *f, const char *name)
{
    size_t n = strlen(name);
    return f->name_len == n && strncasecmp(f->name, name, n) == 0;
}

const ws_http_header *ws_http_find(const ws_http_head *h, const char *name, size_t nth)
{
    for (size_t i = 0; i < h->num_headers; i++) {
        if (!name_is(&h->headers[i], name)) continue;
        if (nth == 0) return &h->headers[i];
        nth--;
    }
    return NULL;
}

size_t ws_http_count(const ws_http_head *h, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < h->num_headers; i++) n += name_is(&h->headers[i], name);
    return n;
}

bool ws_http_list_next(const char **v, const char *end, const char **item, size_t *n)
{
    const char *p = *v;
    while (p < end && (is_ows(*p) || *p == ',')) p++; /* empty elements are allowed */
    if (p == end) {
        *v = p;
        return false;
    }
    const char *start = p;
    while (p < end && *p != ',') p++;
    const char *stop = p;
    while (stop > start && is_ows(stop[-1])) stop--;
    *item = start;
    *n = (size_t)(stop - start);
    *v = p;
    return true;
}

bool ws_http_has_token(const ws_http_head *h, const char *name, const char *token)
{
    size_t tn = strlen(token);
    for (size_t i = 0; i < h->num_headers; i++) {
        const ws_http_header *f = &h->headers[i];
        if (!name_is(f, name)) continue;
        const char *v = f->value, *end = f->value + f->value_len, *item;
        size_t n;
        while (ws_http_list_next(&v, end, &item, &n))
            if (n == tn && strncasecmp(item, token, n) == 0) return true;
    }
    return false;
}

bool ws_http_is_token(const char *s, size_t n)
{
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++)
        if (!is_tchar((unsigned char)s[i])) return false;
    return true;
}
