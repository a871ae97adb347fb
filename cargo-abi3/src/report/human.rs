//! rustc-style human output: `error[code]: message`, `--> wheel!member (arch)`, notes, help.

use std::borrow::Cow;
use std::fmt::Write as _;

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use cargo_abi3_build_hook::{AbiKind, Severity};

use super::stream::{Render, render_to_string};
use super::{BinaryReport, InputKind, InputReport, Report, Summary};
use crate::finding::Finding;

/// Allowed findings listed one by one without `--verbose`; more become one line.
const MAX_ALLOWED_LINES: usize = 5;

/// How to render.
#[derive(Clone, Copy, Debug, Default)]
pub struct HumanOptions {
    pub color: bool,
    /// Also show info-level findings.
    pub verbose: bool,
}

/// Escapes what could forge or hide lines of terminal output: control characters (a newline
/// or carriage return in a file name would start a line of its own, ESC starts terminal
/// sequences), line and paragraph separators and bidirectional-text controls. `\n`, `\r` and
/// `\t` are written as such, the others as `\u{..}`. JSON needs none of this: there they are
/// escaped string characters.
pub fn escape(text: &str) -> Cow<'_, str> {
    fn needs_escape(c: char) -> bool {
        c.is_control()
            || matches!(
                c,
                '\u{061c}'
                    | '\u{200e}'
                    | '\u{200f}'
                    | '\u{2028}'
                    | '\u{2029}'
                    | '\u{202a}'..='\u{202e}'
                    | '\u{2066}'..='\u{2069}'
            )
    }
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn escape_owned(text: &mut String) {
    if let Cow::Owned(escaped) = escape(text) {
        *text = escaped;
    }
}

fn escape_finding(finding: &mut Finding) {
    escape_owned(&mut finding.message);
    finding.notes.iter_mut().for_each(escape_owned);
    finding.help.iter_mut().for_each(escape_owned);
    finding.symbol.iter_mut().for_each(escape_owned);
    if let Some(allowed) = &mut finding.allowed {
        escape_owned(&mut allowed.reason);
        escape_owned(&mut allowed.by);
    }
}

/// A copy of `input` whose every string the human renderers print is [`escape`]d: paths,
/// member names, findings, and the host section's names and paths.
fn escaped_input(input: &InputReport) -> InputReport {
    let mut input = input.clone();
    escape_owned(&mut input.path);
    input.findings.iter_mut().for_each(escape_finding);
    for binary in &mut input.binaries {
        binary.member.iter_mut().for_each(escape_owned);
        binary.findings.iter_mut().for_each(escape_finding);
    }
    if let Some(remote) = &mut input.remote {
        escape_owned(&mut remote.url);
        escape_owned(&mut remote.project);
        escape_owned(&mut remote.version);
        remote.yanked.iter_mut().for_each(escape_owned);
    }
    if let Some(host) = &mut input.host {
        escape_owned(&mut host.path);
        host.sysroot.iter_mut().for_each(escape_owned);
        escape_owned(&mut host.cache);
        for library in &mut host.libraries {
            escape_owned(&mut library.name);
            library.path.iter_mut().for_each(escape_owned);
            library.soname.iter_mut().for_each(escape_owned);
            library.needed_by.iter_mut().for_each(escape_owned);
            library.family.iter_mut().for_each(escape_owned);
            library.versions.iter_mut().for_each(escape_owned);
        }
        for missing in &mut host.unresolved {
            escape_owned(&mut missing.name);
            escape_owned(&mut missing.needed_by);
            escape_owned(&mut missing.reason);
            missing.searched.iter_mut().for_each(escape_owned);
        }
    }
    input
}

/// Where a finding points: `wheel.whl!pkg/_mod.abi3.so (arm64)`.
/// For a crate (`check`) the artifact's real path stands alone: the diagnostic already
/// points into the crate's manifest.
pub fn location(input: &InputReport, binary: Option<&BinaryReport>) -> String {
    let mut out = input.path.clone();
    if let Some(binary) = binary {
        match (&binary.member, input.kind) {
            (Some(member), InputKind::Crate) => out = member.clone(),
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
                .path(escape(&span.file.display().to_string()).into_owned())
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

/// The frame every command shares, for a whole report: the diagnostics (info only with
/// `--verbose`), then `input_block` for each input, then the verdict line (with the binary
/// count if asked).
pub fn render_with(
    report: &Report,
    options: HumanOptions,
    input_block: &dyn Fn(&InputReport) -> String,
    count_binaries: bool,
) -> String {
    render_to_string(
        Box::new(HumanRender::with_blocks(
            options,
            input_block,
            count_binaries,
        )),
        report,
    )
}

/// The human format as a [`Render`]. Each group (a release, a loose file) prints its
/// diagnostics, its allowed findings and its input lines as soon as it is done; the verdict
/// line, and the `pypi:` releases table, come at the end.
pub struct HumanRender<'a> {
    options: HumanOptions,
    renderer: Renderer,
    input_block: Box<dyn Fn(&InputReport) -> String + 'a>,
    count_binaries: bool,
    /// Allowed findings listed so far, and those only counted (more than
    /// [`MAX_ALLOWED_LINES`] without `--verbose`).
    allowed_listed: usize,
    allowed_hidden: usize,
    /// Input lines were written (a group's diagnostics after them start with a blank line).
    lines_written: bool,
    /// `pypi:` releases seen, for the table after the verdict (one row per release: their
    /// number is bounded by the command line's `pypi:` arguments, not by the wheels).
    releases: crate::report::release_table::Rows,
}

impl<'a> HumanRender<'a> {
    /// `audit`'s and `check`'s: one line per input, binaries counted.
    pub fn new(options: HumanOptions) -> HumanRender<'static> {
        HumanRender::boxed(options, Box::new(|input| input_line(input) + "\n"), true)
    }

    /// Each input printed by `input_block` (`host` prints its table).
    pub fn with_blocks(
        options: HumanOptions,
        input_block: &'a dyn Fn(&InputReport) -> String,
        count_binaries: bool,
    ) -> Self {
        HumanRender::boxed(options, Box::new(input_block), count_binaries)
    }

    fn boxed(
        options: HumanOptions,
        input_block: Box<dyn Fn(&InputReport) -> String + 'a>,
        count_binaries: bool,
    ) -> Self {
        HumanRender {
            options,
            renderer: if options.color {
                Renderer::styled()
            } else {
                Renderer::plain()
            },
            input_block,
            count_binaries,
            allowed_listed: 0,
            allowed_hidden: 0,
            lines_written: false,
            releases: crate::report::release_table::Rows::default(),
        }
    }
}

impl Render for HumanRender<'_> {
    fn begin(&mut self) -> String {
        String::new()
    }

    fn group(&mut self, inputs: &[InputReport]) -> String {
        self.releases.add(inputs);
        // Everything below prints the escaped copy: no path or name can forge a line.
        let inputs: Vec<InputReport> = inputs.iter().map(escaped_input).collect();
        let mut out = String::new();
        let mut allowed = Vec::new();
        for input in &inputs {
            for (binary, finding) in input.all_findings() {
                if let Some(why) = &finding.allowed {
                    allowed.push(format!(
                        "allowed[{}]: {} ({}); reason: {} ({})\n",
                        finding.code.name(),
                        finding.message,
                        location(input, binary),
                        why.reason,
                        why.by
                    ));
                    continue;
                }
                if finding.severity == Severity::Info && !self.options.verbose {
                    continue;
                }
                // The policy file's own findings point into it: no "in <file>" note.
                let at = if input.kind == InputKind::Config && finding.span.is_some() {
                    String::new()
                } else {
                    location(input, binary)
                };
                out.push_str(&render_finding(finding, &at, &self.renderer));
                out.push_str("\n\n");
            }
        }
        // Accepted findings: one line each, with the reason; past the first few (counted over
        // the run) only with --verbose, else counted in one line at the end.
        if !allowed.is_empty() {
            if self.options.verbose || self.allowed_listed + allowed.len() <= MAX_ALLOWED_LINES {
                self.allowed_listed += allowed.len();
                allowed.iter().for_each(|line| out.push_str(line));
                out.push('\n');
            } else {
                self.allowed_hidden += allowed.len();
            }
        }
        // A group's diagnostics after the lines of the groups before: a blank line between.
        if self.lines_written && !out.is_empty() {
            out.insert(0, '\n');
        }
        for input in &inputs {
            let block = (self.input_block)(input);
            self.lines_written |= !block.is_empty();
            out.push_str(&block);
        }
        out
    }

    fn end(&mut self, summary: &Summary) -> String {
        let mut out = String::new();
        if self.allowed_hidden > 0 {
            let _ = writeln!(
                out,
                "allowed: {}{} finding{} accepted with a reason (--verbose lists them)\n",
                self.allowed_hidden,
                if self.allowed_listed > 0 { " more" } else { "" },
                plural(self.allowed_hidden)
            );
        }
        let binaries = if self.count_binaries {
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
            "{}: {} input{}{binaries}: {} error{}, {} warning{}{}{}",
            summary.verdict(),
            summary.inputs,
            plural(summary.inputs),
            summary.errors,
            plural(summary.errors),
            summary.warnings,
            plural(summary.warnings),
            if summary.allowed > 0 {
                format!(", {} allowed", summary.allowed)
            } else {
                String::new()
            },
            if summary.infos > 0 && !self.options.verbose {
                format!(
                    " ({} note{} hidden; --verbose shows them)",
                    summary.infos,
                    plural(summary.infos)
                )
            } else {
                String::new()
            }
        );
        out.push_str(&self.releases.render_text());
        out
    }
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
    if input.kind == InputKind::Config {
        return format!("{:>10} {}", "Policy", input.path);
    }
    let mut line = format!("{:>10} {}", verb, input.path);
    if input.kind == InputKind::Path {
        return line;
    }
    line.push(':');
    if let Some(tags) = &input.tags {
        let _ = write!(line, " {}-{}", tags.python.join("."), tags.abi.join("."));
        // `check` predicts the whole tag, platform included.
        if input.kind == InputKind::Crate && !tags.platform.is_empty() {
            let _ = write!(line, "-{}", tags.platform.join("."));
        }
    }
    let version_specific = input.abi == Some(AbiKind::VersionSpecific);
    match input.claimed_floor {
        Some(floor) => {
            let _ = write!(line, " floor {floor}");
        }
        None if version_specific => line.push_str(" version-specific"),
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
    // A version-specific build has no floor: its stable-ABI "need" is no promise of anything.
    if let Some(computed) = computed.filter(|_| !version_specific) {
        let _ = write!(line, ", imports need {computed}");
    }
    if let Some(remote) = &input.remote {
        let kb = |b: u64| b.div_ceil(1000);
        match (remote.ranged, remote.size) {
            (true, Some(size)) => {
                let _ = write!(
                    line,
                    "; fetched {} of {} kB in {} request{}",
                    kb(remote.fetched),
                    kb(size),
                    remote.requests,
                    if remote.requests == 1 { "" } else { "s" }
                );
            }
            (false, size) => {
                let _ = write!(
                    line,
                    "; the server ignored Range: downloaded all {} kB (sha256 checked)",
                    kb(size.unwrap_or(remote.fetched))
                );
            }
            (true, None) => {}
        }
        if let Some(reason) = &remote.yanked {
            let _ = write!(line, "; yanked");
            if !reason.is_empty() {
                let _ = write!(line, " ({reason})");
            }
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_escaped() {
        assert!(matches!(escape("pkg/_mod.abi3.so"), Cow::Borrowed(_)));
        assert!(matches!(escape("naïve/模块.so"), Cow::Borrowed(_)));
        assert_eq!(
            escape("a\nerror[x]: b\r\t\u{1b}[31m\u{7f}\u{85}"),
            "a\\nerror[x]: b\\r\\t\\u{1b}[31m\\u{7f}\\u{85}"
        );
        assert_eq!(
            escape("x\u{202e}lmx.so\u{2066}\u{2028}"),
            "x\\u{202e}lmx.so\\u{2066}\\u{2028}"
        );
    }
}
