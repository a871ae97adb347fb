//! Why a wheel (or one of its members) could not be read, and non-fatal notices.

use std::path::PathBuf;

/// Why a wheel or a member could not be read. Every message says what is wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum WheelError {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "`{path}` is not a zip archive ({reason}); a wheel is a zip file: check that the \
         download completed and is not an HTML error page or a tarball renamed to .whl"
    )]
    NotAZip { path: PathBuf, reason: String },
    #[error(
        "{what} is {actual}, above the limit of {limit}; the wheel may be hostile (zip bomb) \
         or corrupt. If it is trusted, raise `Limits::{setting}`"
    )]
    LimitExceeded {
        what: String,
        limit: u64,
        actual: u64,
        /// The [`super::Limits`] field to raise.
        setting: super::limits::Setting,
    },
    #[error(
        "member `{name}` has an unsafe path (absolute, a drive letter, or containing `..`); \
         installers refuse such wheels, so it is reported and never read. Rebuild the wheel \
         with relative member paths"
    )]
    UnsafePath { name: String },
    #[error(
        "the central directory lists a member name more than once ({distinct} distinct names): \
         tools disagree on which copy is installed, so the wheel cannot be checked. Rebuild the \
         wheel so every member appears once"
    )]
    DuplicateName { distinct: usize },
    #[error("the wheel has no member `{path}`")]
    NoSuchMember { path: String },
    #[error("member `{path}` is corrupt: {reason}")]
    CorruptMember { path: String, reason: String },
    #[error(
        "member `{path}` uses {method}, which cargo-abi3 cannot inflate; wheels should be \
         written with deflate or stored members"
    )]
    UnsupportedCompression { path: String, method: String },
    #[error("member `{path}` is encrypted; installers cannot install encrypted wheels")]
    Encrypted { path: String },
}

/// Something odd about a wheel that does not stop the rest of it being checked.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Notice {
    /// An absolute or `..` member path: listed nowhere else and never read.
    UnsafePath { name: String },
    /// An entry with symlink mode bits: pip ignores them and installs the entry's bytes as a
    /// regular file, so it is audited as one; other unpackers make a link.
    Symlink { name: String },
    /// The end record's entry count differs from the entries the central directory holds:
    /// readers that trust the count see other members than pip does. All are audited.
    EntryCountMismatch { declared: u64, listed: u64 },
    /// A Unicode Path extra field renames the member on CPython 3.12 and later only.
    UnicodePathName { name: String, before_312: String },
    /// The stored name holds a NUL; Python's zipfile installs it under the name cut there.
    NameCutAtNul { name: String, stored: String },
    /// The member's data runs into the next entry: CPython 3.12 and later refuse to read it
    /// ("possible zip bomb"), older ones install it.
    Overlapping { name: String },
    /// A member whose name is not valid UTF-8 (nor CP437-decodable): skipped.
    UndecodableName { index: usize },
    /// An encrypted member: skipped.
    Encrypted { name: String },
    /// An archive inside the wheel: listed as a member, its contents are not inspected.
    NestedArchive { name: String },
    /// No `*.dist-info/WHEEL` was found.
    MissingWheelFile,
    /// No `*.dist-info/METADATA` was found.
    MissingMetadataFile,
    /// More than one top-level `*.dist-info` directory; `used` was read.
    SeveralDistInfo { found: Vec<String>, used: String },
    /// `WHEEL` or `METADATA` exists but could not be read (corrupt, over the size limit): the
    /// rules that need it did not run, the binaries were still audited.
    UnreadableMetadata {
        path: String,
        reason: String,
        /// The failure was a tripped limit.
        limit: bool,
    },
}

impl Notice {
    /// About the `.dist-info` metadata files, not about what is installed.
    pub fn is_about_metadata(&self) -> bool {
        matches!(
            self,
            Notice::MissingWheelFile
                | Notice::MissingMetadataFile
                | Notice::SeveralDistInfo { .. }
                | Notice::UnreadableMetadata { .. }
        )
    }
}

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Notice::UnsafePath { name } => write!(
                f,
                "member `{name}` has an unsafe path (absolute or with `..`); it was not read"
            ),
            Notice::Symlink { name } => write!(
                f,
                "member `{name}` has symlink mode bits; pip ignores them and installs its bytes \
                 as a regular file, so it was audited as one (other unpackers make a link)"
            ),
            Notice::EntryCountMismatch { declared, listed } => write!(
                f,
                "the end-of-central-directory record declares {declared} entries but the \
                 central directory holds {listed}; Python's zipfile (pip) installs all {listed}, \
                 readers that trust the count see {declared}. Every listed entry was audited"
            ),
            Notice::UnicodePathName { name, before_312 } => write!(
                f,
                "member `{before_312}` is installed as `{name}` by CPython 3.12 and later (a \
                 Unicode Path extra field renames it) but as `{before_312}` by older ones"
            ),
            Notice::NameCutAtNul { name, stored } => write!(
                f,
                "member name `{stored}` holds a NUL byte; Python's zipfile (pip) installs it as \
                 `{name}`, other unpackers differ. Audited as `{name}`"
            ),
            Notice::Overlapping { name } => write!(
                f,
                "the data of member `{name}` overlaps the next entry; CPython 3.12 and later \
                 refuse it as a possible zip bomb, older ones install it. Audited"
            ),
            Notice::UndecodableName { index } => {
                write!(f, "member #{index} has an undecodable name; skipped")
            }
            Notice::Encrypted { name } => write!(f, "encrypted member `{name}` skipped"),
            Notice::UnreadableMetadata { path, reason, .. } => write!(
                f,
                "`{path}` could not be read ({reason}); the checks that need it did not run"
            ),
            Notice::NestedArchive { name } => write!(
                f,
                "nested archive `{name}` is not opened; binaries inside it are not checked"
            ),
            Notice::MissingWheelFile => f.write_str("the wheel has no `*.dist-info/WHEEL` file"),
            Notice::MissingMetadataFile => {
                f.write_str("the wheel has no `*.dist-info/METADATA` file")
            }
            Notice::SeveralDistInfo { found, used } => write!(
                f,
                "several .dist-info directories ({}); read `{used}`",
                found.join(", ")
            ),
        }
    }
}
