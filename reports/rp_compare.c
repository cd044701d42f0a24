/* rp_compare: side by side and before/after (see rp_compare.h). */
#include "reports/rp_compare.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "reports/rp_escape.h"

static const rp_case *find_case(const rp_report *r, const char *id)
{
    for (size_t i = 0; i < r->n_cases; i++)
        if (!strcmp(r->cases[i].id, id)) return &r->cases[i];
    return NULL;
}

static cJSON *triple(const rp_case *c)
{
    if (!c) return cJSON_CreateNull();
    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, cJSON_CreateString(rp_verdict_name(c->verdict)));
    cJSON_AddItemToArray(a, cJSON_CreateString(rp_verdict_name(c->close_verdict)));
    const char *why = c->verdict != RP_OK ? c->reason : c->close_reason;
    cJSON_AddItemToArray(a, cJSON_CreateString(why));
    return a;
}

static cJSON *about(const rp_report *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "agent", rp_report_agent(r));
    cJSON_AddStringToObject(o, "target", r->target);
    cJSON_AddStringToObject(o, "started", r->started);
    return o;
}

/* Appends the case to the union unless an earlier report had it. */
static void add_union(cJSON *cases, cJSON *seen, const rp_case *c)
{
    if (cJSON_GetObjectItemCaseSensitive(seen, c->id)) return;
    cJSON_AddTrueToObject(seen, c->id);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", c->id);
    cJSON_AddStringToObject(o, "title", c->title);
    cJSON_AddItemToArray(cases, o);
}

cJSON *rp_compare_data(const rp_report *const *reps, size_t n)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "kind", "compare");
    cJSON *cases = cJSON_AddArrayToObject(d, "cases");
    cJSON *list = cJSON_AddArrayToObject(d, "reports");
    cJSON *seen = cJSON_CreateObject();
    for (size_t k = 0; k < n; k++) {
        cJSON *o = about(reps[k]);
        cJSON *res = cJSON_AddObjectToObject(o, "results");
        for (size_t i = 0; i < reps[k]->n_cases; i++) {
            add_union(cases, seen, &reps[k]->cases[i]);
            cJSON_AddItemToObject(res, reps[k]->cases[i].id, triple(&reps[k]->cases[i]));
        }
        cJSON_AddItemToArray(list, o);
    }
    cJSON_Delete(seen);
    return d;
}

static const char *const change_names[] = {"newly failing", "fixed", "changed", "added", "removed"};

static void add_change(cJSON *changes, double *counts, int kind, const rp_case *a, const rp_case *b)
{
    const rp_case *c = b ? b : a;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "change", change_names[kind]);
    cJSON_AddStringToObject(o, "id", c->id);
    cJSON_AddStringToObject(o, "title", c->title);
    cJSON_AddItemToObject(o, "old", triple(a));
    cJSON_AddItemToObject(o, "new", triple(b));
    cJSON_AddItemToArray(changes, o);
    counts[kind]++;
}

cJSON *rp_diff_data(const rp_report *old, const rp_report *new_)
{
    double counts[5] = {0};
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "kind", "diff");
    cJSON_AddItemToObject(d, "old", about(old));
    cJSON_AddItemToObject(d, "new", about(new_));
    cJSON *cnt = cJSON_AddObjectToObject(d, "counts");
    cJSON *changes = cJSON_AddArrayToObject(d, "changes");
    /* Regressions first, then fixes, then the rest: the order a reader wants. */
    for (int pass = 0; pass < 5; pass++) {
        for (size_t i = 0; pass < 4 && i < new_->n_cases; i++) {
            const rp_case *b = &new_->cases[i], *a = find_case(old, b->id);
            int kind = !a                                                                   ? 3
                       : !rp_case_failed(a) && rp_case_failed(b)                            ? 0
                       : rp_case_failed(a) && !rp_case_failed(b)                            ? 1
                       : (a->verdict != b->verdict || a->close_verdict != b->close_verdict) ? 2
                                                                                            : -1;
            if (kind == pass) add_change(changes, counts, kind, a, b);
        }
        for (size_t i = 0; pass == 4 && i < old->n_cases; i++)
            if (!find_case(new_, old->cases[i].id))
                add_change(changes, counts, 4, &old->cases[i], NULL);
    }
    for (int k = 0; k < 5; k++) cJSON_AddNumberToObject(cnt, change_names[k], counts[k]);
    return d;
}

size_t rp_diff_regressions(const cJSON *diff)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(diff, "counts"), "newly failing");
    return cJSON_IsNumber(v) ? (size_t)v->valuedouble : 0;
}

static void term(rp_str *o, const char *s)
{
    rp_esc_term(o, s ? s : "", s ? strlen(s) : 0, 0);
}

static const char *item_str(const cJSON *a, int i)
{
    const cJSON *v = cJSON_GetArrayItem(a, i);
    return cJSON_IsString(v) ? v->valuestring : "-";
}

void rp_compare_print(rp_str *o, const rp_report *const *reps, size_t n, const cJSON *data)
{
    rp_str_addf(o, "%-40s %6s %6s %6s %6s %6s %6s %10s\n", "server", "cases", "ok", "nonstr",
                "info", "unimpl", "failed", "close-fail");
    for (size_t k = 0; k < n; k++) {
        rp_str name = {0};
        term(&name, rp_report_agent(reps[k]));
        rp_str_addf(o, "%-40.40s %6zu %6zu %6zu %6zu %6zu %6zu %10zu\n", name.p ? name.p : "",
                    reps[k]->n_cases, reps[k]->count[RP_OK], reps[k]->count[RP_NON_STRICT],
                    reps[k]->count[RP_INFORMATIONAL], reps[k]->count[RP_UNIMPLEMENTED],
                    reps[k]->count[RP_FAILED], reps[k]->close_failed);
        rp_str_free(&name);
    }
    size_t differ = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(data, "cases"))
    {
        const char *id = cJSON_GetObjectItemCaseSensitive(c, "id")->valuestring;
        const char *first = NULL;
        for (size_t k = 0; k < n; k++) {
            const rp_case *x = find_case(reps[k], id);
            const char *v = x ? rp_verdict_name(x->verdict) : "not run";
            if (!first)
                first = v;
            else if (strcmp(first, v) != 0) {
                differ++;
                break;
            }
        }
    }
    rp_str_addf(o, "%zu cases where the servers' verdicts differ\n", differ);
}

void rp_diff_print(rp_str *o, const cJSON *diff)
{
    const cJSON *old = cJSON_GetObjectItemCaseSensitive(diff, "old");
    const cJSON *new_ = cJSON_GetObjectItemCaseSensitive(diff, "new");
    rp_str_adds(o, "before: ");
    term(o, cJSON_GetObjectItemCaseSensitive(old, "target")->valuestring);
    rp_str_adds(o, " at ");
    term(o, cJSON_GetObjectItemCaseSensitive(old, "started")->valuestring);
    rp_str_adds(o, "\nafter:  ");
    term(o, cJSON_GetObjectItemCaseSensitive(new_, "target")->valuestring);
    rp_str_adds(o, " at ");
    term(o, cJSON_GetObjectItemCaseSensitive(new_, "started")->valuestring);
    rp_str_adds(o, "\n");
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(diff, "changes"))
    {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(c, "old");
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(c, "new");
        rp_str_addf(o, "%-14s ", cJSON_GetObjectItemCaseSensitive(c, "change")->valuestring);
        term(o, cJSON_GetObjectItemCaseSensitive(c, "id")->valuestring);
        rp_str_addf(o, "  %s/%s -> %s/%s  ", item_str(a, 0), item_str(a, 1), item_str(b, 0),
                    item_str(b, 1));
        term(o, cJSON_GetObjectItemCaseSensitive(c, "title")->valuestring);
        const char *why = cJSON_IsArray(b) ? item_str(b, 2) : "";
        if (why[0] && strcmp(why, "-") != 0) {
            rp_str_adds(o, ": ");
            term(o, why);
        }
        rp_str_adds(o, "\n");
    }
    const cJSON *cnt = cJSON_GetObjectItemCaseSensitive(diff, "counts");
    for (int k = 0; k < 5; k++)
        rp_str_addf(o, "%s%.0f %s", k ? ", " : "",
                    cJSON_GetObjectItemCaseSensitive(cnt, change_names[k])->valuedouble,
                    change_names[k]);
    rp_str_adds(o, "\n");
}
