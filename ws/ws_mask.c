/* ws_mask: RFC 6455 §5.3 masking and mask-key sources (see ws_mask.h). */
#include "ws/ws_mask.h"

#include <string.h>

#include <openssl/rand.h>

void ws_mask_apply(uint8_t *data, size_t len, const uint8_t key[4], uint64_t offset)
{
    /* The key repeated three times; 8 bytes starting at the key phase of this
     * offset are the key for any 8-byte step, since 8 is a multiple of 4. */
    uint8_t rep[12];
    memcpy(rep, key, 4);
    memcpy(rep + 4, key, 4);
    memcpy(rep + 8, key, 4);
    const uint8_t *k = rep + (offset & 3);
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
    if (i + 4 <= len) {
        uint32_t w, kh;
        memcpy(&w, data + i, 4);
        memcpy(&kh, k, 4);
        w ^= kh;
        memcpy(data + i, &w, 4);
        i += 4;
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
