/* ws_mask: the RFC 6455 §5.3 masking transform and sources of mask keys.
 *
 * Owns: XOR-ing payloads with a 4-byte key (word at a time), keys from
 * OpenSSL's RAND_bytes for conformance use (§10.3 asks for unpredictable keys),
 * and a cheap per-connection xorshift stream that the load generator may use
 * where unpredictability buys nothing. */
#ifndef WS_MASK_H
#define WS_MASK_H

#include <stddef.h>
#include <stdint.h>

/* XORs data in place. `offset` is how many payload bytes precede `data` in the
 * frame, so a payload can be unmasked in pieces as it arrives. */
void ws_mask_apply(uint8_t *data, size_t len, const uint8_t key[4], uint64_t offset);

/* Strong key from RAND_bytes. 0 on success, -1 if the RNG failed. */
int ws_mask_key_random(uint8_t key[4]);

typedef struct ws_mask_rng {
    uint64_t state;
} ws_mask_rng;

void ws_mask_rng_seed(ws_mask_rng *r, uint64_t seed);
/* splitmix64: one add and three multiply-xorshift rounds per key, and every
 * seed (0 included) gives a full-period stream. Inline: the load generator
 * asks for one key per frame it sends. */
static inline void ws_mask_rng_key(ws_mask_rng *r, uint8_t key[4])
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    key[0] = (uint8_t)z;
    key[1] = (uint8_t)(z >> 8);
    key[2] = (uint8_t)(z >> 16);
    key[3] = (uint8_t)(z >> 24);
}

#endif
