/* rp_autobahn: Autobahn-compatible index.json and case files (see rp_autobahn.h). */
#include "reports/rp_autobahn.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/rp_write.h"

#define MAX_PREFIX 64  /* bytes of the agent's part of a file name */
#define MAX_ID     100 /* bytes of the case's part */
#define MAX_KEY    100 /* a member name kept in a case file */

/* A copy of j with every string cut at RP_AB_MAX_STRING bytes (between two
 * UTF-8 sequences, then "...") and every list and object at RP_AB_MAX_ITEMS
 * members. */
static cJSON *cut_string(const char *str)
{
    size_t n = strlen(str);
    if (n <= RP_AB_MAX_STRING) return cJSON_CreateString(str);
    n = RP_AB_MAX_STRING;
    while (n && ((unsigned char)str[n] & 0xC0) == 0x80) n--;
    char *cut = malloc(n + 4);
    if (!cut) return NULL;
    memcpy(cut, str, n);
    memcpy(cut + n, "...", 4);
    cJSON *s = cJSON_CreateString(cut);
    free(cut);
    return s;
}

static cJSON *bounded(const cJSON *j)
{
    if (cJSON_IsString(j)) return cut_string(j->valuestring);
    if (!cJSON_IsArray(j) && !cJSON_IsObject(j)) return cJSON_Duplicate(j, 0);
    cJSON *out = cJSON_IsArray(j) ? cJSON_CreateArray() : cJSON_CreateObject();
    size_t k = 0;
    for (const cJSON *c = j->child; out && c && k < RP_AB_MAX_ITEMS; c = c->next, k++) {
        cJSON *v = bounded(c);
        if (!v) continue;
        if (cJSON_IsArray(j))
            cJSON_AddItemToArray(out, v);
        else if (strlen(c->string) <= MAX_KEY)
            cJSON_AddItemToObject(out, c->string, v);
        else
            cJSON_Delete(v);
    }
    return out;
}

/* What Autobahn's index and its case files both say of a case's outcome. */
static void add_outcome(cJSON *o, const rp_case *c)
{
    cJSON_AddStringToObject(o, "behavior", rp_verdict_name(c->verdict));
    cJSON_AddStringToObject(o, "behaviorClose", rp_verdict_name(c->close_verdict));
    cJSON_AddNumberToObject(o, "duration", (double)(long long)c->duration_ms);
    if (c->server_code >= 0)
        cJSON_AddNumberToObject(o, "remoteCloseCode", c->server_code);
    else
        cJSON_AddNullToObject(o, "remoteCloseCode");
}

/* A list cut by bounded(): its counter of entries left out grows by as many. */
static void count_cut(cJSON *doc, const cJSON *orig, const char *list, const char *counter)
{
    int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(orig, list));
    cJSON *c = cJSON_GetObjectItemCaseSensitive(doc, counter);
    if (n > RP_AB_MAX_ITEMS && cJSON_IsNumber(c))
        cJSON_SetNumberValue(c, c->valuedouble + (n - RP_AB_MAX_ITEMS));
}

static void add_string_at(cJSON *o, const char *name, const cJSON *from, const char *a,
                          const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, a);
    if (b) v = cJSON_GetObjectItemCaseSensitive(v, b);
    cJSON *s = cJSON_IsString(v) ? bounded(v) : cJSON_CreateString("");
    if (s) cJSON_AddItemToObject(o, name, s);
}

cJSON *rp_autobahn_case(const rp_report *r, size_t i, const char *agent)
{
    const rp_case *c = &r->cases[i];
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "agent", agent);
    cJSON_AddNumberToObject(o, "case", (double)(i + 1));
    cJSON_AddItemToObject(o, "id", cut_string(c->id));
    add_string_at(o, "description", c->json, "title", NULL);
    /* Autobahn's expectation is prose; ours is the expect steps in words. */
    rp_str exp = {0};
    const cJSON *e;
    size_t k = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(c->json, "expected"))
    {
        if (!cJSON_IsString(e)) continue;
        if (k++ == RP_AB_MAX_ITEMS || exp.n > RP_AB_MAX_STRING) break;
        if (exp.n) rp_str_adds(&exp, "; ");
        rp_str_adds(&exp, e->valuestring);
    }
    cJSON *es = cut_string(exp.p && !exp.oom ? exp.p : "");
    rp_str_free(&exp);
    if (es) cJSON_AddItemToObject(o, "expectation", es);
    add_outcome(o, c);
    add_string_at(o, "result", c->json, "reason", NULL);
    add_string_at(o, "resultClose", c->json, "close_reason", NULL);
    add_string_at(o, "httpRequest", c->json, "handshake", "request");
    add_string_at(o, "httpResponse", c->json, "handshake", "response");
    cJSON_AddItemToObject(o, "started", cut_string(r->started));
    cJSON *own = bounded(c->json);
    if (own) {
        count_cut(own, c->json, "wire", "wire_truncated");
        count_cut(own, c->json, "observed", "observed_truncated");
        cJSON_AddItemToObject(o, "wsprobe", own);
    }
    return o;
}

/* The agent as a file name part: lower-case letters and digits, every other
 * run of characters one '_' ("Server/1.2 (x)" -> "server_1_2_x"). */
static void file_prefix(const char *agent, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = agent; *p && o + 1 < cap && o < MAX_PREFIX; p++) {
        unsigned char ch = (unsigned char)*p;
        if (isalnum(ch) && ch < 128)
            out[o++] = (char)tolower(ch);
        else if (o && out[o - 1] != '_')
            out[o++] = '_';
    }
    while (o && out[o - 1] == '_') o--;
    out[o] = 0;
    if (!o) snprintf(out, cap, "agent");
}

/* PREFIX_case_ID.json, ID with every character but letters, digits and '-'
 * as '_' ("6.4.1" -> "6_4_1"), made unique among the names in used. */
static void case_file(const char *prefix, const char *id, cJSON *used, char *out, size_t cap)
{
    char clean[MAX_ID + 1];
    size_t o = 0;
    for (const char *p = id; *p && o < MAX_ID; p++) {
        unsigned char ch = (unsigned char)*p;
        clean[o++] = (isalnum(ch) && ch < 128) || ch == '-' ? (char)ch : '_';
    }
    clean[o] = 0;
    snprintf(out, cap, "%s_case_%s.json", prefix, clean);
    for (int k = 2; cJSON_GetObjectItemCaseSensitive(used, out); k++)
        snprintf(out, cap, "%s_case_%s-%d.json", prefix, clean, k);
    cJSON_AddTrueToObject(used, out);
}

/* The index; with dir, also every case file written into dir. */
static cJSON *build(const rp_report *const *reps, size_t n, const char *dir, char *err,
                    size_t errlen)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *used = cJSON_CreateObject(); /* file names and prefixes taken */
    int rc = root && used ? 0 : -1;
    for (size_t k = 0; rc == 0 && k < n; k++) {
        const rp_report *r = reps[k];
        const char *agent = rp_report_agent(r);
        /* Two reports of one agent (e.g. two runs) must not overwrite each
         * other: the second gets " (2)", and its files their own prefix. */
        char name[300], prefix[MAX_PREFIX + 16], base[MAX_PREFIX + 1];
        snprintf(name, sizeof name, "%s", agent);
        for (int i = 2; cJSON_GetObjectItemCaseSensitive(root, name); i++)
            snprintf(name, sizeof name, "%.280s (%d)", agent, i);
        file_prefix(name, base, sizeof base);
        snprintf(prefix, sizeof prefix, "%s", base);
        for (int i = 2; cJSON_GetObjectItemCaseSensitive(used, prefix); i++)
            snprintf(prefix, sizeof prefix, "%s_%d", base, i);
        cJSON_AddTrueToObject(used, prefix);
        cJSON *a = cJSON_AddObjectToObject(root, name);
        for (size_t i = 0; a && rc == 0 && i < r->n_cases; i++) {
            const rp_case *c = &r->cases[i];
            cJSON *o = cJSON_AddObjectToObject(a, c->id);
            char file[MAX_PREFIX + MAX_ID + 40];
            case_file(prefix, c->id, used, file, sizeof file);
            add_outcome(o, c);
            cJSON_AddStringToObject(o, "reportfile", file);
            if (!dir) continue;
            cJSON *doc = rp_autobahn_case(r, i, name);
            rc = rp_write_json(dir, file, doc, err, errlen);
            cJSON_Delete(doc);
        }
    }
    cJSON_Delete(used);
    if (rc != 0) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

cJSON *rp_autobahn_index(const rp_report *const *reps, size_t n)
{
    return build(reps, n, NULL, NULL, 0);
}

int rp_autobahn_write(const char *dir, const rp_report *const *reps, size_t n, char *err,
                      size_t errlen)
{
    if (errlen) err[0] = 0;
    cJSON *idx = build(reps, n, dir, err, errlen);
    if (!idx && !err[0]) snprintf(err, errlen, "out of memory writing index.json");
    int rc = idx ? rp_write_json(dir, "index.json", idx, err, errlen) : -1;
    cJSON_Delete(idx);
    return rc;
}
