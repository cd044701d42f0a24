/* ws_frame: the RFC 6455 §5.2 base framing protocol, parse and write.
 *
 * Owns: turning bytes into frame headers (with every §5 rule checked and a
 * precise error for each) and headers into bytes (correct by default, wrong on
 * request, because the harness must be able to send broken frames).
 * It does no I/O and never copies or allocates: the parser looks at the
 * caller's buffer, the writer writes into the caller's buffer. */
#ifndef WS_FRAME_H
#define WS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ws_opcode {
    WS_OP_CONT = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xA,
};

#define WS_RSV1 0x4 /* bit values as they sit in (byte0 >> 4) & 7 */
#define WS_RSV2 0x2
#define WS_RSV3 0x1

#define WS_FRAME_HEADER_MAX 14

/* Parser results. Positive values from ws_parser_feed are bytes consumed. */
enum ws_parse_status {
    WS_NEED_MORE = 0,
    WS_E_RSV = -1,                /* §5.2: RSV bit set, no extension defines it */
    WS_E_OPCODE = -2,             /* §5.2: reserved opcode 3-7 or B-F */
    WS_E_CONTROL_TOO_LONG = -3,   /* §5.5: control frame payload > 125 */
    WS_E_CONTROL_FRAGMENTED = -4, /* §5.5: control frame with FIN clear */
    WS_E_LEN_MSB = -5,            /* §5.2: 64-bit length with most significant bit set */
    WS_E_MASK_REQUIRED = -6,      /* §5.1: client-to-server frame not masked */
    WS_E_MASK_FORBIDDEN = -7,     /* §5.1: server-to-client frame masked */
    WS_E_FRAME_TOO_BIG = -8,      /* frame payload over the configured limit (1009) */
    WS_E_MESSAGE_TOO_BIG = -9,    /* message over the configured limit (1009) */
    WS_E_CONT_NO_MESSAGE = -10,   /* §5.4: continuation with no message started */
    WS_E_DATA_IN_MESSAGE = -11,   /* §5.4: new data frame before the last one ended */
    WS_E_RSV1_NOT_FIRST = -12,    /* RFC 7692 §6.1: RSV1 on a continuation or control frame */
};

/* Which side's frames this parser reads (decides the §5.1 mask rule). */
enum ws_peer { WS_PEER_CLIENT, WS_PEER_SERVER, WS_PEER_ANY };

typedef struct ws_parser_opts {
    enum ws_peer peer;    /* frames come from this peer */
    uint8_t rsv_allowed;  /* RSV bits an extension gave meaning to (WS_RSV1 for deflate) */
    uint64_t max_frame;   /* 0 = no limit */
    uint64_t max_message; /* sum of a message's frame payloads; 0 = no limit */
} ws_parser_opts;

typedef struct ws_frame {
    bool fin;
    uint8_t rsv; /* 3 bits, WS_RSV1|WS_RSV2|WS_RSV3 */
    uint8_t opcode;
    bool masked;
    uint8_t mask_key[4];
    uint8_t header_len; /* 2..14 */
    uint64_t payload_len;
    const uint8_t *payload; /* into the caller's buffer, still masked */
    bool first;             /* first frame of a data message (opcode != CONT) */
} ws_frame;

/* Message-level state: whether a fragmented message is open, its size so far. */
typedef struct ws_parser {
    ws_parser_opts opts;
    bool in_message;
    uint8_t message_opcode;
    bool message_rsv1;
    uint64_t message_len;
} ws_parser;

void ws_parser_init(ws_parser *p, const ws_parser_opts *opts);

/* Looks at buf[0..len) for one whole frame.
 * > 0: a frame was parsed; *f describes it; that many bytes belong to it.
 * WS_NEED_MORE: not enough bytes. Once the length field has arrived (and
 *   passed the limits), f->header_len and f->payload_len are set so the caller
 *   knows how much to wait for; before that both are 0.
 * On any result, f->fin, rsv and opcode are set if byte 0 was there.
 * < 0: a protocol error (enum ws_parse_status), reported as soon as the header
 *   shows it, before the payload arrives.
 * The parser state changes only when a whole frame is returned, so feeding the
 * same stream in any split gives the same frames. */
long ws_parser_feed(ws_parser *p, const uint8_t *buf, size_t len, ws_frame *f);

/* The rule a parse error broke, in words, with its RFC section. */
const char *ws_parse_strerror(int status);
/* The close code a server/client should fail the connection with for it:
 * 1009 for the size limits, 1002 for the rest, 0 for a non-error status. */
uint16_t ws_parse_close_code(int status);

bool ws_opcode_is_control(uint8_t opcode);
bool ws_opcode_is_reserved(uint8_t opcode);
const char *ws_opcode_name(uint8_t opcode); /* "text", "ping", "op-3" ... */

/* What the writer puts in a header. Zero-initialise then set what you need;
 * ws_frame_spec_default gives a correct frame. */
typedef struct ws_frame_spec {
    bool fin;
    uint8_t rsv;
    uint8_t opcode; /* any 4-bit value, reserved ones too */
    bool mask;
    uint8_t mask_key[4];
    /* Lies: a declared length different from the payload written, and a
     * forced length encoding (0 = minimal, 7, 16 or 64). */
    bool declare_len;
    uint64_t declared_len;
    int len_form;
} ws_frame_spec;

void ws_frame_spec_default(ws_frame_spec *s, uint8_t opcode, bool masked);

/* Writes the header for a payload of payload_len bytes into out (at least
 * WS_FRAME_HEADER_MAX bytes). Returns the header size, or 0 if s->len_form
 * cannot hold the length (7 for > 125, 16 for > 65535) or is not 0/7/16/64.
 * The mask key is written as given: ws_frame_spec_default leaves it zero, so
 * the caller fills it (ws_mask_key_random or ws_mask_rng_key). */
size_t ws_frame_write_header(uint8_t *out, const ws_frame_spec *s, uint64_t payload_len);

/* The size ws_frame_write_header would return, without writing: lets a caller
 * put the payload at out + size first and write the frame in place. */
size_t ws_frame_header_size(const ws_frame_spec *s, uint64_t payload_len);

/* Header plus payload (masked if s->mask) into out. Returns bytes written, or 0
 * if cap is too small or the header is impossible. payload may point into out
 * (in place at out + ws_frame_header_size costs no copy). */
size_t ws_frame_write(uint8_t *out, size_t cap, const ws_frame_spec *s, const uint8_t *payload,
                      size_t payload_len);

#endif
