/* test_rng: seeded pseudo-random inputs for the property tests.
 *
 * Owns: one small generator (splitmix64) and the value shapes drawn from it,
 * so every property test that needs them draws the same way and a failing
 * input comes back on every run with the same seed. Test code only. */
#ifndef TEST_RNG_H
#define TEST_RNG_H

#include <stdint.h>

static inline uint64_t test_rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Log-uniform in [1, 2^max_exp): the spread of latencies in nanoseconds. */
static inline uint64_t test_rng_log_uniform(uint64_t *state, unsigned max_exp)
{
    unsigned e = (unsigned)(test_rng_next(state) % max_exp);
    return (1ull << e) + test_rng_next(state) % (1ull << e);
}

#endif
