//! The wheel tag and extension file name a build tool gives a declaration, so a declaration
//! (or a resolved config) can be compared with what a wheel claims.

use crate::{AbiKind, PyVersion};

/// A wheel's `{python tag}-{abi tag}-{platform tag}`; each part may be a compressed set
/// (`abi3.abi3t`). Displays as the triple.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WheelTag {
    pub python: String,
    pub abi: String,
    pub platform: String,
}

impl WheelTag {
    pub fn new(
        python: impl Into<String>,
        abi: impl Into<String>,
        platform: impl Into<String>,
    ) -> Self {
        WheelTag {
            python: python.into(),
            abi: abi.into(),
            platform: platform.into(),
        }
    }

    /// The abi part's tags (`abi3.abi3t` → `abi3`, `abi3t`).
    pub fn abi_tags(&self) -> impl Iterator<Item = &str> {
        self.abi.split('.')
    }
}

impl std::fmt::Display for WheelTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}-{}", self.python, self.abi, self.platform)
    }
}

/// The tag maturin writes for an extension.
///
/// - abi3: `cp39-abi3-<platform>` (interpreter tag = the floor);
/// - abi3t (PEP 803, loadable by GIL-enabled builds too): `cp315-abi3.abi3t-<platform>`;
/// - version-specific: `cp311-cp311-<platform>` (`version` = the interpreter's).
pub fn predicted_tag(kind: AbiKind, version: PyVersion, platform: &str) -> WheelTag {
    let py = version.cp_tag();
    let abi = match kind {
        AbiKind::Abi3 => "abi3".to_owned(),
        AbiKind::Abi3t => "abi3.abi3t".to_owned(),
        AbiKind::VersionSpecific => py.clone(),
    };
    WheelTag::new(py, abi, platform)
}

/// The suffix maturin gives the extension module file.
///
/// `target_os` is Cargo's (`linux`, `macos`, `windows`...); `multiarch` is the interpreter's
/// `MULTIARCH` (`x86_64-linux-gnu`) on POSIX, or the Windows platform (`win_amd64`), used only
/// by version-specific names.
pub fn extension_suffix(
    kind: AbiKind,
    version: PyVersion,
    target_os: &str,
    multiarch: Option<&str>,
) -> String {
    let windows = target_os == "windows";
    match (kind, windows) {
        (AbiKind::Abi3 | AbiKind::Abi3t, true) => ".pyd".into(),
        (AbiKind::Abi3, false) => ".abi3.so".into(),
        (AbiKind::Abi3t, false) => ".abi3t.so".into(),
        (AbiKind::VersionSpecific, true) => match multiarch {
            Some(p) => format!(".cp{}{}-{p}.pyd", version.major, version.minor),
            None => ".pyd".into(),
        },
        (AbiKind::VersionSpecific, false) => match multiarch {
            Some(m) => format!(".cpython-{}{}-{m}.so", version.major, version.minor),
            None => format!(".cpython-{}{}.so", version.major, version.minor),
        },
    }
}

/// Every suffix under which an interpreter imports an extension of this kind (POSIX), per
/// `importlib.machinery.EXTENSION_SUFFIXES`: the plain `.so` always works; abi3 also
/// `.abi3.so` (and, from CPython 3.15, the platform-tagged `.abi3-<multiarch>.so`); abi3t
/// needs `.abi3t.so`. On Windows every extension is `.pyd`.
#[cfg(test)]
pub(crate) fn accepted_suffixes(
    kind: AbiKind,
    target_os: &str,
    multiarch: Option<&str>,
) -> Vec<String> {
    if target_os == "windows" {
        return vec![".pyd".into()];
    }
    let mut v = Vec::new();
    match kind {
        AbiKind::Abi3 => {
            v.push(".abi3.so".to_owned());
            if let Some(m) = multiarch {
                v.push(format!(".abi3-{m}.so"));
            }
        }
        AbiKind::Abi3t => v.push(".abi3t.so".into()),
        AbiKind::VersionSpecific => {}
    }
    v.push(".so".into());
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_the_way_maturin_does() {
        let p = "manylinux_2_17_x86_64";
        assert_eq!(
            predicted_tag(AbiKind::Abi3, PyVersion::new(3, 9), p).to_string(),
            "cp39-abi3-manylinux_2_17_x86_64"
        );
        assert_eq!(
            predicted_tag(AbiKind::Abi3t, PyVersion::new(3, 15), "win_amd64").to_string(),
            "cp315-abi3.abi3t-win_amd64"
        );
        assert_eq!(
            predicted_tag(AbiKind::VersionSpecific, PyVersion::new(3, 11), p).to_string(),
            "cp311-cp311-manylinux_2_17_x86_64"
        );
    }

    #[test]
    fn suffixes() {
        let v = PyVersion::new(3, 11);
        assert_eq!(
            extension_suffix(AbiKind::Abi3, v, "linux", None),
            ".abi3.so"
        );
        assert_eq!(
            extension_suffix(AbiKind::Abi3t, v, "macos", None),
            ".abi3t.so"
        );
        assert_eq!(extension_suffix(AbiKind::Abi3, v, "windows", None), ".pyd");
        assert_eq!(
            extension_suffix(
                AbiKind::VersionSpecific,
                v,
                "linux",
                Some("x86_64-linux-gnu")
            ),
            ".cpython-311-x86_64-linux-gnu.so"
        );
        assert_eq!(
            extension_suffix(AbiKind::VersionSpecific, v, "windows", Some("win_amd64")),
            ".cp311-win_amd64.pyd"
        );
        assert_eq!(
            accepted_suffixes(AbiKind::Abi3, "linux", Some("x86_64-linux-gnu")),
            [".abi3.so", ".abi3-x86_64-linux-gnu.so", ".so"]
        );
        assert_eq!(accepted_suffixes(AbiKind::Abi3t, "windows", None), [".pyd"]);
    }
}
