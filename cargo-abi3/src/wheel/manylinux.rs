//! auditwheel's manylinux/musllinux policies (vendored JSON, parsed once) and which one a
//! wheel's platform tags promise.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::wheel::{PlatformFamily, PlatformTag, WheelName};

const MANYLINUX: &str = include_str!("../../data/policy/manylinux-policy.json");
const MUSLLINUX: &str = include_str!("../../data/policy/musllinux-policy.json");

/// One policy of auditwheel's JSON.
#[derive(Debug, Deserialize)]
pub struct Policy {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// arch → version prefix (`GLIBC`) → the versions allowed.
    #[serde(default)]
    pub symbol_versions: HashMap<String, HashMap<String, Vec<String>>>,
    #[serde(default)]
    pub lib_whitelist: Vec<String>,
    /// library → symbols that must not be used from it.
    #[serde(default)]
    pub blacklist: BTreeMap<String, Vec<String>>,
}

impl Policy {
    /// `(major, minor)` of `manylinux_X_Y` / `musllinux_X_Y`.
    fn version(&self) -> Option<(u16, u16)> {
        let rest = self
            .name
            .strip_prefix("manylinux_")
            .or_else(|| self.name.strip_prefix("musllinux_"))?;
        let (major, minor) = rest.split_once('_')?;
        Some((major.parse().ok()?, minor.parse().ok()?))
    }

    /// `manylinux_2_17 (manylinux2014)`.
    pub fn title(&self) -> String {
        if self.aliases.is_empty() {
            self.name.clone()
        } else {
            format!("{} ({})", self.name, self.aliases.join(", "))
        }
    }

    /// The allowed versions of `prefix` for `arch`; `None` when the policy does not
    /// restrict that prefix there.
    pub fn allowed_versions(&self, arch: &str, prefix: &str) -> Option<&[String]> {
        self.symbol_versions
            .get(arch)?
            .get(prefix)
            .map(Vec::as_slice)
    }
}

fn parse(json: &'static str) -> Vec<Policy> {
    // The JSON is vendored and checked by the tests below; an unparsable file is a build bug.
    serde_json::from_str(json).unwrap_or_default()
}

pub fn manylinux() -> &'static [Policy] {
    static CELL: OnceLock<Vec<Policy>> = OnceLock::new();
    CELL.get_or_init(|| parse(MANYLINUX))
}

pub fn musllinux() -> &'static [Policy] {
    static CELL: OnceLock<Vec<Policy>> = OnceLock::new();
    CELL.get_or_init(|| parse(MUSLLINUX))
}

/// The policy a wheel is held to, and the tag that promises it.
pub struct Promise {
    pub tag: String,
    /// The glibc (manylinux) or musl (musllinux) version the tag names.
    pub version: (u16, u16),
    pub family: PlatformFamily,
    pub policy: &'static Policy,
    /// The tag names a version without its own policy; the nearest older one is used.
    pub approximated: bool,
}

/// The strictest policy per family (manylinux, musllinux) among the wheel's platform tags:
/// compressed tags (`manylinux2014_x86_64.manylinux_2_17_x86_64`) must all hold, so the
/// oldest glibc/musl decides. `linux_*` and other tags have no policy.
pub fn promises(name: &WheelName) -> Vec<Promise> {
    let mut out = Vec::new();
    for (family, policies) in [
        (PlatformFamily::Manylinux, manylinux()),
        (PlatformFamily::Musllinux, musllinux()),
    ] {
        let lowest = name
            .platforms()
            .filter(|t| t.family() == family)
            .filter_map(|t| version_of(t).map(|v| (v, t)))
            .min_by_key(|(v, _)| *v);
        let Some((version, tag)) = lowest else {
            continue;
        };
        let best = policies
            .iter()
            .filter_map(|p| p.version().map(|v| (v, p)))
            .filter(|(v, _)| *v <= version)
            .max_by_key(|(v, _)| *v);
        if let Some((v, policy)) = best {
            out.push(Promise {
                tag: tag.as_str().to_owned(),
                version,
                family,
                policy,
                approximated: v != version,
            });
        }
    }
    out
}

fn version_of(tag: PlatformTag<'_>) -> Option<(u16, u16)> {
    tag.manylinux_glibc().or_else(|| tag.musllinux_version())
}

/// `GLIBC_2.17` → (`GLIBC`, `2.17`), split like auditwheel: at the first `_`.
pub fn split_version(version: &str) -> Option<(&str, &str)> {
    version.split_once('_')
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn vendored_policies_parse() {
        assert!(manylinux().len() > 10);
        assert_eq!(musllinux().len(), 3);
        let p = manylinux()
            .iter()
            .find(|p| p.name == "manylinux_2_17")
            .expect("manylinux_2_17");
        assert_eq!(p.aliases, ["manylinux2014"]);
        assert!(p.lib_whitelist.iter().any(|l| l == "libc.so.6"));
        assert!(
            p.allowed_versions("x86_64", "GLIBC")
                .expect("x86_64 GLIBC")
                .iter()
                .any(|v| v == "2.17")
        );
    }

    #[test]
    fn strictest_tag_wins() {
        let n = WheelName::parse(
            "p-1-cp38-abi3-manylinux_2_28_x86_64.manylinux2014_x86_64.musllinux_1_2_x86_64.whl",
        )
        .expect("name");
        let p = promises(&n);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].policy.name, "manylinux_2_17");
        assert_eq!(p[0].tag, "manylinux2014_x86_64");
        assert!(!p[0].approximated);
        assert_eq!(p[1].policy.name, "musllinux_1_2");
        let n = WheelName::parse("p-1-cp38-abi3-manylinux_2_30_x86_64.whl").expect("name");
        let p = promises(&n);
        assert_eq!(p[0].policy.name, "manylinux_2_28");
        assert!(p[0].approximated);
        let n = WheelName::parse("p-1-cp38-abi3-linux_x86_64.whl").expect("name");
        assert!(promises(&n).is_empty());
    }
}
