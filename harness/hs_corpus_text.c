/* hs_corpus_text: the text kinds. json (a pretty-printed array of user
 * records), prose (German verse with speakers and stage directions, the way a
 * play's plain-text edition looks) and html (a blog-like page). Vocabularies
 * are this project's own short lists; what makes the text realistic for
 * DEFLATE is the mix: frequent short words, rare long ones, numbers and ids
 * that do not repeat, markup that does, and whole passages quoted again from
 * far back. */
#include <stddef.h>

#include "harness/hs_corpus_gen.h"

#define COUNT(a) ((uint32_t)(sizeof(a) / sizeof(a)[0]))

/* ---- vocabularies ---- */

/* English: the first EN_FIXED are function words (they keep their ranks),
 * the content words after them are shuffled per document. */
static const char *const en_words[] = {
    "the",     "of",      "and",       "to",       "a",        "in",        "is",       "that",
    "it",      "for",     "was",       "on",       "with",     "as",        "he",       "be",
    "at",      "by",      "this",      "had",      "not",      "are",       "but",      "from",
    "or",      "have",    "an",        "they",     "which",    "one",       "you",      "were",
    "her",     "all",     "she",       "there",    "would",    "their",     "we",       "him",
    "been",    "has",     "when",      "who",      "will",     "more",      "no",       "if",
    "out",     "so",      "time",      "people",   "year",     "way",       "day",      "man",
    "world",   "life",    "hand",      "part",     "child",    "eye",       "woman",    "place",
    "work",    "week",    "case",      "point",    "company",  "number",    "group",    "problem",
    "fact",    "water",   "house",     "market",   "river",    "harbour",   "window",   "light",
    "morning", "evening", "story",     "letter",   "garden",   "city",      "road",     "station",
    "bridge",  "engine",  "signal",    "message",  "server",   "client",    "frame",    "socket",
    "buffer",  "stream",  "packet",    "network",  "request",  "answer",    "question", "reason",
    "result",  "system",  "program",   "village",  "mountain", "winter",    "summer",   "table",
    "kitchen", "coffee",  "bread",     "music",    "voice",    "door",      "street",   "office",
    "teacher", "student", "doctor",    "father",   "mother",   "brother",   "friend",   "ship",
    "weather", "island",  "forest",    "field",    "lamp",     "small",     "large",    "old",
    "new",     "good",    "long",      "great",    "little",   "own",       "other",    "right",
    "big",     "high",    "different", "early",    "young",    "important", "public",   "bad",
    "able",    "quiet",   "bright",    "cold",     "warm",     "strange",   "careful",  "quick",
    "slow",    "said",    "made",      "went",     "took",     "came",      "saw",      "knew",
    "thought", "looked",  "wanted",    "gave",     "used",     "found",     "told",     "asked",
    "seemed",  "felt",    "tried",     "left",     "called",   "kept",      "began",    "turned",
    "carried", "opened",  "closed",    "waited",   "walked",   "often",     "never",    "always",
    "again",   "still",   "later",     "together", "almost",   "perhaps",   "nearly",   "café",
    "naïve",   "façade",  "résumé",    "rôle",     "über",     "jalapeño",  "fiancée",  "crème",
    "déjà",    "—",       "“quite”",   "señor",
};
#define EN_FIXED 50

/* German: the first DE_FIXED are function words, then the vocabulary of a
 * classical play. */
static const char *const de_words[] = {
    "und",     "die",     "der",     "ich",      "nicht",    "das",        "du",
    "zu",      "ist",     "ein",     "es",       "sich",     "mich",       "mir",
    "mit",     "so",      "wie",     "den",      "in",       "dem",        "was",
    "auf",     "nur",     "auch",    "sein",     "mein",     "dich",       "dir",
    "wenn",    "doch",    "ihr",     "noch",     "nach",     "er",         "sie",
    "an",      "aus",     "da",      "wohl",     "schon",    "um",         "denn",
    "bei",     "hier",    "nun",     "dann",     "gar",      "kein",       "für",
    "über",    "daß",     "im",      "zum",      "vom",      "ach",        "o",
    "Geist",   "Welt",    "Herz",    "Natur",    "Himmel",   "Erde",       "Gott",
    "Teufel",  "Seele",   "Blut",    "Leben",    "Tod",      "Nacht",      "Tag",
    "Licht",   "Feuer",   "Wasser",  "Luft",     "Stunde",   "Augenblick", "Wissen",
    "Kunst",   "Buch",    "Bücher",  "Schüler",  "Meister",  "Doktor",     "Herr",
    "Frau",    "Mädchen", "Kind",    "Mutter",   "Bruder",   "Freund",     "Liebe",
    "Glück",   "Schmerz", "Lust",    "Traum",    "Träume",   "Tür",        "Stube",
    "Kammer",  "Garten",  "Straße",  "Brunnen",  "Kirche",   "Glocke",     "Lied",
    "Wort",    "Worte",   "Tat",     "Kraft",    "Sinn",     "Mühe",       "Qual",
    "Hölle",   "Höhe",    "Tiefe",   "Frühling", "Blüte",    "Blumen",     "Wald",
    "Berg",    "Fluß",    "Meer",    "Sterne",   "Mond",     "Sonne",      "Gold",
    "Schatz",  "Wein",    "Becher",  "Keller",   "Hexe",     "Pudel",      "Zauber",
    "Gestalt", "Brust",   "Busen",   "Auge",     "Hand",     "Haupt",      "Stimme",
    "Freude",  "Jugend",  "Alter",   "Menschen", "Geister",  "Engel",      "Schatten",
    "Nebel",   "Sturm",   "Flammen", "Kränze",   "Gesang",   "schön",      "süß",
    "groß",    "klein",   "weit",    "tief",     "hoch",     "alt",        "jung",
    "froh",    "müde",    "wüst",    "heiß",     "kalt",     "still",      "dunkel",
    "hell",    "ewig",    "heilig",  "göttlich", "selig",    "bang",       "trüb",
    "grün",    "wild",    "zart",    "fromm",    "kühn",     "leer",       "voll",
    "bin",     "hat",     "habe",    "kann",     "will",     "muß",        "soll",
    "mag",     "darf",    "sehe",    "fühle",    "weiß",     "komm",       "geh",
    "laß",     "sag",     "sprich",  "hör",      "bleib",    "lebt",       "stirbt",
    "liebt",   "sucht",   "findet",  "träumt",   "möchte",   "würde",      "könnte",
    "wär",     "hätt",    "schwebt", "glüht",    "klingt",   "weht",       "ruft",
    "zieht",   "drängt",  "strebt",  "irrt",     "Fräulein", "Nachbarin",  "Studierzimmer",
};
#define DE_FIXED 56

static const char *const de_speakers[] = {
    "FAUST",    "MEPHISTOPHELES", "WAGNER",          "MARGARETE", "MARTHE",
    "SCHÜLER",  "CHOR DER ENGEL", "DER HERR",        "HEXE",      "VALENTIN",
    "LIESCHEN", "ERDGEIST",       "CHOR DER JÜNGER", "BÜRGER",
};

/* A first name as shown and as it goes into an e-mail address. */
static const char *const first_names[][2] = {
    {"Anna", "anna"},   {"Jürgen", "juergen"}, {"Zoë", "zoe"},       {"José", "jose"},
    {"Søren", "soren"}, {"Marie", "marie"},    {"Thomas", "thomas"}, {"Léa", "lea"},
    {"Björn", "bjorn"}, {"Emily", "emily"},    {"Noah", "noah"},     {"Chloé", "chloe"},
    {"Mateo", "mateo"}, {"Olivia", "olivia"},  {"Lukas", "lukas"},   {"Ava", "ava"},
    {"Çağla", "cagla"}, {"Henrik", "henrik"},  {"Ines", "ines"},     {"Oscar", "oscar"},
};
static const char *const last_names[][2] = {
    {"Müller", "mueller"},     {"Smith", "smith"},   {"García", "garcia"},     {"Nowak", "nowak"},
    {"Schröder", "schroeder"}, {"Dubois", "dubois"}, {"Jensen", "jensen"},     {"Rossi", "rossi"},
    {"Brown", "brown"},        {"Øberg", "oberg"},   {"Kowalski", "kowalski"}, {"Weiß", "weiss"},
    {"Taylor", "taylor"},      {"Novák", "novak"},   {"Fischer", "fischer"},   {"Martin", "martin"},
};
static const char *const cities[] = {
    "Zürich",   "Malmö",  "Kraków", "São Paulo", "Reykjavík", "Porthaven", "Lowbridge", "Köln",
    "Montréal", "Bergen", "Lyon",   "Dresden",   "Aarhus",    "Sevilla",   "Göteborg",  "Brno",
};
static const char *const companies[] = {
    "zentrix",  "quotezart", "geekology", "harbourline", "lumenix",  "nordwerk",
    "flowbyte", "syntaxa",   "petrolia",  "glasswing",   "cobaltic", "maplesoft",
};
static const char *const colours[] = {"blue", "green", "brown", "grey", "amber"};
static const char *const fruits[] = {"apple", "banana", "strawberry", "cherry", "plum"};

#define PICK(r, a) ((a)[cg_below((r), COUNT(a))])

void cg_words_english(cg_words *z, cg_rng *r)
{
    cg_words_init(z, en_words, COUNT(en_words), EN_FIXED, r);
}

/* ---- shared ---- */

/* One sentence of n words: capitalised, commas now and then, a full stop. */
static void sentence(cg_out *o, const cg_words *z, cg_rng *r, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (i) cg_puts(o, i > 2 && cg_one_in(r, 9) ? ", " : " ");
        if (i == 0)
            cg_put_cap(o, cg_word(z, r));
        else
            cg_puts(o, cg_word(z, r));
    }
    cg_putc(o, cg_one_in(r, 12) ? '?' : '.');
}

/* Sentences, sometimes one from far back instead of a new one. */
static void sentences(cg_out *o, const cg_words *z, cg_memo *m, cg_rng *r, uint32_t count)
{
    for (uint32_t i = 0; i < count && !cg_full(o); i++) {
        if (i) cg_putc(o, ' ');
        if (cg_one_in(r, 20) && cg_memo_replay(m, r, o)) continue;
        size_t from = o->len;
        sentence(o, z, r, cg_range(r, 4, 16));
        cg_memo_note(m, r, o, from);
    }
}

/* ---- json ---- */

static void json_record(cg_out *o, const cg_words *en, cg_memo *m, cg_rng *r, uint32_t id)
{
    uint32_t fn = cg_below(r, COUNT(first_names)), ln = cg_below(r, COUNT(last_names));
    const char *company = PICK(r, companies);
    cg_fmt(o, "  {\n    \"id\": %u,\n    \"guid\": \"", id);
    cg_fmt(o, "%08x-%04x-%04x-%04x-%08x%04x\",\n", (unsigned)cg_next(r),
           (unsigned)cg_below(r, 65536), (unsigned)cg_below(r, 65536) | 0x4000u,
           (unsigned)cg_below(r, 65536), (unsigned)cg_next(r), (unsigned)cg_below(r, 65536));
    cg_fmt(o, "    \"isActive\": %s,\n", cg_one_in(r, 2) ? "true" : "false");
    cg_fmt(o, "    \"balance\": \"$%u,%03u.%02u\",\n", cg_range(r, 1, 3), cg_below(r, 1000),
           cg_below(r, 100));
    cg_fmt(o, "    \"age\": %u,\n    \"eyeColor\": \"%s\",\n", cg_range(r, 18, 80),
           PICK(r, colours));
    cg_fmt(o, "    \"name\": \"%s %s\",\n", first_names[fn][0], last_names[ln][0]);
    cg_fmt(o, "    \"company\": \"%s\",\n", company);
    cg_fmt(o, "    \"email\": \"%s.%s@%s.example\",\n", first_names[fn][1], last_names[ln][1],
           company);
    cg_fmt(o, "    \"phone\": \"+%u (%03u) %03u-%04u\",\n", cg_range(r, 1, 49), cg_below(r, 1000),
           cg_below(r, 1000), cg_below(r, 10000));
    cg_fmt(o, "    \"address\": \"%u %s Street, %s\",\n", cg_range(r, 1, 999), cg_word(en, r),
           PICK(r, cities));
    cg_puts(o, "    \"about\": \"");
    sentences(o, en, m, r, cg_range(r, 2, 6));
    cg_puts(o, "\",\n");
    cg_fmt(o, "    \"registered\": \"20%02u-%02u-%02uT%02u:%02u:%02u +0%u:00\",\n",
           cg_range(r, 10, 24), cg_range(r, 1, 12), cg_range(r, 1, 28), cg_below(r, 24),
           cg_below(r, 60), cg_below(r, 60), cg_below(r, 10));
    cg_fmt(o, "    \"latitude\": %s%u.%06u,\n", cg_one_in(r, 2) ? "-" : "", cg_below(r, 90),
           cg_below(r, 1000000));
    cg_fmt(o, "    \"longitude\": %s%u.%06u,\n", cg_one_in(r, 2) ? "-" : "", cg_below(r, 180),
           cg_below(r, 1000000));
    cg_puts(o, "    \"tags\": [");
    for (uint32_t i = 0, n = cg_range(r, 2, 7); i < n; i++)
        cg_fmt(o, "%s\n      \"%s\"", i ? "," : "", cg_word(en, r));
    cg_puts(o, "\n    ],\n    \"friends\": [");
    for (uint32_t i = 0, n = cg_range(r, 1, 3); i < n; i++) {
        uint32_t f = cg_below(r, COUNT(first_names)), l = cg_below(r, COUNT(last_names));
        cg_fmt(o, "%s\n      {\n        \"id\": %u,\n        \"name\": \"%s %s\"\n      }",
               i ? "," : "", i, first_names[f][0], last_names[l][0]);
    }
    cg_fmt(o, "\n    ],\n    \"favoriteFruit\": \"%s\"\n  }", PICK(r, fruits));
}

void cg_json(cg_out *o, cg_rng *r)
{
    cg_words en;
    cg_words_english(&en, r);
    cg_memo m = {0};
    uint32_t id = cg_below(r, 5000);
    cg_puts(o, "[\n");
    for (bool first = true; !cg_full(o); first = false) {
        if (!first) cg_puts(o, ",\n");
        json_record(o, &en, &m, r, id++);
    }
    cg_seal_utf8(o);
}

/* ---- prose ---- */

static void verse_line(cg_out *o, const cg_words *de, cg_rng *r)
{
    static const char *const ends[] = {",", ",", ",", ".", ".", "!", "?", ";", ":", "", ""};
    cg_phrase(o, de, r, cg_range(r, 3, 8), true);
    cg_puts(o, PICK(r, ends));
    cg_putc(o, '\n');
}

/* A speech: the speaker, sometimes a stage direction, verse lines (now and
 * then one said before). */
static void speech(cg_out *o, const cg_words *de, cg_memo *lines, cg_rng *r)
{
    cg_fmt(o, "\n%s:\n", PICK(r, de_speakers));
    if (cg_one_in(r, 6)) {
        cg_putc(o, '(');
        cg_phrase(o, de, r, cg_range(r, 2, 7), true);
        cg_puts(o, ".)\n");
    }
    for (uint32_t i = 0, n = cg_range(r, 1, 12); i < n && !cg_full(o); i++) {
        if (cg_one_in(r, 25) && cg_memo_replay(lines, r, o)) continue;
        size_t from = o->len;
        verse_line(o, de, r);
        cg_memo_note(lines, r, o, from);
    }
}

void cg_prose(cg_out *o, cg_rng *r)
{
    cg_words de;
    cg_words_init(&de, de_words, COUNT(de_words), DE_FIXED, r);
    cg_memo lines = {0}, speeches = {0};
    while (!cg_full(o)) {
        /* a speech repeated whole, like a refrain or a quoted passage */
        if (cg_one_in(r, 16) && cg_memo_replay(&speeches, r, o)) continue;
        size_t from = o->len;
        speech(o, &de, &lines, r);
        cg_memo_note(&speeches, r, o, from);
    }
    cg_seal_utf8(o);
}

/* ---- html ---- */

static const char *const css_classes[] = {"post", "entry",     "card",  "teaser",
                                          "note", "highlight", "muted", "lead"};

static void html_link(cg_out *o, const cg_words *en, cg_rng *r)
{
    cg_fmt(o, "<a href=\"/%s/%s-%u.html\">", cg_word(en, r), cg_word(en, r), cg_below(r, 5000));
    cg_phrase(o, en, r, cg_range(r, 1, 3), false);
    cg_puts(o, "</a>");
}

static void html_paragraph(cg_out *o, const cg_words *en, cg_memo *m, cg_rng *r)
{
    cg_fmt(o, "    <p class=\"%s\">", PICK(r, css_classes));
    for (uint32_t i = 0, n = cg_range(r, 1, 5); i < n && !cg_full(o); i++) {
        if (i) cg_putc(o, ' ');
        if (cg_one_in(r, 4)) {
            html_link(o, en, r);
            cg_puts(o, cg_one_in(r, 3) ? " &amp; " : " ");
        } else if (cg_one_in(r, 6)) {
            cg_puts(o, "<em>");
            cg_puts(o, cg_word(en, r));
            cg_puts(o, "</em> ");
        }
        sentences(o, en, m, r, 1);
    }
    cg_puts(o, "</p>\n");
}

static void html_table(cg_out *o, const cg_words *en, cg_rng *r)
{
    cg_puts(o, "    <table class=\"data\">\n      <tr><th>name</th><th>count</th>"
               "<th>share</th></tr>\n");
    for (uint32_t i = 0, n = cg_range(r, 2, 12); i < n && !cg_full(o); i++)
        cg_fmt(o, "      <tr><td>%s</td><td>%u</td><td>%u.%u&nbsp;%%</td></tr>\n", cg_word(en, r),
               cg_below(r, 100000), cg_below(r, 100), cg_below(r, 10));
    cg_puts(o, "    </table>\n");
}

static void html_list(cg_out *o, const cg_words *en, cg_rng *r)
{
    cg_puts(o, "    <ul>\n");
    for (uint32_t i = 0, n = cg_range(r, 2, 8); i < n && !cg_full(o); i++) {
        cg_puts(o, "      <li>");
        if (cg_one_in(r, 2))
            html_link(o, en, r);
        else
            cg_phrase(o, en, r, cg_range(r, 2, 6), true);
        cg_puts(o, "</li>\n");
    }
    cg_puts(o, "    </ul>\n");
}

static void html_article(cg_out *o, const cg_words *en, cg_memo *m, cg_rng *r, uint32_t id)
{
    cg_fmt(o, "  <article class=\"%s\" id=\"post-%u\">\n    <h2>", PICK(r, css_classes), id);
    cg_phrase(o, en, r, cg_range(r, 2, 7), true);
    cg_fmt(o, "</h2>\n    <p class=\"meta\">Posted by %s %s on 20%02u-%02u-%02u</p>\n",
           first_names[cg_below(r, COUNT(first_names))][0],
           last_names[cg_below(r, COUNT(last_names))][0], cg_range(r, 10, 24), cg_range(r, 1, 12),
           cg_range(r, 1, 28));
    for (uint32_t i = 0, n = cg_range(r, 1, 4); i < n && !cg_full(o); i++) {
        html_paragraph(o, en, m, r);
        if (cg_one_in(r, 5)) html_list(o, en, r);
        if (cg_one_in(r, 8)) html_table(o, en, r);
    }
    cg_puts(o, "  </article>\n");
}

void cg_html(cg_out *o, cg_rng *r)
{
    cg_words en;
    cg_words_english(&en, r);
    cg_memo sentences_memo = {0}, blocks = {0};
    cg_puts(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
    cg_phrase(o, &en, r, cg_range(r, 2, 6), true);
    cg_puts(o, "</title>\n<link rel=\"stylesheet\" href=\"/static/site.css\">\n"
               "<script src=\"/static/app.js\" defer></script>\n</head>\n<body>\n");
    /* A navigation block, repeated (like a page's menu and footer) further on. */
    size_t from = o->len;
    cg_puts(o, "<nav class=\"menu\">\n  <ul>\n");
    for (uint32_t i = 0, n = cg_range(r, 4, 9); i < n; i++) {
        cg_puts(o, "    <li>");
        html_link(o, &en, r);
        cg_puts(o, "</li>\n");
    }
    cg_puts(o, "  </ul>\n</nav>\n");
    cg_memo_note(&blocks, r, o, from);
    for (uint32_t id = cg_below(r, 90000); !cg_full(o); id++) {
        if (cg_one_in(r, 12)) {
            cg_memo_replay(&blocks, r, o);
            continue;
        }
        from = o->len;
        html_article(o, &en, &sentences_memo, r, id);
        cg_memo_note(&blocks, r, o, from);
    }
    cg_seal_utf8(o);
}
