//! CPython `major.minor` versions, the unit in which stable-ABI floors are expressed.

use std::fmt;
use std::str::FromStr;

/// A CPython feature version such as 3.9. Patch levels never matter for the stable ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(into = "String"))]
#[non_exhaustive]
pub struct PyVersion {
    pub major: u8,
    pub minor: u8,
}

impl PyVersion {
    pub const fn new(major: u8, minor: u8) -> Self {
        Self { major, minor }
    }

    /// The first version of the stable ABI (PEP 384).
    pub const STABLE_ABI_START: PyVersion = PyVersion::new(3, 2);
    /// The first version with the free-threaded stable ABI (PEP 803).
    pub const ABI3T_START: PyVersion = PyVersion::new(3, 15);

    /// `cp39`-style interpreter tag.
    /// The `Py_LIMITED_API` value for this floor: `0x030X0000` (`0x030F0000` for 3.15).
    pub fn limited_api_hex(self) -> String {
        format!("0x{:02X}{:02X}0000", self.major, self.minor)
    }

    pub fn cp_tag(self) -> String {
        format!("cp{}{}", self.major, self.minor)
    }

    /// PyO3's feature name for this floor (`abi3-py39`).
    pub fn pyo3_feature(self) -> String {
        format!("abi3-py{}{}", self.major, self.minor)
    }

    /// Parses the digits of a `cp39`/`py311` tag suffix: the first digit is the major version.
    pub fn from_tag_digits(digits: &str) -> Option<Self> {
        if digits.len() < 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (major, minor) = digits.split_at(1);
        Some(Self::new(major.parse().ok()?, minor.parse().ok()?))
    }
}

impl fmt::Display for PyVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl From<PyVersion> for String {
    fn from(v: PyVersion) -> String {
        v.to_string()
    }
}

/// Error from parsing a `3.X` version string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseVersionError(pub String);

impl fmt::Display for ParseVersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a Python version of the form 3.X", self.0)
    }
}

impl std::error::Error for ParseVersionError {}

impl FromStr for PyVersion {
    type Err = ParseVersionError;

    /// Accepts `3.9`, `3.9.1` (patch ignored), `39` and `cp39`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseVersionError(s.to_owned());
        let t = s.trim();
        if let Some((major, rest)) = t.split_once('.') {
            let minor = rest.split('.').next().ok_or_else(err)?;
            let major = major.parse().map_err(|_| err())?;
            let minor = minor.parse().map_err(|_| err())?;
            return Ok(Self::new(major, minor));
        }
        let digits = t.strip_prefix("cp").unwrap_or(t);
        Self::from_tag_digits(digits).ok_or_else(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders() {
        let v: PyVersion = "3.9".parse().unwrap();
        assert_eq!(v, PyVersion::new(3, 9));
        assert_eq!("cp311".parse::<PyVersion>().unwrap(), PyVersion::new(3, 11));
        assert_eq!(
            "3.10.2".parse::<PyVersion>().unwrap(),
            PyVersion::new(3, 10)
        );
        assert!(PyVersion::new(3, 9) < PyVersion::new(3, 10));
        assert!("3".parse::<PyVersion>().is_err());
        assert!("x.y".parse::<PyVersion>().is_err());
        assert_eq!(PyVersion::new(3, 15).cp_tag(), "cp315");
        assert_eq!(
            PyVersion::from_tag_digits("315"),
            Some(PyVersion::new(3, 15))
        );
    }
}
