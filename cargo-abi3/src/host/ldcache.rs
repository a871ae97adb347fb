//! `/etc/ld.so.cache` (glibc's "glibc-ld.so.cache1.1" format, optionally after the old
//! "ld.so-1.7.0" table) and, when it is missing or unreadable, the directories of
//! `/etc/ld.so.conf` and its `include`s. Every file is read through [`Root::read`], so under
//! a sysroot nothing outside it is read.
//!
//! Bounded by construction: the cache is read with a byte limit (bytes actually read), at
//! most [`MAX_ENTRIES`] entries are accepted, and an entry is two offsets into the file's
//! bytes: strings are compared and copied only when a name is looked up, so memory is the
//! file plus 8 bytes an entry, whatever the entries point at.

use super::fs::{FileError, MAX_PATH, Root};

const NEW_MAGIC: &[u8] = b"glibc-ld.so.cache1.1";
const OLD_MAGIC: &[u8] = b"ld.so-1.7.0";
const NEW_HEADER: usize = 48;
const NEW_ENTRY: usize = 24;
const OLD_ENTRY: usize = 12;
/// Most entries of a cache (old or new table). Real caches hold hundreds to a few thousand
/// (this project's Debian 12 machine: 530).
pub const MAX_ENTRIES: usize = 65_536;
/// Largest cache file read: [`MAX_ENTRIES`] entries with 100-byte names and paths fit.
pub const MAX_CACHE_BYTES: u64 = 16 << 20;
/// Largest `ld.so.conf` (or included) file read.
const MAX_CONF_BYTES: u64 = 1 << 20;
/// Most `ld.so.conf` files read, includes included (their nesting is bounded too).
const MAX_CONF_FILES: usize = 256;
/// Most directories collected from `ld.so.conf`.
const MAX_CONF_DIRS: usize = 256;
/// `FLAG_ELF_LIBC6`, the only library type ld.so uses.
const FLAG_ELF_LIBC6: u32 = 0x0003;
const FLAG_TYPE_MASK: u32 = 0x00ff;
const FLAG_ARCH_MASK: u32 = 0xff00;

/// The cache's loader-visible path.
pub const CACHE_PATH: &str = "/etc/ld.so.cache";

/// Why a cache file is not used.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CacheError {
    #[error("not an ld.so.cache file, or truncated")]
    Malformed,
    #[error("{count} entries, above the limit of {limit}")]
    TooManyEntries { count: u64, limit: usize },
}

/// A cache that could not be used because a limit was exceeded (the analysis went on
/// without it and says so).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheLimit {
    pub path: &'static str,
    /// What exceeded the limit: "has 200000 entries, above the limit of 65536".
    pub what: String,
}

/// A parsed cache: the file's bytes and, for every entry ld.so would use, the offsets of
/// its soname and path in them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheFile {
    data: Vec<u8>,
    entries: Vec<(u32, u32)>,
}

impl CacheFile {
    /// Parses a cache file: the entries of the new format whose flags match `arch_flags`
    /// (`None`: any architecture).
    pub fn parse(data: Vec<u8>, arch_flags: Option<u32>) -> Result<CacheFile, CacheError> {
        let entries = parse_entries(&data, arch_flags)?;
        Ok(CacheFile { data, entries })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every usable entry as (soname, path) bytes, in file order; entries whose strings are
    /// not NUL-terminated inside the file are skipped.
    pub fn entries(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.entries.iter().filter_map(|&(key, value)| {
            Some((cstr_at(&self.data, key)?, cstr_at(&self.data, value)?))
        })
    }

    /// The paths the cache gives for a soname, in file order (only paths ld.so could open:
    /// absolute and at most [`MAX_PATH`] bytes).
    pub fn lookup<'a>(&'a self, name: &'a str) -> impl Iterator<Item = String> + 'a {
        self.entries
            .iter()
            .filter(move |&&(key, _)| key_is(&self.data, key, name.as_bytes()))
            .filter_map(|&(_, value)| {
                let path = cstr_at(&self.data, value)?;
                (path.starts_with(b"/") && path.len() <= MAX_PATH)
                    .then(|| String::from_utf8_lossy(path).into_owned())
            })
    }
}

/// Where library names are looked up after the search paths.
#[derive(Clone, Debug, Default)]
pub enum Cache {
    /// `ld.so.cache` entries (soname, path) in file order.
    Cache(CacheFile),
    /// No usable cache: the directories `ld.so.conf` lists, searched in order.
    Conf(Vec<String>),
    #[default]
    None,
}

impl Cache {
    /// Loads the cache of `root` for an architecture's cache flags (`None`: any). A cache
    /// over a limit is not used; the limit comes back with the fallback.
    pub fn load(root: &Root, arch_flags: Option<u32>) -> (Cache, Option<CacheLimit>) {
        let mut limit = None;
        let parsed = match root.read(CACHE_PATH, MAX_CACHE_BYTES) {
            Ok(data) => CacheFile::parse(data, arch_flags).map_err(|e| {
                if let CacheError::TooManyEntries { count, limit: max } = e {
                    limit = Some(CacheLimit {
                        path: CACHE_PATH,
                        what: format!("has {count} entries, above the limit of {max}"),
                    });
                }
            }),
            Err(FileError::TooLarge { size, limit: max }) => {
                limit = Some(CacheLimit {
                    path: CACHE_PATH,
                    what: format!("is {size} bytes, above the limit of {max}"),
                });
                Err(())
            }
            Err(_) => Err(()),
        };
        if let Ok(cache) = parsed {
            return (Cache::Cache(cache), None);
        }
        let mut conf = Conf::default();
        conf.read(root, "/etc/ld.so.conf", 0);
        let cache = if conf.dirs.is_empty() {
            Cache::None
        } else {
            Cache::Conf(conf.dirs)
        };
        (cache, limit)
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
            Cache::Cache(cache) => cache.lookup(name).collect(),
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

/// The NUL-terminated string at `offset`, if it ends inside `data`.
fn cstr_at(data: &[u8], offset: u32) -> Option<&[u8]> {
    let rest = data.get(usize::try_from(offset).ok()?..)?;
    let end = memchr::memchr(0, rest)?;
    rest.get(..end)
}

/// Whether the string at `offset` is exactly `name` (compares `name.len() + 1` bytes).
fn key_is(data: &[u8], offset: u32, name: &[u8]) -> bool {
    usize::try_from(offset)
        .ok()
        .and_then(|at| data.get(at..)?.get(..=name.len()))
        .is_some_and(|s| s.strip_suffix(&[0]) == Some(name))
}

/// The entries of a cache file: (soname offset, path offset) into `data` for every entry of
/// the new format whose flags match. Allocates 8 bytes an entry, at most [`MAX_ENTRIES`].
pub fn parse_entries(data: &[u8], arch_flags: Option<u32>) -> Result<Vec<(u32, u32)>, CacheError> {
    use CacheError::Malformed;
    let too_many = |count: usize| CacheError::TooManyEntries {
        count: count as u64,
        limit: MAX_ENTRIES,
    };
    let base = if data.starts_with(NEW_MAGIC) {
        0
    } else if data.starts_with(OLD_MAGIC) {
        // struct cache_file { char magic[11]; unsigned nlibs; struct file_entry libs[]; }
        let nlibs =
            usize::try_from(u32_at(data, 12, false).ok_or(Malformed)?).map_err(|_| Malformed)?;
        if nlibs > MAX_ENTRIES {
            return Err(too_many(nlibs));
        }
        let end = nlibs
            .checked_mul(OLD_ENTRY)
            .and_then(|t| t.checked_add(16))
            .ok_or(Malformed)?;
        // The new format follows, aligned to its 8-byte alignment.
        let aligned = end.checked_add(7).ok_or(Malformed)? & !7;
        if !data.get(aligned..).ok_or(Malformed)?.starts_with(NEW_MAGIC) {
            return Err(Malformed);
        }
        aligned
    } else {
        return Err(Malformed);
    };
    let cache = data.get(base..).ok_or(Malformed)?;
    if cache.len() < NEW_HEADER {
        return Err(Malformed);
    }
    // flags: bits 0-1 byte order (2 little, 3 big; 0 unset: native, taken as little).
    let big = cache.get(28).is_some_and(|f| f & 3 == 3);
    let nlibs = usize::try_from(u32_at(cache, 20, big).ok_or(Malformed)?).map_err(|_| Malformed)?;
    if nlibs > MAX_ENTRIES {
        return Err(too_many(nlibs));
    }
    let table_end = nlibs
        .checked_mul(NEW_ENTRY)
        .and_then(|t| t.checked_add(NEW_HEADER))
        .ok_or(Malformed)?;
    if table_end > cache.len() {
        return Err(Malformed);
    }
    // Bounded: the table fits in the file, and `nlibs` is at most MAX_ENTRIES.
    let mut entries = Vec::with_capacity(nlibs);
    for i in 0..nlibs {
        let at = NEW_HEADER + i * NEW_ENTRY;
        let field = |off: usize| u32_at(cache, at + off, big).ok_or(Malformed);
        let flags = field(0)?;
        let hwcap = u64_at(cache, at + 16, big).ok_or(Malformed)?;
        if flags & FLAG_TYPE_MASK != FLAG_ELF_LIBC6 || hwcap != 0 {
            continue;
        }
        if arch_flags.is_some_and(|want| flags & FLAG_ARCH_MASK != want & FLAG_ARCH_MASK) {
            continue;
        }
        // String offsets are relative to the start of the new-format header.
        let absolute = |offset: u32| u32::try_from(base).ok()?.checked_add(offset);
        if let (Some(key), Some(value)) = (absolute(field(4)?), absolute(field(8)?)) {
            entries.push((key, value));
        }
    }
    Ok(entries)
}

/// The directories of `ld.so.conf` and its `include`s, read through the root.
#[derive(Default)]
struct Conf {
    dirs: Vec<String>,
    files_read: usize,
}

impl Conf {
    /// Collects the directories of a conf file and its `include`s (bounded nesting, files
    /// and directories).
    fn read(&mut self, root: &Root, path: &str, depth: usize) {
        const MAX_DEPTH: usize = 8;
        if depth > MAX_DEPTH
            || self.dirs.len() >= MAX_CONF_DIRS
            || self.files_read >= MAX_CONF_FILES
        {
            return;
        }
        self.files_read += 1;
        let Ok(bytes) = root.read(path, MAX_CONF_BYTES) else {
            return;
        };
        let text = String::from_utf8_lossy(&bytes);
        // ldconfig takes a relative include relative to the including file's directory.
        let here = super::fs::parent(path).to_owned();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() || line.starts_with("hwcap ") {
                continue;
            }
            if let Some(patterns) = line
                .strip_prefix("include")
                .filter(|p| p.starts_with([' ', '\t']))
            {
                for pattern in patterns.split_whitespace() {
                    let pattern = if pattern.starts_with('/') {
                        pattern.to_owned()
                    } else {
                        format!("{}/{pattern}", here.trim_end_matches('/'))
                    };
                    for file in root.glob(&pattern, MAX_CONF_FILES) {
                        self.read(root, &file, depth + 1);
                    }
                }
            } else {
                // "dir" or the old "dir=TYPE" form.
                let dir = line.split(['=', ' ', '\t']).next().unwrap_or(line);
                let dir = dir.trim_end_matches('/');
                if dir.starts_with('/')
                    && !self.dirs.iter().any(|d| d == dir)
                    && self.dirs.len() < MAX_CONF_DIRS
                {
                    self.dirs.push(dir.to_owned());
                }
            }
        }
    }
}

#[cfg(test)]
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

    fn pairs(cache: &CacheFile) -> Vec<(String, String)> {
        cache
            .entries()
            .map(|(k, v)| {
                (
                    String::from_utf8_lossy(k).into_owned(),
                    String::from_utf8_lossy(v).into_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn parses_new_format_and_filters_arch() {
        let data = cache(&[
            (0x0303, "libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1"),
            (0x0003, "libz.so.1", "/lib/i386-linux-gnu/libz.so.1"),
        ]);
        let parsed = CacheFile::parse(data.clone(), Some(0x0303)).unwrap();
        assert_eq!(
            pairs(&parsed),
            vec![("libz.so.1".into(), "/lib/x86_64-linux-gnu/libz.so.1".into())]
        );
        assert_eq!(
            parsed.lookup("libz.so.1").collect::<Vec<_>>(),
            vec!["/lib/x86_64-linux-gnu/libz.so.1".to_owned()]
        );
        assert_eq!(parsed.lookup("libz.so").count(), 0);
        assert_eq!(parsed.lookup("libz.so.1.2").count(), 0);
        assert_eq!(CacheFile::parse(data, None).unwrap().len(), 2);
    }

    /// glibc before 2.32 wrote the old table first; the new format's strings are relative
    /// to its own header.
    #[test]
    fn new_format_after_the_old_table() {
        let new = cache(&[(0x0303, "libz.so.1", "/lib/libz.so.1")]);
        let mut data = OLD_MAGIC.to_vec();
        data.push(0);
        data.extend(2u32.to_le_bytes());
        data.extend([0u8; 2 * OLD_ENTRY]);
        assert_eq!(data.len() % 8, 0);
        data.extend(&new);
        let parsed = CacheFile::parse(data, Some(0x0303)).unwrap();
        assert_eq!(
            pairs(&parsed),
            vec![("libz.so.1".into(), "/lib/libz.so.1".into())]
        );
    }

    #[test]
    fn hostile_caches_do_not_panic() {
        let data = cache(&[(0x0303, "a", "/b")]);
        for cut in 0..data.len() {
            let _ = CacheFile::parse(data[..cut].to_vec(), None);
        }
        let mut huge = data.clone();
        huge[20..24].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            parse_entries(&huge, None),
            Err(CacheError::TooManyEntries {
                count: u64::from(u32::MAX),
                limit: MAX_ENTRIES
            })
        );
        // An entry pointing outside the file is kept as offsets and skipped on lookup.
        let mut bad_offsets = data.clone();
        bad_offsets[52..56].copy_from_slice(&u32::MAX.to_le_bytes());
        let parsed = CacheFile::parse(bad_offsets, None).unwrap();
        assert_eq!(parsed.entries().count(), 0);
        assert_eq!(parsed.lookup("a").count(), 0);
        assert_eq!(
            parse_entries(b"ld.so-1.7.0\0\xff\xff\xff\xff", None),
            Err(CacheError::TooManyEntries {
                count: u64::from(u32::MAX),
                limit: MAX_ENTRIES
            })
        );
        assert_eq!(
            parse_entries(b"ld.so-1.7.0\0\x01\0\0\0", None),
            Err(CacheError::Malformed)
        );
    }

    /// Entries sharing one long string cost 8 bytes each, not a copy of the string each.
    #[test]
    fn shared_strings_are_not_copied() {
        let count = MAX_ENTRIES;
        let string_at = (NEW_HEADER + count * NEW_ENTRY) as u32;
        let mut data = NEW_MAGIC.to_vec();
        data.extend((count as u32).to_le_bytes());
        data.extend(4098u32.to_le_bytes());
        data.push(2);
        data.extend([0; 19]);
        for _ in 0..count {
            data.extend(0x0303u32.to_le_bytes());
            data.extend(string_at.to_le_bytes());
            data.extend(string_at.to_le_bytes());
            data.extend([0; 12]);
        }
        data.extend([b'/'; 4097]);
        data.push(0);
        let parsed = CacheFile::parse(data, None).unwrap();
        assert_eq!(parsed.len(), count);
        assert_eq!(parsed.entries.capacity(), count);
        // Lookups compare at most the name's length plus one byte per entry.
        assert_eq!(parsed.lookup("libz.so.1").count(), 0);
        // Paths longer than PATH_MAX are not candidates.
        assert_eq!(parsed.lookup(&"/".repeat(4097)).count(), 0);
        assert_eq!(parsed.entries().count(), count);
    }

    #[test]
    fn the_machine_cache_parses() {
        let Ok(data) = std::fs::read("/etc/ld.so.cache") else {
            eprintln!("skipped: no /etc/ld.so.cache");
            return;
        };
        let parsed = CacheFile::parse(data, None).expect("the system cache parses");
        assert!(parsed.entries().any(|(k, _)| k.starts_with(b"libc.so")));
        assert!(parsed.len() < MAX_ENTRIES);
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
        // Hidden files do not match `*`, as with glob(3).
        std::fs::write(dir.path().join("etc/ld.so.conf.d/.hidden.conf"), "/opt/h\n").unwrap();
        let root = Root::new(Some(dir.path()));
        match Cache::load(&root, None) {
            (Cache::Conf(dirs), None) => assert_eq!(dirs, vec!["/opt/b", "/opt/a"]),
            other => panic!("{other:?}"),
        }
    }

    /// Includes that include each other many times over stop at the file budget.
    #[test]
    fn include_fan_out_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("etc/ld.so.conf.d");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            dir.path().join("etc/ld.so.conf"),
            "include /etc/ld.so.conf.d/*\n",
        )
        .unwrap();
        for i in 0..50 {
            std::fs::write(d.join(format!("{i:02}")), format!("/opt/{i}\ninclude *\n")).unwrap();
        }
        let root = Root::new(Some(dir.path()));
        let mut conf = Conf::default();
        conf.read(&root, "/etc/ld.so.conf", 0);
        assert_eq!(conf.files_read, MAX_CONF_FILES);
        assert_eq!(conf.dirs.len(), 50);
    }

    #[test]
    fn oversized_cache_is_a_limit() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        let file = std::fs::File::create(dir.path().join("etc/ld.so.cache")).unwrap();
        file.set_len(MAX_CACHE_BYTES + 1).unwrap();
        let (cache, limit) = Cache::load(&Root::new(Some(dir.path())), None);
        assert!(matches!(cache, Cache::None));
        assert_eq!(
            limit.unwrap().what,
            format!(
                "is {} bytes, above the limit of {MAX_CACHE_BYTES}",
                MAX_CACHE_BYTES + 1
            )
        );
    }
}
