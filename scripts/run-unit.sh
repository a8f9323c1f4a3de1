#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every Check unit-test binary given, under ASan/UBSan options that make
# any report fatal, and prints one closing line: "unit: N passed, N failed".
set -uo pipefail
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"
passed=0; failed=0
for t in "$@"; do
    out=$("$t" 2>&1); rc=$?
    # Check's summary: "100%: Checks: 12, Failures: 0, Errors: 0"
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks:' | tail -1)
    checks=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")
    fails=$(sed -E 's/.*Failures: ([0-9]+), Errors: ([0-9]+).*/\1+\2/' <<<"$line")
    if [ -z "$line" ]; then checks=0; fails=1; fi
    nfail=$(( fails ))
    if [ $rc -ne 0 ] || [ "$nfail" -ne 0 ]; then
        printf '%s\n' "$out"
        echo "FAIL $t (exit $rc)"
        failed=$((failed + (nfail > 0 ? nfail : 1)))
        passed=$((passed + checks - nfail))
    else
        echo "ok   $t ($checks checks)"
        passed=$((passed + checks))
    fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
