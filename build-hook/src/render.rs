//! Plain-text rendering of a [`Finding`] for `build.rs` output (`cargo abi3` renders its
//! reports itself, in `report::human`, with the same message, notes and help from the same
//! [`Finding`]):
//!
//! ```text
//! warning[requires-python-below-floor]: requires-python `>=3.8` admits 3.8, below the abi3 floor 3.9
//!   --> pyproject.toml:7:19
//!    |
//!  7 | requires-python = ">=3.8"
//!    |                   ^^^^^^^ admits 3.8
//!    = note: ...
//!    = help: set requires-python = ">=3.9"
//! ```

use crate::toml_util::line_col;
use crate::{Finding, Severity};

/// `a, b, c and 4 more`: the first `max` items, and how many were left out (every list of
/// names in a message or note, in the hook and in `cargo abi3`).
pub fn and_more<S: AsRef<str>>(items: &[S], max: usize) -> String {
    and_more_of(items.iter().take(max), items.len())
}

/// `a, b, c and 4 more` where only the names `shown` are at hand and `total` were counted.
pub fn and_more_of<S: AsRef<str>>(shown: impl IntoIterator<Item = S>, total: usize) -> String {
    let mut n = 0;
    let mut out = String::new();
    for item in shown {
        if n > 0 {
            out.push_str(", ");
        }
        out.push_str(item.as_ref());
        n += 1;
    }
    if total > n {
        out.push_str(&format!(" and {} more", total - n));
    }
    out
}

/// Renders `finding`; `source` is the text of the file its span points into, if available
/// (without it only the `-->` line is shown). Lines end with `\n`.
pub fn render_plain(finding: &Finding, source: Option<&str>) -> String {
    let mut out = format!(
        "{}[{}]: {}\n",
        finding.severity,
        finding.code.name(),
        finding.message
    );
    let mut gutter = 3;
    if let Some(span) = &finding.span {
        match source {
            Some(text) if span.start <= span.end && span.end <= text.len() => {
                let (line, col) = line_col(text, span.start);
                gutter = line.to_string().len() + 2;
                let pad = " ".repeat(gutter - 1);
                out += &format!("{pad}--> {}:{line}:{col}\n", span.file.display());
                let line_start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
                let line_end = text[span.start..]
                    .find('\n')
                    .map_or(text.len(), |i| span.start + i);
                let src_line = &text[line_start..line_end];
                let width = text[span.start..span.end.min(line_end)]
                    .chars()
                    .count()
                    .max(1);
                let indent = text[line_start..span.start].chars().count();
                out += &format!("{pad}|\n");
                out += &format!("{line:>w$} | {src_line}\n", w = gutter - 2);
                out += &format!(
                    "{pad}| {}{} {}\n",
                    " ".repeat(indent),
                    "^".repeat(width),
                    span.label
                );
            }
            _ => {
                out += &format!("  --> {}\n", span.file.display());
            }
        }
    }
    let pad = " ".repeat(gutter - 1);
    for note in &finding.notes {
        out += &format!("{pad}= note: {note}\n");
    }
    if let Some(help) = &finding.help {
        out += &format!("{pad}= help: {help}\n");
    }
    out
}

/// The Cargo build-script directive for a finding of this severity: errors fail the build
/// (`cargo::error=`, Rust 1.84+), everything else is a warning.
pub(crate) fn cargo_directive(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "cargo::error=",
        Severity::Warning | Severity::Info => "cargo::warning=",
    }
}

/// Renders `finding` as build-script output lines (one directive per line of text, since
/// Cargo directives are single-line).
pub fn render_cargo(finding: &Finding, source: Option<&str>) -> String {
    let directive = cargo_directive(finding.severity);
    render_plain(finding, source)
        .lines()
        .map(|l| format!("{directive}{l}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Code, SourceSpan};

    #[test]
    fn lists_say_how_many_were_left_out() {
        assert_eq!(and_more(&["a", "b", "c"], 5), "a, b, c");
        assert_eq!(and_more(&["a", "b", "c"], 2), "a, b and 1 more");
        assert_eq!(and_more::<&str>(&[], 2), "");
        assert_eq!(and_more_of(["x", "y"], 10), "x, y and 8 more");
        assert_eq!(and_more_of(["x", "y"], 2), "x, y");
    }

    const TEXT: &str = "[project]\nname = \"x\"\nrequires-python = \">=3.8\"\n";

    fn finding() -> Finding {
        let start = TEXT.find("\">=3.8\"").unwrap();
        Finding::new(
            Code::RequiresPythonBelowFloor,
            "requires-python `>=3.8` admits 3.8, below the abi3 floor 3.9",
        )
        .span(SourceSpan {
            file: "pyproject.toml".into(),
            start,
            end: start + 7,
            label: "admits 3.8".into(),
        })
        .note("evidence")
        .help("set requires-python = \">=3.9\"")
    }

    #[test]
    fn renders_like_rustc() {
        let got = render_plain(&finding(), Some(TEXT));
        let want = "warning[requires-python-below-floor]: requires-python `>=3.8` admits 3.8, below the abi3 floor 3.9
  --> pyproject.toml:3:19
  |
3 | requires-python = \">=3.8\"
  |                   ^^^^^^^ admits 3.8
  = note: evidence
  = help: set requires-python = \">=3.9\"
";
        assert_eq!(got, want);
    }

    #[test]
    fn without_source_and_as_cargo_lines() {
        let got = render_plain(&finding(), None);
        assert!(got.contains("  --> pyproject.toml\n"), "{got}");
        let cargo = render_cargo(&finding().with_severity(Severity::Error), None);
        assert!(cargo.lines().all(|l| l.starts_with("cargo::error=")));
        assert!(cargo.starts_with("cargo::error=error[requires-python-below-floor]: "));
        let bare = Finding::new(Code::ExtensionModuleNotSet, "m");
        assert_eq!(
            render_plain(&bare, None),
            "warning[extension-module-not-set]: m\n"
        );
    }
}
