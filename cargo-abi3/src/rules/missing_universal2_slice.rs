//! `missing-universal2-slice`: a Mach-O file in a `universal2` wheel without both the arm64
//! and the x86_64 slice.

use super::{BinarySubject, Check, Findings, Rule};
use crate::Code;
use crate::binary::{Arch, Format};
use crate::finding::Finding;

pub const RULE: Rule = Rule {
    code: Code::MissingUniversal2Slice,
    check: Check::Binary(check),
};

fn check(subject: &BinarySubject<'_>, out: &mut Findings) {
    if subject.binary.format != Format::MachO || !subject.is_first_slice() {
        return;
    }
    let Some(wheel) = subject.wheel else { return };
    let Some(tag) = wheel
        .name
        .platforms()
        .find(|t| t.arch_name() == Some("universal2"))
    else {
        return;
    };
    let has = |arch: Arch| subject.slices.iter().any(|s| s.arch == arch);
    let missing: Vec<&str> = [(Arch::Aarch64, "arm64"), (Arch::X86_64, "x86_64")]
        .into_iter()
        .filter(|(a, _)| !has(a.clone()))
        .map(|(_, n)| n)
        .collect();
    if missing.is_empty() {
        return;
    }
    out.push(
        Finding::new(
            Code::MissingUniversal2Slice,
            format!(
                "`{}` has no {} slice, but the wheel is tagged `{}`",
                subject.path,
                missing.join(" or "),
                tag.as_str()
            ),
        )
        .note(format!(
            "on {} Macs the module fails to load (`mach-o file, but is an incompatible architecture`)",
            missing.join(" and ")
        ))
        .help("build both targets and `lipo -create` them (maturin: `--target universal2-apple-darwin`), or tag the wheel for the one architecture"),
    );
}

/// The rule over synthetic binaries: rows that trip it and rows that pass.
#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::binary::{Arch, Binary, Format};
    use crate::rules::testing::*;

    #[test]
    fn table_of_cases() {
        table(
            &RULE,
            &[
                (
                    "arm64 only",
                    macho("_core.abi3.so").in_wheel(
                        "pkg-1.0-cp39-abi3-macosx_10_12_universal2.whl",
                        "pkg/_core.abi3.so",
                    ),
                    true,
                ),
                (
                    "both slices",
                    macho("_core.abi3.so")
                        .slices(vec![
                            Binary::new(Format::MachO, Arch::Aarch64),
                            Binary::new(Format::MachO, Arch::X86_64),
                        ])
                        .in_wheel(
                            "pkg-1.0-cp39-abi3-macosx_10_12_universal2.whl",
                            "pkg/_core.abi3.so",
                        ),
                    false,
                ),
                (
                    "an arm64 wheel",
                    macho("_core.abi3.so").in_wheel(
                        "pkg-1.0-cp39-abi3-macosx_11_0_arm64.whl",
                        "pkg/_core.abi3.so",
                    ),
                    false,
                ),
                (
                    "ELF",
                    elf("_core.abi3.so").in_wheel(
                        "pkg-1.0-cp39-abi3-macosx_10_12_universal2.whl",
                        "pkg/_core.abi3.so",
                    ),
                    false,
                ),
            ],
        );
    }
}
