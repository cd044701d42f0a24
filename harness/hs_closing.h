/* hs_closing: the closing phase of a case and its close verdict.
 *
 * Owns: failing data messages nobody expected, starting the closing
 * handshake when the steps did not, waiting (close_ms each) for the server's
 * close frame and then its TCP close, and judging them: codes the case
 * allows, malformed close frames, frames after the close, who closed TCP.
 * Internal to harness/. */
#ifndef HS_CLOSING_H
#define HS_CLOSING_H

#include <stdint.h>

#include "harness/hs_session.h"

void hs_closing_phase(hs_session *s, int64_t close_ms);

#endif
