//! What the author of a Python extension declared about its stable ABI, read the way the
//! build tools read it, and checked from `build.rs` before anything is compiled.
//!
//! `cargo-abi3` depends on this crate for the same logic, so both give the same answer with
//! the same codes and words.

pub mod abi_kind;
pub mod code;
pub mod finding;
pub mod version;

pub use abi_kind::AbiKind;
pub use code::{Code, Family, Severity};
pub use finding::{Finding, SourceSpan};
pub use version::PyVersion;
