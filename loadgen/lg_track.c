/* lg_track: sequence tracking for integrity counters (see lg_track.h). */
#include "loadgen/lg_track.h"

static int bit_get(const lg_track *t, uint64_t s)
{
    unsigned i = (unsigned)(s % LG_TRACK_WINDOW);
    return (int)(t->seen[i / 64] >> (i % 64) & 1);
}

static void bit_put(lg_track *t, uint64_t s, int on)
{
    unsigned i = (unsigned)(s % LG_TRACK_WINDOW);
    uint64_t m = 1ull << (i % 64);
    if (on)
        t->seen[i / 64] |= m;
    else
        t->seen[i / 64] &= ~m;
}

/* Moves next up to upto, marking the numbers passed over as not seen. */
static void advance(lg_track *t, uint64_t upto)
{
    if (upto - t->next >= LG_TRACK_WINDOW) {
        for (unsigned i = 0; i < LG_TRACK_WINDOW / 64; i++) t->seen[i] = 0;
    } else {
        for (uint64_t s = t->next; s < upto; s++) bit_put(t, s, 0);
    }
    t->next = upto;
}

/* lg_track_next_n across words of the window, or all of it. */
void lg_track_next_span(lg_track *t, uint64_t n)
{
    if (n >= LG_TRACK_WINDOW) { /* the window is all of them */
        for (unsigned i = 0; i < LG_TRACK_WINDOW / 64; i++) t->seen[i] = ~0ull;
        t->next += n;
        return;
    }
    while (n) { /* a word's worth of bits at a time */
        unsigned i = (unsigned)(t->next % LG_TRACK_WINDOW), b = i % 64;
        unsigned k = n < 64 - b ? (unsigned)n : 64 - b;
        t->seen[i / 64] |= (k == 64 ? ~0ull : (1ull << k) - 1) << b;
        t->next += k;
        n -= k;
    }
}

int lg_track_see(lg_track *t, uint64_t seq, uint64_t *gap)
{
    *gap = 0;
    if (seq < t->first) return LG_TRACK_EARLY;
    if (seq >= t->next) {
        *gap = seq - t->next;
        t->missing += *gap;
        advance(t, seq);
        bit_put(t, seq, 1);
        t->next = seq + 1;
        return LG_TRACK_NEW;
    }
    if (t->next - seq <= LG_TRACK_WINDOW) {
        if (bit_get(t, seq)) return LG_TRACK_DUPLICATE;
        bit_put(t, seq, 1);
        t->missing--; /* a number below next not seen is always counted missing */
        return LG_TRACK_REORDERED;
    }
    /* Too old to remember: a late arrival only if some gap is still open. */
    if (t->missing == 0) return LG_TRACK_DUPLICATE;
    t->missing--;
    return LG_TRACK_REORDERED;
}

void lg_track_start_at(lg_track *t, uint64_t seq)
{
    advance(t, seq);
    t->first = seq;
}

uint64_t lg_track_skip_to(lg_track *t, uint64_t upto)
{
    if (upto <= t->next) return 0;
    uint64_t n = upto - t->next;
    t->missing += n;
    advance(t, upto);
    return n;
}
