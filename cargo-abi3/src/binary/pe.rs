//! PE reader (PE32 and PE32+): imports per DLL from the import and delay-load import
//! directories, exports from the export directory.
//!
//! The directories are walked entry by entry (descriptors, thunks, hint/name entries, name
//! pointers and strings), each read as small as it is, so a streamed member holds what the
//! directories use and not the sections around them. A read of bytes not held is recorded
//! as a miss and the walk goes on with what it can reach, so one reader run collects the
//! misses of a whole directory. From a prefix (`complete == false`) the reader asks for the
//! extent of the headers and sections first.

use std::collections::HashSet;

use object::pe;

use super::{Arch, Binary, Format, Import, Needed, ReadError, View, charge_strings, owned};

// What the reader (and the plan) reads at most, whatever the headers claim.
/// Sections in the section table.
pub(super) const MAX_SECTIONS: u64 = 65535;
/// Import and delay-import descriptors (DLLs) together.
const MAX_DLLS: u64 = 4096;
/// Import thunks (imported symbols) together.
const MAX_IMPORTS: u64 = 1 << 20;
/// Named exports.
const MAX_EXPORTS: u64 = 1 << 20;
/// Bytes of one name (a DLL, an imported or exported symbol).
const MAX_NAME: u64 = 64 * 1024;

fn bad(reason: impl Into<String>) -> ReadError {
    ReadError::malformed(Format::Pe, reason)
}

fn over(reason: impl Into<String>) -> ReadError {
    ReadError::limit(Format::Pe, reason)
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
    let is_64 = match le16(data, optional) {
        Some(pe::IMAGE_NT_OPTIONAL_HDR32_MAGIC) => false,
        Some(pe::IMAGE_NT_OPTIONAL_HDR64_MAGIC) => true,
        _ => return Err(bad("unknown optional header magic")),
    };
    let image = Image::parse(data, nt, is_64, sections)?;
    let machine = pe::Machine(le16(data, nt + 4).unwrap_or(0));
    let mut binary = Binary::new(Format::Pe, arch(machine));
    let mut walk = Walk {
        image: &image,
        missed: false,
        dlls: 0,
        thunks: 0,
    };
    walk.imports(&mut binary)?;
    walk.exports(&mut binary)?;
    if walk.missed {
        // Some bytes were not held: the streaming reader collects the misses and runs the
        // reader again. (A complete file never gets here: reads past its end are errors.)
        return Err(bad("import or export data was not read"));
    }
    Ok(binary)
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

/// A section: where its bytes are in the image (RVA) and in the file.
struct Section {
    va: u32,
    /// Bytes backed by the file: the smaller of the virtual and raw sizes (as `object`).
    size: u32,
    offset: u32,
}

/// The headers a directory walk needs.
struct Image<'a> {
    data: View<'a>,
    is_64: bool,
    sections: Vec<Section>,
    /// `(rva, size)` of the export, import and delay-import directories (0 when absent).
    export: (u32, u32),
    import: (u32, u32),
    delay: (u32, u32),
}

impl<'a> Image<'a> {
    fn parse(data: View<'a>, nt: u64, is_64: bool, count: u64) -> Result<Self, ReadError> {
        if count > MAX_SECTIONS {
            return Err(over(format!(
                "{count} sections, more than the limit of {MAX_SECTIONS}"
            )));
        }
        let optional = nt + 4 + pe::IMAGE_SIZEOF_FILE_HEADER as u64;
        let optional_size = u64::from(le16(data, nt + 4 + 16).unwrap_or(0));
        // Data directories: after the fixed part of the optional header.
        let (count_at, dirs_at) = if is_64 {
            (optional + 108, optional + 112)
        } else {
            (optional + 92, optional + 96)
        };
        let ndirs = if count_at + 4 <= optional + optional_size {
            u64::from(le32(data, count_at).unwrap_or(0))
        } else {
            0
        };
        let dir = |index: u64| -> (u32, u32) {
            let at = dirs_at + index * 8;
            if index >= ndirs || at + 8 > optional + optional_size {
                return (0, 0);
            }
            (le32(data, at).unwrap_or(0), le32(data, at + 4).unwrap_or(0))
        };
        let table = optional + optional_size;
        let mut sections = Vec::new();
        for index in 0..count {
            let entry = table + index * 40;
            let (vsize, va, raw, offset) = (
                le32(data, entry + 8).unwrap_or(0),
                le32(data, entry + 12).unwrap_or(0),
                le32(data, entry + 16).unwrap_or(0),
                le32(data, entry + 20).unwrap_or(0),
            );
            sections.push(Section {
                va,
                size: vsize.min(raw),
                offset,
            });
        }
        Ok(Image {
            data,
            is_64,
            sections,
            export: dir(pe::IMAGE_DIRECTORY_ENTRY_EXPORT as u64),
            import: dir(pe::IMAGE_DIRECTORY_ENTRY_IMPORT as u64),
            delay: dir(pe::IMAGE_DIRECTORY_ENTRY_DELAY_IMPORT as u64),
        })
    }

    /// File offset of `rva`, and how many bytes from there its section has in the file.
    fn map(&self, rva: u32) -> Option<(u64, u64)> {
        self.sections.iter().find_map(|s| {
            let delta = rva.checked_sub(s.va)?;
            (delta < s.size).then(|| {
                (
                    u64::from(s.offset) + u64::from(delta),
                    u64::from(s.size - delta),
                )
            })
        })
    }
}

/// One walk over the directories: whether a read missed, and what was counted.
struct Walk<'i, 'a> {
    image: &'i Image<'a>,
    missed: bool,
    dlls: u64,
    thunks: u64,
}

/// What a read at an RVA found: the bytes, bytes not held (a miss, recorded), or nothing.
enum Got<'a> {
    Bytes(&'a [u8]),
    NotHeld,
}

impl<'a> Walk<'_, 'a> {
    /// `len` bytes at `rva`: an error when the RVA is not in a section's file data or the
    /// bytes lie past the end of the file.
    fn bytes(&mut self, rva: u32, len: u64, what: &str) -> Result<Got<'a>, ReadError> {
        let (offset, room) = self
            .image
            .map(rva)
            .ok_or_else(|| bad(format!("{what}: address {rva:#x} is not in a section")))?;
        if len > room || offset + len > self.image.data.len() {
            return Err(bad(format!(
                "{what}: {len} bytes at address {rva:#x} run past its section or the file"
            )));
        }
        Ok(match self.image.data.get(offset, len) {
            Some(bytes) => Got::Bytes(bytes),
            None => {
                self.missed = true;
                Got::NotHeld
            }
        })
    }

    /// A thunk: 4 bytes in PE32, 8 in PE32+.
    fn thunk(&mut self, rva: u32, what: &str) -> Result<Option<u64>, ReadError> {
        let len = if self.image.is_64 { 8 } else { 4 };
        Ok(match self.bytes(rva, len, what)? {
            Got::Bytes(b) if self.image.is_64 => b.try_into().ok().map(u64::from_le_bytes),
            Got::Bytes(b) => b.try_into().ok().map(u32::from_le_bytes).map(u64::from),
            Got::NotHeld => None,
        })
    }

    /// The NUL-terminated name at `rva` (`None` when not held), charged to the file's
    /// string budget.
    fn name(&mut self, rva: u32, what: &str) -> Result<Option<String>, ReadError> {
        use object::ReadRef;
        let (offset, room) = self
            .image
            .map(rva)
            .ok_or_else(|| bad(format!("{what}: address {rva:#x} is not in a section")))?;
        let data = self.image.data;
        let window = room.min(MAX_NAME).min(data.len().saturating_sub(offset));
        let name = match data.peek(offset, window) {
            Some(bytes) => {
                let end = memchr::memchr(0, bytes).ok_or_else(|| {
                    if window == MAX_NAME {
                        over(format!("{what}: a name longer than {MAX_NAME} bytes"))
                    } else {
                        bad(format!("{what}: unterminated name at address {rva:#x}"))
                    }
                })?;
                bytes.get(..end).unwrap_or_default()
            }
            // Not all held: the name may still end in what is (otherwise a miss is recorded).
            None => match data.read_bytes_at_until(offset..offset + window, 0) {
                Ok(name) => name,
                Err(()) => {
                    self.missed = true;
                    return Ok(None);
                }
            },
        };
        owned(Format::Pe, name).map(Some)
    }

    fn count_dll(&mut self) -> Result<(), ReadError> {
        self.dlls += 1;
        if self.dlls > MAX_DLLS {
            return Err(over(format!("more than {MAX_DLLS} import descriptors")));
        }
        Ok(())
    }

    /// Imports and needed DLLs from the import and delay-import directories.
    fn imports(&mut self, binary: &mut Binary) -> Result<(), ReadError> {
        let mut seen_dlls = HashSet::new();
        let mut imports = Vec::new();
        // Import descriptors: OriginalFirstThunk, TimeDateStamp, ForwarderChain, Name,
        // FirstThunk; a null one ends the list.
        let (mut at, _) = self.image.import;
        while at != 0 {
            let Got::Bytes(desc) = self.bytes(at, 20, "import descriptor")? else {
                break;
            };
            let word = |i: usize| {
                desc.get(i * 4..i * 4 + 4)
                    .and_then(|b| b.try_into().ok())
                    .map_or(0, u32::from_le_bytes)
            };
            let fields = [word(0), word(1), word(2), word(3), word(4)];
            if fields.iter().all(|&f| f == 0) {
                break;
            }
            self.count_dll()?;
            let [original_first_thunk, _, _, name, first_thunk] = fields;
            let thunks = if original_first_thunk != 0 {
                original_first_thunk
            } else {
                first_thunk
            };
            if let Some(dll) = self.name(name, "import descriptor name")? {
                charge_strings(Format::Pe, 2 * dll.len())?;
                if seen_dlls.insert((dll.to_ascii_lowercase(), false)) {
                    binary.needed.push(Needed {
                        name: dll.clone(),
                        lazy: false,
                    });
                }
                self.thunks(thunks, &dll, false, &mut imports)?;
            }
            at = at
                .checked_add(20)
                .ok_or_else(|| bad("import descriptors run past the address space"))?;
        }
        // Delay-load descriptors: Attributes, DllNameRVA, ModuleHandleRVA,
        // ImportAddressTableRVA, ImportNameTableRVA, …; a null one ends the list.
        let (mut at, _) = self.image.delay;
        while at != 0 {
            let Got::Bytes(desc) = self.bytes(at, 32, "delay-load descriptor")? else {
                break;
            };
            let word = |i: usize| {
                desc.get(i * 4..i * 4 + 4)
                    .and_then(|b| b.try_into().ok())
                    .map_or(0, u32::from_le_bytes)
            };
            if (0..8).all(|i| word(i) == 0) {
                break;
            }
            self.count_dll()?;
            if word(0) & pe::IMAGE_DELAYLOAD_RVA_BASED == 0 {
                return Err(bad(
                    "delay-load descriptor with virtual addresses (version 1) is not supported",
                ));
            }
            if let Some(dll) = self.name(word(1), "delay-load descriptor name")? {
                charge_strings(Format::Pe, 2 * dll.len())?;
                if seen_dlls.insert((dll.to_ascii_lowercase(), true)) {
                    binary.needed.push(Needed {
                        name: dll.clone(),
                        lazy: true,
                    });
                }
                self.thunks(word(4), &dll, true, &mut imports)?;
            }
            at = at
                .checked_add(32)
                .ok_or_else(|| bad("delay-load descriptors run past the address space"))?;
        }
        binary.imports = imports;
        Ok(())
    }

    /// The imports of one DLL: a thunk list ending with a zero thunk; a thunk is an ordinal
    /// (top bit set) or the RVA of a hint/name entry (a 2-byte hint, then the name).
    fn thunks(
        &mut self,
        mut at: u32,
        dll: &str,
        delay_load: bool,
        imports: &mut Vec<Import>,
    ) -> Result<(), ReadError> {
        let (ordinal_flag, step) = if self.image.is_64 {
            (pe::IMAGE_ORDINAL_FLAG64, 8)
        } else {
            (u64::from(pe::IMAGE_ORDINAL_FLAG32), 4)
        };
        loop {
            let Some(thunk) = self.thunk(at, "import thunk")? else {
                return Ok(());
            };
            if thunk == 0 {
                return Ok(());
            }
            self.thunks += 1;
            if self.thunks > MAX_IMPORTS {
                return Err(over(format!("more than {MAX_IMPORTS} imports")));
            }
            let name = if thunk & ordinal_flag != 0 {
                Some(format!("#{}", thunk & 0xffff))
            } else {
                let hint_name = u32::try_from(thunk & 0x7fff_ffff)
                    .ok()
                    .and_then(|rva| rva.checked_add(2))
                    .ok_or_else(|| bad("import name address overflows"))?;
                match self.name(hint_name, "import name")? {
                    Some(name) if name.is_empty() => return Err(bad("empty import name")),
                    other => other,
                }
            };
            if let Some(name) = name {
                charge_strings(Format::Pe, dll.len())?;
                imports.push(Import {
                    name,
                    library: Some(dll.to_owned()),
                    version: None,
                    weak: false,
                    delay_load,
                });
            }
            at = at
                .checked_add(step)
                .ok_or_else(|| bad("import thunks run past the address space"))?;
        }
    }

    /// Named exports: the export directory's name pointer table.
    fn exports(&mut self, binary: &mut Binary) -> Result<(), ReadError> {
        let (rva, _) = self.image.export;
        if rva == 0 {
            return Ok(());
        }
        // Characteristics, TimeDateStamp, versions, Name, Base, NumberOfFunctions,
        // NumberOfNames, AddressOfFunctions, AddressOfNames, AddressOfNameOrdinals.
        let Got::Bytes(dir) = self.bytes(rva, 40, "export directory")? else {
            return Ok(());
        };
        let word = |i: usize| {
            dir.get(i * 4..i * 4 + 4)
                .and_then(|b| b.try_into().ok())
                .map_or(0, u32::from_le_bytes)
        };
        let (count, names) = (u64::from(word(6)), word(8));
        if count > MAX_EXPORTS {
            return Err(over(format!(
                "the export directory lists {count} names, more than the limit of {MAX_EXPORTS}"
            )));
        }
        if count == 0 {
            return Ok(());
        }
        let Got::Bytes(pointers) = self.bytes(names, count * 4, "export name pointers")? else {
            return Ok(());
        };
        for pointer in pointers.chunks_exact(4) {
            let name_rva = pointer.try_into().map_or(0, u32::from_le_bytes);
            if let Some(name) = self.name(name_rva, "export name")? {
                binary.exports.push(name);
            }
        }
        Ok(())
    }
}
