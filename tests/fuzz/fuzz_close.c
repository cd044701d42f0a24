/* fuzz_close: close frame payloads (ws_close).
 *
 * The parse result must agree with the rules restated here (length 0 or
 * 2..125, a code valid on the wire, a UTF-8 reason), point into the payload,
 * and survive ws_close_build -> ws_close_parse unchanged. Every code also
 * gets classified and named, so the tables are read at every index. */
#include <string.h>

#include "tests/fuzz/fuzz_util.h"
#include "ws/ws_close.h"
#include "ws/ws_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ws_close_info ci;
    int rc = ws_close_parse(data, size, &ci);
    FUZZ_CHECK(ws_close_strerror(rc) != NULL);

    int want = WS_CLOSE_OK;
    uint16_t code = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;
    if (size > 125)
        want = WS_CLOSE_E_TOO_LONG;
    else if (size == 1)
        want = WS_CLOSE_E_LEN1;
    else if (size >= 2 && !ws_close_code_valid_on_wire(code))
        want = WS_CLOSE_E_CODE;
    else if (size >= 2 && !ws_utf8_valid(data + 2, size - 2))
        want = WS_CLOSE_E_UTF8;
    FUZZ_CHECK(rc == want);

    FUZZ_CHECK(ws_close_code_valid_on_wire(code) ==
               (ws_close_code_classify(code) == WS_CODE_VALID));
    (void)ws_close_code_name(code);

    if (rc == WS_CLOSE_OK || rc == WS_CLOSE_E_CODE || rc == WS_CLOSE_E_UTF8) {
        FUZZ_CHECK(ci.has_code == (size >= 2));
        if (size == 0) FUZZ_CHECK(ci.code == WS_CLOSE_NO_STATUS && ci.reason_len == 0);
        if (size >= 2) {
            FUZZ_CHECK(ci.code == code && ci.reason == data + 2 && ci.reason_len == size - 2);
        }
    }

    /* Build what was received (any code, reasons cut at 123 bytes on a
     * character boundary) and parse it back. Code 0 means "no code". */
    if (size >= 2 && code == 0) {
        uint8_t out[125];
        FUZZ_CHECK(ws_close_build(out, 0, (const char *)data + 2, size - 2) == 0);
    } else if (size >= 2) {
        uint8_t out[125];
        size_t n = ws_close_build(out, code, (const char *)data + 2, size - 2);
        FUZZ_CHECK(n >= 2 && n <= 125);
        FUZZ_CHECK(out[0] == data[0] && out[1] == data[1]);
        FUZZ_CHECK(memcmp(out + 2, data + 2, n - 2) == 0);
        if (size <= 125) FUZZ_CHECK(n == size);
        ws_close_info back;
        int brc = ws_close_parse(out, n, &back);
        if (want == WS_CLOSE_OK) FUZZ_CHECK(brc == WS_CLOSE_OK);
        if (brc == WS_CLOSE_OK || brc == WS_CLOSE_E_CODE) FUZZ_CHECK(back.code == code);
    }
    return 0;
}
