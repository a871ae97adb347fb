//! One row per `pypi:` release: its wheels by platform, each with a verdict, and the bytes
//! fetched (`--summary markdown|csv`, and a short block after the human report).

use std::collections::HashMap;
use std::fmt::Write as _;

use cargo_abi3_build_hook::Severity;

use crate::report::stream::{Render, render_to_string};
use crate::report::{InputKind, InputReport, Report, Summary};

/// `--summary` formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SummaryFormat {
    Markdown,
    Csv,
}

/// A wheel's (or release's) verdict, worst last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Ok,
    Warn,
    Fail,
    Unreadable,
}

impl Verdict {
    fn of(input: &InputReport) -> Verdict {
        let all = input
            .findings
            .iter()
            .chain(input.binaries.iter().flat_map(|b| &b.findings));
        let mut verdict = Verdict::Ok;
        for finding in all {
            let v = if finding.is_analysis_failure() {
                Verdict::Unreadable
            } else {
                match finding.severity {
                    Severity::Error => Verdict::Fail,
                    Severity::Warning => Verdict::Warn,
                    Severity::Info => Verdict::Ok,
                }
            };
            verdict = verdict.max(v);
        }
        verdict
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
            Verdict::Unreadable => "unreadable",
        }
    }
}

/// One release.
#[derive(Clone, Debug, Default)]
pub struct Row {
    pub release: String,
    pub wheels: usize,
    pub binaries: usize,
    pub errors: usize,
    pub warnings: usize,
    pub fetched: u64,
    pub size: u64,
    pub verdict: Option<Verdict>,
    /// `(platform, verdict)` per wheel.
    pub platforms: Vec<(String, Verdict)>,
    /// What stopped the release from being audited (no such version, no abi3 wheels).
    pub problem: Option<String>,
}

/// Rows accumulated over a streamed run: remote wheels grouped by release, and `pypi:`
/// arguments that resolved to nothing, in report order. One small row per release (no
/// report is kept), so this grows with the `pypi:` arguments, not with the wheels.
#[derive(Clone, Debug, Default)]
pub struct Rows {
    rows: Vec<Row>,
    index: HashMap<String, usize>,
}

impl Rows {
    /// Adds finished inputs to their release's row; the indices of the rows touched.
    pub fn add(&mut self, inputs: &[InputReport]) -> Vec<usize> {
        let mut touched = Vec::new();
        for input in inputs {
            let key = match &input.remote {
                Some(remote) => format!("{} {}", remote.project, remote.version),
                None if input.kind == InputKind::Path
                    && input.path.starts_with(super::extra::PYPI_PREFIX) =>
                {
                    input.path.clone()
                }
                None => continue,
            };
            let at = match self.index.get(&key) {
                Some(&at) => at,
                None => {
                    self.index.insert(key.clone(), self.rows.len());
                    self.rows.push(Row {
                        release: key,
                        ..Row::default()
                    });
                    self.rows.len() - 1
                }
            };
            if !touched.contains(&at) {
                touched.push(at);
            }
            if let Some(row) = self.rows.get_mut(at) {
                add_to_row(row, input);
            }
        }
        touched
    }

    /// The text block after the human report (empty without remote inputs).
    pub fn render_text(&self) -> String {
        render_text_rows(&self.rows)
    }
}

fn add_to_row(row: &mut Row, input: &InputReport) {
    let verdict = Verdict::of(input);
    row.verdict = Some(row.verdict.map_or(verdict, |v| v.max(verdict)));
    for finding in input
        .findings
        .iter()
        .chain(input.binaries.iter().flat_map(|b| &b.findings))
    {
        match finding.severity {
            Severity::Error => row.errors += 1,
            Severity::Warning => row.warnings += 1,
            Severity::Info => {}
        }
    }
    let Some(remote) = &input.remote else {
        row.problem = input.findings.first().map(|f| f.message.clone());
        return;
    };
    row.wheels += 1;
    row.binaries += input.binaries.len();
    row.fetched += remote.fetched;
    row.size += remote.size.unwrap_or(0);
    let label = input
        .tags
        .as_ref()
        .map(|t| {
            format!(
                "{}-{}-{}",
                t.python.join("."),
                t.abi.join("."),
                t.platform.join(".")
            )
        })
        .unwrap_or_else(|| "?".to_owned());
    row.platforms.push((label, verdict));
}

/// The rows of a report: remote wheels grouped by release, and `pypi:` arguments that
/// resolved to nothing, in report order.
pub fn rows(report: &Report) -> Vec<Row> {
    let mut rows = Rows::default();
    rows.add(&report.inputs);
    rows.rows
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn fetched(row: &Row) -> String {
    if row.size == 0 {
        return String::new();
    }
    format!(
        "{} of {} ({:.1}%)",
        mb(row.fetched),
        mb(row.size),
        row.fetched as f64 * 100.0 / row.size as f64
    )
}

fn platforms(row: &Row) -> String {
    if let Some(problem) = &row.problem {
        return problem.clone();
    }
    row.platforms
        .iter()
        .map(|(p, v)| format!("{p}: {}", v.as_str()))
        .collect::<Vec<_>>()
        .join("; ")
}

fn header() -> [String; 8] {
    [
        "release",
        "verdict",
        "wheels",
        "binaries",
        "errors",
        "warnings",
        "fetched",
        "platforms",
    ]
    .map(str::to_owned)
}

fn cells(row: &Row) -> [String; 8] {
    [
        row.release.clone(),
        row.verdict.map_or("", Verdict::as_str).to_owned(),
        row.wheels.to_string(),
        row.binaries.to_string(),
        row.errors.to_string(),
        row.warnings.to_string(),
        fetched(row),
        platforms(row),
    ]
}

fn line(format: SummaryFormat, cells: &[String]) -> String {
    match format {
        SummaryFormat::Markdown => {
            let cells: Vec<String> = cells
                .iter()
                .map(|c| {
                    crate::report::human::escape(c)
                        .replace('|', "\\|")
                        .replace('\n', " ")
                })
                .collect();
            format!("| {} |\n", cells.join(" | "))
        }
        SummaryFormat::Csv => {
            let cells: Vec<String> = cells
                .iter()
                .map(|c| {
                    if c.contains([',', '"', '\n', '\r']) {
                        format!("\"{}\"", c.replace('"', "\"\""))
                    } else {
                        c.clone()
                    }
                })
                .collect();
            format!("{}\n", cells.join(","))
        }
    }
}

/// `--summary` as a [`Render`]: the header, then each release's row as soon as its wheels
/// are done (a release is one group of the streamed audit; one split for being over
/// `audit::MAX_GROUP` wheels prints its row again, with the totals so far).
#[derive(Debug)]
pub struct SummaryRender {
    format: SummaryFormat,
    rows: Rows,
}

impl SummaryRender {
    pub fn new(format: SummaryFormat) -> Self {
        SummaryRender {
            format,
            rows: Rows::default(),
        }
    }
}

impl Render for SummaryRender {
    fn begin(&mut self) -> String {
        let mut out = line(self.format, &header());
        if self.format == SummaryFormat::Markdown {
            out.push_str(&format!("|{}\n", "---|".repeat(header().len())));
        }
        out
    }

    fn group(&mut self, inputs: &[InputReport]) -> String {
        let mut out = String::new();
        for at in self.rows.add(inputs) {
            if let Some(row) = self.rows.rows.get(at) {
                out.push_str(&line(self.format, &cells(row)));
            }
        }
        out
    }

    fn end(&mut self, _summary: &Summary) -> String {
        String::new()
    }
}

/// The table in `format`.
pub fn render(report: &Report, format: SummaryFormat) -> String {
    render_to_string(Box::new(SummaryRender::new(format)), report)
}

/// The block after the human report (empty without remote inputs).
pub fn render_text(report: &Report) -> String {
    render_text_rows(&rows(report))
}

fn render_text_rows(rows: &[Row]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nreleases:\n");
    for row in rows {
        let release = crate::report::human::escape(&row.release);
        let verdict = row.verdict.map_or("", Verdict::as_str);
        if let Some(problem) = &row.problem {
            let _ = writeln!(
                out,
                "  {release}: {verdict}: {}",
                crate::report::human::escape(problem)
            );
            continue;
        }
        let _ = writeln!(
            out,
            "  {release}: {verdict}: {} wheel{}, {} error{}, {} warning{}; fetched {}",
            row.wheels,
            if row.wheels == 1 { "" } else { "s" },
            row.errors,
            if row.errors == 1 { "" } else { "s" },
            row.warnings,
            if row.warnings == 1 { "" } else { "s" },
            fetched(row)
        );
        for (platform, verdict) in &row.platforms {
            let _ = writeln!(out, "    {:<48} {}", platform, verdict.as_str());
        }
    }
    out
}
