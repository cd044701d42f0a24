/* ws_handshake: the opening handshake (RFC 6455 §4), both roles.
 *
 * Server-side choices, where the RFC leaves room:
 *  - a method other than GET gets 405 with "Allow: GET" (RFC 9110 §15.5.6),
 *    which says more than the 400 RFC 6455 §4.2.2 offers as an example;
 *  - HTTP/1.0 gets 400 (an upgrade needs HTTP/1.1); a major version above 1
 *    gets 505;
 *  - a missing or repeated Sec-WebSocket-Version makes the request malformed
 *    (400), a single one naming another version gets 426; both carry
 *    "Sec-WebSocket-Version: 13" so the client learns what we speak;
 *  - a malformed Sec-WebSocket-Extensions header gets 400, while well-formed
 *    but unknown extensions are simply not accepted;
 *  - the subprotocol is the first of OUR preferences that the client offered
 *    (compared exactly: subprotocol names are case-sensitive). */
#include "ws_handshake.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ws_ext.h"

#define WS_GUID  "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define MAX_EXTS 16

int ws_handshake_key(char key[WS_KEY_LEN + 1])
{
    unsigned char raw[16];
    if (RAND_bytes(raw, sizeof raw) != 1) return -1;
    EVP_EncodeBlock((unsigned char *)key, raw, sizeof raw);
    return 0;
}

void ws_handshake_accept(const char *key, size_t key_len, char out[WS_ACCEPT_LEN + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    out[0] = '\0';
    if (ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
        EVP_DigestUpdate(ctx, key, key_len) == 1 &&
        EVP_DigestUpdate(ctx, WS_GUID, sizeof WS_GUID - 1) == 1 &&
        EVP_DigestFinal_ex(ctx, md, &md_len) == 1 && md_len == 20)
        EVP_EncodeBlock((unsigned char *)out, md, (int)md_len);
    EVP_MD_CTX_free(ctx);
}

/* An output buffer that remembers whether anything failed to fit. */
typedef struct writer {
    char *buf;
    size_t cap;
    size_t len;
    bool ok;
} writer;

static void put(writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(writer *w, const char *fmt, ...)
{
    if (!w->ok) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(w->buf + w->len, w->cap - w->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= w->cap - w->len) {
        w->ok = false;
        return;
    }
    w->len += (size_t)n;
}

static size_t finish(writer *w)
{
    if (w->ok) return w->len;
    if (w->cap) w->buf[0] = '\0';
    return 0;
}

/* A header value must not smuggle in a line end. */
static bool one_line(const char *s)
{
    return s == NULL || strpbrk(s, "\r\n") == NULL;
}

size_t ws_handshake_client_request(char *out, size_t cap, const ws_url *u, const char *key,
                                   const ws_client_hs_opts *o)
{
    writer w = {out, cap, 0, cap > 0};
    bool lines_ok = one_line(u->target) && one_line(u->host_header) && one_line(key) &&
                    one_line(o->origin) && one_line(o->subprotocols);
    for (size_t i = 0; i < o->n_extra_headers; i++) lines_ok &= one_line(o->extra_headers[i]);
    if (!lines_ok) w.ok = false;

    put(&w, "GET %s HTTP/1.1\r\nHost: %s\r\n", u->target, u->host_header);
    put(&w, "Upgrade: websocket\r\nConnection: Upgrade\r\n");
    put(&w, "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n", key);
    if (o->origin) put(&w, "Origin: %s\r\n", o->origin);
    if (o->subprotocols && *o->subprotocols)
        put(&w, "Sec-WebSocket-Protocol: %s\r\n", o->subprotocols);
    if (o->deflate) {
        char offer[256];
        if (ws_pmd_format(offer, sizeof offer, &o->deflate_offer) == 0) w.ok = false;
        put(&w, "Sec-WebSocket-Extensions: %s\r\n", offer);
    }
    for (size_t i = 0; i < o->n_extra_headers; i++) put(&w, "%s\r\n", o->extra_headers[i]);
    put(&w, "\r\n");
    return finish(&w);
}

/* A peer-supplied string made safe to quote in a message: printable ASCII
 * only, cut short with "..." if long. */
static const char *show(char *dst, size_t cap, const char *s, size_t n)
{
    size_t keep = n < cap - 1 ? n : cap - 4, i;
    for (i = 0; i < keep; i++) dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (keep < n) memcpy(dst + i, "...", 3), i += 3;
    dst[i] = '\0';
    return dst;
}

/* Is `item` exactly one of the elements of a comma-separated list? */
static bool list_has_exact(const char *list, size_t list_len, const char *item, size_t n)
{
    const char *v = list, *end = list + list_len, *el;
    size_t el_n;
    while (ws_http_list_next(&v, end, &el, &el_n))
        if (el_n == n && memcmp(el, item, n) == 0) return true;
    return false;
}

static int fail(ws_client_hs_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(ws_client_hs_result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
    return -1;
}

static int check_accept(const ws_http_head *resp, const char *key, ws_client_hs_result *r)
{
    char expected[WS_ACCEPT_LEN + 1], got[64];
    size_t n = ws_http_count(resp, "Sec-WebSocket-Accept");
    if (n == 0) return fail(r, "response has no Sec-WebSocket-Accept header");
    if (n > 1) return fail(r, "response has %zu Sec-WebSocket-Accept headers, expected one", n);
    const ws_http_header *f = ws_http_find(resp, "Sec-WebSocket-Accept", 0);
    ws_handshake_accept(key, strlen(key), expected);
    if (f->value_len != WS_ACCEPT_LEN || memcmp(f->value, expected, WS_ACCEPT_LEN) != 0)
        return fail(r, "Sec-WebSocket-Accept is '%s', expected '%s'",
                    show(got, sizeof got, f->value, f->value_len), expected);
    return 0;
}

static int check_subprotocol(const ws_http_head *resp, const ws_client_hs_opts *o,
                             ws_client_hs_result *r)
{
    char got[64];
    size_t n = ws_http_count(resp, "Sec-WebSocket-Protocol");
    if (n == 0) return 0;
    if (n > 1) return fail(r, "response has %zu Sec-WebSocket-Protocol headers", n);
    const ws_http_header *f = ws_http_find(resp, "Sec-WebSocket-Protocol", 0);
    show(got, sizeof got, f->value, f->value_len);
    const char *offered = o->subprotocols ? o->subprotocols : "";
    if (!*offered) return fail(r, "server selected subprotocol '%s' but none was offered", got);
    if (f->value_len == 0 || memchr(f->value, ',', f->value_len))
        return fail(r, "Sec-WebSocket-Protocol '%s' is not a single subprotocol", got);
    if (!list_has_exact(offered, strlen(offered), f->value, f->value_len))
        return fail(r, "server selected subprotocol '%s', which was not offered", got);
    if (f->value_len >= sizeof r->subprotocol) return fail(r, "subprotocol '%s' is too long", got);
    memcpy(r->subprotocol, f->value, f->value_len);
    r->subprotocol[f->value_len] = '\0';
    return 0;
}

/* Collects every Sec-WebSocket-Extensions header of a head. 0, or -1. */
static int parse_extensions(const ws_http_head *h, ws_ext *exts, size_t *n)
{
    *n = 0;
    for (size_t i = 0; i < h->num_headers; i++) {
        const ws_http_header *f = &h->headers[i];
        if (f->name_len != 24 || strncasecmp(f->name, "Sec-WebSocket-Extensions", 24) != 0)
            continue;
        if (ws_ext_parse(f->value, f->value_len, exts, MAX_EXTS, n) != 0) return -1;
    }
    return 0;
}

static int check_extensions(const ws_http_head *resp, const ws_client_hs_opts *o,
                            ws_client_hs_result *r)
{
    ws_ext exts[MAX_EXTS];
    size_t n;
    char name[64];
    if (parse_extensions(resp, exts, &n) != 0)
        return fail(r, "response has a malformed Sec-WebSocket-Extensions header");
    for (size_t i = 0; i < n; i++) {
        show(name, sizeof name, exts[i].name, exts[i].name_len);
        if (!ws_ext_name_is(&exts[i], "permessage-deflate") || !o->deflate)
            return fail(r, "server accepted extension '%s', which was not offered", name);
        if (r->deflate) return fail(r, "server accepted permessage-deflate twice");
        const char *err = "bad parameters";
        if (ws_pmd_client_check(&o->deflate_offer, &exts[i], &r->pmd, &err) != 0)
            return fail(r, "permessage-deflate response refused: %s", err);
        r->deflate = true;
    }
    return 0;
}

int ws_handshake_client_check(const ws_http_head *resp, const char *key, const ws_client_hs_opts *o,
                              ws_client_hs_result *r)
{
    char reason[64];
    memset(r, 0, sizeof *r);
    if (resp->status != 101)
        return fail(
            r, "server answered %d %s, expected 101 Switching Protocols", resp->status,
            show(reason, sizeof reason, resp->reason ? resp->reason : "", resp->reason_len));
    if (resp->version_major != 1 || resp->version_minor < 1)
        return fail(r, "101 response is HTTP/%d.%d, expected HTTP/1.1", resp->version_major,
                    resp->version_minor);
    if (!ws_http_has_token(resp, "Upgrade", "websocket"))
        return fail(r, "response has no 'Upgrade: websocket'");
    if (!ws_http_has_token(resp, "Connection", "upgrade"))
        return fail(r, "response has no 'Connection: Upgrade'");
    if (check_accept(resp, key, r) != 0) return -1;
    if (check_subprotocol(resp, o, r) != 0) return -1;
    return check_extensions(resp, o, r);
}

/* ---- server side ---- */

/* A judgement on a request: the status, and for errors the reason and one
 * extra header line the response must carry. */
typedef struct verdict {
    int status;
    const char *error;
    const char *extra; /* "Name: value" or NULL */
} verdict;

static int refuse(verdict *v, int status, const char *error, const char *extra)
{
    v->status = status;
    v->error = error;
    v->extra = extra;
    return status;
}

/* 24 base64 characters that decode to exactly 16 bytes: 22 of the alphabet
 * and "==". Non-canonical trailing bits are tolerated, like common decoders. */
static bool key_is_valid(const ws_http_header *f)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (f->value_len != WS_KEY_LEN) return false;
    for (size_t i = 0; i < 22; i++)
        if (!memchr(alphabet, f->value[i], sizeof alphabet - 1)) return false;
    return f->value[22] == '=' && f->value[23] == '=';
}

/* origin-form ("/path?query") or absolute-form ("ws://host/path"). */
static bool target_is_valid(const ws_http_head *req)
{
    const char *t = req->target;
    size_t n = req->target_len;
    if (n > 0 && t[0] == '/') return true;
    static const char *const schemes[] = {"http://", "https://", "ws://", "wss://"};
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        size_t sn = strlen(schemes[i]);
        if (n > sn && strncasecmp(t, schemes[i], sn) == 0) return true;
    }
    return false;
}

static int judge_request(const ws_http_head *req, verdict *v)
{
    if (req->method_len != 3 || memcmp(req->method, "GET", 3) != 0)
        return refuse(v, 405, "method must be GET", "Allow: GET");
    if (req->version_major > 1)
        return refuse(v, 505, "HTTP version not supported, use HTTP/1.1", NULL);
    if (req->version_major < 1 || req->version_minor < 1)
        return refuse(v, 400, "WebSocket upgrade needs HTTP/1.1", NULL);
    if (!target_is_valid(req))
        return refuse(v, 400, "request target must be a path or an absolute URI", NULL);
    size_t hosts = ws_http_count(req, "Host");
    if (hosts == 0) return refuse(v, 400, "missing Host header", NULL);
    if (hosts > 1) return refuse(v, 400, "more than one Host header", NULL);
    if (!ws_http_has_token(req, "Upgrade", "websocket"))
        return refuse(v, 400, "Upgrade header must contain 'websocket'", NULL);
    if (!ws_http_has_token(req, "Connection", "upgrade"))
        return refuse(v, 400, "Connection header must contain 'Upgrade'", NULL);
    size_t keys = ws_http_count(req, "Sec-WebSocket-Key");
    if (keys == 0) return refuse(v, 400, "missing Sec-WebSocket-Key header", NULL);
    if (keys > 1) return refuse(v, 400, "more than one Sec-WebSocket-Key header", NULL);
    if (!key_is_valid(ws_http_find(req, "Sec-WebSocket-Key", 0)))
        return refuse(v, 400, "Sec-WebSocket-Key must be base64 of 16 bytes", NULL);
    static const char version_hdr[] = "Sec-WebSocket-Version: 13";
    size_t versions = ws_http_count(req, "Sec-WebSocket-Version");
    if (versions == 0) return refuse(v, 400, "missing Sec-WebSocket-Version header", version_hdr);
    if (versions > 1)
        return refuse(v, 400, "more than one Sec-WebSocket-Version header", version_hdr);
    const ws_http_header *ver = ws_http_find(req, "Sec-WebSocket-Version", 0);
    if (ver->value_len != 2 || memcmp(ver->value, "13", 2) != 0)
        return refuse(v, 426, "unsupported Sec-WebSocket-Version, this server speaks 13",
                      version_hdr);
    return refuse(v, 101, NULL, NULL);
}

/* The first of our subprotocols that the client offered, in any of its
 * Sec-WebSocket-Protocol headers. */
static void choose_subprotocol(const ws_http_head *req, const ws_server_hs_opts *o,
                               ws_server_hs_result *r)
{
    for (size_t i = 0; i < o->n_subprotocols; i++) {
        const char *want = o->subprotocols[i];
        size_t wn = strlen(want);
        if (wn == 0 || wn >= sizeof r->subprotocol) continue;
        const ws_http_header *f;
        for (size_t k = 0; (f = ws_http_find(req, "Sec-WebSocket-Protocol", k)); k++) {
            if (list_has_exact(f->value, f->value_len, want, wn)) {
                memcpy(r->subprotocol, want, wn + 1);
                return;
            }
        }
    }
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 101:
        return "Switching Protocols";
    case 400:
        return "Bad Request";
    case 405:
        return "Method Not Allowed";
    case 426:
        return "Upgrade Required";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Error";
    }
}

static size_t write_refusal(const verdict *v, const ws_server_hs_opts *o, char *out, size_t cap)
{
    writer w = {out, cap, 0, cap > 0 && one_line(o->server_name)};
    put(&w, "HTTP/1.1 %d %s\r\n", v->status, reason_phrase(v->status));
    if (v->status == 426) put(&w, "Upgrade: websocket\r\n"); /* RFC 9110 §15.5.22 */
    if (v->extra) put(&w, "%s\r\n", v->extra);
    if (o->server_name) put(&w, "Server: %s\r\n", o->server_name);
    put(&w, "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n",
        strlen(v->error) + 1);
    put(&w, "Connection: close\r\n\r\n%s\n", v->error);
    return finish(&w);
}

static size_t write_switch(const ws_http_head *req, const ws_server_hs_opts *o,
                           const ws_server_hs_result *r, char *out, size_t cap)
{
    writer w = {out, cap, 0, cap > 0 && one_line(o->server_name)};
    const ws_http_header *key = ws_http_find(req, "Sec-WebSocket-Key", 0);
    char accept[WS_ACCEPT_LEN + 1];
    ws_handshake_accept(key->value, key->value_len, accept);
    put(&w, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n");
    put(&w, "Sec-WebSocket-Accept: %s\r\n", accept);
    if (r->subprotocol[0]) put(&w, "Sec-WebSocket-Protocol: %s\r\n", r->subprotocol);
    if (r->deflate) {
        char ext[256];
        if (ws_pmd_format(ext, sizeof ext, &r->pmd) == 0) w.ok = false;
        put(&w, "Sec-WebSocket-Extensions: %s\r\n", ext);
    }
    if (o->server_name) put(&w, "Server: %s\r\n", o->server_name);
    put(&w, "\r\n");
    return finish(&w);
}

size_t ws_handshake_server_respond(const ws_http_head *req, const ws_server_hs_opts *o, char *out,
                                   size_t cap, ws_server_hs_result *r)
{
    verdict v;
    ws_ext offers[MAX_EXTS];
    size_t n_offers = 0;
    memset(r, 0, sizeof *r);
    if (judge_request(req, &v) == 101 && parse_extensions(req, offers, &n_offers) != 0)
        refuse(&v, 400, "malformed Sec-WebSocket-Extensions header (or over 16 extensions)", NULL);
    r->status = v.status;
    r->error = v.error;
    if (v.status != 101) return write_refusal(&v, o, out, cap);
    choose_subprotocol(req, o, r);
    if (o->deflate && ws_pmd_server_negotiate(offers, n_offers, &o->deflate_cfg, &r->pmd) == 1)
        r->deflate = true;
    return write_switch(req, o, r, out, cap);
}
