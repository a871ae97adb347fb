//! Findings for `--with` inputs that cannot be read, worded as `cargo abi3 audit` words the
//! same problem (`audit.rs`: `unreadable`, `wheel_error`, `notice_finding` and the loose
//! binary's size check), so a wheel gets the same message from either command.
//!
//! The one difference is how to raise a limit: `host` has no `--max-*` options yet and runs
//! with the default [`Limits`](crate::wheel::Limits), so its help says that.

use cargo_abi3_build_hook::{Code, Severity};

use crate::binary::ReadError;
use crate::finding::Finding;
use crate::wheel::{Notice, WheelError};

use super::fs::FileError;

/// What to do about a binary the readers refused.
pub const BINARY_HELP: &str = "check that the file is a complete ELF, Mach-O or PE shared object";

/// A binary the readers refused. `what` is already quoted: "`x.so`" or "`pkg/x.so` in `w.whl`".
pub fn unreadable(what: &str, error: &ReadError) -> Finding {
    Finding::new(
        Code::UnreadableInput,
        format!("cannot analyse {what}: {error}"),
    )
    .help(BINARY_HELP)
}

/// A wheel, or a member of one (`what` is then "`member` in `wheel`"), that could not be read.
pub fn wheel_error(what: &str, error: &WheelError) -> Finding {
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
        .help(raise_with("wheel is trusted", limit_flag(setting))),
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

/// A loose binary that could not be read (the size limit is on the bytes actually read).
pub fn file_error(path: &std::path::Path, error: &FileError) -> Finding {
    match error {
        FileError::TooLarge { size, limit } => Finding::new(
            Code::InputLimitExceeded,
            format!(
                "`{}` is {size} bytes, over the {limit}-byte limit",
                path.display()
            ),
        )
        .help(raise_with("file is legitimate", "`--max-member-size MIB`")),
        other => Finding::new(
            Code::UnreadableInput,
            format!("cannot read `{}`: {other}", path.display()),
        ),
    }
}

/// Archive problems that leave a member unread: an unsafe path or encryption means part of
/// the wheel went unchecked (an analysis failure); skipped symlinks, undecodable names and
/// nested archives are warnings. Notices about `WHEEL`/`METADATA`, which `host` does not
/// use, are left out.
pub fn notice(path: &str, notice: &Notice) -> Option<Finding> {
    let finding = Finding::new(Code::UnreadableInput, format!("{path}: {notice}"));
    Some(match notice {
        Notice::UnsafePath { .. } => {
            finding.help("rebuild the wheel with relative member paths without `..`")
        }
        Notice::Encrypted { .. } => finding.help("rebuild the wheel without encryption"),
        Notice::Symlink { .. }
        | Notice::UndecodableName { .. }
        | Notice::NestedArchive { .. }
        | Notice::EntryCountMismatch { .. }
        | Notice::UnicodePathName { .. }
        | Notice::NameCutAtNul { .. }
        | Notice::Overlapping { .. } => Finding {
            severity: Severity::Warning,
            ..finding
        },
        Notice::MissingWheelFile
        | Notice::MissingMetadataFile
        | Notice::SeveralDistInfo { .. }
        | Notice::UnreadableMetadata { .. } => return None,
    })
}

/// The flag that raises a [`Limits`](crate::wheel::Limits) field (as `audit` names it).
fn limit_flag(setting: &str) -> &'static str {
    match setting {
        "max_members" => "`--max-members N`",
        "max_member_bytes" => "`--max-member-size MIB`",
        "max_total_bytes" => "`--max-total-size MIB`",
        "max_compression_ratio" => "`--max-compression-ratio N`",
        "max_metadata_bytes" => "`--max-metadata-size MIB`",
        _ => "the matching `--max-*` option (see `cargo abi3 audit --help`)",
    }
}

fn raise_with(condition: &str, flag: &str) -> String {
    format!(
        "if the {condition}, it needs {flag} raised, which only `cargo abi3 audit` offers yet \
         (`host` runs with the default limits)"
    )
}
