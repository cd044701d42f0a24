/* hs_judge: an expect step's alternatives against observed events. */
#include "harness/hs_judge.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness/hs_bind.h"
#include "harness/hs_wire.h"
#include "ws/ws_ext.h"
#include "ws/ws_frame.h"

uint64_t hs_hash(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* Appends to a fixed buffer, always NUL-terminated. */
static void cat(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cat(char *out, size_t cap, const char *fmt, ...)
{
    size_t n = strlen(out);
    if (n + 1 >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out + n, cap - n, fmt, ap);
    va_end(ap);
}

static const char *op_word(int op)
{
    return op < 0 ? "data" : ws_opcode_name((uint8_t)op);
}

/* ---- matching one pattern ---- */

static bool payload_equal(const hs_payload *want, uint64_t len, uint64_t hash)
{
    if (hs_payload_size(want) != len) return false;
    size_t n;
    uint8_t *b = hs_payload_make(want, &n);
    if (!b) return false;
    bool eq = hs_hash(HS_HASH_INIT, b, n) == hash;
    free(b);
    return eq;
}

/* One item of a header value list matches `token` exactly, or as the name
 * before its parameters ("permessage-deflate; x=1" matches "permessage-deflate"). */
static bool header_has(const ws_http_head *h, const char *name, const char *token)
{
    size_t tl = strlen(token);
    for (size_t nth = 0;; nth++) {
        const ws_http_header *hd = ws_http_find(h, name, nth);
        if (!hd) return false;
        if (!strcmp(token, "*")) return true;
        const char *p = hd->value, *end = hd->value + hd->value_len;
        while (p < end) {
            const char *comma = memchr(p, ',', (size_t)(end - p));
            const char *ie = comma ? comma : end;
            while (p < ie && (*p == ' ' || *p == '\t')) p++;
            const char *te = ie;
            while (te > p && (te[-1] == ' ' || te[-1] == '\t')) te--;
            size_t il = (size_t)(te - p);
            if (il >= tl && !strncasecmp(p, token, tl) &&
                (il == tl || p[tl] == ';' || p[tl] == ' ' || p[tl] == '\t'))
                return true;
            p = comma ? comma + 1 : end;
        }
    }
}

/* Does the response's extension list satisfy m? A list that does not parse
 * satisfies nothing: the handshake check reports it. */
static bool ext_param_matches(const ws_http_head *h, const hs_ext_param_match *m)
{
    bool found = false;
    const char *value = NULL; /* NULL: the parameter has no value */
    size_t value_len = 0;
    const ws_http_header *hd;
    for (size_t k = 0; !found && (hd = ws_http_find(h, "Sec-WebSocket-Extensions", k)); k++) {
        ws_ext e[8];
        size_t n = 0;
        if (ws_ext_parse(hd->value, hd->value_len, e, 8, &n) != 0) return false;
        for (size_t i = 0; i < n && !found; i++)
            for (size_t j = 0; j < e[i].n_params && !found; j++) {
                if (!ws_ext_param_is(&e[i].params[j], m->name)) continue;
                found = true;
                value = e[i].params[j].value; /* points into the header, not into e */
                value_len = e[i].params[j].value_len;
            }
    }
    if (!strcmp(m->want, "absent")) return !found;
    if (!strcmp(m->want, "present")) return found;
    size_t wl = strlen(m->want);
    return found && value && value_len == wl && !memcmp(value, m->want, wl);
}

static bool response_matches(const hs_pattern *p, const hs_event *ev)
{
    int st = ev->head ? ev->head->status : 0;
    if (p->n_status) {
        bool ok = false;
        for (size_t i = 0; i < p->n_status; i++) ok |= p->status[i] == st;
        if (!ok) return false;
    }
    if (p->status_class && st / 100 != p->status_class) return false;
    for (size_t i = 0; i < p->n_headers; i++)
        if (!ev->head || !header_has(ev->head, p->headers[i].name, p->headers[i].token))
            return false;
    for (size_t i = 0; i < p->n_absent; i++)
        if (ev->head && ws_http_find(ev->head, p->absent[i], 0)) return false;
    for (size_t i = 0; i < p->n_ext_params; i++)
        if (!ev->head || !ext_param_matches(ev->head, &p->ext_params[i])) return false;
    return true;
}

static bool is_echo(const hs_event *ev, const hs_sent *s)
{
    return s && ev->kind == HS_EV_MESSAGE && ev->op == s->op && ev->len == s->len &&
           ev->hash == s->hash;
}

static bool pat_matches(const hs_pattern *p, const hs_event *ev, const hs_sent *next_echo)
{
    switch (p->kind) {
    case HS_PAT_ECHO:
        return is_echo(ev, next_echo);
    case HS_PAT_MESSAGE:
        if (ev->kind != HS_EV_MESSAGE) return false;
        if (p->op >= 0 && ev->op != p->op) return false;
        if (p->length >= 0 && ev->len != (uint64_t)p->length) return false;
        if (p->compressed >= 0 && ev->compressed != (p->compressed == 1)) return false;
        return !p->has_payload || payload_equal(&p->payload, ev->len, ev->hash);
    case HS_PAT_PONG:
        if (ev->kind != HS_EV_PONG) return false;
        return !p->has_payload || payload_equal(&p->payload, ev->len, ev->hash);
    case HS_PAT_CLOSE: {
        if (ev->kind != HS_EV_CLOSE) return false;
        if (p->n_codes == 0) return true;
        uint16_t code = ev->has_code ? ev->code : 1005;
        for (size_t i = 0; i < p->n_codes; i++)
            if (p->codes[i] == code) return true;
        return false;
    }
    case HS_PAT_DROP:
        return ev->kind == HS_EV_DROP;
    case HS_PAT_TOO_BIG:
        return ev->kind == HS_EV_TOO_BIG;
    case HS_PAT_RESPONSE:
        return ev->kind == HS_EV_RESPONSE && response_matches(p, ev);
    }
    return false; /* NOTHING and ANY_ORDER are handled by the caller */
}

/* ---- words ---- */

static void describe_payload(const hs_payload *pl, char *out, size_t cap)
{
    uint64_t n = hs_payload_size(pl);
    cat(out, cap, " of %llu bytes", (unsigned long long)n);
    if (n && n <= 4096) {
        size_t len;
        uint8_t *b = hs_payload_make(pl, &len);
        char esc[64];
        if (b) cat(out, cap, " \"%s\"", hs_escape(b, len < 24 ? len : 24, esc, sizeof esc));
        if (b && len > 24) cat(out, cap, "...");
        free(b);
    }
}

void hs_describe_pattern(const hs_pattern *p, const hs_sent *echo_of, char *out, size_t cap)
{
    out[0] = 0;
    switch (p->kind) {
    case HS_PAT_ECHO:
        if (echo_of)
            cat(out, cap, "echo of %s message of %llu bytes", op_word(echo_of->op),
                (unsigned long long)echo_of->len);
        else
            cat(out, cap, "echo (but nothing is left to echo)");
        return;
    case HS_PAT_MESSAGE:
        cat(out, cap, "%s message", op_word(p->op));
        if (p->has_payload)
            describe_payload(&p->payload, out, cap);
        else if (p->length >= 0)
            cat(out, cap, " of %lld bytes", (long long)p->length);
        if (p->compressed >= 0) cat(out, cap, p->compressed ? " (compressed)" : " (uncompressed)");
        return;
    case HS_PAT_PONG:
        cat(out, cap, "pong");
        if (p->has_payload) describe_payload(&p->payload, out, cap);
        return;
    case HS_PAT_CLOSE:
        if (p->n_codes == 0) {
            cat(out, cap, "close (any code)");
            return;
        }
        cat(out, cap, "close");
        for (size_t i = 0; i < p->n_codes; i++) {
            if (p->codes[i] == 1005)
                cat(out, cap, "%s without code", i ? " or" : "");
            else
                cat(out, cap, "%s %u", i ? " or" : "", p->codes[i]);
        }
        return;
    case HS_PAT_DROP:
        cat(out, cap, "TCP drop");
        return;
    case HS_PAT_TOO_BIG:
        cat(out, cap, "message over max_message");
        return;
    case HS_PAT_NOTHING:
        cat(out, cap, "nothing for %lld ms", (long long)p->ms);
        return;
    case HS_PAT_ANY_ORDER:
        cat(out, cap, "in any order: ");
        for (size_t i = 0; i < p->n_children; i++) {
            char sub[160];
            hs_describe_pattern(&p->children[i], echo_of, sub, sizeof sub);
            cat(out, cap, "%s%s", i ? ", " : "", sub);
        }
        return;
    case HS_PAT_RESPONSE:
        if (p->status_class)
            cat(out, cap, "status %dxx", p->status_class);
        else if (p->n_status == 0)
            cat(out, cap, "any status");
        for (size_t i = 0; i < p->n_status; i++)
            cat(out, cap, "%s%d", i ? " or " : "status ", p->status[i]);
        for (size_t i = 0; i < p->n_headers; i++)
            cat(out, cap, " with %s: %s", p->headers[i].name, p->headers[i].token);
        for (size_t i = 0; i < p->n_absent; i++) cat(out, cap, " without %s", p->absent[i]);
        for (size_t i = 0; i < p->n_ext_params; i++) {
            const hs_ext_param_match *m = &p->ext_params[i];
            if (!strcmp(m->want, "absent") || !strcmp(m->want, "present"))
                cat(out, cap, " with extension parameter %s %s", m->name, m->want);
            else
                cat(out, cap, " with extension parameter %s=%s", m->name, m->want);
        }
        return;
    }
}

void hs_describe_event(const hs_event *ev, const hs_sent *echo_of, char *out, size_t cap)
{
    char esc[HS_PREVIEW * 4 + 8];
    out[0] = 0;
    switch (ev->kind) {
    case HS_EV_MESSAGE:
        if (is_echo(ev, echo_of)) {
            cat(out, cap, "echo of %llu bytes", (unsigned long long)ev->len);
            return;
        }
        cat(out, cap, "%s message of %llu bytes", op_word(ev->op), (unsigned long long)ev->len);
        if (ev->preview_len)
            cat(out, cap, " \"%s\"%s", hs_escape(ev->preview, ev->preview_len, esc, sizeof esc),
                ev->len > ev->preview_len ? "..." : "");
        if (ev->compressed) cat(out, cap, " (compressed)");
        return;
    case HS_EV_PONG:
        cat(out, cap, "pong of %llu bytes", (unsigned long long)ev->len);
        if (ev->preview_len)
            cat(out, cap, " \"%s\"", hs_escape(ev->preview, ev->preview_len, esc, sizeof esc));
        return;
    case HS_EV_CLOSE:
        if (!ev->has_code) {
            cat(out, cap, "close without code");
            return;
        }
        cat(out, cap, "close %u", ev->code);
        if (ev->preview_len)
            cat(out, cap, " \"%s\"", hs_escape(ev->preview, ev->preview_len, esc, sizeof esc));
        return;
    case HS_EV_DROP:
        cat(out, cap, "TCP drop without close frame");
        return;
    case HS_EV_TOO_BIG:
        cat(out, cap, "%s message over max_message (%llu bytes when it passed; the rest discarded)",
            op_word(ev->op), (unsigned long long)ev->len);
        return;
    case HS_EV_RESPONSE:
        cat(out, cap, "status %d", ev->head ? ev->head->status : 0);
        return;
    }
}

/* An echo pattern in a list: "echo", or "N echoes" for {"echo": N}. */
static void echo_word(const hs_pattern *p, char *out, size_t cap)
{
    if (p->count > 1)
        snprintf(out, cap, "%llu echoes", (unsigned long long)p->count);
    else
        snprintf(out, cap, "echo");
}

static void describe_alt_pending(const hs_alt *a, const hs_alt_state *st, const hs_match *m,
                                 char *out, size_t cap)
{
    const hs_pattern *p = &a->items[st->pos < a->n_items ? st->pos : a->n_items - 1];
    const hs_sent *next = st->echoes < m->n_sent ? &m->sent[st->echoes] : NULL;
    if (p->kind == HS_PAT_ANY_ORDER && st->group_done) {
        out[0] = 0;
        cat(out, cap, "in any order (still): ");
        for (size_t i = 0; i < p->n_children; i++) {
            if (st->group_done & (1ull << i)) continue;
            char sub[160];
            hs_describe_pattern(&p->children[i], next, sub, sizeof sub);
            cat(out, cap, "%s, ", sub);
        }
        size_t n = strlen(out);
        if (n >= 2) out[n - 2] = 0;
        return;
    }
    hs_describe_pattern(p, next, out, cap);
    if (p->kind == HS_PAT_ECHO && p->count > 1)
        cat(out, cap, " (%llu of %llu)", (unsigned long long)st->reps + 1,
            (unsigned long long)p->count);
}

void hs_describe_expect(const hs_expect *e, char *out, size_t cap)
{
    out[0] = 0;
    if (e->n_alts > 1) cat(out, cap, "one of: ");
    for (size_t a = 0; a < e->n_alts; a++) {
        const hs_alt *alt = &e->alts[a];
        cat(out, cap, "%s[", a ? " | " : "");
        for (size_t i = 0; i < alt->n_items; i++) {
            char sub[200];
            hs_describe_pattern(&alt->items[i], NULL, sub, sizeof sub);
            if (alt->items[i].kind == HS_PAT_ECHO) echo_word(&alt->items[i], sub, sizeof sub);
            cat(out, cap, "%s%s", i ? ", " : "", sub);
        }
        cat(out, cap, "]");
        if (e->n_alts > 1) cat(out, cap, " -> %s", hs_verdict_name(alt->verdict));
    }
}

/* ---- the step ---- */

int hs_match_init(hs_match *m, const hs_expect *e, const hs_sent *sent, size_t n_sent)
{
    memset(m, 0, sizeof *m);
    m->e = e;
    m->sent = sent;
    m->n_sent = n_sent;
    m->alt = -1;
    m->st = calloc(e->n_alts ? e->n_alts : 1, sizeof *m->st);
    if (!m->st) return -1;
    for (size_t i = 0; i < e->n_alts; i++) {
        m->st[i].close_code = -1;
        m->st[i].bytes = -1;
        m->st[i].last_ms = -1;
    }
    return 0;
}

/* ---- placeholders in `why` ---- */

static const char *const why_names[] = {"close_code", "bytes", "elapsed_ms", NULL};

/* The placeholder at p ("{name}"): its index in why_names, -1 for an unknown
 * name, -2 if p does not start one. *len is its length. */
static int why_placeholder(const char *p, size_t *len)
{
    if (p[0] != '{') return -2;
    const char *end = strchr(p, '}');
    if (!end) return -2;
    *len = (size_t)(end - p) + 1;
    for (int i = 0; why_names[i]; i++)
        if (strlen(why_names[i]) == *len - 2 && !strncmp(p + 1, why_names[i], *len - 2)) return i;
    return -1;
}

bool hs_why_check(const char *why, char *bad, size_t cap)
{
    for (const char *p = why; *p; p++) {
        size_t len;
        if (why_placeholder(p, &len) != -1) continue;
        /* bound before the case runs (hs_bind), not a figure */
        if (len == strlen(HS_BIND_SUBPROTOCOL) && !strncmp(p, HS_BIND_SUBPROTOCOL, len)) continue;
        snprintf(bad, cap, "%.*s", (int)len, p);
        return false;
    }
    return true;
}

void hs_why_format(const char *why, const hs_alt_state *st, int64_t start_ms, char *out, size_t cap)
{
    out[0] = 0;
    for (const char *p = why; *p;) {
        size_t len;
        int k = why_placeholder(p, &len);
        if (k < 0) {
            cat(out, cap, "%c", *p++);
            continue;
        }
        int64_t v = k == 0 ? st->close_code : k == 1 ? st->bytes : st->last_ms;
        if (k == 2 && v >= 0) v = v - start_ms < 0 ? 0 : v - start_ms;
        if (v < 0)
            cat(out, cap, "?");
        else
            cat(out, cap, "%lld", (long long)v);
        p += len;
    }
}

void hs_match_free(hs_match *m)
{
    free(m->st);
    m->st = NULL;
}

int64_t hs_expect_window(const hs_expect *e)
{
    int64_t w = -1;
    for (size_t a = 0; a < e->n_alts; a++)
        if (e->alts[a].items[0].kind == HS_PAT_NOTHING && e->alts[a].items[0].ms > w)
            w = e->alts[a].items[0].ms;
    return w;
}

static void decide(hs_match *m, int alt)
{
    const hs_alt *a = &m->e->alts[alt];
    m->decided = true;
    m->alt = alt;
    m->verdict = a->verdict;
    m->echoes = m->st[alt].echoes;
    m->stop = a->stop;
    m->reason[0] = 0;
    if (a->why) {
        hs_why_format(a->why, &m->st[alt], m->start_ms, m->reason, sizeof m->reason);
    } else if (a->verdict != HS_OK || m->e->n_alts > 1) {
        cat(m->reason, sizeof m->reason, "got ");
        for (size_t i = 0; i < a->n_items; i++) {
            char sub[200];
            hs_describe_pattern(&a->items[i], NULL, sub, sizeof sub);
            if (a->items[i].kind == HS_PAT_ECHO) echo_word(&a->items[i], sub, sizeof sub);
            cat(m->reason, sizeof m->reason, "%s%s", i ? ", " : "", sub);
        }
    }
}

static void decide_otherwise(hs_match *m, const char *prefix, const char *suffix)
{
    m->decided = true;
    m->alt = -1;
    m->verdict = m->e->otherwise;
    m->echoes = 0;
    m->stop = false;
    m->reason[0] = 0;
    cat(m->reason, sizeof m->reason, "%s", prefix);
    bool first = true, any_alive = false;
    for (size_t a = 0; a < m->e->n_alts; a++) any_alive |= !m->st[a].dead;
    for (size_t a = 0; a < m->e->n_alts; a++) {
        char sub[200];
        if (any_alive && m->st[a].dead) continue;
        describe_alt_pending(&m->e->alts[a], &m->st[a], m, sub, sizeof sub);
        if (strstr(m->reason, sub)) continue; /* two alternatives waiting for the same */
        cat(m->reason, sizeof m->reason, "%s%s", first ? "" : " or ", sub);
        first = false;
    }
    cat(m->reason, sizeof m->reason, "%s", suffix);
}

static void record(hs_alt_state *st, const hs_event *ev)
{
    st->last_ms = ev->t_ms;
    if (ev->kind == HS_EV_CLOSE) st->close_code = ev->has_code ? ev->code : 1005;
    if (ev->kind == HS_EV_MESSAGE || ev->kind == HS_EV_PONG || ev->kind == HS_EV_TOO_BIG)
        st->bytes = (int64_t)ev->len;
}

static bool feed_alt(hs_match *m, size_t i, const hs_event *ev)
{
    const hs_alt *a = &m->e->alts[i];
    hs_alt_state *st = &m->st[i];
    const hs_pattern *p = &a->items[st->pos];
    const hs_sent *next = st->echoes < m->n_sent ? &m->sent[st->echoes] : NULL;
    if (p->kind == HS_PAT_NOTHING) return false;
    if (p->kind != HS_PAT_ANY_ORDER) {
        if (!pat_matches(p, ev, next)) return false;
        record(st, ev);
        st->echoes += p->kind == HS_PAT_ECHO;
        /* a counted echo stays the next item until its N echoes came */
        if (p->kind == HS_PAT_ECHO && p->count > 1 && ++st->reps < p->count) return true;
        st->reps = 0;
        st->pos++;
        return true;
    }
    for (size_t c = 0; c < p->n_children; c++) {
        if (st->group_done & (1ull << c)) continue;
        if (!pat_matches(&p->children[c], ev, next)) continue;
        st->group_done |= 1ull << c;
        record(st, ev);
        st->echoes += p->children[c].kind == HS_PAT_ECHO;
        if (st->group_done == (p->n_children == 64 ? ~0ull : (1ull << p->n_children) - 1)) {
            st->group_done = 0;
            st->pos++;
        }
        return true;
    }
    return false;
}

bool hs_match_feed(hs_match *m, const hs_event *ev)
{
    if (m->decided) return true;
    m->n_events++;
    bool alive = false;
    for (size_t i = 0; i < m->e->n_alts; i++) {
        if (m->st[i].dead) continue;
        if (!feed_alt(m, i, ev))
            m->st[i].dead = true;
        else
            alive = true;
    }
    for (size_t i = 0; i < m->e->n_alts; i++)
        if (!m->st[i].dead && m->st[i].pos == m->e->alts[i].n_items) {
            decide(m, (int)i);
            return true;
        }
    if (!alive) {
        char got[256], suffix[300];
        const hs_sent *next = m->st[0].echoes < m->n_sent ? &m->sent[m->st[0].echoes] : NULL;
        hs_describe_event(ev, next, got, sizeof got);
        snprintf(suffix, sizeof suffix, ", got %s", got);
        decide_otherwise(m, "expected ", suffix);
        return true;
    }
    return false;
}

void hs_match_timeout(hs_match *m, int64_t waited_ms)
{
    if (m->decided) return;
    if (m->n_events == 0)
        for (size_t i = 0; i < m->e->n_alts; i++)
            if (m->e->alts[i].items[0].kind == HS_PAT_NOTHING) {
                m->st[i].last_ms = m->start_ms + waited_ms;
                decide(m, (int)i);
                return;
            }
    char prefix[96];
    snprintf(prefix, sizeof prefix, "timed out after %lld ms waiting for ", (long long)waited_ms);
    /* Alternatives that already dropped out are not what we waited for. */
    bool any_alive = false;
    for (size_t i = 0; i < m->e->n_alts; i++)
        any_alive |= !m->st[i].dead && m->e->alts[i].items[m->st[i].pos].kind != HS_PAT_NOTHING;
    if (any_alive)
        for (size_t i = 0; i < m->e->n_alts; i++)
            if (m->e->alts[i].items[m->st[i].pos].kind == HS_PAT_NOTHING) m->st[i].dead = true;
    decide_otherwise(m, prefix, "");
}

void hs_match_ended(hs_match *m)
{
    if (m->decided) return;
    decide_otherwise(m, "expected ", ", but the connection was closed");
}
