#!/usr/bin/env bash
# Writes seed corpora for every fuzz target into fuzz/corpus/<target>/ (not committed):
# the test fixtures (ELF via gcc and ld.lld, PE and Mach-O via rust-lld, wheels around
# them, the committed real-world wheel, names and metadata), plus a few of the machine's
# own shared objects. Run from anywhere; re-running adds to the corpora.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
corpus="$root/fuzz/corpus"
mkdir -p "$corpus"

CARGO_ABI3_FUZZ_SEEDS="$corpus" cargo test --manifest-path "$root/Cargo.toml" \
  -p cargo-abi3 --test it fuzz_seeds:: -- --ignored --nocapture

# A few small real shared objects from the machine (ELF), if present.
mkdir -p "$corpus/elf" "$corpus/any_binary"
n=0
for so in /usr/lib/python3*/lib-dynload/*.so /usr/lib/x86_64-linux-gnu/libz.so.* \
          /usr/lib/x86_64-linux-gnu/libffi.so.*; do
  [ -f "$so" ] || continue
  size=$(stat -c %s "$so")
  [ "$size" -le 40000 ] || continue
  cp "$so" "$corpus/elf/sys-$(basename "$so")"
  cp "$so" "$corpus/any_binary/sys-$(basename "$so")"
  n=$((n + 1))
  [ "$n" -lt 6 ] || break
done

# The machine's own ld.so.cache (generated here, never committed), if it fits run.sh's -max_len.
mkdir -p "$corpus/ldcache"
if [ -f /etc/ld.so.cache ] && [ "$(stat -L -c %s /etc/ld.so.cache)" -le 262144 ]; then
  cp -L /etc/ld.so.cache "$corpus/ldcache/sys-ld.so.cache"
fi

# Cargo.toml / pyproject.toml pairs (joined by NUL, as the intent target splits them) and
# each file alone.
mkdir -p "$corpus/intent"
for ex in "$root"/examples/*/; do
  [ -f "$ex/Cargo.toml" ] || continue
  name=$(basename "$ex")
  cp "$ex/Cargo.toml" "$corpus/intent/$name-Cargo.toml"
  if [ -f "$ex/pyproject.toml" ]; then
    cp "$ex/pyproject.toml" "$corpus/intent/$name-pyproject.toml"
    { cat "$ex/Cargo.toml"; printf '\0'; cat "$ex/pyproject.toml"; } >"$corpus/intent/$name-pair"
  fi
done
cp "$root/build-hook/Cargo.toml" "$corpus/intent/build-hook-Cargo.toml"

# The TOML reader's differential target: the same files, plus real manifests from the cargo
# registry (cargo's normalised Cargo.toml and the author's Cargo.toml.orig).
mkdir -p "$corpus/toml_reader"
cp "$corpus"/intent/*-Cargo.toml "$corpus"/intent/*-pyproject.toml "$corpus/toml_reader/" 2>/dev/null || true
n=0
for f in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/*/Cargo.toml.orig; do
  [ -f "$f" ] || continue
  cp "$f" "$corpus/toml_reader/registry-$n.toml"
  n=$((n + 1))
  [ "$n" -lt 200 ] || break
done

for t in "$corpus"/*/; do
  echo "$(basename "$t"): $(ls "$t" | wc -l) seeds"
done
