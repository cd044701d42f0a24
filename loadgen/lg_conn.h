/* lg_conn: one load-test connection and its state machine.
 *
 * Owns: TCP connect -> TLS -> upgrade -> open -> closing -> closed, a deadline
 * for each step, the error class for each way a step can fail, reading and
 * splitting the server's frames (through ws/), answering pings, the closing
 * handshake, and buffering what the socket did not take. What an open
 * connection sends and how it judges what arrives is lg_scenario's. */
#ifndef LG_CONN_H
#define LG_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "loadgen/lg_track.h"
#include "net/net.h"
#include "ws/ws_buf.h"
#include "ws/ws_deflate.h"
#include "ws/ws_frame.h"
#include "ws/ws_handshake.h"
#include "ws/ws_mask.h"

enum lg_conn_state {
    LG_ST_IDLE, /* not connected; may (re)connect once retry_at has passed */
    LG_ST_CONNECTING,
    LG_ST_TLS,
    LG_ST_UPGRADE,
    LG_ST_OPEN,
    LG_ST_CLOSING, /* our close frame sent, waiting for the server's */
    LG_ST_DEAD,    /* failed and --reconnect is off */
};

typedef struct lg_conn {
    net_conn nc;
    uint32_t id;   /* global connection id (shard offset included) */
    uint32_t slot; /* index in the worker's array */
    uint8_t state;
    bool ev_out;    /* EPOLLOUT registered */
    bool ever_open; /* has been open at least once */
    bool msg_deflated;
    int64_t deadline;  /* of the current step; 0 = none */
    int64_t t_step;    /* when the current step began */
    int64_t t_conn;    /* when this connection's TCP connect started */
    int64_t out_since; /* when output began waiting, or the socket last took some */
    int64_t retry_at;
    int64_t backoff;
    ws_parser parser;
    ws_buf in;  /* bytes of a frame (or response head) not complete yet */
    ws_buf out; /* bytes the socket has not taken yet */
    ws_buf msg; /* a fragmented or compressed message being assembled */
    char key[WS_KEY_LEN + 1];
    ws_pmd *pmd;
    ws_mask_rng rng;
    /* echo */
    uint64_t next_seq; /* next sequence number to send */
    lg_track track;
    /* Messages in flight, rings of --inflight entries by sequence number:
     * when each was handed to the socket, and (open loop only; NULL in closed
     * loop, where it is sent_at) when it should have left. The rest of a
     * message's stamp and its length follow from the connection and its
     * number, so an echo is checked without a copy of what was sent. */
    int64_t *sent_at;
    int64_t *intended;
    uint64_t slot_m;   /* open loop: this connection's next send slot */
    uint32_t send_idx; /* open loop: its index among the worker's senders */
    /* integrity, per connection over the whole run */
    uint32_t lost, duplicated, reordered, corrupted;
    /* idle: ping in flight */
    int64_t ping_at, ping_sent;
    /* script */
    uint16_t step;
    int64_t step_deadline, step_t0;
    /* broadcast: one tracker per sender, allocated on first message */
    lg_track *from;
} lg_conn;

struct lg_worker;

/* Starts a connection on an idle slot. */
void lg_conn_start(struct lg_worker *w, lg_conn *c, int64_t now);
/* epoll told us something about c. */
void lg_conn_event(struct lg_worker *w, lg_conn *c, uint32_t events, int64_t now);
/* Queues bytes for c (writes at once when nothing is queued). -1 if the
 * connection failed and was ended. */
int lg_conn_send(struct lg_worker *w, lg_conn *c, const uint8_t *p, size_t n);
/* Sends a control or text frame built here (masked). -1 as above. */
int lg_conn_send_frame(struct lg_worker *w, lg_conn *c, uint8_t opcode, const void *p, size_t n);
/* Sends one data message (compressed when deflate was agreed). -1 as above. */
int lg_conn_send_data(struct lg_worker *w, lg_conn *c, uint8_t opcode, const uint8_t *p, size_t n);
/* Starts the closing handshake (close 1000). */
void lg_conn_close(struct lg_worker *w, lg_conn *c, int64_t now);
/* Ends c with an error of class cls (enum lg_err) and a detail. */
void lg_conn_fail(struct lg_worker *w, lg_conn *c, int cls, const char *detail, int64_t now);
/* Ends c quietly (run over): closes the socket, frees buffers. */
void lg_conn_drop(struct lg_worker *w, lg_conn *c);
/* Checks c's step deadline, and that output waiting for the socket moves
 * (--write-timeout). An upgrade or close deadline reads the socket once more
 * before it fails c: an answer already there is taken, not timed out. */
void lg_conn_check_deadline(struct lg_worker *w, lg_conn *c, int64_t now);
bool lg_conn_busy(const lg_conn *c); /* connecting, upgrading, open or closing */

#endif
