/* hs_session: recording into the result, and interruption. */
#include "harness/hs_session.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hs_sess_judge(hs_session *s, int verdict, const char *fmt, ...)
{
    if (verdict > s->worst || (verdict == s->worst && verdict != HS_OK && !s->r->reason[0])) {
        s->worst = verdict;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->r->reason, sizeof s->r->reason, fmt, ap);
        va_end(ap);
    }
}

void hs_sess_observe(hs_session *s, const char *what)
{
    hs_result *r = s->r;
    if (r->n_observed == HS_MAX_OBSERVED) {
        r->observed_dropped++;
        return;
    }
    char line[320];
    snprintf(line, sizeof line, "+%lldms %s", (long long)((net_now_ns() - r->wire.t0_ns) / 1000000),
             what);
    r->observed[r->n_observed] = strdup(line);
    if (r->observed[r->n_observed]) r->n_observed++;
}

void hs_sess_expected(hs_session *s, const hs_expect *e)
{
    hs_result *r = s->r;
    if (r->n_expected == HS_MAX_OBSERVED) return;
    char line[1024];
    hs_describe_expect(e, line, sizeof line);
    r->expected[r->n_expected] = strdup(line);
    if (r->expected[r->n_expected]) r->n_expected++;
}

const hs_sent *hs_sess_next_echo(const hs_session *s)
{
    return s->sent_head < s->n_sent ? &s->sent[s->sent_head] : NULL;
}

void hs_sess_push_event(hs_session *s, const hs_event *ev)
{
    char what[300];
    hs_describe_event(ev, hs_sess_next_echo(s), what, sizeof what);
    hs_sess_observe(s, what);
    bool data = ev->kind == HS_EV_MESSAGE || ev->kind == HS_EV_TOO_BIG;
    if (s->closing && (data || ev->kind == HS_EV_PONG)) {
        s->late_messages += data;
        return;
    }
    if (s->n_ev - s->ev_head >= HS_MAX_QUEUED_EVENTS) {
        s->ev_dropped++;
        return;
    }
    if (s->ev_head > 0 && s->ev_head == s->n_ev) s->ev_head = s->n_ev = 0;
    if (s->n_ev == s->cap_ev) {
        size_t cap = s->cap_ev ? s->cap_ev * 2 : 16;
        hs_event *n = realloc(s->ev, cap * sizeof *n);
        if (!n) {
            s->ev_dropped++;
            return;
        }
        s->ev = n;
        s->cap_ev = cap;
    }
    s->ev[s->n_ev++] = *ev;
}

void hs_sess_violation(hs_session *s, const char *fmt, ...)
{
    if (s->violation) return;
    s->violation = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->violation_msg, sizeof s->violation_msg, fmt, ap);
    va_end(ap);
    hs_wire_note(&s->r->wire, "violation: %s", s->violation_msg);
    hs_sess_observe(s, s->violation_msg);
}

static int64_t cut_time(const hs_session *s)
{
    return s->o->cut_at_ms ? atomic_load(s->o->cut_at_ms) : 0;
}

/* True once the run's cut time has passed: the case stops where it is and
 * its result is marked interrupted (no verdict is reported for it). */
bool hs_sess_cut_passed(hs_session *s)
{
    int64_t cut = cut_time(s);
    if (!cut || net_now_ms() < cut) return false;
    if (!s->r->interrupted) {
        s->r->interrupted = true;
        hs_wire_note(&s->r->wire, "run interrupted: case cut short");
    }
    s->stop = true;
    return true;
}

/* A wait ends by `until`, by the cut time, and, while the run may still be
 * interrupted, within HS_CUT_POLL_MS so that an interruption is seen. */
int64_t hs_sess_wait_until(const hs_session *s, int64_t until)
{
    if (!s->o->cut_at_ms) return until;
    int64_t cut = cut_time(s);
    int64_t lim = cut ? cut : net_now_ms() + HS_CUT_POLL_MS;
    return until < lim ? until : lim;
}
