/* hs_request: the upgrade request, default or edited field by field. */
#include "harness/hs_request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ws/ws_buf.h"
#include "ws/ws_handshake.h"
#include "ws/ws_http.h"

#define MAX_LINES   128
#define MAX_REQUEST (4u << 20)

typedef struct line {
    char *name;
    uint8_t *value;
    size_t value_len;
} line;

typedef struct lines {
    line l[MAX_LINES];
    size_t n;
} lines;

static int add_line(lines *ls, const char *name, size_t name_len, const void *v, size_t vlen)
{
    if (ls->n == MAX_LINES) return -1;
    line *l = &ls->l[ls->n];
    l->name = strndup(name, name_len);
    l->value = malloc(vlen + 1);
    if (!l->name || !l->value) {
        free(l->name);
        free(l->value);
        return -1;
    }
    memcpy(l->value, v, vlen);
    l->value_len = vlen;
    ls->n++;
    return 0;
}

static void drop_line(lines *ls, size_t i)
{
    free(ls->l[i].name);
    free(ls->l[i].value);
    memmove(&ls->l[i], &ls->l[i + 1], (ls->n - i - 1) * sizeof ls->l[0]);
    ls->n--;
}

static void free_lines(lines *ls)
{
    while (ls->n) drop_line(ls, ls->n - 1);
}

static int add_str(lines *ls, const char *name, const char *v)
{
    return add_line(ls, name, strlen(name), v, strlen(v));
}

/* Appends p with {host} {path} {key} replaced (the Host header value, the
 * URL's target, the key sent): raw requests, the `path` field and the case's header values. */
static int append_subst(ws_buf *b, const uint8_t *p, size_t n, const hs_run_opts *o,
                        const char *key)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0;) {
        const char *subst = NULL;
        size_t skip = 0;
        if (p[i] == '{') {
            if (n - i >= 6 && !memcmp(p + i, "{host}", 6))
                subst = o->url->host_header, skip = 6;
            else if (n - i >= 6 && !memcmp(p + i, "{path}", 6))
                subst = o->url->target, skip = 6;
            else if (n - i >= 5 && !memcmp(p + i, "{key}", 5))
                subst = key, skip = 5;
        }
        if (subst) {
            rc = ws_buf_append(b, subst, strlen(subst));
            i += skip;
        } else {
            rc = ws_buf_append(b, p + i, 1);
            i++;
        }
    }
    return rc;
}

/* A header value the case gives, made and with its placeholders replaced. */
static uint8_t *case_value(const hs_payload *p, const hs_run_opts *o, const char *key, size_t *len)
{
    uint8_t *v = hs_payload_make(p, len);
    if (!v || !memchr(v, '{', *len)) return v;
    ws_buf b;
    ws_buf_init(&b, MAX_REQUEST);
    /* reserved first, so b.data is ours to hand back even if all is replaced by "" */
    int rc = ws_buf_reserve(&b, *len) || append_subst(&b, v, *len, o, key);
    free(v);
    if (rc) {
        ws_buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return b.data;
}

/* Replaces the first header of that name in place, drops the others, or
 * appends when there is none. The name is written as the case spells it. */
static int set_header(lines *ls, const hs_header *h, const hs_run_opts *o, const char *key)
{
    size_t vlen;
    uint8_t *v = case_value(&h->value, o, key, &vlen);
    if (!v) return -1;
    int rc = 0;
    bool done = false;
    for (size_t i = 0; i < ls->n;) {
        if (strcasecmp(ls->l[i].name, h->name)) {
            i++;
            continue;
        }
        if (done) {
            drop_line(ls, i);
            continue;
        }
        char *name = strdup(h->name);
        if (!name) {
            rc = -1;
            break;
        }
        free(ls->l[i].name);
        free(ls->l[i].value);
        ls->l[i].name = name;
        ls->l[i].value = v;
        ls->l[i].value_len = vlen;
        v = NULL;
        done = true;
        i++;
    }
    if (!done && rc == 0) rc = add_line(ls, h->name, strlen(h->name), v, vlen);
    free(v);
    return rc;
}

static void join_values(const lines *ls, const char *name, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < ls->n; i++) {
        if (strcasecmp(ls->l[i].name, name)) continue;
        int n = snprintf(out + o, cap - o, "%s%.*s", o ? ", " : "", (int)ls->l[i].value_len,
                         (const char *)ls->l[i].value);
        if (n < 0 || (size_t)n >= cap - o) break;
        o += (size_t)n;
    }
}

static int default_lines(lines *ls, const hs_run_opts *o, const char *key)
{
    int rc = add_str(ls, "Host", o->url->host_header);
    rc |= add_str(ls, "Upgrade", "websocket");
    rc |= add_str(ls, "Connection", "Upgrade");
    rc |= add_str(ls, "Sec-WebSocket-Key", key);
    rc |= add_str(ls, "Sec-WebSocket-Version", "13");
    if (o->origin) rc |= add_str(ls, "Origin", o->origin);
    if (o->subprotocol) rc |= add_str(ls, "Sec-WebSocket-Protocol", o->subprotocol);
    for (size_t i = 0; i < o->n_headers; i++) {
        const char *colon = strchr(o->headers[i], ':');
        if (!colon) return -1;
        const char *v = colon + 1;
        while (*v == ' ' || *v == '\t') v++;
        rc |= add_line(ls, o->headers[i], (size_t)(colon - o->headers[i]), v, strlen(v));
    }
    return rc;
}

static int build_raw(const hs_handshake *h, const hs_run_opts *o, const char *key, ws_buf *b)
{
    size_t n;
    uint8_t *raw = hs_payload_make(&h->raw, &n);
    if (!raw) return -1;
    int rc = append_subst(b, raw, n, o, key);
    free(raw);
    return rc;
}

/* What a raw request offered, if it parses as HTTP, so the response can be
 * judged against it like a built one. */
static void offered_in_raw(const ws_buf *b, hs_request *out)
{
    ws_http_header hdrs[MAX_LINES];
    ws_http_head head = {.headers = hdrs, .max_headers = MAX_LINES};
    if (ws_http_parse_request((const char *)b->data, b->len, &head, MAX_REQUEST) <= 0) return;
    const char *names[] = {"Sec-WebSocket-Key", "Sec-WebSocket-Protocol",
                           "Sec-WebSocket-Extensions"};
    char *dst[] = {out->key, out->subprotocols, out->extensions};
    size_t cap[] = {sizeof out->key, sizeof out->subprotocols, sizeof out->extensions};
    for (size_t k = 0; k < 3; k++) {
        size_t o = 0;
        for (size_t i = 0; i < head.num_headers; i++) {
            if (strncasecmp(hdrs[i].name, names[k], hdrs[i].name_len) ||
                strlen(names[k]) != hdrs[i].name_len)
                continue;
            if (k == 0) o = 0; /* the key: the first one counts */
            int n = snprintf(dst[k] + o, cap[k] - o, "%s%.*s", o ? ", " : "",
                             (int)hdrs[i].value_len, hdrs[i].value);
            if (n < 0 || (size_t)n >= cap[k] - o) break;
            o += (size_t)n;
            if (k == 0) break;
        }
    }
}

int hs_request_build(const hs_handshake *h, const hs_run_opts *o, hs_request *out, char *err,
                     size_t errlen)
{
    char key[WS_KEY_LEN + 1];
    lines ls = {.n = 0};
    ws_buf b;
    memset(out, 0, sizeof *out);
    if (ws_handshake_key(key) != 0) {
        snprintf(err, errlen, "no random source for the key");
        return -1;
    }
    if (h && h->key) snprintf(key, sizeof key, "%.24s", h->key);
    ws_buf_init(&b, MAX_REQUEST);
    int rc = 0;
    if (h && h->has_raw) {
        rc = build_raw(h, o, h->key ? h->key : key, &b);
        snprintf(out->key, sizeof out->key, "%s", h->key ? h->key : key);
        if (rc == 0) offered_in_raw(&b, out);
    } else {
        rc = default_lines(&ls, o, key);
        if (h && h->key) {
            hs_header kh = {
                .name = "Sec-WebSocket-Key",
                .value = {.kind = HS_PAY_BYTES, .bytes = (uint8_t *)h->key, .len = strlen(h->key)}};
            rc |= set_header(&ls, &kh, o, key);
        }
        for (size_t i = 0; h && i < h->n_set && rc == 0; i++)
            rc = set_header(&ls, &h->set[i], o, key);
        for (size_t i = 0; h && i < h->n_omit; i++)
            for (size_t k = 0; k < ls.n;)
                if (!strcasecmp(ls.l[k].name, h->omit[i]))
                    drop_line(&ls, k);
                else
                    k++;
        for (size_t i = 0; h && i < h->n_add && rc == 0; i++) {
            size_t vlen;
            uint8_t *v = case_value(&h->add[i].value, o, key, &vlen);
            rc = v ? add_line(&ls, h->add[i].name, strlen(h->add[i].name), v, vlen) : -1;
            free(v);
        }
        const char *method = h && h->method ? h->method : "GET";
        const char *version = h && h->version ? h->version : "HTTP/1.1";
        const char *path = h && h->path ? h->path : o->url->target;
        rc |= ws_buf_append(&b, method, strlen(method));
        rc |= ws_buf_append(&b, " ", 1);
        rc |= append_subst(&b, (const uint8_t *)path, strlen(path), o, key);
        rc |= ws_buf_append(&b, " ", 1);
        rc |= ws_buf_append(&b, version, strlen(version));
        rc |= ws_buf_append(&b, "\r\n", 2);
        for (size_t i = 0; i < ls.n && rc == 0; i++) {
            rc |= ws_buf_append(&b, ls.l[i].name, strlen(ls.l[i].name));
            rc |= ws_buf_append(&b, ": ", 2);
            rc |= ws_buf_append(&b, ls.l[i].value, ls.l[i].value_len);
            rc |= ws_buf_append(&b, "\r\n", 2);
        }
        rc |= ws_buf_append(&b, "\r\n", 2);
        for (size_t i = 0; i < ls.n; i++)
            if (!strcasecmp(ls.l[i].name, "Sec-WebSocket-Key")) {
                snprintf(out->key, sizeof out->key, "%.*s", (int)ls.l[i].value_len,
                         (const char *)ls.l[i].value);
                break;
            }
        join_values(&ls, "Sec-WebSocket-Protocol", out->subprotocols, sizeof out->subprotocols);
        join_values(&ls, "Sec-WebSocket-Extensions", out->extensions, sizeof out->extensions);
    }
    free_lines(&ls);
    if (rc == 0) rc = ws_buf_append(&b, "", 1); /* NUL, not counted */
    if (rc != 0) {
        ws_buf_free(&b);
        snprintf(err, errlen, "cannot build the request (bad --header, or over 4 MiB)");
        return -1;
    }
    out->bytes = (char *)b.data;
    out->len = b.len - 1;
    return 0;
}

void hs_request_free(hs_request *r)
{
    free(r->bytes);
    r->bytes = NULL;
}
