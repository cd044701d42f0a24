/* hs_bind: command-line values bound into the catalogue.
 *
 * Owns: replacing {subprotocol} (the --subprotocol value) wherever a case may
 * use it: its title, its handshake step (path, header values set or added,
 * raw bytes) and the header tokens of its response patterns, so a case can
 * offer the server's own subprotocol among others and expect exactly it back.
 * Without a value, a case that uses it is marked (needs_subprotocol) and the
 * runner reports it UNIMPLEMENTED without connecting. */
#ifndef HS_BIND_H
#define HS_BIND_H

#include "harness/hs_case.h"

#define HS_BIND_SUBPROTOCOL "{subprotocol}"

/* value may be NULL (no --subprotocol): cases are only marked. 0, or -1 out
 * of memory. */
int hs_catalogue_bind_subprotocol(hs_catalogue *cat, const char *value);

#endif
