//! ELF facts the loader simulation needs beyond the neutral [`Binary`](crate::binary::Binary)
//! model: DT_RPATH and DT_RUNPATH apart, `-Bsymbolic` and `nodeflib`, and the exported
//! dynamic symbols with their version and visibility. Read through the section headers with
//! the `object` crate; a file without them yields `None` and the caller falls back to the
//! neutral model.

use object::elf;
use object::read::elf::{Dyn, FileHeader, Sym};
use object::{Endianness, SymbolIndex};

use crate::binary::lossy;

/// Most search-path entries kept per tag.
const MAX_PATH_ENTRIES: usize = 256;

/// One defined, exported dynamic symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Export {
    pub name: String,
    /// The version it is defined with (`OPENSSL_3.0.0`), if any.
    pub version: Option<String>,
    /// A non-default version (`name@VER`): only versioned references to it bind here.
    pub hidden_version: bool,
    /// `STV_PROTECTED`: the object's own references cannot be interposed.
    pub protected: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ElfFacts {
    pub rpath: Vec<String>,
    pub runpath: Vec<String>,
    /// `DT_SYMBOLIC` or `DF_SYMBOLIC` (`-Bsymbolic`): own references bind locally.
    pub symbolic: bool,
    /// `DF_1_NODEFLIB`: the cache and default directories are not searched for its needs.
    pub nodeflib: bool,
    pub exports: Vec<Export>,
    /// Version names the object defines (`Verdef`), base version excluded.
    pub defined_versions: Vec<String>,
}

/// Reads the facts, or `None` when the file is not an ELF file with section headers.
pub fn read(data: &[u8]) -> Option<ElfFacts> {
    match data.get(4).copied().map(elf::FileClass) {
        Some(elf::ELFCLASS32) => read_elf::<elf::FileHeader32<Endianness>>(data)
            .ok()
            .flatten(),
        Some(elf::ELFCLASS64) => read_elf::<elf::FileHeader64<Endianness>>(data)
            .ok()
            .flatten(),
        _ => None,
    }
}

fn split_paths(value: &[u8], into: &mut Vec<String>) {
    for entry in lossy(value).split(':').filter(|p| !p.is_empty()) {
        if into.len() < MAX_PATH_ENTRIES {
            into.push(entry.to_owned());
        }
    }
}

fn read_elf<Elf: FileHeader<Endian = Endianness>>(
    data: &[u8],
) -> object::read::Result<Option<ElfFacts>> {
    let header = Elf::parse(data)?;
    let endian = header.endian()?;
    let sections = header.sections(endian, data)?;
    if sections.is_empty() {
        // No section headers: the caller falls back to the neutral model.
        return Ok(None);
    }
    let mut facts = ElfFacts::default();
    if let Some((entries, link)) = sections.dynamic(endian, data)? {
        let strings = sections.strings(endian, data, link)?;
        for entry in entries {
            let tag = entry.tag(endian);
            if tag == elf::DT_NULL {
                break;
            } else if tag == elf::DT_RPATH {
                split_paths(entry.string(endian, strings)?, &mut facts.rpath);
            } else if tag == elf::DT_RUNPATH {
                split_paths(entry.string(endian, strings)?, &mut facts.runpath);
            } else if tag == elf::DT_SYMBOLIC {
                facts.symbolic = true;
            } else if tag == elf::DT_FLAGS {
                facts.symbolic |= entry.val(endian) & elf::DF_SYMBOLIC.0 != 0;
            } else if tag == elf::DT_FLAGS_1 {
                facts.nodeflib |= entry.val(endian) & elf::DF_1_NODEFLIB.0 != 0;
            }
        }
    }
    // ld.so ignores DT_RPATH when DT_RUNPATH is present.
    if !facts.runpath.is_empty() {
        facts.rpath.clear();
    }

    let symbols = sections.symbols(endian, data, elf::SHT_DYNSYM)?;
    let versions = sections.versions(endian, data).ok().flatten();
    if let Some((mut verdefs, link)) = sections.gnu_verdef(endian, data).ok().flatten() {
        let strings = sections.strings(endian, data, link)?;
        let mut walked = 0usize;
        while let Ok(Some((verdef, mut aux))) = verdefs.next() {
            walked += 1;
            if walked > 65536 {
                break;
            }
            if verdef.vd_flags.get(endian).0 & elf::VER_FLG_BASE.0 != 0 {
                continue;
            }
            if let Ok(Some(first)) = aux.next()
                && let Ok(name) = first.name(endian, strings)
                && facts.defined_versions.len() < 4096
            {
                facts.defined_versions.push(lossy(name));
            }
        }
    }
    for (index, sym) in symbols.enumerate() {
        if !is_exported_definition::<Elf>(sym, endian) {
            continue;
        }
        let Ok(name) = symbols.symbol_name(endian, sym) else {
            continue;
        };
        if name.is_empty() {
            continue;
        }
        let (version, hidden_version) = match &versions {
            Some(table) => version_of(table, endian, index),
            None => (None, false),
        };
        facts.exports.push(Export {
            name: lossy(name),
            version,
            hidden_version,
            protected: sym.st_visibility() == elf::STV_PROTECTED,
        });
    }
    Ok(Some(facts))
}

fn version_of<Elf: FileHeader<Endian = Endianness>>(
    table: &object::read::elf::VersionTable<'_, Elf>,
    endian: Endianness,
    index: SymbolIndex,
) -> (Option<String>, bool) {
    let versym = table.version_index(endian, index);
    let name = table
        .version(versym.index())
        .ok()
        .flatten()
        .map(|v| lossy(v.name()));
    (name, versym.is_hidden())
}

/// Defined (not undefined, absolute or common), global or weak, default or protected.
fn is_exported_definition<Elf: FileHeader<Endian = Endianness>>(
    sym: &Elf::Sym,
    endian: Endianness,
) -> bool {
    let bind = sym.st_bind();
    let visibility = sym.st_visibility();
    let shndx = sym.st_shndx(endian);
    (bind == elf::STB_GLOBAL || bind == elf::STB_WEAK || bind == elf::STB_GNU_UNIQUE)
        && (visibility == elf::STV_DEFAULT || visibility == elf::STV_PROTECTED)
        && shndx != elf::SHN_UNDEF
        && shndx != elf::SHN_ABS
        && shndx != elf::SHN_COMMON
        && !matches!(sym.st_type(), elf::STT_SECTION | elf::STT_FILE)
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

    #[test]
    fn garbage_is_not_elf() {
        assert_eq!(read(b""), None);
        assert_eq!(read(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0"), None);
        let mut junk = b"\x7fELF\x02\x01\x01".to_vec();
        junk.resize(4096, 0xff);
        assert_eq!(read(&junk), None);
    }

    #[test]
    fn reads_the_running_test_binary_or_libc() {
        // Any real ELF file on the machine: the test executable itself.
        let exe = std::env::current_exe().unwrap();
        let data = std::fs::read(exe).unwrap();
        let facts = read(&data).expect("the test binary has section headers");
        assert!(facts.rpath.is_empty() || facts.runpath.is_empty());
    }
}
