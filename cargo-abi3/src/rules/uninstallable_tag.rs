//! `uninstallable-tag`: tag sets no installer ever selects (`py3-abi3`).

use super::{Check, Findings, Rule, WheelSubject};
use crate::Code;
use crate::finding::Finding;

pub const RULE: Rule = Rule {
    code: Code::UninstallableTag,
    check: Check::Wheel(check),
};

fn check(subject: &WheelSubject<'_>, out: &mut Findings) {
    if let Some(reason) = subject.name.uninstallable_reason() {
        out.push(
            Finding::new(Code::UninstallableTag, "no installer can select this wheel")
                .note(reason)
                .help("tag abi3 wheels `cp3X-abi3-<platform>`, with the floor as `cp3X`"),
        );
    }
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
                    "abi3 paired with py3",
                    elf("m.so").in_wheel("pkg-1.0-py3-abi3-manylinux_2_17_x86_64.whl", "pkg/m.so"),
                    true,
                ),
                (
                    "abi3 on any",
                    elf("m.so").in_wheel("pkg-1.0-cp39-abi3-any.whl", "pkg/m.so"),
                    true,
                ),
                ("cp39-abi3", elf("m.so").in_wheel(WHEEL, "pkg/m.so"), false),
                (
                    "cp311-cp311",
                    elf("m.so")
                        .in_wheel("pkg-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", "pkg/m.so"),
                    false,
                ),
            ],
        );
    }
}
