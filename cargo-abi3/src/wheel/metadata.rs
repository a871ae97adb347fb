//! `*.dist-info/WHEEL` and `*.dist-info/METADATA`: email-header style files, read tolerantly
//! (unknown or malformed lines are skipped), and `Requires-Python` floors.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::PyVersion;

/// Headers read from one file at most; the rest is ignored.
const MAX_HEADERS: usize = 10_000;
/// Specifier clauses looked at in one `Requires-Python`.
const MAX_CLAUSES: usize = 64;

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

/// The lowest CPython 3.X that a `Requires-Python` specifier admits (some 3.X.Y satisfies
/// every clause): `>=3.8` → 3.8, `>=3.8,<4` → 3.8, `~=3.9` → 3.9, `>3.7` → 3.7 (3.7.1 is
/// admitted), `>=2.7,!=3.0.*,!=3.1.*` → 3.2. `None` when no clause sets a lower bound
/// (unbounded: `<4`, `!=3.5.*`, empty), when a clause cannot be parsed, or when no 3.X is
/// admitted. Pre-/post-release parts of versions are ignored.
pub fn requires_python_floor(spec: &str) -> Option<PyVersion> {
    let clauses: Vec<Clause> = spec
        .split(',')
        .filter(|c| !c.trim().is_empty())
        .take(MAX_CLAUSES + 1)
        .map(Clause::parse)
        .collect::<Option<_>>()?;
    if clauses.len() > MAX_CLAUSES || !clauses.iter().any(Clause::is_lower_bound) {
        return None;
    }
    // Candidate patch levels: 0, 1 (`>3.7` admits 3.7.1) and every patch number mentioned,
    // and the one after it.
    let mut patches = vec![0u64, 1];
    for c in &clauses {
        if let Some(&p) = c.release.get(2) {
            patches.extend([p, p.saturating_add(1)]);
        }
    }
    (0..=u8::MAX).find_map(|minor| {
        let admitted = patches.iter().any(|&patch| {
            let v = [3, u64::from(minor), patch];
            clauses.iter().all(|c| c.admits(&v))
        });
        admitted.then_some(PyVersion::new(3, minor))
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Ge,
    Gt,
    Le,
    Lt,
    Eq,
    Ne,
    Compatible,
    Arbitrary,
}

#[derive(Debug)]
struct Clause {
    op: Op,
    release: Vec<u64>,
    wildcard: bool,
}

impl Clause {
    fn parse(text: &str) -> Option<Clause> {
        let t = text.trim();
        let (op, rest) = [
            ("===", Op::Arbitrary),
            ("~=", Op::Compatible),
            ("==", Op::Eq),
            ("!=", Op::Ne),
            (">=", Op::Ge),
            ("<=", Op::Le),
            (">", Op::Gt),
            ("<", Op::Lt),
        ]
        .into_iter()
        .find_map(|(prefix, op)| t.strip_prefix(prefix).map(|rest| (op, rest.trim())))?;
        let (version, wildcard) = match rest.strip_suffix(".*") {
            Some(v) => (v, true),
            None => (rest, false),
        };
        if wildcard && !matches!(op, Op::Eq | Op::Ne) {
            return None;
        }
        let version = version.strip_prefix('v').unwrap_or(version);
        let mut release = Vec::new();
        for part in version.split('.') {
            // `3.8.0rc1`, `3.8.post1`: keep the leading digits, stop at the first non-number.
            let end = part
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(part.len());
            let digits = part.get(..end)?;
            if digits.is_empty() {
                if release.is_empty() {
                    return None;
                }
                break;
            }
            release.push(digits.parse::<u64>().ok()?);
            if end < part.len() {
                break;
            }
            if release.len() > 8 {
                return None;
            }
        }
        if op == Op::Compatible && release.len() < 2 {
            return None;
        }
        Some(Clause {
            op,
            release,
            wildcard,
        })
    }

    fn is_lower_bound(&self) -> bool {
        matches!(
            self.op,
            Op::Ge | Op::Gt | Op::Eq | Op::Compatible | Op::Arbitrary
        )
    }

    fn admits(&self, v: &[u64; 3]) -> bool {
        use std::cmp::Ordering::*;
        let cmp = compare(v, &self.release);
        let prefix_eq = || {
            self.release
                .iter()
                .enumerate()
                .all(|(i, part)| v.get(i).copied().unwrap_or(0) == *part)
        };
        match self.op {
            Op::Ge => cmp != Less,
            Op::Gt => cmp == Greater,
            Op::Le => cmp != Greater,
            Op::Lt => cmp == Less,
            Op::Eq | Op::Arbitrary if self.wildcard => prefix_eq(),
            Op::Eq | Op::Arbitrary => cmp == Equal,
            Op::Ne if self.wildcard => !prefix_eq(),
            Op::Ne => cmp != Equal,
            Op::Compatible => {
                let n = self.release.len().saturating_sub(1);
                cmp != Less
                    && self
                        .release
                        .iter()
                        .take(n)
                        .enumerate()
                        .all(|(i, part)| v.get(i).copied().unwrap_or(0) == *part)
            }
        }
    }
}

/// Compares release tuples, padding the shorter with zeros.
fn compare(a: &[u64], b: &[u64]) -> std::cmp::Ordering {
    let len = a.len().max(b.len());
    (0..len)
        .map(|i| {
            let x = a.get(i).copied().unwrap_or(0);
            let y = b.get(i).copied().unwrap_or(0);
            x.cmp(&y)
        })
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
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
    }

    #[test]
    fn unbounded_or_junk() {
        for s in [
            "", "<4", "!=3.5.*", "3.8", ">=", ">=x", "~=3", "1!>=3", "≥3.8",
        ] {
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
