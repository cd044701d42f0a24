/* hs_handshake: the opening handshake of a running case.
 *
 * Owns: sending the request (built by hs_request, with any early frames
 * after it, chopped as the step asks), reading the response head (never more
 * than HS_HEAD_MAX + 1 bytes), checking a 101 (accept key, Upgrade,
 * subprotocol, extensions against our offer), setting up permessage-deflate
 * and the frame parser, and the response event. Internal to harness/. */
#ifndef HS_HANDSHAKE_H
#define HS_HANDSHAKE_H

#include <stdint.h>

#include "harness/hs_session.h"

/* Sends the request and waits for the response head until `until`. Sets
 * s->open on a valid upgrade, s->hs_error on a bad response, s->stop when
 * the case cannot go on; queues a response (or drop) event. */
void hs_handshake_run(hs_session *s, const hs_handshake *h, int64_t until);

#endif
