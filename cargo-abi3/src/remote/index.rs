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

/// One file of a project page: only what is used, each string bounded ([`MAX_STRING`] by
/// the reader; `filename` and `url` more tightly where they are kept).
#[derive(Clone, Debug, Deserialize)]
pub struct File {
    pub filename: String,
    pub url: String,
    /// The `sha256` of `hashes` (the others are skipped unread).
    #[serde(default, rename = "hashes", deserialize_with = "sha256_of")]
    pub sha256: Option<String>,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub yanked: Yanked,
}

/// `hashes`, keeping only the sha256: every other entry is skipped without being held.
fn sha256_of<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct Hashes;
    impl<'de> serde::de::Visitor<'de> for Hashes {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a map of hashes")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut sha256 = None;
            while let Some(key) = map.next_key::<String>()? {
                if key == "sha256" {
                    sha256 = Some(map.next_value::<String>()?);
                } else {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            Ok(sha256)
        }
    }
    d.deserialize_map(Hashes)
}

/// `yanked`: `false`, `true`, or the reason (anything else is read as not yanked, and
/// skipped without being held).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Yanked {
    #[default]
    No,
    Flag(bool),
    Reason(String),
}

impl<'de> Deserialize<'de> for Yanked {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Yanked;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a boolean or a reason")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Yanked, E> {
                Ok(Yanked::Flag(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Yanked, E> {
                // A reason is shown, never parsed: a long one is cut.
                let cut = v.char_indices().nth(MAX_REASON).map_or(v.len(), |(i, _)| i);
                Ok(Yanked::Reason(v.get(..cut).unwrap_or_default().to_owned()))
            }
            fn visit_unit<E>(self) -> Result<Yanked, E> {
                Ok(Yanked::No)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Yanked, E> {
                Ok(Yanked::No)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Yanked, E> {
                Ok(Yanked::No)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Yanked, E> {
                Ok(Yanked::No)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Yanked, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Yanked::No)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Yanked, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Yanked::No)
            }
        }
        d.deserialize_any(V)
    }
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

/// The longest string a project page may hold (a file name, URL, hash, reason, key or
/// ignored value): a longer one refuses the page before it is held.
pub const MAX_STRING: usize = 64 * 1024;
/// The longest URL kept for a chosen file (PyPI's are about 200 bytes).
pub const MAX_URL: usize = 4096;
/// A yanked reason is cut to this many characters.
pub const MAX_REASON: usize = 500;
/// The most binary wheels one release may have on a page (PyPI's largest have about 100).
pub const MAX_RELEASE_WHEELS: usize = 1024;

/// Why a project page gave no release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    NoSuchVersion {
        available: Vec<String>,
    },
    NoReleases,
    /// The page is not a PEP 691 JSON project page (the parser's message).
    NotJson(String),
    /// Over one of the limits above, or over the most files a page may list: what, the
    /// limit, and its unit (`bytes`, `files`).
    OverLimit {
        what: String,
        limit: u64,
        unit: &'static str,
    },
    /// The page could not be read back from where it was stored.
    Io(String),
}

/// A JSON reader that refuses any string (or number) longer than [`MAX_STRING`] bytes
/// before the parser holds it: `serde_json` collects each string whole, even one it skips.
struct BoundedStrings<R> {
    inner: R,
    in_string: bool,
    escaped: bool,
    run: usize,
    over: bool,
}

impl<R: std::io::Read> std::io::Read for BoundedStrings<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in buf.get(..n).unwrap_or_default() {
            if self.in_string {
                self.run += 1;
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                    self.run = 0;
                }
            } else if b == b'"' {
                self.in_string = true;
                self.run = 0;
            }
            if self.run > MAX_STRING {
                self.over = true;
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("a string over {MAX_STRING} bytes"),
                ));
            }
        }
        Ok(n)
    }
}

/// Calls `each` on every file of the page read from `read`, one at a time (nothing else of
/// the page is held); at most `max_files` files.
fn each_file(
    read: impl std::io::Read,
    max_files: usize,
    each: &mut dyn FnMut(File) -> Result<(), Choice>,
) -> Result<(), Choice> {
    use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};

    struct Page<'a> {
        max_files: usize,
        each: &'a mut dyn FnMut(File) -> Result<(), Choice>,
        stopped: &'a mut Option<Choice>,
    }
    impl<'de> DeserializeSeed<'de> for Page<'_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de> Visitor<'de> for Page<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a PEP 691 project page (a JSON object with `files`)")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut files = 0usize;
            let mut seen = false;
            while let Some(key) = map.next_key::<String>()? {
                if key != "files" {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
                seen = true;
                map.next_value_seed(Files {
                    max_files: self.max_files,
                    count: &mut files,
                    each: &mut *self.each,
                    stopped: &mut *self.stopped,
                })?;
            }
            if seen {
                Ok(())
            } else {
                Err(A::Error::missing_field("files"))
            }
        }
    }
    struct Files<'a> {
        max_files: usize,
        count: &'a mut usize,
        each: &'a mut dyn FnMut(File) -> Result<(), Choice>,
        stopped: &'a mut Option<Choice>,
    }
    impl<'de> DeserializeSeed<'de> for Files<'_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }
    impl<'de> Visitor<'de> for Files<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a list of files")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(file) = seq.next_element::<File>()? {
                *self.count += 1;
                if *self.count > self.max_files {
                    *self.stopped = Some(Choice::OverLimit {
                        what: "the files the project page lists".to_owned(),
                        limit: self.max_files as u64,
                        unit: "files",
                    });
                    return Err(A::Error::custom("stopped"));
                }
                if let Err(stop) = (self.each)(file) {
                    *self.stopped = Some(stop);
                    return Err(A::Error::custom("stopped"));
                }
            }
            Ok(())
        }
    }

    let mut reader = BoundedStrings {
        inner: std::io::BufReader::new(read),
        in_string: false,
        escaped: false,
        run: 0,
        over: false,
    };
    let mut stopped = None;
    let result = {
        let mut de = serde_json::Deserializer::from_reader(&mut reader);
        let seed = Page {
            max_files,
            each,
            stopped: &mut stopped,
        };
        seed.deserialize(&mut de).and_then(|()| de.end())
    };
    match (result, stopped) {
        (_, Some(stop)) => Err(stop),
        (Ok(()), None) => Ok(()),
        (Err(_), None) if reader.over => Err(Choice::OverLimit {
            what: "a string on the project page".to_owned(),
            limit: MAX_STRING as u64,
            unit: "bytes",
        }),
        (Err(e), None) if e.is_io() => Err(Choice::Io(e.to_string())),
        (Err(e), None) => Err(Choice::NotJson(e.to_string())),
    }
}

/// Chooses the release (the pinned one, or the latest with a non-yanked file; final
/// releases before pre-releases) and its wheels: abi3/abi3t ones, or every binary wheel
/// with `all_wheels`. The page is read twice from `open` (each call gives it from its
/// start), one file at a time: first to choose the version, then to collect that release's
/// files, so what is held is one release's files, never the page.
pub fn choose<R: std::io::Read>(
    open: &mut dyn FnMut() -> std::io::Result<R>,
    page_url: &str,
    spec: &Spec,
    all_wheels: bool,
    max_files: usize,
) -> Result<Release, Choice> {
    let normalized = spec.normalized();
    let io = |e: std::io::Error| Choice::Io(e.to_string());
    // Versions by the files' names (sdists too: a release may have only an sdist).
    let version_of = |file: &File| {
        let version = file_version(&file.filename, &normalized)?;
        let parsed = Version::parse(&version)?;
        Some((parsed, version))
    };
    // First pass: the version. The greatest live (not yanked) final and any release, and
    // the eight greatest versions for a message.
    let pinned = spec.version.as_deref().and_then(Version::parse);
    let mut pinned_found: Option<String> = None;
    let mut best_final: Option<(Version, String)> = None;
    let mut best_any: Option<(Version, String)> = None;
    let mut greatest: BTreeMap<Version, String> = BTreeMap::new();
    each_file(open().map_err(io)?, max_files, &mut |file| {
        let Some((parsed, version)) = version_of(&file) else {
            return Ok(());
        };
        if pinned.as_ref() == Some(&parsed) && pinned_found.is_none() {
            pinned_found = Some(version.clone());
        }
        if !file.yanked.is_yanked() {
            if !parsed.is_prerelease() && best_final.as_ref().is_none_or(|(v, _)| parsed > *v) {
                best_final = Some((parsed.clone(), version.clone()));
            }
            if best_any.as_ref().is_none_or(|(v, _)| parsed > *v) {
                best_any = Some((parsed.clone(), version.clone()));
            }
        }
        if greatest.len() < 8 || greatest.first_key_value().is_some_and(|(v, _)| parsed > *v) {
            greatest.entry(parsed).or_insert(version);
            if greatest.len() > 8 {
                greatest.pop_first();
            }
        }
        Ok(())
    })?;
    let (chosen, version) = match (&spec.version, pinned_found) {
        (Some(_), Some(found)) => (pinned.clone(), found),
        (Some(_), None) => {
            return Err(Choice::NoSuchVersion {
                available: greatest.into_values().rev().collect(),
            });
        }
        (None, _) => match best_final.or(best_any) {
            Some((v, s)) => (Some(v), s),
            None => return Err(Choice::NoReleases),
        },
    };
    // Second pass: that release's binary wheels (all of them: which are audited depends
    // on whether the whole release is yanked, known at the end).
    let mut all_yanked = true;
    let mut reason: Option<String> = None;
    let mut binary: Vec<(File, bool, String)> = Vec::new();
    let mut skipped = 0;
    each_file(open().map_err(io)?, max_files, &mut |file| {
        let Some((parsed, _)) = version_of(&file) else {
            return Ok(());
        };
        if Some(&parsed) != chosen.as_ref() {
            return Ok(());
        }
        all_yanked &= file.yanked.is_yanked();
        if reason.is_none() {
            reason = file.yanked.reason().map(str::to_owned);
        }
        let Ok(name) = WheelName::parse(&file.filename) else {
            return Ok(());
        };
        if name.platform_tags.iter().all(|p| p == "any") {
            return Ok(());
        }
        let stable = name.abi_tags.iter().any(|a| a == "abi3" || a == "abi3t");
        if file.url.len() > MAX_URL {
            return Err(Choice::OverLimit {
                what: format!("the URL of `{}`", file.filename),
                limit: MAX_URL as u64,
                unit: "bytes",
            });
        }
        let Some(url) = absolute_url(page_url, &file.url) else {
            return Ok(());
        };
        if binary.len() >= MAX_RELEASE_WHEELS {
            return Err(Choice::OverLimit {
                what: format!("the binary wheels of release {version}"),
                limit: MAX_RELEASE_WHEELS as u64,
                unit: "wheels",
            });
        }
        binary.push((file, stable, url));
        Ok(())
    })?;
    let yanked = if all_yanked { reason } else { None };
    let mut wheels = Vec::new();
    for (file, stable, url) in binary {
        // A pinned release is audited even if yanked; a file yanked alone is skipped.
        if file.yanked.is_yanked() && yanked.is_none() {
            continue;
        }
        if !(stable || all_wheels) {
            skipped += 1;
            continue;
        }
        wheels.push(Wheel {
            filename: file.filename,
            url,
            sha256: file.sha256,
            size: file.size,
            yanked: file.yanked.reason().map(str::to_owned),
        });
    }
    wheels.sort_by(|a, b| a.filename.cmp(&b.filename));
    Ok(Release {
        // As the user spelt it (PEP 691's `name` is the normalized one).
        project: spec.name.clone(),
        version,
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

    fn page(files: &[(&str, serde_json::Value)]) -> Vec<u8> {
        let files: Vec<serde_json::Value> = files
            .iter()
            .map(|(name, yanked)| {
                serde_json::json!({
                    "filename": name,
                    "url": format!("../../files/{name}"),
                    "hashes": {"md5": "00", "sha256": format!("{:064}", 1), "blake2b": "ff"},
                    "yanked": yanked,
                    "size": 10,
                    "data-dist-info-metadata": {"sha256": "ab"},
                })
            })
            .collect();
        serde_json::json!({"meta": {"api-version": "1.1"}, "name": "demo", "files": files})
            .to_string()
            .into_bytes()
    }

    fn pick(body: &[u8], arg: &str, all_wheels: bool) -> Result<Release, Choice> {
        let spec = Spec::parse(arg).unwrap().unwrap();
        let mut open = || Ok::<_, std::io::Error>(std::io::Cursor::new(body));
        choose(
            &mut open,
            "https://example.org/simple/demo/",
            &spec,
            all_wheels,
            1000,
        )
    }

    const NO: serde_json::Value = serde_json::Value::Bool(false);

    #[test]
    fn the_latest_live_final_release_or_the_pinned_one() {
        let body = page(&[
            ("demo-1.0-cp39-abi3-manylinux_2_17_x86_64.whl", NO),
            ("demo-1.0.tar.gz", NO),
            (
                "demo-1.1-cp39-abi3-manylinux_2_17_x86_64.whl",
                serde_json::json!("broken"),
            ),
            ("demo-1.1-cp39-abi3-win_amd64.whl", serde_json::json!(true)),
            ("demo-2.0rc1-cp39-abi3-manylinux_2_17_x86_64.whl", NO),
            ("demo-1.0-cp39-abi3-win_amd64.whl", NO),
            ("demo-1.0-cp311-cp311-win_amd64.whl", NO),
            ("demo-1.0-py3-none-any.whl", NO),
            ("other-9.0-cp39-abi3-win_amd64.whl", NO),
        ]);
        // 1.1 has only yanked files, 2.0rc1 is a pre-release: 1.0, its files spread out.
        let latest = pick(&body, "pypi:demo", false).unwrap();
        assert_eq!(latest.version, "1.0");
        assert_eq!(latest.yanked, None);
        let names: Vec<&str> = latest.wheels.iter().map(|w| w.filename.as_str()).collect();
        assert_eq!(
            names,
            [
                "demo-1.0-cp39-abi3-manylinux_2_17_x86_64.whl",
                "demo-1.0-cp39-abi3-win_amd64.whl"
            ]
        );
        assert_eq!(latest.skipped, 1);
        assert_eq!(
            latest.wheels[0].url,
            "https://example.org/simple/demo/../../files/demo-1.0-cp39-abi3-manylinux_2_17_x86_64.whl"
        );
        assert_eq!(
            latest.wheels[0].sha256.as_deref(),
            Some(format!("{:064}", 1).as_str())
        );
        assert_eq!(pick(&body, "pypi:demo", true).unwrap().wheels.len(), 3);
        // A yanked pin is audited, with its reason.
        let pinned = pick(&body, "pypi:demo==1.1", false).unwrap();
        assert_eq!(pinned.yanked.as_deref(), Some("broken"));
        assert_eq!(pinned.wheels.len(), 2);
        // A missing pin names the greatest versions.
        assert_eq!(
            pick(&body, "pypi:demo==3", false).unwrap_err(),
            Choice::NoSuchVersion {
                available: vec!["2.0rc1".into(), "1.1".into(), "1.0".into()]
            }
        );
        // Only a pre-release is live: it is chosen.
        let pre = page(&[
            ("demo-1.0-cp39-abi3-win_amd64.whl", serde_json::json!(true)),
            ("demo-2.0b1-cp39-abi3-win_amd64.whl", NO),
        ]);
        assert_eq!(pick(&pre, "pypi:demo", false).unwrap().version, "2.0b1");
        let dead = page(&[("demo-1.0-cp39-abi3-win_amd64.whl", serde_json::json!(true))]);
        assert_eq!(
            pick(&dead, "pypi:demo", false).unwrap_err(),
            Choice::NoReleases
        );
    }

    #[test]
    fn no_more_than_eight_versions_are_named() {
        let names: Vec<String> = (0..40)
            .map(|i| format!("demo-1.{i}-cp39-abi3-win_amd64.whl"))
            .collect();
        let files: Vec<(&str, serde_json::Value)> =
            names.iter().rev().map(|n| (n.as_str(), NO)).collect();
        let Err(Choice::NoSuchVersion { available }) = pick(&page(&files), "pypi:demo==9", false)
        else {
            panic!("no such version")
        };
        assert_eq!(
            available,
            (32..40).rev().map(|i| format!("1.{i}")).collect::<Vec<_>>()
        );
    }

    /// What a hostile page can make the chooser hold is bounded: a long string, too many
    /// files, a release of too many files and a long URL are refused, naming the limit.
    #[test]
    fn hostile_pages_are_refused_before_they_are_held() {
        let long = format!(
            r#"{{"files": [{{"filename": "demo-1.0-cp39-abi3-win_amd64.whl", "url": "x", "junk": "{}"}}]}}"#,
            "a".repeat(MAX_STRING + 1)
        );
        assert!(matches!(
            pick(long.as_bytes(), "pypi:demo", false),
            Err(Choice::OverLimit { limit, .. }) if limit == MAX_STRING as u64
        ));
        // Escaped quotes do not end a string early.
        let escaped = format!(
            r#"{{"files": [], "junk": "{}"}}"#,
            "\\\"".repeat(MAX_STRING / 2 + 1)
        );
        assert!(matches!(
            pick(escaped.as_bytes(), "pypi:demo", false),
            Err(Choice::OverLimit { .. })
        ));
        let names: Vec<String> = (0..1100)
            .map(|i| format!("demo-1.0-cp39-abi3-manylinux_2_{i}_x86_64.whl"))
            .collect();
        let files: Vec<(&str, serde_json::Value)> =
            names.iter().map(|n| (n.as_str(), NO)).collect();
        let body = page(&files);
        assert!(matches!(
            pick(&body, "pypi:demo", false),
            Err(Choice::OverLimit { limit: 1000, .. })
        ));
        let spec = Spec::parse("pypi:demo").unwrap().unwrap();
        let mut open = || Ok::<_, std::io::Error>(std::io::Cursor::new(&body[..]));
        assert!(matches!(
            choose(&mut open, "https://e.org/simple/demo/", &spec, false, 2000),
            Err(Choice::OverLimit { limit, .. }) if limit == MAX_RELEASE_WHEELS as u64
        ));
        let url = format!(
            r#"{{"files": [{{"filename": "demo-1.0-cp39-abi3-win_amd64.whl", "url": "https://e.org/{}"}}]}}"#,
            "a".repeat(MAX_URL)
        );
        assert!(matches!(
            pick(url.as_bytes(), "pypi:demo", false),
            Err(Choice::OverLimit { limit, .. }) if limit == MAX_URL as u64
        ));
        assert!(matches!(
            pick(b"[1, 2]", "pypi:demo", false),
            Err(Choice::NotJson(_))
        ));
        assert!(matches!(
            pick(br#"{"meta": {}}"#, "pypi:demo", false),
            Err(Choice::NotJson(_))
        ));
        // Odd `yanked` and `hashes` values are read as not yanked / no sha256.
        let odd =
            br#"{"files": [{"filename": "demo-1.0-cp39-abi3-win_amd64.whl", "url": "/f/x.whl",
            "yanked": [[1, {"a": null}]], "hashes": {"md5": "1"}}]}"#;
        let release = pick(odd, "pypi:demo", false).unwrap();
        assert_eq!(release.wheels.len(), 1);
        assert_eq!(release.wheels[0].sha256, None);
        assert_eq!(release.yanked, None);
    }

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
