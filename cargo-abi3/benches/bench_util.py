#!/usr/bin/env python3
"""Helpers for compare.sh (stdlib only; run with any python3 >= 3.8).

  bench_util.py floor-py WHEEL...          inflate every shared-object member once
  bench_util.py members WHEEL...           print "wheel<TAB>member" for those members
  bench_util.py synth OUT.whl PAD          wheel with one ~1 GiB ELF member (PAD: random|zeros)
  bench_util.py curve OUT.json RUNS CMD... per-wheel median wall time of CMD WHEEL
  bench_util.py buckets CURVE.json...      size buckets -> median ms per wheel, per tool
  bench_util.py hf HYPERFINE.json          "median mean min max user sys runs" of one command
  bench_util.py rss TIME_V.txt             peak RSS in MB from `/usr/bin/time -v` output
  bench_util.py findings-ours JSON         number of findings in cargo-abi3 JSON output
  bench_util.py findings-abi3audit JSON    number of findings in `abi3audit -R` output
"""
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
import zipfile

# What counts as a shared object inside a wheel for the inflate floor.
SUFFIXES = (".so", ".pyd", ".dylib", ".dll")


def is_shared_object(name):
    return name.lower().endswith(SUFFIXES)


def floor_py(wheels):
    total = 0
    for w in wheels:
        with zipfile.ZipFile(w) as z:
            for info in z.infolist():
                if is_shared_object(info.filename):
                    with z.open(info) as f:
                        while True:
                            chunk = f.read(1 << 20)
                            if not chunk:
                                break
                            total += len(chunk)
    print(f"inflated {total} bytes", file=sys.stderr)


def members(wheels):
    for w in wheels:
        with zipfile.ZipFile(w) as z:
            for info in z.infolist():
                if is_shared_object(info.filename):
                    print(f"{w}\t{info.filename}")


def synth(out, pad, src_wheel=None):
    """Build a wheel whose one extension is a real small ELF (taken from a
    benchmark wheel) with ~1 GiB appended after its last byte. Appending keeps
    the ELF valid: headers, dynamic segment, dynsym/dynstr and section headers
    stay where they were, in the first few hundred KiB; only trailing bytes
    grow. PAD=random: incompressible, stored as deflate level 0, so the wheel is
    ~1 GiB on disk (catches reading the whole file or member into memory).
    PAD=zeros: deflate level 6, ~1 MiB wheel that inflates to 1 GiB."""
    size = 1 << 30
    elf = None
    if src_wheel:
        with zipfile.ZipFile(src_wheel) as z:
            for info in z.infolist():
                if info.filename.endswith(".abi3.so"):
                    elf = z.read(info)
                    break
    if elf is None or elf[:4] != b"\x7fELF":
        sys.exit(f"synth: no ELF .abi3.so member in {src_wheel}")
    name = "bigpad"
    ver = "1.0"
    member = f"{name}/_ext.abi3.so"
    distinfo = f"{name}-{ver}.dist-info"
    level = 0 if pad == "random" else 6
    h = hashlib.sha256()
    tmp = out + ".tmp"
    chunk = 1 << 20
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        zi = zipfile.ZipInfo(member, (2024, 1, 1, 0, 0, 0))
        zi.compress_type = zipfile.ZIP_DEFLATED  # a ZipInfo defaults to STORED
        for attr in ("compress_level", "_compresslevel"):  # 3.13+ / older
            try:
                setattr(zi, attr, level)
                break
            except AttributeError:
                pass
        zi.external_attr = 0o755 << 16
        with z.open(zi, "w") as f:
            f.write(elf)
            h.update(elf)
            left = size
            zeros = bytes(chunk)
            while left:
                n = min(chunk, left)
                b = os.urandom(n) if pad == "random" else zeros[:n]
                f.write(b)
                h.update(b)
                left -= n
        import base64

        digest = base64.urlsafe_b64encode(h.digest()).rstrip(b"=").decode()
        meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {ver}\n"
        wheel = ("Wheel-Version: 1.0\nGenerator: cargo-abi3-bench\nRoot-Is-Purelib: false\n"
                 "Tag: cp38-abi3-manylinux_2_17_x86_64\n")
        record = [f"{member},sha256={digest},{len(elf) + size}"]
        for fn, text in ((f"{distinfo}/METADATA", meta), (f"{distinfo}/WHEEL", wheel)):
            d = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
            z.writestr(fn, text)
            record.append(f"{fn},sha256={d},{len(text)}")
        record.append(f"{distinfo}/RECORD,,")
        z.writestr(f"{distinfo}/RECORD", "\n".join(record) + "\n")
    os.replace(tmp, out)


def curve(out, runs, cmd, wheels):
    rows = []
    for w in wheels:
        ts = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run(cmd + [w], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            ts.append((time.perf_counter() - t0) * 1000)
        rows.append({"wheel": os.path.basename(w), "bytes": os.path.getsize(w),
                     "median_ms": statistics.median(ts)})
    with open(out, "w") as f:
        json.dump(rows, f, indent=0)


BUCKETS = [(0, 100e3, "< 100 kB"), (100e3, 1e6, "100 kB - 1 MB"), (1e6, 5e6, "1 - 5 MB"),
           (5e6, 20e6, "5 - 20 MB"), (20e6, 1e12, ">= 20 MB")]


def buckets(files):
    data = {}
    for spec in files:
        label, path = spec.split("=", 1)
        data[label] = json.load(open(path))
    labels = list(data)
    head = f"{'wheel size':<15} {'wheels':>6} {'median MB':>9}" + "".join(
        f" {lab + ' ms/wheel':>22} {lab + ' MB/s':>16}" for lab in labels)
    print(head)
    for lo, hi, name in BUCKETS:
        line = None
        for lab in labels:
            rows = [r for r in data[lab] if lo <= r["bytes"] < hi]
            if not rows:
                continue
            if line is None:
                mb = statistics.median(r["bytes"] for r in rows) / 1e6
                line = f"{name:<15} {len(rows):>6} {mb:>9.2f}"
            ms = statistics.median(r["median_ms"] for r in rows)
            mbs = statistics.median(r["bytes"] / 1e3 / r["median_ms"] for r in rows)
            line += f" {ms:>22.1f} {mbs:>16.0f}"
        if line:
            print(line)


def hf(path):
    r = json.load(open(path))["results"][0]
    print(f"{r['median']:.4f} {r['mean']:.4f} {r['min']:.4f} {r['max']:.4f} "
          f"{r['user']:.4f} {r['system']:.4f} {len(r['times'])}")


def rss(path):
    for line in open(path, errors="replace"):
        if "Maximum resident set size" in line:
            print(f"{int(line.split(':')[1]) / 1024:.1f}")
            return
    print("n/a")


def findings_ours(path):
    """Errors and warnings from the report's summary (infos such as computed-floor
    are not findings), and the binaries it looked at."""
    try:
        d = json.load(open(path))
        sm = d["summary"]
    except (OSError, ValueError, KeyError, TypeError):
        print("n/a")
        return
    codes = {}
    for inp in d.get("inputs", []):
        fs = list(inp.get("findings", []))
        for b in inp.get("binaries", []):
            fs += b.get("findings", [])
        for f in fs:
            if f.get("severity") in ("error", "warning"):
                codes[f.get("code")] = codes.get(f.get("code"), 0) + 1
    detail = ", ".join(f"{c} {n}" for c, n in sorted(codes.items(), key=lambda x: -x[1]))
    print(f"{sm['errors']} errors + {sm['warnings']} warnings ({detail}); "
          f"{sm['binaries']} binaries scanned, {sm['analysis_failures']} analysis failures")


def findings_abi3audit(path):
    """Per extension: one finding per symbol newer than the tag's baseline
    (future_abi3_objects) and one per non-abi3 symbol; also prints extension-level
    counts as abi3audit's own summary states them."""
    try:
        d = json.load(open(path))
    except (OSError, ValueError):
        print("n/a")
        return
    syms = mism = viol = exts = 0
    for spec in d.get("specs", {}).values():
        for ext in spec.get(spec.get("kind", "wheel"), []) or []:
            res = ext.get("result") or {}
            exts += 1
            fut = res.get("future_abi3_objects") or {}
            non = res.get("non_abi3_symbols") or []
            syms += len(fut) + len(non)
            mism += bool(fut) or (res.get("is_abi3_baseline_compatible") is False)
            viol += bool(non)
    print(f"{syms} symbols ({mism} extensions with version mismatches, "
          f"{viol} with non-abi3 symbols, {exts} extensions scanned)")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "floor-py":
        floor_py(args)
    elif cmd == "members":
        members(args)
    elif cmd == "synth":
        synth(args[0], args[1], args[2] if len(args) > 2 else None)
    elif cmd == "curve":
        out, runs = args[0], int(args[1])
        sep = args.index("--")
        curve(out, runs, args[2:sep], args[sep + 1:])
    elif cmd == "buckets":
        buckets(args)
    elif cmd == "hf":
        hf(args[0])
    elif cmd == "rss":
        rss(args[0])
    elif cmd == "findings-ours":
        findings_ours(args[0])
    elif cmd == "findings-abi3audit":
        findings_abi3audit(args[0])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
