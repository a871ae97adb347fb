//! `links-libpython`: an ELF or Mach-O binary that asks the loader for libpython.

use super::{BinarySubject, Check, Findings, Rule};
use crate::Code;
use crate::binary::Format;
use crate::finding::Finding;

pub const RULE: Rule = Rule {
    code: Code::LinksLibpython,
    check: Check::Binary(check),
};

fn check(subject: &BinarySubject<'_>, out: &mut Findings) {
    let format = subject.binary.format;
    if format == Format::Pe || is_android(subject) {
        return;
    }
    for needed in &subject.binary.needed {
        if !is_libpython(format, &needed.name) {
            continue;
        }
        let help = match format {
            Format::MachO => {
                "link with `-undefined dynamic_lookup` instead of against Python (PyO3 0.26 and \
                 later: set PYO3_BUILD_EXTENSION_MODULE=1 or build with maturin; older PyO3 \
                 ignores that variable: enable its `extension-module` feature)"
            }
            _ => {
                "do not pass -lpython3.X; the interpreter provides the symbols (PyO3 0.26 and \
                 later: set PYO3_BUILD_EXTENSION_MODULE=1 or build with maturin; older PyO3 \
                 ignores that variable: enable its `extension-module` feature)"
            }
        };
        out.push(
            Finding::new(Code::LinksLibpython, format!("links `{}`", needed.name))
                .symbol(&needed.name)
                .library(&needed.name)
                .note(
                    "interpreters linked statically (python.org Linux builds, manylinux images, \
                     uv's and conda's) have no such library, or load a second copy of the runtime",
                )
                .help(help),
        );
    }
}

/// Android wheels must link libpython: the platform loads extensions without a global
/// namespace for the interpreter's symbols.
fn is_android(subject: &BinarySubject<'_>) -> bool {
    subject.wheel.is_some_and(|w| {
        !w.name.platform_tags.is_empty()
            && w.name
                .platform_tags
                .iter()
                .all(|t| t.starts_with("android_"))
    })
}

/// `libpython3.so`, `libpython3.11.so.1.0`, `libpython3.13t.so`, `libpython3.11d.so` on ELF;
/// `Python.framework/…/Python`, `libpython3.11.dylib` on Mach-O.
pub fn is_libpython(format: Format, name: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name);
    match format {
        Format::Elf => file.starts_with("libpython3") && file.contains(".so"),
        Format::MachO => {
            name.contains("Python.framework/")
                || (file.starts_with("libpython") && file.ends_with(".dylib"))
        }
        Format::Pe => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpython_names() {
        for n in [
            "libpython3.so",
            "libpython3.11.so.1.0",
            "libpython3.13t.so.1.0",
            "libpython3.11d.so",
            "/usr/lib/libpython3.9.so",
        ] {
            assert!(is_libpython(Format::Elf, n), "{n}");
        }
        assert!(!is_libpython(Format::Elf, "libpythonize.a"));
        assert!(!is_libpython(Format::Elf, "libc.so.6"));
        assert!(is_libpython(
            Format::MachO,
            "/Library/Frameworks/Python.framework/Versions/3.11/Python"
        ));
        assert!(is_libpython(Format::MachO, "@rpath/libpython3.11.dylib"));
        assert!(!is_libpython(Format::MachO, "/usr/lib/libSystem.B.dylib"));
        assert!(!is_libpython(Format::Pe, "python3.dll"));
    }
}

/// The rule over synthetic binaries: rows that trip it and rows that pass.
#[cfg(test)]
mod rule_table {
    use super::RULE;
    use crate::rules::testing::*;

    const WHEEL: &str = "pkg-1.0-cp39-abi3-manylinux_2_17_x86_64.whl";

    #[test]
    fn table_of_cases() {
        table(
            &RULE,
            &[
                (
                    "libpython3.11.so",
                    elf("m.abi3.so")
                        .needed("libpython3.11.so.1.0")
                        .in_wheel(WHEEL, "pkg/m.abi3.so"),
                    true,
                ),
                ("loose too", elf("m.abi3.so").needed("libpython3.so"), true),
                (
                    "the framework on macOS",
                    macho("m.abi3.so")
                        .needed("/Library/Frameworks/Python.framework/Versions/3.11/Python"),
                    true,
                ),
                (
                    "libc",
                    elf("m.abi3.so")
                        .needed("libc.so.6")
                        .in_wheel(WHEEL, "pkg/m.abi3.so"),
                    false,
                ),
                (
                    "PE names its DLL (wrong-python-dll)",
                    pe("m.pyd").needed("python311.dll"),
                    false,
                ),
                (
                    "Android links it on purpose",
                    elf("m.abi3.so").needed("libpython3.13.so").in_wheel(
                        "pkg-1.0-cp39-abi3-android_24_arm64_v8a.whl",
                        "pkg/m.abi3.so",
                    ),
                    false,
                ),
            ],
        );
    }
}
