/* util_file: whole-file reads with a cap (see util_file.h). */
#include "util/util_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "64 MiB" when the cap is a whole number of MiB or KiB, else "N bytes". */
static void cap_text(size_t n, char *out, size_t cap)
{
    if (n >= (1u << 20) && n % (1u << 20) == 0)
        snprintf(out, cap, "%zu MiB", n >> 20);
    else if (n >= 1024 && n % 1024 == 0)
        snprintf(out, cap, "%zu KiB", n >> 10);
    else
        snprintf(out, cap, "%zu bytes", n);
}

char *util_read_file(const char *path, size_t max_bytes, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    /* Reading one byte past the cap tells "exactly max_bytes" from "more". */
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    const char *why = buf ? NULL : "out of memory";
    while (!why) {
        if (n + 1 == cap) {
            char *p = realloc(buf, cap *= 2);
            if (!p) {
                why = "out of memory";
                break;
            }
            buf = p;
        }
        size_t want = cap - n - 1;
        if (max_bytes - n < want) want = max_bytes - n + 1;
        size_t got = fread(buf + n, 1, want, f);
        n += got;
        if (n > max_bytes)
            why = "too large";
        else if (got == 0)
            break;
    }
    if (!why && ferror(f)) why = "read error";
    fclose(f);
    if (why) {
        char limit[32];
        cap_text(max_bytes, limit, sizeof limit);
        if (!strcmp(why, "too large"))
            snprintf(err, errlen, "%s: larger than %s", path, limit);
        else
            snprintf(err, errlen, "%s: %s", path, why);
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}
