//! `requires-python-below-floor`: METADATA admits interpreters the abi3 build cannot serve.

use super::{Check, Findings, Rule, WheelSubject};
use crate::Code;
use crate::finding::Finding;
use crate::wheel::requires_python_floor;

pub const RULE: Rule = Rule {
    code: Code::RequiresPythonBelowFloor,
    check: Check::Wheel(check),
};

fn check(subject: &WheelSubject<'_>, out: &mut Findings) {
    if !subject.name.abi_kind().is_some_and(|k| k.is_stable()) {
        return;
    }
    let (Some(spec), Some(floor)) = (
        subject
            .metadata
            .core
            .as_ref()
            .and_then(|core| core.requires_python.as_deref()),
        subject.name.claimed_floor(),
    ) else {
        return;
    };
    let Some(admitted) = requires_python_floor(spec) else {
        return;
    };
    if admitted < floor {
        out.push(
            Finding::new(
                Code::RequiresPythonBelowFloor,
                format!(
                    "Requires-Python `{spec}` admits Python {admitted}, but the wheel needs {floor}"
                ),
            )
            .note(format!(
                "installers on {admitted}..{floor} find no wheel and build the sdist instead"
            ))
            .help(format!(
                "set requires-python = \">={floor}\" in pyproject.toml"
            )),
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
                    "admits 3.8",
                    elf("m.so")
                        .in_wheel(WHEEL, "pkg/m.so")
                        .requires_python(">=3.8"),
                    true,
                ),
                (
                    "admits everything",
                    elf("m.so")
                        .in_wheel(WHEEL, "pkg/m.so")
                        .requires_python(">=3"),
                    true,
                ),
                (
                    "at the floor",
                    elf("m.so")
                        .in_wheel(WHEEL, "pkg/m.so")
                        .requires_python(">=3.9"),
                    false,
                ),
                (
                    "above the floor",
                    elf("m.so")
                        .in_wheel(WHEEL, "pkg/m.so")
                        .requires_python(">=3.11"),
                    false,
                ),
                (
                    "no Requires-Python",
                    elf("m.so").in_wheel(WHEEL, "pkg/m.so"),
                    false,
                ),
                (
                    "version-specific",
                    elf("m.so")
                        .in_wheel("pkg-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", "pkg/m.so")
                        .requires_python(">=3.8"),
                    false,
                ),
            ],
        );
    }
}
