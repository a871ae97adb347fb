//! `needed-not-allowed`: a DT_NEEDED library the manylinux/musllinux policy does not list
//! and the wheel does not bundle.

use super::{BinarySubject, Check, Findings, Rule};
use crate::Code;
use crate::binary::{Format, is_python_library};
use crate::finding::Finding;
use crate::wheel::manylinux as policy;

pub const RULE: Rule = Rule {
    code: Code::NeededNotAllowed,
    check: Check::Bundle(check),
};

fn check(subject: &BinarySubject<'_>, out: &mut Findings) {
    if subject.binary.format != Format::Elf {
        return;
    }
    let Some(wheel) = subject.wheel else { return };
    for promise in policy::promises(wheel.name) {
        for needed in &subject.binary.needed {
            let name = needed.name.as_str();
            let file = name.rsplit('/').next().unwrap_or(name);
            // libpython has its own rule; bundled libraries are what auditwheel repair makes.
            if is_python_library(name)
                || is_dynamic_loader(file)
                || is_musl_libc(file, promise.policy.name.as_str())
                || promise.policy.lib_whitelist.iter().any(|l| l == file)
                || subject.bundled.iter().any(|b| b == file || b == name)
            {
                continue;
            }
            let origin_paths: Vec<&str> = subject
                .binary
                .rpaths
                .iter()
                .map(String::as_str)
                .filter(|p| p.starts_with("$ORIGIN") || p.starts_with("${ORIGIN}"))
                .collect();
            let mut finding = Finding::new(
                    Code::NeededNotAllowed,
                    format!(
                        "needs `{name}`, which `{}` does not allow and the wheel does not bundle",
                        promise.tag
                    ),
                )
                .symbol(name)
                .library(name)
                .note(format!(
                    "the {} policy allows only: {}",
                    promise.policy.name,
                    promise.policy.lib_whitelist.join(", ")
                ))
                .help(format!(
                    "run `auditwheel repair` to bundle `{name}`, or link it statically with hidden symbols"
                ));
            if !origin_paths.is_empty() {
                // `$ORIGIN/…` search paths pointing outside the wheel's own files: the library is
                // meant to come from another installed distribution (PyQt6 → PyQt6-Qt6). That
                // works when the dependency is installed and compatible; nothing guarantees it.
                finding.severity = cargo_abi3_build_hook::Severity::Warning;
                finding = finding.note(format!(
                    "searched in {} (relative to the module): expected from another installed distribution, which the installer must provide",
                    origin_paths.join(", ")
                ));
            }
            out.push(finding);
        }
    }
}

/// musl's libc is named `libc.musl-<arch>.so.1` on Alpine and other musl systems; the
/// musllinux policy's `libc.so` stands for it (auditwheel treats it the same way).
fn is_musl_libc(file: &str, policy: &str) -> bool {
    policy.starts_with("musllinux") && file.starts_with("libc.musl-") && file.ends_with(".so.1")
}

/// The ELF interpreter is always present (auditwheel excludes it too): `ld-linux-*.so.*`,
/// `ld64.so.1`/`ld64.so.2` (ppc64le, s390x), `ld-musl-*.so.1`.
fn is_dynamic_loader(file: &str) -> bool {
    file.contains("ld-linux")
        || file.starts_with("ld-musl-")
        || matches!(file, "ld64.so.1" | "ld64.so.2")
}

/// The rule over synthetic binaries: rows that trip it and rows that pass.
#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::*;

    const WHEEL: &str = "pkg-1.0-cp39-abi3-manylinux_2_17_x86_64.whl";

    #[test]
    fn table_of_cases() {
        table(
            &RULE,
            &[
                (
                    "an unbundled library",
                    elf("m.abi3.so")
                        .needed("libfoo.so.1")
                        .in_wheel(WHEEL, "pkg/m.abi3.so"),
                    true,
                ),
                (
                    "the policy allows libc",
                    elf("m.abi3.so")
                        .needed("libc.so.6")
                        .in_wheel(WHEEL, "pkg/m.abi3.so"),
                    false,
                ),
                (
                    "the loader",
                    elf("m.abi3.so")
                        .needed("ld-linux-x86-64.so.2")
                        .in_wheel(WHEEL, "pkg/m.abi3.so"),
                    false,
                ),
                (
                    "bundled",
                    elf("m.abi3.so")
                        .needed("libfoo.so.1")
                        .bundled("libfoo.so.1")
                        .in_wheel(WHEEL, "pkg/m.abi3.so"),
                    false,
                ),
                (
                    "libpython (links-libpython)",
                    elf("m.abi3.so")
                        .needed("libpython3.11.so.1.0")
                        .in_wheel(WHEEL, "pkg/m.abi3.so"),
                    false,
                ),
                (
                    "a loose file",
                    elf("m.abi3.so").needed("libfoo.so.1"),
                    false,
                ),
                (
                    "Mach-O",
                    macho("m.abi3.so")
                        .needed("libfoo.dylib")
                        .in_wheel("pkg-1.0-cp39-abi3-macosx_11_0_arm64.whl", "pkg/m.abi3.so"),
                    false,
                ),
            ],
        );
    }
}
