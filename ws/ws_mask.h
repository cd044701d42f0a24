/* ws_mask: the RFC 6455 §5.3 masking transform and sources of mask keys.
 *
 * Owns: XOR-ing payloads with a 4-byte key (word at a time, in place or
 * while copying), keys from
 * OpenSSL's RAND_bytes for conformance use (§10.3 asks for unpredictable keys),
 * and a cheap per-connection xorshift stream that the load generator may use
 * where unpredictability buys nothing. */
#ifndef WS_MASK_H
#define WS_MASK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* XORs data in place. `offset` is how many payload bytes precede `data` in the
 * frame, so a payload can be unmasked in pieces as it arrives. */
void ws_mask_apply(uint8_t *data, size_t len, const uint8_t key[4], uint64_t offset);

/* dst = src masked with key, for a payload that starts at a multiple of 4
 * (the key's phase is 0). Inline: the load generator masks every frame it
 * sends while copying it from its prepared template. */
static inline void ws_mask_copy(uint8_t *dst, const uint8_t *src, size_t n, const uint8_t key[4])
{
    uint32_t k4;
    memcpy(&k4, key, 4);
    uint64_t k8 = (uint64_t)k4 << 32 | k4;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        uint64_t v[2];
        memcpy(v, src + i, 16);
        v[0] ^= k8;
        v[1] ^= k8;
        memcpy(dst + i, v, 16);
    }
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, src + i, 8);
        v ^= k8;
        memcpy(dst + i, &v, 8);
    }
    for (; i < n; i++) dst[i] = src[i] ^ key[i & 3];
}

/* Strong key from RAND_bytes. 0 on success, -1 if the RNG failed. */
int ws_mask_key_random(uint8_t key[4]);

typedef struct ws_mask_rng {
    uint64_t state;
} ws_mask_rng;

void ws_mask_rng_seed(ws_mask_rng *r, uint64_t seed);
/* splitmix64: one add and three multiply-xorshift rounds per output, and every
 * seed (0 included) gives a full-period stream. Inline: the load generator
 * draws from it for every frame it sends. */
static inline uint64_t ws_mask_rng_next(ws_mask_rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A key from the low 32 bits of the next output. */
static inline void ws_mask_rng_key(ws_mask_rng *r, uint8_t key[4])
{
    uint64_t z = ws_mask_rng_next(r);
    key[0] = (uint8_t)z;
    key[1] = (uint8_t)(z >> 8);
    key[2] = (uint8_t)(z >> 16);
    key[3] = (uint8_t)(z >> 24);
}

#endif
