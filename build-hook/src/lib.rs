//! What the author of a Python extension declared about its stable ABI, read the way the
//! build tools read it, and checked from `build.rs` before anything is compiled.
//!
//! `cargo-abi3` depends on this crate for the same logic, so both give the same answer with
//! the same codes and words.
//!
//! In `build.rs`:
//!
//! ```no_run
//! // build.rs
//! cargo_abi3_build_hook::check();
//! ```
//!
//! and once in the crate: `include!(concat!(env!("OUT_DIR"), "/cargo_abi3_declaration.rs"));`
//!
//! Reusable pieces: [`pyo3_config::Pyo3Config`] (PyO3's resolved config),
//! [`manifest::Manifest`] and [`pyproject::PyProject`] (declarations with spans),
//! [`intent::check_intent`] (the checks), [`render::render_plain`] (the text format),
//! [`declaration`] (the embedded record) and [`wheel`] (tag and suffix prediction).
//!
//! # Stability
//!
//! Public structs are `#[non_exhaustive]`: build them with their constructors
//! ([`Finding::new`], [`finding::SourceSpan::new`], [`declaration::Declaration::new`]) or
//! from `Default` ([`intent::BuildEnv`], [`intent::IntentInputs`]) and set the public
//! fields, so that a field added later is not a breaking change.
//!
//! Enums that may grow are `#[non_exhaustive]` too, and a `match` on them needs a `_` arm:
//! [`AbiKind`] (a new stable ABI), [`hook::Level`] (a level such as `forbid`),
//! [`requires_python::RequiresPythonFloor`] and [`Code`] (new checks).
//!
//! [`Severity`] deliberately is not: its three levels are the exit-code contract (`Error`
//! fails the build and makes `cargo abi3` exit 1, `Warning` is shown, `Info` only with
//! `--verbose`), every renderer must say what each one means, and a fourth level would be a
//! breaking change that should fail to compile downstream rather than fall into a `_` arm.

pub mod abi_kind;
pub mod cc_helper;
pub mod code;
pub mod declaration;
pub mod finding;
pub mod hook;
pub mod intent;
pub mod manifest;
pub mod policy;
pub mod pyo3_config;
pub mod pyproject;
pub mod render;
pub mod requires_python;
pub mod setuptools;
pub mod tag;
pub mod toml_util;
pub mod version;
pub mod wheel;

pub use abi_kind::AbiKind;
#[cfg(feature = "cc")]
pub use cc_helper::{cc_build, try_cc_build};
pub use code::{Code, Family, Severity};
pub use finding::{Allowed, Finding, Position, SourceSpan};
pub use hook::{Hook, Level, Outcome, check};
pub use intent::{DeclaredIntent, IntentInputs, check_intent, declared_intent};
pub use version::PyVersion;
