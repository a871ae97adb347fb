//! The author's declaration, embedded in the built artifact so `cargo abi3 audit` can compare
//! a wheel against what was meant.
//!
//! The record is plain text framed by NUL bytes, so it can be found by scanning any binary
//! format (ELF, Mach-O, PE, or a static archive) without parsing it:
//!
//! ```text
//! \0cargo-abi3-declaration:v1;abi=abi3;floor=3.9;module=foo;tool=0.1.0\0
//! ```
//!
//! Values never contain `;`, `=` or NUL; a record is at most [`MAX_RECORD`] bytes. Unknown
//! keys are ignored (newer writers may add some); an unknown version (`v2`) is skipped.
//!
//! [`find_in`] and [`find_all`] scan untrusted bytes (any member of an audited wheel), so this
//! module takes the parser lints: no panicking unwrap, expect or indexing.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::fmt;

use crate::{AbiKind, PyVersion};

/// What precedes every record.
pub const MAGIC: &[u8] = b"\0cargo-abi3-declaration:";
/// The longest record (magic and both NULs included) a reader accepts.
pub const MAX_RECORD: usize = 512;
/// The record format this crate writes.
pub const FORMAT_VERSION: &str = "v1";

/// Section the record is placed in, per object format.
pub const ELF_SECTION: &str = ".cargo_abi3";
pub const MACHO_SECTION: &str = "__DATA,__cargo_abi3";
/// PE section names are at most 8 bytes.
pub const PE_SECTION: &str = ".abi3dcl";

/// The author's declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Declaration {
    pub kind: AbiKind,
    /// `None` for version-specific builds.
    pub floor: Option<PyVersion>,
    /// The Python module name (`PyInit_<module>`), if known.
    pub module: Option<String>,
    /// The build hook version that wrote the record.
    pub tool: Option<String>,
}

/// Why a record could not be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeError(pub String);

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EncodeError {}

fn valid_value(v: &str) -> bool {
    !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_graphic() && b != b';' && b != b'=')
}

impl Declaration {
    /// A declaration of `kind` from `floor` (`None` for version-specific builds), without a
    /// module name or tool version (set the fields to add them).
    pub fn new(kind: AbiKind, floor: Option<PyVersion>) -> Self {
        Declaration {
            kind,
            floor,
            module: None,
            tool: None,
        }
    }

    /// The NUL-framed record bytes.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let kind = match self.kind {
            AbiKind::Abi3 => "abi3",
            AbiKind::Abi3t => "abi3t",
            AbiKind::VersionSpecific => "version-specific",
        };
        let mut body = format!("{FORMAT_VERSION};abi={kind}");
        if let Some(f) = self.floor {
            body.push_str(&format!(";floor={f}"));
        }
        for (key, value) in [("module", &self.module), ("tool", &self.tool)] {
            if let Some(v) = value {
                if !valid_value(v) {
                    return Err(EncodeError(format!(
                        "declaration {key} `{v}` must be printable ASCII without `;` or `=`"
                    )));
                }
                body.push_str(&format!(";{key}={v}"));
            }
        }
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(body.as_bytes());
        out.push(0);
        if out.len() > MAX_RECORD {
            return Err(EncodeError(format!(
                "declaration record is {} bytes, over the {MAX_RECORD}-byte limit",
                out.len()
            )));
        }
        Ok(out)
    }

    /// Parses a record: the bytes between the magic and the closing NUL (`v1;abi=...`).
    pub fn decode(body: &[u8]) -> Option<Self> {
        let body = std::str::from_utf8(body).ok()?;
        let mut parts = body.split(';');
        if parts.next()? != FORMAT_VERSION {
            return None;
        }
        let mut kind = None;
        let mut decl = Declaration {
            kind: AbiKind::VersionSpecific,
            floor: None,
            module: None,
            tool: None,
        };
        for part in parts {
            let (k, v) = part.split_once('=')?;
            if !valid_value(v) {
                return None;
            }
            match k {
                "abi" => {
                    kind = Some(match v {
                        "abi3" => AbiKind::Abi3,
                        "abi3t" => AbiKind::Abi3t,
                        "version-specific" => AbiKind::VersionSpecific,
                        _ => return None,
                    })
                }
                "floor" => decl.floor = Some(v.parse().ok()?),
                "module" => decl.module = Some(v.to_owned()),
                "tool" => decl.tool = Some(v.to_owned()),
                _ => {}
            }
        }
        decl.kind = kind?;
        Some(decl)
    }

    /// The `.rs` source `build.rs` writes to `$OUT_DIR/cargo_abi3_declaration.rs`: a
    /// non-`pub`, `#[used]` static byte array in a dedicated section, so it survives linking
    /// without adding an exported symbol.
    pub fn to_rust_source(&self) -> Result<String, EncodeError> {
        let bytes = self.encode()?;
        let literal: String = bytes
            .iter()
            .map(|b| match b {
                0 => "\\0".to_owned(),
                b'"' | b'\\' => format!("\\{}", *b as char),
                b => (*b as char).to_string(),
            })
            .collect();
        Ok(format!(
            "// @generated by cargo-abi3-build-hook: the stable-ABI declaration of this extension.\n\
// Read back by `cargo abi3 audit`; not exported, so it adds no symbol to the module.\n\
#[used]\n\
#[cfg_attr(any(target_vendor = \"apple\"), unsafe(link_section = \"{MACHO_SECTION}\"))]\n\
#[cfg_attr(target_os = \"windows\", unsafe(link_section = \"{PE_SECTION}\"))]\n\
#[cfg_attr(not(any(target_vendor = \"apple\", target_os = \"windows\")), unsafe(link_section = \"{ELF_SECTION}\"))]\n\
static CARGO_ABI3_DECLARATION: [u8; {len}] = *b\"{literal}\";\n",
            len = bytes.len()
        ))
    }
}

/// The first valid record in `bytes` (any binary format), scanning past malformed ones.
pub fn find_in(bytes: &[u8]) -> Option<Declaration> {
    find_all(bytes).into_iter().next()
}

/// Every valid record in `bytes`, in order (a fat binary has one per slice).
pub fn find_all(bytes: &[u8]) -> Vec<Declaration> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = bytes.get(from..).and_then(|rest| find(rest, MAGIC)) {
        let start = from + pos + MAGIC.len();
        let limit = (start + MAX_RECORD - MAGIC.len()).min(bytes.len());
        let window = bytes.get(start..limit).unwrap_or_default();
        let record = window
            .iter()
            .position(|&b| b == 0)
            .and_then(|end| window.get(..end));
        if let Some(d) = record.and_then(Declaration::decode) {
            out.push(d);
        }
        from = start;
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    // The magic starts with NUL, of which binaries are full: anchor on its second byte and
    // check the NUL afterwards, so the scan stays a fast linear pass over a large member.
    let (&first, rest) = needle.split_first()?;
    let &anchor = rest.first()?;
    let mut i = 1;
    while i + rest.len() <= haystack.len() {
        let at = i + haystack.get(i..)?.iter().position(|&b| b == anchor)?;
        if haystack.get(at..)?.starts_with(rest) && haystack.get(at - 1) == Some(&first) {
            return Some(at - 1);
        }
        i = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl() -> Declaration {
        Declaration {
            kind: AbiKind::Abi3,
            floor: Some(PyVersion::new(3, 9)),
            module: Some("foo".into()),
            tool: Some("0.1.0".into()),
        }
    }

    #[test]
    fn encodes_the_documented_record() {
        assert_eq!(
            decl().encode().unwrap(),
            b"\0cargo-abi3-declaration:v1;abi=abi3;floor=3.9;module=foo;tool=0.1.0\0"
        );
    }

    #[test]
    fn finds_records_anywhere() {
        let mut blob = b"\x7fELF garbage \0cargo-abi3-declaration:v9;abi=abi3\0 more".to_vec();
        blob.extend_from_slice(b"\0cargo-abi3-declaration:v1;abi=bogus\0");
        blob.extend_from_slice(&decl().encode().unwrap());
        let mut d2 = decl();
        d2.kind = AbiKind::Abi3t;
        d2.floor = Some(PyVersion::new(3, 15));
        d2.tool = None;
        blob.extend_from_slice(&d2.encode().unwrap());
        assert_eq!(find_in(&blob), Some(decl()));
        assert_eq!(find_all(&blob), vec![decl(), d2]);
        assert_eq!(find_in(b"nothing here"), None);
        assert_eq!(find_in(b"\0cargo-abi3-declaration:"), None);
    }

    #[test]
    fn bounded_and_strict() {
        // No terminator within MAX_RECORD: ignored.
        let mut blob = MAGIC.to_vec();
        blob.extend_from_slice(b"v1;abi=abi3;module=");
        blob.extend(std::iter::repeat_n(b'a', MAX_RECORD));
        blob.push(0);
        assert_eq!(find_in(&blob), None);
        let mut long = decl();
        long.module = Some("a".repeat(MAX_RECORD));
        assert!(long.encode().is_err());
        let mut bad = decl();
        bad.module = Some("a;b".into());
        assert!(bad.encode().is_err());
        assert_eq!(
            Declaration::decode(b"v1;floor=3.9"),
            None,
            "abi is required"
        );
        assert_eq!(
            Declaration::decode(b"v1;abi=abi3;future=1").unwrap().kind,
            AbiKind::Abi3
        );
        let vs = Declaration::decode(b"v1;abi=version-specific").unwrap();
        assert_eq!((vs.kind, vs.floor), (AbiKind::VersionSpecific, None));
    }

    #[test]
    fn rust_source_embeds_the_record() {
        let src = decl().to_rust_source().unwrap();
        assert!(src.contains("#[used]"));
        assert!(src.contains("static CARGO_ABI3_DECLARATION: [u8; 68]"));
        assert!(src.contains(
            r#"*b"\0cargo-abi3-declaration:v1;abi=abi3;floor=3.9;module=foo;tool=0.1.0\0""#
        ));
        assert!(!src.contains("pub "));
    }
}
