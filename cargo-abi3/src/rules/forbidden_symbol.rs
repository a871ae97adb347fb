//! `forbidden-symbol`: a symbol the manylinux/musllinux policy blacklists for a library the
//! binary links.

use super::{BinarySubject, Check, Findings, Rule};
use crate::Code;
use crate::binary::Format;
use crate::finding::Finding;
use crate::wheel::manylinux as policy;

pub const RULE: Rule = Rule {
    code: Code::ForbiddenSymbol,
    check: Check::Binary(check),
};

fn check(subject: &BinarySubject<'_>, out: &mut Findings) {
    let binary = subject.binary;
    if binary.format != Format::Elf {
        return;
    }
    let Some(wheel) = subject.wheel else { return };
    for promise in policy::promises(wheel.name) {
        let mut reported = std::collections::HashSet::new();
        for (library, symbols) in &promise.policy.blacklist {
            if !binary.needed.iter().any(|n| &n.name == library) {
                continue;
            }
            for import in &binary.imports {
                // A weak reference resolves to NULL where the symbol is missing; auditwheel
                // ignores those too (Rust's std references __cxa_thread_atexit_impl weakly).
                if import.weak {
                    continue;
                }
                let from_library = import.library.as_ref().is_none_or(|l| l == library);
                if from_library
                    && symbols.contains(&import.name)
                    && reported.insert(import.name.as_str())
                {
                    out.push(
                        Finding::new(
                            Code::ForbiddenSymbol,
                            format!(
                                "`{}` from `{library}` is forbidden by `{}`",
                                import.name, promise.tag
                            ),
                        )
                        .symbol(&import.name)
                        .note(format!(
                            "the {} policy blacklists it: it is missing or behaves differently on some systems the tag admits",
                            promise.policy.title()
                        ))
                        .help("stop using the symbol (or the code path using it), or raise the platform tag"),
                    );
                }
            }
        }
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
                    "a blacklisted libz symbol",
                    elf("m.abi3.so")
                        .needed("libz.so.1")
                        .import_from("_tr_align", "libz.so.1", None)
                        .in_wheel(WHEEL, "pkg/m.abi3.so"),
                    true,
                ),
                (
                    "an unversioned import of it",
                    elf("m.abi3.so")
                        .needed("libz.so.1")
                        .import("_dist_code")
                        .in_wheel(WHEEL, "pkg/m.abi3.so"),
                    true,
                ),
                (
                    "libz not needed",
                    elf("m.abi3.so")
                        .import("_tr_align")
                        .in_wheel(WHEEL, "pkg/m.abi3.so"),
                    false,
                ),
                (
                    "from another library",
                    elf("m.abi3.so")
                        .needed("libz.so.1")
                        .import_from("_tr_align", "libother.so", None)
                        .in_wheel(WHEEL, "pkg/m.abi3.so"),
                    false,
                ),
                (
                    "an allowed libz symbol",
                    elf("m.abi3.so")
                        .needed("libz.so.1")
                        .import("inflate")
                        .in_wheel(WHEEL, "pkg/m.abi3.so"),
                    false,
                ),
                (
                    "a loose file",
                    elf("m.abi3.so").needed("libz.so.1").import("_tr_align"),
                    false,
                ),
            ],
        );
    }
}
