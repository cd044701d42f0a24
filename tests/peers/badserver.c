/* badserver: a WebSocket echo server on 127.0.0.1 that is correct by default
 * and misbehaves on purpose, one planted bug per --bug flag, so the tests can
 * prove that `wsprobe check` (and `wsprobe load`) notice each one.
 *
 *   badserver --port P [--bug NAME]... [--every N] [--after N] [--conn-seconds S]
 *   badserver --list          the bugs, one per line, with what each does
 *
 * Without --bug it is a plain RFC 6455 echo server: handshake through ws/,
 * UTF-8 fail-fast, close codes checked, permessage-deflate when offered, the
 * server closes TCP first. Each bug switches off one rule or adds one hostile
 * behaviour; the table `bugs` below is the list.
 *
 * One thread per connection, blocking sockets with short timeouts: every loop
 * also checks a per-connection deadline (default 60 s) and the SIGTERM flag,
 * and every byte-producing loop has a byte or count cap, so no misbehaviour
 * runs without bound. Frames are decoded here, leniently, because the point is
 * to accept what ws_parser would refuse; the rules are then applied one by one
 * in check_frame, each skipped by its bug. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>

#include "net/net.h"
#include "ws/ws_buf.h"
#include "ws/ws_close.h"
#include "ws/ws_deflate.h"
#include "ws/ws_ext.h"
#include "ws/ws_frame.h"
#include "ws/ws_handshake.h"
#include "ws/ws_http.h"
#include "ws/ws_mask.h"
#include "ws/ws_utf8.h"

/* ---- the bugs ------------------------------------------------------------ */

enum bug {
    /* opening handshake */
    BUG_WRONG_ACCEPT,
    BUG_SELECT_UNOFFERED_SUBPROTOCOL,
    BUG_ACCEPT_VERSION_8,
    BUG_ACCEPT_UNKNOWN_EXTENSION,
    /* framing, control frames, close */
    BUG_ACCEPT_UNMASKED,
    BUG_IGNORE_RSV,
    BUG_NO_UTF8,
    BUG_UTF8_AT_END,
    BUG_DROP_ON_ERROR,
    BUG_ACCEPT_BAD_CLOSE_CODES,
    BUG_NO_PONG,
    BUG_TRUNCATE_LEN16,
    BUG_ACCEPT_FRAGMENTED_CONTROL,
    BUG_ACCEPT_RESERVED_OPCODE,
    BUG_CONT_WITHOUT_START,
    BUG_PONG_WRONG_PAYLOAD,
    BUG_NO_CLOSE_REPLY,
    BUG_NO_TCP_CLOSE,
    BUG_PING_TOO_LONG_ACCEPTED,
    /* permessage-deflate */
    BUG_DEFLATE_IGNORE_NO_CONTEXT_TAKEOVER,
    BUG_DEFLATE_RESET_CLIENT_CONTEXT,
    BUG_DEFLATE_ACCEPT_RSV1_CONTROL,
    BUG_DEFLATE_ACCEPT_BAD_WINDOW,
    BUG_DEFLATE_COMPRESS_AFTER_DECLINE,
    BUG_DEFLATE_IGNORE_SERVER_WINDOW,
    /* hostile */
    BUG_SILENT,
    BUG_SLOWLORIS,
    BUG_ENDLESS_HEADER,
    BUG_MILLION_HEADERS,
    BUG_STATUS_200,
    BUG_LEN63,
    BUG_LEN64_MSB,
    BUG_ENDLESS_CONTINUATION,
    BUG_DEFLATE_BOMB,
    BUG_RST_MID_FRAME,
    BUG_DROP_NO_CLOSE,
    BUG_CLOSE_THEN_DATA,
    BUG_PING_FLOOD,
    /* faults for the load generator */
    BUG_DROP,
    BUG_DUP,
    BUG_REORDER,
    BUG_CORRUPT,
    BUG_STATUS_403,
    BUG_CLOSE_1011_AFTER,
    BUG_STALL,
    BUG_COUNT
};

static const struct {
    enum bug bug;
    const char *name;
    const char *what;
} bugs[] = {
    {BUG_WRONG_ACCEPT, "wrong-accept", "Sec-WebSocket-Accept has one wrong character"},
    {BUG_SELECT_UNOFFERED_SUBPROTOCOL, "select-unoffered-subprotocol",
     "101 selects subprotocol wsprobe-not-offered on every connection"},
    {BUG_ACCEPT_VERSION_8, "accept-version-8",
     "any Sec-WebSocket-Version (8, 14, ...) gets 101 instead of 426"},
    {BUG_ACCEPT_UNKNOWN_EXTENSION, "accept-unknown-extension",
     "an offered extension other than permessage-deflate is echoed as accepted"},
    {BUG_ACCEPT_UNMASKED, "accept-unmasked", "unmasked client frames are echoed"},
    {BUG_IGNORE_RSV, "ignore-rsv", "frames with RSV bits set are treated as if they were clear"},
    {BUG_NO_UTF8, "no-utf8", "text messages are not checked for UTF-8 (no 1007)"},
    {BUG_UTF8_AT_END, "utf8-at-end",
     "text is checked for UTF-8 only when the message ends (then 1007), not as it arrives"},
    {BUG_DROP_ON_ERROR, "drop-on-error",
     "a connection failed for a protocol error is closed (TCP) without a close frame"},
    {BUG_ACCEPT_BAD_CLOSE_CODES, "accept-bad-close-codes",
     "a close with an invalid code is answered with the same code, not 1002"},
    {BUG_NO_PONG, "no-pong", "pings are never answered"},
    {BUG_TRUNCATE_LEN16, "truncate-len16",
     "echoes of 126..65535 bytes (16-bit length) are cut to length mod 256"},
    {BUG_ACCEPT_FRAGMENTED_CONTROL, "accept-fragmented-control",
     "a control frame with FIN clear is handled as a whole one"},
    {BUG_ACCEPT_RESERVED_OPCODE, "accept-reserved-opcode",
     "frames with opcodes 3-7 and B-F are ignored instead of failing"},
    {BUG_CONT_WITHOUT_START, "cont-without-start",
     "a continuation frame with no message started is ignored"},
    {BUG_PONG_WRONG_PAYLOAD, "pong-wrong-payload", "pongs carry a payload other than the ping's"},
    {BUG_NO_CLOSE_REPLY, "no-close-reply", "close frames are never answered"},
    {BUG_NO_TCP_CLOSE, "no-tcp-close",
     "a close is answered, but TCP stays open until the client closes it"},
    {BUG_PING_TOO_LONG_ACCEPTED, "ping-too-long-accepted",
     "pings over 125 bytes are answered with a pong"},
    {BUG_DEFLATE_IGNORE_NO_CONTEXT_TAKEOVER, "deflate-ignore-no-context-takeover",
     "agrees to server_no_context_takeover but keeps its compression context"},
    {BUG_DEFLATE_RESET_CLIENT_CONTEXT, "deflate-reset-client-context",
     "inflates each message afresh although the client keeps its context"},
    {BUG_DEFLATE_ACCEPT_RSV1_CONTROL, "deflate-accept-rsv1-control",
     "with deflate agreed, control frames with RSV1 are accepted"},
    {BUG_DEFLATE_ACCEPT_BAD_WINDOW, "deflate-accept-bad-window",
     "an offer with max_window_bits outside 8..15 is accepted, value echoed"},
    {BUG_DEFLATE_COMPRESS_AFTER_DECLINE, "deflate-compress-after-decline",
     "declines permessage-deflate, then sends compressed (RSV1) messages"},
    {BUG_DEFLATE_IGNORE_SERVER_WINDOW, "deflate-ignore-server-window",
     "agrees to server_max_window_bits but deflates with a 15-bit window"},
    {BUG_SILENT, "silent", "accepts TCP and never answers"},
    {BUG_SLOWLORIS, "slowloris", "writes the 101 response one byte per second"},
    {BUG_ENDLESS_HEADER, "endless-header", "a response header line that never ends (256 MiB cap)"},
    {BUG_MILLION_HEADERS, "million-headers", "a 101 response with 1,000,000 header lines"},
    {BUG_STATUS_200, "status-200", "answers the upgrade with 200 OK"},
    {BUG_LEN63, "len63", "at the first frame: a frame declaring 2^63-1 bytes (64 MiB sent)"},
    {BUG_LEN64_MSB, "len64-msb", "at the first frame: a frame declaring 2^64-1 bytes"},
    {BUG_ENDLESS_CONTINUATION, "endless-continuation",
     "at the first frame: text FIN=0, then continuations (256 MiB cap)"},
    {BUG_DEFLATE_BOMB, "deflate-bomb",
     "at the first frame: a ~1 MiB compressed message inflating to 1 GiB + 1 MiB"},
    {BUG_RST_MID_FRAME, "rst-mid-frame", "at the first frame: half a frame, then RST"},
    {BUG_DROP_NO_CLOSE, "drop-no-close", "at the first frame: closes TCP, no close frame"},
    {BUG_CLOSE_THEN_DATA, "close-then-data",
     "at the first frame: a close 1000, then text frames (10000 cap)"},
    {BUG_PING_FLOOD, "ping-flood", "at the first frame: pings in a tight loop (1,000,000 cap)"},
    {BUG_DROP, "drop-1-in-N", "every Nth message (--every, all connections) is not echoed"},
    {BUG_DUP, "dup-1-in-N", "every Nth message is echoed twice"},
    {BUG_REORDER, "reorder-1-in-N", "every Nth message is echoed after the next one"},
    {BUG_CORRUPT, "corrupt-1-in-N", "every Nth echo has its last byte's low bit flipped"},
    {BUG_STATUS_403, "status-403", "answers the upgrade with 403 Forbidden"},
    {BUG_CLOSE_1011_AFTER, "close-1011-after",
     "after --after N echoes on a connection, the next message gets close 1011"},
    {BUG_STALL, "stall", "the --after Nth message (all connections) waits 1 s, once"},
};

static bool g_bug[BUG_COUNT];
static long g_every = 10, g_after = 5;
static int64_t g_conn_ms = 60000;
static volatile sig_atomic_t g_stop;
static atomic_long g_messages; /* data messages over all connections */
static atomic_bool g_stalled;
static atomic_int g_active; /* connection threads running */

static bool bug(enum bug b)
{
    return g_bug[b];
}

/* ---- limits -------------------------------------------------------------- */

#define MAX_HEAD        16384          /* request head; over it: 431 */
#define MAX_FRAME       (32u << 20)    /* one frame's payload; over it: 1009 */
#define MAX_MESSAGE     (64u << 20)    /* a reassembled (inflated) message */
#define HOSTILE_BYTES   (256ull << 20) /* cap on any endless stream we write */
#define SOCK_TIMEOUT_MS 200            /* how often blocked I/O looks at the clock */
#define DRAIN_MS        2000           /* how long we wait for the client's EOF */
#define MAX_CONNS       512

/* ---- one connection ------------------------------------------------------ */

typedef struct frame {
    bool fin;
    uint8_t rsv, op;
    bool masked;
    uint8_t key[4];
    size_t hlen;
    uint64_t len;
    uint8_t *payload; /* into conn.in, unmasked once read_frame returns */
} frame;

typedef struct conn {
    int fd;
    int64_t deadline; /* net_now_ms() after which every loop gives up */
    ws_buf in;        /* bytes read and not consumed yet */
    bool frames_seen;
    /* the data message being received */
    bool in_message;
    uint8_t msg_op;
    bool msg_compressed;
    ws_buf msg;
    ws_utf8 utf8;
    /* permessage-deflate: `deflate` says RSV1 is agreed; the two codecs are
     * separate objects so a bug can give one direction wrong parameters. */
    bool deflate;
    ws_pmd *inflater;
    ws_pmd *deflater; /* also set when compress-after-decline lies */
    /* faults */
    long echoed;
    uint8_t *held; /* reorder: the message held back */
    size_t held_len;
    uint8_t held_op;
} conn;

/* What a frame handler tells the loop: go on, stop (connection finished), or
 * a positive close code to fail the connection with. */
enum { GO_ON = 0, DONE = -1 };

static bool alive(const conn *c)
{
    return !g_stop && net_now_ms() < c->deadline;
}

static void sleep_ms(const conn *c, int64_t ms)
{
    int64_t end = net_now_ms() + ms;
    while (alive(c) && net_now_ms() < end) usleep(20000);
}

/* ---- socket I/O ---------------------------------------------------------- */

/* > 0 bytes, 0 EOF, -1 error or deadline. */
static long conn_read(conn *c, void *buf, size_t n)
{
    while (alive(c)) {
        ssize_t r = recv(c->fd, buf, n, 0);
        if (r >= 0) return r;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1;
    }
    return -1;
}

static int conn_write(conn *c, const void *p, size_t n, int flags)
{
    const uint8_t *s = p;
    while (n > 0) {
        if (!alive(c)) return -1;
        ssize_t r = send(c->fd, s, n, MSG_NOSIGNAL | flags);
        if (r < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
            return -1;
        }
        s += r;
        n -= (size_t)r;
    }
    return 0;
}

static int conn_puts(conn *c, const char *s)
{
    return conn_write(c, s, strlen(s), 0);
}

/* Appends what the socket has to c->in. 1, 0 on EOF, -1 on error. */
static int conn_fill(conn *c)
{
    size_t room = c->in.limit - c->in.len;
    if (room == 0) return -1;
    if (ws_buf_reserve(&c->in, room < 65536 ? room : 65536) != 0) return -1;
    long r = conn_read(c, c->in.data + c->in.len, c->in.cap - c->in.len);
    if (r > 0) c->in.len += (size_t)r;
    return r > 0 ? 1 : (int)r;
}

/* Reads and discards until the client closes, the deadline, or ms pass. */
static void drain(conn *c, int64_t ms)
{
    int64_t end = ms ? net_now_ms() + ms : c->deadline;
    uint8_t junk[16384];
    while (alive(c) && net_now_ms() < end) {
        ssize_t r = recv(c->fd, junk, sizeof junk, 0);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return;
    }
}

/* The server closes TCP first (RFC 6455 §7.1.1): FIN, then wait for the
 * client's, so unread bytes do not turn our close into a reset. */
static void end_gracefully(conn *c)
{
    shutdown(c->fd, SHUT_WR);
    drain(c, DRAIN_MS);
}

static void reset_connection(conn *c)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

/* ---- writing frames ------------------------------------------------------ */

static int send_frame(conn *c, uint8_t op, bool fin, uint8_t rsv, const uint8_t *p, size_t n)
{
    uint8_t hdr[WS_FRAME_HEADER_MAX];
    ws_frame_spec s;
    ws_frame_spec_default(&s, op, false);
    s.fin = fin;
    s.rsv = rsv;
    size_t hl = ws_frame_write_header(hdr, &s, n);
    if (conn_write(c, hdr, hl, n ? MSG_MORE : 0) != 0) return -1;
    return conn_write(c, p, n, 0);
}

static int send_close(conn *c, uint16_t code)
{
    uint8_t p[125];
    size_t n = ws_close_build(p, code, NULL, 0);
    return send_frame(c, WS_OP_CLOSE, true, 0, p, n);
}

/* A data message, compressed when the connection (or a lying bug) says so. */
static int send_message(conn *c, uint8_t op, const uint8_t *p, size_t n)
{
    if (!c->deflater) return send_frame(c, op, true, 0, p, n);
    ws_buf z;
    ws_buf_init(&z, 0);
    int rc = ws_pmd_compress(c->deflater, p, n, &z);
    if (rc == WS_PMD_OK) rc = send_frame(c, op, true, WS_RSV1, z.data, z.len);
    ws_buf_free(&z);
    return rc == 0 ? 0 : -1;
}

/* ---- the opening handshake ----------------------------------------------- */

enum hs_result { HS_OPEN, HS_END, HS_ABORT };

static const char *header_value(const ws_http_head *h, const char *name, char *out, size_t cap)
{
    const ws_http_header *x = ws_http_find(h, name, 0);
    if (!x || x->value_len >= cap) return NULL;
    memcpy(out, x->value, x->value_len);
    out[x->value_len] = 0;
    return out;
}

/* The 101 we write ourselves, so the handshake bugs can bend each line. */
static size_t build_101(char *out, size_t cap, const char *key, const char *subprotocol,
                        const char *extensions)
{
    char accept[WS_ACCEPT_LEN + 1];
    ws_handshake_accept(key, strlen(key), accept);
    if (bug(BUG_WRONG_ACCEPT)) accept[0] = accept[0] == 'A' ? 'B' : 'A';
    int n = snprintf(out, cap,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n",
                     accept);
    if (subprotocol && *subprotocol)
        n += snprintf(out + n, cap - (size_t)n, "Sec-WebSocket-Protocol: %s\r\n", subprotocol);
    if (extensions && *extensions)
        n += snprintf(out + n, cap - (size_t)n, "Sec-WebSocket-Extensions: %s\r\n", extensions);
    n += snprintf(out + n, cap - (size_t)n, "\r\n");
    return (size_t)n < cap ? (size_t)n : 0;
}

/* accept-unknown-extension: the first extension header that offers anything
 * but permessage-deflate, verbatim. */
static bool unknown_extension_offer(const ws_http_head *h, char *out, size_t cap)
{
    const ws_http_header *x;
    for (size_t i = 0; (x = ws_http_find(h, "Sec-WebSocket-Extensions", i)) != NULL; i++) {
        ws_ext ext[8];
        size_t n = 0;
        if (ws_ext_parse(x->value, x->value_len, ext, 8, &n) != 0) continue;
        for (size_t k = 0; k < n; k++) {
            if (ws_ext_name_is(&ext[k], "permessage-deflate") || x->value_len >= cap) continue;
            memcpy(out, x->value, x->value_len);
            out[x->value_len] = 0;
            return true;
        }
    }
    return false;
}

/* deflate-accept-bad-window: a permessage-deflate offer whose
 * server_max_window_bits or client_max_window_bits is outside 8..15 becomes
 * the answer, with the bad value in it. */
static bool bad_window_offer(const ws_http_head *h, char *out, size_t cap)
{
    const ws_http_header *x;
    for (size_t i = 0; (x = ws_http_find(h, "Sec-WebSocket-Extensions", i)) != NULL; i++) {
        ws_ext ext[8];
        size_t n = 0;
        if (ws_ext_parse(x->value, x->value_len, ext, 8, &n) != 0) continue;
        for (size_t k = 0; k < n; k++) {
            if (!ws_ext_name_is(&ext[k], "permessage-deflate")) continue;
            for (size_t j = 0; j < ext[k].n_params; j++) {
                const ws_ext_param *p = &ext[k].params[j];
                if (!p->value || (!ws_ext_param_is(p, "server_max_window_bits") &&
                                  !ws_ext_param_is(p, "client_max_window_bits")))
                    continue;
                long v = strtol(p->value, NULL, 10);
                if (v >= 8 && v <= 15) continue;
                snprintf(out, cap, "permessage-deflate; %.*s=%.*s", (int)p->name_len, p->name,
                         (int)p->value_len, p->value);
                return true;
            }
        }
    }
    return false;
}

/* Reads the request head into c->in. Its length, 0 on EOF/timeout, or the
 * HTTP status to refuse it with. */
static long read_request(conn *c, ws_http_head *h)
{
    for (;;) {
        long hl = ws_http_parse_request((const char *)c->in.data, c->in.len, h, MAX_HEAD);
        if (hl > 0) return hl;
        if (hl == WS_HTTP_E_TOO_LARGE || hl == WS_HTTP_E_TOO_MANY_HEADERS) return -431;
        if (hl != WS_HTTP_NEED_MORE) return -400;
        if (conn_fill(c) <= 0) return 0;
    }
}

static enum hs_result refuse(conn *c, int status, const char *reason)
{
    char resp[256];
    snprintf(resp, sizeof resp,
             "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
             "Connection: close\r\n\r\n%s\n",
             status, reason, strlen(reason) + 1, reason);
    conn_puts(c, resp);
    return HS_END;
}

static enum hs_result write_slowly(conn *c, const char *resp, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (conn_write(c, resp + i, 1, 0) != 0) return HS_ABORT;
        sleep_ms(c, 1000);
        if (!alive(c)) return HS_ABORT;
    }
    return HS_OPEN;
}

static enum hs_result endless_header(conn *c)
{
    char chunk[16384];
    memset(chunk, 'a', sizeof chunk);
    conn_puts(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nX-Endless: ");
    for (uint64_t sent = 0; sent < HOSTILE_BYTES; sent += sizeof chunk)
        if (conn_write(c, chunk, sizeof chunk, 0) != 0) break;
    return HS_ABORT;
}

static enum hs_result million_headers(conn *c, const char *key)
{
    char accept[WS_ACCEPT_LEN + 1], chunk[32768];
    ws_handshake_accept(key, strlen(key), accept);
    snprintf(chunk, sizeof chunk,
             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n",
             accept);
    if (conn_puts(c, chunk) != 0) return HS_ABORT;
    for (long line = 0; line < 1000000;) {
        size_t n = 0;
        for (int k = 0; k < 1000; k++, line++)
            n += (size_t)snprintf(chunk + n, sizeof chunk - n, "X-Filler-%07ld: x\r\n", line);
        if (conn_write(c, chunk, n, 0) != 0) return HS_ABORT;
    }
    conn_puts(c, "\r\n");
    return HS_END;
}

/* Sets up the deflate codecs for the agreed parameters (and the bugs' lies). */
static int setup_deflate(conn *c, const ws_pmd_params *agreed)
{
    ws_pmd_params in = *agreed, out = *agreed;
    if (bug(BUG_DEFLATE_IGNORE_NO_CONTEXT_TAKEOVER)) out.server_no_context_takeover = false;
    if (bug(BUG_DEFLATE_RESET_CLIENT_CONTEXT)) in.client_no_context_takeover = true;
    if (bug(BUG_DEFLATE_IGNORE_SERVER_WINDOW)) out.server_max_window_bits = 15;
    c->inflater = ws_pmd_new(true, &in, -1);
    c->deflater = ws_pmd_new(true, &out, -1);
    return c->inflater && c->deflater ? 0 : -1;
}

static enum hs_result handshake(conn *c)
{
    ws_http_header hdrs[64];
    ws_http_head h = {.headers = hdrs, .max_headers = 64};
    long hl = read_request(c, &h);
    if (hl == 0) return HS_ABORT;
    if (hl < 0)
        return refuse(c, (int)-hl, hl == -431 ? "Request Header Fields Too Large" : "Bad Request");
    if (bug(BUG_SILENT)) {
        drain(c, 0);
        return HS_ABORT;
    }
    if (bug(BUG_STATUS_200)) return refuse(c, 200, "OK");
    if (bug(BUG_STATUS_403)) return refuse(c, 403, "Forbidden");
    if (bug(BUG_ENDLESS_HEADER)) return endless_header(c);

    if (bug(BUG_ACCEPT_VERSION_8))
        for (size_t i = 0; i < h.num_headers; i++)
            if (h.headers[i].name_len == 21 &&
                !strncasecmp(h.headers[i].name, "Sec-WebSocket-Version", 21)) {
                h.headers[i].value = "13";
                h.headers[i].value_len = 2;
            }

    ws_server_hs_opts o = {.deflate = !bug(BUG_DEFLATE_COMPRESS_AFTER_DECLINE)};
    ws_server_hs_result r;
    char resp[4096];
    size_t n = ws_handshake_server_respond(&h, &o, resp, sizeof resp, &r);
    if (r.status != 101) {
        conn_write(c, resp, n, 0);
        return HS_END;
    }
    char key[128];
    if (!header_value(&h, "Sec-WebSocket-Key", key, sizeof key)) return refuse(c, 400, "Bad key");
    if (bug(BUG_MILLION_HEADERS)) return million_headers(c, key);

    char ext[512] = "";
    if (r.deflate) ws_pmd_format(ext, sizeof ext, &r.pmd);
    ws_pmd_params none = {0};
    if (bug(BUG_DEFLATE_ACCEPT_BAD_WINDOW) && bad_window_offer(&h, ext, sizeof ext)) {
        r.deflate = true;
        r.pmd = none;
    }
    if (bug(BUG_ACCEPT_UNKNOWN_EXTENSION) && !*ext) unknown_extension_offer(&h, ext, sizeof ext);
    const char *proto = bug(BUG_SELECT_UNOFFERED_SUBPROTOCOL) ? "wsprobe-not-offered" : NULL;

    n = build_101(resp, sizeof resp, key, proto, ext);
    ws_buf_consume(&c->in, (size_t)hl); /* frames sent with the request stay */
    if (r.deflate) {
        c->deflate = true;
        if (setup_deflate(c, &r.pmd) != 0) return HS_ABORT;
    } else if (bug(BUG_DEFLATE_COMPRESS_AFTER_DECLINE)) {
        c->deflater = ws_pmd_new(true, &none, -1);
    }
    if (bug(BUG_SLOWLORIS)) return write_slowly(c, resp, n);
    return conn_write(c, resp, n, 0) == 0 ? HS_OPEN : HS_ABORT;
}

/* ---- reading frames ------------------------------------------------------ */

/* Header of a frame at p[0..n): its length, or 0 if more bytes are needed.
 * No rule is checked here; that is check_frame's job. */
static size_t decode_header(const uint8_t *p, size_t n, frame *f)
{
    if (n < 2) return 0;
    f->fin = p[0] & 0x80;
    f->rsv = (p[0] >> 4) & 7;
    f->op = p[0] & 0x0F;
    f->masked = p[1] & 0x80;
    uint64_t len = p[1] & 0x7F;
    size_t h = 2;
    if (len == 126) {
        if (n < 4) return 0;
        len = (uint64_t)p[2] << 8 | p[3];
        h = 4;
    } else if (len == 127) {
        if (n < 10) return 0;
        len = 0;
        for (int i = 0; i < 8; i++) len = len << 8 | p[2 + i];
        h = 10;
    }
    if (f->masked) {
        if (n < h + 4) return 0;
        memcpy(f->key, p + h, 4);
        h += 4;
    }
    f->hlen = h;
    f->len = len;
    return h;
}

/* RFC 6455 §5 and RFC 7692 §6 rules, each one skipped by its bug. 0 or an
 * enum ws_parse_status. */
static int check_frame(const conn *c, const frame *f)
{
    bool control = ws_opcode_is_control(f->op);
    if (!f->masked && !bug(BUG_ACCEPT_UNMASKED)) return WS_E_MASK_REQUIRED;
    if (f->len >> 63) return WS_E_LEN_MSB;
    if (ws_opcode_is_reserved(f->op) && !bug(BUG_ACCEPT_RESERVED_OPCODE)) return WS_E_OPCODE;

    uint8_t allowed = bug(BUG_IGNORE_RSV) ? 7 : 0;
    if (c->deflate && (f->op == WS_OP_TEXT || f->op == WS_OP_BINARY)) allowed |= WS_RSV1;
    if (c->deflate && control && bug(BUG_DEFLATE_ACCEPT_RSV1_CONTROL)) allowed |= WS_RSV1;
    if (f->rsv & ~allowed) return c->deflate && (f->rsv & WS_RSV1) ? WS_E_RSV1_NOT_FIRST : WS_E_RSV;

    if (control) {
        if (!f->fin && !bug(BUG_ACCEPT_FRAGMENTED_CONTROL)) return WS_E_CONTROL_FRAGMENTED;
        bool long_ping_ok = f->op == WS_OP_PING && bug(BUG_PING_TOO_LONG_ACCEPTED);
        if (f->len > 125 && !long_ping_ok) return WS_E_CONTROL_TOO_LONG;
        return 0;
    }
    if (f->op == WS_OP_CONT && !c->in_message && !bug(BUG_CONT_WITHOUT_START))
        return WS_E_CONT_NO_MESSAGE;
    if (f->op != WS_OP_CONT && !ws_opcode_is_reserved(f->op) && c->in_message)
        return WS_E_DATA_IN_MESSAGE;
    if (f->len > MAX_FRAME) return WS_E_FRAME_TOO_BIG;
    return 0;
}

/* Is this frame's payload plain text to validate as it arrives (fail-fast)? */
static bool validate_as_it_arrives(const conn *c, const frame *f)
{
    if (bug(BUG_NO_UTF8) || bug(BUG_UTF8_AT_END)) return false;
    if (f->op == WS_OP_TEXT) return !(c->deflate && (f->rsv & WS_RSV1));
    return f->op == WS_OP_CONT && c->in_message && c->msg_op == WS_OP_TEXT && !c->msg_compressed;
}

/* One whole frame into *f, payload unmasked in place. 1, 0 when the
 * connection ended (EOF, error, deadline), -1 with *code to fail with. */
static int read_frame(conn *c, frame *f, int *code)
{
    while (decode_header(c->in.data, c->in.len, f) == 0)
        if (conn_fill(c) <= 0) return 0;
    int rule = check_frame(c, f);
    if (rule != 0) {
        *code = ws_parse_close_code(rule);
        return -1;
    }
    if (f->op == WS_OP_TEXT || f->op == WS_OP_BINARY) ws_utf8_init(&c->utf8);
    bool validate = validate_as_it_arrives(c, f);
    size_t len = (size_t)f->len, done = 0;
    for (;;) {
        size_t have = c->in.len - f->hlen;
        if (have > len) have = len;
        uint8_t *p = c->in.data + f->hlen;
        if (f->masked) ws_mask_apply(p + done, have - done, f->key, done);
        if (validate && ws_utf8_feed(&c->utf8, p + done, have - done) == WS_UTF8_INVALID) {
            *code = WS_CLOSE_INVALID_DATA;
            return -1;
        }
        done = have;
        if (done == len) break;
        if (conn_fill(c) <= 0) return 0;
    }
    f->payload = c->in.data + f->hlen;
    return 1;
}

/* ---- handling frames ----------------------------------------------------- */

static int on_ping(conn *c, const frame *f)
{
    if (bug(BUG_NO_PONG)) return GO_ON;
    uint8_t wrong[1] = {'x'};
    const uint8_t *p = f->payload;
    size_t n = (size_t)f->len;
    if (bug(BUG_PONG_WRONG_PAYLOAD)) {
        if (n)
            f->payload[0] ^= 0x01;
        else
            p = wrong, n = 1;
    }
    return send_frame(c, WS_OP_PONG, true, 0, p, n) == 0 ? GO_ON : DONE;
}

/* RFC 6455 §5.5.1 and §7.4: answer with the code received, 1002 for a bad
 * payload or code, 1007 for a reason that is not UTF-8. */
static int on_close(conn *c, const frame *f)
{
    if (bug(BUG_NO_CLOSE_REPLY)) return GO_ON;
    ws_close_info ci;
    int rc = ws_close_parse(f->payload, (size_t)f->len, &ci);
    uint8_t p[125];
    size_t n = 0;
    if (rc == WS_CLOSE_OK && ci.has_code)
        n = ws_close_build(p, ci.code, NULL, 0);
    else if (rc == WS_CLOSE_E_CODE && bug(BUG_ACCEPT_BAD_CLOSE_CODES))
        n = ws_close_build(p, ci.code, NULL, 0);
    else if (rc == WS_CLOSE_E_UTF8 && !bug(BUG_NO_UTF8))
        n = ws_close_build(p, WS_CLOSE_INVALID_DATA, NULL, 0);
    else if (rc == WS_CLOSE_E_UTF8)
        n = ws_close_build(p, ci.code, NULL, 0);
    else if (rc != WS_CLOSE_OK)
        n = ws_close_build(p, WS_CLOSE_PROTOCOL_ERROR, NULL, 0);
    send_frame(c, WS_OP_CLOSE, true, 0, p, n);
    if (bug(BUG_NO_TCP_CLOSE))
        drain(c, 0);
    else
        end_gracefully(c);
    return DONE;
}

static void hold_back(conn *c, uint8_t op, const uint8_t *p, size_t n)
{
    c->held = malloc(n ? n : 1);
    if (!c->held) return;
    memcpy(c->held, p, n);
    c->held_len = n;
    c->held_op = op;
}

/* Echoes a whole message, with the load-generator faults and truncate-len16. */
static int echo_message(conn *c, uint8_t op, uint8_t *p, size_t n)
{
    long k = atomic_fetch_add(&g_messages, 1) + 1;
    if (bug(BUG_CLOSE_1011_AFTER) && c->echoed >= g_after) return WS_CLOSE_INTERNAL_ERROR;
    c->echoed++;
    if (bug(BUG_STALL) && k == g_after && !atomic_exchange(&g_stalled, true)) sleep_ms(c, 1000);
    bool nth = k % g_every == 0;
    if (bug(BUG_DROP) && nth) return GO_ON;
    if (bug(BUG_CORRUPT) && nth && n) p[n - 1] ^= 0x01;
    if (bug(BUG_TRUNCATE_LEN16) && n >= 126 && n <= 65535) n &= 0xFF;
    if (bug(BUG_REORDER) && nth && !c->held) {
        hold_back(c, op, p, n);
        return GO_ON;
    }
    if (send_message(c, op, p, n) != 0) return DONE;
    if (bug(BUG_DUP) && nth && send_message(c, op, p, n) != 0) return DONE;
    if (c->held) {
        int rc = send_message(c, c->held_op, c->held, c->held_len);
        free(c->held);
        c->held = NULL;
        if (rc != 0) return DONE;
    }
    return GO_ON;
}

static int on_data(conn *c, const frame *f)
{
    if (f->op == WS_OP_CONT && !c->in_message) return GO_ON; /* cont-without-start */
    if (f->op != WS_OP_CONT) {
        c->in_message = true;
        c->msg_op = f->op;
        c->msg_compressed = c->deflate && (f->rsv & WS_RSV1);
        ws_buf_reset(&c->msg);
    }
    bool text = c->msg_op == WS_OP_TEXT && !bug(BUG_NO_UTF8);
    if (c->msg_compressed) {
        size_t before = c->msg.len;
        int rc = ws_pmd_decompress(c->inflater, f->payload, (size_t)f->len, f->fin, &c->msg);
        if (rc == WS_PMD_E_TOO_BIG) return WS_CLOSE_TOO_BIG;
        if (rc != WS_PMD_OK) return WS_CLOSE_PROTOCOL_ERROR;
        if (text && !bug(BUG_UTF8_AT_END) &&
            ws_utf8_feed(&c->utf8, c->msg.data + before, c->msg.len - before) == WS_UTF8_INVALID)
            return WS_CLOSE_INVALID_DATA;
    } else if (ws_buf_append(&c->msg, f->payload, (size_t)f->len) != 0) {
        return WS_CLOSE_TOO_BIG;
    }
    if (!f->fin) return GO_ON;
    c->in_message = false;
    if (text && bug(BUG_UTF8_AT_END) && !ws_utf8_valid(c->msg.data, c->msg.len))
        return WS_CLOSE_INVALID_DATA;
    if (text && ws_utf8_finish(&c->utf8) == WS_UTF8_INVALID) return WS_CLOSE_INVALID_DATA;
    return echo_message(c, c->msg_op, c->msg.data, c->msg.len);
}

static int on_frame(conn *c, const frame *f)
{
    if (ws_opcode_is_reserved(f->op)) return GO_ON; /* accept-reserved-opcode */
    switch (f->op) {
    case WS_OP_PING:
        return on_ping(c, f);
    case WS_OP_PONG:
        return GO_ON;
    case WS_OP_CLOSE:
        return on_close(c, f);
    default:
        return on_data(c, f);
    }
}

/* ---- hostile behaviours, started by the client's first frame ------------ */

static ws_buf g_bomb; /* raw DEFLATE, tail removed */

/* 1 GiB + 1 MiB of zeros, deflated once at start-up (a second or two, before
 * we listen, so no case waits for it). Z_RLE on zeros gives the format's
 * best ratio (about 1000:1) at memory speed. */
static void make_bomb(void)
{
    static const uint8_t zeros[1 << 16];
    z_stream z;
    memset(&z, 0, sizeof z);
    ws_buf_init(&g_bomb, 4u << 20);
    if (deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_RLE) != Z_OK) return;
    uint8_t out[1 << 16];
    long chunks = (1025L << 20) / (long)sizeof zeros;
    for (long i = 0; i < chunks; i++) {
        z.next_in = (Bytef *)zeros;
        z.avail_in = sizeof zeros;
        int flush = i == chunks - 1 ? Z_SYNC_FLUSH : Z_NO_FLUSH;
        do {
            z.next_out = out;
            z.avail_out = sizeof out;
            deflate(&z, flush);
            ws_buf_append(&g_bomb, out, sizeof out - z.avail_out);
        } while (z.avail_out == 0);
    }
    deflateEnd(&z);
    if (g_bomb.len >= 4) g_bomb.len -= 4; /* 00 00 ff ff, RFC 7692 §7.2.1 */
}

static void deflate_bomb(conn *c)
{
    if (g_bomb.len == 0) return;
    if (send_frame(c, WS_OP_BINARY, true, WS_RSV1, g_bomb.data, g_bomb.len) == 0) drain(c, 0);
}

/* A binary frame header declaring `declared` bytes, then up to 64 MiB of them. */
static void lying_length(conn *c, uint64_t declared)
{
    uint8_t hdr[WS_FRAME_HEADER_MAX], chunk[65536];
    ws_frame_spec s;
    ws_frame_spec_default(&s, WS_OP_BINARY, false);
    s.declare_len = true;
    s.declared_len = declared;
    s.len_form = 64;
    size_t hl = ws_frame_write_header(hdr, &s, declared);
    if (conn_write(c, hdr, hl, 0) != 0) return;
    memset(chunk, 'L', sizeof chunk);
    for (int i = 0; i < 1024; i++)
        if (conn_write(c, chunk, sizeof chunk, 0) != 0) return;
    drain(c, 0);
}

static void endless_continuation(conn *c)
{
    uint8_t chunk[16384];
    memset(chunk, 'c', sizeof chunk);
    if (send_frame(c, WS_OP_TEXT, false, 0, chunk, sizeof chunk) != 0) return;
    for (uint64_t sent = 0; sent < HOSTILE_BYTES; sent += sizeof chunk)
        if (send_frame(c, WS_OP_CONT, false, 0, chunk, sizeof chunk) != 0) return;
}

static void rst_mid_frame(conn *c)
{
    uint8_t hdr[WS_FRAME_HEADER_MAX], half[500];
    ws_frame_spec s;
    ws_frame_spec_default(&s, WS_OP_BINARY, false);
    size_t hl = ws_frame_write_header(hdr, &s, 1000);
    memset(half, 'r', sizeof half);
    if (conn_write(c, hdr, hl, MSG_MORE) == 0 && conn_write(c, half, sizeof half, 0) == 0)
        sleep_ms(c, 100);
    reset_connection(c);
}

static void close_then_data(conn *c)
{
    static const uint8_t after[] = "data after close";
    if (send_close(c, WS_CLOSE_NORMAL) != 0) return;
    for (int i = 0; i < 10000 && alive(c); i++) {
        if (send_frame(c, WS_OP_TEXT, true, 0, after, sizeof after - 1) != 0) return;
        usleep(1000);
    }
}

static void ping_flood(conn *c)
{
    static const uint8_t p[] = "flood";
    uint8_t junk[16384];
    for (long i = 0; i < 1000000 && alive(c); i++) {
        if (send_frame(c, WS_OP_PING, true, 0, p, sizeof p - 1) != 0) return;
        /* Read the pongs too, so the client is never stuck writing them. */
        if (i % 64 == 0 && recv(c->fd, junk, sizeof junk, MSG_DONTWAIT) == 0) return;
    }
}

/* true if a hostile behaviour took over the connection (it is then over). */
static bool hostile_first_frame(conn *c)
{
    if (bug(BUG_LEN63))
        lying_length(c, 0x7FFFFFFFFFFFFFFFull);
    else if (bug(BUG_LEN64_MSB))
        lying_length(c, 0xFFFFFFFFFFFFFFFFull);
    else if (bug(BUG_ENDLESS_CONTINUATION))
        endless_continuation(c);
    else if (bug(BUG_DEFLATE_BOMB))
        deflate_bomb(c);
    else if (bug(BUG_RST_MID_FRAME))
        rst_mid_frame(c);
    else if (bug(BUG_CLOSE_THEN_DATA))
        close_then_data(c);
    else if (bug(BUG_PING_FLOOD))
        ping_flood(c);
    else if (!bug(BUG_DROP_NO_CLOSE))
        return false;
    return true;
}

/* ---- the connection thread ----------------------------------------------- */

static void frame_loop(conn *c)
{
    for (;;) {
        frame f;
        int code = 0;
        int r = read_frame(c, &f, &code);
        if (r == 0) return;
        if (r > 0 && !c->frames_seen) {
            c->frames_seen = true;
            if (hostile_first_frame(c)) return;
        }
        int rc = r < 0 ? code : on_frame(c, &f);
        if (rc == DONE) return;
        if (rc > 0) {
            if (!bug(BUG_DROP_ON_ERROR)) send_close(c, (uint16_t)rc);
            end_gracefully(c);
            return;
        }
        ws_buf_consume(&c->in, f.hlen + (size_t)f.len);
    }
}

static void *conn_thread(void *arg)
{
    conn *c = arg;
    enum hs_result hs = handshake(c);
    if (hs == HS_OPEN)
        frame_loop(c);
    else if (hs == HS_END)
        end_gracefully(c);
    free(c->held);
    ws_pmd_free(c->inflater);
    ws_pmd_free(c->deflater);
    ws_buf_free(&c->in);
    ws_buf_free(&c->msg);
    close(c->fd);
    free(c);
    atomic_fetch_sub(&g_active, 1);
    return NULL;
}

static void start_conn(int fd)
{
    struct timeval tv = {.tv_sec = 0, .tv_usec = SOCK_TIMEOUT_MS * 1000};
    conn *c = calloc(1, sizeof *c);
    if (!c || atomic_load(&g_active) >= MAX_CONNS) {
        free(c);
        close(fd);
        return;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    c->fd = fd;
    c->deadline = net_now_ms() + g_conn_ms;
    ws_buf_init(&c->in, MAX_FRAME + 65536);
    ws_buf_init(&c->msg, MAX_MESSAGE);
    atomic_fetch_add(&g_active, 1);
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &a, conn_thread, c) != 0) {
        atomic_fetch_sub(&g_active, 1);
        ws_buf_free(&c->in);
        ws_buf_free(&c->msg);
        free(c);
        close(fd);
    }
    pthread_attr_destroy(&a);
}

/* ---- command line -------------------------------------------------------- */

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: badserver --port P [--bug NAME]... [--every N] [--after N] "
               "[--conn-seconds S]\n"
               "       badserver --list\n"
               "An echo server on 127.0.0.1, correct unless told to misbehave.\n");
}

static int plant(const char *name)
{
    for (size_t i = 0; i < sizeof bugs / sizeof bugs[0]; i++)
        if (!strcmp(bugs[i].name, name)) {
            g_bug[bugs[i].bug] = true;
            return 0;
        }
    fprintf(stderr, "badserver: unknown bug '%s' (--list shows them)\n", name);
    return -1;
}

static int number(const char *opt, const char *v, long lo, long hi, long *out)
{
    char *end;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || *end || n < lo || n > hi) {
        fprintf(stderr, "badserver: %s needs a number from %ld to %ld\n", opt, lo, hi);
        return -1;
    }
    *out = n;
    return 0;
}

static int parse_args(int argc, char **argv, long *port)
{
    long secs = g_conn_ms / 1000;
    *port = -1;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc;
        if (!strcmp(a, "--list")) {
            for (size_t k = 0; k < sizeof bugs / sizeof bugs[0]; k++)
                printf("%-36s %s\n", bugs[k].name, bugs[k].what);
            exit(0);
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--port")) {
            rc = number(a, v, 0, 65535, port);
        } else if (!strcmp(a, "--every")) {
            rc = number(a, v, 1, 1000000, &g_every);
        } else if (!strcmp(a, "--after")) {
            rc = number(a, v, 0, 1000000, &g_after);
        } else if (!strcmp(a, "--conn-seconds")) {
            rc = number(a, v, 1, 3600, &secs);
        } else if (!strcmp(a, "--bug")) {
            rc = v ? plant(v) : -1;
        } else {
            fprintf(stderr, "badserver: unknown option %s\n", a);
            return -1;
        }
        if (rc != 0) return -1;
    }
    g_conn_ms = secs * 1000;
    if (*port < 0) {
        fprintf(stderr, "badserver: --port is required\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    long port;
    if (parse_args(argc, argv, &port) != 0) {
        usage(stderr);
        return 2;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (bug(BUG_DEFLATE_BOMB)) make_bomb();
    char err[200];
    int lfd = net_listen("127.0.0.1", (uint16_t)port, false, err, sizeof err);
    if (lfd < 0) {
        fprintf(stderr, "badserver: %s\n", err);
        return 1;
    }
    printf("badserver listening on 127.0.0.1:%d\n", net_local_port(lfd));
    fflush(stdout);
    while (!g_stop) {
        struct pollfd p = {.fd = lfd, .events = POLLIN};
        if (poll(&p, 1, 200) <= 0) continue;
        int fd = net_accept(lfd, err, sizeof err);
        if (fd >= 0) start_conn(fd);
    }
    close(lfd);
    /* Threads see g_stop within SOCK_TIMEOUT_MS; give them a moment. */
    for (int i = 0; i < 100 && atomic_load(&g_active) > 0; i++) usleep(20000);
    return 0;
}
