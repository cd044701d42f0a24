/* hs_session: the state of one running case, and the running judgement.
 *
 * Owns: the hs_session struct that the harness run modules (hs_conn,
 * hs_send, hs_handshake, hs_steps, hs_closing, hs_run) share; recording into
 * the result (verdict and reason, observed and expected lines, the event
 * queue the judge reads, protocol violations); and the run's interruption
 * (the cut time and how long a wait may block). Internal to harness/. */
#ifndef HS_SESSION_H
#define HS_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/hs_judge.h"
#include "harness/hs_request.h"
#include "harness/hs_run.h"
#include "ws/ws_buf.h"
#include "ws/ws_deflate.h"
#include "ws/ws_frame.h"
#include "ws/ws_http.h"
#include "ws/ws_utf8.h"

#define HS_READ_CHUNK        65536
#define HS_MAX_QUEUED_EVENTS 4096
#define HS_MAX_HEADERS       64
#define HS_HEAD_MAX          16384
/* Inflated output per slice of compressed input (see hs_conn.c). */
#define HS_INFLATE_OUT_MAX (4u << 20)
#define HS_CUT_POLL_MS     100 /* how often a wait looks for an interruption */

typedef struct hs_session {
    const hs_case *c;
    const hs_run_opts *o;
    hs_result *r;
    net_conn conn;
    bool connected, open, eof, closing;
    bool wr_shut;         /* a shutdown step half-closed TCP: nothing more is written */
    int64_t t0, deadline; /* ms; the deadline is the steps' limit */
    uint64_t max_message;
    ws_buf rx;
    ws_parser parser;
    ws_pmd *pmd;
    /* the message being received */
    bool in_msg, msg_compressed;
    bool msg_too_big; /* passed max_message: only counted from then on */
    uint8_t msg_op;
    uint64_t msg_len, msg_hash;
    uint8_t msg_preview[HS_PREVIEW];
    ws_utf8 utf8;
    ws_buf inflated;
    /* events not consumed yet */
    hs_event *ev;
    size_t n_ev, cap_ev, ev_head, ev_dropped;
    size_t late_messages; /* data messages during the closing phase */
    /* data messages sent and not echoed yet */
    hs_sent *sent;
    size_t n_sent, cap_sent, sent_head;
    bool out_in_msg;
    hs_sent out_cur;
    bool close_sent, close_received, close_malformed;
    char close_problem[160];
    uint16_t close_sent_code;
    size_t frames_after_close;
    bool violation;
    char violation_msg[256];
    /* the latest ping not answered yet: one pong per read batch (RFC 6455
     * §5.5.3 allows answering only the most recent), so a ping flood cannot
     * keep us writing pongs past the deadline */
    bool pong_due, pong_writing;
    uint8_t pong_payload[125];
    size_t pong_len;
    /* handshake */
    hs_request req;
    char *resp_copy;
    ws_http_header hdrs[HS_MAX_HEADERS];
    ws_http_head head;
    bool have_response;
    char hs_error[300];
    int64_t iter; /* the innermost repeat's iteration, for {i}; -1 outside */
    /* running judgement */
    int worst;
    bool stop;
} hs_session;
/* Records a verdict; the worst one (and the first reason at that level) wins. */
void hs_sess_judge(hs_session *s, int verdict, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds a timestamped line to what the server did. */
void hs_sess_observe(hs_session *s, const char *what);
/* Adds an expect step, in words, to the result. */
void hs_sess_expected(hs_session *s, const hs_expect *e);
/* The oldest data message sent and not echoed yet, or NULL. */
const hs_sent *hs_sess_next_echo(const hs_session *s);
/* Queues an event for the judge (while closing, data and pongs are counted only). */
void hs_sess_push_event(hs_session *s, const hs_event *ev);
/* Records the server's first protocol violation; the case ends on it. */
void hs_sess_violation(hs_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* True once the run's cut time has passed: the case stops where it is and
 * its result is marked interrupted (no verdict is reported for it). */
bool hs_sess_cut_passed(hs_session *s);
/* A wait ends by `until`, by the cut time, and, while the run may still be
 * interrupted, within HS_CUT_POLL_MS so that an interruption is seen. */
int64_t hs_sess_wait_until(const hs_session *s, int64_t until);

#endif
