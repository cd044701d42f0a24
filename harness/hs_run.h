/* hs_run: runs one case on one connection.
 *
 * Owns: the case as a whole: its result record (verdicts, reasons,
 * expected/observed, wire log), the case deadline, dialing, the default
 * expectation of a valid upgrade, and the order of the phases. The phases
 * live in their own modules: hs_handshake (opening handshake), hs_steps
 * (step interpreter and expectations), hs_send (frames out), hs_conn
 * (connection I/O, frames in as hs_events), hs_closing (closing phase and
 * its verdict), all sharing hs_session. Never parses a frame itself: that is
 * ws/'s job. */
#ifndef HS_RUN_H
#define HS_RUN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/hs_case.h"
#include "harness/hs_wire.h"
#include "net/net.h"
#include "ws/ws_url.h"

#define HS_DEFAULT_TIMEOUT_S       5.0
#define HS_DEFAULT_CLOSE_TIMEOUT_S 2.0
#define HS_DEFAULT_MAX_MESSAGE     (32u << 20)
#define HS_MAX_OBSERVED            64

typedef struct hs_run_opts {
    const ws_url *url;
    SSL_CTX *tls; /* NULL for ws:// */
    const char *origin;
    const char *subprotocol;
    const char *const *headers; /* "Name: value" */
    size_t n_headers;
    double timeout_s; /* default case timeout; also the floor of per-case ones */
    /* Interruption (Ctrl-C): NULL, or a time on the net_now_ms clock that is 0
     * until the run is interrupted. Once set, running cases stop by that time
     * (result marked interrupted) and the pool starts no new case. */
    const _Atomic int64_t *cut_at_ms;
} hs_run_opts;

typedef struct hs_result {
    int verdict;
    char reason[512];
    int close_verdict;
    char close_reason[256];
    int server_close_code;     /* -1: no close frame; 1005: one without a code */
    const char *tcp_closed_by; /* "server", "client", or "none" (never connected) */
    bool upgraded;
    int http_status;        /* 0: no response */
    char server_agent[128]; /* Server header, escaped */
    int64_t start_unix_ms;
    int64_t duration_ms;
    bool connect_failed;
    bool interrupted; /* cut short, or never started, because the run was interrupted */
    int err_class;    /* enum net_err_class when connect_failed */
    char *observed[HS_MAX_OBSERVED]; /* what the server did, in words */
    size_t n_observed;
    size_t observed_dropped;
    char *expected[HS_MAX_OBSERVED]; /* each expect step, in words */
    size_t n_expected;
    hs_wire wire;
} hs_result;

/* Always fills r (free with hs_result_free), whatever the server does, within
 * timeout + 2 x close_timeout (+ the connect time, bounded by the timeout). */
void hs_run_case(const hs_case *c, const hs_run_opts *o, hs_result *r);
void hs_result_free(hs_result *r);

#endif
