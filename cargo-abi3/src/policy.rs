//! The policy file (`cargo-abi3.toml`, `[tool.cargo-abi3]`, `[package.metadata.cargo-abi3]`,
//! `[workspace.metadata.cargo-abi3]`; read by the build hook's [`policy`] module) applied to a
//! report: its severities join the command line's, its `[[allow-finding]]` entries accept
//! findings with their reason, and an entry that accepted nothing is `unmatched-allow`.

// Reads untrusted bytes (policy files, and paths and symbols of the wheels it is applied
// to): the parser lints.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;

use cargo_abi3_build_hook::hook::Level;
pub use cargo_abi3_build_hook::policy::Policy;
use cargo_abi3_build_hook::policy::{self, AllowFinding};
use cargo_abi3_build_hook::{Code, Family};

use crate::finding::Finding;
use crate::report::{BinaryReport, InputKind, InputReport, Report};
use crate::rules::ExportAllow;

/// A severity override from the command line (`--deny`, `--warn`, `--allow`) or the policy's
/// lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Override {
    Deny(Code),
    Warn(Code),
    Allow(Code),
}

impl Override {
    pub fn code(self) -> Code {
        match self {
            Override::Deny(code) | Override::Warn(code) | Override::Allow(code) => code,
        }
    }

    pub fn level(self) -> Level {
        match self {
            Override::Deny(_) => Level::Deny,
            Override::Warn(_) => Level::Warn,
            Override::Allow(_) => Level::Allow,
        }
    }
}

/// Applies `--deny`/`--warn`/`--allow` (the last word for a code wins) to one input's findings,
/// for `audit`, `check` and `host`, by the rule the build hook applies too
/// ([`policy::apply_level`]: input errors are neither demoted nor allowed).
pub fn apply_overrides(report: &mut InputReport, overrides: &[Override]) {
    if overrides.is_empty() {
        return;
    }
    let level_of = |code: Code| {
        overrides
            .iter()
            .rev()
            .find(|o| o.code() == code)
            .map(|o| o.level())
    };
    let adjust = |findings: &mut Vec<Finding>| {
        *findings = std::mem::take(findings)
            .into_iter()
            .filter_map(|f| {
                let level = level_of(f.code);
                policy::apply_level(f, level)
            })
            .collect();
    };
    adjust(&mut report.findings);
    for binary in &mut report.binaries {
        adjust(&mut binary.findings);
    }
}

/// The name reported for a policy error without a file of its own.
pub const DEFAULT_FILE: &str = policy::FILE_NAME;

/// The command a policy is applied for: it decides which entries can be judged stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Audit,
    Check,
    Host,
}

impl Command {
    /// Whether this command can emit `code` at all (else an entry for it is not judged).
    fn can_emit(self, code: Code) -> bool {
        match self {
            Command::Audit => match code.family() {
                Family::Host | Family::Policy => false,
                Family::Intent => code == Code::DeclarationMismatch,
                _ => true,
            },
            Command::Check => !matches!(code.family(), Family::Host | Family::Policy),
            // `host` emits its own codes (and input errors, which are never allowed).
            Command::Host => code.family() == Family::Host,
        }
    }
}

/// Finds and reads the policy: `explicit` (`--config`), else the usual places around the
/// working directory and `crate_dir`.
pub fn load(
    explicit: Option<&Path>,
    crate_dir: Option<&Path>,
) -> Result<Option<Policy>, Box<Finding>> {
    let cwd = std::env::current_dir().ok();
    let crate_dir = crate_dir.map(|d| match &cwd {
        Some(cwd) if d.is_relative() => cwd.join(d),
        _ => d.to_path_buf(),
    });
    let mut places = policy::places(
        cwd.as_deref(),
        crate_dir.as_deref(),
        explicit.map(Path::to_path_buf),
    );
    // Paths under the working directory are shown (and entries named) relative to it:
    // `cargo-abi3.toml:7:8`, as the user sees the file.
    if let Some(cwd) = &cwd {
        let relative = |p: &mut std::path::PathBuf| {
            if let Ok(rest) = p.strip_prefix(cwd) {
                *p = rest.to_path_buf();
            }
        };
        places.dirs.iter_mut().for_each(relative);
        places.pyprojects.iter_mut().for_each(relative);
        places.manifests.iter_mut().for_each(relative);
        places.workspace_manifest.iter_mut().for_each(relative);
    }
    policy::discover(&places)
}

/// The policy's `deny`/`warn`/`allow` as overrides (the command line's come after them, and
/// the last word wins).
pub fn overrides(policy: &Policy) -> Vec<Override> {
    policy
        .levels
        .iter()
        .map(|&(code, level)| match level {
            Level::Deny => Override::Deny(code),
            Level::Warn => Override::Warn(code),
            Level::Allow => Override::Allow(code),
            // A level the hook gains later is not silently quieter: it denies.
            _ => Override::Deny(code),
        })
        .collect()
}

/// `extra-exports` entries with a `symbol` glob and no `path` accept exports one by one, as
/// `--allow-export` does (an extra-exports finding groups many exports).
fn is_export_entry(entry: &AllowFinding) -> bool {
    entry.code == Code::ExtraExports && entry.symbol.is_some() && entry.path.is_none()
}

/// The policy's export allowances, for the audit options.
pub fn export_allows(policy: &Policy) -> Vec<ExportAllow> {
    policy
        .allow_findings
        .iter()
        .filter(|e| is_export_entry(e))
        .map(|e| ExportAllow {
            pattern: e.symbol.clone().unwrap_or_default(),
            reason: Some(e.reason.clone()),
            by: Some(e.id.clone()),
        })
        .collect()
}

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// The names a finding's place goes by: the input as given and its file name, and with a
/// member `input!member` and `name!member`.
fn names(input: &InputReport, binary: Option<&BinaryReport>) -> Vec<String> {
    let name = file_name(&input.path);
    let mut names = vec![input.path.clone()];
    if name != input.path {
        names.push(name.to_owned());
    }
    if let Some(member) = binary.and_then(|b| b.member.as_ref()) {
        names.push(format!("{}!{member}", input.path));
        if name != input.path {
            names.push(format!("{name}!{member}"));
        }
    }
    names
}

fn accept(findings: &mut [Finding], entries: &[&AllowFinding], names: &[String]) {
    for finding in findings {
        if finding.allowed.is_some() || finding.is_input_error() {
            continue;
        }
        if let Some(entry) = entries.iter().find(|e| e.matches(finding, names)) {
            *finding = std::mem::replace(finding, Finding::new(Code::UnmatchedAllow, ""))
                .allow(entry.reason.clone(), entry.id.clone());
        }
    }
}

/// Applies the `[[allow-finding]]` entries to `report`, then reports each entry that
/// accepted nothing (and that this command could have matched) as `unmatched-allow`, in an
/// input of kind `config` for the policy file. `overrides` (policy and command line) apply
/// to those findings too: `--deny unmatched-allow` makes them errors.
pub fn apply(report: &mut Report, policy: &Policy, command: Command, overrides: &[Override]) {
    let mut applier = Applier::new(policy, command, overrides);
    applier.group(&mut report.inputs);
    report.inputs.extend(applier.finish());
}

/// Applies a policy to a run streamed in groups: [`Applier::group`] marks each group's
/// findings accepted by an `allow-finding` entry as it is done; [`Applier::finish`] gives the
/// policy file's own input with `unmatched-allow` for each entry that accepted nothing.
/// Across groups it keeps one flag per entry, never the inputs or their names.
pub struct Applier<'a> {
    policy: &'a Policy,
    command: Command,
    overrides: &'a [Override],
    entries: Vec<&'a AllowFinding>,
    /// Per `policy.allow_findings` entry: it accepted a finding; a path of the run matched it.
    used: Vec<bool>,
    named: Vec<bool>,
}

impl<'a> Applier<'a> {
    pub fn new(policy: &'a Policy, command: Command, overrides: &'a [Override]) -> Self {
        Applier {
            policy,
            command,
            overrides,
            entries: policy
                .allow_findings
                .iter()
                .filter(|e| !is_export_entry(e))
                .collect(),
            used: vec![false; policy.allow_findings.len()],
            named: vec![false; policy.allow_findings.len()],
        }
    }

    fn saw_names(&mut self, names: &[String]) {
        for (entry, named) in self.policy.allow_findings.iter().zip(&mut self.named) {
            if !*named && entry.names_any(names) {
                *named = true;
            }
        }
    }

    /// Accepts the findings of one finished group of inputs.
    pub fn group(&mut self, inputs: &mut [InputReport]) {
        for input in inputs.iter_mut() {
            let own = names(input, None);
            accept(&mut input.findings, &self.entries, &own);
            self.saw_names(&own);
            let binaries = std::mem::take(&mut input.binaries);
            let mut done = Vec::with_capacity(binaries.len());
            for mut binary in binaries {
                let names = names(input, Some(&binary));
                accept(&mut binary.findings, &self.entries, &names);
                self.saw_names(&names);
                done.push(binary);
            }
            input.binaries = done;
        }
        for input in inputs.iter() {
            for (_, finding) in input.all_findings() {
                let Some(allowed) = &finding.allowed else {
                    continue;
                };
                for (entry, used) in self.policy.allow_findings.iter().zip(&mut self.used) {
                    if entry.id == allowed.by {
                        *used = true;
                    }
                }
            }
        }
    }

    /// The policy file's input: `unmatched-allow` for each entry that accepted nothing
    /// (`None` when there is nothing to say).
    pub fn finish(self) -> Option<InputReport> {
        let mut config =
            InputReport::new(self.policy.file.display().to_string(), InputKind::Config);
        for ((entry, used), named) in self
            .policy
            .allow_findings
            .iter()
            .zip(&self.used)
            .zip(&self.named)
        {
            if *used || !self.command.can_emit(entry.code) || !named {
                continue;
            }
            let mut scope = Vec::new();
            if let Some(symbol) = &entry.symbol {
                scope.push(format!("symbol `{symbol}`"));
            }
            if let Some(path) = &entry.path {
                scope.push(format!("path `{path}`"));
            }
            let mut finding = Finding::new(
                Code::UnmatchedAllow,
                format!(
                    "the allow-finding for `{}`{} matched no finding",
                    entry.code,
                    if scope.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", scope.join(", "))
                    }
                ),
            )
            .span(
                self.policy
                    .source_span(&entry.span, "accepted nothing in this run"),
            )
            .note(format!("its reason: {}", entry.reason))
            .help("delete the entry, or correct its code, symbol or path");
            if let Some(symbol) = &entry.symbol {
                finding = finding.symbol(symbol.clone());
            }
            config.findings.push(finding);
        }
        if config.findings.is_empty() {
            return None;
        }
        apply_overrides(&mut config, self.overrides);
        Some(config)
    }
}

/// The report of a policy that cannot be used (exit 2): the file as the input, with the
/// error (its span points into the file).
pub fn error_report(finding: Finding, fallback: &Path) -> Report {
    let path = finding.span.as_ref().map_or_else(
        || fallback.display().to_string(),
        |s| s.file.display().to_string(),
    );
    let mut input = InputReport::new(path, InputKind::Config);
    input.findings.push(finding);
    Report {
        inputs: vec![input],
    }
}
