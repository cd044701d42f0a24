/* hs_ld_payload: payload fields -> hs_payload. */
#include "harness/hs_ld_payload.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/hs_corpus.h"

static int set_bytes(hs_payload *p, const void *b, size_t n)
{
    p->kind = HS_PAY_BYTES;
    p->bytes = malloc(n ? n : 1);
    if (!p->bytes) return -1;
    if (n) memcpy(p->bytes, b, n);
    p->len = n;
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

int hs_ld_hex(hs_ld *l, const char *s, hs_payload *p, const char *where)
{
    size_t n = strlen(s);
    uint8_t *b = malloc(n / 2 + 1);
    size_t len = 0;
    int hi = -1;
    if (!b) return hs_ld_fail(l, where, "out of memory");
    for (; *s; s++) {
        if (isspace((unsigned char)*s) || *s == ':') continue;
        int v = hexval((unsigned char)*s);
        if (v < 0) {
            free(b);
            return hs_ld_fail(l, where, "not a hex digit: '%c'", *s);
        }
        if (hi < 0) {
            hi = v;
        } else {
            b[len++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0) {
        free(b);
        return hs_ld_fail(l, where, "odd number of hex digits");
    }
    p->kind = HS_PAY_BYTES;
    p->bytes = b;
    p->len = len;
    return 0;
}

/* Naive (generalised) UTF-8: also encodes surrogates and values past
 * U+10FFFF, which is exactly what invalid-sequence cases need. */
static size_t encode_cp(uint32_t c, uint8_t *o)
{
    if (c < 0x80) {
        o[0] = (uint8_t)c;
        return 1;
    }
    int n = c < 0x800 ? 2 : c < 0x10000 ? 3 : c < 0x200000 ? 4 : c < 0x4000000 ? 5 : 6;
    static const uint8_t lead[7] = {0, 0, 0xC0, 0xE0, 0xF0, 0xF8, 0xFC};
    for (int i = n - 1; i > 0; i--) {
        o[i] = (uint8_t)(0x80 | (c & 0x3F));
        c >>= 6;
    }
    o[0] = (uint8_t)(lead[n] | c);
    return (size_t)n;
}

static int parse_repeat(hs_ld *l, const cJSON *r, hs_payload *p, const char *where)
{
    static const char *const keys[] = {"byte", "text", "count", NULL};
    char w[256];
    snprintf(w, sizeof w, "%s.repeat", where);
    if (hs_ld_check_keys(l, r, keys, w)) return -1;
    const cJSON *byte = cJSON_GetObjectItemCaseSensitive(r, "byte");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(r, "text");
    const cJSON *count = cJSON_GetObjectItemCaseSensitive(r, "count");
    if (!count) return hs_ld_fail(l, w, "needs 'count'");
    if (!!byte == !!text) return hs_ld_fail(l, w, "needs exactly one of 'byte' or 'text'");
    uint8_t one;
    if (byte) {
        uint64_t v;
        if (cJSON_IsString(byte) && strlen(byte->valuestring) == 1) {
            one = (uint8_t)byte->valuestring[0];
        } else if (!cJSON_IsString(byte) || strlen(byte->valuestring) > 1) {
            if (hs_ld_u64(l, byte, 255, &v, w)) return -1;
            one = (uint8_t)v;
        } else {
            return hs_ld_fail(l, w, "'byte' must be one character or a number 0..255");
        }
        if (set_bytes(p, &one, 1)) return hs_ld_fail(l, w, "out of memory");
    } else {
        if (!cJSON_IsString(text)) return hs_ld_fail(l, w, "'text' must be a string");
        if (set_bytes(p, text->valuestring, strlen(text->valuestring)))
            return hs_ld_fail(l, w, "out of memory");
    }
    p->kind = HS_PAY_REPEAT;
    if (hs_ld_u64(l, count, HS_LD_MAX_PAYLOAD, &p->count, w)) return -1;
    if ((uint64_t)p->len * p->count > HS_LD_MAX_PAYLOAD)
        return hs_ld_fail(l, w, "payload over 1 GiB");
    return 0;
}

/* The "seed" (optional) and "size" of a generated payload. */
static int parse_seed_size(hs_ld *l, const cJSON *v, hs_payload *p, const char *w)
{
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(v, "seed");
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(v, "size");
    if (!size) return hs_ld_fail(l, w, "needs 'size'");
    if (seed && hs_ld_u64(l, seed, UINT64_MAX >> 11, &p->seed, w)) return -1;
    return hs_ld_u64(l, size, HS_LD_MAX_PAYLOAD, &p->size, w);
}

static int parse_corpus(hs_ld *l, const cJSON *v, hs_payload *p, const char *w)
{
    static const char *const keys[] = {"kind", "seed", "size", "offset", NULL};
    if (hs_ld_check_keys(l, v, keys, w)) return -1;
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(v, "kind");
    const cJSON *offset = cJSON_GetObjectItemCaseSensitive(v, "offset");
    if (!cJSON_IsString(kind))
        return hs_ld_fail(l, w, "needs 'kind', one of %s", hs_corpus_kind_list());
    p->corpus = hs_corpus_kind_parse(kind->valuestring);
    if (p->corpus < 0)
        return hs_ld_fail(l, w, "unknown kind '%s' (one of %s)", kind->valuestring,
                          hs_corpus_kind_list());
    p->kind = HS_PAY_CORPUS;
    if (parse_seed_size(l, v, p, w)) return -1;
    if (offset && hs_ld_u64(l, offset, HS_LD_MAX_PAYLOAD, &p->offset, w)) return -1;
    /* the document up to the slice is generated too */
    if (p->offset + p->size > HS_LD_MAX_PAYLOAD)
        return hs_ld_fail(l, w, "offset + size over 1 GiB");
    return 0;
}

int hs_ld_payload(hs_ld *l, const cJSON *j, hs_payload *p, const char *where)
{
    memset(p, 0, sizeof *p);
    if (!j || cJSON_IsNull(j)) return set_bytes(p, "", 0);
    if (cJSON_IsString(j)) return set_bytes(p, j->valuestring, strlen(j->valuestring));
    if (!cJSON_IsObject(j) || !j->child || j->child->next)
        return hs_ld_fail(l, where,
                          "a payload is a string or an object with one of text, hex, repeat, "
                          "random, corpus, codepoints, concat");
    const cJSON *v = j->child;
    const char *k = v->string;
    char w[256];
    snprintf(w, sizeof w, "%s.%s", where, k);
    if (!strcmp(k, "text")) {
        if (!cJSON_IsString(v)) return hs_ld_fail(l, w, "must be a string");
        return set_bytes(p, v->valuestring, strlen(v->valuestring));
    }
    if (!strcmp(k, "hex")) {
        if (!cJSON_IsString(v)) return hs_ld_fail(l, w, "must be a string");
        return hs_ld_hex(l, v->valuestring, p, w);
    }
    if (!strcmp(k, "repeat")) return parse_repeat(l, v, p, where);
    if (!strcmp(k, "random")) {
        static const char *const keys[] = {"seed", "size", NULL};
        if (hs_ld_check_keys(l, v, keys, w)) return -1;
        p->kind = HS_PAY_RANDOM;
        return parse_seed_size(l, v, p, w);
    }
    if (!strcmp(k, "corpus")) return parse_corpus(l, v, p, w);
    if (!strcmp(k, "codepoints")) {
        if (!cJSON_IsArray(v)) return hs_ld_fail(l, w, "must be a list of numbers");
        size_t n = (size_t)cJSON_GetArraySize(v);
        uint8_t *b = malloc(n * 6 + 1);
        size_t len = 0;
        if (!b) return hs_ld_fail(l, w, "out of memory");
        for (const cJSON *c = v->child; c; c = c->next) {
            uint64_t cp;
            if (hs_ld_u64(l, c, 0x7FFFFFFF, &cp, w)) {
                free(b);
                return -1;
            }
            len += encode_cp((uint32_t)cp, b + len);
        }
        p->kind = HS_PAY_BYTES;
        p->bytes = b;
        p->len = len;
        return 0;
    }
    if (!strcmp(k, "concat")) {
        if (!cJSON_IsArray(v)) return hs_ld_fail(l, w, "must be a list of payloads");
        size_t n = (size_t)cJSON_GetArraySize(v);
        p->kind = HS_PAY_CONCAT;
        p->parts = calloc(n ? n : 1, sizeof *p->parts);
        if (!p->parts) return hs_ld_fail(l, w, "out of memory");
        size_t i = 0;
        for (const cJSON *c = v->child; c; c = c->next, i++) {
            char wi[300];
            snprintf(wi, sizeof wi, "%s[%zu]", w, i);
            p->n_parts = i + 1;
            if (hs_ld_payload(l, c, &p->parts[i], wi)) return -1;
        }
        if (hs_payload_size(p) > HS_LD_MAX_PAYLOAD) return hs_ld_fail(l, w, "payload over 1 GiB");
        return 0;
    }
    return hs_ld_fail(l, where, "unknown payload form '%s'", k);
}
