//! The kinds of ABI an extension can target.

use std::fmt;

/// Which ABI an extension (or a wheel's ABI tag set) targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum AbiKind {
    /// The stable ABI of PEP 384 (`abi3`): loads on every GIL-enabled CPython >= the floor.
    Abi3,
    /// The free-threaded stable ABI of PEP 803 (`abi3t`), from 3.15. PEP 803 makes every abi3t
    /// extension loadable by GIL-enabled builds too, hence the `abi3.abi3t` tag.
    Abi3t,
    /// A build for one interpreter version (`cp311`, `cp313t`).
    VersionSpecific,
}

impl AbiKind {
    pub fn is_stable(self) -> bool {
        !matches!(self, AbiKind::VersionSpecific)
    }
}

impl fmt::Display for AbiKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AbiKind::Abi3 => "abi3",
            AbiKind::Abi3t => "abi3t",
            AbiKind::VersionSpecific => "version-specific",
        })
    }
}
