//! PE reader (PE32 and PE32+): imports per DLL from the import and delay-load import
//! directories, exports from the export directory.
//!
//! PE needs the whole image: from a prefix the reader computes the extent of the headers
//! and sections and asks for it.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::HashSet;

use object::pe;
use object::read::pe::{ImageNtHeaders, PeFile};
use object::read::{ImportFlags, ImportLibraryFlags, NameOrOrdinal, Object};

use super::{Arch, Binary, Format, Import, Needed, ReadError, View, lossy};

fn bad(reason: impl Into<String>) -> ReadError {
    ReadError::malformed(Format::Pe, reason)
}

fn obj_err(what: &str) -> impl Fn(object::read::Error) -> ReadError + '_ {
    move |e| bad(format!("{what}: {e}"))
}

/// Checks that `data` holds at least `len` bytes.
fn need(data: View<'_>, complete: bool, len: u64, what: &str) -> Result<(), ReadError> {
    ReadError::need(Format::Pe, data, complete, len, what)
}

fn le16(data: View<'_>, offset: u64) -> Option<u16> {
    let bytes = data.get(offset, 2)?;
    Some(u16::from_le_bytes(bytes.try_into().ok()?))
}

fn le32(data: View<'_>, offset: u64) -> Option<u32> {
    let bytes = data.get(offset, 4)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

pub(super) fn read(data: View<'_>, complete: bool) -> Result<Binary, ReadError> {
    // DOS header → NT headers → section table → extent of the sections.
    need(data, complete, 0x40, "DOS header")?;
    let nt = u64::from(le32(data, 0x3c).unwrap_or(0));
    let optional = nt + 4 + pe::IMAGE_SIZEOF_FILE_HEADER as u64;
    need(data, complete, optional + 2, "NT headers")?;
    if le32(data, nt) != Some(pe::IMAGE_NT_SIGNATURE) {
        return Err(bad("missing PE signature"));
    }
    let sections = u64::from(le16(data, nt + 4 + 2).unwrap_or(0));
    let optional_size = u64::from(le16(data, nt + 4 + 16).unwrap_or(0));
    let table = optional + optional_size;
    let table_end = table + sections * 40;
    need(data, complete, table_end, "section table")?;
    let mut extent = table_end;
    for index in 0..sections {
        let entry = table + index * 40;
        let size = u64::from(le32(data, entry + 16).unwrap_or(0));
        let pointer = u64::from(le32(data, entry + 20).unwrap_or(0));
        if size > 0 {
            extent = extent.max(pointer + size);
        }
    }
    need(data, complete, extent, "sections")?;
    match le16(data, optional) {
        Some(pe::IMAGE_NT_OPTIONAL_HDR32_MAGIC) => read_image::<pe::ImageNtHeaders32>(data),
        Some(pe::IMAGE_NT_OPTIONAL_HDR64_MAGIC) => read_image::<pe::ImageNtHeaders64>(data),
        _ => Err(bad("unknown optional header magic")),
    }
}

fn arch(machine: pe::Machine) -> Arch {
    match machine {
        pe::IMAGE_FILE_MACHINE_AMD64 => Arch::X86_64,
        pe::IMAGE_FILE_MACHINE_I386 => Arch::X86,
        pe::IMAGE_FILE_MACHINE_ARM64 => Arch::Aarch64,
        pe::IMAGE_FILE_MACHINE_ARMNT => Arch::Arm,
        pe::IMAGE_FILE_MACHINE_ARM64EC => Arch::Other("arm64ec".into()),
        other => Arch::Other(format!("pe-machine-{:#06x}", other.0)),
    }
}

fn read_image<Pe: ImageNtHeaders>(data: View<'_>) -> Result<Binary, ReadError> {
    let file = PeFile::<Pe, View<'_>>::parse(data).map_err(obj_err("headers"))?;
    let machine = file
        .nt_headers()
        .file_header()
        .machine
        .get(object::LittleEndian);
    let mut binary = Binary::new(Format::Pe, arch(machine));

    let mut seen_dlls = HashSet::new();
    for library in file
        .import_libraries()
        .map_err(obj_err("import directory"))?
    {
        let library = library.map_err(obj_err("import directory"))?;
        let delay = matches!(library.flags(), ImportLibraryFlags::Pe { delay: true });
        let name = lossy(library.name());
        if seen_dlls.insert((name.to_ascii_lowercase(), delay)) {
            binary.needed.push(Needed { name, lazy: delay });
        }
    }

    for import in file.imports().map_err(obj_err("import directory"))? {
        let import = import.map_err(obj_err("import"))?;
        let name = match import.name() {
            NameOrOrdinal::Name(name) => lossy(name),
            NameOrOrdinal::Ordinal(ordinal) => format!("#{ordinal}"),
        };
        binary.imports.push(Import {
            name,
            library: Some(lossy(import.library())),
            version: None,
            weak: false,
            delay_load: matches!(import.flags(), ImportFlags::Pe { delay: true }),
        });
    }

    for export in file.exports().map_err(obj_err("export directory"))? {
        let export = export.map_err(obj_err("export"))?;
        if let NameOrOrdinal::Name(name) = export.name() {
            binary.exports.push(lossy(name));
        }
    }
    Ok(binary)
}
