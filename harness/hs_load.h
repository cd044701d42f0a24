/* hs_load: reading case files into the catalogue.
 *
 * Owns: reading case files (cases/NN-name.json: one file, a string, or every
 * .json of a directory) into hs_case structures, the checks on the catalogue
 * as a whole (unique ids), and where the built-in catalogue lives relative
 * to the binary. Errors say exactly where a file is wrong
 * ("cases/01-framing.json: case 1.1.3: steps[0].send.op: unknown opcode name
 * 'txt'"). The parsing itself is in the hs_ld_* modules (hs_ld.h: shared
 * field checks; payload, step, expect, case, family). */
#ifndef HS_LOAD_H
#define HS_LOAD_H

#include <stddef.h>

#include "harness/hs_case.h"

/* Appends the cases of one JSON document. `name` is used in error messages.
 * 0, or -1 with err (cases already appended stay; the caller frees). */
int hs_load_string(hs_catalogue *cat, const char *json, const char *name, char *err, size_t errlen);
int hs_load_file(hs_catalogue *cat, const char *path, char *err, size_t errlen);
/* Every *.json in dir, in name order. */
int hs_load_dir(hs_catalogue *cat, const char *dir, char *err, size_t errlen);
/* -1 with err naming both places if an id appears twice. */
int hs_catalogue_check_unique(const hs_catalogue *cat, char *err, size_t errlen);

/* The built-in catalogue: ./cases, <exe>/../cases, <exe>/../share/wsprobe/cases,
 * the first that holds a .json file. 0 with the path in out, -1 if none. */
int hs_cases_dir_find(char *out, size_t n);

#endif
