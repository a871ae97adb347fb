//! `entry-point-missing`: a file named like extension module `name` that exports neither
//! `PyInit_name` nor `PyModExport_name` (`PyInitU_`/`PyModExportU_` + punycode for non-ASCII).

use super::{BinarySubject, Check, Findings, Rule};
use crate::Code;
use crate::finding::Finding;
use crate::wheel::punycode::hook_suffix;

pub const RULE: Rule = Rule {
    code: Code::EntryPointMissing,
    check: Check::Binary(check),
};

/// The hook names CPython looks up for `module`: `[PyInit…, PyModExport…]`.
pub fn hooks(module: &str) -> Option<[String; 2]> {
    let (unicode, suffix) = hook_suffix(module)?;
    let u = if unicode { "U" } else { "" };
    Some([
        format!("PyInit{u}_{suffix}"),
        format!("PyModExport{u}_{suffix}"),
    ])
}

fn check(subject: &BinarySubject<'_>, out: &mut Findings) {
    let Some(module) = subject.module_name() else {
        return;
    };
    let Some(hooks) = hooks(module) else { return };
    let binary = subject.binary;
    if hooks.iter().any(|h| binary.exports_symbol(h)) {
        return;
    }
    if subject.wheel.is_none() && loose_artifact_is_named_for_its_module(subject, module) {
        return;
    }
    let mut finding = Finding::new(
        Code::EntryPointMissing,
        format!(
            "`{}` is imported as module `{module}` but exports neither `{}` nor `{}`",
            subject.file_name, hooks[0], hooks[1]
        ),
    )
    .note("import fails with `ImportError: dynamic module does not define module export function`");
    let others: Vec<&str> = binary.entry_points().collect();
    if !others.is_empty() {
        finding = finding.note(format!("it exports {}", others.join(", ")));
    }
    out.push(finding.help(
        "name the file after the module (`#[pymodule] fn name`, maturin `module-name`), or rename the module",
    ));
}

/// What `cargo build` leaves (`libmymod.so`, `libmymod.dylib`) is renamed by the build tool
/// when it is packaged; loose, it is judged by the name it will get: without the `lib`
/// prefix, or the module the build hook declared.
fn loose_artifact_is_named_for_its_module(subject: &BinarySubject<'_>, module: &str) -> bool {
    let declared = subject.declaration.and_then(|d| d.module.as_deref());
    let unprefixed = module.strip_prefix("lib");
    [declared, unprefixed]
        .into_iter()
        .flatten()
        .filter_map(hooks)
        .any(|hooks| hooks.iter().any(|h| subject.binary.exports_symbol(h)))
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
                    "no PyInit__core",
                    elf("_core.abi3.so")
                        .import("PyList_New")
                        .export("PyInit_other")
                        .in_wheel(WHEEL, "pkg/_core.abi3.so"),
                    true,
                ),
                (
                    "a known module",
                    elf("_core.abi3.so")
                        .known_module()
                        .in_wheel(WHEEL, "pkg/_core.abi3.so"),
                    true,
                ),
                (
                    "PyInit__core",
                    elf("_core.abi3.so")
                        .import("PyList_New")
                        .export("PyInit__core")
                        .in_wheel(WHEEL, "pkg/_core.abi3.so"),
                    false,
                ),
                (
                    "PyModExport__core",
                    elf("_core.abi3.so")
                        .import("PyList_New")
                        .export("PyModExport__core")
                        .in_wheel(WHEEL, "pkg/_core.abi3.so"),
                    false,
                ),
                (
                    "a vendored library",
                    elf("_core.abi3.so")
                        .import("PyList_New")
                        .in_wheel(WHEEL, "pkg.libs/_core.abi3.so"),
                    false,
                ),
                (
                    "imports nothing from Python (ctypes)",
                    elf("_raw.abi3.so").in_wheel(WHEEL, "pkg/_raw.abi3.so"),
                    false,
                ),
            ],
        );
    }
}
