//! The package index: PEP 691 JSON project pages, PEP 440 versions, and which wheels of
//! which release to audit.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::wheel::WheelName;

/// `pypi:NAME` or `pypi:NAME==VERSION`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    /// The argument as given.
    pub arg: String,
    pub name: String,
    pub version: Option<String>,
}

impl Spec {
    pub const PREFIX: &'static str = crate::report::extra::PYPI_PREFIX;

    /// Parses `pypi:NAME[==VERSION]`; `None` when `arg` does not start with `pypi:`.
    pub fn parse(arg: &str) -> Option<Result<Spec, String>> {
        let rest = arg.strip_prefix(Self::PREFIX)?;
        let (name, version) = match rest.split_once("==") {
            Some((name, version)) => (name.trim(), Some(version.trim())),
            None => (rest.trim(), None),
        };
        let valid_name = !name.is_empty()
            && name.len() <= 200
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && name
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric())
            && name
                .bytes()
                .last()
                .is_some_and(|b| b.is_ascii_alphanumeric());
        if !valid_name {
            return Some(Err(format!(
                "`{arg}` is not `pypi:NAME` or `pypi:NAME==VERSION` with a valid project name"
            )));
        }
        if let Some(v) = version
            && Version::parse(v).is_none()
        {
            return Some(Err(format!("`{arg}`: `{v}` is not a PEP 440 version")));
        }
        Some(Ok(Spec {
            arg: arg.to_owned(),
            name: name.to_owned(),
            version: version.map(str::to_owned),
        }))
    }

    /// The PEP 503 normalized name (`PyQt6` → `pyqt6`, `a_b.c` → `a-b-c`).
    pub fn normalized(&self) -> String {
        normalize(&self.name)
    }
}

/// PEP 503 normalization.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// A release's PEP 440 version: the one parser and ordering the build hook's `requires-python`
/// evaluator uses (tested against Python's `packaging`).
pub use cargo_abi3_build_hook::requires_python::Version;

/// A PEP 691 project page (only what is used).
#[derive(Debug, Deserialize)]
pub struct Page {
    #[serde(default)]
    pub name: Option<String>,
    pub files: Vec<File>,
}

/// One file of a project page.
#[derive(Clone, Debug, Deserialize)]
pub struct File {
    pub filename: String,
    pub url: String,
    #[serde(default)]
    pub hashes: BTreeMap<String, String>,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub yanked: Yanked,
    #[serde(default, rename = "requires-python")]
    pub requires_python: Option<String>,
}

/// `yanked`: `false`, `true`, or the reason.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Yanked {
    #[default]
    No,
    Flag(bool),
    Reason(String),
}

impl Yanked {
    pub fn is_yanked(&self) -> bool {
        !matches!(self, Yanked::No | Yanked::Flag(false))
    }

    /// The reason, if any ("" when yanked without one).
    pub fn reason(&self) -> Option<&str> {
        match self {
            Yanked::Reason(r) => Some(r),
            Yanked::Flag(true) => Some(""),
            _ => None,
        }
    }
}

/// A wheel of the chosen release, ready to fetch.
#[derive(Clone, Debug)]
pub struct Wheel {
    pub filename: String,
    pub url: String,
    pub sha256: Option<String>,
    pub size: Option<u64>,
    pub yanked: Option<String>,
}

/// The release chosen for a spec, and its wheels to audit.
#[derive(Clone, Debug)]
pub struct Release {
    pub project: String,
    pub version: String,
    /// The pinned release is yanked (with the reason, possibly empty).
    pub yanked: Option<String>,
    pub wheels: Vec<Wheel>,
    /// Binary wheels of the release that were not selected (not abi3/abi3t).
    pub skipped: usize,
}

/// Why no release could be chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    NoSuchVersion { available: Vec<String> },
    NoReleases,
}

/// Makes a file's URL absolute against the page's URL (PEP 691 allows relative URLs).
pub fn absolute_url(page_url: &str, url: &str) -> Option<String> {
    let url = url.split('#').next().unwrap_or(url);
    if url.starts_with("https://") || url.starts_with("http://") {
        return Some(url.to_owned());
    }
    if url.contains("://") || url.starts_with("//") {
        return None; // another scheme, or scheme-relative: not followed
    }
    let scheme_end = page_url.find("://")? + 3;
    let host_end = page_url
        .get(scheme_end..)?
        .find('/')
        .map_or(page_url.len(), |i| i + scheme_end);
    if url.starts_with('/') {
        return Some(format!("{}{url}", page_url.get(..host_end)?));
    }
    let dir_end = page_url.rfind('/').filter(|&i| i >= host_end)?;
    Some(format!("{}/{url}", page_url.get(..dir_end)?))
}

/// Chooses the release (the pinned one, or the latest with a non-yanked file; final
/// releases before pre-releases) and its wheels: abi3/abi3t ones, or every binary wheel
/// with `all_wheels`.
pub fn choose(
    page: &Page,
    page_url: &str,
    spec: &Spec,
    all_wheels: bool,
) -> Result<Release, Choice> {
    // Versions by the files' names (sdists too: a release may have only an sdist).
    let mut releases: BTreeMap<Version, (String, Vec<&File>)> = BTreeMap::new();
    for file in &page.files {
        let Some(version) = file_version(&file.filename, &spec.normalized()) else {
            continue;
        };
        let Some(parsed) = Version::parse(&version) else {
            continue;
        };
        releases
            .entry(parsed)
            .or_insert_with(|| (version, Vec::new()))
            .1
            .push(file);
    }
    let (version, files) = match &spec.version {
        Some(pinned) => {
            let wanted = Version::parse(pinned);
            match releases.iter().find(|(v, _)| Some(*v) == wanted.as_ref()) {
                Some((_, release)) => release,
                None => {
                    let available = releases
                        .values()
                        .rev()
                        .take(8)
                        .map(|(v, _)| v.clone())
                        .collect();
                    return Err(Choice::NoSuchVersion { available });
                }
            }
        }
        None => {
            let live = |files: &Vec<&File>| files.iter().any(|f| !f.yanked.is_yanked());
            let finals = releases
                .iter()
                .rev()
                .find(|(v, (_, files))| !v.is_prerelease() && live(files));
            let any = || releases.iter().rev().find(|(_, (_, files))| live(files));
            match finals.or_else(any) {
                Some((_, release)) => release,
                None => return Err(Choice::NoReleases),
            }
        }
    };
    let yanked = if files.iter().all(|f| f.yanked.is_yanked()) {
        files
            .iter()
            .find_map(|f| f.yanked.reason())
            .map(str::to_owned)
    } else {
        None
    };
    let mut wheels = Vec::new();
    let mut skipped = 0;
    for file in files {
        let Ok(name) = WheelName::parse(&file.filename) else {
            continue;
        };
        if name.platform_tags.iter().all(|p| p == "any") {
            continue;
        }
        // A pinned release is audited even if yanked; a file yanked alone is skipped.
        if file.yanked.is_yanked() && yanked.is_none() {
            continue;
        }
        let stable = name.abi_tags.iter().any(|a| a == "abi3" || a == "abi3t");
        if !(stable || all_wheels) {
            skipped += 1;
            continue;
        }
        let Some(url) = absolute_url(page_url, &file.url) else {
            continue;
        };
        wheels.push(Wheel {
            filename: file.filename.clone(),
            url,
            sha256: file.hashes.get("sha256").cloned(),
            size: file.size,
            yanked: file.yanked.reason().map(str::to_owned),
        });
    }
    wheels.sort_by(|a, b| a.filename.cmp(&b.filename));
    Ok(Release {
        // As the user spelt it (PEP 691's `name` is the normalized one).
        project: spec.name.clone(),
        version: version.clone(),
        yanked,
        wheels,
        skipped,
    })
}

/// The version part of a wheel or sdist file name of project `normalized`; `None` for
/// names that are not a plain file name of this project.
fn file_version(filename: &str, normalized: &str) -> Option<String> {
    if filename.is_empty()
        || filename.len() > 512
        || filename.contains(['/', '\\'])
        || filename.chars().any(char::is_control)
    {
        return None;
    }
    if filename.ends_with(".whl") {
        let name = WheelName::parse(filename).ok()?;
        return (normalize(&name.distribution) == normalized).then_some(name.version);
    }
    let stem = [".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz"]
        .iter()
        .find_map(|ext| filename.strip_suffix(ext))?;
    let (dist, version) = stem.rsplit_once('-')?;
    (normalize(dist) == normalized).then(|| version.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_as_pep_440() {
        let ordered = [
            "1.0.dev0",
            "1.0a1",
            "1.0a2.dev1",
            "1.0b1",
            "1.0rc1",
            "1.0",
            "1.0.post1",
            "1.1",
            "1.10",
            "2!0.1",
        ];
        for pair in ordered.windows(2) {
            let (a, b) = (Version::parse(pair[0]), Version::parse(pair[1]));
            assert!(a.unwrap() < b.unwrap(), "{pair:?}");
        }
        assert_eq!(
            Version::parse("1.0").unwrap(),
            Version::parse("1.0.0").unwrap()
        );
        assert_eq!(
            Version::parse("6.2.1").unwrap(),
            Version::parse("v6.2.1").unwrap()
        );
        assert!(Version::parse("1.0rc1").unwrap().is_prerelease());
        assert!(Version::parse("not a version").is_none());
        assert!(Version::parse("1.0-1").unwrap().is_postrelease());
    }

    #[test]
    fn specs() {
        let s = Spec::parse("pypi:PyQt6==6.2.0").unwrap().unwrap();
        assert_eq!(
            (s.name.as_str(), s.version.as_deref()),
            ("PyQt6", Some("6.2.0"))
        );
        assert_eq!(s.normalized(), "pyqt6");
        assert!(Spec::parse("./pypi:x").is_none());
        assert!(Spec::parse("pypi:").unwrap().is_err());
        assert!(Spec::parse("pypi:../etc").unwrap().is_err());
        assert!(Spec::parse("pypi:x==what?").unwrap().is_err());
        assert_eq!(normalize("A_b.C--d"), "a-b-c-d");
    }

    #[test]
    fn urls() {
        let page = "https://example.org/simple/foo/";
        assert_eq!(
            absolute_url(page, "../../files/foo-1.whl#sha256=00").as_deref(),
            Some("https://example.org/simple/foo/../../files/foo-1.whl")
        );
        assert_eq!(
            absolute_url(page, "/f/foo-1.whl").as_deref(),
            Some("https://example.org/f/foo-1.whl")
        );
        assert_eq!(absolute_url(page, "file:///etc/passwd"), None);
        assert_eq!(absolute_url(page, "//evil/x.whl"), None);
    }
}
