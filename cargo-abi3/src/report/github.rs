//! GitHub Actions workflow commands (`--format github`): each finding becomes an
//! `::error`/`::warning`/`::notice` line, which the runner turns into an annotation on the
//! pull request, with no upload step.
//!
//! ```text
//! ::error file=pyproject.toml,line=9,col=19,endLine=9,endColumn=26,title=requires-python-below-floor::requires-python …
//! ::error file=dist/x.whl,title=newer-than-floor (x.whl!pkg/_mod.abi3.so (x86_64))::`PyType_GetName` needs …
//! ```

use std::fmt::Write as _;

use cargo_abi3_build_hook::Severity;

use super::human::location;
use super::sarif::full_text;
use super::stream::{Render, render_to_string};
use super::{InputReport, Report, Summary};

/// Escapes a command's message (`%`, CR, LF), as the runner's toolkit does.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value: also `:` and `,`, which end properties.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// Workflow commands as a [`Render`]: each input's lines as it is done, then the summary.
#[derive(Debug, Default)]
pub struct GithubRender {
    pub verbose: bool,
}

impl Render for GithubRender {
    fn begin(&mut self) -> String {
        String::new()
    }

    fn group(&mut self, inputs: &[InputReport]) -> String {
        let mut out = String::new();
        for input in inputs {
            self.input(input, &mut out);
        }
        out
    }

    fn end(&mut self, summary: &Summary) -> String {
        format!(
            "cargo-abi3: {}: {} input(s), {} binar{}: {} error(s), {} warning(s), {} allowed\n",
            summary.verdict(),
            summary.inputs,
            summary.binaries,
            if summary.binaries == 1 { "y" } else { "ies" },
            summary.errors,
            summary.warnings,
            summary.allowed
        )
    }
}

impl GithubRender {
    fn input(&self, input: &InputReport, out: &mut String) {
        for (binary, finding) in input.all_findings() {
            let where_ = location(input, binary);
            if let Some(allowed) = &finding.allowed {
                let _ = writeln!(
                    out,
                    "allowed[{}]: {} ({}); reason: {} ({})",
                    finding.code.name(),
                    escape_data(&finding.message),
                    escape_data(&where_),
                    escape_data(&allowed.reason),
                    escape_data(&allowed.by)
                );
                continue;
            }
            if finding.severity == Severity::Info && !self.verbose {
                continue;
            }
            let mut properties = Vec::new();
            let title = match &finding.span {
                Some(span) => {
                    let file = super::relative_to_cwd(&span.file.display().to_string()).path;
                    properties.push(format!("file={}", escape_property(&file)));
                    if let Some(p) = span.position() {
                        properties.push(format!("line={}", p.line));
                        properties.push(format!("col={}", p.column));
                        properties.push(format!("endLine={}", p.end_line));
                        // The runner takes endColumn only on a one-line range.
                        if p.end_line == p.line {
                            properties.push(format!("endColumn={}", p.end_column));
                        }
                    }
                    match binary {
                        Some(_) => format!("{} in {where_}", finding.code.name()),
                        None => finding.code.name().to_owned(),
                    }
                }
                None => {
                    if std::path::Path::new(&input.path).exists() {
                        let file = super::relative_to_cwd(&input.path).path;
                        properties.push(format!("file={}", escape_property(&file)));
                    }
                    match binary {
                        Some(_) => format!("{} in {where_}", finding.code.name()),
                        None => finding.code.name().to_owned(),
                    }
                }
            };
            properties.push(format!("title={}", escape_property(&title)));
            let mut text = full_text(finding);
            if finding.span.is_none() && binary.is_none() {
                text = format!("{}: {text}", input.path);
            }
            let _ = writeln!(
                out,
                "::{} {}::{}",
                command(finding.severity),
                properties.join(","),
                escape_data(&text)
            );
        }
    }
}

/// Renders the report as workflow commands, then one plain summary line. Info findings are
/// `::notice` lines with `verbose` only; allowed findings are plain log lines with their
/// reason, never annotations.
pub fn render(report: &Report, verbose: bool) -> String {
    render_to_string(Box::new(GithubRender { verbose }), report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_cannot_be_forged() {
        assert_eq!(escape_data("a%b\r\n::error::x"), "a%25b%0D%0A::error::x");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }

    #[test]
    fn one_command_per_finding_with_the_span() {
        let dir = tempfile::tempdir().unwrap();
        let out = render(&crate::report::sarif::tests::sample(dir.path()), false);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4, "{out}");
        assert!(
            lines[0].starts_with("::warning file=")
                && lines[0].contains("pyproject.toml,line=3,col=19,endLine=3,endColumn=26,title=requires-python-below-floor::requires-python admits 3.8%0Ahelp: "),
            "{out}"
        );
        assert!(
            lines[1].starts_with("::error file=")
                && lines[1].contains(",title=newer-than-floor in ")
                && lines[1].contains(
                    "!demo/_demo.abi3.so (x86_64)::`PyType_GetName` needs Python 3.11%0Anote: added"
                ),
            "{out}"
        );
        assert!(
            lines[2].starts_with("allowed[extra-exports]: ")
                && lines[2].contains("reason: re-exported for plugins"),
            "{out}"
        );
        assert!(
            lines[3].starts_with(
                "cargo-abi3: failed: 2 input(s), 1 binary: 1 error(s), 1 warning(s), 1 allowed"
            ),
            "{out}"
        );
    }
}
