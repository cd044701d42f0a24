/* rp_str: growable string (see rp_str.h). */
#include "reports/rp_str.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool grow(rp_str *s, size_t more)
{
    if (s->oom) return false;
    if (s->n + more + 1 <= s->cap) return true;
    size_t cap = s->cap ? s->cap : 256;
    while (cap < s->n + more + 1) {
        if (cap > ((size_t)-1) / 2) {
            s->oom = true;
            return false;
        }
        cap *= 2;
    }
    char *p = realloc(s->p, cap);
    if (!p) {
        s->oom = true;
        return false;
    }
    s->p = p;
    s->cap = cap;
    return true;
}

void rp_str_add(rp_str *s, const char *p, size_t n)
{
    if (!grow(s, n)) return;
    if (n) memcpy(s->p + s->n, p, n);
    s->n += n;
    s->p[s->n] = 0;
}

void rp_str_adds(rp_str *s, const char *z)
{
    rp_str_add(s, z, strlen(z));
}

void rp_str_addc(rp_str *s, char c)
{
    rp_str_add(s, &c, 1);
}

void rp_str_addf(rp_str *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0 || !grow(s, (size_t)need)) return;
    va_start(ap, fmt);
    vsnprintf(s->p + s->n, (size_t)need + 1, fmt, ap);
    va_end(ap);
    s->n += (size_t)need;
}

void rp_str_free(rp_str *s)
{
    free(s->p);
    memset(s, 0, sizeof *s);
}

int rp_str_write_file(const rp_str *s, const char *path, char *err, size_t errlen)
{
    if (s->oom) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        return -1;
    }
    bool ok = fwrite(s->p ? s->p : "", 1, s->n, f) == s->n;
    if (fclose(f) != 0) ok = false;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}
