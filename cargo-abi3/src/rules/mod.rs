//! Rules: one module per code, all registered in [`REGISTRY`].
//!
//! A rule reads a [`BinarySubject`] (one binary with everything known about where it came
//! from and what it claims) or a [`WheelSubject`] (a wheel as a whole) and pushes findings.
//! Rules never fail: "could not analyse" is decided before a subject exists.

mod context;

mod computed_floor;
mod debug_only_symbol;
mod newer_than_floor;
mod not_in_stable_abi;
mod platform_only_symbol;
mod requires_python_below_floor;
mod uninstallable_tag;

pub use context::{BinarySubject, Claim, ClaimSource, PythonImport, Role, WheelSubject};

use crate::Code;
use crate::finding::Finding;

/// How a rule is invoked.
#[derive(Clone, Copy)]
pub enum Check {
    /// Once per binary (per slice of a fat Mach-O).
    Binary(fn(&BinarySubject<'_>, &mut Vec<Finding>)),
    /// Once per wheel.
    Wheel(fn(&WheelSubject<'_>, &mut Vec<Finding>)),
}

/// A registered rule: the code it emits and how to run it.
#[derive(Clone, Copy)]
pub struct Rule {
    pub code: Code,
    pub check: Check,
}

/// Every rule of the audit engine. Codes not listed here are emitted elsewhere (input errors
/// by the readers, intent codes by `check` and the build hook, host codes by `host`).
pub static REGISTRY: &[Rule] = &[
    not_in_stable_abi::RULE,
    newer_than_floor::RULE,
    platform_only_symbol::RULE,
    debug_only_symbol::RULE,
    computed_floor::RULE,
    uninstallable_tag::RULE,
    requires_python_below_floor::RULE,
];

/// Runs every binary rule on one binary.
pub fn check_binary(subject: &BinarySubject<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for rule in REGISTRY {
        if let Check::Binary(check) = rule.check {
            check(subject, &mut findings);
        }
    }
    findings
}

/// Runs every wheel rule on one wheel.
pub fn check_wheel(subject: &WheelSubject<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for rule in REGISTRY {
        if let Check::Wheel(check) = rule.check {
            check(subject, &mut findings);
        }
    }
    findings
}

/// Codes emitted outside the rule registry, and by whom.
pub const EMITTED_ELSEWHERE: &[(Code, &str)] = &[
    (Code::UnreadableInput, "input readers"),
    (Code::InputLimitExceeded, "input readers"),
    (Code::NothingToAudit, "input discovery"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_registered_once() {
        let mut seen = std::collections::HashSet::new();
        for rule in REGISTRY {
            assert!(seen.insert(rule.code), "{} registered twice", rule.code);
        }
    }
}
