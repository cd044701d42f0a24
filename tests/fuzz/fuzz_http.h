/* fuzz_http: properties of a parsed HTTP head (ws_http), shared by the
 * handshake fuzz targets.
 *
 * A parsed head must point only into the bytes it claims, hold only what the
 * grammar allows, and be found at the same place whatever prefix came first:
 * a shorter prefix says "need more" (or the same error), never something else. */
#ifndef FUZZ_HTTP_H
#define FUZZ_HTTP_H

#include <stdbool.h>
#include <string.h>

#include "tests/fuzz/fuzz_util.h"
#include "ws/ws_http.h"

#define FUZZ_MAX_HEADERS 64

typedef long (*fuzz_http_parser)(const char *, size_t, ws_http_head *, size_t);

static inline bool fuzz_inside(const char *s, size_t n, const char *buf, long r)
{
    return n == 0 || (s >= buf && s + n <= buf + r);
}

static inline void fuzz_check_head(const char *buf, size_t len, const ws_http_head *h, long r,
                                   size_t max_bytes, bool request)
{
    FUZZ_CHECK(r > 0 && (size_t)r <= len && (size_t)r <= max_bytes);
    FUZZ_CHECK(buf[r - 1] == '\n');
    FUZZ_CHECK(h->num_headers <= h->max_headers);
    if (request) {
        FUZZ_CHECK(h->method_len > 0 && fuzz_inside(h->method, h->method_len, buf, r));
        FUZZ_CHECK(ws_http_is_token(h->method, h->method_len));
        FUZZ_CHECK(h->target_len > 0 && fuzz_inside(h->target, h->target_len, buf, r));
        for (size_t i = 0; i < h->target_len; i++) FUZZ_CHECK((unsigned char)h->target[i] > ' ');
    } else {
        FUZZ_CHECK(h->status >= 0 && h->status <= 999); /* 3DIGIT: "011" parses */
        FUZZ_CHECK(fuzz_inside(h->reason, h->reason_len, buf, r));
    }
    for (size_t i = 0; i < h->num_headers; i++) {
        const ws_http_header *x = &h->headers[i];
        FUZZ_CHECK(fuzz_inside(x->name, x->name_len, buf, r));
        FUZZ_CHECK(ws_http_is_token(x->name, x->name_len));
        FUZZ_CHECK(fuzz_inside(x->value, x->value_len, buf, r));
        if (x->value_len) {
            FUZZ_CHECK(x->value[0] != ' ' && x->value[0] != '\t');
            FUZZ_CHECK(x->value[x->value_len - 1] != ' ' && x->value[x->value_len - 1] != '\t');
        }
        for (size_t k = 0; k < x->value_len; k++) {
            unsigned char c = (unsigned char)x->value[k];
            FUZZ_CHECK(c == '\t' || (c >= 0x20 && c != 0x7F));
        }
        /* Look-up finds this header (or an earlier one of the same name). */
        char name[256];
        if (x->name_len < sizeof name) {
            memcpy(name, x->name, x->name_len);
            name[x->name_len] = 0;
            FUZZ_CHECK(ws_http_find(h, name, 0) != NULL && ws_http_count(h, name) >= 1);
        }
    }
}

/* Prefixes of the input (max_headers <= FUZZ_MAX_HEADERS): all of them for short inputs, a spread
 * otherwise. */
static inline void fuzz_check_prefixes(fuzz_http_parser parse, const char *buf, size_t len,
                                       long whole, size_t max_bytes, size_t max_headers)
{
    size_t upto = whole > 0 ? (size_t)whole : len;
    size_t step = upto <= 256 ? 1 : upto / 64;
    ws_http_header hs[FUZZ_MAX_HEADERS];
    for (size_t k = 0; k < upto; k += step) {
        if (k > max_bytes) break;
        ws_http_head h = {.headers = hs, .max_headers = max_headers};
        /* Exactly k bytes, so reading one past the prefix is an ASan error. */
        char *copy = malloc(k ? k : 1);
        FUZZ_CHECK(copy != NULL);
        memcpy(copy, buf, k);
        long r = parse(copy, k, &h, max_bytes);
        free(copy);
        FUZZ_CHECK(r == WS_HTTP_NEED_MORE ||
                   (whole < 0 && whole != WS_HTTP_E_TOO_LARGE && r == whole));
    }
}

/* The limits a target reads from its first input byte. */
static const size_t fuzz_max_bytes_choice[] = {0, 16, 64, 256, 1024, 0, 0, 0};

/* Parses the rest of the input as a head with limits picked by b0, checks
 * every property of the result and of its prefixes, and returns the head's
 * length, or 0 when the input is not one whole, valid head. h->headers must
 * hold FUZZ_MAX_HEADERS entries. */
static inline long fuzz_parse_head(fuzz_http_parser parse, uint8_t b0, const char *buf, size_t len,
                                   ws_http_head *h, bool request)
{
    size_t max_bytes = fuzz_max_bytes_choice[b0 & 7];
    h->max_headers = (b0 & 0x80) ? 1 + ((b0 >> 3) & 15) : FUZZ_MAX_HEADERS;
    long r = parse(buf, len, h, max_bytes);
    size_t limit = max_bytes ? max_bytes : 16384;
    fuzz_check_prefixes(parse, buf, len, r, limit, h->max_headers);
    FUZZ_CHECK(ws_http_strerror(r) != NULL);
    if (r <= 0) {
        FUZZ_CHECK(r == WS_HTTP_NEED_MORE || r == WS_HTTP_E_SYNTAX ||
                   r == WS_HTTP_E_TOO_MANY_HEADERS || r == WS_HTTP_E_TOO_LARGE);
        if (r == WS_HTTP_E_TOO_LARGE) FUZZ_CHECK(len > limit);
        return 0;
    }
    fuzz_check_head(buf, len, h, r, limit, request);
    return r;
}

#endif
