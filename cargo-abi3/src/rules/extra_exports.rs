//! `extra-exports`: an extension module exporting more than its entry point(s).

use cargo_abi3_build_hook::Severity;

use super::{BinarySubject, Check, Findings, Role, Rule};
use cargo_abi3_build_hook::render::and_more;

use crate::Code;
use crate::binary::{Format, is_entry_point};
use crate::finding::Finding;

pub const RULE: Rule = Rule {
    code: Code::ExtraExports,
    check: Check::Binary(check),
};

/// Symbols linkers and C runtimes define in every shared object: not the author's doing.
const LINKER_SYMBOLS: &[&str] = &[
    "_init",
    "_fini",
    "_edata",
    "_end",
    "__bss_start",
    "__bss_start__",
    "__bss_end__",
    "__data_start",
    "_etext",
    "__end__",
    "_bss_end__",
    "__dso_handle",
    "_mh_dylib_header",
    // rustc itself exported the personality routine from cdylibs until 1.6x; the author
    // cannot hide it and nothing else defines it.
    "rust_eh_personality",
];

/// Prefixes that give a statically linked library away, and its name.
const LIBRARIES: &[(&[&str], &str)] = &[
    (
        &[
            "OBJ_", "EVP_", "SSL_", "SSL", "CRYPTO_", "BIO_", "X509", "PEM_", "RSA_", "ERR_",
            "OPENSSL_", "ASN1_", "BN_", "EC_", "DH_", "DSA_", "HMAC", "RAND_", "TLS_", "d2i_",
            "i2d_",
        ],
        "OpenSSL",
    ),
    (&["ffi_"], "libffi"),
    (&["BZ2_"], "bzip2"),
    (
        &[
            "deflate",
            "inflate",
            "compress",
            "uncompress",
            "zlibVersion",
            "crc32",
            "adler32",
            "gzopen",
            "gzread",
            "gzwrite",
            "gzclose",
        ],
        "zlib",
    ),
    (&["XML_"], "expat"),
    (&["sqlite3_", "sqlite3"], "SQLite"),
    (&["lzma_"], "liblzma (xz)"),
    (&["ZSTD_", "ZDICT_"], "zstd"),
    (&["LZ4_", "LZ4F_"], "lz4"),
    (&["png_"], "libpng"),
    (&["jpeg_"], "libjpeg"),
    (&["curl_"], "libcurl"),
    (&["uv_"], "libuv"),
    (
        &["_ZN", "_ZS", "_ZT", "_ZdlPv", "_Znwm", "_Znam", "_ZdaPv"],
        "C++ (libstdc++) or Rust (legacy mangling)",
    ),
    (&["_R"], "Rust (v0 mangling)"),
    (&["__rust_", "__rdl_", "__rg_"], "the Rust runtime"),
];

/// How many names a group lists.
const SHOWN: usize = 5;

fn check(subject: &BinarySubject<'_>, out: &mut Findings) {
    // Vendored libraries export on purpose; their users link against them.
    if subject.role != Role::ExtensionModule {
        return;
    }
    let binary = subject.binary;
    let mut allowed = 0usize;
    // Each allowance used, with the exports it accepted.
    let mut used: Vec<(&super::ExportAllow, Vec<&str>)> = Vec::new();
    let mut extra: Vec<&str> = Vec::new();
    for name in &binary.exports {
        if is_entry_point(name) || LINKER_SYMBOLS.contains(&name.as_str()) {
            continue;
        }
        if let Some(allow) = subject.allowed_exports.iter().find(|a| a.matches(name)) {
            allowed += 1;
            match used.iter_mut().find(|(a, _)| *a == allow) {
                Some((_, names)) => names.push(name),
                None => used.push((allow, vec![name])),
            }
            continue;
        }
        extra.push(name);
    }
    // What was allowed is still listed, with its reason (never counted).
    for (allow, names) in &mut used {
        names.sort_unstable();
        names.dedup();
        let n = names.len();
        let quoted: Vec<String> = names.iter().map(|s| format!("`{s}`")).collect();
        let listed = and_more(&quoted, SHOWN);
        out.push(
            Finding::new(
                Code::ExtraExports,
                format!(
                    "exports {n} symbol{} matching `{}` besides its entry point",
                    if n == 1 { "" } else { "s" },
                    allow.pattern
                ),
            )
            .symbol(allow.pattern.clone())
            .note(listed)
            .allow(
                allow
                    .reason
                    .clone()
                    .unwrap_or_else(|| "no reason given".into()),
                allow.origin(),
            ),
        );
    }
    if extra.is_empty() {
        return;
    }
    extra.sort_unstable();
    extra.dedup();
    // Group by the library the prefix suggests; the rest under "other".
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for &name in &extra {
        let library = LIBRARIES
            .iter()
            .find(|(prefixes, _)| prefixes.iter().any(|p| name.starts_with(p)))
            .map(|(_, library)| *library)
            .unwrap_or("");
        match groups.iter_mut().find(|(l, _)| *l == library) {
            Some((_, names)) => names.push(name),
            None => groups.push((library, vec![name])),
        }
    }
    groups.sort_by_key(|(library, names)| (library.is_empty(), std::cmp::Reverse(names.len())));
    let n = extra.len();
    let mut finding = Finding::new(
        Code::ExtraExports,
        format!(
            "exports {n} symbol{} besides its entry point",
            if n == 1 { "" } else { "s" }
        ),
    );
    let mut vendored = false;
    for (library, names) in &groups {
        let quoted: Vec<String> = names.iter().map(|s| format!("`{s}`")).collect();
        let listed = and_more(&quoted, SHOWN);
        if library.is_empty() {
            finding = finding.note(format!("{}: {listed}", names.len()));
        } else {
            vendored = true;
            finding = finding.note(format!(
                "{} look statically linked from {library}: {listed}",
                names.len()
            ));
        }
    }
    if allowed > 0 {
        let patterns: Vec<String> = used
            .iter()
            .map(|(a, _)| match &a.reason {
                Some(reason) => format!("`{}` ({reason})", a.pattern),
                None => format!("`{}`", a.pattern),
            })
            .collect();
        finding = finding.note(format!(
            "{allowed} more allowed by --allow-export {}",
            patterns.join(", ")
        ));
    }
    let macho_help;
    let help = match binary.format {
        Format::Elf if vendored => {
            "link with `-Wl,--exclude-libs,ALL` so static libraries' symbols stay local, and \
             compile with `-fvisibility=hidden`; or allow them with --allow-export PATTERN=REASON"
        }
        Format::Elf => {
            "compile with `-fvisibility=hidden` (or use a version script exporting only the \
             entry point); or allow them with --allow-export PATTERN=REASON"
        }
        Format::MachO => {
            macho_help = format!(
                "link with `-exported_symbol _PyInit_{}` (or `-fvisibility=hidden`)",
                subject.name_for_messages()
            );
            &macho_help
        }
        Format::Pe => {
            "export only the entry point (no extra __declspec(dllexport) or .def entries)"
        }
    };
    finding = finding.help(help);
    match binary.format {
        Format::Elf => {}
        Format::MachO => {
            finding.severity = Severity::Info;
            finding = finding.note(
                "two-level namespace binding keeps other images from binding to these, unless \
                 they are looked up through the flat namespace",
            );
        }
        Format::Pe => {
            finding.severity = Severity::Info;
            finding = finding
                .note("Windows imports name their DLL, so nothing binds to these by accident");
        }
    }
    out.push(finding);
}

/// The rule over synthetic binaries: rows that trip it and rows that pass.
#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::*;

    #[test]
    fn table_of_cases() {
        table(
            &RULE,
            &[
                (
                    "a helper exported",
                    elf("_core.abi3.so")
                        .export("PyInit__core")
                        .export("my_helper"),
                    true,
                ),
                (
                    "the entry point only",
                    elf("_core.abi3.so").export("PyInit__core"),
                    false,
                ),
                (
                    "linker symbols",
                    elf("_core.abi3.so")
                        .export("PyInit__core")
                        .export("_init")
                        .export("__bss_start"),
                    false,
                ),
                (
                    "a library exports on purpose",
                    elf("libhelper.so").export("my_helper"),
                    false,
                ),
            ],
        );
    }
}
