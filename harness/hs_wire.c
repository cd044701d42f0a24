/* hs_wire: bounded wire log and escaping. */
#include "harness/hs_wire.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "ws/ws_frame.h"
#include "ws/ws_utf8.h"

void hs_wire_init(hs_wire *w, int64_t t0_ns)
{
    memset(w, 0, sizeof *w);
    w->t0_ns = t0_ns;
}

void hs_wire_free(hs_wire *w)
{
    for (size_t i = 0; i < w->n; i++) free(w->e[i].note);
    free(w->e);
    free(w->request);
    free(w->response);
    memset(w, 0, sizeof *w);
}

static hs_wire_entry *push(hs_wire *w, char dir, int kind)
{
    if (w->n >= HS_WIRE_MAX_ENTRIES) {
        w->dropped++;
        return NULL;
    }
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 32;
        hs_wire_entry *n = realloc(w->e, cap * sizeof *n);
        if (!n) {
            w->dropped++;
            return NULL;
        }
        w->e = n;
        w->cap = cap;
    }
    hs_wire_entry *e = &w->e[w->n++];
    memset(e, 0, sizeof *e);
    e->t_us = (net_now_ns() - w->t0_ns) / 1000;
    e->dir = dir;
    e->kind = kind;
    return e;
}

void hs_wire_frame(hs_wire *w, char dir, bool fin, uint8_t rsv, uint8_t opcode, bool masked,
                   uint64_t len, const uint8_t *payload, size_t avail)
{
    hs_wire_entry *e = push(w, dir, HS_WIRE_FRAME);
    if (!e) return;
    e->fin = fin;
    e->rsv = rsv;
    e->opcode = opcode;
    e->masked = masked;
    e->len = len;
    e->head_len = (uint8_t)(avail < HS_WIRE_HEAD ? avail : HS_WIRE_HEAD);
    if (e->head_len) memcpy(e->head, payload, e->head_len);
}

void hs_wire_bytes(hs_wire *w, char dir, const uint8_t *p, size_t n)
{
    hs_wire_entry *e = push(w, dir, HS_WIRE_BYTES);
    if (!e) return;
    e->len = n;
    e->head_len = (uint8_t)(n < HS_WIRE_HEAD ? n : HS_WIRE_HEAD);
    if (e->head_len) memcpy(e->head, p, e->head_len);
}

void hs_wire_note(hs_wire *w, const char *fmt, ...)
{
    hs_wire_entry *e = push(w, '*', HS_WIRE_NOTE);
    if (!e) return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    e->note = strdup(buf);
}

static void keep_raw(char **dst, size_t *dlen, bool *cut, const char *p, size_t n)
{
    free(*dst);
    *cut = n > HS_WIRE_MAX_RAW;
    if (*cut) n = HS_WIRE_MAX_RAW;
    *dst = malloc(n + 1);
    if (!*dst) {
        *dlen = 0;
        return;
    }
    memcpy(*dst, p, n);
    (*dst)[n] = 0;
    *dlen = n;
}

void hs_wire_request(hs_wire *w, const char *p, size_t n)
{
    keep_raw(&w->request, &w->request_len, &w->request_cut, p, n);
}

void hs_wire_response(hs_wire *w, const char *p, size_t n)
{
    keep_raw(&w->response, &w->response_len, &w->response_cut, p, n);
}

/* Length of the valid UTF-8 sequence at p (n bytes left); 0 when the bytes
 * there are not one (the validator in ws/ decides). */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    size_t len = c < 0x80                 ? 1
                 : c >= 0xc2 && c <= 0xdf ? 2
                 : c >= 0xe0 && c <= 0xef ? 3
                 : c >= 0xf0 && c <= 0xf4 ? 4
                                          : 0;
    if (len == 0 || len > n) return 0;
    return len == 1 || ws_utf8_valid(p, len) ? len : 0;
}

/* Characters a terminal must not receive as they are, beyond C0 and DEL. */
static bool term_unsafe(const uint8_t *p, size_t len)
{
    if (len == 2) return p[0] == 0xc2 && p[1] < 0xa0; /* C1 controls */
    if (len != 3 || p[0] != 0xe2) return false;
    return (p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae) ||
           (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9);
}

/* The escaped form of one character (len bytes at p, len 0: an invalid byte)
 * into tmp; returns its length. */
static size_t escape_one(int mode, const uint8_t *p, size_t len, char *tmp, size_t cap)
{
    if (len == 0) return (size_t)snprintf(tmp, cap, "\\x%02x", p[0]);
    if (mode == HS_ESC_JSON) {
        if (len == 1 && p[0] == 0) return (size_t)snprintf(tmp, cap, "\\x00");
        memcpy(tmp, p, len);
        return len;
    }
    if (len > 1) {
        if (!term_unsafe(p, len)) {
            memcpy(tmp, p, len);
            return len;
        }
        size_t o = 0;
        for (size_t i = 0; i < len; i++) o += (size_t)snprintf(tmp + o, cap - o, "\\x%02x", p[i]);
        return o;
    }
    uint8_t c = p[0];
    if (c == '\\' || c == '"') return (size_t)snprintf(tmp, cap, "\\%c", c);
    if (c == '\n') return (size_t)snprintf(tmp, cap, "\\n");
    if (c == '\r') return (size_t)snprintf(tmp, cap, "\\r");
    if (c == '\t') return (size_t)snprintf(tmp, cap, "\\t");
    if (c >= 0x20 && c < 0x7f) {
        tmp[0] = (char)c;
        return 1;
    }
    return (size_t)snprintf(tmp, cap, "\\x%02x", c);
}

char *hs_escape_as(int mode, const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    if (cap == 0) return out;
    for (size_t i = 0; i < n;) {
        char tmp[16];
        size_t len = utf8_seq(p + i, n - i);
        size_t tl = escape_one(mode, p + i, len, tmp, sizeof tmp);
        if (o + tl + 4 > cap) {
            if (o + 4 <= cap) memcpy(out + o, "...", 3), o += 3;
            break;
        }
        memcpy(out + o, tmp, tl);
        o += tl;
        i += len ? len : 1;
    }
    out[o] = 0;
    return out;
}

char *hs_escape(const uint8_t *p, size_t n, char *out, size_t cap)
{
    return hs_escape_as(HS_ESC_TERM, p, n, out, cap);
}

char *hs_escape_dup(int mode, const uint8_t *p, size_t n)
{
    /* at most 4 output bytes per input byte, and room for the "..." check */
    size_t cap = n * 4 + 4;
    char *out = malloc(cap);
    return out ? hs_escape_as(mode, p, n, out, cap) : NULL;
}

char *hs_hex(const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    if (cap == 0) return out;
    for (size_t i = 0; i < n && o + 4 <= cap; i++) {
        snprintf(out + o, cap - o, i ? " %02x" : "%02x", p[i]);
        o += i ? 3 : 2;
    }
    out[o < cap ? o : cap - 1] = 0;
    return out;
}

void hs_wire_entry_text(const hs_wire_entry *e, char *out, size_t cap)
{
    char esc[HS_WIRE_HEAD * 4 + 8];
    if (e->kind == HS_WIRE_NOTE) {
        snprintf(out, cap, "%s", e->note ? e->note : "");
        return;
    }
    hs_escape(e->head, e->head_len, esc, sizeof esc);
    const char *more = e->len > e->head_len ? "..." : "";
    if (e->kind == HS_WIRE_BYTES) {
        snprintf(out, cap, "raw %llu bytes \"%s\"%s", (unsigned long long)e->len, esc, more);
        return;
    }
    snprintf(out, cap, "%s fin=%d rsv=%d mask=%d len=%llu \"%s\"%s", ws_opcode_name(e->opcode),
             e->fin, e->rsv, e->masked, (unsigned long long)e->len, esc, more);
}

void hs_wire_print(const hs_wire *w, FILE *out, const char *indent)
{
    for (size_t i = 0; i < w->n; i++) {
        char line[256];
        hs_wire_entry_text(&w->e[i], line, sizeof line);
        fprintf(out, "%s%+9.3fms %c %s\n", indent, (double)w->e[i].t_us / 1000.0, w->e[i].dir,
                line);
    }
    if (w->dropped)
        fprintf(out, "%s(wire log truncated: %zu more entries not kept)\n", indent, w->dropped);
}
