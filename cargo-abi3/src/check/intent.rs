//! Declared intent (Cargo.toml features, pyproject) against what the build resolved
//! (pyo3-ffi's config and cfgs) and the tag maturin would predict: the build hook's checks,
//! fed from a finished build instead of a build script's environment.

use std::path::Path;

use cargo_abi3_build_hook::intent::{self, BuildEnv, FORWARD_COMPAT_VARS, IntentInputs};
use cargo_abi3_build_hook::pyo3_config::Pyo3Config;
use cargo_abi3_build_hook::setuptools::{self, SetuptoolsRust};
use cargo_abi3_build_hook::{AbiKind, PyVersion, SourceSpan, hook, manifest, pyproject, wheel};

use super::build::{Cdylib, Pyo3Build};
use crate::binary::{Binary, Format};
use crate::finding::Finding;
use crate::rules::{Claim, ClaimSource};

/// What a cdylib is held to, and what its declarations say about themselves.
#[derive(Clone, Debug)]
pub struct CrateIntent {
    pub claim: Claim,
    /// Intent findings (feature vs config vs requires-python), with spans into the files.
    pub findings: Vec<Finding>,
    /// The text that sets the floor (`"abi3-py39"` in Cargo.toml), for binary findings.
    pub floor_span: Option<SourceSpan>,
    /// The wheel tag maturin would give the build.
    pub predicted_tag: Option<cargo_abi3_build_hook::wheel::WheelTag>,
    /// The file name the build tool installs the module as (`name.abi3.so`).
    pub installed_name: String,
    /// Whether the platform tag is refined from the binary as maturin's auditwheel does
    /// (setuptools' `bdist_wheel` writes the plain `linux_x86_64`).
    pub audited_platform: bool,
    /// The build backend whose tag is predicted.
    pub backend: Backend,
    /// The crate builds a Python module: it depends on PyO3, or a Python build backend
    /// (maturin's pyproject, setuptools-rust) builds it. A plain C-ABI cdylib of the
    /// workspace is not judged as a module.
    pub python_module: bool,
}

/// Which tool's wheel `check` predicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Maturin,
    SetuptoolsRust,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Maturin => "maturin",
            Backend::SetuptoolsRust => "setuptools-rust",
        }
    }
}

/// The ABI PyO3 built for, from pyo3-ffi's cfgs (`Py_LIMITED_API`, `Py_3_X`,
/// `Py_GIL_DISABLED`): the highest `Py_3_X` is the floor of an abi3 build, the interpreter
/// version otherwise.
pub fn resolved_from_cfgs(cfgs: &[String]) -> Option<(AbiKind, PyVersion)> {
    let version = cfgs
        .iter()
        .filter_map(|c| c.strip_prefix("Py_3_")?.parse::<u8>().ok())
        .max()
        .map(|minor| PyVersion::new(3, minor))?;
    let limited = cfgs.iter().any(|c| c == "Py_LIMITED_API");
    let gil_disabled = cfgs.iter().any(|c| c == "Py_GIL_DISABLED");
    let kind = match (limited, gil_disabled) {
        (true, true) => AbiKind::Abi3t,
        (true, false) => AbiKind::Abi3,
        (false, _) => AbiKind::VersionSpecific,
    };
    Some((kind, version))
}

/// The build environment as `cargo abi3 check` ran it, with the crate features it enabled.
fn build_env(features: Vec<String>, target: Option<&str>) -> BuildEnv {
    let var = |name: &str| std::env::var(name).ok();
    let (target_os, target_env) = match target {
        Some(triple) => target_os_env(triple),
        None => (
            Some(std::env::consts::OS.to_owned()),
            Some(
                if cfg!(target_env = "musl") {
                    "musl"
                } else if cfg!(target_env = "msvc") {
                    "msvc"
                } else {
                    "gnu"
                }
                .to_owned(),
            ),
        ),
    };
    let mut env = BuildEnv::default();
    env.target_os = target_os;
    env.target_env = target_env;
    // `check` sets it when the user has not.
    env.extension_module = Some(var("PYO3_BUILD_EXTENSION_MODULE").unwrap_or_else(|| "1".into()));
    env.forward_compat = FORWARD_COMPAT_VARS
        .iter()
        .filter_map(|v| var(v).map(|val| (v.to_string(), val)))
        .collect();
    env.active_features = Some(features);
    env.pyo3_python = var("PYO3_PYTHON");
    env.backend_features_active = true;
    env
}

/// `(os, env)` of a target triple, as Cargo's `CARGO_CFG_TARGET_OS`/`_ENV` would say.
fn target_os_env(triple: &str) -> (Option<String>, Option<String>) {
    let os = if triple.contains("windows") {
        "windows"
    } else if triple.contains("apple-darwin") {
        "macos"
    } else if triple.contains("android") {
        "android"
    } else if triple.contains("apple-ios") {
        "ios"
    } else if triple.contains("linux") {
        "linux"
    } else {
        triple.split('-').nth(2).unwrap_or("unknown")
    };
    let env = triple
        .rsplit('-')
        .next()
        .filter(|e| ["gnu", "musl", "msvc", "android", "androideabi"].contains(e));
    (Some(os.to_owned()), env.map(str::to_owned))
}

/// The platform part of the wheel tag maturin would write (before manylinux auditing).
fn platform_tag(target: Option<&str>) -> String {
    let triple = target
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS));
    let arch = triple.split('-').next().unwrap_or("unknown");
    if triple.contains("windows") {
        match arch {
            "x86_64" => "win_amd64".into(),
            "aarch64" => "win_arm64".into(),
            _ => "win32".into(),
        }
    } else if triple.contains("darwin") || triple.contains("macos") {
        format!(
            "macosx_11_0_{}",
            if arch == "aarch64" { "arm64" } else { arch }
        )
    } else {
        format!("linux_{arch}")
    }
}

/// The platform tag maturin gives a Linux artifact: it audits the binary and picks the most
/// compatible manylinux policy it satisfies, never below manylinux2014 (glibc 2.17), or
/// musllinux_1_2 on musl. Returns `None` for other platforms or binaries.
pub fn linux_platform_from_binary(platform: &str, binaries: &[Binary]) -> Option<String> {
    let arch = platform.strip_prefix("linux_")?;
    let binary = binaries.first().filter(|b| b.format == Format::Elf)?;
    let needs_musl = binary
        .needed
        .iter()
        .any(|n| n.name.starts_with("libc.musl-"));
    if needs_musl {
        return Some(format!("musllinux_1_2_{arch}"));
    }
    let glibc_minor = binary
        .imports
        .iter()
        .filter_map(|i| i.version.as_deref()?.strip_prefix("GLIBC_2."))
        .filter_map(|v| v.split('.').next()?.parse::<u32>().ok())
        .max()
        .unwrap_or(0)
        .max(17);
    Some(format!("manylinux_2_{glibc_minor}_{arch}"))
}

/// The crate's Cargo.toml and its pyproject.toml (found as the build hook finds it). A
/// malformed file is an `unreadable-input` finding pointing at the error.
pub type Declarations = (
    manifest::Manifest,
    Option<pyproject::PyProject>,
    Option<SetuptoolsRust>,
);

/// The crate's Cargo.toml, its pyproject.toml and, when no maturin pyproject claims it, the
/// setuptools-rust project that builds it (with `--py-limited-api` applied).
pub fn read_declarations(
    manifest_path: &Path,
    py_limited_api: Option<PyVersion>,
) -> Result<Declarations, Box<Finding>> {
    let manifest = manifest::read(manifest_path).map_err(|e| Box::new(e.to_finding()))?;
    let dir = manifest_path.parent().unwrap_or(Path::new("."));
    let pyproject = match hook::locate_pyproject(dir, manifest_path) {
        Some(path) => Some(pyproject::read(&path).map_err(|e| Box::new(e.to_finding()))?),
        None => None,
    };
    let setuptools = if pyproject.as_ref().is_some_and(|p| p.maturin.is_some()) {
        None
    } else {
        setuptools::locate(manifest_path).map(|s| s.with_command_line(py_limited_api))
    };
    Ok((manifest, pyproject, setuptools))
}

/// What the build backend adds to the cargo build of one crate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BackendBuild {
    pub features: Vec<String>,
    pub all_features: bool,
    pub no_default_features: bool,
    /// Further cargo arguments (setuptools-rust's `args` and `cargo_manifest_args`).
    pub cargo_args: Vec<String>,
}

/// What the build backend passes to cargo for this crate, as it would for `interpreter`:
/// - maturin: `[tool.maturin] features` (the plain ones, and the conditional ones whose
///   `python-version`/`python-implementation` match the interpreter), but only when no
///   `--features` is given on the command line (`user_features`), as maturin's
///   `merge_with_pyproject_toml` does; `all-features` and `no-default-features`;
/// - setuptools-rust: `pyo3/extension-module`, `pyo3/abi3-pyXY` from bdist_wheel's
///   `py_limited_api`, the extension's `features`, its `args` and `cargo_manifest_args`.
pub fn backend_build(
    declarations: &Declarations,
    user_features: bool,
    interpreter: Option<&pyproject::Interpreter>,
) -> BackendBuild {
    let (_, pyproject, setuptools) = declarations;
    if let Some(st) = setuptools {
        return BackendBuild {
            features: st.cargo_features(),
            cargo_args: st.cargo_args(),
            ..BackendBuild::default()
        };
    }
    let Some(maturin) = pyproject.as_ref().and_then(|p| p.maturin.as_ref()) else {
        return BackendBuild::default();
    };
    BackendBuild {
        features: if user_features {
            Vec::new()
        } else {
            maturin
                .features
                .iter()
                .filter(|f| f.applies_to(interpreter) == Some(true))
                .map(|f| f.feature.value.clone())
                .collect()
        },
        all_features: maturin.all_features == Some(true),
        no_default_features: maturin.no_default_features == Some(true),
        cargo_args: Vec::new(),
    }
}

/// The interpreter `check` builds with (`PYO3_PYTHON`, else `python3`, as `build::run` sets
/// it), asked once, and only when a pyproject has conditional maturin features to evaluate.
pub fn build_interpreter(
    pyproject: Option<&pyproject::PyProject>,
) -> Option<pyproject::Interpreter> {
    let conditional = pyproject
        .and_then(|p| p.maturin.as_ref())
        .is_some_and(|m| m.features.iter().any(|f| f.is_conditional()));
    if !conditional {
        return None;
    }
    static ASKED: std::sync::OnceLock<Option<pyproject::Interpreter>> = std::sync::OnceLock::new();
    ASKED
        .get_or_init(|| {
            let python = std::env::var_os("PYO3_PYTHON")
                .unwrap_or_else(|| if cfg!(windows) { "python" } else { "python3" }.into());
            let out = std::process::Command::new(python)
                .args([
                    "-c",
                    "import sys; print(sys.implementation.name, *sys.version_info[:2])",
                ])
                .stderr(std::process::Stdio::null())
                .output()
                .ok()
                .filter(|o| o.status.success())?;
            let text = String::from_utf8_lossy(&out.stdout);
            let mut words = text.split_whitespace();
            let implementation = words.next()?.to_owned();
            let major = words.next()?.parse().ok()?;
            let minor = words.next()?.parse().ok()?;
            Some(pyproject::Interpreter {
                implementation,
                version: PyVersion::new(major, minor),
            })
        })
        .clone()
}

/// PyO3's resolved config, from the file pyo3-ffi's build script wrote.
fn resolved_config(pyo3: Option<&Pyo3Build>) -> Option<Pyo3Config> {
    pyo3.and_then(|p| p.config_hex.as_deref())
        .and_then(|hex| Pyo3Config::from_hex(hex).ok())
}

/// Reads the crate's declarations and compares them with the build. A malformed
/// pyproject.toml (or Cargo.toml) is an `unreadable-input` finding pointing at the error.
pub fn evaluate(
    cdylib: &Cdylib,
    pyo3: Option<&Pyo3Build>,
    target: Option<&str>,
    py_limited_api: Option<PyVersion>,
) -> Result<CrateIntent, Box<Finding>> {
    let (manifest, pyproject, setuptools) =
        read_declarations(&cdylib.manifest_path, py_limited_api)?;
    let config = resolved_config(pyo3);
    let cfgs = pyo3.and_then(|p| resolved_from_cfgs(&p.cfgs));
    let mut env = build_env(cdylib.features.clone(), target);
    env.interpreter = build_interpreter(pyproject.as_ref());
    let target_os = env.target_os.clone().unwrap_or_default();
    let mut inputs = IntentInputs::default();
    inputs.manifest = Some(manifest);
    inputs.pyproject = pyproject;
    inputs.config = config;
    inputs.env = env;
    inputs.setuptools = setuptools;
    let findings = intent::check_intent(&inputs);
    let declared = intent::declared_intent(&inputs);

    // What the build resolved: the config when readable, else the cfgs.
    let resolved: Option<(AbiKind, Option<PyVersion>, PyVersion)> = match &inputs.config {
        Some(c) => Some((c.kind(), c.floor(), c.target_abi.version)),
        None => cfgs.map(|(k, v)| (k, k.is_stable().then_some(v), v)),
    };
    // What the artifact is, and what maturin tags it as, is what PyO3 resolved (an abi3t
    // intent on a pre-3.15 interpreter is a version-specific build, reported above as
    // `silent-version-specific-build`; the abi3 rules must not then judge it as abi3t).
    // Without a readable build, the declaration.
    let (kind, floor) = match resolved {
        Some((kind, floor, _)) => (kind, floor),
        None => (declared.kind, declared.floor),
    };
    let floor = floor.filter(|_| kind.is_stable());
    let floor_span = declared.floor_declaration().map(|d| {
        let mut span = d.span.clone();
        span.label = format!(
            "sets the floor to {}",
            d.floor.map_or("?".into(), |f| f.to_string())
        );
        span
    });
    let tag_version = floor.or(resolved.map(|r| r.2));
    let platform = platform_tag(target);
    // setuptools' bdist_wheel tags `cpXY-abi3` from its own `py_limited_api`, whatever the
    // build resolved; otherwise the interpreter's version-specific tag.
    let (kind, floor, tag_version) = match &inputs.setuptools {
        Some(st) => match &st.limited_api {
            Some(l) => (AbiKind::Abi3, Some(l.version), Some(l.version)),
            None => (
                AbiKind::VersionSpecific,
                None,
                inputs.config.as_ref().map(|c| c.version),
            ),
        },
        None => (kind, floor, tag_version),
    };
    let predicted_tag = tag_version.map(|v| wheel::predicted_tag(kind, v, &platform));
    let suffix_kind = match &inputs.setuptools {
        Some(st) if st.is_limited() => AbiKind::Abi3,
        Some(_) => AbiKind::VersionSpecific,
        None => kind,
    };
    let suffix = wheel::extension_suffix(
        suffix_kind,
        tag_version.unwrap_or(PyVersion::STABLE_ABI_START),
        &target_os,
        None,
    );
    let module = declared
        .module_name
        .clone()
        .unwrap_or_else(|| cdylib.lib_name.clone());
    Ok(CrateIntent {
        claim: Claim {
            kind: Some(kind),
            floor,
            source: ClaimSource::CrateIntent,
        },
        findings,
        floor_span,
        predicted_tag,
        installed_name: format!("{module}{suffix}"),
        audited_platform: inputs.setuptools.is_none(),
        backend: if inputs.setuptools.is_some() {
            Backend::SetuptoolsRust
        } else {
            Backend::Maturin
        },
        python_module: inputs.setuptools.is_some()
            || inputs
                .pyproject
                .as_ref()
                .is_some_and(|p| p.maturin.is_some())
            || inputs.manifest.as_ref().is_some_and(|m| m.depends_on_pyo3),
    })
}

/// What the declarations alone say, when there is no build to compare them with (it failed,
/// most often because the build hook stopped it with one of these very findings).
pub struct DeclarationsOnly {
    pub kind: AbiKind,
    pub floor: Option<PyVersion>,
    pub findings: Vec<Finding>,
}

/// The crate features `cargo build` was asked for (`--features`, `--all-features`,
/// `--no-default-features`).
#[derive(Clone, Debug, Default)]
pub struct FeatureSelection {
    pub features: Vec<String>,
    pub all_features: bool,
    pub no_default_features: bool,
}

impl FeatureSelection {
    /// The crate features of `manifest` that the build enables. Only features that name a
    /// PyO3 feature matter to the checks, so `--all-features` means all of those.
    fn active(&self, manifest: &manifest::Manifest) -> Vec<String> {
        let mut active: Vec<String> = if self.no_default_features {
            Vec::new()
        } else {
            manifest.default_enabled()
        };
        for feature in self
            .features
            .iter()
            .flat_map(|list| list.split([',', ' ']))
            .filter(|f| !f.is_empty())
        {
            // `pkg/feat` names a feature of one package; `feat` alone, of the selected ones.
            active.push(feature.rsplit('/').next().unwrap_or(feature).to_owned());
        }
        if self.all_features {
            for request in &manifest.features {
                if let manifest::FeatureOrigin::CrateFeature { feature } = &request.origin {
                    active.push(feature.clone());
                }
            }
        }
        active
    }
}

/// The intent checks that need no artifact, for the crate at `manifest_path`, with the crate
/// features `cargo build` would have enabled and, when pyo3-ffi's build script ran before the
/// build failed, what PyO3 resolved.
pub fn evaluate_declarations(
    manifest_path: &Path,
    selection: &FeatureSelection,
    resolved: Option<&Pyo3Build>,
    target: Option<&str>,
    py_limited_api: Option<PyVersion>,
) -> DeclarationsOnly {
    let (manifest, pyproject, setuptools) = match read_declarations(manifest_path, py_limited_api) {
        Ok(read) => read,
        Err(finding) => {
            return DeclarationsOnly {
                kind: AbiKind::VersionSpecific,
                floor: None,
                findings: vec![*finding],
            };
        }
    };
    let mut env = build_env(selection.active(&manifest), target);
    env.interpreter = build_interpreter(pyproject.as_ref());
    let mut inputs = IntentInputs::default();
    inputs.manifest = Some(manifest);
    inputs.pyproject = pyproject;
    inputs.config = resolved_config(resolved);
    inputs.env = env;
    inputs.setuptools = setuptools;
    let declared = intent::declared_intent(&inputs);
    DeclarationsOnly {
        kind: declared.kind,
        floor: declared.floor,
        findings: intent::check_intent(&inputs)
            .into_iter()
            // Unavailable because the build failed: said once, by the caller.
            .filter(|f| f.code != cargo_abi3_build_hook::Code::Pyo3ConfigUnavailable)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declarations(pyproject: &str) -> Declarations {
        let manifest = manifest::Manifest::parse(
            "Cargo.toml",
            "[package]\nname = \"x\"\nversion = \"0.1.0\"\n[lib]\ncrate-type = [\"cdylib\"]\n",
        )
        .unwrap();
        (
            manifest,
            Some(pyproject::PyProject::parse("pyproject.toml", pyproject).unwrap()),
            None,
        )
    }

    /// maturin's `merge_with_pyproject_toml` and `resolve_conditional`, as `check` copies them.
    #[test]
    fn backend_build_is_what_maturin_passes() {
        let d = declarations(
            "[tool.maturin]\nno-default-features = true\nall-features = false\nfeatures = [\"a\", \
             { feature = \"pyo3/abi3-py311\", python-version = \">=3.11\" }, \
             { feature = \"pyo3/abi3-py39\", python-version = \"<3.11\" }]\n",
        );
        let cpython = |minor| pyproject::Interpreter {
            implementation: "cpython".into(),
            version: PyVersion::new(3, minor),
        };
        let b = backend_build(&d, false, Some(&cpython(11)));
        assert_eq!(b.features, ["a", "pyo3/abi3-py311"]);
        assert!(b.no_default_features && !b.all_features);
        assert_eq!(
            backend_build(&d, false, Some(&cpython(9))).features,
            ["a", "pyo3/abi3-py39"]
        );
        // Interpreter unknown: only the plain entries.
        assert_eq!(backend_build(&d, false, None).features, ["a"]);
        // `--features` on the command line replaces maturin's, conditional ones included.
        let b = backend_build(&d, true, Some(&cpython(11)));
        assert!(b.features.is_empty() && b.no_default_features);
        // No conditional entries: the interpreter is never asked.
        assert!(
            build_interpreter(
                declarations("[tool.maturin]\nfeatures = [\"a\"]\n")
                    .1
                    .as_ref()
            )
            .is_none()
        );
    }

    #[test]
    fn feature_selection_follows_cargos_flags() {
        let m = manifest::Manifest::parse(
            "Cargo.toml",
            "[package]\nname = \"x\"\n[dependencies]\npyo3 = \"0.30\"\n\
             [features]\ndefault = [\"fast\"]\nfast = []\nold = [\"pyo3/abi3-py39\"]\n",
        )
        .unwrap();
        let active = |s: FeatureSelection| {
            let mut v = s.active(&m);
            v.sort();
            v
        };
        assert_eq!(active(FeatureSelection::default()), ["default", "fast"]);
        let only_old = FeatureSelection {
            features: vec!["x/old".into()],
            no_default_features: true,
            ..Default::default()
        };
        assert_eq!(active(only_old), ["old"]);
        let all = FeatureSelection {
            all_features: true,
            ..Default::default()
        };
        assert_eq!(active(all), ["default", "fast", "old"]);
    }

    #[test]
    fn cfgs_give_kind_and_floor() {
        let cfgs = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            resolved_from_cfgs(&cfgs(&["Py_3_9", "Py_LIMITED_API", "cfg_select"])),
            Some((AbiKind::Abi3, PyVersion::new(3, 9)))
        );
        assert_eq!(
            resolved_from_cfgs(&cfgs(&["Py_3_9", "Py_3_10", "Py_3_11"])),
            Some((AbiKind::VersionSpecific, PyVersion::new(3, 11)))
        );
        assert_eq!(
            resolved_from_cfgs(&cfgs(&["Py_3_15", "Py_LIMITED_API", "Py_GIL_DISABLED"])),
            Some((AbiKind::Abi3t, PyVersion::new(3, 15)))
        );
        assert_eq!(resolved_from_cfgs(&cfgs(&["wip_feature_std"])), None);
    }

    #[test]
    fn platforms_and_targets() {
        assert_eq!(
            platform_tag(Some("x86_64-unknown-linux-gnu")),
            "linux_x86_64"
        );
        assert_eq!(
            platform_tag(Some("aarch64-apple-darwin")),
            "macosx_11_0_arm64"
        );
        assert_eq!(platform_tag(Some("x86_64-pc-windows-msvc")), "win_amd64");
        assert_eq!(
            target_os_env("x86_64-unknown-linux-musl"),
            (Some("linux".into()), Some("musl".into()))
        );
    }
}

#[cfg(test)]
mod platform_tests {
    use super::*;
    use crate::binary::{Arch, Import, Needed};

    fn elf(imports: &[(&str, Option<&str>)], needed: &[&str]) -> Binary {
        Binary {
            imports: imports
                .iter()
                .map(|(name, version)| Import {
                    name: (*name).into(),
                    library: version.map(|_| "libc.so.6".into()),
                    version: version.map(str::to_owned),
                    weak: false,
                    delay_load: false,
                })
                .collect(),
            needed: needed
                .iter()
                .map(|n| Needed {
                    name: (*n).into(),
                    lazy: false,
                })
                .collect(),
            ..Binary::new(Format::Elf, Arch::X86_64)
        }
    }

    #[test]
    fn linux_platform_follows_the_newest_glibc_symbol() {
        let old = elf(
            &[("memcpy", Some("GLIBC_2.14")), ("Py_IncRef", None)],
            &["libc.so.6"],
        );
        assert_eq!(
            linux_platform_from_binary("linux_x86_64", &[old]).as_deref(),
            Some("manylinux_2_17_x86_64")
        );
        let new = elf(
            &[
                ("memcpy", Some("GLIBC_2.14")),
                ("arc4random", Some("GLIBC_2.36")),
            ],
            &[],
        );
        assert_eq!(
            linux_platform_from_binary("linux_x86_64", &[new]).as_deref(),
            Some("manylinux_2_36_x86_64")
        );
        let musl = elf(&[("memcpy", None)], &["libc.musl-x86_64.so.1"]);
        assert_eq!(
            linux_platform_from_binary("linux_x86_64", &[musl]).as_deref(),
            Some("musllinux_1_2_x86_64")
        );
        assert_eq!(linux_platform_from_binary("win_amd64", &[]), None);
    }
}
