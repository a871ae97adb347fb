//! `symbol-version-too-new`: a versioned import (GLIBC_, GLIBCXX_, CXXABI_, GCC_, …) that
//! the manylinux policy of the wheel's platform tag does not allow.

use std::collections::BTreeMap;

use super::{BinarySubject, Check, Findings, Rule};
use crate::wheel::manylinux as policy;
use cargo_abi3_build_hook::render::and_more;

use crate::Code;
use crate::binary::Format;
use crate::finding::Finding;
use crate::wheel::PlatformFamily;

pub const RULE: Rule = Rule {
    code: Code::SymbolVersionTooNew,
    check: Check::Binary(check),
};

/// How many symbol names a finding lists.
const SHOWN: usize = 5;

fn check(subject: &BinarySubject<'_>, out: &mut Findings) {
    if subject.binary.format != Format::Elf {
        return;
    }
    let Some(wheel) = subject.wheel else { return };
    let arch = subject.binary.arch.as_str();
    for promise in policy::promises(wheel.name) {
        // version → symbols needing it
        let mut bad: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for import in &subject.binary.imports {
            let Some(version) = import.version.as_deref() else {
                continue;
            };
            let Some((prefix, number)) = policy::split_version(version) else {
                continue;
            };
            let allowed = if prefix == "GLIBC" && promise.family == PlatformFamily::Manylinux {
                // PEP 600: manylinux_X_Y promises glibc X.Y; compare numerically so tags
                // between auditwheel's policies are judged exactly.
                parse_version(number).is_some_and(|v| {
                    v <= vec![u32::from(promise.version.0), u32::from(promise.version.1)]
                })
            } else {
                match promise.policy.allowed_versions(arch, prefix) {
                    Some(list) => list.iter().any(|v| v == number),
                    None => true,
                }
            };
            if !allowed {
                bad.entry(version).or_default().push(&import.name);
            }
        }
        for (version, symbols) in bad {
            let mut finding = Finding::new(
                Code::SymbolVersionTooNew,
                format!("needs `{version}`, newer than `{}` allows", promise.tag),
            )
            .symbol(version)
            .note(format!(
                "used by {}",
                and_more(
                    &symbols.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>(),
                    SHOWN
                )
            ));
            if let Some((prefix, _)) = policy::split_version(version)
                && let Some(list) = promise.policy.allowed_versions(arch, prefix)
                && let Some(max) = list.last()
            {
                finding = finding.note(format!(
                    "{} on {arch} allows {prefix} up to {prefix}_{max}",
                    promise.policy.title()
                ));
            }
            if promise.approximated {
                finding = finding.note(format!(
                    "auditwheel has no policy for `{}`; held to the nearest older one, {}",
                    promise.tag,
                    promise.policy.title()
                ));
            }
            out.push(finding.help(format!(
                "build in the {} container (or a toolchain targeting it), or raise the platform tag",
                promise.policy.title()
            )));
        }
    }
}

/// `2.17` → [2, 17]; `None` for `PRIVATE` and other non-numeric versions.
fn parse_version(v: &str) -> Option<Vec<u32>> {
    v.split('.').map(|p| p.parse().ok()).collect()
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
                    "GLIBC_2.34 under manylinux_2_17",
                    elf("m.abi3.so")
                        .needed("libc.so.6")
                        .import_from("__libc_start_main", "libc.so.6", Some("GLIBC_2.34"))
                        .in_wheel(WHEEL, "pkg/m.abi3.so"),
                    true,
                ),
                (
                    "GLIBC_2.17",
                    elf("m.abi3.so")
                        .needed("libc.so.6")
                        .import_from("clock_gettime", "libc.so.6", Some("GLIBC_2.17"))
                        .in_wheel(WHEEL, "pkg/m.abi3.so"),
                    false,
                ),
                (
                    "GLIBC_2.34 under manylinux_2_34",
                    elf("m.abi3.so")
                        .needed("libc.so.6")
                        .import_from("__libc_start_main", "libc.so.6", Some("GLIBC_2.34"))
                        .in_wheel(
                            "pkg-1.0-cp39-abi3-manylinux_2_34_x86_64.whl",
                            "pkg/m.abi3.so",
                        ),
                    false,
                ),
                (
                    "unversioned",
                    elf("m.abi3.so")
                        .needed("libc.so.6")
                        .import("memcpy")
                        .in_wheel(WHEEL, "pkg/m.abi3.so"),
                    false,
                ),
                (
                    "a loose file",
                    elf("m.abi3.so").import_from(
                        "__libc_start_main",
                        "libc.so.6",
                        Some("GLIBC_2.34"),
                    ),
                    false,
                ),
            ],
        );
    }
}
