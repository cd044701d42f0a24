/* hs_closing: the closing handshake, waited for and judged. */
#include "harness/hs_closing.h"

#include <stdarg.h>
#include <stdio.h>

#include "harness/hs_conn.h"
#include "harness/hs_send.h"
#include "harness/hs_wire.h"
#include "ws/ws_close.h"

static void close_verdict(hs_session *s, int v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void close_verdict(hs_session *s, int v, const char *fmt, ...)
{
    if (v < s->r->close_verdict || (s->r->close_reason[0] && v == s->r->close_verdict)) return;
    s->r->close_verdict = v;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->r->close_reason, sizeof s->r->close_reason, fmt, ap);
    va_end(ap);
}

void hs_closing_phase(hs_session *s, int64_t close_ms)
{
    hs_result *r = s->r;
    if (!s->open) {
        close_verdict(s, HS_OK, "no WebSocket connection was opened");
        return;
    }
    /* Data messages nobody expected, while the conversation was still on. */
    if (!s->stop && !s->violation && !s->close_sent) {
        hs_conn_read_some(s, net_now_ms() + HS_CUT_POLL_MS);
        for (size_t i = s->ev_head; i < s->n_ev; i++)
            if (s->ev[i].kind == HS_EV_MESSAGE || s->ev[i].kind == HS_EV_TOO_BIG) {
                char what[300];
                hs_describe_event(&s->ev[i], hs_sess_next_echo(s), what, sizeof what);
                hs_sess_judge(s, HS_FAILED, "unexpected %s after the last expectation", what);
                break;
            }
    }
    s->closing = true;
    bool we_initiated = false;
    if (!s->close_sent && !s->close_received && !s->eof && !s->wr_shut) {
        we_initiated = true;
        hs_send_close(s, s->violation ? WS_CLOSE_PROTOCOL_ERROR : WS_CLOSE_NORMAL, NULL);
    }
    int64_t until = net_now_ms() + close_ms;
    while (!s->close_received && !s->eof && net_now_ms() < until && !hs_sess_cut_passed(s))
        hs_conn_pump(s, until);
    if (s->late_messages)
        hs_wire_note(&r->wire, "%zu data messages arrived while closing", s->late_messages);
    if (!s->close_received) {
        if (s->eof)
            close_verdict(s, HS_NON_STRICT, "server closed TCP without a close frame");
        else
            close_verdict(s, HS_FAILED, "no close frame from the server within %lld ms",
                          (long long)close_ms);
    } else {
        uint16_t code = r->server_close_code < 0 ? 1005 : (uint16_t)r->server_close_code;
        bool listed = s->c->n_close_codes == 0;
        for (size_t i = 0; i < s->c->n_close_codes; i++) listed |= s->c->close_codes[i] == code;
        if (s->close_malformed)
            close_verdict(s, HS_FAILED, "malformed close frame from the server: %s",
                          s->close_problem);
        else if (!listed)
            close_verdict(s, HS_FAILED, "server closed with %u, not one of the expected codes",
                          code);
        else if (we_initiated && code != 1005 && code != s->close_sent_code && code != 1000)
            close_verdict(s, HS_NON_STRICT, "server answered our close %u with %u",
                          s->close_sent_code, code);
        until = net_now_ms() + close_ms;
        while (!s->eof && net_now_ms() < until && !hs_sess_cut_passed(s)) hs_conn_pump(s, until);
        if (s->frames_after_close)
            close_verdict(s, HS_FAILED, "server sent %zu frames after its close frame",
                          s->frames_after_close);
        if (!s->eof)
            close_verdict(s, HS_FAILED,
                          "server did not close TCP within %lld ms after the closing handshake",
                          (long long)close_ms);
    }
    if (!s->eof) r->tcp_closed_by = "client";
    if (!r->close_reason[0])
        snprintf(r->close_reason, sizeof r->close_reason,
                 "clean close (code %d), server closed TCP", r->server_close_code);
}
