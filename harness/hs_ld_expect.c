/* hs_ld_expect: expect steps -> hs_expect. */
#include "harness/hs_ld_expect.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness/hs_judge.h"
#include "harness/hs_ld_payload.h"
#include "harness/hs_ld_step.h"

int hs_ld_codes(hs_ld *l, const cJSON *v, uint16_t *codes, size_t *n, const char *where)
{
    *n = 0;
    if (cJSON_IsTrue(v)) return 0;
    if (cJSON_IsNumber(v) || cJSON_IsString(v)) {
        uint64_t c;
        if (hs_ld_u64(l, v, 65535, &c, where)) return -1;
        codes[(*n)++] = (uint16_t)c;
        return 0;
    }
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
        return hs_ld_fail(l, where, "must be true, a code, or a non-empty list of codes");
    for (const cJSON *c = v->child; c; c = c->next) {
        uint64_t x;
        if (*n == HS_MAX_CODES) return hs_ld_fail(l, where, "at most %d codes", HS_MAX_CODES);
        if (hs_ld_u64(l, c, 65535, &x, where)) return -1;
        codes[(*n)++] = (uint16_t)x;
    }
    return 0;
}

static int parse_pattern(hs_ld *l, const cJSON *j, hs_pattern *p, const char *where);

static int parse_message_pat(hs_ld *l, const cJSON *v, hs_pattern *p, const char *where)
{
    static const char *const keys[] = {"op", "payload", "length", "compressed", NULL};
    if (hs_ld_check_keys(l, v, keys, where)) return -1;
    const cJSON *x;
    char w[320];
    if ((x = cJSON_GetObjectItemCaseSensitive(v, "op"))) {
        uint8_t op;
        snprintf(w, sizeof w, "%s.op", where);
        if (hs_ld_op(l, x, &op, w)) return -1;
        p->op = op;
    }
    if ((x = cJSON_GetObjectItemCaseSensitive(v, "payload"))) {
        snprintf(w, sizeof w, "%s.payload", where);
        p->has_payload = true;
        if (hs_ld_payload(l, x, &p->payload, w)) return -1;
    }
    if ((x = cJSON_GetObjectItemCaseSensitive(v, "length"))) {
        uint64_t n;
        snprintf(w, sizeof w, "%s.length", where);
        if (hs_ld_u64(l, x, HS_LD_MAX_PAYLOAD, &n, w)) return -1;
        p->length = (int64_t)n;
    }
    if ((x = cJSON_GetObjectItemCaseSensitive(v, "compressed"))) {
        bool b = false;
        snprintf(w, sizeof w, "%s.compressed", where);
        if (hs_ld_bool(l, x, &b, w)) return -1;
        p->compressed = b;
    }
    return 0;
}

/* {"name": "absent" | "present" | "value"}; a number is its decimal text. */
static int parse_ext_params(hs_ld *l, const cJSON *x, hs_pattern *p, const char *where)
{
    char w[320];
    snprintf(w, sizeof w, "%s.extension_params", where);
    if (!cJSON_IsObject(x) || !x->child)
        return hs_ld_fail(l, w, "must be an object of name: \"absent\", \"present\" or a value");
    p->ext_params = calloc((size_t)cJSON_GetArraySize(x), sizeof *p->ext_params);
    if (!p->ext_params) return hs_ld_fail(l, w, "out of memory");
    for (const cJSON *c = x->child; c; c = c->next) {
        char num[24];
        const char *want = cJSON_IsString(c) ? c->valuestring : NULL;
        uint64_t n;
        if (!want && cJSON_IsNumber(c)) {
            char wn[400];
            snprintf(wn, sizeof wn, "%s.%s", w, c->string);
            if (hs_ld_u64(l, c, UINT32_MAX, &n, wn)) return -1;
            snprintf(num, sizeof num, "%llu", (unsigned long long)n);
            want = num;
        }
        if (!want || !*want || !*c->string)
            return hs_ld_fail(l, w, "'%s' must be \"absent\", \"present\" or a value", c->string);
        hs_ext_param_match *m = &p->ext_params[p->n_ext_params++];
        m->name = strdup(c->string);
        m->want = strdup(want);
        if (!m->name || !m->want) return hs_ld_fail(l, w, "out of memory");
    }
    return 0;
}

static int parse_response_pat(hs_ld *l, const cJSON *v, hs_pattern *p, const char *where)
{
    static const char *const keys[] = {"status", "headers", "absent", "extension_params", NULL};
    if (hs_ld_check_keys(l, v, keys, where)) return -1;
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
                if (p->n_status == 8) return hs_ld_fail(l, w, "at most 8 statuses");
                if (hs_ld_u64(l, c, 999, &s, w)) return -1;
                p->status[p->n_status++] = (int)s;
            }
        } else {
            uint64_t s;
            if (hs_ld_u64(l, x, 999, &s, w))
                return hs_ld_fail(l, w, "must be a status, a list, or \"4xx\"");
            p->status[p->n_status++] = (int)s;
        }
    }
    if ((x = cJSON_GetObjectItemCaseSensitive(v, "headers"))) {
        snprintf(w, sizeof w, "%s.headers", where);
        if (!cJSON_IsObject(x)) return hs_ld_fail(l, w, "must be an object of name: token");
        p->headers = calloc((size_t)cJSON_GetArraySize(x) + 1, sizeof *p->headers);
        if (!p->headers) return hs_ld_fail(l, w, "out of memory");
        for (const cJSON *c = x->child; c; c = c->next) {
            if (!cJSON_IsString(c)) return hs_ld_fail(l, w, "'%s' must be a string", c->string);
            p->headers[p->n_headers].name = strdup(c->string);
            p->headers[p->n_headers].token = strdup(c->valuestring);
            p->n_headers++;
        }
    }
    if ((x = cJSON_GetObjectItemCaseSensitive(v, "absent"))) {
        snprintf(w, sizeof w, "%s.absent", where);
        if (!cJSON_IsArray(x)) return hs_ld_fail(l, w, "must be a list of header names");
        p->absent = calloc((size_t)cJSON_GetArraySize(x) + 1, sizeof *p->absent);
        if (!p->absent) return hs_ld_fail(l, w, "out of memory");
        for (const cJSON *c = x->child; c; c = c->next) {
            if (!cJSON_IsString(c)) return hs_ld_fail(l, w, "must be a list of header names");
            p->absent[p->n_absent++] = strdup(c->valuestring);
        }
    }
    if ((x = cJSON_GetObjectItemCaseSensitive(v, "extension_params")))
        return parse_ext_params(l, x, p, where);
    return 0;
}

static int parse_pattern(hs_ld *l, const cJSON *j, hs_pattern *p, const char *where)
{
    memset(p, 0, sizeof *p);
    p->op = -1;
    p->length = -1;
    p->compressed = -1;
    if (!cJSON_IsObject(j) || !j->child || j->child->next)
        return hs_ld_fail(l, where,
                          "a pattern is an object with one key (echo, message, pong, close, "
                          "drop, too_big, nothing, any_order, response)");
    const cJSON *v = j->child;
    const char *k = v->string;
    char w[320];
    snprintf(w, sizeof w, "%s.%s", where, k);
    if (!strcmp(k, "echo")) {
        p->kind = HS_PAT_ECHO;
        if (!cJSON_IsTrue(v)) return hs_ld_fail(l, w, "must be true (or a count in a list)");
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
        return hs_ld_payload(l, v, &p->payload, w);
    }
    if (!strcmp(k, "close")) {
        p->kind = HS_PAT_CLOSE;
        return hs_ld_codes(l, v, p->codes, &p->n_codes, w);
    }
    if (!strcmp(k, "too_big")) {
        p->kind = HS_PAT_TOO_BIG;
        if (!cJSON_IsTrue(v)) return hs_ld_fail(l, w, "must be true");
        return 0;
    }
    if (!strcmp(k, "drop")) {
        p->kind = HS_PAT_DROP;
        if (!cJSON_IsTrue(v)) return hs_ld_fail(l, w, "must be true");
        return 0;
    }
    if (!strcmp(k, "nothing")) {
        p->kind = HS_PAT_NOTHING;
        return hs_ld_ms(l, v, &p->ms, w);
    }
    if (!strcmp(k, "response")) {
        p->kind = HS_PAT_RESPONSE;
        return parse_response_pat(l, v, p, w);
    }
    if (!strcmp(k, "any_order")) {
        p->kind = HS_PAT_ANY_ORDER;
        if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
            return hs_ld_fail(l, w, "must be a non-empty list of patterns");
        if (cJSON_GetArraySize(v) > 64) return hs_ld_fail(l, w, "at most 64 patterns");
        p->children = calloc((size_t)cJSON_GetArraySize(v), sizeof *p->children);
        if (!p->children) return hs_ld_fail(l, w, "out of memory");
        for (const cJSON *c = v->child; c; c = c->next) {
            char wi[340];
            snprintf(wi, sizeof wi, "%s[%zu]", w, p->n_children);
            p->n_children++;
            if (parse_pattern(l, c, &p->children[p->n_children - 1], wi)) return -1;
            int ck = p->children[p->n_children - 1].kind;
            if (ck == HS_PAT_NOTHING || ck == HS_PAT_ANY_ORDER || ck == HS_PAT_RESPONSE)
                return hs_ld_fail(l, wi, "not allowed inside any_order");
        }
        return 0;
    }
    return hs_ld_fail(l, where, "unknown pattern '%s'", k);
}

/* {"echo": N} is one echo pattern with a count of N (the judge consumes N
 * echoes from it); everything else is one pattern. */
static int parse_items(hs_ld *l, const cJSON *j, hs_alt *a, const char *where)
{
    const cJSON *one = j;
    size_t cap = 0;
    if (cJSON_IsArray(j)) {
        if (cJSON_GetArraySize(j) == 0) return hs_ld_fail(l, where, "must not be empty");
        one = j->child;
    }
    for (const cJSON *c = one; c; c = cJSON_IsArray(j) ? c->next : NULL) {
        char w[320];
        snprintf(w, sizeof w, cJSON_IsArray(j) ? "%s[%zu]" : "%s", where, a->n_items);
        uint64_t reps = 1;
        const cJSON *echo = cJSON_GetObjectItemCaseSensitive(c, "echo");
        if (echo && cJSON_IsNumber(echo) && !c->child->next) {
            if (hs_ld_u64(l, echo, HS_LD_MAX_COUNT, &reps, w) || reps == 0)
                return hs_ld_fail(l, w, "echo count must be 1..%llu", HS_LD_MAX_COUNT);
        }
        if (a->n_items == cap) {
            cap = cap ? cap * 2 : 4;
            hs_pattern *n = realloc(a->items, cap * sizeof *n);
            if (!n) return hs_ld_fail(l, w, "out of memory");
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
            return hs_ld_fail(l, where, "'nothing' must be the only pattern of its alternative");
    for (size_t i = 1; i < a->n_items; i++)
        if (a->items[i].kind == HS_PAT_RESPONSE)
            return hs_ld_fail(l, where, "'response' must be the first pattern");
    return 0;
}

static int parse_alt(hs_ld *l, const cJSON *j, hs_alt *a, const char *where)
{
    static const char *const keys[] = {"events", "verdict", "why", "stop", NULL};
    if (hs_ld_check_keys(l, j, keys, where)) return -1;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "events");
    char w[320];
    snprintf(w, sizeof w, "%s.events", where);
    if (!v) return hs_ld_fail(l, where, "needs 'events'");
    if (parse_items(l, v, a, w)) return -1;
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "verdict"))) {
        snprintf(w, sizeof w, "%s.verdict", where);
        if (!cJSON_IsString(v) || (a->verdict = hs_verdict_parse(v->valuestring)) < 0)
            return hs_ld_fail(l, w,
                              "must be OK, NON-STRICT, INFORMATIONAL, UNIMPLEMENTED or FAILED");
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "why"))) {
        snprintf(w, sizeof w, "%s.why", where);
        if (hs_ld_str(l, v, &a->why, w)) return -1;
        char bad[64];
        if (!hs_why_check(a->why, bad, sizeof bad))
            return hs_ld_fail(l, w,
                              "unknown placeholder %s (known: {close_code}, {bytes}, {elapsed_ms}, "
                              "{subprotocol})",
                              bad);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "stop"))) {
        snprintf(w, sizeof w, "%s.stop", where);
        if (hs_ld_bool(l, v, &a->stop, w)) return -1;
    }
    return 0;
}

int hs_ld_expect(hs_ld *l, const cJSON *step, hs_expect *e, const char *where)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(step, "expect");
    const cJSON *within = cJSON_GetObjectItemCaseSensitive(step, "within");
    char w[320];
    snprintf(w, sizeof w, "%s.expect", where);
    e->otherwise = HS_FAILED;
    const cJSON *one_of = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "one_of") : NULL;
    if (one_of) {
        static const char *const keys[] = {"one_of", "otherwise", "within", NULL};
        if (hs_ld_check_keys(l, j, keys, w)) return -1;
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "otherwise");
        if (o && (!cJSON_IsString(o) || (e->otherwise = hs_verdict_parse(o->valuestring)) < 0))
            return hs_ld_fail(l, w, "'otherwise' must be a verdict name");
        if (!within) within = cJSON_GetObjectItemCaseSensitive(j, "within");
        if (!cJSON_IsArray(one_of) || cJSON_GetArraySize(one_of) == 0)
            return hs_ld_fail(l, w, "'one_of' must be a non-empty list of alternatives");
        e->alts = calloc((size_t)cJSON_GetArraySize(one_of), sizeof *e->alts);
        if (!e->alts) return hs_ld_fail(l, w, "out of memory");
        for (const cJSON *c = one_of->child; c; c = c->next) {
            char wi[340];
            snprintf(wi, sizeof wi, "%s.one_of[%zu]", w, e->n_alts);
            e->n_alts++;
            if (parse_alt(l, c, &e->alts[e->n_alts - 1], wi)) return -1;
        }
    } else {
        e->alts = calloc(1, sizeof *e->alts);
        if (!e->alts) return hs_ld_fail(l, w, "out of memory");
        e->n_alts = 1;
        if (parse_items(l, j, &e->alts[0], w)) return -1;
    }
    if (within) {
        snprintf(w, sizeof w, "%s.within", where);
        if (hs_ld_ms(l, within, &e->within_ms, w)) return -1;
    }
    return 0;
}
