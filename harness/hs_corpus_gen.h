/* hs_corpus_gen: what the corpus generators share. Internal to hs_corpus*.c.
 *
 * Owns: the seeded generator (splitmix64, integers only, so a seed means the
 * same bytes everywhere), the bounded output that stops at exactly the
 * requested size, Zipf-like word choice from a vocabulary, and the memory of
 * earlier spans that a generator may repeat from far behind. */
#ifndef HS_CORPUS_GEN_H
#define HS_CORPUS_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cg_rng {
    uint64_t s;
} cg_rng;

uint64_t cg_next(cg_rng *r);
/* Uniform in [0, n); n > 0. */
uint32_t cg_below(cg_rng *r, uint32_t n);
/* Uniform in [lo, hi]. */
uint32_t cg_range(cg_rng *r, uint32_t lo, uint32_t hi);
/* True once in n times on average. */
bool cg_one_in(cg_rng *r, uint32_t n);

/* Output that takes bytes until cap and silently drops the rest, so a
 * generator writes whole tokens and checks cg_full() between them. */
typedef struct cg_out {
    uint8_t *p;
    size_t len, cap;
} cg_out;

static inline bool cg_full(const cg_out *o)
{
    return o->len >= o->cap;
}
void cg_put(cg_out *o, const void *s, size_t n);
void cg_puts(cg_out *o, const char *s);
void cg_putc(cg_out *o, char c);
/* The word with its first letter upper-cased (ASCII, and ä ö ü). */
void cg_put_cap(cg_out *o, const char *word);
void cg_fmt(cg_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* n random bytes (compressed or encrypted-looking data). */
void cg_noise(cg_out *o, cg_rng *r, size_t n);
/* A text generator writes whole UTF-8 sequences, so only the last one can be
 * cut by the size limit: it becomes spaces. */
void cg_seal_utf8(cg_out *o);

/* Words with Zipf-Mandelbrot frequencies: the first n_fixed keep their rank
 * (function words: "the", "und"), the others are shuffled by the seed, so each
 * document has its own favourite content words. */
#define CG_MAX_WORDS 256
#define CG_GUIDE     256
typedef struct cg_words {
    const char *const *w;
    uint32_t n;
    uint32_t cum[CG_MAX_WORDS];
    uint16_t order[CG_MAX_WORDS];
    uint16_t
        guide[CG_GUIDE]; /* guide[g]: the first rank whose cum passes g/CG_GUIDE of the total */
} cg_words;

void cg_words_init(cg_words *z, const char *const *w, uint32_t n, uint32_t n_fixed, cg_rng *r);
const char *cg_word(const cg_words *z, cg_rng *r);
/* count words separated by spaces, the first capitalised if cap. */
void cg_phrase(cg_out *o, const cg_words *z, cg_rng *r, uint32_t count, bool cap);

/* Spans written earlier (sentences, verse lines, HTML blocks) that may be
 * written again much later: the slots keep a spread of ages, from the last
 * few spans back to the start of the document. */
#define CG_MEMO_SLOTS 32
typedef struct cg_memo {
    size_t off[CG_MEMO_SLOTS], len[CG_MEMO_SLOTS];
    uint32_t n;
} cg_memo;

/* Offers the span [from, o->len) for later repetition. */
void cg_memo_note(cg_memo *m, cg_rng *r, const cg_out *o, size_t from);
/* Writes a remembered span again; false if there is none yet. */
bool cg_memo_replay(const cg_memo *m, cg_rng *r, cg_out *o);

/* The English vocabulary (hs_corpus_text.c), for any kind that needs words. */
void cg_words_english(cg_words *z, cg_rng *r);

/* The documents, each written until o is full (hs_corpus_text.c,
 * hs_corpus_bin.c). */
void cg_json(cg_out *o, cg_rng *r);
void cg_prose(cg_out *o, cg_rng *r);
void cg_html(cg_out *o, cg_rng *r);
void cg_bitmap(cg_out *o, cg_rng *r);
void cg_pdf(cg_out *o, cg_rng *r);

#endif
