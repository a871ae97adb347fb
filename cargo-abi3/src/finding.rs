//! Findings are shared with the build hook, so `cargo abi3` and `build.rs` say the same thing.

pub use cargo_abi3_build_hook::finding::{Finding, SourceSpan};
