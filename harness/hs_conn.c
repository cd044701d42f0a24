/* hs_conn: connection I/O and frames read into events. */
#include "harness/hs_conn.h"

#include <errno.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "harness/hs_wire.h"
#include "ws/ws_close.h"
#include "ws/ws_mask.h"

/* Compressed input is inflated this many bytes at a time, so one call yields
 * at most ~1 MiB (DEFLATE expands at most 1032:1): a message past max_message
 * is counted and discarded without ever being held. */
#define INFLATE_SLICE 1024

static void got_eof(hs_session *s, const char *why);

/* Writes all of p before the deadline, reading meanwhile so a server that
 * echoes while we write cannot deadlock us. */
int hs_conn_write_all(hs_session *s, const uint8_t *p, size_t n)
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
            int r = net_wait(&s->conn, (short)(s->conn.want | POLLIN),
                             hs_sess_wait_until(s, s->deadline));
            if (r == 0 && hs_sess_cut_passed(s)) return -1;
            if (r == 0 && net_now_ms() < s->deadline) continue;
            if (r == 0) {
                hs_wire_note(&s->r->wire, "write blocked until the deadline (%zu of %zu bytes)",
                             off, n);
                return -1;
            }
            if (r < 0) return -1;
            if (hs_conn_read_some(s, s->deadline) < 0) return -1;
            /* checked on every turn: a server that keeps sending keeps poll
             * from ever timing out */
            if (hs_sess_cut_passed(s)) return -1;
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

int hs_conn_write_chopped(hs_session *s, const uint8_t *p, size_t n, uint32_t chop, uint32_t delay)
{
    if (chop == 0 || chop >= n) return hs_conn_write_all(s, p, n);
    for (size_t off = 0; off < n; off += chop) {
        size_t k = n - off < chop ? n - off : chop;
        if (hs_conn_write_all(s, p + off, k)) return -1;
        if (delay && off + k < n) hs_conn_sleep_reading(s, delay);
    }
    return 0;
}

static void message_bytes(hs_session *s, const uint8_t *p, size_t n)
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
        hs_sess_violation(
            s,
            "server sent a text message with invalid UTF-8 at byte %llu of the message "
            "(RFC 6455 §8.1)",
            (unsigned long long)s->utf8.error_at);
    if (s->msg_len > s->max_message && !s->violation) {
        /* An event, not a violation: an expectation may accept it
         * ({"too_big": true}); any other expectation fails on it. */
        s->msg_too_big = true;
        hs_event ev = {
            .kind = HS_EV_TOO_BIG, .t_ms = net_now_ms(), .op = s->msg_op, .len = s->msg_len};
        hs_sess_push_event(s, &ev);
    }
}

/* One frame of a compressed message, inflated a slice at a time. */
static void inflate_frame(hs_session *s, const uint8_t *payload, size_t n, bool fin)
{
    size_t off = 0;
    do {
        size_t k = n - off < INFLATE_SLICE ? n - off : INFLATE_SLICE;
        ws_buf_reset(&s->inflated);
        int rc = ws_pmd_decompress(s->pmd, payload + off, k, fin && off + k == n, &s->inflated);
        if (rc == WS_PMD_E_TOO_BIG) {
            hs_sess_violation(
                s, "server sent compressed data inflating past %u bytes per %d input bytes",
                HS_INFLATE_OUT_MAX, INFLATE_SLICE);
            return;
        }
        if (rc != WS_PMD_OK) {
            hs_sess_violation(s, "server sent a corrupt compressed message (RFC 7692 §7.2.2)");
            return;
        }
        message_bytes(s, s->inflated.data, s->inflated.len);
        off += k;
    } while (off < n && !s->violation);
}

static void data_frame(hs_session *s, const ws_frame *f, const uint8_t *payload)
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
        hs_sess_observe(s, what);
        return;
    }
    if (s->msg_op == WS_OP_TEXT && ws_utf8_finish(&s->utf8) != WS_UTF8_OK) {
        hs_sess_violation(
            s, "server sent a text message ending inside a UTF-8 sequence (RFC 6455 §8.1)");
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
    hs_sess_push_event(s, &ev);
}

int hs_conn_send_control(hs_session *s, uint8_t op, const uint8_t *payload, size_t n)
{
    uint8_t buf[WS_FRAME_HEADER_MAX + 125];
    ws_frame_spec spec;
    ws_frame_spec_default(&spec, op, true);
    if (ws_mask_key_random(spec.mask_key) != 0) return -1;
    if (n > 125) n = 125;
    size_t len = ws_frame_write(buf, sizeof buf, &spec, payload, n);
    hs_wire_frame(&s->r->wire, '>', true, 0, op, true, n, payload, n);
    return len ? hs_conn_write_all(s, buf, len) : -1;
}

/* Answers the latest ping. Not re-entered: writing reads, and pings read
 * meanwhile are answered by the next batch. */
static void answer_ping(hs_session *s)
{
    if (!s->pong_due || s->pong_writing) return;
    s->pong_due = false;
    if (s->close_sent || s->wr_shut) return;
    uint8_t p[sizeof s->pong_payload];
    size_t n = s->pong_len;
    memcpy(p, s->pong_payload, n);
    s->pong_writing = true;
    hs_conn_send_control(s, WS_OP_PONG, p, n);
    s->pong_writing = false;
}

static void close_frame(hs_session *s, const uint8_t *payload, size_t n)
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
    hs_sess_push_event(s, &ev);
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
    hs_conn_send_control(s, WS_OP_CLOSE, reply, rn);
}

static void handle_frame(hs_session *s, const ws_frame *f, const uint8_t *payload)
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
        hs_sess_push_event(s, &ev);
        return;
    }
    case WS_OP_CLOSE:
        close_frame(s, payload, n);
        return;
    default:
        data_frame(s, f, payload);
    }
}

void hs_conn_parse_frames(hs_session *s)
{
    size_t off = 0;
    while (!s->violation && off < s->rx.len) {
        ws_frame f;
        long rc = ws_parser_feed(&s->parser, s->rx.data + off, s->rx.len - off, &f);
        if (rc == WS_NEED_MORE) break;
        if (rc < 0) {
            hs_sess_violation(s, "server sent a bad frame: %s", ws_parse_strerror((int)rc));
            break;
        }
        handle_frame(s, &f, f.payload);
        off += (size_t)rc;
    }
    if (s->violation) off = s->rx.len; /* nothing after a broken frame can be trusted */
    ws_buf_consume(&s->rx, off);
    answer_ping(s); /* after the consume: writing may read into rx */
}

static void got_eof(hs_session *s, const char *why)
{
    if (s->eof) return;
    s->eof = true;
    hs_wire_note(&s->r->wire, "server closed TCP%s%s", why ? ": " : "", why ? why : "");
    if (s->r->tcp_closed_by[0] == 'n') s->r->tcp_closed_by = "server";
    /* Before the response, a drop is judged by do_handshake once the bytes
     * read with the EOF have been parsed. */
    if (!s->close_received && s->open) {
        hs_event ev = {.kind = HS_EV_DROP, .t_ms = net_now_ms()};
        hs_sess_push_event(s, &ev);
    }
}

/* Reads what is available without blocking, until `until` (ms): a server
 * that keeps sending is read once more only while time is left. -1 on a read
 * error (not EOF). */
int hs_conn_read_some(hs_session *s, int64_t until)
{
    for (int i = 0; i < 64 && !s->eof; i++) {
        if (i > 0 && (net_now_ms() >= until || hs_sess_cut_passed(s))) break;
        if (ws_buf_reserve(&s->rx, HS_READ_CHUNK) != 0) {
            hs_sess_violation(s, "server sent more than %zu bytes we could not parse", s->rx.limit);
            return -1;
        }
        /* Until the connection is open only the response head is read, and
         * never more than one byte past HS_HEAD_MAX (enough for the parser to
         * say the head is too large): an endless header line or a million
         * headers cost HS_HEAD_MAX bytes, whichever path waits for them. */
        size_t want = HS_READ_CHUNK;
        if (!s->open) {
            if (s->rx.len > HS_HEAD_MAX) return 0;
            if (want > HS_HEAD_MAX + 1 - s->rx.len) want = HS_HEAD_MAX + 1 - s->rx.len;
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
        if (s->open && !s->violation) hs_conn_parse_frames(s);
        if (s->violation) ws_buf_reset(&s->rx);
    }
    return 0;
}

/* Waits for input until `until` (ms) and reads it. 1 something happened,
 * 0 timed out. */
int hs_conn_pump(hs_session *s, int64_t until)
{
    if (s->eof) return 0;
    int r = net_wait(&s->conn, POLLIN, hs_sess_wait_until(s, until));
    if (r <= 0) return 0;
    hs_conn_read_some(s, until);
    return 1;
}

void hs_conn_sleep_reading(hs_session *s, int64_t ms)
{
    int64_t until = net_now_ms() + ms;
    if (until > s->deadline) until = s->deadline;
    while (net_now_ms() < until && !hs_sess_cut_passed(s)) {
        if (s->eof) {
            int64_t left = hs_sess_wait_until(s, until) - net_now_ms();
            if (left > 0) {
                struct timespec ts = {left / 1000, (left % 1000) * 1000000};
                nanosleep(&ts, NULL);
            }
            continue;
        }
        hs_conn_pump(s, until);
    }
}

/* TCP half-close (after our close frame, for servers that wait for EOF).
 * Over TLS the close_notify goes first, as a TLS client's end of data. */
void hs_conn_half_close(hs_session *s)
{
    if (s->wr_shut) return;
    if (s->conn.ssl) SSL_shutdown(s->conn.ssl);
    if (shutdown(s->conn.fd, SHUT_WR) != 0)
        hs_wire_note(&s->r->wire, "shutdown(SHUT_WR) failed: %s", strerror(errno));
    else
        hs_wire_note(&s->r->wire, "we shut down our side for writing (FIN sent)");
    s->wr_shut = true;
}
