//! The zip reader behind [`super::WheelArchive`], modelled step by step on CPython's
//! `zipfile`, which pip installs wheels with: what the gate audits must be exactly what pip
//! installs.
//!
//! - The end record is found as `_EndRecData` finds it (the last 22 bytes, else the last
//!   `EOCD` signature in the final 64 KiB + 22, searched backwards in doubling steps so that
//!   a remote reader fetches about the comment, not the whole window), and a zip64 locator
//!   right before it is followed as `_EndRecData64` does.
//! - The central directory is walked as `_RealGetContents` walks it: entry after entry
//!   until its *byte size* is used up. The entry count of the end record is never trusted
//!   (a record that under-states it hides members from readers that believe it); a count
//!   that disagrees is reported.
//! - Names are decoded as `zipfile` decodes them (UTF-8 with flag 0x800, else CP437), cut at
//!   the first NUL, and replaced by a valid Info-ZIP Unicode Path field (0x7075) as
//!   CPython 3.12 and later do; a name that differs between Python versions is reported.
//! - A member's data is found through its local header as `ZipFile.open` finds it: the
//!   header's name must equal the directory's, and the data starts after the header's own
//!   name and extra field; sizes, method and flags come from the directory.
//!
//! Nothing here holds more than one directory entry's fields at a time besides the parsed
//! [`Entry`] list, whose length the caller bounds; reads are streamed.

use std::io::{self, BufReader, Read, Seek, SeekFrom};

const EOCD_SIG: &[u8; 4] = b"PK\x05\x06";
const EOCD_LEN: u64 = 22;
const ZIP64_LOCATOR_SIG: &[u8; 4] = b"PK\x06\x07";
const ZIP64_LOCATOR_LEN: u64 = 20;
const ZIP64_EOCD_SIG: &[u8; 4] = b"PK\x06\x06";
const ZIP64_EOCD_LEN: u64 = 56;
const CENTRAL_SIG: &[u8; 4] = b"PK\x01\x02";
const CENTRAL_LEN: usize = 46;
const LOCAL_SIG: &[u8; 4] = b"PK\x03\x04";
const LOCAL_LEN: usize = 30;
/// `zipfile.MAX_EXTRACT_VERSION`: entries needing a newer version make `ZipFile()` raise.
const MAX_EXTRACT_VERSION: u16 = 63;
const FLAG_ENCRYPTED: u16 = 0x1;
const FLAG_UTF8: u16 = 0x800;
/// Compressed patched data and strong encryption: `ZipFile.open` refuses both.
const FLAG_UNSUPPORTED: u16 = 0x20 | 0x40;

/// Why the archive or a member cannot be read the way `zipfile` reads it. Each variant is a
/// case in which `zipfile` (and so pip) fails too, or a limit of ours.
#[derive(Debug, thiserror::Error)]
pub enum ZipReadError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("no end-of-central-directory record")]
    NoEndRecord,
    #[error("zip archives spanning several disks are not supported")]
    MultiDisk,
    #[error("the central directory starts before the file does")]
    BadDirectoryOffset,
    #[error("the central directory is truncated")]
    TruncatedDirectory,
    #[error("bad signature in the central directory at entry #{index}")]
    BadDirectorySignature { index: usize },
    #[error("entry #{index} needs zip version {version}.{minor}, newer than Python's zipfile reads", version = .needs / 10, minor = .needs % 10)]
    VersionTooNew { index: usize, needs: u16 },
    #[error("entry #{index} has a corrupt extra field: {reason}")]
    CorruptExtra { index: usize, reason: String },
    #[error("entry #{index} is flagged UTF-8 but its name is not valid UTF-8")]
    BadUtf8Name { index: usize },
    /// `count` entries (declared, or listed so far) are more than the caller's limit.
    #[error("the central directory has {count} entries or more, over the limit")]
    TooManyEntries { count: u64 },
}

/// Why a member's data cannot be located.
#[derive(Debug, thiserror::Error)]
pub enum MemberReadError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("its local header is truncated or has a bad signature")]
    BadLocalHeader,
    #[error("the local header names it `{local}`; installers using Python's zipfile refuse it")]
    NameMismatch { local: String },
    #[error("it uses compressed patched data or strong encryption, which Python's zipfile refuses")]
    UnsupportedFlags,
}

/// One central-directory entry, as `zipfile.ZipInfo` sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Position in the central directory.
    pub index: usize,
    /// `ZipInfo.filename` on CPython 3.12 and later: decoded, cut at the first NUL, then
    /// replaced by a valid Unicode Path extra field. This is the path pip installs.
    pub name: String,
    /// `ZipInfo.filename` on CPython 3.11 and earlier, where it differs from `name` (they
    /// ignore the Unicode Path field).
    pub name_before_312: Option<String>,
    /// The decoded name before the NUL cut (`ZipInfo.orig_filename`), which the local header
    /// must repeat.
    pub orig_name: String,
    pub flags: u16,
    pub method: u16,
    pub compressed_size: u64,
    pub size: u64,
    pub header_offset: u64,
    /// Where the next local header (or the central directory) starts: data past this overlaps
    /// another entry, which CPython 3.12 and later refuse.
    pub end_offset: u64,
    pub create_system: u8,
    pub external_attr: u32,
}

impl Entry {
    /// A directory (`ZipInfo.is_dir`): pip creates it and writes nothing.
    pub fn is_dir(&self) -> bool {
        self.name.ends_with('/')
    }

    /// Encrypted (traditional PKWARE): `zipfile` needs a password, so pip cannot install it.
    pub fn is_encrypted(&self) -> bool {
        self.flags & FLAG_ENCRYPTED != 0
    }

    /// Unix mode bits say "symbolic link". pip ignores the mode and writes the entry's bytes
    /// as a regular file.
    pub fn has_symlink_mode(&self) -> bool {
        const S_IFMT: u32 = 0o170_000;
        const S_IFLNK: u32 = 0o120_000;
        self.create_system == 3 && (self.external_attr >> 16) & S_IFMT == S_IFLNK
    }

    /// The raw name held a NUL, so `zipfile` cut it (`a.so\0.txt` installs as `a.so`).
    pub fn name_was_cut(&self) -> bool {
        self.orig_name.contains('\0')
    }
}

/// The central directory as `zipfile` lists it.
#[derive(Clone, Debug, Default)]
pub struct Directory {
    pub entries: Vec<Entry>,
    /// The entry count the end record declares (zip64 when present).
    pub declared_entries: u64,
    /// Bytes before the archive (a self-extractor stub, or a prepended file); offsets are
    /// shifted by it as `zipfile` does.
    pub prepended: u64,
}

struct EndRecord {
    entries: u64,
    dir_size: u64,
    dir_offset: u64,
    /// Where the end record (or, with zip64, the zip64 end record) starts.
    location: u64,
    zip64: bool,
}

/// Reads the end record and walks the central directory. `max_entries` bounds the number of
/// entries listed; the declared count is checked against it before the walk.
pub fn read_directory<R: Read + Seek>(
    r: &mut R,
    max_entries: u64,
) -> Result<Directory, ZipReadError> {
    let end = end_record(r)?.ok_or(ZipReadError::NoEndRecord)?;
    if end.entries > max_entries {
        return Err(ZipReadError::TooManyEntries { count: end.entries });
    }
    let mut concat =
        i128::from(end.location) - i128::from(end.dir_size) - i128::from(end.dir_offset);
    if end.zip64 {
        concat -= i128::from(ZIP64_EOCD_LEN + ZIP64_LOCATOR_LEN);
    }
    let start = i128::from(end.dir_offset) + concat;
    let start = u64::try_from(start).map_err(|_| ZipReadError::BadDirectoryOffset)?;
    // `zipfile` shifts every header offset by `concat`, which may be negative.
    let shift = |offset: u64| -> u64 {
        u64::try_from((i128::from(offset) + concat).max(0)).unwrap_or(u64::MAX)
    };
    r.seek(SeekFrom::Start(start))?;
    let mut cd = BufReader::with_capacity(64 * 1024, r.by_ref().take(end.dir_size));
    let mut entries = Vec::new();
    let mut total: u64 = 0;
    while total < end.dir_size {
        let index = entries.len();
        if index as u64 >= max_entries {
            return Err(ZipReadError::TooManyEntries {
                count: index as u64 + 1,
            });
        }
        let mut head = [0u8; CENTRAL_LEN];
        if read_up_to(&mut cd, &mut head)? != CENTRAL_LEN {
            return Err(ZipReadError::TruncatedDirectory);
        }
        if head.get(..4) != Some(CENTRAL_SIG.as_slice()) {
            return Err(ZipReadError::BadDirectorySignature { index });
        }
        let u16_ = |at: usize| u16_at(&head, at).unwrap_or(0);
        let u32_ = |at: usize| u32_at(&head, at).unwrap_or(0);
        let create_system = head.get(5).copied().unwrap_or(0);
        let extract_version = u16::from(head.get(6).copied().unwrap_or(0));
        let flags = u16_(8);
        let method = u16_(10);
        let (name_len, extra_len, comment_len) = (u16_(28), u16_(30), u16_(32));
        // Short reads are what `zipfile` gets from its in-memory copy of the directory too.
        let raw_name = read_vec(&mut cd, name_len)?;
        let extra = read_vec(&mut cd, extra_len)?;
        skip(&mut cd, u64::from(comment_len))?;
        if extract_version > MAX_EXTRACT_VERSION {
            return Err(ZipReadError::VersionTooNew {
                index,
                needs: extract_version,
            });
        }
        let orig_name = if flags & FLAG_UTF8 != 0 {
            String::from_utf8(raw_name.clone()).map_err(|_| ZipReadError::BadUtf8Name { index })?
        } else {
            cp437(&raw_name)
        };
        let cut = cut_at_nul(&orig_name);
        let mut entry = Entry {
            index,
            name: cut.clone(),
            name_before_312: None,
            orig_name,
            flags,
            method,
            compressed_size: u64::from(u32_(20)),
            size: u64::from(u32_(24)),
            header_offset: u64::from(u32_(42)),
            end_offset: 0,
            create_system,
            external_attr: u32_(38),
        };
        if let Some(unicode) = decode_extra(&mut entry, &extra, &raw_name)
            .map_err(|reason| ZipReadError::CorruptExtra { index, reason })?
            && unicode != cut
        {
            entry.name = unicode;
            entry.name_before_312 = Some(cut);
        }
        entry.header_offset = shift(entry.header_offset);
        entries.push(entry);
        total = total
            .saturating_add(CENTRAL_LEN as u64)
            .saturating_add(u64::from(name_len))
            .saturating_add(u64::from(extra_len))
            .saturating_add(u64::from(comment_len));
    }
    // Each entry's data must end before the next local header (by offset) or the directory.
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(entries.get(i).map_or(0, |e| e.header_offset)));
    let mut end_offset = start;
    for i in order {
        if let Some(e) = entries.get_mut(i) {
            e.end_offset = end_offset;
            end_offset = e.header_offset;
        }
    }
    Ok(Directory {
        entries,
        declared_entries: end.entries,
        prepended: u64::try_from(concat.max(0)).unwrap_or(0),
    })
}

/// Positions `r` at the first byte of `entry`'s data, checking its local header as
/// `ZipFile.open` does.
pub fn seek_to_data<R: Read + Seek>(r: &mut R, entry: &Entry) -> Result<(), MemberReadError> {
    if entry.flags & FLAG_UNSUPPORTED != 0 {
        return Err(MemberReadError::UnsupportedFlags);
    }
    r.seek(SeekFrom::Start(entry.header_offset))?;
    let mut head = [0u8; LOCAL_LEN];
    if read_up_to(r, &mut head)? != LOCAL_LEN || head.get(..4) != Some(LOCAL_SIG.as_slice()) {
        return Err(MemberReadError::BadLocalHeader);
    }
    let flags = u16_at(&head, 6).unwrap_or(0);
    let name_len = u16_at(&head, 26).unwrap_or(0);
    let extra_len = u16_at(&head, 28).unwrap_or(0);
    let raw = read_vec(r, name_len)?;
    let local = if flags & FLAG_UTF8 != 0 {
        String::from_utf8(raw).map_err(|e| MemberReadError::NameMismatch {
            local: String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })?
    } else {
        cp437(&raw)
    };
    if local != entry.orig_name {
        return Err(MemberReadError::NameMismatch { local });
    }
    r.seek(SeekFrom::Current(i64::from(extra_len)))?;
    Ok(())
}

/// Where the data of `entry` starts, without checking (for overlap reports).
pub fn data_start_hint(entry: &Entry) -> u64 {
    entry
        .header_offset
        .saturating_add(LOCAL_LEN as u64)
        .saturating_add(entry.orig_name.len() as u64)
}

fn end_record<R: Read + Seek>(r: &mut R) -> Result<Option<EndRecord>, ZipReadError> {
    let len = r.seek(SeekFrom::End(0))?;
    if len < EOCD_LEN {
        return Ok(None);
    }
    // No comment: the record is the last 22 bytes.
    let mut last = [0u8; EOCD_LEN as usize];
    r.seek(SeekFrom::Start(len - EOCD_LEN))?;
    r.read_exact(&mut last)?;
    let (record, at) = if last.get(..4) == Some(EOCD_SIG.as_slice())
        && last.get(20..22) == Some([0u8, 0].as_slice())
    {
        (last.to_vec(), len - EOCD_LEN)
    } else {
        // A comment of up to 64 KiB follows the record: the last signature in that window,
        // searched for backwards from the end in doubling steps (so a reader over the
        // network fetches about as much as the comment, not the whole window).
        let Some(at) = last_signature(r, len)? else {
            return Ok(None);
        };
        let mut record = [0u8; EOCD_LEN as usize];
        r.seek(SeekFrom::Start(at))?;
        if read_up_to(r, &mut record)? != record.len() {
            // `zipfile`: a record cut short by the end of the file is no record.
            return Ok(None);
        }
        (record.to_vec(), at)
    };
    let mut end = EndRecord {
        entries: u64::from(u16_at(&record, 10).unwrap_or(0)),
        dir_size: u64::from(u32_at(&record, 12).unwrap_or(0)),
        dir_offset: u64::from(u32_at(&record, 16).unwrap_or(0)),
        location: at,
        zip64: false,
    };
    // Zip64: a locator right before the record, pointing nowhere in particular — `zipfile`
    // expects the zip64 record right before the locator.
    let Some(loc_at) = at.checked_sub(ZIP64_LOCATOR_LEN) else {
        return Ok(Some(end));
    };
    let mut loc = [0u8; ZIP64_LOCATOR_LEN as usize];
    r.seek(SeekFrom::Start(loc_at))?;
    if read_up_to(r, &mut loc)? != loc.len() || loc.get(..4) != Some(ZIP64_LOCATOR_SIG.as_slice()) {
        return Ok(Some(end));
    }
    let disk = u32_at(&loc, 4).unwrap_or(0);
    let disks = u32_at(&loc, 16).unwrap_or(0);
    if disk != 0 || disks > 1 {
        return Err(ZipReadError::MultiDisk);
    }
    let Some(rec_at) = loc_at.checked_sub(ZIP64_EOCD_LEN) else {
        return Ok(Some(end));
    };
    let mut rec = [0u8; ZIP64_EOCD_LEN as usize];
    r.seek(SeekFrom::Start(rec_at))?;
    if read_up_to(r, &mut rec)? != rec.len() || rec.get(..4) != Some(ZIP64_EOCD_SIG.as_slice()) {
        return Ok(Some(end));
    }
    end.entries = u64_at(&rec, 32).unwrap_or(0);
    end.dir_size = u64_at(&rec, 40).unwrap_or(0);
    end.dir_offset = u64_at(&rec, 48).unwrap_or(0);
    end.zip64 = true;
    Ok(Some(end))
}

/// The first step of the backward search for the end record ([`last_signature`]): the
/// last 4 KiB, at most what a remote wheel's first request holds
/// (`remote::source::MIN_TAIL`). The second step is as long, then each next one doubles:
/// the searched part reaches 4, 8, 24, 56 KiB… (an 8 KiB first request serves the first
/// two steps).
const EOCD_SEARCH_STEP: u64 = 4 * 1024;

/// Where `_EndRecData` finds the end record behind a comment: the last `EOCD` signature in
/// the final 64 KiB + 22 bytes of a file of `len` bytes. Searched backwards, step after
/// step ([`EOCD_SEARCH_STEP`]), each step overlapping the previous one by three bytes so
/// that a signature across the seam is found; the last signature of the window is the last
/// one of the first step that holds one. Holds at most one step (64 KiB + 25).
fn last_signature<R: Read + Seek>(r: &mut R, len: u64) -> io::Result<Option<u64>> {
    let from = len.saturating_sub((1 << 16) + EOCD_LEN);
    let sig_len = EOCD_SIG.len() as u64;
    // Bytes `[lo, hi)` are searched; `lo` moves down, `hi` follows it (plus the overlap).
    let mut hi = len;
    let mut steps = [EOCD_SEARCH_STEP, EOCD_SEARCH_STEP]
        .into_iter()
        .chain(std::iter::successors(Some(4 * EOCD_SEARCH_STEP), |s| {
            Some(s.saturating_mul(2))
        }));
    let mut chunk = Vec::new();
    loop {
        let step = steps.next().unwrap_or(u64::MAX);
        let lo = hi.saturating_sub(step).max(from);
        chunk.clear();
        r.seek(SeekFrom::Start(lo))?;
        r.by_ref().take(hi - lo).read_to_end(&mut chunk)?;
        if let Some(pos) = memchr::memmem::rfind(&chunk, EOCD_SIG) {
            return Ok(Some(lo + pos as u64));
        }
        if lo <= from {
            return Ok(None);
        }
        hi = lo + (sig_len - 1).min(hi - lo);
    }
}

/// `ZipInfo._decodeExtra`: zip64 sizes and offset; the Unicode Path field's name, if valid.
fn decode_extra(
    entry: &mut Entry,
    mut extra: &[u8],
    raw_name: &[u8],
) -> Result<Option<String>, String> {
    let mut unicode = None;
    while extra.len() >= 4 {
        let kind = u16_at(extra, 0).unwrap_or(0);
        let len = usize::from(u16_at(extra, 2).unwrap_or(0));
        let Some(data) = extra.get(4..4 + len) else {
            return Err(format!(
                "field {kind:04x} of {len} bytes overruns the extra data"
            ));
        };
        if kind == 0x0001 {
            let mut data = data;
            let mut next = |what: &str| -> Result<u64, String> {
                let v = u64_at(data, 0).ok_or_else(|| format!("zip64 {what} missing"))?;
                data = data.get(8..).unwrap_or_default();
                Ok(v)
            };
            if entry.size == 0xFFFF_FFFF {
                entry.size = next("file size")?;
            }
            if entry.compressed_size == 0xFFFF_FFFF {
                entry.compressed_size = next("compressed size")?;
            }
            if entry.header_offset == 0xFFFF_FFFF {
                entry.header_offset = next("header offset")?;
            }
        } else if kind == 0x7075 {
            let (Some(&version), Some(crc)) = (data.first(), u32_at(data, 1)) else {
                return Err("Unicode Path field (0x7075) too short".into());
            };
            if version == 1 && crc == crc32fast::hash(raw_name) {
                let name = std::str::from_utf8(data.get(5..).unwrap_or_default())
                    .map_err(|_| "Unicode Path field (0x7075) is not UTF-8".to_owned())?;
                if !name.is_empty() {
                    unicode = Some(cut_at_nul(name));
                }
            }
        }
        extra = extra.get(4 + len..).unwrap_or_default();
    }
    Ok(unicode)
}

fn cut_at_nul(name: &str) -> String {
    name.split('\0').next().unwrap_or_default().to_owned()
}

/// Reads until `buf` is full or the input ends; how many bytes were read.
fn read_up_to<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let Some(rest) = buf.get_mut(filled..) else {
            break;
        };
        match r.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn read_vec<R: Read + ?Sized>(r: &mut R, len: u16) -> io::Result<Vec<u8>> {
    let mut v = vec![0u8; usize::from(len)];
    let n = read_up_to(r, &mut v)?;
    v.truncate(n);
    Ok(v)
}

fn skip<R: Read>(r: &mut R, len: u64) -> io::Result<()> {
    io::copy(&mut r.take(len), &mut io::sink()).map(|_| ())
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Code page 437 above 0x7f, as Python's `cp437` codec decodes it (generated from it).
#[rustfmt::skip]
const CP437_HIGH: [char; 128] = [
    '\u{00c7}', '\u{00fc}', '\u{00e9}', '\u{00e2}', '\u{00e4}', '\u{00e0}', '\u{00e5}', '\u{00e7}',
    '\u{00ea}', '\u{00eb}', '\u{00e8}', '\u{00ef}', '\u{00ee}', '\u{00ec}', '\u{00c4}', '\u{00c5}',
    '\u{00c9}', '\u{00e6}', '\u{00c6}', '\u{00f4}', '\u{00f6}', '\u{00f2}', '\u{00fb}', '\u{00f9}',
    '\u{00ff}', '\u{00d6}', '\u{00dc}', '\u{00a2}', '\u{00a3}', '\u{00a5}', '\u{20a7}', '\u{0192}',
    '\u{00e1}', '\u{00ed}', '\u{00f3}', '\u{00fa}', '\u{00f1}', '\u{00d1}', '\u{00aa}', '\u{00ba}',
    '\u{00bf}', '\u{2310}', '\u{00ac}', '\u{00bd}', '\u{00bc}', '\u{00a1}', '\u{00ab}', '\u{00bb}',
    '\u{2591}', '\u{2592}', '\u{2593}', '\u{2502}', '\u{2524}', '\u{2561}', '\u{2562}', '\u{2556}',
    '\u{2555}', '\u{2563}', '\u{2551}', '\u{2557}', '\u{255d}', '\u{255c}', '\u{255b}', '\u{2510}',
    '\u{2514}', '\u{2534}', '\u{252c}', '\u{251c}', '\u{2500}', '\u{253c}', '\u{255e}', '\u{255f}',
    '\u{255a}', '\u{2554}', '\u{2569}', '\u{2566}', '\u{2560}', '\u{2550}', '\u{256c}', '\u{2567}',
    '\u{2568}', '\u{2564}', '\u{2565}', '\u{2559}', '\u{2558}', '\u{2552}', '\u{2553}', '\u{256b}',
    '\u{256a}', '\u{2518}', '\u{250c}', '\u{2588}', '\u{2584}', '\u{258c}', '\u{2590}', '\u{2580}',
    '\u{03b1}', '\u{00df}', '\u{0393}', '\u{03c0}', '\u{03a3}', '\u{03c3}', '\u{00b5}', '\u{03c4}',
    '\u{03a6}', '\u{0398}', '\u{03a9}', '\u{03b4}', '\u{221e}', '\u{03c6}', '\u{03b5}', '\u{2229}',
    '\u{2261}', '\u{00b1}', '\u{2265}', '\u{2264}', '\u{2320}', '\u{2321}', '\u{00f7}', '\u{2248}',
    '\u{00b0}', '\u{2219}', '\u{00b7}', '\u{221a}', '\u{207f}', '\u{00b2}', '\u{25a0}', '\u{00a0}',
];

/// Code page 437, as Python's `cp437` codec decodes it (every byte maps to one character).
fn cp437(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b.checked_sub(0x80) {
            None => char::from(b),
            Some(high) => CP437_HIGH
                .get(usize::from(high))
                .copied()
                .unwrap_or('\u{fffd}'),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp437_matches_python() {
        // bytes([0x61, 0x80, 0x9b, 0xe1, 0xff]).decode("cp437")
        assert_eq!(cp437(b"a\x80\x9b\xe1\xff"), "aÇ¢ß\u{a0}");
    }

    /// The backward search finds what `_EndRecData`'s one `rfind` over the final 64 KiB + 22
    /// finds: signatures at the end, across the seams of its steps, at the window's start,
    /// just before it, and none.
    #[test]
    fn the_backward_search_finds_the_last_signature_of_the_window() {
        let window = (1u64 << 16) + EOCD_LEN;
        for len in [3u64, 22, 100, 8 * 1024, 30_000, window, window + 5, 200_000] {
            let seams = [
                len.saturating_sub(EOCD_SEARCH_STEP),
                len.saturating_sub(2 * EOCD_SEARCH_STEP),
                len.saturating_sub(6 * EOCD_SEARCH_STEP),
            ];
            let mut places = vec![0, 1, len.saturating_sub(4), len.saturating_sub(window)];
            places.push(len.saturating_sub(window + 1));
            for seam in seams {
                places.extend([
                    seam.saturating_sub(3),
                    seam.saturating_sub(2),
                    seam.saturating_sub(1),
                    seam,
                ]);
            }
            for (&at, also_first) in places.iter().flat_map(|p| [(p, false), (p, true)]) {
                let mut data = vec![b'x'; len as usize];
                let from = len.saturating_sub(window);
                // Two signatures: the later one is the record.
                for at in [at].into_iter().chain(also_first.then_some(from)) {
                    if at + 4 <= len {
                        data[at as usize..at as usize + 4].copy_from_slice(EOCD_SIG);
                    }
                }
                let from = len.saturating_sub(window) as usize;
                let expected =
                    memchr::memmem::rfind(&data[from..], EOCD_SIG).map(|p| (from + p) as u64);
                let found = last_signature(&mut io::Cursor::new(&data), len).unwrap();
                assert_eq!(found, expected, "len {len}, signature at {at}");
            }
        }
    }

    #[test]
    fn junk_has_no_end_record() {
        for data in [&b""[..], b"PK\x05\x06", b"not a zip at all, just text"] {
            assert!(matches!(
                read_directory(&mut io::Cursor::new(data), 10),
                Err(ZipReadError::NoEndRecord)
            ));
        }
    }
}
