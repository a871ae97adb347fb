//! `debug-only-symbol`: a symbol only debug builds of CPython export.

use super::{BinarySubject, Check, Findings, Rule};
use crate::Code;
use crate::abi::Availability;
use crate::finding::Finding;

pub const RULE: Rule = Rule {
    code: Code::DebugOnlySymbol,
    check: Check::Binary(check),
};

fn check(subject: &BinarySubject<'_>, out: &mut Findings) {
    let platform = subject.binary.platform();
    for python in &subject.python_imports {
        let Some(item) = python.item else { continue };
        if item.availability(platform) != Availability::DebugBuildsOnly {
            continue;
        }
        let guard = item.ifdef.map(|i| i.macro_name()).unwrap_or("?");
        out.push(
            Finding::new(
                Code::DebugOnlySymbol,
                format!("`{}` exists only in debug builds of CPython", item.name),
            )
            .symbol(item.name)
            .note(format!("the manifest makes it conditional on `{guard}`; abi3 wheels are loaded by release builds"))
            .help("build against a release interpreter, without Py_DEBUG / Py_REF_DEBUG"),
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
                    "a Py_REF_DEBUG symbol",
                    elf("m.abi3.so").import("_Py_NegativeRefcount").abi3(3, 10),
                    true,
                ),
                (
                    "on PE too",
                    pe("m.pyd").import("_Py_RefTotal").abi3(3, 10),
                    true,
                ),
                (
                    "a release symbol",
                    elf("m.abi3.so").import("PyList_New").abi3(3, 10),
                    false,
                ),
                ("nothing imported", elf("m.abi3.so").abi3(3, 10), false),
            ],
        );
    }
}
