//! Integration tests of the build hook: `Hook::run_with` on fixture projects (fast), and real
//! `cargo build`s of the crates under `examples/` (slow: they build PyO3; all examples share
//! one target directory, `<target>/examples-target`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use cargo_abi3_build_hook::declaration::{self, Declaration};
use cargo_abi3_build_hook::pyo3_config::encode_hex;
use cargo_abi3_build_hook::{AbiKind, Code, Hook, PyVersion, Severity};

const CONFIG_311_ABI3_39: &str = "implementation=CPython\nversion=3.11\nshared=true\n\
target_abi=CPython-abi3-3.9\nlib_name=python3.11\nexecutable=/usr/bin/python3\n\
pointer_width=64\nbuild_flags=\nsuppress_build_script_link_lines=false\n";

const CARGO_TOML: &str = r#"[package]
name = "fixture-ext"
version = "0.1.0"
edition = "2021"

[lib]
crate-type = ["cdylib"]

[dependencies]
pyo3 = { version = "0.30.1", features = ["abi3-py39"] }
"#;

fn pyproject(requires: &str) -> String {
    format!(
        "[build-system]\nbuild-backend = \"maturin\"\n\n[project]\nname = \"fixture-ext\"\n\
requires-python = \"{requires}\"\n\n[tool.maturin]\nmodule-name = \"pkg._fixture\"\n"
    )
}

struct Fixture {
    dir: tempfile::TempDir,
    env: BTreeMap<String, String>,
}

impl Fixture {
    fn new(pyproject_text: Option<&str>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Cargo.toml"), CARGO_TOML).unwrap();
        if let Some(p) = pyproject_text {
            std::fs::write(dir.path().join("pyproject.toml"), p).unwrap();
        }
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let env = [
            (
                "CARGO_MANIFEST_DIR",
                dir.path().to_str().unwrap().to_owned(),
            ),
            ("OUT_DIR", out.to_str().unwrap().to_owned()),
            ("CARGO_CFG_TARGET_OS", "linux".into()),
            ("CARGO_CFG_TARGET_ENV", "gnu".into()),
            ("PYO3_BUILD_EXTENSION_MODULE", "1".into()),
            (
                "DEP_PYO3_PYTHON_PYO3_CONFIG",
                encode_hex(CONFIG_311_ABI3_39.as_bytes()),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        Self { dir, env }
    }

    fn run(&self, hook: Hook) -> (cargo_abi3_build_hook::Outcome, String) {
        let mut out = Vec::new();
        let env = self.env.clone();
        let outcome = hook.run_with(&move |k| env.get(k).cloned(), &mut out);
        (outcome, String::from_utf8(out).unwrap())
    }
}

#[test]
fn hook_clean_fixture_prints_only_rerun_lines_and_writes_declaration() {
    let fx = Fixture::new(Some(&pyproject(">=3.9")));
    let (outcome, out) = fx.run(Hook::new());
    assert!(outcome.findings.is_empty(), "{:?}", outcome.findings);
    assert!(
        out.lines().all(|l| l.starts_with("cargo::rerun-if-")),
        "{out}"
    );
    assert!(out.contains("cargo::rerun-if-changed="));
    assert!(out.contains("pyproject.toml\n"));
    assert!(out.contains("cargo::rerun-if-env-changed=PYO3_BUILD_EXTENSION_MODULE\n"));
    let mut want = Declaration::new(AbiKind::Abi3, Some(PyVersion::new(3, 9)));
    want.module = Some("_fixture".into());
    want.tool = Some(format!(
        "cargo-abi3-build-hook-{}",
        env!("CARGO_PKG_VERSION")
    ));
    assert_eq!(outcome.declaration.as_ref(), Some(&want));
    let src = std::fs::read_to_string(fx.dir.path().join("out/cargo_abi3_declaration.rs")).unwrap();
    assert_eq!(
        declaration::find_in(src.replace("\\0", "\0").as_bytes()),
        Some(want)
    );
}

/// The policy file `cargo abi3` reads is the hook's too: severities, scoped suppressions with
/// their reason (not printed, kept in the outcome), and errors that cannot be allowed.
#[test]
fn hook_reads_the_shared_policy_file() {
    let fx = Fixture::new(Some(&pyproject(">=3.8")));
    let policy = fx.dir.path().join("cargo-abi3.toml");
    std::fs::write(&policy, "deny = [\"requires-python-below-floor\"]\n").unwrap();
    let (outcome, out) = fx.run(Hook::new());
    assert!(outcome.has_errors(), "{out}");
    assert!(
        out.contains("cargo::error=error[requires-python-below-floor]"),
        "{out}"
    );
    assert!(
        out.contains(&format!("cargo::rerun-if-changed={}\n", policy.display())),
        "{out}"
    );
    // The builder's own levels have the last word.
    let (outcome, _) = fx.run(Hook::new().warn(Code::RequiresPythonBelowFloor));
    assert!(!outcome.has_errors());

    std::fs::write(
        &policy,
        "[[allow-finding]]\ncode = \"requires-python-below-floor\"\nreason = \"3.8 users get the sdist on purpose\"\n",
    )
    .unwrap();
    let (outcome, out) = fx.run(Hook::new());
    assert!(
        !out.contains("cargo::warning=") && !out.contains("cargo::error="),
        "{out}"
    );
    let allowed = outcome.findings[0]
        .allowed
        .as_ref()
        .expect("kept, as allowed");
    assert_eq!(allowed.reason, "3.8 users get the sdist on purpose");
    assert!(
        allowed.by.ends_with("cargo-abi3.toml:2:8"),
        "{}",
        allowed.by
    );

    // The same keys under [package.metadata.cargo-abi3] (no cargo-abi3.toml).
    std::fs::remove_file(&policy).unwrap();
    std::fs::write(
        fx.dir.path().join("Cargo.toml"),
        format!("{CARGO_TOML}\n[package.metadata.cargo-abi3]\nallow = [\"requires-python-below-floor\"]\n"),
    )
    .unwrap();
    let (outcome, out) = fx.run(Hook::new());
    assert!(outcome.findings.is_empty(), "{out}");

    // A malformed policy, or one allowing input errors, stops the build with its span.
    std::fs::write(&policy, "allow = [\"unreadable-input\"]\n").unwrap();
    let (outcome, out) = fx.run(Hook::new().allow(Code::UnreadableInput));
    assert!(outcome.has_errors(), "{out}");
    assert!(out.contains("cannot be allowed"), "{out}");
    assert!(
        out.contains("cargo::error=1 | allow = [\"unreadable-input\"]"),
        "{out}"
    );
}

#[test]
fn hook_warns_denies_and_allows_per_code() {
    let fx = Fixture::new(Some(&pyproject(">=3.8")));
    let (outcome, out) = fx.run(Hook::new());
    assert_eq!(outcome.findings.len(), 1);
    let expected = "cargo::warning=warning[requires-python-below-floor]: requires-python `>=3.8` admits 3.8, below the abi3 floor 3.9";
    assert!(out.contains(expected), "{out}");
    assert!(
        out.contains("cargo::warning=6 | requires-python = \">=3.8\"\n"),
        "{out}"
    );
    assert!(
        out.contains("note: installers on Python 3.8 find no compatible wheel"),
        "{out}"
    );
    assert!(
        out.contains("cargo::warning=  = help: set requires-python = \">=3.9\""),
        "{out}"
    );

    let (outcome, out) = fx.run(Hook::new().deny(Code::RequiresPythonBelowFloor));
    assert!(outcome.has_errors());
    assert!(
        out.contains("cargo::error=error[requires-python-below-floor]"),
        "{out}"
    );
    assert!(!out.contains("cargo::warning="), "{out}");

    let (outcome, out) = fx.run(Hook::new().allow(Code::RequiresPythonBelowFloor));
    assert!(outcome.findings.is_empty());
    assert!(!out.contains("cargo::warning=") && !out.contains("cargo::error="));
}

#[test]
fn hook_reports_unset_extension_module_and_missing_config() {
    let mut fx = Fixture::new(Some(&pyproject(">=3.9")));
    fx.env.remove("PYO3_BUILD_EXTENSION_MODULE");
    let (outcome, out) = fx.run(Hook::new());
    assert_eq!(outcome.findings[0].code, Code::ExtensionModuleNotSet);
    assert!(out.contains("warning[extension-module-not-set]: this build links libpython3.11"));

    let mut fx = Fixture::new(Some(&pyproject(">=3.9")));
    fx.env.remove("DEP_PYO3_PYTHON_PYO3_CONFIG");
    let (outcome, out) = fx.run(Hook::new());
    assert_eq!(outcome.findings[0].code, Code::Pyo3ConfigUnavailable);
    assert!(
        out.contains("help: depend on `pyo3` (0.30+) directly"),
        "{out}"
    );
}

#[test]
fn hook_reports_malformed_pyproject_with_position() {
    let fx = Fixture::new(Some("[project]\nrequires-python = >=3.9\n"));
    let (outcome, out) = fx.run(Hook::new());
    assert_eq!(outcome.findings[0].code, Code::UnreadableInput);
    assert_eq!(outcome.findings[0].severity, Severity::Error);
    assert!(
        out.contains("cargo::error=error[unreadable-input]:"),
        "{out}"
    );
    assert!(out.contains("pyproject.toml:2:"), "{out}");
}

#[test]
fn hook_finds_pyproject_through_maturin_manifest_path() {
    let root = tempfile::tempdir().unwrap();
    let crate_dir = root.path().join("rust");
    std::fs::create_dir(&crate_dir).unwrap();
    std::fs::write(crate_dir.join("Cargo.toml"), CARGO_TOML).unwrap();
    std::fs::write(
        root.path().join("pyproject.toml"),
        format!(
            "{}manifest-path = \"rust/Cargo.toml\"\n",
            pyproject(">=3.8")
        ),
    )
    .unwrap();
    let found =
        cargo_abi3_build_hook::hook::locate_pyproject(&crate_dir, &crate_dir.join("Cargo.toml"));
    assert_eq!(found, Some(root.path().join("pyproject.toml")));
    // A pyproject one level up that builds another crate is not ours.
    std::fs::write(
        root.path().join("pyproject.toml"),
        format!(
            "{}manifest-path = \"other/Cargo.toml\"\n",
            pyproject(">=3.8")
        ),
    )
    .unwrap();
    let found =
        cargo_abi3_build_hook::hook::locate_pyproject(&crate_dir, &crate_dir.join("Cargo.toml"));
    assert_eq!(found, None);
}

// ---- real builds of examples/ ------------------------------------------------------------

fn examples_target() -> PathBuf {
    // CARGO_TARGET_TMPDIR is <target>/tmp: share <target>/examples-target across tests/runs.
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("examples-target")
}

struct Built {
    stderr: String,
    cdylib: PathBuf,
}

fn cargo_build_example(name: &str) -> std::process::Output {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name);
    Command::new(env!("CARGO"))
        .args(["build", "--message-format=json"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", examples_target())
        .env("PYO3_BUILD_EXTENSION_MODULE", "1")
        .env("PYO3_PYTHON", "python3")
        .env_remove("PYO3_USE_ABI3_FORWARD_COMPATIBILITY")
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run cargo")
}

fn build_example(name: &str) -> Built {
    let out = cargo_build_example(name);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "building {name} failed:\n{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let cdylib = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .filter(|m| m["target"]["name"] == name.replace('-', "_"))
        .flat_map(|m| {
            m["filenames"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
        })
        .filter_map(|f| f.as_str().map(PathBuf::from))
        .find(|f| f.extension().is_some_and(|e| e == "so"))
        .unwrap_or_else(|| panic!("no .so for {name} in cargo's JSON output"));
    Built { stderr, cdylib }
}

/// Dynamic symbols the .so defines (`nm -D --defined-only`).
fn exported(so: &Path) -> Vec<String> {
    let out = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(so)
        .output()
        .expect("run nm");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2).map(str::to_owned))
        .collect()
}

fn hook_warnings(stderr: &str, package: &str) -> Vec<String> {
    hook_lines(stderr, "warning", package)
}

/// The lines a build script printed as `cargo::<level>=`, as cargo relays them.
fn hook_lines(stderr: &str, level: &str, package: &str) -> Vec<String> {
    let prefix = format!("{level}: {package}@0.1.0: ");
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix).map(str::to_owned))
        .collect()
}

fn assert_declaration(so: &Path, module: &str) {
    let bytes = std::fs::read(so).unwrap();
    let d = declaration::find_in(&bytes).expect("declaration survives linking");
    assert_eq!(d.kind, AbiKind::Abi3);
    assert_eq!(d.floor, Some(PyVersion::new(3, 9)));
    assert_eq!(d.module.as_deref(), Some(module));
    assert_eq!(
        exported(so),
        [format!("PyInit_{module}")],
        "the declaration must not add exports"
    );
}

#[test]
#[cfg(target_os = "linux")]
fn example_hooked_clean_builds_quietly_and_embeds_declaration() {
    let b = build_example("hooked-clean");
    assert_eq!(
        hook_warnings(&b.stderr, "hooked-clean"),
        Vec::<String>::new()
    );
    assert_declaration(&b.cdylib, "hooked_clean");
}

#[test]
#[cfg(target_os = "linux")]
fn example_requires_python_low_warns() {
    let b = build_example("hooked-requires-python-low");
    let w = hook_warnings(&b.stderr, "hooked-requires-python-low");
    assert_eq!(
        w.first().map(String::as_str),
        Some(
            "warning[requires-python-below-floor]: requires-python `>=3.8` admits 3.8, below the abi3 floor 3.9"
        ),
        "{}",
        b.stderr
    );
    assert!(
        w.iter().any(|l| l.ends_with("pyproject.toml:8:19")),
        "{w:?}"
    );
    assert!(
        w.contains(&"  = help: set requires-python = \">=3.9\"".to_owned()),
        "{w:?}"
    );
    assert_declaration(&b.cdylib, "hooked_requires_python_low");
}

#[test]
#[cfg(target_os = "linux")]
fn example_c_helper_compiles_c_for_the_floor_and_imports() {
    let b = build_example("hooked-c-helper");
    assert_eq!(
        hook_warnings(&b.stderr, "hooked-c-helper"),
        Vec::<String>::new()
    );
    // helper_answer is hidden (-fvisibility=hidden): only the entry point is exported.
    assert_declaration(&b.cdylib, "hooked_c_helper");
    // Import it under its abi3 name and call into the C part.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&b.cdylib, dir.path().join("hooked_c_helper.abi3.so")).unwrap();
    let out = Command::new("python3")
        .args(["-c", "import hooked_c_helper as m; print(m.answer())"])
        .env("PYTHONPATH", dir.path())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "42",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[cfg(target_os = "linux")]
fn example_floor_mismatch_fails_the_build_with_the_hooks_error() {
    let out = cargo_build_example("hooked-floor-mismatch");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "the hook must stop the build:\n{stderr}"
    );
    let errors = hook_lines(&stderr, "error", "hooked-floor-mismatch");
    assert_eq!(
        errors.first().map(String::as_str),
        Some("error[floor-mismatch]: the abi3 floor is declared as both 3.9 and 3.11"),
        "{stderr}"
    );
    // The span points at the maturin feature that PyO3 will ignore.
    assert!(
        errors.iter().any(|l| l.ends_with("pyproject.toml:16:13")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|l| l.contains("= help: declare one floor")),
        "{errors:?}"
    );
    assert!(stderr.contains("build script logged errors"), "{stderr}");
    // Stopped before the crate itself compiled: no module was produced.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let cdylib_artifacts = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .filter(|m| {
            m["target"]["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "cdylib"))
        })
        .count();
    assert_eq!(cdylib_artifacts, 0, "{stdout}");
}

/// The minor version of the `python3` the examples build with.
fn python3_minor() -> Option<u32> {
    let out = Command::new("python3")
        .args(["-c", "import sys; print(sys.version_info[1])"])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

#[test]
#[cfg(target_os = "linux")]
fn example_abi3t_on_an_old_interpreter_is_stopped() {
    match python3_minor() {
        Some(minor) if minor < 15 => {}
        other => {
            crate::support::skip_optional(format_args!(
                "needs a python3 older than 3.15 (found minor {other:?})"
            ));
            return;
        }
    }
    let out = cargo_build_example("hooked-abi3t-old-interpreter");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "the hook must stop the build:\n{stderr}"
    );
    let errors = hook_lines(&stderr, "error", "hooked-abi3t-old-interpreter");
    // PyO3 0.30.1 itself says nothing: it builds version-specific for the interpreter.
    assert!(
        errors.first().is_some_and(|l| l.starts_with(
            "error[silent-version-specific-build]: the abi3t intent resolved to a \
             version-specific build for CPython 3."
        )),
        "{stderr}"
    );
    assert!(
        errors.iter().any(|l| l.ends_with("Cargo.toml:14:43")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|l| l.contains("= help: build with CPython >= 3.15")),
        "{errors:?}"
    );
}

/// Issue item 7: under maturin, `PYO3_CONFIG_FILE`'s `version=` is the abi3 floor; the
/// interpreter is the one `PYO3_ENVIRONMENT_SIGNATURE` names. (The env is what maturin 1.16
/// really passes, recorded from a build script.)
#[test]
fn hook_under_maturin_takes_the_interpreter_from_the_environment_signature() {
    const MATURIN_CONFIG: &str = "implementation=CPython\nversion=3.9\n\
target_abi=CPython-abi3-3.9\nshared=true\nbuild_flags=\nsuppress_build_script_link_lines=false\n";
    let mut fx = Fixture::new(Some(&pyproject(">=3.9")));
    fx.env.insert(
        "DEP_PYO3_PYTHON_PYO3_CONFIG".into(),
        encode_hex(MATURIN_CONFIG.as_bytes()),
    );
    fx.env.insert(
        "PYO3_CONFIG_FILE".into(),
        "/t/maturin/pyo3-config-x86_64-unknown-linux-gnu-3.11-abi3.txt".into(),
    );
    fx.env.insert(
        "PYO3_ENVIRONMENT_SIGNATURE".into(),
        "cpython-3.11-64bit".into(),
    );
    fx.env
        .insert("PYO3_PYTHON".into(), "/usr/bin/python3.11".into());
    let (outcome, _) = fx.run(Hook::new());
    let config = outcome.inputs.config.as_ref().unwrap();
    assert_eq!(config.version, PyVersion::new(3, 11));
    assert_eq!(config.floor(), Some(PyVersion::new(3, 9)));
    assert_eq!(config.executable.as_deref(), Some("/usr/bin/python3.11"));
    assert!(outcome.findings.is_empty(), "{:?}", outcome.findings);
}

/// Issue item 8: `[tool.maturin] features = ["pyo3/extension-module"]` is not active in a
/// plain `cargo build`, so that build links libpython and the hook says so; under maturin
/// it is active.
#[test]
fn maturin_extension_module_feature_counts_only_under_maturin() {
    let text = format!(
        "{}features = [\"pyo3/extension-module\"]\n",
        pyproject(">=3.9")
    );
    let mut fx = Fixture::new(Some(&text));
    fx.env.remove("PYO3_BUILD_EXTENSION_MODULE");
    let (outcome, _) = fx.run(Hook::new());
    let codes: Vec<Code> = outcome.findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, [Code::ExtensionModuleNotSet]);
    fx.env.insert(
        "PYO3_ENVIRONMENT_SIGNATURE".into(),
        "cpython-3.11-64bit".into(),
    );
    let (outcome, _) = fx.run(Hook::new());
    assert!(outcome.findings.is_empty(), "{:?}", outcome.findings);
}

/// Issue case 8, with real builds: `[tool.maturin] features = ["pyo3/extension-module"]` is
/// not active in a plain `cargo build`, which then links libpython into the extension (readelf
/// shows it): the hook warns. maturin passes the feature (and the variable): its build links
/// no libpython and the hook says nothing.
#[test]
#[cfg(target_os = "linux")]
fn maturin_only_extension_module_feature_is_judged_per_build() {
    let name = "hooked-maturin-extension-module";
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name);
    let out = Command::new(env!("CARGO"))
        .args(["build", "--message-format=json"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", examples_target().join("plain"))
        .env("PYO3_PYTHON", "python3")
        .env_remove("PYO3_BUILD_EXTENSION_MODULE")
        .env_remove("PYO3_USE_ABI3_FORWARD_COMPATIBILITY")
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run cargo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let warnings = hook_warnings(&stderr, name);
    assert!(
        warnings
            .first()
            .is_some_and(|w| w.starts_with("warning[extension-module-not-set]")),
        "{stderr}"
    );
    let so = examples_target().join("plain/debug/libhooked_maturin_extension_module.so");
    let dynamic = Command::new("readelf").arg("-d").arg(&so).output();
    if let Ok(dynamic) = dynamic {
        let text = String::from_utf8_lossy(&dynamic.stdout);
        assert!(text.contains("libpython3"), "the warning is true: {text}");
    }

    let maturin = Command::new("maturin").arg("--version").output();
    skip_unless!(
        maturin.is_ok_and(|o| o.status.success()),
        "maturin is not installed"
    );
    let wheels = tempfile::tempdir().unwrap();
    // Not quiet: maturin relays cargo's build-script warnings.
    let built = Command::new("maturin")
        .args(["build", "-o"])
        .arg(wheels.path())
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", examples_target().join("maturin"))
        .env_remove("PYO3_BUILD_EXTENSION_MODULE")
        .output()
        .expect("run maturin");
    let stderr = String::from_utf8_lossy(&built.stderr);
    assert!(built.status.success(), "{stderr}");
    assert!(
        !stderr.contains("extension-module-not-set"),
        "the hook warned under maturin: {stderr}"
    );
}
