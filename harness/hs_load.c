/* hs_load: the case files (cases/NN-name.json) -> hs_catalogue, with family expansion and errors
 * that name the file, the case and the field. The format is cases/README.md. */
#include "harness/hs_load.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/hs_judge.h"
#include "ws/ws_frame.h"
#include "util/util_file.h"

/* Field paths in error messages are cut to fit their buffers on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define MAX_EXPANSION 100000
#define MAX_COUNT     10000000ull
#define MAX_PAYLOAD   (1ull << 30)

/* Where we are, for error messages. */
typedef struct ld {
    const char *file;
    const char *case_id;
    char *err;
    size_t errlen;
    int depth; /* nested repeat steps */
} ld;

static int fail(ld *l, const char *where, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (l->case_id)
        snprintf(l->err, l->errlen, "%s: case %s: %s: %s", l->file, l->case_id, where, msg);
    else
        snprintf(l->err, l->errlen, "%s: %s: %s", l->file, where, msg);
    return -1;
}

static int check_keys(ld *l, const cJSON *o, const char *const *allowed, const char *where)
{
    if (!cJSON_IsObject(o)) return fail(l, where, "must be an object");
    for (const cJSON *k = o->child; k; k = k->next) {
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++)
            if (!strcmp(k->string, allowed[i])) ok = true;
        if (!ok) return fail(l, where, "unknown field '%s'", k->string);
    }
    return 0;
}

/* Non-negative integer from a number or a string of digits (families turn
 * "{size}" into numbers, but a hand-written "16" is fine too). */
static int get_u64(ld *l, const cJSON *j, uint64_t max, uint64_t *out, const char *where)
{
    if (cJSON_IsNumber(j)) {
        double d = j->valuedouble;
        if (d < 0 || d != floor(d) || d > (double)max)
            return fail(l, where, "must be an integer 0..%llu", (unsigned long long)max);
        *out = (uint64_t)d;
        return 0;
    }
    if (cJSON_IsString(j) && j->valuestring[0]) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(j->valuestring, &end, 0);
        if (!*end && !errno && v <= max && j->valuestring[0] != '-') {
            *out = v;
            return 0;
        }
    }
    return fail(l, where, "must be an integer 0..%llu", (unsigned long long)max);
}

static int get_bool(ld *l, const cJSON *j, bool *out, const char *where)
{
    if (!cJSON_IsBool(j)) return fail(l, where, "must be true or false");
    *out = cJSON_IsTrue(j);
    return 0;
}

static int get_str(ld *l, const cJSON *j, char **out, const char *where)
{
    if (!cJSON_IsString(j)) return fail(l, where, "must be a string");
    free(*out);
    *out = strdup(j->valuestring);
    return *out ? 0 : fail(l, where, "out of memory");
}

static int get_ms(ld *l, const cJSON *j, int64_t *out, const char *where)
{
    uint64_t v;
    if (get_u64(l, j, 3600000, &v, where)) return -1;
    *out = (int64_t)v;
    return 0;
}

/* ---- payloads ---- */

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

static int parse_hex(ld *l, const char *s, hs_payload *p, const char *where)
{
    size_t n = strlen(s);
    uint8_t *b = malloc(n / 2 + 1);
    size_t len = 0;
    int hi = -1;
    if (!b) return fail(l, where, "out of memory");
    for (; *s; s++) {
        if (isspace((unsigned char)*s) || *s == ':') continue;
        int v = hexval((unsigned char)*s);
        if (v < 0) {
            free(b);
            return fail(l, where, "not a hex digit: '%c'", *s);
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
        return fail(l, where, "odd number of hex digits");
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

static int parse_payload(ld *l, const cJSON *j, hs_payload *p, const char *where);

static int parse_repeat(ld *l, const cJSON *r, hs_payload *p, const char *where)
{
    static const char *const keys[] = {"byte", "text", "count", NULL};
    char w[256];
    snprintf(w, sizeof w, "%s.repeat", where);
    if (check_keys(l, r, keys, w)) return -1;
    const cJSON *byte = cJSON_GetObjectItemCaseSensitive(r, "byte");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(r, "text");
    const cJSON *count = cJSON_GetObjectItemCaseSensitive(r, "count");
    if (!count) return fail(l, w, "needs 'count'");
    if (!!byte == !!text) return fail(l, w, "needs exactly one of 'byte' or 'text'");
    uint8_t one;
    if (byte) {
        uint64_t v;
        if (cJSON_IsString(byte) && strlen(byte->valuestring) == 1) {
            one = (uint8_t)byte->valuestring[0];
        } else if (!cJSON_IsString(byte) || strlen(byte->valuestring) > 1) {
            if (get_u64(l, byte, 255, &v, w)) return -1;
            one = (uint8_t)v;
        } else {
            return fail(l, w, "'byte' must be one character or a number 0..255");
        }
        if (set_bytes(p, &one, 1)) return fail(l, w, "out of memory");
    } else {
        if (!cJSON_IsString(text)) return fail(l, w, "'text' must be a string");
        if (set_bytes(p, text->valuestring, strlen(text->valuestring)))
            return fail(l, w, "out of memory");
    }
    p->kind = HS_PAY_REPEAT;
    if (get_u64(l, count, MAX_PAYLOAD, &p->count, w)) return -1;
    if ((uint64_t)p->len * p->count > MAX_PAYLOAD) return fail(l, w, "payload over 1 GiB");
    return 0;
}

static int parse_payload(ld *l, const cJSON *j, hs_payload *p, const char *where)
{
    memset(p, 0, sizeof *p);
    if (!j || cJSON_IsNull(j)) return set_bytes(p, "", 0);
    if (cJSON_IsString(j)) return set_bytes(p, j->valuestring, strlen(j->valuestring));
    if (!cJSON_IsObject(j) || !j->child || j->child->next)
        return fail(l, where,
                    "a payload is a string or an object with one of text, hex, repeat, "
                    "random, codepoints, concat");
    const cJSON *v = j->child;
    const char *k = v->string;
    char w[256];
    snprintf(w, sizeof w, "%s.%s", where, k);
    if (!strcmp(k, "text")) {
        if (!cJSON_IsString(v)) return fail(l, w, "must be a string");
        return set_bytes(p, v->valuestring, strlen(v->valuestring));
    }
    if (!strcmp(k, "hex")) {
        if (!cJSON_IsString(v)) return fail(l, w, "must be a string");
        return parse_hex(l, v->valuestring, p, w);
    }
    if (!strcmp(k, "repeat")) return parse_repeat(l, v, p, where);
    if (!strcmp(k, "random")) {
        static const char *const keys[] = {"seed", "size", NULL};
        if (check_keys(l, v, keys, w)) return -1;
        const cJSON *seed = cJSON_GetObjectItemCaseSensitive(v, "seed");
        const cJSON *size = cJSON_GetObjectItemCaseSensitive(v, "size");
        if (!size) return fail(l, w, "needs 'size'");
        p->kind = HS_PAY_RANDOM;
        if (seed && get_u64(l, seed, UINT64_MAX >> 11, &p->seed, w)) return -1;
        return get_u64(l, size, MAX_PAYLOAD, &p->size, w);
    }
    if (!strcmp(k, "codepoints")) {
        if (!cJSON_IsArray(v)) return fail(l, w, "must be a list of numbers");
        size_t n = (size_t)cJSON_GetArraySize(v);
        uint8_t *b = malloc(n * 6 + 1);
        size_t len = 0;
        if (!b) return fail(l, w, "out of memory");
        for (const cJSON *c = v->child; c; c = c->next) {
            uint64_t cp;
            if (get_u64(l, c, 0x7FFFFFFF, &cp, w)) {
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
        if (!cJSON_IsArray(v)) return fail(l, w, "must be a list of payloads");
        size_t n = (size_t)cJSON_GetArraySize(v);
        p->kind = HS_PAY_CONCAT;
        p->parts = calloc(n ? n : 1, sizeof *p->parts);
        if (!p->parts) return fail(l, w, "out of memory");
        size_t i = 0;
        for (const cJSON *c = v->child; c; c = c->next, i++) {
            char wi[300];
            snprintf(wi, sizeof wi, "%s[%zu]", w, i);
            p->n_parts = i + 1;
            if (parse_payload(l, c, &p->parts[i], wi)) return -1;
        }
        if (hs_payload_size(p) > MAX_PAYLOAD) return fail(l, w, "payload over 1 GiB");
        return 0;
    }
    return fail(l, where, "unknown payload form '%s'", k);
}

/* ---- frames ---- */

static int parse_op(ld *l, const cJSON *j, uint8_t *op, const char *where)
{
    static const struct {
        const char *name;
        uint8_t op;
    } names[] = {{"cont", 0},  {"continuation", 0}, {"text", 1}, {"binary", 2},
                 {"close", 8}, {"ping", 9},         {"pong", 10}};
    if (cJSON_IsString(j)) {
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (!strcmp(j->valuestring, names[i].name)) {
                *op = names[i].op;
                return 0;
            }
        return fail(l, where, "unknown opcode name '%s'", j->valuestring);
    }
    uint64_t v;
    if (get_u64(l, j, 15, &v, where)) return -1;
    *op = (uint8_t)v;
    return 0;
}

/* Some string inside j contains "{i}". */
static bool json_has_i(const cJSON *j)
{
    if (cJSON_IsString(j) && strstr(j->valuestring, "{i}")) return true;
    for (const cJSON *c = j ? j->child : NULL; c; c = c->next)
        if (json_has_i(c)) return true;
    return false;
}

static int parse_send(ld *l, const cJSON *j, hs_send *s, const char *where)
{
    static const char *const keys[] = {"op",      "fin",    "rsv",      "cont_rsv", "mask",
                                       "payload", "length", "len_form", "compress", "fragment",
                                       "count",   "chop",   "delay",    NULL};
    char w[300];
    memset(s, 0, sizeof *s);
    s->fin = true;
    s->count = 1;
    if (check_keys(l, j, keys, where)) return -1;
    const cJSON *v;
    v = cJSON_GetObjectItemCaseSensitive(j, "op");
    snprintf(w, sizeof w, "%s.op", where);
    if (!v) return fail(l, where, "needs 'op'");
    if (parse_op(l, v, &s->opcode, w)) return -1;
    snprintf(w, sizeof w, "%s.payload", where);
    if (parse_payload(l, cJSON_GetObjectItemCaseSensitive(j, "payload"), &s->payload, w)) return -1;
    s->subst_i = l->depth > 0 && json_has_i(cJSON_GetObjectItemCaseSensitive(j, "payload"));
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "fin"))) {
        snprintf(w, sizeof w, "%s.fin", where);
        if (get_bool(l, v, &s->fin, w)) return -1;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "rsv"))) {
        uint64_t r;
        snprintf(w, sizeof w, "%s.rsv", where);
        if (get_u64(l, v, 7, &r, w)) return -1;
        s->rsv_given = true;
        s->rsv = (uint8_t)r;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "cont_rsv"))) {
        uint64_t r;
        snprintf(w, sizeof w, "%s.cont_rsv", where);
        if (get_u64(l, v, 7, &r, w)) return -1;
        s->cont_rsv_given = true;
        s->cont_rsv = (uint8_t)r;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "mask"))) {
        snprintf(w, sizeof w, "%s.mask", where);
        if (cJSON_IsBool(v)) {
            s->mask_mode = cJSON_IsTrue(v) ? HS_MASK_RANDOM : HS_MASK_NONE;
        } else {
            hs_payload k = {0};
            if (!cJSON_IsString(v) || parse_hex(l, v->valuestring, &k, w))
                return fail(l, w, "must be true, false or 8 hex digits");
            if (k.len != 4) {
                hs_payload_free(&k);
                return fail(l, w, "a mask key is 4 bytes (8 hex digits)");
            }
            memcpy(s->key, k.bytes, 4);
            hs_payload_free(&k);
            s->mask_mode = HS_MASK_KEY;
        }
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "length"))) {
        snprintf(w, sizeof w, "%s.length", where);
        if (get_u64(l, v, UINT64_MAX, &s->declared_len, w)) return -1;
        if (cJSON_IsNumber(v) && v->valuedouble >= 9007199254740992.0)
            return fail(l, w, "use a string for lengths above 2^53");
        s->declare_len = true;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "len_form"))) {
        uint64_t f;
        snprintf(w, sizeof w, "%s.len_form", where);
        if (get_u64(l, v, 64, &f, w)) return -1;
        if (f != 0 && f != 7 && f != 16 && f != 64) return fail(l, w, "must be 0, 7, 16 or 64");
        s->len_form = (int)f;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "compress"))) {
        snprintf(w, sizeof w, "%s.compress", where);
        if (get_bool(l, v, &s->compress, w)) return -1;
    }
    struct {
        const char *name;
        uint64_t max;
        uint64_t val;
        bool set;
    } nums[] = {{"fragment", MAX_PAYLOAD, 0, false},
                {"count", MAX_COUNT, 1, false},
                {"chop", MAX_PAYLOAD, 0, false},
                {"delay", 60000, 0, false}};
    for (size_t i = 0; i < 4; i++) {
        if (!(v = cJSON_GetObjectItemCaseSensitive(j, nums[i].name))) continue;
        snprintf(w, sizeof w, "%s.%s", where, nums[i].name);
        if (get_u64(l, v, nums[i].max, &nums[i].val, w)) return -1;
        nums[i].set = true;
    }
    s->fragment = nums[0].val;
    if (nums[1].set) s->count = (uint32_t)nums[1].val;
    s->chop = (uint32_t)nums[2].val;
    s->delay_ms = (uint32_t)nums[3].val;
    if (s->count == 0) return fail(l, where, "count must be at least 1");
    return 0;
}

/* ---- handshake ---- */

static int parse_header_list(ld *l, const cJSON *j, bool pairs, hs_header **out, size_t *n,
                             const char *where)
{
    size_t cnt = (size_t)cJSON_GetArraySize(j);
    if (pairs ? !cJSON_IsArray(j) : !cJSON_IsObject(j))
        return fail(l, where,
                    pairs ? "must be a list of [name, value] pairs"
                          : "must be an object of name: value");
    *out = calloc(cnt ? cnt : 1, sizeof **out);
    if (!*out) return fail(l, where, "out of memory");
    size_t i = 0;
    for (const cJSON *c = j->child; c; c = c->next, i++) {
        char w[300];
        const cJSON *name = c, *value = c;
        snprintf(w, sizeof w, "%s[%zu]", where, i);
        if (pairs) {
            if (!cJSON_IsArray(c) || cJSON_GetArraySize(c) != 2 || !cJSON_IsString(c->child))
                return fail(l, w, "must be [name, value]");
            name = c->child;
            value = c->child->next;
            (*out)[i].name = strdup(name->valuestring);
        } else {
            (*out)[i].name = strdup(c->string);
        }
        *n = i + 1;
        if (!(*out)[i].name) return fail(l, w, "out of memory");
        if (strpbrk((*out)[i].name, "\r\n:") || !(*out)[i].name[0])
            return fail(l, w, "bad header name '%s'", (*out)[i].name);
        if (parse_payload(l, value, &(*out)[i].value, w)) return -1;
    }
    return 0;
}

static int set_shorthand(ld *l, hs_handshake *h, const char *name, const cJSON *v,
                         const char *where)
{
    hs_header *n = realloc(h->set, (h->n_set + 1) * sizeof *n);
    if (!n) return fail(l, where, "out of memory");
    h->set = n;
    memset(&n[h->n_set], 0, sizeof *n);
    n[h->n_set].name = strdup(name);
    h->n_set++;
    return parse_payload(l, v, &n[h->n_set - 1].value, where);
}

static int parse_handshake(ld *l, const cJSON *j, hs_handshake *h, const char *where)
{
    static const char *const keys[] = {"method", "path",  "version",      "key",        "set",
                                       "omit",   "add",   "subprotocols", "extensions", "raw",
                                       "chop",   "delay", "early",        NULL};
    char w[300];
    memset(h, 0, sizeof *h);
    if (check_keys(l, j, keys, where)) return -1;
    const char *const strs[] = {"method", "path", "version", "key"};
    char **dst[] = {&h->method, &h->path, &h->version, &h->key};
    for (size_t i = 0; i < 4; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, strs[i]);
        snprintf(w, sizeof w, "%s.%s", where, strs[i]);
        if (v && get_str(l, v, dst[i], w)) return -1;
        if (*dst[i] && strpbrk(*dst[i], "\r\n")) return fail(l, w, "must not contain CR or LF");
    }
    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "set"))) {
        snprintf(w, sizeof w, "%s.set", where);
        if (parse_header_list(l, v, false, &h->set, &h->n_set, w)) return -1;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "add"))) {
        snprintf(w, sizeof w, "%s.add", where);
        if (parse_header_list(l, v, true, &h->add, &h->n_add, w)) return -1;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "omit"))) {
        snprintf(w, sizeof w, "%s.omit", where);
        if (!cJSON_IsArray(v)) return fail(l, w, "must be a list of header names");
        h->omit = calloc((size_t)cJSON_GetArraySize(v) + 1, sizeof *h->omit);
        if (!h->omit) return fail(l, w, "out of memory");
        for (const cJSON *c = v->child; c; c = c->next) {
            if (!cJSON_IsString(c)) return fail(l, w, "must be a list of header names");
            h->omit[h->n_omit++] = strdup(c->valuestring);
        }
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "subprotocols"))) {
        snprintf(w, sizeof w, "%s.subprotocols", where);
        if (set_shorthand(l, h, "Sec-WebSocket-Protocol", v, w)) return -1;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "extensions"))) {
        snprintf(w, sizeof w, "%s.extensions", where);
        if (set_shorthand(l, h, "Sec-WebSocket-Extensions", v, w)) return -1;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "raw"))) {
        snprintf(w, sizeof w, "%s.raw", where);
        h->has_raw = true;
        if (parse_payload(l, v, &h->raw, w)) return -1;
    }
    uint64_t n;
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "chop"))) {
        snprintf(w, sizeof w, "%s.chop", where);
        if (get_u64(l, v, 1 << 20, &n, w)) return -1;
        h->chop = (uint32_t)n;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "delay"))) {
        snprintf(w, sizeof w, "%s.delay", where);
        if (get_u64(l, v, 60000, &n, w)) return -1;
        h->delay_ms = (uint32_t)n;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "early"))) {
        snprintf(w, sizeof w, "%s.early", where);
        if (!cJSON_IsArray(v)) return fail(l, w, "must be a list of frames");
        size_t cnt = (size_t)cJSON_GetArraySize(v);
        h->early = calloc(cnt ? cnt : 1, sizeof *h->early);
        if (!h->early) return fail(l, w, "out of memory");
        for (const cJSON *c = v->child; c; c = c->next) {
            char wi[320];
            snprintf(wi, sizeof wi, "%s[%zu]", w, h->n_early);
            h->n_early++;
            if (parse_send(l, c, &h->early[h->n_early - 1], wi)) return -1;
        }
    }
    return 0;
}

/* ---- expectations ---- */

static int parse_codes(ld *l, const cJSON *v, uint16_t *codes, size_t *n, const char *where)
{
    *n = 0;
    if (cJSON_IsTrue(v)) return 0;
    if (cJSON_IsNumber(v) || cJSON_IsString(v)) {
        uint64_t c;
        if (get_u64(l, v, 65535, &c, where)) return -1;
        codes[(*n)++] = (uint16_t)c;
        return 0;
    }
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
        return fail(l, where, "must be true, a code, or a non-empty list of codes");
    for (const cJSON *c = v->child; c; c = c->next) {
        uint64_t x;
        if (*n == HS_MAX_CODES) return fail(l, where, "at most %d codes", HS_MAX_CODES);
        if (get_u64(l, c, 65535, &x, where)) return -1;
        codes[(*n)++] = (uint16_t)x;
    }
    return 0;
}

static int parse_pattern(ld *l, const cJSON *j, hs_pattern *p, const char *where);

static int parse_message_pat(ld *l, const cJSON *v, hs_pattern *p, const char *where)
{
    static const char *const keys[] = {"op", "payload", "length", "compressed", NULL};
    if (check_keys(l, v, keys, where)) return -1;
    const cJSON *x;
    char w[320];
    if ((x = cJSON_GetObjectItemCaseSensitive(v, "op"))) {
        uint8_t op;
        snprintf(w, sizeof w, "%s.op", where);
        if (parse_op(l, x, &op, w)) return -1;
        p->op = op;
    }
    if ((x = cJSON_GetObjectItemCaseSensitive(v, "payload"))) {
        snprintf(w, sizeof w, "%s.payload", where);
        p->has_payload = true;
        if (parse_payload(l, x, &p->payload, w)) return -1;
    }
    if ((x = cJSON_GetObjectItemCaseSensitive(v, "length"))) {
        uint64_t n;
        snprintf(w, sizeof w, "%s.length", where);
        if (get_u64(l, x, MAX_PAYLOAD, &n, w)) return -1;
        p->length = (int64_t)n;
    }
    if ((x = cJSON_GetObjectItemCaseSensitive(v, "compressed"))) {
        bool b = false;
        snprintf(w, sizeof w, "%s.compressed", where);
        if (get_bool(l, x, &b, w)) return -1;
        p->compressed = b;
    }
    return 0;
}

static int parse_response_pat(ld *l, const cJSON *v, hs_pattern *p, const char *where)
{
    static const char *const keys[] = {"status", "headers", "absent", NULL};
    if (check_keys(l, v, keys, where)) return -1;
    const cJSON *x;
    char w[320];
    if ((x = cJSON_GetObjectItemCaseSensitive(v, "status"))) {
        snprintf(w, sizeof w, "%s.status", where);
        if (cJSON_IsString(x) && strlen(x->valuestring) == 3 &&
            isdigit((unsigned char)x->valuestring[0]) && !strcasecmp(x->valuestring + 1, "xx")) {
            p->status_class = x->valuestring[0] - '0';
        } else if (cJSON_IsArray(x)) {
            for (const cJSON *c = x->child; c; c = c->next) {
                uint64_t s;
                if (p->n_status == 8) return fail(l, w, "at most 8 statuses");
                if (get_u64(l, c, 999, &s, w)) return -1;
                p->status[p->n_status++] = (int)s;
            }
        } else {
            uint64_t s;
            if (get_u64(l, x, 999, &s, w))
                return fail(l, w, "must be a status, a list, or \"4xx\"");
            p->status[p->n_status++] = (int)s;
        }
    }
    if ((x = cJSON_GetObjectItemCaseSensitive(v, "headers"))) {
        snprintf(w, sizeof w, "%s.headers", where);
        if (!cJSON_IsObject(x)) return fail(l, w, "must be an object of name: token");
        p->headers = calloc((size_t)cJSON_GetArraySize(x) + 1, sizeof *p->headers);
        if (!p->headers) return fail(l, w, "out of memory");
        for (const cJSON *c = x->child; c; c = c->next) {
            if (!cJSON_IsString(c)) return fail(l, w, "'%s' must be a string", c->string);
            p->headers[p->n_headers].name = strdup(c->string);
            p->headers[p->n_headers].token = strdup(c->valuestring);
            p->n_headers++;
        }
    }
    if ((x = cJSON_GetObjectItemCaseSensitive(v, "absent"))) {
        snprintf(w, sizeof w, "%s.absent", where);
        if (!cJSON_IsArray(x)) return fail(l, w, "must be a list of header names");
        p->absent = calloc((size_t)cJSON_GetArraySize(x) + 1, sizeof *p->absent);
        if (!p->absent) return fail(l, w, "out of memory");
        for (const cJSON *c = x->child; c; c = c->next) {
            if (!cJSON_IsString(c)) return fail(l, w, "must be a list of header names");
            p->absent[p->n_absent++] = strdup(c->valuestring);
        }
    }
    return 0;
}

static int parse_pattern(ld *l, const cJSON *j, hs_pattern *p, const char *where)
{
    memset(p, 0, sizeof *p);
    p->op = -1;
    p->length = -1;
    p->compressed = -1;
    if (!cJSON_IsObject(j) || !j->child || j->child->next)
        return fail(l, where,
                    "a pattern is an object with one key (echo, message, pong, close, "
                    "drop, too_big, nothing, any_order, response)");
    const cJSON *v = j->child;
    const char *k = v->string;
    char w[320];
    snprintf(w, sizeof w, "%s.%s", where, k);
    if (!strcmp(k, "echo")) {
        p->kind = HS_PAT_ECHO;
        if (!cJSON_IsTrue(v)) return fail(l, w, "must be true (or a count in a list)");
        return 0;
    }
    if (!strcmp(k, "message")) {
        p->kind = HS_PAT_MESSAGE;
        if (cJSON_IsTrue(v)) return 0;
        return parse_message_pat(l, v, p, w);
    }
    if (!strcmp(k, "pong")) {
        p->kind = HS_PAT_PONG;
        if (cJSON_IsTrue(v)) return 0;
        p->has_payload = true;
        return parse_payload(l, v, &p->payload, w);
    }
    if (!strcmp(k, "close")) {
        p->kind = HS_PAT_CLOSE;
        return parse_codes(l, v, p->codes, &p->n_codes, w);
    }
    if (!strcmp(k, "too_big")) {
        p->kind = HS_PAT_TOO_BIG;
        if (!cJSON_IsTrue(v)) return fail(l, w, "must be true");
        return 0;
    }
    if (!strcmp(k, "drop")) {
        p->kind = HS_PAT_DROP;
        if (!cJSON_IsTrue(v)) return fail(l, w, "must be true");
        return 0;
    }
    if (!strcmp(k, "nothing")) {
        p->kind = HS_PAT_NOTHING;
        return get_ms(l, v, &p->ms, w);
    }
    if (!strcmp(k, "response")) {
        p->kind = HS_PAT_RESPONSE;
        return parse_response_pat(l, v, p, w);
    }
    if (!strcmp(k, "any_order")) {
        p->kind = HS_PAT_ANY_ORDER;
        if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
            return fail(l, w, "must be a non-empty list of patterns");
        if (cJSON_GetArraySize(v) > 64) return fail(l, w, "at most 64 patterns");
        p->children = calloc((size_t)cJSON_GetArraySize(v), sizeof *p->children);
        if (!p->children) return fail(l, w, "out of memory");
        for (const cJSON *c = v->child; c; c = c->next) {
            char wi[340];
            snprintf(wi, sizeof wi, "%s[%zu]", w, p->n_children);
            p->n_children++;
            if (parse_pattern(l, c, &p->children[p->n_children - 1], wi)) return -1;
            int ck = p->children[p->n_children - 1].kind;
            if (ck == HS_PAT_NOTHING || ck == HS_PAT_ANY_ORDER || ck == HS_PAT_RESPONSE)
                return fail(l, wi, "not allowed inside any_order");
        }
        return 0;
    }
    return fail(l, where, "unknown pattern '%s'", k);
}

/* {"echo": N} is one echo pattern with a count of N (the judge consumes N
 * echoes from it); everything else is one pattern. */
static int parse_items(ld *l, const cJSON *j, hs_alt *a, const char *where)
{
    const cJSON *one = j;
    size_t cap = 0;
    if (cJSON_IsArray(j)) {
        if (cJSON_GetArraySize(j) == 0) return fail(l, where, "must not be empty");
        one = j->child;
    }
    for (const cJSON *c = one; c; c = cJSON_IsArray(j) ? c->next : NULL) {
        char w[320];
        snprintf(w, sizeof w, cJSON_IsArray(j) ? "%s[%zu]" : "%s", where, a->n_items);
        uint64_t reps = 1;
        const cJSON *echo = cJSON_GetObjectItemCaseSensitive(c, "echo");
        if (echo && cJSON_IsNumber(echo) && !c->child->next) {
            if (get_u64(l, echo, MAX_COUNT, &reps, w) || reps == 0)
                return fail(l, w, "echo count must be 1..%llu", MAX_COUNT);
        }
        if (a->n_items == cap) {
            cap = cap ? cap * 2 : 4;
            hs_pattern *n = realloc(a->items, cap * sizeof *n);
            if (!n) return fail(l, w, "out of memory");
            a->items = n;
        }
        hs_pattern *p = &a->items[a->n_items++];
        if (reps > 1) {
            memset(p, 0, sizeof *p);
            p->kind = HS_PAT_ECHO;
            p->count = reps;
            continue;
        }
        if (parse_pattern(l, c, p, w)) return -1;
    }
    for (size_t i = 0; i < a->n_items; i++)
        if (a->items[i].kind == HS_PAT_NOTHING && a->n_items != 1)
            return fail(l, where, "'nothing' must be the only pattern of its alternative");
    for (size_t i = 1; i < a->n_items; i++)
        if (a->items[i].kind == HS_PAT_RESPONSE)
            return fail(l, where, "'response' must be the first pattern");
    return 0;
}

static int parse_alt(ld *l, const cJSON *j, hs_alt *a, const char *where)
{
    static const char *const keys[] = {"events", "verdict", "why", "stop", NULL};
    if (check_keys(l, j, keys, where)) return -1;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "events");
    char w[320];
    snprintf(w, sizeof w, "%s.events", where);
    if (!v) return fail(l, where, "needs 'events'");
    if (parse_items(l, v, a, w)) return -1;
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "verdict"))) {
        snprintf(w, sizeof w, "%s.verdict", where);
        if (!cJSON_IsString(v) || (a->verdict = hs_verdict_parse(v->valuestring)) < 0)
            return fail(l, w, "must be OK, NON-STRICT, INFORMATIONAL, UNIMPLEMENTED or FAILED");
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "why"))) {
        snprintf(w, sizeof w, "%s.why", where);
        if (get_str(l, v, &a->why, w)) return -1;
        char bad[64];
        if (!hs_why_check(a->why, bad, sizeof bad))
            return fail(l, w, "unknown placeholder %s (known: {close_code}, {bytes}, {elapsed_ms})",
                        bad);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "stop"))) {
        snprintf(w, sizeof w, "%s.stop", where);
        if (get_bool(l, v, &a->stop, w)) return -1;
    }
    return 0;
}

static int parse_expect(ld *l, const cJSON *step, hs_expect *e, const char *where)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(step, "expect");
    const cJSON *within = cJSON_GetObjectItemCaseSensitive(step, "within");
    char w[320];
    snprintf(w, sizeof w, "%s.expect", where);
    e->otherwise = HS_FAILED;
    const cJSON *one_of = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "one_of") : NULL;
    if (one_of) {
        static const char *const keys[] = {"one_of", "otherwise", "within", NULL};
        if (check_keys(l, j, keys, w)) return -1;
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "otherwise");
        if (o && (!cJSON_IsString(o) || (e->otherwise = hs_verdict_parse(o->valuestring)) < 0))
            return fail(l, w, "'otherwise' must be a verdict name");
        if (!within) within = cJSON_GetObjectItemCaseSensitive(j, "within");
        if (!cJSON_IsArray(one_of) || cJSON_GetArraySize(one_of) == 0)
            return fail(l, w, "'one_of' must be a non-empty list of alternatives");
        e->alts = calloc((size_t)cJSON_GetArraySize(one_of), sizeof *e->alts);
        if (!e->alts) return fail(l, w, "out of memory");
        for (const cJSON *c = one_of->child; c; c = c->next) {
            char wi[340];
            snprintf(wi, sizeof wi, "%s.one_of[%zu]", w, e->n_alts);
            e->n_alts++;
            if (parse_alt(l, c, &e->alts[e->n_alts - 1], wi)) return -1;
        }
    } else {
        e->alts = calloc(1, sizeof *e->alts);
        if (!e->alts) return fail(l, w, "out of memory");
        e->n_alts = 1;
        if (parse_items(l, j, &e->alts[0], w)) return -1;
    }
    if (within) {
        snprintf(w, sizeof w, "%s.within", where);
        if (get_ms(l, within, &e->within_ms, w)) return -1;
    }
    return 0;
}

/* ---- steps ---- */

static int parse_steps(ld *l, const cJSON *j, hs_step **out, size_t *n, const char *where);

static int parse_step(ld *l, const cJSON *j, hs_step *s, const char *where)
{
    char w[320];
    memset(s, 0, sizeof *s);
    if (!cJSON_IsObject(j) || !j->child) return fail(l, where, "a step must be an object");
    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "send"))) {
        static const char *const keys[] = {"send", NULL};
        s->kind = HS_STEP_SEND;
        snprintf(w, sizeof w, "%s.send", where);
        return check_keys(l, j, keys, where) ? -1 : parse_send(l, v, &s->send, w);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "handshake"))) {
        static const char *const keys[] = {"handshake", NULL};
        s->kind = HS_STEP_HANDSHAKE;
        snprintf(w, sizeof w, "%s.handshake", where);
        return check_keys(l, j, keys, where) ? -1 : parse_handshake(l, v, &s->hs, w);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "raw"))) {
        static const char *const keys[] = {"raw", "chop", "delay", NULL};
        uint64_t x;
        s->kind = HS_STEP_RAW;
        if (check_keys(l, j, keys, where)) return -1;
        snprintf(w, sizeof w, "%s.raw", where);
        if (parse_payload(l, v, &s->raw, w)) return -1;
        if ((v = cJSON_GetObjectItemCaseSensitive(j, "chop"))) {
            if (get_u64(l, v, MAX_PAYLOAD, &x, where)) return -1;
            s->chop = (uint32_t)x;
        }
        if ((v = cJSON_GetObjectItemCaseSensitive(j, "delay"))) {
            if (get_u64(l, v, 60000, &x, where)) return -1;
            s->delay_ms = (uint32_t)x;
        }
        return 0;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "close"))) {
        static const char *const keys[] = {"close", NULL};
        static const char *const ckeys[] = {"code", "reason", NULL};
        uint64_t code;
        s->kind = HS_STEP_CLOSE;
        s->close_code = -1;
        snprintf(w, sizeof w, "%s.close", where);
        if (check_keys(l, j, keys, where)) return -1;
        if (!cJSON_IsObject(v)) {
            if (get_u64(l, v, 65535, &code, w)) return -1;
            s->close_code = (int)code;
            return parse_payload(l, NULL, &s->raw, w);
        }
        if (check_keys(l, v, ckeys, w)) return -1;
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(v, "code");
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(v, "reason");
        if (c) {
            if (get_u64(l, c, 65535, &code, w)) return -1;
            s->close_code = (int)code;
        }
        if (r && !c) return fail(l, w, "a reason needs a code");
        if (parse_payload(l, r, &s->raw, w)) return -1;
        if (hs_payload_size(&s->raw) > 123)
            return fail(l, w,
                        "reason longer than 123 bytes (use a send step for a lying close frame)");
        return 0;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "sleep"))) {
        static const char *const keys[] = {"sleep", NULL};
        s->kind = HS_STEP_SLEEP;
        snprintf(w, sizeof w, "%s.sleep", where);
        return check_keys(l, j, keys, where) ? -1 : get_ms(l, v, &s->sleep_ms, w);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "shutdown"))) {
        static const char *const keys[] = {"shutdown", NULL};
        s->kind = HS_STEP_SHUTDOWN;
        snprintf(w, sizeof w, "%s.shutdown", where);
        if (check_keys(l, j, keys, where)) return -1;
        if (!cJSON_IsString(v) || strcmp(v->valuestring, "write"))
            return fail(l, w, "must be \"write\" (half-close: shutdown(SHUT_WR))");
        return 0;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "expect"))) {
        static const char *const keys[] = {"expect", "within", NULL};
        s->kind = HS_STEP_EXPECT;
        return check_keys(l, j, keys, where) ? -1 : parse_expect(l, j, &s->expect, where);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "repeat"))) {
        static const char *const keys[] = {"repeat", "steps", NULL};
        uint64_t x;
        s->kind = HS_STEP_REPEAT;
        snprintf(w, sizeof w, "%s.repeat", where);
        if (check_keys(l, j, keys, where) || get_u64(l, v, MAX_COUNT, &x, w)) return -1;
        s->repeat = (uint32_t)x;
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "steps");
        snprintf(w, sizeof w, "%s.steps", where);
        if (!st) return fail(l, where, "repeat needs 'steps'");
        if (++l->depth > 4) return fail(l, w, "repeat nested more than 4 deep");
        int rc = parse_steps(l, st, &s->steps, &s->n_steps, w);
        l->depth--;
        if (rc) return -1;
        for (size_t i = 0; i < s->n_steps; i++)
            if (s->steps[i].kind == HS_STEP_HANDSHAKE || s->steps[i].kind == HS_STEP_SHUTDOWN)
                return fail(l, w, "no handshake or shutdown inside repeat");
        return 0;
    }
    return fail(l, where,
                "unknown step '%s' (send, raw, close, shutdown, sleep, expect, handshake, "
                "repeat)",
                j->child->string);
}

static int parse_steps(ld *l, const cJSON *j, hs_step **out, size_t *n, const char *where)
{
    if (!cJSON_IsArray(j)) return fail(l, where, "must be a list of steps");
    size_t cnt = (size_t)cJSON_GetArraySize(j);
    *out = calloc(cnt ? cnt : 1, sizeof **out);
    if (!*out) return fail(l, where, "out of memory");
    for (const cJSON *c = j->child; c; c = c->next) {
        char w[320];
        snprintf(w, sizeof w, "%s[%zu]", where, *n);
        (*n)++;
        if (parse_step(l, c, &(*out)[*n - 1], w)) return -1;
    }
    return 0;
}

/* ---- cases ---- */

typedef struct section_info {
    const char *section;
    const char *title;
    const cJSON *defaults;
} section_info;

static hs_case *cat_push(hs_catalogue *cat)
{
    if (cat->n == cat->cap) {
        size_t cap = cat->cap ? cat->cap * 2 : 64;
        hs_case *n = realloc(cat->cases, cap * sizeof *n);
        if (!n) return NULL;
        cat->cases = n;
        cat->cap = cap;
    }
    hs_case *c = &cat->cases[cat->n++];
    memset(c, 0, sizeof *c);
    return c;
}

static const cJSON *field(const cJSON *c, const section_info *si, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, name);
    if (!v && si->defaults) v = cJSON_GetObjectItemCaseSensitive(si->defaults, name);
    return v;
}

static int valid_id(const char *s)
{
    if (!*s || strlen(s) > 64) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '.' && *s != '-' && *s != '_') return 0;
    return 1;
}

static int get_seconds(ld *l, const cJSON *v, double *out, const char *where)
{
    if (!cJSON_IsNumber(v) || v->valuedouble <= 0 || v->valuedouble > 3600)
        return fail(l, where, "must be a number of seconds, 0 < s <= 3600");
    *out = v->valuedouble;
    return 0;
}

static int parse_case(ld *l, hs_catalogue *cat, const cJSON *j, const section_info *si)
{
    static const char *const keys[] = {
        "id",    "title",       "rfc",   "tags", "timeout", "close_timeout", "informational",
        "close", "max_message", "steps", NULL};
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
    if (!cJSON_IsString(id)) return fail(l, "case", "needs a string 'id'");
    l->case_id = id->valuestring;
    if (!valid_id(id->valuestring))
        return fail(l, "id", "use letters, digits, '.', '-', '_' (at most 64)");
    if (check_keys(l, j, keys, "case")) return -1;
    hs_case *c = cat_push(cat);
    if (!c) return fail(l, "case", "out of memory");
    c->id = strdup(id->valuestring);
    c->file = strdup(l->file);
    c->section = strdup(si->section);
    c->section_title = strdup(si->title);
    const cJSON *v;
    if (!(v = field(j, si, "title"))) return fail(l, "title", "missing");
    if (get_str(l, v, &c->title, "title")) return -1;
    if (!(v = field(j, si, "rfc"))) return fail(l, "rfc", "missing");
    if (get_str(l, v, &c->rfc, "rfc")) return -1;
    if ((v = field(j, si, "tags"))) {
        if (!cJSON_IsArray(v)) return fail(l, "tags", "must be a list of strings");
        c->tags = calloc((size_t)cJSON_GetArraySize(v) + 1, sizeof *c->tags);
        if (!c->tags) return fail(l, "tags", "out of memory");
        for (const cJSON *t = v->child; t; t = t->next) {
            if (!cJSON_IsString(t)) return fail(l, "tags", "must be a list of strings");
            c->tags[c->n_tags++] = strdup(t->valuestring);
        }
    }
    if ((v = field(j, si, "timeout")) && get_seconds(l, v, &c->timeout_s, "timeout")) return -1;
    if ((v = field(j, si, "close_timeout")) &&
        get_seconds(l, v, &c->close_timeout_s, "close_timeout"))
        return -1;
    if ((v = field(j, si, "informational")) && get_bool(l, v, &c->informational, "informational"))
        return -1;
    if ((v = field(j, si, "max_message"))) {
        if (get_u64(l, v, 1ull << 31, &c->max_message, "max_message")) return -1;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "close"))) {
        static const char *const ck[] = {"codes", NULL};
        if (check_keys(l, v, ck, "close")) return -1;
        const cJSON *codes = cJSON_GetObjectItemCaseSensitive(v, "codes");
        if (codes && parse_codes(l, codes, c->close_codes, &c->n_close_codes, "close.codes"))
            return -1;
    }
    if (!(v = cJSON_GetObjectItemCaseSensitive(j, "steps"))) return fail(l, "steps", "missing");
    if (parse_steps(l, v, &c->steps, &c->n_steps, "steps")) return -1;
    for (size_t i = 1; i < c->n_steps; i++)
        if (c->steps[i].kind == HS_STEP_HANDSHAKE)
            return fail(l, "steps", "a handshake step must be the first step");
    /* After a half-close nothing can be written: no step that sends may follow. */
    bool shut = false;
    for (size_t i = 0; i < c->n_steps; i++) {
        int k = c->steps[i].kind;
        if (shut && (k == HS_STEP_SEND || k == HS_STEP_RAW || k == HS_STEP_CLOSE))
            return fail(l, "steps", "nothing can be sent after {\"shutdown\": \"write\"}");
        shut |= k == HS_STEP_SHUTDOWN;
    }
    for (size_t i = 0; i < c->n_steps; i++) {
        const hs_expect *e = &c->steps[i].expect;
        bool after_hs = i > 0 && c->steps[i - 1].kind == HS_STEP_HANDSHAKE;
        for (size_t a = 0; c->steps[i].kind == HS_STEP_EXPECT && a < e->n_alts; a++)
            if (e->alts[a].items[0].kind == HS_PAT_RESPONSE && !after_hs)
                return fail(l, "steps", "'response' patterns only right after a handshake step");
    }
    l->case_id = NULL;
    return 0;
}

/* ---- families ---- */

typedef struct var {
    const char *name;
    const cJSON *value;
} var;

static const cJSON *var_find(const var *vars, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(vars[i].name) == len && !strncmp(vars[i].name, name, len)) return vars[i].value;
    return NULL;
}

static char *value_text(const cJSON *v)
{
    char buf[64];
    if (cJSON_IsString(v)) return strdup(v->valuestring);
    if (cJSON_IsNumber(v)) {
        if (v->valuedouble == floor(v->valuedouble) && fabs(v->valuedouble) < 9e15)
            snprintf(buf, sizeof buf, "%lld", (long long)v->valuedouble);
        else
            snprintf(buf, sizeof buf, "%g", v->valuedouble);
        return strdup(buf);
    }
    if (cJSON_IsBool(v)) return strdup(cJSON_IsTrue(v) ? "true" : "false");
    return cJSON_PrintUnformatted(v);
}

static bool is_ident_start(int c)
{
    return isalpha(c) || c == '_';
}

/* Placeholders the engine fills when the case runs ({i} in repeated payloads,
 * the figures in `why`): a family template leaves them as they are. */
static bool is_runtime_name(const char *p, size_t n)
{
    static const char *const names[] = {"i", "close_code", "bytes", "elapsed_ms", NULL};
    for (int i = 0; names[i]; i++)
        if (strlen(names[i]) == n && !strncmp(p, names[i], n)) return true;
    return false;
}

/* Replaces {name} in s. Returns a new string, or NULL with err set. */
static char *subst_text(ld *l, const char *s, const var *vars, size_t nv)
{
    size_t cap = strlen(s) + 64, len = 0;
    char *out = malloc(cap);
    if (!out) return NULL;
    while (*s) {
        const char *end = NULL;
        if (*s == '{' && is_ident_start((unsigned char)s[1])) {
            end = s + 1;
            while (isalnum((unsigned char)*end) || *end == '_') end++;
            if (*end != '}') end = NULL;
        }
        if (!end) {
            if (len + 2 > cap) out = realloc(out, cap *= 2);
            if (!out) return NULL;
            out[len++] = *s++;
            continue;
        }
        const cJSON *v = var_find(vars, nv, s + 1, (size_t)(end - s - 1));
        if (!v && is_runtime_name(s + 1, (size_t)(end - s - 1))) {
            /* filled when the case runs: kept as written */
            if (len + 2 > cap) out = realloc(out, cap *= 2);
            if (!out) return NULL;
            out[len++] = *s++;
            continue;
        }
        if (!v) {
            fail(l, "template", "no parameter named '%.*s'", (int)(end - s - 1), s + 1);
            free(out);
            return NULL;
        }
        char *t = value_text(v);
        size_t tl = t ? strlen(t) : 0;
        while (len + tl + 2 > cap) out = realloc(out, cap *= 2);
        if (!out || !t) {
            free(t);
            free(out);
            return NULL;
        }
        memcpy(out + len, t, tl);
        len += tl;
        free(t);
        s = end + 1;
    }
    out[len] = 0;
    return out;
}

/* cJSON_ReplaceItemViaPointer keeps the old item's key only if the new one
 * carries it. */
static bool keep_key(cJSON *copy, const cJSON *old)
{
    if (copy->string) cJSON_free(copy->string); /* Duplicate copied the param's own key */
    copy->string = NULL;
    if (!old->string) return true;
    copy->string = strdup(old->string);
    return copy->string != NULL;
}

static int subst(ld *l, cJSON *node, const var *vars, size_t nv)
{
    for (cJSON *c = node->child; c;) {
        cJSON *next = c->next;
        if (cJSON_IsString(c)) {
            const char *s = c->valuestring;
            size_t n = strlen(s);
            const cJSON *whole = NULL;
            if (n > 2 && s[0] == '{' && s[n - 1] == '}') whole = var_find(vars, nv, s + 1, n - 2);
            if (whole) {
                cJSON *copy = cJSON_Duplicate(whole, 1);
                if (copy && !keep_key(copy, c)) {
                    cJSON_Delete(copy);
                    copy = NULL;
                }
                if (!copy || !cJSON_ReplaceItemViaPointer(node, c, copy)) {
                    cJSON_Delete(copy);
                    return fail(l, "template", "out of memory");
                }
            } else {
                char *t = subst_text(l, s, vars, nv);
                if (!t) return -1;
                cJSON *copy = cJSON_CreateString(t);
                free(t);
                if (copy && !keep_key(copy, c)) {
                    cJSON_Delete(copy);
                    copy = NULL;
                }
                if (!copy || !cJSON_ReplaceItemViaPointer(node, c, copy)) {
                    cJSON_Delete(copy);
                    return fail(l, "template", "out of memory");
                }
            }
        } else if (c->child && subst(l, c, vars, nv)) {
            return -1;
        }
        c = next;
    }
    return 0;
}

static int expand_one(ld *l, hs_catalogue *cat, const cJSON *fam, const section_info *si,
                      const var *vars, size_t nv, size_t index, const cJSON *id_part)
{
    static const char *const inherited[] = {"title",   "rfc",           "tags",
                                            "timeout", "close_timeout", "informational",
                                            "close",   "max_message",   NULL};
    const cJSON *tmpl = cJSON_GetObjectItemCaseSensitive(fam, "template");
    cJSON *c = cJSON_Duplicate(tmpl, 1);
    if (!c) return fail(l, "template", "out of memory");
    for (size_t i = 0; inherited[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(fam, inherited[i]);
        if (v && !cJSON_GetObjectItemCaseSensitive(c, inherited[i]))
            cJSON_AddItemToObject(c, inherited[i], cJSON_Duplicate(v, 1));
    }
    int rc = subst(l, c, vars, nv);
    if (rc == 0) {
        char id[128], *suffix = NULL;
        if (id_part) suffix = value_text(id_part);
        snprintf(id, sizeof id, "%s.%s",
                 cJSON_GetObjectItemCaseSensitive(fam, "family")->valuestring,
                 suffix ? suffix : "");
        if (!suffix) snprintf(id + strlen(id), sizeof id - strlen(id), "%zu", index);
        free(suffix);
        cJSON_DeleteItemFromObjectCaseSensitive(c, "id");
        cJSON_AddStringToObject(c, "id", id);
        rc = parse_case(l, cat, c, si);
    }
    cJSON_Delete(c);
    return rc;
}

/* One matrix dimension as a list (ranges become lists). */
static cJSON *matrix_values(ld *l, const cJSON *v)
{
    if (cJSON_IsArray(v)) return cJSON_Duplicate(v, 1);
    static const char *const keys[] = {"from", "to", "step", NULL};
    if (check_keys(l, v, keys, "matrix")) return NULL;
    uint64_t from = 0, to = 0, step = 1;
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(v, "from");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(v, "to");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(v, "step");
    if (!f || !t) {
        fail(l, "matrix", "a range needs 'from' and 'to'");
        return NULL;
    }
    if (get_u64(l, f, UINT32_MAX, &from, "matrix.from") ||
        get_u64(l, t, UINT32_MAX, &to, "matrix.to") ||
        (s && get_u64(l, s, UINT32_MAX, &step, "matrix.step")))
        return NULL;
    if (step == 0 || to < from || (to - from) / step >= MAX_EXPANSION) {
        fail(l, "matrix", "bad range (step 0, to < from, or over %d values)", MAX_EXPANSION);
        return NULL;
    }
    cJSON *list = cJSON_CreateArray();
    for (uint64_t x = from; list && x <= to; x += step)
        cJSON_AddItemToArray(list, cJSON_CreateNumber((double)x));
    return list;
}

static int parse_family(ld *l, hs_catalogue *cat, const cJSON *fam, const section_info *si)
{
    static const char *const keys[] = {"family",      "title",         "rfc",           "tags",
                                       "timeout",     "close_timeout", "informational", "close",
                                       "max_message", "params",        "matrix",        "template",
                                       NULL};
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(fam, "family");
    if (!cJSON_IsString(name) || !valid_id(name->valuestring))
        return fail(l, "family", "needs a family id like \"6.2\"");
    l->case_id = name->valuestring;
    if (check_keys(l, fam, keys, "family")) return -1;
    const cJSON *tmpl = cJSON_GetObjectItemCaseSensitive(fam, "template");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(fam, "params");
    const cJSON *matrix = cJSON_GetObjectItemCaseSensitive(fam, "matrix");
    if (!cJSON_IsObject(tmpl))
        return fail(l, "template", "missing (an object with the case fields)");
    if (!!params == !!matrix) return fail(l, "family", "needs exactly one of 'params' or 'matrix'");
    if (params) {
        if (!cJSON_IsArray(params) || cJSON_GetArraySize(params) == 0)
            return fail(l, "params", "must be a non-empty list of objects");
        size_t index = 0;
        for (const cJSON *p = params->child; p; p = p->next) {
            var vars[65];
            size_t nv = 0;
            index++;
            l->case_id = name->valuestring;
            if (!cJSON_IsObject(p)) return fail(l, "params", "item %zu is not an object", index);
            cJSON *idx = cJSON_CreateNumber((double)index);
            vars[nv++] = (var){"index", idx};
            for (const cJSON *k = p->child; k && nv < 65; k = k->next)
                vars[nv++] = (var){k->string, k};
            int rc = expand_one(l, cat, fam, si, vars, nv, index,
                                cJSON_GetObjectItemCaseSensitive(p, "id"));
            cJSON_Delete(idx);
            if (rc) return -1;
        }
        return 0;
    }
    if (!cJSON_IsObject(matrix) || !matrix->child || cJSON_GetArraySize(matrix) > 8)
        return fail(l, "matrix", "must be an object of 1..8 name: list");
    size_t dims = 0, total = 1;
    cJSON *lists[8];
    const char *names[8];
    int rc = 0;
    for (const cJSON *d = matrix->child; d; d = d->next) {
        lists[dims] = matrix_values(l, d);
        names[dims] = d->string;
        if (!lists[dims]) {
            rc = -1;
            break;
        }
        size_t n = (size_t)cJSON_GetArraySize(lists[dims++]);
        if (n == 0) {
            rc = fail(l, "matrix", "'%s' is empty", d->string);
            break;
        }
        total *= n;
        if (total > MAX_EXPANSION) {
            rc = fail(l, "matrix", "expands to over %d cases", MAX_EXPANSION);
            break;
        }
    }
    for (size_t i = 0; rc == 0 && i < total; i++) {
        var vars[9];
        size_t rem = i;
        cJSON *idx = cJSON_CreateNumber((double)(i + 1));
        /* last dimension varies fastest */
        for (size_t d = dims; d-- > 0;) {
            size_t n = (size_t)cJSON_GetArraySize(lists[d]);
            vars[d] = (var){names[d], cJSON_GetArrayItem(lists[d], (int)(rem % n))};
            rem /= n;
        }
        vars[dims] = (var){"index", idx};
        l->case_id = name->valuestring;
        rc = expand_one(l, cat, fam, si, vars, dims + 1, i + 1, NULL);
        cJSON_Delete(idx);
    }
    for (size_t d = 0; d < dims; d++) cJSON_Delete(lists[d]);
    return rc;
}

int hs_load_string(hs_catalogue *cat, const char *json, const char *name, char *err, size_t errlen)
{
    ld l = {name, NULL, err, errlen, 0};
    cJSON *root = cJSON_Parse(json);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        size_t line = 1;
        for (const char *p = json; at && p < at && *p; p++) line += *p == '\n';
        return fail(&l, "JSON", "syntax error near line %zu", line);
    }
    static const char *const keys[] = {"section", "title", "defaults", "cases", "$comment", NULL};
    int rc = check_keys(&l, root, keys, "file");
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(root, "section");
    const cJSON *title = cJSON_GetObjectItemCaseSensitive(root, "title");
    const cJSON *defaults = cJSON_GetObjectItemCaseSensitive(root, "defaults");
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
    if (rc == 0 && !cJSON_IsString(sec)) rc = fail(&l, "section", "needs a string");
    if (rc == 0 && !cJSON_IsString(title)) rc = fail(&l, "title", "needs a string");
    if (rc == 0 && defaults) {
        static const char *const dk[] = {"timeout",       "tags",        "rfc", "close_timeout",
                                         "informational", "max_message", NULL};
        rc = check_keys(&l, defaults, dk, "defaults");
    }
    if (rc == 0 && !cJSON_IsArray(cases)) rc = fail(&l, "cases", "needs a list");
    if (rc == 0) {
        section_info si = {sec->valuestring, title->valuestring, defaults};
        for (const cJSON *c = cases->child; c && rc == 0; c = c->next) {
            l.case_id = NULL;
            if (!cJSON_IsObject(c))
                rc = fail(&l, "cases", "each item must be an object");
            else if (cJSON_GetObjectItemCaseSensitive(c, "family"))
                rc = parse_family(&l, cat, c, &si);
            else
                rc = parse_case(&l, cat, c, &si);
        }
    }
    cJSON_Delete(root);
    return rc;
}

int hs_load_file(hs_catalogue *cat, const char *path, char *err, size_t errlen)
{
    char *buf = util_read_file(path, 64u << 20, NULL, err, errlen);
    if (!buf) return -1;
    int rc = hs_load_string(cat, buf, path, err, errlen);
    free(buf);
    return rc;
}

static int json_filter(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 5 && d->d_name[0] != '.' && !strcmp(d->d_name + n - 5, ".json");
}

int hs_load_dir(hs_catalogue *cat, const char *dir, char *err, size_t errlen)
{
    struct dirent **list;
    int n = scandir(dir, &list, json_filter, alphasort);
    if (n < 0) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, list[i]->d_name);
        if (rc == 0) rc = hs_load_file(cat, path, err, errlen);
        free(list[i]);
    }
    free(list);
    return rc;
}

static int cmp_id(const void *a, const void *b)
{
    const hs_case *x = *(hs_case *const *)a, *y = *(hs_case *const *)b;
    return strcmp(x->id, y->id);
}

int hs_catalogue_check_unique(const hs_catalogue *cat, char *err, size_t errlen)
{
    if (cat->n < 2) return 0;
    const hs_case **v = malloc(cat->n * sizeof *v);
    if (!v) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < cat->n; i++) v[i] = &cat->cases[i];
    qsort(v, cat->n, sizeof *v, cmp_id);
    int rc = 0;
    for (size_t i = 1; i < cat->n && rc == 0; i++)
        if (!strcmp(v[i]->id, v[i - 1]->id)) {
            snprintf(err, errlen, "case id %s is defined twice (%s and %s)", v[i]->id,
                     v[i - 1]->file, v[i]->file);
            rc = -1;
        }
    free(v);
    return rc;
}

static int dir_has_json(const char *dir)
{
    struct dirent **list;
    int n = scandir(dir, &list, json_filter, alphasort);
    if (n < 0) return 0;
    for (int i = 0; i < n; i++) free(list[i]);
    free(list);
    return n > 0;
}

int hs_cases_dir_find(char *out, size_t n)
{
    if (dir_has_json("cases")) {
        snprintf(out, n, "cases");
        return 0;
    }
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) return -1;
    exe[len] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash) return -1;
    *slash = 0;
    const char *rel[] = {"../cases", "../share/wsprobe/cases", "../../cases"};
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        char cand[PATH_MAX + 32];
        snprintf(cand, sizeof cand, "%s/%s", exe, rel[i]);
        if (dir_has_json(cand)) {
            snprintf(out, n, "%s", cand);
            return 0;
        }
    }
    return -1;
}
