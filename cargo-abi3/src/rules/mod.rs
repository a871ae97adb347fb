//! Rules: one module per code, all registered in [`REGISTRY`]; only rules live here (what they
//! read is [`crate::subject`]; the manylinux policies and punycode are in [`crate::wheel`]).
//!
//! A rule reads a [`BinarySubject`] (one binary with everything known about where it came
//! from and what it claims) or a [`WheelSubject`] (a wheel as a whole) and pushes findings.
//! Rules never fail: "could not analyse" is decided before a subject exists.

#[cfg(test)]
mod testing;

mod computed_floor;
mod debug_only_symbol;
mod declaration_mismatch;
mod newer_than_floor;
mod not_in_stable_abi;
mod platform_only_symbol;
mod requires_python_below_floor;
mod uninstallable_tag;

mod abi3t_floor;
mod abi3t_needs_modexport;
mod abi3t_unusable_api;
mod arch_mismatch;
mod entry_point_missing;
mod extra_exports;
mod forbidden_symbol;
mod links_libpython;
mod macos_minos_above_tag;
mod missing_universal2_slice;
mod modexport_needs_newer_floor;
mod needed_not_allowed;
mod so_in_purelib;
mod suffix_tag_mismatch;
mod symbol_version_too_new;
mod wrong_python_dll;

// Run by `cargo abi3 host` over the host's simulated global scope.
pub mod dll_name_collision;
pub mod flat_namespace_lookup;
pub mod host_global_library;
pub mod host_shadows_symbol;
pub mod host_unresolved_library;

pub use crate::subject::{
    BinarySubject, Claim, ClaimSource, ExportAllow, PythonImport, Role, WheelSubject,
};

use crate::Code;
use crate::finding::{Finding, Findings};

/// A rule over one binary.
pub type BinaryCheck = fn(&BinarySubject<'_>, &mut Findings);

/// How a rule is invoked.
#[derive(Clone, Copy)]
pub enum Check {
    /// Once per binary (per slice of a fat Mach-O).
    Binary(BinaryCheck),
    /// Once per binary too, but one that relates the binary to the rest of its wheel
    /// ([`BinarySubject::bundled`]). In a wheel it runs after every member is read, when the
    /// other rules have run and the binary's model is gone: it reads only the binary's
    /// linking data ([`crate::binary::Binary::linking`]), and it emits only its own code.
    Bundle(BinaryCheck),
    /// Once per wheel.
    Wheel(fn(&WheelSubject<'_>, &mut Findings)),
    /// By `cargo abi3 host`, on the host's closure and each `--with` binary against it: the
    /// rule module builds the finding from what the loader simulation found.
    Host,
}

/// A registered rule: the code it emits and how to run it.
#[derive(Clone, Copy)]
pub struct Rule {
    pub code: Code,
    pub check: Check,
}

/// Every rule of the audit engine and of `cargo abi3 host`. Codes not listed here are emitted
/// elsewhere (input errors by the readers, intent codes by `check` and the build hook).
pub static REGISTRY: &[Rule] = &[
    not_in_stable_abi::RULE,
    newer_than_floor::RULE,
    platform_only_symbol::RULE,
    debug_only_symbol::RULE,
    computed_floor::RULE,
    declaration_mismatch::RULE,
    uninstallable_tag::RULE,
    requires_python_below_floor::RULE,
    // Link hygiene
    links_libpython::RULE,
    wrong_python_dll::RULE,
    extra_exports::RULE,
    needed_not_allowed::RULE,
    symbol_version_too_new::RULE,
    forbidden_symbol::RULE,
    // Entry points and names
    entry_point_missing::RULE,
    modexport_needs_newer_floor::RULE,
    suffix_tag_mismatch::RULE,
    so_in_purelib::RULE,
    // Platform tags
    macos_minos_above_tag::RULE,
    arch_mismatch::RULE,
    missing_universal2_slice::RULE,
    // abi3t (PEP 803)
    abi3t_floor::RULE,
    abi3t_needs_modexport::RULE,
    abi3t_unusable_api::RULE,
    // The host's global scope (`cargo abi3 host`)
    host_shadows_symbol::RULE,
    host_global_library::RULE,
    flat_namespace_lookup::RULE,
    host_unresolved_library::RULE,
    dll_name_collision::RULE,
];

/// Runs every binary rule on one binary (whose [`BinarySubject::bundled`] is complete).
pub fn check_binary(subject: &BinarySubject<'_>) -> Vec<Finding> {
    check_unbundled(subject).finish(subject)
}

/// Runs the binary rules that need only the binary itself; [`Unbundled::finish`] runs the
/// [`Check::Bundle`] rules once the wheel's bundle is known. So a wheel's members can be read
/// and judged one at a time, each model dropped as soon as it is judged, instead of all of
/// them held until the last is read.
pub fn check_unbundled(subject: &BinarySubject<'_>) -> Unbundled {
    let mut findings = Findings::default();
    let mut marks = Vec::new();
    for rule in REGISTRY {
        match rule.check {
            Check::Binary(check) => check(subject, &mut findings),
            Check::Bundle(check) => marks.push((check, findings.mark())),
            Check::Wheel(_) | Check::Host => {}
        }
    }
    Unbundled { findings, marks }
}

/// A binary's findings but those of the [`Check::Bundle`] rules, with the place each of
/// those rules' findings goes: the findings come out exactly as if every rule had run in
/// registry order.
#[derive(Debug)]
pub struct Unbundled {
    findings: Findings,
    marks: Vec<(BinaryCheck, crate::finding::Mark)>,
}

impl Unbundled {
    /// Runs the bundle rules on `subject` (the binary's linking data is enough, with the
    /// wheel's complete bundle) and returns every finding.
    pub fn finish(self, subject: &BinarySubject<'_>) -> Vec<Finding> {
        let Unbundled {
            mut findings,
            marks,
        } = self;
        // From the last mark back, so that the earlier marks still point where they did.
        for (check, mark) in marks.into_iter().rev() {
            let mut later = Findings::default();
            check(subject, &mut later);
            findings.insert_at(mark, later);
        }
        findings.finish()
    }
}

/// Runs every wheel rule on one wheel.
pub fn check_wheel(subject: &WheelSubject<'_>) -> Vec<Finding> {
    let mut findings = Findings::default();
    for rule in REGISTRY {
        if let Check::Wheel(check) = rule.check {
            check(subject, &mut findings);
        }
    }
    findings.finish()
}

/// Codes emitted outside the rule registry, and by whom.
pub const EMITTED_ELSEWHERE: &[(Code, &str)] = &[
    (Code::UnreadableInput, "input readers"),
    (Code::InputLimitExceeded, "input readers"),
    (Code::NothingToAudit, "input discovery"),
    (Code::AmbiguousArchive, "wheel reader"),
    (Code::FloorMismatch, "build hook intent (check, build.rs)"),
    (
        Code::FeatureFloorMismatch,
        "build hook intent (check, build.rs)",
    ),
    (
        Code::SilentVersionSpecificBuild,
        "build hook intent (check, build.rs)",
    ),
    (
        Code::ForwardCompatOverride,
        "build hook intent (check, build.rs)",
    ),
    (
        Code::ExtensionModuleNotSet,
        "build hook intent (check, build.rs)",
    ),
    (Code::CPartOffFloor, "build hook cc helper"),
    (Code::Pyo3ConfigUnavailable, "build hook (build.rs)"),
    (Code::UnmatchedAllow, "the policy file (audit, check)"),
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

    /// `cargo abi3 host`'s codes are rules like the others (listed, explained, registered).
    #[test]
    fn host_codes_are_registered_rules() {
        let host: Vec<Code> = Code::ALL
            .iter()
            .copied()
            .filter(|c| c.family() == cargo_abi3_build_hook::Family::Host)
            .collect();
        assert!(host.len() >= 5, "{host:?}");
        for code in host {
            let rule = REGISTRY
                .iter()
                .find(|r| r.code == code)
                .expect("registered");
            assert!(matches!(rule.check, Check::Host), "{code}");
            assert!(!code.explain().is_empty(), "{code}");
        }
    }

    /// Every code is emitted by exactly one owner: a registered rule, or one of the places
    /// listed in `EMITTED_ELSEWHERE`. A new code must be wired up before it can ship.
    #[test]
    fn every_code_has_exactly_one_owner() {
        for &code in Code::ALL {
            let rules = REGISTRY.iter().filter(|r| r.code == code).count();
            let elsewhere = EMITTED_ELSEWHERE.iter().filter(|(c, _)| *c == code).count();
            assert_eq!(
                rules + elsewhere,
                1,
                "{code}: {rules} rules, {elsewhere} other owners"
            );
        }
    }
}
