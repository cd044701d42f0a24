/* rp_escape: making server-supplied strings safe for each output.
 *
 * Owns: escaping text for HTML, XML, a terminal and a JSON document embedded
 * in an HTML <script>, and showing binary as hex. Every string a server could
 * have chosen (headers, close reasons, payload previews, error details) goes
 * through one of these before it reaches a file or a screen.
 *
 * Input is any bytes. Valid UTF-8 passes through (escaped for the target);
 * each byte of an invalid sequence, and every control character the target
 * cannot carry, becomes the four visible characters \xNN, so nothing is
 * silently lost or allowed to act on the reader. */
#ifndef RP_ESCAPE_H
#define RP_ESCAPE_H

#include <stddef.h>
#include <stdint.h>

#include "reports/rp_str.h"

/* Length (1-4) of the valid UTF-8 sequence at p (n bytes left), storing its
 * code point in *cp; 0 when the bytes there are not valid UTF-8 (overlong,
 * surrogate, above U+10FFFF, truncated). */
size_t rp_utf8_next(const uint8_t *p, size_t n, uint32_t *cp);

/* Text and attribute values: & < > " ' become entities; controls other than
 * \t \n \r become \xNN. */
void rp_esc_html(rp_str *o, const char *p, size_t n);
/* XML 1.0 text and attribute values: as HTML, plus \t \n \r as character
 * references (kept through attribute normalisation), and U+FFFE/U+FFFF (not
 * XML characters) as \u{FFFE}. */
void rp_esc_xml(rp_str *o, const char *p, size_t n);
/* A terminal, the one form every terminal output of wsprobe uses (reports
 * and the harness's reasons and wire logs alike): valid UTF-8 stays as it
 * is; a backslash is doubled; newline, CR and tab become \n \r \t; every
 * other C0 control (ESC included) and DEL become \xNN; C1 controls
 * (U+0080-009F) and the bidirectional controls that could reorder what the
 * reader sees (U+202A-202E, U+2066-2069, U+200E, U+200F, U+061C) become
 * \u{85}-style code points; each byte that is not part of valid UTF-8
 * becomes \xNN. */
enum {
    RP_TERM_KEEP_NEWLINES = 1, /* \n and \t pass through as they are */
    RP_TERM_QUOTED = 2         /* for text inside "...": " becomes \" */
};
#define RP_TERM_CHAR_MAX 16 /* the longest escaped character, NUL included */
/* One character (or one invalid byte) at p, n > 0 bytes left, in the terminal
 * form into out (*out_len bytes, not NUL-terminated). Returns the number of
 * input bytes it took (at least 1). */
size_t rp_term_char(const uint8_t *p, size_t n, int flags, char out[RP_TERM_CHAR_MAX],
                    size_t *out_len);
/* The terminal form of p, flags RP_TERM_KEEP_NEWLINES when keep_newlines. */
void rp_esc_term(rp_str *o, const char *p, size_t n, int keep_newlines);
/* JSON text (as cJSON prints it) made safe inside <script>...</script>: every
 * < > & becomes \u003c \u003e \u0026 and U+2028/U+2029 become \u2028 \u2029.
 * These characters can only occur inside JSON strings, where the escapes mean
 * the same thing, so JSON.parse gives back the same document. */
void rp_esc_json_script(rp_str *o, const char *json, size_t n);
/* "0a ff 41" style hex, at most max bytes (then " …"). */
void rp_hex(rp_str *o, const uint8_t *p, size_t n, size_t max);

#endif
