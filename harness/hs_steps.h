/* hs_steps: the step interpreter.
 *
 * Owns: running a case's steps in order (send, raw, close, sleep, shutdown,
 * expect, repeat with its {i} iteration) against the case deadline, and
 * judging an expect step: feeding the queued events to an hs_match until it
 * decides, the connection ends or its window closes. Internal to harness/. */
#ifndef HS_STEPS_H
#define HS_STEPS_H

#include <stddef.h>
#include <stdint.h>

#include "harness/hs_session.h"

/* Runs steps until they end, the case stops or the deadline passes. */
void hs_steps_run(hs_session *s, const hs_step *steps, size_t n);
/* When an expect step starting now stops waiting (never past the deadline). */
int64_t hs_step_until(hs_session *s, const hs_expect *e);
/* Judges the events of one expect step, waited for from `start` until
 * `until` (the response expectation's wait began with the handshake). */
void hs_steps_expect_from(hs_session *s, const hs_expect *e, int64_t start, int64_t until);

#endif
