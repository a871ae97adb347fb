//! The versioned JSON report (schema: `cargo-abi3/report.schema.json`).
//!
//! Written as a stream: the header, then each input as it is done, then the summary. The bytes
//! are those `serde_json::to_string_pretty` gives for the whole document.

use super::stream::{Render, pretty_at, render_to_string};
use super::{REPORT_VERSION, Report, Summary};

/// The JSON format as a [`Render`]: `inputs` is written element by element.
#[derive(Debug, Default)]
pub struct JsonRender {
    written: usize,
}

impl Render for JsonRender {
    fn begin(&mut self) -> String {
        format!(
            "{{\n  \"version\": {REPORT_VERSION},\n  \"tool\": {},\n  \"inputs\": [",
            pretty_at(concat!("cargo-abi3 ", env!("CARGO_PKG_VERSION")), 2)
        )
    }

    fn group(&mut self, inputs: &[super::InputReport]) -> String {
        let mut out = String::new();
        for input in inputs {
            out.push_str(if self.written == 0 {
                "\n    "
            } else {
                ",\n    "
            });
            out.push_str(&pretty_at(input, 4));
            self.written += 1;
        }
        out
    }

    fn end(&mut self, summary: &Summary) -> String {
        format!(
            "{}],\n  \"summary\": {}\n}}\n",
            if self.written == 0 { "" } else { "\n  " },
            pretty_at(summary, 2)
        )
    }
}

/// Renders the report as pretty-printed JSON (stable order: inputs in argument order,
/// binaries in archive order, findings in rule order).
pub fn render(report: &Report) -> String {
    let mut text = render_to_string(Box::new(JsonRender::default()), report);
    text.truncate(text.trim_end().len());
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{InputKind, InputReport};

    /// The streamed document is byte for byte what serde_json prints for the whole one.
    #[test]
    fn streamed_bytes_equal_the_whole_document() {
        #[derive(serde::Serialize)]
        struct Document<'a> {
            version: u32,
            tool: &'static str,
            inputs: &'a [InputReport],
            summary: Summary,
        }
        let dir = tempfile::tempdir().unwrap();
        let mut reports = vec![
            Report::default(),
            crate::report::sarif::tests::sample(dir.path()),
        ];
        let mut one = InputReport::new("x\n\"y\".whl".into(), InputKind::Path);
        one.findings.push(crate::finding::Finding::new(
            cargo_abi3_build_hook::Code::NothingToAudit,
            "a\nb",
        ));
        reports.push(Report { inputs: vec![one] });
        for report in reports {
            let whole = serde_json::to_string_pretty(&Document {
                version: REPORT_VERSION,
                tool: concat!("cargo-abi3 ", env!("CARGO_PKG_VERSION")),
                inputs: &report.inputs,
                summary: report.summary(),
            })
            .unwrap();
            assert_eq!(render(&report), whole);
        }
    }
}
