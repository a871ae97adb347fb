//! `not-in-stable-abi`: an interpreter symbol the stable-ABI manifest does not list.

use super::{BinarySubject, Check, Findings, Rule};
use crate::Code;
use crate::finding::Finding;

pub const RULE: Rule = Rule {
    code: Code::NotInStableAbi,
    check: Check::Binary(check),
};

fn check(subject: &BinarySubject<'_>, out: &mut Findings) {
    if !subject.claim.is_stable_abi() {
        return;
    }
    for python in subject.python_imports.iter().filter(|p| p.item.is_none()) {
        let name = &python.import.name;
        let mut finding = Finding::new(
            Code::NotInStableAbi,
            format!("`{name}` is not part of the stable ABI"),
        )
        .symbol(name.clone());
        finding = finding.note(match &python.import.library {
            Some(library) => {
                format!("imported from `{library}`; CPython's stable-ABI manifest does not list it")
            }
            None => "imported from the interpreter; CPython's stable-ABI manifest does not list it"
                .to_owned(),
        });
        if let Some(library) = &python.import.library {
            finding = finding.library(library.clone());
        }
        if name.starts_with('_') {
            finding = finding.note("names starting with `_Py` are private CPython internals");
        }
        out.push(finding.help(format!(
            "compile with Py_LIMITED_API (PyO3: an `abi3-pyXY` feature) and replace `{name}` with a limited-API call, or ship version-specific wheels"
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
                    "a private symbol",
                    elf("m.abi3.so").import("_PyObject_GetDictPtr").abi3(3, 9),
                    true,
                ),
                (
                    "from python3.dll",
                    pe("m.pyd").import("PyUnicode_AsUTF8AndSizeX").abi3(3, 9),
                    true,
                ),
                (
                    "a loose binary is held to abi3",
                    elf("m.so").import("_PyObject_GetDictPtr"),
                    true,
                ),
                (
                    "in the manifest",
                    elf("m.abi3.so").import("PyList_New").abi3(3, 9),
                    false,
                ),
                (
                    "version-specific",
                    elf("m.so")
                        .import("_PyObject_GetDictPtr")
                        .claim(AbiKind::VersionSpecific, Some((3, 12))),
                    false,
                ),
                (
                    "not from Python",
                    elf("m.abi3.so").import("memcpy").abi3(3, 9),
                    false,
                ),
            ],
        );
    }
}
