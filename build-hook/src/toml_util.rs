//! Span-preserving TOML access shared by the manifest and pyproject readers.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::{Code, Finding, SourceSpan};

/// A string value and the byte range of its literal (quotes included) in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SpannedStr {
    pub value: String,
    pub span: Range<usize>,
}

impl SpannedStr {
    /// A [`SourceSpan`] into `file` labelled `label`.
    pub fn source_span(&self, file: &Path, label: impl Into<String>) -> SourceSpan {
        SourceSpan {
            file: file.to_path_buf(),
            start: self.span.start,
            end: self.span.end,
            label: label.into(),
        }
    }
}

/// A TOML file that could not be read or parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TomlError {
    pub file: PathBuf,
    pub message: String,
    pub span: Option<Range<usize>>,
}

impl std::fmt::Display for TomlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.message)?;
        if let Some(s) = &self.span {
            write!(f, " (bytes {}..{})", s.start, s.end)?;
        }
        Ok(())
    }
}

impl std::error::Error for TomlError {}

impl TomlError {
    /// As an `unreadable-input` finding pointing at the error.
    pub fn to_finding(&self) -> Finding {
        let mut f = Finding::new(
            Code::UnreadableInput,
            format!("{} is not valid TOML", self.file.display()),
        )
        .note(self.message.trim().to_owned());
        if let Some(s) = &self.span {
            f = f.span(SourceSpan {
                file: self.file.clone(),
                start: s.start,
                end: s.end,
                label: "here".into(),
            });
        }
        f
    }
}

pub(crate) fn parse<'i>(file: &Path, text: &'i str) -> Result<DeTable<'i>, TomlError> {
    DeTable::parse(text)
        .map(Spanned::into_inner)
        .map_err(|e| TomlError {
            file: file.to_path_buf(),
            message: e.message().to_owned(),
            span: e.span(),
        })
}

pub(crate) fn get<'a, 'i>(table: &'a DeTable<'i>, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
    table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(_, v)| v)
}

pub(crate) fn table<'a, 'i>(table: &'a DeTable<'i>, key: &str) -> Option<&'a DeTable<'i>> {
    match get(table, key)?.get_ref() {
        DeValue::Table(t) => Some(t),
        _ => None,
    }
}

pub(crate) fn string(table: &DeTable<'_>, key: &str) -> Option<SpannedStr> {
    as_str(get(table, key)?)
}

pub(crate) fn as_str(v: &Spanned<DeValue<'_>>) -> Option<SpannedStr> {
    match v.get_ref() {
        DeValue::String(s) => Some(SpannedStr {
            value: s.to_string(),
            span: v.span(),
        }),
        _ => None,
    }
}

pub(crate) fn array<'a, 'i>(
    table: &'a DeTable<'i>,
    key: &str,
) -> Option<&'a [Spanned<DeValue<'i>>]> {
    match get(table, key)?.get_ref() {
        DeValue::Array(a) => Some(&a[..]),
        _ => None,
    }
}

pub(crate) fn strings(table: &DeTable<'_>, key: &str) -> Vec<SpannedStr> {
    array(table, key)
        .map(|a| a.iter().filter_map(as_str).collect())
        .unwrap_or_default()
}

/// Iterates `(key, value)` pairs of a table.
pub(crate) fn entries<'a, 'i>(
    table: &'a DeTable<'i>,
) -> impl Iterator<Item = (&'a str, &'a Spanned<DeValue<'i>>)> {
    table.iter().map(|(k, v)| (k.get_ref().as_ref(), v))
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let col = before.rfind('\n').map_or(offset, |nl| offset - nl - 1) + 1;
    (line, col)
}
