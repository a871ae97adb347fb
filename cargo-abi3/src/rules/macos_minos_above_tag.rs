//! `macos-minos-above-tag`: a Mach-O slice whose minimum macOS is newer than the wheel's
//! `macosx_X_Y` tag (the lowest one when several are compressed).

use super::{BinarySubject, Check, Findings, Rule};
use crate::Code;
use crate::binary::{Arch, Format};
use crate::finding::Finding;
use crate::wheel::PlatformFamily;

pub const RULE: Rule = Rule {
    code: Code::MacosMinosAboveTag,
    check: Check::Binary(check),
};

fn check(subject: &BinarySubject<'_>, out: &mut Findings) {
    let binary = subject.binary;
    if binary.format != Format::MachO {
        return;
    }
    let (Some(wheel), Some(minos)) = (subject.wheel, binary.macos_min) else {
        return;
    };
    let Some((tag_version, tag)) = wheel
        .name
        .platforms()
        .filter(|t| t.family() == PlatformFamily::Macos)
        .filter_map(|t| t.macos_version().map(|v| (v, t)))
        .min_by_key(|(v, _)| *v)
    else {
        return;
    };
    // Apple silicon runs macOS 11 or newer: an arm64 slice under a `macosx_10_x` tag (every
    // universal2 wheel built for Intel's 10.x) is only ever loaded on 11+.
    let loaded_from = if binary.arch == Arch::Aarch64 {
        tag_version.max((11, 0))
    } else {
        tag_version
    };
    if minos <= loaded_from {
        return;
    }
    let (major, minor) = minos;
    // From macOS 11 installers only generate `X_0` tags.
    let fix_tag = if major >= 11 {
        (major, 0)
    } else {
        (major, minor)
    };
    let fix_tag_note = if major >= 11 && minor > 0 {
        format!(
            " (macOS {major}.{minor} is only expressible as macosx_{major}_0, below the binary's minimum: rebuild for {major}.0 instead)"
        )
    } else {
        String::new()
    };
    out.push(
        Finding::new(
            Code::MacosMinosAboveTag,
            format!(
                "the {} slice needs macOS {major}.{minor}, but `{}` admits macOS {}.{}",
                binary.arch.tag_name(binary.platform()),
                tag.as_str(),
                tag_version.0,
                tag_version.1
            ),
        )
        .note(format!(
            "dyld refuses to load it on macOS {}.{} up to the release before {major}.{minor}",
            tag_version.0, tag_version.1
        ))
        .help(format!(
            "set MACOSX_DEPLOYMENT_TARGET={}.{} when building, or tag the wheel macosx_{}_{}{fix_tag_note}",
            tag_version.0, tag_version.1, fix_tag.0, fix_tag.1
        )),
    );
}

/// The rule over synthetic binaries: rows that trip it and rows that pass.
#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::binary::Arch;
    use crate::rules::testing::*;

    #[test]
    fn table_of_cases() {
        table(
            &RULE,
            &[
                (
                    "needs 12.0, tagged 11.0",
                    macho("m.abi3.so")
                        .macos_min(12, 0)
                        .in_wheel("pkg-1.0-cp39-abi3-macosx_11_0_arm64.whl", "pkg/m.abi3.so"),
                    true,
                ),
                (
                    "x86_64 needs 10.15, tagged 10.12",
                    macho("m.abi3.so")
                        .arch(Arch::X86_64)
                        .macos_min(10, 15)
                        .in_wheel("pkg-1.0-cp39-abi3-macosx_10_12_x86_64.whl", "pkg/m.abi3.so"),
                    true,
                ),
                (
                    "arm64 loads from 11.0 whatever the tag",
                    macho("m.abi3.so").macos_min(11, 0).in_wheel(
                        "pkg-1.0-cp39-abi3-macosx_10_12_universal2.whl",
                        "pkg/m.abi3.so",
                    ),
                    false,
                ),
                (
                    "at the tag",
                    macho("m.abi3.so")
                        .macos_min(11, 0)
                        .in_wheel("pkg-1.0-cp39-abi3-macosx_11_0_arm64.whl", "pkg/m.abi3.so"),
                    false,
                ),
                (
                    "no minimum read",
                    macho("m.abi3.so")
                        .in_wheel("pkg-1.0-cp39-abi3-macosx_11_0_arm64.whl", "pkg/m.abi3.so"),
                    false,
                ),
                ("a loose file", macho("m.abi3.so").macos_min(14, 0), false),
            ],
        );
    }
}
