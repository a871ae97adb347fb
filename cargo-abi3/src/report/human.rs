//! rustc-style human output: `error[code]: message`, `--> wheel!member (arch)`, notes, help.

use std::fmt::Write as _;

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use cargo_abi3_build_hook::Severity;

use super::{BinaryReport, InputKind, InputReport, Report};
use crate::finding::Finding;

/// How to render.
#[derive(Clone, Copy, Debug, Default)]
pub struct HumanOptions {
    pub color: bool,
    /// Also show info-level findings.
    pub verbose: bool,
}

/// Where a finding points: `wheel.whl!pkg/_mod.abi3.so (arm64)`.
/// For a crate (`check`) the artifact's path in the target directory stands alone: the
/// diagnostic already points into the crate's manifest.
pub fn location(input: &InputReport, binary: Option<&BinaryReport>) -> String {
    let mut out = input.path.clone();
    if let Some(binary) = binary {
        match (&binary.member, input.kind) {
            (Some(member), InputKind::Crate) => out = format!("target/{member}"),
            (Some(member), _) => {
                let _ = write!(out, "!{member}");
            }
            (None, _) => {}
        }
        let platform = binary.format.platform();
        let _ = write!(out, " ({})", binary.arch.tag_name(platform));
    }
    out
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    }
}

/// Renders one finding as a rustc-style diagnostic.
pub fn render_finding(finding: &Finding, location: &str, renderer: &Renderer) -> String {
    let source = finding.span.as_ref().and_then(|span| {
        let text = std::fs::read_to_string(&span.file).ok()?;
        (span.end <= text.len() && span.start <= span.end).then_some((span, text))
    });
    let title = level(finding.severity)
        .primary_title(finding.message.as_str())
        .id(finding.code.name());
    let mut group = match &source {
        Some((span, text)) => title.element(
            Snippet::source(text.as_str())
                .path(span.file.display().to_string())
                .fold(true)
                .annotation(
                    AnnotationKind::Primary
                        .span(span.start..span.end)
                        .label(span.label.as_str()),
                ),
        ),
        None => title.element(Origin::path(location)),
    };
    if source.is_some() && !location.is_empty() {
        group = group.element(Level::NOTE.message(format!("in {location}")));
    }
    for note in &finding.notes {
        group = group.element(Level::NOTE.message(note.as_str()));
    }
    if let Some(help) = &finding.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    let report: [Group<'_>; 1] = [group];
    renderer.render(&report)
}

/// Renders the whole report: diagnostics first, then one line per input and a summary.
pub fn render(report: &Report, options: HumanOptions) -> String {
    render_with(report, options, &|input| input_line(input) + "\n", true)
}

/// The frame every command shares: the diagnostics (info only with `--verbose`), then
/// `input_block` for each input, then the verdict line (with the binary count if asked).
pub fn render_with(
    report: &Report,
    options: HumanOptions,
    input_block: &dyn Fn(&InputReport) -> String,
    count_binaries: bool,
) -> String {
    let renderer = if options.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for (input, binary, finding) in report.findings() {
        if finding.severity == Severity::Info && !options.verbose {
            continue;
        }
        out.push_str(&render_finding(
            finding,
            &location(input, binary),
            &renderer,
        ));
        out.push_str("\n\n");
    }
    for input in &report.inputs {
        out.push_str(&input_block(input));
    }
    let summary = report.summary();
    let verdict = if summary.analysis_failures > 0 {
        "could not analyse everything"
    } else if summary.errors > 0 {
        "failed"
    } else {
        "ok"
    };
    let binaries = if count_binaries {
        format!(
            ", {} binar{}",
            summary.binaries,
            if summary.binaries == 1 { "y" } else { "ies" }
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{verdict}: {} input{}{binaries}: {} error{}, {} warning{}{}",
        summary.inputs,
        plural(summary.inputs),
        summary.errors,
        plural(summary.errors),
        summary.warnings,
        plural(summary.warnings),
        if summary.infos > 0 && !options.verbose {
            format!(
                " ({} note{} hidden; --verbose shows them)",
                summary.infos,
                plural(summary.infos)
            )
        } else {
            String::new()
        }
    );
    out
}

pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `   Audited demo.whl: cp39-abi3, claimed floor 3.9; 2 binaries, computed floor 3.11`
fn input_line(input: &InputReport) -> String {
    let verb = if input.kind == InputKind::Crate {
        "Checked"
    } else {
        "Audited"
    };
    let mut line = format!("{:>10} {}", verb, input.path);
    if input.kind == InputKind::Path {
        return line;
    }
    line.push(':');
    if let Some(tags) = &input.tags {
        let _ = write!(line, " {}-{}", tags.python.join("."), tags.abi.join("."));
    }
    match input.claimed_floor {
        Some(floor) => {
            let _ = write!(line, " floor {floor}");
        }
        None => line.push_str(" no floor claimed"),
    }
    let computed = input.binaries.iter().filter_map(|b| b.computed_floor).max();
    let _ = write!(
        line,
        "; {} binar{}",
        input.binaries.len(),
        if input.binaries.len() == 1 {
            "y"
        } else {
            "ies"
        }
    );
    if let Some(computed) = computed {
        let _ = write!(line, ", imports need {computed}");
    }
    line
}
