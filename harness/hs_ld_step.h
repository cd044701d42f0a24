/* hs_ld_step: the steps of a case file.
 *
 * Owns: parsing a case's step list into hs_steps: send (opcode names,
 * fragments, masks, RSV bits, length forms, compression, {i}), raw bytes,
 * close, sleep, shutdown, repeat (nesting bounded), the handshake step with
 * its headers, and expect steps (through hs_ld_expect). Internal to
 * harness/. */
#ifndef HS_LD_STEP_H
#define HS_LD_STEP_H

#include <stddef.h>
#include <stdint.h>

#include "harness/hs_ld.h"

int hs_ld_steps(hs_ld *l, const cJSON *j, hs_step **out, size_t *n, const char *where);
/* An opcode: a name ("text", "ping", ...) or a number 0..15. */
int hs_ld_op(hs_ld *l, const cJSON *j, uint8_t *op, const char *where);

#endif
