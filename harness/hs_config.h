/* hs_config: Autobahn|Testsuite's fuzzingclient.json read as a `wsprobe check`
 * configuration, so a project can switch tools without rewriting it.
 *
 * Owns: the keys wsprobe understands ("servers" with "url" and "agent",
 * "cases", "exclude-cases", "exclude-agent-cases"); every other key
 * ("outdir", "options", ...) is accepted and ignored, as Autobahn's own are
 * by tools that do not use them. */
#ifndef HS_CONFIG_H
#define HS_CONFIG_H

#include <stddef.h>

#include "harness/hs_select.h"

typedef struct hs_config_server {
    char *url;
    char *agent;         /* NULL when the entry names none */
    hs_patterns exclude; /* its exclude-agent-cases entry */
} hs_config_server;

typedef struct hs_config {
    hs_patterns cases, exclude;
    hs_config_server *servers;
    size_t n_servers;
} hs_config;

/* Parses the JSON text into c. 0, or -1 with err naming the key that is
 * wrong (c is then empty). */
int hs_config_parse(const char *text, hs_config *c, char *err, size_t errlen);
void hs_config_free(hs_config *c);
/* Frees one server's strings and patterns (for a server moved out of a config). */
void hs_config_server_free(hs_config_server *s);

#endif
