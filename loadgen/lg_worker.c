/* lg_worker: a worker thread's event loop (see lg_worker.h). */
#include "loadgen/lg_worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "loadgen/lg_scenario.h"
#include "net/net.h"

#define LG_RBUF_SIZE   (256 * 1024)
#define LG_TICK_NS     20000000 /* connection management, deadlines, pings */
#define LG_MAX_PENDING 1024     /* handshakes in progress per worker */
#define LG_MAX_BACKOFF 5000000000
#define LG_MIN_BACKOFF 1000000 /* after --reconnect-delay 0 */
/* Waking from epoll_wait on the send timer takes tens of microseconds here:
 * the timer fires up to this much early and the rest is waited out on the
 * clock, so open-loop sends leave on time rather than one wake-up late. */
#define LG_EARLY_NS 100000

static int64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int lg_worker_init(lg_worker *w, lg_run *run, int id)
{
    const lg_opts *o = run->o;
    memset(w, 0, sizeof *w);
    w->id = id;
    w->run = run;
    w->ep = w->tfd = -1;
    uint32_t W = (uint32_t)run->nworkers;
    w->n = (o->connections - (uint32_t)id + W - 1) / W;
    w->conns = calloc(w->n ? w->n : 1, sizeof *w->conns);
    size_t script_max = 0;
    for (size_t i = 0; run->script && i < run->script->n; i++)
        if (run->script->steps[i].len > script_max) script_max = run->script->steps[i].len;
    size_t biggest = o->size_max > script_max ? o->size_max : script_max;
    w->sbuf_cap = 65536 + lg_tmpl_frame_size(biggest + biggest / 8 + 1024);
    w->sbuf = malloc(w->sbuf_cap);
    w->rbuf = malloc(LG_RBUF_SIZE);
    w->pbuf = malloc(o->size_max + 1);
    ws_buf_init(&w->zbuf, biggest + biggest / 8 + 1024);
    w->lat = lg_hist_new();
    w->lat_unc = lg_hist_new();
    w->lat_sec = lg_hist_new();
    w->lat_prev = lg_hist_new();
    w->lag = lg_hist_new();
    w->lag_prev = lg_hist_new();
    w->lag_sec = lg_hist_new();
    w->connect = lg_hist_new();
    w->tls = lg_hist_new();
    w->upgrade = lg_hist_new();
    bool windowed = o->scenario == LG_SC_ECHO || o->scenario == LG_SC_CHURN;
    /* Open-loop echo: every connection sends on a schedule and keeps its
     * messages' intended send times. */
    bool open_echo = o->scenario == LG_SC_ECHO && o->rate > 0;
    w->echo_runs = lg_scenario_runs(o);
    if (!w->conns || !w->sbuf || !w->rbuf || !w->pbuf || !w->lat || !w->lat_unc || !w->lat_sec ||
        !w->lat_prev || !w->lag || !w->lag_prev || !w->lag_sec || !w->connect || !w->tls ||
        !w->upgrade || lg_mailbox_init(&w->box)) {
        snprintf(w->err, sizeof w->err, "out of memory");
        return -1;
    }
    if (lg_tmpl_init(&w->tmpl, o->binary ? WS_OP_BINARY : WS_OP_TEXT, o->size_max)) {
        snprintf(w->err, sizeof w->err, "out of memory or no random bytes for mask keys");
        return -1;
    }
    w->send_slots = calloc(w->n ? w->n : 1, sizeof *w->send_slots);
    if (!w->send_slots) {
        snprintf(w->err, sizeof w->err, "out of memory");
        return -1;
    }
    for (uint32_t k = 0; k < w->n; k++) {
        lg_conn *c = &w->conns[k];
        uint32_t g = lg_worker_global(w, k);
        c->slot = k;
        c->id = o->id_base + g;
        c->nc.fd = -1;
        c->backoff = o->reconnect_delay_ns;
        ws_mask_rng_seed(&c->rng, (uint64_t)c->id * 0x9E3779B97F4A7C15ull ^ (uint64_t)net_now_ns());
        if (windowed) {
            c->sent_at = calloc(o->inflight, sizeof *c->sent_at);
            if (open_echo) c->intended = calloc(o->inflight, sizeof *c->intended);
            if (!c->sent_at || (open_echo && !c->intended)) {
                snprintf(w->err, sizeof w->err, "out of memory for %u connections", w->n);
                return -1;
            }
        }
        bool sender = open_echo || (o->scenario == LG_SC_BROADCAST && g < o->senders);
        if (sender) {
            c->send_idx = w->n_send;
            w->send_slots[w->n_send++] = k;
        }
    }
    if (w->n_send) {
        /* This worker's share of the total rate, in proportion to its senders. */
        double all = o->scenario == LG_SC_BROADCAST ? o->senders : o->connections;
        w->open_loop = true;
        w->unc_differs = o->scenario == LG_SC_ECHO;
        w->interval = 1e9 / (o->rate * (double)w->n_send / all);
        /* At most an eighth of the time between sends goes to waiting. */
        w->early = w->interval / 8 < LG_EARLY_NS ? (int64_t)(w->interval / 8) : LG_EARLY_NS;
    }
    w->quota = UINT64_MAX;
    if (o->messages) {
        uint64_t W64 = (uint64_t)run->nworkers;
        w->quota = o->messages / W64 + ((uint64_t)id < o->messages % W64);
    }
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (w->ep < 0 || w->tfd < 0 || epoll_ctl(w->ep, EPOLL_CTL_ADD, w->tfd, &ev) < 0) {
        snprintf(w->err, sizeof w->err, "epoll/timerfd setup failed");
        return -1;
    }
    return 0;
}

void lg_worker_free(lg_worker *w)
{
    if (!w->run) return; /* never initialised */
    for (uint32_t k = 0; w->conns && k < w->n; k++) {
        lg_conn_drop(w, &w->conns[k]);
        free(w->conns[k].sent_at);
        free(w->conns[k].intended);
        free(w->conns[k].from);
    }
    free(w->conns);
    free(w->send_slots);
    free(w->sbuf);
    free(w->rbuf);
    free(w->pbuf);
    ws_buf_free(&w->zbuf);
    lg_tmpl_free(&w->tmpl);
    lg_hist_free(w->lat);
    lg_hist_free(w->lat_unc);
    lg_hist_free(w->lat_sec);
    lg_hist_free(w->lat_prev);
    lg_hist_free(w->lag);
    lg_hist_free(w->lag_prev);
    lg_hist_free(w->lag_sec);
    lg_hist_free(w->connect);
    lg_hist_free(w->tls);
    lg_hist_free(w->upgrade);
    lg_mailbox_free(&w->box);
    if (w->ep >= 0) close(w->ep);
    if (w->tfd >= 0) close(w->tfd);
    memset(w, 0, sizeof *w);
}

void lg_worker_error(lg_worker *w, int cls, uint32_t conn_id, const char *detail)
{
    if (w->det.n[cls] >= LG_DETAILS) return;
    char d[LG_DETAIL_LEN];
    snprintf(d, sizeof d, "connection %u: %s", conn_id, detail);
    lg_details_add(&w->det, cls, d);
}

/* Connections the ramp wants open now among this worker's slots. */
static uint32_t local_target(const lg_worker *w, int64_t now)
{
    const lg_opts *o = w->run->o;
    double T = o->connections;
    if (o->n_stages) {
        int64_t t = now - w->run->epoch;
        double prev = 0;
        T = o->stages[o->n_stages - 1].target;
        for (int i = 0; i < o->n_stages; i++) {
            const lg_stage *st = &o->stages[i];
            if (t < st->dur_ns) {
                T = prev + ((double)st->target - prev) * (double)t / (double)st->dur_ns;
                break;
            }
            t -= st->dur_ns;
            prev = st->target;
        }
    }
    uint32_t Ti = (uint32_t)(T + 0.5), W = (uint32_t)w->run->nworkers;
    uint32_t local = Ti > (uint32_t)w->id ? (Ti - (uint32_t)w->id + W - 1) / W : 0;
    return local < w->n ? local : w->n;
}

static bool take_token(lg_worker *w, int64_t now)
{
    double rate = w->run->o->connect_rate / w->run->nworkers;
    if (w->pending >= LG_MAX_PENDING) return false;
    if (rate <= 0) return true;
    w->tokens += (double)(now - w->tokens_at) * rate / 1e9;
    w->tokens_at = now;
    double cap = rate / 10 > 1 ? rate / 10 : 1;
    if (w->tokens > cap) w->tokens = cap;
    if (w->tokens < 1) return false;
    w->tokens -= 1;
    return true;
}

void lg_worker_conn_ended(lg_worker *w, lg_conn *c, bool failed, int64_t now)
{
    const lg_opts *o = w->run->o;
    c->state = LG_ST_IDLE;
    if (w->stopping) {
        c->retry_at = INT64_MAX;
        return;
    }
    if (!failed) {
        c->retry_at = now;
        if (o->scenario == LG_SC_CHURN && c->slot < local_target(w, now) && take_token(w, now))
            lg_conn_start(w, c, now);
        return;
    }
    if (!o->reconnect && o->scenario != LG_SC_CHURN) {
        c->state = LG_ST_DEAD;
        return;
    }
    c->retry_at = now + c->backoff;
    c->backoff = lg_backoff_next(c->backoff);
}

int64_t lg_backoff_next(int64_t delay)
{
    if (delay <= 0) return LG_MIN_BACKOFF;
    return delay < LG_MAX_BACKOFF / 2 ? delay * 2 : LG_MAX_BACKOFF;
}

static void begin_stop(lg_worker *w, int64_t now)
{
    const lg_opts *o = w->run->o;
    w->stopping = true;
    w->t_stop = now;
    w->at_stop = w->k;
    if (!w->warm_done) {
        w->at_warm = w->k;
        w->warm_done = true;
    }
    w->drain_until = now + (atomic_load(&w->run->stop) ? o->drain_ns / 5 : o->drain_ns);
    w->hard_stop = w->drain_until + o->close_timeout_ns + 500000000;
}

static uint64_t total_outstanding(const lg_worker *w)
{
    uint64_t n = 0;
    int sc = w->run->o->scenario;
    if (sc != LG_SC_ECHO && sc != LG_SC_CHURN) return 0;
    for (uint32_t k = 0; k < w->n; k++)
        if (w->conns[k].state == LG_ST_OPEN) n += lg_scenario_outstanding(&w->conns[k]);
    return n;
}

static void stop_step(lg_worker *w, int64_t now)
{
    if (!w->closing_all) {
        if (now < w->drain_until && total_outstanding(w) > 0) return;
        w->closing_all = true;
        for (uint32_t k = 0; k < w->n; k++) {
            lg_conn *c = &w->conns[k];
            if (c->state == LG_ST_OPEN)
                lg_conn_close(w, c, now);
            else if (c->state != LG_ST_CLOSING)
                lg_conn_drop(w, c);
        }
    }
    bool busy = false;
    for (uint32_t k = 0; k < w->n; k++) {
        lg_conn *c = &w->conns[k];
        if (c->state == LG_ST_CLOSING) lg_conn_check_deadline(w, c, now);
        busy |= lg_conn_busy(c);
    }
    if (busy && now < w->hard_stop) return;
    for (uint32_t k = 0; k < w->n; k++) lg_conn_drop(w, &w->conns[k]);
    w->done = true;
}

/* This second's samples of all: the difference from prev, its state at the
 * last publish (so the hot path records each sample once). */
static void interval_of(lg_hist *sec, const lg_hist *all, lg_hist *prev)
{
    lg_hist_delta(sec, all, prev);
    if (lg_hist_total(sec)) memcpy(prev, all, sizeof *all);
}

static void publish(lg_worker *w)
{
    w->k.cpu_ns = (uint64_t)thread_cpu_ns();
    lg_tmpl_rekey(&w->tmpl); /* on failure the old keys serve another second */
    interval_of(w->lat_sec, w->lat, w->lat_prev);
    interval_of(w->lag_sec, w->lag, w->lag_prev);
    lg_mailbox_put(&w->box, &w->k, w->lat_sec, w->lag_sec);
}

static void manage(lg_worker *w, int64_t now)
{
    uint32_t active = local_target(w, now), dead = 0;
    for (uint32_t k = 0; k < w->n; k++) {
        lg_conn *c = &w->conns[k];
        switch (c->state) {
        case LG_ST_IDLE:
            if (k < active && now >= c->retry_at && take_token(w, now)) lg_conn_start(w, c, now);
            break;
        case LG_ST_OPEN:
            lg_conn_check_deadline(w, c, now);
            if (c->state != LG_ST_OPEN) break;
            if (k >= active)
                lg_conn_close(w, c, now);
            else
                lg_scenario_tick(w, c, now);
            break;
        case LG_ST_DEAD:
            dead++;
            break;
        default:
            lg_conn_check_deadline(w, c, now);
        }
    }
    if (dead == w->n) begin_stop(w, now); /* nothing left to do without --reconnect */
}

static void tick(lg_worker *w, int64_t now)
{
    const lg_run *r = w->run;
    w->next_tick = now + LG_TICK_NS;
    if (!w->warm_done && now >= r->warm_end) {
        w->at_warm = w->k;
        w->warm_done = true;
    }
    while (now >= w->next_pub) {
        publish(w);
        w->next_pub += 1000000000;
    }
    if (!w->stopping) {
        bool over = atomic_load(&w->run->stop) || (r->end && now >= r->end) ||
                    (w->quota == 0 && total_outstanding(w) == 0);
        if (over)
            begin_stop(w, now);
        else
            manage(w, now);
    }
    if (w->stopping) stop_step(w, now);
}

static void arm_timer(lg_worker *w, int64_t at)
{
    struct itimerspec its = {{0, 0}, {at / 1000000000, at % 1000000000}};
    if (at <= 0) its.it_value.tv_nsec = 1;
    timerfd_settime(w->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Open loop: sends what is due, waits out on the clock a send due within
 * w->early (at most that long, once per turn of the loop, so reads are not
 * held up), and arms the timer w->early before the next one. */
static int64_t pace(lg_worker *w, int64_t now, int64_t *armed)
{
    int64_t due = lg_scenario_schedule(w, now);
    now = w->now; /* sending took time: the schedule read the clock as it went */
    if (due != INT64_MAX && due > now && due - now <= w->early) {
        while (now < due) now = net_now_ns();
        w->now = now;
        due = lg_scenario_schedule(w, now);
        now = w->now;
    }
    if (due != INT64_MAX && due != *armed) {
        arm_timer(w, due - w->early);
        *armed = due;
    }
    return now;
}

void *lg_worker_main(void *arg)
{
    lg_worker *w = arg;
    /* Default timer slack (50 us) would add itself to every open-loop send time. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    int64_t now = net_now_ns(), armed = -1;
    w->now = now;
    w->sched_start = w->run->epoch;
    w->tokens_at = now;
    w->next_pub = w->run->epoch + 1000000000;
    w->next_tick = now;
    struct epoll_event evs[512];
    while (!w->done) {
        int64_t wait = w->next_tick - now;
        int timeout = wait <= 0 ? 0 : (int)((wait + 999999) / 1000000);
        int n = epoll_wait(w->ep, evs, 512, timeout);
        for (int i = 0; i < n; i++) {
            now = w->now = net_now_ns();
            if (!evs[i].data.ptr) {
                uint64_t x;
                if (read(w->tfd, &x, sizeof x) < 0) x = 0;
                continue;
            }
            lg_conn_event(w, evs[i].data.ptr, evs[i].events, now);
        }
        now = w->now = net_now_ns();
        if (w->open_loop) now = pace(w, now, &armed);
        if (now >= w->next_tick) tick(w, now);
    }
    if (!w->warm_done) w->at_warm = w->k;
    publish(w);
    atomic_fetch_add(&w->run->finished, 1);
    return NULL;
}
