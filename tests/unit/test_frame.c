/* Unit tests for ws_frame: the RFC 6455 §5.7 examples byte for byte, every
 * parse error and the moment it is reported, every split point of a stream,
 * and the writer's deliberate lies. Every parse reads from input placed
 * against an unreadable page, so a read past the end crashes the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "ws/ws_buf.h"
#include "ws/ws_frame.h"
#include "ws/ws_mask.h"

/* ---- guard page: input placed so its last byte touches PROT_NONE ---- */

typedef struct guarded {
    uint8_t *map;
    size_t map_len;
    uint8_t *data; /* the copy, ending at the guard page */
} guarded;

static void guarded_put(guarded *g, const uint8_t *bytes, size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t body = (n + page - 1) / page * page;
    if (body == 0) body = page;
    g->map_len = body + page;
    g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(g->map != MAP_FAILED);
    assert_int_equal(mprotect(g->map + body, page, PROT_NONE), 0);
    g->data = g->map + body - n;
    if (n) memcpy(g->data, bytes, n);
}

static void guarded_free(guarded *g)
{
    munmap(g->map, g->map_len);
}

static long feed_guarded(ws_parser *p, const uint8_t *bytes, size_t n, ws_frame *f)
{
    guarded g;
    guarded_put(&g, bytes, n);
    long r = ws_parser_feed(p, g.data, n, f);
    /* payload points into the guarded copy: rebase it onto `bytes`. */
    if (r > 0) f->payload = bytes + (f->payload - g.data);
    guarded_free(&g);
    return r;
}

static void assert_same_state(const ws_parser *a, const ws_parser *b)
{
    assert_int_equal(a->in_message, b->in_message);
    assert_int_equal(a->message_opcode, b->message_opcode);
    assert_int_equal(a->message_rsv1, b->message_rsv1);
    assert_int_equal(a->message_len, b->message_len);
}

/* Parses one whole input and checks the contract on every strict prefix:
 * each gives NEED_MORE or (for an error input) the same error, and none
 * changes the parser state. Returns the result for the whole input. */
static long parse_checked(ws_parser *p, const uint8_t *bytes, size_t n, ws_frame *f)
{
    long whole;
    {
        ws_parser probe = *p;
        whole = feed_guarded(&probe, bytes, n, f);
    }
    for (size_t k = 0; k < n; k++) {
        ws_parser probe = *p;
        ws_frame pf;
        long r = feed_guarded(&probe, bytes, k, &pf);
        if (r != WS_NEED_MORE && (whole > 0 || r != whole))
            fail_msg("prefix %zu of %zu gave %ld, whole input gives %ld", k, n, r, whole);
        assert_same_state(&probe, p);
    }
    ws_parser before = *p;
    long again = feed_guarded(p, bytes, n, f);
    assert_int_equal(again, whole);
    if (whole <= 0) assert_same_state(&before, p);
    return whole;
}

static ws_parser parser(enum ws_peer peer, uint8_t rsv_allowed, uint64_t max_frame,
                        uint64_t max_message)
{
    ws_parser_opts o = {peer, rsv_allowed, max_frame, max_message};
    ws_parser p;
    ws_parser_init(&p, &o);
    return p;
}

/* ---- RFC 6455 §5.7 examples ---- */

static void test_rfc_unmasked_hello(void **state)
{
    (void)state;
    const uint8_t in[] = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
    ws_parser p = parser(WS_PEER_SERVER, 0, 0, 0);
    ws_frame f;
    assert_int_equal(parse_checked(&p, in, sizeof(in), &f), 7);
    assert_true(f.fin);
    assert_int_equal(f.rsv, 0);
    assert_int_equal(f.opcode, WS_OP_TEXT);
    assert_false(f.masked);
    assert_true(f.first);
    assert_int_equal(f.header_len, 2);
    assert_int_equal(f.payload_len, 5);
    assert_ptr_equal(f.payload, in + 2);
    assert_memory_equal(f.payload, "Hello", 5);
    assert_false(p.in_message);

    ws_frame_spec s;
    ws_frame_spec_default(&s, WS_OP_TEXT, false);
    uint8_t out[32];
    assert_int_equal(ws_frame_write(out, sizeof(out), &s, (const uint8_t *)"Hello", 5), 7);
    assert_memory_equal(out, in, 7);
}

static void test_rfc_masked_hello(void **state)
{
    (void)state;
    const uint8_t in[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    ws_parser p = parser(WS_PEER_CLIENT, 0, 0, 0);
    ws_frame f;
    assert_int_equal(parse_checked(&p, in, sizeof(in), &f), 11);
    assert_true(f.masked);
    assert_int_equal(f.header_len, 6);
    assert_int_equal(f.payload_len, 5);
    const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    assert_memory_equal(f.mask_key, key, 4);
    uint8_t payload[5];
    memcpy(payload, f.payload, 5);
    ws_mask_apply(payload, 5, f.mask_key, 0);
    assert_memory_equal(payload, "Hello", 5);

    ws_frame_spec s;
    ws_frame_spec_default(&s, WS_OP_TEXT, true);
    memcpy(s.mask_key, key, 4);
    uint8_t out[32];
    assert_int_equal(ws_frame_write(out, sizeof(out), &s, (const uint8_t *)"Hello", 5), 11);
    assert_memory_equal(out, in, 11);
}

static void test_rfc_fragmented_hello(void **state)
{
    (void)state;
    const uint8_t a[] = {0x01, 0x03, 0x48, 0x65, 0x6c};
    const uint8_t b[] = {0x80, 0x02, 0x6c, 0x6f};
    ws_parser p = parser(WS_PEER_SERVER, 0, 0, 0);
    ws_frame f;
    assert_int_equal(parse_checked(&p, a, sizeof(a), &f), 5);
    assert_false(f.fin);
    assert_true(f.first);
    assert_int_equal(f.opcode, WS_OP_TEXT);
    assert_memory_equal(f.payload, "Hel", 3);
    assert_true(p.in_message);
    assert_int_equal(p.message_opcode, WS_OP_TEXT);
    assert_int_equal(p.message_len, 3);

    assert_int_equal(parse_checked(&p, b, sizeof(b), &f), 4);
    assert_true(f.fin);
    assert_false(f.first);
    assert_int_equal(f.opcode, WS_OP_CONT);
    assert_memory_equal(f.payload, "lo", 2);
    assert_false(p.in_message);
    assert_int_equal(p.message_opcode, WS_OP_TEXT); /* still says what just ended */
    assert_int_equal(p.message_len, 5);

    uint8_t out[32];
    ws_frame_spec s;
    ws_frame_spec_default(&s, WS_OP_TEXT, false);
    s.fin = false;
    assert_int_equal(ws_frame_write(out, sizeof(out), &s, (const uint8_t *)"Hel", 3), 5);
    assert_memory_equal(out, a, 5);
    ws_frame_spec_default(&s, WS_OP_CONT, false);
    assert_int_equal(ws_frame_write(out, sizeof(out), &s, (const uint8_t *)"lo", 2), 4);
    assert_memory_equal(out, b, 4);
}

static void test_rfc_ping_pong(void **state)
{
    (void)state;
    const uint8_t ping[] = {0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
    const uint8_t pong[] = {0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    ws_parser p = parser(WS_PEER_ANY, 0, 0, 0);
    ws_frame f;
    assert_int_equal(parse_checked(&p, ping, sizeof(ping), &f), 7);
    assert_int_equal(f.opcode, WS_OP_PING);
    assert_false(f.first);
    assert_memory_equal(f.payload, "Hello", 5);
    assert_int_equal(parse_checked(&p, pong, sizeof(pong), &f), 11);
    assert_int_equal(f.opcode, WS_OP_PONG);
    assert_true(f.masked);
    assert_false(p.in_message);

    uint8_t out[32];
    ws_frame_spec s;
    ws_frame_spec_default(&s, WS_OP_PING, false);
    assert_int_equal(ws_frame_write(out, sizeof(out), &s, (const uint8_t *)"Hello", 5), 7);
    assert_memory_equal(out, ping, 7);
    ws_frame_spec_default(&s, WS_OP_PONG, true);
    memcpy(s.mask_key, pong + 2, 4);
    assert_int_equal(ws_frame_write(out, sizeof(out), &s, (const uint8_t *)"Hello", 5), 11);
    assert_memory_equal(out, pong, 11);
}

static void check_big_binary(size_t n, const uint8_t *hdr, size_t hdr_len)
{
    uint8_t *in = malloc(hdr_len + n);
    assert_non_null(in);
    memcpy(in, hdr, hdr_len);
    for (size_t i = 0; i < n; i++) in[hdr_len + i] = (uint8_t)(i * 31);

    uint8_t out[WS_FRAME_HEADER_MAX];
    ws_frame_spec s;
    ws_frame_spec_default(&s, WS_OP_BINARY, false);
    assert_int_equal(ws_frame_write_header(out, &s, n), hdr_len);
    assert_memory_equal(out, hdr, hdr_len);
    assert_int_equal(ws_frame_header_size(&s, n), hdr_len);

    ws_parser p = parser(WS_PEER_SERVER, 0, 0, 0);
    ws_frame f;
    /* Header alone: need more, but the sizes are already known. */
    assert_int_equal(feed_guarded(&p, in, hdr_len, &f), WS_NEED_MORE);
    assert_int_equal(f.header_len, hdr_len);
    assert_int_equal(f.payload_len, n);
    assert_int_equal(feed_guarded(&p, in, hdr_len + n - 1, &f), WS_NEED_MORE);
    assert_int_equal(feed_guarded(&p, in, hdr_len + n, &f), (long)(hdr_len + n));
    assert_int_equal(f.opcode, WS_OP_BINARY);
    assert_int_equal(f.payload_len, n);
    assert_ptr_equal(f.payload, in + hdr_len);
    free(in);
}

static void test_rfc_256_binary(void **state)
{
    (void)state;
    const uint8_t hdr[] = {0x82, 0x7E, 0x01, 0x00};
    check_big_binary(256, hdr, sizeof(hdr));
}

static void test_rfc_65536_binary(void **state)
{
    (void)state;
    const uint8_t hdr[] = {0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00};
    check_big_binary(65536, hdr, sizeof(hdr));
}

/* Length boundaries: 125 (7-bit), 126 and 65535 (16-bit), 65536 (64-bit). */
static void test_length_boundaries(void **state)
{
    (void)state;
    const struct {
        uint64_t n;
        size_t hdr;
    } cases[] = {{0, 2}, {125, 2}, {126, 4}, {65535, 4}, {65536, 10}, {1ull << 40, 10}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ws_frame_spec s;
        ws_frame_spec_default(&s, WS_OP_BINARY, true);
        uint8_t out[WS_FRAME_HEADER_MAX];
        size_t h = ws_frame_write_header(out, &s, cases[i].n);
        assert_int_equal(h, cases[i].hdr + 4);
        ws_parser p = parser(WS_PEER_CLIENT, 0, 0, 0);
        ws_frame f;
        assert_int_equal(parse_checked(&p, out, h, &f), cases[i].n == 0 ? (long)h : WS_NEED_MORE);
        assert_int_equal(f.header_len, h);
        assert_int_equal(f.payload_len, cases[i].n);
    }
}

/* ---- errors ---- */

typedef struct err_case {
    const char *name;
    ws_parser_opts opts;
    const uint8_t *prelude; /* frames that set up the message state */
    size_t prelude_len;
    const uint8_t *bytes; /* the offending frame: header only, no payload */
    size_t len;
    int expect;
    uint16_t close_code;
} err_case;

#define B(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})
#define NONE   NULL, 0

static void run_err_case(const err_case *c)
{
    ws_parser p;
    ws_parser_init(&p, &c->opts);
    ws_frame f;
    size_t at = 0;
    while (at < c->prelude_len) {
        ws_parser probe = p;
        long r = ws_parser_feed(&probe, c->prelude + at, c->prelude_len - at, &f);
        if (r <= 0) fail_msg("%s: prelude frame gave %ld", c->name, r);
        assert_int_equal(parse_checked(&p, c->prelude + at, (size_t)r, &f), r);
        at += (size_t)r;
    }
    /* Only the header is given: the error must show before any payload. */
    long r = parse_checked(&p, c->bytes, c->len, &f);
    if (r != c->expect) fail_msg("%s: got %ld, expected %d", c->name, r, c->expect);
    /* One byte less must not be enough to tell, or the case tests too little. */
    ws_parser probe = p;
    r = feed_guarded(&probe, c->bytes, c->len - 1, &f);
    if (r != WS_NEED_MORE) fail_msg("%s: error already visible one byte early", c->name);
    if (ws_parse_close_code(c->expect) != c->close_code)
        fail_msg("%s: close code %u", c->name, ws_parse_close_code(c->expect));
}

static void test_errors(void **state)
{
    (void)state;
    const ws_parser_opts any = {WS_PEER_ANY, 0, 0, 0};
    const ws_parser_opts deflate = {WS_PEER_ANY, WS_RSV1, 0, 0};
    const ws_parser_opts from_client = {WS_PEER_CLIENT, 0, 0, 0};
    const ws_parser_opts from_server = {WS_PEER_SERVER, 0, 0, 0};
    const ws_parser_opts limited = {WS_PEER_ANY, 0, 100, 1000};
    uint8_t two_fragments[204] = {0};
    two_fragments[0] = WS_OP_BINARY;
    two_fragments[1] = 100;
    two_fragments[102] = WS_OP_CONT;
    two_fragments[103] = 100;
    const err_case cases[] = {
        {"rsv1", any, NONE, B(0xC1), WS_E_RSV, 1002},
        {"rsv2", any, NONE, B(0xA1), WS_E_RSV, 1002},
        {"rsv3", any, NONE, B(0x91), WS_E_RSV, 1002},
        {"rsv2 with deflate", deflate, NONE, B(0xE1), WS_E_RSV, 1002},
        {"opcode 3", any, NONE, B(0x83), WS_E_OPCODE, 1002},
        {"opcode 7", any, NONE, B(0x87), WS_E_OPCODE, 1002},
        {"opcode B", any, NONE, B(0x8B), WS_E_OPCODE, 1002},
        {"opcode F", any, NONE, B(0x8F), WS_E_OPCODE, 1002},
        {"ping fragmented", any, NONE, B(0x09), WS_E_CONTROL_FRAGMENTED, 1002},
        {"close fragmented", any, NONE, B(0x08), WS_E_CONTROL_FRAGMENTED, 1002},
        {"ping 126 bytes", any, NONE, B(0x89, 0x7E, 0x00, 0x7E), WS_E_CONTROL_TOO_LONG, 1002},
        {"pong 64-bit", any, NONE, B(0x8A, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0x80), WS_E_CONTROL_TOO_LONG,
         1002},
        {"close 200 bytes", any, NONE, B(0x88, 0x7E, 0x00, 0xC8), WS_E_CONTROL_TOO_LONG, 1002},
        {"length MSB", any, NONE, B(0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0), WS_E_LEN_MSB, 1002},
        {"length all ones", any, NONE,
         B(0x82, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF), WS_E_LEN_MSB, 1002},
        {"client unmasked", from_client, NONE, B(0x81, 0x05), WS_E_MASK_REQUIRED, 1002},
        {"server masked", from_server, NONE, B(0x81, 0x85), WS_E_MASK_FORBIDDEN, 1002},
        {"client unmasked ping", from_client, NONE, B(0x89, 0x00), WS_E_MASK_REQUIRED, 1002},
        {"frame 101 > 100", limited, NONE, B(0x82, 0x65), WS_E_FRAME_TOO_BIG, 1009},
        {"frame 16-bit over", limited, NONE, B(0x82, 0x7E, 0x01, 0x00), WS_E_FRAME_TOO_BIG, 1009},
        {"frame 2^62", limited, NONE, B(0x82, 0x7F, 0x40, 0, 0, 0, 0, 0, 0, 0), WS_E_FRAME_TOO_BIG,
         1009},
        {"message 1001 > 1000",
         {WS_PEER_ANY, 0, 0, 1000},
         NONE,
         B(0x82, 0x7E, 0x03, 0xE9),
         WS_E_MESSAGE_TOO_BIG,
         1009},
        /* 100 + 100 bytes of a message, then 51 more would make 251 > 250. */
        {"message over in 3rd fragment",
         {WS_PEER_ANY, 0, 100, 250},
         two_fragments,
         sizeof(two_fragments),
         B(0x80, 0x33),
         WS_E_MESSAGE_TOO_BIG,
         1009},
        {"cont first", any, NONE, B(0x80), WS_E_CONT_NO_MESSAGE, 1002},
        {"cont after whole message", any, B(0x81, 0x00), B(0x00), WS_E_CONT_NO_MESSAGE, 1002},
        {"text inside message", any, B(0x01, 0x01, 'a'), B(0x81), WS_E_DATA_IN_MESSAGE, 1002},
        {"binary inside message", any, B(0x02, 0x00, 0x00, 0x00), B(0x02), WS_E_DATA_IN_MESSAGE,
         1002},
        {"rsv1 on continuation", deflate, B(0x41, 0x00), B(0xC0), WS_E_RSV1_NOT_FIRST, 1002},
        {"rsv1 on ping", deflate, NONE, B(0xC9), WS_E_RSV1_NOT_FIRST, 1002},
        {"rsv1 on close", deflate, NONE, B(0xC8), WS_E_RSV1_NOT_FIRST, 1002},
        {"rsv1 on ping inside message", deflate, B(0x41, 0x00), B(0xC9), WS_E_RSV1_NOT_FIRST, 1002},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) run_err_case(&cases[i]);
}

/* Message size is the sum over fragments; control frames in between do not
 * count, and the limit is inclusive. */
static void test_message_limit_over_fragments(void **state)
{
    (void)state;
    ws_parser p = parser(WS_PEER_ANY, 0, 0, 10);
    ws_frame f;
    const uint8_t a[] = {0x01, 0x04, 'a', 'b', 'c', 'd'};
    const uint8_t ping[] = {0x89, 0x05, 'p', 'i', 'n', 'g', '!'};
    const uint8_t b_over[] = {0x80, 0x07};
    const uint8_t b_ok[] = {0x00, 0x06, '1', '2', '3', '4', '5', '6'};
    const uint8_t c_over[] = {0x80, 0x01};
    const uint8_t c_zero[] = {0x80, 0x00};
    assert_int_equal(parse_checked(&p, a, sizeof(a), &f), 6);
    assert_int_equal(parse_checked(&p, ping, sizeof(ping), &f), 7);
    assert_int_equal(p.message_len, 4);
    assert_int_equal(parse_checked(&p, b_over, sizeof(b_over), &f), WS_E_MESSAGE_TOO_BIG);
    assert_int_equal(parse_checked(&p, b_ok, sizeof(b_ok), &f), 8);
    assert_int_equal(p.message_len, 10);
    assert_int_equal(parse_checked(&p, c_over, sizeof(c_over), &f), WS_E_MESSAGE_TOO_BIG);
    assert_int_equal(parse_checked(&p, c_zero, sizeof(c_zero), &f), 2);
    assert_false(p.in_message);
    /* A new message starts from zero. */
    const uint8_t whole[] = {0x82, 0x0A, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    assert_int_equal(parse_checked(&p, whole, sizeof(whole), &f), 12);
}

static void test_frame_limit_inclusive(void **state)
{
    (void)state;
    ws_parser p = parser(WS_PEER_ANY, 0, 3, 0);
    ws_frame f;
    const uint8_t ok[] = {0x82, 0x03, 1, 2, 3};
    const uint8_t over[] = {0x82, 0x04};
    assert_int_equal(parse_checked(&p, ok, sizeof(ok), &f), 5);
    assert_int_equal(parse_checked(&p, over, sizeof(over), &f), WS_E_FRAME_TOO_BIG);
    /* The frame limit covers control frames too. */
    const uint8_t ping[] = {0x89, 0x04};
    assert_int_equal(parse_checked(&p, ping, sizeof(ping), &f), WS_E_FRAME_TOO_BIG);
}

/* Things that look odd but are allowed. */
static void test_allowed(void **state)
{
    (void)state;
    ws_frame f;
    /* Non-minimal length encodings, for data and for control frames. */
    ws_parser p = parser(WS_PEER_ANY, 0, 0, 0);
    const uint8_t text16[] = {0x81, 0x7E, 0x00, 0x02, 'h', 'i'};
    const uint8_t text64[] = {0x81, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0x02, 'h', 'i'};
    const uint8_t ping16[] = {0x89, 0x7E, 0x00, 0x7D};
    assert_int_equal(parse_checked(&p, text16, sizeof(text16), &f), 6);
    assert_int_equal(f.payload_len, 2);
    assert_int_equal(parse_checked(&p, text64, sizeof(text64), &f), 12);
    assert_int_equal(f.payload_len, 2);
    assert_int_equal(parse_checked(&p, ping16, sizeof(ping16), &f), WS_NEED_MORE);
    assert_int_equal(f.payload_len, 125);
    /* The largest legal 64-bit length: need more, sizes reported, no allocation. */
    const uint8_t huge[] = {0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    assert_int_equal(parse_checked(&p, huge, sizeof(huge), &f), WS_NEED_MORE);
    assert_int_equal(f.payload_len, 0x7FFFFFFFFFFFFFFFull);
    assert_int_equal(f.header_len, 10);

    /* With permessage-deflate: RSV1 on the first frame of a message. */
    ws_parser d = parser(WS_PEER_ANY, WS_RSV1, 0, 0);
    const uint8_t first[] = {0x41, 0x01, 'x'};
    const uint8_t ping[] = {0x89, 0x00};
    const uint8_t last[] = {0x80, 0x01, 'y'};
    assert_int_equal(parse_checked(&d, first, sizeof(first), &f), 3);
    assert_int_equal(f.rsv, WS_RSV1);
    assert_true(d.message_rsv1);
    assert_int_equal(parse_checked(&d, ping, sizeof(ping), &f), 2);
    assert_true(d.in_message);
    assert_int_equal(parse_checked(&d, last, sizeof(last), &f), 3);
    assert_false(d.in_message);
    assert_true(d.message_rsv1);

    /* WS_PEER_ANY: masked and unmasked both fine. */
    const uint8_t masked[] = {0x82, 0x80, 1, 2, 3, 4};
    const uint8_t empty[] = {0x82, 0x00};
    assert_int_equal(parse_checked(&p, masked, sizeof(masked), &f), 6);
    assert_true(f.masked);
    assert_int_equal(parse_checked(&p, empty, sizeof(empty), &f), 2);
    assert_false(f.masked);
    assert_ptr_equal(f.payload, empty + 2); /* zero-length payload at the very end */
}

/* Several errors in one header: the earliest byte decides, so that any
 * prefix agrees with the whole header. */
static void test_error_order(void **state)
{
    (void)state;
    ws_frame f;
    ws_parser p = parser(WS_PEER_CLIENT, 0, 10, 0);
    const uint8_t rsv_and_op[] = {0xF3, 0x05};
    const uint8_t ctl_and_mask[] = {0x09, 0x05};
    const uint8_t mask_and_big[] = {0x82, 0x7E, 0x10, 0x00};
    const uint8_t ping_big[] = {0x89, 0xFE, 0x10, 0x00};
    assert_int_equal(parse_checked(&p, rsv_and_op, 2, &f), WS_E_RSV);
    assert_int_equal(parse_checked(&p, ctl_and_mask, 2, &f), WS_E_CONTROL_FRAGMENTED);
    assert_int_equal(parse_checked(&p, mask_and_big, 4, &f), WS_E_MASK_REQUIRED);
    assert_int_equal(parse_checked(&p, ping_big, 4, &f), WS_E_CONTROL_TOO_LONG);
}

static void test_strerror_and_codes(void **state)
{
    (void)state;
    const struct {
        int status;
        const char *section;
    } want[] = {
        {WS_E_RSV, "6455 §5.2"},
        {WS_E_OPCODE, "6455 §5.2"},
        {WS_E_CONTROL_TOO_LONG, "6455 §5.5"},
        {WS_E_CONTROL_FRAGMENTED, "6455 §5.5"},
        {WS_E_LEN_MSB, "6455 §5.2"},
        {WS_E_MASK_REQUIRED, "6455 §5.1"},
        {WS_E_MASK_FORBIDDEN, "6455 §5.1"},
        {WS_E_FRAME_TOO_BIG, "1009"},
        {WS_E_MESSAGE_TOO_BIG, "1009"},
        {WS_E_CONT_NO_MESSAGE, "6455 §5.4"},
        {WS_E_DATA_IN_MESSAGE, "6455 §5.4"},
        {WS_E_RSV1_NOT_FIRST, "7692 §6.1"},
    };
    size_t n = sizeof(want) / sizeof(want[0]);
    for (size_t i = 0; i < n; i++) {
        const char *msg = ws_parse_strerror(want[i].status);
        if (!strstr(msg, want[i].section))
            fail_msg("status %d: \"%s\" lacks \"%s\"", want[i].status, msg, want[i].section);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(msg, ws_parse_strerror(want[j].status));
        uint16_t code = ws_parse_close_code(want[i].status);
        bool size = want[i].status == WS_E_FRAME_TOO_BIG || want[i].status == WS_E_MESSAGE_TOO_BIG;
        assert_int_equal(code, size ? 1009 : 1002);
    }
    assert_non_null(strstr(ws_parse_strerror(-99), "unknown"));
    assert_non_null(strstr(ws_parse_strerror(WS_NEED_MORE), "more"));
    assert_int_equal(ws_parse_close_code(WS_NEED_MORE), 0);
    assert_int_equal(ws_parse_close_code(7), 0);
    assert_int_equal(ws_parse_close_code(-99), 1002);
}

static void test_opcode_helpers(void **state)
{
    (void)state;
    const char *names[16] = {"cont",  "text", "binary", "op-3", "op-4", "op-5", "op-6", "op-7",
                             "close", "ping", "pong",   "op-B", "op-C", "op-D", "op-E", "op-F"};
    for (uint8_t op = 0; op < 16; op++) {
        assert_string_equal(ws_opcode_name(op), names[op]);
        assert_int_equal(ws_opcode_is_control(op), op >= 8);
        bool reserved = (op >= 3 && op <= 7) || op >= 0xB;
        assert_int_equal(ws_opcode_is_reserved(op), reserved);
    }
}

/* ---- the writer's lies ---- */

static void test_writer_lies(void **state)
{
    (void)state;
    uint8_t out[64];
    ws_frame_spec s;

    /* RSV bits and a reserved opcode, no FIN. */
    ws_frame_spec_default(&s, 0xB, false);
    s.rsv = WS_RSV1 | WS_RSV2 | WS_RSV3;
    s.fin = false;
    assert_int_equal(ws_frame_write(out, sizeof(out), &s, (const uint8_t *)"x", 1), 3);
    assert_memory_equal(out, ((const uint8_t[]){0x7B, 0x01, 'x'}), 3);

    /* A declared length that differs from the payload written. */
    ws_frame_spec_default(&s, WS_OP_TEXT, false);
    s.declare_len = true;
    s.declared_len = 100;
    assert_int_equal(ws_frame_write(out, sizeof(out), &s, (const uint8_t *)"abc", 3), 5);
    assert_memory_equal(out, ((const uint8_t[]){0x81, 100, 'a', 'b', 'c'}), 5);

    /* A lying 64-bit length with the MSB set. */
    s.declared_len = 0x8000000000000001ull;
    assert_int_equal(ws_frame_write(out, sizeof(out), &s, NULL, 0), 10);
    assert_memory_equal(out, ((const uint8_t[]){0x81, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0x01}), 10);

    /* Forced length forms: 16 and 64 bits for 5 bytes, 7 bits for 125. */
    ws_frame_spec_default(&s, WS_OP_TEXT, false);
    s.len_form = 16;
    assert_int_equal(ws_frame_write_header(out, &s, 5), 4);
    assert_memory_equal(out, ((const uint8_t[]){0x81, 0x7E, 0x00, 0x05}), 4);
    s.len_form = 64;
    assert_int_equal(ws_frame_write_header(out, &s, 5), 10);
    assert_memory_equal(out, ((const uint8_t[]){0x81, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0x05}), 10);
    s.len_form = 7;
    assert_int_equal(ws_frame_write_header(out, &s, 125), 2);
    assert_memory_equal(out, ((const uint8_t[]){0x81, 0x7D}), 2);

    /* Forms that cannot hold the length, or do not exist: refused. */
    s.len_form = 7;
    assert_int_equal(ws_frame_write_header(out, &s, 126), 0);
    assert_int_equal(ws_frame_header_size(&s, 126), 0);
    s.len_form = 16;
    assert_int_equal(ws_frame_write_header(out, &s, 65536), 0);
    s.len_form = 32;
    assert_int_equal(ws_frame_write_header(out, &s, 1), 0);
    assert_int_equal(ws_frame_write(out, sizeof(out), &s, (const uint8_t *)"x", 1), 0);

    /* An unmasked control frame with a payload over 125 bytes. */
    uint8_t big[200];
    memset(big, 'z', sizeof(big));
    uint8_t frame[256];
    ws_frame_spec_default(&s, WS_OP_PING, false);
    assert_int_equal(ws_frame_write(frame, sizeof(frame), &s, big, 200), 204);
    assert_memory_equal(frame, ((const uint8_t[]){0x89, 0x7E, 0x00, 0xC8}), 4);

    /* Each lie parses back as what was written (where the parser allows it). */
    ws_parser p = parser(WS_PEER_ANY, 0, 0, 0);
    ws_frame f;
    ws_frame_spec_default(&s, WS_OP_BINARY, true);
    s.mask_key[0] = 9;
    s.len_form = 64;
    size_t n = ws_frame_write(out, sizeof(out), &s, (const uint8_t *)"hey", 3);
    assert_int_equal(n, 17);
    assert_int_equal(parse_checked(&p, out, n, &f), 17);
    assert_int_equal(f.payload_len, 3);
    assert_int_equal(f.mask_key[0], 9);
}

static void test_writer_cap_and_in_place(void **state)
{
    (void)state;
    uint8_t out[16];
    ws_frame_spec s;
    ws_frame_spec_default(&s, WS_OP_TEXT, true);
    memcpy(s.mask_key, ((const uint8_t[]){0x37, 0xfa, 0x21, 0x3d}), 4);
    assert_int_equal(ws_frame_write(out, 10, &s, (const uint8_t *)"Hello", 5), 0);
    assert_int_equal(ws_frame_write(out, 11, &s, (const uint8_t *)"Hello", 5), 11);
    const uint8_t rfc[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    assert_memory_equal(out, rfc, 11);

    /* Payload already at out + header size: written in place. */
    size_t h = ws_frame_header_size(&s, 5);
    assert_int_equal(h, 6);
    memset(out, 0, sizeof(out));
    memcpy(out + h, "Hello", 5);
    assert_int_equal(ws_frame_write(out, sizeof(out), &s, out + h, 5), 11);
    assert_memory_equal(out, rfc, 11);
    /* Payload at the start of out: moved, not clobbered by the header. */
    memcpy(out, "Hello", 5);
    assert_int_equal(ws_frame_write(out, sizeof(out), &s, out, 5), 11);
    assert_memory_equal(out, rfc, 11);
}

/* ---- every split point of a stream ---- */

typedef struct rec {
    long size;
    bool fin, first, masked;
    uint8_t rsv, opcode;
    uint64_t payload_len;
    size_t payload_at; /* offset of the payload in the whole stream */
} rec;

typedef struct outcome {
    rec frames[32];
    size_t n;
    long end; /* WS_NEED_MORE if the stream ended cleanly, else the error */
} outcome;

/* Delivers `stream` to a parser in chunks ending at cuts[], through a ws_buf
 * the way a server would (append what arrived, parse, consume). */
static void run_stream(const ws_parser_opts *opts, const uint8_t *stream, size_t n,
                       const size_t *cuts, size_t ncuts, outcome *o)
{
    ws_parser p;
    ws_parser_init(&p, opts);
    ws_buf b;
    ws_buf_init(&b, 1 << 20);
    memset(o, 0, sizeof(*o));
    size_t delivered = 0, consumed = 0;
    for (size_t c = 0; c <= ncuts; c++) {
        size_t upto = c < ncuts ? cuts[c] : n;
        assert_int_equal(ws_buf_append(&b, stream + delivered, upto - delivered), 0);
        delivered = upto;
        for (;;) {
            ws_frame f;
            /* Exactly-sized copy so ASan sees any read past what arrived. */
            uint8_t *copy = malloc(b.len ? b.len : 1);
            assert_non_null(copy);
            if (b.len) memcpy(copy, b.data, b.len);
            long r = ws_parser_feed(&p, copy, b.len, &f);
            size_t payload_at = r > 0 ? consumed + (size_t)(f.payload - copy) : 0;
            free(copy);
            if (r == WS_NEED_MORE) {
                if (f.header_len) assert_true(f.header_len + f.payload_len > b.len);
                o->end = WS_NEED_MORE;
                break;
            }
            if (r < 0) {
                o->end = r;
                ws_buf_free(&b);
                return;
            }
            assert_true(o->n < 32);
            o->frames[o->n++] =
                (rec){r, f.fin, f.first, f.masked, f.rsv, f.opcode, f.payload_len, payload_at};
            ws_buf_consume(&b, (size_t)r);
            consumed += (size_t)r;
        }
    }
    assert_int_equal(consumed + b.len, n);
    ws_buf_free(&b);
}

static void assert_same_outcome(const outcome *a, const outcome *b, const char *how, size_t at)
{
    if (a->n != b->n || a->end != b->end ||
        (a->n && memcmp(a->frames, b->frames, a->n * sizeof(rec)) != 0))
        fail_msg("%s split at %zu: %zu frames ending %ld, expected %zu ending %ld", how, at, b->n,
                 b->end, a->n, a->end);
}

static size_t append_frame(uint8_t *out, uint8_t opcode, bool fin, uint8_t rsv, const char *text,
                           size_t len, uint32_t key)
{
    ws_frame_spec s;
    ws_frame_spec_default(&s, opcode, true);
    s.fin = fin;
    s.rsv = rsv;
    memcpy(s.mask_key, &key, 4);
    uint8_t payload[400];
    for (size_t i = 0; i < len; i++) payload[i] = text ? (uint8_t)text[i] : (uint8_t)(i * 13);
    size_t w = ws_frame_write(out, 500, &s, payload, len);
    assert_true(w > 0);
    return w;
}

/* A masked client stream: fragmented text with a ping and an empty fragment
 * inside, a 300-byte binary (16-bit length), a compressed-style RSV1 text,
 * an empty text, and a close. */
static size_t build_stream(uint8_t *out)
{
    size_t n = 0;
    n += append_frame(out + n, WS_OP_TEXT, false, 0, "frag1", 5, 0x11223344);
    n += append_frame(out + n, WS_OP_PING, true, 0, "ping", 4, 0x01020304);
    n += append_frame(out + n, WS_OP_CONT, false, 0, "", 0, 0xa5a5a5a5);
    n += append_frame(out + n, WS_OP_CONT, true, 0, "frag2", 5, 0xdeadbeef);
    n += append_frame(out + n, WS_OP_BINARY, true, 0, NULL, 300, 0x0badf00d);
    n += append_frame(out + n, WS_OP_TEXT, true, WS_RSV1, "zz", 2, 0x12345678);
    n += append_frame(out + n, WS_OP_TEXT, true, 0, "", 0, 0x9abcdef0);
    n += append_frame(out + n, WS_OP_PONG, true, 0, NULL, 125, 0x31415926);
    n += append_frame(out + n, WS_OP_CLOSE, true, 0,
                      "\x03\xe8"
                      "bye",
                      5, 0x27182818);
    return n;
}

static void check_all_splits(const ws_parser_opts *opts, const uint8_t *stream, size_t n,
                             const outcome *ref)
{
    outcome o;
    /* Two pieces, cut at every point. */
    for (size_t s = 0; s <= n; s++) {
        run_stream(opts, stream, n, &s, 1, &o);
        assert_same_outcome(ref, &o, "two-piece", s);
    }
    /* Three pieces, cut at every pair of points around each frame boundary region. */
    for (size_t s = 0; s <= n; s += 7)
        for (size_t t = s; t <= n; t += 3) {
            size_t cuts[2] = {s, t};
            run_stream(opts, stream, n, cuts, 2, &o);
            assert_same_outcome(ref, &o, "three-piece", s * 100000 + t);
        }
    /* One byte at a time. */
    size_t *cuts = malloc(n * sizeof(size_t));
    assert_non_null(cuts);
    for (size_t i = 0; i < n; i++) cuts[i] = i + 1;
    run_stream(opts, stream, n, cuts, n, &o);
    assert_same_outcome(ref, &o, "byte-at-a-time", 0);
    /* Random chunkings, seeded so a failure repeats. */
    uint32_t seed = 12345;
    for (int round = 0; round < 200; round++) {
        size_t k = 0, at = 0;
        while (at < n) {
            seed = seed * 1103515245u + 12345u;
            at += 1 + (seed >> 16) % 40;
            if (at > n) at = n;
            cuts[k++] = at;
        }
        run_stream(opts, stream, n, cuts, k, &o);
        assert_same_outcome(ref, &o, "random", (size_t)round);
    }
    free(cuts);
}

static void test_every_split_point(void **state)
{
    (void)state;
    uint8_t stream[2048];
    size_t n = build_stream(stream);
    const ws_parser_opts opts = {WS_PEER_CLIENT, WS_RSV1, 0, 0};

    outcome ref;
    run_stream(&opts, stream, n, NULL, 0, &ref);
    assert_int_equal(ref.end, WS_NEED_MORE);
    assert_int_equal(ref.n, 9);
    const uint8_t ops[9] = {WS_OP_TEXT, WS_OP_PING, WS_OP_CONT, WS_OP_CONT, WS_OP_BINARY,
                            WS_OP_TEXT, WS_OP_TEXT, WS_OP_PONG, WS_OP_CLOSE};
    const uint64_t lens[9] = {5, 4, 0, 5, 300, 2, 0, 125, 5};
    size_t total = 0;
    for (size_t i = 0; i < 9; i++) {
        assert_int_equal(ref.frames[i].opcode, ops[i]);
        assert_int_equal(ref.frames[i].payload_len, lens[i]);
        assert_true(ref.frames[i].masked);
        total += (size_t)ref.frames[i].size;
    }
    assert_int_equal(total, n);
    /* The payloads found are the ones written. */
    uint8_t frag2[5];
    memcpy(frag2, stream + ref.frames[3].payload_at, 5);
    ws_mask_apply(frag2, 5, (const uint8_t *)&(uint32_t){0xdeadbeef}, 0);
    assert_memory_equal(frag2, "frag2", 5);

    check_all_splits(&opts, stream, n, &ref);
}

/* The same stream with a bad frame in the middle: every split yields the
 * frames before it, then the same error. */
static void test_every_split_point_with_error(void **state)
{
    (void)state;
    uint8_t stream[2048];
    size_t n = build_stream(stream);
    /* A second text frame while the first message is open: replace the empty
     * CONT (third frame, 6 bytes after text "frag1" 11 + ping 10). */
    assert_int_equal(stream[21], 0x00);
    stream[21] = 0x01;
    const ws_parser_opts opts = {WS_PEER_CLIENT, WS_RSV1, 0, 0};
    outcome ref;
    run_stream(&opts, stream, n, NULL, 0, &ref);
    assert_int_equal(ref.n, 2);
    assert_int_equal(ref.end, WS_E_DATA_IN_MESSAGE);
    check_all_splits(&opts, stream, n, &ref);

    /* And a size error: a message limit the binary frame crosses. */
    n = build_stream(stream);
    const ws_parser_opts small = {WS_PEER_CLIENT, WS_RSV1, 0, 299};
    run_stream(&small, stream, n, NULL, 0, &ref);
    assert_int_equal(ref.n, 4);
    assert_int_equal(ref.end, WS_E_MESSAGE_TOO_BIG);
    check_all_splits(&small, stream, n, &ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_unmasked_hello),
        cmocka_unit_test(test_rfc_masked_hello),
        cmocka_unit_test(test_rfc_fragmented_hello),
        cmocka_unit_test(test_rfc_ping_pong),
        cmocka_unit_test(test_rfc_256_binary),
        cmocka_unit_test(test_rfc_65536_binary),
        cmocka_unit_test(test_length_boundaries),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_message_limit_over_fragments),
        cmocka_unit_test(test_frame_limit_inclusive),
        cmocka_unit_test(test_allowed),
        cmocka_unit_test(test_error_order),
        cmocka_unit_test(test_strerror_and_codes),
        cmocka_unit_test(test_opcode_helpers),
        cmocka_unit_test(test_writer_lies),
        cmocka_unit_test(test_writer_cap_and_in_place),
        cmocka_unit_test(test_every_split_point),
        cmocka_unit_test(test_every_split_point_with_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
