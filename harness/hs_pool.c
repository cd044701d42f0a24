/* hs_pool: share-nothing workers over a shared case counter. */
#include "harness/hs_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct pool {
    const hs_case *const *cases;
    size_t n;
    const hs_run_opts *o;
    hs_result *results;
    atomic_size_t next;
    size_t done;
    pthread_mutex_t lock;
    hs_progress_fn cb;
    void *ud;
} pool;

int hs_pool_default_jobs(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1) cores = 1;
    return cores * 2 > 16 ? 16 : (int)cores * 2;
}

static void *worker(void *arg)
{
    pool *p = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n) break;
        if (p->o->cut_at_ms && atomic_load(p->o->cut_at_ms)) {
            p->results[i].interrupted = true; /* never started */
            continue;
        }
        hs_run_case(p->cases[i], p->o, &p->results[i]);
        pthread_mutex_lock(&p->lock);
        p->done++;
        if (p->cb) p->cb(p->ud, p->done, p->n, p->cases[i], &p->results[i]);
        pthread_mutex_unlock(&p->lock);
    }
    return NULL;
}

int hs_pool_run(const hs_case *const *cases, size_t n, const hs_run_opts *o, int jobs,
                hs_result *results, hs_progress_fn cb, void *ud)
{
    pool p = {.cases = cases, .n = n, .o = o, .results = results, .cb = cb, .ud = ud};
    atomic_init(&p.next, 0);
    pthread_mutex_init(&p.lock, NULL);
    if (jobs < 1) jobs = 1;
    if ((size_t)jobs > n) jobs = n ? (int)n : 1;
    pthread_t *t = calloc((size_t)jobs, sizeof *t);
    int started = 0;
    for (int i = 0; t && i < jobs; i++) {
        if (pthread_create(&t[i], NULL, worker, &p) != 0) break;
        started++;
    }
    if (started == 0) worker(&p); /* no threads: run them here */
    for (int i = 0; i < started; i++) pthread_join(t[i], NULL);
    free(t);
    pthread_mutex_destroy(&p.lock);
    return 0;
}
