#!/usr/bin/env bash
# Runs fuzz targets one after another, one libFuzzer worker each, and prints the run time
# and executions per target (from libFuzzer's closing "Done N runs in S second(s)").
#
#   fuzz/run.sh SECONDS [TARGET...]     (default: every target)
#
# Toolchain: `cargo +nightly` when a nightly is installed, else stable with
# RUSTC_BOOTSTRAP=1 (see README.md). Logs go to fuzz/artifacts/<target>.log.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:?usage: fuzz/run.sh SECONDS [TARGET...]}"
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
if rustup run nightly rustc --version >/dev/null 2>&1; then
  fuzz=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
fi
mkdir -p artifacts
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  dict=()
  [ -f "dict/$t.dict" ] && dict=("-dict=dict/$t.dict")
  # -rss_limit_mb: a reader that allocates a lot on hostile input is a finding too.
  RAYON_NUM_THREADS=1 "${fuzz[@]}" run "$t" "corpus/$t" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
    -print_final_stats=1 "${dict[@]}" >"artifacts/$t.log" 2>&1 || {
    echo "$t: FAILED (see fuzz/artifacts/$t.log and fuzz/artifacts/$t/)"
    continue
  }
  runs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "artifacts/$t.log" | tail -1)
  echo "$t: $runs(s), corpus $(ls "corpus/$t" | wc -l) files"
done
