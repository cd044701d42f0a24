/* hs_wire: bounded wire log and escaping. */
#include "harness/hs_wire.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "reports/rp_escape.h"
#include "reports/rp_str.h"
#include "ws/ws_frame.h"

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

/* The escaped form of the character (or invalid byte) at p into tmp; sets
 * *tl to its length and returns the input bytes it took. */
static size_t escape_one(int mode, const uint8_t *p, size_t n, char tmp[RP_TERM_CHAR_MAX],
                         size_t *tl)
{
    if (mode == HS_ESC_TERM) return rp_term_char(p, n, RP_TERM_QUOTED, tmp, tl);
    uint32_t cp;
    size_t len = rp_utf8_next(p, n, &cp);
    if (len == 0 || cp == 0) {
        *tl = (size_t)snprintf(tmp, RP_TERM_CHAR_MAX, "\\x%02x", p[0]);
        return 1;
    }
    memcpy(tmp, p, len);
    *tl = len;
    return len;
}

char *hs_escape_as(int mode, const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    if (cap == 0) return out;
    for (size_t i = 0; i < n;) {
        char tmp[RP_TERM_CHAR_MAX];
        size_t tl;
        size_t len = escape_one(mode, p + i, n - i, tmp, &tl);
        if (o + tl + 4 > cap) {
            if (o + 4 <= cap) memcpy(out + o, "...", 3), o += 3;
            break;
        }
        memcpy(out + o, tmp, tl);
        o += tl;
        i += len;
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
    if (cap == 0) return out;
    /* "xx" per byte with a space between, and " \u2026" (4 bytes) when cut */
    size_t max = n * 3 <= cap ? n : (cap >= 4 ? (cap - 4) / 3 : 0);
    rp_str s = {0};
    rp_hex(&s, p, n, max);
    size_t k = s.p && !s.oom && s.n < cap ? s.n : 0;
    if (k) memcpy(out, s.p, k);
    out[k] = 0;
    rp_str_free(&s);
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
