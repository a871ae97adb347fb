//! SARIF 2.1.0 (`--format sarif`), for GitHub code scanning and other SARIF consumers.
//!
//! One `reportingDescriptor` per code (its `explain` text as help); one result per finding,
//! located at the manifest span (file, line, column) when it has one, else at the input file
//! with the `wheel!member (arch)` location as a logical location. Allowed findings carry a
//! `suppressions` entry with their reason. Validated in `tests/it/ci_formats.rs` against the
//! vendored OASIS schema.

use cargo_abi3_build_hook::{Code, Severity};
use serde_json::{Value, json};

use super::human::location;
use super::stream::{Render, pretty_at, render_to_string};
use super::{BinaryReport, InputKind, InputReport, Report, Summary};
use crate::finding::Finding;

/// The `$schema` SARIF consumers expect.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// How to render.
#[derive(Clone, Copy, Debug, Default)]
pub struct SarifOptions {
    /// Also report info-level findings (as SARIF `note`).
    pub verbose: bool,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// `newer-than-floor` → `NewerThanFloor` (SARIF's `name` is an identifier-like string).
fn pascal_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

fn rule(code: Code) -> Value {
    json!({
        "id": code.name(),
        "name": pascal_case(code.name()),
        "shortDescription": { "text": code.summary() },
        "fullDescription": { "text": code.summary() },
        "help": { "text": format!("{}\n\nRun `cargo abi3 explain {}` for the same text.", code.explain(), code.name()) },
        "defaultConfiguration": { "level": level(code.default_severity()) },
        "properties": {
            "family": code.family().title(),
            "tags": ["python", "abi3", code.family().title()],
        },
    })
}

/// A URI reference for a path: relative to the working directory (then with
/// `uriBaseId: %SRCROOT%`) when it is under it, else a `file://` URI.
fn artifact_location(path: &str) -> Value {
    let relative = super::relative_to_cwd(path);
    if relative.is_relative {
        json!({ "uri": percent_encode(&relative.path), "uriBaseId": "%SRCROOT%" })
    } else {
        let path = relative.path.replace('\\', "/");
        let path = if path.starts_with('/') {
            path
        } else {
            format!("/{path}")
        };
        json!({ "uri": format!("file://{}", percent_encode(&path)) })
    }
}

/// Percent-encodes what may not stand in a URI path (RFC 3986 `pchar` plus `/`).
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
            );
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The finding's message with its notes and help, as one text.
pub(crate) fn full_text(finding: &Finding) -> String {
    let mut text = finding.message.clone();
    for note in &finding.notes {
        text.push_str("\nnote: ");
        text.push_str(note);
    }
    if let Some(help) = &finding.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    text
}

/// A stable fingerprint of what a finding is about (FNV-1a over code, location and symbol),
/// so code scanning can follow an alert across runs.
fn fingerprint(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

fn physical_is_missing(location: &Value) -> bool {
    location.get("physicalLocation").is_none()
}

/// One result: the finding with its location (`None`: an info finding hidden without
/// `verbose`).
fn result(
    input: &InputReport,
    binary: Option<&BinaryReport>,
    finding: &Finding,
    options: SarifOptions,
) -> Option<Value> {
    if finding.severity == Severity::Info && finding.allowed.is_none() && !options.verbose {
        return None;
    }
    let rule_index = Code::ALL.iter().position(|&c| c == finding.code);
    let where_ = location(input, binary);
    let physical = match &finding.span {
        Some(span) => {
            let mut physical = json!({
                "artifactLocation": artifact_location(&span.file.display().to_string()),
            });
            if let Some(p) = span.position() {
                physical["region"] = json!({
                    "startLine": p.line,
                    "startColumn": p.column,
                    "endLine": p.end_line,
                    "endColumn": p.end_column,
                });
            }
            physical
        }
        // A path that does not exist (a missing input, the command line itself) has
        // only its logical location.
        None if std::path::Path::new(&input.path).exists() => {
            json!({ "artifactLocation": artifact_location(&input.path) })
        }
        None => Value::Null,
    };
    let mut location = json!({});
    if !physical.is_null() {
        location["physicalLocation"] = physical;
    }
    if binary.is_some() || input.kind != InputKind::Crate || physical_is_missing(&location) {
        location["logicalLocations"] = json!([{
            "fullyQualifiedName": where_,
            "kind": if binary.is_some() { "module" } else { "resource" },
        }]);
    }
    let mut properties = json!({ "severity": finding.severity.to_string() });
    if let Some(symbol) = &finding.symbol {
        properties["symbol"] = json!(symbol);
    }
    if let Some(binary) = binary {
        if let Some(member) = &binary.member {
            properties["member"] = json!(member);
        }
        properties["arch"] = json!(binary.arch.tag_name(binary.format.platform()));
    }
    if let Some(omitted) = finding.omitted {
        properties["omitted"] = json!(omitted);
    }
    let mut result = json!({
        "ruleId": finding.code.name(),
        "level": level(finding.severity),
        "message": { "text": full_text(finding) },
        "locations": [location],
        "partialFingerprints": {
            "cargoAbi3Finding/v1": fingerprint(&[
                finding.code.name(),
                &where_,
                finding.symbol.as_deref().unwrap_or(""),
            ]),
        },
        "properties": properties,
    });
    if let Some(index) = rule_index {
        result["ruleIndex"] = json!(index);
    }
    if let Some(allowed) = &finding.allowed {
        result["suppressions"] = json!([{
            "kind": "external",
            "status": "accepted",
            "justification": allowed.reason,
            "properties": { "by": allowed.by },
        }]);
    }
    Some(result)
}

/// SARIF as a [`Render`]: the log and its run's `tool` (every rule, from the static
/// registry) first, then `results` as inputs are done, then `invocations` with the exit code.
#[derive(Debug, Default)]
pub struct SarifRender {
    options: SarifOptions,
    written: usize,
}

impl SarifRender {
    pub fn new(options: SarifOptions) -> Self {
        SarifRender {
            options,
            written: 0,
        }
    }
}

impl Render for SarifRender {
    fn begin(&mut self) -> String {
        let rules: Vec<Value> = Code::ALL.iter().map(|&c| rule(c)).collect();
        let tool = json!({
            "driver": {
                "name": "cargo-abi3",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules,
            }
        });
        let mut out = format!(
            "{{\n  \"$schema\": {},\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {{\n      \"tool\": {},\n      \"columnKind\": \"unicodeCodePoints\",\n",
            pretty_at(SCHEMA_URI, 0),
            pretty_at(&tool, 6)
        );
        let cwd = std::env::current_dir()
            .ok()
            .map(|d| d.display().to_string().replace('\\', "/"));
        if let Some(cwd) = cwd {
            let cwd = if cwd.starts_with('/') {
                cwd
            } else {
                format!("/{cwd}")
            };
            let cwd = if cwd.ends_with('/') {
                cwd
            } else {
                format!("{cwd}/")
            };
            let bases = json!({
                "%SRCROOT%": { "uri": format!("file://{}", percent_encode(&cwd)) }
            });
            out.push_str(&format!(
                "      \"originalUriBaseIds\": {},\n",
                pretty_at(&bases, 6)
            ));
        }
        out.push_str("      \"results\": [");
        out
    }

    fn group(&mut self, inputs: &[InputReport]) -> String {
        let mut out = String::new();
        for input in inputs {
            for (binary, finding) in input.all_findings() {
                let Some(result) = result(input, binary, finding, self.options) else {
                    continue;
                };
                out.push_str(if self.written == 0 {
                    "\n        "
                } else {
                    ",\n        "
                });
                out.push_str(&pretty_at(&result, 8));
                self.written += 1;
            }
        }
        out
    }

    fn end(&mut self, summary: &Summary) -> String {
        let invocations = json!([{
            "executionSuccessful": summary.exit_code() != 2,
            "exitCode": summary.exit_code(),
        }]);
        format!(
            "{}],\n      \"invocations\": {}\n    }}\n  ]\n}}\n",
            if self.written == 0 { "" } else { "\n      " },
            pretty_at(&invocations, 6)
        )
    }
}

/// Renders the report as a SARIF 2.1.0 log (pretty-printed JSON).
pub fn render(report: &Report, options: SarifOptions) -> String {
    let mut text = render_to_string(Box::new(SarifRender::new(options)), report);
    text.truncate(text.trim_end().len());
    text
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::finding::SourceSpan;
    use crate::rules::Role;

    /// A report with each kind of location: a manifest span, a wheel member, an allowed one.
    pub(crate) fn sample(dir: &std::path::Path) -> Report {
        let manifest = dir.join("pyproject.toml");
        let text = "[project]\nname = \"x\"\nrequires-python = \">=3.8\"\n";
        std::fs::write(&manifest, text).unwrap();
        let start = text.find("\">=3.8\"").unwrap();
        let mut krate = InputReport::new(
            dir.join("Cargo.toml").display().to_string(),
            InputKind::Crate,
        );
        krate.findings.push(
            Finding::new(Code::RequiresPythonBelowFloor, "requires-python admits 3.8")
                .span(SourceSpan::new(manifest, start, start + 7, "admits 3.8"))
                .help("set requires-python = \">=3.9\""),
        );
        let wheel_path = dir.join("demo-1.0-cp39-abi3-manylinux_2_17_x86_64.whl");
        std::fs::write(&wheel_path, b"PK").unwrap();
        let mut wheel = InputReport::new(wheel_path.display().to_string(), InputKind::Wheel);
        wheel.binaries.push(BinaryReport {
            member: Some("demo/_demo.abi3.so".into()),
            format: crate::binary::Format::Elf,
            arch: crate::binary::Arch::X86_64,
            fat_slice: None,
            role: Role::ExtensionModule,
            computed_floor: None,
            findings: vec![
                Finding::new(Code::NewerThanFloor, "`PyType_GetName` needs Python 3.11")
                    .symbol("PyType_GetName")
                    .note("added to the stable ABI in 3.11"),
                Finding::new(Code::ExtraExports, "exports 1 symbol matching `ffi_*`")
                    .allow("re-exported for plugins", "cargo-abi3.toml:5:8"),
            ],
        });
        Report {
            inputs: vec![krate, wheel],
        }
    }

    #[test]
    fn valid_against_the_sarif_2_1_0_schema() {
        let dir = tempfile::tempdir().unwrap();
        let sarif = render(&sample(dir.path()), SarifOptions::default());
        let log: Value = serde_json::from_str(&sarif).unwrap();
        // Read at run time: the schema is vendored beside the workspace's tests, not in the
        // published crate.
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/sarif/sarif-schema-2.1.0.json"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            eprintln!("SKIP: no SARIF schema at {path}");
            return;
        };
        let schema: Value = serde_json::from_str(&text).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}\n{sarif}");

        let run = &log["runs"][0];
        assert_eq!(
            run["tool"]["driver"]["rules"].as_array().unwrap().len(),
            Code::ALL.len()
        );
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 3);
        let span = &results[0];
        assert_eq!(span["ruleId"], "requires-python-below-floor");
        assert_eq!(span["level"], "warning");
        let region = &span["locations"][0]["physicalLocation"]["region"];
        assert_eq!(
            (region["startLine"].as_u64(), region["startColumn"].as_u64()),
            (Some(3), Some(19))
        );
        assert_eq!(region["endColumn"], 26);
        let member = &results[1];
        assert_eq!(member["level"], "error");
        assert_eq!(member["properties"]["symbol"], "PyType_GetName");
        assert!(
            member["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                .as_str()
                .unwrap()
                .ends_with(".whl!demo/_demo.abi3.so (x86_64)"),
            "{member:#}"
        );
        let allowed = &results[2];
        assert_eq!(
            allowed["suppressions"][0]["justification"],
            "re-exported for plugins"
        );
        assert_eq!(allowed["suppressions"][0]["kind"], "external");
        assert_eq!(run["invocations"][0]["exitCode"], 1);
    }

    #[test]
    fn names_and_uris() {
        assert_eq!(pascal_case("newer-than-floor"), "NewerThanFloor");
        assert_eq!(percent_encode("dist/a b%#.whl"), "dist/a%20b%25%23.whl");
        assert_eq!(percent_encode("模"), "%E6%A8%A1");
        assert_ne!(fingerprint(&["a", "bc"]), fingerprint(&["ab", "c"]));
    }
}
