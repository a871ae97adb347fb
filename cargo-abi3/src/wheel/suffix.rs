//! Shared-object file names: which suffix (and so which interpreters) an extension file is
//! for, and the module it defines. Pure string parsing, no IO.

use crate::PyVersion;

/// The suffix of a file inside a wheel, as the import system and loaders see it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum SuffixKind {
    /// `.abi3.so`: the stable ABI on POSIX.
    Abi3,
    /// `.abi3-<platform>.so`, e.g. `.abi3-x86_64-linux-gnu.so`; holds the platform part.
    Abi3Platform(String),
    /// `.abi3t.so`: the free-threaded stable ABI (PEP 803).
    Abi3t,
    /// `.cpython-311-x86_64-linux-gnu.so`, `.cpython-313t-darwin.so`, `.pypy39-pp73-….so`.
    /// `version` is set for CPython tags only.
    VersionSpecific {
        tag: String,
        version: Option<PyVersion>,
        free_threaded: bool,
    },
    /// `.so` with no tag: imported by every CPython on POSIX (and how shared libraries end).
    PlainSo,
    /// `.pyd` with no tag: imported by every CPython on Windows (abi3 on Windows).
    Pyd,
    /// `.cp311-win_amd64.pyd`, `.cp313t-win_amd64.pyd`.
    VersionSpecificPyd {
        tag: String,
        version: Option<PyVersion>,
        free_threaded: bool,
    },
    /// `.dylib`: a macOS shared library (never an extension module).
    Dylib,
    /// `.dll`: a Windows shared library (never an extension module).
    Dll,
    /// `.so.1`, `.so.1.2.3`: a versioned shared library.
    VersionedSo,
    /// `<name>.<tag>.so` / `.pyd` with a tag no interpreter knows, e.g. `foo.abi3t-x86_64.so`
    /// or `foo.bar.so`; holds the tag. No interpreter imports such a file as a module.
    UnknownTag(String),
    /// Not a shared object by name.
    NotSharedObject,
}

/// A shared-object file name split into the module it defines and its suffix.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct ExtensionFileName {
    /// The importable module name: the text before the first `.` when that is a Python
    /// identifier and the suffix is one the import system uses. `None` for vendored libraries
    /// (`libfoo.so.1`, `libssl-1234.so`, `*.dylib`, `*.dll`) and non-shared-objects.
    pub module: Option<String>,
    pub suffix: SuffixKind,
}

impl ExtensionFileName {
    /// Parses the last path component of `file_name` (both `/` and `\` separate components).
    pub fn parse(file_name: &str) -> ExtensionFileName {
        let name = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
        let (stem, suffix) = classify(name);
        let module = match suffix {
            SuffixKind::Abi3
            | SuffixKind::Abi3Platform(_)
            | SuffixKind::Abi3t
            | SuffixKind::VersionSpecific { .. }
            | SuffixKind::PlainSo
            | SuffixKind::Pyd
            | SuffixKind::VersionSpecificPyd { .. } => {
                stem.filter(|s| is_identifier(s)).map(str::to_owned)
            }
            _ => None,
        };
        ExtensionFileName { module, suffix }
    }

    /// Whether the name is a shared object of any kind (module or library).
    pub fn is_shared_object(&self) -> bool {
        self.suffix != SuffixKind::NotSharedObject
    }

    /// Whether this is an importable extension module (it has a module name).
    pub fn is_extension_module(&self) -> bool {
        self.module.is_some()
    }
}

/// Returns the text before the first `.` (when the suffix has a module part) and the kind.
fn classify(name: &str) -> (Option<&str>, SuffixKind) {
    if let Some(stem) = strip_suffix_ignore_case(name, ".pyd") {
        return match stem.split_once('.') {
            None => (Some(stem), SuffixKind::Pyd),
            Some((module, tag)) => match parse_pyd_tag(tag) {
                Some(kind) => (Some(module), kind),
                None => (None, SuffixKind::UnknownTag(tag.to_owned())),
            },
        };
    }
    if strip_suffix_ignore_case(name, ".dll").is_some() {
        return (None, SuffixKind::Dll);
    }
    if name.ends_with(".dylib") {
        return (None, SuffixKind::Dylib);
    }
    if let Some(stem) = name.strip_suffix(".so") {
        if stem.is_empty() {
            return (None, SuffixKind::NotSharedObject);
        }
        return match stem.split_once('.') {
            None => (Some(stem), SuffixKind::PlainSo),
            Some((module, tag)) => match parse_so_tag(tag) {
                Some(kind) => (Some(module), kind),
                None => (None, SuffixKind::UnknownTag(tag.to_owned())),
            },
        };
    }
    if is_versioned_so(name) {
        return (None, SuffixKind::VersionedSo);
    }
    (None, SuffixKind::NotSharedObject)
}

fn strip_suffix_ignore_case<'a>(name: &'a str, suffix: &str) -> Option<&'a str> {
    let split = name.len().checked_sub(suffix.len())?;
    let (stem, tail) = (name.get(..split)?, name.get(split..)?);
    tail.eq_ignore_ascii_case(suffix).then_some(stem)
}

/// `abi3`, `abi3t`, `abi3-<platform>`, `cpython-…`, `pypy…`, `graalpy…`.
fn parse_so_tag(tag: &str) -> Option<SuffixKind> {
    if tag.contains('.') || tag.is_empty() {
        return None;
    }
    match tag {
        "abi3" => return Some(SuffixKind::Abi3),
        "abi3t" => return Some(SuffixKind::Abi3t),
        _ => {}
    }
    if let Some(platform) = tag.strip_prefix("abi3-") {
        return (!platform.is_empty()).then(|| SuffixKind::Abi3Platform(platform.to_owned()));
    }
    if let Some(rest) = tag.strip_prefix("cpython-") {
        let (version, free_threaded) = version_and_flags(rest);
        return Some(SuffixKind::VersionSpecific {
            tag: tag.to_owned(),
            version,
            free_threaded,
        });
    }
    if tag.starts_with("pypy") || tag.starts_with("graalpy") {
        return Some(SuffixKind::VersionSpecific {
            tag: tag.to_owned(),
            version: None,
            free_threaded: false,
        });
    }
    None
}

/// `cp311-win_amd64`, `cp313t-win_arm64`.
fn parse_pyd_tag(tag: &str) -> Option<SuffixKind> {
    if tag.contains('.') {
        return None;
    }
    let rest = tag.strip_prefix("cp")?;
    let (version, free_threaded) = version_and_flags(rest);
    version?;
    Some(SuffixKind::VersionSpecificPyd {
        tag: tag.to_owned(),
        version,
        free_threaded,
    })
}

/// Parses `311`, `313t`, `37m`, `37dm` (up to the first `-`): the version and whether the ABI
/// flags include `t` (free-threaded).
fn version_and_flags(rest: &str) -> (Option<PyVersion>, bool) {
    let head = rest.split('-').next().unwrap_or(rest);
    let digits_end = head
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(head.len());
    let (digits, flags) = head.split_at(digits_end);
    if !flags.chars().all(|c| matches!(c, 'd' | 'm' | 'u' | 't')) {
        return (None, false);
    }
    (PyVersion::from_tag_digits(digits), flags.contains('t'))
}

/// `libfoo.so.1`, `libfoo-ab12.so.1.2`: `.so.` followed by dot-separated numbers.
fn is_versioned_so(name: &str) -> bool {
    let Some(pos) = name.find(".so.") else {
        return false;
    };
    if pos == 0 {
        return false;
    }
    let Some(tail) = name.get(pos + 4..) else {
        return false;
    };
    !tail.is_empty()
        && tail
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

/// A Python identifier (PEP 3131, approximated with Unicode alphabetic/alphanumeric classes).
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_alphabetic() => {}
        _ => return false,
    }
    chars.all(|c| c == '_' || c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str) -> (Option<String>, SuffixKind) {
        let f = ExtensionFileName::parse(name);
        (f.module, f.suffix)
    }

    fn m(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    #[test]
    fn stable_abi_suffixes() {
        assert_eq!(p("pkg/_core.abi3.so"), (m("_core"), SuffixKind::Abi3));
        assert_eq!(p("_core.abi3t.so"), (m("_core"), SuffixKind::Abi3t));
        assert_eq!(
            p("_core.abi3-x86_64-linux-gnu.so"),
            (
                m("_core"),
                SuffixKind::Abi3Platform("x86_64-linux-gnu".into())
            )
        );
    }

    #[test]
    fn version_specific_suffixes() {
        assert_eq!(
            p("a/b/_core.cpython-311-x86_64-linux-gnu.so"),
            (
                m("_core"),
                SuffixKind::VersionSpecific {
                    tag: "cpython-311-x86_64-linux-gnu".into(),
                    version: Some(PyVersion::new(3, 11)),
                    free_threaded: false
                }
            )
        );
        assert_eq!(
            p("_core.cpython-313t-darwin.so").1,
            SuffixKind::VersionSpecific {
                tag: "cpython-313t-darwin".into(),
                version: Some(PyVersion::new(3, 13)),
                free_threaded: true
            }
        );
        assert_eq!(
            p("_core.cpython-37m-x86_64-linux-gnu.so").1,
            SuffixKind::VersionSpecific {
                tag: "cpython-37m-x86_64-linux-gnu".into(),
                version: Some(PyVersion::new(3, 7)),
                free_threaded: false
            }
        );
        assert_eq!(
            p("_core.pypy39-pp73-x86_64-linux-gnu.so"),
            (
                m("_core"),
                SuffixKind::VersionSpecific {
                    tag: "pypy39-pp73-x86_64-linux-gnu".into(),
                    version: None,
                    free_threaded: false
                }
            )
        );
    }

    #[test]
    fn windows_and_macos() {
        assert_eq!(p("pkg\\_core.pyd"), (m("_core"), SuffixKind::Pyd));
        assert_eq!(p("_core.PYD"), (m("_core"), SuffixKind::Pyd));
        assert_eq!(
            p("_core.cp313t-win_amd64.pyd"),
            (
                m("_core"),
                SuffixKind::VersionSpecificPyd {
                    tag: "cp313t-win_amd64".into(),
                    version: Some(PyVersion::new(3, 13)),
                    free_threaded: true
                }
            )
        );
        assert_eq!(p("python3.dll"), (None, SuffixKind::Dll));
        assert_eq!(p("libfoo.1.dylib"), (None, SuffixKind::Dylib));
    }

    #[test]
    fn plain_and_vendored() {
        assert_eq!(p("_core.so"), (m("_core"), SuffixKind::PlainSo));
        assert_eq!(p("libssl-1234.so"), (None, SuffixKind::PlainSo));
        assert_eq!(
            p("pkg.libs/libfoo-ab12.so.1"),
            (None, SuffixKind::VersionedSo)
        );
        assert_eq!(p("libfoo.so.1.2.3"), (None, SuffixKind::VersionedSo));
        assert_eq!(p("libfoo.so.x"), (None, SuffixKind::NotSharedObject));
        assert_eq!(p("libfoo.so."), (None, SuffixKind::NotSharedObject));
        assert_eq!(
            p("_core.abi3t-x86_64.so"),
            (None, SuffixKind::UnknownTag("abi3t-x86_64".into()))
        );
        assert_eq!(
            p("a.b.abi3.so"),
            (None, SuffixKind::UnknownTag("b.abi3".into()))
        );
        assert_eq!(p("my-mod.abi3.so"), (None, SuffixKind::Abi3));
    }

    #[test]
    fn not_shared_objects_and_junk() {
        for name in [
            "",
            ".so",
            ".pyd",
            "x.py",
            "so",
            "a.so.",
            "é",
            ".",
            "..",
            "x.pyd.txt",
        ] {
            let f = ExtensionFileName::parse(name);
            assert!(f.module.is_none(), "{name}");
        }
        assert!(!ExtensionFileName::parse("__init__.py").is_shared_object());
        assert!(ExtensionFileName::parse("x.abi3.so").is_extension_module());
    }
}
