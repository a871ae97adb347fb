//! Findings: the data every rule produces and every renderer consumes.

use crate::{Code, Severity};

/// A place in a text file (Cargo.toml, pyproject.toml) that a finding points at.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SourceSpan {
    pub file: std::path::PathBuf,
    /// Byte range into the file's text.
    pub start: usize,
    pub end: usize,
    /// A short label under the underlined text.
    pub label: String,
}

/// One thing a rule has to say about a binary, a wheel or a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
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
        }
    }

    pub fn symbol(mut self, symbol: impl Into<String>) -> Self {
        self.symbol = Some(symbol.into());
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

    /// Whether this finding means the tool could not do its job (exit code 2).
    pub fn is_analysis_failure(&self) -> bool {
        self.code.family() == crate::Family::Input && self.severity == Severity::Error
    }
}
