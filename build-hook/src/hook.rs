//! The `build.rs` entry point: read what the author declared and what PyO3 resolved, print the
//! findings as Cargo warnings/errors, and write the declaration the crate embeds.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::declaration::Declaration;
use crate::intent::{self, BuildEnv, IntentInputs};
use crate::manifest::Manifest;
use crate::policy;
use crate::pyo3_config::Pyo3Config;
use crate::pyproject::{self, PyProject};
use crate::render::render_cargo;
use crate::{AbiKind, Code, Finding, Severity};

/// The file `build.rs` writes into `OUT_DIR`; include it with
/// `include!(concat!(env!("OUT_DIR"), "/cargo_abi3_declaration.rs"));`.
pub const DECLARATION_FILE: &str = "cargo_abi3_declaration.rs";

/// What to do with findings of one code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Level {
    /// Do not report.
    Allow,
    /// `cargo::warning=`.
    Warn,
    /// `cargo::error=`: the build fails.
    Deny,
}

/// Configures and runs the build-script check. [`check`] is `Hook::new().run()`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Hook {
    levels: Vec<(Code, Level)>,
    embed: bool,
    pyproject: Option<PathBuf>,
}

impl Default for Hook {
    fn default() -> Self {
        Self::new()
    }
}

/// What a run found and wrote.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Outcome {
    /// Findings after per-code levels were applied (allowed ones removed).
    pub findings: Vec<Finding>,
    /// The declaration written to `OUT_DIR`, if any.
    pub declaration: Option<Declaration>,
    pub inputs: IntentInputs,
}

impl Outcome {
    pub fn has_errors(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity == Severity::Error && f.allowed.is_none())
    }
}

impl Hook {
    pub fn new() -> Self {
        Self {
            levels: Vec::new(),
            embed: true,
            pyproject: None,
        }
    }

    /// Report `code` as an error (fails the build).
    pub fn deny(self, code: Code) -> Self {
        self.level(code, Level::Deny)
    }

    /// Report `code` as a warning.
    pub fn warn(self, code: Code) -> Self {
        self.level(code, Level::Warn)
    }

    /// Do not report `code`.
    pub fn allow(self, code: Code) -> Self {
        self.level(code, Level::Allow)
    }

    pub fn level(mut self, code: Code, level: Level) -> Self {
        self.levels.retain(|(c, _)| *c != code);
        self.levels.push((code, level));
        self
    }

    /// Whether to write `$OUT_DIR/cargo_abi3_declaration.rs` (default: yes).
    pub fn embed_declaration(mut self, embed: bool) -> Self {
        self.embed = embed;
        self
    }

    /// Use this pyproject.toml instead of looking for one.
    pub fn pyproject(mut self, path: impl Into<PathBuf>) -> Self {
        self.pyproject = Some(path.into());
        self
    }

    /// Runs in a build script: reads the process environment, prints to stdout.
    pub fn run(self) -> Outcome {
        let stdout = std::io::stdout();
        let mut lock = stdout.lock();
        self.run_with(&|k| std::env::var(k).ok(), &mut lock)
    }

    /// Runs with an explicit environment and output (for tests and other drivers).
    pub fn run_with(self, get: &dyn Fn(&str) -> Option<String>, out: &mut dyn Write) -> Outcome {
        let mut findings = Vec::new();
        let mut sources: Vec<(PathBuf, String)> = Vec::new();
        let mut emit = |line: String| {
            let _ = writeln!(out, "{line}");
        };

        let Some(dir) = get("CARGO_MANIFEST_DIR").map(PathBuf::from) else {
            emit("cargo::warning=cargo-abi3-build-hook: CARGO_MANIFEST_DIR is not set; call check() from build.rs".into());
            return Outcome {
                findings,
                declaration: None,
                inputs: IntentInputs::default(),
            };
        };
        let cargo_toml = dir.join("Cargo.toml");
        emit(format!("cargo::rerun-if-changed={}", cargo_toml.display()));
        let manifest = read_source(&cargo_toml, &mut sources).and_then(|text| {
            Manifest::parse(&cargo_toml, &text).map_err(|e| Box::new(e.to_finding()))
        });
        let manifest = match manifest {
            Ok(m) => Some(m),
            Err(f) => {
                findings.push(*f);
                None
            }
        };

        let pyproject_path = self
            .pyproject
            .clone()
            .map(|p| if p.is_relative() { dir.join(p) } else { p })
            .or_else(|| locate_pyproject(&dir, &cargo_toml));
        let pyproject = pyproject_path.and_then(|p| {
            emit(format!("cargo::rerun-if-changed={}", p.display()));
            match read_source(&p, &mut sources)
                .and_then(|text| PyProject::parse(&p, &text).map_err(|e| Box::new(e.to_finding())))
            {
                Ok(pp) => Some(pp),
                Err(f) => {
                    findings.push(*f);
                    None
                }
            }
        });

        for var in intent::ENV_VARS {
            emit(format!("cargo::rerun-if-env-changed={var}"));
        }
        let config = match Pyo3Config::from_env(get) {
            Ok(c) => c,
            Err(e) => {
                findings.push(
                    Finding::new(Code::UnreadableInput, e.to_string())
                        .with_severity(Severity::Warning),
                );
                None
            }
        };
        if config.is_none() && manifest.as_ref().is_some_and(|m| m.depends_on_pyo3) {
            findings.push(
                Finding::new(
                    Code::Pyo3ConfigUnavailable,
                    "PyO3's resolved configuration is not visible to this build script",
                )
                .note("neither DEP_PYO3_PYTHON_PYO3_CONFIG nor DEP_PYTHON_PYO3_CONFIG is set; only declarations are checked")
                .help("depend on `pyo3` (0.30+) directly in [dependencies] of this crate"),
            );
        }
        let env = BuildEnv::from_env(get, manifest.as_ref());
        let config = config.map(|mut c| {
            env.correct_config(&mut c);
            c
        });
        // setuptools-rust, when no maturin pyproject claims the crate.
        let setuptools = if pyproject.as_ref().is_some_and(|p| p.maturin.is_some()) {
            None
        } else {
            crate::setuptools::locate(&cargo_toml)
        };
        let inputs = IntentInputs {
            manifest,
            pyproject,
            config,
            env,
            setuptools,
        };
        findings.extend(intent::check_intent(&inputs));

        // The policy file `cargo abi3` reads too: its severities, then this builder's.
        emit("cargo::rerun-if-env-changed=CARGO_ABI3_CONFIG".into());
        let mut places = policy::places(
            None,
            Some(&dir),
            get("CARGO_ABI3_CONFIG").map(|p| dir.join(p)),
        );
        if let Some(p) = &inputs.pyproject
            && !places.pyprojects.contains(&p.path)
        {
            places.pyprojects.insert(0, p.path.clone());
        }
        let policy = match policy::discover(&places) {
            Ok(policy) => policy,
            Err(f) => {
                if let Some(span) = &f.span
                    && let Ok(text) = std::fs::read_to_string(&span.file)
                {
                    sources.push((span.file.clone(), text));
                }
                findings.push(*f);
                None
            }
        };
        if let Some(p) = &policy {
            emit(format!("cargo::rerun-if-changed={}", p.file.display()));
        }
        let level_of = |code: Code| {
            self.levels
                .iter()
                .find(|(c, _)| *c == code)
                .or_else(|| policy.as_ref()?.levels.iter().find(|(c, _)| *c == code))
                .map(|(_, l)| *l)
        };
        let names = [cargo_toml.display().to_string(), "Cargo.toml".to_owned()];
        // Per-code levels, then the policy's scoped suppressions. Input errors (a manifest or
        // policy that cannot be read) can be neither demoted nor allowed.
        let findings: Vec<Finding> = findings
            .into_iter()
            .filter_map(|f| {
                let level = level_of(f.code);
                let mut f = policy::apply_level(f, level)?;
                if let Some(entry) = policy
                    .as_ref()
                    .and_then(|p| p.allow_findings.iter().find(|e| e.matches(&f, &names)))
                {
                    f = f.allow(entry.reason.clone(), entry.id.clone());
                }
                Some(f)
            })
            .collect();
        for f in findings
            .iter()
            .filter(|f| f.severity != Severity::Info && f.allowed.is_none())
        {
            let source = f.span.as_ref().and_then(|s| {
                sources
                    .iter()
                    .find(|(p, _)| *p == s.file)
                    .map(|(_, t)| t.as_str())
            });
            let _ = write!(out, "{}", render_cargo(f, source));
        }

        let declaration = if self.embed {
            get("OUT_DIR").and_then(|out_dir| {
                let d = declaration_for(&inputs);
                match write_declaration(&d, Path::new(&out_dir)) {
                    Ok(()) => Some(d),
                    Err(e) => {
                        let _ = writeln!(
                            out,
                            "cargo::warning=cargo-abi3-build-hook: cannot write the declaration: {e}"
                        );
                        None
                    }
                }
            })
        } else {
            None
        };
        Outcome {
            findings,
            declaration,
            inputs,
        }
    }
}

/// Runs the default check from `build.rs`: declared intent against PyO3's resolved config,
/// findings printed as `cargo::warning=`/`cargo::error=`, declaration written to `OUT_DIR`.
pub fn check() -> Outcome {
    Hook::new().run()
}

fn read_source(path: &Path, sources: &mut Vec<(PathBuf, String)>) -> Result<String, Box<Finding>> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            sources.push((path.to_path_buf(), text.clone()));
            Ok(text)
        }
        Err(e) => Err(Box::new(Finding::new(
            Code::UnreadableInput,
            format!("cannot read {}: {e}", path.display()),
        ))),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The pyproject.toml that builds the crate at `cargo_toml`: the one next to it (unless its
/// maturin `manifest-path` names another crate), else the nearest ancestor whose
/// `[tool.maturin] manifest-path` points at this Cargo.toml (at most 5 levels up).
pub fn locate_pyproject(dir: &Path, cargo_toml: &Path) -> Option<PathBuf> {
    let own = dir.join("pyproject.toml");
    if own.is_file() {
        match pyproject::read(&own) {
            Ok(p)
                if p.maturin
                    .as_ref()
                    .and_then(|m| m.manifest_path.as_ref())
                    .is_some() =>
            {
                if same_file(&p.cargo_manifest(), cargo_toml) {
                    return Some(own);
                }
            }
            // No manifest-path, or unparsable (reported by the caller): it is ours.
            _ => return Some(own),
        }
    }
    for ancestor in dir.ancestors().skip(1).take(5) {
        let candidate = ancestor.join("pyproject.toml");
        if !candidate.is_file() {
            continue;
        }
        if let Ok(p) = pyproject::read(&candidate)
            && same_file(&p.cargo_manifest(), cargo_toml)
        {
            return Some(candidate);
        }
    }
    None
}

/// The declaration to embed: the declared kind, its floor (or, for a bare `abi3`, the one PyO3
/// resolved) and the module name.
pub(crate) fn declaration_for(inputs: &IntentInputs) -> Declaration {
    let declared = intent::declared_intent(inputs);
    let resolved = inputs.config.as_ref().map(|c| (c.kind(), c.floor()));
    let floor = match (declared.kind, declared.floor, resolved) {
        (AbiKind::VersionSpecific, _, _) => None,
        (_, Some(f), _) => Some(f),
        (k, None, Some((rk, rf))) if k == rk => rf,
        _ => None,
    };
    Declaration {
        kind: declared.kind,
        floor,
        module: declared.module_name.filter(|m| {
            !m.is_empty()
                && m.bytes()
                    .all(|b| b.is_ascii_graphic() && b != b';' && b != b'=')
        }),
        tool: Some(format!(
            "cargo-abi3-build-hook-{}",
            env!("CARGO_PKG_VERSION")
        )),
    }
}

/// Writes `$OUT_DIR/cargo_abi3_declaration.rs` (only when its content changes).
pub(crate) fn write_declaration(d: &Declaration, out_dir: &Path) -> std::io::Result<()> {
    let src = d
        .to_rust_source()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.0))?;
    let path = out_dir.join(DECLARATION_FILE);
    if std::fs::read_to_string(&path).ok().as_deref() != Some(src.as_str()) {
        std::fs::write(&path, src)?;
    }
    Ok(())
}
