/* serve_conn: the protocol of one server-side WebSocket connection, as a
 * state machine with no I/O of its own.
 *
 * Owns: the opening handshake (via ws_http + ws_handshake), then the echo
 * protocol: reassembling fragments, UTF-8 checked fail-fast per frame,
 * permessage-deflate, ping/pong, the closing handshake, and failing the
 * connection with the right close code. It is fed the bytes the loop read and
 * appends what must be sent to an output buffer; the loop (serve_loop.c) moves
 * the bytes and acts on the state. */
#ifndef SERVE_CONN_H
#define SERVE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serve/serve.h"
#include "ws/ws_buf.h"
#include "ws/ws_deflate.h"
#include "ws/ws_frame.h"
#include "ws/ws_handshake.h"
#include "ws/ws_utf8.h"

/* Longest upgrade request head we buffer before refusing it. */
#define SERVE_MAX_HEAD 16384

enum serve_conn_state {
    SC_TLS,     /* TLS handshake in progress (driven by the loop) */
    SC_HTTP,    /* waiting for the upgrade request */
    SC_OPEN,    /* echoing */
    SC_CLOSING, /* our last bytes (a close frame or a refusal) are queued */
    SC_LINGER,  /* write side shut (driven by the loop) */
};

/* What every connection of one worker thread shares: settings, the scratch
 * buffers the hot path reuses, and the thread's counters. */
typedef struct serve_ctx {
    const serve_opts *opts;
    ws_server_hs_opts hs;
    ws_buf out;  /* output of the current input pass; the loop sends it */
    ws_buf zbuf; /* a compressed echo, reused */
    /* Longest payload the common-frame path takes: 125 (a 7-bit length), or
     * less when a configured limit is lower, so that path never has to check
     * a limit per frame. */
    size_t common_max;
    serve_stats stats;
} serve_ctx;

typedef struct serve_conn {
    uint8_t state; /* enum serve_conn_state */
    size_t need;   /* after a partial frame: bytes from its start to its end */
    /* Payload bytes of that partial text frame already unmasked and checked
     * as UTF-8, so invalid text fails before the rest of the frame arrives. */
    uint64_t checked;
    ws_parser parser;
    ws_pmd *pmd; /* permessage-deflate, NULL unless negotiated */
    ws_buf msg;  /* a fragmented or compressed message being assembled */
    ws_utf8 utf8;
    uint8_t msg_opcode;
    bool msg_compressed;
} serve_conn;

/* 0, or -1 if memory ran out. */
int serve_ctx_init(serve_ctx *x, const serve_opts *o);
void serve_ctx_free(serve_ctx *x);

/* A fresh connection in SC_TLS (tls) or SC_HTTP. */
void serve_conn_init(serve_conn *c, const serve_ctx *x, bool tls);
void serve_conn_free(serve_conn *c);

/* Consumes input in state SC_HTTP or SC_OPEN and appends output to x->out.
 * Returns the bytes consumed; the rest (a partial head or frame) must be
 * offered again, unchanged, with more bytes after it (the payload of a partial
 * text frame is unmasked and validated as it arrives). Payloads are unmasked
 * in place. May
 * move the connection to SC_OPEN or SC_CLOSING; in SC_CLOSING all input is
 * consumed and ignored. */
size_t serve_conn_input(serve_conn *c, serve_ctx *x, uint8_t *buf, size_t len);

/* Queues a close frame with `code` if the connection is open, and moves to
 * SC_CLOSING (used when the server shuts down). */
void serve_conn_close(serve_conn *c, serve_ctx *x, uint16_t code);

#endif
