//! Mach-O reader: thin 32/64-bit images of either byte order, and fat/fat64 (universal)
//! files, one [`Binary`] per slice.
//!
//! Mach-O needs the whole image: from a prefix the reader computes the extent the headers
//! describe (fat arches, segments, symbol table, linkedit data) and asks for it.

use std::collections::HashSet;

use object::Endianness;
use object::macho;
use object::read::macho::{FatArch, LoadCommandVariant, MachHeader, MachOFile, Nlist, SymbolTable};
use object::read::{ImportFlags, NameOrOrdinal, Object};

use super::{
    Arch, Binary, Format, Import, Needed, ReadError, View, charge_strings, export_trie, lossy,
    owned,
};

// What the reader (and the plan) reads at most of each structure, whatever the headers
// claim; real images stay far below.
/// Bytes of load commands (`sizeofcmds`).
pub(super) const MAX_SIZEOFCMDS: u64 = 4 << 20;
/// Symbol table entries.
pub(super) const MAX_SYMBOLS: u64 = 1 << 20;
/// Bytes of the symbol string table the plan holds (names are read one by one).
pub(super) const MAX_STRINGS: u64 = 16 << 20;
/// Bytes of one `__LINKEDIT` blob: bind opcodes, export trie, chained fixups.
pub(super) const MAX_LINKEDIT_BLOB: u64 = 16 << 20;

/// A fat header with more architectures than this is refused (real ones list a handful; a
/// Java class file shares the magic number and has its version where the count would be).
pub(super) const MAX_FAT_ARCHES: u32 = 32;

fn bad(reason: impl Into<String>) -> ReadError {
    ReadError::malformed(Format::MachO, reason)
}

fn over(reason: impl Into<String>) -> ReadError {
    ReadError::limit(Format::MachO, reason)
}

/// `Err` when `size` bytes of `what` is more than `max`.
fn cap(what: &str, size: u64, max: u64) -> Result<(), ReadError> {
    if size > max {
        Err(over(format!(
            "{what} is {size} bytes, more than the limit of {max}"
        )))
    } else {
        Ok(())
    }
}

fn obj_err(what: &str) -> impl Fn(object::read::Error) -> ReadError + '_ {
    move |e| bad(format!("{what}: {e}"))
}

/// Checks that `data` holds at least `len` bytes.
fn need(data: View<'_>, complete: bool, len: u64, what: &str) -> Result<(), ReadError> {
    ReadError::need(Format::MachO, data, complete, len, what)
}

fn be32(data: View<'_>, offset: u64) -> Option<u32> {
    let bytes = data.get(offset, 4)?;
    Some(u32::from_be_bytes(bytes.try_into().ok()?))
}

pub(super) fn read(data: View<'_>, complete: bool) -> Result<Vec<Binary>, ReadError> {
    need(data, complete, 8, "header")?;
    match be32(data, 0) {
        Some(macho::FAT_MAGIC) => read_fat::<macho::FatArch32>(data, complete),
        Some(macho::FAT_MAGIC_64) => read_fat::<macho::FatArch64>(data, complete),
        _ => read_thin(data, complete, None).map(|b| vec![b]),
    }
}

fn read_fat<Fat: FatArch>(data: View<'_>, complete: bool) -> Result<Vec<Binary>, ReadError> {
    let count = be32(data, 4).unwrap_or(0);
    if count == 0 {
        return Err(bad("fat Mach-O header lists no architectures"));
    }
    if count > MAX_FAT_ARCHES {
        return Err(bad(format!(
            "fat Mach-O header lists {count} architectures, more than the limit of {MAX_FAT_ARCHES}"
        )));
    }
    let header_len = 8 + u64::from(count) * std::mem::size_of::<Fat>() as u64;
    need(data, complete, header_len, "fat header")?;
    let fat =
        object::read::macho::MachOFatFile::<Fat>::parse(data).map_err(obj_err("fat header"))?;
    let mut extent = header_len;
    for arch in fat.arches() {
        let (offset, size) = arch.file_range();
        let end = offset
            .checked_add(size)
            .ok_or_else(|| bad("fat slice range overflows"))?;
        extent = extent.max(end);
    }
    need(data, complete, extent, "fat slices")?;
    let mut binaries = Vec::with_capacity(fat.arches().len());
    for (index, arch) in fat.arches().iter().enumerate() {
        let (offset, size) = arch.file_range();
        let slice = data
            .sub(offset, size)
            .ok_or_else(|| bad(format!("fat slice {index}: past the end of the file")))?;
        // The slice is complete: its extent was checked above.
        let mut binary = read_thin(slice, true, Some(index))?;
        binary.fat_slice = Some(index);
        binaries.push(binary);
    }
    Ok(binaries)
}

fn read_thin(data: View<'_>, complete: bool, slice: Option<usize>) -> Result<Binary, ReadError> {
    match be32(data, 0) {
        Some(macho::MH_MAGIC | macho::MH_CIGAM) => {
            read_image::<macho::MachHeader32<Endianness>>(data, complete, slice)
        }
        Some(macho::MH_MAGIC_64 | macho::MH_CIGAM_64) => {
            read_image::<macho::MachHeader64<Endianness>>(data, complete, slice)
        }
        _ => Err(bad("bad Mach-O magic")),
    }
}

fn arch(cputype: macho::CpuType) -> Arch {
    match cputype {
        macho::CPU_TYPE_X86_64 => Arch::X86_64,
        macho::CPU_TYPE_X86 => Arch::X86,
        macho::CPU_TYPE_ARM64 => Arch::Aarch64,
        macho::CPU_TYPE_ARM => Arch::Arm,
        macho::CPU_TYPE_POWERPC64 => Arch::Ppc64,
        macho::CPU_TYPE_ARM64_32 => Arch::Other("arm64_32".into()),
        macho::CPU_TYPE_POWERPC => Arch::Ppc,
        other => Arch::Other(format!("macho-cputype-{:#x}", other.0)),
    }
}

/// Removes exactly one leading underscore, if present (charged to the file's budget).
fn c_name(name: &[u8]) -> Result<String, ReadError> {
    owned(Format::MachO, name.strip_prefix(b"_").unwrap_or(name))
}

/// How many bytes of the file the image's headers say it occupies.
fn extent<Mach: MachHeader<Endian = Endianness>>(
    header: &Mach,
    endian: Endianness,
    data: View<'_>,
) -> Result<u64, ReadError> {
    let sizeofcmds = u64::from(header.sizeofcmds(endian));
    cap("sizeofcmds", sizeofcmds, MAX_SIZEOFCMDS)?;
    let mut end = std::mem::size_of::<Mach>() as u64 + sizeofcmds;
    let mut commands = header
        .load_commands(endian, data, 0)
        .map_err(obj_err("load commands"))?;
    let range = |offset: u64, size: u64| {
        offset
            .checked_add(size)
            .ok_or_else(|| bad("load command range overflows"))
    };
    while let Some(command) = commands.next().map_err(obj_err("load command"))? {
        let this = match command.variant().map_err(obj_err("load command"))? {
            LoadCommandVariant::Segment32(seg, _) => range(
                seg.fileoff.get(endian).into(),
                seg.filesize.get(endian).into(),
            )?,
            LoadCommandVariant::Segment64(seg, _) => {
                range(seg.fileoff.get(endian), seg.filesize.get(endian))?
            }
            LoadCommandVariant::Symtab(symtab) => {
                let nsyms = u64::from(symtab.nsyms.get(endian));
                if nsyms > MAX_SYMBOLS {
                    return Err(over(format!(
                        "LC_SYMTAB lists {nsyms} symbols, more than the limit of {MAX_SYMBOLS}"
                    )));
                }
                let entry = std::mem::size_of::<Mach::Nlist>() as u64;
                let syms = range(
                    symtab.symoff.get(endian).into(),
                    u64::from(symtab.nsyms.get(endian)) * entry,
                )?;
                syms.max(range(
                    symtab.stroff.get(endian).into(),
                    symtab.strsize.get(endian).into(),
                )?)
            }
            LoadCommandVariant::LinkeditData(cmd) => {
                let size = cmd.datasize.get(endian).into();
                if matches!(
                    command.cmd(),
                    macho::LC_DYLD_EXPORTS_TRIE | macho::LC_DYLD_CHAINED_FIXUPS
                ) {
                    cap("a linkedit blob", size, MAX_LINKEDIT_BLOB)?;
                }
                range(cmd.dataoff.get(endian).into(), size)?
            }
            LoadCommandVariant::DyldInfo(info) => {
                for (what, size) in [
                    ("LC_DYLD_INFO bind opcodes", info.bind_size.get(endian)),
                    (
                        "LC_DYLD_INFO weak bind opcodes",
                        info.weak_bind_size.get(endian),
                    ),
                    (
                        "LC_DYLD_INFO lazy bind opcodes",
                        info.lazy_bind_size.get(endian),
                    ),
                    ("LC_DYLD_INFO export trie", info.export_size.get(endian)),
                ] {
                    cap(what, size.into(), MAX_LINKEDIT_BLOB)?;
                }
                0
            }
            _ => 0,
        };
        end = end.max(this);
    }
    Ok(end)
}

fn read_image<Mach: MachHeader<Endian = Endianness>>(
    data: View<'_>,
    complete: bool,
    fat_slice: Option<usize>,
) -> Result<Binary, ReadError> {
    need(data, complete, std::mem::size_of::<Mach>() as u64, "header")?;
    let header = Mach::parse(data, 0).map_err(obj_err("header"))?;
    let endian = header.endian().map_err(obj_err("header"))?;
    let commands_end = std::mem::size_of::<Mach>() as u64 + u64::from(header.sizeofcmds(endian));
    need(data, complete, commands_end, "load commands")?;
    need(data, complete, extent(header, endian, data)?, "image")?;

    let file = MachOFile::<Mach, View<'_>>::parse(data).map_err(obj_err("file"))?;
    let mut binary = Binary {
        fat_slice,
        ..Binary::new(Format::MachO, arch(header.cputype(endian)))
    };

    // Load commands: libraries (in ordinal order), install name, rpaths, minimum macOS.
    let mut libraries: Vec<String> = Vec::new();
    let mut version_min = None;
    let mut build_version = None;
    let mut commands = file
        .macho_load_commands()
        .map_err(obj_err("load commands"))?;
    while let Some(command) = commands.next().map_err(obj_err("load command"))? {
        match command.variant().map_err(obj_err("load command"))? {
            LoadCommandVariant::Dylib(dylib) => {
                let name = lossy(
                    command
                        .string(endian, dylib.dylib.name)
                        .map_err(obj_err("dylib name"))?,
                );
                libraries.push(name.clone());
                binary.needed.push(Needed {
                    name,
                    lazy: command.cmd() == macho::LC_LOAD_WEAK_DYLIB,
                });
            }
            LoadCommandVariant::IdDylib(dylib) => {
                binary.soname = Some(lossy(
                    command
                        .string(endian, dylib.dylib.name)
                        .map_err(obj_err("LC_ID_DYLIB name"))?,
                ));
            }
            LoadCommandVariant::Rpath(rpath) => {
                binary.rpaths.push(lossy(
                    command
                        .string(endian, rpath.path)
                        .map_err(obj_err("LC_RPATH path"))?,
                ));
            }
            LoadCommandVariant::BuildVersion(build, _)
                if build.platform.get(endian) == macho::PLATFORM_MACOS =>
            {
                let v = build.minos.get(endian);
                build_version = Some((v.major(), u16::from(v.minor())));
            }
            LoadCommandVariant::VersionMin(min)
                if command.cmd() == macho::LC_VERSION_MIN_MACOSX =>
            {
                let v = min.version.get(endian);
                version_min = Some((v.major(), u16::from(v.minor())));
            }
            _ => {}
        }
    }
    binary.macos_min = build_version.or(version_min);

    let flags = header.flags(endian);
    let flat_image = !flags.contains(macho::MH_TWOLEVEL) || flags.contains(macho::MH_FORCE_FLAT);
    // Undefined external symbols of the symbol table, library from the n_desc ordinal.
    let symbols: &SymbolTable<'_, Mach, View<'_>> = file.macho_symbol_table();
    for nlist in symbols.iter() {
        let n_type = nlist.n_type();
        if !nlist.is_undefined() || !n_type.contains(macho::N_EXT) {
            continue;
        }
        let name = nlist
            .name(endian, symbols.strings())
            .map_err(obj_err("symbol name"))?;
        if name.is_empty() {
            continue;
        }
        let n_desc = nlist.n_desc(endian);
        let (library, flat) = if flat_image {
            (None, true)
        } else {
            resolve_ordinal(&libraries, n_desc.library().0.into(), true)?
        };
        binary.flat_namespace_lookups |= flat;
        binary.imports.push(Import {
            name: c_name(name)?,
            library,
            version: None,
            weak: n_desc.contains(macho::N_WEAK_REF),
            delay_load: false,
        });
    }

    // Binds from LC_DYLD_CHAINED_FIXUPS / LC_DYLD_INFO, for symbols a stripped symbol table
    // no longer lists.
    let mut bound = Vec::new();
    for import in file.imports().map_err(obj_err("imports"))? {
        let import = import.map_err(obj_err("import"))?;
        let NameOrOrdinal::Name(name) = import.name() else {
            continue;
        };
        let name = c_name(name)?;
        if name.is_empty() {
            continue;
        }
        let (library, flat) = match import.flags() {
            ImportFlags::MachOBind { dylib, .. } => {
                if dylib == macho::BIND_SPECIAL_DYLIB_FLAT_LOOKUP {
                    (None, true)
                } else if let Some(index) = dylib.index() {
                    resolve_ordinal(&libraries, index, false)?
                } else {
                    (None, false)
                }
            }
            ImportFlags::MachO { n_desc, .. } => {
                if flat_image {
                    (None, true)
                } else {
                    resolve_ordinal(&libraries, n_desc.library().0.into(), true)?
                }
            }
            _ => (None, flat_image),
        };
        bound.push((
            Import {
                name,
                library,
                version: None,
                weak: import.is_weak(),
                delay_load: false,
            },
            flat,
        ));
    }
    let symtab_names: HashSet<&str> = binary.imports.iter().map(|i| i.name.as_str()).collect();
    let bound: Vec<(Import, bool)> = bound
        .into_iter()
        .filter(|(i, _)| !symtab_names.contains(i.name.as_str()))
        .collect();
    for (import, flat) in bound {
        binary.flat_namespace_lookups |= flat;
        binary.imports.push(import);
    }
    // The same symbol from the same library once, first occurrence kept.
    let mut seen = HashSet::new();
    let keep: Vec<bool> = binary
        .imports
        .iter()
        .map(|i| seen.insert((i.name.as_str(), i.library.as_deref())))
        .collect();
    let mut keep = keep.into_iter();
    binary.imports.retain(|_| keep.next().unwrap_or(true));

    // Exports: the export trie when the image has one (dyld then looks nowhere else), the
    // symbol table's external definitions otherwise.
    let names: Vec<Vec<u8>> = match export_trie(&file, endian, data)? {
        Some(trie) => export_trie::exported_names(trie).map_err(|e| {
            if e.limit {
                over(format!("export trie: {}", e.message))
            } else {
                bad(format!("export trie: {}", e.message))
            }
        })?,
        None => {
            let mut names = Vec::new();
            for nlist in symbols.iter() {
                let n_type = nlist.n_type();
                if n_type.is_stab()
                    || !n_type.contains(macho::N_EXT)
                    || n_type.contains(macho::N_PEXT)
                    || !matches!(n_type.typ(), macho::N_SECT | macho::N_ABS | macho::N_INDR)
                {
                    continue;
                }
                let name = nlist
                    .name(endian, symbols.strings())
                    .map_err(obj_err("symbol name"))?;
                names.push(name.to_vec());
            }
            names
        }
    };
    for name in names {
        let name = c_name(&name)?;
        if !name.is_empty() {
            binary.exports.push(name);
        }
    }
    let mut exported = HashSet::new();
    let keep: Vec<bool> = binary
        .exports
        .iter()
        .map(|e| exported.insert(e.as_str()))
        .collect();
    let mut keep = keep.into_iter();
    binary.exports.retain(|_| keep.next().unwrap_or(true));
    Ok(binary)
}

/// The export trie's bytes, if the image has one (`LC_DYLD_EXPORTS_TRIE`, or the export
/// part of `LC_DYLD_INFO`; an empty one exports nothing).
fn export_trie<'a, Mach: MachHeader<Endian = Endianness>>(
    file: &MachOFile<'a, Mach, View<'a>>,
    endian: Endianness,
    data: View<'a>,
) -> Result<Option<&'a [u8]>, ReadError> {
    let mut found = None;
    let mut commands = file
        .macho_load_commands()
        .map_err(obj_err("load commands"))?;
    while let Some(command) = commands.next().map_err(obj_err("load command"))? {
        if let Some(trie) = command
            .dyld_exports_trie()
            .map_err(obj_err("LC_DYLD_EXPORTS_TRIE"))?
        {
            found = Some((trie.dataoff.get(endian), trie.datasize.get(endian)));
            break;
        }
        if let Some(info) = command.dyld_info().map_err(obj_err("LC_DYLD_INFO"))? {
            found = Some((info.export_off.get(endian), info.export_size.get(endian)));
        }
    }
    let Some((offset, size)) = found else {
        return Ok(None);
    };
    if size == 0 {
        return Ok(Some(&[]));
    }
    data.get(offset.into(), size.into())
        .map(Some)
        .ok_or_else(|| {
            bad(format!(
                "export trie at {offset:#x}+{size:#x} lies past the end of the image"
            ))
        })
}

/// Library for a two-level ordinal: `(library, flat lookup)`. `nlist` selects the meaning
/// of the reserved values (n_desc ordinals are 8-bit: 0 self, 0xfe dynamic lookup,
/// 0xff main executable).
fn resolve_ordinal(
    libraries: &[String],
    ordinal: u32,
    nlist: bool,
) -> Result<(Option<String>, bool), ReadError> {
    if nlist {
        match u8::try_from(ordinal) {
            Ok(o) if macho::SymbolLibrary(o) == macho::DYNAMIC_LOOKUP_ORDINAL => {
                return Ok((None, true));
            }
            Ok(o) if macho::SymbolLibrary(o).is_reserved() => return Ok((None, false)),
            _ => {}
        }
    }
    let index = usize::try_from(ordinal)
        .ok()
        .and_then(|o| o.checked_sub(1))
        .ok_or_else(|| bad(format!("bad library ordinal {ordinal}")))?;
    let library = libraries.get(index).ok_or_else(|| {
        bad(format!(
            "library ordinal {ordinal} has no dylib load command"
        ))
    })?;
    charge_strings(Format::MachO, library.len())?;
    Ok((Some(library.clone()), false))
}
