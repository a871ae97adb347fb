//! `host-shadows-symbol`: symbols of a `--with` binary bind to a library the host loads
//! globally instead of the binary's own copy (run by `cargo abi3 host --with`).

use std::collections::BTreeMap;

use cargo_abi3_build_hook::render::and_more;

use super::{Check, Rule};
use crate::Code;
use crate::finding::Finding;

pub const RULE: Rule = Rule {
    code: Code::HostShadowsSymbol,
    check: Check::Host,
};

/// One binary's collisions with one host library.
pub struct Shadowing<'a> {
    /// The binary's file name.
    pub file_name: &'a str,
    /// The host library as the loader names it, and where it was loaded from.
    pub library: &'a str,
    pub loaded_from: &'a str,
    /// Set when the library is the host executable itself: its file name.
    pub executable: Option<&'a str>,
    /// Every colliding symbol, first the one the finding names.
    pub symbols: &'a [String],
    /// Symbol versions of the colliding symbols (sorted, deduplicated).
    pub versions: &'a [String],
    /// Exports of the binary the host's copy takes over.
    pub exports: &'a [String],
    /// Imports (`name@version`) by the library the binary expected them from.
    pub expected: &'a BTreeMap<&'a str, Vec<String>>,
    /// Names listed per note.
    pub max_names: usize,
}

pub fn finding(s: &Shadowing<'_>) -> Finding {
    let library = match s.executable {
        Some(exe) => format!("the host executable `{exe}`"),
        None => format!("the host's `{}`", s.library),
    };
    let n = s.symbols.len();
    let mut finding = Finding::new(
        Code::HostShadowsSymbol,
        format!(
            "{n} symbol{} of `{}` bind to {library} instead of its own copy",
            if n == 1 { "" } else { "s" },
            s.file_name,
        ),
    )
    .library(s.executable.unwrap_or(s.library))
    .note(format!(
        "{} is {} ({})",
        s.library,
        match s.executable {
            Some(_) => "the host".to_owned(),
            None => format!("loaded globally from {}", s.loaded_from),
        },
        if s.versions.is_empty() {
            "unversioned symbols".to_owned()
        } else {
            format!("versions {}", and_more(s.versions, 4))
        },
    ));
    if let Some(first) = s.symbols.first() {
        finding = finding.symbol(first.clone());
    }
    if !s.exports.is_empty() {
        finding = finding.note(format!(
            "exported by `{}`, so its own calls go to the host's copy: {}",
            s.file_name,
            and_more(s.exports, s.max_names)
        ));
    }
    for (lib, names) in s.expected {
        finding = finding.note(format!(
            "imported from `{lib}`, but the global scope is searched first: {}",
            and_more(names, s.max_names)
        ));
    }
    let mut help = Vec::new();
    if !s.exports.is_empty() {
        help.push("hide the exports (-fvisibility=hidden, -Wl,--exclude-libs,ALL, or a version script exporting only PyInit_*; -Bsymbolic keeps its own calls local)");
    }
    if !s.expected.is_empty() {
        help.push("rename the vendored library and its symbol versions (auditwheel repair renames the file only; matching symbol versions still bind to the host), link it statically with hidden symbols");
    }
    help.push("or build against the host's version of the library");
    finding.help(help.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The library is data (what `host`'s verdict line lists), not recovered from the message.
    #[test]
    fn names_the_library_in_the_details() {
        let symbols = ["SSL_new".to_owned(), "SSL_free".to_owned()];
        let expected = BTreeMap::from([("libssl.so.3", vec!["SSL_free@OPENSSL_3.0.0".to_owned()])]);
        let shadowing = |executable| Shadowing {
            file_name: "_ext.abi3.so",
            library: "libssl.so.3",
            loaded_from: "/usr/lib/libssl.so.3",
            executable,
            symbols: &symbols,
            versions: &[],
            exports: &symbols[..1],
            expected: &expected,
            max_names: 8,
        };
        let f = finding(&shadowing(None));
        assert_eq!(f.details.library.as_deref(), Some("libssl.so.3"));
        assert_eq!(f.symbol.as_deref(), Some("SSL_new"));
        assert!(
            f.message
                .starts_with("2 symbols of `_ext.abi3.so` bind to the host's `libssl.so.3`"),
            "{}",
            f.message
        );
        let f = finding(&shadowing(Some("python3")));
        assert_eq!(f.details.library.as_deref(), Some("python3"));
        assert!(
            f.message.contains("the host executable `python3`"),
            "{}",
            f.message
        );
    }
}
