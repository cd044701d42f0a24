/* rp_compare: check reports against each other.
 *
 * Owns: (1) several targets side by side: the union of their cases in
 * catalogue order and each target's verdicts, like Autobahn's overview
 * matrix; (2) two runs of one target: which cases newly fail (not failed
 * before, failed now), which got fixed, which changed verdict otherwise, and
 * which were added or removed. Both are built as JSON (embedded into the HTML
 * page) and can be printed as text for a terminal. */
#ifndef RP_COMPARE_H
#define RP_COMPARE_H

#include <stddef.h>

#include "reports/rp_model.h"
#include "reports/rp_str.h"

typedef struct cJSON cJSON;

/* {"kind":"compare","cases":[{"id","title"}...],
 *  "reports":[{"agent","target","started","results":{ID:[verdict,close,reason]}}]} */
cJSON *rp_compare_data(const rp_report *const *reps, size_t n);
/* {"kind":"diff","old":{..},"new":{..},"counts":{"newly failing":N,"fixed":N,
 *  "changed":N,"added":N,"removed":N},"changes":[{"change","id","title","old","new"}]} */
cJSON *rp_diff_data(const rp_report *old, const rp_report *new_);
/* Number of newly failing cases in a diff. */
size_t rp_diff_regressions(const cJSON *diff);
/* Text for a terminal (server strings escaped with rp_esc_term). */
void rp_compare_print(rp_str *o, const rp_report *const *reps, size_t n, const cJSON *data);
void rp_diff_print(rp_str *o, const cJSON *diff);

#endif
