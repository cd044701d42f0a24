/* hs_ld_case: case objects -> hs_case. */
#include "harness/hs_ld_case.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/hs_ld_expect.h"
#include "harness/hs_ld_step.h"

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

static const cJSON *field(const cJSON *c, const hs_ld_section *si, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, name);
    if (!v && si->defaults) v = cJSON_GetObjectItemCaseSensitive(si->defaults, name);
    return v;
}

int hs_ld_valid_id(const char *s)
{
    if (!*s || strlen(s) > 64) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '.' && *s != '-' && *s != '_') return 0;
    return 1;
}

static int get_seconds(hs_ld *l, const cJSON *v, double *out, const char *where)
{
    if (!cJSON_IsNumber(v) || v->valuedouble <= 0 || v->valuedouble > 3600)
        return hs_ld_fail(l, where, "must be a number of seconds, 0 < s <= 3600");
    *out = v->valuedouble;
    return 0;
}

int hs_ld_case(hs_ld *l, hs_catalogue *cat, const cJSON *j, const hs_ld_section *si)
{
    static const char *const keys[] = {
        "id",    "title",       "rfc",   "tags", "timeout", "close_timeout", "informational",
        "close", "max_message", "steps", NULL};
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
    if (!cJSON_IsString(id)) return hs_ld_fail(l, "case", "needs a string 'id'");
    l->case_id = id->valuestring;
    if (!hs_ld_valid_id(id->valuestring))
        return hs_ld_fail(l, "id", "use letters, digits, '.', '-', '_' (at most 64)");
    if (hs_ld_check_keys(l, j, keys, "case")) return -1;
    hs_case *c = cat_push(cat);
    if (!c) return hs_ld_fail(l, "case", "out of memory");
    c->id = strdup(id->valuestring);
    c->file = strdup(l->file);
    c->section = strdup(si->section);
    c->section_title = strdup(si->title);
    const cJSON *v;
    if (!(v = field(j, si, "title"))) return hs_ld_fail(l, "title", "missing");
    if (hs_ld_str(l, v, &c->title, "title")) return -1;
    if (!(v = field(j, si, "rfc"))) return hs_ld_fail(l, "rfc", "missing");
    if (hs_ld_str(l, v, &c->rfc, "rfc")) return -1;
    if ((v = field(j, si, "tags"))) {
        if (!cJSON_IsArray(v)) return hs_ld_fail(l, "tags", "must be a list of strings");
        c->tags = calloc((size_t)cJSON_GetArraySize(v) + 1, sizeof *c->tags);
        if (!c->tags) return hs_ld_fail(l, "tags", "out of memory");
        for (const cJSON *t = v->child; t; t = t->next) {
            if (!cJSON_IsString(t)) return hs_ld_fail(l, "tags", "must be a list of strings");
            c->tags[c->n_tags++] = strdup(t->valuestring);
        }
    }
    if ((v = field(j, si, "timeout")) && get_seconds(l, v, &c->timeout_s, "timeout")) return -1;
    if ((v = field(j, si, "close_timeout")) &&
        get_seconds(l, v, &c->close_timeout_s, "close_timeout"))
        return -1;
    if ((v = field(j, si, "informational")) && hs_ld_bool(l, v, &c->informational, "informational"))
        return -1;
    if ((v = field(j, si, "max_message"))) {
        if (hs_ld_u64(l, v, 1ull << 31, &c->max_message, "max_message")) return -1;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "close"))) {
        static const char *const ck[] = {"codes", NULL};
        if (hs_ld_check_keys(l, v, ck, "close")) return -1;
        const cJSON *codes = cJSON_GetObjectItemCaseSensitive(v, "codes");
        if (codes && hs_ld_codes(l, codes, c->close_codes, &c->n_close_codes, "close.codes"))
            return -1;
    }
    if (!(v = cJSON_GetObjectItemCaseSensitive(j, "steps")))
        return hs_ld_fail(l, "steps", "missing");
    if (hs_ld_steps(l, v, &c->steps, &c->n_steps, "steps")) return -1;
    for (size_t i = 1; i < c->n_steps; i++)
        if (c->steps[i].kind == HS_STEP_HANDSHAKE)
            return hs_ld_fail(l, "steps", "a handshake step must be the first step");
    /* After a half-close nothing can be written: no step that sends may follow. */
    bool shut = false;
    for (size_t i = 0; i < c->n_steps; i++) {
        int k = c->steps[i].kind;
        if (shut && (k == HS_STEP_SEND || k == HS_STEP_RAW || k == HS_STEP_CLOSE))
            return hs_ld_fail(l, "steps", "nothing can be sent after {\"shutdown\": \"write\"}");
        shut |= k == HS_STEP_SHUTDOWN;
    }
    for (size_t i = 0; i < c->n_steps; i++) {
        const hs_expect *e = &c->steps[i].expect;
        bool after_hs = i > 0 && c->steps[i - 1].kind == HS_STEP_HANDSHAKE;
        for (size_t a = 0; c->steps[i].kind == HS_STEP_EXPECT && a < e->n_alts; a++)
            if (e->alts[a].items[0].kind == HS_PAT_RESPONSE && !after_hs)
                return hs_ld_fail(l, "steps",
                                  "'response' patterns only right after a handshake step");
    }
    l->case_id = NULL;
    return 0;
}
