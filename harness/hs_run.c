/* hs_run: one case, one connection, from dial to the closing verdict. */
#include "harness/hs_run.h"

#include <errno.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "harness/hs_judge.h"
#include "harness/hs_request.h"
#include "ws/ws_buf.h"
#include "ws/ws_close.h"
#include "ws/ws_deflate.h"
#include "ws/ws_ext.h"
#include "ws/ws_frame.h"
#include "ws/ws_handshake.h"
#include "ws/ws_http.h"
#include "ws/ws_mask.h"
#include "ws/ws_utf8.h"

#define READ_CHUNK        65536
#define MAX_QUEUED_EVENTS 4096
#define MAX_HEADERS       64
#define HEAD_MAX          16384
/* Compressed input is inflated this many bytes at a time, so one call yields
 * at most ~1 MiB (DEFLATE expands at most 1032:1): a message past max_message
 * is counted and discarded without ever being held. */
#define INFLATE_SLICE   1024
#define INFLATE_OUT_MAX (4u << 20)
#define CUT_POLL_MS     100 /* how often a wait looks for an interruption */

typedef struct run {
    const hs_case *c;
    const hs_run_opts *o;
    hs_result *r;
    net_conn conn;
    bool connected, open, eof, closing;
    bool wr_shut;         /* a shutdown step half-closed TCP: nothing more is written */
    int64_t t0, deadline; /* ms; the deadline is the steps' limit */
    uint64_t max_message;
    ws_buf rx;
    ws_parser parser;
    ws_pmd *pmd;
    /* the message being received */
    bool in_msg, msg_compressed;
    bool msg_too_big; /* passed max_message: only counted from then on */
    uint8_t msg_op;
    uint64_t msg_len, msg_hash;
    uint8_t msg_preview[HS_PREVIEW];
    ws_utf8 utf8;
    ws_buf inflated;
    /* events not consumed yet */
    hs_event *ev;
    size_t n_ev, cap_ev, ev_head, ev_dropped;
    size_t late_messages; /* data messages during the closing phase */
    /* data messages sent and not echoed yet */
    hs_sent *sent;
    size_t n_sent, cap_sent, sent_head;
    bool out_in_msg;
    hs_sent out_cur;
    bool close_sent, close_received, close_malformed;
    char close_problem[160];
    uint16_t close_sent_code;
    size_t frames_after_close;
    bool violation;
    char violation_msg[256];
    /* the latest ping not answered yet: one pong per read batch (RFC 6455
     * §5.5.3 allows answering only the most recent), so a ping flood cannot
     * keep us writing pongs past the deadline */
    bool pong_due, pong_writing;
    uint8_t pong_payload[125];
    size_t pong_len;
    /* handshake */
    hs_request req;
    char *resp_copy;
    ws_http_header hdrs[MAX_HEADERS];
    ws_http_head head;
    bool have_response;
    char hs_error[300];
    int64_t iter; /* the innermost repeat's iteration, for {i}; -1 outside */
    /* running judgement */
    int worst;
    bool stop;
} run;

/* ---- results ---- */

static void judge(run *s, int verdict, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void judge(run *s, int verdict, const char *fmt, ...)
{
    if (verdict > s->worst || (verdict == s->worst && verdict != HS_OK && !s->r->reason[0])) {
        s->worst = verdict;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->r->reason, sizeof s->r->reason, fmt, ap);
        va_end(ap);
    }
}

static void observe(run *s, const char *what)
{
    hs_result *r = s->r;
    if (r->n_observed == HS_MAX_OBSERVED) {
        r->observed_dropped++;
        return;
    }
    char line[320];
    snprintf(line, sizeof line, "+%lldms %s", (long long)((net_now_ns() - r->wire.t0_ns) / 1000000),
             what);
    r->observed[r->n_observed] = strdup(line);
    if (r->observed[r->n_observed]) r->n_observed++;
}

static void expected(run *s, const hs_expect *e)
{
    hs_result *r = s->r;
    if (r->n_expected == HS_MAX_OBSERVED) return;
    char line[1024];
    hs_describe_expect(e, line, sizeof line);
    r->expected[r->n_expected] = strdup(line);
    if (r->expected[r->n_expected]) r->n_expected++;
}

static const hs_sent *next_echo(const run *s)
{
    return s->sent_head < s->n_sent ? &s->sent[s->sent_head] : NULL;
}

static void push_event(run *s, const hs_event *ev)
{
    char what[300];
    hs_describe_event(ev, next_echo(s), what, sizeof what);
    observe(s, what);
    bool data = ev->kind == HS_EV_MESSAGE || ev->kind == HS_EV_TOO_BIG;
    if (s->closing && (data || ev->kind == HS_EV_PONG)) {
        s->late_messages += data;
        return;
    }
    if (s->n_ev - s->ev_head >= MAX_QUEUED_EVENTS) {
        s->ev_dropped++;
        return;
    }
    if (s->ev_head > 0 && s->ev_head == s->n_ev) s->ev_head = s->n_ev = 0;
    if (s->n_ev == s->cap_ev) {
        size_t cap = s->cap_ev ? s->cap_ev * 2 : 16;
        hs_event *n = realloc(s->ev, cap * sizeof *n);
        if (!n) {
            s->ev_dropped++;
            return;
        }
        s->ev = n;
        s->cap_ev = cap;
    }
    s->ev[s->n_ev++] = *ev;
}

static void violation(run *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void violation(run *s, const char *fmt, ...)
{
    if (s->violation) return;
    s->violation = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->violation_msg, sizeof s->violation_msg, fmt, ap);
    va_end(ap);
    hs_wire_note(&s->r->wire, "violation: %s", s->violation_msg);
    observe(s, s->violation_msg);
}

/* ---- interruption ---- */

static int64_t cut_time(const run *s)
{
    return s->o->cut_at_ms ? atomic_load(s->o->cut_at_ms) : 0;
}

/* True once the run's cut time has passed: the case stops where it is and
 * its result is marked interrupted (no verdict is reported for it). */
static bool cut_passed(run *s)
{
    int64_t cut = cut_time(s);
    if (!cut || net_now_ms() < cut) return false;
    if (!s->r->interrupted) {
        s->r->interrupted = true;
        hs_wire_note(&s->r->wire, "run interrupted: case cut short");
    }
    s->stop = true;
    return true;
}

/* A wait ends by `until`, by the cut time, and, while the run may still be
 * interrupted, within CUT_POLL_MS so that an interruption is seen. */
static int64_t wait_until(const run *s, int64_t until)
{
    if (!s->o->cut_at_ms) return until;
    int64_t cut = cut_time(s);
    int64_t lim = cut ? cut : net_now_ms() + CUT_POLL_MS;
    return until < lim ? until : lim;
}

/* ---- writing ---- */

static int read_some(run *s, int64_t until);
static void got_eof(run *s, const char *why);

/* Writes all of p before the deadline, reading meanwhile so a server that
 * echoes while we write cannot deadlock us. */
static int write_all(run *s, const uint8_t *p, size_t n)
{
    size_t off = 0;
    if (s->wr_shut) {
        hs_wire_note(&s->r->wire, "%zu bytes not sent: our side is shut down for writing", n);
        return -1;
    }
    while (off < n) {
        if (s->eof) return -1;
        long w = net_write(&s->conn, p + off, n - off);
        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        if (w == NET_AGAIN) {
            int r = net_wait(&s->conn, (short)(s->conn.want | POLLIN), wait_until(s, s->deadline));
            if (r == 0 && cut_passed(s)) return -1;
            if (r == 0 && net_now_ms() < s->deadline) continue;
            if (r == 0) {
                hs_wire_note(&s->r->wire, "write blocked until the deadline (%zu of %zu bytes)",
                             off, n);
                return -1;
            }
            if (r < 0) return -1;
            if (read_some(s, s->deadline) < 0) return -1;
            /* checked on every turn: a server that keeps sending keeps poll
             * from ever timing out */
            if (cut_passed(s)) return -1;
            if (net_now_ms() >= s->deadline) {
                hs_wire_note(&s->r->wire,
                             "write blocked until the deadline (%zu of %zu bytes), the server "
                             "sending meanwhile",
                             off, n);
                return -1;
            }
            continue;
        }
        /* A reset while writing is the server ending the connection: the same
         * drop as one seen by a read (before the response, do_handshake turns
         * it into the drop event). */
        hs_wire_note(&s->r->wire, "write failed: %s", s->conn.err);
        got_eof(s, s->conn.err);
        return -1;
    }
    return 0;
}

static void sleep_reading(run *s, int64_t ms);

static int write_chopped(run *s, const uint8_t *p, size_t n, uint32_t chop, uint32_t delay)
{
    if (chop == 0 || chop >= n) return write_all(s, p, n);
    for (size_t off = 0; off < n; off += chop) {
        size_t k = n - off < chop ? n - off : chop;
        if (write_all(s, p + off, k)) return -1;
        if (delay && off + k < n) sleep_reading(s, delay);
    }
    return 0;
}

/* ---- reading ---- */

static void message_bytes(run *s, const uint8_t *p, size_t n)
{
    if (s->msg_too_big) {
        s->msg_len += n; /* counted, discarded */
        return;
    }
    if (s->msg_len < HS_PREVIEW) {
        size_t k = HS_PREVIEW - s->msg_len < n ? HS_PREVIEW - (size_t)s->msg_len : n;
        if (k) memcpy(s->msg_preview + s->msg_len, p, k);
    }
    s->msg_hash = hs_hash(s->msg_hash, p, n);
    s->msg_len += n;
    /* Fail fast: each frame is validated as it arrives, not the whole message
     * at its end, so the case stops at the first bad frame. */
    if (s->msg_op == WS_OP_TEXT && ws_utf8_feed(&s->utf8, p, n) == WS_UTF8_INVALID)
        violation(s,
                  "server sent a text message with invalid UTF-8 at byte %llu of the message "
                  "(RFC 6455 §8.1)",
                  (unsigned long long)s->utf8.error_at);
    if (s->msg_len > s->max_message && !s->violation) {
        /* An event, not a violation: an expectation may accept it
         * ({"too_big": true}); any other expectation fails on it. */
        s->msg_too_big = true;
        hs_event ev = {
            .kind = HS_EV_TOO_BIG, .t_ms = net_now_ms(), .op = s->msg_op, .len = s->msg_len};
        push_event(s, &ev);
    }
}

/* One frame of a compressed message, inflated a slice at a time. */
static void inflate_frame(run *s, const uint8_t *payload, size_t n, bool fin)
{
    size_t off = 0;
    do {
        size_t k = n - off < INFLATE_SLICE ? n - off : INFLATE_SLICE;
        ws_buf_reset(&s->inflated);
        int rc = ws_pmd_decompress(s->pmd, payload + off, k, fin && off + k == n, &s->inflated);
        if (rc == WS_PMD_E_TOO_BIG) {
            violation(s, "server sent compressed data inflating past %u bytes per %d input bytes",
                      INFLATE_OUT_MAX, INFLATE_SLICE);
            return;
        }
        if (rc != WS_PMD_OK) {
            violation(s, "server sent a corrupt compressed message (RFC 7692 §7.2.2)");
            return;
        }
        message_bytes(s, s->inflated.data, s->inflated.len);
        off += k;
    } while (off < n && !s->violation);
}

static void data_frame(run *s, const ws_frame *f, const uint8_t *payload)
{
    if (f->opcode != WS_OP_CONT) {
        s->in_msg = true;
        s->msg_op = f->opcode;
        s->msg_compressed = s->pmd && (f->rsv & WS_RSV1);
        s->msg_len = 0;
        s->msg_too_big = false;
        s->msg_hash = HS_HASH_INIT;
        ws_utf8_init(&s->utf8);
    }
    if (s->msg_compressed)
        inflate_frame(s, payload, (size_t)f->payload_len, f->fin);
    else
        message_bytes(s, payload, (size_t)f->payload_len);
    if (!f->fin || s->violation) return;
    s->in_msg = false;
    if (s->msg_too_big) {
        char what[160];
        snprintf(what, sizeof what,
                 "the message over max_message ended after %llu bytes (discarded)",
                 (unsigned long long)s->msg_len);
        hs_wire_note(&s->r->wire, "%s", what);
        observe(s, what);
        return;
    }
    if (s->msg_op == WS_OP_TEXT && ws_utf8_finish(&s->utf8) != WS_UTF8_OK) {
        violation(s, "server sent a text message ending inside a UTF-8 sequence (RFC 6455 §8.1)");
        return;
    }
    hs_event ev = {.kind = HS_EV_MESSAGE,
                   .t_ms = net_now_ms(),
                   .op = s->msg_op,
                   .len = s->msg_len,
                   .hash = s->msg_hash,
                   .compressed = s->msg_compressed};
    ev.preview_len = s->msg_len < HS_PREVIEW ? (size_t)s->msg_len : HS_PREVIEW;
    memcpy(ev.preview, s->msg_preview, ev.preview_len);
    push_event(s, &ev);
}

static int send_control(run *s, uint8_t op, const uint8_t *payload, size_t n)
{
    uint8_t buf[WS_FRAME_HEADER_MAX + 125];
    ws_frame_spec spec;
    ws_frame_spec_default(&spec, op, true);
    if (ws_mask_key_random(spec.mask_key) != 0) return -1;
    if (n > 125) n = 125;
    size_t len = ws_frame_write(buf, sizeof buf, &spec, payload, n);
    hs_wire_frame(&s->r->wire, '>', true, 0, op, true, n, payload, n);
    return len ? write_all(s, buf, len) : -1;
}

/* Answers the latest ping. Not re-entered: writing reads, and pings read
 * meanwhile are answered by the next batch. */
static void answer_ping(run *s)
{
    if (!s->pong_due || s->pong_writing) return;
    s->pong_due = false;
    if (s->close_sent || s->wr_shut) return;
    uint8_t p[sizeof s->pong_payload];
    size_t n = s->pong_len;
    memcpy(p, s->pong_payload, n);
    s->pong_writing = true;
    send_control(s, WS_OP_PONG, p, n);
    s->pong_writing = false;
}

static void close_frame(run *s, const uint8_t *payload, size_t n)
{
    ws_close_info ci;
    int rc = ws_close_parse(payload, n, &ci);
    hs_event ev = {.kind = HS_EV_CLOSE, .t_ms = net_now_ms()};
    s->close_received = true;
    if (rc == WS_CLOSE_OK) {
        ev.has_code = ci.has_code;
        ev.code = ci.code;
        ev.preview_len = ci.reason_len < HS_PREVIEW ? ci.reason_len : HS_PREVIEW;
        if (ev.preview_len) memcpy(ev.preview, ci.reason, ev.preview_len);
    } else {
        s->close_malformed = true;
        snprintf(s->close_problem, sizeof s->close_problem, "%s", ws_close_strerror(rc));
        ev.has_code = n >= 2;
        ev.code = n >= 2 ? (uint16_t)(payload[0] << 8 | payload[1]) : 0;
    }
    s->r->server_close_code = ev.has_code ? ev.code : 1005;
    push_event(s, &ev);
    answer_ping(s); /* a ping before the close frame is answered before ours */
    if (s->close_sent || s->wr_shut) return;
    /* Answer like a client should: echo a valid code, 1002 for a broken frame. */
    uint8_t reply[2];
    size_t rn = 0;
    uint16_t code = rc == WS_CLOSE_OK ? ev.code : WS_CLOSE_PROTOCOL_ERROR;
    if (rc != WS_CLOSE_OK || ev.has_code) {
        reply[0] = (uint8_t)(code >> 8);
        reply[1] = (uint8_t)code;
        rn = 2;
    }
    s->close_sent = true;
    s->close_sent_code = rn ? code : 1005;
    send_control(s, WS_OP_CLOSE, reply, rn);
}

static void handle_frame(run *s, const ws_frame *f, const uint8_t *payload)
{
    size_t n = (size_t)f->payload_len;
    hs_wire_frame(&s->r->wire, '<', f->fin, f->rsv, f->opcode, f->masked, f->payload_len, payload,
                  n);
    if (s->close_received) {
        s->frames_after_close++;
        return;
    }
    switch (f->opcode) {
    case WS_OP_PING:
        s->pong_len = n < sizeof s->pong_payload ? n : sizeof s->pong_payload;
        if (s->pong_len) memcpy(s->pong_payload, payload, s->pong_len);
        s->pong_due = true;
        return;
    case WS_OP_PONG: {
        hs_event ev = {.kind = HS_EV_PONG,
                       .t_ms = net_now_ms(),
                       .len = n,
                       .hash = hs_hash(HS_HASH_INIT, payload, n)};
        ev.preview_len = n < HS_PREVIEW ? n : HS_PREVIEW;
        if (ev.preview_len) memcpy(ev.preview, payload, ev.preview_len);
        push_event(s, &ev);
        return;
    }
    case WS_OP_CLOSE:
        close_frame(s, payload, n);
        return;
    default:
        data_frame(s, f, payload);
    }
}

static void parse_frames(run *s)
{
    size_t off = 0;
    while (!s->violation && off < s->rx.len) {
        ws_frame f;
        long rc = ws_parser_feed(&s->parser, s->rx.data + off, s->rx.len - off, &f);
        if (rc == WS_NEED_MORE) break;
        if (rc < 0) {
            violation(s, "server sent a bad frame: %s", ws_parse_strerror((int)rc));
            break;
        }
        handle_frame(s, &f, f.payload);
        off += (size_t)rc;
    }
    if (s->violation) off = s->rx.len; /* nothing after a broken frame can be trusted */
    ws_buf_consume(&s->rx, off);
    answer_ping(s); /* after the consume: writing may read into rx */
}

static void got_eof(run *s, const char *why)
{
    if (s->eof) return;
    s->eof = true;
    hs_wire_note(&s->r->wire, "server closed TCP%s%s", why ? ": " : "", why ? why : "");
    if (s->r->tcp_closed_by[0] == 'n') s->r->tcp_closed_by = "server";
    /* Before the response, a drop is judged by do_handshake once the bytes
     * read with the EOF have been parsed. */
    if (!s->close_received && s->open) {
        hs_event ev = {.kind = HS_EV_DROP, .t_ms = net_now_ms()};
        push_event(s, &ev);
    }
}

/* Reads what is available without blocking, until `until` (ms): a server
 * that keeps sending is read once more only while time is left. -1 on a read
 * error (not EOF). */
static int read_some(run *s, int64_t until)
{
    for (int i = 0; i < 64 && !s->eof; i++) {
        if (i > 0 && (net_now_ms() >= until || cut_passed(s))) break;
        if (ws_buf_reserve(&s->rx, READ_CHUNK) != 0) {
            violation(s, "server sent more than %zu bytes we could not parse", s->rx.limit);
            return -1;
        }
        /* Until the connection is open only the response head is read, and
         * never more than one byte past HEAD_MAX (enough for the parser to
         * say the head is too large): an endless header line or a million
         * headers cost HEAD_MAX bytes, whichever path waits for them. */
        size_t want = READ_CHUNK;
        if (!s->open) {
            if (s->rx.len > HEAD_MAX) return 0;
            if (want > HEAD_MAX + 1 - s->rx.len) want = HEAD_MAX + 1 - s->rx.len;
        }
        long n = net_read(&s->conn, s->rx.data + s->rx.len, want);
        if (n == NET_AGAIN) return 0;
        if (n == 0) {
            got_eof(s, NULL);
            break;
        }
        if (n < 0) {
            got_eof(s, s->conn.err);
            break;
        }
        s->rx.len += (size_t)n;
        if (s->open && !s->violation) parse_frames(s);
        if (s->violation) ws_buf_reset(&s->rx);
    }
    return 0;
}

/* Waits for input until `until` (ms) and reads it. 1 something happened,
 * 0 timed out. */
static int pump(run *s, int64_t until)
{
    if (s->eof) return 0;
    int r = net_wait(&s->conn, POLLIN, wait_until(s, until));
    if (r <= 0) return 0;
    read_some(s, until);
    return 1;
}

static void sleep_reading(run *s, int64_t ms)
{
    int64_t until = net_now_ms() + ms;
    if (until > s->deadline) until = s->deadline;
    while (net_now_ms() < until && !cut_passed(s)) {
        if (s->eof) {
            int64_t left = wait_until(s, until) - net_now_ms();
            if (left > 0) {
                struct timespec ts = {left / 1000, (left % 1000) * 1000000};
                nanosleep(&ts, NULL);
            }
            continue;
        }
        pump(s, until);
    }
}

/* ---- sending frames ---- */

static int remember_sent(run *s, const hs_sent *m)
{
    if (s->n_sent == s->cap_sent) {
        size_t cap = s->cap_sent ? s->cap_sent * 2 : 16;
        hs_sent *n = realloc(s->sent, cap * sizeof *n);
        if (!n) return -1;
        s->sent = n;
        s->cap_sent = cap;
    }
    s->sent[s->n_sent++] = *m;
    return 0;
}

/* The echo register: whole data messages as the server should see them. */
static void track_outgoing(run *s, uint8_t op, bool fin, const uint8_t *p, size_t n)
{
    if (op == WS_OP_TEXT || op == WS_OP_BINARY) {
        s->out_in_msg = true;
        memset(&s->out_cur, 0, sizeof s->out_cur);
        s->out_cur.op = op;
        s->out_cur.hash = HS_HASH_INIT;
    } else if (op != WS_OP_CONT || !s->out_in_msg) {
        return;
    }
    if (s->out_cur.len < HS_PREVIEW) {
        size_t k = HS_PREVIEW - s->out_cur.len < n ? HS_PREVIEW - (size_t)s->out_cur.len : n;
        if (k) memcpy(s->out_cur.preview + s->out_cur.len, p, k);
        s->out_cur.preview_len = (size_t)s->out_cur.len + k;
    }
    s->out_cur.hash = hs_hash(s->out_cur.hash, p, n);
    s->out_cur.len += n;
    if (fin) {
        s->out_in_msg = false;
        remember_sent(s, &s->out_cur);
    }
}

static int write_frame(run *s, const hs_send *f, ws_frame_spec *spec, const uint8_t *p, size_t n,
                       const uint8_t *shown, size_t shown_n, ws_buf *collect)
{
    if (spec->mask) {
        if (f->mask_mode == HS_MASK_KEY)
            memcpy(spec->mask_key, f->key, 4);
        else if (ws_mask_key_random(spec->mask_key) != 0)
            return -1;
    }
    size_t cap = n + WS_FRAME_HEADER_MAX;
    uint8_t *buf = malloc(cap);
    if (!buf) return -1;
    size_t len = ws_frame_write(buf, cap, spec, p, n);
    hs_wire_frame(&s->r->wire, '>', spec->fin, spec->rsv, spec->opcode, spec->mask,
                  spec->declare_len ? spec->declared_len : n, shown, shown_n);
    int rc;
    if (collect)
        rc = ws_buf_append(collect, buf, len);
    else
        rc = write_chopped(s, buf, len, f->chop, f->delay_ms);
    free(buf);
    return rc;
}

/* One send step (or an early frame, collected into `collect` instead of
 * written). 0, or -1 when the connection is gone or the case must stop. */
/* The payload with every "{i}" replaced by the repeat's iteration. */
static uint8_t *payload_with_i(const hs_payload *p, int64_t iter, size_t *len)
{
    size_t n;
    uint8_t *b = hs_payload_make(p, &n);
    if (!b) return NULL;
    char num[24];
    size_t k = (size_t)snprintf(num, sizeof num, "%lld", (long long)iter);
    size_t count = 0;
    for (size_t i = 0; i + 3 <= n; i++) count += !memcmp(b + i, "{i}", 3);
    uint8_t *out = malloc(n + count * k + 1);
    size_t o = 0;
    for (size_t i = 0; out && i < n;) {
        if (i + 3 <= n && !memcmp(b + i, "{i}", 3)) {
            memcpy(out + o, num, k);
            o += k;
            i += 3;
        } else {
            out[o++] = b[i++];
        }
    }
    free(b);
    *len = o;
    return out;
}

static int send_message(run *s, const hs_send *f, ws_buf *collect)
{
    size_t plain_n;
    uint8_t *plain = f->subst_i && s->iter >= 0 ? payload_with_i(&f->payload, s->iter, &plain_n)
                                                : hs_payload_make(&f->payload, &plain_n);
    if (!plain) {
        judge(s, HS_FAILED, "out of memory building a %llu-byte payload",
              (unsigned long long)hs_payload_size(&f->payload));
        return -1;
    }
    ws_buf z;
    ws_buf_init(&z, 0);
    const uint8_t *wire = plain;
    size_t wire_n = plain_n;
    int rc = 0;
    for (uint32_t rep = 0; rep < f->count && rc == 0; rep++) {
        if (f->compress) {
            if (!s->pmd) {
                judge(s, HS_UNIMPLEMENTED,
                      "the case compresses, but permessage-deflate was not negotiated");
                s->stop = true;
                rc = -1;
                break;
            }
            ws_buf_reset(&z);
            if (ws_pmd_compress(s->pmd, plain, plain_n, &z) != WS_PMD_OK) {
                judge(s, HS_FAILED, "cannot compress the payload");
                rc = -1;
                break;
            }
            wire = z.data ? z.data : (const uint8_t *)"";
            wire_n = z.len;
        }
        size_t piece = f->fragment ? (size_t)f->fragment : (wire_n ? wire_n : 1);
        size_t nframes = f->fragment && wire_n ? (wire_n + piece - 1) / piece : 1;
        for (size_t k = 0; k < nframes && rc == 0; k++) {
            size_t off = k * piece;
            size_t len = wire_n - off < piece ? wire_n - off : piece;
            ws_frame_spec spec;
            ws_frame_spec_default(&spec, k == 0 ? f->opcode : WS_OP_CONT,
                                  f->mask_mode != HS_MASK_NONE);
            spec.fin = k + 1 == nframes ? f->fin : false;
            uint8_t rsv = f->rsv_given ? f->rsv : (f->compress ? WS_RSV1 : 0);
            uint8_t cont =
                f->cont_rsv_given ? f->cont_rsv : (uint8_t)(f->compress ? rsv & ~WS_RSV1 : rsv);
            spec.rsv = k == 0 ? rsv : cont;
            spec.len_form = f->len_form;
            if (f->declare_len && nframes == 1) {
                spec.declare_len = true;
                spec.declared_len = f->declared_len;
            }
            /* The log shows what the frame means: uncompressed bytes. */
            const uint8_t *shown = f->compress ? plain : wire + off;
            size_t shown_n = f->compress ? plain_n : len;
            rc = write_frame(s, f, &spec, wire + off, len, shown, shown_n, collect);
        }
        track_outgoing(s, f->opcode, f->fin, plain, plain_n);
        if (f->opcode == WS_OP_CLOSE) s->close_sent = true;
        if (f->delay_ms && rep + 1 < f->count) sleep_reading(s, f->delay_ms);
    }
    ws_buf_free(&z);
    free(plain);
    return rc;
}

static int send_close(run *s, int code, const hs_payload *reason)
{
    size_t rn = 0;
    uint8_t *r = reason ? hs_payload_make(reason, &rn) : NULL;
    uint8_t p[125];
    size_t n = 0;
    if (code >= 0) {
        p[0] = (uint8_t)(code >> 8);
        p[1] = (uint8_t)code;
        n = 2;
        if (r && rn) {
            if (rn > 123) rn = 123;
            memcpy(p + 2, r, rn);
            n += rn;
        }
    }
    free(r);
    s->close_sent = true;
    s->close_sent_code = code >= 0 ? (uint16_t)code : 1005;
    return send_control(s, WS_OP_CLOSE, p, n);
}

/* ---- handshake ---- */

static bool offers_ext(const char *offered, const char *name)
{
    ws_ext e[8];
    size_t n = 0;
    if (ws_ext_parse(offered, strlen(offered), e, 8, &n) != 0) return false;
    for (size_t i = 0; i < n; i++)
        if (ws_ext_name_is(&e[i], name)) return true;
    return false;
}

/* A 101 is always checked: accept key, Upgrade/Connection, subprotocol and
 * extensions against what was offered. Sets s->open or s->hs_error. */
static void check_upgrade(run *s)
{
    ws_client_hs_opts o = {0};
    ws_client_hs_result res;
    o.subprotocols = s->req.subprotocols[0] ? s->req.subprotocols : NULL;
    ws_ext offers[8];
    size_t n_offers = 0;
    if (s->req.extensions[0])
        ws_ext_parse(s->req.extensions, strlen(s->req.extensions), offers, 8, &n_offers);
    int rc = -1;
    bool any_pmd = false;
    for (size_t i = 0; i < n_offers && rc != 0; i++) {
        const char *err;
        if (!ws_ext_name_is(&offers[i], "permessage-deflate")) continue;
        if (ws_pmd_from_ext(&offers[i], true, &o.deflate_offer, &err) != 0) continue;
        any_pmd = true;
        o.deflate = true;
        rc = ws_handshake_client_check(&s->head, s->req.key, &o, &res);
    }
    if (!any_pmd) {
        o.deflate = false;
        rc = ws_handshake_client_check(&s->head, s->req.key, &o, &res);
    }
    if (rc != 0) {
        char esc[280];
        hs_escape((const uint8_t *)res.error, strlen(res.error), esc, sizeof esc);
        snprintf(s->hs_error, sizeof s->hs_error, "handshake: %s", esc);
        return;
    }
    (void)offers_ext;
    s->open = true;
    ws_parser_opts po = {.peer = WS_PEER_SERVER, .max_frame = s->max_message, .max_message = 0};
    /* A message's size is counted as it arrives (message_bytes), so one over
     * max_message becomes an event; only a single frame over it, which could
     * not be held, is a parse error. */
    if (res.deflate) {
        /* Our own offer binds us even when the response leaves the hint out
         * (RFC 7692 §7.1.1.2, §7.1.2.2): no context takeover, window <= N. */
        ws_pmd_params agreed = res.pmd;
        if (o.deflate_offer.client_no_context_takeover) agreed.client_no_context_takeover = true;
        int offered_bits = o.deflate_offer.client_max_window_bits;
        if (offered_bits >= 8 &&
            (agreed.client_max_window_bits <= 0 || agreed.client_max_window_bits > offered_bits))
            agreed.client_max_window_bits = offered_bits;
        s->pmd = ws_pmd_new(false, &agreed, -1);
        if (!s->pmd) {
            snprintf(s->hs_error, sizeof s->hs_error, "out of memory for permessage-deflate");
            s->open = false;
            return;
        }
        po.rsv_allowed = WS_RSV1;
    }
    ws_parser_init(&s->parser, &po);
}

static void keep_response(run *s, long head_len)
{
    s->resp_copy = malloc((size_t)head_len + 1);
    if (!s->resp_copy) return;
    memcpy(s->resp_copy, s->rx.data, (size_t)head_len);
    s->resp_copy[head_len] = 0;
    s->head.headers = s->hdrs;
    s->head.max_headers = MAX_HEADERS;
    ws_http_parse_response(s->resp_copy, (size_t)head_len, &s->head, HEAD_MAX);
    hs_wire_response(&s->r->wire, s->resp_copy, (size_t)head_len);
    s->have_response = true;
    s->r->http_status = s->head.status;
    const ws_http_header *sv = ws_http_find(&s->head, "Server", 0);
    if (sv)
        hs_escape((const uint8_t *)sv->value, sv->value_len, s->r->server_agent,
                  sizeof s->r->server_agent);
    ws_buf_consume(&s->rx, (size_t)head_len);
}

/* Sends the request and waits for the response head until `until`. */
static void do_handshake(run *s, const hs_handshake *h, int64_t until)
{
    char err[200];
    if (hs_request_build(h, s->o, &s->req, err, sizeof err) != 0) {
        judge(s, HS_FAILED, "%s", err);
        s->stop = true;
        return;
    }
    hs_wire_request(&s->r->wire, s->req.bytes, s->req.len);
    ws_buf out;
    ws_buf_init(&out, 0);
    int rc = ws_buf_append(&out, s->req.bytes, s->req.len);
    for (size_t i = 0; h && i < h->n_early && rc == 0; i++)
        rc = send_message(s, &h->early[i], &out);
    if (rc == 0) rc = write_chopped(s, out.data, out.len, h ? h->chop : 0, h ? h->delay_ms : 0);
    ws_buf_free(&out);
    if (rc != 0 && !s->eof) {
        judge(s, HS_FAILED, "handshake: could not send the request");
        s->stop = true;
        return;
    }
    while (!s->have_response) {
        if (s->rx.len) {
            s->head.headers = s->hdrs;
            s->head.max_headers = MAX_HEADERS;
            long n =
                ws_http_parse_response((const char *)s->rx.data, s->rx.len, &s->head, HEAD_MAX);
            if (n > 0) {
                keep_response(s, n);
                break;
            }
            if (n != WS_HTTP_NEED_MORE) {
                char esc[64];
                hs_escape(s->rx.data, s->rx.len < 16 ? s->rx.len : 16, esc, sizeof esc);
                hs_wire_response(&s->r->wire, (const char *)s->rx.data, s->rx.len);
                snprintf(s->hs_error, sizeof s->hs_error, "handshake: bad response (%s): \"%s\"",
                         ws_http_strerror(n), esc);
                /* no response event will come: an expectation waiting for one
                 * would only spin on unread bytes until its deadline */
                s->stop = true;
                return;
            }
        }
        if (s->eof) {
            hs_event ev = {.kind = HS_EV_DROP, .t_ms = net_now_ms()};
            push_event(s, &ev);
            return;
        }
        if (net_now_ms() >= until || cut_passed(s)) return;
        pump(s, until);
    }
    if (s->head.status == 101) check_upgrade(s);
    s->r->upgraded = s->open;
    hs_event ev = {.kind = HS_EV_RESPONSE, .t_ms = net_now_ms(), .head = &s->head};
    push_event(s, &ev);
    if (s->open && s->rx.len) parse_frames(s); /* frames that came with the response */
}

/* ---- steps ---- */

static bool expects_response(const hs_step *st)
{
    if (!st || st->kind != HS_STEP_EXPECT) return false;
    for (size_t a = 0; a < st->expect.n_alts; a++)
        if (st->expect.alts[a].items[0].kind == HS_PAT_RESPONSE) return true;
    return false;
}

static int64_t step_until(run *s, const hs_expect *e)
{
    int64_t now = net_now_ms();
    int64_t w = e->within_ms ? e->within_ms : hs_expect_window(e);
    int64_t until = w >= 0 ? now + w : s->deadline;
    return until < s->deadline ? until : s->deadline;
}

/* Judges the events of one expect step, waited for from `start` until
 * `until` (the response expectation's wait began with the handshake). */
static void do_expect_from(run *s, const hs_expect *e, int64_t start, int64_t until)
{
    hs_match m;
    expected(s, e);
    if (hs_match_init(&m, e, s->sent + s->sent_head, s->n_sent - s->sent_head) != 0) {
        judge(s, HS_FAILED, "out of memory");
        s->stop = true;
        return;
    }
    m.start_ms = start;
    for (;;) {
        while (s->ev_head < s->n_ev && !m.decided) hs_match_feed(&m, &s->ev[s->ev_head++]);
        if (m.decided) break;
        if (s->violation || cut_passed(s)) break;
        if (s->eof) {
            hs_match_ended(&m);
            break;
        }
        if (net_now_ms() >= until) {
            hs_match_timeout(&m, net_now_ms() - start);
            break;
        }
        pump(s, until);
    }
    if (s->r->interrupted && !m.decided) {
        s->stop = true;
    } else if (s->violation && !m.decided) {
        judge(s, HS_FAILED, "%s", s->violation_msg);
        s->stop = true;
    } else {
        judge(s, m.verdict, "%s", m.reason);
        s->sent_head += m.echoes;
        if (m.stop || m.alt < 0) s->stop = true;
    }
    if (s->close_received || s->eof || (!s->open && s->have_response)) s->stop = true;
    hs_match_free(&m);
}

static void do_expect(run *s, const hs_expect *e)
{
    do_expect_from(s, e, net_now_ms(), step_until(s, e));
}

/* TCP half-close (after our close frame, for servers that wait for EOF).
 * Over TLS the close_notify goes first, as a TLS client's end of data. */
static void half_close(run *s)
{
    if (s->wr_shut) return;
    if (s->conn.ssl) SSL_shutdown(s->conn.ssl);
    if (shutdown(s->conn.fd, SHUT_WR) != 0)
        hs_wire_note(&s->r->wire, "shutdown(SHUT_WR) failed: %s", strerror(errno));
    else
        hs_wire_note(&s->r->wire, "we shut down our side for writing (FIN sent)");
    s->wr_shut = true;
}

static void run_steps(run *s, const hs_step *steps, size_t n);

static void run_step(run *s, const hs_step *st)
{
    switch (st->kind) {
    case HS_STEP_SEND:
        if (send_message(s, &st->send, NULL) != 0 && !s->eof && !s->stop) {
            judge(s, HS_FAILED, "could not send a frame before the deadline");
            s->stop = true;
        }
        break;
    case HS_STEP_RAW: {
        size_t n;
        uint8_t *p = hs_payload_make(&st->raw, &n);
        if (!p) {
            judge(s, HS_FAILED, "out of memory");
            s->stop = true;
            break;
        }
        hs_wire_bytes(&s->r->wire, '>', p, n);
        write_chopped(s, p, n, st->chop, st->delay_ms);
        free(p);
        break;
    }
    case HS_STEP_CLOSE:
        send_close(s, st->close_code, &st->raw);
        break;
    case HS_STEP_SLEEP:
        sleep_reading(s, st->sleep_ms);
        break;
    case HS_STEP_SHUTDOWN:
        half_close(s);
        break;
    case HS_STEP_EXPECT:
        do_expect(s, &st->expect);
        break;
    case HS_STEP_REPEAT: {
        int64_t outer = s->iter;
        for (uint32_t i = 0; i < st->repeat && !s->stop; i++) {
            s->iter = i;
            run_steps(s, st->steps, st->n_steps);
        }
        s->iter = outer;
        break;
    }
    case HS_STEP_HANDSHAKE:
        break; /* only as the first step; run_case handles it */
    }
}

static void run_steps(run *s, const hs_step *steps, size_t n)
{
    for (size_t i = 0; i < n && !s->stop && !s->violation; i++) {
        if (cut_passed(s)) break;
        if (net_now_ms() >= s->deadline) {
            judge(s, HS_FAILED, "timed out after %lld ms (the case's time limit)",
                  (long long)(s->deadline - s->t0));
            s->stop = true;
            break;
        }
        run_step(s, &steps[i]);
    }
}

/* ---- closing ---- */

static void close_verdict(run *s, int v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void close_verdict(run *s, int v, const char *fmt, ...)
{
    if (v < s->r->close_verdict || (s->r->close_reason[0] && v == s->r->close_verdict)) return;
    s->r->close_verdict = v;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->r->close_reason, sizeof s->r->close_reason, fmt, ap);
    va_end(ap);
}

static void closing_phase(run *s, int64_t close_ms)
{
    hs_result *r = s->r;
    if (!s->open) {
        close_verdict(s, HS_OK, "no WebSocket connection was opened");
        return;
    }
    /* Data messages nobody expected, while the conversation was still on. */
    if (!s->stop && !s->violation && !s->close_sent) {
        read_some(s, net_now_ms() + CUT_POLL_MS);
        for (size_t i = s->ev_head; i < s->n_ev; i++)
            if (s->ev[i].kind == HS_EV_MESSAGE || s->ev[i].kind == HS_EV_TOO_BIG) {
                char what[300];
                hs_describe_event(&s->ev[i], next_echo(s), what, sizeof what);
                judge(s, HS_FAILED, "unexpected %s after the last expectation", what);
                break;
            }
    }
    s->closing = true;
    bool we_initiated = false;
    if (!s->close_sent && !s->close_received && !s->eof && !s->wr_shut) {
        we_initiated = true;
        send_close(s, s->violation ? WS_CLOSE_PROTOCOL_ERROR : WS_CLOSE_NORMAL, NULL);
    }
    int64_t until = net_now_ms() + close_ms;
    while (!s->close_received && !s->eof && net_now_ms() < until && !cut_passed(s)) pump(s, until);
    if (s->late_messages)
        hs_wire_note(&r->wire, "%zu data messages arrived while closing", s->late_messages);
    if (!s->close_received) {
        if (s->eof)
            close_verdict(s, HS_NON_STRICT, "server closed TCP without a close frame");
        else
            close_verdict(s, HS_FAILED, "no close frame from the server within %lld ms",
                          (long long)close_ms);
    } else {
        uint16_t code = r->server_close_code < 0 ? 1005 : (uint16_t)r->server_close_code;
        bool listed = s->c->n_close_codes == 0;
        for (size_t i = 0; i < s->c->n_close_codes; i++) listed |= s->c->close_codes[i] == code;
        if (s->close_malformed)
            close_verdict(s, HS_FAILED, "malformed close frame from the server: %s",
                          s->close_problem);
        else if (!listed)
            close_verdict(s, HS_FAILED, "server closed with %u, not one of the expected codes",
                          code);
        else if (we_initiated && code != 1005 && code != s->close_sent_code && code != 1000)
            close_verdict(s, HS_NON_STRICT, "server answered our close %u with %u",
                          s->close_sent_code, code);
        until = net_now_ms() + close_ms;
        while (!s->eof && net_now_ms() < until && !cut_passed(s)) pump(s, until);
        if (s->frames_after_close)
            close_verdict(s, HS_FAILED, "server sent %zu frames after its close frame",
                          s->frames_after_close);
        if (!s->eof)
            close_verdict(s, HS_FAILED,
                          "server did not close TCP within %lld ms after the closing handshake",
                          (long long)close_ms);
    }
    if (!s->eof) r->tcp_closed_by = "client";
    if (!r->close_reason[0])
        snprintf(r->close_reason, sizeof r->close_reason,
                 "clean close (code %d), server closed TCP", r->server_close_code);
}

/* ---- the case ---- */

static double case_timeout(const hs_case *c, const hs_run_opts *o)
{
    double def = o->timeout_s > 0 ? o->timeout_s : HS_DEFAULT_TIMEOUT_S;
    if (c->timeout_s <= 0) return def;
    return c->timeout_s > (o->timeout_s > 0 ? o->timeout_s : 0) ? c->timeout_s : o->timeout_s;
}

void hs_run_case(const hs_case *c, const hs_run_opts *o, hs_result *r)
{
    run s;
    memset(&s, 0, sizeof s);
    memset(r, 0, sizeof *r);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    r->start_unix_ms = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
    r->server_close_code = -1;
    r->tcp_closed_by = "none";
    hs_wire_init(&r->wire, net_now_ns());
    s.c = c;
    s.o = o;
    s.iter = -1;
    s.r = r;
    s.max_message = c->max_message ? c->max_message : HS_DEFAULT_MAX_MESSAGE;
    int64_t t0 = net_now_ms();
    s.t0 = t0;
    s.deadline = t0 + (int64_t)(case_timeout(c, o) * 1000);
    int64_t close_ms =
        (int64_t)((c->close_timeout_s > 0 ? c->close_timeout_s : HS_DEFAULT_CLOSE_TIMEOUT_S) *
                  1000);
    ws_buf_init(&s.rx, (size_t)s.max_message + READ_CHUNK + HEAD_MAX);
    ws_buf_init(&s.inflated, INFLATE_OUT_MAX);

    if (net_dial(&s.conn, o->url->host, o->url->port, o->tls, s.deadline) != 0) {
        r->connect_failed = true;
        r->err_class = s.conn.err_class;
        judge(&s, HS_FAILED, "cannot connect: %s", s.conn.err);
        r->close_verdict = HS_OK;
        snprintf(r->close_reason, sizeof r->close_reason, "no connection");
    } else {
        int one = 1;
        setsockopt(s.conn.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        s.connected = true;
        const hs_step *steps = c->steps;
        size_t n = c->n_steps;
        const hs_handshake *h = NULL;
        if (n && steps[0].kind == HS_STEP_HANDSHAKE) {
            h = &steps[0].hs;
            steps++;
            n--;
        }
        bool judged_by_case = h && n && expects_response(&steps[0]);
        int64_t hs_start = net_now_ms();
        int64_t until = judged_by_case ? step_until(&s, &steps[0].expect) : s.deadline;
        do_handshake(&s, h, until);
        if (!s.stop && judged_by_case) {
            do_expect_from(&s, &steps[0].expect, hs_start, until);
            steps++;
            n--;
            if (!s.open) s.stop = true;
        } else if (!s.stop) {
            /* the default expectation: a valid upgrade */
            s.ev_head = s.n_ev; /* the response event is not for the steps */
            if (s.hs_error[0]) {
                judge(&s, HS_FAILED, "%s", s.hs_error);
            } else if (!s.have_response) {
                judge(&s, HS_FAILED, "handshake: %s",
                      s.eof ? "server closed the connection without a response"
                            : "no response before the deadline");
            } else if (!s.open) {
                judge(&s, HS_FAILED, "handshake: server answered %d, expected 101", s.head.status);
            }
            if (!s.open) s.stop = true;
        }
        if (s.hs_error[0]) {
            judge(&s, HS_FAILED, "%s", s.hs_error);
            s.stop = true;
        }
        run_steps(&s, steps, n);
        if (s.violation) judge(&s, HS_FAILED, "%s", s.violation_msg);
        if (!cut_passed(&s)) closing_phase(&s, close_ms);
        if (s.ev_dropped) hs_wire_note(&r->wire, "%zu events not kept (queue full)", s.ev_dropped);
        net_close(&s.conn);
    }
    r->verdict = s.worst;
    /* An informational case still says when the feature is missing. */
    if (c->informational && r->verdict != HS_FAILED && r->verdict != HS_UNIMPLEMENTED)
        r->verdict = HS_INFORMATIONAL;
    r->duration_ms = net_now_ms() - t0;
    ws_buf_free(&s.rx);
    ws_buf_free(&s.inflated);
    ws_pmd_free(s.pmd);
    free(s.ev);
    free(s.sent);
    free(s.resp_copy);
    hs_request_free(&s.req);
}

void hs_result_free(hs_result *r)
{
    for (size_t i = 0; i < r->n_observed; i++) free(r->observed[i]);
    for (size_t i = 0; i < r->n_expected; i++) free(r->expected[i]);
    hs_wire_free(&r->wire);
    memset(r, 0, sizeof *r);
}
