/* ws_mask: RFC 6455 §5.3 masking and mask-key sources (see ws_mask.h). */
#include "ws/ws_mask.h"

#include <string.h>

#include <openssl/rand.h>

void ws_mask_apply(uint8_t *data, size_t len, const uint8_t key[4], uint64_t offset)
{
    /* The key rotated to this offset and repeated to 8 bytes: since 8 is a
     * multiple of 4, every 8-byte step starts at the same key phase. */
    uint8_t k[8];
    for (int i = 0; i < 8; i++) k[i] = key[(offset + (uint64_t)i) & 3];
    uint64_t kw;
    memcpy(&kw, k, 8);

    /* memcpy loads and stores: no alignment assumption, compiled to plain
     * unaligned moves. Four words per step give the compiler room to use
     * vector registers. */
    size_t i = 0;
    for (; i + 32 <= len; i += 32) {
        uint64_t w[4];
        memcpy(w, data + i, 32);
        w[0] ^= kw;
        w[1] ^= kw;
        w[2] ^= kw;
        w[3] ^= kw;
        memcpy(data + i, w, 32);
    }
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, data + i, 8);
        w ^= kw;
        memcpy(data + i, &w, 8);
    }
    for (; i < len; i++) data[i] ^= k[i & 7];
}

int ws_mask_key_random(uint8_t key[4])
{
    return RAND_bytes(key, 4) == 1 ? 0 : -1;
}

void ws_mask_rng_seed(ws_mask_rng *r, uint64_t seed)
{
    r->state = seed;
}

/* splitmix64: one add and three multiply-xorshift rounds per key, and every
 * seed (0 included) gives a full-period stream. */
void ws_mask_rng_key(ws_mask_rng *r, uint8_t key[4])
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
