#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 120) each, one after the other (never in parallel),
# starting from the committed seeds, and prints each run's final libFuzzer stats line.
#
#   fuzz/smoke.sh [SECONDS] [TARGET...]
#
# New corpus entries go to fuzz/corpus/<target>/ (git-ignored), crashes to
# fuzz/artifacts/<target>/, full logs to fuzz/artifacts/<target>/smoke.log.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-120}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(RUSTC_BOOTSTRAP=1 cargo fuzz list)
fi
export RUSTC_BOOTSTRAP=1
cargo fuzz build >/dev/null
status=0
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    seeds=()
    [ -d "seeds/$t" ] && seeds+=("seeds/$t")
    [ -d "regressions/$t" ] && seeds+=("regressions/$t")
    extra=()
    # Structured input: libFuzzer's default length control keeps inputs tiny for minutes.
    [ "$t" = wheel_build ] && extra+=(-len_control=0 -max_len=8192)
    log="artifacts/$t/smoke.log"
    if cargo fuzz run "$t" "corpus/$t" "${seeds[@]}" -- \
        -max_total_time="$secs" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
        "${extra[@]}" >"$log" 2>&1; then
        result=ok
    else
        result="FAILED (see $log)"
        status=1
    fi
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
    echo "$t: $result; $last; executed=${runs:-?}"
done
exit $status
