//! ELF reader (32/64-bit, either byte order).
//!
//! The normal path reads only the file header, the program headers and what `PT_DYNAMIC`
//! points at (mapped to file offsets through the `PT_LOAD` segments), as the loader does;
//! section headers are read only when there is no `PT_DYNAMIC` (or relocations in a packed
//! format the reader does not decode). The symbols read are the ones the loader can reach:
//! those its hash tables find and those its relocations name (see [`dynsym_count`]), so a
//! stripped module is read up to its dynamic section, not to its end. Every read goes
//! through [`Src`], so a prefix of the file yields [`ReadError::NeedMore`] instead of a wrong
//! answer.

use std::collections::HashMap;
use std::mem::size_of;

use object::elf;
use object::pod::Pod;
use object::read::elf::{Dyn, FileHeader, ProgramHeader, Rel, Rela, SectionHeader, Sym};
use object::{Endian, Endianness, U32};

use super::{
    Arch, Binary, Binding, ExportInfo, Format, Import, Needed, ReadError, View, Visibility,
    charge_strings, owned,
};

/// At most this many `Verneed` entries / `Vernaux` entries in total are walked.
const MAX_VERNEED: u64 = 4096;
const MAX_VERNAUX: u64 = 65536;
/// At most this many `Verdef` entries are walked (glibc's libc defines about 40 versions).
const MAX_VERDEF: u64 = 4096;

// What the reader (and the plan, which holds the same ranges) reads at most of each table,
// whatever the headers claim. Real extension modules and the libraries they vendor stay
// far below: tens of `PT_DYNAMIC` entries, tens of thousands of symbols, a few MiB of names.
/// `PT_DYNAMIC` entries read before `DT_NULL`.
pub(super) const MAX_DYN_ENTRIES: u64 = 65536;
/// Dynamic symbols (`.dynsym` entries).
pub(super) const MAX_DYNSYM: u64 = 1 << 19;
/// Bytes of the dynamic string table.
pub(super) const MAX_DYNSTR: u64 = 16 << 20;
/// Section headers.
pub(super) const MAX_SECTIONS: u64 = 65536;
/// Bytes of dynamic relocations (`DT_RELA`, `DT_REL`, `DT_JMPREL` together) read to count
/// the symbols they name. The largest seen in the benchmark's 259 real wheels is 4.4 MB
/// (lancedb's 97 MB module); past this (PyPy's `libpypy3.9-c.so` has 17 MB) the `.dynsym`
/// section header counts instead.
pub(super) const MAX_RELOC_BYTES: u64 = 8 << 20;
/// Bytes of one string (a symbol name, a needed library, a run path).
const MAX_STRING: usize = 64 * 1024;

fn bad(reason: impl Into<String>) -> ReadError {
    ReadError::malformed(Format::Elf, reason)
}

fn over(reason: impl Into<String>) -> ReadError {
    ReadError::limit(Format::Elf, reason)
}

/// The bytes seen so far, and whether they are the whole file.
#[derive(Clone, Copy)]
struct Src<'a> {
    data: View<'a>,
    complete: bool,
}

impl<'a> Src<'a> {
    fn bytes(&self, offset: u64, len: u64, what: &str) -> Result<&'a [u8], ReadError> {
        let end = offset
            .checked_add(len)
            .ok_or_else(|| bad(format!("{what}: offset {offset:#x} + {len:#x} overflows")))?;
        if end > self.data.len() {
            return Err(if self.complete {
                bad(format!(
                    "{what} at {offset:#x}..{end:#x} lies past the end of the file ({:#x} bytes)",
                    self.data.len()
                ))
            } else {
                ReadError::NeedMore { len: end }
            });
        }
        self.data
            .get(offset, len)
            .ok_or_else(|| bad(format!("{what} at {offset:#x}..{end:#x} was not read")))
    }

    fn read<T: Pod>(&self, offset: u64, what: &str) -> Result<&'a T, ReadError> {
        let bytes = self.bytes(offset, size_of::<T>() as u64, what)?;
        object::pod::from_bytes::<T>(bytes)
            .map(|(t, _)| t)
            .map_err(|()| bad(format!("{what}: cannot read")))
    }

    fn slice<T: Pod>(&self, offset: u64, count: u64, what: &str) -> Result<&'a [T], ReadError> {
        let len = count
            .checked_mul(size_of::<T>() as u64)
            .ok_or_else(|| bad(format!("{what}: count {count} too large")))?;
        let bytes = self.bytes(offset, len, what)?;
        let count = usize::try_from(count).map_err(|_| bad(format!("{what}: count too large")))?;
        object::pod::slice_from_bytes::<T>(bytes, count)
            .map(|(t, _)| t)
            .map_err(|()| bad(format!("{what}: cannot read")))
    }
}

/// A NUL-terminated string at `offset` in a string table.
fn cstr(strtab: &[u8], offset: u64, what: &str) -> Result<String, ReadError> {
    let rest = usize::try_from(offset)
        .ok()
        .and_then(|o| strtab.get(o..))
        .ok_or_else(|| {
            bad(format!(
                "{what}: string offset {offset:#x} outside the string table"
            ))
        })?;
    let window = rest.get(..MAX_STRING.min(rest.len())).unwrap_or_default();
    let end = memchr::memchr(0, window).ok_or_else(|| {
        if window.len() < rest.len() {
            over(format!(
                "{what}: string at {offset:#x} is longer than {MAX_STRING} bytes"
            ))
        } else {
            bad(format!("{what}: unterminated string"))
        }
    })?;
    owned(Format::Elf, window.get(..end).unwrap_or_default())
}

pub(super) fn read(data: View<'_>, complete: bool) -> Result<Binary, ReadError> {
    let src = Src { data, complete };
    let ident = src.bytes(0, 16, "ELF identification")?;
    match ident.get(4).copied().map(elf::FileClass) {
        Some(elf::ELFCLASS32) => read_elf::<elf::FileHeader32<Endianness>>(src),
        Some(elf::ELFCLASS64) => read_elf::<elf::FileHeader64<Endianness>>(src),
        other => Err(bad(format!("unknown ELF class {:?}", other.map(|c| c.0)))),
    }
}

fn arch(machine: elf::Machine, is_64: bool, little: bool) -> Arch {
    match machine {
        elf::EM_X86_64 => Arch::X86_64,
        elf::EM_386 => Arch::X86,
        elf::EM_AARCH64 => Arch::Aarch64,
        elf::EM_ARM => Arch::Arm,
        elf::EM_PPC64 if little => Arch::Ppc64le,
        elf::EM_PPC64 => Arch::Ppc64,
        elf::EM_S390 if is_64 => Arch::S390x,
        elf::EM_RISCV if is_64 => Arch::Riscv64,
        elf::EM_LOONGARCH if is_64 => Arch::Loongarch64,
        elf::EM_RISCV => Arch::Other("riscv32".into()),
        elf::EM_S390 => Arch::Other("s390".into()),
        elf::EM_PPC => Arch::Ppc,
        elf::EM_MIPS => Arch::Other(if is_64 { "mips64" } else { "mips" }.into()),
        elf::EM_ALPHA | elf::EM_FAKE_ALPHA => Arch::Other("alpha".into()),
        other => Arch::Other(format!("elf-machine-{}", other.0)),
    }
}

/// Where the dynamic symbols and their versions live (file offsets).
#[derive(Default)]
struct SymSource {
    symtab: Option<u64>,
    count: u64,
    versym: Option<u64>,
    /// `Verneed` list offset and number of entries (`None`: walk until `vn_next == 0`).
    verneed: Option<(u64, Option<u64>)>,
    /// `Verdef` list offset and number of entries (`None`: walk until `vd_next == 0`).
    verdef: Option<(u64, Option<u64>)>,
}

fn read_elf<Elf: FileHeader<Endian = Endianness>>(src: Src<'_>) -> Result<Binary, ReadError> {
    let header: &Elf = src.read(0, "ELF header")?;
    if !header.is_supported() {
        return Err(bad("unsupported ELF header"));
    }
    let endian = header
        .endian()
        .map_err(|_| bad("unsupported ELF byte order"))?;
    let mut binary = Binary::new(
        Format::Elf,
        arch(
            header.e_machine(endian),
            header.is_class_64(),
            endian.is_little_endian(),
        ),
    );

    let phdrs = program_headers::<Elf>(src, header, endian)?;
    let mut loads = Vec::new();
    let mut dynamic = None;
    for ph in phdrs {
        let p_type = ph.p_type(endian);
        if p_type == elf::PT_LOAD {
            loads.push((
                ph.p_vaddr(endian).into(),
                ph.p_filesz(endian).into(),
                ph.p_offset(endian).into(),
            ));
        } else if p_type == elf::PT_DYNAMIC && dynamic.is_none() {
            dynamic = Some((ph.p_offset(endian).into(), ph.p_filesz(endian).into()));
        }
    }
    let to_offset = |addr: u64, what: &str| -> Result<u64, ReadError> {
        loads
            .iter()
            .find_map(|&(vaddr, filesz, offset): &(u64, u64, u64)| {
                let delta = addr.checked_sub(vaddr)?;
                (delta < filesz)
                    .then(|| offset.checked_add(delta))
                    .flatten()
            })
            .ok_or_else(|| {
                bad(format!(
                    "{what} address {addr:#x} is not in a loaded segment"
                ))
            })
    };

    let Some((dyn_offset, dyn_size)) = dynamic else {
        return read_from_sections::<Elf>(src, header, endian, binary);
    };
    // The loader stops at DT_NULL, so a huge PT_DYNAMIC is read only as far as the cap.
    let dyn_count = dyn_size / size_of::<Elf::Dyn>() as u64;
    let entries: &[Elf::Dyn] =
        src.slice(dyn_offset, dyn_count.min(MAX_DYN_ENTRIES), "PT_DYNAMIC")?;
    if dyn_count > MAX_DYN_ENTRIES && !entries.iter().any(|e| e.tag(endian) == elf::DT_NULL) {
        return Err(over(format!(
            "PT_DYNAMIC holds {dyn_count} entries and no DT_NULL among the first {MAX_DYN_ENTRIES}, the limit"
        )));
    }

    let mut needed = Vec::new();
    let mut soname = None;
    let mut rpath = Vec::new();
    let mut runpath = Vec::new();
    let (mut strtab, mut strsz, mut symtab, mut syment) = (None, None, None, None);
    let (mut hash, mut gnu_hash, mut versym, mut verneed, mut verneednum) =
        (None, None, None, None, None);
    let (mut verdef, mut verdefnum) = (None, None);
    let mut relocs = Relocs::default();
    for entry in entries {
        let tag = entry.tag(endian);
        let val = entry.val(endian);
        match tag {
            elf::DT_NULL => break,
            elf::DT_NEEDED => needed.push(val),
            elf::DT_SONAME => soname = Some(val),
            elf::DT_RPATH => rpath.push(val),
            elf::DT_RUNPATH => runpath.push(val),
            elf::DT_STRTAB => strtab = Some(val),
            elf::DT_STRSZ => strsz = Some(val),
            elf::DT_SYMTAB => symtab = Some(val),
            elf::DT_SYMENT => syment = Some(val),
            elf::DT_HASH => hash = Some(val),
            elf::DT_GNU_HASH => gnu_hash = Some(val),
            elf::DT_VERSYM => versym = Some(val),
            elf::DT_VERNEED => verneed = Some(val),
            elf::DT_VERNEEDNUM => verneednum = Some(val),
            elf::DT_VERDEF => verdef = Some(val),
            elf::DT_VERDEFNUM => verdefnum = Some(val),
            _ if relocs.note(tag, val) => {}
            _ => dynamic_flag(&mut binary, tag, val),
        }
    }

    let strtab_bytes = match (strtab, strsz) {
        (Some(_), Some(size)) if size > MAX_DYNSTR => {
            return Err(over(format!(
                "DT_STRSZ is {size} bytes, more than the limit of {MAX_DYNSTR}"
            )));
        }
        (Some(addr), Some(size)) => src.bytes(to_offset(addr, "DT_STRTAB")?, size, "DT_STRTAB")?,
        (None, None) if needed.is_empty() && soname.is_none() && symtab.is_none() => &[],
        _ => return Err(bad("DT_STRTAB or DT_STRSZ missing")),
    };
    for offset in needed {
        binary.needed.push(Needed {
            name: cstr(strtab_bytes, offset, "DT_NEEDED")?,
            lazy: false,
        });
    }
    if let Some(offset) = soname {
        binary.soname = Some(cstr(strtab_bytes, offset, "DT_SONAME")?);
    }
    for (offsets, tag) in [(runpath, elf::DT_RUNPATH), (rpath, elf::DT_RPATH)] {
        for offset in offsets {
            let what = if tag == elf::DT_RPATH {
                "DT_RPATH"
            } else {
                "DT_RUNPATH"
            };
            search_path(&mut binary, tag, &cstr(strtab_bytes, offset, what)?);
        }
    }

    let Some(symtab_addr) = symtab else {
        return Ok(binary);
    };
    if let Some(entsize) = syment
        && entsize != size_of::<Elf::Sym>() as u64
    {
        return Err(bad(format!("unexpected DT_SYMENT {entsize}")));
    }
    let symtab_offset = to_offset(symtab_addr, "DT_SYMTAB")?;
    let hash = hash.map(|a| to_offset(a, "DT_HASH")).transpose()?;
    let gnu_hash = gnu_hash.map(|a| to_offset(a, "DT_GNU_HASH")).transpose()?;
    let uncounted = relocs.uncounted();
    let hashed = match dynsym_count::<Elf>(
        src,
        header,
        endian,
        hash,
        gnu_hash,
        symtab_addr,
        uncounted,
    )? {
        Some(count) => count,
        None => match strtab
            .and_then(|s| s.checked_sub(symtab_addr))
            .map(|gap| gap / size_of::<Elf::Sym>() as u64)
        {
            // No hash table: the symbol table conventionally sits right before the strings.
            Some(count) if count > MAX_DYNSYM => {
                return Err(over(format!(
                    "the gap between DT_SYMTAB and DT_STRTAB holds {count} symbols, more than the limit of {MAX_DYNSYM}"
                )));
            }
            Some(count) => count,
            None => return read_from_sections::<Elf>(src, header, endian, binary),
        },
    };
    let bound = match uncounted {
        Some(_) => 0,
        None => relocs.symbols_named::<Elf>(src, header, endian, &to_offset)?,
    };
    let count = hashed.max(bound);
    if count > MAX_DYNSYM {
        return Err(over(format!(
            "relocations (or DT_MIPS_SYMTABNO) reach dynamic symbol {}, more than the limit of {MAX_DYNSYM} symbols",
            count - 1
        )));
    }
    let source = SymSource {
        symtab: Some(symtab_offset),
        count,
        versym: versym.map(|a| to_offset(a, "DT_VERSYM")).transpose()?,
        verneed: verneed
            .map(|a| to_offset(a, "DT_VERNEED").map(|o| (o, verneednum)))
            .transpose()?,
        // Like the table itself (see `read_symbols`), a bad address only costs the versions.
        verdef: verdef
            .and_then(|a| to_offset(a, "DT_VERDEF").ok())
            .map(|o| (o, verdefnum)),
    };
    read_symbols::<Elf>(src, endian, &source, strtab_bytes, &mut binary)?;
    Ok(binary)
}

fn program_headers<'a, Elf: FileHeader<Endian = Endianness>>(
    src: Src<'a>,
    header: &Elf,
    endian: Endianness,
) -> Result<&'a [Elf::ProgramHeader], ReadError> {
    let phoff: u64 = header.e_phoff(endian).into();
    let mut phnum = u64::from(header.e_phnum(endian));
    if phoff == 0 || phnum == 0 {
        return Ok(&[]);
    }
    if phnum == u64::from(elf::PN_XNUM) {
        // The real count is in section 0's sh_info.
        let shoff: u64 = header.e_shoff(endian).into();
        if shoff == 0 {
            return Err(bad("e_phnum is PN_XNUM but there are no section headers"));
        }
        let section0: &Elf::SectionHeader = src.read(shoff, "section header 0")?;
        phnum = u64::from(section0.sh_info(endian));
    }
    if usize::from(header.e_phentsize(endian)) != size_of::<Elf::ProgramHeader>() {
        return Err(bad("unexpected program header entry size"));
    }
    if phnum > MAX_SECTIONS {
        return Err(over(format!(
            "{phnum} program headers, more than the limit of {MAX_SECTIONS}"
        )));
    }
    src.slice(phoff, phnum, "program headers")
}

/// Whether `DT_HASH` entries are 8 bytes: s390x and Alpha (glibc's `Elf_Symndx`), where
/// everyone else uses 4.
fn hash_entry_is_64(machine: elf::Machine, is_64: bool) -> bool {
    (machine == elf::EM_S390 && is_64) || machine == elf::EM_ALPHA || machine == elf::EM_FAKE_ALPHA
}

/// The number of dynamic symbols the loader's hash tables cover: `DT_HASH`'s `nchain` and
/// the `DT_GNU_HASH` chains, which must agree. `None` when there is neither.
///
/// The loader needs no count: it finds a definition through a hash table and binds the
/// symbol a relocation names by its index. So the symbols it can ever reach are those the
/// hash tables cover and those relocations name ([`Relocs::symbols_named`], which the
/// caller adds); a symbol past both is one no loader looks at. A wrong count would silently
/// hide symbols, so hash tables that disagree are an error naming both, and so is a count
/// above [`MAX_DYNSYM`]. The `.dynsym` section header, which the loader never reads (and a
/// stripped file may lack, at the file's end), is no source, except beside relocations the
/// reader does not count ([`Relocs::uncounted`]).
fn dynsym_count<Elf: FileHeader<Endian = Endianness>>(
    src: Src<'_>,
    header: &Elf,
    endian: Endianness,
    hash: Option<u64>,
    gnu_hash: Option<u64>,
    symtab_addr: u64,
    uncounted: Option<Uncounted>,
) -> Result<Option<u64>, ReadError> {
    let mut counts: Vec<(&str, u64)> = Vec::new();
    if let Some(offset) = hash {
        if hash_entry_is_64(header.e_machine(endian), header.is_class_64()) {
            let words: &[object::U64<Endianness>] = src.slice(offset, 2, "DT_HASH")?;
            let nchain = words.get(1).map_or(0, |w| w.get(endian));
            counts.push(("DT_HASH (8-byte entries)", nchain));
        } else {
            let words: &[U32<Endianness>] = src.slice(offset, 2, "DT_HASH")?;
            let nchain = words.get(1).map_or(0, |w| u64::from(w.get(endian)));
            counts.push(("DT_HASH", nchain));
        }
    }
    if let Some(offset) = gnu_hash {
        counts.push(("DT_GNU_HASH", gnu_hash_count::<Elf>(src, endian, offset)?));
    }
    if let Some(uncounted) = uncounted {
        match section_dynsym_count::<Elf>(src, header, endian, symtab_addr)? {
            Some(count) => counts.push(("the .dynsym section header", count)),
            None => {
                let why = "and no .dynsym section header: the symbols they bind cannot be counted";
                return Err(match uncounted {
                    Uncounted::Packed => bad(format!(
                        "relocations in a packed format (DT_ANDROID_REL/DT_ANDROID_RELA) {why}"
                    )),
                    Uncounted::Large(bytes) => over(format!(
                        "{bytes} bytes of dynamic relocations, more than the limit of {MAX_RELOC_BYTES}, {why}"
                    )),
                });
            }
        }
    }
    let Some(&(first, count)) = counts.first() else {
        return Ok(None);
    };
    if let Some(&(other, other_count)) = counts.iter().find(|(_, c)| *c != count) {
        return Err(bad(format!(
            "{first} counts {count} dynamic symbols but {other} counts {other_count}"
        )));
    }
    if count > MAX_DYNSYM {
        return Err(over(format!(
            "{count} dynamic symbols, more than the limit of {MAX_DYNSYM}"
        )));
    }
    Ok(Some(count))
}

/// The section headers, when the file has them (`e_shoff` and a count); capped.
fn section_headers<'a, Elf: FileHeader<Endian = Endianness>>(
    src: Src<'a>,
    header: &Elf,
    endian: Endianness,
) -> Result<&'a [Elf::SectionHeader], ReadError> {
    let shoff: u64 = header.e_shoff(endian).into();
    if shoff == 0 {
        return Ok(&[]);
    }
    let mut shnum = u64::from(header.e_shnum(endian));
    if shnum == 0 && header.e_shentsize(endian) == 0 {
        return Ok(&[]);
    }
    if usize::from(header.e_shentsize(endian)) != size_of::<Elf::SectionHeader>() {
        return Err(bad("unexpected section header entry size"));
    }
    if shnum == 0 {
        // More than SHN_LORESERVE sections: the count is in section 0's sh_size.
        let section0: &Elf::SectionHeader = src.read(shoff, "section header 0")?;
        shnum = section0.sh_size(endian).into();
    }
    if shnum > MAX_SECTIONS {
        return Err(over(format!(
            "{shnum} section headers, more than the limit of {MAX_SECTIONS}"
        )));
    }
    src.slice(shoff, shnum, "section headers")
}

/// The symbol count the `SHT_DYNSYM` section header at `symtab_addr` gives. The loader never
/// reads section headers: a table that lies past the end of the (complete) file is no
/// source, rather than a reason to refuse a file that loads.
fn section_dynsym_count<Elf: FileHeader<Endian = Endianness>>(
    src: Src<'_>,
    header: &Elf,
    endian: Endianness,
    symtab_addr: u64,
) -> Result<Option<u64>, ReadError> {
    let shoff: u64 = header.e_shoff(endian).into();
    let shnum = u64::from(header.e_shnum(endian)).max(1);
    let table_end = shnum
        .checked_mul(size_of::<Elf::SectionHeader>() as u64)
        .and_then(|len| len.checked_add(shoff));
    if src.complete && table_end.is_none_or(|end| end > src.data.len()) {
        return Ok(None);
    }
    let sections = section_headers::<Elf>(src, header, endian)?;
    let Some(dynsym) = sections
        .iter()
        .find(|s| s.sh_type(endian) == elf::SHT_DYNSYM && s.sh_addr(endian).into() == symtab_addr)
    else {
        return Ok(None);
    };
    let size: u64 = dynsym.sh_size(endian).into();
    let entsize: u64 = dynsym.sh_entsize(endian).into();
    if entsize != size_of::<Elf::Sym>() as u64 || !size.is_multiple_of(entsize) {
        return Err(bad(format!(
            ".dynsym section: size {size} is not a multiple of entry size {entsize}"
        )));
    }
    Ok(Some(size / entsize))
}

/// Number of dynamic symbols, from a `DT_GNU_HASH` table: one past the last symbol of the
/// chain of the highest bucket.
fn gnu_hash_count<Elf: FileHeader<Endian = Endianness>>(
    src: Src<'_>,
    endian: Endianness,
    offset: u64,
) -> Result<u64, ReadError> {
    let head: &[U32<Endianness>] = src.slice(offset, 4, "DT_GNU_HASH header")?;
    let word = |i: usize| head.get(i).map_or(0, |w| u64::from(w.get(endian)));
    let (nbuckets, symoffset, bloom_size) = (word(0), word(1), word(2));
    if nbuckets > MAX_DYNSYM || symoffset > MAX_DYNSYM || bloom_size > MAX_DYNSYM {
        return Err(over(format!(
            "DT_GNU_HASH has {nbuckets} buckets, {bloom_size} bloom words and symbol offset {symoffset}: more than the limit of {MAX_DYNSYM}"
        )));
    }
    let word_size: u64 = if Elf::is_type_64_sized() { 8 } else { 4 };
    let buckets_offset = bloom_size
        .checked_mul(word_size)
        .and_then(|b| b.checked_add(offset)?.checked_add(16))
        .ok_or_else(|| bad("DT_GNU_HASH bloom filter size overflows"))?;
    let buckets: &[U32<Endianness>] = src.slice(buckets_offset, nbuckets, "DT_GNU_HASH buckets")?;
    let chains_offset = buckets_offset
        .checked_add(nbuckets * 4)
        .ok_or_else(|| bad("DT_GNU_HASH overflows"))?;
    let Some(max_bucket) = buckets.iter().map(|b| u64::from(b.get(endian))).max() else {
        return Ok(symoffset);
    };
    if max_bucket < symoffset {
        return Ok(symoffset);
    }
    let mut index = max_bucket;
    loop {
        if index >= MAX_DYNSYM {
            return Err(over(format!(
                "DT_GNU_HASH chains run past {MAX_DYNSYM} symbols, the limit"
            )));
        }
        let chain_offset = (index - symoffset)
            .checked_mul(4)
            .and_then(|o| o.checked_add(chains_offset))
            .ok_or_else(|| bad("DT_GNU_HASH chain overflows"))?;
        let value: &U32<Endianness> = src.read(chain_offset, "DT_GNU_HASH chain")?;
        index += 1;
        if value.get(endian) & 1 != 0 {
            return Ok(index);
        }
    }
}

/// The dynamic relocation tables `PT_DYNAMIC` names: the loader binds every symbol they name
/// by its index, hashed or not.
#[derive(Default)]
struct Relocs {
    rela: Option<u64>,
    relasz: Option<u64>,
    relaent: Option<u64>,
    rel: Option<u64>,
    relsz: Option<u64>,
    relent: Option<u64>,
    jmprel: Option<u64>,
    pltrelsz: Option<u64>,
    pltrel: Option<u64>,
    /// MIPS: the loader relocates the GOT entries of symbols up to `DT_MIPS_SYMTABNO`
    /// without a relocation entry each.
    mips_symtabno: Option<u64>,
    /// Android's packed `DT_ANDROID_REL`/`DT_ANDROID_RELA`, which the reader does not decode.
    packed: bool,
}

/// Why the relocations do not count the symbols the loader reaches.
#[derive(Clone, Copy)]
enum Uncounted {
    /// In a packed format.
    Packed,
    /// Larger than [`MAX_RELOC_BYTES`], this many bytes.
    Large(u64),
}

impl Relocs {
    /// Records a relocation tag; `false` when `tag` is not one.
    fn note(&mut self, tag: elf::DynamicTag, val: u64) -> bool {
        let slot = match tag {
            elf::DT_RELA => &mut self.rela,
            elf::DT_RELASZ => &mut self.relasz,
            elf::DT_RELAENT => &mut self.relaent,
            elf::DT_REL => &mut self.rel,
            elf::DT_RELSZ => &mut self.relsz,
            elf::DT_RELENT => &mut self.relent,
            elf::DT_JMPREL => &mut self.jmprel,
            elf::DT_PLTRELSZ => &mut self.pltrelsz,
            elf::DT_PLTREL => &mut self.pltrel,
            elf::DT_MIPS_SYMTABNO => &mut self.mips_symtabno,
            elf::DT_ANDROID_REL | elf::DT_ANDROID_RELA => {
                self.packed = true;
                return true;
            }
            _ => return false,
        };
        *slot = Some(val);
        true
    }

    /// Why the relocations cannot count the symbols they name, if they cannot.
    fn uncounted(&self) -> Option<Uncounted> {
        let total = [self.relasz, self.relsz, self.pltrelsz]
            .into_iter()
            .flatten()
            .fold(0u64, u64::saturating_add);
        if self.packed {
            Some(Uncounted::Packed)
        } else if total > MAX_RELOC_BYTES {
            Some(Uncounted::Large(total))
        } else {
            None
        }
    }

    /// One past the highest symbol index a relocation names (0 when none does): with the
    /// hash tables' count, every symbol the loader can reach. Called only when the
    /// relocations are not [`Relocs::uncounted`]. Tables that cannot be read as the loader
    /// would (an entry size it does not use, a size that is not a whole number of entries)
    /// are an error.
    fn symbols_named<Elf: FileHeader<Endian = Endianness>>(
        &self,
        src: Src<'_>,
        header: &Elf,
        endian: Endianness,
        to_offset: &impl Fn(u64, &str) -> Result<u64, ReadError>,
    ) -> Result<u64, ReadError> {
        let rel_size = size_of::<Elf::Rel>() as u64;
        let rela_size = size_of::<Elf::Rela>() as u64;
        for (what, entsize, expected) in [
            ("DT_RELAENT", self.relaent, rela_size),
            ("DT_RELENT", self.relent, rel_size),
        ] {
            if let Some(entsize) = entsize
                && entsize != expected
            {
                return Err(bad(format!("unexpected {what} {entsize}")));
            }
        }
        // DT_PLTREL says which kind DT_JMPREL holds; without it, the file's other kind.
        let plt_is_rela = match self.pltrel {
            // The values of DT_RELA and DT_REL.
            Some(7) => true,
            Some(17) => false,
            Some(kind) => return Err(bad(format!("unexpected DT_PLTREL {kind}"))),
            None => self.rel.is_none(),
        };
        let tables = [
            ("DT_RELA", self.rela, self.relasz, true),
            ("DT_REL", self.rel, self.relsz, false),
            ("DT_JMPREL", self.jmprel, self.pltrelsz, plt_is_rela),
        ];
        let is_mips64el = header.is_mips64el(endian);
        let mut bound = self.mips_symtabno.unwrap_or(0);
        for (what, addr, size, is_rela) in tables {
            let Some(addr) = addr else { continue };
            let Some(size) = size else {
                return Err(bad(format!("{what} without its size")));
            };
            if size == 0 {
                continue;
            }
            let entsize = if is_rela { rela_size } else { rel_size };
            if !size.is_multiple_of(entsize) {
                return Err(bad(format!(
                    "{what}: {size} bytes is not a whole number of {entsize}-byte entries"
                )));
            }
            let offset = to_offset(addr, what)?;
            let highest = if is_rela {
                let entries: &[Elf::Rela] = src.slice(offset, size / entsize, what)?;
                entries.iter().map(|r| r.r_sym(endian, is_mips64el)).max()
            } else {
                let entries: &[Elf::Rel] = src.slice(offset, size / entsize, what)?;
                entries.iter().map(|r| r.r_sym(endian)).max()
            };
            if let Some(highest) = highest.filter(|&h| h != 0) {
                bound = bound.max(u64::from(highest) + 1);
            }
        }
        Ok(bound)
    }
}

/// `DT_SYMBOLIC`, `DT_FLAGS` and `DT_FLAGS_1`: what they say about symbol binding and
/// library search.
fn dynamic_flag(binary: &mut Binary, tag: elf::DynamicTag, val: u64) {
    if tag == elf::DT_SYMBOLIC {
        binary.symbolic = true;
    } else if tag == elf::DT_FLAGS {
        binary.symbolic |= val & elf::DF_SYMBOLIC.0 != 0;
    } else if tag == elf::DT_FLAGS_1 {
        binary.nodeflib |= val & elf::DF_1_NODEFLIB.0 != 0;
    }
}

/// A `DT_RPATH` or `DT_RUNPATH` value: its entries go to that tag's list and to `rpaths`.
fn search_path(binary: &mut Binary, tag: elf::DynamicTag, value: &str) {
    for entry in value.split(':').filter(|p| !p.is_empty()) {
        binary.rpaths.push(entry.to_owned());
        if tag == elf::DT_RPATH {
            binary.rpath.push(entry.to_owned());
        } else {
            binary.runpath.push(entry.to_owned());
        }
    }
}

/// Version index → name from the `Verdef` list, and the names in order (the base version,
/// the file's own name, excluded). At most [`MAX_VERDEF`] entries are walked.
fn read_verdef(
    src: Src<'_>,
    endian: Endianness,
    (mut offset, count): (u64, Option<u64>),
    strtab: &[u8],
) -> Result<(HashMap<u16, String>, Vec<String>), ReadError> {
    let mut map = HashMap::new();
    let mut names = Vec::new();
    let mut walked = 0u64;
    while count.is_none_or(|c| walked < c) && walked < MAX_VERDEF {
        walked += 1;
        let def: &elf::Verdef<Endianness> = src.read(offset, "Verdef")?;
        if def.vd_cnt.get(endian) > 0 {
            let aux_offset = offset
                .checked_add(def.vd_aux.get(endian).into())
                .ok_or_else(|| bad("Verdef aux overflows"))?;
            let aux: &elf::Verdaux<Endianness> = src.read(aux_offset, "Verdaux")?;
            let name = cstr(strtab, aux.vda_name.get(endian).into(), "Verdaux name")?;
            if def.vd_flags.get(endian).0 & elf::VER_FLG_BASE.0 == 0 {
                names.push(name.clone());
            }
            map.insert(def.vd_ndx.get(endian).0, name);
        }
        let next = def.vd_next.get(endian);
        if next == 0 {
            break;
        }
        offset = offset
            .checked_add(next.into())
            .ok_or_else(|| bad("Verdef next overflows"))?;
    }
    Ok((map, names))
}

/// Version index → (file, version) from the `Verneed` list.
fn read_verneed(
    src: Src<'_>,
    endian: Endianness,
    (mut offset, count): (u64, Option<u64>),
    strtab: &[u8],
) -> Result<HashMap<u16, (String, String)>, ReadError> {
    let mut map = HashMap::new();
    let mut walked_aux = 0u64;
    let mut walked = 0u64;
    loop {
        if count.is_some_and(|c| walked >= c) {
            break;
        }
        walked += 1;
        if walked > MAX_VERNEED {
            return Err(bad("too many Verneed entries"));
        }
        let need: &elf::Verneed<Endianness> = src.read(offset, "Verneed")?;
        let file = cstr(strtab, need.vn_file.get(endian).into(), "Verneed file")?;
        let mut aux_offset = offset
            .checked_add(need.vn_aux.get(endian).into())
            .ok_or_else(|| bad("Verneed aux overflows"))?;
        for _ in 0..need.vn_cnt.get(endian) {
            walked_aux += 1;
            if walked_aux > MAX_VERNAUX {
                return Err(bad("too many Vernaux entries"));
            }
            let aux: &elf::Vernaux<Endianness> = src.read(aux_offset, "Vernaux")?;
            let version = cstr(strtab, aux.vna_name.get(endian).into(), "Vernaux name")?;
            charge_strings(Format::Elf, file.len())?;
            map.insert(aux.vna_other(endian).index().0, (file.clone(), version));
            let next = aux.vna_next.get(endian);
            if next == 0 {
                break;
            }
            aux_offset = aux_offset
                .checked_add(next.into())
                .ok_or_else(|| bad("Vernaux next overflows"))?;
        }
        let next = need.vn_next.get(endian);
        if next == 0 {
            break;
        }
        offset = offset
            .checked_add(next.into())
            .ok_or_else(|| bad("Verneed next overflows"))?;
    }
    Ok(map)
}

fn read_symbols<Elf: FileHeader<Endian = Endianness>>(
    src: Src<'_>,
    endian: Endianness,
    source: &SymSource,
    strtab: &[u8],
    binary: &mut Binary,
) -> Result<(), ReadError> {
    let Some(symtab) = source.symtab else {
        return Ok(());
    };
    let symbols: &[Elf::Sym] = src.slice(symtab, source.count, "dynamic symbol table")?;
    let versyms: &[elf::Versym<Endianness>] = match source.versym {
        Some(offset) => src.slice(offset, source.count, "DT_VERSYM")?,
        None => &[],
    };
    let versions = match source.verneed {
        Some(verneed) => read_verneed(src, endian, verneed, strtab)?,
        None => HashMap::new(),
    };
    // Defined versions only describe exports: a damaged table leaves them unversioned
    // rather than failing the read (a prefix still asks for more).
    let defined = match source.verdef.map(|v| read_verdef(src, endian, v, strtab)) {
        Some(Ok((map, names))) => {
            binary.defined_versions = names;
            map
        }
        Some(Err(e @ ReadError::NeedMore { .. })) => return Err(e),
        Some(Err(_)) | None => HashMap::new(),
    };
    for (index, sym) in symbols.iter().enumerate().skip(1) {
        let bind = sym.st_bind();
        if bind == elf::STB_LOCAL {
            continue;
        }
        let name = cstr(strtab, sym.st_name(endian).into(), "symbol name")?;
        if name.is_empty() {
            continue;
        }
        if sym.is_undefined(endian) {
            let version = versyms
                .get(index)
                .map(|v| v.0.get(endian).index().0)
                .and_then(|v| versions.get(&v));
            if let Some((file, version)) = version {
                charge_strings(Format::Elf, file.len() + version.len())?;
            }
            binary.imports.push(Import {
                name,
                library: version.map(|(file, _)| file.clone()),
                version: version.map(|(_, version)| version.clone()),
                weak: bind == elf::STB_WEAK,
                delay_load: false,
            });
        } else {
            let visibility = match sym.st_visibility() {
                elf::STV_DEFAULT => Visibility::Default,
                elf::STV_PROTECTED => Visibility::Protected,
                _ => continue,
            };
            let versym = versyms.get(index).map(|v| v.0.get(endian));
            let version = versym
                .map(|v| v.index().0)
                .filter(|&v| v > 1)
                .and_then(|v| {
                    defined
                        .get(&v)
                        .or_else(|| versions.get(&v).map(|(_, version)| version))
                });
            let shndx = sym.st_shndx(endian);
            binary.export_info.push(ExportInfo {
                version: version.cloned(),
                hidden_version: versym.is_some_and(|v| v.is_hidden()),
                binding: match bind {
                    elf::STB_GLOBAL => Binding::Global,
                    elf::STB_WEAK => Binding::Weak,
                    elf::STB_GNU_UNIQUE => Binding::Unique,
                    other => Binding::Other(other.0),
                },
                visibility,
                in_section: shndx != elf::SHN_ABS
                    && shndx != elf::SHN_COMMON
                    && !matches!(sym.st_type(), elf::STT_SECTION | elf::STT_FILE),
            });
            binary.exports.push(name);
        }
    }
    Ok(())
}

/// Fallback for files without `PT_DYNAMIC` (or without a way to size the dynamic symbol
/// table): the `.dynamic`, `.dynsym`, `.gnu.version` and `.gnu.version_r` sections.
fn read_from_sections<Elf: FileHeader<Endian = Endianness>>(
    src: Src<'_>,
    header: &Elf,
    endian: Endianness,
    mut binary: Binary,
) -> Result<Binary, ReadError> {
    let sections = section_headers::<Elf>(src, header, endian)?;
    let section_bytes = |index: u32, what: &str| -> Result<&[u8], ReadError> {
        let section = usize::try_from(index)
            .ok()
            .and_then(|i| sections.get(i))
            .ok_or_else(|| bad(format!("{what}: bad section index {index}")))?;
        let size: u64 = section.sh_size(endian).into();
        if size > MAX_DYNSTR {
            return Err(over(format!(
                "{what}: {size} bytes, more than the limit of {MAX_DYNSTR}"
            )));
        }
        src.bytes(section.sh_offset(endian).into(), size, what)
    };

    if binary.needed.is_empty()
        && let Some(dynamic) = sections
            .iter()
            .find(|s| s.sh_type(endian) == elf::SHT_DYNAMIC)
    {
        // Search paths not read from PT_DYNAMIC already.
        let paths_read = !binary.rpaths.is_empty();
        let strtab = section_bytes(dynamic.sh_link(endian), ".dynamic strings")?;
        let size: u64 = dynamic.sh_size(endian).into();
        let entries: &[Elf::Dyn] = src.slice(
            dynamic.sh_offset(endian).into(),
            (size / size_of::<Elf::Dyn>() as u64).min(MAX_DYN_ENTRIES),
            ".dynamic",
        )?;
        for entry in entries {
            match entry.tag(endian) {
                elf::DT_NULL => break,
                elf::DT_NEEDED => binary.needed.push(Needed {
                    name: cstr(strtab, entry.val(endian), "DT_NEEDED")?,
                    lazy: false,
                }),
                elf::DT_SONAME => {
                    binary.soname = Some(cstr(strtab, entry.val(endian), "DT_SONAME")?)
                }
                tag @ (elf::DT_RPATH | elf::DT_RUNPATH) if !paths_read => search_path(
                    &mut binary,
                    tag,
                    &cstr(strtab, entry.val(endian), "search path")?,
                ),
                tag => dynamic_flag(&mut binary, tag, entry.val(endian)),
            }
        }
    }

    let Some(dynsym) = sections
        .iter()
        .find(|s| s.sh_type(endian) == elf::SHT_DYNSYM)
    else {
        return Ok(binary);
    };
    let strtab = section_bytes(dynsym.sh_link(endian), ".dynstr")?;
    let size: u64 = dynsym.sh_size(endian).into();
    let count = size / size_of::<Elf::Sym>() as u64;
    if count > MAX_DYNSYM {
        return Err(over(format!(
            ".dynsym: {count} symbols, more than the limit of {MAX_DYNSYM}"
        )));
    }
    let mut source = SymSource {
        symtab: Some(dynsym.sh_offset(endian).into()),
        count,
        versym: None,
        verneed: None,
        verdef: None,
    };
    for section in sections {
        let sh_type = section.sh_type(endian);
        if sh_type == elf::SHT_GNU_VERSYM {
            source.versym = Some(section.sh_offset(endian).into());
        } else if sh_type == elf::SHT_GNU_VERNEED {
            source.verneed = Some((
                section.sh_offset(endian).into(),
                Some(u64::from(section.sh_info(endian))),
            ));
        } else if sh_type == elf::SHT_GNU_VERDEF {
            source.verdef = Some((
                section.sh_offset(endian).into(),
                Some(u64::from(section.sh_info(endian))),
            ));
        }
    }
    read_symbols::<Elf>(src, endian, &source, strtab, &mut binary)?;
    Ok(binary)
}
