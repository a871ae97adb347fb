//! cargo-abi3's engine: read inputs (wheels, binaries) into a neutral model, run the rules,
//! and render findings.
//!
//! Flow is one-directional: `inputs` → `wheel`/`binary` readers → [`binary::Binary`] per
//! image → `rules` → [`finding::Finding`]s → `report` renderers.

pub mod abi;
pub mod audit;
pub mod binary;
pub mod check;
pub mod cli;
pub mod finding;
pub mod host;
pub mod inputs;
pub mod load;
pub mod policy;
pub mod release;
pub mod remote;
pub mod report;
pub mod rules;
pub mod subject;
pub mod wheel;

pub use cargo_abi3_build_hook::{AbiKind, Code, Family, PyVersion, Severity};

#[cfg(test)]
mod layering;
