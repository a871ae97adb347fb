//! The report: what was audited and what the rules found, as data for the renderers.

pub mod extra;
pub mod github;
pub mod human;
pub mod json;
pub mod release_table;
pub mod sarif;
pub mod stream;

use cargo_abi3_build_hook::{AbiKind, PyVersion, Severity};
use serde::Serialize;

use crate::binary::{Arch, Format};
use crate::finding::Finding;
use crate::rules::{BinarySubject, ClaimSource, Role};
use crate::wheel::name::Tag;

/// Version of the JSON report format; bumped on incompatible changes.
pub const REPORT_VERSION: u32 = 1;

/// Everything one run found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub inputs: Vec<InputReport>,
}

/// What kind of input a path was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    Wheel,
    Binary,
    /// A path, directory or glob that yielded nothing, or could not be opened at all.
    Path,
    /// The interpreter or embedding program of `cargo abi3 host`.
    Host,
    /// A crate built and checked by `cargo abi3 check` (`path` is its Cargo.toml).
    Crate,
    /// The policy file (`cargo-abi3.toml`, …): its own errors and `unmatched-allow`.
    Config,
}

/// A wheel's tags as its file name states them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Tags {
    pub python: Vec<Tag>,
    pub abi: Vec<Tag>,
    pub platform: Vec<Tag>,
}

/// One input (a wheel, a loose binary, or a path that yielded nothing).
#[derive(Clone, Debug, Serialize)]
pub struct InputReport {
    pub path: String,
    pub kind: InputKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    /// The ABI the input is held to (`None`: a loose binary audited as abi3 by default).
    pub abi: Option<AbiKind>,
    pub claimed_floor: Option<PyVersion>,
    pub claim_source: ClaimSource,
    pub binaries: Vec<BinaryReport>,
    /// Findings about the input as a whole (tags, metadata, unreadable members).
    pub findings: Vec<Finding>,
    /// `cargo abi3 host`: the libraries the host puts in the global scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<extra::HostSection>,
    /// A wheel fetched from a package index: its URL, size and the bytes fetched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<extra::RemoteInfo>,
}

impl InputReport {
    /// An input with nothing claimed and nothing found yet.
    pub fn new(path: String, kind: InputKind) -> Self {
        InputReport {
            path,
            kind,
            tags: None,
            abi: None,
            claimed_floor: None,
            claim_source: ClaimSource::Unclaimed,
            binaries: Vec::new(),
            findings: Vec::new(),
            host: None,
            remote: None,
        }
    }
}

/// One binary, or one slice of a fat Mach-O file.
#[derive(Clone, Debug, Serialize)]
pub struct BinaryReport {
    /// Path inside the wheel; `None` for a loose binary.
    pub member: Option<String>,
    pub format: Format,
    pub arch: Arch,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fat_slice: Option<usize>,
    pub role: Role,
    /// Lowest version whose stable ABI covers every interpreter import (`None`: imports nothing
    /// from the interpreter).
    pub computed_floor: Option<PyVersion>,
    pub findings: Vec<Finding>,
}

impl BinaryReport {
    /// The report of one audited binary: what the subject says about it, and its findings.
    pub fn of(subject: &BinarySubject<'_>, member: Option<&str>, findings: Vec<Finding>) -> Self {
        let binary = subject.binary;
        BinaryReport {
            member: member.map(str::to_owned),
            format: binary.format,
            arch: binary.arch.clone(),
            fat_slice: binary.fat_slice,
            role: subject.role,
            computed_floor: subject.computed_floor(),
            findings,
        }
    }
}

/// Counts for the summary line and the exit code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub inputs: usize,
    pub binaries: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Inputs (or members) that could not be analysed.
    pub analysis_failures: usize,
    /// Findings accepted with a reason (policy `allow-finding`, `--allow-export`): listed,
    /// counted here and nowhere else.
    pub allowed: usize,
}

impl InputReport {
    /// Every finding of this input, its own first, then each binary's, with the binary.
    pub fn all_findings(&self) -> impl Iterator<Item = (Option<&BinaryReport>, &Finding)> {
        let own = self.findings.iter().map(|f| (None, f));
        let nested = self
            .binaries
            .iter()
            .flat_map(|b| b.findings.iter().map(move |f| (Some(b), f)));
        own.chain(nested)
    }
}

impl Summary {
    /// Counts one more input (streamed renderers keep only these counters across inputs).
    pub fn add(&mut self, input: &InputReport) {
        if input.kind != InputKind::Config {
            self.inputs += 1;
        }
        self.binaries += input.binaries.len();
        for (_, finding) in input.all_findings() {
            if finding.allowed.is_some() {
                self.allowed += 1;
                continue;
            }
            if finding.is_analysis_failure() {
                self.analysis_failures += 1;
            }
            match finding.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Info => self.infos += 1,
            }
        }
    }

    /// 0 clean, 1 error-level findings, 2 something could not be analysed.
    pub fn exit_code(&self) -> u8 {
        if self.analysis_failures > 0 {
            2
        } else if self.errors > 0 {
            1
        } else {
            0
        }
    }

    /// The verdict word of the summary lines.
    pub fn verdict(&self) -> &'static str {
        if self.analysis_failures > 0 {
            "could not analyse everything"
        } else if self.errors > 0 {
            "failed"
        } else {
            "ok"
        }
    }
}

impl Report {
    /// Every finding with the input and binary it belongs to.
    pub fn findings(
        &self,
    ) -> impl Iterator<Item = (&InputReport, Option<&BinaryReport>, &Finding)> {
        self.inputs
            .iter()
            .flat_map(|input| input.all_findings().map(move |(b, f)| (input, b, f)))
    }

    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for input in &self.inputs {
            summary.add(input);
        }
        summary
    }

    /// 0 clean, 1 error-level findings, 2 something could not be analysed.
    pub fn exit_code(&self) -> u8 {
        self.summary().exit_code()
    }
}

/// A path as CI tools want it: relative to the working directory, with `/`, when under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayPath {
    pub path: String,
    pub is_relative: bool,
}

/// [`DisplayPath`] of `path` (as printed in the report) against the working directory.
pub fn relative_to_cwd(path: &str) -> DisplayPath {
    let p = std::path::Path::new(path);
    let absolute = if p.is_absolute() {
        Some(p.to_path_buf())
    } else {
        std::env::current_dir().ok().map(|cwd| cwd.join(p))
    };
    let relative = absolute.as_ref().and_then(|abs| {
        let cwd = std::env::current_dir().ok()?;
        abs.strip_prefix(&cwd)
            .ok()
            .map(std::path::Path::to_path_buf)
    });
    match relative {
        Some(rel) => {
            let mut parts = Vec::new();
            for c in rel.components() {
                match c {
                    std::path::Component::Normal(n) => parts.push(n.to_string_lossy().into_owned()),
                    std::path::Component::CurDir => {}
                    // `..` or a root: not plainly under the working directory.
                    _ => {
                        return DisplayPath {
                            path: absolute
                                .as_ref()
                                .map_or_else(|| path.to_owned(), |a| a.display().to_string()),
                            is_relative: false,
                        };
                    }
                }
            }
            DisplayPath {
                path: parts.join("/"),
                is_relative: true,
            }
        }
        None => DisplayPath {
            path: absolute.map_or_else(|| path.to_owned(), |a| a.display().to_string()),
            is_relative: false,
        },
    }
}
