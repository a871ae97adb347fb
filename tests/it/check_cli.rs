//! Integration tests of `cargo abi3 check` on the crates under `examples/`.
//!
//! The examples are real PyO3 extensions; they share one target directory
//! (`<CARGO_TARGET_TMPDIR>/examples-target`) so PyO3 is compiled once. Tests that need a
//! Python interpreter (or its headers) skip with a printed reason when it is missing.
//!
//! JSON reports are compared with `tests/snapshots/check/<example>.json` after normalising
//! absolute paths, the tool version and build hashes; `SNAPSHOTS=overwrite`
//! rewrites them. Snapshots are recorded on x86_64 Linux; elsewhere only the assertions run.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::Run;
use crate::support::schema::assert_valid_against_schema;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn examples_target() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("examples-target")
}

fn check(manifest: &Path, target_dir: &Path, extra: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_cargo-abi3"))
        .arg("check")
        .arg("--manifest-path")
        .arg(manifest)
        .args(extra)
        .env("CARGO_TARGET_DIR", target_dir)
        .output()
        .expect("run cargo-abi3");
    Run::from_output(&output)
}

fn check_example(name: &str, extra: &[&str]) -> Run {
    let manifest = repo().join("examples").join(name).join("Cargo.toml");
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    check(&manifest, &examples_target(), &args)
}

/// Why PyO3 examples cannot be built here, if they cannot.
fn missing_python(need_headers: bool) -> Option<String> {
    let python = std::env::var("PYO3_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = "import os, sysconfig; print(os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))";
    match Command::new(&python).args(["-c", probe]).output() {
        Err(e) => Some(format!("`{python}` cannot run: {e}")),
        Ok(o) if !o.status.success() => Some(format!("`{python}` failed")),
        Ok(o) if need_headers && String::from_utf8_lossy(&o.stdout).trim() != "True" => Some(
            format!("`{python}` has no Python.h (install the python3-dev headers)"),
        ),
        Ok(_) => None,
    }
}

macro_rules! require_python {
    ($headers:expr) => {
        if let Some(reason) = missing_python($headers) {
            crate::support::skip(reason);
            return;
        }
    };
}

/// Replaces what differs between machines and builds.
fn normalise(value: &mut Value) {
    let repo = repo().display().to_string();
    let target = examples_target().display().to_string();
    match value {
        Value::String(s) => {
            let mut t = s.replace(&target, "<target>").replace(&repo, "<repo>");
            if t.starts_with("cargo-abi3 ") {
                t = "cargo-abi3 <version>".into();
            }
            // The predicted manylinux tag follows the build host's glibc.
            if let Some(rest) = t.strip_prefix("manylinux_2_")
                && let Some((minor, arch)) = rest.split_once('_')
                && minor.bytes().all(|b| b.is_ascii_digit())
            {
                t = format!("manylinux_2_<glibc>_{arch}");
            }
            *s = mask_hashes(&t);
        }
        Value::Array(items) => items.iter_mut().for_each(normalise),
        Value::Object(map) => map.values_mut().for_each(normalise),
        _ => {}
    }
}

/// `floorhelper-ea7f….rcgu.o` → `floorhelper-<hash>.rcgu.o`; `e3b1…-helpers.o` →
/// `<hash>-helpers.o`.
fn mask_hashes(s: &str) -> String {
    s.split_inclusive([' ', '`', '(', ')'])
        .map(|word| {
            let (body, tail) = match word.char_indices().last() {
                Some((i, c)) if [' ', '`', '(', ')'].contains(&c) => (&word[..i], &word[i..]),
                _ => (word, ""),
            };
            let masked = if body.ends_with(".rcgu.o") {
                match body.split_once('-') {
                    Some((krate, _)) => format!("{krate}-<hash>.rcgu.o"),
                    None => body.to_owned(),
                }
            } else if body.ends_with(".o")
                && body
                    .split_once('-')
                    .is_some_and(|(h, _)| h.len() >= 8 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                format!("<hash>-{}", body.split_once('-').map_or("", |(_, r)| r))
            } else {
                body.to_owned()
            };
            masked + tail
        })
        .collect()
}

/// Validates the report against the committed schema, then compares the snapshot.
fn snapshot(name: &str, run: &Run) {
    let mut value = run.json();
    assert_valid_against_schema(&value);
    normalise(&mut value);
    let text = serde_json::to_string_pretty(&value).expect("serialise") + "\n";
    let name = format!("check/{name}.json");
    if std::env::var("SNAPSHOTS").as_deref() != Ok("overwrite")
        && !(cfg!(target_os = "linux") && cfg!(target_arch = "x86_64"))
    {
        crate::support::skip_optional(format_args!(
            "snapshot {name}: recorded on x86_64 Linux, not compared here"
        ));
        return;
    }
    crate::support::snapshot::assert_text(&name, &text);
}

/// The README's `check` example (its first screen) is what `check` prints, colour off: run
/// from the workspace root with the arguments the README shows, the target directory and the
/// rlib member's hash written as the README writes them.
#[test]
fn readme_check_example_is_what_check_prints() {
    require_python!(false);
    let examples = crate::support::snapshot::console_examples(include_str!("../../README.md"));
    let example = examples
        .iter()
        .find(|e| e.command.contains(" check --manifest-path examples/"))
        .expect("the README shows a check example");
    // `cargo run -q -p cargo-abi3 -- check …`: this test's binary, with the same arguments.
    let (_, args) = example
        .command
        .split_once(" -- ")
        .expect("the example runs `cargo run … -- ARGS`");
    let output = Command::new(env!("CARGO_BIN_EXE_cargo-abi3"))
        .args(args.split_whitespace())
        .args(["--color", "never"])
        .current_dir(repo())
        .env("CARGO_TARGET_DIR", examples_target())
        .output()
        .expect("run cargo-abi3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Paths are printed relative to the working directory where they can be.
    let root = format!("{}/", repo().canonicalize().expect("repo").display());
    let target = std::fs::canonicalize(examples_target()).expect("examples target");
    let target = target.display().to_string();
    let relative = target.strip_prefix(&root).unwrap_or(&target);
    let mut text = stdout
        .replace(&target, "target")
        .replace(&root, "")
        .replace(relative, "target");
    // The rlib member's name carries a build hash: `floorhelper-<hash>.rcgu.o`.
    while let Some(start) = text.find("floorhelper-").map(|i| i + "floorhelper-".len()) {
        let Some(len) = text[start..].find(".rcgu.o") else {
            break;
        };
        if &text[start..start + len] == "…" {
            break;
        }
        text.replace_range(start..start + len, "…");
    }
    // The README shows the diagnostic; the summary lines after it are left out there.
    assert!(
        text.starts_with(example.output.trim_end()),
        "README.md's example is not what `{}` prints:\n{text}\nstderr: {}",
        example.command,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Every finding of the report (input-level and per binary).
fn findings(report: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for input in report["inputs"].as_array().expect("inputs") {
        out.extend(input["findings"].as_array().expect("findings"));
        for binary in input["binaries"].as_array().expect("binaries") {
            out.extend(binary["findings"].as_array().expect("findings"));
        }
    }
    out
}

/// The finding of `code` about `symbol`, wherever it is in the report.
fn finding_for<'a>(report: &'a Value, code: &str, symbol: &str) -> &'a Value {
    findings(report)
        .into_iter()
        .find(|f| f["code"] == code && f["symbol"] == symbol)
        .unwrap_or_else(|| panic!("no {code} for {symbol}: {report:#}"))
}

fn span_text(finding: &Value) -> String {
    let span = &finding["span"];
    let text = std::fs::read_to_string(span["file"].as_str().expect("span file")).expect("read");
    let (start, end) = (
        span["start"].as_u64().expect("start") as usize,
        span["end"].as_u64().expect("end") as usize,
    );
    text[start..end].to_owned()
}

#[test]
fn clean_abi3_passes() {
    require_python!(false);
    let run = check_example("clean-abi3", &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(report["inputs"][0]["kind"], "crate");
    assert_eq!(report["inputs"][0]["claimed_floor"], "3.9");
    assert_eq!(report["inputs"][0]["claim_source"]["kind"], "crate-intent");
    snapshot("clean-abi3", &run);
}

/// `--target` (here the host's own triple, the only std installed): cargo puts artifacts under
/// `<target>/<triple>/`, and the predicted tag comes from the triple, not the host.
#[test]
fn an_explicit_target_triple_is_followed() {
    require_python!(false);
    let triple = "x86_64-unknown-linux-gnu";
    if !cfg!(all(
        target_arch = "x86_64",
        target_os = "linux",
        target_env = "gnu"
    )) {
        crate::support::skip_optional(format_args!(
            "the only target std installed is the host's; this test uses {triple}"
        ));
        return;
    }
    let run = check_example("raw-extern-311", &["--target", triple]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let input = &report["inputs"][0];
    assert_eq!(input["tags"]["abi"][0], "abi3", "{report:#}");
    let platform = input["tags"]["platform"][0].as_str().unwrap();
    assert!(
        platform.starts_with("manylinux_2_") && platform.ends_with("_x86_64"),
        "{platform}"
    );
    // The artifact's real path, under CARGO_TARGET_DIR and the triple.
    let member = input["binaries"][0]["member"].as_str().unwrap();
    assert!(
        member.starts_with(&format!("{}/{triple}/debug/", examples_target().display())),
        "the artifact of a --target build: {member}"
    );
    // The same finding, culprit included, as without --target.
    let finding = findings(&report)
        .into_iter()
        .find(|f| f["code"] == "newer-than-floor")
        .expect("newer-than-floor");
    assert!(
        finding["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("floorhelper")),
        "{finding:#}"
    );
    // --no-build finds the --target build's record.
    let again = check_example("raw-extern-311", &["--target", triple, "--no-build"]);
    assert_eq!(again.code, 1, "{}", again.stderr);
}

#[test]
fn raw_extern_names_floorhelper_and_points_at_the_feature() {
    require_python!(false);
    let run = check_example("raw-extern-311", &[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let finding = finding_for(&report, "newer-than-floor", "PyType_GetName");
    let notes = finding["notes"].to_string();
    assert!(
        notes.contains("referenced by crate `floorhelper` (rlib member floorhelper-"),
        "{notes}"
    );
    assert_eq!(span_text(finding), "\"abi3-py39\"");
    assert!(finding["help"].as_str().unwrap().contains("abi3-py311"));
    snapshot("raw-extern-311", &run);

    // --no-build reuses that build's artifacts and says the same.
    let again = check_example("raw-extern-311", &["--no-build"]);
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert_eq!(again.json(), report);
}

/// The human output of a failing check, colour off, as a snapshot: the diagnostic with its
/// source snippet, notes and help, and the summary. Paths are written `<repo>`/`<target>`,
/// build hashes and the build host's glibc masked as in the JSON snapshots.
#[test]
fn raw_extern_human_snapshot() {
    require_python!(false);
    let manifest = repo().join("examples/raw-extern-311/Cargo.toml");
    let run = check(&manifest, &examples_target(), &["--color", "never"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        !run.stdout.contains('\u{1b}'),
        "colour is off: {}",
        run.stdout
    );
    let mut value = Value::String(run.stdout.clone());
    normalise(&mut value);
    let mut text = value.as_str().expect("a string").to_owned();
    // The tag's glibc inside the predicted wheel name, which `normalise` sees only alone.
    let mut from = 0;
    while let Some(at) = text[from..].find("manylinux_2_") {
        let start = from + at + "manylinux_2_".len();
        let digits = text[start..].bytes().take_while(u8::is_ascii_digit).count();
        text.replace_range(start..start + digits, "<glibc>");
        from = start;
    }
    if !(cfg!(target_os = "linux") && cfg!(target_arch = "x86_64")) {
        crate::support::skip_optional(format_args!(
            "snapshot check/raw-extern-311.txt: recorded on x86_64 Linux, not compared here"
        ));
        return;
    }
    crate::support::snapshot::assert_text("check/raw-extern-311.txt", &text);
}

/// Run from a mixed project's root without `--manifest-path`, `check` finds the crate through
/// `[tool.maturin] manifest-path`, as maturin does (there is no Cargo.toml at the root), and
/// predicts the tag maturin writes there (`cp39-abi3-manylinux_2_34_x86_64` on this machine).
#[test]
fn a_mixed_layout_is_found_through_manifest_path() {
    require_python!(false);
    let dir = repo().join("examples").join("mixed-layout");
    let output = Command::new(env!("CARGO_BIN_EXE_cargo-abi3"))
        .args(["check", "--format", "json"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", examples_target())
        .output()
        .expect("run cargo-abi3");
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let input = &report["inputs"][0];
    assert!(
        input["path"]
            .as_str()
            .unwrap()
            .ends_with("mixed-layout/rust/Cargo.toml"),
        "{input:#}"
    );
    assert_eq!(input["tags"]["python"][0], "cp39");
    assert_eq!(input["tags"]["abi"][0], "abi3");
}

/// Under `check`, a finding of the build hook is said once: `check` reports it itself, and the
/// hook's copy that cargo relays from the build script is left out of the build's output.
/// (Plain `cargo build` shows the hook's; cargo replays it on cached builds too.)
#[test]
fn hook_findings_appear_once_under_check() {
    require_python!(false);
    let manifest = repo()
        .join("examples")
        .join("hooked-requires-python-low")
        .join("Cargo.toml");
    let run = check(&manifest, &examples_target(), &["--color", "never"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert_eq!(
        all.matches("requires-python-below-floor").count(),
        1,
        "{all}"
    );
    // Cargo's own lines still come through.
    assert!(run.stderr.contains("Finished"), "{}", run.stderr);
}

/// The most common place for a raw `extern "C"` call is the extension crate itself, whose
/// code no rlib holds: `check` names the crate and the line of the call from its sources.
#[test]
fn a_call_in_the_crates_own_code_is_named_with_its_line() {
    require_python!(false);
    let run = check_example("own-extern-311", &[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let finding = finding_for(&report, "newer-than-floor", "PyType_GetName");
    let notes = finding["notes"].to_string();
    assert!(
        notes.contains("referenced by the crate's own code (`own-extern-311`): src/lib.rs:20"),
        "{notes}"
    );
    assert!(!notes.contains("comes from the linker"), "{notes}");
}

#[test]
fn c_helper_names_the_build_script_object() {
    require_python!(true);
    let run = check_example("c-helper-off-floor", &[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let finding = findings(&report)
        .into_iter()
        .find(|f| f["symbol"] == "PyUnicode_AsUTF8")
        .expect("a finding for PyUnicode_AsUTF8");
    assert_eq!(finding["code"], "not-in-stable-abi");
    let notes = finding["notes"].to_string();
    assert!(
        notes.contains("build script of `c-helper-off-floor`"),
        "{notes}"
    );
    assert!(notes.contains("-helpers.o` in libhelpers.a"), "{notes}");
    assert!(
        finding["help"]
            .as_str()
            .unwrap()
            .contains("Py_LIMITED_API=0x03090000")
    );
    snapshot("c-helper-off-floor", &run);
}

#[test]
fn requires_python_below_the_feature_floor_points_at_pyproject() {
    require_python!(false);
    let run = check_example("requires-python-low", &[]);
    // A warning by default, as in `audit`; `--deny` makes it fail the gate.
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let finding = findings(&report)
        .into_iter()
        .find(|f| f["code"] == "requires-python-below-floor")
        .expect("requires-python-below-floor");
    assert!(
        finding["span"]["file"]
            .as_str()
            .unwrap()
            .ends_with("pyproject.toml")
    );
    assert_eq!(span_text(finding), "\">=3.8\"");
    snapshot("requires-python-low", &run);
    let denied = check_example(
        "requires-python-low",
        &["--no-build", "--deny", "requires-python-below-floor"],
    );
    assert_eq!(denied.code, 1, "{}", denied.stderr);
}

#[test]
fn a_build_the_hook_stops_gives_the_hooks_finding_and_exits_1() {
    require_python!(false);
    let run = check_example("hooked-floor-mismatch", &[]);
    // Not "could not build" (2): the declarations alone show the error that stopped it.
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    // cargo relayed the hook's own diagnostic, with the same code.
    assert!(
        run.stderr
            .contains("error: hooked-floor-mismatch@0.1.0: error[floor-mismatch]"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("need no artifact"), "{}", run.stderr);
    let report = run.json();
    let codes: Vec<&str> = findings(&report)
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert_eq!(codes, ["floor-mismatch"], "{report:#}");
    let finding = findings(&report)[0];
    assert_eq!(span_text(finding), "\"pyo3/abi3-py311\"");
    // The same words as the hook printed through cargo.
    let hook_line = format!(
        "error: hooked-floor-mismatch@0.1.0: error[floor-mismatch]: {}",
        finding["message"].as_str().unwrap()
    );
    assert!(
        run.stderr.contains(&hook_line),
        "{hook_line}\n{}",
        run.stderr
    );
    let help = finding["help"].as_str().unwrap();
    assert!(
        run.stderr.contains(&format!("= help: {help}")),
        "{}",
        run.stderr
    );
    snapshot("hooked-floor-mismatch", &run);
    // Allowing the code leaves nothing to report: the failed build is the answer again.
    let allowed = check_example("hooked-floor-mismatch", &["--allow", "floor-mismatch"]);
    assert_eq!(allowed.code, 2, "{}", allowed.stderr);
}

/// PyO3 0.30.1 quietly builds `abi3t` as a version-specific extension for a pre-3.15
/// interpreter; the hook stops that build, and `check` gives the same finding from the config
/// pyo3-ffi's build script resolved before the build failed.
#[test]
fn abi3t_on_an_old_interpreter_is_the_hooks_error_too() {
    require_python!(false);
    let minor = Command::new("python3")
        .args(["-c", "import sys; print(sys.version_info[1])"])
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<u32>()
                .ok()
        });
    skip_optional_unless!(
        minor.is_some_and(|m| m < 15),
        "needs a python3 older than 3.15 (found minor {minor:?})"
    );
    let run = check_example("hooked-abi3t-old-interpreter", &[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let finding = findings(&report)
        .into_iter()
        .find(|f| f["code"] == "silent-version-specific-build")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(finding["severity"], "error");
    assert_eq!(span_text(finding), "\"abi3t\"");
    let hook_line = format!(
        "error: hooked-abi3t-old-interpreter@0.1.0: error[silent-version-specific-build]: {}",
        finding["message"].as_str().unwrap()
    );
    assert!(
        run.stderr.contains(&hook_line),
        "{hook_line}\n{}",
        run.stderr
    );
}

#[test]
fn two_extensions_are_both_checked() {
    require_python!(false);
    let run = check_example("two-extensions", &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(report["inputs"].as_array().unwrap().len(), 2);
    snapshot("two-extensions", &run);
    let one = check_example("two-extensions", &["-p", "ext-b"]);
    assert_eq!(one.code, 0, "{}", one.stderr);
    let inputs = one.json()["inputs"].clone();
    assert_eq!(inputs.as_array().unwrap().len(), 1);
    assert!(inputs[0]["path"].as_str().unwrap().contains("ext-b"));
}

/// Cargo's own flags, natively: one package selection for `cargo metadata` and the build
/// (`--workspace --exclude`), `--target-dir` (the artifact's real path is under it),
/// `--locked --offline`, `-j`, `-q`.
#[test]
fn cargo_flags_are_taken_natively() {
    require_python!(false);
    let manifest = repo()
        .join("examples")
        .join("two-extensions")
        .join("Cargo.toml");
    let target = examples_target().join("flags-target");
    let output = Command::new(env!("CARGO_BIN_EXE_cargo-abi3"))
        .args(["check", "--format", "json", "--manifest-path"])
        .arg(&manifest)
        .args([
            "--workspace",
            "--exclude",
            "ext-a",
            "--locked",
            "--offline",
            "-j",
            "2",
            "-q",
        ])
        .arg("--target-dir")
        .arg(&target)
        .output()
        .expect("run cargo-abi3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let inputs = report["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 1, "{report:#}");
    assert!(inputs[0]["path"].as_str().unwrap().contains("ext-b"));
    let member = inputs[0]["binaries"][0]["member"].as_str().unwrap();
    assert!(
        member.starts_with(&target.display().to_string()),
        "not under --target-dir: {member}"
    );
    assert!(!stderr.contains("Compiling"), "-q reached cargo: {stderr}");
}

/// `-v` is one "more output": info findings, and cargo's verbosity for the build (`-v`: the
/// fresh units and `rustc` command lines; `-vv`: build scripts' output too). JSON stays valid
/// on stdout, cargo's lines go to stderr; `-q` wins over `-v` for cargo, which refuses both.
#[test]
fn verbose_reaches_cargo_and_json_stays_valid() {
    require_python!(false);
    let manifest = repo()
        .join("examples")
        .join("clean-abi3")
        .join("Cargo.toml");
    let target = examples_target();
    // Built once, so that the verbose runs are all fresh units.
    let quiet = check(&manifest, &target, &["--format", "json"]);
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    assert!(!quiet.stderr.contains("Fresh "), "{}", quiet.stderr);
    let human = check(&manifest, &target, &["-v"]);
    assert_eq!(human.code, 0, "{}\n{}", human.stdout, human.stderr);
    assert!(
        human.stderr.contains("Fresh pyo3"),
        "cargo's -v did not reach the build: {}",
        human.stderr
    );
    let json = check(&manifest, &target, &["-vv", "--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert_eq!(json.json()["inputs"][0]["tags"]["abi"][0], "abi3");
    assert!(json.stderr.contains("Fresh pyo3"), "{}", json.stderr);
    let both = check(&manifest, &target, &["-v", "-q", "--format", "json"]);
    assert_eq!(both.code, 0, "{}", both.stderr);
    assert!(!both.stderr.contains("Fresh "), "{}", both.stderr);
    both.json();
    // A build that compiles something: `rustc`'s command line is shown.
    let touched = tempfile::tempdir().unwrap();
    let scratch = scratch_crate(&[
        ("Cargo.toml", CDYLIB_TOML),
        (
            "src/lib.rs",
            "#[unsafe(no_mangle)]\npub extern \"C\" fn one() -> i32 { 1 }\n",
        ),
    ]);
    let run = check(
        &scratch.path().join("Cargo.toml"),
        touched.path(),
        &["-v", "--format", "json"],
    );
    run.json();
    assert!(
        run.stderr.contains("Running `") && run.stderr.contains("rustc"),
        "{}",
        run.stderr
    );
}

/// A throwaway crate (no PyO3: builds in a second) with the given files.
fn scratch_crate(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    dir
}

fn scratch_target() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("scratch-target")
}

const CDYLIB_TOML: &str = "[package]\nname = \"scratch\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n[lib]\ncrate-type = [\"cdylib\"]\n";

#[test]
fn a_crate_without_cdylib_exits_2() {
    let dir = scratch_crate(&[
        (
            "Cargo.toml",
            "[package]\nname = \"plain\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
        ),
        ("src/lib.rs", "pub fn f() {}\n"),
    ]);
    let run = check(&dir.path().join("Cargo.toml"), &scratch_target(), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no cdylib to check"), "{}", run.stderr);
}

#[test]
fn a_failed_build_exits_2_with_cargo_diagnostics() {
    let dir = scratch_crate(&[
        ("Cargo.toml", CDYLIB_TOML),
        ("src/lib.rs", "pub fn f() -> u8 { \"not a number\" }\n"),
    ]);
    let run = check(&dir.path().join("Cargo.toml"), &scratch_target(), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("mismatched types"), "{}", run.stderr);
    assert!(
        run.stderr.contains("`cargo build` failed"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_malformed_cargo_toml_is_an_error_with_its_location() {
    let dir = scratch_crate(&[
        ("Cargo.toml", "[package]\nname = \"x\nversion = 1\n"),
        ("src/lib.rs", ""),
    ]);
    let run = check(&dir.path().join("Cargo.toml"), &scratch_target(), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("Cargo.toml"), "{}", run.stderr);
    assert!(run.stderr.contains("Cargo.toml:2:"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn a_malformed_pyproject_is_reported_with_a_span() {
    let dir = scratch_crate(&[
        ("Cargo.toml", CDYLIB_TOML),
        (
            "src/lib.rs",
            "#[no_mangle]\npub extern \"C\" fn PyInit_scratch() {}\n",
        ),
        ("pyproject.toml", "[project]\nrequires-python = \">=3.9\n"),
    ]);
    let run = check(
        &dir.path().join("Cargo.toml"),
        &scratch_target(),
        &["--format", "json"],
    );
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let finding = findings(&report)
        .into_iter()
        .find(|f| f["code"] == "unreadable-input")
        .expect("unreadable-input");
    assert!(
        finding["span"]["file"]
            .as_str()
            .unwrap()
            .ends_with("pyproject.toml")
    );
}

#[test]
fn no_build_without_a_previous_build_exits_2() {
    let dir = scratch_crate(&[("Cargo.toml", CDYLIB_TOML), ("src/lib.rs", "")]);
    let target = dir.path().join("target");
    let run = check(&dir.path().join("Cargo.toml"), &target, &["--no-build"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("no previous build recorded"),
        "{}",
        run.stderr
    );
}

/// A C-ABI cdylib that is no Python module (no PyO3, no Python build backend) is not judged
/// as one: `check` knows a PyO3 crate's cdylib is a module (an empty one is an error), not
/// every cdylib of a workspace.
#[test]
fn a_plain_c_cdylib_is_not_held_to_module_rules() {
    let dir = scratch_crate(&[
        ("Cargo.toml", CDYLIB_TOML),
        (
            "src/lib.rs",
            "#[unsafe(no_mangle)]\npub extern \"C\" fn add(a: i32, b: i32) -> i32 { a + b }\n",
        ),
    ]);
    let run = check(
        &dir.path().join("Cargo.toml"),
        &scratch_target(),
        &["--format", "json"],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    assert!(
        !findings(&report)
            .iter()
            .any(|f| f["code"] == "entry-point-missing"),
        "{report:#}"
    );
}
