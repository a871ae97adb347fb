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
