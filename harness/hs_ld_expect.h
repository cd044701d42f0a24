/* hs_ld_expect: the expectations of a case file.
 *
 * Owns: parsing an expect step into an hs_expect: its alternatives (one_of),
 * each a list of patterns (message, echo with a count, pong, close with
 * codes, drop, response with status, headers and absent ones, too_big,
 * nothing), in order or any order, with a verdict, why and stop; the
 * otherwise verdict and the time window. Internal to harness/. */
#ifndef HS_LD_EXPECT_H
#define HS_LD_EXPECT_H

#include <stddef.h>
#include <stdint.h>

#include "harness/hs_ld.h"

int hs_ld_expect(hs_ld *l, const cJSON *step, hs_expect *e, const char *where);
/* A close code or a list of them (at most HS_MAX_CODES) into codes. */
int hs_ld_codes(hs_ld *l, const cJSON *v, uint16_t *codes, size_t *n, const char *where);

#endif
