//! Compiles `src/helpers.c` against the build interpreter's headers, *without*
//! Py_LIMITED_API: the compiler lets it call `PyUnicode_AsUTF8`, which is not in the 3.9
//! stable ABI, and nothing on the Rust side notices.

use std::process::Command;

fn main() {
    let python = std::env::var("PYO3_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(&python)
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['include'])",
        ])
        .output()
        .expect("run the Python interpreter to find its headers");
    assert!(
        out.status.success(),
        "{python} could not report its include directory"
    );
    let include = String::from_utf8(out.stdout).expect("UTF-8 path");
    println!("cargo:rerun-if-changed=src/helpers.c");
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    cc::Build::new()
        .file("src/helpers.c")
        .include(include.trim())
        .compile("helpers");
}
