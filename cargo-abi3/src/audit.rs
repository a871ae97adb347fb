//! `cargo abi3 audit`: wheels and loose binaries through the readers and the rules.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use cargo_abi3_build_hook::declaration::Declaration;
use cargo_abi3_build_hook::{AbiKind, Code, PyVersion};
use rayon::prelude::*;

use crate::finding::Finding;
use crate::inputs::{self, Input, RemoteWheel};
use crate::load::{self, Loaded};
use crate::policy::{Override, apply_overrides};
use crate::report::{BinaryReport, InputKind, InputReport, Report, Tags};
use crate::rules::{self, BinarySubject, Claim, ClaimSource, ExportAllow, WheelSubject};
use crate::wheel::{ExtensionFileName, Limits, Member, SuffixKind, WheelArchive, WheelName};

/// Options of one audit run.
#[derive(Clone, Debug, Default)]
pub struct AuditOptions {
    /// The floor to hold loose binaries to.
    pub assume_minimum: Option<PyVersion>,
    pub limits: Limits,
    pub overrides: Vec<Override>,
    /// `--allow-export`: exports `extra-exports` does not report.
    pub allowed_exports: Vec<ExportAllow>,
    /// Where arguments that are not paths (`pypi:` specs) come from, and how their wheels
    /// are fetched: `crate::remote::Remote` in the CLI; without one, every argument is a path.
    pub remote: Option<Arc<dyn RemoteInputs>>,
}

/// What the audit asks of remote inputs, so that it does not depend on how they are
/// fetched (`crate::remote` implements it, and audits each fetched wheel through
/// `audit_wheel_with`, the path local wheels take).
pub trait RemoteInputs: Send + Sync + std::fmt::Debug {
    /// Whether `arg` names remote inputs (`pypi:…`) rather than a path.
    fn claims(&self, arg: &str) -> bool;
    /// Resolves every claimed argument (in parallel), each to its wheels or to the finding
    /// that says why not.
    fn resolve_all(&self, args: &[String]) -> HashMap<String, Vec<Input>>;
    /// Runs `f` on the pool remote wheels are fetched on.
    fn install(&self, f: &mut (dyn FnMut() + Send));
    /// Fetches and audits one resolved wheel.
    fn audit_wheel(&self, wheel: &RemoteWheel, options: &AuditOptions) -> InputReport;
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
    let mut inputs = Vec::new();
    audit_streaming(paths, options, progress, &mut |group| inputs.extend(group));
    Report { inputs }
}

/// Inputs audited together at most: consecutive groups are audited in parallel up to this
/// many inputs, then handed over and dropped. With [`MAX_GROUP`] it bounds the reports held
/// at once, whatever the number of inputs.
pub const BATCH_INPUTS: usize = 64;

/// Wheels of one release audited (and cross-checked) as one group at most. A release with
/// more is split, its wheels of the same platforms kept together: the cross-check only
/// relates wheels of the same platforms, so it is exact unless one release ships more than
/// this many wheels for one platform set.
pub const MAX_GROUP: usize = 256;

/// [`audit_with_progress`], streamed: inputs are grouped by release (a wheel's project and
/// version from its file name; each other input alone), the groups in the order of their
/// first input and the inputs of a group in argument order. Each group is audited,
/// cross-checked (`Requires-Python` across a release), has `--deny`/`--warn`/`--allow`
/// applied and is given to `group` as soon as it is done, then dropped: across groups the
/// run keeps only the list of inputs still to audit.
pub fn audit_streaming<P: AsRef<std::ffi::OsStr>>(
    paths: &[P],
    options: &AuditOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
    group: &mut dyn FnMut(Vec<InputReport>),
) {
    // `pypi:` arguments are resolved first (in parallel), then audited on the fetch pool.
    let remote = options.remote.as_deref();
    let specs: Vec<String> = paths
        .iter()
        .filter_map(|p| p.as_ref().to_str())
        .filter(|p| remote.is_some_and(|r| r.claims(p)))
        .map(str::to_owned)
        .collect();
    let resolved = match remote {
        Some(remote) if !specs.is_empty() => remote.resolve_all(&specs),
        _ => HashMap::new(),
    };
    let inputs = inputs::expand_with(paths, &|arg| resolved.get(arg).cloned());
    drop(resolved);
    let total = inputs.len();
    let (inputs, lens) = crate::release::group_inputs(inputs, MAX_GROUP);
    let done = std::sync::atomic::AtomicUsize::new(0);
    let mut inputs = inputs.into_iter();
    let mut lens = lens.into_iter().peekable();
    while lens.peek().is_some() {
        // Whole groups up to BATCH_INPUTS inputs (a larger group alone).
        let mut batch: Vec<Vec<Input>> = Vec::new();
        let mut count = 0;
        while let Some(&len) = lens.peek() {
            if count > 0 && count + len > BATCH_INPUTS {
                break;
            }
            count += len;
            lens.next();
            batch.push(inputs.by_ref().take(len).collect());
        }
        let run = || {
            batch
                .par_iter()
                .flatten()
                .map(|input| {
                    let report = audit_input(input, options);
                    let finished = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    progress(finished, total);
                    report
                })
                .collect::<Vec<InputReport>>()
        };
        let reports = match remote {
            Some(remote) if !specs.is_empty() => {
                let (mut run, mut reports) = (Some(run), Vec::new());
                remote.install(&mut || {
                    if let Some(run) = run.take() {
                        reports = run();
                    }
                });
                reports
            }
            _ => with_read_pool(run),
        };
        let mut reports = reports.into_iter();
        for inputs in batch {
            let mut reports: Vec<InputReport> = reports.by_ref().take(inputs.len()).collect();
            drop(inputs);
            crate::release::cross_check(&mut reports);
            for report in &mut reports {
                apply_overrides(report, &options.overrides);
            }
            group(reports);
        }
    }
}

/// Local inputs read at once. Each reader may hold up to [`crate::binary::MAX_HELD`] (40 MiB) of a
/// hostile member, so two keep a run under the 100 MB bound by construction, whatever the
/// machine's core count (real members hold at most 14.5 MB: the largest of the 1,438 binaries
/// of the benchmark set).
pub const MAX_PARALLEL_READS: usize = 2;

/// Runs `f` on the pool local inputs are read on: [`MAX_PARALLEL_READS`] threads at most.
pub(crate) fn with_read_pool<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    let pool = POOL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        rayon::ThreadPoolBuilder::new()
            .num_threads(cores.min(MAX_PARALLEL_READS))
            .build()
            .ok()
    });
    match pool {
        Some(pool) => pool.install(f),
        None => f(),
    }
}

fn audit_input(input: &Input, options: &AuditOptions) -> InputReport {
    match input {
        Input::Wheel(path) => audit_wheel(path, options),
        Input::Remote(wheel) => match &options.remote {
            Some(remote) => remote.audit_wheel(wheel, options),
            // Only a resolver makes remote inputs: this is a caller's mistake, said as such.
            None => inputs::problem_report(
                &wheel.display,
                &Finding::new(
                    Code::UnreadableInput,
                    format!(
                        "cannot fetch `{}`: this audit has no remote inputs configured",
                        wheel.display.display()
                    ),
                ),
            ),
        },
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

/// One member, judged as soon as it is read: its binaries' reports so far, or the finding
/// that says why it could not be read.
pub(crate) struct ReadMember {
    member: Member,
    outcome: Result<Vec<Judged>, Box<Finding>>,
}

/// A binary judged by every rule but the [`rules::Check::Bundle`] ones, which wait for the
/// wheel's whole bundle: its report without findings yet, and its linking data.
pub(crate) struct Judged {
    report: BinaryReport,
    pending: rules::Unbundled,
    linking: crate::binary::Binary,
}

/// Judges one member just read (on the thread that read it, so that its model is dropped
/// there, not held until the wheel's last member is read).
pub(crate) type JudgeMember<'a> =
    dyn Fn(Member, Result<Loaded, Box<Finding>>) -> ReadMember + Sync + 'a;
/// Reads the given members of an open wheel (serially, or in parallel over new readers),
/// handing each to `judge` as soon as it is read.
pub(crate) type LoadMembers<'a> =
    dyn Fn(&mut WheelArchive, Vec<Member>, &JudgeMember<'_>) -> Vec<ReadMember> + Sync + 'a;

/// Reads members one after the other through the wheel already open.
pub(crate) fn load_serially(
    archive: &mut WheelArchive,
    members: Vec<Member>,
    judge: &JudgeMember<'_>,
) -> Vec<ReadMember> {
    members
        .into_iter()
        .map(|member| {
            let loaded = load::load_member(archive, &member);
            judge(member, loaded)
        })
        .collect()
}

fn audit_wheel(path: &Path, options: &AuditOptions) -> InputReport {
    audit_wheel_with(
        display_name(path),
        &|| load::open_wheel(path, &options.limits),
        &load_serially,
        options,
    )
}

/// The report of a wheel named `display` before it is opened: its tags and claim from the
/// file name (or the finding that the name is not a wheel's).
pub(crate) fn wheel_report_header(display: String, base: &str) -> InputReport {
    wheel_header(display, base).0
}

fn wheel_header(display: String, base: &str) -> (InputReport, Option<(WheelName, Claim)>) {
    let mut report = InputReport::new(display, InputKind::Wheel);
    let name = match WheelName::parse(base) {
        Ok(name) => name,
        Err(e) => {
            report.findings.push(
                Finding::new(Code::UnreadableInput, format!("`{base}` is not a valid wheel file name: {e}"))
                    .help("check the file name: wheels are named {distribution}-{version}(-{build})?-{python}-{abi}-{platform}.whl; do not rename a wheel after building it"),
            );
            return (report, None);
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
    (report, Some((name, claim)))
}

/// Audits a wheel named `display` (its file name is the last `/` component), opened by
/// `open`, its shared objects read by `load`.
pub(crate) fn audit_wheel_with(
    display: String,
    open: &dyn Fn() -> Result<WheelArchive, Box<Finding>>,
    load: &LoadMembers<'_>,
    options: &AuditOptions,
) -> InputReport {
    let base = file_name(&display).to_owned();
    let (mut report, Some((name, claim))) = wheel_header(display.clone(), &base) else {
        return wheel_header(display, &base).0;
    };
    let mut archive = match open() {
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
    // Each member is judged as soon as it is read, and its model dropped; only the rules
    // that relate a binary to what the wheel bundles wait for the last member, on each
    // binary's linking data.
    let judge = |member: Member, loaded: Result<Loaded, Box<Finding>>| {
        let outcome = loaded.map(
            |Loaded {
                 binaries, declared, ..
             }| {
                binaries
                    .iter()
                    .map(|binary| {
                        let subject = BinarySubject::new(
                            binary,
                            file_name(&member.path),
                            &claim,
                            Some(wheel),
                        )
                        .in_member(&member.path, member.in_purelib, &[], &binaries)
                        .with_allowed_exports(&options.allowed_exports)
                        .with_declaration(declared.as_ref());
                        Judged {
                            pending: rules::check_unbundled(&subject),
                            report: BinaryReport::of(&subject, Some(&member.path), Vec::new()),
                            linking: binary.linking(),
                        }
                    })
                    .collect()
            },
        );
        ReadMember { member, outcome }
    };
    let mut members = archive.shared_objects();
    members.extend(archive.script_binaries());
    let mut read = Vec::new();
    for ReadMember { member, outcome } in load(&mut archive, members, &judge) {
        match outcome {
            Ok(binaries) => read.push((member, binaries)),
            Err(finding) => report.findings.push(*finding),
        }
    }
    let bundled: Vec<String> = read
        .iter()
        .flat_map(|(member, binaries)| {
            std::iter::once(file_name(&member.path).to_owned())
                .chain(binaries.iter().filter_map(|b| b.linking.soname.clone()))
        })
        .collect();
    for (member, binaries) in read {
        // A member's slices, linking data only, as the bundle rules see them.
        let (judged, slices): (Vec<_>, Vec<_>) = binaries
            .into_iter()
            .map(|j| ((j.report, j.pending), j.linking))
            .unzip();
        for ((mut binary_report, pending), linking) in judged.into_iter().zip(&slices) {
            let subject = BinarySubject::new(linking, file_name(&member.path), &claim, Some(wheel))
                .in_member(&member.path, member.in_purelib, &bundled, &slices)
                .with_allowed_exports(&options.allowed_exports);
            binary_report.findings = pending.finish(&subject);
            report.binaries.push(binary_report);
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The memory bound multiplies with the readers running at once: the pool never has more
    /// than two, whatever the machine.
    #[test]
    fn local_reads_run_on_at_most_two_threads() {
        let threads = with_read_pool(rayon::current_num_threads);
        assert!((1..=MAX_PARALLEL_READS).contains(&threads), "{threads}");
    }
}
