#!/bin/sh
# reports/rp_assets.c is generated from reports/assets/report.{css,js}: fail
# when someone edited an asset and forgot to regenerate (reports/gen_assets.py),
# and check the script parses as JavaScript.
cd "$(dirname "$0")/../.." || exit 2
passed=0
failed=0
if /usr/bin/python3 reports/gen_assets.py --check; then
    echo "ok   reports/rp_assets.c matches reports/assets/"
    passed=$((passed + 1))
else
    echo "FAIL reports/rp_assets.c is stale: run reports/gen_assets.py"
    failed=$((failed + 1))
fi
if node --check reports/assets/report.js; then
    echo "ok   report.js parses"
    passed=$((passed + 1))
else
    echo "FAIL report.js does not parse"
    failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
