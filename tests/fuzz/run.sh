#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs libFuzzer targets from build/fuzz (make fuzz / make fuzz-short; README.md here).
#   tests/fuzz/run.sh fuzz_avro fuzz_json ...   FUZZ_SECONDS per target (default 5)
# For each target: seeds the corpus (seeds.sh), replays every saved crash in
# regressions/<target>/ (each must pass now), then fuzzes for FUZZ_SECONDS.
# A crash stops the run with the reproducer's path: turn it into a regression
# (regressions/<target>/<name>) together with the fix.
set -euo pipefail
cd "$(dirname "$0")/../.."

secs="${FUZZ_SECONDS:-5}"
out=build/fuzz
status=0
for t in "$@"; do
    bin="$out/tests/fuzz/$t"
    [ -x "$bin" ] || { echo "fuzz: $bin not built (make fuzz-build)"; exit 2; }
    corpus="$out/corpus/$t"
    crashes="$out/crashes"
    mkdir -p "$corpus" "$crashes"
    tests/fuzz/seeds.sh "$t" "$corpus"
    regs=()
    if [ -d "tests/fuzz/regressions/$t" ]; then
        while IFS= read -r -d '' f; do regs+=("$f"); done \
            < <(find "tests/fuzz/regressions/$t" -type f -print0 | sort -z)
    fi
    log="$out/$t.log"
    if [ ${#regs[@]} -gt 0 ] && ! "$bin" "${regs[@]}" >"$log" 2>&1; then
        echo "fuzz: $t: a saved regression fails again (see $log)"
        tail -n 30 "$log"
        status=1
        continue
    fi
    # one worker, bounded memory and time per input; leaks count as crashes
    if "$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
            -print_final_stats=1 -artifact_prefix="$crashes/$t-" "$corpus" >"$log" 2>&1; then
        echo "fuzz: $t: ok, $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" \
            | grep -o '[0-9]*$' || echo '?') runs in ${secs}s, corpus $(ls "$corpus" | wc -l)"
    else
        echo "fuzz: $t: FAILED (log $log; reproducer in $crashes/)"
        grep -E "ERROR|SUMMARY|Test unit written|abort" "$log" | head -n 20 || true
        status=1
    fi
done
exit $status
