/* rp_str: a growable byte string for building report files in memory.
 *
 * Owns: appending bytes, C strings and formatted text to one heap buffer that
 * stays NUL-terminated. Running out of memory is sticky (oom = true) and
 * checked once at the end, so writers stay flat instead of testing every
 * append. */
#ifndef RP_STR_H
#define RP_STR_H

#include <stdbool.h>
#include <stddef.h>

typedef struct rp_str {
    char *p; /* NUL-terminated when n > 0 or after any append */
    size_t n, cap;
    bool oom;
} rp_str;

void rp_str_add(rp_str *s, const char *p, size_t n);
void rp_str_adds(rp_str *s, const char *z);
void rp_str_addc(rp_str *s, char c);
void rp_str_addf(rp_str *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rp_str_free(rp_str *s);
/* Writes the string to path (through path.tmp and a rename, so a reader never
 * sees half a file). 0, or -1 with err. Fails on a string that ran out of
 * memory. */
int rp_str_write_file(const rp_str *s, const char *path, char *err, size_t errlen);

#endif
