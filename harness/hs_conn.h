/* hs_conn: the connection of a running case, and turning what the server
 * sends into events.
 *
 * Owns: writing bytes before the case deadline (chopped and delayed as a step
 * asks, reading meanwhile), reading and parsing frames through ws_parser
 * with reassembly, UTF-8 checks and permessage-deflate inflation, answering
 * pings and the server's close frame, noticing EOF, and our TCP half-close.
 * Every frame and message becomes an hs_event on the session's queue;
 * protocol errors become the session's violation. Internal to harness/. */
#ifndef HS_CONN_H
#define HS_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "harness/hs_session.h"

/* Writes all of p before the deadline, reading meanwhile. 0, or -1 when the
 * connection is gone, the deadline passed or the run was interrupted. */
int hs_conn_write_all(hs_session *s, const uint8_t *p, size_t n);
/* The same, `chop` bytes per write with `delay` ms (reading) between them. */
int hs_conn_write_chopped(hs_session *s, const uint8_t *p, size_t n, uint32_t chop, uint32_t delay);
/* Writes one masked control frame (payload cut at 125 bytes). */
int hs_conn_send_control(hs_session *s, uint8_t op, const uint8_t *payload, size_t n);

/* Reads what is available without blocking, until `until` (ms). -1 on a
 * read error (not EOF). */
int hs_conn_read_some(hs_session *s, int64_t until);
/* Waits for input until `until` (ms) and reads it. 1 something happened,
 * 0 timed out. */
int hs_conn_pump(hs_session *s, int64_t until);
/* Sleeps `ms` (not past the deadline) while reading. */
void hs_conn_sleep_reading(hs_session *s, int64_t ms);
/* Parses the frames buffered in s->rx into events. */
void hs_conn_parse_frames(hs_session *s);
/* Shuts our side for writing (after a TLS close_notify over TLS). */
void hs_conn_half_close(hs_session *s);

#endif
