//! Binary readers: ELF, Mach-O (thin and fat) and PE, each producing the neutral [`Binary`]
//! model. Built on the `object` crate; nothing here panics on hostile input.
//!
//! The readers work on a [`View`] of a file of which only some byte ranges may be held
//! ([`Sparse`]); a read of bytes not held fails and is recorded as a miss. Two entry points:
//!
//! - [`read_streamed`] for wheel members, which can only be inflated from their start: one
//!   streaming pass keeps what [`plan`] picks from the headers (ELF: `PT_DYNAMIC` and the
//!   dynamic-linking tables; Mach-O: load commands and `__LINKEDIT` tables; PE: the sections
//!   holding the import/export directories) plus whatever the reader then misses, and stops
//!   once the reader has answered. Unforeseen layouts cost extra passes, then a full read.
//! - [`read_prefix`] / [`read`] for bytes in memory: given only the first bytes of a file,
//!   the reader says with [`ReadError::NeedMore`] how many it needs.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod elf;
mod export_trie;
mod macho;
mod model;
mod pe;
mod sparse;

pub use model::*;
pub use sparse::{
    MAX_HELD, MAX_PASSES, Plan, Ranges, Sparse, Stats, StreamOptions, View, plan, read_streamed,
    read_streamed_with, stream_progress,
};

/// Why a file could not be read as a binary.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("not an ELF, Mach-O or PE file")]
    UnknownFormat,
    #[error("malformed {format} file: {reason}")]
    Malformed {
        format: &'static str,
        reason: String,
    },
    /// The file's headers ask the reader to hold or produce more than it allows (tables,
    /// counts or names beyond what real binaries need): refused rather than read in part.
    #[error("{format} file exceeds a reader limit: {reason}")]
    Limit {
        format: &'static str,
        reason: String,
    },
    /// The data given is a prefix of the file and the reader needs at least `len` bytes.
    /// Only returned when the caller said the data is not complete.
    #[error("need at least {len} bytes of the file")]
    NeedMore { len: u64 },
}

impl ReadError {
    pub(crate) fn malformed(format: Format, reason: impl Into<String>) -> Self {
        ReadError::Malformed {
            format: format.name(),
            reason: reason.into(),
        }
    }

    pub(crate) fn limit(format: Format, reason: impl Into<String>) -> Self {
        ReadError::Limit {
            format: format.name(),
            reason: reason.into(),
        }
    }

    /// `Ok` when `data` holds at least `len` bytes; otherwise `NeedMore` for a prefix, or
    /// `Malformed` for a complete file that is too short for `what`.
    pub(crate) fn need(
        format: Format,
        data: View<'_>,
        complete: bool,
        len: u64,
        what: &str,
    ) -> Result<(), ReadError> {
        if data.len() >= len {
            Ok(())
        } else if complete {
            Err(ReadError::malformed(
                format,
                format!("{what} needs {len} bytes but the file has {}", data.len()),
            ))
        } else {
            Err(ReadError::NeedMore { len })
        }
    }
}

/// Bytes of strings (symbol, library and version names) the readers copy out of one file
/// into its [`Binary`] models, at most. Many symbols can name the same long string, and
/// every import carries its library's and version's names: without a bound, the copies of
/// a small file could multiply past any memory. Real modules need a few MiB at most.
pub const MAX_STRING_BYTES: u64 = 32 << 20;

thread_local! {
    /// What is left of [`MAX_STRING_BYTES`] for the file being read on this thread.
    static STRINGS_LEFT: std::cell::Cell<u64> = const { std::cell::Cell::new(MAX_STRING_BYTES) };
}

/// Charges `len` bytes of copied strings to the file being read.
pub(crate) fn charge_strings(format: Format, len: usize) -> Result<(), ReadError> {
    STRINGS_LEFT.with(|left| match left.get().checked_sub(len as u64) {
        Some(rest) => {
            left.set(rest);
            Ok(())
        }
        None => Err(ReadError::limit(
            format,
            format!(
                "its symbol, library and version names add up to more than {} MiB, the limit",
                MAX_STRING_BYTES >> 20
            ),
        )),
    })
}

/// `bytes` as an owned string (invalid UTF-8 replaced), charged to the file's budget.
pub(crate) fn owned(format: Format, bytes: &[u8]) -> Result<String, ReadError> {
    charge_strings(format, bytes.len())?;
    Ok(lossy(bytes))
}

/// Reads every image in `data`, the whole file: one for ELF/PE/thin Mach-O, one per slice
/// for a fat Mach-O.
pub fn read(data: &[u8]) -> Result<Vec<Binary>, ReadError> {
    read_prefix(data, true)
}

/// Reads every image in `data`, which is the first bytes of a file, or the whole file when
/// `complete` is true.
///
/// When `complete` is false and the reader needs more of the file it returns
/// [`ReadError::NeedMore`] with the length it needs at least; the caller supplies a longer
/// prefix (or the complete file) and retries. With `complete` true, `NeedMore` is never
/// returned: a file too short for what its headers promise is [`ReadError::Malformed`].
pub fn read_prefix(data: &[u8], complete: bool) -> Result<Vec<Binary>, ReadError> {
    read_view(Sparse::whole(data).view(), complete)
}

/// Reads every image in a view of a file: its bytes not held are misses recorded in the
/// view's [`Sparse`] (and reading fails), which [`read_streamed`] collects.
pub(crate) fn read_view(view: View<'_>, complete: bool) -> Result<Vec<Binary>, ReadError> {
    STRINGS_LEFT.with(|left| left.set(MAX_STRING_BYTES));
    let magic = view
        .get(0, (MAGIC_LEN as u64).min(view.len()))
        .unwrap_or_default();
    match sniff(magic) {
        Some(Kind::Elf) => elf::read(view, complete).map(|b| vec![b]),
        Some(Kind::MachO) => macho::read(view, complete),
        Some(Kind::Pe) => pe::read(view, complete).map(|b| vec![b]),
        None => {
            if !complete && view.len() < MAGIC_LEN as u64 {
                Err(ReadError::NeedMore {
                    len: MAGIC_LEN as u64,
                })
            } else {
                Err(ReadError::UnknownFormat)
            }
        }
    }
}

/// Whether the first bytes of a file look like a binary this module reads.
pub fn looks_like_binary(prefix: &[u8]) -> bool {
    sniff(prefix).is_some()
}

/// How many leading bytes [`looks_like_binary`] looks at, at most.
pub const MAGIC_LEN: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Elf,
    MachO,
    Pe,
}

fn sniff(prefix: &[u8]) -> Option<Kind> {
    match prefix {
        [0x7f, b'E', b'L', b'F', ..] => Some(Kind::Elf),
        // Thin Mach-O, 32/64-bit, either byte order.
        [0xfe, 0xed, 0xfa, 0xce | 0xcf, ..] | [0xce | 0xcf, 0xfa, 0xed, 0xfe, ..] => {
            Some(Kind::MachO)
        }
        // Fat / fat64 (always big-endian). 0xcafebabe is also a Java class file: a fat header
        // has a small architecture count where a class file has its version numbers (minor,
        // then major: 45 for Java 1.0 to about 70 today). A count above the limit that is not
        // a class file's version is still a fat header, which the reader refuses by name.
        [0xca, 0xfe, 0xba, 0xbe | 0xbf, a, b, c, d, ..] => {
            let n = u32::from_be_bytes([*a, *b, *c, *d]);
            let class_major = u16::from_be_bytes([*c, *d]);
            let java = n > macho::MAX_FAT_ARCHES && (45..=255).contains(&class_major);
            (!java).then_some(Kind::MachO)
        }
        [0xca, 0xfe, 0xba, 0xbe | 0xbf] | [0xca, 0xfe, 0xba, 0xbe | 0xbf, _, ..] => {
            Some(Kind::MachO)
        }
        [b'M', b'Z', ..] => Some(Kind::Pe),
        _ => None,
    }
}

/// Byte string to `String`, replacing invalid UTF-8.
pub(crate) fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_magics() {
        assert!(looks_like_binary(b"\x7fELF\x02\x01\x01\0"));
        assert!(looks_like_binary(&[0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1]));
        assert!(looks_like_binary(&[0xfe, 0xed, 0xfa, 0xce]));
        assert!(looks_like_binary(&[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2]));
        assert!(looks_like_binary(&[0xca, 0xfe, 0xba, 0xbf, 0, 0, 0, 1]));
        assert!(looks_like_binary(b"MZ\x90\0"));
        // Java class files (1.1 = 45.3, 8 = 52.0, 21 = 65.0, a 25 preview = 69.65535) are
        // not fat Mach-O files.
        for (minor, major) in [(3u16, 45u16), (0, 52), (0, 65), (0xffff, 69)] {
            let mut class = vec![0xca, 0xfe, 0xba, 0xbe];
            class.extend_from_slice(&minor.to_be_bytes());
            class.extend_from_slice(&major.to_be_bytes());
            assert!(!looks_like_binary(&class), "{minor}.{major}");
        }
        // A fat header listing too many architectures is still one (the reader says why).
        let mut fat = vec![0xca, 0xfe, 0xba, 0xbe];
        fat.extend_from_slice(&1_000_000u32.to_be_bytes());
        assert!(looks_like_binary(&fat));
        fat.resize(64, 0);
        let err = read(&fat).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            err.contains(
                "fat Mach-O header lists 1000000 architectures, more than the limit of 32"
            ),
            "{err}"
        );
        assert!(!looks_like_binary(b"PK\x03\x04"));
        assert!(!looks_like_binary(b""));
    }

    #[test]
    fn short_prefix_needs_more() {
        assert!(matches!(
            read_prefix(b"", false),
            Err(ReadError::NeedMore { .. })
        ));
        assert!(matches!(read(b""), Err(ReadError::UnknownFormat)));
        assert!(matches!(read(b"\x7fEL"), Err(ReadError::UnknownFormat)));
    }
}
