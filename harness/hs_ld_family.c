/* hs_ld_family: families expanded into cases. */
#include "harness/hs_ld_family.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Placeholders filled later ({i} in repeated payloads, the figures in `why`,
 * {host} {path} {key} in requests, {subprotocol} from the command line): a
 * family template leaves them as they are. */
static bool is_runtime_name(const char *p, size_t n)
{
    static const char *const names[] = {"i",    "close_code", "bytes",       "elapsed_ms", "host",
                                        "path", "key",        "subprotocol", NULL};
    for (int i = 0; names[i]; i++)
        if (strlen(names[i]) == n && !strncmp(p, names[i], n)) return true;
    return false;
}

/* Replaces {name} in s. Returns a new string, or NULL with err set. */
static char *subst_text(hs_ld *l, const char *s, const var *vars, size_t nv)
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
            hs_ld_fail(l, "template", "no parameter named '%.*s'", (int)(end - s - 1), s + 1);
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

static int subst(hs_ld *l, cJSON *node, const var *vars, size_t nv)
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
                    return hs_ld_fail(l, "template", "out of memory");
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
                    return hs_ld_fail(l, "template", "out of memory");
                }
            }
        } else if (c->child && subst(l, c, vars, nv)) {
            return -1;
        }
        c = next;
    }
    return 0;
}

static int expand_one(hs_ld *l, hs_catalogue *cat, const cJSON *fam, const hs_ld_section *si,
                      const var *vars, size_t nv, size_t index, const cJSON *id_part)
{
    static const char *const inherited[] = {"title",   "rfc",           "tags",
                                            "timeout", "close_timeout", "informational",
                                            "close",   "max_message",   NULL};
    const cJSON *tmpl = cJSON_GetObjectItemCaseSensitive(fam, "template");
    cJSON *c = cJSON_Duplicate(tmpl, 1);
    if (!c) return hs_ld_fail(l, "template", "out of memory");
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
        rc = hs_ld_case(l, cat, c, si);
    }
    cJSON_Delete(c);
    return rc;
}

/* One matrix dimension as a list (ranges become lists). */
static cJSON *matrix_values(hs_ld *l, const cJSON *v)
{
    if (cJSON_IsArray(v)) return cJSON_Duplicate(v, 1);
    static const char *const keys[] = {"from", "to", "step", NULL};
    if (hs_ld_check_keys(l, v, keys, "matrix")) return NULL;
    uint64_t from = 0, to = 0, step = 1;
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(v, "from");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(v, "to");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(v, "step");
    if (!f || !t) {
        hs_ld_fail(l, "matrix", "a range needs 'from' and 'to'");
        return NULL;
    }
    if (hs_ld_u64(l, f, UINT32_MAX, &from, "matrix.from") ||
        hs_ld_u64(l, t, UINT32_MAX, &to, "matrix.to") ||
        (s && hs_ld_u64(l, s, UINT32_MAX, &step, "matrix.step")))
        return NULL;
    if (step == 0 || to < from || (to - from) / step >= HS_LD_MAX_EXPANSION) {
        hs_ld_fail(l, "matrix", "bad range (step 0, to < from, or over %d values)",
                   HS_LD_MAX_EXPANSION);
        return NULL;
    }
    cJSON *list = cJSON_CreateArray();
    for (uint64_t x = from; list && x <= to; x += step)
        cJSON_AddItemToArray(list, cJSON_CreateNumber((double)x));
    return list;
}

int hs_ld_family(hs_ld *l, hs_catalogue *cat, const cJSON *fam, const hs_ld_section *si)
{
    static const char *const keys[] = {"family",      "title",         "rfc",           "tags",
                                       "timeout",     "close_timeout", "informational", "close",
                                       "max_message", "params",        "matrix",        "template",
                                       NULL};
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(fam, "family");
    if (!cJSON_IsString(name) || !hs_ld_valid_id(name->valuestring))
        return hs_ld_fail(l, "family", "needs a family id like \"6.2\"");
    l->case_id = name->valuestring;
    if (hs_ld_check_keys(l, fam, keys, "family")) return -1;
    const cJSON *tmpl = cJSON_GetObjectItemCaseSensitive(fam, "template");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(fam, "params");
    const cJSON *matrix = cJSON_GetObjectItemCaseSensitive(fam, "matrix");
    if (!cJSON_IsObject(tmpl))
        return hs_ld_fail(l, "template", "missing (an object with the case fields)");
    if (!!params == !!matrix)
        return hs_ld_fail(l, "family", "needs exactly one of 'params' or 'matrix'");
    if (params) {
        if (!cJSON_IsArray(params) || cJSON_GetArraySize(params) == 0)
            return hs_ld_fail(l, "params", "must be a non-empty list of objects");
        size_t index = 0;
        for (const cJSON *p = params->child; p; p = p->next) {
            var vars[65];
            size_t nv = 0;
            index++;
            l->case_id = name->valuestring;
            if (!cJSON_IsObject(p))
                return hs_ld_fail(l, "params", "item %zu is not an object", index);
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
        return hs_ld_fail(l, "matrix", "must be an object of 1..8 name: list");
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
            rc = hs_ld_fail(l, "matrix", "'%s' is empty", d->string);
            break;
        }
        total *= n;
        if (total > HS_LD_MAX_EXPANSION) {
            rc = hs_ld_fail(l, "matrix", "expands to over %d cases", HS_LD_MAX_EXPANSION);
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
