//! `so-in-purelib`: a shared object installed into purelib.

use super::{BinarySubject, Check, Findings, Rule};
use crate::Code;
use crate::finding::Finding;

pub const RULE: Rule = Rule {
    code: Code::SoInPurelib,
    check: Check::Binary(check),
};

fn check(subject: &BinarySubject<'_>, out: &mut Findings) {
    if !subject.in_purelib || !subject.is_first_slice() {
        return;
    }
    let Some(wheel) = subject.wheel else { return };
    let why = if subject.path.contains(".data/purelib/") {
        "it is under `*.data/purelib/`".to_owned()
    } else if wheel.metadata.root_is_purelib() {
        "the WHEEL file says `Root-Is-Purelib: true`".to_owned()
    } else {
        "the wheel installs it into purelib".to_owned()
    };
    out.push(
        Finding::new(
            Code::SoInPurelib,
            format!("`{}` is a compiled binary installed as pure Python", subject.path),
        )
        .note(why)
        .note("purelib may be shared between interpreters and platforms (distribution packages split platlib from purelib)")
        .help("set `Root-Is-Purelib: false` and install binaries at the wheel root or under `*.data/platlib/`"),
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
                    "Root-Is-Purelib",
                    elf("_core.abi3.so")
                        .in_wheel(WHEEL, "pkg/_core.abi3.so")
                        .purelib(),
                    true,
                ),
                (
                    "under .data/purelib",
                    elf("_core.abi3.so")
                        .in_wheel(WHEEL, "pkg-1.0.data/purelib/pkg/_core.abi3.so")
                        .purelib(),
                    true,
                ),
                (
                    "platlib",
                    elf("_core.abi3.so").in_wheel(WHEEL, "pkg/_core.abi3.so"),
                    false,
                ),
                ("a loose file", elf("_core.abi3.so").purelib(), false),
            ],
        );
    }
}
