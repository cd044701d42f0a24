/* ws_buf: a growable byte buffer with a hard cap.
 *
 * Owns: heap memory for byte strings whose size is not known in advance
 * (reassembled messages, inflated payloads, wire logs). The cap exists so that
 * a hostile peer can never make us allocate without bound: every append that
 * would cross it fails instead of growing. */
#ifndef WS_BUF_H
#define WS_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct ws_buf {
    uint8_t *data;
    size_t len;
    size_t cap;   /* allocated bytes */
    size_t limit; /* never grow past this; 0 means SIZE_MAX */
} ws_buf;

void ws_buf_init(ws_buf *b, size_t limit);
void ws_buf_free(ws_buf *b);
/* Makes room for at least `extra` more bytes. 0 on success, -1 if the limit
 * would be crossed or memory ran out (the buffer is unchanged). */
int ws_buf_reserve(ws_buf *b, size_t extra);
int ws_buf_append(ws_buf *b, const void *p, size_t n);
/* Drops the first n bytes (memmove), for consumers of a stream buffer. */
void ws_buf_consume(ws_buf *b, size_t n);
void ws_buf_reset(ws_buf *b); /* len = 0, keeps memory */

#endif
