/* hs_send: the frames a case sends.
 *
 * Owns: building a send step's frames (payload with {i}, repetition,
 * compression, fragmentation, RSV bits, length forms, mask keys) and
 * writing them, our close frames, and the echo register (the whole data
 * messages sent, which echo expectations are judged against). Internal to
 * harness/. */
#ifndef HS_SEND_H
#define HS_SEND_H

#include "harness/hs_session.h"

/* One send step, or an early frame collected into `collect` instead of
 * written. 0, or -1 when the connection is gone or the case must stop. */
int hs_send_message(hs_session *s, const hs_send *f, ws_buf *collect);
/* Our close frame: code < 0 sends none (an empty payload), reason optional. */
int hs_send_close(hs_session *s, int code, const hs_payload *reason);

#endif
