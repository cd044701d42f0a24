/* net_tcp: addresses and plain TCP sockets — resolving, non-blocking connect
 * with error classes, listening, accepting, and the plain-TCP net_ops. */
#include "net/net.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Copies host without IPv6 brackets; -1 when it cannot be a host at all, so
 * junk never reaches the system resolver (and the network). */
static int host_clean(const char *host, char *out, size_t outlen)
{
    size_t n = host ? strlen(host) : 0;
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        host++;
        n -= 2;
    }
    if (n == 0 || n >= outlen) return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)host[i];
        if (!isalnum(ch) && !strchr("-._:%", ch)) return -1;
    }
    memcpy(out, host, n);
    out[n] = '\0';
    return 0;
}

static int resolve(const char *host, uint16_t port, int flags, struct sockaddr_storage *out,
                   socklen_t *lens, int max, char *err, size_t errlen)
{
    char name[256], serv[8];
    if (host_clean(host, name, sizeof name) < 0) {
        snprintf(err, errlen, "invalid host name '%.100s'", host ? host : "");
        return -1;
    }
    snprintf(serv, sizeof serv, "%u", port);
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV | flags};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(name, serv, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve '%s': %s", name,
                 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }
    int count = 0;
    for (struct addrinfo *ai = res; ai && count < max; ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof out[0]) continue;
        memcpy(&out[count], ai->ai_addr, ai->ai_addrlen);
        lens[count] = ai->ai_addrlen;
        count++;
    }
    freeaddrinfo(res);
    if (count == 0) {
        snprintf(err, errlen, "cannot resolve '%s': no usable address", name);
        return -1;
    }
    return count;
}

int net_resolve_all(const char *host, uint16_t port, struct sockaddr_storage *out, socklen_t *lens,
                    int max, char *err, size_t errlen)
{
    return resolve(host, port, 0, out, lens, max, err, errlen);
}

int net_resolve(const char *host, uint16_t port, struct sockaddr_storage *out, socklen_t *len,
                char *err, size_t errlen)
{
    return resolve(host, port, 0, out, len, 1, err, errlen) < 0 ? -1 : 0;
}

const char *net_addr_str(const struct sockaddr *addr, socklen_t len, char *buf, size_t buflen)
{
    char host[INET6_ADDRSTRLEN + 16], serv[8];
    if (getnameinfo(addr, len, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(buf, buflen, "(unknown address)");
        return buf;
    }
    if (addr->sa_family == AF_INET6)
        snprintf(buf, buflen, "[%s]:%s", host, serv);
    else
        snprintf(buf, buflen, "%s:%s", host, serv);
    return buf;
}

int net_set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL, 0);
    if (fl < 0) return -1;
    return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* 0, or the errno of the failed bind. */
static int bind_source(int fd, const struct sockaddr *source, socklen_t source_len, char *err,
                       size_t errlen)
{
    char a[64];
    /* Without this, bind() reserves the port for every target, capping one
     * source address at ~28k connections in total. */
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (bind(fd, source, source_len) == 0) return 0;
    int e = errno;
    snprintf(err, errlen, "bind to source address %s: %s",
             net_addr_str(source, source_len, a, sizeof a), strerror(e));
    return e;
}

int net_source_check(const struct sockaddr *source, socklen_t source_len, char *err, size_t errlen)
{
    int fd = socket(source->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int e = bind_source(fd, source, source_len, err, errlen);
    close(fd);
    return e ? -1 : 0;
}

int net_connect_start(const struct sockaddr *addr, socklen_t len, const struct sockaddr *source,
                      socklen_t source_len, int *err_class, char *err, size_t errlen)
{
    char a[64];
    *err_class = NET_E_OTHER;
    if (source && source->sa_family != addr->sa_family) {
        snprintf(err, errlen, "source address family does not match %s",
                 net_addr_str(addr, len, a, sizeof a));
        return -1;
    }
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    set_nodelay(fd);
    int e = source ? bind_source(fd, source, source_len, err, errlen) : 0;
    if (e) {
        *err_class = net_errno_class(e);
        close(fd);
        return -1;
    }
    if (connect(fd, addr, len) == 0 || errno == EINPROGRESS) {
        *err_class = NET_E_NONE;
        return fd;
    }
    e = errno;
    *err_class = net_errno_class(e);
    snprintf(err, errlen, "connect to %s: %s", net_addr_str(addr, len, a, sizeof a), strerror(e));
    close(fd);
    return -1;
}

int net_connect_finish(int fd, int *err_class, char *err, size_t errlen)
{
    int e = 0;
    socklen_t elen = sizeof e;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0) e = errno;
    if (e == 0) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof peer;
        if (getpeername(fd, (struct sockaddr *)&peer, &plen) == 0) {
            *err_class = NET_E_NONE;
            return 0;
        }
        e = errno == ENOTCONN ? ECONNREFUSED : errno;
    }
    *err_class = net_errno_class(e);
    snprintf(err, errlen, "connect: %s", strerror(e));
    errno = e;
    return -1;
}

int net_listen(const char *host, uint16_t port, bool reuseport, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    char a[64];
    if (resolve(host ? host : "127.0.0.1", port, AI_PASSIVE, &ss, &len, 1, err, errlen) < 0)
        return -1;
    struct sockaddr *sa = (struct sockaddr *)&ss;
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
        snprintf(err, errlen, "SO_REUSEPORT: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (bind(fd, sa, len) < 0 || listen(fd, SOMAXCONN) < 0) {
        snprintf(err, errlen, "listen on %s: %s", net_addr_str(sa, len, a, sizeof a),
                 strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int net_accept(int listen_fd, char *err, size_t errlen)
{
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            set_nodelay(fd);
            return fd;
        }
        /* A client that gave up before we accepted is not our error. */
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return NET_AGAIN;
        snprintf(err, errlen, "accept: %s", strerror(errno));
        return NET_ERR;
    }
}

int net_local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return -1;
    if (ss.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}

/* ---- plain TCP ops ---- */

static long io_error(net_conn *c, const char *what, short want)
{
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        c->want = want;
        return NET_AGAIN;
    }
    c->err_class = net_errno_class(errno);
    if (c->err_class == NET_E_NONE) c->err_class = NET_E_OTHER;
    snprintf(c->err, sizeof c->err, "%s: %s", what, strerror(errno));
    return NET_ERR;
}

static long plain_read(net_conn *c, void *buf, size_t n)
{
    for (;;) {
        ssize_t r = recv(c->fd, buf, n, 0);
        if (r >= 0) return r;
        if (errno != EINTR) return io_error(c, "read", POLLIN);
    }
}

static long plain_write(net_conn *c, const void *buf, size_t n)
{
    for (;;) {
        ssize_t r = send(c->fd, buf, n, MSG_NOSIGNAL);
        if (r >= 0) return r;
        if (errno != EINTR) return io_error(c, "write", POLLOUT);
    }
}

static int plain_handshake(net_conn *c)
{
    (void)c;
    return NET_OK;
}

static void plain_close(net_conn *c)
{
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}

static const struct net_ops plain_ops = {
    .read = plain_read,
    .write = plain_write,
    .handshake = plain_handshake,
    .close = plain_close,
};

void net_conn_plain(net_conn *c, int fd)
{
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->ops = &plain_ops;
}
