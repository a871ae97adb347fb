#!/usr/bin/env bash
# cargo-abi3 vs abi3audit 0.0.26 vs the inflate floor, on the wheels in wheels.txt.
#
#   cargo-abi3/benches/compare.sh          (from anywhere in a clone)
#
# Steps: apt-installs hyperfine, GNU time and unzip if missing; builds
# `cargo build --release -p cargo-abi3`; creates a throwaway venv with
# abi3audit==0.0.26; fetches the wheels (fetch.sh); then measures and prints
# wall times (hyperfine medians), the ratio, the inflate floor, peak RSS, a
# 1 GiB-member wheel, findings counts and a wheel-size/time table.
#
# Env knobs:
#   RUNS=10            hyperfine runs for cargo-abi3 and the floors
#   AUDIT_RUNS=3       hyperfine runs for abi3audit (it takes minutes per run)
#   CURVE_RUNS=3       runs per wheel for the size/time table
#   CURVE_ABI3AUDIT=0  1: also run abi3audit per wheel for the table (slow)
#   SYNTH=1            0: skip the 1 GiB-member wheels
#   SKIP_OURS=0        1: skip building and measuring cargo-abi3
#   LIST=wheels.txt    another list in the same format (e.g. a subset)
#   A3_FROM=DIR        reuse abi3audit's timings, RSS and findings from an earlier
#                      results/<timestamp>/ directory (same LIST) instead of running it
#                      again (~9 min a run); cargo-abi3 and the floors are measured anew
#   CARGO_TARGET_DIR   honoured for the build
#   CARGO_ABI3_BENCH_CACHE (default ~/.cache/cargo-abi3-bench): wheels, synthetic
#                      wheels and results/<timestamp>/ (raw hyperfine JSON, outputs)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${CARGO_ABI3_BENCH_CACHE:-$HOME/.cache/cargo-abi3-bench}"
export CARGO_ABI3_BENCH_CACHE="$cache"
RUNS="${RUNS:-10}"
AUDIT_RUNS="${AUDIT_RUNS:-3}"
CURVE_RUNS="${CURVE_RUNS:-3}"
CURVE_ABI3AUDIT="${CURVE_ABI3AUDIT:-0}"
SYNTH="${SYNTH:-1}"
SKIP_OURS="${SKIP_OURS:-0}"
LIST="${LIST:-$here/wheels.txt}"
PY="${PYTHON:-python3}"
util() { "$PY" "$here/bench_util.py" "$@"; }
say() { printf '\n== %s\n' "$*"; }

# ---- tools ---------------------------------------------------------------
need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
[[ -x /usr/bin/time ]] || need+=(time)
command -v unzip >/dev/null || need+=(unzip)
if ((${#need[@]})); then
    say "apt-get install ${need[*]}"
    SUDO=; [[ $(id -u) -eq 0 ]] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [[ "$SKIP_OURS" != 1 ]]; then
    say "cargo build --release -p cargo-abi3"
    (cd "$root" && cargo build --release -p cargo-abi3)
    ours="${CARGO_TARGET_DIR:-$root/target}/release/cargo-abi3"
    [[ -x "$ours" ]] || { echo "no binary at $ours" >&2; exit 1; }
fi

A3_FROM="${A3_FROM:-}"
if [[ -n "$A3_FROM" ]]; then
    [[ -f "$A3_FROM/hf-abi3audit.json" ]] || { echo "A3_FROM: no hf-abi3audit.json in $A3_FROM" >&2; exit 1; }
    say "abi3audit results reused from $A3_FROM"
    a3deps="(reused from $A3_FROM)"
else
    venv="$(mktemp -d "${TMPDIR:-/tmp}/abi3audit-venv.XXXXXX")"
    trap 'rm -rf "$venv"' EXIT
    say "venv with abi3audit==0.0.26 ($venv)"
    "$PY" -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check abi3audit==0.0.26
    a3="$venv/bin/abi3audit"
    a3deps="$("$venv/bin/pip" freeze --disable-pip-version-check | grep -iE '^(abi3audit|abi3info|pyelftools|pefile|kaitaistruct)==' | tr '\n' ' ')"
fi

say "fetch wheels"
"$here/fetch.sh" "$LIST"

# ---- inputs --------------------------------------------------------------
res="$cache/results/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$res"
wheels=()
while read -r fn _; do wheels+=("$cache/wheels/$fn"); done < <(grep -v '^\s*\(#\|$\)' "$LIST")
nw=${#wheels[@]}
bytes=$(stat -c %s "${wheels[@]}" | awk '{s+=$1} END {print s}')
mb=$(awk -v b="$bytes" 'BEGIN {printf "%.0f", b/1e6}')

# Inflate floor scripts: member lists are computed here, outside the timing.
util members "${wheels[@]}" >"$res/members.tsv"
nmem=$(wc -l <"$res/members.tsv")
memmb=$("$PY" - "$res/members.tsv" <<'EOF'
import sys, zipfile, collections
by = collections.defaultdict(set)
for line in open(sys.argv[1]):
    w, m = line.rstrip("\n").split("\t"); by[w].add(m)
print(round(sum(i.file_size for w, ms in by.items() for i in zipfile.ZipFile(w).infolist() if i.filename in ms) / 1e6))
EOF
)
"$PY" - "$res/members.tsv" "$res/floor-unzip.lines" <<'EOF'
import sys, collections, shlex
by = collections.OrderedDict()
for line in open(sys.argv[1]):
    w, m = line.rstrip("\n").split("\t"); by.setdefault(w, []).append(m)
with open(sys.argv[2], "w") as f:
    for w, ms in by.items():
        # unzip treats member arguments as wildcard patterns: escape [ ] * ?
        esc = [m.replace("[", "[[]").replace("*", "[*]").replace("?", "[?]") for m in ms]
        f.write("unzip -p -qq " + " ".join(shlex.quote(x) for x in [w] + esc) + "\n")
EOF
printf '#!/bin/sh\n' >"$res/floor-unzip.sh"
cat "$res/floor-unzip.lines" >>"$res/floor-unzip.sh"
printf 'xargs -a %q -d "\\n" -P %d -I{} sh -c {}\n' "$res/floor-unzip.lines" "$(nproc)" >"$res/floor-unzip-par.sh"
printf '%s\n' "${wheels[@]}" >"$res/wheels.list"

hf() { # name runs warmup cmd
    local name=$1 runs=$2 warm=$3; shift 3
    hyperfine -N -i --style basic --runs "$runs" --warmup "$warm" \
        --export-json "$res/hf-$name.json" --command-name "$name" "$@" >"$res/hf-$name.log" 2>&1 \
        || { cat "$res/hf-$name.log" >&2; return 1; }
    read -r med mean min max usr sys n < <(util hf "$res/hf-$name.json")
    printf '  %-22s median %8.3f s  (mean %.3f, min %.3f, max %.3f; user %.3f s, sys %.3f s; %d runs)\n' \
        "$name" "$med" "$mean" "$min" "$max" "$usr" "$sys" "$n"
    eval "med_${name//-/_}=$med; cpu_${name//-/_}=$(awk -v u="$usr" -v s="$sys" 'BEGIN {print u+s}')"
}

say "set: $nw wheels, $mb MB ($nmem shared-object members, $memmb MB inflated); $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  abi3audit env: $a3deps"

say "wall time (hyperfine; -i: exit codes 1/2 mean findings, not failure)"
hf floor-unzip "$RUNS" 1 "sh $res/floor-unzip.sh"
hf floor-unzip-par "$RUNS" 1 "sh $res/floor-unzip-par.sh"
hf floor-zipfile "$RUNS" 1 "$PY $here/bench_util.py floor-py ${wheels[*]}"
if [[ "$SKIP_OURS" != 1 ]]; then
    hf cargo-abi3 "$RUNS" 1 "$ours audit ${wheels[*]} --format json"
fi
say "peak RSS and findings (/usr/bin/time -v, one extra run)"
if [[ "$SKIP_OURS" != 1 ]]; then
    /usr/bin/time -v -o "$res/rss-ours.txt" "$ours" audit "${wheels[@]}" --format json >"$res/ours.json" 2>"$res/ours.err" || echo "  (cargo-abi3 exit $?)"
    echo "  cargo-abi3: peak RSS $(util rss "$res/rss-ours.txt") MB (target <= 100); findings: $(util findings-ours "$res/ours.json")"
fi

if [[ "$SYNTH" == 1 ]]; then
    say "wheel with a 1 GiB member (real ELF from bcrypt + 1 GiB appended; headers and dynamic info at the start)"
    src=$(printf '%s\n' "${wheels[@]}" | grep -m1 'bcrypt-.*manylinux.*x86_64')
    for pad in random zeros; do
        syn="$cache/synth-1g-$pad/bigpad-1.0-cp38-abi3-manylinux_2_17_x86_64.whl"
        if [[ ! -f "$syn" ]]; then mkdir -p "${syn%/*}"; util synth "$syn" "$pad" "$src"; fi
        echo "  [$pad padding: wheel $(($(stat -c %s "$syn") / 1000000)) MB]"
        t0=$(date +%s.%N)
        sh -c "unzip -p -qq '$syn' '*.so' >/dev/null"; t1=$(date +%s.%N)
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "    unzip -p floor: %.2f s\n", b-a }'
        if [[ "$SKIP_OURS" != 1 ]]; then
            /usr/bin/time -v -o "$res/rss-ours-$pad.txt" "$ours" audit "$syn" --format json >"$res/ours-$pad.json" 2>&1 || true
            echo "    cargo-abi3: peak RSS $(util rss "$res/rss-ours-$pad.txt") MB, wall $(grep -m1 'Elapsed' "$res/rss-ours-$pad.txt" | awk '{print $NF}')"
        fi
        if [[ -n "$A3_FROM" ]]; then
            cp "$A3_FROM/rss-a3-$pad.txt" "$res/" 2>/dev/null || true
        else
            /usr/bin/time -v -o "$res/rss-a3-$pad.txt" "$a3" "$syn" >/dev/null 2>&1 || true
        fi
        [[ -f "$res/rss-a3-$pad.txt" ]] && echo "    abi3audit:  peak RSS $(util rss "$res/rss-a3-$pad.txt") MB, wall $(grep -m1 'Elapsed' "$res/rss-a3-$pad.txt" | awk '{print $NF}')"
    done
fi

say "per-wheel time vs wheel size (median of per-bucket per-wheel medians; $CURVE_RUNS runs/wheel, process start included)"
curves=()
if [[ "$SKIP_OURS" != 1 ]]; then
    util curve "$res/curve-ours.json" "$CURVE_RUNS" "$ours" audit --format json -- "${wheels[@]}"
    curves+=("cargo-abi3=$res/curve-ours.json")
fi
if [[ "$CURVE_ABI3AUDIT" == 1 && -z "$A3_FROM" ]]; then
    util curve "$res/curve-a3.json" 1 "$a3" -R -- "${wheels[@]}"
    curves+=("abi3audit=$res/curve-a3.json")
fi
((${#curves[@]})) && util buckets "${curves[@]}"
say "abi3audit 0.0.26 over the set (last: it takes minutes a run)"
# abi3audit takes minutes a run: each timed run is also the RSS/findings run
# (/usr/bin/time's own cost is ~1 ms); the last run's files are kept.
if [[ -n "$A3_FROM" ]]; then
    cp "$A3_FROM/hf-abi3audit.json" "$A3_FROM/rss-a3.txt" "$A3_FROM/abi3audit.json" "$res/"
    read -r med_abi3audit mean min max usr sys n < <(util hf "$res/hf-abi3audit.json")
    cpu_abi3audit=$(awk -v u="$usr" -v s="$sys" 'BEGIN {print u+s}')
    printf '  %-22s median %8.3f s  (mean %.3f, min %.3f, max %.3f; user %.3f s, sys %.3f s; %d runs; reused from %s)\n' \
        abi3audit "$med_abi3audit" "$mean" "$min" "$max" "$usr" "$sys" "$n" "$A3_FROM"
else
    hf abi3audit "$AUDIT_RUNS" 0 "/usr/bin/time -v -o $res/rss-a3.txt $a3 -R -o $res/abi3audit.json ${wheels[*]}"
fi

echo "  abi3audit:  peak RSS $(util rss "$res/rss-a3.txt") MB (last timed run); findings: $(util findings-abi3audit "$res/abi3audit.json")"

floor_name=$(printf '%s %s\n' "$med_floor_unzip" floor-unzip "$med_floor_unzip_par" floor-unzip-par \
    "$med_floor_zipfile" floor-zipfile | sort -g | head -1 | cut -d' ' -f2)
floor_var="med_${floor_name//-/_}"; floor=${!floor_var}
say "ratios"
echo "  inflate floor = $floor_name (the fastest of the three) = ${floor} s"
if [[ "$SKIP_OURS" != 1 ]]; then
    awk -v a="$med_abi3audit" -v o="$med_cargo_abi3" -v f="$floor" 'BEGIN {
        printf "  abi3audit / cargo-abi3     = %.1fx   (target >= 50x)\n", a/o
        printf "  floor / cargo-abi3         = %.2fx   (target > 1: faster than the floor)\n", f/o }'
    awk -v a="$cpu_abi3audit" -v o="$cpu_cargo_abi3" 'BEGIN {
        printf "  CPU time (user+sys, mean): abi3audit %.2f s, cargo-abi3 %.3f s, ratio %.1fx\n", a, o, a/o }'
fi
awk -v a="$med_abi3audit" -v f="$floor" 'BEGIN { printf "  abi3audit / floor          = %.1fx\n", a/f }'

echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (wall times are only comparable on an idle machine; CPU times less sensitive)"
echo "raw results: $res"
