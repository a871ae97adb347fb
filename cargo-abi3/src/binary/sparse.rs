//! Sparse reads: a file of known length of which only some byte ranges are held.
//!
//! A wheel member is inflated as a stream, once; [`read_streamed`] keeps only the ranges the
//! reader needs. Which ranges is decided twice over: [`plan`] looks at the headers held so
//! far (cheap, format-aware guesses, so most members are read in one pass), and the reader
//! itself, run on a [`View`] of the held bytes, records every byte range it touched that is
//! not held (a *miss*). A miss ahead of the stream is collected on the way; a miss behind it
//! costs another pass from the start. After [`MAX_PASSES`] passes the member is read in
//! full (a fallback): correctness never depends on the plan.

use std::borrow::Cow;
use std::cell::RefCell;
use std::ops::{ControlFlow, Range};

use object::ReadRef;

use super::{Binary, Kind, ReadError, elf, macho, sniff};

/// Bytes of a file held at known offsets. The rest of the file was never read.
#[derive(Debug, Default)]
pub struct Sparse<'d> {
    len: u64,
    /// Sorted, non-overlapping, non-adjacent.
    chunks: Vec<(u64, Cow<'d, [u8]>)>,
    misses: RefCell<Vec<(u64, u64)>>,
}

/// At most this many misses are recorded per reader run.
const MAX_MISSES: usize = 256;

/// Bytes of one member held at once, at most. Every range the plan or a reader asks for is
/// capped by what its structure can need, far below this; this bound holds by construction
/// whatever the headers claim: a member that would need more is refused
/// ([`ReadError::Limit`]), never held. It counts bytes actually streamed, not sizes claimed.
pub const MAX_HELD: u64 = 40 << 20;

impl<'d> Sparse<'d> {
    /// A file of `len` bytes of which nothing is held yet.
    pub fn new(len: u64) -> Self {
        Sparse {
            len,
            ..Sparse::default()
        }
    }

    /// All of `data`, borrowed.
    pub fn whole(data: &'d [u8]) -> Self {
        Sparse {
            len: data.len() as u64,
            chunks: vec![(0, Cow::Borrowed(data))],
            misses: RefCell::default(),
        }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes held in total.
    pub fn held(&self) -> u64 {
        self.chunks.iter().map(|(_, c)| c.len() as u64).sum()
    }

    /// The end of the last byte held (0 when nothing is).
    pub fn held_end(&self) -> u64 {
        self.chunks
            .iter()
            .map(|(start, c)| start.saturating_add(c.len() as u64))
            .max()
            .unwrap_or(0)
    }

    /// The whole file as a view.
    pub fn view(&self) -> View<'_> {
        View {
            sparse: self,
            base: 0,
            len: self.len,
        }
    }

    /// Index of the chunk that could contain `offset` (the last one starting at or before it).
    fn chunk_at(&self, offset: u64) -> Option<(u64, &[u8])> {
        let i = self.chunks.partition_point(|(start, _)| *start <= offset);
        let (start, bytes) = self.chunks.get(i.checked_sub(1)?)?;
        Some((*start, bytes))
    }

    /// `len` bytes at `offset` if held, without recording a miss.
    fn peek(&self, offset: u64, len: u64) -> Option<&[u8]> {
        if len == 0 {
            return Some(&[]);
        }
        let (start, bytes) = self.chunk_at(offset)?;
        let from = usize::try_from(offset - start).ok()?;
        let to = from.checked_add(usize::try_from(len).ok()?)?;
        bytes.get(from..to)
    }

    /// `len` bytes at `offset`, recording a miss when they are not all held.
    fn get(&self, offset: u64, len: u64) -> Option<&[u8]> {
        let got = self.peek(offset, len);
        if got.is_none() {
            self.miss(offset, len);
        }
        got
    }

    fn miss(&self, offset: u64, len: u64) {
        let mut misses = self.misses.borrow_mut();
        if misses.len() < MAX_MISSES {
            misses.push((offset, len));
        }
    }

    fn take_misses(&self) -> Vec<(u64, u64)> {
        std::mem::take(&mut *self.misses.borrow_mut())
    }

    /// Whether `[start, end)` is entirely held.
    pub fn is_held(&self, start: u64, end: u64) -> bool {
        end <= start || self.peek(start, end - start).is_some()
    }

    /// The parts of `[start, end)` not held, in order.
    fn gaps(&self, start: u64, end: u64) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut at = start;
        let first = self
            .chunks
            .partition_point(|(s, c)| s.saturating_add(c.len() as u64) <= start);
        for (s, c) in self.chunks.iter().skip(first) {
            if at >= end || *s >= end {
                break;
            }
            if *s > at {
                out.push((at, *s));
            }
            at = at.max(s.saturating_add(c.len() as u64));
        }
        if at < end {
            out.push((at, end));
        }
        out
    }

    /// Stores `bytes` at `offset`; the range must not be held yet.
    fn hold(&mut self, offset: u64, bytes: &[u8], reserve: u64) {
        if bytes.is_empty() {
            return;
        }
        let end = offset.saturating_add(bytes.len() as u64);
        let i = self.chunks.partition_point(|(s, _)| *s < offset);
        // Append to the chunk ending exactly here (the streaming case).
        let appended = match i.checked_sub(1).and_then(|p| self.chunks.get_mut(p)) {
            Some((s, c)) if s.saturating_add(c.len() as u64) == offset => {
                c.to_mut().extend_from_slice(bytes);
                true
            }
            _ => false,
        };
        let at = if appended {
            i - 1
        } else {
            let mut v = Vec::with_capacity(
                usize::try_from(capacity_for(reserve, bytes.len())).unwrap_or(0),
            );
            v.extend_from_slice(bytes);
            self.chunks.insert(i, (offset, Cow::Owned(v)));
            i
        };
        // Merge with the next chunk when they now touch.
        if self.chunks.get(at + 1).is_some_and(|(s, _)| *s == end) {
            let (_, next) = self.chunks.remove(at + 1);
            if let Some((_, c)) = self.chunks.get_mut(at) {
                c.to_mut().extend_from_slice(&next);
            }
        }
    }
}

/// Capacity of a new held chunk that will grow to `reserve` bytes.
///
/// Large chunks are given more than 32 MiB of capacity, touched only as far as filled (so
/// not resident beyond that): glibc serves such requests with `mmap` and, on `free`, does
/// not raise its dynamic mmap threshold, which it otherwise raises to the size of the
/// largest block freed (up to 32 MiB), after which every later allocation below that size
/// comes from arenas that fragment and never shrink: peak RSS then grows with the number of
/// large members read, not with the largest one.
fn capacity_for(reserve: u64, first: usize) -> u64 {
    const BIG: u64 = 256 * 1024;
    const BEYOND_THRESHOLD_MAX: u64 = 33 << 20;
    let reserve = reserve.max(first as u64);
    if reserve >= BIG {
        reserve.max(BEYOND_THRESHOLD_MAX)
    } else {
        reserve
    }
}

/// A window on a [`Sparse`] file (a whole file, or one slice of a fat Mach-O). Reads of
/// bytes that are not held fail and are recorded as misses.
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    sparse: &'a Sparse<'a>,
    base: u64,
    len: u64,
}

impl<'a> View<'a> {
    pub fn len(self) -> u64 {
        self.len
    }

    pub fn is_empty(self) -> bool {
        self.len == 0
    }

    /// Offset of this view in the file.
    pub fn base(self) -> u64 {
        self.base
    }

    /// The `len` bytes at `offset` of this view, as a view.
    pub fn sub(self, offset: u64, len: u64) -> Option<View<'a>> {
        (offset.checked_add(len)? <= self.len).then_some(View {
            sparse: self.sparse,
            base: self.base.checked_add(offset)?,
            len,
        })
    }

    /// Bytes at `offset` if held, without recording a miss (for planning).
    pub(crate) fn peek(self, offset: u64, len: u64) -> Option<&'a [u8]> {
        if offset.checked_add(len)? > self.len {
            return None;
        }
        self.sparse.peek(self.base.checked_add(offset)?, len)
    }

    /// Bytes at `offset`: `None` past the end or when not held (then a miss is recorded).
    pub(crate) fn get(self, offset: u64, len: u64) -> Option<&'a [u8]> {
        if offset.checked_add(len)? > self.len {
            return None;
        }
        self.sparse.get(self.base.checked_add(offset)?, len)
    }
}

impl<'a> ReadRef<'a> for View<'a> {
    fn len(self) -> Result<u64, ()> {
        Ok(self.len)
    }

    fn read_bytes_at(self, offset: u64, size: u64) -> Result<&'a [u8], ()> {
        self.get(offset, size).ok_or(())
    }

    fn read_bytes_at_until(self, range: Range<u64>, delimiter: u8) -> Result<&'a [u8], ()> {
        let end = range.end.min(self.len);
        if range.start > end {
            return Err(());
        }
        let abs = self.base.checked_add(range.start).ok_or(())?;
        let abs_end = self.base.checked_add(end).ok_or(())?;
        let want = (end - range.start).min(4096);
        let Some((start, bytes)) = self.sparse.chunk_at(abs) else {
            self.sparse.miss(abs, want);
            return Err(());
        };
        let chunk_end = start.saturating_add(bytes.len() as u64);
        if chunk_end <= abs {
            self.sparse.miss(abs, want);
            return Err(());
        }
        let from = usize::try_from(abs - start).map_err(|_| ())?;
        let to = usize::try_from(abs_end.min(chunk_end) - start).map_err(|_| ())?;
        let avail = bytes.get(from..to).ok_or(())?;
        match avail.iter().position(|&b| b == delimiter) {
            Some(n) => avail.get(..n).ok_or(()),
            None if chunk_end >= abs_end => Err(()),
            None => {
                self.sparse.miss(chunk_end, (abs_end - chunk_end).min(4096));
                Err(())
            }
        }
    }
}

/// Sorted, merged byte ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ranges(Vec<(u64, u64)>);

/// More wanted ranges than this and the plan is given up for a full read.
const MAX_RANGES: usize = 4096;

impl Ranges {
    pub fn add(&mut self, start: u64, end: u64) {
        if end <= start {
            return;
        }
        let i = self.0.partition_point(|&(_, e)| e < start);
        let mut j = i;
        let (mut s, mut e) = (start, end);
        while let Some(&(s2, e2)) = self.0.get(j) {
            if s2 > e {
                break;
            }
            s = s.min(s2);
            e = e.max(e2);
            j += 1;
        }
        self.0.splice(i..j, [(s, e)]);
    }

    pub fn iter(&self) -> impl Iterator<Item = &(u64, u64)> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// One past the last byte wanted.
    pub fn end(&self) -> u64 {
        self.0.last().map_or(0, |&(_, e)| e)
    }

    /// One past the last byte wanted and not held in `sparse` (0: all held).
    fn horizon(&self, sparse: &Sparse<'_>) -> u64 {
        self.0
            .iter()
            .rev()
            .find_map(|&(s, e)| sparse.gaps(s, e).last().map(|&(_, ge)| ge))
            .unwrap_or(0)
    }
}

/// What to keep of a file while streaming it, as far as the bytes held so far tell.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Absolute byte ranges to hold.
    pub want: Ranges,
    /// Stream at least this far, holding nothing more (the build hook's declaration is
    /// looked for in every byte streamed, and must be before this point).
    pub scan_to: u64,
}

impl Plan {
    /// Wants `len` bytes at `offset` of `view` (clipped to the view).
    fn want(&mut self, view: View<'_>, offset: u64, len: u64) {
        let end = offset.saturating_add(len).min(view.len);
        if offset < end && self.want.len() < MAX_RANGES {
            self.want.add(
                view.base.saturating_add(offset),
                view.base.saturating_add(end),
            );
        }
    }

    fn scan(&mut self, view: View<'_>, end: u64) {
        self.scan_to = self
            .scan_to
            .max(view.base.saturating_add(end.min(view.len)));
    }
}

/// PE: this much from the start of an import or export directory is held at first.
const PE_DIR_GUESS: u64 = 1 << 20;
/// PE: and at most this much (an export directory's size covers its names).
const PE_DIR_CAP: u64 = 8 << 20;

/// Headers are looked for in the first bytes: a guess that covers them for most files.
const HEAD: u64 = 64 * 1024;
/// ELF: the dynamic-linking sections sit at the start of the first segment, but where they
/// end is only known from `PT_DYNAMIC`, which is near the end: this much of the first segment
/// is kept on speculation.
const ELF_SPECULATE: u64 = 2 << 20;
/// ELF: relocation entries looked at before a point to tell whether a table runs past it.
const RELOC_PROBE: u64 = 16;
/// ELF segments this small are kept whole, this many at most.
const ELF_SMALL_SEGMENT: u64 = 1 << 20;
const ELF_SMALL_SEGMENTS: u32 = 4;
/// The ELF dynamic-linking tables are held as one span up to this size, otherwise each on
/// its own.
const ELF_SPAN_CAP: u64 = 8 << 20;
/// How much of a dynamic-linking table whose size is not known yet is held.
const ELF_TABLE_GUESS: u64 = 64 * 1024;

/// The byte ranges to hold of the file, from what `view` holds so far. Pure, never panics;
/// ranges are clipped to the view.
pub fn plan(view: View<'_>) -> Plan {
    let mut p = Plan::default();
    p.want(view, 0, HEAD);
    let magic = view.peek(0, 8.min(view.len)).unwrap_or_default();
    match sniff(magic) {
        Some(Kind::Elf) => plan_elf(view, &mut p),
        Some(Kind::MachO) => plan_macho(view, &mut p),
        Some(Kind::Pe) => plan_pe(view, &mut p),
        None => {}
    }
    p
}

/// Integer reader over a view, in one byte order.
#[derive(Clone, Copy)]
struct Ints<'a> {
    view: View<'a>,
    big: bool,
}

impl Ints<'_> {
    fn u16(self, at: u64) -> Option<u64> {
        let b: [u8; 2] = self.view.peek(at, 2)?.try_into().ok()?;
        Some(u64::from(if self.big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        }))
    }
    fn u32(self, at: u64) -> Option<u64> {
        let b: [u8; 4] = self.view.peek(at, 4)?.try_into().ok()?;
        Some(u64::from(if self.big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }))
    }
    fn u64(self, at: u64) -> Option<u64> {
        let b: [u8; 8] = self.view.peek(at, 8)?.try_into().ok()?;
        Some(if self.big {
            u64::from_be_bytes(b)
        } else {
            u64::from_le_bytes(b)
        })
    }
    /// A word: 8 bytes for 64-bit files, 4 otherwise.
    fn word(self, at: u64, is64: bool) -> Option<u64> {
        if is64 { self.u64(at) } else { self.u32(at) }
    }
}

fn plan_elf(view: View<'_>, p: &mut Plan) {
    let _ = plan_elf_inner(view, p);
}

fn plan_elf_inner(view: View<'_>, p: &mut Plan) -> Option<()> {
    let ident = view.peek(0, 16)?;
    let is64 = *ident.get(4)? == 2;
    let ints = Ints {
        view,
        big: *ident.get(5)? == 2,
    };
    let w = if is64 { 8 } else { 4 };
    let (phoff, shoff) = if is64 {
        (ints.u64(0x20)?, ints.u64(0x28)?)
    } else {
        (ints.u32(0x1c)?, ints.u32(0x20)?)
    };
    let base = if is64 { 0x36 } else { 0x2a };
    let (phentsize, phnum) = (ints.u16(base)?, ints.u16(base + 2)?);
    let shnum = ints.u16(base + 6)?;
    // The sizes the reader accepts (it refuses others), not the sizes the header claims.
    let (ph_size, sh_size) = if is64 { (56, 64) } else { (32, 40) };
    if phentsize != ph_size {
        return None;
    }
    p.want(view, phoff, phnum * ph_size);
    // The section headers, which the reader reads only without `PT_DYNAMIC` or beside
    // packed relocations (wanted below, then).
    let section_headers = |p: &mut Plan| {
        if shoff != 0 {
            let count = if shnum != 0 {
                Some(shnum)
            } else {
                p.want(view, shoff, sh_size);
                ints.word(shoff + if is64 { 32 } else { 20 }, is64)
            };
            if let Some(count) = count {
                p.want(view, shoff, count.min(elf::MAX_SECTIONS) * sh_size);
            }
        }
    };
    let mut loads = Vec::new();
    let mut dynamic = None;
    let mut small_segments = 0;
    for i in 0..phnum {
        let at = phoff.checked_add(i.checked_mul(phentsize)?)?;
        let p_type = ints.u32(at)?;
        let (flags, offset, vaddr, filesz) = if is64 {
            (
                ints.u32(at + 4)?,
                ints.u64(at + 8)?,
                ints.u64(at + 16)?,
                ints.u64(at + 32)?,
            )
        } else {
            (
                ints.u32(at + 24)?,
                ints.u32(at + 4)?,
                ints.u32(at + 8)?,
                ints.u32(at + 16)?,
            )
        };
        match p_type {
            1 => {
                if loads.is_empty() {
                    let segment_end = offset.saturating_add(filesz);
                    p.want(view, 0, segment_end.min(ELF_SPECULATE));
                    // The relocations follow the other tables; a large table runs past the
                    // speculation: held on while what was held last still looks like one.
                    let mut at = ELF_SPECULATE;
                    while at < segment_end
                        && at < ELF_SPECULATE + elf::MAX_RELOC_BYTES
                        && looks_like_relocations(ints, at, is64)
                    {
                        p.want(view, at, ELF_SPECULATE);
                        at += ELF_SPECULATE;
                    }
                } else if filesz <= ELF_SMALL_SEGMENT && small_segments < ELF_SMALL_SEGMENTS {
                    // patchelf (auditwheel) moves the dynamic string table, symbol tables and
                    // versions into small segments it appends.
                    small_segments += 1;
                    p.want(view, offset, filesz);
                }
                loads.push((vaddr, filesz, offset));
                if flags & 1 == 0 {
                    p.scan(view, offset.saturating_add(filesz));
                }
            }
            2 if dynamic.is_none() => {
                let filesz = filesz.min(elf::MAX_DYN_ENTRIES * 2 * w);
                dynamic = Some((offset, filesz));
                p.want(view, offset, filesz);
                p.scan(view, offset.saturating_add(filesz));
            }
            _ => {}
        }
    }
    let Some((dyn_offset, dyn_size)) = dynamic else {
        // Read from the section headers, at the end.
        section_headers(p);
        p.scan(view, view.len);
        return Some(());
    };
    // With the dynamic section held: the span of the tables it points at.
    let to_offset = |addr: u64| {
        loads.iter().find_map(|&(vaddr, filesz, offset)| {
            let delta = addr.checked_sub(vaddr)?;
            (delta < filesz)
                .then(|| offset.checked_add(delta))
                .flatten()
        })
    };
    let mut tables = Vec::new();
    let (mut strtab, mut strsz) = (None, 0);
    // The relocation tables (DT_RELA, DT_REL, DT_JMPREL) by tag, with their sizes.
    let mut relocs = [(7, 8, None, 0), (17, 18, None, 0), (23, 2, None, 0)];
    for i in 0..(dyn_size / (2 * w)).min(4096) {
        let at = dyn_offset.checked_add(i * 2 * w)?;
        let tag = ints.word(at, is64)?;
        let val = ints.word(at + w, is64)?;
        match tag {
            0 => break,
            // DT_HASH, DT_STRTAB, DT_SYMTAB, DT_VERSYM, DT_VERNEED, DT_GNU_HASH
            4 | 5 | 6 | 0x6fff_fff0 | 0x6fff_fffe | 0x6fff_fef5 => {
                if let Some(off) = to_offset(val) {
                    tables.push((off, off.saturating_add(ELF_TABLE_GUESS)));
                    if tag == 5 {
                        strtab = Some(off);
                    }
                }
            }
            10 => strsz = val.min(elf::MAX_DYNSTR),
            // DT_ANDROID_REL, DT_ANDROID_RELA: the reader counts symbols from `.dynsym`'s
            // section header instead.
            0x6000_000f | 0x6000_0011 => section_headers(p),
            _ => {
                for (addr_tag, size_tag, addr, size) in &mut relocs {
                    if tag == *addr_tag {
                        *addr = to_offset(val);
                    } else if tag == *size_tag {
                        *size = val.min(elf::MAX_RELOC_BYTES + 1);
                    }
                }
            }
        }
    }
    if let Some(off) = strtab {
        tables.push((off, off.saturating_add(strsz)));
    }
    if relocs.iter().map(|r| r.3).sum::<u64>() > elf::MAX_RELOC_BYTES {
        // Too many to count symbols from: the reader reads `.dynsym`'s section header.
        section_headers(p);
    } else {
        for (_, _, addr, size) in relocs {
            if let Some(off) = addr {
                tables.push((off, off.saturating_add(size)));
            }
        }
    }
    let lo = tables.iter().map(|&(s, _)| s).min().unwrap_or(0);
    let hi = tables.iter().map(|&(_, e)| e).max().unwrap_or(0);
    if lo < hi && hi - lo <= ELF_SPAN_CAP {
        p.want(view, lo, hi - lo);
    } else {
        // Tables far apart (patchelf appends moved ones): each on its own.
        for (s, e) in tables {
            p.want(view, s, e - s);
        }
    }
    Some(())
}

/// Whether the bytes held just before `at` look like a run of relocations: [`RELOC_PROBE`]
/// entries (at any alignment the entry size allows, `Rela` or `Rel`) with increasing
/// offsets and one and the same `r_info` naming no symbol, as `R_*_RELATIVE` relocations,
/// which make up the bulk of a large table, do. Only a guess for the plan: a wrong one
/// costs held bytes or a pass, never an answer.
fn looks_like_relocations(ints: Ints<'_>, at: u64, is64: bool) -> bool {
    let (word, sizes): (u64, &[u64]) = if is64 { (8, &[24, 16]) } else { (4, &[12, 8]) };
    sizes.iter().any(|&size| {
        (0..size / word).any(|phase| {
            let Some(first) = at.checked_sub(RELOC_PROBE * size + phase * word) else {
                return false;
            };
            let entry = |i: u64| {
                let base = first + i * size;
                Some((ints.word(base, is64)?, ints.word(base + word, is64)?))
            };
            let Some((mut last_offset, info)) = entry(0) else {
                return false;
            };
            // A type and no symbol: below 256 (32-bit `Rel`), or in the low word (64-bit).
            let no_symbol = if is64 {
                info >> 32 == 0
            } else {
                info >> 8 == 0
            };
            if info == 0 || !no_symbol {
                return false;
            }
            (1..RELOC_PROBE).all(|i| match entry(i) {
                Some((offset, i_info)) if i_info == info && offset > last_offset => {
                    last_offset = offset;
                    true
                }
                _ => false,
            })
        })
    })
}

// The load commands the plan follows, as `object` names them (widened to the reader's u64).
const LC_SEGMENT: u64 = object::macho::LC_SEGMENT.0 as u64;
const LC_SYMTAB: u64 = object::macho::LC_SYMTAB.0 as u64;
const LC_SEGMENT_64: u64 = object::macho::LC_SEGMENT_64.0 as u64;
const LC_DYLD_INFO: u64 = object::macho::LC_DYLD_INFO.0 as u64;
const LC_DYLD_INFO_ONLY: u64 = object::macho::LC_DYLD_INFO_ONLY.0 as u64;
const LC_DYLD_EXPORTS_TRIE: u64 = object::macho::LC_DYLD_EXPORTS_TRIE.0 as u64;
const LC_DYLD_CHAINED_FIXUPS: u64 = object::macho::LC_DYLD_CHAINED_FIXUPS.0 as u64;

fn plan_macho(view: View<'_>, p: &mut Plan) {
    let Some(magic) = view.peek(0, 4) else {
        return;
    };
    if magic == [0xca, 0xfe, 0xba, 0xbe] || magic == [0xca, 0xfe, 0xba, 0xbf] {
        let _ = plan_fat(view, p, magic == [0xca, 0xfe, 0xba, 0xbf]);
    } else {
        let _ = plan_thin(view, p);
    }
}

fn plan_fat(view: View<'_>, p: &mut Plan, fat64: bool) -> Option<()> {
    let ints = Ints { view, big: true };
    let count = ints.u32(4)?.min(u64::from(super::macho::MAX_FAT_ARCHES));
    let entry = if fat64 { 32 } else { 20 };
    p.want(view, 0, 8 + count * entry);
    for i in 0..count {
        let at = 8 + i * entry;
        let (offset, size) = if fat64 {
            (ints.u64(at + 8)?, ints.u64(at + 16)?)
        } else {
            (ints.u32(at + 8)?, ints.u32(at + 12)?)
        };
        if let Some(slice) = view.sub(offset, size) {
            p.want(slice, 0, HEAD);
            let _ = plan_thin(slice, p);
        }
    }
    Some(())
}

fn plan_thin(view: View<'_>, p: &mut Plan) -> Option<()> {
    let magic = view.peek(0, 4)?;
    let (is64, big) = match magic {
        [0xfe, 0xed, 0xfa, 0xce] => (false, true),
        [0xfe, 0xed, 0xfa, 0xcf] => (true, true),
        [0xce, 0xfa, 0xed, 0xfe] => (false, false),
        [0xcf, 0xfa, 0xed, 0xfe] => (true, false),
        _ => return None,
    };
    let ints = Ints { view, big };
    let header = if is64 { 32 } else { 28 };
    let (ncmds, sizeofcmds) = (ints.u32(16)?, ints.u32(20)?.min(macho::MAX_SIZEOFCMDS));
    p.want(view, 0, header + sizeofcmds);
    let nlist = if is64 { 16 } else { 12 };
    let blob = |size: u64| size.min(macho::MAX_LINKEDIT_BLOB);
    let mut at = header;
    let end = header + sizeofcmds;
    for _ in 0..ncmds.min(65536) {
        if at.checked_add(8)? > end {
            break;
        }
        let (cmd, size) = (ints.u32(at)?, ints.u32(at + 4)?);
        match cmd {
            LC_SYMTAB => {
                let nsyms = ints.u32(at + 12)?.min(macho::MAX_SYMBOLS);
                p.want(view, ints.u32(at + 8)?, nsyms * nlist);
                let strsize = ints.u32(at + 20)?.min(macho::MAX_STRINGS);
                p.want(view, ints.u32(at + 16)?, strsize);
            }
            LC_DYLD_INFO | LC_DYLD_INFO_ONLY => {
                // bind, weak bind, lazy bind, export
                for field in [16, 24, 32, 40] {
                    p.want(view, ints.u32(at + field)?, blob(ints.u32(at + field + 4)?));
                }
            }
            LC_DYLD_EXPORTS_TRIE | LC_DYLD_CHAINED_FIXUPS => {
                p.want(view, ints.u32(at + 8)?, blob(ints.u32(at + 12)?));
            }
            LC_SEGMENT | LC_SEGMENT_64 => {
                // The build hook's section: scan up to its end.
                let (sects_at, nsects_at, sect_size) = if cmd == LC_SEGMENT_64 {
                    (72, 64, 80)
                } else {
                    (56, 48, 68)
                };
                let nsects = ints.u32(at + nsects_at)?.min(4096);
                for i in 0..nsects {
                    let s = at + sects_at + i * sect_size;
                    if view.peek(s, 16)?.starts_with(b"__cargo_abi3") {
                        let (size, offset) = if is64 {
                            (ints.u64(s + 40)?, ints.u32(s + 48)?)
                        } else {
                            (ints.u32(s + 36)?, ints.u32(s + 40)?)
                        };
                        p.scan(view, offset.saturating_add(size));
                    }
                }
            }
            _ => {}
        }
        if size < 8 {
            break;
        }
        at = at.checked_add(size)?;
    }
    Some(())
}

fn plan_pe(view: View<'_>, p: &mut Plan) {
    let _ = plan_pe_inner(view, p);
}

fn plan_pe_inner(view: View<'_>, p: &mut Plan) -> Option<()> {
    let ints = Ints { view, big: false };
    let nt = ints.u32(0x3c)?;
    let optional = nt + 24;
    let sections = ints.u16(nt + 6)?;
    let optional_size = ints.u16(nt + 20)?;
    let table = optional + optional_size;
    p.want(view, nt, table + sections * 40 - nt);
    let (dirs, ndirs) = match ints.u16(optional)? {
        0x10b => (optional + 96, ints.u32(optional + 92)?),
        0x20b => (optional + 112, ints.u32(optional + 108)?),
        _ => return None,
    };
    let mut secs = Vec::new();
    for i in 0..sections.min(96) {
        let s = table + i * 40;
        let name = view.peek(s, 8)?;
        let (vsize, va, raw, ptr) = (
            ints.u32(s + 8)?,
            ints.u32(s + 12)?,
            ints.u32(s + 16)?,
            ints.u32(s + 20)?,
        );
        if name.starts_with(b".abi3dcl") {
            p.scan(view, ptr.saturating_add(raw));
        }
        secs.push((va, vsize.min(raw), ptr));
    }
    // Export, import, delay import: the directory and what usually follows it in the same
    // section (thunks, hint/name entries, names); the reader's misses fetch the rest.
    for dir in [0, 1, 13] {
        if dir >= ndirs {
            continue;
        }
        let (rva, size) = (ints.u32(dirs + dir * 8)?, ints.u32(dirs + dir * 8 + 4)?);
        if rva == 0 {
            continue;
        }
        for &(va, filesz, ptr) in &secs {
            if let Some(delta) = rva.checked_sub(va)
                && delta < filesz
            {
                let len = size.clamp(PE_DIR_GUESS, PE_DIR_CAP).min(filesz - delta);
                p.want(view, ptr + delta, len);
                p.scan(view, (ptr + delta).saturating_add(len));
                break;
            }
        }
    }
    Some(())
}

/// How a streamed read went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Passes over the stream (1 when the plan and the first reader run sufficed).
    pub passes: u32,
    /// Bytes inflated, over all passes.
    pub streamed: u64,
    /// Bytes held at the end.
    pub held: u64,
    /// Reader runs.
    pub runs: u32,
    /// The member was read in full after [`MAX_PASSES`] sparse passes.
    pub fallback: bool,
    /// In the last pass, the end of the last byte the readers held or the declaration scan
    /// asked for: where a stream that knew the answer could have stopped (the floor of a
    /// remote read; `streamed` is rounded up to the stream's chunks).
    pub needed: u64,
}

thread_local! {
    static PROGRESS: std::cell::Cell<Option<(u64, u64, u64)>> = const { std::cell::Cell::new(None) };
}

/// While [`read_streamed`] streams a member on this thread: the bytes streamed so far in
/// this pass, the end of the last byte it still wants (the plan's ranges and misses not
/// held yet, the declaration scan; once answered, only the scan), and the member's length
/// as declared (a wanted end at or past it: the whole member). The stream stops there
/// unless a reader run asks for more. A source that fetches the compressed bytes over the
/// network sizes its requests by it (`remote::source`); `None` outside a streamed read.
pub fn stream_progress() -> Option<(u64, u64, u64)> {
    PROGRESS.with(std::cell::Cell::get)
}

fn set_progress(progress: Option<(u64, u64, u64)>) {
    PROGRESS.with(|p| p.set(progress));
}

/// Clears [`stream_progress`] when a streamed read ends, however it ends.
struct ProgressGuard;

impl Drop for ProgressGuard {
    fn drop(&mut self) {
        set_progress(None);
    }
}

/// Sparse passes before a full read.
pub const MAX_PASSES: u32 = 3;
/// Reader runs in one member before a full read.
const MAX_RUNS: u32 = 64;
/// A miss is widened to at least this many bytes (its neighbours are usually read next).
const MISS_SLACK: u64 = 64 * 1024;

/// Reads the binaries of a file of declared length `len` that can only be streamed from
/// its start. `pass(sink)` streams the file once, in order, calling `sink` with consecutive
/// chunks until it returns `Break` or the file ends; it may be called several times.
/// `observe` sees every byte streamed exactly once, in order, as far as the plan's
/// `scan_to` at least. Errors of `pass` (limits, corruption) are returned as they are.
pub fn read_streamed<E>(
    len: u64,
    pass: impl FnMut(&mut dyn FnMut(&[u8]) -> ControlFlow<()>) -> Result<(), E>,
    observe: &mut dyn FnMut(&[u8]),
) -> Result<(Result<Vec<Binary>, ReadError>, Stats), E> {
    read_streamed_with(len, StreamOptions::default(), pass, observe)
}

/// Knobs of [`read_streamed_with`], for tests: what happens when the plan foresees nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamOptions {
    /// Use [`plan`] (otherwise only the first 64 bytes are held until the reader misses).
    pub plan: bool,
    /// Sparse passes before a full read.
    pub max_passes: u32,
    /// A miss is widened to at least this many bytes (its neighbours are usually read next).
    pub miss_slack: u64,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            plan: true,
            max_passes: MAX_PASSES,
            miss_slack: MISS_SLACK,
        }
    }
}

/// [`read_streamed`] with explicit [`StreamOptions`].
pub fn read_streamed_with<E>(
    len: u64,
    options: StreamOptions,
    mut pass: impl FnMut(&mut dyn FnMut(&[u8]) -> ControlFlow<()>) -> Result<(), E>,
    observe: &mut dyn FnMut(&[u8]),
) -> Result<(Result<Vec<Binary>, ReadError>, Stats), E> {
    let mut sparse = Sparse::new(len);
    let mut misses = Ranges::default();
    let mut stats = Stats::default();
    let mut observed = 0u64;
    let mut result: Option<Result<Vec<Binary>, ReadError>> = None;
    let mut full = false;
    let _progress = ProgressGuard;
    loop {
        stats.passes += 1;
        let mut pos = 0u64;
        let mut restart = false;
        let (mut wants, mut scan_to) = wants_for(&sparse, &misses, full, options.plan);
        let mut horizon = wants.horizon(&sparse);
        set_progress(Some((0, horizon.max(scan_to), len)));
        pass(&mut |chunk: &[u8]| {
            let flow = 'step: {
                let start = pos;
                let end = pos.saturating_add(chunk.len() as u64);
                pos = end;
                if end > observed {
                    let from =
                        usize::try_from(observed.saturating_sub(start)).unwrap_or(usize::MAX);
                    observe(chunk.get(from..).unwrap_or_default());
                    observed = end;
                }
                if result.is_some() {
                    break 'step if observed >= scan_to {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    };
                }
                // Hold what this chunk has of the wanted ranges; when a range completes, the
                // plan may grow (headers now held), possibly into this very chunk.
                let mut rounds = 0;
                loop {
                    let completed = match hold_chunk(&mut sparse, &wants, start, chunk) {
                        Ok(completed) => completed,
                        Err(limit) => {
                            result = Some(Err(limit));
                            break 'step ControlFlow::Break(());
                        }
                    };
                    if !completed && pos < horizon {
                        break 'step ControlFlow::Continue(());
                    }
                    let before = wants.clone();
                    (wants, scan_to) = wants_for(&sparse, &misses, full, options.plan);
                    horizon = wants.horizon(&sparse);
                    rounds += 1;
                    if wants == before || rounds >= 16 {
                        break;
                    }
                }
                if pos < horizon {
                    break 'step ControlFlow::Continue(());
                }
                // Everything wanted is behind: run the reader.
                stats.runs += 1;
                let got = super::read_view(sparse.view(), true);
                let new_misses = sparse.take_misses();
                if new_misses.is_empty() {
                    result = Some(got);
                    break 'step if observed >= scan_to {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    };
                }
                restart = add_misses(&sparse, &mut misses, &new_misses, pos, options.miss_slack);
                if restart || stats.runs >= MAX_RUNS {
                    restart = true;
                    break 'step ControlFlow::Break(());
                }
                (wants, scan_to) = wants_for(&sparse, &misses, full, options.plan);
                horizon = wants.horizon(&sparse);
                ControlFlow::Continue(())
            };
            let target = if result.is_some() {
                scan_to
            } else {
                horizon.max(scan_to)
            };
            set_progress(Some((pos, target, len)));
            flow
        })?;
        stats.streamed = stats.streamed.saturating_add(pos);
        if result.is_none() && !restart {
            // The stream ended: the file is as long as what was streamed.
            if pos < sparse.len {
                sparse.len = pos;
            }
            stats.runs += 1;
            let got = super::read_view(sparse.view(), true);
            let new_misses = sparse.take_misses();
            if new_misses.is_empty() {
                result = Some(got);
            } else {
                add_misses(&sparse, &mut misses, &new_misses, pos, options.miss_slack);
            }
        }
        if let Some(result) = result {
            stats.held = sparse.held();
            stats.needed = sparse.held_end().max(scan_to.min(pos));
            return Ok((result, stats));
        }
        if full {
            // Cannot happen (everything is held); answer rather than loop.
            stats.held = sparse.held();
            return Ok((
                Err(ReadError::Malformed {
                    format: "binary",
                    reason: "read in full but still incomplete".into(),
                }),
                stats,
            ));
        }
        if stats.passes >= options.max_passes || stats.runs >= MAX_RUNS {
            full = true;
            stats.fallback = true;
        }
    }
}

/// Holds the parts of `chunk` (at `start`) that are wanted and not held yet; whether a
/// wanted range ends in it. `Err` (holding nothing more) when that would hold more than
/// [`MAX_HELD`] bytes.
fn hold_chunk(
    sparse: &mut Sparse<'_>,
    wants: &Ranges,
    start: u64,
    chunk: &[u8],
) -> Result<bool, ReadError> {
    let end = start.saturating_add(chunk.len() as u64);
    let mut completed = false;
    let mut gaps = Vec::new();
    let first = wants.0.partition_point(|&(_, we)| we <= start);
    for &(ws, we) in wants.0.iter().skip(first) {
        if ws >= end {
            break;
        }
        gaps.extend(
            sparse
                .gaps(ws.max(start), we.min(end))
                .into_iter()
                .map(|g| (g, we)),
        );
        completed |= we <= end;
    }
    let adding: u64 = gaps.iter().map(|&((gs, ge), _)| ge - gs).sum();
    let held = sparse.held();
    if held.saturating_add(adding) > MAX_HELD {
        return Err(ReadError::Limit {
            format: "binary",
            reason: format!(
                "reading it needs more than {} MiB of its {} bytes held (the limit): its headers ask for tables too large or too scattered",
                MAX_HELD >> 20,
                sparse.len()
            ),
        });
    }
    for ((gs, ge), we) in gaps {
        let from = usize::try_from(gs - start).unwrap_or(usize::MAX);
        let to = usize::try_from(ge - start).unwrap_or(usize::MAX);
        // A wanted range is reserved up to what may still be held, not to its claimed size.
        let reserve = (we - gs).min(MAX_HELD.saturating_sub(held));
        sparse.hold(gs, chunk.get(from..to).unwrap_or_default(), reserve);
    }
    Ok(completed)
}

/// What to hold in the next stretch of the stream: the plan's ranges and the misses.
fn wants_for(sparse: &Sparse<'_>, misses: &Ranges, full: bool, use_plan: bool) -> (Ranges, u64) {
    if full {
        let mut all = Ranges::default();
        all.add(0, sparse.len());
        return (all, sparse.len());
    }
    let plan = if use_plan {
        plan(sparse.view())
    } else {
        let mut head = Plan::default();
        head.want(sparse.view(), 0, 64);
        head
    };
    let mut wants = plan.want;
    for &(s, e) in misses.iter() {
        wants.add(s, e);
    }
    (wants, plan.scan_to)
}

/// Adds a reader run's misses (widened) to `misses`; whether one of them is behind `pos`
/// and so needs another pass.
fn add_misses(
    sparse: &Sparse<'_>,
    misses: &mut Ranges,
    new: &[(u64, u64)],
    pos: u64,
    slack: u64,
) -> bool {
    let mut behind = false;
    for &(s, n) in new {
        let e = s.saturating_add(n.max(slack)).min(sparse.len());
        if misses.len() < MAX_RANGES {
            misses.add(s, e);
        }
        behind |= sparse.gaps(s, e).iter().any(|&(g, _)| g < pos);
    }
    behind
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge() {
        let mut r = Ranges::default();
        r.add(10, 20);
        r.add(30, 40);
        r.add(15, 32);
        r.add(50, 50);
        r.add(0, 5);
        assert_eq!(r.0, vec![(0, 5), (10, 40)]);
        r.add(5, 10);
        assert_eq!(r.0, vec![(0, 40)]);
    }

    #[test]
    fn sparse_hold_and_read() {
        let mut s = Sparse::new(100);
        s.hold(10, &[1; 10], 10);
        s.hold(30, &[3; 10], 10);
        assert_eq!(s.gaps(0, 50), vec![(0, 10), (20, 30), (40, 50)]);
        s.hold(20, &[2; 10], 10);
        assert_eq!(s.chunks.len(), 1);
        let v = s.view();
        assert_eq!(v.read_bytes_at(18, 4), Ok(&[1, 1, 2, 2][..]));
        assert!(v.read_bytes_at(35, 10).is_err());
        assert!(v.read_bytes_at(95, 10).is_err());
        assert_eq!(s.take_misses(), vec![(35, 10)]);
        assert_eq!(v.read_bytes_at_until(5..50, 2), Err(()));
        assert_eq!(v.read_bytes_at_until(12..50, 2), Ok(&[1; 8][..]));
        assert_eq!(v.read_bytes_at_until(12..50, 9), Err(()));
        assert_eq!(s.take_misses(), vec![(5, 45), (40, 10)]);
        let sub = v.sub(20, 10).unwrap();
        assert_eq!(sub.read_bytes_at(0, 2), Ok(&[2, 2][..]));
        assert!(sub.read_bytes_at(5, 10).is_err());
    }

    /// Streams `data` as a member declared `declared` bytes long.
    fn stream(data: &[u8], declared: u64) -> (Result<Vec<Binary>, ReadError>, Stats) {
        read_streamed::<()>(
            declared,
            |sink| {
                for c in data.chunks(4096) {
                    if sink(c).is_break() {
                        break;
                    }
                }
                Ok(())
            },
            &mut |_| {},
        )
        .unwrap()
    }

    /// Headers whose ranges point past the end, overlap, wrap around or count in the
    /// billions: no panic, nothing held beyond the bytes streamed, an error at worst.
    #[test]
    fn hostile_headers_stay_within_the_member() {
        // ELF64: 3 program headers, PT_LOAD at a huge offset, PT_DYNAMIC wrapping around,
        // a PT_LOAD overlapping the headers with a near-u64::MAX size.
        let mut elf = vec![0u8; 8192];
        elf[..6].copy_from_slice(b"\x7fELF\x02\x01");
        elf[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
        elf[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        elf[0x38..0x3a].copy_from_slice(&3u16.to_le_bytes());
        let ph = |elf: &mut Vec<u8>, i: usize, p_type: u32, offset: u64, filesz: u64| {
            let at = 64 + i * 56;
            elf[at..at + 4].copy_from_slice(&p_type.to_le_bytes());
            elf[at + 8..at + 16].copy_from_slice(&offset.to_le_bytes());
            elf[at + 32..at + 40].copy_from_slice(&filesz.to_le_bytes());
        };
        ph(&mut elf, 0, 1, 0, u64::MAX - 10);
        ph(&mut elf, 1, 2, u64::MAX - 100, 1000);
        ph(&mut elf, 2, 1, 1 << 40, 1 << 40);
        // Mach-O 64: LC_SYMTAB with 2^32-1 symbols and a string table past the end.
        let mut macho = vec![0u8; 8192];
        macho[..4].copy_from_slice(&[0xcf, 0xfa, 0xed, 0xfe]);
        macho[16..20].copy_from_slice(&1u32.to_le_bytes());
        macho[20..24].copy_from_slice(&24u32.to_le_bytes());
        macho[32..36].copy_from_slice(&2u32.to_le_bytes());
        macho[36..40].copy_from_slice(&24u32.to_le_bytes());
        macho[40..44].copy_from_slice(&100u32.to_le_bytes());
        macho[44..48].copy_from_slice(&u32::MAX.to_le_bytes());
        macho[48..52].copy_from_slice(&u32::MAX.to_le_bytes());
        macho[52..56].copy_from_slice(&u32::MAX.to_le_bytes());
        // Fat: 32 slices, all the same huge range.
        let mut fat = vec![0u8; 8192];
        fat[..8].copy_from_slice(&[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 32]);
        for i in 0..32 {
            let at = 8 + i * 20;
            fat[at + 8..at + 12].copy_from_slice(&4096u32.to_be_bytes());
            fat[at + 12..at + 16].copy_from_slice(&u32::MAX.to_be_bytes());
        }
        // PE: 96 sections pointing past the end, directories inside them.
        let mut pe = vec![0u8; 8192];
        pe[..2].copy_from_slice(b"MZ");
        pe[0x3c..0x40].copy_from_slice(&64u32.to_le_bytes());
        pe[64..68].copy_from_slice(b"PE\0\0");
        pe[70..72].copy_from_slice(&96u16.to_le_bytes());
        pe[84..86].copy_from_slice(&240u16.to_le_bytes());
        pe[88..90].copy_from_slice(&0x20bu16.to_le_bytes());
        pe[88 + 108..88 + 112].copy_from_slice(&16u32.to_le_bytes());
        pe[88 + 120..88 + 124].copy_from_slice(&0x1000u32.to_le_bytes());
        for i in 0..96 {
            let s = 88 + 240 + i * 40;
            pe[s + 8..s + 12].copy_from_slice(&u32::MAX.to_le_bytes());
            pe[s + 12..s + 16].copy_from_slice(&0x1000u32.to_le_bytes());
            pe[s + 16..s + 20].copy_from_slice(&u32::MAX.to_le_bytes());
            pe[s + 20..s + 24].copy_from_slice(&(u32::MAX - 5).to_le_bytes());
        }
        for data in [&elf, &macho, &fat, &pe] {
            let len = data.len() as u64;
            for declared in [len, len * 1000, len / 3] {
                let (result, stats) = stream(data, declared);
                assert!(result.is_err(), "{stats:?}");
                assert!(stats.held <= len.min(declared), "{stats:?}");
                assert!(stats.passes <= MAX_PASSES + 1, "{stats:?}");
                let p = plan(Sparse::whole(data).view());
                assert!(p.want.end() <= len && p.want.len() <= MAX_RANGES);
            }
        }
    }

    #[test]
    fn plan_never_panics_on_noise() {
        let mut seed = 0x1234_5678_u64;
        for round in 0..2000 {
            let mut data = vec![0u8; 512];
            for b in &mut data {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                *b = (seed >> 56) as u8;
            }
            let magics: [&[u8]; 5] = [
                b"\x7fELF\x02\x01",
                b"\x7fELF\x01\x02",
                &[0xcf, 0xfa, 0xed, 0xfe],
                &[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 3],
                b"MZ",
            ];
            let magic = magics[round % magics.len()];
            data[..magic.len()].copy_from_slice(magic);
            let s = Sparse::whole(&data);
            let p = plan(s.view());
            assert!(p.want.end() <= 512);
            assert!(p.scan_to <= 512);
            let _ = super::super::read_view(s.view(), true);
        }
    }
}
