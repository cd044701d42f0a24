/* hs_request: the opening handshake request a case sends.
 *
 * Owns: building the upgrade request from the defaults (URL, --origin,
 * --subprotocol, --header) and a case's changes (method, path, version, key,
 * headers set / omitted / added, or raw bytes; raw bytes and the path have
 * {host} {path} {key} replaced), and
 * remembering what was actually offered so the response can be judged against
 * it. */
#ifndef HS_REQUEST_H
#define HS_REQUEST_H

#include <stddef.h>

#include "harness/hs_case.h"
#include "harness/hs_run.h"

typedef struct hs_request {
    char *bytes; /* heap, NUL-terminated */
    size_t len;
    char key[256];          /* first Sec-WebSocket-Key sent ("" if none) */
    char subprotocols[512]; /* every Sec-WebSocket-Protocol value sent, joined by ", " */
    char extensions[1024];  /* every Sec-WebSocket-Extensions value sent, joined by ", " */
} hs_request;

/* h may be NULL (the default request). 0, or -1 with err. */
int hs_request_build(const hs_handshake *h, const hs_run_opts *o, hs_request *out, char *err,
                     size_t errlen);
void hs_request_free(hs_request *r);

#endif
