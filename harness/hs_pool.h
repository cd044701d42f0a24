/* hs_pool: runs cases in parallel.
 *
 * Owns: the -j worker threads. Each worker takes the next case index from a
 * shared counter and runs the whole case on its own connection, so results
 * land in their catalogue slot whatever order they finish in. Progress is
 * reported under a mutex, one call per finished case. */
#ifndef HS_POOL_H
#define HS_POOL_H

#include <stddef.h>

#include "harness/hs_case.h"
#include "harness/hs_run.h"

typedef void (*hs_progress_fn)(void *ud, size_t done, size_t total, const hs_case *c,
                               const hs_result *r);

/* The default -j: twice the cores, at most 16. */
int hs_pool_default_jobs(void);
/* results[i] is the result of cases[i]. Once o->cut_at_ms is set, no new case
 * starts: the rest get a zeroed result with `interrupted` set. 0, or -1 if no thread could start
 * (then nothing ran). */
int hs_pool_run(const hs_case *const *cases, size_t n, const hs_run_opts *o, int jobs,
                hs_result *results, hs_progress_fn cb, void *ud);

#endif
