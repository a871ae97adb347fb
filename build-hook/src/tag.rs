//! CPython tags (`cp311`, `cp313t`, `cp37m`): the one parser of the interpreter and ABI tags of
//! wheel names, `.pyd` suffixes, `py_limited_api` settings and `--assume-minimum`.

use crate::PyVersion;

/// A CPython interpreter or ABI tag: `cp`, the version's digits, then ABI flags (`t`
/// free-threaded, `d`, `m`, `u`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CpTag {
    pub version: PyVersion,
    /// The flags include `t`: a free-threaded build's ABI.
    pub free_threaded: bool,
}

impl CpTag {
    /// `cp311` → 3.11, `cp313t` → 3.13 free-threaded, `cp37m` → 3.7; `None` without `cp` or
    /// version digits.
    pub fn parse(tag: &str) -> Option<CpTag> {
        let rest = tag.strip_prefix("cp")?;
        let end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (digits, flags) = rest.split_at(end);
        Some(CpTag {
            version: PyVersion::from_tag_digits(digits)?,
            free_threaded: flags.contains('t'),
        })
    }

    /// An interpreter tag without flags (`cp39`, as `py_limited_api` and `--assume-minimum`
    /// take it): its version.
    pub fn interpreter(tag: &str) -> Option<PyVersion> {
        PyVersion::from_tag_digits(tag.strip_prefix("cp")?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_interpreter_and_abi_tags() {
        let v311 = PyVersion::new(3, 11);
        assert_eq!(
            CpTag::parse("cp311").map(|t| (t.version, t.free_threaded)),
            Some((v311, false))
        );
        assert_eq!(
            CpTag::parse("cp313t").map(|t| (t.version, t.free_threaded)),
            Some((PyVersion::new(3, 13), true))
        );
        assert_eq!(
            CpTag::parse("cp37m").map(|t| t.version),
            Some(PyVersion::new(3, 7))
        );
        assert_eq!(CpTag::parse("py311"), None);
        assert_eq!(CpTag::parse("cp"), None);
        assert_eq!(CpTag::interpreter("cp39"), Some(PyVersion::new(3, 9)));
        assert_eq!(CpTag::interpreter("cp39t"), None);
        assert_eq!(CpTag::interpreter("39"), None);
    }
}
