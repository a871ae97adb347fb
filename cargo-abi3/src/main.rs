//! `cargo-abi3`: thin entry point. Exit codes: 0 clean, 1 error-level findings, 2 the tool
//! could not do its job (with `--format json`, a JSON report says why; see `cli::main`).

use std::process::ExitCode;

fn main() -> ExitCode {
    limit_allocator_arenas();
    ExitCode::from(cargo_abi3::cli::main())
}

/// At most two glibc malloc arenas, whatever the number of threads.
///
/// glibc gives each thread that meets contention an arena of its own (up to eight per core),
/// and an arena keeps what was freed in it for reuse by that arena only. A `pypi:` audit
/// runs up to 16 fetch threads, each reading and judging members: the live bytes are
/// budgeted (`remote::budget`), but with an arena per thread the process kept each
/// thread's past peak (the eleven releases of the 2022 set: 68–70 MB at `--jobs 8`, 90 MB at
/// 16; with two arenas 52 and 64 MB, and no slower). Set before any thread exists.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn limit_allocator_arenas() {
    // SAFETY: mallopt only sets an allocator parameter; it is called before any other thread
    // exists, and a failure (return 0) leaves glibc's default, which is only less frugal.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_allocator_arenas() {}
