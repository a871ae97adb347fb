//! The formats CI reads (`--format sarif`, `--format github`) and the policy file, end to end
//! through the CLI. SARIF is validated against the vendored OASIS SARIF 2.1.0 schema
//! (`tests/fixtures/sarif/`, see its PROVENANCE.md).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::schema::{Schema, parse_valid};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

const PROCMAPS: &str = "tests/fixtures/real/procmaps-0.5.0-cp36-abi3-manylinux2010_x86_64.whl";

/// Runs the CLI in `dir`; returns (exit code, stdout, stderr).
fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-abi3"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run cargo-abi3");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf-8 stdout"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_valid_sarif(text: &str) -> Value {
    parse_valid(text, Schema::Sarif)
}

fn assert_valid_report(text: &str) -> Value {
    parse_valid(text, Schema::Report)
}

#[test]
fn sarif_of_a_real_wheel_is_valid_and_locates_the_member() {
    let (code, stdout, _) = run_in(&workspace(), &["audit", "--format", "sarif", PROCMAPS]);
    assert_eq!(code, 1, "{stdout}");
    let log = assert_valid_sarif(&stdout);
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "cargo-abi3");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"newer-than-floor") && ids.contains(&"unreadable-input"));
    let newer = rules
        .iter()
        .find(|r| r["id"] == "newer-than-floor")
        .unwrap();
    assert!(
        newer["help"]["text"]
            .as_str()
            .unwrap()
            .contains("raise the floor")
    );
    let result = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "newer-than-floor")
        .expect("the floor violation is a result");
    assert_eq!(result["level"], "error");
    assert_eq!(result["properties"]["symbol"], "PyUnicode_AsUTF8AndSize");
    let location = &result["locations"][0];
    assert_eq!(
        location["physicalLocation"]["artifactLocation"]["uri"],
        PROCMAPS
    );
    assert_eq!(
        location["physicalLocation"]["artifactLocation"]["uriBaseId"],
        "%SRCROOT%"
    );
    let logical = location["logicalLocations"][0]["fullyQualifiedName"]
        .as_str()
        .unwrap();
    assert!(logical.starts_with(&format!("{PROCMAPS}!")), "{logical}");
    assert!(logical.ends_with("(x86_64)"), "{logical}");
    // Rule indexes point at the rule of the same id.
    let index = result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "newer-than-floor");
}

#[test]
fn github_commands_annotate_the_wheel() {
    let (code, stdout, _) = run_in(&workspace(), &["audit", "--format", "github", PROCMAPS]);
    assert_eq!(code, 1, "{stdout}");
    let error = stdout
        .lines()
        .find(|l| l.starts_with("::error "))
        .unwrap_or_else(|| panic!("no ::error line:\n{stdout}"));
    assert!(
        error.starts_with(&format!(
            "::error file={PROCMAPS},title=newer-than-floor in "
        )),
        "{error}"
    );
    assert!(
        error.contains("::`PyUnicode_AsUTF8AndSize` needs Python 3.10"),
        "{error}"
    );
    // Each annotation is one line: notes and help are %0A-escaped.
    assert!(error.contains("%0Ahelp: "), "{error}");
    assert!(
        stdout
            .lines()
            .last()
            .unwrap()
            .starts_with("cargo-abi3: failed: 1 input(s)"),
        "{stdout}"
    );
}

#[test]
fn usage_errors_are_reports_in_the_machine_formats() {
    let (code, stdout, stderr) = run_in(&workspace(), &["audit", "--format", "sarif", "--bogus"]);
    assert_eq!(code, 2, "{stderr}");
    let log = assert_valid_sarif(&stdout);
    assert_eq!(log["runs"][0]["results"][0]["ruleId"], "unreadable-input");
    assert_eq!(
        log["runs"][0]["invocations"][0]["executionSuccessful"],
        false
    );
    let (code, stdout, _) = run_in(&workspace(), &["audit", "--format=github", "--bogus"]);
    assert_eq!(code, 2);
    assert!(
        stdout.starts_with("::error title=unreadable-input::"),
        "{stdout}"
    );
    // A missing input in SARIF: no physical location for a file that is not there.
    let (code, stdout, _) = run_in(&workspace(), &["audit", "--format", "sarif", "no/such.whl"]);
    assert_eq!(code, 2);
    let log = assert_valid_sarif(&stdout);
    let location = &log["runs"][0]["results"][0]["locations"][0];
    assert!(location.get("physicalLocation").is_none(), "{location:#}");
    assert_eq!(
        location["logicalLocations"][0]["fullyQualifiedName"],
        "no/such.whl"
    );
}

#[test]
fn json_stays_on_its_schema() {
    let (_, stdout, _) = run_in(&workspace(), &["audit", "--format", "json", PROCMAPS]);
    let json = assert_valid_report(&stdout);
    assert_eq!(json["summary"]["allowed"], 0);
}

/// A scratch directory holding the procmaps wheel and `policy` as cargo-abi3.toml.
fn project(policy: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let wheel = workspace().join(PROCMAPS);
    std::fs::copy(&wheel, dir.path().join(wheel.file_name().unwrap())).unwrap();
    std::fs::write(dir.path().join("cargo-abi3.toml"), policy).unwrap();
    dir
}

const WHEEL: &str = "procmaps-0.5.0-cp36-abi3-manylinux2010_x86_64.whl";

const POLICY: &str = r#"deny = ["extra-exports"]

[[allow-finding]]
code = "newer-than-floor"
symbol = "PyUnicode_AsUTF8AndSize"
path = "procmaps-*.whl!*"
reason = "only called behind a version check"

[[allow-finding]]
code = "not-in-stable-abi"
symbol = "_PyNothing*"
reason = "left over"

[[allow-finding]]
code = "newer-than-floor"
path = "other-*.whl"
reason = "another wheel of the release"
"#;

#[test]
fn policy_file_accepts_with_reasons_and_flags_stale_entries() {
    let dir = project(POLICY);
    // Human: the accepted finding is one `allowed` line with its reason; the stale entry is
    // a warning pointing into the file; the entry for a wheel not audited is not judged.
    let (code, stdout, _) = run_in(dir.path(), &["audit", WHEEL]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("allowed[newer-than-floor]: `PyUnicode_AsUTF8AndSize` needs Python 3.10")
            && stdout.contains("reason: only called behind a version check (cargo-abi3.toml:4:8)"),
        "{stdout}"
    );
    assert!(stdout.contains("warning[unmatched-allow]"), "{stdout}");
    assert!(stdout.contains("--> cargo-abi3.toml:10:8"), "{stdout}");
    assert_eq!(stdout.matches("unmatched-allow").count(), 1, "{stdout}");
    assert!(
        stdout.contains("ok: 1 input, 1 binary: 0 errors, 1 warning, 1 allowed"),
        "{stdout}"
    );

    // JSON: the reason and the entry, the stale entry's span with line and column.
    let (_, stdout, _) = run_in(dir.path(), &["audit", "--format", "json", WHEEL]);
    let json = assert_valid_report(&stdout);
    let allowed = &json["inputs"][0]["binaries"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "newer-than-floor")
        .unwrap()["allowed"];
    assert_eq!(allowed["reason"], "only called behind a version check");
    assert_eq!(allowed["by"], "cargo-abi3.toml:4:8");
    let config = &json["inputs"][1];
    assert_eq!(config["kind"], "config");
    let span = &config["findings"][0]["span"];
    assert_eq!(
        (span["line"].as_u64(), span["column"].as_u64()),
        (Some(10), Some(8))
    );
    assert_eq!(json["summary"]["allowed"], 1);

    // SARIF: a suppression with the justification; the stale entry located in the file.
    let (_, stdout, _) = run_in(dir.path(), &["audit", "--format", "sarif", WHEEL]);
    let log = assert_valid_sarif(&stdout);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let suppressed = results
        .iter()
        .find(|r| r["ruleId"] == "newer-than-floor")
        .unwrap();
    assert_eq!(
        suppressed["suppressions"][0]["justification"],
        "only called behind a version check"
    );
    let stale = results
        .iter()
        .find(|r| r["ruleId"] == "unmatched-allow")
        .unwrap();
    let location = &stale["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "cargo-abi3.toml");
    assert_eq!(location["region"]["startLine"], 10);

    // A stale entry can fail the gate.
    let (code, _, _) = run_in(dir.path(), &["audit", "--deny", "unmatched-allow", WHEEL]);
    assert_eq!(code, 1);
    // --config wins over the file in the directory (an empty policy: the error is back).
    std::fs::write(dir.path().join("empty.toml"), "").unwrap();
    let (code, stdout, _) = run_in(dir.path(), &["audit", "--config", "empty.toml", WHEEL]);
    assert_eq!(code, 1, "{stdout}");
}

#[test]
fn policy_in_pyproject_and_errors_with_spans() {
    let dir = project("");
    std::fs::remove_file(dir.path().join("cargo-abi3.toml")).unwrap();
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname = \"x\"\n\n[tool.cargo-abi3]\nallow = [\"newer-than-floor\"]\n",
    )
    .unwrap();
    let (code, stdout, _) = run_in(dir.path(), &["audit", WHEEL]);
    assert_eq!(code, 0, "{stdout}");

    // Malformed: exit 2, the error points into the file, in every format.
    std::fs::write(
        dir.path().join("cargo-abi3.toml"),
        "[[allow-finding]]\ncode = \"newer-than-floor\"\n",
    )
    .unwrap();
    let (code, stdout, _) = run_in(dir.path(), &["audit", WHEEL]);
    assert_eq!(code, 2, "{stdout}");
    assert!(stdout.contains("error[unreadable-input]: cargo-abi3.toml: the allow-finding for `newer-than-floor` has no `reason`"), "{stdout}");
    assert!(stdout.contains("--> cargo-abi3.toml:2:8"), "{stdout}");
    let (code, stdout, _) = run_in(dir.path(), &["audit", "--format", "json", WHEEL]);
    assert_eq!(code, 2);
    let json = assert_valid_report(&stdout);
    assert_eq!(json["inputs"][0]["findings"][0]["span"]["line"], 2);
    let (code, stdout, _) = run_in(dir.path(), &["audit", "--format", "github", WHEEL]);
    assert_eq!(code, 2);
    assert!(
        stdout.starts_with("::error file=cargo-abi3.toml,line=2,col=8,"),
        "{stdout}"
    );
    // Input errors cannot be allowed.
    std::fs::write(
        dir.path().join("cargo-abi3.toml"),
        "allow = [\"unreadable-input\"]\n",
    )
    .unwrap();
    let (code, stdout, _) = run_in(dir.path(), &["audit", "missing.whl"]);
    assert_eq!(code, 2);
    assert!(stdout.contains("cannot be allowed"), "{stdout}");
    // A --config that is not there.
    let (code, _, stderr) = run_in(dir.path(), &["audit", "--config", "nope.toml", WHEEL]);
    assert_eq!(code, 2, "{stderr}");
    // A FIFO where the policy would be is refused, never opened (it would block the gate).
    std::fs::remove_file(dir.path().join("cargo-abi3.toml")).unwrap();
    let made = Command::new("mkfifo")
        .arg(dir.path().join("cargo-abi3.toml"))
        .status();
    if made.is_ok_and(|s| s.success()) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cargo-abi3"))
            .args(["audit", WHEEL])
            .current_dir(dir.path())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let start = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > std::time::Duration::from_secs(30) {
                let _ = child.kill();
                panic!("a FIFO policy file blocked the audit");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let mut stdout = String::new();
        std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
        assert_eq!(status.code(), Some(2), "{stdout}");
        assert!(stdout.contains("not a regular file"), "{stdout}");
    }
}

#[test]
fn list_and_explain_speak_json_and_help_shows_exit_codes() {
    let (code, stdout, _) = run_in(&workspace(), &["list", "--format", "json"]);
    assert_eq!(code, 0);
    let list: Value = serde_json::from_str(&stdout).unwrap();
    let codes = list["codes"].as_array().unwrap();
    let unmatched = codes
        .iter()
        .find(|c| c["code"] == "unmatched-allow")
        .unwrap();
    assert_eq!(unmatched["default_severity"], "warning");
    assert_eq!(unmatched["family"], "policy file");
    assert!(codes.iter().all(|c| c.get("explain").is_none()));
    let (code, stdout, _) = run_in(
        &workspace(),
        &["explain", "newer-than-floor", "--format", "json"],
    );
    assert_eq!(code, 0);
    let explain: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(explain["code"], "newer-than-floor");
    assert!(
        explain["explain"]
            .as_str()
            .unwrap()
            .contains("Fix: raise the floor")
    );
    let (code, _, _) = run_in(
        &workspace(),
        &["explain", "no-such-code", "--format", "json"],
    );
    assert_eq!(code, 2);
    for command in ["audit", "check", "host", "list", "explain"] {
        let (code, stdout, _) = run_in(&workspace(), &[command, "--help"]);
        assert_eq!(code, 0);
        assert!(stdout.contains("Examples:"), "{command}: {stdout}");
        assert!(stdout.contains("Exit codes:"), "{command}: {stdout}");
    }
}

/// The workflow files as YAML (PyYAML, which `.ci/run` installs), as JSON values.
fn workflow(name: &str) -> Option<Value> {
    let path = workspace().join(".github/workflows").join(name);
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
        ])
        .arg(&path)
        .output()
        .ok()?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("No module named"),
            "{name} is not valid YAML: {err}"
        );
        return None;
    }
    Some(serde_json::from_slice(&out.stdout).expect("json"))
}

/// The release workflow gates every wheel with the tool built from the tag before anything
/// is published, and CI runs the README's test command.
#[test]
fn workflows_gate_the_release_and_run_the_test_command() {
    let (Some(release), Some(ci)) = (workflow("release.yml"), workflow("ci.yml")) else {
        crate::support::skip("PyYAML is missing");
        return;
    };
    let jobs = &release["jobs"];
    let gate_runs: Vec<&str> = jobs["gate"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect();
    assert!(
        gate_runs
            .iter()
            .any(|r| r.contains("cargo-abi3 -- abi3 audit") && r.contains("dist/*.whl")),
        "{gate_runs:?}"
    );
    let mut gate_needs: Vec<&str> = jobs["gate"]["needs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    gate_needs.sort_unstable();
    assert_eq!(gate_needs, ["linux", "macos", "windows"]);
    assert_eq!(jobs["publish"]["needs"], "gate");
    let linux = jobs["linux"]["steps"].to_string();
    assert!(
        linux.contains("cargo-abi3/packaging/build-wheel.sh dist"),
        "{linux}"
    );
    let test = ci["jobs"]["test"]["steps"].to_string();
    assert!(test.contains("CI=true bash .ci/run"), "{test}");
}
