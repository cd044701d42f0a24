/* Unit tests for serve_conn, the server's protocol state machine without I/O:
 * a whole session fed in every chunk size gives byte-identical output; invalid
 * UTF-8 is answered with 1007 at the byte that makes it invalid, before its
 * frame is complete; the close handshake and protocol errors produce the
 * right close frames and stop consuming input; once warmed up, echoing every
 * kind of message (compressed ones too) allocates nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "serve/serve_conn.h"
#include "ws/ws_buf.h"
#include "ws/ws_frame.h"

static const char upgrade[] = "GET /chat HTTP/1.1\r\n"
                              "Host: 127.0.0.1\r\n"
                              "Upgrade: websocket\r\n"
                              "Connection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\n\r\n";

/* Appends a masked client frame with RSV bits rsv (WS_RSV1: compressed). */
static void put_rsv(ws_buf *b, uint8_t op, bool fin, uint8_t rsv, const void *p, size_t n)
{
    ws_frame_spec s;
    ws_frame_spec_default(&s, op, true);
    s.fin = fin;
    s.rsv = rsv;
    memcpy(s.mask_key, "\x37\xfa\x21\x3d", 4);
    assert_int_equal(ws_buf_reserve(b, n + WS_FRAME_HEADER_MAX), 0);
    size_t w = ws_frame_write(b->data + b->len, b->cap - b->len, &s, p, n);
    assert_true(w > 0);
    b->len += w;
}

static void put(ws_buf *b, uint8_t op, bool fin, const void *p, size_t n)
{
    put_rsv(b, op, fin, 0, p, n);
}

typedef struct session {
    serve_opts opts;
    serve_ctx ctx;
    serve_conn conn;
    ws_buf output; /* everything the server wrote */
} session;

static void session_start(session *s)
{
    serve_opts_default(&s->opts);
    assert_int_equal(serve_ctx_init(&s->ctx, &s->opts), 0);
    serve_conn_init(&s->conn, &s->ctx, false);
    ws_buf_init(&s->output, 0);
}

static void session_end(session *s)
{
    serve_conn_free(&s->conn);
    serve_ctx_free(&s->ctx);
    ws_buf_free(&s->output);
}

/* Feeds `in` in chunks of `chunk` bytes the way the loop does: unconsumed
 * bytes stay in front of the next chunk. Returns the bytes never consumed. */
static size_t feed_chunks(session *s, const uint8_t *in, size_t n, size_t chunk)
{
    ws_buf pending;
    ws_buf_init(&pending, 0);
    for (size_t off = 0; off < n; off += chunk) {
        size_t k = n - off < chunk ? n - off : chunk;
        assert_int_equal(ws_buf_append(&pending, in + off, k), 0);
        size_t used = serve_conn_input(&s->conn, &s->ctx, pending.data, pending.len);
        assert_true(used <= pending.len);
        ws_buf_consume(&pending, used);
        assert_int_equal(ws_buf_append(&s->output, s->ctx.out.data, s->ctx.out.len), 0);
        ws_buf_reset(&s->ctx.out);
    }
    size_t left = pending.len;
    ws_buf_free(&pending);
    return left;
}

/* The server frames in out[0..n), after the HTTP response. */
typedef struct seen {
    uint8_t op[16];
    size_t len[16];
    const uint8_t *payload[16];
    size_t count;
} seen;

static void parse_output(const ws_buf *out, seen *sn)
{
    const uint8_t *end = memmem(out->data, out->len, "\r\n\r\n", 4);
    assert_non_null(end);
    assert_memory_equal(out->data, "HTTP/1.1 101", 12);
    size_t off = (size_t)(end + 4 - out->data);
    ws_parser p;
    ws_parser_opts po = {.peer = WS_PEER_SERVER};
    ws_parser_init(&p, &po);
    memset(sn, 0, sizeof *sn);
    while (off < out->len) {
        ws_frame f;
        long r = ws_parser_feed(&p, out->data + off, out->len - off, &f);
        assert_true(r > 0);
        assert_true(f.fin);
        assert_true(sn->count < 16);
        sn->op[sn->count] = f.opcode;
        sn->len[sn->count] = (size_t)f.payload_len;
        sn->payload[sn->count] = f.payload;
        sn->count++;
        off += (size_t)r;
    }
}

static void build_session(ws_buf *in, uint8_t *big, size_t big_len)
{
    ws_buf_append(in, upgrade, strlen(upgrade));
    put(in, WS_OP_TEXT, true, "Hello", 5);
    put(in, WS_OP_TEXT, false, "fr\xc3", 3); /* é split over two fragments */
    put(in, WS_OP_PING, true, "ping", 4);
    put(in, WS_OP_CONT, true, "\xa9g", 2);
    put(in, WS_OP_PONG, true, "unasked", 7);
    put(in, WS_OP_BINARY, true, big, big_len);
    put(in, WS_OP_TEXT, true, "", 0);
    put(in, WS_OP_CLOSE, true, "\x03\xe8", 2);
    put(in, WS_OP_TEXT, true, "after close", 11); /* must be ignored */
}

static void every_chunk_size_same_output(void **state)
{
    (void)state;
    uint8_t big[70000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 7 + 3);
    ws_buf in;
    ws_buf_init(&in, 0);
    build_session(&in, big, sizeof big);

    session ref;
    session_start(&ref);
    assert_int_equal(feed_chunks(&ref, in.data, in.len, in.len), 0);
    assert_int_equal(ref.conn.state, SC_CLOSING);
    seen sn;
    parse_output(&ref.output, &sn);
    assert_int_equal(sn.count, 6);
    assert_int_equal(sn.op[0], WS_OP_TEXT);
    assert_memory_equal(sn.payload[0], "Hello", 5);
    assert_int_equal(sn.op[1], WS_OP_PONG); /* the ping between fragments, answered first */
    assert_memory_equal(sn.payload[1], "ping", 4);
    assert_int_equal(sn.op[2], WS_OP_TEXT);
    assert_int_equal(sn.len[2], 5);
    assert_memory_equal(sn.payload[2], "fr\xc3\xa9g", 5);
    assert_int_equal(sn.op[3], WS_OP_BINARY);
    assert_int_equal(sn.len[3], sizeof big);
    assert_memory_equal(sn.payload[3], big, sizeof big);
    assert_int_equal(sn.op[4], WS_OP_TEXT);
    assert_int_equal(sn.len[4], 0);
    assert_int_equal(sn.op[5], WS_OP_CLOSE);
    assert_int_equal(sn.len[5], 2);
    assert_memory_equal(sn.payload[5], "\x03\xe8", 2);
    assert_int_equal(ref.ctx.stats.messages, 4);

    static const size_t chunks[] = {1, 2, 3, 5, 7, 13, 64, 1000, 4093, 65536};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        session s;
        session_start(&s);
        feed_chunks(&s, in.data, in.len, chunks[i]);
        assert_int_equal(s.output.len, ref.output.len);
        assert_memory_equal(s.output.data, ref.output.data, ref.output.len);
        assert_int_equal(s.ctx.stats.messages, 4);
        session_end(&s);
    }
    session_end(&ref);
    ws_buf_free(&in);
}

/* Feeds a session byte by byte and returns how many bytes of `in` had been
 * fed when the first close frame appeared in the output. */
static size_t bytes_until_close(session *s, const ws_buf *in, uint16_t *code)
{
    ws_buf pending;
    ws_buf_init(&pending, 0);
    size_t hdr_end = 0;
    for (size_t off = 0; off < in->len; off++) {
        ws_buf_append(&pending, in->data + off, 1);
        size_t used = serve_conn_input(&s->conn, &s->ctx, pending.data, pending.len);
        ws_buf_consume(&pending, used);
        ws_buf_append(&s->output, s->ctx.out.data, s->ctx.out.len);
        ws_buf_reset(&s->ctx.out);
        if (!hdr_end && s->output.len) {
            uint8_t *e = memmem(s->output.data, s->output.len, "\r\n\r\n", 4);
            if (e) hdr_end = (size_t)(e + 4 - s->output.data);
        }
        if (hdr_end && s->output.len >= hdr_end + 4 && s->output.data[hdr_end] == 0x88) {
            *code = (uint16_t)(s->output.data[hdr_end + 2] << 8 | s->output.data[hdr_end + 3]);
            ws_buf_free(&pending);
            return off + 1;
        }
    }
    ws_buf_free(&pending);
    return 0;
}

static void invalid_utf8_fails_at_the_byte(void **state)
{
    (void)state;
    char text[1000];
    memset(text, 'a', sizeof text);
    text[10] = (char)0xed; /* ED A0: a surrogate, invalid at the second byte */
    text[11] = (char)0xa0;
    ws_buf in;
    ws_buf_init(&in, 0);
    ws_buf_append(&in, upgrade, strlen(upgrade));
    size_t frame_start = in.len;
    put(&in, WS_OP_TEXT, true, text, sizeof text);
    size_t header = 2 + 2 + 4; /* 16-bit length, mask key */

    session s;
    session_start(&s);
    uint16_t code = 0;
    size_t at = bytes_until_close(&s, &in, &code);
    assert_int_equal(code, 1007);
    assert_int_equal(at, frame_start + header + 12); /* right after the A0 */
    assert_int_equal(s.conn.state, SC_CLOSING);
    assert_int_equal(s.ctx.stats.protocol_errors, 1);
    session_end(&s);
    ws_buf_free(&in);
}

static void invalid_utf8_in_second_fragment(void **state)
{
    (void)state;
    ws_buf in;
    ws_buf_init(&in, 0);
    ws_buf_append(&in, upgrade, strlen(upgrade));
    put(&in, WS_OP_TEXT, false, "ok \xce", 4); /* a sequence left open */
    size_t second = in.len;
    put(&in, WS_OP_CONT, false, "\xba\xff rest", 7); /* completes it, then FF */
    session s;
    session_start(&s);
    uint16_t code = 0;
    size_t at = bytes_until_close(&s, &in, &code);
    assert_int_equal(code, 1007);
    assert_int_equal(at, second + 6 + 2);
    session_end(&s);
    ws_buf_free(&in);
}

static void protocol_errors_close_and_stop(void **state)
{
    (void)state;
    static const struct {
        uint8_t bytes[16];
        size_t n;
        uint16_t code;
    } cases[] = {
        {{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, 14, 1002}, /* 2^63 */
        {{0x82, 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, 14, 1009}, /* 2^62 */
        {{0xc1, 0x80, 1, 2, 3, 4}, 6, 1002},                             /* RSV1, no deflate */
        {{0x83, 0x80, 1, 2, 3, 4}, 6, 1002},                             /* opcode 3 */
        {{0x81, 0x00}, 2, 1002},                                         /* unmasked */
        {{0x80, 0x80, 1, 2, 3, 4}, 6, 1002},                             /* lone continuation */
        {{0x88, 0x81, 0, 0, 0, 0, 3}, 7, 1002},                          /* close, 1 byte */
        {{0x88, 0x82, 0, 0, 0, 0, 0x03, 0xed}, 8, 1002},                 /* close 1005 */
        {{0x88, 0x84, 0, 0, 0, 0, 0x03, 0xe8, 0xc3, 0x28}, 10, 1007},    /* bad reason */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ws_buf in;
        ws_buf_init(&in, 0);
        ws_buf_append(&in, upgrade, strlen(upgrade));
        ws_buf_append(&in, cases[i].bytes, cases[i].n);
        put(&in, WS_OP_TEXT, true, "never echoed", 12);
        session s;
        session_start(&s);
        assert_int_equal(feed_chunks(&s, in.data, in.len, in.len), 0);
        seen sn;
        parse_output(&s.output, &sn);
        assert_int_equal(sn.count, 1);
        assert_int_equal(sn.op[0], WS_OP_CLOSE);
        assert_int_equal(sn.payload[0][0] << 8 | sn.payload[0][1], cases[i].code);
        assert_int_equal(s.ctx.stats.messages, 0);
        session_end(&s);
        ws_buf_free(&in);
    }
}

static void bad_request_gets_400(void **state)
{
    (void)state;
    session s;
    session_start(&s);
    static const char junk[] = "\x16\x03\x01 not http\r\n\r\n";
    feed_chunks(&s, (const uint8_t *)junk, sizeof junk - 1, sizeof junk - 1);
    assert_int_equal(s.conn.state, SC_CLOSING);
    assert_true(s.output.len > 12);
    assert_memory_equal(s.output.data, "HTTP/1.1 400", 12);
    assert_int_equal(s.ctx.stats.handshake_errors, 1);
    session_end(&s);
}

/* ---- no allocation per message ----
 * ASan's allocator hooks count every malloc/calloc/realloc while the echo
 * loop runs; buffers may grow during a warm-up round of the same messages,
 * never after. */
static size_t g_allocs;
static bool g_counting;

/* From the sanitizer runtime (gcc's and clang's); gcc ships no header for it. */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));

static void count_malloc(const volatile void *p, size_t n)
{
    (void)p;
    (void)n;
    if (g_counting) g_allocs++;
}

static void ignore_free(const volatile void *p)
{
    (void)p;
}

static const char upgrade_deflate[] = "GET /chat HTTP/1.1\r\n"
                                      "Host: 127.0.0.1\r\n"
                                      "Upgrade: websocket\r\n"
                                      "Connection: Upgrade\r\n"
                                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                      "Sec-WebSocket-Extensions: permessage-deflate\r\n"
                                      "Sec-WebSocket-Version: 13\r\n\r\n";

/* One round of every kind of message the echo path handles. */
static void build_round(ws_buf *in, ws_pmd *z, const uint8_t *big, size_t big_len)
{
    put(in, WS_OP_TEXT, true, "Hello", 5);     /* the common-frame path */
    put(in, WS_OP_BINARY, true, big, 300);     /* 16-bit length */
    put(in, WS_OP_BINARY, true, big, big_len); /* 64-bit length */
    put(in, WS_OP_TEXT, false, "fr\xc3", 3);   /* fragments, é split */
    put(in, WS_OP_PING, true, "ping", 4);      /* a control frame between them */
    put(in, WS_OP_CONT, true, "\xa9g", 2);
    put(in, WS_OP_TEXT, true, "gr\xc3\xbc\xc3\x9f", 6); /* UTF-8, not ASCII */
    if (!z) return;
    for (int i = 0; i < 2; i++) { /* compressed, context taken over */
        ws_buf c;
        ws_buf_init(&c, 0);
        assert_int_equal(ws_pmd_compress(z, big, 2000, &c), WS_PMD_OK);
        put_rsv(in, WS_OP_BINARY, true, WS_RSV1, c.data, c.len);
        ws_buf_free(&c);
    }
}

static void echo_allocates_nothing(bool deflate)
{
    uint8_t big[70000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i % 251);
    session s;
    serve_opts_default(&s.opts);
    s.opts.deflate = deflate;
    assert_int_equal(serve_ctx_init(&s.ctx, &s.opts), 0);
    serve_conn_init(&s.conn, &s.ctx, false);
    const char *head = deflate ? upgrade_deflate : upgrade;
    uint8_t hbuf[512];
    memcpy(hbuf, head, strlen(head));
    assert_int_equal(serve_conn_input(&s.conn, &s.ctx, hbuf, strlen(head)), strlen(head));
    assert_int_equal(s.conn.state, SC_OPEN);
    assert_true(deflate == (s.conn.pmd != NULL));
    ws_buf_reset(&s.ctx.out);

    ws_pmd_params agreed = {0};
    ws_pmd *z = deflate ? ws_pmd_new(false, &agreed, -1) : NULL;
    /* Round 0 warms up, the others are counted. Each has its own bytes: the
     * compressed messages follow the client's context from round to round. */
    enum { ROUNDS = 51 };
    ws_buf *rounds = calloc(ROUNDS, sizeof *rounds);
    assert_non_null(rounds);
    size_t longest = 0;
    for (int r = 0; r < ROUNDS; r++) {
        ws_buf_init(&rounds[r], 0);
        build_round(&rounds[r], z, big, sizeof big);
        if (rounds[r].len > longest) longest = rounds[r].len;
    }
    uint8_t *scratch = malloc(longest); /* payloads are unmasked in place */
    assert_non_null(scratch);
    int done = 0; /* rounds fully taken and answered */
    for (; done < ROUNDS; done++) {
        g_counting = done > 0;
        memcpy(scratch, rounds[done].data, rounds[done].len);
        size_t used = serve_conn_input(&s.conn, &s.ctx, scratch, rounds[done].len);
        if (used != rounds[done].len || s.conn.state != SC_OPEN || s.ctx.out.len < 100) break;
        ws_buf_reset(&s.ctx.out);
    }
    g_counting = false;
    size_t allocs = g_allocs;
    g_allocs = 0;
    bool all_echoed = done == ROUNDS && s.conn.state == SC_OPEN && s.ctx.out.len == 0;
    free(scratch);
    for (int r = 0; r < ROUNDS; r++) ws_buf_free(&rounds[r]);
    free(rounds);
    ws_pmd_free(z);
    session_end(&s);
    assert_true(all_echoed);
    assert_int_equal(allocs, 0);
}

static void echo_allocates_nothing_plain(void **state)
{
    (void)state;
    echo_allocates_nothing(false);
}

static void echo_allocates_nothing_deflate(void **state)
{
    (void)state;
    echo_allocates_nothing(true);
}

int main(void)
{
    /* hooks cannot be removed once installed: they count only while g_counting */
    __sanitizer_install_malloc_and_free_hooks(count_malloc, ignore_free);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_chunk_size_same_output),
        cmocka_unit_test(echo_allocates_nothing_plain),
        cmocka_unit_test(echo_allocates_nothing_deflate),
        cmocka_unit_test(invalid_utf8_fails_at_the_byte),
        cmocka_unit_test(invalid_utf8_in_second_fragment),
        cmocka_unit_test(protocol_errors_close_and_stop),
        cmocka_unit_test(bad_request_gets_400),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
