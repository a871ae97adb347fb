//! Checks across the wheels of one release audited together.
//!
//! `Requires-Python` is shared by every wheel of a release. cryptography ships `cp39-abi3` and
//! `cp311-abi3` wheels for each platform with `Requires-Python: >=3.9`: the cp311 wheel alone
//! "admits 3.9", but installers on 3.9–3.10 pick the cp39 wheel. When a sibling with a lower
//! floor for the same platforms is audited in the same run and itself satisfies
//! `Requires-Python`, the higher wheel's warning is only a note.

use cargo_abi3_build_hook::{Code, Severity};

use std::collections::HashMap;

use crate::inputs::Input;
use crate::report::{InputKind, InputReport};
use crate::wheel::WheelName;

/// The release a wheel file name belongs to: its normalised project name and its version.
fn release_of(file_name: &str) -> Option<(String, String)> {
    let name = WheelName::parse(file_name).ok()?;
    Some((normalize(&name.distribution), name.version))
}

fn normalize(distribution: &str) -> String {
    distribution.to_ascii_lowercase().replace(['-', '.'], "_")
}

/// Groups inputs for a streamed audit: the wheels of one release (local or from an index)
/// together, each other input (a loose binary, a path that yielded nothing, a file not named
/// like a wheel) alone. Groups come in the order of their first input, and a group's inputs
/// in their order: a run whose releases are each given together (a directory walk or a glob
/// lists them side by side) keeps its order. A release of more than `max` wheels is split
/// into groups of at most `max`, its wheels sorted (stably) by platform tags first, so that
/// the wheels the cross-check relates stay together.
///
/// Returns the inputs in group order and the length of each group. Besides the list itself,
/// it holds a 4-byte group number per input and a 12-byte hash entry per release while it
/// runs (releases are told apart by a 64-bit hash of project and version: two releases
/// whose hashes collide would share a group, which changes only the order, as the
/// cross-check compares the names).
pub fn group_inputs(inputs: Vec<Input>, max: usize) -> (Vec<Input>, Vec<usize>) {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    let max = max.max(1);
    let hasher = BuildHasherDefault::<DefaultHasher>::default();
    let mut releases: HashMap<u64, u32> = HashMap::new();
    let mut next: u32 = 0;
    let mut ids: Vec<u32> = Vec::with_capacity(inputs.len());
    for input in &inputs {
        let key = match input {
            Input::Wheel(path) => path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(release_of),
            Input::Remote(wheel) => release_of(file_name(&wheel.display.to_string_lossy())),
            Input::Binary(_) | Input::Problem { .. } => None,
        };
        let id = match key {
            Some(key) => *releases.entry(hasher.hash_one(&key)).or_insert_with(|| {
                next += 1;
                next - 1
            }),
            None => {
                next += 1;
                next - 1
            }
        };
        ids.push(id);
    }
    drop(releases);
    // Group numbers are given in order of first appearance: when they already rise, the
    // inputs are in group order (a walk, releases given together, loose files).
    let mut inputs = if ids.windows(2).all(|w| w[0] <= w[1]) {
        inputs
    } else {
        let mut paired: Vec<(u32, Input)> = ids.iter().copied().zip(inputs).collect();
        paired.sort_by_key(|(id, _)| *id);
        ids = paired.iter().map(|(id, _)| *id).collect();
        paired.into_iter().map(|(_, input)| input).collect()
    };
    let mut lens = Vec::new();
    let mut start = 0;
    while start < ids.len() {
        let id = ids.get(start).copied().unwrap_or_default();
        let len = ids
            .get(start..)
            .map_or(0, |rest| rest.iter().take_while(|&&i| i == id).count())
            .max(1);
        if len > max {
            if let Some(run) = inputs.get_mut(start..start + len) {
                run.sort_by_cached_key(|input| platforms_of(input.path()));
            }
            let mut left = len;
            while left > 0 {
                lens.push(left.min(max));
                left -= left.min(max);
            }
        } else {
            lens.push(len);
        }
        start += len;
    }
    (inputs, lens)
}

/// A wheel's platform tags, sorted and joined (empty for a name that is not a wheel's).
fn platforms_of(path: &std::path::Path) -> String {
    let name = path.to_string_lossy();
    WheelName::parse(file_name(&name))
        .map(|n| {
            let mut platforms = n.platform_tags.clone();
            platforms.sort();
            platforms.join(".")
        })
        .unwrap_or_default()
}

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
    platforms: Vec<crate::wheel::name::Tag>,
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
            distribution: normalize(&name.distribution),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn wheel(name: &str) -> Input {
        Input::Wheel(PathBuf::from(format!("dist/{name}")))
    }

    fn names(inputs: &[Input]) -> Vec<String> {
        inputs
            .iter()
            .map(|i| file_name(&i.path().to_string_lossy()).to_owned())
            .collect()
    }

    /// A release's wheels form one group at the place of its first wheel; everything else is
    /// alone; an order whose releases are given together is kept.
    #[test]
    fn releases_are_grouped_in_first_appearance_order() {
        let inputs = vec![
            wheel("a-1.0-cp311-abi3-linux_x86_64.whl"),
            Input::Binary(PathBuf::from("x.abi3.so")),
            wheel("b-2.0-cp39-abi3-linux_x86_64.whl"),
            wheel("A-1.0-cp39-abi3-linux_x86_64.whl"),
            wheel("a-1.1-cp39-abi3-linux_x86_64.whl"),
            wheel("not a wheel.whl"),
        ];
        let (grouped, lens) = group_inputs(inputs, 256);
        assert_eq!(
            names(&grouped),
            [
                "a-1.0-cp311-abi3-linux_x86_64.whl",
                "A-1.0-cp39-abi3-linux_x86_64.whl",
                "x.abi3.so",
                "b-2.0-cp39-abi3-linux_x86_64.whl",
                "a-1.1-cp39-abi3-linux_x86_64.whl",
                "not a wheel.whl",
            ]
        );
        assert_eq!(lens, [2, 1, 1, 1, 1]);

        let walk = vec![
            wheel("a-1.0-cp311-abi3-linux_x86_64.whl"),
            wheel("a-1.0-cp39-abi3-linux_x86_64.whl"),
            wheel("b-1.0-cp39-abi3-linux_x86_64.whl"),
        ];
        let (grouped, lens) = group_inputs(walk.clone(), 256);
        assert_eq!(grouped, walk);
        assert_eq!(lens, [2, 1]);
    }

    /// A release over the cap is split, its wheels of the same platforms kept together.
    #[test]
    fn a_large_release_is_split_by_platform() {
        let mut inputs = Vec::new();
        for i in 0..3 {
            inputs.push(wheel(&format!(
                "a-1.0-{}-cp39-abi3-linux_x86_64.whl",
                i + 1
            )));
            inputs.push(wheel(&format!(
                "a-1.0-{}-cp39-abi3-linux_aarch64.whl",
                i + 1
            )));
        }
        let (grouped, lens) = group_inputs(inputs, 3);
        assert_eq!(lens, [3, 3]);
        let platforms: Vec<String> = grouped.iter().map(|i| platforms_of(i.path())).collect();
        assert_eq!(
            platforms,
            [
                "linux_aarch64",
                "linux_aarch64",
                "linux_aarch64",
                "linux_x86_64",
                "linux_x86_64",
                "linux_x86_64"
            ]
        );
    }
}
