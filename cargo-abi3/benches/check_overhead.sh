#!/usr/bin/env bash
# Overhead of `cargo abi3 check` beyond the cargo build itself, on a warm build.
#
#   cargo-abi3/benches/check_overhead.sh [example]   (default: raw-extern-311)
#
# Compares `cargo build --message-format=json-render-diagnostics` (what check runs) with
# `cargo-abi3 check --format json` on the same example and target directory, with the same
# PYO3_* environment so neither invalidates the other's fingerprints. Needs hyperfine and
# python3. Target: < 200 ms.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
example=${1:-raw-extern-311}
manifest="$root/examples/$example/Cargo.toml"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
export PYO3_BUILD_EXTENSION_MODULE=1 PYO3_PYTHON=${PYO3_PYTHON:-python3}
examples_target=${EXAMPLES_TARGET_DIR:-$CARGO_TARGET_DIR/bench-examples}

command -v hyperfine >/dev/null || { echo "hyperfine is required" >&2; exit 2; }

cargo build --release -p cargo-abi3 --manifest-path "$root/Cargo.toml" >&2
bin="$CARGO_TARGET_DIR/release/cargo-abi3"

export CARGO_TARGET_DIR="$examples_target"
# Warm: build once through check (exit 1 is expected for examples with violations).
"$bin" check --manifest-path "$manifest" --format json >/dev/null || true

out=$(mktemp)
hyperfine --warmup 3 --min-runs 20 -N --export-json "$out" \
  --command-name build "cargo build --message-format=json-render-diagnostics --manifest-path $manifest" \
  --command-name check "$bin check --manifest-path $manifest --format json" \
  -i >&2

python3 - "$out" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
b, c = r["build"]["mean"], r["check"]["mean"]
print(f"cargo build: {b*1000:.1f} ms, cargo abi3 check: {c*1000:.1f} ms, overhead: {(c-b)*1000:.1f} ms (target < 200 ms)")
PY
rm -f "$out"
