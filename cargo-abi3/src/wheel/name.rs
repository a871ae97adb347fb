//! Wheel file names and their compressed tag sets (wheel spec, PEP 425).

use super::platform::PlatformTag;
use cargo_abi3_build_hook::tag::CpTag;

use crate::{AbiKind, PyVersion};

/// Why a file name is not a wheel name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WheelNameError {
    #[error("`{0}` does not end in `.whl`")]
    NotWhl(String),
    #[error(
        "`{name}` has {count} `-`-separated parts; a wheel name is \
         `{{distribution}}-{{version}}(-{{build tag}})?-{{python tag}}-{{abi tag}}-{{platform tag}}.whl` \
         (5 or 6 parts; `-` inside a name or version must be written `_`)"
    )]
    WrongPartCount { name: String, count: usize },
    #[error("`{name}` has an empty {part}")]
    EmptyPart { name: String, part: &'static str },
    #[error("`{name}`: build tag `{build}` must start with a digit")]
    BadBuildTag { name: String, build: String },
}

/// One tag of a wheel name's compressed tag sets (`cp311`, `abi3`, `manylinux_2_17_x86_64`),
/// lowercased, as installers compare them. It keeps its text (reports print it as written);
/// [`Tag::cp`] is its CPython reading, through the core's one parser.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Tag(String);

impl Tag {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `cp311` → 3.11, `cp313t` → 3.13 free-threaded; `None` for other tags (`abi3`, `py3`).
    pub fn cp(&self) -> Option<CpTag> {
        CpTag::parse(&self.0)
    }
}

impl From<&str> for Tag {
    fn from(tag: &str) -> Tag {
        Tag(tag.to_owned())
    }
}

impl From<String> for Tag {
    fn from(tag: String) -> Tag {
        Tag(tag)
    }
}

impl std::ops::Deref for Tag {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Tag {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Tag {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Tag {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl std::fmt::Display for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(&self.0)
    }
}

/// A parsed wheel file name. Tags are lowercased, as installers compare them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct WheelName {
    pub distribution: String,
    pub version: String,
    pub build_tag: Option<String>,
    pub python_tags: Vec<Tag>,
    pub abi_tags: Vec<Tag>,
    pub platform_tags: Vec<Tag>,
}

impl WheelName {
    /// Parses a wheel file name (a leading directory, with `/` or `\`, is ignored).
    pub fn parse(file_name: &str) -> Result<WheelName, WheelNameError> {
        let name = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
        let stem = name
            .strip_suffix(".whl")
            .ok_or_else(|| WheelNameError::NotWhl(name.to_owned()))?;
        let parts: Vec<&str> = stem.split('-').collect();
        let (distribution, version, build, py, abi, plat) = match parts.as_slice() {
            [d, v, py, abi, plat] => (*d, *v, None, *py, *abi, *plat),
            [d, v, b, py, abi, plat] => (*d, *v, Some(*b), *py, *abi, *plat),
            _ => {
                return Err(WheelNameError::WrongPartCount {
                    name: name.to_owned(),
                    count: parts.len(),
                });
            }
        };
        let empty = |part| WheelNameError::EmptyPart {
            name: name.to_owned(),
            part,
        };
        if distribution.is_empty() {
            return Err(empty("distribution"));
        }
        if version.is_empty() {
            return Err(empty("version"));
        }
        if let Some(b) = build
            && !b.starts_with(|c: char| c.is_ascii_digit())
        {
            return Err(WheelNameError::BadBuildTag {
                name: name.to_owned(),
                build: b.to_owned(),
            });
        }
        let tags = |set: &str, part| -> Result<Vec<Tag>, WheelNameError> {
            let tags: Vec<Tag> = set
                .split('.')
                .map(|t| Tag(t.to_ascii_lowercase()))
                .collect();
            if tags.iter().any(|t| t.is_empty()) {
                return Err(empty(part));
            }
            Ok(tags)
        };
        Ok(WheelName {
            distribution: distribution.to_owned(),
            version: version.to_owned(),
            build_tag: build.map(str::to_owned),
            python_tags: tags(py, "python tag")?,
            abi_tags: tags(abi, "abi tag")?,
            platform_tags: tags(plat, "platform tag")?,
        })
    }

    pub fn has_abi3(&self) -> bool {
        self.abi_tags.iter().any(|t| t == "abi3")
    }

    /// PEP 803's free-threaded stable ABI (`abi3t`, usually as `abi3.abi3t`).
    pub fn has_abi3t(&self) -> bool {
        self.abi_tags.iter().any(|t| t == "abi3t")
    }

    /// The ABI the wheel claims: `abi3t` wins over `abi3` (an `abi3.abi3t` wheel must satisfy
    /// the abi3t checks), then `abi3`, then version-specific (`cp311`, `cp313t`); `None` for
    /// `none` only.
    pub fn abi_kind(&self) -> Option<AbiKind> {
        if self.has_abi3t() {
            Some(AbiKind::Abi3t)
        } else if self.has_abi3() {
            Some(AbiKind::Abi3)
        } else if self.abi_tags.iter().any(|t| t != "none") {
            Some(AbiKind::VersionSpecific)
        } else {
            None
        }
    }

    /// Whether any ABI tag is a free-threaded version-specific one (`cp313t`).
    pub fn is_free_threaded_build(&self) -> bool {
        self.abi_tags
            .iter()
            .any(|t| cp_abi_digits(t).is_some_and(|(_, flags)| flags.contains('t')))
    }

    /// The lowest CPython 3.X any python tag admits: `cp38.cp310` → 3.8, `cp311` → 3.11,
    /// `py3` → 3.0. Tags of other interpreters (`pp39`) and of Python 2 are ignored.
    pub fn claimed_floor(&self) -> Option<PyVersion> {
        self.python_tags
            .iter()
            .filter_map(|t| python_tag_version(t))
            .min()
    }

    /// Why no installer would ever select this wheel, if that is so: `py3-abi3` (installers
    /// pair `abi3` only with `cp3X`, X ≥ 2), `abi3` with a non-CPython tag, a version-specific
    /// ABI tag with a different interpreter (`py3-cp311`), or an `any` platform with an ABI
    /// other than `none`. The wheel is installable if any one tag of its expanded set is.
    /// `abi3t` below cp315 is a separate rule and is not flagged here.
    pub fn uninstallable_reason(&self) -> Option<String> {
        let mut reasons = Vec::new();
        for abi in &self.abi_tags {
            let pairs = self.python_tags.iter().any(|py| pair_ok(py, abi));
            let plat = abi == "none" || self.platform_tags.iter().any(|p| p != "any");
            if pairs && plat {
                return None;
            }
            if !pairs {
                reasons.push(pair_reason(abi, &self.python_tags));
            } else {
                reasons.push(format!(
                    "abi tag `{abi}` is never selected with the `any` platform: installers \
                     pair `any` only with the `none` ABI; name the platform the binary is for"
                ));
            }
        }
        reasons.dedup();
        (!reasons.is_empty()).then(|| reasons.join("; "))
    }

    /// The platform tags, with their helpers.
    pub fn platforms(&self) -> impl Iterator<Item = PlatformTag<'_>> {
        self.platform_tags.iter().map(|t| PlatformTag(t))
    }

    /// `cp38.cp310-abi3-…`: the compressed tag triple as written in the name.
    pub fn tag_triple(&self) -> String {
        format!(
            "{}-{}-{}",
            self.python_tags.join("."),
            self.abi_tags.join("."),
            self.platform_tags.join(".")
        )
    }
}

impl std::fmt::Display for WheelName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.distribution, self.version)?;
        if let Some(b) = &self.build_tag {
            write!(f, "-{b}")?;
        }
        write!(f, "-{}.whl", self.tag_triple())
    }
}

/// `cp38` → 3.8, `py3`/`cp3` → 3.0, `py311` → 3.11; others → None.
fn python_tag_version(tag: &str) -> Option<PyVersion> {
    let digits = tag.strip_prefix("cp").or_else(|| tag.strip_prefix("py"))?;
    if digits == "3" {
        return Some(PyVersion::new(3, 0));
    }
    PyVersion::from_tag_digits(digits).filter(|v| v.major == 3)
}

/// `cp311` → ("311", ""), `cp313t` → ("313", "t"), `cp37m` → ("37", "m").
fn cp_abi_digits(tag: &str) -> Option<(&str, &str)> {
    let rest = tag.strip_prefix("cp")?;
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (digits, flags) = rest.split_at(end);
    (digits.len() >= 2 && flags.chars().all(|c| matches!(c, 'd' | 'm' | 'u' | 't')))
        .then_some((digits, flags))
}

/// A CPython interpreter tag `cp3X` with X ≥ 2 (what installers pair with `abi3`).
fn is_cpython3_interpreter(py: &str) -> bool {
    CpTag::interpreter(py).is_some_and(|v| v >= PyVersion::STABLE_ABI_START && v.major == 3)
}

/// Whether an installer ever selects the python/abi pair.
fn pair_ok(py: &str, abi: &str) -> bool {
    match abi {
        "none" => true,
        "abi3" => is_cpython3_interpreter(py),
        // Whether cp3X < 3.15 is acceptable is a separate rule.
        "abi3t" => CpTag::interpreter(py).is_some_and(|v| v.major == 3),
        _ => match cp_abi_digits(abi) {
            Some((digits, _)) => py.strip_prefix("cp") == Some(digits),
            // Other interpreters' ABIs (pypy39_pp73, graalpy…): not judged.
            None => true,
        },
    }
}

fn pair_reason(abi: &str, python_tags: &[Tag]) -> String {
    let py = python_tags.join(".");
    match abi {
        "abi3" | "abi3t" => format!(
            "abi tag `{abi}` is only selected together with a CPython interpreter tag `cp3X`; \
             `{py}-{abi}` matches no installer. Tag the wheel `cp3X-{abi}-<platform>` with the \
             floor as cp3X"
        ),
        _ => match cp_abi_digits(abi) {
            Some((digits, _)) => format!(
                "abi tag `{abi}` is only selected with interpreter tag `cp{digits}`, not `{py}`"
            ),
            None => format!("abi tag `{abi}` is never selected with `{py}`"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::platform::PlatformFamily;
    use super::*;

    fn n(s: &str) -> WheelName {
        WheelName::parse(s).unwrap()
    }

    #[test]
    fn compressed_tags_and_floor() {
        let w = n("pkg-1.0-cp38.cp310-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl");
        assert_eq!(w.distribution, "pkg");
        assert_eq!(w.version, "1.0");
        assert_eq!(w.build_tag, None);
        assert_eq!(w.python_tags, ["cp38", "cp310"]);
        assert_eq!(w.abi_tags, ["abi3"]);
        assert_eq!(
            w.platform_tags,
            ["manylinux2014_x86_64", "manylinux_2_17_x86_64"]
        );
        assert_eq!(w.claimed_floor(), Some(PyVersion::new(3, 8)));
        assert_eq!(w.abi_kind(), Some(AbiKind::Abi3));
        assert!(w.has_abi3() && !w.has_abi3t());
        assert_eq!(w.uninstallable_reason(), None);
        let glibc: Vec<_> = w.platforms().map(|p| p.manylinux_glibc()).collect();
        assert_eq!(glibc, [Some((2, 17)), Some((2, 17))]);
        assert_eq!(
            w.to_string(),
            "pkg-1.0-cp38.cp310-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"
        );
    }

    #[test]
    fn build_tag_and_paths() {
        let w = n("dist/My_Pkg-2.0.1-1build-CP311-cp311-WIN_AMD64.whl");
        assert_eq!(w.distribution, "My_Pkg");
        assert_eq!(w.build_tag.as_deref(), Some("1build"));
        assert_eq!(w.python_tags, ["cp311"]);
        assert_eq!(w.platform_tags, ["win_amd64"]);
        assert_eq!(w.claimed_floor(), Some(PyVersion::new(3, 11)));
        assert_eq!(w.abi_kind(), Some(AbiKind::VersionSpecific));
        assert_eq!(
            w.platforms().next().unwrap().family(),
            PlatformFamily::Windows
        );
        assert!(matches!(
            WheelName::parse("pkg-1.0-build-cp311-cp311-win_amd64.whl"),
            Err(WheelNameError::BadBuildTag { .. })
        ));
    }

    #[test]
    fn uninstallable_tag_sets() {
        let r = n("pkg-1.0-py3-abi3-manylinux_2_17_x86_64.whl").uninstallable_reason();
        assert!(r.unwrap().contains("cp3X"));
        assert!(
            n("pkg-1.0-py39-abi3-win_amd64.whl")
                .uninstallable_reason()
                .is_some()
        );
        assert!(
            n("pkg-1.0-pp39-abi3-win_amd64.whl")
                .uninstallable_reason()
                .is_some()
        );
        assert!(
            n("pkg-1.0-cp31-abi3-win_amd64.whl")
                .uninstallable_reason()
                .is_some()
        );
        assert!(
            n("pkg-1.0-py3-cp311-win_amd64.whl")
                .uninstallable_reason()
                .is_some()
        );
        assert!(
            n("pkg-1.0-cp38-abi3-any.whl")
                .uninstallable_reason()
                .is_some()
        );
        // One installable combination is enough.
        assert!(
            n("pkg-1.0-py3.cp38-abi3-win_amd64.whl")
                .uninstallable_reason()
                .is_none()
        );
        assert!(
            n("pkg-1.0-py3-none-any.whl")
                .uninstallable_reason()
                .is_none()
        );
        assert!(
            n("pkg-1.0-pp39-pypy39_pp73-win_amd64.whl")
                .uninstallable_reason()
                .is_none()
        );
        // abi3t below cp315 is another rule's business.
        assert!(
            n("pkg-1.0-cp314-abi3t-win_amd64.whl")
                .uninstallable_reason()
                .is_none()
        );
        assert_eq!(n("pkg-1.0-py3-none-any.whl").abi_kind(), None);
        assert_eq!(
            n("pkg-1.0-py3-none-any.whl").claimed_floor(),
            Some(PyVersion::new(3, 0))
        );
    }

    #[test]
    fn abi3t_and_free_threaded() {
        let w = n("pkg-1.0-cp315-abi3.abi3t-macosx_10_12_universal2.whl");
        assert!(w.has_abi3() && w.has_abi3t());
        assert_eq!(w.abi_kind(), Some(AbiKind::Abi3t));
        assert_eq!(w.claimed_floor(), Some(PyVersion::new(3, 15)));
        assert_eq!(
            w.platforms().next().unwrap().macos_version(),
            Some((10, 12))
        );
        assert_eq!(w.uninstallable_reason(), None);

        let t = n("pkg-1.0-cp315-abi3t-win_amd64.whl");
        assert!(!t.has_abi3() && t.has_abi3t());
        assert_eq!(t.abi_kind(), Some(AbiKind::Abi3t));

        let ft = n("pkg-1.0-cp313-cp313t-manylinux_2_28_aarch64.whl");
        assert_eq!(ft.abi_kind(), Some(AbiKind::VersionSpecific));
        assert!(ft.is_free_threaded_build());
        assert_eq!(ft.claimed_floor(), Some(PyVersion::new(3, 13)));
        assert_eq!(ft.uninstallable_reason(), None);
        assert!(!n("pkg-1.0-cp313-cp313-win32.whl").is_free_threaded_build());
    }

    #[test]
    fn bad_names_are_errors() {
        for bad in [
            "",
            ".whl",
            "pkg.whl",
            "pkg-1.0.whl",
            "pkg-1.0-cp38-abi3.whl",
            "pkg-1.0-cp38-abi3-linux_x86_64.zip",
            "-1.0-cp38-abi3-any.whl",
            "pkg--cp38-abi3-any.whl",
            "pkg-1.0-cp38..cp39-abi3-any.whl",
            "pkg-1.0-cp38-abi3-.whl",
            "a-b-c-d-e-f-g.whl",
            "pkg-1.0--cp38-abi3-any.whl",
            "é-é-é-é-é.whl",
        ] {
            let r = WheelName::parse(bad);
            if bad == "é-é-é-é-é.whl" {
                // Odd but well-formed: tolerated.
                assert!(r.is_ok());
            } else {
                assert!(r.is_err(), "{bad}");
                assert!(!r.unwrap_err().to_string().is_empty());
            }
        }
    }
}
