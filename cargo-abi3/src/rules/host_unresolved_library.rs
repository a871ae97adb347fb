//! `host-unresolved-library`: a library of the host's closure cannot be found (run by
//! `cargo abi3 host`).

use cargo_abi3_build_hook::render::and_more;

use super::{Check, Rule};
use crate::Code;
use crate::finding::Finding;

pub const RULE: Rule = Rule {
    code: Code::HostUnresolvedLibrary,
    check: Check::Host,
};

/// `library`, needed by `needed_by`, was not found for `reason`, after trying `searched`.
pub fn finding(library: &str, needed_by: &str, reason: &str, searched: &[String]) -> Finding {
    let mut finding = Finding::new(
        Code::HostUnresolvedLibrary,
        format!("`{library}`, needed by `{needed_by}`, cannot be found: {reason}"),
    )
    .symbol(library)
    .library(library);
    if !searched.is_empty() {
        finding = finding.note(format!("searched {}", and_more(searched, 6)));
    }
    finding.help(
        "pass --sysroot for a host built for another system, or set LD_LIBRARY_PATH as the host runs with it; its symbols are not part of the analysis",
    )
}
