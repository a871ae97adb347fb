//! The one loading layer: wheels, their members and loose binaries into the neutral model
//! ([`Binary`]), streamed and bounded by [`Limits`], with every failure turned into the same
//! finding wherever it happens (`audit`, `host`, `check`).
//!
//! Loose files go through the same streaming sparse reader as wheel members: nothing is read
//! whole, and limits are checked against bytes actually read.

// Reads untrusted bytes (wheel members and loose binaries): the parser lints.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{Read, Seek, SeekFrom};
use std::ops::ControlFlow;
use std::path::Path;

use cargo_abi3_build_hook::declaration::{self, Declaration};
use cargo_abi3_build_hook::{Code, Severity};

use crate::binary::{self, Binary, ReadError};
use crate::finding::Finding;
use crate::wheel::{Limits, Member, Notice, WheelArchive, WheelError};

/// What a binary file (loose or a wheel member) holds: its images (one per fat slice) and
/// the build hook's declaration, if it embeds one.
#[derive(Debug)]
pub struct Loaded {
    pub binaries: Vec<Binary>,
    pub declared: Option<Declaration>,
    /// The file's (or member's inflated) size, as declared.
    pub size: u64,
}

/// Opens a wheel; a failure is the finding `audit` and `host` report for it.
pub fn open_wheel(path: &Path, limits: &Limits) -> Result<WheelArchive, Box<Finding>> {
    WheelArchive::open(path, limits)
        .map_err(|e| Box::new(wheel_error(&format!("`{}`", path.display()), &e)))
}

/// A run's read statistics travel with its [`Limits`] (`CARGO_ABI3_READ_STATS`).
pub use crate::wheel::limits::{ReadCounters, ReadStats};

/// Finds the build hook's declaration in a stream of bytes, chunk by chunk.
#[derive(Default)]
pub(crate) struct DeclarationScan {
    /// The end of the previous chunk: a record may straddle two chunks.
    tail: Vec<u8>,
    found: Option<Declaration>,
}

impl DeclarationScan {
    /// A record (magic included) is at most this long.
    const OVERLAP: usize = declaration::MAX_RECORD + declaration::MAGIC.len();

    pub(crate) fn feed(&mut self, chunk: &[u8]) {
        if self.found.is_some() {
            return;
        }
        let mut tail = std::mem::take(&mut self.tail);
        if !tail.is_empty() {
            // Records straddling the previous bytes and this chunk.
            let before = tail.len();
            let head = chunk
                .get(..Self::OVERLAP.min(chunk.len()))
                .unwrap_or_default();
            tail.extend_from_slice(head);
            if let Some(found) = declaration::find_in(&tail) {
                self.found = Some(found);
                return;
            }
            tail.truncate(before);
        }
        // A SIMD substring search for the magic; records are decoded only where it is.
        static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new(declaration::MAGIC));
        for at in FINDER.find_iter(chunk) {
            let window = chunk
                .get(at..at.saturating_add(Self::OVERLAP).min(chunk.len()))
                .unwrap_or_default();
            if let Some(found) = declaration::find_in(window) {
                self.found = Some(found);
                return;
            }
        }
        // Keep the last bytes of the stream (not just of this chunk, which may be short).
        if chunk.len() >= Self::OVERLAP {
            tail.clear();
            let keep = chunk.len() - Self::OVERLAP;
            tail.extend_from_slice(chunk.get(keep..).unwrap_or_default());
        } else {
            tail.extend_from_slice(chunk);
            let excess = tail.len().saturating_sub(Self::OVERLAP);
            tail.drain(..excess);
        }
        self.tail = tail;
    }

    pub(crate) fn finish(self) -> Option<Declaration> {
        self.found
    }
}

/// Reads the binaries of a member in one streaming pass (usually), holding only the byte
/// ranges the readers need (see [`binary::read_streamed`]). The build hook's declaration is
/// looked for in every byte streamed: it sits in a loaded, non-executable segment, before
/// the end of what the reader needs.
pub fn load_member(archive: &mut WheelArchive, member: &Member) -> Result<Loaded, Box<Finding>> {
    let what = format!("`{}` in `{}`", member.path, archive.path().display());
    let path = member.path.as_str();
    let limits = archive.limits().clone();
    load_streamed(&limits, path, member.size, &what, |sink| {
        archive
            .stream_member(path, sink)
            .map_err(|e| Box::new(wheel_error(&what, &e)))
    })
}

/// Reads a loose binary the way wheel members are read: streamed once from its start,
/// holding only what the readers need. The size is the file's at open time and every byte
/// counts against `limits.max_member_bytes`; files that are not regular, or whose size the
/// OS does not know (`/proc`), are refused with a message saying so.
pub fn load_file(path: &Path, limits: &Limits) -> Result<Loaded, Box<Finding>> {
    let mut file = LooseFile::open(path, limits)?;
    let what = file.what.clone();
    load_streamed(limits, &what, file.size, &what, |sink| file.stream(sink))
}

/// Streams all of a loose file through `sink` (a content hash of a DLL, say), under the
/// same checks and limits as [`load_file`]. Returns the file's size.
pub fn stream_file(
    path: &Path,
    limits: &Limits,
    sink: &mut dyn FnMut(&[u8]),
) -> Result<u64, Box<Finding>> {
    let mut file = LooseFile::open(path, limits)?;
    file.stream(&mut |chunk| {
        sink(chunk);
        ControlFlow::Continue(())
    })?;
    Ok(file.size)
}

/// A regular file opened for streaming: its size at open time bounds what is read.
struct LooseFile {
    what: String,
    file: std::fs::File,
    size: u64,
}

impl LooseFile {
    fn open(path: &Path, limits: &Limits) -> Result<LooseFile, Box<Finding>> {
        let what = format!("`{}`", path.display());
        let cannot_read = |why: String| {
            Box::new(
                Finding::new(Code::UnreadableInput, format!("cannot read {what}: {why}"))
                    .help("check the path: cargo-abi3 reads wheels and shared-object files"),
            )
        };
        let size = crate::inputs::regular_file(path)
            .map_err(cannot_read)?
            .len();
        if size > limits.max_member_bytes {
            return Err(Box::new(
                Finding::new(
                    Code::InputLimitExceeded,
                    format!(
                        "cannot audit {what}: it is {size} bytes, above the limit of {}",
                        limits.max_member_bytes
                    ),
                )
                .help("if the file is trusted, raise the limit with `--max-member-size MIB`"),
            ));
        }
        let mut file = std::fs::File::open(path).map_err(|e| cannot_read(e.to_string()))?;
        if size == 0 {
            // `/proc` files report 0 and then yield data (some only in 8-byte reads).
            let mut probe = [0u8; 4096];
            if !matches!(file.read(&mut probe), Ok(0)) {
                return Err(cannot_read(
                    "the OS reports its size as 0 but it is not an empty file (a /proc or \
                     other virtual file?)"
                        .into(),
                ));
            }
        }
        Ok(LooseFile { what, file, size })
    }

    /// Streams the file from its start, at most its size at open time.
    fn stream(
        &mut self,
        sink: &mut dyn FnMut(&[u8]) -> ControlFlow<()>,
    ) -> Result<(), Box<Finding>> {
        let what = &self.what;
        let io = |e: std::io::Error| {
            Box::new(
                Finding::new(Code::UnreadableInput, format!("cannot read {what}: {e}"))
                    .help("check that the file is readable and not being rewritten"),
            )
        };
        self.file.seek(SeekFrom::Start(0)).map_err(io)?;
        let mut left = self.size;
        let file = &mut self.file;
        crate::wheel::archive::with_read_buffer(|buf| {
            while left > 0 {
                let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
                let n = match file.read(buf.get_mut(..want).unwrap_or_default()) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(io(e)),
                };
                left -= n as u64;
                if sink(buf.get(..n).unwrap_or_default()).is_break() {
                    break;
                }
            }
            Ok(())
        })
    }
}

/// One streamed read: `pass` streams the file from its start (possibly several times).
fn load_streamed(
    limits: &Limits,
    name: &str,
    size: u64,
    what: &str,
    pass: impl FnMut(&mut dyn FnMut(&[u8]) -> ControlFlow<()>) -> Result<(), Box<Finding>>,
) -> Result<Loaded, Box<Finding>> {
    let mut scan = DeclarationScan::default();
    let (result, stats) = binary::read_streamed(size, pass, &mut |chunk| scan.feed(chunk))?;
    if let Some(counters) = &limits.read_stats.0 {
        counters.record(
            size,
            stats.streamed,
            stats.held,
            u64::from(stats.passes.saturating_sub(1)),
            u64::from(stats.fallback),
        );
        if counters.per_member {
            eprintln!("{name}\t{size}\t{stats:?}");
        }
    }
    match result {
        Ok(binaries) => Ok(Loaded {
            binaries,
            declared: scan.finish(),
            size,
        }),
        Err(e) => Err(Box::new(unreadable(what, &e))),
    }
}

/// `what` is already quoted: "`x.so`" or "`pkg/x.so` in `w.whl`".
pub(crate) fn unreadable(what: &str, error: &ReadError) -> Finding {
    Finding::new(
        Code::UnreadableInput,
        format!("cannot analyse {what}: {error}"),
    )
    .help("check that the file is a complete ELF, Mach-O or PE shared object")
}

/// A wheel (or member: `what` is then "`member` in `wheel`") that could not be read. Limits
/// name the command-line flag that raises them.
pub(crate) fn wheel_error(what: &str, error: &WheelError) -> Finding {
    match error {
        WheelError::LimitExceeded {
            what: item,
            limit,
            actual,
            setting,
        } => Finding::new(
            Code::InputLimitExceeded,
            format!(
                "cannot audit {what}: {item} is {actual}, above the limit of {limit}; \
                 the wheel may be hostile (zip bomb) or corrupt"
            ),
        )
        .help(format!(
            "if the wheel is trusted, raise the limit with {}",
            setting.flag()
        )),
        other => {
            let finding = Finding::new(
                Code::UnreadableInput,
                format!("cannot audit {what}: {other}"),
            );
            match other {
                WheelError::CorruptMember { .. } | WheelError::NoSuchMember { .. } => finding
                    .help("the wheel is damaged or truncated: rebuild it or download it again"),
                WheelError::Io { .. } => finding.help("check that the file exists and is readable"),
                _ => finding,
            }
        }
    }
}

/// `finding` under another code (its severity kept).
fn recode(mut finding: Finding, code: Code) -> Finding {
    finding.code = code;
    finding
}

/// Archive problems that did not stop the audit. Members the reader refused to read mean
/// part of the wheel went unchecked: those are analysis failures.
pub(crate) fn notice_finding(path: &str, notice: &Notice) -> Finding {
    let finding = Finding::new(Code::UnreadableInput, format!("{path}: {notice}"));
    match notice {
        Notice::UnsafePath { .. } => {
            finding.help("rebuild the wheel with relative member paths without `..`")
        }
        Notice::Encrypted { .. } => finding.help("rebuild the wheel without encryption"),
        Notice::UnreadableMetadata { limit: true, .. } => recode(finding, Code::InputLimitExceeded)
            .help("raise --max-metadata-size if the wheel is trusted"),
        Notice::UnreadableMetadata { .. } => {
            finding.help("rebuild the wheel; its WHEEL and METADATA files must be readable text")
        }
        Notice::Symlink { .. } => recode(finding, Code::AmbiguousArchive)
            .with_severity(Severity::Warning)
            .help("store the file itself in the wheel, not a link to it"),
        Notice::EntryCountMismatch { .. }
        | Notice::UnicodePathName { .. }
        | Notice::NameCutAtNul { .. }
        | Notice::Overlapping { .. } => recode(finding, Code::AmbiguousArchive)
            .with_severity(Code::AmbiguousArchive.default_severity())
            .help("rebuild the wheel with a standard tool; never patch its zip structure by hand"),
        _ => finding.with_severity(Severity::Warning),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cargo_abi3_build_hook::{AbiKind, PyVersion};

    /// The streaming scan finds what a scan of the whole member finds, wherever the record
    /// falls relative to chunk boundaries.
    #[test]
    fn declaration_scan_across_chunks() {
        let mut decl = Declaration::new(AbiKind::Abi3, Some(PyVersion::new(3, 9)));
        decl.module = Some("demo".into());
        decl.tool = Some("cargo-abi3-build-hook-0.1.0".into());
        let record = decl.encode().expect("encode");
        let noise: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
        for at in [0, 1, 100, 999, 1000, 1001, 2000 - record.len() / 2, 4000] {
            let mut data = noise.clone();
            data.splice(at..at, record.iter().copied());
            // A broken record before the real one is skipped, as in a whole-file scan.
            data.splice(0..0, declaration::MAGIC.iter().copied());
            let whole = declaration::find_in(&data);
            assert_eq!(whole.as_ref(), Some(&decl));
            for chunk in [1, 7, 64, 1000, 4096, 1 << 20] {
                let mut scan = DeclarationScan::default();
                for piece in data.chunks(chunk) {
                    scan.feed(piece);
                }
                assert_eq!(scan.finish(), whole, "record at {at}, chunks of {chunk}");
            }
        }
        let mut scan = DeclarationScan::default();
        scan.feed(&noise);
        assert_eq!(scan.finish(), None);
    }
}
