#!/usr/bin/env bash
# Download the wheels pinned in wheels.txt into the bench cache, verifying sha256.
#
#   cargo-abi3/benches/fetch.sh [LIST]
#
# Cache: ${CARGO_ABI3_BENCH_CACHE:-$HOME/.cache/cargo-abi3-bench}/wheels
# Already-cached files whose hash matches are skipped. Each wheel is fetched with
# `pip download`, its exact file picked by `--hash` plus the tags in its name.
# Env: PYTHON (default python3), JOBS (parallel downloads, default 4).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
list="${1:-$here/wheels.txt}"
cache="${CARGO_ABI3_BENCH_CACHE:-$HOME/.cache/cargo-abi3-bench}/wheels"
export PYTHON="${PYTHON:-python3}"
JOBS="${JOBS:-4}"
mkdir -p "$cache"

fetch_one() {
    local fn="$1" sha="$2" req="$3" cache="$4"
    local dest="$cache/$fn"
    if [[ -f "$dest" ]] && echo "$sha  $dest" | sha256sum -c --status; then
        return 0
    fi
    # Tags from the file name: name-ver(-build)?-py-abi-plat.whl
    local stem="${fn%.whl}"
    local plat="${stem##*-}"; stem="${stem%-*}"
    stem="${stem%-*}"                      # drop abi (always abi3 here)
    local py="${stem##*-}"; py="${py%%.*}" # cp39 (first of a compressed set)
    local ver="${py#cp}"; ver="${ver:0:1}.${ver:1}"
    local args=(--no-deps --no-cache-dir --only-binary=:all: --ignore-requires-python
                --implementation cp --abi abi3 --python-version "$ver" --quiet)
    local p
    IFS=. read -ra plats <<<"$plat"
    for p in "${plats[@]}"; do args+=(--platform "$p"); done
    local tmp
    tmp="$(mktemp -d "$cache/.dl.XXXXXX")"
    printf '%s --hash=sha256:%s\n' "$req" "$sha" >"$tmp/req.txt"
    if ! "$PYTHON" -m pip download "${args[@]}" --require-hashes -r "$tmp/req.txt" -d "$tmp/out" >"$tmp/log" 2>&1; then
        echo "FAILED: $fn" >&2; sed 's/^/    /' "$tmp/log" >&2; rm -rf "$tmp"; return 1
    fi
    if [[ ! -f "$tmp/out/$fn" ]]; then
        echo "FAILED: $fn (pip fetched: $(ls "$tmp/out"))" >&2; rm -rf "$tmp"; return 1
    fi
    if ! echo "$sha  $tmp/out/$fn" | sha256sum -c --status; then
        echo "FAILED: $fn (sha256 mismatch)" >&2; rm -rf "$tmp"; return 1
    fi
    mv "$tmp/out/$fn" "$dest"
    rm -rf "$tmp"
    echo "fetched $fn"
}
export -f fetch_one

total=$(grep -cv '^\s*\(#\|$\)' "$list")
grep -v '^\s*\(#\|$\)' "$list" \
    | awk -v c="$cache" '{print $1; print $2; print $3; print c}' \
    | tr '\n' '\0' \
    | xargs -0 -n4 -P "$JOBS" bash -c 'fetch_one "$@"' _ \
    || { echo "fetch.sh: some wheels failed (see above)" >&2; exit 1; }

have=0
while read -r fn _; do [[ -f "$cache/$fn" ]] && have=$((have + 1)); done < <(grep -v '^\s*\(#\|$\)' "$list")
echo "fetch.sh: $have/$total wheels in $cache"
[[ "$have" -eq "$total" ]]
