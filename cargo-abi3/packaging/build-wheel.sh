#!/usr/bin/env bash
# Builds the release wheel of the cargo-abi3 CLI, and its sdist, into OUT_DIR:
#   cargo-abi3/packaging/build-wheel.sh OUT_DIR
#
# maturin (`bindings = "bin"`, cargo-abi3/pyproject.toml) links the binary with zig against
# glibc 2.17, so the wheel is tagged manylinux2014 / manylinux_2_17 and the program runs in
# the manylinux containers where cibuildwheel audits. maturin and zig come from PyPI
# (pinned below); they are installed into a throwaway virtual environment unless MATURIN
# names a maturin to use. The wheel is then audited by the binary it holds: its own platform
# tag must hold (tests/release_wheel.rs does the same).
#
# Environment: PYTHON (default python3), MATURIN (skip the venv), TARGET (a Rust target
# triple; default: the host's), CARGO_ABI3_COMPATIBILITY (default manylinux2014),
# CARGO_ABI3_NO_SDIST (set: the wheel only).
set -euo pipefail

MATURIN_VERSION=1.16.0
ZIG_VERSION=0.15.1

out="${1:?usage: build-wheel.sh OUT_DIR}"
here="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
py="${PYTHON:-python3}"

if [ -z "${MATURIN:-}" ]; then
  venv="$(mktemp -d)/venv"
  trap 'rm -rf "$(dirname "$venv")"' EXIT
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check \
    "maturin==$MATURIN_VERSION" "ziglang==$ZIG_VERSION"
  MATURIN="$venv/bin/maturin"
  export PATH="$venv/bin:$PATH"
fi

args=(build --release --zig --compatibility "${CARGO_ABI3_COMPATIBILITY:-manylinux2014}"
      --manifest-path "$here/Cargo.toml" --out "$out")
if [ -n "${TARGET:-}" ]; then
  args+=(--target "$TARGET")
fi
"$MATURIN" "${args[@]}" >&2
# The source distribution beside it: where no wheel fits (macOS and Windows runners until
# their wheels are published, other architectures), pip builds the program from it with the
# runner's Rust toolchain (tests/it/release_wheel.rs installs it that way).
if [ -z "${CARGO_ABI3_NO_SDIST:-}" ]; then
  "$MATURIN" sdist --manifest-path "$here/Cargo.toml" --out "$out" >&2
fi

wheel="$(ls -t "$out"/cargo_abi3-*.whl | head -n 1)"
echo "build-wheel: built $wheel" >&2
# The gate on itself: unpack the program and audit the wheel that carries it.
tmp="$(mktemp -d)"
"$py" - "$wheel" "$tmp" <<'PY'
import sys, zipfile, os, stat
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if ".data/scripts/" in name:
            path = z.extract(name, dest)
            os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
            print(path)
PY
bin="$(find "$tmp" -type f -name 'cargo-abi3*' | head -n 1)"
if [ -n "$bin" ] && "$bin" --version >/dev/null 2>&1; then
  "$bin" audit "$wheel" >&2
fi
rm -rf "$tmp"
echo "$wheel"
