//! `wrong-python-dll`: a PE binary importing a Python DLL other than the one its ABI names:
//! `python3.dll` for abi3, `python3t.dll` for abi3t, `python3XY[t].dll` for version-specific.

use cargo_abi3_build_hook::{AbiKind, PyVersion};

use super::{BinarySubject, Check, Findings, Rule};
use crate::Code;
use crate::binary::{Format, is_python_library};
use crate::finding::Finding;
use crate::wheel::SuffixKind;

pub const RULE: Rule = Rule {
    code: Code::WrongPythonDll,
    check: Check::Binary(check),
};

fn check(subject: &BinarySubject<'_>, out: &mut Findings) {
    if subject.binary.format != Format::Pe {
        return;
    }
    let Some((expected, why)) = expected_dll(subject) else {
        return;
    };
    for needed in &subject.binary.needed {
        if !is_python_library(&needed.name)
            || needed.name.eq_ignore_ascii_case(&expected)
            || also_fine(subject, &needed.name)
        {
            continue;
        }
        let lazy = if needed.lazy { " (delay-loaded)" } else { "" };
        let help = match subject.claim.kind {
            Some(AbiKind::Abi3) | None => {
                "link against python3.lib: define Py_LIMITED_API before including Python.h \
                 (pyconfig.h then selects python3.lib), or build with PyO3's abi3 feature"
            }
            Some(AbiKind::Abi3t) => {
                "link against python3t.lib (Py_TARGET_ABI3T / PyO3's abi3t feature selects it)"
            }
            Some(AbiKind::VersionSpecific) => {
                "build with the interpreter the wheel is tagged for, or fix the tag"
            }
            // A kind this rule does not know has no expected DLL (see `expected_dll`).
            Some(_) => continue,
        };
        out.push(
            Finding::new(
                Code::WrongPythonDll,
                format!(
                    "imports `{}`{lazy}, but {why} needs `{expected}`",
                    needed.name
                ),
            )
            .symbol(&needed.name)
            .library(&needed.name)
            .note(format!(
                "Windows loads DLLs by name: the module fails to load (or loads a second \
                 interpreter) wherever `{}` is not the running interpreter's",
                needed.name
            ))
            .help(help),
        );
    }
}

/// A version-specific module may use the stable ABI's DLL of its build (python3.dll, or
/// python3t.dll when free-threaded): it forwards to the interpreter that loaded it.
fn also_fine(subject: &BinarySubject<'_>, dll: &str) -> bool {
    if subject.claim.kind != Some(AbiKind::VersionSpecific) {
        return false;
    }
    let free_threaded = version_specific(subject).is_some_and(|(_, t)| t);
    let stable = if free_threaded {
        "python3t.dll"
    } else {
        "python3.dll"
    };
    dll.eq_ignore_ascii_case(stable)
}

/// The Python DLL the binary must import, and what says so.
fn expected_dll(subject: &BinarySubject<'_>) -> Option<(String, String)> {
    match subject.claim.kind {
        None | Some(AbiKind::Abi3) => Some(("python3.dll".into(), "an abi3 module".into())),
        // CPython 3.15 ships python3t.dll in free-threaded and (forwarding to the GIL-enabled
        // runtime) in GIL-enabled installs; python3.dll is absent from free-threaded ones.
        Some(AbiKind::Abi3t) => Some(("python3t.dll".into(), "an abi3t module".into())),
        Some(AbiKind::VersionSpecific) => {
            let (version, free_threaded) = version_specific(subject)?;
            let t = if free_threaded { "t" } else { "" };
            Some((
                format!("python{}{}{t}.dll", version.major, version.minor),
                format!("a cp{}{}{t} module", version.major, version.minor),
            ))
        }
        // An ABI kind added to the hook later: no DLL is known to be required.
        Some(_) => None,
    }
}

/// The version (and free-threading) a version-specific binary is for: the wheel's ABI tag,
/// else the file's suffix.
fn version_specific(subject: &BinarySubject<'_>) -> Option<(PyVersion, bool)> {
    if let Some(wheel) = subject.wheel {
        for abi in &wheel.name.abi_tags {
            if let Some(tag) = abi.cp() {
                return Some((tag.version, tag.free_threaded));
            }
        }
    }
    match &subject.extension_name.suffix {
        SuffixKind::VersionSpecificPyd {
            version: Some(v),
            free_threaded,
            ..
        } => Some((*v, *free_threaded)),
        _ => None,
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
                    "abi3 importing python311.dll",
                    pe("m.pyd").needed("python311.dll").abi3(3, 9),
                    true,
                ),
                (
                    "abi3t importing python3.dll",
                    pe("m.pyd").needed("python3.dll").abi3t(3, 15),
                    true,
                ),
                (
                    "cp311 importing python312.dll",
                    pe("m.pyd")
                        .needed("python312.dll")
                        .claim(AbiKind::VersionSpecific, None)
                        .in_wheel("pkg-1.0-cp311-cp311-win_amd64.whl", "pkg/m.pyd"),
                    true,
                ),
                (
                    "abi3 importing python3.dll",
                    pe("m.pyd").needed("python3.dll").abi3(3, 9),
                    false,
                ),
                (
                    "case does not matter",
                    pe("m.pyd").needed("PYTHON3.DLL").abi3(3, 9),
                    false,
                ),
                (
                    "abi3t importing python3t.dll",
                    pe("m.pyd").needed("python3t.dll").abi3t(3, 15),
                    false,
                ),
                (
                    "cp311 may use python3.dll",
                    pe("m.pyd")
                        .needed("python3.dll")
                        .claim(AbiKind::VersionSpecific, None)
                        .in_wheel("pkg-1.0-cp311-cp311-win_amd64.whl", "pkg/m.pyd"),
                    false,
                ),
                (
                    "ELF",
                    elf("m.abi3.so").needed("python311.dll").abi3(3, 9),
                    false,
                ),
            ],
        );
    }
}
