/* rp_autobahn: Autobahn-compatible index.json (see rp_autobahn.h). */
#include "reports/rp_autobahn.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

cJSON *rp_autobahn_index(const rp_report *const *reps, size_t n,
                         const char *const *reportfile_prefix)
{
    cJSON *root = cJSON_CreateObject();
    for (size_t k = 0; root && k < n; k++) {
        const rp_report *r = reps[k];
        const char *agent = rp_report_agent(r);
        /* Two reports of one agent (e.g. two runs) must not overwrite each
         * other: the second gets " (2)". */
        char name[300];
        snprintf(name, sizeof name, "%s", agent);
        for (int i = 2; cJSON_GetObjectItemCaseSensitive(root, name); i++)
            snprintf(name, sizeof name, "%.280s (%d)", agent, i);
        cJSON *a = cJSON_AddObjectToObject(root, name);
        for (size_t i = 0; a && i < r->n_cases; i++) {
            const rp_case *c = &r->cases[i];
            cJSON *o = cJSON_AddObjectToObject(a, c->id);
            char file[600];
            snprintf(file, sizeof file, "%sindex.html#case-%s",
                     reportfile_prefix ? reportfile_prefix[k] : "", c->id);
            cJSON_AddStringToObject(o, "behavior", rp_verdict_name(c->verdict));
            cJSON_AddStringToObject(o, "behaviorClose", rp_verdict_name(c->close_verdict));
            cJSON_AddNumberToObject(o, "duration", (double)(long long)c->duration_ms);
            if (c->server_code >= 0)
                cJSON_AddNumberToObject(o, "remoteCloseCode", c->server_code);
            else
                cJSON_AddNullToObject(o, "remoteCloseCode");
            cJSON_AddStringToObject(o, "reportfile", file);
        }
    }
    return root;
}
