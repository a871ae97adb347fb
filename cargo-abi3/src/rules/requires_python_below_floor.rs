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
