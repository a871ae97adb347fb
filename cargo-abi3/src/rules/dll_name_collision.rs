//! `dll-name-collision`: a wheel's DLL has the name of one the host loads (run by
//! `cargo abi3 host --with`).

use super::{Check, Rule};
use crate::Code;
use crate::finding::Finding;

pub const RULE: Rule = Rule {
    code: Code::DllNameCollision,
    check: Check::Host,
};

/// The wheel's DLL and the host's of the same name.
pub struct DllCollision<'a> {
    /// The wheel's file and its size in bytes.
    pub file_name: &'a str,
    pub size: usize,
    /// The DLL name the host imports.
    pub dll: &'a str,
    /// The host's copy, when found next to it: its path and size.
    pub host_copy: Option<(&'a str, u64)>,
}

pub fn finding(c: &DllCollision<'_>) -> Finding {
    let finding = Finding::new(
        Code::DllNameCollision,
        format!(
            "`{}` has the name of a DLL the host loads: Windows will not load the wheel's copy",
            c.file_name
        ),
    )
    .symbol(c.dll)
    .library(c.dll)
    .note(format!("the wheel's copy is {} bytes", c.size));
    let finding = match c.host_copy {
        Some((path, size)) => finding.note(format!(
            "the host's `{path}` ({size} bytes) has different content"
        )),
        None => finding.note(format!(
            "the host imports `{}`, not found next to it: whichever copy the host loads first wins",
            c.dll
        )),
    };
    finding.help("give the vendored DLL a unique name (delvewheel repair mangles names), or ship the exact copy the host uses")
}
