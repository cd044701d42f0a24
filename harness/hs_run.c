/* hs_run: one case, one connection, from dial to the closing verdict. */
#include "harness/hs_run.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "harness/hs_closing.h"
#include "harness/hs_handshake.h"
#include "harness/hs_session.h"
#include "harness/hs_steps.h"

static bool expects_response(const hs_step *st)
{
    if (!st || st->kind != HS_STEP_EXPECT) return false;
    for (size_t a = 0; a < st->expect.n_alts; a++)
        if (st->expect.alts[a].items[0].kind == HS_PAT_RESPONSE) return true;
    return false;
}

static double case_timeout(const hs_case *c, const hs_run_opts *o)
{
    double def = o->timeout_s > 0 ? o->timeout_s : HS_DEFAULT_TIMEOUT_S;
    if (c->timeout_s <= 0) return def;
    return c->timeout_s > (o->timeout_s > 0 ? o->timeout_s : 0) ? c->timeout_s : o->timeout_s;
}

void hs_run_case(const hs_case *c, const hs_run_opts *o, hs_result *r)
{
    hs_session s;
    memset(&s, 0, sizeof s);
    memset(r, 0, sizeof *r);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    r->start_unix_ms = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
    r->server_close_code = -1;
    r->tcp_closed_by = "none";
    hs_wire_init(&r->wire, net_now_ns());
    s.c = c;
    s.o = o;
    s.iter = -1;
    s.r = r;
    s.max_message = c->max_message ? c->max_message : HS_DEFAULT_MAX_MESSAGE;
    int64_t t0 = net_now_ms();
    s.t0 = t0;
    s.deadline = t0 + (int64_t)(case_timeout(c, o) * 1000);
    int64_t close_ms =
        (int64_t)((c->close_timeout_s > 0 ? c->close_timeout_s : HS_DEFAULT_CLOSE_TIMEOUT_S) *
                  1000);
    ws_buf_init(&s.rx, (size_t)s.max_message + HS_READ_CHUNK + HS_HEAD_MAX);
    ws_buf_init(&s.inflated, HS_INFLATE_OUT_MAX);

    if (c->needs_subprotocol) {
        hs_sess_judge(&s, HS_UNIMPLEMENTED,
                      "the case offers the server's own subprotocol: run with --subprotocol NAME");
        r->close_verdict = HS_OK;
        snprintf(r->close_reason, sizeof r->close_reason, "no connection");
    } else if (net_dial(&s.conn, o->url->host, o->url->port, o->tls, s.deadline) != 0) {
        r->connect_failed = true;
        r->err_class = s.conn.err_class;
        hs_sess_judge(&s, HS_FAILED, "cannot connect: %s", s.conn.err);
        r->close_verdict = HS_OK;
        snprintf(r->close_reason, sizeof r->close_reason, "no connection");
    } else {
        int one = 1;
        setsockopt(s.conn.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        s.connected = true;
        const hs_step *steps = c->steps;
        size_t n = c->n_steps;
        const hs_handshake *h = NULL;
        if (n && steps[0].kind == HS_STEP_HANDSHAKE) {
            h = &steps[0].hs;
            steps++;
            n--;
        }
        bool judged_by_case = h && n && expects_response(&steps[0]);
        int64_t hs_start = net_now_ms();
        int64_t until = judged_by_case ? hs_step_until(&s, &steps[0].expect) : s.deadline;
        hs_handshake_run(&s, h, until);
        if (!s.stop && judged_by_case) {
            hs_steps_expect_from(&s, &steps[0].expect, hs_start, until);
            steps++;
            n--;
            if (!s.open) s.stop = true;
        } else if (!s.stop) {
            /* the default expectation: a valid upgrade */
            s.ev_head = s.n_ev; /* the response event is not for the steps */
            if (s.hs_error[0]) {
                hs_sess_judge(&s, HS_FAILED, "%s", s.hs_error);
            } else if (!s.have_response) {
                hs_sess_judge(&s, HS_FAILED, "handshake: %s",
                              s.eof ? "server closed the connection without a response"
                                    : "no response before the deadline");
            } else if (!s.open) {
                hs_sess_judge(&s, HS_FAILED, "handshake: server answered %d, expected 101",
                              s.head.status);
            }
            if (!s.open) s.stop = true;
        }
        if (s.hs_error[0]) {
            hs_sess_judge(&s, HS_FAILED, "%s", s.hs_error);
            s.stop = true;
        }
        hs_steps_run(&s, steps, n);
        if (s.violation) hs_sess_judge(&s, HS_FAILED, "%s", s.violation_msg);
        if (!hs_sess_cut_passed(&s)) hs_closing_phase(&s, close_ms);
        if (s.ev_dropped) hs_wire_note(&r->wire, "%zu events not kept (queue full)", s.ev_dropped);
        net_close(&s.conn);
    }
    r->verdict = s.worst;
    /* An informational case still says when the feature is missing. */
    if (c->informational && r->verdict != HS_FAILED && r->verdict != HS_UNIMPLEMENTED)
        r->verdict = HS_INFORMATIONAL;
    r->duration_ms = net_now_ms() - t0;
    ws_buf_free(&s.rx);
    ws_buf_free(&s.inflated);
    ws_pmd_free(s.pmd);
    free(s.ev);
    free(s.sent);
    free(s.resp_copy);
    hs_request_free(&s.req);
}

void hs_result_free(hs_result *r)
{
    for (size_t i = 0; i < r->n_observed; i++) free(r->observed[i]);
    for (size_t i = 0; i < r->n_expected; i++) free(r->expected[i]);
    hs_wire_free(&r->wire);
    memset(r, 0, sizeof *r);
}
