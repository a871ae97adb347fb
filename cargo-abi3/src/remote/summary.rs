//! One row per `pypi:` release: its wheels by platform, each with a verdict, and the bytes
//! fetched (`--summary markdown|csv`, and a short block after the human report).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use cargo_abi3_build_hook::Severity;

use crate::report::{InputKind, InputReport, Report};

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

/// The rows of a report: remote wheels grouped by release, and `pypi:` arguments that
/// resolved to nothing, in report order.
pub fn rows(report: &Report) -> Vec<Row> {
    let mut order: Vec<String> = Vec::new();
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    for input in &report.inputs {
        let key = match &input.remote {
            Some(remote) => format!("{} {}", remote.project, remote.version),
            None if input.kind == InputKind::Path
                && input.path.starts_with(super::Spec::PREFIX) =>
            {
                input.path.clone()
            }
            None => continue,
        };
        if !rows.contains_key(&key) {
            order.push(key.clone());
        }
        let row = rows.entry(key.clone()).or_insert_with(|| Row {
            release: key,
            ..Row::default()
        });
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
            continue;
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
    order.into_iter().filter_map(|k| rows.remove(&k)).collect()
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

/// The table in `format`.
pub fn render(report: &Report, format: SummaryFormat) -> String {
    let rows = rows(report);
    let header = [
        "release",
        "verdict",
        "wheels",
        "binaries",
        "errors",
        "warnings",
        "fetched",
        "platforms",
    ];
    let cells = |row: &Row| {
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
    };
    let mut out = String::new();
    match format {
        SummaryFormat::Markdown => {
            let line = |cells: &[String]| {
                let cells: Vec<String> = cells
                    .iter()
                    .map(|c| {
                        crate::report::human::escape(c)
                            .replace('|', "\\|")
                            .replace('\n', " ")
                    })
                    .collect();
                format!("| {} |\n", cells.join(" | "))
            };
            out.push_str(&line(&header.map(str::to_owned)));
            out.push_str(&format!("|{}\n", "---|".repeat(header.len())));
            for row in &rows {
                out.push_str(&line(&cells(row)));
            }
        }
        SummaryFormat::Csv => {
            let line = |cells: &[String]| {
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
            };
            out.push_str(&line(&header.map(str::to_owned)));
            for row in &rows {
                out.push_str(&line(&cells(row)));
            }
        }
    }
    out
}

/// The block after the human report (empty without remote inputs).
pub fn render_text(report: &Report) -> String {
    let rows = rows(report);
    if rows.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nreleases:\n");
    for row in &rows {
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
