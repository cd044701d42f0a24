/* hs_steps: steps run in order, expectations judged. */
#include "harness/hs_steps.h"

#include <stdlib.h>

#include "harness/hs_conn.h"
#include "harness/hs_send.h"
#include "harness/hs_wire.h"

int64_t hs_step_until(hs_session *s, const hs_expect *e)
{
    int64_t now = net_now_ms();
    int64_t w = e->within_ms ? e->within_ms : hs_expect_window(e);
    int64_t until = w >= 0 ? now + w : s->deadline;
    return until < s->deadline ? until : s->deadline;
}

/* Judges the events of one expect step, waited for from `start` until
 * `until` (the response expectation's wait began with the handshake). */
void hs_steps_expect_from(hs_session *s, const hs_expect *e, int64_t start, int64_t until)
{
    hs_match m;
    hs_sess_expected(s, e);
    if (hs_match_init(&m, e, s->sent + s->sent_head, s->n_sent - s->sent_head) != 0) {
        hs_sess_judge(s, HS_FAILED, "out of memory");
        s->stop = true;
        return;
    }
    m.start_ms = start;
    for (;;) {
        while (s->ev_head < s->n_ev && !m.decided) hs_match_feed(&m, &s->ev[s->ev_head++]);
        if (m.decided) break;
        if (s->violation || hs_sess_cut_passed(s)) break;
        if (s->eof) {
            hs_match_ended(&m);
            break;
        }
        if (net_now_ms() >= until) {
            hs_match_timeout(&m, net_now_ms() - start);
            break;
        }
        hs_conn_pump(s, until);
    }
    if (s->r->interrupted && !m.decided) {
        s->stop = true;
    } else if (s->violation && !m.decided) {
        hs_sess_judge(s, HS_FAILED, "%s", s->violation_msg);
        s->stop = true;
    } else {
        hs_sess_judge(s, m.verdict, "%s", m.reason);
        s->sent_head += m.echoes;
        if (m.stop || m.alt < 0) s->stop = true;
    }
    if (s->close_received || s->eof || (!s->open && s->have_response)) s->stop = true;
    hs_match_free(&m);
}

static void do_expect(hs_session *s, const hs_expect *e)
{
    hs_steps_expect_from(s, e, net_now_ms(), hs_step_until(s, e));
}

static void run_step(hs_session *s, const hs_step *st)
{
    switch (st->kind) {
    case HS_STEP_SEND:
        if (hs_send_message(s, &st->send, NULL) != 0 && !s->eof && !s->stop) {
            hs_sess_judge(s, HS_FAILED, "could not send a frame before the deadline");
            s->stop = true;
        }
        break;
    case HS_STEP_RAW: {
        size_t n;
        uint8_t *p = hs_payload_make(&st->raw, &n);
        if (!p) {
            hs_sess_judge(s, HS_FAILED, "out of memory");
            s->stop = true;
            break;
        }
        hs_wire_bytes(&s->r->wire, '>', p, n);
        hs_conn_write_chopped(s, p, n, st->chop, st->delay_ms);
        free(p);
        break;
    }
    case HS_STEP_CLOSE:
        hs_send_close(s, st->close_code, &st->raw);
        break;
    case HS_STEP_SLEEP:
        hs_conn_sleep_reading(s, st->sleep_ms);
        break;
    case HS_STEP_SHUTDOWN:
        hs_conn_half_close(s);
        break;
    case HS_STEP_EXPECT:
        do_expect(s, &st->expect);
        break;
    case HS_STEP_REPEAT: {
        int64_t outer = s->iter;
        for (uint32_t i = 0; i < st->repeat && !s->stop; i++) {
            s->iter = i;
            hs_steps_run(s, st->steps, st->n_steps);
        }
        s->iter = outer;
        break;
    }
    case HS_STEP_HANDSHAKE:
        break; /* only as the first step; run_case handles it */
    }
}

void hs_steps_run(hs_session *s, const hs_step *steps, size_t n)
{
    for (size_t i = 0; i < n && !s->stop && !s->violation; i++) {
        if (hs_sess_cut_passed(s)) break;
        if (net_now_ms() >= s->deadline) {
            hs_sess_judge(s, HS_FAILED, "timed out after %lld ms (the case's time limit)",
                          (long long)(s->deadline - s->t0));
            s->stop = true;
            break;
        }
        run_step(s, &steps[i]);
    }
}
