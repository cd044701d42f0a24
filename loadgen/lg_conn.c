/* lg_conn: a load-test connection's state machine (see lg_conn.h). */
#include "loadgen/lg_conn.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loadgen/lg_scenario.h"
#include "loadgen/lg_worker.h"
#include "ws/ws_close.h"
#include "ws/ws_http.h"

#define LG_RBUF_SIZE  (256 * 1024)
#define LG_OUT_LIMIT  (64u << 20)
#define LG_RECV_FLOOR (1u << 20)

enum { END_OK, END_FAILED, END_DROP };

/* The largest message (and partial frame) one connection buffers. Echo, churn
 * and idle never expect more than they send, so there a hostile server cannot
 * make each of thousands of connections hold --max-message (64 MiB by default)
 * of a bomb or an endless message: max(1 MiB, 2 x --size) when smaller. */
static uint64_t recv_limit(const lg_opts *o)
{
    if (o->scenario == LG_SC_BROADCAST || o->scenario == LG_SC_SCRIPT) return o->max_message;
    uint64_t expect = 2 * (uint64_t)o->size_max;
    if (expect < LG_RECV_FLOOR) expect = LG_RECV_FLOOR;
    return expect < o->max_message ? expect : o->max_message;
}

static int err_class(int net_class, int state)
{
    switch (net_class) {
    case NET_E_RESOLVE:
        return LG_E_RESOLVE;
    case NET_E_REFUSED:
        return LG_E_REFUSED;
    case NET_E_TIMEOUT:
        return state == LG_ST_CONNECTING ? LG_E_CONNECT_TIMEOUT : LG_E_READ_TIMEOUT;
    case NET_E_RESET:
        return LG_E_RESET;
    case NET_E_UNREACH:
        return LG_E_UNREACHABLE;
    case NET_E_TLS:
        return LG_E_TLS;
    case NET_E_ADDRESS:
        return LG_E_ADDRESS;
    default:
        return LG_E_OTHER;
    }
}

static void set_events(lg_worker *w, lg_conn *c, bool out)
{
    if (c->ev_out == out) return;
    struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(w->ep, EPOLL_CTL_MOD, c->nc.fd, &ev);
    c->ev_out = out;
}

bool lg_conn_busy(const lg_conn *c)
{
    return c->state != LG_ST_IDLE && c->state != LG_ST_DEAD;
}

static void end_conn(lg_worker *w, lg_conn *c, int why, int64_t now)
{
    int st = c->state;
    if (st == LG_ST_CONNECTING || st == LG_ST_TLS || st == LG_ST_UPGRADE) w->pending--;
    if (st == LG_ST_OPEN || st == LG_ST_CLOSING) {
        w->k.open--;
        lg_scenario_end(w, c, why == END_FAILED);
    }
    if (c->nc.fd >= 0) {
        /* Closing the socket also takes it out of the epoll set. */
        if (c->nc.ops)
            net_close(&c->nc);
        else
            close(c->nc.fd);
    }
    c->nc.fd = -1;
    c->nc.ops = NULL;
    ws_buf_free(&c->in);
    ws_buf_free(&c->out);
    ws_buf_free(&c->msg);
    if (c->pmd) ws_pmd_free(c->pmd);
    c->pmd = NULL;
    c->state = LG_ST_IDLE;
    c->deadline = 0;
    c->ev_out = false;
    if (why != END_DROP) lg_worker_conn_ended(w, c, why == END_FAILED, now);
}

void lg_conn_fail(lg_worker *w, lg_conn *c, int cls, const char *detail, int64_t now)
{
    w->k.err[cls]++;
    lg_worker_error(w, cls, c->id, detail);
    end_conn(w, c, END_FAILED, now);
}

void lg_conn_drop(lg_worker *w, lg_conn *c)
{
    if (lg_conn_busy(c)) end_conn(w, c, END_DROP, w->now);
}

void lg_conn_start(lg_worker *w, lg_conn *c, int64_t now)
{
    const lg_run *r = w->run;
    const lg_opts *o = r->o;
    const struct sockaddr *src = NULL;
    socklen_t src_len = 0;
    if (o->n_sources) {
        uint32_t g = lg_worker_global(w, c->slot);
        src = (const struct sockaddr *)&o->sources[g % (uint32_t)o->n_sources];
        src_len = o->source_lens[g % (uint32_t)o->n_sources];
    }
    w->k.c[LG_C_CONNECT_ATTEMPTS]++;
    c->t_step = c->t_conn = now;
    c->state = LG_ST_CONNECTING;
    w->pending++;
    int cls = 0;
    char err[160];
    int fd = net_connect_start((const struct sockaddr *)&r->addr, r->addr_len, src, src_len, &cls,
                               err, sizeof err);
    if (fd < 0) {
        lg_conn_fail(w, c, err_class(cls, LG_ST_CONNECTING), err, now);
        return;
    }
    c->nc.fd = fd;
    c->nc.ops = NULL;
    c->deadline = now + o->connect_timeout_ns;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    c->ev_out = true;
    if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        lg_conn_fail(w, c, LG_E_OTHER, "epoll_ctl failed", now);
        return;
    }
}

int lg_conn_send(lg_worker *w, lg_conn *c, const uint8_t *p, size_t n)
{
    if (c->out.len) {
        if (ws_buf_append(&c->out, p, n) == 0) return 0;
        lg_conn_fail(w, c, LG_E_WRITE, "output backlog over 64 MiB: the server is not reading",
                     w->now);
        return -1;
    }
    long r = net_write(&c->nc, p, n);
    if (r == NET_AGAIN) {
        r = 0;
    } else if (r < 0) {
        lg_conn_fail(w, c, c->nc.err_class == NET_E_RESET ? LG_E_RESET : LG_E_WRITE, c->nc.err,
                     w->now);
        return -1;
    }
    w->k.c[LG_C_BYTES_SENT] += (uint64_t)r;
    if ((size_t)r < n) {
        if (c->out.limit == 0) ws_buf_init(&c->out, LG_OUT_LIMIT);
        c->out_since = w->now;
        if (ws_buf_append(&c->out, p + r, n - (size_t)r)) {
            lg_conn_fail(w, c, LG_E_OTHER, "out of memory for the output buffer", w->now);
            return -1;
        }
        set_events(w, c, true);
    }
    return 0;
}

static int flush(lg_worker *w, lg_conn *c)
{
    while (c->out.len) {
        long r = net_write(&c->nc, c->out.data, c->out.len);
        if (r == NET_AGAIN) return 0;
        if (r < 0) {
            lg_conn_fail(w, c, c->nc.err_class == NET_E_RESET ? LG_E_RESET : LG_E_WRITE, c->nc.err,
                         w->now);
            return -1;
        }
        w->k.c[LG_C_BYTES_SENT] += (uint64_t)r;
        ws_buf_consume(&c->out, (size_t)r);
        c->out_since = w->now;
    }
    set_events(w, c, false);
    return 0;
}

static int send_frame_spec(lg_worker *w, lg_conn *c, ws_frame_spec *s, const void *p, size_t n)
{
    ws_mask_rng_key(&c->rng, s->mask_key);
    size_t len = ws_frame_write(w->sbuf, w->sbuf_cap, s, p, n);
    if (len == 0) {
        lg_conn_fail(w, c, LG_E_OTHER, "message larger than the send buffer", w->now);
        return -1;
    }
    return lg_conn_send(w, c, w->sbuf, len);
}

int lg_conn_send_frame(lg_worker *w, lg_conn *c, uint8_t opcode, const void *p, size_t n)
{
    ws_frame_spec s;
    ws_frame_spec_default(&s, opcode, true);
    return send_frame_spec(w, c, &s, p, n);
}

int lg_conn_send_data(lg_worker *w, lg_conn *c, uint8_t opcode, const uint8_t *p, size_t n)
{
    ws_frame_spec s;
    ws_frame_spec_default(&s, opcode, true);
    if (!c->pmd) return send_frame_spec(w, c, &s, p, n);
    ws_buf_reset(&w->zbuf);
    if (ws_pmd_compress(c->pmd, p, n, &w->zbuf) != WS_PMD_OK) {
        lg_conn_fail(w, c, LG_E_OTHER, "deflate failed", w->now);
        return -1;
    }
    s.rsv = WS_RSV1;
    return send_frame_spec(w, c, &s, w->zbuf.data, w->zbuf.len);
}

void lg_conn_close(lg_worker *w, lg_conn *c, int64_t now)
{
    if (c->state != LG_ST_OPEN) return;
    uint8_t pl[2];
    size_t n = ws_close_build(pl, WS_CLOSE_NORMAL, NULL, 0);
    if (lg_conn_send_frame(w, c, WS_OP_CLOSE, pl, n) < 0) return;
    c->state = LG_ST_CLOSING;
    c->deadline = now + w->run->o->close_timeout_ns;
}

static void upgrade_start(lg_worker *w, lg_conn *c, int64_t now)
{
    const lg_run *r = w->run;
    if (ws_handshake_key(c->key) < 0) {
        lg_conn_fail(w, c, LG_E_OTHER, "no random bytes for Sec-WebSocket-Key", now);
        return;
    }
    size_t n =
        ws_handshake_client_request((char *)w->sbuf, w->sbuf_cap, &r->o->url, c->key, &r->hs);
    if (n == 0) {
        lg_conn_fail(w, c, LG_E_OTHER, "upgrade request larger than the send buffer", now);
        return;
    }
    c->state = LG_ST_UPGRADE;
    c->t_step = now;
    c->deadline = now + r->o->handshake_timeout_ns;
    if (lg_conn_send(w, c, w->sbuf, n) < 0) return;
    if (!c->out.len) set_events(w, c, false);
}

static void tls_step(lg_worker *w, lg_conn *c, int64_t now)
{
    int rc = net_handshake(&c->nc);
    if (rc == NET_OK) {
        lg_hist_record(w->tls, (uint64_t)(now - c->t_step));
        upgrade_start(w, c, now);
    } else if (rc == NET_AGAIN) {
        set_events(w, c, (c->nc.want & POLLOUT) != 0);
    } else {
        lg_conn_fail(w, c, LG_E_TLS, c->nc.err, now);
    }
}

static void connected(lg_worker *w, lg_conn *c, int64_t now)
{
    const lg_run *r = w->run;
    int cls = 0;
    char err[160];
    if (net_connect_finish(c->nc.fd, &cls, err, sizeof err) < 0) {
        lg_conn_fail(w, c, err_class(cls, LG_ST_CONNECTING), err, now);
        return;
    }
    w->k.c[LG_C_CONNECTED]++;
    lg_hist_record(w->connect, (uint64_t)(now - c->t_step));
    int fd = c->nc.fd;
    if (!r->tls) {
        net_conn_plain(&c->nc, fd);
        upgrade_start(w, c, now);
        return;
    }
    if (net_conn_tls_client(&c->nc, fd, r->tls, r->o->url.host) < 0) {
        char d[160];
        snprintf(d, sizeof d, "%s", c->nc.err);
        c->nc.fd = fd;
        c->nc.ops = NULL;
        lg_conn_fail(w, c, LG_E_TLS, d, now);
        return;
    }
    c->state = LG_ST_TLS;
    c->t_step = now;
    c->deadline = now + r->o->handshake_timeout_ns;
    tls_step(w, c, now);
}

static int process_frames(lg_worker *w, lg_conn *c, const uint8_t *buf, size_t len, int64_t now);

/* Copies what a server wrote into a detail, without control characters. */
static void printable(char *out, size_t cap, const void *p, size_t n)
{
    const uint8_t *s = p;
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < cap; i++)
        out[j++] = s[i] >= 32 && s[i] < 127 ? (char)s[i] : '?';
    out[j] = 0;
}

static void upgrade_read(lg_worker *w, lg_conn *c, int64_t now)
{
    const lg_run *r = w->run;
    long n = net_read(&c->nc, w->rbuf, LG_RBUF_SIZE);
    if (n == NET_AGAIN) return;
    if (n == 0) {
        lg_conn_fail(w, c, LG_E_DROPPED, "connection closed before the upgrade response", now);
        return;
    }
    if (n < 0) {
        lg_conn_fail(w, c, err_class(c->nc.err_class, c->state), c->nc.err, now);
        return;
    }
    w->k.c[LG_C_BYTES_RECEIVED] += (uint64_t)n;
    if (c->in.limit == 0) ws_buf_init(&c->in, recv_limit(r->o) + 64);
    if (ws_buf_append(&c->in, w->rbuf, (size_t)n)) {
        lg_conn_fail(w, c, LG_E_HANDSHAKE_INVALID, "upgrade response too large", now);
        return;
    }
    ws_http_header hdrs[64];
    ws_http_head h = {.headers = hdrs, .max_headers = 64};
    long hl = ws_http_parse_response((const char *)c->in.data, c->in.len, &h, 0);
    if (hl == WS_HTTP_NEED_MORE) return;
    char d[LG_DETAIL_LEN];
    if (hl < 0) {
        snprintf(d, sizeof d, "bad upgrade response: %s", ws_http_strerror(hl));
        lg_conn_fail(w, c, LG_E_HANDSHAKE_INVALID, d, now);
        return;
    }
    if (h.status != 101) {
        char reason[64];
        printable(reason, sizeof reason, h.reason, h.reason_len);
        snprintf(d, sizeof d, "HTTP %d %s", h.status, reason);
        lg_code_add(w->k.http_status, (uint32_t)h.status, 1);
        lg_conn_fail(w, c, LG_E_HANDSHAKE_STATUS, d, now);
        return;
    }
    ws_client_hs_result res;
    if (ws_handshake_client_check(&h, c->key, &r->hs, &res) < 0) {
        printable(d, sizeof d, res.error, strlen(res.error));
        lg_conn_fail(w, c, LG_E_HANDSHAKE_INVALID, d, now);
        return;
    }
    if (res.deflate) {
        c->pmd = ws_pmd_new(false, &res.pmd, -1);
        if (!c->pmd) {
            lg_conn_fail(w, c, LG_E_OTHER, "out of memory for deflate", now);
            return;
        }
    }
    lg_hist_record(w->upgrade, (uint64_t)(now - c->t_step));
    w->pending--;
    w->k.c[LG_C_OPENED]++;
    if (++w->k.open > w->peak_open) w->peak_open = w->k.open;
    c->state = LG_ST_OPEN;
    c->ever_open = true;
    c->deadline = 0;
    c->backoff = r->o->reconnect_delay_ns;
    ws_parser_opts po = {.peer = WS_PEER_SERVER,
                         .rsv_allowed = res.deflate ? WS_RSV1 : 0,
                         .max_message = recv_limit(r->o)};
    ws_parser_init(&c->parser, &po);
    ws_buf_init(&c->msg, po.max_message);
    ws_buf_consume(&c->in, (size_t)hl);
    lg_scenario_open(w, c, now);
    if (c->state != LG_ST_OPEN) return;
    if (c->in.len) {
        long used = process_frames(w, c, c->in.data, c->in.len, now);
        if (used < 0) return;
        ws_buf_consume(&c->in, (size_t)used);
        lg_scenario_after_read(w, c, now);
    }
    if (c->in.len == 0) ws_buf_free(&c->in); /* idle connections keep no buffer */
}

static int on_close(lg_worker *w, lg_conn *c, const ws_frame *f, int64_t now)
{
    ws_close_info ci;
    int pr = ws_close_parse(f->payload, f->payload_len, &ci);
    if (c->state == LG_ST_CLOSING) {
        w->k.c[LG_C_CLOSED]++;
        end_conn(w, c, END_OK, now);
        return -1;
    }
    uint16_t code = pr == WS_CLOSE_OK ? (ci.has_code ? ci.code : WS_CLOSE_NO_STATUS) : 0;
    char reason[100] = "", d[LG_DETAIL_LEN];
    if (pr == WS_CLOSE_OK) printable(reason, sizeof reason, ci.reason, ci.reason_len);
    if (pr == WS_CLOSE_OK)
        snprintf(d, sizeof d, "server closed with %u%s%s", code, reason[0] ? ": " : "", reason);
    else
        snprintf(d, sizeof d, "server sent a bad close frame: %s", ws_close_strerror(pr));
    lg_code_add(w->k.close_codes, code, 1);
    /* Answer as RFC 6455 §5.5.1 asks: echo the code (1000 when none). */
    uint8_t pl[2];
    uint16_t reply = pr != WS_CLOSE_OK ? WS_CLOSE_PROTOCOL_ERROR
                     : ci.has_code     ? ci.code
                                       : WS_CLOSE_NORMAL;
    size_t n = ws_close_build(pl, reply, NULL, 0);
    if (lg_conn_send_frame(w, c, WS_OP_CLOSE, pl, n) < 0) return -1;
    lg_conn_fail(w, c, pr == WS_CLOSE_OK ? LG_E_CLOSE_RECEIVED : LG_E_PROTOCOL, d, now);
    return -1;
}

static int on_frame(lg_worker *w, lg_conn *c, const ws_frame *f, int64_t now)
{
    switch (f->opcode) {
    case WS_OP_TEXT:
    case WS_OP_BINARY:
    case WS_OP_CONT:
        if (f->first) c->msg_deflated = (f->rsv & WS_RSV1) != 0;
        if (f->first && f->fin && !c->msg_deflated)
            return lg_scenario_message(w, c, f->payload, (size_t)f->payload_len, now);
        if (c->msg_deflated) {
            int zr = ws_pmd_decompress(c->pmd, f->payload, (size_t)f->payload_len, f->fin, &c->msg);
            if (zr != WS_PMD_OK) {
                lg_conn_fail(w, c, LG_E_PROTOCOL,
                             zr == WS_PMD_E_TOO_BIG ? "inflated message over the receive limit"
                                                    : "compressed message does not inflate",
                             now);
                return -1;
            }
        } else if (ws_buf_append(&c->msg, f->payload, (size_t)f->payload_len)) {
            lg_conn_fail(w, c, LG_E_PROTOCOL, "message over the receive limit", now);
            return -1;
        }
        if (!f->fin) return 0;
        if (lg_scenario_message(w, c, c->msg.data, c->msg.len, now) < 0) return -1;
        ws_buf_reset(&c->msg);
        return 0;
    case WS_OP_PING:
        /* The parser refuses control frames over 125 bytes. */
        w->pong_len = (uint8_t)f->payload_len;
        if (w->pong_len) memcpy(w->pong, f->payload, w->pong_len);
        w->pong_due = true;
        return 0;
    case WS_OP_PONG:
        lg_scenario_pong(w, c, f->payload, (size_t)f->payload_len, now);
        return 0;
    case WS_OP_CLOSE:
        return on_close(w, c, f, now);
    }
    return 0;
}

/* The frame nearly every echo is: whole in buf, FIN, text or binary, no RSV
 * bit, unmasked, under 126 bytes, no fragmented message open. Such a frame
 * breaks none of ws_parser_feed's rules (but the size limits, checked here),
 * so it is taken without the general parser, with the parser's state set as
 * the parser would set it. Returns its size, or 0 for anything else. */
static size_t simple_frame(ws_parser *ps, const uint8_t *buf, size_t len)
{
    if (len < 2 || ps->in_message || (buf[0] != 0x81 && buf[0] != 0x82) || buf[1] > 125 ||
        ps->opts.peer == WS_PEER_CLIENT)
        return 0;
    size_t n = buf[1];
    if (len - 2 < n || (ps->opts.max_frame && n > ps->opts.max_frame) ||
        (ps->opts.max_message && n > ps->opts.max_message))
        return 0;
    ps->message_opcode = buf[0] & 0xF;
    ps->message_rsv1 = false;
    ps->message_len = n;
    return 2 + n;
}

static int process_frames(lg_worker *w, lg_conn *c, const uint8_t *buf, size_t len, int64_t now)
{
    size_t off = 0;
    w->pong_due = false;
    while (off < len) {
        /* Exact echoes first, a run at a time: whole unmasked FIN frames of
         * our opcode without RSV bits, each within the receive limit (at
         * least 2 x --size), so the parser would take them with no message
         * open before or after (its message fields matter only inside a
         * fragmented one). */
        if (w->echo_runs && !c->parser.in_message) {
            off += lg_scenario_echoes(w, c, buf + off, len - off, now);
            if (off == len) break;
        }
        size_t sr = simple_frame(&c->parser, buf + off, len - off);
        if (sr) {
            c->msg_deflated = false;
            if (lg_scenario_message(w, c, buf + off + 2, sr - 2, now) < 0) return -1;
            off += sr;
            continue;
        }
        ws_frame f;
        long r = ws_parser_feed(&c->parser, buf + off, len - off, &f);
        if (r == WS_NEED_MORE) break;
        if (r < 0) {
            uint8_t pl[2];
            size_t n = ws_close_build(pl, ws_parse_close_code((int)r), NULL, 0);
            if (lg_conn_send_frame(w, c, WS_OP_CLOSE, pl, n) < 0) return -1;
            lg_conn_fail(w, c, LG_E_PROTOCOL, ws_parse_strerror((int)r), now);
            return -1;
        }
        if (on_frame(w, c, &f, now) < 0) return -1;
        off += (size_t)r;
    }
    /* Nothing may follow our close frame (RFC 6455 §5.5.1), not even a pong. */
    if (w->pong_due && c->state == LG_ST_OPEN &&
        lg_conn_send_frame(w, c, WS_OP_PONG, w->pong, w->pong_len) < 0)
        return -1;
    return (long)off;
}

static void read_frames(lg_worker *w, lg_conn *c, int64_t now)
{
    long n = net_read(&c->nc, w->rbuf, LG_RBUF_SIZE);
    if (n == NET_AGAIN) return;
    if (n == 0) {
        if (c->state == LG_ST_CLOSING) {
            w->k.c[LG_C_CLOSED]++;
            end_conn(w, c, END_OK, now);
        } else {
            lg_conn_fail(w, c, LG_E_DROPPED, "TCP closed without a close frame", now);
        }
        return;
    }
    if (n < 0) {
        lg_conn_fail(w, c, err_class(c->nc.err_class, c->state), c->nc.err, now);
        return;
    }
    w->k.c[LG_C_BYTES_RECEIVED] += (uint64_t)n;
    if (c->in.len == 0) {
        long used = process_frames(w, c, w->rbuf, (size_t)n, now);
        if (used < 0) return;
        if (used < n) {
            if (c->in.limit == 0) ws_buf_init(&c->in, recv_limit(w->run->o) + 64);
            if (ws_buf_append(&c->in, w->rbuf + used, (size_t)(n - used))) {
                lg_conn_fail(w, c, LG_E_OTHER, "out of memory for a partial frame", now);
                return;
            }
        }
    } else {
        if (ws_buf_append(&c->in, w->rbuf, (size_t)n)) {
            lg_conn_fail(w, c, LG_E_OTHER, "out of memory for a partial frame", now);
            return;
        }
        long used = process_frames(w, c, c->in.data, c->in.len, now);
        if (used < 0) return;
        ws_buf_consume(&c->in, (size_t)used);
    }
    if (c->state == LG_ST_OPEN) lg_scenario_after_read(w, c, now);
}

void lg_conn_event(lg_worker *w, lg_conn *c, uint32_t events, int64_t now)
{
    switch (c->state) {
    case LG_ST_CONNECTING:
        if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) connected(w, c, now);
        return;
    case LG_ST_TLS:
        tls_step(w, c, now);
        return;
    case LG_ST_UPGRADE:
        if ((events & EPOLLOUT) && flush(w, c) < 0) return;
        if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) upgrade_read(w, c, now);
        return;
    case LG_ST_OPEN:
    case LG_ST_CLOSING:
        if ((events & EPOLLOUT) && flush(w, c) < 0) return;
        if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) read_frames(w, c, now);
        return;
    }
}

void lg_conn_check_deadline(lg_worker *w, lg_conn *c, int64_t now)
{
    int64_t wt = w->run->o->write_timeout_ns;
    if (c->out.len && wt && now - c->out_since >= wt) {
        char d[LG_DETAIL_LEN];
        snprintf(d, sizeof d,
                 "%zu bytes waiting and none taken for %.3f s: the server stopped reading",
                 c->out.len, (double)(now - c->out_since) / 1e9);
        lg_conn_fail(w, c, LG_E_WRITE_TIMEOUT, d, now);
        return;
    }
    if (!c->deadline || now < c->deadline) return;
    /* The answer may be sitting unread: this thread was off the CPU, or its
     * events for this turn were not handled yet. A timeout is only honest once
     * the socket has been read (a NET_AGAIN read costs one syscall). Only
     * leaving the state moves the deadline, so the state alone says whether
     * the answer came. */
    if (c->state == LG_ST_UPGRADE || c->state == LG_ST_CLOSING) {
        int st = c->state;
        lg_conn_event(w, c, EPOLLIN, now);
        if (c->state != st) return;
    }
    switch (c->state) {
    case LG_ST_CONNECTING:
        lg_conn_fail(w, c, LG_E_CONNECT_TIMEOUT, "TCP connect timed out", now);
        break;
    case LG_ST_TLS:
        lg_conn_fail(w, c, LG_E_HANDSHAKE_TIMEOUT, "TLS handshake timed out", now);
        break;
    case LG_ST_UPGRADE:
        lg_conn_fail(w, c, LG_E_HANDSHAKE_TIMEOUT, "no upgrade response in time", now);
        break;
    case LG_ST_CLOSING:
        lg_conn_fail(w, c, LG_E_CLOSE_TIMEOUT, "no close frame back in time", now);
        break;
    default:
        c->deadline = 0;
    }
}
