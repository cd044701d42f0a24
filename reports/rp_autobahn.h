/* rp_autobahn: index.json and per-case files in the shape Autobahn|Testsuite
 * writes, so tools and dashboards built for Autobahn results read ours.
 *
 * Owns: {"AGENT": {"CASE-ID": {"behavior": V, "behaviorClose": V,
 * "duration": MS, "remoteCloseCode": CODE|null, "reportfile": F}}} for one or
 * several check reports (one agent each; the agent is the report's server
 * agent, or its target when it has none; a repeated agent gets " (2)"), and
 * the case file each reportfile names: AGENT_case_ID.json next to index.json
 * (AGENT cut down to lower-case letters, digits and '_', ID with '.' as '_',
 * as Autobahn names them), holding Autobahn's keys for the case (agent, id,
 * description, expectation, behavior, result, remoteCloseCode, httpRequest,
 * ...) and wsprobe's own case object under "wsprobe". A case file is bounded
 * whatever the report holds: strings are cut at RP_AB_MAX_STRING bytes and
 * lists at RP_AB_MAX_ITEMS items (reports/SCHEMA.md). */
#ifndef RP_AUTOBAHN_H
#define RP_AUTOBAHN_H

#include <stddef.h>

#include "reports/rp_model.h"

typedef struct cJSON cJSON;

#define RP_AB_MAX_STRING 16384
#define RP_AB_MAX_ITEMS  256

/* The index for these check reports (caller deletes), or NULL when out of
 * memory. */
cJSON *rp_autobahn_index(const rp_report *const *reps, size_t n);
/* One case's file (caller deletes): reps[k]'s case i, as index names it. */
cJSON *rp_autobahn_case(const rp_report *r, size_t i, const char *agent);
/* Writes dir/index.json and every case file into dir (which must exist).
 * 0, or -1 with err. */
int rp_autobahn_write(const char *dir, const rp_report *const *reps, size_t n, char *err,
                      size_t errlen);

#endif
