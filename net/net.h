/* net: the byte transport under every connection, plain TCP or TLS.
 *
 * Owns: non-blocking sockets, connecting with a deadline, OpenSSL contexts and
 * sessions (verification on by default, --cacert, --insecure, SNI, ALPN
 * http/1.1), and one small table of operations so callers read and write a
 * net_conn without ever asking whether it is TLS.
 *
 * Files: net_tcp.c (addresses, sockets, plain ops), net_tls.c (contexts and
 * TLS ops), net_tls_bio.c (a socket BIO that never raises SIGPIPE),
 * net_dial.c (blocking helpers with deadlines), net_clock.c, net_err.c.
 *
 * Contract of read/write: a byte count > 0; NET_EOF (0, read only) when the
 * peer closed cleanly (a TLS peer that drops TCP without close_notify also
 * reads as EOF: WebSocket has its own closing handshake); NET_AGAIN with
 * c->want set to POLLIN or POLLOUT; NET_ERR with c->err and c->err_class.
 * After NET_AGAIN from a TLS write, call write again with the same bytes (at
 * least as many; the buffer may move). Writes never raise SIGPIPE. */
#ifndef NET_H
#define NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

/* Return values of read/write/handshake besides byte counts. */
enum net_status {
    NET_OK = 0,
    NET_EOF = 0,    /* read: the peer closed (for read, 0 means EOF) */
    NET_ERR = -1,   /* see conn->err and conn->err_class */
    NET_AGAIN = -2, /* would block: wait for conn->want (POLLIN or POLLOUT) */
};

/* Why a connection failed, for reports and load error counters. */
enum net_err_class {
    NET_E_NONE = 0,
    NET_E_RESOLVE, /* name did not resolve */
    NET_E_REFUSED, /* ECONNREFUSED */
    NET_E_TIMEOUT, /* a deadline passed */
    NET_E_RESET,   /* ECONNRESET / EPIPE */
    NET_E_UNREACH, /* no route, network down */
    NET_E_TLS,     /* TLS handshake or record error (err says why) */
    NET_E_ADDRESS, /* EADDRNOTAVAIL / EADDRINUSE: no usable local address or port */
    NET_E_OTHER,
};

typedef struct net_conn net_conn;

struct net_ops {
    long (*read)(net_conn *c, void *buf, size_t n);
    long (*write)(net_conn *c, const void *buf, size_t n);
    int (*handshake)(net_conn *c); /* NET_OK, NET_AGAIN or NET_ERR; no-op for TCP */
    void (*close)(net_conn *c);    /* frees the session and closes fd */
};

struct net_conn {
    int fd;
    const struct net_ops *ops;
    SSL *ssl;      /* NULL for plain TCP */
    short want;    /* POLLIN/POLLOUT after NET_AGAIN */
    int err_class; /* enum net_err_class after NET_ERR */
    char err[160];
};

static inline long net_read(net_conn *c, void *buf, size_t n)
{
    return c->ops->read(c, buf, n);
}
static inline long net_write(net_conn *c, const void *buf, size_t n)
{
    return c->ops->write(c, buf, n);
}
static inline int net_handshake(net_conn *c)
{
    return c->ops->handshake(c);
}
static inline void net_close(net_conn *c)
{
    c->ops->close(c);
}

/* ---- addresses and sockets ---- */

/* Resolves host (name, IPv4 or IPv6 literal, [] optional) and port. 0, or -1
 * with err. Host names with characters no DNS name has are refused without a
 * lookup. */
int net_resolve(const char *host, uint16_t port, struct sockaddr_storage *out, socklen_t *len,
                char *err, size_t errlen);
/* Every address host resolves to, in getaddrinfo's preference order: fills up
 * to max entries of out/lens. The count (>= 1), or -1 with err. */
int net_resolve_all(const char *host, uint16_t port, struct sockaddr_storage *out, socklen_t *lens,
                    int max, char *err, size_t errlen);
/* "127.0.0.1:80" or "[::1]:80" into buf; returns buf. */
const char *net_addr_str(const struct sockaddr *addr, socklen_t len, char *buf, size_t buflen);
/* Whether `source` (port 0) can be bound on this host: 0, or -1 with err
 * (e.g. an address no interface here has). Sends nothing. */
int net_source_check(const struct sockaddr *source, socklen_t source_len, char *err, size_t errlen);
/* Starts a non-blocking connect (optionally bound to `source`, whose port
 * should be 0: the kernel then picks it at connect time, so one source address
 * serves more than 64k connections across targets). TCP_NODELAY is set.
 * Returns the fd (connect in progress or done), or -1 with err/err_class. */
int net_connect_start(const struct sockaddr *addr, socklen_t len, const struct sockaddr *source,
                      socklen_t source_len, int *err_class, char *err, size_t errlen);
/* After POLLOUT on a connecting fd: 0 connected, -1 failed (err_class says
 * why, errno is the connect error). */
int net_connect_finish(int fd, int *err_class, char *err, size_t errlen);
/* A listening socket (SO_REUSEADDR, optionally SO_REUSEPORT), non-blocking,
 * on host (NULL: 127.0.0.1) and port (0: any free port, see net_local_port).
 * The fd, or -1 with err. */
int net_listen(const char *host, uint16_t port, bool reuseport, char *err, size_t errlen);
int net_set_nonblocking(int fd);
/* Accepts one connection: non-blocking, close-on-exec, TCP_NODELAY. Returns the
 * fd, NET_AGAIN when none is pending, or NET_ERR with err. */
int net_accept(int listen_fd, char *err, size_t errlen);
/* The local port of a bound socket (after net_listen on port 0), or -1. */
int net_local_port(int fd);
/* enum net_err_class for an errno value from connect/read/write. */
int net_errno_class(int e);

/* ---- TLS ---- */

typedef struct net_tls_opts {
    const char *cacert; /* PEM file of trusted CAs; NULL: the system store */
    bool insecure;      /* skip certificate and host name checks */
} net_tls_opts;

SSL_CTX *net_tls_client_ctx(const net_tls_opts *o, char *err, size_t errlen);
SSL_CTX *net_tls_server_ctx(const char *cert_file, const char *key_file, char *err, size_t errlen);
void net_tls_ctx_free(SSL_CTX *ctx);

/* Wraps a connected fd. host: for SNI and certificate host name checking;
 * a name gets SNI and a DNS-name check, an IP literal (with or without [])
 * an IP-address check and no SNI. The handshake happens in net_handshake().
 * 0, or -1 with c->err (c is then not open: the caller still owns fd). */
void net_conn_plain(net_conn *c, int fd);
int net_conn_tls_client(net_conn *c, int fd, SSL_CTX *ctx, const char *host);
int net_conn_tls_server(net_conn *c, int fd, SSL_CTX *ctx);
/* The ALPN protocol agreed in the handshake ("http/1.1"), or "" (plain TCP,
 * or the peer did not take part in ALPN). Copies into out; returns out. */
const char *net_tls_alpn(const net_conn *c, char *out, size_t outlen);

/* ---- blocking helpers with deadlines (the harness and tests use these) ---- */

/* The monotonic clock every deadline in wsprobe is measured on. Inline: the
 * load generator's open-loop pacing reads it in a busy-wait. */
static inline int64_t net_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
int64_t net_now_ms(void);

/* Connects (and does the TLS handshake if ctx != NULL) before deadline_ms
 * (net_now_ms() clock), trying each resolved address in turn. 0, or -1 with
 * c->err / c->err_class; net_close(c) is safe either way. */
int net_dial(net_conn *c, const char *host, uint16_t port, SSL_CTX *ctx, int64_t deadline_ms);
/* Waits until c can make progress on `events` or the deadline passes.
 * 1 ready (also on POLLERR/POLLHUP: the next read or write reports it),
 * 0 timed out (err_class NET_E_TIMEOUT), -1 error. Bytes TLS already holds
 * (SSL_pending) count as readable. */
int net_wait(net_conn *c, short events, int64_t deadline_ms);

/* SIGPIPE is never raised by net/ writes; this is for everything else the
 * process writes to (pipes, stdout), and is what the CLI calls first. */
void net_ignore_sigpipe(void);

const char *net_err_class_name(int cls); /* "refused", "timeout", ... */

#endif
