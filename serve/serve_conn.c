/* serve_conn: the echo protocol of one connection (see serve_conn.h). */
#include "serve/serve_conn.h"

#include <string.h>

#include "cli/version.h"
#include "ws/ws_close.h"
#include "ws/ws_http.h"
#include "ws/ws_mask.h"

#define MAX_HEADERS 64
/* A message buffer that grew past this is freed after its message, so one
 * large message does not pin memory for the rest of the connection. */
#define MSG_KEEP_MAX (1u << 20)

int serve_ctx_init(serve_ctx *x, const serve_opts *o)
{
    memset(x, 0, sizeof *x);
    x->opts = o;
    x->hs.subprotocols = o->subprotocols;
    x->hs.n_subprotocols = o->n_subprotocols;
    x->hs.deflate = o->deflate;
    x->hs.server_name = "wsprobe/" WSPROBE_VERSION;
    ws_buf_init(&x->out, 0);
    ws_buf_init(&x->zbuf, 0);
    x->common_max = 125;
    if (o->max_frame && o->max_frame < x->common_max) x->common_max = (size_t)o->max_frame;
    if (o->max_message && o->max_message < x->common_max) x->common_max = (size_t)o->max_message;
    if (ws_buf_reserve(&x->out, 256 * 1024) < 0) return -1;
    return 0;
}

void serve_ctx_free(serve_ctx *x)
{
    ws_buf_free(&x->out);
    ws_buf_free(&x->zbuf);
}

void serve_conn_init(serve_conn *c, const serve_ctx *x, bool tls)
{
    memset(c, 0, sizeof *c);
    c->state = tls ? SC_TLS : SC_HTTP;
    ws_buf_init(&c->msg, (size_t)x->opts->max_message);
}

void serve_conn_free(serve_conn *c)
{
    ws_buf_free(&c->msg);
    if (c->pmd) ws_pmd_free(c->pmd);
    c->pmd = NULL;
}

/* Appends one unmasked frame. -1 if memory ran out. */
static int put_frame(ws_buf *out, uint8_t opcode, uint8_t rsv, const uint8_t *p, size_t n)
{
    if (ws_buf_reserve(out, WS_FRAME_HEADER_MAX + n) < 0) return -1;
    ws_frame_spec s;
    ws_frame_spec_default(&s, opcode, false);
    s.rsv = rsv;
    size_t h = ws_frame_write_header(out->data + out->len, &s, n);
    if (n) memcpy(out->data + out->len + h, p, n);
    out->len += h + n;
    return 0;
}

static void put_close(serve_conn *c, serve_ctx *x, uint16_t code)
{
    uint8_t payload[2];
    size_t n = ws_close_build(payload, code, NULL, 0);
    put_frame(&x->out, WS_OP_CLOSE, 0, payload, n);
    c->state = SC_CLOSING;
}

/* Fails the connection (RFC 6455 §7.1.7): a close frame with the code, then
 * nothing more is read. */
static void conn_fail(serve_conn *c, serve_ctx *x, uint16_t code)
{
    x->stats.protocol_errors++;
    put_close(c, x, code);
}

static void put_text(ws_buf *out, const char *s)
{
    ws_buf_append(out, s, strlen(s));
}

static void refuse_head(serve_conn *c, serve_ctx *x, long status)
{
    if (status == WS_HTTP_E_TOO_LARGE || status == WS_HTTP_E_TOO_MANY_HEADERS)
        put_text(&x->out, "HTTP/1.1 431 Request Header Fields Too Large\r\n"
                          "Connection: close\r\nContent-Length: 0\r\n\r\n");
    else
        put_text(&x->out, "HTTP/1.1 400 Bad Request\r\n"
                          "Connection: close\r\nContent-Length: 0\r\n\r\n");
    x->stats.handshake_errors++;
    c->state = SC_CLOSING;
}

static size_t conn_handshake(serve_conn *c, serve_ctx *x, uint8_t *buf, size_t len)
{
    ws_http_header headers[MAX_HEADERS];
    ws_http_head req = {.headers = headers, .max_headers = MAX_HEADERS};
    long r = ws_http_parse_request((const char *)buf, len, &req, SERVE_MAX_HEAD);
    if (r == WS_HTTP_NEED_MORE) return 0;
    if (r < 0) {
        refuse_head(c, x, r);
        return len;
    }

    char resp[2048];
    ws_server_hs_result res;
    memset(&res, 0, sizeof res);
    size_t n = ws_handshake_server_respond(&req, &x->hs, resp, sizeof resp, &res);
    if (n == 0) {
        refuse_head(c, x, WS_HTTP_E_SYNTAX);
        return len;
    }
    if (res.status == 101 && res.deflate) {
        c->pmd = ws_pmd_new(true, &res.pmd, -1);
        if (!c->pmd) {
            put_text(&x->out, "HTTP/1.1 503 Service Unavailable\r\n"
                              "Connection: close\r\nContent-Length: 0\r\n\r\n");
            x->stats.handshake_errors++;
            c->state = SC_CLOSING;
            return len;
        }
    }
    ws_buf_append(&x->out, resp, n);
    if (res.status != 101) {
        x->stats.handshake_errors++;
        c->state = SC_CLOSING;
        return len;
    }

    ws_parser_opts po = {
        .peer = WS_PEER_CLIENT,
        .rsv_allowed = c->pmd ? WS_RSV1 : 0,
        .max_frame = x->opts->max_frame,
        .max_message = x->opts->max_message,
    };
    ws_parser_init(&c->parser, &po);
    x->stats.upgraded++;
    c->state = SC_OPEN;
    return (size_t)r;
}

static void echo_message(serve_conn *c, serve_ctx *x, const uint8_t *p, size_t n)
{
    int rc;
    if (c->pmd) {
        ws_buf_reset(&x->zbuf);
        if (ws_pmd_compress(c->pmd, p, n, &x->zbuf) != WS_PMD_OK) {
            conn_fail(c, x, WS_CLOSE_INTERNAL_ERROR);
            return;
        }
        rc = put_frame(&x->out, c->msg_opcode, WS_RSV1, x->zbuf.data, x->zbuf.len);
    } else {
        rc = put_frame(&x->out, c->msg_opcode, 0, p, n);
    }
    if (rc < 0) {
        conn_fail(c, x, WS_CLOSE_INTERNAL_ERROR);
        return;
    }
    x->stats.messages++;
}

/* The payload of a compressed frame, inflated onto c->msg. false if the
 * connection was failed. */
static bool inflate_frame(serve_conn *c, serve_ctx *x, const ws_frame *f, const uint8_t *p,
                          size_t n)
{
    size_t before = c->msg.len;
    int rc = ws_pmd_decompress(c->pmd, p, n, f->fin, &c->msg);
    if (rc == WS_PMD_E_TOO_BIG) {
        conn_fail(c, x, WS_CLOSE_TOO_BIG);
        return false;
    }
    if (rc == WS_PMD_E_NOMEM) {
        conn_fail(c, x, WS_CLOSE_INTERNAL_ERROR);
        return false;
    }
    if (rc != WS_PMD_OK) { /* not a deflate stream: the payload is not what it claims */
        conn_fail(c, x, WS_CLOSE_INVALID_DATA);
        return false;
    }
    if (c->msg_opcode == WS_OP_TEXT &&
        ws_utf8_feed(&c->utf8, c->msg.data + before, c->msg.len - before) == WS_UTF8_INVALID) {
        conn_fail(c, x, WS_CLOSE_INVALID_DATA);
        return false;
    }
    return true;
}

static void begin_message(serve_conn *c, const ws_frame *f)
{
    c->msg_opcode = f->opcode;
    c->msg_compressed = (f->rsv & WS_RSV1) != 0;
    ws_utf8_init(&c->utf8);
    ws_buf_reset(&c->msg);
}

/* `checked`: leading payload bytes already validated while the frame was
 * still arriving (see check_partial). */
static void on_data(serve_conn *c, serve_ctx *x, const ws_frame *f, const uint8_t *p, size_t n,
                    size_t checked)
{
    if (f->first && !checked) begin_message(c, f);
    bool whole = f->first && f->fin && !c->msg_compressed; /* echo straight from input */
    if (c->msg_compressed) {
        if (!inflate_frame(c, x, f, p, n)) return;
    } else {
        /* Fail-fast: each frame is checked when it arrives, not at message end. */
        if (c->msg_opcode == WS_OP_TEXT &&
            ws_utf8_feed(&c->utf8, p + checked, n - checked) == WS_UTF8_INVALID) {
            conn_fail(c, x, WS_CLOSE_INVALID_DATA);
            return;
        }
        if (!whole && ws_buf_append(&c->msg, p, n) < 0) {
            conn_fail(c, x, WS_CLOSE_TOO_BIG);
            return;
        }
    }
    if (!f->fin) return;
    if (c->msg_opcode == WS_OP_TEXT && ws_utf8_finish(&c->utf8) != WS_UTF8_OK) {
        conn_fail(c, x, WS_CLOSE_INVALID_DATA);
        return;
    }
    if (whole)
        echo_message(c, x, p, n);
    else
        echo_message(c, x, c->msg.data, c->msg.len);
    ws_buf_reset(&c->msg);
    if (c->msg.cap > MSG_KEEP_MAX) ws_buf_free(&c->msg);
}

/* The closing handshake (§5.5.1, §7.1.2): answer a valid close with the same
 * code (or an empty close if it had none); fail on a malformed one. */
static void on_close(serve_conn *c, serve_ctx *x, const uint8_t *p, size_t n)
{
    ws_close_info ci;
    int rc = ws_close_parse(p, n, &ci);
    if (rc == WS_CLOSE_E_UTF8) {
        conn_fail(c, x, WS_CLOSE_INVALID_DATA);
        return;
    }
    if (rc != WS_CLOSE_OK) {
        conn_fail(c, x, WS_CLOSE_PROTOCOL_ERROR);
        return;
    }
    put_close(c, x, ci.has_code ? ci.code : 0);
}

static void on_frame(serve_conn *c, serve_ctx *x, const ws_frame *f, const uint8_t *p, size_t n,
                     size_t checked)
{
    switch (f->opcode) {
    case WS_OP_PING:
        if (put_frame(&x->out, WS_OP_PONG, 0, p, n) < 0) conn_fail(c, x, WS_CLOSE_INTERNAL_ERROR);
        return;
    case WS_OP_PONG: /* unsolicited pongs are allowed and need no answer (§5.5.3) */
        return;
    case WS_OP_CLOSE:
        on_close(c, x, p, n);
        return;
    default:
        on_data(c, x, f, p, n, checked);
    }
}

/* A text frame whose header is in but whose payload is still arriving: the
 * bytes present are unmasked and validated now (RFC 6455 §8.1 lets us fail as
 * soon as the text is invalid; the conformance suite judges how soon). */
static void check_partial(serve_conn *c, serve_ctx *x, const ws_frame *f, uint8_t *frame,
                          size_t avail)
{
    if (f->header_len == 0 || avail <= f->header_len) return;
    bool text = f->opcode == WS_OP_TEXT ||
                (f->opcode == WS_OP_CONT && c->msg_opcode == WS_OP_TEXT && !c->msg_compressed);
    if (!text || (f->rsv & WS_RSV1)) return; /* compressed text is checked once inflated */
    uint64_t have = avail - f->header_len;
    if (have <= c->checked) return;
    if (f->opcode == WS_OP_TEXT && c->checked == 0) begin_message(c, f);
    uint8_t *p = frame + f->header_len;
    if (f->masked)
        ws_mask_apply(p + c->checked, (size_t)(have - c->checked), f->mask_key, c->checked);
    if (ws_utf8_feed(&c->utf8, p + c->checked, (size_t)(have - c->checked)) == WS_UTF8_INVALID)
        conn_fail(c, x, WS_CLOSE_INVALID_DATA);
    c->checked = have;
}

/* Two words in one vector register (SSE2 on x86-64, NEON on arm64; GCC and
 * clang lower it to plain word pairs elsewhere). */
typedef uint64_t u64x2 __attribute__((vector_size(16)));

/* Unmasks src into dst (one pass, no copy afterwards) and says whether every
 * byte was ASCII, which for text settles UTF-8 validity without the DFA. */
static bool unmask_copy_ascii(uint8_t *dst, const uint8_t *src, size_t n, const uint8_t key[4])
{
    uint32_t k32;
    memcpy(&k32, key, 4);
    uint64_t k64 = (uint64_t)k32 << 32 | k32; /* key bytes in memory order, twice */
    u64x2 kv = {k64, k64}, seen_v = {0, 0};
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        u64x2 w;
        memcpy(&w, src + i, 16);
        w ^= kv;
        seen_v |= w;
        memcpy(dst + i, &w, 16);
    }
    uint64_t seen = seen_v[0] | seen_v[1];
    if (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, src + i, 8);
        w ^= k64;
        seen |= w;
        memcpy(dst + i, &w, 8);
        i += 8;
    }
    if (i + 4 <= n) {
        uint32_t w;
        memcpy(&w, src + i, 4);
        w ^= k32;
        seen |= w;
        memcpy(dst + i, &w, 4);
        i += 4;
    }
    for (; i < n; i++) {
        uint8_t b = src[i] ^ key[i & 3];
        seen |= b;
        dst[i] = b;
    }
    return (seen & 0x8080808080808080ull) == 0;
}

/* The hot path: a run of the frames nearly every echo client sends (whole,
 * FIN, text or binary, no RSV bit, masked, 7-bit length within the limits),
 * echoed straight from the input into x->out. Byte 0 being exactly 0x81 or
 * 0x82 and byte 1 a masked length <= common_max is every check the general
 * parser would make on such a frame, given no fragmented message is open.
 * Text is validated whole before its echo is committed. The input is only
 * read, so anything else (another frame kind, a partial frame, invalid text,
 * a deflate connection) is left for the general path to parse and judge from
 * the same bytes. Returns the bytes consumed. */
static size_t echo_common_frames(serve_conn *c, serve_ctx *x, const uint8_t *buf, size_t len)
{
    if (c->pmd || c->parser.in_message || c->checked) return 0;
    ws_buf *out = &x->out;
    const size_t max = x->common_max;
    const uint8_t *p = buf, *end = buf + len;
    uint8_t *o = out->data + out->len, *o_end = out->data + out->cap;
    uint64_t echoed = 0;
    uint8_t last_b0 = 0;
    size_t last_n = 0;
    while (end - p >= 6) {
        uint8_t b0 = p[0];
        size_t op = (size_t)b0 - 0x81;  /* 0 text, 1 binary, anything else wraps high */
        size_t n = (size_t)p[1] - 0x80; /* the length, if the mask bit is set */
        if (op > 1 || n > max || (size_t)(end - p) - 6 < n) break;
        if ((size_t)(o_end - o) < 2 + n) {
            out->len = (size_t)(o - out->data);
            if (ws_buf_reserve(out, 2 + n) < 0) break;
            o = out->data + out->len;
            o_end = out->data + out->cap;
        }
        o[0] = b0;
        o[1] = (uint8_t)n;
        bool ascii = unmask_copy_ascii(o + 2, p + 6, n, p + 2);
        if (op == 0 && !ascii && !ws_utf8_valid(o + 2, n)) break;
        o += 2 + n;
        p += 6 + n;
        last_b0 = b0;
        last_n = n;
        echoed++;
    }
    out->len = (size_t)(o - out->data);
    if (!echoed) return 0;
    /* What ws_parser_feed and begin_message would have left after the last. */
    c->parser.message_opcode = last_b0 & 0xF;
    c->parser.message_rsv1 = false;
    c->parser.message_len = last_n;
    c->msg_opcode = last_b0 & 0xF;
    c->msg_compressed = false;
    x->stats.messages += echoed;
    return (size_t)(p - buf);
}

static size_t conn_frames(serve_conn *c, serve_ctx *x, uint8_t *buf, size_t len)
{
    size_t off = 0;
    c->need = 0;
    while (c->state == SC_OPEN && off < len) {
        off += echo_common_frames(c, x, buf + off, len - off);
        if (off == len) break;
        ws_frame f;
        long r = ws_parser_feed(&c->parser, buf + off, len - off, &f);
        if (r == WS_NEED_MORE) {
            if (f.header_len) {
                c->need = f.header_len + (size_t)f.payload_len;
                /* The key is the header's last 4 bytes, which may not be here yet. */
                if (f.masked && len - off >= f.header_len)
                    memcpy(f.mask_key, buf + off + f.header_len - 4, 4);
                check_partial(c, x, &f, buf + off, len - off);
            }
            break;
        }
        if (r < 0) {
            conn_fail(c, x, ws_parse_close_code((int)r));
            return len;
        }
        uint8_t *payload = buf + off + f.header_len;
        size_t n = (size_t)f.payload_len;
        size_t checked = (size_t)c->checked;
        c->checked = 0;
        if (f.masked) ws_mask_apply(payload + checked, n - checked, f.mask_key, checked);
        off += (size_t)r;
        on_frame(c, x, &f, payload, n, checked);
    }
    return c->state == SC_OPEN ? off : len;
}

size_t serve_conn_input(serve_conn *c, serve_ctx *x, uint8_t *buf, size_t len)
{
    size_t used = 0;
    if (c->state == SC_HTTP) {
        used = conn_handshake(c, x, buf, len);
        if (c->state != SC_OPEN) return used;
    }
    if (c->state != SC_OPEN) return len;
    return used + conn_frames(c, x, buf + used, len - used);
}

void serve_conn_close(serve_conn *c, serve_ctx *x, uint16_t code)
{
    if (c->state == SC_OPEN)
        put_close(c, x, code);
    else
        c->state = SC_CLOSING;
}
