/* rp_autobahn: index.json in the shape Autobahn|Testsuite writes, so tools and
 * dashboards built for Autobahn results read ours.
 *
 * Owns: {"AGENT": {"CASE-ID": {"behavior": V, "behaviorClose": V,
 * "duration": MS, "remoteCloseCode": CODE|null, "reportfile": F}}} for one or
 * several check reports (one agent each; the agent is the report's server
 * agent, or its target when it has none). reportfile points into index.html
 * (index.html#case-ID), which opens that case. */
#ifndef RP_AUTOBAHN_H
#define RP_AUTOBAHN_H

#include <stddef.h>

#include "reports/rp_model.h"

typedef struct cJSON cJSON;

/* The index for these check reports (caller deletes), or NULL when out of
 * memory. reportfile_prefix goes before "index.html#case-ID" (e.g. "agent1/"
 * when each report is rendered into its own folder; "" otherwise). */
cJSON *rp_autobahn_index(const rp_report *const *reps, size_t n,
                         const char *const *reportfile_prefix);

#endif
