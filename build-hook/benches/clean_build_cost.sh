#!/usr/bin/env bash
# What the build hook adds to a clean build: examples/hooked-clean with the hook against the
# same crate without it (no build.rs, no build-dependency, no include!), timed with hyperfine.
#
#   build-hook/benches/clean_build_cost.sh [RUNS]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
runs="${1:-3}"
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$root/examples/hooked-clean" "$work/hooked"
cp -r "$root/examples/hooked-clean" "$work/plain"
sed -i "s#path = \"../../build-hook\"#path = \"$root/build-hook\"#" "$work/hooked/Cargo.toml"
rm "$work/plain/build.rs"
sed -i '/^\[build-dependencies\]/,/^cargo-abi3-build-hook/d' "$work/plain/Cargo.toml"
sed -i '/cargo_abi3_declaration.rs/d; /declaration written by the build hook/d' "$work/plain/src/lib.rs"
(cd "$work/plain" && cargo fetch -q) && (cd "$work/hooked" && cargo fetch -q)
export PYO3_BUILD_EXTENSION_MODULE=1 PYO3_PYTHON="${PYO3_PYTHON:-python3}"
cd "$work"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine -r "$runs" --prepare 'rm -rf plain/target hooked/target' \
  'cargo build -q --manifest-path plain/Cargo.toml' \
  'cargo build -q --manifest-path hooked/Cargo.toml'
