//! `cargo abi3 audit`: wheels and loose binaries through the readers and the rules.

use std::path::Path;

use cargo_abi3_build_hook::declaration::Declaration;
use cargo_abi3_build_hook::{AbiKind, Code, PyVersion, Severity};
use rayon::prelude::*;

use crate::finding::Finding;
use crate::inputs::{self, Input};
use crate::load::{self, Loaded};
use crate::report::{BinaryReport, InputKind, InputReport, Report, Tags};
use crate::rules::{self, BinarySubject, Claim, ClaimSource, ExportAllow, WheelSubject};
use crate::wheel::{ExtensionFileName, Limits, SuffixKind, WheelName};

/// A severity override from the command line (`--deny`, `--warn`, `--allow`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Override {
    Deny(Code),
    Warn(Code),
    Allow(Code),
}

/// Options of one audit run.
#[derive(Clone, Debug, Default)]
pub struct AuditOptions {
    /// The floor to hold loose binaries to.
    pub assume_minimum: Option<PyVersion>,
    pub limits: Limits,
    pub overrides: Vec<Override>,
    /// `--allow-export`: exports `extra-exports` does not report.
    pub allowed_exports: Vec<ExportAllow>,
}

/// Audits every path (files, directories, globs). Never fails: what cannot be analysed
/// becomes an input-family finding for that input, and the others are still audited.
pub fn audit<P: AsRef<std::ffi::OsStr>>(paths: &[P], options: &AuditOptions) -> Report {
    audit_with_progress(paths, options, &|_, _| {})
}

/// [`audit`], calling `progress(done, total)` from worker threads as each input finishes
/// (the CLI draws a progress bar with it).
pub fn audit_with_progress<P: AsRef<std::ffi::OsStr>>(
    paths: &[P],
    options: &AuditOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Report {
    let inputs = inputs::expand(paths);
    let done = std::sync::atomic::AtomicUsize::new(0);
    let mut reports: Vec<InputReport> = inputs
        .par_iter()
        .map(|input| {
            let report = audit_input(input, options);
            let finished = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(finished, inputs.len());
            report
        })
        .collect();
    crate::release::cross_check(&mut reports);
    for report in &mut reports {
        apply_overrides(report, &options.overrides);
    }
    Report { inputs: reports }
}

fn audit_input(input: &Input, options: &AuditOptions) -> InputReport {
    match input {
        Input::Wheel(path) => audit_wheel(path, options),
        Input::Binary(path) => audit_loose_binary(path, options),
        Input::Problem { path, finding } => inputs::problem_report(path, finding),
    }
}

fn display_name(path: &Path) -> String {
    path.display().to_string()
}

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// A loose binary is held to `--assume-minimum`, else to the declaration the build hook
/// embedded in it, else only its computed floor is reported.
fn loose_claim(file_name: &str, declared: Option<&Declaration>, options: &AuditOptions) -> Claim {
    let kind = match ExtensionFileName::parse(file_name).suffix {
        SuffixKind::VersionSpecific { .. } | SuffixKind::VersionSpecificPyd { .. } => {
            Some(AbiKind::VersionSpecific)
        }
        SuffixKind::Abi3t => Some(AbiKind::Abi3t),
        _ => None,
    };
    match options.assume_minimum {
        Some(floor) => Claim {
            kind,
            floor: Some(floor),
            source: ClaimSource::AssumeMinimum,
        },
        None => match declared {
            Some(declared) => Claim {
                kind: Some(declared.kind),
                floor: declared.floor,
                source: ClaimSource::Declaration,
            },
            None => Claim {
                kind,
                ..Claim::unclaimed()
            },
        },
    }
}

fn audit_loose_binary(path: &Path, options: &AuditOptions) -> InputReport {
    let mut report = InputReport::new(display_name(path), InputKind::Binary);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Loaded {
        binaries, declared, ..
    } = match load::load_file(path, &options.limits) {
        Ok(loaded) => loaded,
        Err(finding) => {
            // What the file claims is unknown, but `--assume-minimum` still says the floor.
            let claim = loose_claim(&name, None, options);
            report.abi = claim.kind;
            report.claimed_floor = claim.floor;
            report.claim_source = claim.source;
            report.findings.push(*finding);
            return report;
        }
    };
    let claim = loose_claim(&name, declared.as_ref(), options);
    report.abi = claim.kind;
    report.claimed_floor = claim.floor;
    report.claim_source = claim.source.clone();
    report.binaries = binaries
        .iter()
        .map(|b| {
            let subject = BinarySubject::new(b, &name, &claim, None)
                .with_slices(&binaries)
                .with_allowed_exports(&options.allowed_exports)
                .with_declaration(declared.as_ref());
            audit_binary(subject, None)
        })
        .collect();
    report
}

fn audit_binary(subject: BinarySubject<'_>, member: Option<&str>) -> BinaryReport {
    BinaryReport::of(&subject, member, rules::check_binary(&subject))
}

fn audit_wheel(path: &Path, options: &AuditOptions) -> InputReport {
    let display = display_name(path);
    let mut report = InputReport::new(display.clone(), InputKind::Wheel);
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let name = match WheelName::parse(&base) {
        Ok(name) => name,
        Err(e) => {
            report.findings.push(
                Finding::new(Code::UnreadableInput, format!("`{base}` is not a valid wheel file name: {e}"))
                    .help("check the file name: wheels are named {distribution}-{version}(-{build})?-{python}-{abi}-{platform}.whl; do not rename a wheel after building it"),
            );
            return report;
        }
    };
    report.tags = Some(Tags {
        python: name.python_tags.clone(),
        abi: name.abi_tags.clone(),
        platform: name.platform_tags.clone(),
    });
    let claim = Claim {
        kind: name.abi_kind(),
        floor: name.claimed_floor(),
        source: ClaimSource::WheelTag(format!(
            "{}-{}",
            name.python_tags.join("."),
            name.abi_tags.join(".")
        )),
    };
    report.abi = claim.kind;
    report.claimed_floor = claim.floor;
    report.claim_source = claim.source.clone();

    let mut archive = match load::open_wheel(path, &options.limits) {
        Ok(archive) => archive,
        Err(finding) => {
            report.findings.push(*finding);
            return report;
        }
    };
    let metadata = archive.metadata().clone();
    let wheel = WheelSubject {
        name: &name,
        metadata: &metadata,
    };
    report.findings.extend(rules::check_wheel(&wheel));
    report.findings.extend(
        archive
            .notices()
            .iter()
            .map(|notice| load::notice_finding(&display, notice)),
    );
    // Read every shared object first: rules need to know what the wheel bundles.
    let mut read = Vec::new();
    let mut members = archive.shared_objects();
    members.extend(archive.script_binaries());
    for member in members {
        match load::load_member(&mut archive, &member) {
            Ok(Loaded {
                binaries, declared, ..
            }) => read.push((member, binaries, declared)),
            Err(finding) => report.findings.push(*finding),
        }
    }
    let bundled: Vec<String> = read
        .iter()
        .flat_map(|(member, binaries, _)| {
            std::iter::once(file_name(&member.path).to_owned())
                .chain(binaries.iter().filter_map(|b| b.soname.clone()))
        })
        .collect();
    for (member, binaries, declared) in &read {
        for binary in binaries {
            let subject = BinarySubject::new(binary, file_name(&member.path), &claim, Some(wheel))
                .in_member(&member.path, member.in_purelib, &bundled, binaries)
                .with_allowed_exports(&options.allowed_exports)
                .with_declaration(declared.as_ref());
            report
                .binaries
                .push(audit_binary(subject, Some(&member.path)));
        }
    }
    report
}

/// Applies `--deny`/`--warn`/`--allow` to one input's findings (shared with `check`).
pub(crate) fn apply_overrides(report: &mut InputReport, overrides: &[Override]) {
    if overrides.is_empty() {
        return;
    }
    let adjust = |findings: &mut Vec<Finding>| {
        findings.retain_mut(|finding| {
            if finding.is_analysis_failure() {
                // Analysis failures cannot be demoted or silenced: the exit code must say the
                // gate did not run.
                return true;
            }
            for o in overrides.iter().rev() {
                match *o {
                    Override::Deny(code) if code == finding.code => {
                        finding.severity = Severity::Error
                    }
                    Override::Warn(code) if code == finding.code => {
                        finding.severity = Severity::Warning
                    }
                    Override::Allow(code) if code == finding.code => return false,
                    _ => continue,
                }
                break;
            }
            true
        });
    };
    adjust(&mut report.findings);
    for binary in &mut report.binaries {
        adjust(&mut binary.findings);
    }
}
