/* hs_ld_family: case families.
 *
 * Owns: expanding a family (params lists or a matrix of them, with an index)
 * into cases: {var} substitution through the family's JSON, leaving the
 * runtime names ({i}) alone, bounded by HS_LD_MAX_EXPANSION; each expanded
 * case goes through hs_ld_case. Internal to harness/. */
#ifndef HS_LD_FAMILY_H
#define HS_LD_FAMILY_H

#include "harness/hs_ld_case.h"

int hs_ld_family(hs_ld *l, hs_catalogue *cat, const cJSON *fam, const hs_ld_section *si);

#endif
