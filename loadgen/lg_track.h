/* lg_track: per-stream sequence tracking, the heart of integrity checking.
 *
 * Owns: deciding, for each sequence number that comes back, whether it is the
 * next one, one after a gap (the gap is missing: lost unless it shows up later),
 * a late one filling a gap (reordered), or one seen before (duplicated).
 * A 256-bit ring remembers which recent numbers arrived; a number older than
 * that is judged by whether any gap is still open. */
#ifndef LG_TRACK_H
#define LG_TRACK_H

#include <stdint.h>

#define LG_TRACK_WINDOW 256

typedef struct lg_track {
    uint64_t next;    /* highest sequence number seen + 1 (0: none yet) */
    uint64_t missing; /* numbers below next not seen: lost so far */
    uint64_t first;   /* numbers below it are not expected (lg_track_start_at) */
    uint64_t seen[LG_TRACK_WINDOW / 64];
} lg_track;

enum lg_track_result {
    LG_TRACK_NEW,       /* >= next: in order (after a gap if *gap > 0) */
    LG_TRACK_REORDERED, /* < next and filled a gap */
    LG_TRACK_DUPLICATE, /* seen before */
    LG_TRACK_EARLY,     /* below the stream's start: neither missing nor a gap filled */
};

/* Records the number expected next (the common case, inlined). */
static inline void lg_track_next(lg_track *t)
{
    unsigned i = (unsigned)(t->next % LG_TRACK_WINDOW);
    t->seen[i / 64] |= 1ull << (i % 64);
    t->next++;
}

/* lg_track_next_n across words of the window (out of line). */
void lg_track_next_span(lg_track *t, uint64_t n);
/* Records the n numbers expected next (a run of echoes in order): inlined
 * when their bits sit in one word of the window. */
static inline void lg_track_next_n(lg_track *t, uint64_t n)
{
    unsigned i = (unsigned)(t->next % LG_TRACK_WINDOW), b = i % 64;
    if (n >= 64 - b) {
        lg_track_next_span(t, n);
        return;
    }
    t->seen[i / 64] |= ((1ull << n) - 1) << b;
    t->next += n;
}
/* Records seq; *gap is how many numbers it skipped (only for LG_TRACK_NEW). */
int lg_track_see(lg_track *t, uint64_t seq, uint64_t *gap);
/* A stream first seen at seq (nothing seen yet): the numbers below it are not
 * expected, and one that arrives later is LG_TRACK_EARLY. */
void lg_track_start_at(lg_track *t, uint64_t seq);
/* Gives up on every number below upto (a timeout): they count as missing.
 * Returns how many were added to missing. */
uint64_t lg_track_skip_to(lg_track *t, uint64_t upto);

#endif
