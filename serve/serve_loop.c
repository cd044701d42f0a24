/* serve_loop: worker threads, each with its own epoll loop, moving bytes for
 * the connections it accepted (see serve.h).
 *
 * Shape: one listening socket, registered in every thread's epoll with
 * EPOLLEXCLUSIVE, so a second server on the same port fails to bind instead of
 * silently sharing it (as it would with SO_REUSEPORT). Whichever thread
 * accepts deals the connection round-robin to a worker through that worker's
 * pipe (measured: without it one thread ended up with nearly every connection
 * of a burst). A connection then belongs to one thread for life; nothing is
 * shared on the hot path.
 *
 * Memory: reads land in a per-thread scratch buffer and are parsed there; a
 * connection gets its own input buffer only while it holds a partial frame,
 * and its own output buffer only while the socket does not take everything.
 * Output over OUT_BOUND stops reading from that connection (back-pressure), so
 * a peer that never reads cannot make us buffer without end.
 *
 * Closing: after our close frame (or an HTTP refusal) is flushed, the write
 * side is shut (the server closes TCP first, RFC 6455 §7.1.1) and input is
 * drained until the peer's EOF or the linger deadline, so unread input does
 * not turn our close into a reset that would destroy the close frame. */
#include "serve/serve.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "net/net.h"
#include "serve/serve_conn.h"
#include "ws/ws_close.h"

#define RBUF_SIZE    (256 * 1024)
#define READ_CHUNK   (64 * 1024)   /* least room offered to a read into a conn's own buffer */
#define READ_ROUNDS  16            /* reads per turn before other connections get theirs */
#define OUT_BOUND    (1024 * 1024) /* unsent bytes over which we stop reading a connection */
#define IN_KEEP_MAX  (256 * 1024)  /* a conn's buffer larger than this is freed once empty */
#define MAX_EVENTS   256
#define ACCEPT_BATCH 32
#define TICK_MS      100

/* A circular doubly linked list; a head is a clink whose conn is NULL. */
typedef struct clink {
    struct clink *prev, *next;
    struct conn *conn;
} clink;

typedef struct conn {
    net_conn nc;
    serve_conn proto;
    ws_buf in;   /* unparsed input (a partial head or frame) */
    ws_buf pend; /* output the socket has not taken yet */
    uint32_t events;
    bool reading;
    int64_t deadline_ms; /* handshake or close deadline; 0 = none */
    clink all, timed, ready;
} conn;

typedef struct worker {
    struct serve_server *srv;
    pthread_t tid;
    int ep;
    serve_ctx ctx;
    uint8_t *rbuf;
    clink all, timed, ready;
    int64_t now, next_tick;
    bool accept_paused;
    int hand_rd, hand_wr; /* pipe of accepted fds other threads deal to this one */
} worker;

struct serve_server {
    serve_opts opts;
    int lfd;
    uint16_t port;
    SSL_CTX *tls;
    int nworkers;
    worker *workers;
    _Atomic unsigned next_worker; /* round-robin cursor for new connections */
};

static int g_stop_fd = -1;
static char g_listen_mark, g_stop_mark; /* epoll tags of the listener and the stop fd */

static void link_init(clink *l, conn *c)
{
    l->prev = l->next = c ? NULL : l;
    l->conn = c;
}

static bool link_linked(const clink *l)
{
    return l->next != NULL;
}

static void link_add(clink *head, clink *l)
{
    l->prev = head->prev;
    l->next = head;
    head->prev->next = l;
    head->prev = l;
}

static void link_del(clink *l)
{
    if (!link_linked(l)) return;
    l->prev->next = l->next;
    l->next->prev = l->prev;
    l->prev = l->next = NULL;
}

void serve_opts_default(serve_opts *o)
{
    memset(o, 0, sizeof *o);
    o->host = "127.0.0.1";
    o->port = 9001;
    o->threads = 1;
    o->max_message = (uint64_t)64 << 20;
    o->max_frame = o->max_message;
    o->handshake_timeout_ms = 10000;
    o->linger_timeout_ms = 2000;
}

/* ---- connections ---- */

static void set_events(worker *w, conn *c, uint32_t events)
{
    if (events == c->events) return;
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(w->ep, EPOLL_CTL_MOD, c->nc.fd, &ev) == 0) c->events = events;
}

/* Interest from the state: read when allowed, write while output waits. */
static void update_events(worker *w, conn *c)
{
    uint32_t ev = 0;
    if (c->reading || c->proto.state == SC_LINGER) ev |= EPOLLIN;
    if (c->pend.len) ev |= EPOLLOUT;
    if (c->pend.len && c->nc.want == POLLIN) ev |= EPOLLIN; /* TLS write waiting on a read */
    set_events(w, c, ev);
}

static void set_deadline(worker *w, conn *c, int64_t deadline_ms)
{
    c->deadline_ms = deadline_ms;
    link_del(&c->timed);
    if (deadline_ms) link_add(&w->timed, &c->timed);
}

static void conn_free(conn *c)
{
    link_del(&c->all);
    link_del(&c->timed);
    link_del(&c->ready);
    net_close(&c->nc); /* closing the fd also takes it out of the epoll set */
    serve_conn_free(&c->proto);
    ws_buf_free(&c->in);
    ws_buf_free(&c->pend);
    free(c);
}

/* Shuts our write side and waits for the peer's EOF (see the top comment). */
static void start_linger(worker *w, conn *c)
{
    if (c->nc.ssl) SSL_shutdown(c->nc.ssl); /* close_notify before the FIN; best effort */
    shutdown(c->nc.fd, SHUT_WR);
    c->proto.state = SC_LINGER;
    c->reading = false;
    ws_buf_free(&c->in);
    ws_buf_free(&c->pend);
    update_events(w, c);
}

/* Reads and discards until EOF; the deadline bounds how long. */
static void linger_drain(worker *w, conn *c)
{
    for (int i = 0; i < READ_ROUNDS; i++) {
        ssize_t n = recv(c->nc.fd, w->rbuf, RBUF_SIZE, 0);
        if (n > 0) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
        conn_free(c);
        return;
    }
}

/* Writes p[0..n) as far as the socket takes it. Bytes written, or -1. */
static long write_some(worker *w, conn *c, const uint8_t *p, size_t n)
{
    size_t done = 0;
    while (done < n) {
        long r = net_write(&c->nc, p + done, n - done);
        if (r > 0) {
            done += (size_t)r;
            continue;
        }
        if (r == NET_AGAIN) break;
        return -1;
    }
    w->ctx.stats.bytes_out += done;
    return (long)done;
}

/* Sends what the protocol produced (w->ctx.out) after anything still pending,
 * then settles the connection's interest. 0, or -1 if it was freed. */
static int flush_out(worker *w, conn *c)
{
    ws_buf *out = &w->ctx.out;
    long sent = 0;
    if (out->len && !c->pend.len) {
        sent = write_some(w, c, out->data, out->len);
        if (sent >= 0 && (size_t)sent < out->len &&
            ws_buf_append(&c->pend, out->data + sent, out->len - (size_t)sent) < 0)
            sent = -1;
    } else {
        if (out->len && ws_buf_append(&c->pend, out->data, out->len) < 0) sent = -1;
        if (sent >= 0 && c->pend.len) {
            sent = write_some(w, c, c->pend.data, c->pend.len);
            if (sent > 0) ws_buf_consume(&c->pend, (size_t)sent);
        }
    }
    ws_buf_reset(out);
    if (sent < 0) {
        conn_free(c);
        return -1;
    }
    if (!c->pend.len && c->pend.cap > IN_KEEP_MAX) ws_buf_free(&c->pend);
    uint8_t st = c->proto.state;
    if (st == SC_CLOSING && !c->pend.len) {
        start_linger(w, c);
        return 0;
    }
    c->reading = (st == SC_HTTP || st == SC_OPEN) && c->pend.len <= OUT_BOUND;
    update_events(w, c);
    return 0;
}

/* Hands the bytes read to the protocol and keeps what it did not consume. */
static int feed(worker *w, conn *c, uint8_t *data, size_t len, bool own_buffer)
{
    uint8_t before = c->proto.state;
    size_t used = serve_conn_input(&c->proto, &w->ctx, data, len);
    if (own_buffer) {
        ws_buf_consume(&c->in, used);
        if (!c->in.len && c->in.cap > IN_KEEP_MAX) ws_buf_free(&c->in);
    } else if (used < len && ws_buf_append(&c->in, data + used, len - used) < 0) {
        return -1;
    }
    uint8_t now = c->proto.state;
    if (now == SC_OPEN && before == SC_HTTP) set_deadline(w, c, 0);
    if (now == SC_CLOSING && before != SC_CLOSING)
        set_deadline(w, c, w->now + w->srv->opts.linger_timeout_ms);
    if (now == SC_HTTP && c->in.len > SERVE_MAX_HEAD) return -1; /* the parser bounds this too */
    return 0;
}

static void queue_ready(worker *w, conn *c)
{
    if (!link_linked(&c->ready)) link_add(&w->ready, &c->ready);
}

static void do_read(worker *w, conn *c)
{
    for (int round = 0; round < READ_ROUNDS; round++) {
        bool own = c->in.len > 0;
        uint8_t *dst = w->rbuf;
        size_t room = RBUF_SIZE;
        if (own) {
            size_t want = c->proto.need > c->in.len ? c->proto.need - c->in.len : 0;
            if (want < READ_CHUNK) want = READ_CHUNK;
            if (ws_buf_reserve(&c->in, want) < 0) {
                conn_free(c);
                return;
            }
            dst = c->in.data + c->in.len;
            room = c->in.cap - c->in.len;
        }
        long n = net_read(&c->nc, dst, room);
        if (n == NET_AGAIN) {
            update_events(w, c);
            return;
        }
        if (n <= 0) { /* EOF or error: nothing more can be said to this peer */
            conn_free(c);
            return;
        }
        w->ctx.stats.bytes_in += (uint64_t)n;
        int rc;
        if (own) {
            c->in.len += (size_t)n;
            rc = feed(w, c, c->in.data, c->in.len, true);
        } else {
            rc = feed(w, c, dst, (size_t)n, false);
        }
        if (rc < 0) {
            ws_buf_reset(&w->ctx.out);
            conn_free(c);
            return;
        }
        if (flush_out(w, c) < 0 || !c->reading) return;
        /* A short plain read drained the socket: epoll says when more comes. A
         * TLS read returns one record at a time, so it must go on to NET_AGAIN. */
        if (!c->nc.ssl && (size_t)n < room) return;
    }
    queue_ready(w, c); /* still readable: continue after the others had a turn */
}

static void do_tls_handshake(worker *w, conn *c)
{
    int r = net_handshake(&c->nc);
    if (r == NET_AGAIN) {
        set_events(w, c, c->nc.want == POLLOUT ? EPOLLOUT : EPOLLIN);
        return;
    }
    if (r != NET_OK) {
        w->ctx.stats.handshake_errors++;
        conn_free(c);
        return;
    }
    c->proto.state = SC_HTTP;
    c->reading = true;
    set_events(w, c, EPOLLIN);
    do_read(w, c); /* the upgrade request may already sit in TLS's buffer */
}

static void on_conn_event(worker *w, conn *c, uint32_t ev)
{
    switch (c->proto.state) {
    case SC_TLS:
        do_tls_handshake(w, c);
        return;
    case SC_LINGER:
        linger_drain(w, c);
        return;
    }
    if (c->pend.len && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLIN))) {
        bool was_reading = c->reading;
        if (flush_out(w, c) < 0) return;
        if (c->proto.state == SC_LINGER) return;
        if (c->reading && !was_reading) { /* back-pressure lifted: TLS may hold input */
            do_read(w, c);
            return;
        }
    }
    if (c->reading && (ev & (EPOLLIN | EPOLLERR | EPOLLHUP))) do_read(w, c);
}

/* Takes an accepted fd: wraps it, registers it, starts its handshake clock. */
static void adopt(worker *w, int fd)
{
    serve_server *s = w->srv;
    conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return;
    }
    serve_conn_init(&c->proto, &w->ctx, s->tls != NULL);
    /* Holds at most a partial frame (or head) plus one read after it. */
    ws_buf_init(&c->in,
                (size_t)s->opts.max_frame + WS_FRAME_HEADER_MAX + SERVE_MAX_HEAD + READ_CHUNK);
    ws_buf_init(&c->pend, 0);
    link_init(&c->all, c);
    link_init(&c->timed, c);
    link_init(&c->ready, c);
    if (s->tls) {
        if (net_conn_tls_server(&c->nc, fd, s->tls) < 0) {
            close(fd);
            serve_conn_free(&c->proto);
            free(c);
            return;
        }
    } else {
        net_conn_plain(&c->nc, fd);
    }
    c->events = EPOLLIN;
    c->reading = !s->tls;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        net_close(&c->nc);
        serve_conn_free(&c->proto);
        free(c);
        return;
    }
    link_add(&w->all, &c->all);
    set_deadline(w, c, w->now + s->opts.handshake_timeout_ms);
    w->ctx.stats.accepted++;
}

/* Connections are dealt round-robin whichever thread accepted them:
 * EPOLLEXCLUSIVE wakes one thread per burst, often the same one, and left
 * alone it would keep them all. A 4-byte pipe write is atomic; if the pipe is
 * full the accepting thread keeps the connection. */
static void hand_off(worker *w, int fd)
{
    serve_server *s = w->srv;
    unsigned k = atomic_fetch_add_explicit(&s->next_worker, 1, memory_order_relaxed);
    worker *t = &s->workers[k % (unsigned)s->nworkers];
    if (t == w || write(t->hand_wr, &fd, sizeof fd) != (ssize_t)sizeof fd) adopt(w, fd);
}

static void on_handoff(worker *w)
{
    int fds[64];
    ssize_t n;
    while ((n = read(w->hand_rd, fds, sizeof fds)) > 0)
        for (ssize_t i = 0; i < n / (ssize_t)sizeof fds[0]; i++) adopt(w, fds[i]);
}

static void on_accept(worker *w)
{
    serve_server *s = w->srv;
    char err[160];
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        int fd = net_accept(s->lfd, err, sizeof err);
        if (fd == NET_AGAIN) return;
        if (fd < 0) {
            /* Out of descriptors, usually: stop listening for a tick instead of
             * spinning on a listener that stays readable. */
            epoll_ctl(w->ep, EPOLL_CTL_DEL, s->lfd, NULL);
            w->accept_paused = true;
            return;
        }
        hand_off(w, fd);
    }
}

/* Drops connections whose handshake or close took too long. */
static void on_tick(worker *w)
{
    clink *l = w->timed.next;
    while (l != &w->timed) {
        clink *next = l->next;
        conn *c = l->conn;
        if (w->now >= c->deadline_ms) {
            if (c->proto.state == SC_TLS || c->proto.state == SC_HTTP)
                w->ctx.stats.handshake_errors++;
            conn_free(c);
        }
        l = next;
    }
    if (w->accept_paused) {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = &g_listen_mark};
        if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->srv->lfd, &ev) == 0) w->accept_paused = false;
    }
}

/* Connections that used up their read turn get another, once per loop pass. */
static void run_ready(worker *w)
{
    clink batch;
    link_init(&batch, NULL);
    while (w->ready.next != &w->ready) {
        clink *l = w->ready.next;
        link_del(l);
        link_add(&batch, l);
    }
    while (batch.next != &batch) {
        clink *l = batch.next;
        link_del(l);
        conn *c = l->conn;
        if (c->reading) do_read(w, c);
    }
}

/* On shutdown: tell open peers we are going away (best effort), free all. */
static void close_all(worker *w)
{
    int fd;
    while (read(w->hand_rd, &fd, sizeof fd) == (ssize_t)sizeof fd) close(fd);
    while (w->all.next != &w->all) {
        conn *c = w->all.next->conn;
        if (c->proto.state == SC_OPEN && !c->pend.len) {
            serve_conn_close(&c->proto, &w->ctx, WS_CLOSE_GOING_AWAY);
            write_some(w, c, w->ctx.out.data, w->ctx.out.len);
            ws_buf_reset(&w->ctx.out);
        }
        conn_free(c);
    }
}

static void *worker_run(void *arg)
{
    worker *w = arg;
    struct epoll_event evs[MAX_EVENTS];
    for (;;) {
        int timeout = w->ready.next != &w->ready ? 0 : TICK_MS;
        int n = epoll_wait(w->ep, evs, MAX_EVENTS, timeout);
        if (n < 0 && errno != EINTR) break;
        w->now = net_now_ms();
        bool stop = false;
        for (int i = 0; i < n; i++) {
            void *tag = evs[i].data.ptr;
            if (tag == &g_stop_mark)
                stop = true;
            else if (tag == &g_listen_mark)
                on_accept(w);
            else if (tag == &w->hand_rd)
                on_handoff(w);
            else
                on_conn_event(w, tag, evs[i].events);
        }
        if (stop) break;
        run_ready(w);
        if (w->now >= w->next_tick) {
            on_tick(w);
            w->next_tick = w->now + TICK_MS;
        }
    }
    close_all(w);
    return NULL;
}

/* ---- the server ---- */

static int worker_init(worker *w, serve_server *s, char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    w->srv = s;
    w->ep = -1;
    w->hand_rd = w->hand_wr = -1;
    link_init(&w->all, NULL);
    link_init(&w->timed, NULL);
    link_init(&w->ready, NULL);
    w->rbuf = malloc(RBUF_SIZE);
    if (!w->rbuf || serve_ctx_init(&w->ctx, &s->opts) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    if (w->ep < 0) {
        snprintf(err, errlen, "epoll_create1: %s", strerror(errno));
        return -1;
    }
    int hand[2];
    if (pipe2(hand, O_NONBLOCK | O_CLOEXEC) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    w->hand_rd = hand[0];
    w->hand_wr = hand[1];
    struct epoll_event lev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = &g_listen_mark};
    struct epoll_event sev = {.events = EPOLLIN, .data.ptr = &g_stop_mark};
    struct epoll_event hev = {.events = EPOLLIN, .data.ptr = &w->hand_rd};
    if (epoll_ctl(w->ep, EPOLL_CTL_ADD, s->lfd, &lev) < 0 ||
        epoll_ctl(w->ep, EPOLL_CTL_ADD, g_stop_fd, &sev) < 0 ||
        epoll_ctl(w->ep, EPOLL_CTL_ADD, w->hand_rd, &hev) < 0) {
        snprintf(err, errlen, "epoll_ctl: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static void worker_free(worker *w)
{
    if (w->ep >= 0) close(w->ep);
    if (w->hand_rd >= 0) close(w->hand_rd);
    if (w->hand_wr >= 0) close(w->hand_wr);
    serve_ctx_free(&w->ctx);
    free(w->rbuf);
}

static void server_free(serve_server *s)
{
    for (int i = 0; i < s->nworkers; i++) worker_free(&s->workers[i]);
    free(s->workers);
    if (s->lfd >= 0) close(s->lfd);
    if (s->tls) net_tls_ctx_free(s->tls);
    if (g_stop_fd >= 0) close(g_stop_fd);
    g_stop_fd = -1;
    free(s);
}

serve_server *serve_start(const serve_opts *o, char *err, size_t errlen)
{
    serve_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->opts = *o;
    s->lfd = -1;
    if (o->tls_cert) {
        s->tls = net_tls_server_ctx(o->tls_cert, o->tls_key, err, errlen);
        if (!s->tls) goto fail;
    }
    s->lfd = net_listen(o->host, o->port, false, err, errlen);
    if (s->lfd < 0) goto fail;
    int port = net_local_port(s->lfd);
    s->port = port > 0 ? (uint16_t)port : o->port;
    g_stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (g_stop_fd < 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        goto fail;
    }
    s->workers = calloc((size_t)o->threads, sizeof *s->workers);
    if (!s->workers) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (int i = 0; i < o->threads; i++) {
        s->nworkers = i + 1;
        if (worker_init(&s->workers[i], s, err, errlen) < 0) goto fail;
    }
    for (int i = 0; i < s->nworkers; i++) {
        int rc = pthread_create(&s->workers[i].tid, NULL, worker_run, &s->workers[i]);
        if (rc != 0) {
            snprintf(err, errlen, "pthread_create: %s", strerror(rc));
            serve_request_stop();
            for (int j = 0; j < i; j++) pthread_join(s->workers[j].tid, NULL);
            goto fail;
        }
    }
    return s;
fail:
    server_free(s);
    return NULL;
}

uint16_t serve_port(const serve_server *s)
{
    return s->port;
}

void serve_request_stop(void)
{
    uint64_t one = 1;
    if (g_stop_fd >= 0) {
        ssize_t r = write(g_stop_fd, &one, sizeof one);
        (void)r;
    }
}

void serve_wait(serve_server *s, serve_stats *st)
{
    memset(st, 0, sizeof *st);
    for (int i = 0; i < s->nworkers; i++) {
        worker *w = &s->workers[i];
        pthread_join(w->tid, NULL);
        const serve_stats *t = &w->ctx.stats;
        st->accepted += t->accepted;
        st->upgraded += t->upgraded;
        st->messages += t->messages;
        st->bytes_in += t->bytes_in;
        st->bytes_out += t->bytes_out;
        st->protocol_errors += t->protocol_errors;
        st->handshake_errors += t->handshake_errors;
    }
    server_free(s);
}
