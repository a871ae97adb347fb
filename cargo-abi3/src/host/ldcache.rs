//! `/etc/ld.so.cache` (glibc's "glibc-ld.so.cache1.1" format, optionally after the old
//! "ld.so-1.7.0" table) and, when it is missing or unreadable, the directories of
//! `/etc/ld.so.conf` and its `include`s. Bounded: no panics, no unbounded reads or loops.

use super::fs::Root;

const NEW_MAGIC: &[u8] = b"glibc-ld.so.cache1.1";
const OLD_MAGIC: &[u8] = b"ld.so-1.7.0";
const NEW_HEADER: usize = 48;
const NEW_ENTRY: usize = 24;
const OLD_ENTRY: usize = 12;
const MAX_ENTRIES: usize = 1 << 20;
const MAX_CACHE_BYTES: u64 = 64 << 20;
const MAX_STRING: usize = 4096;
/// `FLAG_ELF_LIBC6`, the only library type ld.so uses.
const FLAG_ELF_LIBC6: u32 = 0x0003;
const FLAG_TYPE_MASK: u32 = 0x00ff;
const FLAG_ARCH_MASK: u32 = 0xff00;

/// Where library names are looked up after the search paths.
#[derive(Clone, Debug, Default)]
pub enum Cache {
    /// `ld.so.cache` entries (soname, path) in file order.
    Cache(Vec<(String, String)>),
    /// No usable cache: the directories `ld.so.conf` lists, searched in order.
    Conf(Vec<String>),
    #[default]
    None,
}

impl Cache {
    /// Loads the cache of `root` for an architecture's cache flags (`None`: any).
    pub fn load(root: &Root, arch_flags: Option<u32>) -> Cache {
        let path = root.real("/etc/ld.so.cache");
        let data = std::fs::metadata(&path)
            .ok()
            .filter(|m| m.len() <= MAX_CACHE_BYTES)
            .and_then(|_| std::fs::read(&path).ok());
        if let Some(entries) = data.and_then(|d| parse(&d, arch_flags)) {
            return Cache::Cache(entries);
        }
        let mut dirs = Vec::new();
        read_conf(root, "/etc/ld.so.conf", 0, &mut dirs);
        if dirs.is_empty() {
            Cache::None
        } else {
            Cache::Conf(dirs)
        }
    }

    /// What the cache came from, for the report.
    pub fn source(&self) -> &'static str {
        match self {
            Cache::Cache(_) => "ld.so.cache",
            Cache::Conf(_) => "ld.so.conf",
            Cache::None => "none",
        }
    }

    /// Candidate paths for a soname, in the order ld.so would try them.
    pub fn candidates(&self, name: &str) -> Vec<String> {
        match self {
            Cache::Cache(entries) => entries
                .iter()
                .filter(|(key, _)| key == name)
                .map(|(_, path)| path.clone())
                .collect(),
            Cache::Conf(dirs) => dirs.iter().map(|d| format!("{d}/{name}")).collect(),
            Cache::None => Vec::new(),
        }
    }
}

/// The cache flags of libraries for an architecture (`ldconfig`'s `_DL_CACHE_DEFAULT_ID`).
pub fn arch_flags(arch: &crate::binary::Arch) -> Option<u32> {
    use crate::binary::Arch;
    match arch {
        Arch::X86_64 => Some(0x0303),
        Arch::X86 => Some(0x0003),
        Arch::Aarch64 => Some(0x0a03),
        Arch::Ppc64le | Arch::Ppc64 => Some(0x0503),
        Arch::S390x => Some(0x0403),
        _ => None,
    }
}

fn u32_at(data: &[u8], offset: usize, big: bool) -> Option<u32> {
    let bytes: [u8; 4] = data.get(offset..offset.checked_add(4)?)?.try_into().ok()?;
    Some(if big {
        u32::from_be_bytes(bytes)
    } else {
        u32::from_le_bytes(bytes)
    })
}

fn u64_at(data: &[u8], offset: usize, big: bool) -> Option<u64> {
    let bytes: [u8; 8] = data.get(offset..offset.checked_add(8)?)?.try_into().ok()?;
    Some(if big {
        u64::from_be_bytes(bytes)
    } else {
        u64::from_le_bytes(bytes)
    })
}

fn string_at(data: &[u8], offset: usize) -> Option<String> {
    let rest = data.get(offset..)?;
    let rest = rest.get(..rest.len().min(MAX_STRING))?;
    let end = rest.iter().position(|&b| b == 0)?;
    Some(String::from_utf8_lossy(rest.get(..end)?).into_owned())
}

/// Parses a cache file: (soname, path) for every entry of the new format whose flags match.
/// `None` if the file is not a cache ld.so would use.
pub fn parse(data: &[u8], arch_flags: Option<u32>) -> Option<Vec<(String, String)>> {
    let base = if data.starts_with(NEW_MAGIC) {
        0
    } else if data.starts_with(OLD_MAGIC) {
        // struct cache_file { char magic[11]; unsigned nlibs; struct file_entry libs[]; }
        let nlibs = usize::try_from(u32_at(data, 12, false)?).ok()?;
        if nlibs > MAX_ENTRIES {
            return None;
        }
        let end = 16usize.checked_add(nlibs.checked_mul(OLD_ENTRY)?)?;
        // The new format follows, aligned to its 8-byte alignment.
        let aligned = end.checked_add(7)? & !7;
        if !data.get(aligned..)?.starts_with(NEW_MAGIC) {
            return None;
        }
        aligned
    } else {
        return None;
    };
    let cache = data.get(base..)?;
    if cache.len() < NEW_HEADER {
        return None;
    }
    // flags: bits 0-1 byte order (2 little, 3 big; 0 unset: native, taken as little).
    let big = cache.get(28).is_some_and(|f| f & 3 == 3);
    let nlibs = usize::try_from(u32_at(cache, 20, big)?).ok()?;
    if nlibs > MAX_ENTRIES || nlibs.checked_mul(NEW_ENTRY)?.checked_add(NEW_HEADER)? > cache.len() {
        return None;
    }
    let mut entries = Vec::new();
    for i in 0..nlibs {
        let at = NEW_HEADER + i * NEW_ENTRY;
        let flags = u32_at(cache, at, big)?;
        let key = usize::try_from(u32_at(cache, at + 4, big)?).ok()?;
        let value = usize::try_from(u32_at(cache, at + 8, big)?).ok()?;
        let hwcap = u64_at(cache, at + 16, big)?;
        if flags & FLAG_TYPE_MASK != FLAG_ELF_LIBC6 || hwcap != 0 {
            continue;
        }
        if arch_flags.is_some_and(|want| flags & FLAG_ARCH_MASK != want & FLAG_ARCH_MASK) {
            continue;
        }
        // Strings are relative to the start of the new-format header.
        if let (Some(name), Some(path)) = (string_at(cache, key), string_at(cache, value)) {
            entries.push((name, path));
        }
    }
    Some(entries)
}

/// Collects the directories of an `ld.so.conf` file and its `include`s (bounded depth/count).
fn read_conf(root: &Root, path: &str, depth: usize, dirs: &mut Vec<String>) {
    const MAX_DEPTH: usize = 8;
    const MAX_DIRS: usize = 256;
    if depth > MAX_DEPTH || dirs.len() >= MAX_DIRS {
        return;
    }
    let real = root.real(path);
    let Ok(meta) = std::fs::metadata(&real) else {
        return;
    };
    if meta.len() > 1 << 20 {
        return;
    }
    let Ok(text) = std::fs::read_to_string(&real) else {
        return;
    };
    let here = super::fs::parent(path).to_owned();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with("hwcap ") {
            continue;
        }
        if let Some(pattern) = line
            .strip_prefix("include")
            .filter(|p| p.starts_with([' ', '\t']))
        {
            for pattern in pattern.split_whitespace() {
                let pattern = if pattern.starts_with('/') {
                    pattern.to_owned()
                } else {
                    format!("{here}/{pattern}")
                };
                let real_pattern = root.real(&pattern).to_string_lossy().into_owned();
                let Ok(paths) = glob::glob(&real_pattern) else {
                    continue;
                };
                let mut files: Vec<_> = paths.flatten().take(MAX_DIRS).collect();
                files.sort();
                for file in files {
                    if let Some(visible) = root.visible(&file) {
                        read_conf(root, &visible, depth + 1, dirs);
                    }
                }
            }
        } else {
            // "dir" or the old "dir=TYPE" form.
            let dir = line.split(['=', ' ', '\t']).next().unwrap_or(line);
            let dir = dir.trim_end_matches('/');
            if dir.starts_with('/') && !dirs.iter().any(|d| d == dir) && dirs.len() < MAX_DIRS {
                dirs.push(dir.to_owned());
            }
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;

    fn cache(entries: &[(u32, &str, &str)]) -> Vec<u8> {
        let mut out = NEW_MAGIC.to_vec();
        out.extend((entries.len() as u32).to_le_bytes());
        let table_end = NEW_HEADER + entries.len() * NEW_ENTRY;
        let mut strings = Vec::new();
        let mut table = Vec::new();
        for (flags, key, value) in entries {
            let k = table_end + strings.len();
            strings.extend(key.as_bytes());
            strings.push(0);
            let v = table_end + strings.len();
            strings.extend(value.as_bytes());
            strings.push(0);
            table.extend(flags.to_le_bytes());
            table.extend((k as u32).to_le_bytes());
            table.extend((v as u32).to_le_bytes());
            table.extend(0u32.to_le_bytes());
            table.extend(0u64.to_le_bytes());
        }
        out.extend((strings.len() as u32).to_le_bytes());
        out.push(2);
        out.extend([0; 3]);
        out.extend([0; 16]);
        assert_eq!(out.len(), NEW_HEADER);
        out.extend(table);
        out.extend(strings);
        out
    }

    #[test]
    fn parses_new_format_and_filters_arch() {
        let data = cache(&[
            (0x0303, "libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1"),
            (0x0003, "libz.so.1", "/lib/i386-linux-gnu/libz.so.1"),
        ]);
        let entries = parse(&data, Some(0x0303)).unwrap();
        assert_eq!(
            entries,
            vec![("libz.so.1".into(), "/lib/x86_64-linux-gnu/libz.so.1".into())]
        );
        assert_eq!(parse(&data, None).unwrap().len(), 2);
    }

    #[test]
    fn hostile_caches_do_not_panic() {
        let data = cache(&[(0x0303, "a", "b")]);
        for cut in 0..data.len() {
            let _ = parse(&data[..cut], None);
        }
        let mut huge = data.clone();
        huge[20..24].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(parse(&huge, None).is_none());
        let mut bad_offsets = data.clone();
        bad_offsets[52..56].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(parse(&bad_offsets, None).unwrap().len(), 0);
        assert!(parse(b"ld.so-1.7.0\0\xff\xff\xff\xff", None).is_none());
    }

    #[test]
    fn the_machine_cache_parses() {
        let Ok(data) = std::fs::read("/etc/ld.so.cache") else {
            eprintln!("skipped: no /etc/ld.so.cache");
            return;
        };
        let entries = parse(&data, None).expect("the system cache parses");
        assert!(entries.iter().any(|(k, _)| k.starts_with("libc.so")));
    }

    #[test]
    fn conf_with_includes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc/ld.so.conf.d")).unwrap();
        std::fs::write(
            dir.path().join("etc/ld.so.conf"),
            "include /etc/ld.so.conf.d/*.conf\n/opt/a # comment\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("etc/ld.so.conf.d/x.conf"),
            "/opt/b/\ninclude ../ld.so.conf\n",
        )
        .unwrap();
        let root = Root::new(Some(dir.path()));
        match Cache::load(&root, None) {
            Cache::Conf(dirs) => assert_eq!(dirs, vec!["/opt/b", "/opt/a"]),
            other => panic!("{other:?}"),
        }
    }
}
