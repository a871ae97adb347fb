#!/usr/bin/env bash
# What the build hook adds to a clean build: examples/hooked-clean with the hook against the
# same crate without it (no build.rs, no build-dependency, no include!), timed in paired runs.
#
#   build-hook/benches/clean_build_cost.sh [--path] [RUNS]
#
# Users get the hook from crates.io, and cargo builds registry crates differently from path
# dependencies (no incremental compilation, lints capped). So by default the hook is packaged
# with `cargo package` and served, with every other dependency, from a vendored directory
# source: both builds compile exactly what a user's clean build compiles. `--path` keeps the
# example's path dependency instead (what building examples/hooked-clean in this repo costs).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
mode=registry
if [ "${1:-}" = "--path" ]; then mode=path; shift; fi
runs="${1:-5}"
work="$(mktemp -d)"
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

(cd "$root" && cargo package -q -p cargo-abi3-build-hook --no-verify --allow-dirty --target-dir "$work/pkg" 2>/dev/null)
crate_file="$(ls "$work"/pkg/package/cargo-abi3-build-hook-*.crate)"
version="$(basename "$crate_file" .crate)"
version="${version#cargo-abi3-build-hook-}"

cp -r "$root/examples/hooked-clean" "$work/hooked"
sed -i "s#path = \"../../build-hook\"#path = \"$root/build-hook\"#" "$work/hooked/Cargo.toml"
# Vendors pyo3's tree and the hook's registry dependencies; then the packaged hook joins them.
(cd "$work/hooked" && cargo vendor -q --versioned-dirs "$work/vendor" >/dev/null)
tar xzf "$crate_file" -C "$work/vendor"
printf '{"files":{},"package":"%s"}\n' "$(sha256sum "$crate_file" | cut -d' ' -f1)" \
  >"$work/vendor/cargo-abi3-build-hook-$version/.cargo-checksum.json"
if [ "$mode" = registry ]; then
  sed -i "s#^cargo-abi3-build-hook = .*#cargo-abi3-build-hook = \"=$version\"#" "$work/hooked/Cargo.toml"
fi
rm -f "$work/hooked/Cargo.lock"

cp -r "$work/hooked" "$work/plain"
rm "$work/plain/build.rs"
sed -i '/^\[build-dependencies\]/,/^cargo-abi3-build-hook/d' "$work/plain/Cargo.toml"
sed -i '/cargo_abi3_declaration.rs/d; /declaration written by the build hook/d' "$work/plain/src/lib.rs"

mkdir -p "$work/.cargo"
cat >"$work/.cargo/config.toml" <<EOF
[source.crates-io]
replace-with = "vendored"
[source.vendored]
directory = "$work/vendor"
EOF

export PYO3_BUILD_EXTENSION_MODULE=1 PYO3_PYTHON="${PYO3_PYTHON:-python3}"
cd "$work"
(cd plain && cargo generate-lockfile -q --offline) && (cd hooked && cargo generate-lockfile -q --offline)
crates() { (cd "$1" && cargo tree -q --offline -e build,normal --prefix none | sed 's/ (\*)//; s/ (.*//' | sort -u); }
echo "hook: cargo-abi3-build-hook $version ($mode dependency); crates it adds to the build:" \
  $(comm -13 <(crates plain) <(crates hooked) | grep -v '^hooked-clean')
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "work: $work"
# Paired runs in alternating order, not hyperfine's all-of-one-then-all-of-the-other: on a
# shared 2-core VM the speed drifts over minutes, and pairing cancels that drift.
python3 - "$runs" <<'PY'
import os, statistics, subprocess, sys, time

runs = int(sys.argv[1])
def build(name):
    subprocess.run(["rm", "-rf", f"{name}/target"], check=True)
    start = time.perf_counter()
    child = subprocess.Popen(["cargo", "build", "-q", "--offline", "--manifest-path", f"{name}/Cargo.toml"])
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        sys.exit(f"cargo build of {name} failed")
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime

walls = {"plain": [], "hooked": []}
cpus = {"plain": [], "hooked": []}
for i in range(runs):
    for name in (("plain", "hooked") if i % 2 == 0 else ("hooked", "plain")):
        wall, cpu = build(name)
        walls[name].append(wall)
        cpus[name].append(cpu)
    print(f"run {i + 1}/{runs}: plain {walls['plain'][-1]:.2f} s, hooked {walls['hooked'][-1]:.2f} s", flush=True)

def paired(series):
    diffs = [h - p for p, h in zip(series["plain"], series["hooked"])]
    err = statistics.stdev(diffs) / len(diffs) ** 0.5 if len(diffs) > 1 else float("nan")
    return statistics.mean(diffs), err

for label, series in (("wall", walls), ("CPU (user+sys)", cpus)):
    print(f"{label:15} plain {statistics.mean(series['plain']):6.2f} s  "
          f"hooked {statistics.mean(series['hooked']):6.2f} s")
wall, wall_err = paired(walls)
cpu, cpu_err = paired(cpus)
print(f"the hook adds {wall:+.2f} s wall (± {wall_err:.2f} s standard error) and "
      f"{cpu:+.2f} s CPU (± {cpu_err:.2f} s) to a clean build, over {runs} paired runs")
PY
