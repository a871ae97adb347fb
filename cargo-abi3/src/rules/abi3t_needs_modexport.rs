//! `abi3t-needs-modexport`: an abi3t extension module without a `PyModExport_` hook.

use cargo_abi3_build_hook::AbiKind;

use super::{BinarySubject, Check, Findings, Role, Rule};
use crate::Code;
use crate::finding::Finding;

pub const RULE: Rule = Rule {
    code: Code::Abi3tNeedsModexport,
    check: Check::Binary(check),
};

fn check(subject: &BinarySubject<'_>, out: &mut Findings) {
    if subject.claim.kind != Some(AbiKind::Abi3t) {
        return;
    }
    let binary = subject.binary;
    let is_module = subject.role == Role::ExtensionModule || subject.module_name().is_some();
    if !is_module || binary.entry_points().any(|e| e.starts_with("PyModExport")) {
        return;
    }
    let mut finding = Finding::new(
        Code::Abi3tNeedsModexport,
        "an abi3t module without a `PyModExport_` entry point",
    )
    .note("under abi3t PyModuleDef is opaque: free-threaded interpreters import abi3t modules through PEP 793's PyModExport_ hook");
    if let Some(init) = binary.entry_points().find(|e| e.starts_with("PyInit")) {
        finding = finding
            .symbol(init)
            .note(format!("it exports only `{init}`"));
    }
    out.push(finding.help(format!(
        "export `PyModExport_{}` returning the module's slots (PyO3 does for abi3t builds)",
        subject.name_for_messages()
    )));
}

/// The rule over synthetic binaries: rows that trip it and rows that pass.
#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::*;

    #[test]
    fn table_of_cases() {
        table(
            &RULE,
            &[
                (
                    "PyInit only",
                    elf("_core.abi3t.so").export("PyInit__core").abi3t(3, 15),
                    true,
                ),
                (
                    "a known module without hooks",
                    elf("_core.abi3t.so").known_module().abi3t(3, 15),
                    true,
                ),
                (
                    "PyModExport",
                    elf("_core.abi3t.so")
                        .export("PyModExport__core")
                        .abi3t(3, 15),
                    false,
                ),
                (
                    "both",
                    elf("_core.abi3t.so")
                        .export("PyInit__core")
                        .export("PyModExport__core")
                        .abi3t(3, 15),
                    false,
                ),
                (
                    "abi3",
                    elf("_core.abi3.so").export("PyInit__core").abi3(3, 9),
                    false,
                ),
                ("a library", elf("libhelper.so").abi3t(3, 15), false),
            ],
        );
    }
}
