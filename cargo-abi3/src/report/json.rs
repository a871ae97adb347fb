//! The versioned JSON report (schema: `cargo-abi3/report.schema.json`).

use serde::Serialize;

use super::{InputReport, REPORT_VERSION, Report, Summary};

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: &'static str,
    inputs: &'a [InputReport],
    summary: Summary,
}

/// Renders the report as pretty-printed JSON (stable order: inputs in argument order,
/// binaries in archive order, findings in rule order).
pub fn render(report: &Report) -> String {
    let document = Document {
        version: REPORT_VERSION,
        tool: concat!("cargo-abi3 ", env!("CARGO_PKG_VERSION")),
        inputs: &report.inputs,
        summary: report.summary(),
    };
    // Serialising plain data structures cannot fail; keep the fallback honest anyway.
    serde_json::to_string_pretty(&document).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
