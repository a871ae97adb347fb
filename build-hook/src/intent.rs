//! The author's declared intent (Cargo features, pyproject) against what PyO3 resolved.
//!
//! Everything here is pure: [`IntentInputs`] holds parsed files, the resolved PyO3 config and
//! the few environment values that matter, so `cargo abi3 check` can build the same inputs
//! from a project directory and get the same findings as `build.rs`.
//!
//! How PyO3 (0.30.1) resolves the floor: each `abi3-py3X` feature enables the next higher one
//! (`abi3-py39 = ["abi3-py310", ...]`, up to `abi3`), and pyo3-build-config picks the
//! *lowest* `CARGO_FEATURE_ABI3_PY3X` that is set. Features unify across the dependency graph,
//! so the lowest `abi3-pyXY` requested by any crate wins. A bare `abi3` means "the build
//! interpreter's version" (capped at 3.15).

use crate::manifest::{FeatureOrigin, Manifest, Pyo3Feature, add_unique, dep_feature};
use crate::pyo3_config::Pyo3Config;
use crate::pyproject::{PyLimitedApi, PyProject, RequiresPythonFloor};
use crate::toml_util::SpannedStr;
use crate::{AbiKind, Code, Finding, PyVersion, Severity, SourceSpan};

/// The newest floor PyO3 0.30.1 knows (`abi3-py315`); newer interpreters need a
/// forward-compatibility variable.
pub const PYO3_MAX_KNOWN: PyVersion = PyVersion::new(3, 15);
/// The oldest floor PyO3 0.30.1 supports.
pub const PYO3_MIN_SUPPORTED: PyVersion = PyVersion::new(3, 9);

/// Environment variables that make PyO3 build for interpreters it does not know.
pub const FORWARD_COMPAT_VARS: [&str; 3] = [
    "PYO3_USE_ABI3_FORWARD_COMPATIBILITY",
    "PYO3_USE_ABI3T_FORWARD_COMPATIBILITY",
    "PYO3_USE_STABLE_ABI_FORWARD_COMPATIBILITY",
];

/// Every environment variable [`BuildEnv::from_env`] reads (for `rerun-if-env-changed`),
/// besides `CARGO_FEATURE_*`.
pub const ENV_VARS: [&str; 12] = [
    "CARGO_CFG_TARGET_OS",
    "CARGO_CFG_TARGET_ENV",
    "PYO3_BUILD_EXTENSION_MODULE",
    "PYO3_PYTHON",
    "PYO3_USE_ABI3_FORWARD_COMPATIBILITY",
    "PYO3_USE_ABI3T_FORWARD_COMPATIBILITY",
    "PYO3_USE_STABLE_ABI_FORWARD_COMPATIBILITY",
    "DEP_PYO3_PYTHON_PYO3_CONFIG",
    "DEP_PYTHON_PYO3_CONFIG",
    "PYO3_CONFIG_FILE",
    "PYO3_ENVIRONMENT_SIGNATURE",
    "PYTHON_SYS_EXECUTABLE",
];

/// The build environment values the checks use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BuildEnv {
    /// `CARGO_CFG_TARGET_OS` (`linux`, `macos`, `windows`, ...); `None` outside a build.
    pub target_os: Option<String>,
    /// `CARGO_CFG_TARGET_ENV` (`gnu`, `musl`, `android`...).
    pub target_env: Option<String>,
    /// `PYO3_BUILD_EXTENSION_MODULE`, if set.
    pub extension_module: Option<String>,
    /// Forward-compatibility variables that are set, with their values.
    pub forward_compat: Vec<(String, String)>,
    /// Crate features that are enabled (`CARGO_FEATURE_*` in a build script). `None`: not
    /// known, use `[features] default` plus pyproject's maturin features.
    pub active_features: Option<Vec<String>>,
    /// `PYO3_PYTHON`.
    pub pyo3_python: Option<String>,
    /// `PYO3_ENVIRONMENT_SIGNATURE` (`cpython-3.11-64bit`): maturin sets it for every build
    /// it runs, so it says the build is maturin's and which interpreter it is for.
    pub environment_signature: Option<String>,
    /// `PYO3_CONFIG_FILE`: with it, the config's `version=` is what the file says (maturin
    /// writes the abi3 floor there), not the interpreter's.
    pub config_file: Option<String>,
    /// Whether the build backend's own features (`[tool.maturin] features`, setuptools-rust's
    /// `pyo3/abi3-pyXY`) reach this build: under maturin or setuptools-rust (both set
    /// `PYTHON_SYS_EXECUTABLE`), and in `cargo abi3 check`, which passes them as they do; not
    /// in a plain `cargo build`.
    pub backend_features_active: bool,
    /// The interpreter the build is for, against which maturin's conditional features
    /// (`{ feature, python-version, python-implementation }`) are evaluated: from
    /// `PYO3_ENVIRONMENT_SIGNATURE` under maturin; `check` asks the interpreter it builds with.
    pub interpreter: Option<crate::pyproject::Interpreter>,
}

impl BuildEnv {
    /// Reads the environment of a build script; `manifest` names the crate features to look up.
    pub fn from_env(get: impl Fn(&str) -> Option<String>, manifest: Option<&Manifest>) -> Self {
        let active_features = manifest.map(|m| {
            m.features
                .iter()
                .filter_map(|r| match &r.origin {
                    FeatureOrigin::CrateFeature { feature } => Some(feature.clone()),
                    FeatureOrigin::Dependency { .. } => None,
                })
                .filter(|f| get(&crate::manifest::feature_env_name(f)).is_some())
                .collect()
        });
        BuildEnv {
            target_os: get("CARGO_CFG_TARGET_OS"),
            target_env: get("CARGO_CFG_TARGET_ENV"),
            extension_module: get("PYO3_BUILD_EXTENSION_MODULE"),
            forward_compat: FORWARD_COMPAT_VARS
                .iter()
                .filter_map(|v| get(v).map(|val| (v.to_string(), val)))
                .collect(),
            active_features,
            pyo3_python: get("PYO3_PYTHON"),
            environment_signature: get("PYO3_ENVIRONMENT_SIGNATURE"),
            config_file: get("PYO3_CONFIG_FILE"),
            backend_features_active: get("PYO3_ENVIRONMENT_SIGNATURE").is_some()
                || get("PYTHON_SYS_EXECUTABLE").is_some(),
            interpreter: get("PYO3_ENVIRONMENT_SIGNATURE")
                .as_deref()
                .and_then(signature_interpreter),
        }
    }

    /// The interpreter version of `PYO3_ENVIRONMENT_SIGNATURE` (`cpython-3.11-64bit`).
    pub(crate) fn signature_version(&self) -> Option<PyVersion> {
        let sig = self.environment_signature.as_deref()?;
        sig.split('-').nth(1)?.parse().ok()
    }

    /// Corrects a config read from `PYO3_CONFIG_FILE`: maturin writes the abi3 floor as
    /// `version=`, so the interpreter is the one `PYO3_ENVIRONMENT_SIGNATURE` names (or
    /// `PYO3_PYTHON`, for the executable).
    pub(crate) fn correct_config(&self, config: &mut Pyo3Config) {
        if self.config_file.is_none() {
            return;
        }
        if let Some(v) = self.signature_version() {
            config.version = v;
        }
        if config.executable.is_none() {
            config.executable = self.pyo3_python.clone();
        }
    }

    /// Whether PyO3 links libpython on this target no matter what (Windows, Android, iOS, AIX,
    /// Cygwin), mirroring `is_linking_libpython_for_target`.
    pub(crate) fn always_links_libpython(&self) -> bool {
        matches!(
            self.target_os.as_deref(),
            Some("windows" | "ios" | "aix" | "cygwin" | "android")
        ) || matches!(self.target_env.as_deref(), Some("android" | "androideabi"))
    }

    fn forward_compat_on(&self) -> Vec<&str> {
        self.forward_compat
            .iter()
            .filter(|(_, v)| v == "1")
            .map(|(k, _)| k.as_str())
            .collect()
    }
}

/// Everything the intent checks look at.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct IntentInputs {
    pub manifest: Option<Manifest>,
    pub pyproject: Option<PyProject>,
    /// PyO3's resolved config (`DEP_PYO3_PYTHON_PYO3_CONFIG`); `None` outside a build.
    pub config: Option<Pyo3Config>,
    pub env: BuildEnv,
    /// The setuptools-rust project that builds this crate, if that is its backend.
    pub setuptools: Option<crate::setuptools::SetuptoolsRust>,
}

/// Where a declaration was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum DeclSource {
    /// A PyO3 feature in Cargo.toml.
    CargoFeature,
    /// `[tool.maturin] features`.
    MaturinFeature,
    /// setuptools-rust `py_limited_api`.
    SetuptoolsRust,
}

/// One declaration of an ABI (and maybe a floor) in a manifest, with where it is written (not
/// the [`crate::declaration::Declaration`] record a build embeds).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct AbiDeclaration {
    pub kind: AbiKind,
    /// `None` for bare `abi3`/`abi3t` (the build interpreter's version).
    pub floor: Option<PyVersion>,
    pub source: DeclSource,
    /// The text as written, e.g. `"pyo3/abi3-py39"`.
    pub text: String,
    pub span: SourceSpan,
}

/// What the author declared, combined the way PyO3 combines it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct DeclaredIntent {
    pub kind: AbiKind,
    /// The floor PyO3 would pick from the declarations (the lowest explicit one); `None` for
    /// version-specific builds and for a bare `abi3` (floats with the interpreter).
    pub floor: Option<PyVersion>,
    /// Both abi3 and abi3t are declared: PyO3 builds abi3 below CPython 3.15 and abi3t from
    /// 3.15, and `kind`/`floor` are the ones that apply to this build.
    pub abi3_abi3t_fallback: bool,
    /// Every active declaration, in file order.
    pub declarations: Vec<AbiDeclaration>,
    /// Declarations not counted (disabled crate features, conditional maturin features).
    pub inactive: Vec<AbiDeclaration>,
    /// `[tool.maturin] features` in a build maturin does not run (a plain `cargo build`):
    /// they do not shape this build, but they still must agree with Cargo.toml.
    pub maturin_only: Vec<AbiDeclaration>,
    /// The extension's module name, if known (maturin `module-name`, else the lib name).
    pub module_name: Option<String>,
    /// Whether PyO3's deprecated `extension-module` feature is requested.
    pub extension_module_feature: bool,
}

impl DeclaredIntent {
    /// The declaration that sets [`DeclaredIntent::floor`], if any.
    pub fn floor_declaration(&self) -> Option<&AbiDeclaration> {
        self.declarations
            .iter()
            .filter(|d| d.kind == self.kind && d.floor.is_some())
            .min_by_key(|d| d.floor)
    }

    fn floats(&self) -> bool {
        self.kind.is_stable() && self.floor.is_none()
    }
}

fn span(file: &std::path::Path, s: &SpannedStr, label: &str) -> SourceSpan {
    s.source_span(file, label)
}

fn feature_decl(
    feature: Pyo3Feature,
    source: DeclSource,
    text: &SpannedStr,
    file: &std::path::Path,
) -> Option<AbiDeclaration> {
    let (kind, floor) = match feature {
        Pyo3Feature::Abi3(f) => (AbiKind::Abi3, f),
        Pyo3Feature::Abi3t(f) => (AbiKind::Abi3t, f),
        Pyo3Feature::ExtensionModule => return None,
    };
    Some(AbiDeclaration {
        kind,
        floor,
        source,
        text: text.value.clone(),
        span: span(file, text, "declared here"),
    })
}

/// `cpython-3.11-64bit` → CPython 3.11 (maturin's `PYO3_ENVIRONMENT_SIGNATURE`).
pub fn signature_interpreter(signature: &str) -> Option<crate::pyproject::Interpreter> {
    let mut parts = signature.split('-');
    let implementation = parts.next()?.to_owned();
    let version = parts.next()?.parse().ok()?;
    Some(crate::pyproject::Interpreter {
        implementation,
        version,
    })
}

/// Combines Cargo.toml features and pyproject declarations into the declared intent.
pub fn declared_intent(inputs: &IntentInputs) -> DeclaredIntent {
    let mut active: Vec<AbiDeclaration> = Vec::new();
    let mut inactive: Vec<AbiDeclaration> = Vec::new();
    let mut maturin_only: Vec<AbiDeclaration> = Vec::new();
    let mut extension_module_feature = false;

    // Crate features: from the build environment, else default + maturin's plain features.
    let enabled: Vec<String> = match (&inputs.env.active_features, &inputs.manifest) {
        (Some(set), _) => set.clone(),
        (None, Some(m)) => {
            let mut s = m.default_enabled();
            if let Some(mat) = inputs.pyproject.as_ref().and_then(|p| p.maturin.as_ref()) {
                for f in &mat.features {
                    let applies = f.applies_to(inputs.env.interpreter.as_ref()) == Some(true);
                    if applies && !f.feature.value.contains('/') {
                        add_unique(&mut s, &f.feature.value);
                    }
                }
            }
            s
        }
        (None, None) => Vec::new(),
    };

    if let Some(m) = &inputs.manifest {
        for r in &m.features {
            let is_active = match &r.origin {
                FeatureOrigin::Dependency { .. } => true,
                FeatureOrigin::CrateFeature { feature } => enabled.contains(feature),
            };
            if r.feature == Pyo3Feature::ExtensionModule && is_active {
                extension_module_feature = true;
            }
            if let Some(d) = feature_decl(r.feature, DeclSource::CargoFeature, &r.text, &m.path) {
                if is_active {
                    &mut active
                } else {
                    &mut inactive
                }
                .push(d);
            }
        }
    }
    if let Some(p) = &inputs.pyproject {
        if let Some(mat) = &p.maturin {
            let aliases = [];
            for f in &mat.features {
                let Some(feature) = dep_feature(&f.feature.value, &aliases) else {
                    continue;
                };
                // maturin passes its features to cargo (the conditional ones when the
                // interpreter matches); a plain `cargo build` does not.
                let reaches_build = inputs.env.backend_features_active
                    && f.applies_to(inputs.env.interpreter.as_ref()) == Some(true);
                if feature == Pyo3Feature::ExtensionModule && reaches_build {
                    extension_module_feature = true;
                }
                if let Some(d) =
                    feature_decl(feature, DeclSource::MaturinFeature, &f.feature, &p.path)
                {
                    if reaches_build {
                        active.push(d)
                    } else if !f.is_conditional() {
                        maturin_only.push(d)
                    } else {
                        inactive.push(d)
                    }
                }
            }
        }
        for ext in p
            .setuptools_rust
            .iter()
            .filter(|_| inputs.setuptools.is_none())
        {
            if let Some((PyLimitedApi::Floor(v), range)) = &ext.py_limited_api {
                let text = SpannedStr {
                    value: v.cp_tag(),
                    span: range.clone(),
                };
                active.push(AbiDeclaration {
                    kind: AbiKind::Abi3,
                    floor: Some(*v),
                    source: DeclSource::SetuptoolsRust,
                    text: text.value.clone(),
                    span: span(&p.path, &text, "declared here"),
                });
            }
        }
    }

    // setuptools-rust: bdist_wheel's `py_limited_api = cp39` is the intent (and, with the
    // extension's `py_limited_api = "auto"`, it adds `pyo3/abi3-py39` to the build itself).
    if let Some(st) = &inputs.setuptools
        && inputs.env.backend_features_active
        && st.is_limited()
        && let Some(l) = &st.limited_api
    {
        active.push(AbiDeclaration {
            kind: AbiKind::Abi3,
            floor: Some(l.version),
            source: DeclSource::SetuptoolsRust,
            text: format!("py_limited_api = {}", l.text),
            span: SourceSpan {
                file: l.file.clone(),
                start: l.span.start,
                end: l.span.end,
                label: "declared here".into(),
            },
        });
    }
    let has_abi3 = active.iter().any(|d| d.kind == AbiKind::Abi3);
    let has_abi3t = active.iter().any(|d| d.kind == AbiKind::Abi3t);
    let kind = match (has_abi3, has_abi3t) {
        // The supported fallback: PyO3 (and maturin) build abi3 below 3.15 and abi3t from
        // 3.15. What applies is what PyO3 resolved; without a build, abi3, whose floor is the
        // oldest interpreter the project serves.
        (true, true) => match &inputs.config {
            Some(c) if c.kind() == AbiKind::Abi3t => AbiKind::Abi3t,
            _ => AbiKind::Abi3,
        },
        (false, true) => AbiKind::Abi3t,
        (true, false) => AbiKind::Abi3,
        (false, false) => AbiKind::VersionSpecific,
    };
    let floor = active
        .iter()
        .filter(|d| d.kind == kind)
        .filter_map(|d| d.floor)
        .min();
    let module_name = inputs
        .setuptools
        .as_ref()
        .map(crate::setuptools::SetuptoolsRust::module_name)
        .or_else(|| {
            inputs
                .pyproject
                .as_ref()
                .and_then(PyProject::extension_name)
        })
        .or_else(|| {
            inputs
                .manifest
                .as_ref()
                .and_then(Manifest::default_module_name)
        });
    DeclaredIntent {
        kind,
        floor,
        abi3_abi3t_fallback: has_abi3 && has_abi3t,
        declarations: active,
        inactive,
        maturin_only,
        module_name,
        extension_module_feature,
    }
}

/// The ABI and floor the build will produce: the resolved config when known, else the
/// declaration.
pub(crate) fn effective(
    inputs: &IntentInputs,
    declared: &DeclaredIntent,
) -> (AbiKind, Option<PyVersion>) {
    match &inputs.config {
        Some(c) => (c.kind(), c.floor()),
        None => (declared.kind, declared.floor),
    }
}

fn describe(d: &AbiDeclaration) -> String {
    let place = match d.source {
        DeclSource::CargoFeature => "Cargo.toml",
        DeclSource::MaturinFeature => "[tool.maturin] features",
        DeclSource::SetuptoolsRust => "setuptools-rust py_limited_api",
    };
    format!("`{}` in {} ({})", d.text, place, d.span.file.display())
}

fn interpreter(c: &Pyo3Config) -> String {
    let mut s = format!("{} {}", c.implementation, c.version);
    if c.interpreter_free_threaded() {
        s.push_str(" (free-threaded)");
    }
    if let Some(e) = &c.executable {
        s.push_str(&format!(" at {e}"));
    }
    s
}

/// Runs every intent check.
pub fn check_intent(inputs: &IntentInputs) -> Vec<Finding> {
    let declared = declared_intent(inputs);
    let mut out = Vec::new();
    check_declarations_agree(&declared, &mut out);
    if let Some(config) = &inputs.config {
        check_resolved(inputs, &declared, config, &mut out);
    }
    check_requires_python(inputs, &declared, &mut out);
    check_extension_module(inputs, &declared, &mut out);
    out
}

/// `floor-mismatch`: two explicit floors of the same kind disagree.
fn check_declarations_agree(declared: &DeclaredIntent, out: &mut Vec<Finding>) {
    let explicit: Vec<&AbiDeclaration> = declared
        .declarations
        .iter()
        .chain(&declared.maturin_only)
        .filter(|d| d.kind == declared.kind && d.floor.is_some())
        .collect();
    let floors = explicit.iter().filter_map(|d| d.floor);
    let (Some(low), Some(high)) = (floors.clone().min(), floors.max()) else {
        return;
    };
    if low == high {
        return;
    }
    let overridden = explicit
        .iter()
        .find(|d| d.floor == Some(high))
        .expect("a declaration has the highest floor");
    let mut f = Finding::new(
        Code::FloorMismatch,
        format!(
            "the {} floor is declared as both {low} and {high}",
            declared.kind
        ),
    )
    .span(SourceSpan {
        label: format!("PyO3 ignores this: the lowest floor ({low}) wins"),
        ..overridden.span.clone()
    });
    for d in &explicit {
        f = f.note(format!(
            "{} declares {}",
            describe(d),
            d.floor.expect("explicit")
        ));
    }
    f = f
        .note("features unify and PyO3 builds for the lowest `abi3-pyXY` that is enabled")
        .help(format!(
            "declare one floor: if {high} is meant, raise every declaration to `{}`; \
             otherwise drop `{}`",
            high.pyo3_feature(),
            overridden.text
        ));
    out.push(f);
}

/// Declared intent against the resolved config.
fn check_resolved(
    inputs: &IntentInputs,
    declared: &DeclaredIntent,
    config: &Pyo3Config,
    out: &mut Vec<Finding>,
) {
    let resolved_kind = config.kind();
    let forward = inputs.env.forward_compat_on();
    let anchor = declared.floor_declaration().or_else(|| {
        declared
            .declarations
            .iter()
            .find(|d| d.kind == declared.kind)
    });

    // Forward-compatibility: a variable changed what gets built.
    if !forward.is_empty() {
        let vars = forward.join(", ");
        if declared.kind == AbiKind::VersionSpecific && resolved_kind.is_stable() {
            out.push(
                Finding::new(
                    Code::ForwardCompatOverride,
                    format!("{vars} turned a version-specific build into an {resolved_kind} build"),
                )
                .note(format!("build interpreter: {}", interpreter(config)))
                .note("no abi3 feature is declared in Cargo.toml or pyproject.toml")
                .help(format!(
                    "unset {vars}, or declare the ABI: add the feature `{}` to pyo3",
                    config.target_abi.version.pyo3_feature()
                )),
            );
        } else if config.version > PyVersion::new(3, PYO3_MAX_KNOWN.minor + 1) {
            let mut f = Finding::new(
                Code::ForwardCompatOverride,
                format!(
                    "{vars} lets PyO3 build for {} {}, newer than it supports",
                    config.implementation, config.version
                ),
            )
            .note(format!("build interpreter: {}", interpreter(config)))
            .note(format!(
                "the result is a forward build: {} with PyO3's {} definitions",
                match config.floor() {
                    Some(fl) => format!("{resolved_kind} floor {fl}"),
                    None => format!("a version-specific build for {}", config.version),
                },
                PYO3_MAX_KNOWN
            ))
            .help(format!(
                "unset {vars} and upgrade PyO3, or build with an interpreter <= {PYO3_MAX_KNOWN}"
            ));
            if let Some(a) = anchor {
                f = f.span(a.span.clone());
            }
            out.push(f);
        }
    }

    // A stable intent that resolved to something else.
    if declared.kind.is_stable() && resolved_kind != declared.kind {
        let cause = if config.implementation != "CPython" {
            format!(
                "{} does not provide the stable ABI, so PyO3 builds for the interpreter",
                config.implementation
            )
        } else if declared.kind == AbiKind::Abi3t && config.version < PyVersion::ABI3T_START {
            format!(
                "abi3t exists from CPython {}; the build interpreter is {}",
                PyVersion::ABI3T_START,
                config.version
            )
        } else if config.interpreter_free_threaded() {
            format!(
                "a free-threaded CPython {} cannot build abi3 (only abi3t, from 3.15)",
                config.version
            )
        } else {
            format!("PyO3 resolved {}", config.target_abi.version)
        };
        let help = if config.implementation != "CPython" {
            "build with CPython: PYO3_PYTHON=python3.X (maturin: -i python3.X)".to_owned()
        } else if declared.kind == AbiKind::Abi3t {
            format!(
                "build with CPython >= {}: PYO3_PYTHON=python{} (maturin: -i python{})",
                PyVersion::ABI3T_START,
                PyVersion::ABI3T_START,
                PyVersion::ABI3T_START
            )
        } else {
            "build with a GIL-enabled CPython: PYO3_PYTHON=python3.X".to_owned()
        };
        let what = match resolved_kind {
            AbiKind::VersionSpecific => format!(
                "a version-specific build for {} {}",
                config.implementation, config.version
            ),
            other => format!("an {other} build"),
        };
        let mut f = Finding::new(
            Code::SilentVersionSpecificBuild,
            format!("the {} intent resolved to {what}", declared.kind),
        )
        .note(cause)
        .note(format!("build interpreter: {}", interpreter(config)))
        .note(format!(
            "the artifact will load only where {what} loads, not on every interpreter the {} tag promises",
            declared.kind
        ))
        .help(help);
        if let Some(a) = anchor {
            f = f.span(a.span.clone());
        }
        out.push(f);
        return;
    }

    if declared.kind == AbiKind::VersionSpecific && resolved_kind.is_stable() && forward.is_empty()
    {
        out.push(
            Finding::new(
                Code::FeatureFloorMismatch,
                format!(
                    "PyO3 builds {resolved_kind} (floor {}) but this crate declares no {resolved_kind} feature",
                    config.target_abi.version
                ),
            )
            .note("another crate in the dependency graph (or --features) enabled it; features unify")
            .help(format!(
                "declare it: add `{}` to pyo3's features (find the source with `cargo tree -e features -i pyo3`)",
                config.target_abi.version.pyo3_feature()
            ))
            .with_severity(Severity::Warning),
        );
        return;
    }

    // Same stable kind: compare floors.
    if let (Some(resolved), true) = (config.floor(), resolved_kind == declared.kind) {
        if let Some(declared_floor) = declared.floor
            && declared_floor != resolved
        {
            let d = declared.floor_declaration().expect("explicit floor");
            let cause = if resolved < declared_floor {
                format!(
                    "another crate in the dependency graph enables `{}`; features unify and \
                         PyO3 builds for the lowest abi3 feature enabled anywhere",
                    resolved.pyo3_feature()
                )
            } else {
                format!(
                    "PyO3 raised the floor to {resolved} (the interpreter or PyO3 version \
                         cannot build for {declared_floor})"
                )
            };
            out.push(
                    Finding::new(
                        Code::FeatureFloorMismatch,
                        format!(
                            "Cargo.toml declares the {} floor {declared_floor} but PyO3 builds for {resolved}",
                            declared.kind
                        ),
                    )
                    .span(SourceSpan {
                        label: format!("declares {declared_floor}"),
                        ..d.span.clone()
                    })
                    .note(cause)
                    .note(format!("build interpreter: {}", interpreter(config)))
                    .help(if resolved < declared_floor {
                        format!(
                            "lower the feature to `{}` to match, or remove `{}` from the \
                             dependency that enables it (`cargo tree -e features -i pyo3`)",
                            resolved.pyo3_feature(),
                            resolved.pyo3_feature()
                        )
                    } else {
                        format!("raise the feature to `{}`", resolved.pyo3_feature())
                    }),
                );
        }
        if config.version < resolved {
            out.push(
                Finding::new(
                    Code::FeatureFloorMismatch,
                    format!(
                        "the build interpreter ({}) is older than the {} floor {resolved}",
                        config.version, resolved_kind
                    ),
                )
                .note("PyO3 builds for the floor anyway; the extension cannot be imported by the interpreter that built it")
                .help(format!(
                    "build with Python >= {resolved} (PYO3_PYTHON=python{resolved}), or lower the feature to `{}`",
                    config.version.pyo3_feature()
                ))
                .with_severity(Severity::Warning),
            );
        }
    }
}

/// `requires-python-below-floor`.
fn check_requires_python(inputs: &IntentInputs, declared: &DeclaredIntent, out: &mut Vec<Finding>) {
    let Some(p) = &inputs.pyproject else { return };
    let Some(rp) = &p.requires_python else { return };
    let (mut kind, mut floor) = effective(inputs, declared);
    if declared.abi3_abi3t_fallback && kind == AbiKind::Abi3t {
        // Interpreters below 3.15 get the abi3 build: its floor is the project's.
        kind = AbiKind::Abi3;
        floor = declared
            .declarations
            .iter()
            .filter(|d| d.kind == AbiKind::Abi3)
            .filter_map(|d| d.floor)
            .min();
    }
    if !kind.is_stable() {
        return;
    }
    let Some(floor) = floor else { return };
    // A floor from a conditional maturin feature (`python-version = ">=3.11"`) is this
    // interpreter's: maturin builds older interpreters with other features, another wheel.
    if let (Some(d), Some(m)) = (declared.floor_declaration(), &p.maturin)
        && d.source == DeclSource::MaturinFeature
        && m.features
            .iter()
            .any(|f| f.is_conditional() && f.feature.value == d.text)
    {
        return;
    }
    let lowest = match p.requires_python_floor() {
        Some(RequiresPythonFloor::Version(v)) => v,
        // Admits no 3.X at all, or cannot be read: nothing below the floor to report.
        _ => return,
    };
    if lowest >= floor {
        return;
    }
    let admitted = lowest.to_string();
    let mut f = Finding::new(
        Code::RequiresPythonBelowFloor,
        format!(
            "requires-python `{}` admits {admitted}, below the {kind} floor {floor}",
            rp.value
        ),
    )
    .span(rp.source_span(&p.path, format!("admits {admitted}")))
    .note(format!(
        "installers on {} find no compatible wheel and build the sdist instead",
        if lowest.minor + 1 == floor.minor {
            format!("Python {lowest}")
        } else {
            format!(
                "Python {lowest} to {}",
                PyVersion::new(floor.major, floor.minor.saturating_sub(1))
            )
        }
    ));
    if let Some(d) = declared.floor_declaration() {
        f = f.note(format!("the floor comes from {}", describe(d)));
    } else if declared.floats() {
        f = f.note(format!(
            "a bare `{}` feature floats with the build interpreter, which is {floor} here",
            declared.kind
        ));
    }
    let mut help = format!("set requires-python = \">={floor}\"");
    if lowest >= PYO3_MIN_SUPPORTED && kind == AbiKind::Abi3 {
        help.push_str(&format!(
            ", or lower the floor to `{}`",
            lowest.pyo3_feature()
        ));
    }
    if declared.floats() {
        help.push_str(&format!(
            "; pin the floor with `{}` instead of a bare `abi3`",
            if lowest >= PYO3_MIN_SUPPORTED {
                lowest
            } else {
                floor
            }
            .pyo3_feature()
        ));
    }
    out.push(f.help(help));
}

/// `extension-module-not-set`.
fn check_extension_module(
    inputs: &IntentInputs,
    declared: &DeclaredIntent,
    out: &mut Vec<Finding>,
) {
    let env = &inputs.env;
    let Some(os) = env.target_os.as_deref() else {
        return;
    };
    let Some(m) = &inputs.manifest else { return };
    if !m.depends_on_pyo3 || !m.builds_cdylib() || env.always_links_libpython() {
        return;
    }
    if env.extension_module.is_some() || declared.extension_module_feature {
        return;
    }
    if inputs
        .config
        .as_ref()
        .is_some_and(|c| c.suppress_build_script_link_lines)
    {
        return;
    }
    let lib = inputs
        .config
        .as_ref()
        .and_then(|c| c.lib_name.clone())
        .unwrap_or_else(|| "python3.X".into());
    out.push(
        Finding::new(
            Code::ExtensionModuleNotSet,
            format!("this build links lib{lib} into the extension (PYO3_BUILD_EXTENSION_MODULE is not set)"),
        )
        .note(format!(
            "on {os}, PyO3 >= 0.26 links libpython unless PYO3_BUILD_EXTENSION_MODULE is set; \
             maturin >= 1.9.4 sets it"
        ))
        .note("such a .so fails `links-libpython` and breaks under statically linked interpreters")
        .help("build with maturin, or `export PYO3_BUILD_EXTENSION_MODULE=1` before `cargo build`"),
    );
}

#[cfg(test)]
mod tests;
