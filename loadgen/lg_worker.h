/* lg_worker: one worker thread of the load generator.
 *
 * Owns: an epoll loop and the connections of its slots (global slot
 * g = worker + threads * k), their buffers and statistics: nothing on the hot
 * path is shared or locked. It opens and closes connections to follow the
 * target count (ramp stages, --connect-rate, reconnect with backoff), paces
 * open-loop sends from a timerfd, checks deadlines, publishes its counters
 * once a second, and stops (drain, closing handshakes) when the run ends. */
#ifndef LG_WORKER_H
#define LG_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "loadgen/lg_cli.h"
#include "loadgen/lg_conn.h"
#include "loadgen/lg_hist.h"
#include "loadgen/lg_payload.h"
#include "loadgen/lg_stats.h"

struct lg_script;

/* What every worker reads and nobody writes once the run starts (except the
 * atomics). */
typedef struct lg_run {
    const lg_opts *o;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    SSL_CTX *tls;
    ws_client_hs_opts hs;
    const struct lg_script *script;
    int64_t epoch;    /* monotonic ns at the start */
    int64_t end;      /* 0: no time limit */
    int64_t warm_end; /* latency recorded from here on */
    int nworkers;
    atomic_int stop;     /* set on Ctrl-C */
    atomic_int finished; /* workers that are done */
} lg_run;

typedef struct lg_worker {
    int id;
    pthread_t tid;
    lg_run *run;
    int ep, tfd;
    lg_conn *conns;
    uint32_t n; /* slots */
    uint8_t *rbuf;
    uint8_t *sbuf; /* frames being batched for one write */
    size_t sbuf_cap;
    uint8_t *pbuf; /* one payload (deflate and script paths) */
    ws_buf zbuf;   /* one compressed payload */
    lg_tmpl tmpl;
    bool echo_runs; /* lg_scenario_runs: reads go to lg_scenario_echoes first */
    uint64_t size_rng;
    int64_t now;
    /* The last ping of the frames being processed: one pong answers them all
     * (RFC 6455 §5.5.3 allows it), so a ping flood costs one write per read. */
    uint8_t pong[125];
    uint8_t pong_len;
    bool pong_due;

    lg_counters k;
    lg_err_details det;
    lg_hist *lat, *lat_unc, *connect, *tls, *upgrade;
    lg_hist *lat_prev, *lat_sec;       /* lat at the last publish; the difference */
    lg_hist *lag, *lag_prev, *lag_sec; /* open-loop send lag, kept like lat */
    bool unc_differs;                  /* open-loop echo: uncorrected kept apart */
    lg_mailbox box;
    uint64_t peak_open;

    /* open loop (echo, broadcast): global worker slot k is due at
     * sched_start + k * interval and belongs to sender[k % n_send]. */
    bool open_loop;
    double interval;
    int64_t early; /* the send timer fires this long before a send is due */
    int64_t sched_start;
    uint64_t k_next;
    uint32_t *send_slots;
    uint32_t n_send;
    uint64_t quota; /* messages this worker may send (UINT64_MAX: no limit) */

    /* connection management */
    double tokens;
    int64_t tokens_at;
    uint32_t pending; /* connecting, TLS or upgrading */
    int64_t next_tick, next_scan, next_pub;

    /* stop */
    bool stopping, closing_all, done;
    int64_t drain_until, hard_stop;
    bool warm_done;
    lg_counters at_warm, at_stop;
    int64_t t_stop;
    uint64_t inflight_at_stop;
    char err[256]; /* a setup failure */
} lg_worker;

int lg_worker_init(lg_worker *w, lg_run *run, int id);
void lg_worker_free(lg_worker *w);
void *lg_worker_main(void *arg);

/* Global slot number of local slot k. */
static inline uint32_t lg_worker_global(const lg_worker *w, uint32_t k)
{
    return (uint32_t)w->id + (uint32_t)w->run->nworkers * k;
}

/* n latency samples of the same value (ns), unless still warming up:
 * corrected into lat; the uncorrected one into lat_unc only where the two can
 * differ (elsewhere lat_unc is lat, and recording once keeps the hot path
 * short). */
static inline void lg_worker_latency_n(lg_worker *w, int64_t corrected, int64_t uncorrected,
                                       uint64_t n)
{
    if (w->now < w->run->warm_end) return;
    lg_hist_record_n(w->lat, corrected > 0 ? (uint64_t)corrected : 0, n);
    if (w->unc_differs)
        lg_hist_record_n(w->lat_unc, uncorrected > 0 ? (uint64_t)uncorrected : 0, n);
}

static inline void lg_worker_latency(lg_worker *w, int64_t corrected, int64_t uncorrected)
{
    lg_worker_latency_n(w, corrected, uncorrected, 1);
}

/* An open-loop send that left `late` ns after its intended time, unless
 * still warming up. */
static inline void lg_worker_send_lag(lg_worker *w, int64_t now, int64_t late)
{
    if (now < w->run->warm_end) return;
    lg_hist_record(w->lag, late > 0 ? (uint64_t)late : 0);
}

/* Whether scenarios may send new messages now. */
static inline bool lg_worker_may_send(const lg_worker *w)
{
    return !w->stopping && w->quota > 0;
}

/* The reconnect delay after one of `delay` ns: doubled, up to 5 s (a first
 * delay above that stays as given once); after 0, 1 ms. */
int64_t lg_backoff_next(int64_t delay);

void lg_worker_error(lg_worker *w, int cls, uint32_t conn_id, const char *detail);
/* Called by lg_conn when a connection has ended (any reason); decides what the
 * slot does next. failed: it ended in an error. */
void lg_worker_conn_ended(lg_worker *w, lg_conn *c, bool failed, int64_t now);

#endif
