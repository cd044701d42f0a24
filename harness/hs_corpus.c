/* hs_corpus: kind names, the generator toolkit and the dispatch. */
#include "harness/hs_corpus.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/hs_corpus_gen.h"

static const char *const kind_names[HS_CORPUS_KINDS] = {"json", "bitmap", "prose", "html", "pdf"};

const char *hs_corpus_kind_name(int kind)
{
    return kind >= 0 && kind < HS_CORPUS_KINDS ? kind_names[kind] : "?";
}

int hs_corpus_kind_parse(const char *name)
{
    for (int k = 0; k < HS_CORPUS_KINDS; k++)
        if (!strcmp(name, kind_names[k])) return k;
    return -1;
}

const char *hs_corpus_kind_list(void)
{
    return "json, bitmap, prose, html, pdf";
}

static void generate(int kind, uint64_t seed, uint8_t *out, size_t size)
{
    static void (*const gen[HS_CORPUS_KINDS])(cg_out *, cg_rng *) = {
        [HS_CORPUS_JSON] = cg_json, [HS_CORPUS_BITMAP] = cg_bitmap, [HS_CORPUS_PROSE] = cg_prose,
        [HS_CORPUS_HTML] = cg_html, [HS_CORPUS_PDF] = cg_pdf,
    };
    cg_out o = {.p = out, .len = 0, .cap = size};
    /* The kind is mixed in so that one seed gives unrelated documents. */
    cg_rng r = {.s = seed * 0x100000001B3ull + (uint64_t)kind};
    gen[kind](&o, &r);
}

static bool is_text(int kind)
{
    return kind == HS_CORPUS_JSON || kind == HS_CORPUS_PROSE || kind == HS_CORPUS_HTML;
}

int hs_corpus_fill(int kind, uint64_t seed, uint64_t offset, uint64_t size, uint8_t *out)
{
    if (kind < 0 || kind >= HS_CORPUS_KINDS) {
        memset(out, ' ', (size_t)size);
        return 0;
    }
    if (!offset) {
        generate(kind, seed, out, (size_t)size);
        return 0;
    }
    /* Repeats copy from earlier in the document, so the part before the
     * slice is generated too. */
    uint8_t *doc = malloc((size_t)(offset + size));
    if (!doc) return -1;
    generate(kind, seed, doc, (size_t)(offset + size));
    memcpy(out, doc + offset, (size_t)size);
    free(doc);
    for (size_t i = 0; i < size && is_text(kind) && (out[i] & 0xC0) == 0x80; i++) out[i] = ' ';
    return 0;
}

/* ---- generator ---- */

uint64_t cg_next(cg_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint32_t cg_below(cg_rng *r, uint32_t n)
{
    return (uint32_t)(((cg_next(r) >> 32) * (uint64_t)n) >> 32);
}

uint32_t cg_range(cg_rng *r, uint32_t lo, uint32_t hi)
{
    return lo + cg_below(r, hi - lo + 1);
}

bool cg_one_in(cg_rng *r, uint32_t n)
{
    return cg_below(r, n) == 0;
}

/* ---- output ---- */

void cg_put(cg_out *o, const void *s, size_t n)
{
    size_t room = o->cap - o->len;
    if (n > room) n = room;
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

void cg_puts(cg_out *o, const char *s)
{
    cg_put(o, s, strlen(s));
}

void cg_putc(cg_out *o, char c)
{
    if (o->len < o->cap) o->p[o->len++] = (uint8_t)c;
}

void cg_put_cap(cg_out *o, const char *word)
{
    const uint8_t *w = (const uint8_t *)word;
    if (w[0] >= 'a' && w[0] <= 'z') {
        cg_putc(o, (char)(w[0] - 'a' + 'A'));
        cg_puts(o, word + 1);
    } else if (w[0] == 0xC3 && (w[1] == 0xA4 || w[1] == 0xB6 || w[1] == 0xBC)) {
        uint8_t up[2] = {0xC3, (uint8_t)(w[1] - 0x20)}; /* ä ö ü -> Ä Ö Ü */
        cg_put(o, up, 2);
        cg_puts(o, word + 2);
    } else {
        cg_puts(o, word);
    }
}

/* Every format the generators use expands to well under the buffer (the
 * longest, a PDF page object, to about 170 bytes); a cut one would leave a
 * broken object in the document. */
void cg_fmt(cg_out *o, const char *fmt, ...)
{
    char b[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    if (n > 0) cg_put(o, b, (size_t)n < sizeof b ? (size_t)n : sizeof b - 1);
}

void cg_noise(cg_out *o, cg_rng *r, size_t n)
{
    while (n > 0 && !cg_full(o)) {
        uint64_t x = cg_next(r);
        size_t k = n < 8 ? n : 8;
        uint8_t b[8];
        for (size_t i = 0; i < k; i++) b[i] = (uint8_t)(x >> (8 * i));
        cg_put(o, b, k);
        n -= k;
    }
}

void cg_seal_utf8(cg_out *o)
{
    size_t stop = o->len > 4 ? o->len - 4 : 0;
    for (size_t i = o->len; i > stop; i--) {
        uint8_t c = o->p[i - 1];
        if (c < 0x80) return;
        if (c < 0xC0) continue; /* a continuation byte: look further back */
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (o->len - (i - 1) < need) memset(o->p + i - 1, ' ', o->len - (i - 1));
        return;
    }
}

/* ---- words ---- */

void cg_words_init(cg_words *z, const char *const *w, uint32_t n, uint32_t n_fixed, cg_rng *r)
{
    if (n > CG_MAX_WORDS) n = CG_MAX_WORDS;
    z->w = w;
    z->n = n;
    for (uint32_t i = 0; i < n; i++) z->order[i] = (uint16_t)i;
    for (uint32_t i = n; i > n_fixed + 1; i--) {
        uint32_t j = n_fixed + cg_below(r, i - n_fixed);
        uint16_t t = z->order[i - 1];
        z->order[i - 1] = z->order[j];
        z->order[j] = t;
    }
    /* weight 1 / (rank + 2.7): the most frequent word is about 8% of a text
     * (English "the" is 6-7%), the least frequent still shows up. */
    uint32_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        sum += 655360u / (10u * i + 27u);
        z->cum[i] = sum;
    }
    /* A guide table, so a draw starts its search at most a few ranks away. */
    uint32_t i = 0;
    for (uint32_t g = 0; g < CG_GUIDE; g++) {
        uint32_t x = (uint32_t)((uint64_t)sum * g / CG_GUIDE);
        while (z->cum[i] <= x) i++;
        z->guide[g] = (uint16_t)i;
    }
}

const char *cg_word(const cg_words *z, cg_rng *r)
{
    uint32_t total = z->cum[z->n - 1];
    uint32_t x = cg_below(r, total);
    uint32_t i = z->guide[(uint64_t)x * CG_GUIDE / total];
    while (z->cum[i] <= x) i++;
    return z->w[z->order[i]];
}

void cg_phrase(cg_out *o, const cg_words *z, cg_rng *r, uint32_t count, bool cap)
{
    for (uint32_t i = 0; i < count; i++) {
        if (i) cg_putc(o, ' ');
        if (i == 0 && cap)
            cg_put_cap(o, cg_word(z, r));
        else
            cg_puts(o, cg_word(z, r));
    }
}

/* ---- long-distance repeats ---- */

void cg_memo_note(cg_memo *m, cg_rng *r, const cg_out *o, size_t from)
{
    if (cg_full(o) || o->len <= from) return;
    uint32_t slot;
    if (m->n < CG_MEMO_SLOTS)
        slot = m->n++;
    else if (cg_one_in(r, 8))
        slot = cg_below(r, CG_MEMO_SLOTS);
    else
        return;
    m->off[slot] = from;
    m->len[slot] = o->len - from;
}

bool cg_memo_replay(const cg_memo *m, cg_rng *r, cg_out *o)
{
    if (m->n == 0) return false;
    uint32_t k = cg_below(r, m->n);
    cg_put(o, o->p + m->off[k], m->len[k]);
    return true;
}
