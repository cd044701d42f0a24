/* hs_select: which cases a run includes.
 *
 * Owns: case patterns (a glob like "6.*", an id, an id prefix "6.4" meaning
 * 6.4 and 6.4.*, or "tag:NAME"), comma-separated pattern lists, and the
 * --expect-failures baseline file (one pattern per line, # comments). */
#ifndef HS_SELECT_H
#define HS_SELECT_H

#include <stdbool.h>
#include <stddef.h>

#include "harness/hs_case.h"

typedef struct hs_patterns {
    char **p;
    size_t n;
} hs_patterns;

bool hs_pattern_match(const char *pat, const hs_case *c);
bool hs_patterns_match(const hs_patterns *ps, const hs_case *c);
/* Appends the items of a comma-separated list. -1 on allocation failure. */
int hs_patterns_add_list(hs_patterns *ps, const char *list);
/* Reads a baseline file. -1 with err. */
int hs_patterns_load_file(hs_patterns *ps, const char *path, char *err, size_t errlen);
void hs_patterns_free(hs_patterns *ps);

#endif
