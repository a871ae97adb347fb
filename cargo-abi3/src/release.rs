//! Checks across the wheels of one release audited together.
//!
//! `Requires-Python` is shared by every wheel of a release. cryptography ships `cp39-abi3` and
//! `cp311-abi3` wheels for each platform with `Requires-Python: >=3.9`: the cp311 wheel alone
//! "admits 3.9", but installers on 3.9–3.10 pick the cp39 wheel. When a sibling with a lower
//! floor for the same platforms is audited in the same run and itself satisfies
//! `Requires-Python`, the higher wheel's warning is only a note.

use cargo_abi3_build_hook::{Code, Severity};

use crate::report::{InputKind, InputReport};
use crate::wheel::WheelName;

/// Demotes `requires-python-below-floor` on wheels whose release covers the lower versions
/// with another audited wheel.
pub fn cross_check(reports: &mut [InputReport]) {
    let keys: Vec<Option<ReleaseKey>> = reports.iter().map(ReleaseKey::of).collect();
    let covered: Vec<Option<String>> = reports
        .iter()
        .zip(&keys)
        .map(|(report, key)| {
            let key = key.as_ref()?;
            if !has_requires_python_warning(report) {
                return None;
            }
            reports
                .iter()
                .zip(&keys)
                .find(|(sibling, sibling_key)| {
                    sibling_key
                        .as_ref()
                        .is_some_and(|k| k.same_release_and_platforms(key))
                        && sibling.claimed_floor < report.claimed_floor
                        && !has_requires_python_warning(sibling)
                })
                .map(|(sibling, _)| file_name(&sibling.path).to_owned())
        })
        .collect();
    for (report, sibling) in reports.iter_mut().zip(covered) {
        let Some(sibling) = sibling else { continue };
        for finding in &mut report.findings {
            if finding.code == Code::RequiresPythonBelowFloor && finding.severity > Severity::Info {
                finding.severity = Severity::Info;
                finding.notes.push(format!(
                    "covered: `{sibling}` of the same release serves the older versions"
                ));
            }
        }
    }
}

fn has_requires_python_warning(report: &InputReport) -> bool {
    report
        .findings
        .iter()
        .any(|f| f.code == Code::RequiresPythonBelowFloor && f.severity > Severity::Info)
}

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// Distribution, version and platform tags of a wheel input.
struct ReleaseKey {
    distribution: String,
    version: String,
    platforms: Vec<String>,
}

impl ReleaseKey {
    fn of(report: &InputReport) -> Option<Self> {
        if report.kind != InputKind::Wheel {
            return None;
        }
        let name = WheelName::parse(file_name(&report.path)).ok()?;
        let mut platforms = name.platform_tags.clone();
        platforms.sort();
        Some(ReleaseKey {
            distribution: name
                .distribution
                .to_ascii_lowercase()
                .replace(['-', '.'], "_"),
            version: name.version,
            platforms,
        })
    }

    fn same_release_and_platforms(&self, other: &ReleaseKey) -> bool {
        self.distribution == other.distribution
            && self.version == other.version
            && self.platforms == other.platforms
    }
}
