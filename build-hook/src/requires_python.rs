//! `requires-python` / `Requires-Python`: the one evaluator of PEP 440 specifier sets that both
//! `cargo abi3 check` (and the build hook) and `cargo abi3 audit` use.
//!
//! The question both ask is the same: what is the oldest CPython `3.X` an installer would
//! consider this project for? That is the lowest `3.X` for which some final release `3.X.Y`
//! satisfies every clause (`>=2.7,!=3.0.*,!=3.1.*` gives 3.2, `<4` gives 3.0, `>=3.8,<3.8`
//! admits no 3.X at all).
//!
//! Parsing and matching follow PEP 440 as the `packaging` library implements it (the test
//! `tests/it/requires_python_reference.rs` compares the two on thousands of
//! generated specifiers). Only final releases are ever candidates, so the pre-release
//! exclusions of `<` and `>` never apply; pre-, post- and dev-release parts of the
//! *specifiers* are compared exactly. `===` (arbitrary equality) is not evaluated: the result
//! is [`RequiresPythonFloor::Unknown`].

use std::cmp::Ordering;
use std::fmt;

use crate::PyVersion;

/// What a `requires-python` value says about the oldest interpreter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(
    feature = "serde",
    serde(rename_all = "kebab-case", tag = "kind", content = "version")
)]
#[non_exhaustive]
pub enum RequiresPythonFloor {
    /// The lowest `3.X` for which some `3.X.Y` satisfies every clause.
    Version(PyVersion),
    /// No `3.X` (up to 3.255) satisfies it (`>=3.8,<3.8`, `>=4`, `!=3.*`).
    NoPython3,
    /// Not a valid specifier set, or one with `===`: nothing is concluded.
    Unknown,
}

impl RequiresPythonFloor {
    /// The version, if there is one.
    pub fn version(self) -> Option<PyVersion> {
        match self {
            Self::Version(v) => Some(v),
            Self::NoPython3 | Self::Unknown => None,
        }
    }
}

/// Why a specifier set is not valid PEP 440.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecifierError(pub String);

impl fmt::Display for SpecifierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid version specifier `{}`", self.0)
    }
}

impl std::error::Error for SpecifierError {}

/// More clauses than any real `requires-python` has; longer values are not evaluated.
const MAX_CLAUSES: usize = 64;
/// Release segments in one version.
const MAX_RELEASE: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Compatible,
    Eq,
    Ne,
    Le,
    Ge,
    Lt,
    Gt,
    Arbitrary,
}

/// A PEP 440 version: in a specifier here, and a release's version on a package index for
/// `audit pypi:` (one parser and one ordering for both, tested against `packaging`).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Version {
    epoch: u64,
    release: Vec<u64>,
    /// `(0 = a, 1 = b, 2 = rc, n)`.
    pre: Option<(u8, u64)>,
    post: Option<u64>,
    dev: Option<u64>,
    local: bool,
}

impl Version {
    /// A whole version (`1.0`, `v2!1.0rc1.post2.dev3+local`); `None` if it is not PEP 440,
    /// or if a number in its public part does not fit 64 bits (it could not be ordered
    /// right: specifiers saturate such numbers, an index's versions are refused).
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.trim();
        let public = text.split('+').next().unwrap_or_default();
        let overflows = public
            .split(|c: char| !c.is_ascii_digit())
            .any(|run| !run.is_empty() && run.parse::<u64>().is_err());
        if overflows {
            return None;
        }
        parse_version(text, false, true).map(|(v, _)| v)
    }

    /// A pre-release or development release (pip skips them unless asked).
    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }

    /// Whether it has a post-release segment.
    pub fn is_postrelease(&self) -> bool {
        self.post.is_some()
    }

    /// `packaging`'s sort key without the local part (candidates never have one).
    fn cmp_key(&self, other: &Version) -> Ordering {
        fn trimmed(r: &[u64]) -> &[u64] {
            let end = r.iter().rposition(|&p| p != 0).map_or(0, |i| i + 1);
            &r[..end]
        }
        // pre: a dev-only release sorts before every pre-release; no pre sorts after.
        fn pre_key(v: &Version) -> (i8, u8, u64) {
            match v.pre {
                Some((letter, n)) => (0, letter, n),
                None if v.post.is_none() && v.dev.is_some() => (-1, 0, 0),
                None => (1, 0, 0),
            }
        }
        fn post_key(v: &Version) -> (i8, u64) {
            v.post.map_or((-1, 0), |n| (0, n))
        }
        fn dev_key(v: &Version) -> (i8, u64) {
            v.dev.map_or((1, 0), |n| (0, n))
        }
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| trimmed(&self.release).cmp(trimmed(&other.release)))
            .then_with(|| pre_key(self).cmp(&pre_key(other)))
            .then_with(|| post_key(self).cmp(&post_key(other)))
            .then_with(|| dev_key(self).cmp(&dev_key(other)))
    }
}

/// PEP 440 ordering (`1.0 == 1.0.0`); a local version sorts after its public one.
impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.cmp_key(other).then(self.local.cmp(&other.local))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

#[derive(Clone, Debug)]
struct Clause {
    op: Op,
    version: Version,
    wildcard: bool,
}

/// A parsed specifier set.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SpecifierSet {
    clauses: Vec<Clause>,
}

/// A cursor over the lowercased version text.
struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, lit: &str) -> bool {
        if self.s[self.i..].starts_with(lit.as_bytes()) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    fn number(&mut self) -> Option<Option<u64>> {
        let start = self.i;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        if start == self.i {
            return Some(None);
        }
        // Digits only; a value past u64 saturates (no real specifier has one).
        let text = std::str::from_utf8(&self.s[start..self.i]).ok()?;
        Some(Some(text.parse::<u64>().unwrap_or(u64::MAX)))
    }

    fn sep(&mut self) -> bool {
        if matches!(self.peek(), Some(b'-' | b'_' | b'.')) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn done(&self) -> bool {
        self.i == self.s.len()
    }
}

/// Tries `f` and rewinds on `None`.
fn attempt<T>(c: &mut Cursor<'_>, f: impl FnOnce(&mut Cursor<'_>) -> Option<T>) -> Option<T> {
    let at = c.i;
    let r = f(c);
    if r.is_none() {
        c.i = at;
    }
    r
}

/// Parses the version part of a clause; `wildcard` and `local` say whether `.*` and `+local`
/// are allowed (only for `==`/`!=`). Returns the version and whether it ended in `.*`.
fn parse_version(text: &str, allow_wildcard: bool, allow_local: bool) -> Option<(Version, bool)> {
    let lower = text.to_ascii_lowercase();
    let mut c = Cursor {
        s: lower.as_bytes(),
        i: 0,
    };
    c.eat("v");
    let first = c.number()??;
    let (epoch, mut release) = if c.eat("!") {
        (first, vec![c.number()??])
    } else {
        (0, vec![first])
    };
    while let Some(n) = attempt(&mut c, |c| {
        c.eat(".").then_some(())?;
        c.number()?
    }) {
        release.push(n);
        if release.len() > MAX_RELEASE {
            return None;
        }
    }
    let mut version = Version {
        epoch,
        release,
        pre: None,
        post: None,
        dev: None,
        local: false,
    };
    if allow_wildcard && c.eat(".*") {
        return c.done().then_some((version, true));
    }
    version.pre = attempt(&mut c, |c| {
        c.sep();
        let letter = [
            ("alpha", 0),
            ("beta", 1),
            ("preview", 2),
            ("pre", 2),
            ("a", 0),
            ("b", 1),
            ("c", 2),
            ("rc", 2),
        ]
        .into_iter()
        .find(|(lit, _)| c.eat(lit))?
        .1;
        c.sep();
        Some((letter, c.number()?.unwrap_or(0)))
    });
    version.post = attempt(&mut c, |c| {
        if c.eat("-")
            && let Some(Some(n)) = c.number()
        {
            return Some(n);
        }
        None
    })
    .or_else(|| {
        attempt(&mut c, |c| {
            c.sep();
            ["post", "rev", "r"].into_iter().find(|lit| c.eat(lit))?;
            c.sep();
            Some(c.number()?.unwrap_or(0))
        })
    });
    version.dev = attempt(&mut c, |c| {
        c.sep();
        c.eat("dev").then_some(())?;
        c.sep();
        Some(c.number()?.unwrap_or(0))
    });
    if allow_local && c.eat("+") {
        // `[a-z0-9]+([-_.][a-z0-9]+)*`
        let mut segment = 0;
        while let Some(b) = c.peek() {
            if b.is_ascii_alphanumeric() {
                segment += 1;
            } else if matches!(b, b'-' | b'_' | b'.') && segment > 0 {
                segment = 0;
            } else {
                return None;
            }
            c.i += 1;
        }
        if segment == 0 {
            return None;
        }
        version.local = true;
    }
    c.done().then_some((version, false))
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
        .find_map(|(prefix, op)| t.strip_prefix(prefix).map(|rest| (op, rest.trim_start())))?;
        if op == Op::Arbitrary {
            // Any text without whitespace; never evaluated.
            if rest.is_empty() || rest.contains(char::is_whitespace) {
                return None;
            }
            return Some(Clause {
                op,
                version: Version {
                    epoch: 0,
                    release: Vec::new(),
                    pre: None,
                    post: None,
                    dev: None,
                    local: false,
                },
                wildcard: false,
            });
        }
        let equality = matches!(op, Op::Eq | Op::Ne);
        let (version, wildcard) = parse_version(rest, equality, equality)?;
        if op == Op::Compatible && version.release.len() < 2 {
            return None;
        }
        Some(Clause {
            op,
            version,
            wildcard,
        })
    }

    /// Whether the final release `epoch 0, release` satisfies the clause.
    fn admits(&self, release: &[u64]) -> bool {
        let candidate = Version {
            epoch: 0,
            release: release.to_vec(),
            pre: None,
            post: None,
            dev: None,
            local: false,
        };
        let spec = &self.version;
        let prefix_matches = |prefix: &[u64]| {
            spec.epoch == 0
                && prefix
                    .iter()
                    .enumerate()
                    .all(|(i, p)| release.get(i).copied().unwrap_or(0) == *p)
        };
        let cmp = candidate.cmp_key(spec);
        match self.op {
            // Only final candidates: `<` and `>` have no pre/post-release exceptions to apply.
            Op::Lt => cmp == Ordering::Less,
            Op::Gt => cmp == Ordering::Greater,
            Op::Le => cmp != Ordering::Greater,
            Op::Ge => cmp != Ordering::Less,
            Op::Eq if self.wildcard => prefix_matches(&spec.release),
            Op::Ne if self.wildcard => !prefix_matches(&spec.release),
            // A local label in the specifier must match exactly; candidates have none.
            Op::Eq => !spec.local && cmp == Ordering::Equal,
            Op::Ne => spec.local || cmp != Ordering::Equal,
            Op::Compatible => {
                let n = spec.release.len() - 1;
                cmp != Ordering::Less && prefix_matches(&spec.release[..n])
            }
            Op::Arbitrary => false,
        }
    }

    /// The patch numbers of `3.minor` at which this clause can change its answer.
    fn patch_boundaries(&self, minor: u64, out: &mut Vec<u64>) {
        let r = &self.version.release;
        if self.version.epoch == 0 && r.len() >= 3 && r[0] == 3 && r[1] == minor {
            out.extend([r[2], r[2].saturating_add(1)]);
        }
    }
}

impl SpecifierSet {
    /// Parses a comma-separated specifier set (empty items are ignored, as `packaging` does).
    pub fn parse(text: &str) -> Result<Self, SpecifierError> {
        let items: Vec<&str> = text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if items.len() > MAX_CLAUSES {
            return Err(SpecifierError(text.to_owned()));
        }
        let clauses = items
            .into_iter()
            .map(Clause::parse)
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| SpecifierError(text.to_owned()))?;
        Ok(SpecifierSet { clauses })
    }

    /// Whether the final release (epoch 0) `release` satisfies every clause. `None` when a
    /// clause is `===` (arbitrary equality, not evaluated).
    pub fn contains(&self, release: &[u64]) -> Option<bool> {
        if self.clauses.iter().any(|c| c.op == Op::Arbitrary) {
            return None;
        }
        Some(self.clauses.iter().all(|c| c.admits(release)))
    }

    /// The lowest `3.X` (X ≤ 255) for which some final `3.X.Y` satisfies every clause.
    pub fn lowest_python3(&self) -> RequiresPythonFloor {
        if self.clauses.iter().any(|c| c.op == Op::Arbitrary) {
            return RequiresPythonFloor::Unknown;
        }
        for minor in 0..=u64::from(u8::MAX) {
            // Each clause's answer over 3.minor.Y changes only at the patch numbers it names
            // (or one past them), so the lowest admitted patch is 0 or one of those.
            let mut patches = vec![0, 1];
            for c in &self.clauses {
                c.patch_boundaries(minor, &mut patches);
            }
            if patches
                .iter()
                .any(|&p| self.clauses.iter().all(|c| c.admits(&[3, minor, p])))
            {
                return RequiresPythonFloor::Version(PyVersion::new(3, minor as u8));
            }
        }
        RequiresPythonFloor::NoPython3
    }

    /// Whether every clause is an upper bound or an exclusion (`<4`, `!=3.5.*`): nothing
    /// bounds the set from below.
    #[cfg(test)]
    pub(crate) fn has_lower_bound(&self) -> bool {
        self.clauses.iter().any(|c| {
            matches!(
                c.op,
                Op::Ge | Op::Gt | Op::Eq | Op::Compatible | Op::Arbitrary
            )
        })
    }
}

/// The lowest CPython `3.X` that the specifier set `spec` admits; see the module docs.
pub fn lowest_admitted_version(spec: &str) -> RequiresPythonFloor {
    match SpecifierSet::parse(spec) {
        Ok(set) => set.lowest_python3(),
        Err(_) => RequiresPythonFloor::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn floor(s: &str) -> RequiresPythonFloor {
        lowest_admitted_version(s)
    }

    fn v(minor: u8) -> RequiresPythonFloor {
        RequiresPythonFloor::Version(PyVersion::new(3, minor))
    }

    #[test]
    fn the_cases_check_and_audit_used_to_disagree_on() {
        assert_eq!(floor(">=3.8,!=3.8.*"), v(9));
        assert_eq!(floor(">=2.7,!=3.0.*,!=3.1.*"), v(2));
        assert_eq!(floor(">=3"), v(0));
        assert_eq!(floor(">=3.8,<3.8"), RequiresPythonFloor::NoPython3);
        assert_eq!(floor("<4"), v(0));
    }

    #[test]
    fn floors() {
        assert_eq!(floor(">=3.9"), v(9));
        assert_eq!(floor(">3.8"), v(8));
        assert_eq!(floor(">=3.7,>=3.10"), v(10));
        assert_eq!(floor("~=3.11"), v(11));
        assert_eq!(floor("~=3.9.2"), v(9));
        assert_eq!(floor("==3.12.*"), v(12));
        assert_eq!(floor(" >= 3.8 , < 4.0 "), v(8));
        assert_eq!(floor(">=3.10.0rc1"), v(10));
        assert_eq!(floor(">3.8.5.post1,<3.8.6"), RequiresPythonFloor::NoPython3);
        assert_eq!(floor(">=3.8.0-1"), v(8));
        assert_eq!(floor("!=3.8.0,!=3.8.1,>=3.8,<3.9"), v(8));
        assert_eq!(floor("==3.8.5+local"), RequiresPythonFloor::NoPython3);
        assert_eq!(floor(">=1!3.8"), RequiresPythonFloor::NoPython3);
        assert_eq!(floor(">=4"), RequiresPythonFloor::NoPython3);
        assert_eq!(floor(""), v(0));
    }

    #[test]
    fn invalid_or_arbitrary() {
        for s in [
            "3.9",
            ">=",
            ">=x",
            "~=3",
            "1!>=3",
            "≥3.8",
            ">3.7.*",
            ">=3.8+l",
            "==3.8.*+l",
        ] {
            assert_eq!(floor(s), RequiresPythonFloor::Unknown, "{s}");
        }
        assert_eq!(floor("===3.9"), RequiresPythonFloor::Unknown);
        assert_eq!(
            floor(&">=3.8,".repeat(10_000)),
            RequiresPythonFloor::Unknown
        );
    }

    #[test]
    fn lower_bounds() {
        assert!(
            !SpecifierSet::parse("<4, !=3.9.1")
                .unwrap()
                .has_lower_bound()
        );
        assert!(SpecifierSet::parse(">=3.9").unwrap().has_lower_bound());
    }
}
