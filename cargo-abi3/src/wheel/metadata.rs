//! `*.dist-info/WHEEL` and `*.dist-info/METADATA`: email-header style files, read tolerantly
//! (unknown or malformed lines are skipped), and `Requires-Python` floors.

use crate::PyVersion;

/// Headers read from one file at most; the rest is ignored.
const MAX_HEADERS: usize = 10_000;

/// The `WHEEL` file.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct WheelFile {
    pub wheel_version: Option<String>,
    pub generator: Option<String>,
    /// `Root-Is-Purelib`; `None` when missing or neither `true` nor `false`.
    pub root_is_purelib: Option<bool>,
    /// Every `Tag:` line (expanded tags, e.g. `cp38-abi3-manylinux_2_17_x86_64`).
    pub tags: Vec<String>,
    pub build: Option<String>,
}

impl WheelFile {
    pub fn parse(text: &str) -> WheelFile {
        let mut w = WheelFile::default();
        for (key, value) in headers(text) {
            match key.to_ascii_lowercase().as_str() {
                "wheel-version" => w.wheel_version = Some(value),
                "generator" => w.generator = Some(value),
                "root-is-purelib" => {
                    w.root_is_purelib = match value.to_ascii_lowercase().as_str() {
                        "true" => Some(true),
                        "false" => Some(false),
                        _ => None,
                    }
                }
                "tag" => w.tags.push(value),
                "build" => w.build = Some(value),
                _ => {}
            }
        }
        w
    }
}

/// The few core-metadata fields cargo-abi3 uses.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct CoreMetadata {
    pub metadata_version: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
    pub requires_python: Option<String>,
}

impl CoreMetadata {
    pub fn parse(text: &str) -> CoreMetadata {
        let mut m = CoreMetadata::default();
        for (key, value) in headers(text) {
            let slot = match key.to_ascii_lowercase().as_str() {
                "metadata-version" => &mut m.metadata_version,
                "name" => &mut m.name,
                "version" => &mut m.version,
                "requires-python" => &mut m.requires_python,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value);
            }
        }
        m
    }

    /// [`requires_python_floor`] of `Requires-Python`.
    pub fn requires_python_floor(&self) -> Option<PyVersion> {
        self.requires_python
            .as_deref()
            .and_then(requires_python_floor)
    }
}

/// What the reader found in the wheel's `.dist-info`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct WheelMetadata {
    /// The `.dist-info` directory used, e.g. `pkg-1.0.dist-info`.
    pub dist_info: Option<String>,
    pub wheel: Option<WheelFile>,
    pub core: Option<CoreMetadata>,
}

impl WheelMetadata {
    pub fn root_is_purelib(&self) -> bool {
        self.wheel
            .as_ref()
            .and_then(|w| w.root_is_purelib)
            .unwrap_or(false)
    }
}

/// Email-style headers up to the first blank line; continuation lines (leading whitespace)
/// are joined with a space. Lines without `:` are skipped.
fn headers(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = out.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if out.len() >= MAX_HEADERS {
            break;
        }
        if let Some((key, value)) = line.split_once(':') {
            out.push((key.trim().to_owned(), value.trim().to_owned()));
        }
    }
    out
}

/// The lowest CPython 3.X that a `Requires-Python` specifier admits: `>=3.8,<4` → 3.8,
/// `>3.7` → 3.7 (3.7.1 is admitted), `>=2.7,!=3.0.*,!=3.1.*` → 3.2, `<4` → 3.0. `None` when no
/// 3.X is admitted or the value is not a valid specifier set. The evaluator is the build
/// hook's, so `audit` and `check` read `requires-python` the same way.
pub fn requires_python_floor(spec: &str) -> Option<PyVersion> {
    cargo_abi3_build_hook::requires_python::lowest_admitted_version(spec).version()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn floor(s: &str) -> Option<String> {
        requires_python_floor(s).map(|v| v.to_string())
    }

    #[test]
    fn floors() {
        assert_eq!(floor(">=3.8").as_deref(), Some("3.8"));
        assert_eq!(floor(">=3.8,<4").as_deref(), Some("3.8"));
        assert_eq!(floor(" >= 3.8 , < 4.0 ").as_deref(), Some("3.8"));
        assert_eq!(floor("~=3.9").as_deref(), Some("3.9"));
        assert_eq!(floor("~=3.9.2").as_deref(), Some("3.9"));
        assert_eq!(floor(">3.7").as_deref(), Some("3.7"));
        assert_eq!(floor(">3.7.*"), None);
        assert_eq!(floor(">=3.10.0rc1").as_deref(), Some("3.10"));
        assert_eq!(floor("==3.11.*").as_deref(), Some("3.11"));
        assert_eq!(floor(">=2.7,!=3.0.*,!=3.1.*").as_deref(), Some("3.2"));
        assert_eq!(floor(">=3.7.5,<3.7.2"), None);
        assert_eq!(floor(">=3.12,<3.12"), None);
        assert_eq!(floor(">=3"), Some("3.0".into()));
        assert_eq!(floor(">=4"), None);
        assert_eq!(floor(">=3.8,!=3.8.*").as_deref(), Some("3.9"));
        assert_eq!(floor(">=3.8,<3.8"), None);
        assert_eq!(floor("<4").as_deref(), Some("3.0"));
    }

    #[test]
    fn unbounded_or_junk() {
        for s in ["3.8", ">=", ">=x", "~=3", "1!>=3", "≥3.8"] {
            assert_eq!(requires_python_floor(s), None, "{s}");
        }
        let long = ">=3.8,".repeat(10_000);
        assert_eq!(requires_python_floor(&long), None);
    }

    #[test]
    fn wheel_and_metadata_files() {
        let w = WheelFile::parse(
            "Wheel-Version: 1.0\r\nGenerator: maturin (1.7.0)\r\nRoot-Is-Purelib: False\r\n\
             Tag: cp38-abi3-manylinux_2_17_x86_64\r\nTag: cp38-abi3-manylinux2014_x86_64\r\n",
        );
        assert_eq!(w.wheel_version.as_deref(), Some("1.0"));
        assert_eq!(w.root_is_purelib, Some(false));
        assert_eq!(w.tags.len(), 2);
        let m = CoreMetadata::parse(
            "Metadata-Version: 2.3\nName: pkg\nVersion: 1.0\nSummary: a\n  continued\n\
             Requires-Python: >=3.8\nnonsense line\n\nRequires-Python: >=3.12\n",
        );
        assert_eq!(m.name.as_deref(), Some("pkg"));
        assert_eq!(m.requires_python.as_deref(), Some(">=3.8"));
        assert_eq!(m.requires_python_floor(), Some(PyVersion::new(3, 8)));
        assert_eq!(CoreMetadata::parse(""), CoreMetadata::default());
        assert_eq!(WheelFile::parse("\u{0}:::\n \n").root_is_purelib, None);
    }
}
