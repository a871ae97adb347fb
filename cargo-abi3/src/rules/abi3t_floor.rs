//! `abi3t-floor`: an `abi3t` ABI tag with a floor below 3.15.

use cargo_abi3_build_hook::PyVersion;

use super::{Check, Findings, Rule, WheelSubject};
use crate::Code;
use crate::finding::Finding;

pub const RULE: Rule = Rule {
    code: Code::Abi3tFloor,
    check: Check::Wheel(check),
};

fn check(subject: &WheelSubject<'_>, out: &mut Findings) {
    let name = subject.name;
    if !name.has_abi3t() {
        return;
    }
    let Some(floor) = name.claimed_floor() else {
        return;
    };
    if floor >= PyVersion::ABI3T_START {
        return;
    }
    out.push(
        Finding::new(
            Code::Abi3tFloor,
            format!(
                "`{}` claims abi3t from Python {floor}, but abi3t exists only from 3.15",
                name.tag_triple()
            ),
        )
        .note("free-threaded interpreters before 3.15 have no stable ABI (PEP 803)")
        .help("tag the wheel cp315 (or newer), e.g. `cp315-abi3.abi3t-<platform>`"),
    );
}

/// The rule over synthetic binaries: rows that trip it and rows that pass.
#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::*;

    const WHEEL: &str = "pkg-1.0-cp39-abi3-manylinux_2_17_x86_64.whl";

    #[test]
    fn table_of_cases() {
        table(
            &RULE,
            &[
                (
                    "abi3t from 3.14",
                    elf("m.abi3t.so").in_wheel(
                        "pkg-1.0-cp314-abi3t-manylinux_2_17_x86_64.whl",
                        "pkg/m.abi3t.so",
                    ),
                    true,
                ),
                (
                    "abi3t from 3.15",
                    elf("m.abi3t.so").in_wheel(
                        "pkg-1.0-cp315-abi3t-manylinux_2_17_x86_64.whl",
                        "pkg/m.abi3t.so",
                    ),
                    false,
                ),
                (
                    "abi3",
                    elf("m.abi3.so").in_wheel(WHEEL, "pkg/m.abi3.so"),
                    false,
                ),
            ],
        );
    }
}
