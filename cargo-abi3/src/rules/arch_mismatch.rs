//! `arch-mismatch`: a binary of an architecture (or format) the wheel's platform tags do
//! not name.

use super::{BinarySubject, Check, Findings, Rule};
use crate::Code;
use crate::binary::Format;
use crate::finding::Finding;
use crate::wheel::PlatformFamily;

pub const RULE: Rule = Rule {
    code: Code::ArchMismatch,
    check: Check::Binary(check),
};

fn families(format: Format) -> &'static [PlatformFamily] {
    match format {
        Format::Elf => &[
            PlatformFamily::Manylinux,
            PlatformFamily::Musllinux,
            PlatformFamily::Linux,
        ],
        Format::MachO => &[PlatformFamily::Macos],
        Format::Pe => &[PlatformFamily::Windows],
    }
}

fn check(subject: &BinarySubject<'_>, out: &mut Findings) {
    let Some(wheel) = subject.wheel else { return };
    let binary = subject.binary;
    let tags: Vec<_> = wheel.name.platforms().collect();
    // Tags this rule does not understand (android, ios, BSDs): judge nothing.
    if tags
        .iter()
        .any(|t| matches!(t.family(), PlatformFamily::Other | PlatformFamily::Any))
    {
        return;
    }
    let matching: Vec<_> = tags
        .iter()
        .filter(|t| families(binary.format).contains(&t.family()))
        .collect();
    let arch = &binary.arch;
    let shown = binary.arch.tag_name(binary.platform());
    if matching.is_empty() {
        out.push(
            Finding::new(
                Code::ArchMismatch,
                format!(
                    "a {} {} binary in a wheel tagged `{}`",
                    shown,
                    binary.format.name(),
                    wheel.name.platform_tags.join(".")
                ),
            )
            .note("installers put it on systems that cannot load this format")
            .help("build for the tagged platform, or retag the wheel"),
        );
        return;
    }
    if matching.iter().any(|t| t.architectures().contains(arch)) {
        return;
    }
    let tagged: Vec<&str> = matching.iter().map(|t| t.as_str()).collect();
    out.push(
        Finding::new(
            Code::ArchMismatch,
            format!(
                "the binary is {shown}, but the platform tag{} `{}` name{} other architectures",
                if tagged.len() == 1 { "" } else { "s" },
                tagged.join("`, `"),
                if tagged.len() == 1 { "s" } else { "" },
            ),
        )
        .help("build for the tag's target (e.g. `--target`), or retag the wheel"),
    );
}

/// The rule over synthetic binaries: rows that trip it and rows that pass.
#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::binary::Arch;
    use crate::rules::testing::*;

    const WHEEL: &str = "pkg-1.0-cp39-abi3-manylinux_2_17_x86_64.whl";

    #[test]
    fn table_of_cases() {
        table(
            &RULE,
            &[
                (
                    "aarch64 in an x86_64 wheel",
                    elf("m.abi3.so")
                        .arch(Arch::Aarch64)
                        .in_wheel(WHEEL, "pkg/m.abi3.so"),
                    true,
                ),
                (
                    "ELF in a macOS wheel",
                    elf("m.abi3.so")
                        .in_wheel("pkg-1.0-cp39-abi3-macosx_11_0_x86_64.whl", "pkg/m.abi3.so"),
                    true,
                ),
                (
                    "x86_64 in an x86_64 wheel",
                    elf("m.abi3.so").in_wheel(WHEEL, "pkg/m.abi3.so"),
                    false,
                ),
                (
                    "arm64 in a universal2 wheel",
                    macho("m.abi3.so").in_wheel(
                        "pkg-1.0-cp39-abi3-macosx_10_12_universal2.whl",
                        "pkg/m.abi3.so",
                    ),
                    false,
                ),
                ("a loose file", elf("m.abi3.so").arch(Arch::Aarch64), false),
            ],
        );
    }
}
