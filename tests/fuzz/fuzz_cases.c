/* fuzz_cases: the case-script loader (harness/hs_load), JSON text to cases.
 *
 * Any document must load or be refused with a located message, never crash,
 * leak or hang; a document that loads must load the same way twice, and the
 * second copy must be caught as duplicate ids. */
#include <string.h>

#include "harness/hs_load.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = fuzz_cstr(data, size);
    hs_catalogue cat = {0};
    char err[512];
    err[0] = 0;
    int rc = hs_load_string(&cat, json, "fuzz.json", err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
    if (rc != 0) {
        FUZZ_CHECK(err[0] != 0);
    } else {
        for (size_t i = 0; i < cat.n; i++) FUZZ_CHECK(cat.cases[i].id && cat.cases[i].id[0]);
        size_t first = cat.n;
        FUZZ_CHECK(hs_load_string(&cat, json, "again.json", err, sizeof err) == 0);
        FUZZ_CHECK(cat.n == 2 * first);
        if (first > 0) FUZZ_CHECK(hs_catalogue_check_unique(&cat, err, sizeof err) == -1);
    }
    hs_catalogue_free(&cat);
    free(json);
    return 0;
}
