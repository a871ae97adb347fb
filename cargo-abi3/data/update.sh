#!/usr/bin/env bash
# Re-vendors the stable-ABI manifest (and optionally the python3.dll export list and the
# auditwheel policies) and regenerates src/abi/table.rs from it.
#
#   cargo-abi3/data/update.sh NEW_stable_abi.toml ["source note"]
#   cargo-abi3/data/update.sh --policy DIR_WITH_manylinux-policy.json
#
# The source note lands in data/stable_abi.source and in the generated table's header.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
case "${1:-}" in
  ""|-h|--help) sed -n '2,9p' "$0"; exit 0 ;;
  --policy)
    cp "$2/manylinux-policy.json" "$2/musllinux-policy.json" "$here/policy/"
    echo "policies updated; record their commit in data/PROVENANCE.md"
    exit 0 ;;
esac
src="$1"
note="${2:-CPython Misc/stable_abi.toml from $src, vendored $(date -u +%F), sha256 $(sha256sum "$src" | cut -c1-16)}"
cp "$src" "$here/stable_abi.toml"
printf '%s\n' "$note" > "$here/stable_abi.source"
cd "$root"
CARGO_ABI3_REGENERATE=1 cargo test -q -p cargo-abi3 --lib abi::tests::table_is_generated_from_the_vendored_manifest
cargo test -q -p cargo-abi3 --lib abi::
git -C "$root" diff --stat -- cargo-abi3/data cargo-abi3/src/abi/table.rs || true
echo "regenerated cargo-abi3/src/abi/table.rs; update data/PROVENANCE.md with the new origin"
