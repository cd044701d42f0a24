/* hs_load: the case files (cases/NN-name.json) -> hs_catalogue. The format
 * is cases/README.md; the parsers are the hs_ld_* modules. */
#include "harness/hs_load.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/hs_ld_case.h"
#include "harness/hs_ld_family.h"
#include "util/util_file.h"

int hs_load_string(hs_catalogue *cat, const char *json, const char *name, char *err, size_t errlen)
{
    hs_ld l = {name, NULL, err, errlen, 0};
    cJSON *root = cJSON_Parse(json);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        size_t line = 1;
        for (const char *p = json; at && p < at && *p; p++) line += *p == '\n';
        return hs_ld_fail(&l, "JSON", "syntax error near line %zu", line);
    }
    static const char *const keys[] = {"section", "title", "defaults", "cases", "$comment", NULL};
    int rc = hs_ld_check_keys(&l, root, keys, "file");
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(root, "section");
    const cJSON *title = cJSON_GetObjectItemCaseSensitive(root, "title");
    const cJSON *defaults = cJSON_GetObjectItemCaseSensitive(root, "defaults");
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
    if (rc == 0 && !cJSON_IsString(sec)) rc = hs_ld_fail(&l, "section", "needs a string");
    if (rc == 0 && !cJSON_IsString(title)) rc = hs_ld_fail(&l, "title", "needs a string");
    if (rc == 0 && defaults) {
        static const char *const dk[] = {"timeout",       "tags",        "rfc", "close_timeout",
                                         "informational", "max_message", NULL};
        rc = hs_ld_check_keys(&l, defaults, dk, "defaults");
    }
    if (rc == 0 && !cJSON_IsArray(cases)) rc = hs_ld_fail(&l, "cases", "needs a list");
    if (rc == 0) {
        hs_ld_section si = {sec->valuestring, title->valuestring, defaults};
        for (const cJSON *c = cases->child; c && rc == 0; c = c->next) {
            l.case_id = NULL;
            if (!cJSON_IsObject(c))
                rc = hs_ld_fail(&l, "cases", "each item must be an object");
            else if (cJSON_GetObjectItemCaseSensitive(c, "family"))
                rc = hs_ld_family(&l, cat, c, &si);
            else
                rc = hs_ld_case(&l, cat, c, &si);
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
