/* fuzz_util: what every fuzz target shares.
 *
 * FUZZ_CHECK aborts with the failed condition and its line, so a broken
 * property shows up as a libFuzzer crash with a saved reproducer. The option
 * reader takes bytes off the front of an input: each target derives its
 * options (role, limits, a split point) from the first bytes, so the fuzzer
 * explores option combinations as freely as payloads. */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond);            \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

typedef struct fuzz_in {
    const uint8_t *p;
    size_t n;
} fuzz_in;

/* The next option byte; 0 once the input is used up. */
static inline uint8_t fuzz_byte(fuzz_in *in)
{
    if (in->n == 0) return 0;
    in->n--;
    return *in->p++;
}

/* The next two bytes, big-endian. */
static inline uint16_t fuzz_u16(fuzz_in *in)
{
    uint16_t hi = fuzz_byte(in);
    return (uint16_t)(hi << 8 | fuzz_byte(in));
}

/* A heap copy of the rest, NUL-terminated, exactly len + 1 bytes so ASan sees
 * any read past the end. */
static inline char *fuzz_cstr(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s) abort();
    for (size_t i = 0; i < n; i++) s[i] = (char)p[i];
    s[n] = 0;
    return s;
}

#endif
