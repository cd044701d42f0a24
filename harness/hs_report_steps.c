/* hs_report_steps: a case's steps in words (see hs_report_steps.h). */
#include "harness/hs_report_steps.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "harness/hs_corpus.h"
#include "harness/hs_judge.h"
#include "reports/rp_escape.h"
#include "ws/ws_frame.h"

/* Payload bytes shown before "...": a frame's, and a header's or raw
 * handshake's (longer, they are read as text). */
#define PREVIEW_FRAME 32
#define PREVIEW_TEXT  96

typedef struct walker {
    hs_step_lines *out;
    size_t total; /* lines the case has, kept or not */
} walker;

typedef struct line {
    char s[HS_STEPS_LINE_MAX];
} line;

/* Appends to l, always NUL-terminated; what does not fit is cut. */
static void add(line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(line *l, const char *fmt, ...)
{
    size_t n = strlen(l->s);
    if (n + 1 >= sizeof l->s) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->s + n, sizeof l->s - n, fmt, ap);
    va_end(ap);
}

static void emit(walker *w, int depth, const line *l)
{
    w->total++;
    if (w->out->n == HS_STEPS_MAX_LINES) return;
    char *dst = w->out->line[w->out->n++];
    /* two spaces per level of repeat, cut at the line's bound */
    size_t k = (size_t)(depth > 8 ? 8 : depth) * 2, n = strlen(l->s);
    if (n > HS_STEPS_LINE_MAX - 1 - k) n = HS_STEPS_LINE_MAX - 1 - k;
    memset(dst, ' ', k);
    memcpy(dst + k, l->s, n);
    dst[k + n] = 0;
    if (k + n < HS_STEPS_LINE_MAX - 1) return;
    /* cut: say so, from the start of a character (a UTF-8 sequence cut in
     * two would reach report.json as \xNN escapes) */
    size_t c = k + n - 3;
    while (c > k && ((unsigned char)dst[c] & 0xC0) == 0x80) c--;
    memcpy(dst + c, "...", 4);
}

/* The first bytes of a payload, without building the rest of it (random and
 * corpus payloads have no preview: their bytes mean nothing to a reader, and
 * a corpus slice would have to be generated). Returns how many were written
 * to out; fewer than the payload's size and cap means the preview ends
 * there. */
static size_t head_bytes(const hs_payload *p, uint8_t *out, size_t cap)
{
    size_t n = 0;
    switch (p->kind) {
    case HS_PAY_BYTES:
        n = p->len < cap ? p->len : cap;
        if (n) memcpy(out, p->bytes, n);
        return n;
    case HS_PAY_REPEAT:
        for (uint64_t k = 0; k < p->count && n < cap && p->len; k++) {
            size_t take = p->len < cap - n ? p->len : cap - n;
            memcpy(out + n, p->bytes, take);
            n += take;
        }
        return n;
    case HS_PAY_CONCAT:
        for (size_t i = 0; i < p->n_parts && n < cap; i++) {
            size_t got = head_bytes(&p->parts[i], out + n, cap - n);
            n += got;
            if (got < hs_payload_size(&p->parts[i])) break; /* no bytes after a gap */
        }
        return n;
    case HS_PAY_RANDOM:
    case HS_PAY_CORPUS:
        return 0;
    }
    return 0;
}

/* Case-file bytes as one line of text: controls (\r \n included) and
 * invalid UTF-8 escaped the terminal's way (reports/rp_escape.h). */
static void add_text(line *l, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        char c[RP_TERM_CHAR_MAX];
        size_t cl;
        i += rp_term_char(p + i, n - i, 0, c, &cl);
        add(l, "%.*s", (int)cl, c);
    }
}

/* " 'Hello' (5 bytes)", " 'aaaa...' (1000 bytes)", " (1048576 random bytes, seed 7)". */
static void add_payload(line *l, const hs_payload *p, size_t preview)
{
    uint64_t size = hs_payload_size(p);
    uint8_t head[PREVIEW_TEXT];
    size_t n = head_bytes(p, head, preview < sizeof head ? preview : sizeof head);
    if (size == 0) {
        add(l, " (empty)");
        return;
    }
    if (n) {
        add(l, " '");
        add_text(l, head, n);
        add(l, "%s'", size > n ? "..." : "");
    }
    if (p->kind == HS_PAY_RANDOM)
        add(l, " (%llu random bytes, seed %llu)", (unsigned long long)size,
            (unsigned long long)p->seed);
    else if (p->kind == HS_PAY_CORPUS)
        add(l, " (%llu bytes of the %s document, seed %llu, from byte %llu)",
            (unsigned long long)size, hs_corpus_kind_name(p->corpus), (unsigned long long)p->seed,
            (unsigned long long)p->offset);
    else
        add(l, " (%llu byte%s)", (unsigned long long)size, size == 1 ? "" : "s");
}

static void add_chop(line *l, uint32_t chop, uint32_t delay_ms)
{
    if (chop) add(l, ", written %u byte%s at a time", chop, chop == 1 ? "" : "s");
    if (delay_ms) add(l, ", delay %u ms", delay_ms);
}

static void describe_send(line *l, const hs_send *s)
{
    add(l, "send %s fin=%d rsv=%u", ws_opcode_name(s->opcode), s->fin ? 1 : 0,
        s->rsv_given ? s->rsv : (s->compress ? 4u : 0u));
    add_payload(l, &s->payload, PREVIEW_FRAME);
    if (s->mask_mode == HS_MASK_NONE)
        add(l, ", unmasked");
    else if (s->mask_mode == HS_MASK_KEY)
        add(l, ", mask key %02x%02x%02x%02x", s->key[0], s->key[1], s->key[2], s->key[3]);
    if (s->declare_len) add(l, ", length field says %llu", (unsigned long long)s->declared_len);
    if (s->len_form) add(l, ", %d-bit length form", s->len_form);
    if (s->compress) add(l, ", compressed");
    if (s->fragment) {
        add(l, ", in fragments of %llu bytes", (unsigned long long)s->fragment);
        if (s->cont_rsv_given) add(l, " (continuations rsv=%u)", s->cont_rsv);
    }
    if (s->count > 1) add(l, ", %u times", s->count);
    add_chop(l, s->chop, s->delay_ms);
}

static void describe_headers(line *l, const char *what, const hs_header *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        add(l, ", %s %s:", what, h[i].name);
        add_payload(l, &h[i].value, PREVIEW_TEXT);
    }
}

static void walk(walker *w, const hs_step *steps, size_t n, int depth);

static void describe_handshake(walker *w, const hs_handshake *h, int depth)
{
    line l = {{0}};
    if (h->has_raw) {
        add(&l, "opening handshake, raw bytes");
        add_payload(&l, &h->raw, PREVIEW_TEXT);
    } else {
        add(&l, "opening handshake: %s %s %s", h->method ? h->method : "GET",
            h->path ? h->path : "(the URL's path)", h->version ? h->version : "HTTP/1.1");
        if (h->key) add(&l, ", key %s", h->key);
        describe_headers(&l, "set", h->set, h->n_set);
        for (size_t i = 0; i < h->n_omit; i++) add(&l, ", omit %s", h->omit[i]);
        describe_headers(&l, "add", h->add, h->n_add);
    }
    add_chop(&l, h->chop, h->delay_ms);
    emit(w, depth, &l);
    for (size_t i = 0; i < h->n_early; i++) {
        line e = {{0}};
        add(&e, "right after the request, before the response: ");
        describe_send(&e, &h->early[i]);
        emit(w, depth + 1, &e);
    }
}

static void describe_close(line *l, const hs_step *st)
{
    if (st->close_code < 0) {
        add(l, "send close without a code");
        return;
    }
    add(l, "send close %d", st->close_code);
    if (hs_payload_size(&st->raw)) {
        add(l, " reason");
        add_payload(l, &st->raw, PREVIEW_FRAME);
    }
}

static void describe_expect(line *l, const hs_expect *e)
{
    char text[HS_STEPS_LINE_MAX];
    hs_describe_expect(e, text, sizeof text);
    add(l, "expect: %s", text);
    if (e->within_ms) add(l, " within %lld ms", (long long)e->within_ms);
}

static void walk(walker *w, const hs_step *steps, size_t n, int depth)
{
    for (size_t i = 0; i < n; i++) {
        const hs_step *st = &steps[i];
        line l = {{0}};
        switch (st->kind) {
        case HS_STEP_HANDSHAKE:
            describe_handshake(w, &st->hs, depth);
            continue;
        case HS_STEP_SEND:
            describe_send(&l, &st->send);
            break;
        case HS_STEP_RAW:
            add(&l, "send raw bytes");
            add_payload(&l, &st->raw, PREVIEW_FRAME);
            add_chop(&l, st->chop, st->delay_ms);
            break;
        case HS_STEP_CLOSE:
            describe_close(&l, st);
            break;
        case HS_STEP_SLEEP:
            add(&l, "wait %lld ms (reading)", (long long)st->sleep_ms);
            break;
        case HS_STEP_SHUTDOWN:
            add(&l, "shut down the TCP write side (half-close)");
            break;
        case HS_STEP_EXPECT:
            describe_expect(&l, &st->expect);
            break;
        case HS_STEP_REPEAT:
            add(&l, "repeat %u time%s:", st->repeat, st->repeat == 1 ? "" : "s");
            emit(w, depth, &l);
            walk(w, st->steps, st->n_steps, depth + 1);
            continue;
        }
        emit(w, depth, &l);
    }
}

void hs_report_steps(const hs_case *c, hs_step_lines *out)
{
    walker w = {out, 0};
    out->n = 0;
    walk(&w, c->steps, c->n_steps, 0);
    if (w.total > out->n)
        snprintf(out->line[out->n - 1], HS_STEPS_LINE_MAX, "... and %zu more steps",
                 w.total - out->n + 1);
}
