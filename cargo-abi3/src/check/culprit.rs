//! Naming the culprit: which crate (rlib member) or build-script C object references an
//! offending symbol.
//!
//! Every archive the build produced is scanned once, in parallel, reading only member headers
//! and symbol tables; only undefined references to the symbols of interest are kept.

use std::collections::{BTreeMap, BTreeSet};

use object::read::archive::ArchiveFile as Archive;
use object::read::{ReadCache, ReadCacheOps};
use object::{Object as _, ObjectSymbol as _};
use rayon::prelude::*;

use super::build::{ArchiveFile, ArchiveOrigin};

/// One object file that references a symbol without defining it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Referrer {
    pub origin: ArchiveOrigin,
    /// The archive's file name (`libhelpers.a`, `libfloorhelper-….rlib`).
    pub archive: String,
    /// The member object (`floorhelper-….rcgu.o`, `…-helpers.o`).
    pub member: String,
}

impl Referrer {
    /// Who it is, for JSON: `crate floorhelper`, `build script of c-helper (x-helpers.o)`.
    pub fn name(&self) -> String {
        match &self.origin {
            ArchiveOrigin::Crate { name } => format!("crate {name}"),
            ArchiveOrigin::BuildScript { package } => {
                format!("build script of {package} ({})", self.member)
            }
        }
    }

    /// The `note:` line naming this referrer.
    pub fn note(&self, symbol: &str) -> String {
        match &self.origin {
            ArchiveOrigin::Crate { name } => format!(
                "`{symbol}` is referenced by crate `{name}` (rlib member {})",
                self.member
            ),
            ArchiveOrigin::BuildScript { package } => format!(
                "`{symbol}` is referenced by C code compiled in the build script of `{package}` (`{}` in {})",
                self.member, self.archive
            ),
        }
    }
}

/// Symbol → the objects that reference it.
pub type Culprits = BTreeMap<String, BTreeSet<Referrer>>;

/// Scans `archives` for undefined references to `symbols`. Unreadable archives and members
/// that are not object files (`lib.rmeta`) are skipped: naming culprits is best effort.
pub fn find(archives: &[ArchiveFile], symbols: &BTreeSet<String>) -> Culprits {
    if symbols.is_empty() {
        return Culprits::new();
    }
    let found: Vec<(String, Referrer)> = archives
        .par_iter()
        .flat_map_iter(|archive| scan(archive, symbols))
        .collect();
    let mut culprits = Culprits::new();
    for (symbol, referrer) in found {
        culprits.entry(symbol).or_default().insert(referrer);
    }
    culprits
}

/// Reads only the headers and symbol tables of each member (through a read cache): rlibs
/// are mostly debug info, tens of MB per build that need not be read.
fn scan(archive: &ArchiveFile, symbols: &BTreeSet<String>) -> Vec<(String, Referrer)> {
    let Ok(handle) = std::fs::File::open(&archive.path) else {
        return Vec::new();
    };
    let cache = ReadCache::new(BlockReader::new(handle));
    let Ok(file) = Archive::parse(&cache) else {
        return Vec::new();
    };
    let archive_name = archive
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out = Vec::new();
    for member in file.members().flatten() {
        let member_name = String::from_utf8_lossy(member.name()).into_owned();
        if !member_name.ends_with(".o") && !member_name.ends_with(".obj") {
            continue;
        }
        let (offset, size) = member.file_range();
        let Ok(object) = object::File::parse(cache.range(offset, size)) else {
            continue;
        };
        let mach_o = matches!(object.format(), object::BinaryFormat::MachO);
        let mut seen = BTreeSet::new();
        for symbol in object.symbols() {
            if !symbol.is_undefined() {
                continue;
            }
            let Ok(name) = symbol.name() else { continue };
            // Mach-O prefixes C names with an underscore.
            let name = if mach_o {
                name.strip_prefix('_').unwrap_or(name)
            } else {
                name
            };
            if symbols.contains(name) && seen.insert(name) {
                out.push((
                    name.to_owned(),
                    Referrer {
                        origin: archive.origin.clone(),
                        archive: archive_name.clone(),
                        member: member_name.clone(),
                    },
                ));
            }
        }
    }
    out
}

/// A file read in 64 KiB blocks, each read at most once. Parsing a member's symbol table
/// asks for many small ranges (every name); without blocks each costs a seek and a read.
struct BlockReader {
    file: std::fs::File,
    pos: u64,
    len: Option<u64>,
    blocks: std::collections::HashMap<u64, Box<[u8]>>,
}

impl BlockReader {
    const BLOCK: u64 = 64 * 1024;

    fn new(file: std::fs::File) -> Self {
        BlockReader {
            file,
            pos: 0,
            len: None,
            blocks: std::collections::HashMap::new(),
        }
    }

    fn block(&mut self, index: u64) -> Result<&[u8], ()> {
        use std::io::SeekFrom;
        if !self.blocks.contains_key(&index) {
            let len = ReadCacheOps::len(self)?;
            let start = index * Self::BLOCK;
            let size = Self::BLOCK.min(len.saturating_sub(start)) as usize;
            let mut buf = vec![0; size].into_boxed_slice();
            std::io::Seek::seek(&mut self.file, SeekFrom::Start(start)).map_err(|_| ())?;
            std::io::Read::read_exact(&mut self.file, &mut buf).map_err(|_| ())?;
            self.blocks.insert(index, buf);
        }
        self.blocks.get(&index).map(|b| &**b).ok_or(())
    }
}

impl ReadCacheOps for BlockReader {
    fn len(&mut self) -> Result<u64, ()> {
        if self.len.is_none() {
            self.len = Some(self.file.metadata().map_err(|_| ())?.len());
        }
        self.len.ok_or(())
    }

    fn seek(&mut self, pos: u64) -> Result<u64, ()> {
        self.pos = pos;
        Ok(pos)
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ()> {
        let index = self.pos / Self::BLOCK;
        let within = (self.pos % Self::BLOCK) as usize;
        let block = self.block(index)?;
        let n = buf.len().min(block.len().saturating_sub(within));
        buf[..n].copy_from_slice(&block[within..within + n]);
        self.pos += n as u64;
        Ok(n)
    }

    fn read_exact(&mut self, mut buf: &mut [u8]) -> Result<(), ()> {
        while !buf.is_empty() {
            let n = self.read(buf)?;
            if n == 0 {
                return Err(());
            }
            buf = &mut buf[n..];
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_name_the_crate_or_the_build_script() {
        let rlib = Referrer {
            origin: ArchiveOrigin::Crate {
                name: "floorhelper".into(),
            },
            archive: "libfloorhelper-1.rlib".into(),
            member: "floorhelper-1.cgu.o".into(),
        };
        assert_eq!(
            rlib.note("PyType_GetName"),
            "`PyType_GetName` is referenced by crate `floorhelper` (rlib member floorhelper-1.cgu.o)"
        );
        let c = Referrer {
            origin: ArchiveOrigin::BuildScript {
                package: "mycrate".into(),
            },
            archive: "libhelpers.a".into(),
            member: "helpers.o".into(),
        };
        assert!(
            c.note("X")
                .contains("build script of `mycrate` (`helpers.o` in libhelpers.a)")
        );
    }

    #[test]
    fn nothing_to_look_for_reads_nothing() {
        let archives = [ArchiveFile {
            path: "/nonexistent.a".into(),
            origin: ArchiveOrigin::Crate { name: "x".into() },
        }];
        assert!(find(&archives, &BTreeSet::new()).is_empty());
    }
}

/// Where the checked crate's own sources use `symbol`: `(file, line)` of each call (a line
/// with `symbol(` that is not its declaration), else of each declaration. The crate's own
/// code is linked straight into the cdylib, so no rlib or archive of the build holds it; its
/// sources are what names the line. Walks the `.rs` files under `root` (the crate's folder,
/// `target/` and hidden folders left out), at most [`MAX_SOURCE_FILES`] of at most 1 MiB.
pub fn own_code_uses(root: &std::path::Path, symbol: &str) -> Vec<(std::path::PathBuf, usize)> {
    let mut calls = Vec::new();
    let mut declarations = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    let mut seen_files = 0usize;
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    pending.push(path);
                }
                continue;
            }
            if !kind.is_file() || !name.ends_with(".rs") || seen_files >= MAX_SOURCE_FILES {
                continue;
            }
            seen_files += 1;
            if entry.metadata().map_or(true, |m| m.len() > 1 << 20) {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            for (i, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                for (at, _) in code.match_indices(symbol) {
                    let before = code[..at].chars().next_back();
                    let after = code[at + symbol.len()..].chars().next();
                    let word = !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                        && !after.is_some_and(|c| c.is_alphanumeric() || c == '_');
                    if !word {
                        continue;
                    }
                    let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
                    let declared = code[..at].trim_end().ends_with("fn");
                    let called = code[at + symbol.len()..].trim_start().starts_with('(');
                    if declared {
                        declarations.push((rel, i + 1));
                    } else if called {
                        calls.push((rel, i + 1));
                    }
                    break;
                }
            }
        }
    }
    if calls.is_empty() {
        declarations
    } else {
        calls
    }
}

/// Source files [`own_code_uses`] reads at most.
pub const MAX_SOURCE_FILES: usize = 2000;

#[cfg(test)]
mod own_code_tests {
    use super::*;

    #[test]
    fn calls_are_preferred_to_declarations_and_words_are_whole() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src/inner")).unwrap();
        std::fs::create_dir_all(dir.path().join("target")).unwrap();
        std::fs::write(
            dir.path().join("src/lib.rs"),
            "unsafe extern \"C\" {\n    fn PyType_GetName(t: *mut u8) -> *mut u8;\n}\n\
             // PyType_GetName(x) in a comment\nfn f() { let n = PyType_GetNameX(); }\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("src/inner/call.rs"),
            "fn g(t: *mut u8) {\n    let n = unsafe { PyType_GetName (t) };\n}\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("target/gen.rs"),
            "fn h() { PyType_GetName(0) }\n",
        )
        .unwrap();
        let found = own_code_uses(dir.path(), "PyType_GetName");
        assert_eq!(found, vec![("src/inner/call.rs".into(), 2)]);
        std::fs::remove_file(dir.path().join("src/inner/call.rs")).unwrap();
        let found = own_code_uses(dir.path(), "PyType_GetName");
        assert_eq!(found, vec![("src/lib.rs".into(), 2)]);
        assert!(own_code_uses(dir.path(), "Py_Other").is_empty());
    }
}
