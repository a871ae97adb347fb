//! `cargo abi3 check`: build the crate with cargo, then hold every cdylib it produced to what
//! the crate declares (PyO3 features, pyproject), name the crate or C object behind each
//! offending symbol, and point at the manifest text to change.
//!
//! `metadata` (workspace, target dir) → `build` (cargo's JSON messages) → per cdylib:
//! `intent` (declared vs resolved vs predicted) + the audit rules → `culprit` (archives).

pub mod build;
pub mod culprit;
pub mod intent;
pub mod metadata;

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::anyhow;
use cargo_abi3_build_hook::render::and_more_of;
use cargo_abi3_build_hook::{Code, Family};

use crate::finding::Finding;
use crate::policy::{Override, apply_overrides};
use crate::report::{BinaryReport, InputKind, InputReport, Report, Tags};
use crate::rules::{self, BinarySubject, ClaimSource};
use crate::wheel::name::Tag;
use build::{ArchiveOrigin, BuildOutput, Cdylib};

/// Options of one `check` run (the cargo-facing ones are passed through to `cargo build`).
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    pub packages: Vec<String>,
    pub release: bool,
    pub features: Vec<String>,
    pub all_features: bool,
    pub no_default_features: bool,
    pub target: Option<String>,
    pub manifest_path: Option<PathBuf>,
    /// Reuse the artifacts of the last `check` build instead of building.
    pub no_build: bool,
    /// Extra arguments for `cargo build` (after `--`).
    pub cargo_args: Vec<OsString>,
    pub overrides: Vec<Override>,
    /// setuptools' `--py-limited-api=cpXY` (the bdist_wheel option given on the command
    /// line), over setup.cfg and `[tool.distutils.bdist_wheel]`.
    pub py_limited_api: Option<cargo_abi3_build_hook::PyVersion>,
    /// Leave the build hook's diagnostics out of the build output cargo prints: `check`'s
    /// human report says each finding itself, once. (Machine formats keep cargo's stderr
    /// whole: it is the only human-readable copy there.)
    pub quiet_hook: bool,
    /// Cargo's own flags (see `cli::CargoFlags`).
    pub workspace: bool,
    pub exclude: Vec<String>,
    pub profile: Option<String>,
    pub locked: bool,
    pub offline: bool,
    pub frozen: bool,
    pub jobs: Option<String>,
    pub target_dir: Option<PathBuf>,
    pub quiet: bool,
    /// Cargo's verbosity (`-v` once or twice); `quiet` wins, as cargo refuses both.
    pub verbose: u8,
}

impl CheckOptions {
    /// The arguments after `cargo build --message-format=…` (paths as the OS spells them:
    /// a manifest path that is not UTF-8 reaches cargo intact).
    pub fn cargo_build_args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = Vec::new();
        if let Some(path) = &self.manifest_path {
            args.push("--manifest-path".into());
            args.push(path.into());
        }
        for package in &self.packages {
            args.push("--package".into());
            args.push(package.into());
        }
        if self.release {
            args.push("--release".into());
        }
        if !self.features.is_empty() {
            args.push("--features".into());
            args.push(self.features.join(",").into());
        }
        if self.all_features {
            args.push("--all-features".into());
        }
        if self.no_default_features {
            args.push("--no-default-features".into());
        }
        if let Some(target) = &self.target {
            args.push("--target".into());
            args.push(target.into());
        }
        if self.workspace {
            args.push("--workspace".into());
        }
        for spec in &self.exclude {
            args.push("--exclude".into());
            args.push(spec.into());
        }
        if let Some(profile) = &self.profile {
            args.push("--profile".into());
            args.push(profile.into());
        }
        if let Some(jobs) = &self.jobs {
            args.push("--jobs".into());
            args.push(jobs.into());
        }
        if self.quiet {
            args.push("--quiet".into());
        }
        args.extend(self.verbosity_flag());
        args.extend(self.lock_flags());
        args.extend(self.cargo_args.iter().cloned());
        args
    }

    /// `-v` or `-vv` (cargo knows no more), unless `--quiet`: for both commands.
    pub fn verbosity_flag(&self) -> Option<OsString> {
        match self.verbose {
            _ if self.quiet => None,
            0 => None,
            1 => Some("-v".into()),
            _ => Some("-vv".into()),
        }
    }

    /// `--locked`, `--offline`, `--frozen`: for `cargo metadata` and `cargo build` alike.
    pub fn lock_flags(&self) -> Vec<OsString> {
        [
            (self.locked, "--locked"),
            (self.offline, "--offline"),
            (self.frozen, "--frozen"),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, flag)| flag.into())
        .collect()
    }
}

impl CheckOptions {
    /// Adds what the build backend of the crate at `manifest` passes to cargo
    /// ([`intent::backend_build`]); `user_features`: `--features` was given on the command
    /// line (maturin then leaves its own `features` out).
    fn add_backend(&mut self, manifest: &Path, user_features: bool) {
        let Ok(declarations) = intent::read_declarations(manifest, self.py_limited_api) else {
            return;
        };
        let interpreter = intent::build_interpreter(declarations.1.as_ref());
        let backend = intent::backend_build(&declarations, user_features, interpreter.as_ref());
        for feature in backend.features {
            if !self.features.contains(&feature) {
                self.features.push(feature);
            }
        }
        self.all_features |= backend.all_features;
        self.no_default_features |= backend.no_default_features;
        // Before any `--` of the user's (what follows it is rustc's).
        let at = self
            .cargo_args
            .iter()
            .position(|a| a == "--")
            .unwrap_or(self.cargo_args.len());
        self.cargo_args
            .splice(at..at, backend.cargo_args.into_iter().map(OsString::from));
    }
}

fn cargo() -> PathBuf {
    std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from)
}

/// Why `check` could not run (exit 2). Each kind is reported with its own code and help.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The crate builds nothing `check` could check: a `nothing-to-audit` failure, not an
    /// unreadable crate.
    #[error("{0}")]
    NothingToCheck(String),
    /// `cargo build` failed; its diagnostics are on stderr.
    #[error(transparent)]
    BuildFailed(Box<build::BuildFailed>),
    /// The workspace, the manifest or the saved build could not be read.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<build::BuildFailed> for CheckError {
    fn from(failed: build::BuildFailed) -> Self {
        CheckError::BuildFailed(Box::new(failed))
    }
}

impl CheckError {
    /// As the command line reports errors (without wrapping an `anyhow` chain twice).
    pub fn into_anyhow(self) -> anyhow::Error {
        match self {
            CheckError::Other(error) => error,
            other => anyhow::Error::new(other),
        }
    }
}

fn no_cdylib_selected(workspace: &metadata::Workspace) -> Result<(), CheckError> {
    if workspace.selected.iter().any(|m| m.has_cdylib) {
        return Ok(());
    }
    let names: Vec<&str> = workspace.selected.iter().map(|m| m.name.as_str()).collect();
    Err(CheckError::NothingToCheck(format!(
        "no cdylib to check: {} build{} no `cdylib` (a Python extension needs `[lib] crate-type = [\"cdylib\"]`)",
        if names.is_empty() {
            "the selection".to_owned()
        } else {
            format!("`{}`", names.join("`, `"))
        },
        if names.len() == 1 { "s" } else { "" }
    )))
}

/// Without `--manifest-path`, the crate maturin would build from here: a `pyproject.toml` in
/// the current directory whose `[tool.maturin] manifest-path` names it (a mixed layout with
/// the crate in `rust/`, say), as maturin finds it. `None`: cargo's own lookup.
fn maturin_manifest(options: &CheckOptions) -> Option<PathBuf> {
    if options.manifest_path.is_some() {
        return None;
    }
    let pyproject = cargo_abi3_build_hook::pyproject::read(Path::new("pyproject.toml")).ok()?;
    pyproject.maturin.as_ref()?.manifest_path.as_ref()?;
    Some(pyproject.cargo_manifest())
}

/// The report of a `check` that could not run (exit 2), for `--format json`: the crate's
/// manifest as the input, with the reason as an input-family finding.
pub fn failure_report(options: &CheckOptions, error: &CheckError) -> Report {
    let path = options
        .manifest_path
        .as_ref()
        .map_or_else(|| "Cargo.toml".to_owned(), |p| p.display().to_string());
    let (code, help) = match error {
        CheckError::NothingToCheck(_) => (
            Code::NothingToAudit,
            "check the package selection and the crate's `[lib] crate-type`",
        ),
        CheckError::BuildFailed(_) => (
            Code::UnreadableInput,
            "fix the errors cargo printed on stderr, then check again",
        ),
        CheckError::Other(_) => (
            Code::UnreadableInput,
            "check the manifest path and that `cargo metadata` can read the crate",
        ),
    };
    let mut input = InputReport {
        claim_source: ClaimSource::CrateIntent,
        ..InputReport::new(path.clone(), InputKind::Crate)
    };
    let why = format!("{error:#}");
    let message = if why.contains(&path) {
        why
    } else {
        format!("cannot check `{path}`: {why}")
    };
    input.findings.push(Finding::new(code, message).help(help));
    Report {
        inputs: vec![input],
    }
}

/// Builds (unless `--no-build`) and checks. `Err` means the check could not run (exit 2):
/// unreadable workspace, no cdylib, failed build.
pub fn check(options: &CheckOptions) -> Result<Report, CheckError> {
    let found;
    let options = match maturin_manifest(options) {
        Some(manifest) => {
            found = CheckOptions {
                manifest_path: Some(manifest),
                ..options.clone()
            };
            &found
        }
        None => options,
    };
    // Before cargo opens it: a FIFO would block `cargo metadata` forever, and "not a regular
    // file" says more than cargo's guesses about scripts.
    if let Some(path) = &options.manifest_path
        && let Err(why) = crate::inputs::regular_file(path)
    {
        return Err(anyhow!("cannot read the manifest `{}`: {why}", path.display()).into());
    }
    let cargo = cargo();
    // `--target-dir` reaches both commands as CARGO_TARGET_DIR (`cargo metadata` has no such
    // flag, and reports the directory back).
    let selection = metadata::Selection {
        packages: &options.packages,
        workspace: options.workspace,
        exclude: &options.exclude,
        flags: options
            .lock_flags()
            .into_iter()
            .chain(options.verbosity_flag())
            .collect(),
        target_dir: options.target_dir.as_deref(),
    };
    let read_workspace = || metadata::read(&cargo, options.manifest_path.as_deref(), &selection);
    // `cargo metadata` first: a selection without a cdylib is said before anything is built
    // with extension-module settings, and the backend's features are known for the build.
    let workspace = read_workspace()?;
    no_cdylib_selected(&workspace)?;
    // The build as the backend runs it: its features and flags added to the user's.
    let mut build_options = options.clone();
    for member in workspace.selected.iter().filter(|m| m.has_cdylib) {
        build_options.add_backend(&member.manifest_path, !options.features.is_empty());
    }
    let (workspace, output) = if options.no_build {
        let output = build::load(&workspace.target_dir, &workspace.root)?;
        (workspace, output)
    } else {
        let output = build::run(
            &cargo,
            &build_options.cargo_build_args(),
            options.target.clone(),
            options.quiet_hook,
            options.target_dir.as_deref(),
        );
        let output = match output {
            Ok(output) => output,
            Err(build_failed) => {
                let resolved = match &build_failed {
                    CheckError::BuildFailed(failed) => failed.partial.pyo3.as_ref(),
                    _ => None,
                };
                return match declaration_errors(&workspace, &build_options, resolved) {
                    Some(report) => {
                        eprintln!(
                            "note: {build_failed:#}; the checks that need no artifact find \
                             the error below (the build hook stops the build on such errors)"
                        );
                        Ok(report)
                    }
                    None => Err(build_failed),
                };
            }
        };
        build::save(&workspace.target_dir, &workspace.root, &output)?;
        (workspace, output)
    };
    let selected: BTreeSet<&Path> = workspace
        .selected
        .iter()
        .map(|m| m.manifest_path.as_path())
        .collect();
    let mut cdylibs: Vec<&Cdylib> = output
        .cdylibs
        .iter()
        .filter(|c| selected.contains(c.manifest_path.as_path()))
        .collect();
    // cargo finishes units in any order; reports are stable.
    cdylibs.sort_by(|a, b| (&a.manifest_path, &a.path).cmp(&(&b.manifest_path, &b.path)));
    if cdylibs.is_empty() {
        return Err(anyhow!(
            "the build produced no cdylib for the selected package{}",
            if workspace.selected.len() == 1 {
                ""
            } else {
                "s"
            }
        )
        .into());
    }
    let mut report = Report {
        inputs: cdylibs
            .iter()
            .map(|c| check_cdylib(c, &output, &workspace, options.py_limited_api))
            .collect(),
    };
    name_culprits(&mut report, &output);
    for input in &mut report.inputs {
        apply_overrides(input, &options.overrides);
    }
    Ok(report)
}

/// After a failed build: the selected cdylib crates' findings that need no artifact (their
/// declarations, and PyO3's resolved config if its build script ran), if any of them is an
/// error. Then the answer is that error (exit 1), not "could not build" (exit 2).
fn declaration_errors(
    workspace: &metadata::Workspace,
    options: &CheckOptions,
    resolved: Option<&build::Pyo3Build>,
) -> Option<Report> {
    let selection = intent::FeatureSelection {
        features: options.features.clone(),
        all_features: options.all_features,
        no_default_features: options.no_default_features,
    };
    let mut inputs = Vec::new();
    for member in workspace.selected.iter().filter(|m| m.has_cdylib) {
        let declared = intent::evaluate_declarations(
            &member.manifest_path,
            &selection,
            resolved,
            options.target.as_deref(),
            options.py_limited_api,
        );
        let mut input = InputReport {
            claim_source: ClaimSource::CrateIntent,
            abi: Some(declared.kind),
            claimed_floor: declared.floor,
            ..InputReport::new(member.manifest_path.display().to_string(), InputKind::Crate)
        };
        input.findings = declared
            .findings
            .into_iter()
            .map(|f| name_requesters(f, workspace))
            .collect();
        apply_overrides(&mut input, &options.overrides);
        inputs.push(input);
    }
    let any_error = inputs
        .iter()
        .flat_map(|i| &i.findings)
        .any(|f| f.severity == cargo_abi3_build_hook::Severity::Error);
    any_error.then_some(Report { inputs })
}

fn check_cdylib(
    cdylib: &Cdylib,
    output: &BuildOutput,
    workspace: &metadata::Workspace,
    py_limited_api: Option<cargo_abi3_build_hook::PyVersion>,
) -> InputReport {
    let mut report = InputReport {
        claim_source: ClaimSource::CrateIntent,
        ..InputReport::new(cdylib.manifest_path.display().to_string(), InputKind::Crate)
    };
    let intent = match intent::evaluate(
        cdylib,
        output.pyo3.as_ref(),
        output.target.as_deref(),
        py_limited_api,
    ) {
        Ok(intent) => intent,
        Err(finding) => {
            report.findings.push(*finding);
            return report;
        }
    };
    report.abi = intent.claim.kind;
    report.claimed_floor = intent.claim.floor;
    report.tags = intent.predicted_tag.as_ref().map(|tag| Tags {
        python: vec![tag.python.as_str().into()],
        abi: tag.abi_tags().map(Tag::from).collect(),
        platform: vec![tag.platform.as_str().into()],
    });
    report.findings = intent
        .findings
        .into_iter()
        .map(|f| name_requesters(f, workspace))
        .collect();

    // The one loading layer audit and host use: streamed, bounded, the same findings.
    let binaries = match crate::load::load_file(&cdylib.path, &crate::wheel::Limits::default()) {
        Ok(loaded) => loaded.binaries,
        Err(finding) => {
            report.findings.push(*finding);
            return report;
        }
    };
    if let Some(tags) = report.tags.as_mut().filter(|_| intent.audited_platform) {
        for platform in &mut tags.platform {
            if let Some(refined) = intent::linux_platform_from_binary(platform, &binaries) {
                *platform = refined.into();
            }
        }
    }
    // The artifact's real path (`CARGO_TARGET_DIR` and `--target-dir` move it), relative to
    // the current directory when it is under it (`target/debug/libext.so`).
    let member = std::env::current_dir()
        .ok()
        .and_then(|cwd| cdylib.path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| cdylib.path.clone())
        .display()
        .to_string();
    for binary in &binaries {
        let mut subject = BinarySubject::new(binary, &intent.installed_name, &intent.claim, None);
        if intent.python_module {
            subject = subject.known_module();
        }
        let mut findings = rules::check_binary(&subject);
        if let Some(span) = &intent.floor_span {
            for finding in &mut findings {
                if finding.code == Code::NewerThanFloor && finding.span.is_none() {
                    finding.span = Some(span.clone());
                }
            }
        }
        report
            .binaries
            .push(BinaryReport::of(&subject, Some(&member), findings));
    }
    report
}

/// For floor disagreements, names the workspace members that request each PyO3 ABI feature
/// (features unify: any of them can lower the floor).
fn name_requesters(mut finding: Finding, workspace: &metadata::Workspace) -> Finding {
    if finding.code != Code::FeatureFloorMismatch {
        return finding;
    }
    for member in &workspace.members {
        for (dep, feature) in &member.pyo3_features {
            if feature.starts_with("abi3") {
                finding
                    .notes
                    .push(format!("`{}` requests `{dep}/{feature}`", member.name));
            }
        }
    }
    finding
}

/// The fix for C code compiled without (or with another) Py_LIMITED_API.
fn c_part_help(floor: Option<cargo_abi3_build_hook::PyVersion>) -> String {
    let value = floor.map_or("0x030X0000".to_owned(), |f| f.limited_api_hex());
    format!(
        "compile the C code with Py_LIMITED_API={value} (`cc::Build::define(\"Py_LIMITED_API\", \"{value}\")`, or cargo_abi3_build_hook's `cc_build()`), then replace the calls the compiler rejects"
    )
}

/// Adds a `note:` per object that references each offending symbol. The archives are read
/// once, for all cdylibs, and only when something needs naming.
fn name_culprits(report: &mut Report, output: &BuildOutput) {
    let offending = |f: &Finding| f.code.family() == Family::AbiSymbols && f.symbol.is_some();
    let symbols: BTreeSet<String> = report
        .inputs
        .iter()
        .flat_map(|i| i.binaries.iter())
        .flat_map(|b| b.findings.iter())
        .filter(|f| offending(f))
        .filter_map(|f| f.symbol.clone())
        .collect();
    let culprits = culprit::find(&output.archives, &symbols);
    for input in &mut report.inputs {
        let floor = input.claimed_floor;
        for finding in input
            .binaries
            .iter_mut()
            .flat_map(|b| b.findings.iter_mut())
            .filter(|f| offending(f))
        {
            let Some(symbol) = finding.symbol.clone() else {
                continue;
            };
            let Some(referrers) = culprits.get(&symbol) else {
                // The crate's own code is linked straight into the cdylib: its sources say.
                let crate_dir = std::path::Path::new(&input.path)
                    .parent()
                    .unwrap_or(std::path::Path::new("."));
                let uses = culprit::own_code_uses(crate_dir, &symbol);
                let crate_name =
                    cargo_abi3_build_hook::manifest::read(std::path::Path::new(&input.path))
                        .ok()
                        .and_then(|m| m.package_name.map(|n| n.value))
                        .unwrap_or_else(|| {
                            crate_dir
                                .file_name()
                                .map(|n| n.to_string_lossy().into_owned())
                                .unwrap_or_default()
                        });
                if uses.is_empty() {
                    finding.notes.push(format!(
                        "neither the crate's own sources nor an rlib or build-script archive of this build references `{symbol}`: it comes from the linker or a system library"
                    ));
                } else {
                    let places = and_more_of(
                        uses.iter()
                            .take(5)
                            .map(|(file, line)| format!("{}:{line}", file.display())),
                        uses.len(),
                    );
                    finding
                        .details
                        .culprits
                        .push(format!("crate {crate_name} (its own code)"));
                    finding.notes.push(format!(
                        "`{symbol}` is referenced by the crate's own code (`{crate_name}`): {places}"
                    ));
                }
                continue;
            };
            for referrer in referrers {
                finding.notes.push(referrer.note(&symbol));
                finding.details.culprits.push(referrer.name());
                if matches!(referrer.origin, ArchiveOrigin::BuildScript { .. }) {
                    finding.help = Some(c_part_help(floor));
                }
            }
        }
    }
}
