use super::*;
use crate::pyo3_config::{TargetAbi, TargetAbiKind};

fn manifest(features: &str, extra: &str) -> (Manifest, String) {
    let text = format!(
        "[package]\nname = \"ext\"\nversion = \"0.1.0\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n\n\
[dependencies]\npyo3 = {{ version = \"0.30.1\", features = [{features}] }}\n{extra}"
    );
    (Manifest::parse("Cargo.toml", &text).unwrap(), text)
}

fn pyproject(requires: &str, maturin: &str) -> (PyProject, String) {
    let text = format!(
        "[build-system]\nrequires = [\"maturin>=1.9.4\"]\nbuild-backend = \"maturin\"\n\n\
[project]\nname = \"ext\"\nrequires-python = \"{requires}\"\n\n[tool.maturin]\n{maturin}\n"
    );
    (PyProject::parse("pyproject.toml", &text).unwrap(), text)
}

fn config(version: (u8, u8), kind: TargetAbiKind, abi_version: (u8, u8)) -> Pyo3Config {
    let text = format!(
        "implementation=CPython\nversion={}.{}\nshared=true\ntarget_abi=CPython-{}-{}.{}\n\
lib_name=python{}.{}\nexecutable=/usr/bin/python3\nbuild_flags=\n\
suppress_build_script_link_lines=false\n",
        version.0,
        version.1,
        match kind {
            TargetAbiKind::Abi3 => "abi3",
            TargetAbiKind::Abi3t => "abi3t",
            TargetAbiKind::GilEnabled => "gil_enabled",
            TargetAbiKind::FreeThreaded => "free_threaded",
        },
        abi_version.0,
        abi_version.1,
        version.0,
        version.1
    );
    Pyo3Config::parse(&text).unwrap()
}

fn build_env() -> BuildEnv {
    BuildEnv {
        target_os: Some("linux".into()),
        target_env: Some("gnu".into()),
        extension_module: Some("1".into()),
        forward_compat: Vec::new(),
        active_features: Some(Vec::new()),
        pyo3_python: Some("python3".into()),
        environment_signature: None,
        config_file: None,
        backend_features_active: true,
        interpreter: None,
    }
}

fn inputs(features: &str, requires: &str, cfg: Option<Pyo3Config>) -> IntentInputs {
    IntentInputs {
        manifest: Some(manifest(features, "").0),
        pyproject: Some(pyproject(requires, "bindings = \"pyo3\"").0),
        config: cfg,
        env: build_env(),
        setuptools: None,
    }
}

fn codes(f: &[Finding]) -> Vec<Code> {
    f.iter().map(|f| f.code).collect()
}

#[test]
fn clean_abi3_project_has_no_findings() {
    let i = inputs(
        "\"abi3-py39\"",
        ">=3.9",
        Some(config((3, 11), TargetAbiKind::Abi3, (3, 9))),
    );
    let d = declared_intent(&i);
    assert_eq!(d.kind, AbiKind::Abi3);
    assert_eq!(d.floor, Some(PyVersion::new(3, 9)));
    assert_eq!(d.module_name.as_deref(), Some("ext"));
    assert_eq!(check_intent(&i), vec![]);
}

#[test]
fn requires_python_below_floor_both_ways() {
    let i = inputs("\"abi3-py39\"", ">=3.8", None);
    let f = check_intent(&i);
    assert_eq!(codes(&f), [Code::RequiresPythonBelowFloor]);
    let (_, text) = pyproject(">=3.8", "bindings = \"pyo3\"");
    let span = f[0].span.as_ref().unwrap();
    assert_eq!(&text[span.start..span.end], "\">=3.8\"");
    assert!(
        f[0].help
            .as_ref()
            .unwrap()
            .contains("requires-python = \">=3.9\"")
    );
    assert!(f[0].notes.iter().any(|n| n.contains("`abi3-py39`")));
    // Raised requires-python: clean. No lower bound at all: reported.
    assert!(check_intent(&inputs("\"abi3-py39\"", ">=3.10", None)).is_empty());
    let f = check_intent(&inputs("\"abi3-py39\"", "<4", None));
    assert_eq!(codes(&f), [Code::RequiresPythonBelowFloor]);
    assert!(f[0].message.contains("admits 3.0"), "{}", f[0].message);
    // The shared evaluator: `!=3.8.*` excludes 3.8, so `>=3.8,!=3.8.*` admits 3.9 and up.
    assert!(check_intent(&inputs("\"abi3-py39\"", ">=3.8,!=3.8.*", None)).is_empty());
    // Admits no 3.X at all: nothing below the floor.
    assert!(check_intent(&inputs("\"abi3-py39\"", ">=3.8,<3.8", None)).is_empty());
}

#[test]
fn bare_abi3_floats_with_interpreter() {
    let i = inputs(
        "\"abi3\"",
        ">=3.9",
        Some(config((3, 11), TargetAbiKind::Abi3, (3, 11))),
    );
    let f = check_intent(&i);
    assert_eq!(codes(&f), [Code::RequiresPythonBelowFloor]);
    assert!(
        f[0].help
            .as_ref()
            .unwrap()
            .contains("pin the floor with `abi3-py39`")
    );
}

#[test]
fn abi3t_with_old_interpreter_is_silent_version_specific() {
    let i = inputs(
        "\"abi3t\"",
        ">=3.15",
        Some(config((3, 11), TargetAbiKind::GilEnabled, (3, 11))),
    );
    let f = check_intent(&i);
    assert_eq!(codes(&f), [Code::SilentVersionSpecificBuild]);
    assert_eq!(f[0].severity, Severity::Error);
    assert!(
        f[0].message
            .contains("version-specific build for CPython 3.11")
    );
    assert!(f[0].help.as_ref().unwrap().contains("python3.15"));
    let (_, text) = manifest("\"abi3t\"", "");
    let s = f[0].span.as_ref().unwrap();
    assert_eq!(&text[s.start..s.end], "\"abi3t\"");
    // With a 3.15 interpreter it is fine.
    let i = inputs(
        "\"abi3t\"",
        ">=3.15",
        Some(config((3, 15), TargetAbiKind::Abi3t, (3, 15))),
    );
    assert!(check_intent(&i).is_empty());
}

#[test]
fn free_threaded_interpreter_with_abi3() {
    let mut c = config((3, 14), TargetAbiKind::FreeThreaded, (3, 14));
    c.build_flags = vec!["Py_GIL_DISABLED".into()];
    let f = check_intent(&inputs("\"abi3-py39\"", ">=3.9", Some(c)));
    assert_eq!(codes(&f), [Code::SilentVersionSpecificBuild]);
    assert!(f[0].notes[0].contains("free-threaded"));
}

#[test]
fn graph_lowered_the_floor() {
    // Cargo.toml says 3.11, PyO3 resolved 3.9 (another crate enables abi3-py39).
    let i = inputs(
        "\"abi3-py311\"",
        ">=3.11",
        Some(config((3, 12), TargetAbiKind::Abi3, (3, 9))),
    );
    let f = check_intent(&i);
    assert_eq!(codes(&f), [Code::FeatureFloorMismatch]);
    assert!(f[0].message.contains("floor 3.11 but PyO3 builds for 3.9"));
    assert!(f[0].help.as_ref().unwrap().contains("`abi3-py39`"));
    let (_, text) = manifest("\"abi3-py311\"", "");
    let s = f[0].span.as_ref().unwrap();
    assert_eq!(&text[s.start..s.end], "\"abi3-py311\"");
}

#[test]
fn resolved_floor_raised() {
    let i = inputs(
        "\"abi3-py39\"",
        ">=3.9",
        Some(config((3, 12), TargetAbiKind::Abi3, (3, 10))),
    );
    let f = check_intent(&i);
    assert_eq!(
        codes(&f),
        [Code::FeatureFloorMismatch, Code::RequiresPythonBelowFloor]
    );
    assert!(
        f[0].help
            .as_ref()
            .unwrap()
            .contains("raise the feature to `abi3-py310`")
    );
}

#[test]
fn interpreter_older_than_floor() {
    let i = inputs(
        "\"abi3-py310\"",
        ">=3.10",
        Some(config((3, 9), TargetAbiKind::Abi3, (3, 10))),
    );
    let f = check_intent(&i);
    assert_eq!(codes(&f), [Code::FeatureFloorMismatch]);
    assert_eq!(f[0].severity, Severity::Warning);
    assert!(f[0].message.contains("older than the abi3 floor 3.10"));
}

#[test]
fn undeclared_abi3_from_the_graph() {
    let i = inputs(
        "\"macros\"",
        ">=3.9",
        Some(config((3, 11), TargetAbiKind::Abi3, (3, 9))),
    );
    let f = check_intent(&i);
    assert_eq!(codes(&f), [Code::FeatureFloorMismatch]);
    assert_eq!(f[0].severity, Severity::Warning);
}

#[test]
fn forward_compat_both_ways() {
    // A version-specific intent turned into abi3 by the variable.
    let mut i = inputs(
        "\"macros\"",
        ">=3.15",
        Some(config((3, 17), TargetAbiKind::Abi3, (3, 15))),
    );
    i.env.forward_compat = vec![("PYO3_USE_ABI3_FORWARD_COMPATIBILITY".into(), "1".into())];
    let f = check_intent(&i);
    assert_eq!(codes(&f), [Code::ForwardCompatOverride]);
    assert!(
        f[0].message
            .contains("version-specific build into an abi3 build")
    );
    // An abi3 intent built forward for an interpreter PyO3 does not know.
    let mut i = inputs(
        "\"abi3-py39\"",
        ">=3.9",
        Some(config((3, 17), TargetAbiKind::Abi3, (3, 9))),
    );
    i.env.forward_compat = vec![("PYO3_USE_ABI3_FORWARD_COMPATIBILITY".into(), "1".into())];
    let f = check_intent(&i);
    assert_eq!(codes(&f), [Code::ForwardCompatOverride]);
    assert!(f[0].message.contains("3.17"));
    // Variable set but without effect (interpreter PyO3 knows), or set to 0: nothing.
    let mut i = inputs(
        "\"abi3-py39\"",
        ">=3.9",
        Some(config((3, 12), TargetAbiKind::Abi3, (3, 9))),
    );
    i.env.forward_compat = vec![("PYO3_USE_ABI3_FORWARD_COMPATIBILITY".into(), "1".into())];
    assert!(check_intent(&i).is_empty());
    i.env.forward_compat = vec![("PYO3_USE_ABI3_FORWARD_COMPATIBILITY".into(), "0".into())];
    assert!(check_intent(&i).is_empty());
}

#[test]
fn extension_module_not_set_both_ways() {
    let mut i = inputs(
        "\"abi3-py39\"",
        ">=3.9",
        Some(config((3, 11), TargetAbiKind::Abi3, (3, 9))),
    );
    i.env.extension_module = None;
    let f = check_intent(&i);
    assert_eq!(codes(&f), [Code::ExtensionModuleNotSet]);
    assert!(f[0].message.contains("libpython3.11"));
    // Windows always links python3.dll: not reported.
    i.env.target_os = Some("windows".into());
    assert!(check_intent(&i).is_empty());
    // The deprecated feature also prevents linking.
    i.env.target_os = Some("linux".into());
    i.manifest = Some(manifest("\"abi3-py39\", \"extension-module\"", "").0);
    assert!(check_intent(&i).is_empty());
    // So does a config that suppresses link lines.
    i.manifest = Some(manifest("\"abi3-py39\"", "").0);
    i.config.as_mut().unwrap().suppress_build_script_link_lines = true;
    assert!(check_intent(&i).is_empty());
    // Outside a build (no target): not checked.
    i.config = None;
    i.env.target_os = None;
    assert!(check_intent(&i).is_empty());
}

#[test]
fn declarations_disagree() {
    let (m, _) = manifest("\"abi3-py39\"", "");
    let (p, text) = pyproject(">=3.11", "features = [\"pyo3/abi3-py311\"]");
    let i = IntentInputs {
        manifest: Some(m),
        pyproject: Some(p),
        config: None,
        env: build_env(),
        setuptools: None,
    };
    let d = declared_intent(&i);
    assert_eq!(d.floor, Some(PyVersion::new(3, 9)));
    assert_eq!(d.declarations.len(), 2);
    let f = check_intent(&i);
    assert_eq!(codes(&f), [Code::FloorMismatch]);
    let s = f[0].span.as_ref().unwrap();
    assert_eq!(&text[s.start..s.end], "\"pyo3/abi3-py311\"");
    assert_eq!(s.file, std::path::PathBuf::from("pyproject.toml"));
    assert_eq!(f[0].notes.len(), 3);
}

#[test]
fn crate_features_gate_declarations() {
    let (m, _) = manifest(
        "\"macros\"",
        "\n[features]\ndefault = []\nabi3 = [\"pyo3/abi3-py310\"]\n",
    );
    let mut i = IntentInputs {
        manifest: Some(m),
        pyproject: Some(pyproject(">=3.9", "bindings = \"pyo3\"").0),
        config: None,
        env: build_env(),
        setuptools: None,
    };
    // Not enabled in the build: version-specific, nothing to compare with requires-python.
    let d = declared_intent(&i);
    assert_eq!(d.kind, AbiKind::VersionSpecific);
    assert_eq!(d.inactive.len(), 1);
    assert!(check_intent(&i).is_empty());
    // Enabled (CARGO_FEATURE_ABI3 set): abi3 floor 3.10 above requires-python 3.9.
    i.env.active_features = Some(vec!["abi3".to_owned()]);
    assert_eq!(declared_intent(&i).floor, Some(PyVersion::new(3, 10)));
    assert_eq!(codes(&check_intent(&i)), [Code::RequiresPythonBelowFloor]);
    // Outside a build: maturin's `features = ["abi3"]` enables it too.
    i.env.active_features = None;
    i.pyproject = Some(pyproject(">=3.9", "features = [\"abi3\"]").0);
    assert_eq!(declared_intent(&i).kind, AbiKind::Abi3);
}

#[test]
fn conditional_maturin_features_are_not_counted() {
    let (p, _) = pyproject(
        ">=3.9",
        "features = [{ feature = \"pyo3/abi3-py311\", python-version = \">=3.11\" }]",
    );
    let i = IntentInputs {
        manifest: Some(manifest("\"abi3-py39\"", "").0),
        pyproject: Some(p),
        config: None,
        env: build_env(),
        setuptools: None,
    };
    let d = declared_intent(&i);
    assert_eq!(d.floor, Some(PyVersion::new(3, 9)));
    assert_eq!(d.inactive.len(), 1);
    assert!(check_intent(&i).is_empty());
}

/// With the interpreter known (maturin's `PYO3_ENVIRONMENT_SIGNATURE`, or the one `check`
/// builds with), a conditional feature whose condition holds is passed to cargo: it declares.
#[test]
fn conditional_maturin_features_count_for_the_matching_interpreter() {
    let (p, _) = pyproject(
        ">=3.9",
        "features = [{ feature = \"pyo3/abi3-py311\", python-version = \">=3.11\" }, \
{ feature = \"pyo3/abi3-py39\", python-version = \"<3.11\" }]",
    );
    let for_interpreter = |signature: &str| {
        let i = IntentInputs {
            manifest: Some(manifest("", "").0),
            pyproject: Some(p.clone()),
            config: None,
            env: BuildEnv {
                interpreter: signature_interpreter(signature),
                ..build_env()
            },
            setuptools: None,
        };
        let d = declared_intent(&i);
        // requires-python >=3.9 is below the 3.11 floor, but 3.9 and 3.10 get their own
        // (abi3-py39) build: nothing to report.
        assert!(check_intent(&i).is_empty(), "{:?}", check_intent(&i));
        (d.kind, d.floor, d.inactive.len())
    };
    assert_eq!(
        for_interpreter("cpython-3.11-64bit"),
        (AbiKind::Abi3, Some(PyVersion::new(3, 11)), 1)
    );
    assert_eq!(
        for_interpreter("cpython-3.10-64bit"),
        (AbiKind::Abi3, Some(PyVersion::new(3, 9)), 1)
    );
    assert_eq!(
        signature_interpreter("pypy-3.10-64bit").map(|i| i.implementation),
        Some("pypy".to_owned())
    );
}

#[test]
fn setuptools_rust_floor_is_a_declaration() {
    let text = "[project]\nrequires-python = \">=3.8\"\n\
[[tool.setuptools-rust.ext-modules]]\ntarget = \"x._x\"\npy_limited_api = \"cp39\"\n";
    let i = IntentInputs {
        manifest: None,
        pyproject: Some(PyProject::parse("pyproject.toml", text).unwrap()),
        config: None,
        env: BuildEnv::default(),
        setuptools: None,
    };
    assert_eq!(codes(&check_intent(&i)), [Code::RequiresPythonBelowFloor]);
}

#[test]
fn env_is_read_from_build_script_variables() {
    let (m, _) = manifest("\"macros\"", "\n[features]\nabi3 = [\"pyo3/abi3-py39\"]\n");
    let env = BuildEnv::from_env(
        |k| match k {
            "CARGO_CFG_TARGET_OS" => Some("macos".into()),
            "CARGO_FEATURE_ABI3" => Some("1".into()),
            "PYO3_USE_ABI3_FORWARD_COMPATIBILITY" => Some("1".into()),
            _ => None,
        },
        Some(&m),
    );
    assert_eq!(env.target_os.as_deref(), Some("macos"));
    assert_eq!(env.active_features, Some(vec!["abi3".to_owned()]));
    assert_eq!(env.forward_compat.len(), 1);
    assert!(env.extension_module.is_none());
    let _ = TargetAbi::parse("CPython-abi3-3.9").unwrap();
}

#[test]
fn abi3_with_abi3t_is_a_fallback_not_a_contradiction() {
    for features in ["\"abi3-py39\", \"abi3t\"", "\"abi3-py39\", \"abi3t-py315\""] {
        // A pre-3.15 interpreter: PyO3 builds abi3 for 3.9; nothing is wrong.
        let i = inputs(
            features,
            ">=3.9",
            Some(config((3, 11), TargetAbiKind::Abi3, (3, 9))),
        );
        let d = declared_intent(&i);
        assert!(d.abi3_abi3t_fallback);
        assert_eq!(
            (d.kind, d.floor),
            (AbiKind::Abi3, Some(PyVersion::new(3, 9)))
        );
        assert_eq!(check_intent(&i), vec![], "{features}");
        // 3.15: abi3t applies; requires-python is still judged against the abi3 floor.
        let i = inputs(
            features,
            ">=3.9",
            Some(config((3, 15), TargetAbiKind::Abi3t, (3, 15))),
        );
        assert_eq!(declared_intent(&i).kind, AbiKind::Abi3t);
        assert_eq!(check_intent(&i), vec![], "{features}");
        // No build: the abi3 floor, the oldest interpreter served.
        let i = inputs(features, ">=3.9", None);
        assert_eq!(declared_intent(&i).kind, AbiKind::Abi3);
        assert_eq!(check_intent(&i), vec![], "{features}");
    }
    // abi3t alone on 3.11 is still the silent version-specific build.
    let i = inputs(
        "\"abi3t\"",
        ">=3.15",
        Some(config((3, 11), TargetAbiKind::GilEnabled, (3, 11))),
    );
    assert_eq!(codes(&check_intent(&i)), [Code::SilentVersionSpecificBuild]);
}
