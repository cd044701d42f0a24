/* serve: the reference echo server behind `wsprobe serve`.
 *
 * Owns: the server's configuration, its lifetime (start the worker threads,
 * ask them to stop, wait for them) and the totals it reports. The event loop
 * lives in serve_loop.c, the per-connection protocol in serve_conn.c, the
 * command line in serve_main.c. */
#ifndef SERVE_H
#define SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERVE_MAX_SUBPROTOCOLS 16

typedef struct serve_opts {
    const char *host; /* NULL: 127.0.0.1 */
    uint16_t port;    /* 0: any free port (see serve_port) */
    int threads;      /* >= 1 */
    uint64_t max_message;
    uint64_t max_frame;
    const char *subprotocols[SERVE_MAX_SUBPROTOCOLS];
    size_t n_subprotocols;
    bool deflate;
    const char *tls_cert; /* both set: wss */
    const char *tls_key;
    int handshake_timeout_ms; /* TLS + HTTP upgrade must finish within this */
    int linger_timeout_ms;    /* after our close: wait this long for the peer's EOF */
} serve_opts;

/* Totals, summed over the worker threads when they stop. */
typedef struct serve_stats {
    uint64_t accepted;
    uint64_t upgraded;         /* connections that completed the opening handshake */
    uint64_t messages;         /* data messages echoed */
    uint64_t bytes_in;         /* application bytes read (after TLS) */
    uint64_t bytes_out;        /* application bytes written (before TLS) */
    uint64_t protocol_errors;  /* connections we failed with 1002/1007/1009 */
    uint64_t handshake_errors; /* upgrade refused (4xx) or timed out */
} serve_stats;

typedef struct serve_server serve_server;

void serve_opts_default(serve_opts *o);

/* Binds, loads TLS material and starts the threads. NULL with err on failure
 * (port in use, bad certificate, ...). */
serve_server *serve_start(const serve_opts *o, char *err, size_t errlen);
/* The port actually bound (useful with port 0). */
uint16_t serve_port(const serve_server *s);
/* Asks every thread to stop. Async-signal-safe. */
void serve_request_stop(void);
/* Waits for the threads, sums their totals into *st and frees the server. */
void serve_wait(serve_server *s, serve_stats *st);

#endif
