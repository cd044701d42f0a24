/* rp_junit: junit.xml for CI test reporting.
 *
 * Owns: the mapping of a report onto the JUnit XML format that Jenkins,
 * GitLab, GitHub Actions reporters and Ant's JUnitReport read
 * (tests/data/junit.xsd). A check report gives one <testsuite> per section and
 * one <testcase> per case: FAILED (or a FAILED closing) is a <failure>, a
 * failure listed in the --expect-failures baseline and UNIMPLEMENTED are
 * <skipped>, NON-STRICT and INFORMATIONAL pass with a note in <system-out>. A
 * load report gives one testsuite: a testcase per threshold, one for message
 * integrity and one for reaching the target. */
#ifndef RP_JUNIT_H
#define RP_JUNIT_H

#include "reports/rp_model.h"
#include "reports/rp_str.h"

void rp_junit_write(rp_str *o, const rp_report *r);

#endif
