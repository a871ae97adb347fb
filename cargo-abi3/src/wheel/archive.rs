//! A wheel opened through its zip central directory: the member list, the `.dist-info`
//! metadata, and bounded streaming reads of single members. Nothing is extracted to disk.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, ErrorKind, Read, Seek};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use super::error::{Notice, WheelError};
use super::limits::{Limits, MIB, Setting};
use super::metadata::{CoreMetadata, WheelFile, WheelMetadata};
use super::name::{WheelName, WheelNameError};
use super::suffix::ExtensionFileName;
use super::zip::{self, Entry, MemberReadError, ZipReadError};

/// Where a wheel's bytes come from: a file, or anything else that reads and seeks.
pub trait Source: Read + Seek + Send + std::fmt::Debug {}
impl<T: Read + Seek + Send + std::fmt::Debug> Source for T {}

/// One file in the wheel, as pip installs it (directories, encrypted and unsafe entries are
/// not members; an entry with symlink mode bits is, since pip writes it as a regular file).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Member {
    /// The path inside the wheel, `/`-separated, as stored.
    pub path: String,
    /// Inflated size, as declared by the central directory.
    pub size: u64,
    pub compressed_size: u64,
    /// Installed into purelib: under `*.data/purelib/`, or at the root of a
    /// `Root-Is-Purelib: true` wheel.
    pub in_purelib: bool,
    /// The parsed file name (suffix kind and module name).
    pub file_name: ExtensionFileName,
}

/// Bytes read from a member by [`WheelArchive::read_member`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberData {
    pub bytes: Vec<u8>,
    /// Whether `bytes` is the whole member (otherwise a prefix).
    pub complete: bool,
}

/// An open wheel.
#[derive(Debug)]
pub struct WheelArchive {
    path: PathBuf,
    source: Box<dyn Source>,
    /// The central directory's entries, in order.
    entries: Vec<Entry>,
    limits: Limits,
    name: Result<WheelName, WheelNameError>,
    members: Vec<Member>,
    index: HashMap<String, usize>,
    unsafe_paths: HashSet<String>,
    notices: Vec<Notice>,
    metadata: WheelMetadata,
    inflated_total: u64,
}

const READ_CHUNK: usize = 64 * 1024;
const NESTED_ARCHIVE_SUFFIXES: &[&str] = &[
    ".whl", ".zip", ".egg", ".jar", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz",
];

impl WheelArchive {
    /// Reads the central directory of the wheel at `path` and its `.dist-info` `WHEEL` and
    /// `METADATA` files, within `limits`.
    pub fn open(path: &Path, limits: &Limits) -> Result<WheelArchive, WheelError> {
        let file = File::open(path).map_err(|source| WheelError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_source(path, Box::new(BufReader::new(file)), limits)
    }

    /// [`WheelArchive::open`] over any [`Source`]; `path` names the wheel in messages and
    /// gives its file name.
    pub fn from_source(
        path: &Path,
        mut source: Box<dyn Source>,
        limits: &Limits,
    ) -> Result<WheelArchive, WheelError> {
        let directory =
            zip::read_directory(&mut source, limits.max_members).map_err(|e| match e {
                ZipReadError::Io(source) if source.kind() != ErrorKind::UnexpectedEof => {
                    WheelError::Io {
                        path: path.to_owned(),
                        source,
                    }
                }
                ZipReadError::TooManyEntries { count } => WheelError::LimitExceeded {
                    what: "the number of zip entries".into(),
                    limit: limits.max_members,
                    actual: count,
                    setting: Setting::MaxMembers,
                },
                other => WheelError::NotAZip {
                    path: path.to_owned(),
                    reason: other.to_string(),
                },
            })?;
        let mut seen = HashSet::new();
        let distinct = directory
            .entries
            .iter()
            .filter(|e| seen.insert(e.name.as_str()))
            .count();
        if distinct != directory.entries.len() {
            return Err(WheelError::DuplicateName { distinct });
        }

        let mut archive = WheelArchive {
            path: path.to_owned(),
            name: WheelName::parse(&path.file_name().unwrap_or_default().to_string_lossy()),
            source,
            entries: Vec::new(),
            limits: limits.clone(),
            members: Vec::new(),
            index: HashMap::new(),
            unsafe_paths: HashSet::new(),
            notices: Vec::new(),
            metadata: WheelMetadata::default(),
            inflated_total: 0,
        };
        if directory.declared_entries != directory.entries.len() as u64 {
            archive.notices.push(Notice::EntryCountMismatch {
                declared: directory.declared_entries,
                listed: directory.entries.len() as u64,
            });
        }
        archive.entries = directory.entries;
        archive.list_members()?;
        archive.read_metadata()?;
        let root_is_purelib = archive.metadata.root_is_purelib();
        for m in &mut archive.members {
            m.in_purelib = in_purelib(&m.path, root_is_purelib);
        }
        Ok(archive)
    }

    fn list_members(&mut self) -> Result<(), WheelError> {
        let mut declared_total: u64 = 0;
        for (i, entry) in self.entries.iter().enumerate() {
            let name = entry.name.clone();
            if is_unsafe_path(&name) || entry.name_before_312.as_deref().is_some_and(is_unsafe_path)
            {
                self.notices.push(Notice::UnsafePath { name: name.clone() });
                self.unsafe_paths.insert(name);
                continue;
            }
            if let Some(before) = &entry.name_before_312 {
                self.notices.push(Notice::UnicodePathName {
                    name: name.clone(),
                    before_312: before.clone(),
                });
            }
            if entry.name_was_cut() {
                self.notices.push(Notice::NameCutAtNul {
                    name: name.clone(),
                    stored: entry.orig_name.replace('\0', "\\0"),
                });
            }
            if entry.is_dir() {
                continue;
            }
            if entry.is_encrypted() {
                self.notices.push(Notice::Encrypted { name });
                continue;
            }
            if entry.has_symlink_mode() {
                self.notices.push(Notice::Symlink { name: name.clone() });
            }
            if zip::data_start_hint(entry).saturating_add(entry.compressed_size) > entry.end_offset
            {
                self.notices
                    .push(Notice::Overlapping { name: name.clone() });
            }
            let lower = name.to_ascii_lowercase();
            if NESTED_ARCHIVE_SUFFIXES.iter().any(|s| lower.ends_with(s)) {
                self.notices
                    .push(Notice::NestedArchive { name: name.clone() });
            }
            declared_total = declared_total.saturating_add(entry.size);
            self.index.insert(name.clone(), i);
            let mut file_name = ExtensionFileName::parse(&name);
            if !file_name.is_shared_object()
                && let Some(before) = &entry.name_before_312
            {
                // Older Pythons install it under this name: audit it if either is a binary's.
                let older = ExtensionFileName::parse(before);
                if older.is_shared_object() {
                    file_name = older;
                }
            }
            self.members.push(Member {
                file_name,
                path: name,
                size: entry.size,
                compressed_size: entry.compressed_size,
                in_purelib: false,
            });
        }
        if declared_total > self.limits.max_total_bytes {
            return Err(WheelError::LimitExceeded {
                what: "the declared inflated size of all members".into(),
                limit: self.limits.max_total_bytes,
                actual: declared_total,
                setting: Setting::MaxTotalBytes,
            });
        }
        Ok(())
    }

    fn read_metadata(&mut self) -> Result<(), WheelError> {
        let found: BTreeSet<String> = self
            .members
            .iter()
            .filter_map(|m| metadata_dir(&m.path).map(str::to_owned))
            .collect();
        let wanted = self.name.as_ref().ok().map(|n| normalize(&n.distribution));
        let chosen = found
            .iter()
            .find(|d| {
                let dist = d.split('-').next().unwrap_or_default();
                wanted.as_deref() == Some(normalize(dist).as_str())
            })
            .or_else(|| found.iter().next())
            .cloned();
        let Some(dist_info) = chosen else {
            self.notices.push(Notice::MissingWheelFile);
            self.notices.push(Notice::MissingMetadataFile);
            return Ok(());
        };
        if found.len() > 1 {
            self.notices.push(Notice::SeveralDistInfo {
                found: found.iter().cloned().collect(),
                used: dist_info.clone(),
            });
        }
        let (wheel_path, core_path) = (
            format!("{dist_info}/WHEEL"),
            format!("{dist_info}/METADATA"),
        );
        let wheel = self.read_metadata_file_or_notice(&wheel_path);
        let core = self.read_metadata_file_or_notice(&core_path);
        // A present-but-unreadable file is reported by its own notice, not as missing.
        if wheel.is_none() && self.member(&wheel_path).is_none() {
            self.notices.push(Notice::MissingWheelFile);
        }
        if core.is_none() && self.member(&core_path).is_none() {
            self.notices.push(Notice::MissingMetadataFile);
        }
        self.metadata = WheelMetadata {
            dist_info: Some(dist_info),
            wheel: wheel.as_deref().map(WheelFile::parse),
            core: core.as_deref().map(CoreMetadata::parse),
        };
        Ok(())
    }

    /// A metadata file as text, `None` when absent.
    /// A metadata file that cannot be read must not hide the wheel's binaries: it becomes a
    /// notice, and the file counts as absent.
    fn read_metadata_file_or_notice(&mut self, path: &str) -> Option<String> {
        match self.read_metadata_file(path) {
            Ok(text) => text,
            Err(e) => {
                self.notices.push(Notice::UnreadableMetadata {
                    path: path.to_owned(),
                    limit: matches!(e, WheelError::LimitExceeded { .. }),
                    reason: e.to_string(),
                });
                None
            }
        }
    }

    fn read_metadata_file(&mut self, path: &str) -> Result<Option<String>, WheelError> {
        let Some(declared) = self.member(path).map(|m| m.size) else {
            return Ok(None);
        };
        let limit = self.limits.max_metadata_bytes;
        // Only the headers are read (`metadata::headers` stops at the first blank line): the
        // stream stops after that line, so a long description is neither inflated nor, for a
        // remote wheel, fetched. The limit applies to the bytes kept.
        let mut out: Vec<u8> = Vec::new();
        let mut line_start = 0usize;
        let mut headers_end = None;
        let mut over = false;
        self.stream_member(path, &mut |chunk| {
            let room = limit.saturating_sub(out.len() as u64);
            let take = usize::try_from((chunk.len() as u64).min(room)).unwrap_or(chunk.len());
            out.extend_from_slice(chunk.get(..take).unwrap_or_default());
            while let Some(nl) = out
                .get(line_start..)
                .and_then(|rest| memchr::memchr(b'\n', rest))
            {
                let end = line_start + nl;
                let line = out.get(line_start..end).unwrap_or_default();
                line_start = end + 1;
                if String::from_utf8_lossy(line).trim().is_empty() {
                    headers_end = Some(line_start);
                    return ControlFlow::Break(());
                }
            }
            if chunk.len() > take {
                over = true;
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        })?;
        match headers_end {
            Some(end) => out.truncate(end),
            None if over => {
                return Err(WheelError::LimitExceeded {
                    what: format!("the size of `{path}`"),
                    limit,
                    actual: declared.max(limit.saturating_add(1)),
                    setting: Setting::MaxMetadataBytes,
                });
            }
            None => {}
        }
        Ok(Some(String::from_utf8_lossy(&out).into_owned()))
    }

    /// The file read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The parsed file name (an error when the file is not named like a wheel).
    pub fn name(&self) -> Result<&WheelName, &WheelNameError> {
        self.name.as_ref()
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn metadata(&self) -> &WheelMetadata {
        &self.metadata
    }

    /// Every file member, in central-directory order.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    pub fn member(&self, path: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.path == path)
    }

    /// Every shared object by name: extension modules and vendored libraries.
    pub fn shared_objects(&self) -> Vec<Member> {
        self.members
            .iter()
            .filter(|m| m.file_name.is_shared_object())
            .cloned()
            .collect()
    }

    /// Executables installed as scripts (`{name}.data/scripts/X`) that are binaries, not
    /// Python or shell scripts: ELF, Mach-O (thin or fat) or PE, told by their first bytes.
    /// A maturin `bindings = "bin"` wheel ships its program this way, and the platform tag
    /// promises it runs too (glibc versions, allowed libraries, architecture).
    pub fn script_binaries(&mut self) -> Vec<Member> {
        let candidates: Vec<Member> = self
            .members
            .iter()
            .filter(|m| !m.file_name.is_shared_object())
            .filter(|m| is_script_path(&m.path))
            .cloned()
            .collect();
        candidates
            .into_iter()
            .filter(|m| {
                self.read_member(&m.path, Some(4))
                    .is_ok_and(|data| is_binary_magic(&data.bytes))
            })
            .collect()
    }

    /// Things skipped or odd about the wheel (unsafe paths, symlinks, nested archives, …).
    pub fn notices(&self) -> &[Notice] {
        &self.notices
    }

    /// Inflates member `path`: the first `max_bytes` bytes, or all of it with `None`. Streams
    /// in chunks and enforces the member size, compression-ratio and total limits on the bytes
    /// actually inflated (central-directory sizes can lie).
    pub fn read_member(
        &mut self,
        path: &str,
        max_bytes: Option<u64>,
    ) -> Result<MemberData, WheelError> {
        let want = max_bytes.unwrap_or(u64::MAX);
        let declared = self.member(path).map_or(0, |m| m.size);
        if want > self.limits.max_member_bytes && declared > self.limits.max_member_bytes {
            return Err(member_too_big(path, declared, &self.limits));
        }
        let initial = declared.min(want).min(16 * MIB);
        let mut out = Vec::with_capacity(usize::try_from(initial).unwrap_or(0));
        let mut complete = true;
        self.stream_member(path, &mut |chunk| {
            let room = want.saturating_sub(out.len() as u64);
            let take = usize::try_from((chunk.len() as u64).min(room)).unwrap_or(chunk.len());
            out.extend_from_slice(chunk.get(..take).unwrap_or_default());
            if chunk.len() as u64 > room {
                complete = false;
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })?;
        Ok(MemberData {
            bytes: out,
            complete,
        })
    }

    /// Inflates member `path` from its start, handing `sink` consecutive chunks until it
    /// returns `Break` or the member ends. Nothing is kept here; the member size,
    /// compression-ratio and total limits are enforced on the bytes actually inflated
    /// (central-directory sizes can lie). May be called again to stream the member again
    /// (the bytes count again towards the total).
    pub fn stream_member(
        &mut self,
        path: &str,
        sink: &mut dyn FnMut(&[u8]) -> ControlFlow<()>,
    ) -> Result<(), WheelError> {
        if self.unsafe_paths.contains(path) {
            return Err(WheelError::UnsafePath {
                name: path.to_owned(),
            });
        }
        let (declared, compressed) = self
            .member(path)
            .map(|m| (m.size, m.compressed_size))
            .ok_or_else(|| WheelError::NoSuchMember {
                path: path.to_owned(),
            })?;
        let limits = &self.limits;
        check_ratio(path, declared, compressed, limits)?;
        let entry = self
            .index
            .get(path)
            .and_then(|&i| self.entries.get(i))
            .ok_or_else(|| WheelError::NoSuchMember {
                path: path.to_owned(),
            })?;
        let corrupt = |reason: String| WheelError::CorruptMember {
            path: path.to_owned(),
            reason,
        };
        zip::seek_to_data(&mut self.source, entry).map_err(|e| match e {
            MemberReadError::Io(e) => corrupt(e.to_string()),
            other => corrupt(other.to_string()),
        })?;
        let deflate = match entry.method {
            0 => false,
            8 => true,
            method => {
                return Err(WheelError::UnsupportedCompression {
                    path: path.to_owned(),
                    method: compression_name(method),
                });
            }
        };
        let mut raw = (&mut self.source).take(entry.compressed_size);
        let inflated_total = &mut self.inflated_total;
        let mut inflated: u64 = 0;
        let mut on_chunk = |chunk: &[u8]| -> Result<ControlFlow<()>, WheelError> {
            let n64 = chunk.len() as u64;
            inflated = inflated.saturating_add(n64);
            *inflated_total = inflated_total.saturating_add(n64);
            if inflated > declared {
                return Err(corrupt(format!(
                    "it inflates to more than the {declared} bytes declared in the central \
                     directory"
                )));
            }
            check_ratio(path, inflated, compressed, limits)?;
            if *inflated_total > limits.max_total_bytes {
                return Err(WheelError::LimitExceeded {
                    what: "the inflated size of all members read".into(),
                    limit: limits.max_total_bytes,
                    actual: *inflated_total,
                    setting: Setting::MaxTotalBytes,
                });
            }
            if inflated > limits.max_member_bytes {
                return Err(member_too_big(path, inflated, limits));
            }
            Ok(sink(chunk))
        };
        with_scratch(|scratch| scratch.stream(&mut raw, deflate, &mut on_chunk, &corrupt))
    }
}

/// Takes each inflated chunk; `Break` stops the stream, an error (a limit) ends it.
type ChunkSink<'a> = dyn FnMut(&[u8]) -> Result<ControlFlow<()>, WheelError> + 'a;

/// Buffers and inflate state for streaming members, kept per thread and reused from member
/// to member and wheel to wheel: allocating them anew for every member left the allocator's
/// heap fragmented by the small, long-lived report data placed between them (about 45 KB of
/// resident memory per wheel audited).
struct Scratch {
    input: Vec<u8>,
    output: Vec<u8>,
    inflate: flate2::Decompress,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Option<Scratch>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with this thread's 64 KiB read buffer (the one members are streamed through),
/// so loose files are read without a fresh allocation each.
pub(crate) fn with_read_buffer<T>(f: impl FnOnce(&mut [u8]) -> T) -> T {
    with_scratch(|scratch| f(&mut scratch.output))
}

fn with_scratch<T>(f: impl FnOnce(&mut Scratch) -> T) -> T {
    let mut scratch = SCRATCH
        .with(|s| s.borrow_mut().take())
        .unwrap_or_else(|| Scratch {
            input: vec![0u8; READ_CHUNK],
            output: vec![0u8; READ_CHUNK],
            inflate: flate2::Decompress::new(false),
        });
    let out = f(&mut scratch);
    SCRATCH.with(|s| *s.borrow_mut() = Some(scratch));
    out
}

impl Scratch {
    /// Streams `raw` (stored, or raw deflate) through `on_chunk` until it breaks or the data
    /// ends.
    fn stream(
        &mut self,
        raw: &mut dyn Read,
        deflate: bool,
        on_chunk: &mut ChunkSink<'_>,
        corrupt: &dyn Fn(String) -> WheelError,
    ) -> Result<(), WheelError> {
        let io = |e: std::io::Error| corrupt(e.to_string());
        if !deflate {
            loop {
                let n = read_some(raw, &mut self.output).map_err(io)?;
                if n == 0 {
                    return Ok(());
                }
                if on_chunk(self.output.get(..n).unwrap_or_default())?.is_break() {
                    return Ok(());
                }
            }
        }
        self.inflate.reset(false);
        let (mut pos, mut len, mut eof) = (0usize, 0usize, false);
        loop {
            if pos == len && !eof {
                len = read_some(raw, &mut self.input).map_err(io)?;
                pos = 0;
                eof = len == 0;
            }
            let (in_before, out_before) = (self.inflate.total_in(), self.inflate.total_out());
            let flush = if eof {
                flate2::FlushDecompress::Finish
            } else {
                flate2::FlushDecompress::None
            };
            let status = self
                .inflate
                .decompress(
                    self.input.get(pos..len).unwrap_or_default(),
                    &mut self.output,
                    flush,
                )
                .map_err(|e| corrupt(format!("invalid deflate data: {e}")))?;
            let consumed =
                usize::try_from(self.inflate.total_in() - in_before).unwrap_or(usize::MAX);
            pos = pos.saturating_add(consumed).min(len);
            let produced =
                usize::try_from(self.inflate.total_out() - out_before).unwrap_or(usize::MAX);
            if produced > 0 {
                if on_chunk(self.output.get(..produced).unwrap_or_default())?.is_break() {
                    return Ok(());
                }
                continue;
            }
            if status == flate2::Status::StreamEnd {
                return Ok(());
            }
            if eof {
                return Err(corrupt(
                    "its deflate stream ends before its end marker (truncated)".into(),
                ));
            }
            if consumed == 0 && pos < len {
                // No progress with input at hand: never spin.
                return Err(corrupt("invalid deflate data: no progress".into()));
            }
        }
    }
}

/// One `read` into `buf`, retried on interruption.
fn read_some(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

fn member_too_big(path: &str, actual: u64, limits: &Limits) -> WheelError {
    WheelError::LimitExceeded {
        what: format!("the inflated size of `{path}`"),
        limit: limits.max_member_bytes,
        actual,
        setting: Setting::MaxMemberBytes,
    }
}

/// Members over `compression_ratio_min_bytes` must not inflate more than
/// `max_compression_ratio` times their compressed size.
fn check_ratio(
    path: &str,
    inflated: u64,
    compressed: u64,
    limits: &Limits,
) -> Result<(), WheelError> {
    if inflated > limits.compression_ratio_min_bytes
        && inflated > compressed.saturating_mul(limits.max_compression_ratio)
    {
        return Err(WheelError::LimitExceeded {
            what: format!("the compression ratio of `{path}` (inflated:compressed)"),
            limit: limits.max_compression_ratio,
            actual: inflated / compressed.max(1),
            setting: Setting::MaxCompressionRatio,
        });
    }
    Ok(())
}

/// How Python's `zipfile` names a compression method it can (bzip2, LZMA) or cannot read.
fn compression_name(method: u16) -> String {
    match method {
        12 => "bzip2 compression (method 12; pip can install it)".into(),
        14 => "LZMA compression (method 14; pip can install it)".into(),
        93 => "Zstandard compression (method 93; Python 3.14's zipfile reads it)".into(),
        other => format!("zip compression method {other} (Python's zipfile cannot read it either)"),
    }
}

/// Absolute (`/x`, `\x`, `C:x`), NUL-containing or `..`-containing member names.
fn is_unsafe_path(name: &str) -> bool {
    name.starts_with(['/', '\\'])
        || name.get(1..2) == Some(":")
        || name.contains('\0')
        || name.split(['/', '\\']).any(|c| c == "..")
}

/// `pkg-1.0.data/purelib/...`, or anything outside `*.data/` when the root is purelib.
fn in_purelib(path: &str, root_is_purelib: bool) -> bool {
    let mut parts = path.splitn(3, '/');
    let first = parts.next().unwrap_or_default();
    if first.ends_with(".data") {
        return parts.next() == Some("purelib") && parts.next().is_some_and(|r| !r.is_empty());
    }
    root_is_purelib
}

/// PEP 503-ish normalization for matching a `.dist-info` to the file name's distribution.
fn normalize(name: &str) -> String {
    name.to_ascii_lowercase().replace(['-', '.'], "_")
}

/// ELF, Mach-O (32/64-bit, either byte order, fat) or PE (`MZ`) magic.
fn is_binary_magic(bytes: &[u8]) -> bool {
    matches!(
        bytes,
        [0x7f, b'E', b'L', b'F', ..]
            | [0xfe, 0xed, 0xfa, 0xce | 0xcf, ..]
            | [0xce | 0xcf, 0xfa, 0xed, 0xfe, ..]
            | [0xca, 0xfe, 0xba, 0xbe, ..]
            | [b'M', b'Z', ..]
    )
}

/// The `.dist-info` directory of `path` when it is a `WHEEL` or `METADATA` file at the top of
/// one: what the audit reads of every wheel besides its binaries.
pub(crate) fn metadata_dir(path: &str) -> Option<&str> {
    let (dir, file) = path.split_once('/')?;
    (dir.ends_with(".dist-info") && matches!(file, "WHEEL" | "METADATA")).then_some(dir)
}

/// Whether `path` is a file installed as a script: `{name}.data/scripts/X`, directly in the
/// `.data` directory at the wheel's top level. Every such file's first bytes are read, to
/// tell binaries from scripts ([`WheelArchive::script_binaries`]).
pub(crate) fn is_script_path(path: &str) -> bool {
    path.split_once(".data/scripts/")
        .is_some_and(|(data, name)| !data.contains('/') && !name.is_empty() && !name.contains('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_paths() {
        for bad in [
            "/etc/passwd",
            "\\x",
            "C:/x",
            "a/../../b",
            "..",
            "a\\..\\b",
            "a\0b",
        ] {
            assert!(is_unsafe_path(bad), "{bad}");
        }
        for ok in ["a/b.so", "a..b/c", "pkg.libs/libfoo.so.1", "é"] {
            assert!(!is_unsafe_path(ok), "{ok}");
        }
    }

    #[test]
    fn purelib_locations() {
        assert!(in_purelib("pkg-1.0.data/purelib/pkg/_x.so", false));
        assert!(!in_purelib("pkg-1.0.data/platlib/pkg/_x.so", true));
        assert!(!in_purelib("pkg-1.0.data/scripts/x", true));
        assert!(in_purelib("pkg/_x.so", true));
        assert!(!in_purelib("pkg/_x.so", false));
    }
}
