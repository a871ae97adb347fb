//! Wheels: file-name and tag parsing, `WHEEL` / `METADATA`, and streaming member reads
//! straight from the zip (never extracted to disk).
//!
//! - [`name`] — `{distribution}-{version}(-{build})?-{python}-{abi}-{platform}.whl`.
//! - [`platform`] — platform-tag families, glibc/musl/macOS versions, architectures.
//! - [`suffix`] — shared-object file names (`.abi3.so`, `.cpython-311-….so`, `.pyd`, …).
//! - [`metadata`] — `WHEEL`, `METADATA` and `Requires-Python` floors.
//! - [`archive`] — [`WheelArchive`], bounded by [`Limits`].
//! - [`manylinux`] — auditwheel's manylinux/musllinux policies a platform tag promises.
//! - [`punycode`] — the `PyInitU_` entry-point names of non-ASCII module names.
//!
//! Everything here reads untrusted input: no `unwrap`, `expect` or unchecked indexing in
//! any submodule (the lints below apply to all of them).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

pub mod archive;
pub mod error;
pub mod limits;
pub mod manylinux;
pub mod metadata;
pub mod name;
pub mod platform;
pub mod punycode;
pub mod suffix;
pub mod zip;

pub use archive::{Member, MemberData, WheelArchive};
pub use error::{Notice, WheelError};
pub use limits::{Limits, Setting};
pub use metadata::{CoreMetadata, WheelFile, WheelMetadata, requires_python_floor};
pub use name::{WheelName, WheelNameError};
pub use platform::{Arch, PlatformFamily, PlatformTag};
pub use suffix::{ExtensionFileName, SuffixKind};
