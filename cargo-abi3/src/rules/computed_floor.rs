//! `computed-floor`: says what floor the imports need when it differs from the claim.

use super::{BinarySubject, Check, Findings, Rule};
use crate::Code;
use crate::finding::Finding;

pub const RULE: Rule = Rule {
    code: Code::ComputedFloor,
    check: Check::Binary(check),
};

fn check(subject: &BinarySubject<'_>, out: &mut Findings) {
    if !subject.claim.is_stable_abi() {
        return;
    }
    let Some(computed) = subject.computed_floor() else {
        return;
    };
    match subject.claim.floor {
        None => out.push(
            Finding::new(Code::ComputedFloor, format!("the imports need Python {computed} or newer"))
                .help(format!("pass --assume-minimum {computed} (or the floor you intend) to check against a floor")),
        ),
        Some(claimed) if computed < claimed => out.push(
            Finding::new(
                Code::ComputedFloor,
                format!("the imports need only Python {computed}, below the claimed {claimed}"),
            )
            .note("a lower floor would let the wheel install on more interpreters"),
        ),
        Some(_) => {}
    }
}

/// The rule over synthetic binaries: rows that trip it and rows that pass.
#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::*;
    use cargo_abi3_build_hook::AbiKind;

    #[test]
    fn table_of_cases() {
        table(
            &RULE,
            &[
                ("no floor claimed", elf("m.so").import("PyList_New"), true),
                (
                    "below the claim",
                    elf("m.abi3.so").import("PyList_New").abi3(3, 9),
                    true,
                ),
                (
                    "at the claim",
                    elf("m.abi3.so").import("PyType_GetModuleByDef").abi3(3, 13),
                    false,
                ),
                (
                    "above the claim (newer-than-floor says so)",
                    elf("m.abi3.so").import("PyType_GetModuleByDef").abi3(3, 9),
                    false,
                ),
                ("nothing imported", elf("m.abi3.so").abi3(3, 9), false),
                (
                    "version-specific",
                    elf("m.so")
                        .import("PyList_New")
                        .claim(AbiKind::VersionSpecific, None),
                    false,
                ),
            ],
        );
    }
}
