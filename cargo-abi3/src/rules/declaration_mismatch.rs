//! `declaration-mismatch`: the declaration the build hook embedded disagrees with the wheel.

use cargo_abi3_build_hook::Severity;

use super::{BinarySubject, Check, ClaimSource, Findings, Rule};
use crate::Code;
use crate::finding::Finding;

pub const RULE: Rule = Rule {
    code: Code::DeclarationMismatch,
    check: Check::Binary(check),
};

fn check(subject: &BinarySubject<'_>, out: &mut Findings) {
    let Some(declared) = subject.declaration else {
        return;
    };
    // A claim taken from the declaration itself cannot disagree with it.
    if subject.claim.source == ClaimSource::Declaration || !subject.is_first_slice() {
        return;
    }
    let what = match &subject.claim.source {
        ClaimSource::WheelTag(tag) => format!("the wheel tag `{tag}`"),
        ClaimSource::AssumeMinimum => "--assume-minimum".to_owned(),
        _ => "the claim".to_owned(),
    };
    let note = format!(
        "the author declared {}",
        describe(declared.kind, declared.floor)
    );
    if let Some(kind) = subject.claim.kind
        && kind != declared.kind
    {
        out.push(
            Finding::new(
                Code::DeclarationMismatch,
                format!(
                    "{what} says {kind}, but the binary was built as {}",
                    declared.kind
                ),
            )
            .note(note.clone())
            .help("rebuild with the declared settings, or fix the tag the wheel was given"),
        );
        return;
    }
    if let (Some(claimed), Some(floor)) = (subject.claim.floor, declared.floor)
        && claimed != floor
    {
        let mut finding = Finding::new(
            Code::DeclarationMismatch,
            format!("{what} claims Python {claimed}, but the binary was built for {floor}"),
        )
        .note(note);
        if claimed > floor {
            // Narrower than built: safe, but it turns away interpreters the build supports.
            finding.severity = Severity::Warning;
            finding = finding.help(format!(
                "tag the wheel {} to reach every version the build supports",
                floor.cp_tag()
            ));
        } else {
            finding = finding
                .note(format!("interpreters {claimed} to {floor} install it, but it was built for {floor} and newer"))
                .help(format!("tag the wheel {} (maturin does this from the PyO3 feature)", floor.cp_tag()));
        }
        out.push(finding);
    }
    if let (Some(declared_module), Some(module)) = (&declared.module, subject.module_name())
        && declared_module != module
        && subject.wheel.is_some()
    {
        out.push(
            Finding::new(
                Code::DeclarationMismatch,
                format!("the file is named for module `{module}`, but was built as module `{declared_module}`"),
            )
            .help(format!("name the file `{declared_module}.<suffix>` (maturin `module-name`), or rebuild"))
            .note("Python calls PyInit_<file name>; a renamed file does not import"),
        );
    }
}

fn describe(
    kind: cargo_abi3_build_hook::AbiKind,
    floor: Option<cargo_abi3_build_hook::PyVersion>,
) -> String {
    match floor {
        Some(floor) => format!("{kind} with floor {floor}"),
        None => kind.to_string(),
    }
}

/// The rule over synthetic binaries: rows that trip it and rows that pass.
#[cfg(test)]
mod tests {
    use cargo_abi3_build_hook::declaration::Declaration;
    use cargo_abi3_build_hook::{AbiKind, PyVersion};

    use super::RULE;
    use crate::rules::testing::*;

    fn declared(kind: AbiKind, floor: Option<(u8, u8)>) -> Declaration {
        let mut declaration = Declaration::new(kind, floor.map(|(a, b)| PyVersion::new(a, b)));
        declaration.module = Some("m".into());
        declaration
    }

    #[test]
    fn table_of_cases() {
        let abi3_39 = declared(AbiKind::Abi3, Some((3, 9)));
        table(
            &RULE,
            &[
                (
                    "tagged 3.8, built for 3.9",
                    elf("m.abi3.so").abi3(3, 8).declaration(abi3_39.clone()),
                    true,
                ),
                (
                    "tagged 3.11, built for 3.9",
                    elf("m.abi3.so").abi3(3, 11).declaration(abi3_39.clone()),
                    true,
                ),
                (
                    "tagged abi3t, built as abi3",
                    elf("m.abi3.so").abi3t(3, 15).declaration(abi3_39.clone()),
                    true,
                ),
                (
                    "as declared",
                    elf("m.abi3.so").abi3(3, 9).declaration(abi3_39.clone()),
                    false,
                ),
                ("no declaration", elf("m.abi3.so").abi3(3, 8), false),
                ("unclaimed", elf("m.abi3.so").declaration(abi3_39), false),
            ],
        );
    }
}
