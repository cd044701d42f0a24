/* hs_ld: what the case-file parsers share.
 *
 * Owns: where the loader is (file, case id, nesting) for error messages that
 * name the file, the case and the field, the error itself, the checks every
 * parser makes on a JSON value (known keys, integers, booleans, strings,
 * milliseconds), and the loader's size limits. Internal to harness/: the
 * parsers are hs_ld_payload, hs_ld_step, hs_ld_expect, hs_ld_case and
 * hs_ld_family; hs_load reads the files. */
#ifndef HS_LD_H
#define HS_LD_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/hs_case.h"

/* Field paths in error messages are cut to fit their buffers on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define HS_LD_MAX_EXPANSION 100000
#define HS_LD_MAX_COUNT     10000000ull
#define HS_LD_MAX_PAYLOAD   (1ull << 30)

/* Where we are, for error messages. */
typedef struct hs_ld {
    const char *file;
    const char *case_id;
    char *err;
    size_t errlen;
    int depth; /* nested repeat steps */
} hs_ld;

/* Writes "FILE: case ID: WHERE: MSG" into the error; returns -1. */
int hs_ld_fail(hs_ld *l, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* o must be an object whose keys are all in the NULL-terminated allowed. */
int hs_ld_check_keys(hs_ld *l, const cJSON *o, const char *const *allowed, const char *where);
/* Non-negative integer <= max from a number or a string of digits (families
 * turn "{size}" into numbers, but a hand-written "16" is fine too). */
int hs_ld_u64(hs_ld *l, const cJSON *j, uint64_t max, uint64_t *out, const char *where);
int hs_ld_bool(hs_ld *l, const cJSON *j, bool *out, const char *where);
/* Replaces *out (freed) with a copy of the string. */
int hs_ld_str(hs_ld *l, const cJSON *j, char **out, const char *where);
/* Milliseconds, 0..3600000. */
int hs_ld_ms(hs_ld *l, const cJSON *j, int64_t *out, const char *where);

#endif
