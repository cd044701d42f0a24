/* ws_close: close frame payloads and close status codes (RFC 6455 §5.5.1,
 * §7.4, and the IANA WebSocket Close Code Number Registry).
 *
 * Owns: building and parsing the code + reason payload, and classifying a code
 * as one an endpoint may send, one that may be received, or one that must never
 * appear on the wire. */
#ifndef WS_CLOSE_H
#define WS_CLOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_GOING_AWAY = 1001,
    WS_CLOSE_PROTOCOL_ERROR = 1002,
    WS_CLOSE_UNSUPPORTED = 1003,
    WS_CLOSE_NO_STATUS = 1005, /* never on the wire */
    WS_CLOSE_ABNORMAL = 1006,  /* never on the wire */
    WS_CLOSE_INVALID_DATA = 1007,
    WS_CLOSE_POLICY = 1008,
    WS_CLOSE_TOO_BIG = 1009,
    WS_CLOSE_MANDATORY_EXT = 1010,
    WS_CLOSE_INTERNAL_ERROR = 1011,
    WS_CLOSE_SERVICE_RESTART = 1012,
    WS_CLOSE_TRY_AGAIN = 1013,
    WS_CLOSE_BAD_GATEWAY = 1014,
    WS_CLOSE_TLS_HANDSHAKE = 1015, /* never on the wire */
};

enum ws_close_code_class {
    WS_CODE_VALID,       /* may be sent and received: 1000-1003, 1007-1014, 3000-4999 */
    WS_CODE_NOT_ON_WIRE, /* 1005, 1006, 1015: defined, but must never be sent */
    WS_CODE_INVALID,     /* 0-999, 1004, unassigned 1016-2999, >= 5000 */
};

enum ws_close_code_class ws_close_code_classify(uint16_t code);
bool ws_close_code_valid_on_wire(uint16_t code);

enum ws_close_parse_status {
    WS_CLOSE_OK = 0,
    WS_CLOSE_E_LEN1 = -1,     /* payload of exactly 1 byte */
    WS_CLOSE_E_CODE = -2,     /* code not valid on the wire */
    WS_CLOSE_E_UTF8 = -3,     /* reason is not valid UTF-8 */
    WS_CLOSE_E_TOO_LONG = -4, /* payload > 125 */
};

typedef struct ws_close_info {
    bool has_code; /* false for an empty payload (reported as 1005) */
    uint16_t code;
    const uint8_t *reason; /* into the payload, not NUL-terminated */
    size_t reason_len;
} ws_close_info;

/* Parses a close payload. On E_CODE and E_UTF8, out still holds the code and
 * reason that were received. */
int ws_close_parse(const uint8_t *payload, size_t len, ws_close_info *out);
const char *ws_close_strerror(int status);
/* Writes code (big-endian) and reason into out (room for 125 bytes). Returns
 * the payload length; a reason over 123 bytes is cut to fit, on a UTF-8
 * character boundary. code 0 writes an empty payload. The code is not checked,
 * so the harness can send invalid ones on purpose. */
size_t ws_close_build(uint8_t *out, uint16_t code, const char *reason, size_t reason_len);
/* IANA name ("normal closure", "protocol error", ...), a range description for
 * 3000-4999, or NULL for codes nobody defines. */
const char *ws_close_code_name(uint16_t code);

#endif
