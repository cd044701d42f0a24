/* hs_ld_step: step lists -> hs_step. */
#include "harness/hs_ld_step.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness/hs_ld_expect.h"
#include "harness/hs_ld_payload.h"
#include "ws/ws_frame.h"

int hs_ld_op(hs_ld *l, const cJSON *j, uint8_t *op, const char *where)
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
        return hs_ld_fail(l, where, "unknown opcode name '%s'", j->valuestring);
    }
    uint64_t v;
    if (hs_ld_u64(l, j, 15, &v, where)) return -1;
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

static int parse_send(hs_ld *l, const cJSON *j, hs_send *s, const char *where)
{
    static const char *const keys[] = {"op",      "fin",    "rsv",      "cont_rsv", "mask",
                                       "payload", "length", "len_form", "compress", "fragment",
                                       "count",   "chop",   "delay",    NULL};
    char w[300];
    memset(s, 0, sizeof *s);
    s->fin = true;
    s->count = 1;
    if (hs_ld_check_keys(l, j, keys, where)) return -1;
    const cJSON *v;
    v = cJSON_GetObjectItemCaseSensitive(j, "op");
    snprintf(w, sizeof w, "%s.op", where);
    if (!v) return hs_ld_fail(l, where, "needs 'op'");
    if (hs_ld_op(l, v, &s->opcode, w)) return -1;
    snprintf(w, sizeof w, "%s.payload", where);
    if (hs_ld_payload(l, cJSON_GetObjectItemCaseSensitive(j, "payload"), &s->payload, w)) return -1;
    s->subst_i = l->depth > 0 && json_has_i(cJSON_GetObjectItemCaseSensitive(j, "payload"));
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "fin"))) {
        snprintf(w, sizeof w, "%s.fin", where);
        if (hs_ld_bool(l, v, &s->fin, w)) return -1;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "rsv"))) {
        uint64_t r;
        snprintf(w, sizeof w, "%s.rsv", where);
        if (hs_ld_u64(l, v, 7, &r, w)) return -1;
        s->rsv_given = true;
        s->rsv = (uint8_t)r;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "cont_rsv"))) {
        uint64_t r;
        snprintf(w, sizeof w, "%s.cont_rsv", where);
        if (hs_ld_u64(l, v, 7, &r, w)) return -1;
        s->cont_rsv_given = true;
        s->cont_rsv = (uint8_t)r;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "mask"))) {
        snprintf(w, sizeof w, "%s.mask", where);
        if (cJSON_IsBool(v)) {
            s->mask_mode = cJSON_IsTrue(v) ? HS_MASK_RANDOM : HS_MASK_NONE;
        } else {
            hs_payload k = {0};
            if (!cJSON_IsString(v) || hs_ld_hex(l, v->valuestring, &k, w))
                return hs_ld_fail(l, w, "must be true, false or 8 hex digits");
            if (k.len != 4) {
                hs_payload_free(&k);
                return hs_ld_fail(l, w, "a mask key is 4 bytes (8 hex digits)");
            }
            memcpy(s->key, k.bytes, 4);
            hs_payload_free(&k);
            s->mask_mode = HS_MASK_KEY;
        }
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "length"))) {
        snprintf(w, sizeof w, "%s.length", where);
        if (hs_ld_u64(l, v, UINT64_MAX, &s->declared_len, w)) return -1;
        if (cJSON_IsNumber(v) && v->valuedouble >= 9007199254740992.0)
            return hs_ld_fail(l, w, "use a string for lengths above 2^53");
        s->declare_len = true;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "len_form"))) {
        uint64_t f;
        snprintf(w, sizeof w, "%s.len_form", where);
        if (hs_ld_u64(l, v, 64, &f, w)) return -1;
        if (f != 0 && f != 7 && f != 16 && f != 64)
            return hs_ld_fail(l, w, "must be 0, 7, 16 or 64");
        s->len_form = (int)f;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "compress"))) {
        snprintf(w, sizeof w, "%s.compress", where);
        if (hs_ld_bool(l, v, &s->compress, w)) return -1;
    }
    struct {
        const char *name;
        uint64_t max;
        uint64_t val;
        bool set;
    } nums[] = {{"fragment", HS_LD_MAX_PAYLOAD, 0, false},
                {"count", HS_LD_MAX_COUNT, 1, false},
                {"chop", HS_LD_MAX_PAYLOAD, 0, false},
                {"delay", 60000, 0, false}};
    for (size_t i = 0; i < 4; i++) {
        if (!(v = cJSON_GetObjectItemCaseSensitive(j, nums[i].name))) continue;
        snprintf(w, sizeof w, "%s.%s", where, nums[i].name);
        if (hs_ld_u64(l, v, nums[i].max, &nums[i].val, w)) return -1;
        nums[i].set = true;
    }
    s->fragment = nums[0].val;
    if (nums[1].set) s->count = (uint32_t)nums[1].val;
    s->chop = (uint32_t)nums[2].val;
    s->delay_ms = (uint32_t)nums[3].val;
    if (s->count == 0) return hs_ld_fail(l, where, "count must be at least 1");
    return 0;
}

static int parse_header_list(hs_ld *l, const cJSON *j, bool pairs, hs_header **out, size_t *n,
                             const char *where)
{
    size_t cnt = (size_t)cJSON_GetArraySize(j);
    if (pairs ? !cJSON_IsArray(j) : !cJSON_IsObject(j))
        return hs_ld_fail(l, where,
                          pairs ? "must be a list of [name, value] pairs"
                                : "must be an object of name: value");
    *out = calloc(cnt ? cnt : 1, sizeof **out);
    if (!*out) return hs_ld_fail(l, where, "out of memory");
    size_t i = 0;
    for (const cJSON *c = j->child; c; c = c->next, i++) {
        char w[300];
        const cJSON *name = c, *value = c;
        snprintf(w, sizeof w, "%s[%zu]", where, i);
        if (pairs) {
            if (!cJSON_IsArray(c) || cJSON_GetArraySize(c) != 2 || !cJSON_IsString(c->child))
                return hs_ld_fail(l, w, "must be [name, value]");
            name = c->child;
            value = c->child->next;
            (*out)[i].name = strdup(name->valuestring);
        } else {
            (*out)[i].name = strdup(c->string);
        }
        *n = i + 1;
        if (!(*out)[i].name) return hs_ld_fail(l, w, "out of memory");
        if (strpbrk((*out)[i].name, "\r\n:") || !(*out)[i].name[0])
            return hs_ld_fail(l, w, "bad header name '%s'", (*out)[i].name);
        if (hs_ld_payload(l, value, &(*out)[i].value, w)) return -1;
    }
    return 0;
}

static int set_shorthand(hs_ld *l, hs_handshake *h, const char *name, const cJSON *v,
                         const char *where)
{
    hs_header *n = realloc(h->set, (h->n_set + 1) * sizeof *n);
    if (!n) return hs_ld_fail(l, where, "out of memory");
    h->set = n;
    memset(&n[h->n_set], 0, sizeof *n);
    n[h->n_set].name = strdup(name);
    h->n_set++;
    return hs_ld_payload(l, v, &n[h->n_set - 1].value, where);
}

static int parse_handshake(hs_ld *l, const cJSON *j, hs_handshake *h, const char *where)
{
    static const char *const keys[] = {"method", "path",  "version",      "key",        "set",
                                       "omit",   "add",   "subprotocols", "extensions", "raw",
                                       "chop",   "delay", "early",        NULL};
    char w[300];
    memset(h, 0, sizeof *h);
    if (hs_ld_check_keys(l, j, keys, where)) return -1;
    const char *const strs[] = {"method", "path", "version", "key"};
    char **dst[] = {&h->method, &h->path, &h->version, &h->key};
    for (size_t i = 0; i < 4; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, strs[i]);
        snprintf(w, sizeof w, "%s.%s", where, strs[i]);
        if (v && hs_ld_str(l, v, dst[i], w)) return -1;
        if (*dst[i] && strpbrk(*dst[i], "\r\n"))
            return hs_ld_fail(l, w, "must not contain CR or LF");
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
        if (!cJSON_IsArray(v)) return hs_ld_fail(l, w, "must be a list of header names");
        h->omit = calloc((size_t)cJSON_GetArraySize(v) + 1, sizeof *h->omit);
        if (!h->omit) return hs_ld_fail(l, w, "out of memory");
        for (const cJSON *c = v->child; c; c = c->next) {
            if (!cJSON_IsString(c)) return hs_ld_fail(l, w, "must be a list of header names");
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
        if (hs_ld_payload(l, v, &h->raw, w)) return -1;
    }
    uint64_t n;
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "chop"))) {
        snprintf(w, sizeof w, "%s.chop", where);
        if (hs_ld_u64(l, v, 1 << 20, &n, w)) return -1;
        h->chop = (uint32_t)n;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "delay"))) {
        snprintf(w, sizeof w, "%s.delay", where);
        if (hs_ld_u64(l, v, 60000, &n, w)) return -1;
        h->delay_ms = (uint32_t)n;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "early"))) {
        snprintf(w, sizeof w, "%s.early", where);
        if (!cJSON_IsArray(v)) return hs_ld_fail(l, w, "must be a list of frames");
        size_t cnt = (size_t)cJSON_GetArraySize(v);
        h->early = calloc(cnt ? cnt : 1, sizeof *h->early);
        if (!h->early) return hs_ld_fail(l, w, "out of memory");
        for (const cJSON *c = v->child; c; c = c->next) {
            char wi[320];
            snprintf(wi, sizeof wi, "%s[%zu]", w, h->n_early);
            h->n_early++;
            if (parse_send(l, c, &h->early[h->n_early - 1], wi)) return -1;
        }
    }
    return 0;
}

static int parse_step(hs_ld *l, const cJSON *j, hs_step *s, const char *where)
{
    char w[320];
    memset(s, 0, sizeof *s);
    if (!cJSON_IsObject(j) || !j->child) return hs_ld_fail(l, where, "a step must be an object");
    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "send"))) {
        static const char *const keys[] = {"send", NULL};
        s->kind = HS_STEP_SEND;
        snprintf(w, sizeof w, "%s.send", where);
        return hs_ld_check_keys(l, j, keys, where) ? -1 : parse_send(l, v, &s->send, w);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "handshake"))) {
        static const char *const keys[] = {"handshake", NULL};
        s->kind = HS_STEP_HANDSHAKE;
        snprintf(w, sizeof w, "%s.handshake", where);
        return hs_ld_check_keys(l, j, keys, where) ? -1 : parse_handshake(l, v, &s->hs, w);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "raw"))) {
        static const char *const keys[] = {"raw", "chop", "delay", NULL};
        uint64_t x;
        s->kind = HS_STEP_RAW;
        if (hs_ld_check_keys(l, j, keys, where)) return -1;
        snprintf(w, sizeof w, "%s.raw", where);
        if (hs_ld_payload(l, v, &s->raw, w)) return -1;
        if ((v = cJSON_GetObjectItemCaseSensitive(j, "chop"))) {
            if (hs_ld_u64(l, v, HS_LD_MAX_PAYLOAD, &x, where)) return -1;
            s->chop = (uint32_t)x;
        }
        if ((v = cJSON_GetObjectItemCaseSensitive(j, "delay"))) {
            if (hs_ld_u64(l, v, 60000, &x, where)) return -1;
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
        if (hs_ld_check_keys(l, j, keys, where)) return -1;
        if (!cJSON_IsObject(v)) {
            if (hs_ld_u64(l, v, 65535, &code, w)) return -1;
            s->close_code = (int)code;
            return hs_ld_payload(l, NULL, &s->raw, w);
        }
        if (hs_ld_check_keys(l, v, ckeys, w)) return -1;
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(v, "code");
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(v, "reason");
        if (c) {
            if (hs_ld_u64(l, c, 65535, &code, w)) return -1;
            s->close_code = (int)code;
        }
        if (r && !c) return hs_ld_fail(l, w, "a reason needs a code");
        if (hs_ld_payload(l, r, &s->raw, w)) return -1;
        if (hs_payload_size(&s->raw) > 123)
            return hs_ld_fail(
                l, w, "reason longer than 123 bytes (use a send step for a lying close frame)");
        return 0;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "sleep"))) {
        static const char *const keys[] = {"sleep", NULL};
        s->kind = HS_STEP_SLEEP;
        snprintf(w, sizeof w, "%s.sleep", where);
        return hs_ld_check_keys(l, j, keys, where) ? -1 : hs_ld_ms(l, v, &s->sleep_ms, w);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "shutdown"))) {
        static const char *const keys[] = {"shutdown", NULL};
        s->kind = HS_STEP_SHUTDOWN;
        snprintf(w, sizeof w, "%s.shutdown", where);
        if (hs_ld_check_keys(l, j, keys, where)) return -1;
        if (!cJSON_IsString(v) || strcmp(v->valuestring, "write"))
            return hs_ld_fail(l, w, "must be \"write\" (half-close: shutdown(SHUT_WR))");
        return 0;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "expect"))) {
        static const char *const keys[] = {"expect", "within", NULL};
        s->kind = HS_STEP_EXPECT;
        return hs_ld_check_keys(l, j, keys, where) ? -1 : hs_ld_expect(l, j, &s->expect, where);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "repeat"))) {
        static const char *const keys[] = {"repeat", "steps", NULL};
        uint64_t x;
        s->kind = HS_STEP_REPEAT;
        snprintf(w, sizeof w, "%s.repeat", where);
        if (hs_ld_check_keys(l, j, keys, where) || hs_ld_u64(l, v, HS_LD_MAX_COUNT, &x, w))
            return -1;
        s->repeat = (uint32_t)x;
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "steps");
        snprintf(w, sizeof w, "%s.steps", where);
        if (!st) return hs_ld_fail(l, where, "repeat needs 'steps'");
        if (++l->depth > 4) return hs_ld_fail(l, w, "repeat nested more than 4 deep");
        int rc = hs_ld_steps(l, st, &s->steps, &s->n_steps, w);
        l->depth--;
        if (rc) return -1;
        for (size_t i = 0; i < s->n_steps; i++)
            if (s->steps[i].kind == HS_STEP_HANDSHAKE || s->steps[i].kind == HS_STEP_SHUTDOWN)
                return hs_ld_fail(l, w, "no handshake or shutdown inside repeat");
        return 0;
    }
    return hs_ld_fail(l, where,
                      "unknown step '%s' (send, raw, close, shutdown, sleep, expect, handshake, "
                      "repeat)",
                      j->child->string);
}

int hs_ld_steps(hs_ld *l, const cJSON *j, hs_step **out, size_t *n, const char *where)
{
    if (!cJSON_IsArray(j)) return hs_ld_fail(l, where, "must be a list of steps");
    size_t cnt = (size_t)cJSON_GetArraySize(j);
    *out = calloc(cnt ? cnt : 1, sizeof **out);
    if (!*out) return hs_ld_fail(l, where, "out of memory");
    for (const cJSON *c = j->child; c; c = c->next) {
        char w[320];
        snprintf(w, sizeof w, "%s[%zu]", where, *n);
        (*n)++;
        if (parse_step(l, c, &(*out)[*n - 1], w)) return -1;
    }
    return 0;
}
