//! `host-global-library`: the host loads a library wheels commonly vendor into the global
//! scope (run by `cargo abi3 host` over the host's simulated closure).

use cargo_abi3_build_hook::render::and_more;

use super::{Check, Rule};
use crate::Code;
use crate::finding::Finding;

pub const RULE: Rule = Rule {
    code: Code::HostGlobalLibrary,
    check: Check::Host,
};

/// A library of the host's closure that shadows vendored copies.
pub struct GlobalLibrary<'a> {
    /// Its name (soname or file name).
    pub library: &'a str,
    /// The family of commonly vendored libraries it belongs to (`crypto`).
    pub family: &'a str,
    /// Defined exports visible in the global scope.
    pub exports: usize,
    /// Where it was found, and how (`DT_RUNPATH`, `ld.so.cache`).
    pub path: &'a str,
    pub via: &'a str,
    pub needed_by: Option<&'a str>,
    /// Symbol versions it defines.
    pub versions: &'a [String],
}

pub fn finding(lib: &GlobalLibrary<'_>) -> Finding {
    let mut finding = Finding::new(
        Code::HostGlobalLibrary,
        format!(
            "the host loads `{}` ({}) globally: {} symbol{} in every extension's scope",
            lib.library,
            lib.family,
            lib.exports,
            if lib.exports == 1 { "" } else { "s" }
        ),
    )
    .symbol(lib.library)
    .library(lib.library)
    .note(format!("found at {} via {}", lib.path, lib.via));
    if let Some(by) = lib.needed_by {
        finding = finding.note(format!("needed by {by}"));
    }
    if !lib.versions.is_empty() {
        finding = finding.note(format!("symbol versions: {}", and_more(lib.versions, 6)));
    }
    finding.help(
        "wheels vendoring this library must hide or rename its symbols; check them with `cargo abi3 host HOST --with WHEEL`",
    )
}
