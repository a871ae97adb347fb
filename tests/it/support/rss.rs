//! Memory-bound checks: the peak RSS of a child process, and wheels whose one member is
//! large (mostly zeros) but small compressed, to feed headers that claim huge sizes.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::Skip;

/// Runs `cmd` (its program, arguments and environment changes) as a child of python3 and
/// returns its peak RSS in KiB (`getrusage(RUSAGE_CHILDREN).ru_maxrss`, KiB on Linux), its
/// exit code and its stdout. The one way tests measure memory end to end.
pub fn peak_rss_kib(cmd: &Command) -> Result<(u64, i32, String), Skip> {
    if !cfg!(target_os = "linux") {
        return Err(Skip("ru_maxrss is measured in KiB on Linux only".into()));
    }
    let script = "import resource, subprocess, sys\n\
        r = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)\n\
        sys.stdout.buffer.write(r.stdout)\n\
        print()\n\
        print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)\n";
    let mut python = Command::new("python3");
    python
        .arg("-c")
        .arg(script)
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => python.env(key, value),
            None => python.env_remove(key),
        };
    }
    let out = python
        .output()
        .map_err(|e| Skip(format!("python3 not runnable: {e}")))?;
    assert!(out.status.success(), "python3 failed: {out:?}");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (stdout, last) = text
        .trim_end()
        .rsplit_once('\n')
        .unwrap_or(("", text.trim_end()));
    let mut fields = last.split_whitespace();
    let rss = fields
        .next()
        .and_then(|f| f.parse().ok())
        .expect("ru_maxrss");
    let code = fields
        .next()
        .and_then(|f| f.parse().ok())
        .expect("exit code");
    Ok((rss, code, stdout.to_owned()))
}

/// Writes `dir/file_name`, a wheel (with `WHEEL` and `METADATA`) whose member `member` is
/// `head`, then zeros, then 128 KiB of random bytes, `total` bytes in all. Deflated in
/// flushed, repeated blocks by python3's zlib, so a 1 GiB member takes a second to write and
/// about 1.2 MB in the wheel (a ratio under the default limit of 1000).
pub fn padded_wheel(
    dir: &Path,
    file_name: &str,
    member: &str,
    head: &[u8],
    total: u64,
) -> Result<PathBuf, Skip> {
    const SCRIPT: &str = r#"
import os, struct, sys, zlib
out, member, head_path, total = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
head = open(head_path, 'rb').read()
tail = os.urandom(128 * 1024)
zeros = total - len(head) - len(tail)
assert zeros >= 0
CHUNK = 16 << 20
def raw(data, finish=False):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_FINISH if finish else zlib.Z_FULL_FLUSH)
parts = [raw(head)]
crc = zlib.crc32(head)
full, rest = divmod(zeros, CHUNK)
block = raw(bytes(CHUNK))
parts += [block] * full
if rest:
    parts.append(raw(bytes(rest)))
zero_chunk = bytes(CHUNK)
for _ in range(full):
    crc = zlib.crc32(zero_chunk, crc)
crc = zlib.crc32(bytes(rest), crc)
parts.append(raw(tail, True))
crc = zlib.crc32(tail, crc)
body = b''.join(parts)
dist = os.path.basename(out).split('-')
info = dist[0] + '-' + dist[1] + '.dist-info/'
tag = '-'.join(os.path.basename(out)[:-4].split('-')[-3:])
entries = [
    (member, 8, body, crc, total),
]
for name, text in [('WHEEL', 'Wheel-Version: 1.0\nGenerator: cargo-abi3-tests\nRoot-Is-Purelib: false\nTag: %s\n' % tag),
                   ('METADATA', 'Metadata-Version: 2.3\nName: %s\nVersion: %s\n' % (dist[0], dist[1]))]:
    data = text.encode()
    entries.append((info + name, 0, data, zlib.crc32(data), len(data)))
with open(out, 'wb') as f:
    central = b''
    for name, method, data, crc, size in entries:
        offset = f.tell()
        n = name.encode()
        f.write(struct.pack('<IHHHHHIIIHH', 0x04034b50, 20, 0, method, 0, 0x21, crc, len(data), size, len(n), 0) + n)
        f.write(data)
        central += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 20, 20, 0, method, 0, 0x21, crc, len(data), size, len(n), 0, 0, 0, 0, 0, offset) + n
    start = f.tell()
    f.write(central)
    f.write(struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, len(entries), len(entries), len(central), start, 0))
"#;
    let head_path = dir.join(format!("{file_name}.head"));
    std::fs::write(&head_path, head).expect("write head");
    let out = dir.join(file_name);
    let status = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(&out)
        .arg(member)
        .arg(&head_path)
        .arg(total.to_string())
        .status()
        .map_err(|e| Skip(format!("python3 not runnable: {e}")))?;
    assert!(status.success(), "writing {file_name} failed");
    Ok(out)
}
