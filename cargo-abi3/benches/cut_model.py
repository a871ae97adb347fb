#!/usr/bin/env python3
"""How much of a small wheel's last binary its one range should leave out (`source::cut_last_binary`).

For every ELF and PE member of 80-700 kB (compressed) in the local benchmark set (the wheels
`compare.sh` downloads, in ~/.cache/cargo-abi3-bench/wheels), as if it were the last binary of
a small wheel's one range:
- the last byte its readers need, from a local audit (`CARGO_ABI3_READ_STATS=2`, `needed: N`),
  and the compressed prefix that inflates to it (zlib);
- for a cut of 0, 10, 15 and 20% of the compressed member (none under 16 KiB): when the range
  ends before that prefix, the continuation the range source asks for, modelled on its rule
  (`RangeSource::hinted_end`): the bytes left estimated by the compression ratio seen over the
  range, plus 1/32 and 2 KiB; three quarters of the estimate when more than 32 KiB are left,
  unless (RULE=1, the default) the ratio was seen over at least four times what is left. A
  continuation that still falls short counts one more request, then ends at the prefix plus
  the same slack.
Prints fetched/floor over the members and how many took one more request, and a second.

Usage: cut_model.py   (env: CARGO_ABI3, WHEELS, RULE; the floor's pieces are remote.py's)
"""

import glob
import os
import sys
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import remote  # noqa: E402  (the floor's pieces: needed bytes, member data, prefixes)

WHEELS = os.environ.get("WHEELS", os.path.expanduser("~/.cache/cargo-abi3-bench/wheels"))
RULE = int(os.environ.get("RULE", "1"))


def members():
    for path in sorted(glob.glob(os.path.join(WHEELS, "*.whl"))):
        with zipfile.ZipFile(path) as z:
            for member, needed in remote.needed_bytes(path).items():
                info = z.getinfo(member)
                if info.compress_type != zipfile.ZIP_DEFLATED or not 80e3 <= info.compress_size <= 700e3:
                    continue
                _, data = remote.member_data(path, info)
                magic = zlib.decompressobj(-15).decompress(data[:4096])[:4]
                kind = "elf" if magic == b"\x7fELF" else "pe" if magic[:2] == b"MZ" else None
                if kind is None:
                    continue
                yield kind, needed, data, remote.compressed_prefix(data, needed)


def main():
    rows = list(members())
    for kind in ("elf", "pe"):
        for percent in (0, 10, 15, 20):
            fetched = floor = conts = seconds = n = 0
            for k, needed, data, prefix in rows:
                if k != kind:
                    continue
                n += 1
                size = len(data)
                floor += prefix
                cut = size * percent // 100
                held = size if cut < 16 * 1024 else size - cut
                if held >= prefix:
                    fetched += held
                    continue
                conts += 1
                streamed = len(zlib.decompressobj(-15).decompress(data[:held]))
                left = (needed - streamed) * held / streamed
                whole = left <= 32 * 1024 or (RULE and held >= 4 * left)
                end = min(size, held + (left + left / 32 + 2048 if whole else left * 3 / 4))
                if end < prefix:
                    seconds += 1
                    end = min(size, prefix + (prefix - end) / 32 + 2048)
                fetched += end
            print(f"{kind} cut {percent}%: {n} members, fetched/floor {fetched / floor:.3f}, "
                  f"one more request {conts}, a second {seconds}")


if __name__ == "__main__":
    main()
