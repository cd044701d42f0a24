/* ws_close: close payloads (RFC 6455 §5.5.1) and status codes (§7.4 and the
 * IANA WebSocket Close Code Number Registry). */
#include "ws_close.h"

#include <string.h>

#include "ws_utf8.h"

/* Largest control frame payload (§5.5), so the reason gets 125 - 2 bytes. */
#define CLOSE_PAYLOAD_MAX 125

enum ws_close_code_class ws_close_code_classify(uint16_t code)
{
    if (code == WS_CLOSE_NO_STATUS || code == WS_CLOSE_ABNORMAL || code == WS_CLOSE_TLS_HANDSHAKE)
        return WS_CODE_NOT_ON_WIRE;
    if (code >= 1000 && code <= 1003) return WS_CODE_VALID;
    /* 1004 is reserved; 1007..1011 are §7.4.1, 1012..1014 the IANA registry */
    if (code >= 1007 && code <= 1014) return WS_CODE_VALID;
    /* 3000..3999 registered by libraries, 4000..4999 private use (§7.4.2) */
    if (code >= 3000 && code <= 4999) return WS_CODE_VALID;
    return WS_CODE_INVALID;
}

bool ws_close_code_valid_on_wire(uint16_t code)
{
    return ws_close_code_classify(code) == WS_CODE_VALID;
}

int ws_close_parse(const uint8_t *payload, size_t len, ws_close_info *out)
{
    memset(out, 0, sizeof(*out));
    if (len > CLOSE_PAYLOAD_MAX) return WS_CLOSE_E_TOO_LONG;
    if (len == 0) {
        /* §7.1.5: no status code in the frame is reported as 1005 */
        out->code = WS_CLOSE_NO_STATUS;
        return WS_CLOSE_OK;
    }
    if (len == 1) return WS_CLOSE_E_LEN1;

    /* Filled in even on error, so a caller can say which code was wrong. */
    out->has_code = true;
    out->code = (uint16_t)(payload[0] << 8 | payload[1]);
    out->reason = payload + 2;
    out->reason_len = len - 2;
    if (!ws_close_code_valid_on_wire(out->code)) return WS_CLOSE_E_CODE;
    if (!ws_utf8_valid(out->reason, out->reason_len)) return WS_CLOSE_E_UTF8;
    return WS_CLOSE_OK;
}

const char *ws_close_strerror(int status)
{
    switch (status) {
    case WS_CLOSE_OK:
        return "ok";
    case WS_CLOSE_E_LEN1:
        return "close payload of 1 byte (a code needs 2 bytes)";
    case WS_CLOSE_E_CODE:
        return "close code not allowed on the wire";
    case WS_CLOSE_E_UTF8:
        return "close reason is not valid UTF-8";
    case WS_CLOSE_E_TOO_LONG:
        return "close payload longer than 125 bytes";
    }
    return "unknown close parse status";
}

size_t ws_close_build(uint8_t *out, uint16_t code, const char *reason, size_t reason_len)
{
    if (code == 0) return 0;
    out[0] = (uint8_t)(code >> 8);
    out[1] = (uint8_t)(code & 0xFF);
    if (!reason) reason_len = 0;
    if (reason_len > CLOSE_PAYLOAD_MAX - 2) {
        /* Cut on a character boundary so a valid reason stays valid: step
         * back over continuation bytes to the start of the cut character. */
        reason_len = CLOSE_PAYLOAD_MAX - 2;
        while (reason_len > 0 && ((uint8_t)reason[reason_len] & 0xC0) == 0x80) reason_len--;
    }
    if (reason_len) memcpy(out + 2, reason, reason_len);
    return 2 + reason_len;
}

const char *ws_close_code_name(uint16_t code)
{
    switch (code) {
    case WS_CLOSE_NORMAL:
        return "normal closure";
    case WS_CLOSE_GOING_AWAY:
        return "going away";
    case WS_CLOSE_PROTOCOL_ERROR:
        return "protocol error";
    case WS_CLOSE_UNSUPPORTED:
        return "unsupported data";
    case WS_CLOSE_NO_STATUS:
        return "no status received";
    case WS_CLOSE_ABNORMAL:
        return "abnormal closure";
    case WS_CLOSE_INVALID_DATA:
        return "invalid frame payload data";
    case WS_CLOSE_POLICY:
        return "policy violation";
    case WS_CLOSE_TOO_BIG:
        return "message too big";
    case WS_CLOSE_MANDATORY_EXT:
        return "mandatory extension";
    case WS_CLOSE_INTERNAL_ERROR:
        return "internal error";
    case WS_CLOSE_SERVICE_RESTART:
        return "service restart";
    case WS_CLOSE_TRY_AGAIN:
        return "try again later";
    case WS_CLOSE_BAD_GATEWAY:
        return "bad gateway";
    case WS_CLOSE_TLS_HANDSHAKE:
        return "TLS handshake failure";
    }
    if (code >= 3000 && code <= 3999) return "registered (library/framework)";
    if (code >= 4000 && code <= 4999) return "private use";
    return NULL;
}
