//! `suffix-tag-mismatch`: an extension file whose suffix the interpreters the wheel's ABI
//! tag admits do not import (importlib's EXTENSION_SUFFIXES).

use cargo_abi3_build_hook::{AbiKind, PyVersion};

use super::{BinarySubject, Check, Findings, Role, Rule};
use crate::Code;
use crate::finding::Finding;
use crate::wheel::SuffixKind;

pub const RULE: Rule = Rule {
    code: Code::SuffixTagMismatch,
    check: Check::Binary(check),
};

/// `.abi3-<platform>.so` and `.abi3t.so` are in EXTENSION_SUFFIXES from 3.15.
const NEW_SUFFIXES_START: PyVersion = PyVersion::new(3, 15);

fn check(subject: &BinarySubject<'_>, out: &mut Findings) {
    let Some(wheel) = subject.wheel else { return };
    if !subject.is_first_slice() || subject.in_vendored_dir() {
        return;
    }
    let suffix = &subject.extension_name.suffix;
    if let SuffixKind::UnknownTag(tag) = suffix {
        // A library named oddly is fine; a module named oddly is never imported.
        if subject.role == Role::ExtensionModule || !subject.python_imports.is_empty() {
            out.push(
                Finding::new(
                    Code::SuffixTagMismatch,
                    format!(
                        "no interpreter imports `{}`: `.{tag}` is not an extension suffix",
                        subject.file_name
                    ),
                )
                .help(good_suffixes(
                    wheel.name.abi_kind(),
                    subject.name_for_messages(),
                )),
            );
        }
        return;
    }
    if subject.module_name().is_none() {
        return;
    }
    let floor = subject.claim.floor;
    let kind = wheel.name.abi_kind();
    let free_threaded_wheel = wheel.name.is_free_threaded_build();
    let problem: Option<String> = match (kind, suffix) {
        (_, SuffixKind::PlainSo | SuffixKind::Pyd) => None,
        (Some(AbiKind::Abi3), SuffixKind::Abi3) => None,
        (Some(AbiKind::Abi3), SuffixKind::Abi3Platform(_)) => floor
            .filter(|f| *f < NEW_SUFFIXES_START)
            .map(|f| {
                format!("`.abi3-<platform>.so` is imported only by Python 3.15 and newer, but the wheel is installable on {f}")
            }),
        (Some(AbiKind::Abi3), SuffixKind::Abi3t) => floor
            .filter(|f| *f < NEW_SUFFIXES_START)
            .map(|f| {
                format!("`.abi3t.so` is imported only by Python 3.15 and newer, but the wheel is installable on {f}")
            }),
        (Some(AbiKind::Abi3t), SuffixKind::Abi3t) => None,
        (Some(AbiKind::Abi3t), SuffixKind::Abi3 | SuffixKind::Abi3Platform(_)) => Some(
            "free-threaded interpreters do not import `.abi3` files; an abi3t module must be `.abi3t.so`".into(),
        ),
        (
            Some(AbiKind::Abi3 | AbiKind::Abi3t),
            SuffixKind::VersionSpecific { tag, .. } | SuffixKind::VersionSpecificPyd { tag, .. },
        ) => Some(format!(
            "the `{tag}` suffix is imported only by that one interpreter, not by every version the stable-ABI tag admits"
        )),
        (Some(AbiKind::VersionSpecific), SuffixKind::Abi3 | SuffixKind::Abi3Platform(_))
            if free_threaded_wheel =>
        {
            Some("free-threaded interpreters do not import `.abi3` files".into())
        }
        (Some(AbiKind::VersionSpecific), SuffixKind::Abi3 | SuffixKind::Abi3Platform(_)) => None,
        (Some(AbiKind::VersionSpecific), SuffixKind::Abi3t) => floor
            .filter(|f| *f < NEW_SUFFIXES_START)
            .map(|f| format!("`.abi3t.so` is imported only by Python 3.15 and newer, not {f}")),
        (
            Some(AbiKind::VersionSpecific),
            SuffixKind::VersionSpecific {
                version: Some(v),
                free_threaded,
                tag,
            }
            | SuffixKind::VersionSpecificPyd {
                version: Some(v),
                free_threaded,
                tag,
            },
        ) => {
            let wheel_abis: Vec<(PyVersion, bool)> = wheel
                .name
                .abi_tags
                .iter()
                .filter_map(|t| t.cp().map(|t| (t.version, t.free_threaded)))
                .collect();
            (!wheel_abis.is_empty() && !wheel_abis.contains(&(*v, *free_threaded))).then(|| {
                format!(
                    "the `{tag}` suffix is for another interpreter than the wheel's `{}`",
                    wheel.name.abi_tags.join(".")
                )
            })
        }
        _ => None,
    };
    if let Some(problem) = problem {
        out.push(
            Finding::new(
                Code::SuffixTagMismatch,
                format!(
                    "`{}` does not match the wheel's `{}` tag",
                    subject.file_name,
                    wheel.name.abi_tags.join(".")
                ),
            )
            .note(problem)
            .help(good_suffixes(kind, subject.name_for_messages())),
        );
    }
}

fn good_suffixes(kind: Option<AbiKind>, module: &str) -> String {
    match kind {
        Some(AbiKind::Abi3t) => {
            format!("name abi3t modules `{module}.abi3t.so` (POSIX) or `{module}.pyd` (Windows)")
        }
        Some(AbiKind::VersionSpecific) => {
            "use the build interpreter's suffix (`importlib.machinery.EXTENSION_SUFFIXES[0]`)"
                .into()
        }
        _ => format!(
            "name abi3 modules `{module}.abi3.so` (POSIX) or `{module}.pyd` (Windows); let the build tool (maturin, setuptools `py_limited_api`) pick it"
        ),
    }
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
                    "a cp311 suffix in an abi3 wheel",
                    elf("_core.cpython-311-x86_64-linux-gnu.so")
                        .import("PyList_New")
                        .export("PyInit__core")
                        .abi3(3, 9)
                        .in_wheel(WHEEL, "pkg/_core.cpython-311-x86_64-linux-gnu.so"),
                    true,
                ),
                (
                    "not an extension suffix",
                    elf("_core.abi4.so")
                        .import("PyList_New")
                        .export("PyInit__core")
                        .abi3(3, 9)
                        .in_wheel(WHEEL, "pkg/_core.abi4.so"),
                    true,
                ),
                (
                    ".abi3.so in an abi3 wheel",
                    elf("_core.abi3.so")
                        .import("PyList_New")
                        .export("PyInit__core")
                        .abi3(3, 9)
                        .in_wheel(WHEEL, "pkg/_core.abi3.so"),
                    false,
                ),
                (
                    "a plain .so",
                    elf("_core.so")
                        .import("PyList_New")
                        .export("PyInit__core")
                        .abi3(3, 9)
                        .in_wheel(WHEEL, "pkg/_core.so"),
                    false,
                ),
                (
                    "a loose file",
                    elf("_core.cpython-311-x86_64-linux-gnu.so")
                        .import("PyList_New")
                        .export("PyInit__core")
                        .abi3(3, 9),
                    false,
                ),
            ],
        );
    }
}
