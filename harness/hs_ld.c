/* hs_ld: error location and the field checks the case-file parsers share. */
#include "harness/hs_ld.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hs_ld_fail(hs_ld *l, const char *where, const char *fmt, ...)
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

int hs_ld_check_keys(hs_ld *l, const cJSON *o, const char *const *allowed, const char *where)
{
    if (!cJSON_IsObject(o)) return hs_ld_fail(l, where, "must be an object");
    for (const cJSON *k = o->child; k; k = k->next) {
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++)
            if (!strcmp(k->string, allowed[i])) ok = true;
        if (!ok) return hs_ld_fail(l, where, "unknown field '%s'", k->string);
    }
    return 0;
}

/* Non-negative integer from a number or a string of digits (families turn
 * "{size}" into numbers, but a hand-written "16" is fine too). */
int hs_ld_u64(hs_ld *l, const cJSON *j, uint64_t max, uint64_t *out, const char *where)
{
    if (cJSON_IsNumber(j)) {
        double d = j->valuedouble;
        if (d < 0 || d != floor(d) || d > (double)max)
            return hs_ld_fail(l, where, "must be an integer 0..%llu", (unsigned long long)max);
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
    return hs_ld_fail(l, where, "must be an integer 0..%llu", (unsigned long long)max);
}

int hs_ld_bool(hs_ld *l, const cJSON *j, bool *out, const char *where)
{
    if (!cJSON_IsBool(j)) return hs_ld_fail(l, where, "must be true or false");
    *out = cJSON_IsTrue(j);
    return 0;
}

int hs_ld_str(hs_ld *l, const cJSON *j, char **out, const char *where)
{
    if (!cJSON_IsString(j)) return hs_ld_fail(l, where, "must be a string");
    free(*out);
    *out = strdup(j->valuestring);
    return *out ? 0 : hs_ld_fail(l, where, "out of memory");
}

int hs_ld_ms(hs_ld *l, const cJSON *j, int64_t *out, const char *where)
{
    uint64_t v;
    if (hs_ld_u64(l, j, 3600000, &v, where)) return -1;
    *out = (int64_t)v;
    return 0;
}
