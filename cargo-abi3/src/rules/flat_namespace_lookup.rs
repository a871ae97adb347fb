//! `flat-namespace-lookup`: a Mach-O image resolves undefined symbols in the flat namespace
//! (run by `cargo abi3 host` on the host and each `--with` binary).

use super::{Check, Rule};
use crate::Code;
use crate::finding::Finding;

pub const RULE: Rule = Rule {
    code: Code::FlatNamespaceLookup,
    check: Check::Host,
};

/// `what`: the image as the message names it (`` `x.so` ``, `the host`).
pub fn finding(what: &str) -> Finding {
    Finding::new(
        Code::FlatNamespaceLookup,
        format!("{what} resolves undefined symbols in the flat namespace: the first image defining a name wins"),
    )
    .help("link with two-level namespace (the default); for extensions, `-undefined dynamic_lookup` is what makes this necessary")
}
