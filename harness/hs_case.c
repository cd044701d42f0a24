/* hs_case: verdict names, payload generation and freeing of case data. */
#include "harness/hs_case.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness/hs_corpus.h"

static const char *const verdict_names[HS_VERDICT_COUNT] = {
    "OK", "INFORMATIONAL", "NON-STRICT", "UNIMPLEMENTED", "FAILED",
};

const char *hs_verdict_name(int v)
{
    if (v < 0 || v >= HS_VERDICT_COUNT) return "?";
    return verdict_names[v];
}

int hs_verdict_parse(const char *s)
{
    for (int i = 0; i < HS_VERDICT_COUNT; i++)
        if (!strcasecmp(s, verdict_names[i])) return i;
    if (!strcasecmp(s, "NON_STRICT") || !strcasecmp(s, "NONSTRICT")) return HS_NON_STRICT;
    return -1;
}

uint64_t hs_payload_size(const hs_payload *p)
{
    switch (p->kind) {
    case HS_PAY_BYTES:
        return p->len;
    case HS_PAY_REPEAT:
        return (uint64_t)p->len * p->count;
    case HS_PAY_RANDOM:
    case HS_PAY_CORPUS:
        return p->size;
    case HS_PAY_CONCAT: {
        uint64_t n = 0;
        for (size_t i = 0; i < p->n_parts; i++) n += hs_payload_size(&p->parts[i]);
        return n;
    }
    }
    return 0;
}

/* xorshift64*: the documented generator behind {"random": ...}, so a seed
 * gives the same bytes on every machine. */
static void fill_random(uint64_t seed, uint64_t size, uint8_t *out)
{
    uint64_t x = seed ? seed : 0x9E3779B97F4A7C15ull;
    for (uint64_t i = 0; i < size; i += 8) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        uint64_t r = x * 0x2545F4914F6CDD1Dull;
        for (int k = 0; k < 8 && i + k < size; k++) out[i + k] = (uint8_t)(r >> (8 * k));
    }
}

int hs_payload_fill(const hs_payload *p, uint8_t *out)
{
    switch (p->kind) {
    case HS_PAY_BYTES:
        if (p->len) memcpy(out, p->bytes, p->len);
        return 0;
    case HS_PAY_REPEAT:
        for (uint64_t i = 0; i < p->count; i++) memcpy(out + i * p->len, p->bytes, p->len);
        return 0;
    case HS_PAY_RANDOM:
        fill_random(p->seed, p->size, out);
        return 0;
    case HS_PAY_CORPUS:
        return hs_corpus_fill(p->corpus, p->seed, p->offset, p->size, out);
    case HS_PAY_CONCAT:
        for (size_t i = 0; i < p->n_parts; i++) {
            if (hs_payload_fill(&p->parts[i], out) != 0) return -1;
            out += hs_payload_size(&p->parts[i]);
        }
        return 0;
    }
    return 0;
}

uint8_t *hs_payload_make(const hs_payload *p, size_t *len)
{
    uint64_t n = hs_payload_size(p);
    *len = (size_t)n;
    uint8_t *b = malloc(n ? n : 1);
    if (b && hs_payload_fill(p, b) != 0) {
        free(b);
        return NULL;
    }
    return b;
}

size_t hs_bytes_count(const uint8_t *p, size_t n, const char *name)
{
    size_t k = 0, nl = strlen(name);
    for (size_t i = 0; i + nl <= n;)
        if (!memcmp(p + i, name, nl))
            k++, i += nl;
        else
            i++;
    return k;
}

uint8_t *hs_bytes_subst(const uint8_t *p, size_t n, const char *name, const char *value,
                        size_t *out_n)
{
    size_t nl = strlen(name), vl = strlen(value);
    size_t k = hs_bytes_count(p, n, name);
    uint8_t *out = malloc(n - k * nl + k * vl + 1);
    if (!out) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (i + nl <= n && !memcmp(p + i, name, nl)) {
            memcpy(out + o, value, vl);
            o += vl;
            i += nl;
        } else {
            out[o++] = p[i++];
        }
    }
    out[o] = 0;
    *out_n = o;
    return out;
}

void hs_payload_free(hs_payload *p)
{
    free(p->bytes);
    for (size_t i = 0; i < p->n_parts; i++) hs_payload_free(&p->parts[i]);
    free(p->parts);
    memset(p, 0, sizeof *p);
}

static void pattern_free(hs_pattern *p)
{
    hs_payload_free(&p->payload);
    for (size_t i = 0; i < p->n_children; i++) pattern_free(&p->children[i]);
    free(p->children);
    for (size_t i = 0; i < p->n_headers; i++) {
        free(p->headers[i].name);
        free(p->headers[i].token);
    }
    free(p->headers);
    for (size_t i = 0; i < p->n_absent; i++) free(p->absent[i]);
    free(p->absent);
    for (size_t i = 0; i < p->n_ext_params; i++) {
        free(p->ext_params[i].name);
        free(p->ext_params[i].want);
    }
    free(p->ext_params);
}

static void send_free(hs_send *s)
{
    hs_payload_free(&s->payload);
}

static void headers_free(hs_header *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(h[i].name);
        hs_payload_free(&h[i].value);
    }
    free(h);
}

static void handshake_free(hs_handshake *h)
{
    free(h->method);
    free(h->path);
    free(h->version);
    free(h->key);
    headers_free(h->set, h->n_set);
    headers_free(h->add, h->n_add);
    for (size_t i = 0; i < h->n_omit; i++) free(h->omit[i]);
    free(h->omit);
    hs_payload_free(&h->raw);
    for (size_t i = 0; i < h->n_early; i++) send_free(&h->early[i]);
    free(h->early);
}

void hs_step_free(hs_step *s)
{
    handshake_free(&s->hs);
    send_free(&s->send);
    hs_payload_free(&s->raw);
    for (size_t i = 0; i < s->expect.n_alts; i++) {
        hs_alt *a = &s->expect.alts[i];
        for (size_t k = 0; k < a->n_items; k++) pattern_free(&a->items[k]);
        free(a->items);
        free(a->why);
    }
    free(s->expect.alts);
    for (size_t i = 0; i < s->n_steps; i++) hs_step_free(&s->steps[i]);
    free(s->steps);
}

bool hs_case_has_tag(const hs_case *c, const char *tag)
{
    for (size_t i = 0; i < c->n_tags; i++)
        if (!strcmp(c->tags[i], tag)) return true;
    return false;
}

static void case_free(hs_case *c)
{
    free(c->id);
    free(c->title);
    free(c->rfc);
    free(c->section);
    free(c->section_title);
    free(c->file);
    for (size_t i = 0; i < c->n_tags; i++) free(c->tags[i]);
    free(c->tags);
    for (size_t i = 0; i < c->n_steps; i++) hs_step_free(&c->steps[i]);
    free(c->steps);
}

void hs_catalogue_free(hs_catalogue *cat)
{
    for (size_t i = 0; i < cat->n; i++) case_free(&cat->cases[i]);
    free(cat->cases);
    memset(cat, 0, sizeof *cat);
}
