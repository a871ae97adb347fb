//! Findings: the data every rule produces and every renderer consumes.

use crate::{Code, Severity};

/// A place in a text file (Cargo.toml, pyproject.toml, the policy file) that a finding
/// points at. As JSON it also carries its [`Position`], read from the file when it is
/// serialised (left out if the file no longer holds the range).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SourceSpan {
    pub file: std::path::PathBuf,
    /// Byte range into the file's text.
    pub start: usize,
    pub end: usize,
    /// A short label under the underlined text.
    pub label: String,
}

/// Where a span starts and ends as lines and columns: 1-based, columns counted in Unicode
/// scalar values; the end is exclusive (the column after the last character), as in SARIF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// Files larger than this are not read back to compute a span's position.
const MAX_SPAN_FILE: u64 = 16 * 1024 * 1024;

impl SourceSpan {
    /// The span of bytes `start..end` of `file`, labelled `label`.
    pub fn new(
        file: impl Into<std::path::PathBuf>,
        start: usize,
        end: usize,
        label: impl Into<String>,
    ) -> Self {
        SourceSpan {
            file: file.into(),
            start,
            end,
            label: label.into(),
        }
    }

    /// The span's lines and columns in `text` (the file's content), if the range fits it.
    pub(crate) fn position_in(&self, text: &str) -> Option<Position> {
        let at = |offset: usize| -> Option<(usize, usize)> {
            let before = text.get(..offset)?;
            let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
            let line_start = before.rfind('\n').map_or(0, |nl| nl + 1);
            Some((line, before[line_start..].chars().count() + 1))
        };
        if self.start > self.end {
            return None;
        }
        let (line, column) = at(self.start)?;
        let (end_line, end_column) = at(self.end)?;
        Some(Position {
            line,
            column,
            end_line,
            end_column,
        })
    }

    /// The span's lines and columns in the file as it is now (`None` if unreadable or too large).
    pub fn position(&self) -> Option<Position> {
        let meta = std::fs::metadata(&self.file).ok()?;
        if !meta.is_file() || meta.len() > MAX_SPAN_FILE {
            return None;
        }
        let text = std::fs::read_to_string(&self.file).ok()?;
        self.position_in(&text)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for SourceSpan {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let position = self.position();
        let mut out = s.serialize_struct("SourceSpan", 8)?;
        out.serialize_field("file", &self.file)?;
        out.serialize_field("start", &self.start)?;
        out.serialize_field("end", &self.end)?;
        out.serialize_field("label", &self.label)?;
        if let Some(p) = position {
            out.serialize_field("line", &p.line)?;
            out.serialize_field("column", &p.column)?;
            out.serialize_field("end_line", &p.end_line)?;
            out.serialize_field("end_column", &p.end_column)?;
        }
        out.end()
    }
}

/// Why a finding is accepted: a policy's `[[allow-finding]]` entry, or an
/// `--allow-export PATTERN=REASON`. An allowed finding is still listed, with its reason, but
/// counts as neither error nor warning.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Allowed {
    /// The author's reason, as written.
    pub reason: String,
    /// What allowed it: the entry (`cargo-abi3.toml:12:8`), or `--allow-export PATTERN`.
    pub by: String,
}

/// One thing a rule has to say about a binary, a wheel or a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    /// The symbol the finding is about, if any.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub symbol: Option<String>,
    pub message: String,
    /// Evidence (`= note:` lines).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub notes: Vec<String>,
    /// The fix (`= help:` line).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub help: Option<String>,
    /// Where in a manifest to make the change (`cargo abi3 check`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub span: Option<SourceSpan>,
    /// This finding summarises this many more of its code that were not listed one by one
    /// (findings per binary are bounded).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub omitted: Option<u64>,
    /// Set when the finding is accepted (see [`Allowed`]): listed, not counted.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub allowed: Option<Box<Allowed>>,
    /// What the message says, as data: the version a symbol was added in, the floor it is
    /// judged against, the library, the culprit.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Details::is_empty"))]
    pub details: Details,
}

/// The structured fields of a [`Finding`]; each is set where the finding is about it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Details {
    /// The version the symbol joined the stable ABI in.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub added: Option<crate::PyVersion>,
    /// The floor the binary is held to.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub floor: Option<crate::PyVersion>,
    /// The shared library the finding is about (imported from, linked, needed).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub library: Option<String>,
    /// What references the symbol: a crate, a build script's object, the crate's own code.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub culprits: Vec<String>,
}

impl Details {
    pub fn is_empty(&self) -> bool {
        *self == Details::default()
    }
}

impl Finding {
    /// A finding with the code's default severity.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: code.default_severity(),
            symbol: None,
            message: message.into(),
            notes: Vec::new(),
            help: None,
            span: None,
            omitted: None,
            allowed: None,
            details: Details::default(),
        }
    }

    pub fn symbol(mut self, symbol: impl Into<String>) -> Self {
        self.symbol = Some(symbol.into());
        self
    }

    /// Records the version the symbol was added in and the floor it is judged against.
    pub fn versions(mut self, added: crate::PyVersion, floor: Option<crate::PyVersion>) -> Self {
        self.details.added = Some(added);
        self.details.floor = floor;
        self
    }

    /// Records the library the finding is about.
    pub fn library(mut self, library: impl Into<String>) -> Self {
        self.details.library = Some(library.into());
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Overrides the code's default severity (e.g. a softer case of an error code).
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn span(mut self, span: SourceSpan) -> Self {
        self.span = Some(span);
        self
    }

    /// Marks the finding as accepted, with the reason and what accepted it.
    pub fn allow(mut self, reason: impl Into<String>, by: impl Into<String>) -> Self {
        self.allowed = Some(Box::new(Allowed {
            reason: reason.into(),
            by: by.into(),
        }));
        self
    }

    /// Whether this finding means the tool could not do its job (exit code 2). An input
    /// error can never be allowed, so an allowed finding is never one.
    pub fn is_analysis_failure(&self) -> bool {
        self.code.family() == crate::Family::Input
            && self.severity == Severity::Error
            && self.allowed.is_none()
    }

    /// Whether an input error: such findings cannot be demoted or allowed, anywhere.
    pub fn is_input_error(&self) -> bool {
        self.code.family() == crate::Family::Input && self.severity == Severity::Error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let text = "[a]\nk = \"é\"  # x\nz = 1\n";
        let start = text.find('"').unwrap();
        let span = SourceSpan {
            file: "t.toml".into(),
            start,
            end: start + "\"é\"".len(),
            label: String::new(),
        };
        let p = span.position_in(text).unwrap();
        assert_eq!((p.line, p.column, p.end_line, p.end_column), (2, 5, 2, 8));
        let past = SourceSpan {
            end: text.len() + 1,
            ..span.clone()
        };
        assert_eq!(past.position_in(text), None);
        // Inside a multi-byte character: no position rather than a wrong one.
        let inside = SourceSpan {
            start: start + 2,
            ..span
        };
        assert_eq!(inside.position_in(text), None);
    }
}
