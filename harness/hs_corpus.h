/* hs_corpus: seeded stand-ins for the documents Autobahn|Testsuite compresses
 * in its 12.x cases, behind the {"corpus": {"kind", "seed", "size"}} payload.
 *
 * Owns: the kinds (a JSON data file, a greyscale bitmap, German verse in the
 * manner of Goethe's Faust, an HTML page, a PDF), each generated from a seed
 * with nothing downloaded or copied: the same kind, seed and size give the
 * same bytes on every run and machine (integer arithmetic only). Text is
 * drawn word by word from small built-in vocabularies with Zipf-like
 * frequencies, and earlier sentences or blocks come back now and then from
 * far behind, so a large document is not one short passage repeated. The
 * text kinds (json, prose, html) are valid UTF-8 at every size. */
#ifndef HS_CORPUS_H
#define HS_CORPUS_H

#include <stdint.h>

enum hs_corpus_kind {
    HS_CORPUS_JSON,
    HS_CORPUS_BITMAP,
    HS_CORPUS_PROSE,
    HS_CORPUS_HTML,
    HS_CORPUS_PDF,
};
#define HS_CORPUS_KINDS 5

/* "json", "bitmap", "prose", "html", "pdf" -> kind; -1 if unknown. */
int hs_corpus_kind_parse(const char *name);
/* The name of a kind ("json"), "?" if unknown. */
const char *hs_corpus_kind_name(int kind);
/* The names above, joined with ", " (for error messages). */
const char *hs_corpus_kind_list(void);
/* Writes bytes [offset, offset + size) of the document of this kind and seed
 * to out, so that consecutive slices are consecutive parts of one document
 * (the way Autobahn cuts its messages from a file). A text slice that starts
 * inside a multi-byte character starts with spaces instead. 0, or -1 when the
 * memory for the document before the slice ran out (out is then not filled). */
int hs_corpus_fill(int kind, uint64_t seed, uint64_t offset, uint64_t size, uint8_t *out);

#endif
