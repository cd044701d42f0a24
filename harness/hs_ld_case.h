/* hs_ld_case: one case of a case file.
 *
 * Owns: parsing a case object (id, title, rfc, tags, timeouts,
 * informational, max_message, close codes, steps) into a new entry of the
 * catalogue, with the section's defaults filling what the case leaves out.
 * Internal to harness/. */
#ifndef HS_LD_CASE_H
#define HS_LD_CASE_H

#include "harness/hs_ld.h"

/* The file-level fields every case of a file shares. */
typedef struct hs_ld_section {
    const char *section;
    const char *title;
    const cJSON *defaults;
} hs_ld_section;

int hs_ld_case(hs_ld *l, hs_catalogue *cat, const cJSON *j, const hs_ld_section *si);
/* 1 when s is a usable case id (1-64 of [A-Za-z0-9._-]). */
int hs_ld_valid_id(const char *s);

#endif
