#!/usr/bin/env python3
"""`cargo abi3 audit pypi:NAME==VER` against its floor, abi3audit and pip download.

For each project release:
- runs `cargo-abi3 audit --format json pypi:NAME==VER` (bytes fetched, wall time);
- downloads the same wheels whole with `pip download --no-deps URL…` (wall time), then
  computes the *floor* of each wheel: the zip directory (central directory + end records)
  plus, per binary member, its local header and the compressed bytes up to the last byte the
  streaming readers need. "Needed" is, exactly, the end of the last byte the readers held
  or the declaration scan asked for in the local audit of the same wheel
  (`CARGO_ABI3_READ_STATS=2`, `needed: N`); the compressed bytes are the shortest prefix of
  the member's deflate stream whose inflation reaches byte N (found by bisection, to the
  byte; deflate cannot be entered mid-stream, so everything before it counts);
- computes, beside the floor, *floor + metadata*: the floor plus what every audit also reads
  and the issue's floor leaves out, counted the same way (local header and the compressed
  prefix inflating to the bytes read): `WHEEL` and `METADATA` up to the end of their headers
  (the first blank line, where the reader stops) and the first 4 bytes of each
  `.data/scripts/` file (told apart as binaries by their magic). What is fetched beyond it
  is the first request's guess (the last 8 KiB: what precedes the directory there, e.g.
  `RECORD`, licences), window overshoot, and a small wheel's one range;
- runs abi3audit on the downloaded files A3_RUNS times (default 3; the median is its audit
  time) and `abi3audit NAME==VER` once (wall time), from a virtualenv given by ABI3AUDIT;
- then runs `cargo-abi3 audit --format json pypi:NAME==VER` RUNS more times (default 7),
  the releases in turn, and reports the median, the fastest and the slowest run, and the
  speed-up at the median and at the slowest run (the wall time moves with the index's
  round trips, abi3audit's with the machine's load: one run each says little).

Usage: remote.py [NAME==VER ...]   (env: CARGO_ABI3, ABI3AUDIT, PIP, RUNS, A3_RUNS)
"""

import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CARGO_ABI3 = os.environ.get("CARGO_ABI3", os.path.join(ROOT, "target/release/cargo-abi3"))
ABI3AUDIT = os.environ.get("ABI3AUDIT", "abi3audit")
PIP = os.environ.get("PIP", "pip")

DEFAULT = ["cryptography==50.0.2", "bcrypt==4.3.0", "nh3==0.3.8"]
RUNS = int(os.environ.get("RUNS", "7"))
A3_RUNS = int(os.environ.get("A3_RUNS", "3"))


def timed(cmd, **kw):
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    return time.monotonic() - start, proc


def directory_bytes(path):
    """End records + central directory: from the directory's start to the end of the file."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        f.seek(max(0, size - 65536 - 22))
        tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack("<II", tail[at + 12 : at + 20])
    return size - cd_offset


def member_data(path, info):
    """A member's local header length and its stored (compressed) bytes."""
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        head = f.read(30)
        name_len, extra_len = struct.unpack("<HH", head[26:30])
        header = 30 + name_len + extra_len
        f.seek(info.header_offset + header)
        return header, f.read(info.compress_size)


def needed_compressed(path, info, inflated_needed):
    """Local header + the shortest compressed prefix whose inflation reaches `inflated_needed`."""
    header, data = member_data(path, info)
    if info.compress_type == zipfile.ZIP_STORED:
        return header + min(inflated_needed, info.compress_size)
    return header + compressed_prefix(data, inflated_needed)


def compressed_prefix(data, inflated_needed):
    """The length of the shortest prefix of the raw deflate stream `data` whose inflation
    reaches `inflated_needed` bytes (all of it when none does), by bisection."""

    def out_len(k):
        return len(zlib.decompressobj(-15).decompress(data[:k]))

    if inflated_needed <= 0:
        return 0
    lo, hi = 0, len(data)
    if out_len(hi) < inflated_needed:
        return hi
    while lo < hi:
        mid = (lo + hi) // 2
        if out_len(mid) >= inflated_needed:
            hi = mid
        else:
            lo = mid + 1
    return lo


# Rust's `char::is_whitespace` (the reader's `trim`), which Python's `str.strip` is not.
RUST_WHITESPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def headers_end(data):
    """Where the reader stops reading a `WHEEL` or `METADATA`: after the first blank line."""
    at = 0
    while True:
        nl = data.find(b"\n", at)
        if nl < 0:
            return len(data)
        if not data[at:nl].decode("utf-8", "replace").strip(RUST_WHITESPACE):
            return nl + 1
        at = nl + 1


def metadata_of(path):
    """Bytes of what the audit reads besides the binaries: `WHEEL` and `METADATA` to the end
    of their headers, the first 4 bytes of each `.data/scripts/` file."""
    total = 0
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            top, _, rest = info.filename.partition("/")
            if top.endswith(".dist-info") and rest in ("WHEEL", "METADATA"):
                total += needed_compressed(path, info, headers_end(z.read(info)))
            elif top.endswith(".data") and rest.startswith("scripts/") and not info.is_dir():
                total += needed_compressed(path, info, min(4, info.file_size))
    return total


def needed_bytes(path):
    """{member: last inflated byte its readers need} from a local audit of the wheel at
    `path` (`CARGO_ABI3_READ_STATS=2`)."""
    env = dict(os.environ, CARGO_ABI3_READ_STATS="2")
    proc = subprocess.run([CARGO_ABI3, "audit", path], capture_output=True, text=True, env=env)
    needed = {}
    for line in proc.stderr.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and "needed:" in parts[2]:
            m = re.search(r"needed: (\d+)", parts[2])
            passes = int(re.search(r"passes: (\d+)", parts[2]).group(1))
            # Over several passes, every pass streamed from the start: count the member whole.
            needed[parts[0]] = int(m.group(1)) if passes == 1 else int(parts[1])
    return needed


def floor_of(path):
    """Floor bytes of one local wheel."""
    total = directory_bytes(path)
    with zipfile.ZipFile(path) as z:
        infos = {i.filename: i for i in z.infolist()}
        for member, needed in needed_bytes(path).items():
            info = infos.get(member)
            if info is not None:
                total += needed_compressed(path, info, needed)
    return total


def main(specs):
    rows = []
    for spec in specs:
        name, version = spec.split("==")
        wall, proc = timed([CARGO_ABI3, "audit", "--format", "json", f"pypi:{spec}"])
        report = json.loads(proc.stdout)
        wheels = [i for i in report["inputs"] if "remote" in i]
        urls = [w["remote"]["url"] for w in wheels]
        fetched = sum(w["remote"]["fetched"] for w in wheels)
        size = sum(w["remote"]["size"] or 0 for w in wheels)
        requests = sum(w["remote"]["requests"] for w in wheels)
        with tempfile.TemporaryDirectory() as tmp:
            # pip download refuses a URL to a wheel for another platform: one call per wheel,
            # with the wheel's own tags as the target.
            pip_wall = 0.0
            for w in wheels:
                fn = w["remote"]["url"].rsplit("/", 1)[1]
                _n, _v, py, abi, plat = fn[:-4].split("-")[-5:]
                pyver = py.split(".")[0][2:]
                cmd = [PIP, "download", "-q", "--no-deps", "--only-binary=:all:", "-d", tmp,
                       "--implementation", "cp", "--python-version", f"{pyver[0]}.{pyver[1:]}"]
                for a in abi.split("."):
                    cmd += ["--abi", a]
                for p in plat.split("."):
                    cmd += ["--platform", p]
                t, pip = timed(cmd + [spec])
                pip_wall += t
                if pip.returncode != 0 or not os.path.exists(os.path.join(tmp, fn)):
                    # Fall back to the URL itself (same bytes) so the floor can be computed.
                    subprocess.run(["curl", "-sfo", os.path.join(tmp, fn), w["remote"]["url"]])
            floor = 0
            meta = 0
            by_kind = {}
            for w in wheels:
                local = os.path.join(tmp, w["remote"]["url"].rsplit("/", 1)[1])
                f = floor_of(local)
                m = metadata_of(local)
                floor += f
                meta += m
                kind = ("win" if "win" in w["path"] else "macos" if "macosx" in w["path"] else "linux")
                k = by_kind.setdefault(kind, [0, 0, 0, 0, 0])
                k[0] += w["remote"]["fetched"]
                k[1] += f
                k[2] += w["remote"]["size"] or 0
                k[3] += m
                k[4] += w["remote"]["requests"]
            # abi3audit NAME==VER reads PyPI's legacy JSON API (https://pypi.org/pypi/NAME/json),
            # then fetches each wheel whole, one after the other, over one keep-alive
            # `requests` session, and audits it. On this machine's mirror the legacy API gives
            # relative URLs (abi3audit then fails: MissingSchema), so its end-to-end time is
            # measured as the same requests made the same way: one curl process (one
            # connection per host, reused) fetching the JSON and then every wheel in turn,
            # plus abi3audit on the downloaded files.
            start = time.monotonic()
            cmd = ["curl", "-sf", "-o", os.devnull, f"https://pypi.org/pypi/{name}/json"]
            for url in urls:
                cmd += ["-o", os.devnull, url]
            subprocess.run(cmd)
            seq_dl = time.monotonic() - start
            files = [os.path.join(tmp, u.rsplit("/", 1)[1]) for u in urls]
            # abi3audit's audit is CPU-bound and moves with the machine's load: the median of
            # A3_RUNS runs (default 3), as cargo-abi3's time is the median of RUNS.
            a3_runs = sorted((timed([ABI3AUDIT, *files]) for _ in range(A3_RUNS)), key=lambda t: t[0])
            a3_local, a3 = a3_runs[len(a3_runs) // 2]
        a3_wall = seq_dl + a3_local
        a3_name_wall, a3_name = timed([ABI3AUDIT, spec])
        row = {
            "release": spec,
            "wheels": len(wheels),
            "size": size,
            "fetched": fetched,
            "requests": requests,
            "floor": floor,
            "fetched/floor": round(fetched / floor, 3) if floor else None,
            "floor+metadata": floor + meta,
            "fetched/(floor+metadata)": round(fetched / (floor + meta), 3) if floor else None,
            "fetched/size": round(fetched / size, 3) if size else None,
            "by_platform": {
                k: {"fetched": v[0], "floor": v[1], "size": v[2], "requests": v[4],
                    "ratio": round(v[0] / v[1], 3),
                    "floor+metadata": v[1] + v[3], "ratio+metadata": round(v[0] / (v[1] + v[3]), 3)}
                for k, v in by_kind.items()
            },
            "cargo_abi3_s": round(wall, 2),
            "pip_download_s": round(pip_wall, 2),
            "abi3audit_s": round(a3_wall, 2),
            "abi3audit_exit": a3.returncode,
            "abi3audit_download_s": round(seq_dl, 2),
            "abi3audit_files_s": round(a3_local, 2),
            "abi3audit_name_mode_s": round(a3_name_wall, 2),
            "abi3audit_name_mode_exit": a3_name.returncode,
            "cargo_abi3_exit": proc.returncode,
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    runs = {r["release"]: [r["cargo_abi3_s"]] for r in rows}
    for _ in range(RUNS):
        for r in rows:
            wall, proc = timed([CARGO_ABI3, "audit", "--format", "json", f"pypi:{r['release']}"])
            # A run that could not do its job (exit 2: the index or a file unreachable) is
            # not a timing: it is counted, not measured.
            if proc.returncode != r["cargo_abi3_exit"]:
                r["cargo_abi3_failed_runs"] = r.get("cargo_abi3_failed_runs", 0) + 1
                continue
            runs[r["release"]].append(round(wall, 2))
    for r in rows:
        times = sorted(runs[r["release"]][1:] or runs[r["release"]])
        r["cargo_abi3_runs_s"] = runs[r["release"]][1:]
        r.setdefault("cargo_abi3_failed_runs", 0)
        r["cargo_abi3_median_s"] = times[len(times) // 2]
        r["cargo_abi3_slowest_s"] = times[-1]
        print(json.dumps({k: r[k] for k in ("release", "cargo_abi3_runs_s", "cargo_abi3_median_s", "cargo_abi3_failed_runs")}), flush=True)
    print()
    print("| release | wheels | total size | fetched | floor | fetched/floor | floor + metadata | fetched/(floor + metadata) | cargo-abi3 median (fastest–slowest) | pip download | abi3audit (download + audit) | speed-up at the median (slowest run) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        times = sorted(runs[r["release"]][1:] or runs[r["release"]])
        print(
            f"| {r['release']} | {r['wheels']} | {r['size']/1e6:.1f} MB | {r['fetched']/1e6:.3f} MB "
            f"({100*r['fetched']/r['size']:.1f}%) in {r['requests']} | {r['floor']/1e6:.3f} MB | {r['fetched/floor']:.3f} | "
            f"{r['floor+metadata']/1e6:.3f} MB | {r['fetched/(floor+metadata)']:.3f} | "
            f"{r['cargo_abi3_median_s']:.2f} s ({times[0]:.2f}–{times[-1]:.2f}) | {r['pip_download_s']:.2f} s | "
            f"{r['abi3audit_s']:.2f} s ({r['abi3audit_download_s']:.2f} + {r['abi3audit_files_s']:.2f}) | "
            f"{r['abi3audit_s']/r['cargo_abi3_median_s']:.1f}× ({r['abi3audit_s']/r['cargo_abi3_slowest_s']:.1f}×) |"
        )
    print()
    print("| release | platform | fetched | requests | floor | fetched/floor | floor + metadata | fetched/(floor + metadata) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        for k, v in sorted(r["by_platform"].items()):
            print(
                f"| {r['release']} | {k} | {v['fetched']} | {v['requests']} | {v['floor']} | {v['ratio']:.3f} | "
                f"{v['floor+metadata']} | {v['ratio+metadata']:.3f} |"
            )


if __name__ == "__main__":
    main(sys.argv[1:] or DEFAULT)
