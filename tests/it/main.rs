//! The workspace's integration tests, as one test binary: each former `tests/*.rs` file is a
//! module here, and `support/` (the fixture builders) is compiled and linked once.
//!
//! Run one area with a filter: `cargo test -p cargo-abi3 --test it audit_cli::`. The release
//! wheel end to end is `#[ignore]`d: `cargo test -p cargo-abi3 --test it release_wheel -- --ignored`.

#[macro_use]
mod support;
mod rules_common;

mod audit_cli;
mod binary_readers;
mod build_hook;
mod check_cli;
mod ci_formats;
mod declaration_formats;
mod differential;
mod fuzz_seeds;
mod gate_inputs;
mod gate_integrity;
mod host_cli;
mod hostile_inputs;
mod release_wheel;
mod remote_cli;
mod requires_python_reference;
mod rules_link_hygiene;
mod rules_names_platform;
mod wheel_reader;
