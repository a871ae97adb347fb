//! The formats CI reads (`--format sarif`, `--format github`) and the policy file, end to end
//! through the CLI. SARIF is validated against the vendored OASIS SARIF 2.1.0 schema
//! (`tests/fixtures/sarif/`, see its PROVENANCE.md).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

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

pub fn assert_valid_sarif(text: &str) -> Value {
    let log: Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{text}"));
    let schema: Value =
        serde_json::from_str(include_str!("fixtures/sarif/sarif-schema-2.1.0.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not SARIF 2.1.0: {errors:#?}\n{text}");
    log
}

fn assert_valid_report(text: &str) -> Value {
    let json: Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{text}"));
    let schema: Value =
        serde_json::from_str(include_str!("../cargo-abi3/report.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report off its schema: {errors:#?}\n{text}"
    );
    json
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
