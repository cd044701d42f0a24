/* lg_payload: what goes inside every load-test message, and prepared frames.
 *
 * Owns: the stamp at the start of each payload (sequence number, intended send
 * time, connection id, checksum), the fill after it, checking an echoed payload,
 * and writing a whole masked client frame from a template in which only the
 * mask key, sequence number and timestamp change per send.
 *
 * Payload layout (ASCII, so it is valid in text frames; lowercase hex):
 *   [0,12)  sequence number          [12,24) intended send time, ns after the
 *   [24,32) connection id                    run's epoch (monotonic clock)
 *   [32,40) checksum of the three fields and the payload length
 *   [40,n)  fill: byte i is LG_FILL[i % 64]
 * The checksum guards the stamp; the fill is compared byte for byte with what it
 * must be, which catches any corruption of it (a stronger check than a sum). */
#ifndef LG_PAYLOAD_H
#define LG_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ws/ws_mask.h"

#define LG_STAMP_LEN   40
#define LG_PAYLOAD_MIN LG_STAMP_LEN

typedef struct lg_stamp {
    uint64_t seq;  /* < 2^48 */
    uint64_t t_ns; /* < 2^48 (78 hours) */
    uint32_t conn;
} lg_stamp;

enum lg_verify {
    LG_VERIFY_OK = 0,
    LG_VERIFY_SHORT = -1, /* shorter than a stamp: cannot be ours */
    LG_VERIFY_STAMP = -2, /* stamp unreadable or checksum wrong: sequence unknown */
    LG_VERIFY_FILL = -3,  /* stamp good (out is set), fill corrupted */
};

/* Writes the fill for payload bytes [LG_STAMP_LEN, len). */
void lg_payload_fill(uint8_t *p, size_t len);
/* Writes the 40-byte stamp for a payload of len bytes. */
void lg_payload_stamp(uint8_t *p, size_t len, const lg_stamp *s);
int lg_payload_verify(const uint8_t *p, size_t len, lg_stamp *out);
/* Whether payload bytes [LG_STAMP_LEN, len) are the fill. */
bool lg_payload_fill_ok(const uint8_t *p, size_t len);

/* The stamp words that repeat from one message to the next: a batch of sends
 * shares the connection, the time and the length, so per message only the
 * sequence digits and the checksum are encoded. In ASCII hex, as they sit in
 * the payload. */
typedef struct lg_stamp_cache {
    uint64_t t_ns; /* time, connection and length the words are for */
    uint32_t conn; /* (len SIZE_MAX: nothing cached yet) */
    size_t len;
    uint32_t seq_hi; /* seq >> 32 that seq_hi_w is for (UINT32_MAX: none) */
    uint32_t seq_hi_w, t_hi_w;
    /* The low 32 bits of the last sequence number encoded, and its nibbles
     * spread one per byte (byte i: nibble i, high nibble of each byte set), so
     * the next number's digits are an addition away: a carry out of a 0xFF
     * byte is a carry out of an 'f' digit. */
    uint32_t seq_lo;
    uint64_t seq_lo_nib;
    uint64_t t_lo_w, conn_w;
    uint64_t sum_in; /* the checksum's input from time, connection and length */
} lg_stamp_cache;

void lg_stamp_cache_init(lg_stamp_cache *k);
/* Whether the first LG_STAMP_LEN bytes of p are the stamp s for a payload of
 * len (>= LG_STAMP_LEN) bytes: the check of an echo against what was sent,
 * without keeping a copy of it. */
bool lg_payload_stamp_is(lg_stamp_cache *k, const uint8_t *p, size_t len, const lg_stamp *s);

/* The stamp words that change with every message, as they sit in the payload:
 * the low 8 digits of the sequence number and the checksum. Kept per message
 * in flight, they let an echo be checked against the bytes that were built
 * for it instead of encoding the stamp again. */
typedef struct lg_stamp_var {
    uint64_t seq_w, sum_w;
} lg_stamp_var;

/* The varying words of the stamp at the start of p (unmasked). */
void lg_payload_stamp_var(const uint8_t *p, lg_stamp_var *v);
/* Whether the first LG_STAMP_LEN bytes of p are the stamp s, given v, the
 * varying words built for s when it was sent (by lg_tmpl_write or
 * lg_payload_stamp): the check lg_payload_stamp_is makes, but for the length,
 * which the kept checksum was computed with: the caller compares len with the
 * length sent. */
bool lg_payload_stamp_matches(lg_stamp_cache *k, const uint8_t *p, size_t len, const lg_stamp *s,
                              const lg_stamp_var *v);
/* lg_payload_stamp_matches and then lg_payload_fill_ok, in one call (the
 * check of every echo on the fast path): LG_VERIFY_OK, LG_VERIFY_STAMP (not
 * this stamp) or LG_VERIFY_FILL (this stamp, fill corrupted). */
int lg_payload_echo_check(lg_stamp_cache *k, const uint8_t *p, size_t len, const lg_stamp *s,
                          const lg_stamp_var *v);
/* A prepared client frame: the payload (fill written once) up to max_len,
 * and the cached header of the last length used. */
typedef struct lg_tmpl {
    uint8_t opcode;
    size_t max_len;
    uint8_t *payload; /* max_len bytes of fill */
    size_t hdr_for;   /* payload length the cached header is for */
    uint8_t hdr[14];
    uint8_t hdr_len;      /* mask key sits in the last 4 bytes */
    lg_stamp_cache stamp; /* of the last frame written */
    lg_stamp_cache echo;  /* of the last echo checked (lg_payload_stamp_is) */
    lg_stamp_var last;    /* the varying words of the last frame written */
} lg_tmpl;

int lg_tmpl_init(lg_tmpl *t, uint8_t opcode, size_t max_len);
void lg_tmpl_free(lg_tmpl *t);
/* Bytes one frame of len payload bytes takes on the wire (inline: asked once
 * per message sent). */
static inline size_t lg_tmpl_frame_size(size_t len)
{
    return len + (len < 126 ? 6 : len < 65536 ? 8 : 14);
}
/* Writes a masked frame of len (<= max_len) payload bytes stamped with s into
 * out (at least lg_tmpl_frame_size(len) bytes), and the unmasked stamp into
 * copy (LG_STAMP_LEN bytes) unless NULL. Returns the frame size. */
size_t lg_tmpl_write(lg_tmpl *t, uint8_t *out, size_t len, const lg_stamp *s, ws_mask_rng *rng,
                     uint8_t *copy);
/* count frames as lg_tmpl_write writes them one after another, stamped with
 * first and the next count - 1 sequence numbers (same time and connection),
 * into out (count * lg_tmpl_frame_size(len) bytes); vars[i] gets frame i's
 * varying words. One call for a connection's whole refill. Returns the bytes
 * written. */
size_t lg_tmpl_write_run(lg_tmpl *t, uint8_t *out, size_t len, const lg_stamp *first, size_t count,
                         ws_mask_rng *rng, lg_stamp_var *vars);

#endif
