//! `cargo-abi3`: thin entry point. Exit codes: 0 clean, 1 error-level findings, 2 the tool
//! could not do its job.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cargo_abi3::cli::parse();
    match cargo_abi3::cli::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
