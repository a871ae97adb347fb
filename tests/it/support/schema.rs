//! The two JSON schemas reports are checked against, compiled once per test run: the report
//! schema (`cargo-abi3/report.schema.json`) and SARIF 2.1.0 (`tests/fixtures/sarif`).

use std::sync::LazyLock;

use serde_json::Value;

fn compile(text: &str, what: &str) -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("the {what} schema is JSON: {e}"));
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("the {what} schema compiles: {e}"))
}

static REPORT: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    compile(
        include_str!("../../../cargo-abi3/report.schema.json"),
        "report",
    )
});

static SARIF: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    compile(
        include_str!("../../fixtures/sarif/sarif-schema-2.1.0.json"),
        "SARIF 2.1.0",
    )
});

/// A schema a JSON output is checked against.
#[derive(Clone, Copy, Debug)]
pub enum Schema {
    /// `cargo-abi3/report.schema.json`: `--format json` of audit, check and host.
    Report,
    /// SARIF 2.1.0: `--format sarif`.
    Sarif,
}

fn assert_valid(json: &Value, schema: Schema) {
    let validator = match schema {
        Schema::Report => &*REPORT,
        Schema::Sarif => &*SARIF,
    };
    let errors: Vec<String> = validator
        .iter_errors(json)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not valid against the {schema:?} schema: {errors:#?}\n{json:#}"
    );
}

/// Asserts that a parsed report is valid against the report schema.
pub fn assert_valid_against_schema(json: &Value) {
    assert_valid(json, Schema::Report);
}

/// Parses `text` as JSON and asserts that it is valid against `schema`.
pub fn parse_valid(text: &str, schema: Schema) -> Value {
    let json: Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{text}"));
    assert_valid(&json, schema);
    json
}
