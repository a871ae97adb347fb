//! `cargo abi3 audit`: wheels and loose binaries through the readers and the rules.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use cargo_abi3_build_hook::declaration::{self, Declaration};
use cargo_abi3_build_hook::{AbiKind, Code, PyVersion, Severity};
use rayon::prelude::*;

use crate::binary::{self, Binary, ReadError};
use crate::finding::Finding;
use crate::inputs::{self, Input};
use crate::report::{BinaryReport, InputKind, InputReport, Report, Tags};
use crate::rules::{self, BinarySubject, Claim, ClaimSource, ExportAllow, WheelSubject};
use crate::wheel::{
    ExtensionFileName, Limits, Notice, SuffixKind, WheelArchive, WheelError, WheelName,
};

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
    let data = match read_file_bounded(path, options.limits.max_member_bytes) {
        Ok(data) => data,
        Err(finding) => {
            report.findings.push(*finding);
            return report;
        }
    };
    let declared = declaration::find_in(&data);
    let claim = loose_claim(&name, declared.as_ref(), options);
    report.abi = claim.kind;
    report.claimed_floor = claim.floor;
    report.claim_source = claim.source.clone();
    match binary::read(&data) {
        Ok(binaries) => {
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
        }
        Err(e) => report
            .findings
            .push(unreadable(&format!("`{}`", report.path), &e)),
    }
    report
}

fn read_file_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, Box<Finding>> {
    let cannot_read = |e: std::io::Error| {
        Box::new(Finding::new(
            Code::UnreadableInput,
            format!("cannot read `{}`: {e}", path.display()),
        ))
    };
    let size = std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(cannot_read)?;
    if size > limit {
        return Err(Box::new(
            Finding::new(
                Code::InputLimitExceeded,
                format!(
                    "`{}` is {size} bytes, over the {limit}-byte limit",
                    path.display()
                ),
            )
            .help("raise it with --max-member-size if the file is legitimate"),
        ));
    }
    std::fs::read(path).map_err(cannot_read)
}

/// `what` is already quoted: "`x.so`" or "`pkg/x.so` in `w.whl`".
fn unreadable(what: &str, error: &ReadError) -> Finding {
    Finding::new(
        Code::UnreadableInput,
        format!("cannot analyse {what}: {error}"),
    )
    .help("check that the file is a complete ELF, Mach-O or PE shared object")
}

/// A wheel (or member: `what` is then "`member` in `wheel`") that could not be read. Limits
/// name the command-line flag that raises them.
fn wheel_error(what: &str, error: &WheelError) -> Finding {
    match error {
        WheelError::LimitExceeded {
            what: item,
            limit,
            actual,
            setting,
        } => Finding::new(
            Code::InputLimitExceeded,
            format!(
                "cannot audit {what}: {item} is {actual}, above the limit of {limit}; \
                 the wheel may be hostile (zip bomb) or corrupt"
            ),
        )
        .help(format!(
            "if the wheel is trusted, raise the limit with {}",
            limit_flag(setting)
        )),
        other => {
            let finding = Finding::new(
                Code::UnreadableInput,
                format!("cannot audit {what}: {other}"),
            );
            match other {
                WheelError::CorruptMember { .. } | WheelError::NoSuchMember { .. } => finding
                    .help("the wheel is damaged or truncated: rebuild it or download it again"),
                WheelError::Io { .. } => finding.help("check that the file exists and is readable"),
                _ => finding,
            }
        }
    }
}

/// The flag that raises a [`Limits`] field.
fn limit_flag(setting: &str) -> &'static str {
    match setting {
        "max_members" => "`--max-members N`",
        "max_member_bytes" => "`--max-member-size MIB`",
        "max_total_bytes" => "`--max-total-size MIB`",
        "max_compression_ratio" => "`--max-compression-ratio N`",
        "max_metadata_bytes" => "`--max-metadata-size MIB`",
        _ => "the matching `--max-*` option (see `cargo abi3 audit --help`)",
    }
}

/// Archive problems that did not stop the audit. Members the reader refused to read mean
/// part of the wheel went unchecked: those are analysis failures.
fn notice_finding(path: &str, notice: &Notice) -> Finding {
    let finding = Finding::new(Code::UnreadableInput, format!("{path}: {notice}"));
    match notice {
        Notice::UnsafePath { .. } => {
            finding.help("rebuild the wheel with relative member paths without `..`")
        }
        Notice::Encrypted { .. } => finding.help("rebuild the wheel without encryption"),
        Notice::UnreadableMetadata { limit: true, .. } => Finding {
            code: Code::InputLimitExceeded,
            ..finding
        }
        .help("raise --max-metadata-size if the wheel is trusted"),
        Notice::UnreadableMetadata { .. } => {
            finding.help("rebuild the wheel; its WHEEL and METADATA files must be readable text")
        }
        _ => Finding {
            severity: Severity::Warning,
            ..finding
        },
    }
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

    let mut archive = match WheelArchive::open(path, &options.limits) {
        Ok(archive) => archive,
        Err(e) => {
            report
                .findings
                .push(wheel_error(&format!("`{display}`"), &e));
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
            .map(|notice| notice_finding(&display, notice)),
    );
    // Read every shared object first: rules need to know what the wheel bundles.
    let mut read = Vec::new();
    for member in archive.shared_objects() {
        let what = format!("`{}` in `{display}`", member.path);
        match read_member_binaries(&mut archive, &member.path, member.size, &what) {
            Ok((binaries, declared)) => read.push((member, binaries, declared)),
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

/// How the sparse member reads went over a run (for `CARGO_ABI3_READ_STATS`).
pub static READ_STATS: ReadCounters = ReadCounters::new();

/// Counters of [`READ_STATS`].
#[derive(Debug)]
pub struct ReadCounters {
    pub members: AtomicU64,
    pub streamed: AtomicU64,
    pub held: AtomicU64,
    pub declared: AtomicU64,
    pub extra_passes: AtomicU64,
    pub fallbacks: AtomicU64,
}

impl ReadCounters {
    const fn new() -> Self {
        ReadCounters {
            members: AtomicU64::new(0),
            streamed: AtomicU64::new(0),
            held: AtomicU64::new(0),
            declared: AtomicU64::new(0),
            extra_passes: AtomicU64::new(0),
            fallbacks: AtomicU64::new(0),
        }
    }

    fn record(&self, size: u64, stats: &binary::Stats) {
        let add = |c: &AtomicU64, v: u64| {
            c.fetch_add(v, Ordering::Relaxed);
        };
        add(&self.members, 1);
        add(&self.streamed, stats.streamed);
        add(&self.held, stats.held);
        add(&self.declared, size);
        add(
            &self.extra_passes,
            u64::from(stats.passes.saturating_sub(1)),
        );
        add(&self.fallbacks, u64::from(stats.fallback));
    }

    /// One line for stderr.
    pub fn summary(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        format!(
            "sparse reads: {} members, {} MB declared, {} MB inflated, {} MB held; {} extra passes, {} full-read fallbacks",
            get(&self.members),
            get(&self.declared) / 1_000_000,
            get(&self.streamed) / 1_000_000,
            get(&self.held) / 1_000_000,
            get(&self.extra_passes),
            get(&self.fallbacks),
        )
    }
}

/// Finds the build hook's declaration in a stream of bytes, chunk by chunk.
#[derive(Default)]
pub(crate) struct DeclarationScan {
    /// The end of the previous chunk: a record may straddle two chunks.
    tail: Vec<u8>,
    found: Option<Declaration>,
}

impl DeclarationScan {
    /// A record (magic included) is at most this long.
    const OVERLAP: usize = declaration::MAX_RECORD + declaration::MAGIC.len();

    pub(crate) fn feed(&mut self, chunk: &[u8]) {
        if self.found.is_some() {
            return;
        }
        let mut tail = std::mem::take(&mut self.tail);
        if !tail.is_empty() {
            // Records straddling the previous bytes and this chunk.
            let before = tail.len();
            let head = chunk
                .get(..Self::OVERLAP.min(chunk.len()))
                .unwrap_or_default();
            tail.extend_from_slice(head);
            if let Some(found) = declaration::find_in(&tail) {
                self.found = Some(found);
                return;
            }
            tail.truncate(before);
        }
        // A SIMD substring search for the magic; records are decoded only where it is.
        static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new(declaration::MAGIC));
        for at in FINDER.find_iter(chunk) {
            let window = chunk
                .get(at..at.saturating_add(Self::OVERLAP).min(chunk.len()))
                .unwrap_or_default();
            if let Some(found) = declaration::find_in(window) {
                self.found = Some(found);
                return;
            }
        }
        // Keep the last bytes of the stream (not just of this chunk, which may be short).
        if chunk.len() >= Self::OVERLAP {
            tail.clear();
            let keep = chunk.len() - Self::OVERLAP;
            tail.extend_from_slice(chunk.get(keep..).unwrap_or_default());
        } else {
            tail.extend_from_slice(chunk);
            let excess = tail.len().saturating_sub(Self::OVERLAP);
            tail.drain(..excess);
        }
        self.tail = tail;
    }

    pub(crate) fn finish(self) -> Option<Declaration> {
        self.found
    }
}

/// Reads the binaries of a member in one streaming pass (usually), holding only the byte
/// ranges the readers need (see [`binary::read_streamed`]). The build hook's declaration is
/// looked for in every byte streamed: it sits in a loaded, non-executable segment, before
/// the end of what the reader needs.
fn read_member_binaries(
    archive: &mut WheelArchive,
    member: &str,
    size: u64,
    what: &str,
) -> Result<(Vec<Binary>, Option<Declaration>), Box<Finding>> {
    let mut scan = DeclarationScan::default();
    let (result, stats) = binary::read_streamed(
        size,
        |sink| archive.stream_member(member, sink),
        &mut |chunk| scan.feed(chunk),
    )
    .map_err(|e| Box::new(wheel_error(what, &e)))?;
    READ_STATS.record(size, &stats);
    if std::env::var_os("CARGO_ABI3_READ_STATS").is_some_and(|v| v == "2") {
        eprintln!("{member}\t{size}\t{stats:?}");
    }
    match result {
        Ok(binaries) => Ok((binaries, scan.finish())),
        Err(e) => Err(Box::new(unreadable(what, &e))),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The streaming scan finds what a scan of the whole member finds, wherever the record
    /// falls relative to chunk boundaries.
    #[test]
    fn declaration_scan_across_chunks() {
        let decl = Declaration {
            kind: AbiKind::Abi3,
            floor: Some(PyVersion::new(3, 9)),
            module: Some("demo".into()),
            tool: Some("cargo-abi3-build-hook-0.1.0".into()),
        };
        let record = decl.encode().expect("encode");
        let noise: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
        for at in [0, 1, 100, 999, 1000, 1001, 2000 - record.len() / 2, 4000] {
            let mut data = noise.clone();
            data.splice(at..at, record.iter().copied());
            // A broken record before the real one is skipped, as in a whole-file scan.
            data.splice(0..0, declaration::MAGIC.iter().copied());
            let whole = declaration::find_in(&data);
            assert_eq!(whole.as_ref(), Some(&decl));
            for chunk in [1, 7, 64, 1000, 4096, 1 << 20] {
                let mut scan = DeclarationScan::default();
                for piece in data.chunks(chunk) {
                    scan.feed(piece);
                }
                assert_eq!(scan.finish(), whole, "record at {at}, chunks of {chunk}");
            }
        }
        let mut scan = DeclarationScan::default();
        scan.feed(&noise);
        assert_eq!(scan.finish(), None);
    }
}
