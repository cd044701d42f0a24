/* net_dial: blocking helpers with deadlines for the harness, the CLI and
 * tests — dial (resolve, connect, TLS handshake) and wait for readiness. */
#include "net/net.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#define DIAL_MAX_ADDRS 8

int net_wait(net_conn *c, short events, int64_t deadline_ms)
{
    /* Decrypted bytes already inside OpenSSL never show up on the socket. */
    if ((events & POLLIN) && c->ssl && SSL_pending(c->ssl) > 0) return 1;
    for (;;) {
        int64_t left = deadline_ms - net_now_ms();
        if (left < 0) left = 0;
        struct pollfd p = {.fd = c->fd, .events = events};
        int r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (r > 0) return 1;
        if (r == 0 && left == 0) {
            c->err_class = NET_E_TIMEOUT;
            snprintf(c->err, sizeof c->err, "timed out");
            return 0;
        }
        if (r < 0 && errno != EINTR) {
            c->err_class = NET_E_OTHER;
            snprintf(c->err, sizeof c->err, "poll: %s", strerror(errno));
            return -1;
        }
    }
}

/* One TCP connect before the deadline: the fd, or -1 with c->err. */
static int dial_addr(net_conn *c, const struct sockaddr *sa, socklen_t len, int64_t deadline_ms)
{
    char a[64];
    int fd = net_connect_start(sa, len, NULL, 0, &c->err_class, c->err, sizeof c->err);
    if (fd < 0) return -1;
    net_conn tmp;
    net_conn_plain(&tmp, fd);
    int w = net_wait(&tmp, POLLOUT, deadline_ms);
    if (w == 1 && net_connect_finish(fd, &c->err_class, c->err, sizeof c->err) == 0) return fd;
    if (w == 1)
        snprintf(c->err, sizeof c->err, "connect to %s: %s", net_addr_str(sa, len, a, sizeof a),
                 strerror(errno));
    else if (w == 0)
        snprintf(c->err, sizeof c->err, "connect to %s: timed out",
                 net_addr_str(sa, len, a, sizeof a));
    else
        memcpy(c->err, tmp.err, sizeof c->err);
    if (w != 1) c->err_class = tmp.err_class;
    close(fd);
    return -1;
}

static int dial_tls(net_conn *c, int fd, SSL_CTX *ctx, const char *host, int64_t deadline_ms)
{
    if (net_conn_tls_client(c, fd, ctx, host) < 0) {
        close(fd);
        return -1;
    }
    for (;;) {
        int r = net_handshake(c);
        if (r == NET_OK) return 0;
        if (r == NET_AGAIN && net_wait(c, c->want, deadline_ms) == 1) continue;
        if (r == NET_AGAIN && c->err_class == NET_E_TIMEOUT)
            snprintf(c->err, sizeof c->err, "TLS handshake with '%.100s': timed out", host);
        net_close(c);
        return -1;
    }
}

int net_dial(net_conn *c, const char *host, uint16_t port, SSL_CTX *ctx, int64_t deadline_ms)
{
    struct sockaddr_storage addrs[DIAL_MAX_ADDRS];
    socklen_t lens[DIAL_MAX_ADDRS];
    net_conn_plain(c, -1);
    int n = net_resolve_all(host, port, addrs, lens, DIAL_MAX_ADDRS, c->err, sizeof c->err);
    if (n < 0) {
        c->err_class = NET_E_RESOLVE;
        return -1;
    }
    int fd = -1;
    /* In resolver order; a refused ::1 falls through to 127.0.0.1. */
    for (int i = 0; i < n && fd < 0 && c->err_class != NET_E_TIMEOUT; i++)
        fd = dial_addr(c, (struct sockaddr *)&addrs[i], lens[i], deadline_ms);
    if (fd < 0) return -1;
    if (!ctx) {
        net_conn_plain(c, fd);
        return 0;
    }
    return dial_tls(c, fd, ctx, host, deadline_ms);
}

void net_ignore_sigpipe(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, NULL);
}
