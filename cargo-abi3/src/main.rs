//! `cargo-abi3`: thin entry point. Exit codes: 0 clean, 1 error-level findings, 2 the tool
//! could not do its job (with `--format json`, a JSON report says why; see `cli::main`).

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(cargo_abi3::cli::main())
}
