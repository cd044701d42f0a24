/* lg_stats: what the load generator counts, and the per-second series.
 *
 * Owns: the counters every worker keeps for itself (plain arrays indexed by an
 * enum, so adding, subtracting and naming them is one loop), error classes with
 * the first few details of each, close codes and HTTP statuses by code, and the
 * hand-over of a worker's numbers to the reporter thread: once a second each
 * worker copies its counters and merges its interval histogram into a mailbox
 * under a mutex; nothing is shared or locked on the hot path. */
#ifndef LG_STATS_H
#define LG_STATS_H

#include <pthread.h>
#include <stdint.h>

#include "loadgen/lg_hist.h"

enum lg_counter {
    LG_C_CONNECT_ATTEMPTS,
    LG_C_CONNECTED, /* TCP up */
    LG_C_OPENED,    /* upgrade done: WebSocket open */
    LG_C_CLOSED,    /* closing handshakes completed */
    LG_C_SENT,      /* data messages sent */
    LG_C_RECEIVED,  /* data messages received (unique; duplicates excluded) */
    LG_C_BYTES_SENT,
    LG_C_BYTES_RECEIVED,
    LG_C_LOST,       /* never came back though later ones did, or timed out */
    LG_C_DUPLICATED, /* came back twice */
    LG_C_REORDERED,  /* came back after a later one */
    LG_C_CORRUPTED,  /* payload differs from what was sent */
    LG_C_UNEXPECTED, /* data nobody sent (not a stamped message of this connection) */
    LG_C_BEHIND,     /* open loop: sent more than 1 ms after the intended time */
    LG_C_LATE_LOCAL, /* ... of those, late because the generator was (not the window) */
    LG_C_SKIPPED,    /* open loop: a send slot whose connection was not open */
    LG_C_PINGS,
    LG_C_PONGS,
    LG_C_PINGS_LOST,
    LG_C_COUNT
};

enum lg_err {
    LG_E_RESOLVE,
    LG_E_REFUSED,
    LG_E_CONNECT_TIMEOUT,
    LG_E_RESET,
    LG_E_UNREACHABLE,
    LG_E_TLS,
    LG_E_HANDSHAKE_TIMEOUT,
    LG_E_HANDSHAKE_STATUS, /* by code in http_status */
    LG_E_HANDSHAKE_INVALID,
    LG_E_PROTOCOL,       /* the server broke RFC 6455 */
    LG_E_CLOSE_RECEIVED, /* the server closed the connection (by code in close_codes) */
    LG_E_DROPPED,        /* TCP closed with no close frame */
    LG_E_READ_TIMEOUT,   /* an echo did not come back in --message-timeout */
    LG_E_WRITE,
    LG_E_WRITE_TIMEOUT, /* output pending with no progress for --write-timeout */
    LG_E_CLOSE_TIMEOUT,
    LG_E_SCRIPT_TIMEOUT,
    LG_E_ADDRESS, /* no local address or port: a source address gone, ephemeral ports used up */
    LG_E_OTHER,
    LG_E_COUNT
};

#define LG_CODE_SLOTS 16
#define LG_DETAILS    3
#define LG_DETAIL_LEN 160

typedef struct lg_code_count {
    uint32_t code;
    uint64_t n;
} lg_code_count;

typedef struct lg_counters {
    uint64_t c[LG_C_COUNT];
    uint64_t err[LG_E_COUNT];
    lg_code_count close_codes[LG_CODE_SLOTS]; /* code 0: the slot is free; last slot: others */
    lg_code_count http_status[LG_CODE_SLOTS];
    uint64_t open;   /* gauge: connections open now */
    uint64_t cpu_ns; /* the worker thread's CPU time */
} lg_counters;

typedef struct lg_err_details {
    int n[LG_E_COUNT];
    char text[LG_E_COUNT][LG_DETAILS][LG_DETAIL_LEN];
} lg_err_details;

const char *lg_counter_name(int i);
const char *lg_err_name(int i);
uint64_t lg_err_total(const lg_counters *k);

void lg_code_add(lg_code_count *slots, uint32_t code, uint64_t n);
void lg_counters_add(lg_counters *dst, const lg_counters *src);
/* dst = a - b for the monotonic counters (gauge and codes from a). */
void lg_counters_diff(lg_counters *dst, const lg_counters *a, const lg_counters *b);
void lg_details_add(lg_err_details *d, int cls, const char *text);
void lg_details_merge(lg_err_details *dst, const lg_err_details *src);

/* A worker's mailbox for the reporter. */
typedef struct lg_mailbox {
    pthread_mutex_t mu;
    lg_counters k;
    /* merged interval samples since the reporter last took them: latency,
     * and the open loop's send lag */
    lg_hist *lat, *lag;
} lg_mailbox;

int lg_mailbox_init(lg_mailbox *m);
void lg_mailbox_free(lg_mailbox *m);
/* Worker side: publish counters and merge interval samples in. lat and lag
 * are left as they were: the worker's next interval overwrites them
 * (lg_hist_delta), so clearing them here, 229 KB each under the mutex, would
 * be wasted. */
void lg_mailbox_put(lg_mailbox *m, const lg_counters *k, const lg_hist *lat, const lg_hist *lag);
/* Reporter side: adds the counters to *k and the samples to lat and lag,
 * emptying the box. */
void lg_mailbox_take(lg_mailbox *m, lg_counters *k, lg_hist *lat, lg_hist *lag);

/* One second of the run, as the report's time series holds it. */
typedef struct lg_second {
    double t;      /* seconds since start, end of this interval */
    int warmup;    /* inside --warmup */
    lg_counters k; /* cumulative at the end of this second */
    uint64_t lat_count;
    uint64_t p50, p90, p99, p999, max;             /* ns, this second only */
    uint64_t lag_count, lag_p50, lag_p99, lag_max; /* open-loop send lag, ns, this second */
    double cpu_busy_max; /* busiest worker's CPU share this second, 0..1 */
} lg_second;

#endif
