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
