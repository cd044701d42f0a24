/* lg_badecho: a WebSocket echo server on 127.0.0.1 that misbehaves on purpose,
 * one way at a time, so tests can check that `wsprobe load` notices.
 *
 *   lg_badecho PORT [--drop N | --dup N | --reorder N | --corrupt N]
 *                   [--status CODE] [--close CODE --after K] [--stall MS --after K]
 *                   [--deaf K] [--close-delay MS]
 *
 * Counts data messages over all connections: --drop N does not echo every Nth,
 * --dup N echoes it twice, --reorder N holds it back until after the next one,
 * --corrupt N flips a bit in its last byte; --status answers the upgrade with
 * that HTTP status; --close sends a close frame with CODE on the Kth message;
 * --stall sleeps MS milliseconds (every connection waits) at the Kth message;
 * --deaf K: the connection that echoes the Kth message never reads again (but
 * keeps its socket open), so what its client sends piles up; --close-delay MS
 * answers a client's close frame only after MS milliseconds (the connection
 * alone waits), so a client's close timeout can be seen firing or not.
 * One thread per connection, blocking I/O: a test fixture, not a server. */
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/net.h"
#include "ws/ws_close.h"
#include "ws/ws_frame.h"
#include "ws/ws_handshake.h"
#include "ws/ws_http.h"
#include "ws/ws_mask.h"

static long g_drop, g_dup, g_reorder, g_corrupt, g_status, g_close, g_stall_ms, g_after, g_deaf,
    g_close_delay_ms;
static atomic_long g_count;
static atomic_llong g_stall_until; /* ms on net_now_ms() */

static int write_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n) {
        ssize_t r = send(fd, s, n, MSG_NOSIGNAL);
        if (r <= 0) return -1;
        s += r;
        n -= (size_t)r;
    }
    return 0;
}

static int send_frame(int fd, uint8_t op, const uint8_t *p, size_t n)
{
    uint8_t *out = malloc(n + 14);
    if (!out) return -1;
    ws_frame_spec s;
    ws_frame_spec_default(&s, op, false);
    size_t len = ws_frame_write(out, n + 14, &s, p, n);
    int rc = write_all(fd, out, len);
    free(out);
    return rc;
}

static void wait_stall(void)
{
    long long until = atomic_load(&g_stall_until);
    long long now = net_now_ms();
    if (until > now) usleep((useconds_t)(until - now) * 1000);
}

static int upgrade(int fd)
{
    char buf[8192];
    size_t len = 0;
    for (;;) {
        ssize_t r = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (r <= 0) return -1;
        len += (size_t)r;
        ws_http_header hdrs[64];
        ws_http_head h = {.headers = hdrs, .max_headers = 64};
        long hl = ws_http_parse_request(buf, len, &h, 0);
        if (hl == WS_HTTP_NEED_MORE && len < sizeof buf - 1) continue;
        if (hl < 0) return -1;
        if (g_status) {
            char resp[128];
            int n = snprintf(resp, sizeof resp,
                             "HTTP/1.1 %ld Refused By Test\r\nContent-Length: 0\r\n\r\n", g_status);
            write_all(fd, resp, (size_t)n);
            return -1;
        }
        char resp[1024];
        ws_server_hs_opts o;
        memset(&o, 0, sizeof o);
        ws_server_hs_result res;
        size_t n = ws_handshake_server_respond(&h, &o, resp, sizeof resp, &res);
        if (!n || write_all(fd, resp, n) < 0 || res.status != 101) return -1;
        return 0;
    }
}

static void *serve_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    size_t cap = 1 << 20, len = 0;
    uint8_t *buf = malloc(cap), *held = NULL;
    size_t held_len = 0;
    uint8_t held_op = 0;
    ws_parser p;
    ws_parser_opts po = {.peer = WS_PEER_CLIENT};
    ws_parser_init(&p, &po);
    if (!buf || upgrade(fd) < 0) goto out;
    for (;;) {
        ssize_t r = recv(fd, buf + len, cap - len, 0);
        if (r <= 0) goto out;
        len += (size_t)r;
        size_t off = 0;
        for (;;) {
            ws_frame f;
            long n = ws_parser_feed(&p, buf + off, len - off, &f);
            if (n == 0) break;
            if (n < 0) goto out;
            uint8_t *pl = buf + off + f.header_len;
            ws_mask_apply(pl, (size_t)f.payload_len, f.mask_key, 0);
            size_t pn = (size_t)f.payload_len;
            off += (size_t)n;
            if (f.opcode == WS_OP_PING) {
                send_frame(fd, WS_OP_PONG, pl, pn);
                continue;
            }
            if (f.opcode == WS_OP_CLOSE) {
                if (g_close_delay_ms) usleep((useconds_t)g_close_delay_ms * 1000);
                send_frame(fd, WS_OP_CLOSE, pl, pn >= 2 ? 2 : 0);
                goto out;
            }
            if (f.opcode == WS_OP_PONG) continue;
            long k = atomic_fetch_add(&g_count, 1) + 1;
            if (g_stall_ms && k == g_after) atomic_store(&g_stall_until, net_now_ms() + g_stall_ms);
            wait_stall();
            if (g_close && k == g_after) {
                uint8_t cp[2];
                size_t cn = ws_close_build(cp, (uint16_t)g_close, NULL, 0);
                send_frame(fd, WS_OP_CLOSE, cp, cn);
                usleep(200000);
                goto out;
            }
            if (g_drop && k % g_drop == 0) continue;
            if (g_corrupt && k % g_corrupt == 0 && pn) pl[pn - 1] ^= 1;
            if (g_reorder && k % g_reorder == 0 && !held) {
                held = malloc(pn ? pn : 1);
                memcpy(held, pl, pn);
                held_len = pn;
                held_op = f.opcode;
                continue;
            }
            if (send_frame(fd, f.opcode, pl, pn) < 0) goto out;
            if (g_dup && k % g_dup == 0) send_frame(fd, f.opcode, pl, pn);
            if (g_deaf && k == g_deaf)
                for (;;) sleep(60); /* ended by the test stopping this process */
            if (held) {
                send_frame(fd, held_op, held, held_len);
                free(held);
                held = NULL;
            }
        }
        memmove(buf, buf + off, len - off);
        len -= off;
        if (len == cap) goto out;
    }
out:
    free(held);
    free(buf);
    close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: lg_badecho PORT [--drop N|--dup N|--reorder N|--corrupt N]"
                        " [--status CODE] [--close CODE --after K] [--stall MS --after K]"
                        " [--deaf K] [--close-delay MS]\n");
        return 2;
    }
    for (int i = 2; i + 1 < argc; i += 2) {
        long v = atol(argv[i + 1]);
        if (!strcmp(argv[i], "--drop"))
            g_drop = v;
        else if (!strcmp(argv[i], "--dup"))
            g_dup = v;
        else if (!strcmp(argv[i], "--reorder"))
            g_reorder = v;
        else if (!strcmp(argv[i], "--corrupt"))
            g_corrupt = v;
        else if (!strcmp(argv[i], "--status"))
            g_status = v;
        else if (!strcmp(argv[i], "--close"))
            g_close = v;
        else if (!strcmp(argv[i], "--stall"))
            g_stall_ms = v;
        else if (!strcmp(argv[i], "--after"))
            g_after = v;
        else if (!strcmp(argv[i], "--deaf"))
            g_deaf = v;
        else if (!strcmp(argv[i], "--close-delay"))
            g_close_delay_ms = v;
        else {
            fprintf(stderr, "lg_badecho: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    char err[200];
    int lfd = net_listen("127.0.0.1", (uint16_t)atoi(argv[1]), false, err, sizeof err);
    if (lfd < 0) {
        fprintf(stderr, "lg_badecho: %s\n", err);
        return 1;
    }
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) {
            usleep(1000); /* the listening socket is non-blocking */
            continue;
        }
        /* net_listen's socket is non-blocking; the accepted one must block. */
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        pthread_t t;
        if (pthread_create(&t, NULL, serve_conn, (void *)(intptr_t)fd) != 0) {
            close(fd);
            continue;
        }
        pthread_detach(t);
    }
}
