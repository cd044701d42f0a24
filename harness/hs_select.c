/* hs_select: case patterns and the failure baseline. */
#include "harness/hs_select.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool hs_pattern_match(const char *pat, const hs_case *c)
{
    if (!strncmp(pat, "tag:", 4)) return hs_case_has_tag(c, pat + 4);
    if (strpbrk(pat, "*?[")) return fnmatch(pat, c->id, 0) == 0;
    size_t n = strlen(pat);
    return !strncmp(c->id, pat, n) && (c->id[n] == 0 || c->id[n] == '.');
}

bool hs_patterns_match(const hs_patterns *ps, const hs_case *c)
{
    for (size_t i = 0; i < ps->n; i++)
        if (hs_pattern_match(ps->p[i], c)) return true;
    return false;
}

static int add_one(hs_patterns *ps, const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) n--;
    if (n == 0) return 0;
    char **np = realloc(ps->p, (ps->n + 1) * sizeof *np);
    if (!np) return -1;
    ps->p = np;
    if (!(ps->p[ps->n] = strndup(s, n))) return -1;
    ps->n++;
    return 0;
}

int hs_patterns_add_list(hs_patterns *ps, const char *list)
{
    for (const char *s = list;;) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        if (add_one(ps, s, n)) return -1;
        if (!comma) return 0;
        s = comma + 1;
    }
}

int hs_patterns_load_file(hs_patterns *ps, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[1024];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        line[strcspn(line, "\n")] = 0;
        rc = hs_patterns_add_list(ps, line);
    }
    fclose(f);
    if (rc) snprintf(err, errlen, "%s: out of memory", path);
    return rc;
}

void hs_patterns_free(hs_patterns *ps)
{
    for (size_t i = 0; i < ps->n; i++) free(ps->p[i]);
    free(ps->p);
    ps->p = NULL;
    ps->n = 0;
}
