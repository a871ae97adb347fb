//! What a library in the host's closure is: the C/C++ runtime every wheel may assume, the
//! interpreter, a library wheels commonly vendor (and that will shadow their copy), or other.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::binary::is_python_library;
pub use crate::report::extra::LibraryClass;

/// Families of commonly vendored libraries, by soname stem (`libcrypto.so.3` → `crypto`).
const FAMILIES: &[(&str, &[&str])] = &[
    (
        "crypto",
        &[
            "crypto",
            "ssl",
            "gnutls",
            "nettle",
            "hogweed",
            "gcrypt",
            "gpg-error",
            "mbedtls",
            "mbedcrypto",
            "mbedx509",
            "sodium",
            "k5crypto",
        ],
    ),
    (
        "compression",
        &[
            "z",
            "bz2",
            "lzma",
            "zstd",
            "lz4",
            "brotlicommon",
            "brotlienc",
            "brotlidec",
            "snappy",
            "deflate",
            "archive",
        ],
    ),
    ("ffi", &["ffi"]),
    (
        "terminal",
        &[
            "ncurses", "ncursesw", "tinfo", "tinfow", "readline", "edit", "history", "panel",
            "panelw", "form", "formw", "menu", "menuw",
        ],
    ),
    ("xml", &["expat", "xml2", "xslt", "exslt"]),
    ("database", &["sqlite3", "gdbm", "gdbm_compat", "lmdb"]),
    ("uuid", &["uuid"]),
    (
        "numerics",
        &[
            "gmp", "mpfr", "mpc", "openblas", "blas", "cblas", "lapack", "gfortran", "quadmath",
            "gomp", "fftw3",
        ],
    ),
    (
        "text",
        &[
            "pcre", "pcre2-8", "icuuc", "icui18n", "icudata", "yaml-0", "yajl", "onig",
        ],
    ),
    (
        "image",
        &[
            "png16",
            "jpeg",
            "turbojpeg",
            "tiff",
            "webp",
            "freetype",
            "harfbuzz",
            "lcms2",
            "openjp2",
        ],
    ),
    (
        "network",
        &["curl", "ssh2", "ssh", "nghttp2", "idn2", "psl", "cares"],
    ),
    ("serialization", &["protobuf", "protobuf-lite", "capnp"]),
];

/// The C/C++ runtime among the policy's libraries (and the loader, which is never listed).
const RUNTIME: &[&str] = &[
    "c",
    "m",
    "pthread",
    "dl",
    "rt",
    "gcc_s",
    "stdc++",
    "atomic",
    "anl",
    "nsl",
    "util",
    "resolv",
    "mvec",
    "BrokenLocale",
    "c_malloc_debug",
    "thread_db",
    "crypt",
    "memusage",
];

/// The soname stem: `libcrypto.so.3` → `crypto`, `libdb-5.3.so` → `db-5.3`.
pub fn stem(name: &str) -> &str {
    let file = super::fs::file_name(name);
    let without_lib = file.strip_prefix("lib").unwrap_or(file);
    match without_lib.find(".so") {
        Some(i) => without_lib.get(..i).unwrap_or(without_lib),
        None => without_lib,
    }
}

/// The union of the manylinux policies' `lib_whitelist`.
fn policy_libraries() -> &'static HashSet<String> {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| {
        let text = include_str!("../../data/policy/manylinux-policy.json");
        let mut set = HashSet::new();
        if let Ok(serde_json::Value::Array(policies)) = serde_json::from_str(text) {
            for policy in policies {
                if let Some(libs) = policy.get("lib_whitelist").and_then(|l| l.as_array()) {
                    set.extend(libs.iter().filter_map(|l| l.as_str()).map(str::to_owned));
                }
            }
        }
        set
    })
}

fn is_loader(file: &str) -> bool {
    file.starts_with("ld-linux")
        || file.starts_with("ld64.so")
        || file.starts_with("ld-musl")
        || file == "ld.so.1"
}

/// Classifies a library by its soname (or requested name) and family, if shadowing.
pub fn classify(name: &str) -> (LibraryClass, Option<&'static str>) {
    let file = super::fs::file_name(name);
    if is_python_library(file) || file.starts_with("libpypy") {
        return (LibraryClass::Interpreter, None);
    }
    let stem = stem(file);
    if is_loader(file)
        || (RUNTIME.contains(&stem)
            && (policy_libraries().contains(file) || file.starts_with("lib")))
    {
        return (LibraryClass::Runtime, None);
    }
    if let Some((family, _)) = FAMILIES.iter().find(|(_, stems)| stems.contains(&stem)) {
        return (LibraryClass::Shadowing, Some(family));
    }
    if policy_libraries().contains(file) {
        return (LibraryClass::System, None);
    }
    (LibraryClass::Other, None)
}

/// Windows system and compiler-runtime DLLs: never vendored to shadow anything.
pub fn is_windows_system_dll(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("api-ms-win-")
        || lower.starts_with("ext-ms-")
        || [
            "kernel32.dll",
            "kernelbase.dll",
            "ntdll.dll",
            "user32.dll",
            "advapi32.dll",
            "ws2_32.dll",
            "ucrtbase.dll",
            "msvcrt.dll",
            "shell32.dll",
            "ole32.dll",
            "oleaut32.dll",
            "bcrypt.dll",
            "crypt32.dll",
            "gdi32.dll",
            "secur32.dll",
            "userenv.dll",
            "version.dll",
            "shlwapi.dll",
        ]
        .contains(&lower.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(classify("libc.so.6").0, LibraryClass::Runtime);
        assert_eq!(classify("ld-linux-x86-64.so.2").0, LibraryClass::Runtime);
        assert_eq!(classify("libstdc++.so.6").0, LibraryClass::Runtime);
        assert_eq!(
            classify("libcrypto.so.3"),
            (LibraryClass::Shadowing, Some("crypto"))
        );
        assert_eq!(classify("libcrypt.so.1").0, LibraryClass::Runtime);
        assert_eq!(
            classify("libz.so.1"),
            (LibraryClass::Shadowing, Some("compression"))
        );
        assert_eq!(
            classify("libffi.so.8"),
            (LibraryClass::Shadowing, Some("ffi"))
        );
        assert_eq!(
            classify("libtinfo.so.6"),
            (LibraryClass::Shadowing, Some("terminal"))
        );
        assert_eq!(classify("libpypy3.9-c.so").0, LibraryClass::Interpreter);
        assert_eq!(
            classify("libpython3.12.so.1.0").0,
            LibraryClass::Interpreter
        );
        assert_eq!(classify("libX11.so.6").0, LibraryClass::System);
        assert_eq!(classify("libcap.so.2").0, LibraryClass::Other);
        assert_eq!(stem("libpcre2-8.so.0"), "pcre2-8");
    }
}
