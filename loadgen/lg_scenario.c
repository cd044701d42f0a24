/* lg_scenario: echo, idle, churn, broadcast and script (see lg_scenario.h). */
#include "loadgen/lg_scenario.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "loadgen/lg_payload.h"
#include "loadgen/lg_worker.h"
#include "net/net.h"
#include "util/util_file.h"
#include "util/util_parse.h"

#define LG_BEHIND_NS 1000000 /* a send this late counts as behind schedule */
#define LG_VISIT_MAX 1024    /* open loop: sends per connection per visit, at most */
#define LG_TURN_NS   2000000 /* open loop: time one round of visits may take */

uint64_t lg_scenario_outstanding(const lg_conn *c)
{
    return c->next_seq - c->track.next;
}

/* Where seq sits in a ring of K entries: a mask when K is a power of two (the
 * usual --inflight), which spares a division per message sent and received. */
static inline uint64_t ring_slot(uint64_t seq, uint32_t K)
{
    return (K & (K - 1)) == 0 ? seq & (K - 1) : seq % K;
}

/* Sets the entries of n consecutive numbers from seq to v (a span or two of
 * the ring, no wrap test per entry). */
static void ring_set(int64_t *ring, uint32_t K, uint64_t seq, uint64_t n, int64_t v)
{
    for (uint64_t slot = ring_slot(seq, K); n; slot = 0) {
        uint64_t m = K - slot < n ? K - slot : n;
        for (int64_t *e = ring + slot, *end = e + m; e < end; e++) *e = v;
        n -= m;
    }
}

/* How many entries, at most n, of consecutive numbers from seq hold v (no
 * wrap test per entry either). */
static uint64_t ring_run(const int64_t *ring, uint32_t K, uint64_t seq, uint64_t n, int64_t v)
{
    uint64_t same = 0;
    for (uint64_t slot = ring_slot(seq, K); same < n; slot = 0) {
        const int64_t *e = ring + slot, *end = e + (K - slot < n - same ? K - slot : n - same);
        while (e < end && *e == v) e++;
        same += (uint64_t)(e - (ring + slot));
        if (e < end) break;
    }
    return same;
}

/* The payload length of message seq on connection conn: fixed, or drawn
 * evenly from the --size range by a hash of the two, so the echo's expected
 * length is known without keeping it. */
static size_t msg_size(const lg_opts *o, uint32_t conn, uint64_t seq)
{
    if (o->size_min == o->size_max) return o->size_min;
    uint64_t z = seq * 0x9E3779B97F4A7C15ull ^ ((uint64_t)conn << 32 | conn);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return o->size_min + (size_t)(z % (o->size_max - o->size_min + 1));
}

/* Adds one stamped message for c to the batch in w->sbuf (sending the batch
 * when full), or sends it alone when deflate needs a per-message pass.
 * Inlined: it runs once per message sent. */
static inline __attribute__((always_inline)) int send_one(lg_worker *w, lg_conn *c, size_t *batch,
                                                          int64_t intended, int64_t now)
{
    const lg_run *r = w->run;
    size_t len = msg_size(r->o, c->id, c->next_seq);
    lg_stamp s = {.seq = c->next_seq, .t_ns = (uint64_t)(intended - r->epoch), .conn = c->id};
    if (c->pmd) {
        memcpy(w->pbuf, w->tmpl.payload, len);
        lg_payload_stamp(w->pbuf, len, &s);
        if (lg_conn_send_data(w, c, w->tmpl.opcode, w->pbuf, len) < 0) return -1;
    } else {
        if (*batch + lg_tmpl_frame_size(len) > w->sbuf_cap) {
            size_t n = *batch;
            *batch = 0;
            if (lg_conn_send(w, c, w->sbuf, n) < 0) return -1;
        }
        *batch += lg_tmpl_write(&w->tmpl, w->sbuf + *batch, len, &s, &c->rng, NULL);
    }
    if (c->sent_at) {
        uint64_t slot = ring_slot(s.seq, r->o->inflight);
        c->sent_at[slot] = now;
        if (c->intended) c->intended[slot] = intended;
    }
    c->next_seq++;
    w->k.c[LG_C_SENT]++;
    if (w->quota != UINT64_MAX) w->quota--;
    return 0;
}

static int send_batch(lg_worker *w, lg_conn *c, size_t batch)
{
    return batch ? lg_conn_send(w, c, w->sbuf, batch) : 0;
}

/* ---- open loop ---- */

static int64_t slot_time(const lg_worker *w, const lg_conn *c, uint64_t m)
{
    double k = (double)m * (double)w->n_send + (double)c->send_idx;
    return w->sched_start + (int64_t)(k * w->interval);
}

/* How many of c's slots are due by now. */
static uint64_t slots_due(const lg_worker *w, const lg_conn *c, int64_t now)
{
    if (now < w->sched_start) return 0;
    double kd = floor((double)(now - w->sched_start) / w->interval);
    if (kd < (double)c->send_idx) return 0;
    return (uint64_t)((kd - (double)c->send_idx) / (double)w->n_send) + 1;
}

static void open_loop_due(lg_worker *w, lg_conn *c, int64_t now, bool from_timer)
{
    uint64_t due = slots_due(w, c, now);
    if (c->state != LG_ST_OPEN || !lg_worker_may_send(w)) {
        if (due > c->slot_m && c->ever_open && !w->stopping)
            w->k.c[LG_C_SKIPPED] += due - c->slot_m;
        if (due > c->slot_m) c->slot_m = due;
        return;
    }
    bool windowed = w->run->o->scenario == LG_SC_ECHO;
    uint32_t K = w->run->o->inflight;
    size_t batch = 0;
    /* A generator far behind its schedule catches up a bounded number of
     * sends per visit, so it still reads, publishes and checks deadlines. */
    if (from_timer && due > c->slot_m + LG_VISIT_MAX) due = c->slot_m + LG_VISIT_MAX;
    while (c->slot_m < due && w->quota && (!windowed || lg_scenario_outstanding(c) < K)) {
        int64_t t = slot_time(w, c, c->slot_m);
        if (now - t > LG_BEHIND_NS) {
            w->k.c[LG_C_BEHIND]++;
            if (from_timer) w->k.c[LG_C_LATE_LOCAL]++;
        }
        /* The generator's own timing: sends the window held back are the
         * server's lateness (behind), not the generator's. */
        if (from_timer) lg_worker_send_lag(w, now, now - t);
        if (send_one(w, c, &batch, t, now) < 0) return;
        c->slot_m++;
    }
    send_batch(w, c, batch);
}

int64_t lg_scenario_schedule(lg_worker *w, int64_t now)
{
    if (!w->open_loop || !w->n_send || !lg_worker_may_send(w)) return INT64_MAX;
    if (now >= w->sched_start) {
        uint64_t kdue = (uint64_t)floor((double)(now - w->sched_start) / w->interval) + 1;
        uint64_t k = w->k_next;
        /* Each visit sends a connection's due slots: one round is enough. */
        if (kdue - k > w->n_send) k = kdue - w->n_send;
        /* Each connection's sends are stamped (and their lag taken) when
         * they are made, not when the first of the round was. A round cut
         * short by LG_TURN_NS goes on at the next turn of the loop. */
        int64_t t0 = now;
        while (k < kdue) {
            open_loop_due(w, &w->conns[w->send_slots[k++ % w->n_send]], now, true);
            now = w->now = net_now_ns();
            if (now - t0 > LG_TURN_NS) break;
        }
        w->k_next = k;
    }
    return w->sched_start + (int64_t)((double)w->k_next * w->interval);
}

/* ---- echo ---- */

/* The closed-loop refill when every message has the same size and no
 * deflate: what send_one does n times, with the frames written by one
 * lg_tmpl_write_run per chunk. */
static int echo_fill_run(lg_worker *w, lg_conn *c, uint64_t n, int64_t now)
{
    const lg_run *r = w->run;
    size_t len = r->o->size_min;
    size_t fsz = lg_tmpl_frame_size(len);
    uint32_t K = r->o->inflight;
    size_t batch = 0;
    while (n) {
        /* As many as fit (divided out only when not all do). */
        size_t m = n * fsz <= w->sbuf_cap - batch ? (size_t)n : (w->sbuf_cap - batch) / fsz;
        if (m == 0) {
            size_t b = batch;
            batch = 0;
            if (lg_conn_send(w, c, w->sbuf, b) < 0) return -1;
            continue;
        }
        lg_stamp s = {.seq = c->next_seq, .t_ns = (uint64_t)(now - r->epoch), .conn = c->id};
        batch += lg_tmpl_write_run(&w->tmpl, w->sbuf + batch, len, &s, m, &c->rng);
        if (c->sent_at) ring_set(c->sent_at, K, c->next_seq, m, now);
        c->next_seq += m;
        w->k.c[LG_C_SENT] += m;
        if (w->quota != UINT64_MAX) w->quota -= m;
        n -= m;
    }
    return send_batch(w, c, batch);
}

static void echo_fill(lg_worker *w, lg_conn *c, int64_t now)
{
    if (w->open_loop) {
        open_loop_due(w, c, now, false);
        return;
    }
    uint32_t K = w->run->o->inflight;
    uint64_t out = lg_scenario_outstanding(c);
    if (out >= K || !lg_worker_may_send(w)) return;
    /* How many to send, worked out once: nothing in the loop stops the run,
     * and the quota (UINT64_MAX: none) only counts down with the sends. */
    uint64_t n = K - out < w->quota ? K - out : w->quota;
    if (!c->pmd && w->run->o->size_min == w->run->o->size_max) {
        echo_fill_run(w, c, n, now);
        return;
    }
    size_t batch = 0;
    for (; n; n--)
        if (send_one(w, c, &batch, now, now) < 0) return;
    send_batch(w, c, batch);
}

static void corrupted(lg_worker *w, lg_conn *c)
{
    w->k.c[LG_C_CORRUPTED]++;
    c->corrupted++;
}

static void lost(lg_worker *w, lg_conn *c, uint64_t n)
{
    w->k.c[LG_C_LOST] += n;
    c->lost += (uint32_t)n;
}

/* Counts one received sequence number against a tracker: duplicated,
 * reordered (a gap counted as lost is filled), new (with any gap before it
 * lost), or early (before a broadcast receiver's first: received, nothing
 * more). Returns the lg_track_see result. */
static int seen(lg_worker *w, lg_conn *c, lg_track *tr, uint64_t seq)
{
    uint64_t gap;
    int t = lg_track_see(tr, seq, &gap);
    if (t == LG_TRACK_DUPLICATE) {
        w->k.c[LG_C_DUPLICATED]++;
        c->duplicated++;
        return t;
    }
    w->k.c[LG_C_RECEIVED]++;
    if (t == LG_TRACK_REORDERED) {
        w->k.c[LG_C_REORDERED]++;
        c->reordered++;
        w->k.c[LG_C_LOST]--; /* it was counted lost when the gap opened */
        c->lost--;
    } else if (gap) {
        lost(w, c, gap);
    }
    return t;
}

/* Judges an echoed message: integrity counters and latency. Inlined: it runs
 * once per message received. */
static inline __attribute__((always_inline)) void
echo_message(lg_worker *w, lg_conn *c, const uint8_t *p, size_t n, int64_t now)
{
    uint32_t K = w->run->o->inflight;
    /* Fast path: the echo of the oldest message in flight, as sent. */
    if (c->sent_at && lg_scenario_outstanding(c) && n >= LG_STAMP_LEN) {
        uint64_t seq = c->track.next, slot = ring_slot(seq, K);
        int64_t at = c->sent_at[slot], intended = c->intended ? c->intended[slot] : at;
        lg_stamp want = {.seq = seq, .t_ns = (uint64_t)(intended - w->run->epoch), .conn = c->id};
        int v = n == msg_size(w->run->o, c->id, seq)
                    ? lg_payload_echo_check(&w->tmpl.stamp, p, n, &want)
                    : LG_VERIFY_STAMP;
        if (v != LG_VERIFY_STAMP) {
            if (v == LG_VERIFY_FILL) corrupted(w, c);
            lg_track_next(&c->track);
            w->k.c[LG_C_RECEIVED]++;
            lg_worker_latency(w, now - intended, now - at);
            return;
        }
    }
    lg_stamp s;
    int v = lg_payload_verify(p, n, &s);
    if (v == LG_VERIFY_SHORT || v == LG_VERIFY_STAMP || s.conn != c->id || s.seq >= c->next_seq) {
        corrupted(w, c); /* not something this connection sent */
        return;
    }
    if (v == LG_VERIFY_FILL) corrupted(w, c);
    int t = seen(w, c, &c->track, s.seq);
    if (t == LG_TRACK_DUPLICATE) return;
    int64_t intended = w->run->epoch + (int64_t)s.t_ns;
    int64_t actual = intended;
    if (t == LG_TRACK_NEW && c->sent_at) actual = c->sent_at[ring_slot(s.seq, K)];
    lg_worker_latency(w, now - intended, now - actual);
}

bool lg_scenario_runs(const lg_opts *o)
{
    return o->scenario == LG_SC_ECHO && o->rate <= 0 && o->size_min == o->size_max;
}

size_t lg_scenario_echoes(lg_worker *w, lg_conn *c, const uint8_t *buf, size_t len, int64_t now)
{
    const lg_opts *o = w->run->o;
    if (c->pmd) return 0; /* a compressed echo is not the bytes sent */
    uint32_t K = o->inflight;
    size_t size = o->size_min, fsz = lg_tmpl_echo_size(size), used = 0;
    uint64_t out = lg_scenario_outstanding(c);
    /* lg_tmpl_echoes takes whole frames only: no count of them here. */
    while (out && len - used >= fsz) {
        /* The messages that left together (one refill): consecutive numbers
         * and one send time, so one stamp run and one latency value. */
        int64_t at = c->sent_at[ring_slot(c->track.next, K)];
        uint64_t n = ring_run(c->sent_at, K, c->track.next, out, at);
        lg_stamp s = {.seq = c->track.next, .t_ns = (uint64_t)(at - w->run->epoch), .conn = c->id};
        size_t bytes, got = lg_tmpl_echoes(&w->tmpl, buf + used, len - used, size, &s, n, &bytes);
        if (got == 0) break;
        used += bytes;
        out -= got;
        lg_track_next_n(&c->track, got);
        w->k.c[LG_C_RECEIVED] += got;
        lg_worker_latency_n(w, now - at, now - at, got);
        if (got < n) break;
    }
    return used;
}

static void echo_tick(lg_worker *w, lg_conn *c, int64_t now)
{
    if (!c->sent_at || lg_scenario_outstanding(c) == 0) return;
    const lg_opts *o = w->run->o;
    int64_t oldest = c->sent_at[ring_slot(c->track.next, o->inflight)];
    if (now - oldest < o->message_timeout_ns) return;
    uint64_t n = lg_track_skip_to(&c->track, c->next_seq);
    w->k.c[LG_C_LOST] += n;
    c->lost += (uint32_t)n;
    w->k.err[LG_E_READ_TIMEOUT]++;
    char d[LG_DETAIL_LEN];
    snprintf(d, sizeof d, "%llu message(s) not echoed within %.3f s", (unsigned long long)n,
             (double)o->message_timeout_ns / 1e9);
    lg_worker_error(w, LG_E_READ_TIMEOUT, c->id, d);
    if (o->scenario == LG_SC_CHURN)
        lg_conn_close(w, c, now);
    else
        echo_fill(w, c, now);
}

/* ---- broadcast ---- */

static void broadcast_message(lg_worker *w, lg_conn *c, const uint8_t *p, size_t n, int64_t now)
{
    const lg_opts *o = w->run->o;
    lg_stamp s;
    int v = lg_payload_verify(p, n, &s);
    if (v == LG_VERIFY_SHORT || v == LG_VERIFY_STAMP) {
        w->k.c[LG_C_UNEXPECTED]++; /* a server's own message, not a published one */
        return;
    }
    uint32_t sender = s.conn - o->id_base;
    if (s.conn < o->id_base || sender >= o->senders) {
        corrupted(w, c);
        return;
    }
    if (v == LG_VERIFY_FILL) corrupted(w, c);
    if (!c->from) {
        c->from = calloc(o->senders, sizeof *c->from);
        if (!c->from) return;
    }
    /* A receiver counts a sender's messages from the first it gets: when the
     * server made it a subscriber (after its handshake, or its --subscribe
     * message) cannot be seen from here, so what was published before cannot
     * be told from what was lost. */
    lg_track *tr = &c->from[sender];
    if (tr->next == 0) lg_track_start_at(tr, s.seq);
    if (seen(w, c, tr, s.seq) == LG_TRACK_DUPLICATE) return;
    int64_t lat = now - (w->run->epoch + (int64_t)s.t_ns);
    lg_worker_latency(w, lat, lat);
}

/* ---- idle ---- */

static void idle_tick(lg_worker *w, lg_conn *c, int64_t now)
{
    int64_t every = w->run->o->ping_interval_ns;
    if (now < c->ping_at || !lg_worker_may_send(w)) return;
    if (c->ping_sent) w->k.c[LG_C_PINGS_LOST]++;
    uint8_t pl[8];
    for (int i = 0; i < 8; i++) pl[i] = (uint8_t)((uint64_t)now >> (8 * i));
    c->ping_sent = now;
    c->ping_at += every;
    if (c->ping_at <= now) c->ping_at = now + every;
    w->k.c[LG_C_PINGS]++;
    lg_conn_send_frame(w, c, WS_OP_PING, pl, sizeof pl);
}

void lg_scenario_pong(lg_worker *w, lg_conn *c, const uint8_t *p, size_t n, int64_t now)
{
    if (n != 8 || !c->ping_sent) return; /* unsolicited pongs are allowed (§5.5.3) */
    uint64_t t = 0;
    for (int i = 0; i < 8; i++) t |= (uint64_t)p[i] << (8 * i);
    if ((int64_t)t != c->ping_sent) return;
    w->k.c[LG_C_PONGS]++;
    c->ping_sent = 0;
    lg_worker_latency(w, now - (int64_t)t, now - (int64_t)t);
}

/* ---- script ---- */

static void script_run(lg_worker *w, lg_conn *c, int64_t now)
{
    const lg_script *s = w->run->script;
    for (size_t guard = 0; guard <= s->n && c->state == LG_ST_OPEN; guard++) {
        if (c->step >= s->n) {
            if (!s->loop) return;
            c->step = 0;
        }
        const lg_step *st = &s->steps[c->step];
        if (st->kind == LG_STEP_SEND) {
            if (!lg_worker_may_send(w)) return;
            if (lg_conn_send_data(w, c, WS_OP_TEXT, (const uint8_t *)st->text, st->len) < 0) return;
            w->k.c[LG_C_SENT]++;
            if (w->quota != UINT64_MAX) w->quota--;
            c->step_t0 = now;
            c->step++;
            continue;
        }
        if (c->step_deadline == 0) {
            c->step_deadline = now + st->ns;
            /* An expect is timed from when its wait began: right after a send
             * that is the send, and a script may also open with an expect. */
            if (st->kind == LG_STEP_EXPECT) c->step_t0 = now;
        }
        if (st->kind == LG_STEP_EXPECT || now < c->step_deadline) return;
        c->step_deadline = 0; /* sleep over */
        c->step++;
    }
}

static void script_message(lg_worker *w, lg_conn *c, const uint8_t *p, size_t n, int64_t now)
{
    const lg_script *s = w->run->script;
    w->k.c[LG_C_RECEIVED]++;
    if (c->step >= s->n) return;
    const lg_step *st = &s->steps[c->step];
    if (st->kind != LG_STEP_EXPECT) return;
    if (st->len && !memmem(p, n, st->text, st->len)) return;
    lg_worker_latency(w, now - c->step_t0, now - c->step_t0);
    c->step_deadline = 0;
    c->step++;
    script_run(w, c, now);
}

static void script_tick(lg_worker *w, lg_conn *c, int64_t now)
{
    const lg_script *s = w->run->script;
    if (c->step >= s->n || !c->step_deadline || now < c->step_deadline) return;
    const lg_step *st = &s->steps[c->step];
    if (st->kind == LG_STEP_SLEEP) {
        script_run(w, c, now);
        return;
    }
    char d[LG_DETAIL_LEN];
    snprintf(d, sizeof d, "step %u: no message containing '%.60s' within %.3f s", c->step, st->text,
             (double)st->ns / 1e9);
    lg_conn_fail(w, c, LG_E_SCRIPT_TIMEOUT, d, now);
}

/* ---- hooks ---- */

void lg_scenario_open(lg_worker *w, lg_conn *c, int64_t now)
{
    const lg_opts *o = w->run->o;
    c->next_seq = 0;
    memset(&c->track, 0, sizeof c->track);
    if (o->subscribe && lg_conn_send_data(w, c, WS_OP_TEXT, (const uint8_t *)o->subscribe,
                                          strlen(o->subscribe)) < 0)
        return;
    switch (o->scenario) {
    case LG_SC_ECHO:
        if (w->open_loop) c->slot_m = slots_due(w, c, now); /* no burst for missed slots */
        echo_fill(w, c, now);
        break;
    case LG_SC_IDLE: {
        /* Spread the pings over the interval so they do not come in waves. */
        uint64_t spread = (uint64_t)c->id * 2654435761u % 1000;
        c->ping_at = now + (int64_t)((uint64_t)o->ping_interval_ns / 1000 * spread);
        c->ping_sent = 0;
        break;
    }
    case LG_SC_CHURN:
        lg_worker_latency(w, now - c->t_conn, now - c->t_conn);
        if (o->churn_echo && lg_worker_may_send(w)) {
            size_t batch = 0;
            if (send_one(w, c, &batch, now, now) == 0) send_batch(w, c, batch);
        } else {
            lg_conn_close(w, c, now);
        }
        break;
    case LG_SC_BROADCAST:
        if (w->open_loop) c->slot_m = slots_due(w, c, now);
        break;
    case LG_SC_SCRIPT:
        c->step = 0;
        c->step_deadline = 0;
        script_run(w, c, now);
        break;
    }
}

int lg_scenario_message(lg_worker *w, lg_conn *c, const uint8_t *p, size_t n, int64_t now)
{
    int sc = w->run->o->scenario;
    if (sc == LG_SC_ECHO) {
        echo_message(w, c, p, n, now); /* never ends the connection */
        return 0;
    }
    switch (sc) {
    case LG_SC_CHURN:
        echo_message(w, c, p, n, now);
        if (lg_scenario_outstanding(c) == 0) lg_conn_close(w, c, now);
        break;
    case LG_SC_BROADCAST:
        broadcast_message(w, c, p, n, now);
        break;
    case LG_SC_SCRIPT:
        script_message(w, c, p, n, now);
        break;
    default:
        w->k.c[LG_C_UNEXPECTED]++;
        break;
    }
    return lg_conn_busy(c) ? 0 : -1;
}

void lg_scenario_after_read(lg_worker *w, lg_conn *c, int64_t now)
{
    if (w->run->o->scenario == LG_SC_ECHO) echo_fill(w, c, now);
}

void lg_scenario_tick(lg_worker *w, lg_conn *c, int64_t now)
{
    switch (w->run->o->scenario) {
    case LG_SC_ECHO:
    case LG_SC_CHURN:
        echo_tick(w, c, now);
        break;
    case LG_SC_IDLE:
        idle_tick(w, c, now);
        break;
    case LG_SC_SCRIPT:
        script_tick(w, c, now);
        break;
    default:
        break;
    }
}

void lg_scenario_end(lg_worker *w, lg_conn *c, int failed)
{
    int sc = w->run->o->scenario;
    uint64_t n = sc == LG_SC_ECHO || sc == LG_SC_CHURN ? lg_scenario_outstanding(c) : 0;
    if (failed) {
        w->k.c[LG_C_LOST] += n;
        c->lost += (uint32_t)n;
    } else {
        w->inflight_at_stop += n;
    }
    c->track.next = c->next_seq;
    free(c->from);
    c->from = NULL;
}

/* ---- script files ---- */

void lg_script_free(lg_script *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->steps[i].text);
    free(s->steps);
    memset(s, 0, sizeof *s);
}

static int step_duration(const cJSON *v, int64_t *ns)
{
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e7) {
        *ns = (int64_t)(v->valuedouble * 1e9);
        return 0;
    }
    return cJSON_IsString(v) ? util_parse_duration(v->valuestring, UTIL_NS_PER_S, ns) : -1;
}

static int parse_step(const cJSON *j, lg_step *st, size_t i, char *err, size_t errlen)
{
    const cJSON *send = cJSON_GetObjectItemCaseSensitive(j, "send");
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(j, "expect");
    const cJSON *sleep = cJSON_GetObjectItemCaseSensitive(j, "sleep");
    if (!cJSON_IsObject(j) || (send != NULL) + (expect != NULL) + (sleep != NULL) != 1) {
        snprintf(err, errlen, "step %zu: an object with one of send, expect, sleep", i);
        return -1;
    }
    if (send) {
        st->kind = LG_STEP_SEND;
        /* A JSON value other than a string is sent as its compact JSON text. */
        st->text = cJSON_IsString(send) ? strdup(send->valuestring) : cJSON_PrintUnformatted(send);
    } else if (expect) {
        st->kind = LG_STEP_EXPECT;
        st->ns = 5000000000;
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "timeout");
        if (!cJSON_IsString(expect) || (t && step_duration(t, &st->ns))) {
            snprintf(err, errlen, "step %zu: expect takes a string, timeout a duration", i);
            return -1;
        }
        st->text = strdup(expect->valuestring);
    } else {
        st->kind = LG_STEP_SLEEP;
        if (step_duration(sleep, &st->ns)) {
            snprintf(err, errlen, "step %zu: sleep takes a duration (\"100ms\")", i);
            return -1;
        }
        st->text = strdup("");
    }
    if (!st->text) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    st->len = strlen(st->text);
    return 0;
}

int lg_script_parse(const char *text, lg_script *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    cJSON *j = cJSON_Parse(text);
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(j, "steps");
    int n = cJSON_GetArraySize(steps);
    if (!cJSON_IsObject(j) || !cJSON_IsArray(steps) || n == 0 || n > 1000) {
        snprintf(err, errlen, "a script is {\"steps\": [1 to 1000 steps], \"loop\": false}");
        cJSON_Delete(j);
        return -1;
    }
    s->steps = calloc((size_t)n, sizeof *s->steps);
    s->loop = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "loop"));
    int waits = 0;
    for (int i = 0; s->steps && i < n; i++) {
        s->n++;
        if (parse_step(cJSON_GetArrayItem(steps, i), &s->steps[i], (size_t)i, err, errlen)) {
            cJSON_Delete(j);
            lg_script_free(s);
            return -1;
        }
        waits += s->steps[i].kind != LG_STEP_SEND;
    }
    cJSON_Delete(j);
    if (!s->steps) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (s->loop && !waits) {
        snprintf(err, errlen, "a looping script needs an expect or a sleep step");
        lg_script_free(s);
        return -1;
    }
    return 0;
}

int lg_script_load(const char *path, lg_script *s, char *err, size_t errlen)
{
    char *buf = util_read_file(path, 1 << 20, NULL, err, errlen);
    if (!buf) return -1;
    char e[200];
    int rc = lg_script_parse(buf, s, e, sizeof e);
    free(buf);
    if (rc) snprintf(err, errlen, "%s: %s", path, e);
    return rc;
}
