//! `cargo abi3 check` against the real build tools, example by example.
//!
//! For each example, the tag `check` predicts must equal the tag of the wheel that maturin
//! (`maturin build`) or setuptools-rust (`pip wheel --no-build-isolation`) really builds from
//! the same tree, and `cargo abi3 audit` of that wheel must agree with `check`'s verdict on the
//! artifact (an error among the binary's findings, or none). Then the wheel is imported on
//! every CPython pyenv has (3.8–3.13) that its tag admits: a clean verdict must import
//! everywhere, an error must fail somewhere.
//!
//! Everything shares one target directory with the check tests. Missing maturin,
//! setuptools-rust or Python headers skip with a printed reason, except under `CI=true`,
//! where `.ci/run` installs them.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("examples-target")
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Tool {
    Maturin,
    PipWheel,
}

fn tool_missing(tool: Tool) -> bool {
    let probe = match tool {
        Tool::Maturin => Command::new("maturin").arg("--version").output(),
        Tool::PipWheel => Command::new("python3")
            .args([
                "-c",
                "import setuptools_rust, setuptools.command.bdist_wheel",
            ])
            .output(),
    };
    if probe.is_ok_and(|o| o.status.success()) {
        return false;
    }
    crate::support::skip(format_args!("{tool:?} is not available"));
    true
}

struct Checked {
    /// `py-abi-platform`.
    tag: String,
    binary_error: bool,
    json: Value,
}

fn check(example: &Path, extra: &[&str]) -> Checked {
    check_with_env(example, extra, &[])
}

/// `check --manifest-path example/Cargo.toml`; in a mixed layout's root (a pyproject.toml and
/// no Cargo.toml), `check` run there with no manifest path, as a user runs it.
fn check_with_env(example: &Path, extra: &[&str], env: &[(&str, &Path)]) -> Checked {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cargo-abi3"));
    command.args(["check", "--format", "json"]);
    if example.join("Cargo.toml").is_file() {
        command
            .arg("--manifest-path")
            .arg(example.join("Cargo.toml"));
    } else {
        command.current_dir(example);
    }
    let out = command
        .args(extra)
        .env("CARGO_TARGET_DIR", target_dir())
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "check: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let input = &json["inputs"][0];
    let tags = &input["tags"];
    // No tags when the build did not finish (a build the hook stopped).
    let join = |v: &Value| {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|s| s.as_str().unwrap())
            .collect::<Vec<_>>()
            .join(".")
    };
    let tag = format!(
        "{}-{}-{}",
        join(&tags["python"]),
        join(&tags["abi"]),
        join(&tags["platform"])
    );
    let binary_error = errors_in(&input["binaries"]);
    Checked {
        tag,
        binary_error,
        json,
    }
}

fn errors_in(binaries: &Value) -> bool {
    binaries.as_array().into_iter().flatten().any(|b| {
        b["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|f| f["severity"] == "error")
    })
}

/// Builds the wheel the way a user would, into a fresh directory; its path.
fn build_wheel(example: &Path, tool: Tool, out: &Path, extra: &[&str]) -> PathBuf {
    let status = match tool {
        Tool::Maturin => Command::new("maturin")
            .args(["build", "-q", "-o"])
            .arg(out)
            .args(extra)
            .current_dir(example)
            .env("CARGO_TARGET_DIR", target_dir())
            .status(),
        Tool::PipWheel => {
            // pip builds in the tree (build/, *.egg-info): build a copy.
            let copy = out.join("src");
            copy_tree(example, &copy);
            Command::new("python3")
                .args([
                    "-m",
                    "pip",
                    "wheel",
                    "-q",
                    "--no-deps",
                    "--no-build-isolation",
                    "-w",
                ])
                .arg(out)
                .args(extra)
                .arg(&copy)
                .env("CARGO_TARGET_DIR", target_dir())
                .status()
        }
    }
    .unwrap();
    assert!(status.success(), "{tool:?} failed on {}", example.display());
    std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .expect("a wheel")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "target" || name == "build" {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_tree(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
}

/// `name-version-py-abi-platform.whl` → `py-abi-platform`.
fn wheel_tag(wheel: &Path) -> String {
    let stem = wheel.file_stem().unwrap().to_str().unwrap();
    let parts: Vec<&str> = stem.split('-').collect();
    parts[parts.len() - 3..].join("-")
}

fn audit_has_errors(wheel: &Path) -> bool {
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-abi3"))
        .args(["audit", "--format", "json"])
        .arg(wheel)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let input = &json["inputs"][0];
    errors_in(&input["binaries"])
        || input["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|f| f["severity"] == "error")
}

/// pyenv's CPython 3.8–3.13 with their minor versions.
fn interpreters() -> Vec<(u8, PathBuf)> {
    let mut found = Vec::new();
    let Ok(dir) = std::fs::read_dir("/root/.pyenv/versions") else {
        return found;
    };
    for entry in dir.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let mut parts = name.split('.');
        if parts.next() != Some("3") {
            continue;
        }
        let Some(minor) = parts.next().and_then(|m| m.parse::<u8>().ok()) else {
            continue;
        };
        let python = entry.path().join("bin/python3");
        if python.is_file() && (8..=13).contains(&minor) {
            found.push((minor, python));
        }
    }
    found.sort();
    found.dedup_by_key(|(m, _)| *m);
    found
}

/// Unpacks the wheel and imports its extension module on every interpreter the tag admits:
/// `(minor, imported)`.
fn import_everywhere(wheel: &Path, tag: &str) -> Vec<(u8, bool, String)> {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("python3")
        .args(["-m", "zipfile", "-e"])
        .arg(wheel)
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let module = walk_so(dir.path(), dir.path()).expect("an extension module in the wheel");
    let py = tag.split('-').next().unwrap();
    let abi = tag.split('-').nth(1).unwrap();
    let floor: u8 = py.trim_start_matches("cp3").parse().unwrap();
    let mut results = Vec::new();
    for (minor, python) in interpreters() {
        let admitted = if abi == "abi3" {
            minor >= floor
        } else {
            minor == floor
        };
        if !admitted {
            continue;
        }
        let out = Command::new(&python)
            .args(["-c", &format!("import {module}")])
            .env("PYTHONPATH", dir.path())
            .output()
            .unwrap();
        let why = String::from_utf8_lossy(&out.stderr)
            .lines()
            .last()
            .unwrap_or("")
            .to_owned();
        results.push((minor, out.status.success(), why));
    }
    results
}

fn walk_so(root: &Path, dir: &Path) -> Option<String> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(m) = walk_so(root, &path) {
                return Some(m);
            }
        } else if path.extension().is_some_and(|e| e == "so") {
            let rel = path.strip_prefix(root).ok()?.to_str()?.to_owned();
            let base = rel.split('.').next()?.replace('/', ".");
            return Some(base);
        }
    }
    None
}

fn differential(example: &str, tool: Tool) {
    differential_with(example, tool, &[], &[]);
}

/// [`differential`] with arguments for `check` and for the real build (the same intent said
/// to each, e.g. setuptools' `--py-limited-api`).
fn differential_with(example: &str, tool: Tool, check_args: &[&str], build_args: &[&str]) {
    differential_full(example, tool, check_args, build_args, &[]);
}

/// [`differential_with`], with environment variables for `check` (`PYO3_PYTHON`, the
/// interpreter maturin is given with `-i`); the predicted tag.
fn differential_full(
    example: &str,
    tool: Tool,
    check_args: &[&str],
    build_args: &[&str],
    check_env: &[(&str, &Path)],
) -> Option<String> {
    if tool_missing(tool) {
        return None;
    }
    let dir = repo().join("examples").join(example);
    let checked = check_with_env(&dir, check_args, check_env);
    let out = tempfile::tempdir().unwrap();
    let wheel = build_wheel(&dir, tool, out.path(), build_args);
    let real = wheel_tag(&wheel);
    // Python and ABI tags exactly; the platform among the wheel's compressed platform tags.
    let (want_pa, want_plat) = checked.tag.rsplit_once('-').unwrap();
    let (real_pa, real_plat) = real.rsplit_once('-').unwrap();
    assert_eq!(
        want_pa, real_pa,
        "{example}: check predicts {} but {tool:?} built {real}\n{:#}",
        checked.tag, checked.json
    );
    assert!(
        real_plat.split('.').any(|p| p == want_plat),
        "{example}: check predicts platform {want_plat}, {tool:?} wrote {real_plat}"
    );
    let audited = audit_has_errors(&wheel);
    assert_eq!(
        checked.binary_error, audited,
        "{example}: check's verdict on the artifact (error: {}) and audit's on the wheel (error: {audited}) disagree",
        checked.binary_error
    );
    let imports = import_everywhere(&wheel, &real);
    eprintln!("{example}: {real}; imports {imports:?}");
    if !checked.binary_error {
        for (minor, ok, why) in &imports {
            assert!(
                ok,
                "{example}: check is clean but import fails on 3.{minor}: {why}"
            );
        }
    } else if !imports.is_empty() && example != C_HELPER {
        assert!(
            imports.iter().any(|(_, ok, _)| !ok),
            "{example}: check reports an error but the wheel imports everywhere: {imports:?}"
        );
    }
    Some(checked.tag)
}

/// The one example whose error does not break an import here: its C helper calls
/// `PyUnicode_AsUTF8`, outside the stable ABI (a promise broken on other implementations and
/// future versions) yet exported by every Linux libpython 3.9–3.13.
const C_HELPER: &str = "c-helper-off-floor";

#[test]
fn clean_abi3_matches_maturin() {
    differential("clean-abi3", Tool::Maturin);
}

#[test]
fn raw_extern_311_matches_maturin() {
    differential("raw-extern-311", Tool::Maturin);
}

#[test]
fn requires_python_low_matches_maturin() {
    differential("requires-python-low", Tool::Maturin);
}

#[test]
fn hooked_clean_matches_maturin() {
    differential("hooked-clean", Tool::Maturin);
}

#[test]
fn hooked_requires_python_low_matches_maturin() {
    differential("hooked-requires-python-low", Tool::Maturin);
}

#[test]
fn hooked_c_helper_matches_maturin() {
    differential("hooked-c-helper", Tool::Maturin);
}

#[test]
fn hooked_maturin_extension_module_matches_maturin() {
    differential("hooked-maturin-extension-module", Tool::Maturin);
}

#[test]
fn own_extern_311_matches_maturin() {
    differential("own-extern-311", Tool::Maturin);
}

#[test]
fn abi3_abi3t_fallback_matches_maturin() {
    differential("abi3-abi3t-fallback", Tool::Maturin);
}

#[test]
fn abi3t_old_interpreter_matches_maturin() {
    differential("abi3t-old-interpreter", Tool::Maturin);
}

#[test]
fn maturin_features_floor_matches_maturin() {
    differential("maturin-features-floor", Tool::Maturin);
}

/// setup.py only (no `[tool.setuptools-rust]`): the module read from `RustExtension(...)`,
/// the abi3 intent from `[tool.distutils.bdist_wheel]` in pyproject.toml (cp310).
#[test]
fn setuptools_rust_setup_py_matches_pip_wheel() {
    differential("setuptools-rust-setup-py", Tool::PipWheel);
}

/// bdist_wheel's `--py-limited-api=cp311` on the command line overrides setup.cfg's cp39:
/// `check --py-limited-api cp311` predicts what `pip wheel -C--build-option=…` builds.
#[test]
fn py_limited_api_on_the_command_line_matches_pip_wheel() {
    differential_with(
        "setuptools-rust-limited-api",
        Tool::PipWheel,
        &["--py-limited-api", "cp311"],
        &["-C--build-option=--py-limited-api=cp311"],
    );
}

#[test]
fn setuptools_rust_limited_api_matches_pip_wheel() {
    differential("setuptools-rust-limited-api", Tool::PipWheel);
}

/// Issue case 6, an extension-suffixed cdylib that imports nothing from Python (a PyO3 crate
/// built without its `#[pymodule]`): `check`, which knows the crate builds a module, reports
/// `entry-point-missing`, and the wheel maturin builds really fails to import everywhere.
/// `audit` of the wheel alone cannot tell it from a ctypes library that exports nothing
/// (pycryptodome's universal2 `_ghash_pmull.abi3.so` x86_64 slice is one), so it stays quiet
/// on the wheel: that disagreement is the one this example is allowed.
#[test]
fn empty_module_is_an_error_and_fails_to_import() {
    if tool_missing(Tool::Maturin) {
        return;
    }
    let dir = repo().join("examples").join("empty-module");
    let checked = check(&dir, &[]);
    let finding = checked.json["inputs"][0]["binaries"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "entry-point-missing")
        .unwrap_or_else(|| panic!("no entry-point-missing: {:#}", checked.json));
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("PyInit_empty_module"),
        "{finding:#}"
    );
    let out = tempfile::tempdir().unwrap();
    let wheel = build_wheel(&dir, Tool::Maturin, out.path(), &[]);
    let real = wheel_tag(&wheel);
    assert_eq!(
        checked.tag.rsplit_once('-').unwrap().0,
        real.rsplit_once('-').unwrap().0
    );
    let imports = import_everywhere(&wheel, &real);
    eprintln!("empty-module: {real}; imports {imports:?}");
    assert!(!imports.is_empty());
    for (minor, ok, why) in &imports {
        assert!(
            !ok && why.contains("module export function"),
            "3.{minor}: {why}"
        );
    }
}

/// pyenv's CPython 3.9 (for builds against an older interpreter than python3's).
fn python39() -> Option<PathBuf> {
    interpreters()
        .into_iter()
        .find(|(minor, _)| *minor == 9)
        .map(|(_, path)| path)
}

/// `[tool.maturin] features` with `{ feature, python-version, python-implementation }`
/// entries: maturin passes those whose conditions the interpreter meets. With python3
/// (CPython 3.11 here) that is `pyo3/abi3-py311` and the crate's `type-name` feature, whose
/// raw `PyType_GetName` call the 3.11 floor allows: cp311-abi3, clean, importable on 3.11+.
/// (Passing none of them predicts cp311-cp311; passing all of them puts the 3.11 call on a 3.9
/// floor, an error the wheel does not have.)
#[test]
fn maturin_conditional_features_match_maturin() {
    let tag = differential_full("maturin-conditional-features", Tool::Maturin, &[], &[], &[]);
    if let Some(tag) = tag {
        eprintln!("maturin-conditional-features with python3: {tag}");
    }
}

/// The same crate built for CPython 3.9 (`check` with `PYO3_PYTHON`, `maturin build -i`):
/// `pyo3/abi3-py39` without `type-name`, cp39-abi3, importable on 3.9–3.13.
#[test]
fn maturin_conditional_features_on_39_match_maturin() {
    // pyenv's interpreters are the machine's, not something `.ci/run` installs: a plain skip.
    let Some(python) = python39() else {
        eprintln!("SKIP: no pyenv CPython 3.9");
        return;
    };
    let interpreter = python.to_str().unwrap();
    let tag = differential_full(
        "maturin-conditional-features",
        Tool::Maturin,
        &[],
        &["-i", interpreter],
        &[("PYO3_PYTHON", python.as_path())],
    );
    if let Some(tag) = tag {
        assert!(tag.starts_with("cp39-abi3-"), "{tag}");
    }
}

/// `no-default-features = true`: the default `dev-probe` feature (a raw call to
/// `PyLong_AsInt`, 3.13) stays out of the abi3-py39 wheel; built with it, `check` would
/// report `newer-than-floor` where the wheel is clean.
#[test]
fn maturin_no_default_features_matches_maturin() {
    differential("maturin-no-default-features", Tool::Maturin);
}

/// `all-features = true` turns on the crate's `abi3` feature (`pyo3/abi3-py310`): cp310-abi3,
/// where a build without it would be cp311-cp311.
#[test]
fn maturin_all_features_matches_maturin() {
    differential("maturin-all-features", Tool::Maturin);
}

/// setuptools-rust's `args = ["--no-default-features"]` and `features = ["greeting"]` reach
/// cargo: the default `type-name` feature (a raw call to `PyType_GetName`, 3.11) stays out of
/// the cp39-abi3 wheel, which imports on 3.9–3.13.
#[test]
fn setuptools_rust_args_match_pip_wheel() {
    differential("setuptools-rust-args", Tool::PipWheel);
}

/// maturin's mixed layout (the crate in `rust/`, found through `manifest-path`): `check` and
/// `maturin build` both run from the project's root.
#[test]
fn mixed_layout_matches_maturin() {
    differential("mixed-layout", Tool::Maturin);
}

/// Each crate of a workspace, built by maturin from its own directory.
#[test]
fn two_extensions_match_maturin() {
    differential("two-extensions/ext-a", Tool::Maturin);
    differential("two-extensions/ext-b", Tool::Maturin);
}

/// A C helper compiled without `Py_LIMITED_API` calls `PyUnicode_AsUTF8`: `check` and `audit`
/// of the wheel both report it; the import still works here (see [`C_HELPER`]).
#[test]
fn c_helper_off_floor_matches_maturin() {
    differential(C_HELPER, Tool::Maturin);
}

/// Where the build hook stops the build, `check` says the hook's error (exit 1) and maturin's
/// own build stops on the same code.
fn hook_stops_maturin_too(example: &str, code: &str) {
    if tool_missing(Tool::Maturin) {
        return;
    }
    let dir = repo().join("examples").join(example);
    let checked = check(&dir, &[]);
    let codes: Vec<&str> = checked.json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["findings"].as_array().into_iter().flatten())
        .filter(|f| f["severity"] == "error")
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert_eq!(codes, [code], "{:#}", checked.json);
    let out = tempfile::tempdir().unwrap();
    let built = Command::new("maturin")
        .args(["build", "-q", "-o"])
        .arg(out.path())
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&built.stderr);
    assert!(!built.status.success(), "{example}: maturin built it");
    assert!(
        stderr.contains(&format!("error[{code}]")),
        "{example}: maturin stopped, but not on {code}: {stderr}"
    );
}

#[test]
fn hooked_floor_mismatch_stops_maturin_too() {
    hook_stops_maturin_too("hooked-floor-mismatch", "floor-mismatch");
}

// `hooked-abi3t-old-interpreter` is a bare crate (no pyproject.toml, a `-` in its lib name):
// maturin refuses it before building, so there is no maturin build to compare; the hook
// stopping its cargo build is `tests/it/build_hook.rs`'s, and `check`'s answer `check_cli`'s.
