//! `modexport-needs-newer-floor`: only a `PyModExport_` hook (PEP 793), yet a floor below
//! 3.15, where no interpreter looks for it.

use cargo_abi3_build_hook::PyVersion;

use super::{BinarySubject, Check, Findings, Rule};
use crate::Code;
use crate::finding::Finding;

pub const RULE: Rule = Rule {
    code: Code::ModexportNeedsNewerFloor,
    check: Check::Binary(check),
};

/// PEP 793's `PyModExport_` lookup exists from this version.
const MODEXPORT_START: PyVersion = PyVersion::new(3, 15);

fn check(subject: &BinarySubject<'_>, out: &mut Findings) {
    let Some(floor) = subject.claim.floor else {
        return;
    };
    if floor >= MODEXPORT_START {
        return;
    }
    let binary = subject.binary;
    let mut modexport = binary
        .entry_points()
        .filter(|e| e.starts_with("PyModExport"))
        .peekable();
    let Some(&first) = modexport.peek() else {
        return;
    };
    if binary.entry_points().any(|e| e.starts_with("PyInit")) {
        return;
    }
    out.push(
        Finding::new(
            Code::ModexportNeedsNewerFloor,
            format!(
                "exports only `{first}`, which Python before 3.15 does not look up, but {}",
                subject.claim.floor_phrase(floor)
            ),
        )
        .symbol(first)
        .help(format!(
            "also export `{}` (PyO3 does unless told otherwise), or raise the floor to 3.15 (tag cp315)",
            first.replacen("PyModExport", "PyInit", 1)
        )),
    );
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
                    "PyModExport only, 3.9",
                    elf("_core.abi3.so").export("PyModExport__core").abi3(3, 9),
                    true,
                ),
                (
                    "both hooks",
                    elf("_core.abi3.so")
                        .export("PyModExport__core")
                        .export("PyInit__core")
                        .abi3(3, 9),
                    false,
                ),
                (
                    "a 3.15 floor",
                    elf("_core.abi3t.so")
                        .export("PyModExport__core")
                        .abi3t(3, 15),
                    false,
                ),
                (
                    "PyInit only",
                    elf("_core.abi3.so").export("PyInit__core").abi3(3, 9),
                    false,
                ),
                (
                    "no floor",
                    elf("_core.so").export("PyModExport__core"),
                    false,
                ),
            ],
        );
    }
}
