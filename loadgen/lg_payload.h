/* lg_payload: what goes inside every load-test message, and prepared frames.
 *
 * Owns: the stamp at the start of each payload (sequence number, intended send
 * time, connection id, checksum), the fill after it, checking an echoed payload,
 * and writing a whole masked client frame from a template in which only the
 * mask key, sequence number and timestamp change per send.
 *
 * Payload layout (ASCII, so it is valid in text frames):
 *   [0,12)  sequence number          [12,24) intended send time, ns after the
 *   [24,32) connection id                    run's epoch (monotonic clock)
 *           (these three in lowercase hex)
 *   [32,40) checksum of the three fields and the payload length, 8 digits
 *           '`'..'o' (0x60 + nibble), least significant first
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

/* The checksum is sum_base + (low 32 bits of seq) * LG_SUM_STEP, mod 2^32,
 * where sum_base mixes time, connection, length and the high sequence bits
 * (splitmix64 finaliser). The digits of consecutive numbers' checksums are
 * one addition apart (and the sequence's last two digits one lookup): a run
 * of messages is built and checked without a mix or an encoding per message.
 * A change to the low
 * sequence bits always changes the sum (LG_SUM_STEP is odd); one to the other
 * fields goes through the mix. */
#define LG_SUM_STEP 0x9E3779B9u

/* The stamp words that repeat from one message to the next: a batch of sends
 * shares the connection, the time and the length, so per message only the
 * sequence digits and the checksum are encoded. In ASCII hex, as they sit in
 * the payload. */
typedef struct lg_stamp_cache {
    uint64_t t_ns; /* time, connection and length the words are for */
    uint32_t conn; /* (len SIZE_MAX: nothing cached yet) */
    size_t len;
    uint32_t seq_hi; /* seq >> 32 that seq_hi_w and sum_base are for (UINT32_MAX: none) */
    uint32_t seq_hi_w, t_hi_w;
    uint32_t sum_base;
    uint64_t t_lo_w, conn_w;
    uint32_t seq6_for; /* low 32 bits of seq >> 8 that seq6_w is for */
    uint64_t seq6_w;   /* their first six digits, the last two zero */
} lg_stamp_cache;

void lg_stamp_cache_init(lg_stamp_cache *k);
/* Whether the first LG_STAMP_LEN bytes of p are the stamp s for a payload of
 * len (>= LG_STAMP_LEN) bytes: the check of an echo against what was sent,
 * without keeping a copy of it. */
bool lg_payload_stamp_is(lg_stamp_cache *k, const uint8_t *p, size_t len, const lg_stamp *s);
/* lg_payload_stamp_is and then lg_payload_fill_ok, in one call (the check of
 * an echo the run check did not take): LG_VERIFY_OK, LG_VERIFY_STAMP (not this
 * stamp) or LG_VERIFY_FILL (this stamp, fill corrupted). */
int lg_payload_echo_check(lg_stamp_cache *k, const uint8_t *p, size_t len, const lg_stamp *s);

/* Mask keys. RFC 6455 §5.3 wants a client's keys unpredictable to
 * intermediaries; for load, a template holds LG_KEYS keys from the strong RNG
 * (ws_mask_key_random), redrawn by lg_tmpl_rekey (each worker does so once a
 * second), and each frame takes one of them picked by the connection's
 * ws_mask_rng stream: the payload is masked once per key, not per frame. */
#define LG_KEYS 16
/* Payloads up to this size get a masked copy per key (LG_KEYS x this at most:
 * 64 KiB, cache-sized); longer ones are masked as they are copied. */
#define LG_PREMASK_MAX 4096

/* A frame header, kept for the payload length it was last written for. */
typedef struct lg_hdr_cache {
    size_t len; /* SIZE_MAX: none yet */
    uint8_t b[14];
    uint8_t n; /* its size (a masked one's key is its last 4 bytes) */
} lg_hdr_cache;

/* A prepared client frame: the payload (fill written once) up to max_len,
 * the mask keys with the payload masked by each, and the cached header of the
 * last length used; the echo's (server) header too. */
typedef struct lg_tmpl {
    uint8_t opcode;
    size_t max_len;
    uint8_t *payload;       /* max_len bytes: zeros where the stamp goes, then fill */
    uint64_t keys[LG_KEYS]; /* each key twice over: a word that masks 8 bytes */
    /* Per key i, the whole frame of max_len payload bytes masked with it, at
     * i * lg_tmpl_frame_size(max_len) (NULL: payloads too long to keep). */
    uint8_t *masked;
    lg_hdr_cache hdr;      /* the frames' (masked, the key left zero) */
    lg_hdr_cache echo_hdr; /* the echo's (unmasked) */
    /* Of the last stamp written or checked: one for both, as a read's
     * echoes and the refill after it are the same connection's. */
    lg_stamp_cache stamp;
} lg_tmpl;

/* -1 when out of memory or the strong RNG failed. */
int lg_tmpl_init(lg_tmpl *t, uint8_t opcode, size_t max_len);
void lg_tmpl_free(lg_tmpl *t);
/* New keys (and masked payloads) from ws_mask_key_random; -1 (the old ones
 * kept) if it failed. */
int lg_tmpl_rekey(lg_tmpl *t);
/* Bytes one frame of len payload bytes takes on the wire (inline: asked once
 * per message sent). */
static inline size_t lg_tmpl_frame_size(size_t len)
{
    return len + (len < 126 ? 6 : len < 65536 ? 8 : 14);
}
/* Bytes the echo of a payload of len bytes takes (the server's unmasked
 * frame: the same header but for the mask key). */
static inline size_t lg_tmpl_echo_size(size_t len)
{
    return lg_tmpl_frame_size(len) - 4;
}
/* Writes a masked frame of len (<= max_len) payload bytes stamped with s into
 * out (at least lg_tmpl_frame_size(len) bytes), and the unmasked stamp into
 * copy (LG_STAMP_LEN bytes) unless NULL. The key is chosen by rng. Returns the
 * frame size. */
size_t lg_tmpl_write(lg_tmpl *t, uint8_t *out, size_t len, const lg_stamp *s, ws_mask_rng *rng,
                     uint8_t *copy);
/* count frames as lg_tmpl_write writes them one after another, stamped with
 * first and the next count - 1 sequence numbers (same time and connection),
 * into out (count * lg_tmpl_frame_size(len) bytes). One call for a
 * connection's whole refill. Returns the bytes written. */
size_t lg_tmpl_write_run(lg_tmpl *t, uint8_t *out, size_t len, const lg_stamp *first, size_t count,
                         ws_mask_rng *rng);
/* How many whole frames at the start of buf[0..n) are, byte for byte, the
 * echoes (server frames: FIN, the template's opcode, unmasked) of the
 * payloads of len bytes stamped first, first + 1, ... (same time and
 * connection), at most max: the run check of a read's echoes, stopping at the
 * first frame that is anything else (which the caller parses and judges on
 * its own). *used gets their bytes. len <= max_len (a longer one: 0). */
size_t lg_tmpl_echoes(lg_tmpl *t, const uint8_t *buf, size_t n, size_t len, const lg_stamp *first,
                      size_t max, size_t *used);

#endif
