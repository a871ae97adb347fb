//! `abi3t-unusable-api`: an abi3t module importing an API that takes a `PyModuleDef`.

use cargo_abi3_build_hook::AbiKind;

use super::{BinarySubject, Check, Findings, Rule};
use crate::Code;
use crate::abi::ABI3T_UNUSABLE;
use crate::finding::Finding;

pub const RULE: Rule = Rule {
    code: Code::Abi3tUnusableApi,
    check: Check::Binary(check),
};

fn check(subject: &BinarySubject<'_>, out: &mut Findings) {
    if subject.claim.kind != Some(AbiKind::Abi3t) {
        return;
    }
    for python in &subject.python_imports {
        let name = python.import.name.as_str();
        if !ABI3T_UNUSABLE.contains(&name) {
            continue;
        }
        out.push(
            Finding::new(
                Code::Abi3tUnusableApi,
                format!("`{name}` takes a PyModuleDef, whose layout abi3t does not fix"),
            )
            .symbol(name)
            .note("PEP 803 makes PyObject (and so PyModuleDef's head) opaque; the call reads or writes the wrong layout on free-threaded builds")
            .help("create the module from PyModExport_ slots (Py_mod_name, Py_mod_methods, …) instead"),
        );
    }
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
                    "PyModule_Create2",
                    elf("m.abi3t.so").import("PyModule_Create2").abi3t(3, 15),
                    true,
                ),
                (
                    "PyModuleDef_Init",
                    elf("m.abi3t.so").import("PyModuleDef_Init").abi3t(3, 15),
                    true,
                ),
                (
                    "other API",
                    elf("m.abi3t.so").import("PyList_New").abi3t(3, 15),
                    false,
                ),
                (
                    "under abi3",
                    elf("m.abi3.so").import("PyModule_Create2").abi3(3, 9),
                    false,
                ),
            ],
        );
    }
}
