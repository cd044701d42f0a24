/* hs_wire: the wire log of one case, and escaping of peer-supplied bytes.
 *
 * Owns: a bounded record of what crossed the wire (the raw handshake request
 * and response, every frame in both directions with time offset, opcode, FIN,
 * RSV, mask, length and the first bytes of payload, and notes), with a note
 * saying how much was dropped once the bound is reached; and hs_escape, the
 * one function that turns bytes a server sent into printable text. */
#ifndef HS_WIRE_H
#define HS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HS_WIRE_HEAD        16   /* payload bytes kept per frame */
#define HS_WIRE_MAX_ENTRIES 2000 /* per case */
#define HS_WIRE_MAX_RAW     8192 /* handshake request / response bytes kept */

enum hs_wire_kind { HS_WIRE_FRAME, HS_WIRE_BYTES, HS_WIRE_NOTE };

typedef struct hs_wire_entry {
    int64_t t_us; /* since the case started */
    char dir;     /* '>' we sent, '<' we received, '*' a note */
    int kind;
    uint8_t opcode, rsv;
    bool fin, masked;
    uint64_t len;
    uint8_t head[HS_WIRE_HEAD];
    uint8_t head_len;
    char *note; /* NOTE only */
} hs_wire_entry;

typedef struct hs_wire {
    int64_t t0_ns;
    hs_wire_entry *e;
    size_t n, cap;
    size_t dropped;           /* entries not kept */
    char *request, *response; /* raw, NUL-terminated, at most HS_WIRE_MAX_RAW */
    size_t request_len, response_len;
    bool request_cut, response_cut;
} hs_wire;

void hs_wire_init(hs_wire *w, int64_t t0_ns);
void hs_wire_free(hs_wire *w);
/* payload: unmasked bytes (only the first HS_WIRE_HEAD are kept). */
void hs_wire_frame(hs_wire *w, char dir, bool fin, uint8_t rsv, uint8_t opcode, bool masked,
                   uint64_t len, const uint8_t *payload, size_t avail);
/* Raw bytes that are not a frame (raw steps, garbage from the server). */
void hs_wire_bytes(hs_wire *w, char dir, const uint8_t *p, size_t n);
void hs_wire_note(hs_wire *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hs_wire_request(hs_wire *w, const char *p, size_t n);
void hs_wire_response(hs_wire *w, const char *p, size_t n);
/* One line per entry, server bytes escaped. */
void hs_wire_print(const hs_wire *w, FILE *out, const char *indent);
/* One entry as a line without the time, e.g. "text fin=1 rsv=0 mask=1 len=5 \"Hello\"". */
void hs_wire_entry_text(const hs_wire_entry *e, char *out, size_t cap);

/* The one escaper for bytes a server (or a case file) supplied.
 * HS_ESC_TERM, for a terminal and for text built into reasons: the one
 * terminal form of reports/rp_escape.h (rp_term_char, quoted: " becomes \"):
 * valid UTF-8 stays as it is ("RFC 7692 §7.2" prints as itself), \n \r \t
 * are written as such, other C0 controls and DEL become \xNN, C1 and
 * bidirectional controls \u{85}, and each invalid byte \xNN.
 * HS_ESC_JSON, for report.json strings that cJSON escapes itself: valid UTF-8
 * (controls included) stays; invalid bytes and NUL become \xNN text, so the
 * document is always valid UTF-8. */
enum hs_escape_mode { HS_ESC_TERM, HS_ESC_JSON };

/* Always NUL-terminates; cuts with "..." between two characters (never inside
 * a sequence or an escape) if the output would not fit. Returns out. */
char *hs_escape_as(int mode, const uint8_t *p, size_t n, char *out, size_t cap);
/* hs_escape_as(HS_ESC_TERM, ...). */
char *hs_escape(const uint8_t *p, size_t n, char *out, size_t cap);
/* The whole escaped text on the heap (NULL when out of memory). */
char *hs_escape_dup(int mode, const uint8_t *p, size_t n);
/* Bytes as hex: "ce ba e1". */
char *hs_hex(const uint8_t *p, size_t n, char *out, size_t cap);

#endif
