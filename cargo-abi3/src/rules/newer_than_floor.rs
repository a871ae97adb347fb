//! `newer-than-floor`: a stable-ABI symbol added after the floor the binary claims.

use cargo_abi3_build_hook::{AbiKind, Severity};

use super::{BinarySubject, Check, Findings, Rule};
use crate::Code;
use crate::finding::Finding;

pub const RULE: Rule = Rule {
    code: Code::NewerThanFloor,
    check: Check::Binary(check),
};

fn check(subject: &BinarySubject<'_>, out: &mut Findings) {
    let claim = subject.claim;
    let Some(floor) = claim.floor else { return };
    if !claim.is_stable_abi() {
        return;
    }
    for python in &subject.python_imports {
        let Some(item) = python.item else { continue };
        if item.added <= floor {
            continue;
        }
        let name = item.name;
        let mut finding = Finding::new(
            Code::NewerThanFloor,
            format!(
                "`{name}` needs Python {}, but {}",
                item.added,
                claim.floor_phrase(floor)
            ),
        )
        .symbol(name)
        .versions(item.added, Some(floor))
        .note(format!("added to the stable ABI in {}", item.added));
        if let Some(library) = &python.import.library {
            finding = finding.library(library.clone());
        }
        if python.import.weak {
            // A weak reference resolves to NULL instead of failing the load: correct only if
            // the code checks for it at run time, which we cannot see.
            finding.severity = Severity::Warning;
            finding = finding.note("the reference is weak: the module loads on older versions, but must check the symbol for NULL before calling it");
        }
        let feature = if claim.kind == Some(AbiKind::Abi3t) {
            format!("`abi3t-py{}{}`", item.added.major, item.added.minor)
        } else {
            format!("`{}`", item.added.pyo3_feature())
        };
        out.push(finding.help(format!(
            "raise the floor to {} (PyO3 feature {feature}, tag {}) or stop calling `{name}`",
            item.added,
            item.added.cp_tag()
        )));
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
                (
                    "3.13 API on a 3.9 floor",
                    elf("m.abi3.so").import("PyType_GetModuleByDef").abi3(3, 9),
                    true,
                ),
                (
                    "abi3t too",
                    elf("m.abi3t.so").import("Py_TYPE").abi3t(3, 13),
                    true,
                ),
                (
                    "at the floor",
                    elf("m.abi3.so").import("PyType_GetModuleByDef").abi3(3, 13),
                    false,
                ),
                (
                    "older API",
                    elf("m.abi3.so").import("PyList_New").abi3(3, 9),
                    false,
                ),
                (
                    "no floor claimed",
                    elf("m.so").import("PyType_GetModuleByDef"),
                    false,
                ),
                (
                    "version-specific",
                    elf("m.so")
                        .import("PyType_GetModuleByDef")
                        .claim(AbiKind::VersionSpecific, Some((3, 9))),
                    false,
                ),
            ],
        );
    }
}
