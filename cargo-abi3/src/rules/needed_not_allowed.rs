//! `needed-not-allowed`: a DT_NEEDED library the manylinux/musllinux policy does not list
//! and the wheel does not bundle.

use super::policy;
use super::{BinarySubject, Check, Rule};
use crate::Code;
use crate::binary::{Format, is_python_library};
use crate::finding::Finding;

pub const RULE: Rule = Rule {
    code: Code::NeededNotAllowed,
    check: Check::Binary(check),
};

fn check(subject: &BinarySubject<'_>, out: &mut Vec<Finding>) {
    if subject.binary.format != Format::Elf {
        return;
    }
    let Some(wheel) = subject.wheel else { return };
    for promise in policy::promises(wheel.name) {
        for needed in &subject.binary.needed {
            let name = needed.name.as_str();
            let file = name.rsplit('/').next().unwrap_or(name);
            // libpython has its own rule; bundled libraries are what auditwheel repair makes.
            if is_python_library(name)
                || is_dynamic_loader(file)
                || promise.policy.lib_whitelist.iter().any(|l| l == file)
                || subject.bundled.iter().any(|b| b == file || b == name)
            {
                continue;
            }
            out.push(
                Finding::new(
                    Code::NeededNotAllowed,
                    format!(
                        "needs `{name}`, which `{}` does not allow and the wheel does not bundle",
                        promise.tag
                    ),
                )
                .symbol(name)
                .note(format!(
                    "the {} policy allows only: {}",
                    promise.policy.name,
                    promise.policy.lib_whitelist.join(", ")
                ))
                .help(format!(
                    "run `auditwheel repair` to bundle `{name}`, or link it statically with hidden symbols"
                )),
            );
        }
    }
}

/// The ELF interpreter is always present (auditwheel excludes it too): `ld-linux-*.so.*`,
/// `ld64.so.1`/`ld64.so.2` (ppc64le, s390x), `ld-musl-*.so.1`.
fn is_dynamic_loader(file: &str) -> bool {
    file.contains("ld-linux")
        || file.starts_with("ld-musl-")
        || matches!(file, "ld64.so.1" | "ld64.so.2")
}
