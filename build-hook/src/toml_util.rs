//! Span-preserving TOML access shared by the manifest and pyproject readers.
//!
//! Built on `toml_parser`, the lexer and push parser underneath the `toml` crate, and not on
//! `toml` itself: this crate compiles into users' build scripts, and the readers need a handful
//! of strings with their byte spans, not serde. Dropping `toml`, `toml_datetime` and
//! `serde_spanned` takes about 0.6 s of CPU off every clean build that uses the hook
//! (`benches/clean_build_cost.sh`). The parser does the syntax; `Builder` below turns its
//! events into a small tree and enforces the semantic rules the readers rely on (no duplicate
//! keys, no table defined twice, no appending to inline tables or values).

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml_parser::decoder::Encoding;
use toml_parser::decoder::ScalarKind;
use toml_parser::parser::{EventReceiver, ValidateWhitespace};
use toml_parser::{ErrorSink, ParseError, Source, Span};

use crate::{Code, Finding, SourceSpan};

/// Arrays and inline tables nest at most this deep; deeper input is an error, not a stack
/// overflow (the same bound as the `toml` crate).
const MAX_NESTING: usize = 80;

/// Table entries a document may make the builder scan. Tables are searched linearly: no hash
/// map to compile into users' build scripts, and fast for manifests of a few hundred keys. A
/// table with many thousands of keys would make that quadratic, so a document needing more
/// scans than this is refused with an error instead of hanging (one table of about 6,000 keys,
/// far beyond any real Cargo.toml or pyproject.toml).
const SCAN_BUDGET: usize = 20_000_000;

/// A string value and the byte range of its literal (quotes included) in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
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

/// Why a TOML file was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TomlErrorKind {
    /// The file could not be read (missing, not a regular file, not UTF-8).
    Io,
    /// Not valid TOML, or TOML breaking a rule the readers rely on (a duplicate key).
    Syntax,
    /// The file goes past a bound of this reader: arrays and inline tables nested deeper
    /// than `MAX_NESTING`, or more key lookups than `SCAN_BUDGET`. Whether it is valid
    /// TOML was not decided.
    Limit,
}

/// A TOML file that could not be read or parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TomlError {
    pub file: PathBuf,
    pub kind: TomlErrorKind,
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
    /// An I/O error reading `file`.
    pub fn io(file: &Path, error: &std::io::Error) -> Self {
        TomlError {
            file: file.to_path_buf(),
            kind: TomlErrorKind::Io,
            message: error.to_string(),
            span: None,
        }
    }

    /// As an `unreadable-input` finding pointing at the error. The headline says what
    /// happened: the file could not be read, is not valid TOML, or is past a limit of this
    /// reader (then it says which: "nested deeper than 80 levels" is no syntax error).
    pub fn to_finding(&self) -> Finding {
        let file = self.file.display();
        let message = self.message.trim();
        let mut f = match self.kind {
            TomlErrorKind::Io => Finding::new(
                Code::UnreadableInput,
                format!("cannot read {file}: {message}"),
            )
            .help("check that the file exists, is a regular file and is readable UTF-8 text"),
            TomlErrorKind::Syntax => {
                Finding::new(Code::UnreadableInput, format!("{file} is not valid TOML"))
                    .note(message.to_owned())
            }
            TomlErrorKind::Limit => Finding::new(
                Code::UnreadableInput,
                format!("{file} is beyond what cargo-abi3 reads: {message}"),
            )
            .note(format!(
                "the reader stops at arrays and inline tables nested {MAX_NESTING} deep and at \
                 {SCAN_BUDGET} key lookups, far beyond any real manifest"
            ))
            .help("check the file: a manifest this deep or this large is generated or hostile"),
        };
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

/// A TOML value; only the kinds the readers look at are kept.
#[derive(Debug)]
pub(crate) enum Value {
    String(String),
    Boolean(bool),
    Array(Vec<Item>),
    Table(Table),
    /// Numbers and dates: present, but never read.
    Other,
}

/// A value and the byte range it was written at.
#[derive(Debug)]
pub(crate) struct Item {
    pub(crate) value: Value,
    pub(crate) span: Range<usize>,
}

/// How a table came to exist; decides whether later input may add to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// Named only as a prefix of a header or a dotted key: a later header may define it.
    Implicit,
    /// `[a.b]` or `[[a.b]]`.
    Header,
    /// `a.b = 1` created `a`.
    Dotted,
    /// `{ ... }`: closed once written.
    Inline,
}

/// A table: its entries in file order.
#[derive(Debug)]
pub(crate) struct Table {
    entries: Vec<(String, Item)>,
    origin: Origin,
    /// `[[x]]` elements are tables inside an array that more headers may extend.
    array_of_tables: bool,
}

impl Table {
    fn new(origin: Origin) -> Self {
        Table {
            entries: Vec::new(),
            origin,
            array_of_tables: false,
        }
    }

    fn get(&self, key: &str) -> Option<&Item> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// What is left of [`SCAN_BUDGET`], and whether a lookup found it spent.
struct Budget {
    left: usize,
    exhausted: bool,
}

/// The position of `key` in `table`, paid for from `budget`.
fn find(
    table: &Table,
    key: &str,
    budget: &mut Budget,
    span: &Range<usize>,
) -> Result<Option<usize>, Failure> {
    let Some(left) = budget.left.checked_sub(table.entries.len().max(1)) else {
        budget.exhausted = true;
        return Err((
            format!(
                "too many keys: a table this large is not a manifest (over {SCAN_BUDGET} key lookups)"
            ),
            span.clone(),
        ));
    };
    budget.left = left;
    Ok(table.entries.iter().position(|(k, _)| k == key))
}

/// A key segment and where it was written.
type KeyPart = (String, Span);

/// An array or inline table being filled, with the key it will be stored under.
enum Frame {
    Array {
        items: Vec<Item>,
        start: usize,
        key: Vec<KeyPart>,
    },
    InlineTable {
        table: Table,
        start: usize,
        key: Vec<KeyPart>,
    },
}

/// Where the simple keys being read belong.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyContext {
    KeyValue,
    StdHeader,
    ArrayHeader,
}

/// Turns the parser's events into a [`Table`]; the first error wins.
struct Builder<'i> {
    source: Source<'i>,
    root: Table,
    /// The keys of the table the last header opened; `[[x]]` segments mean the last element.
    current: Vec<String>,
    context: KeyContext,
    key: Vec<KeyPart>,
    frames: Vec<Frame>,
    error: Option<(String, Range<usize>)>,
    budget: Budget,
    /// The error is a limit of this reader (nesting or lookups), not a syntax error.
    over_limit: bool,
}

fn range(span: Span) -> Range<usize> {
    span.start()..span.end()
}

impl<'i> Builder<'i> {
    fn new(source: Source<'i>) -> Self {
        Builder {
            source,
            root: Table::new(Origin::Header),
            current: Vec::new(),
            context: KeyContext::KeyValue,
            key: Vec::new(),
            frames: Vec::new(),
            error: None,
            budget: Budget {
                left: SCAN_BUDGET,
                exhausted: false,
            },
            over_limit: false,
        }
    }

    fn fail(&mut self, message: String, span: Range<usize>) {
        if self.error.is_none() {
            self.error = Some((message, span));
            self.over_limit = self.budget.exhausted;
        }
    }

    fn decode(&self, span: Span, encoding: Option<Encoding>, error: &mut dyn ErrorSink) -> Raw {
        let Some(raw) = self.source.get(span) else {
            return Raw::Invalid;
        };
        let raw = toml_parser::Raw::new_unchecked(raw.as_str(), encoding, span);
        let mut text = String::new();
        match raw.decode_scalar(&mut text, error) {
            ScalarKind::String => Raw::String(text),
            ScalarKind::Boolean(b) => Raw::Boolean(b),
            _ => Raw::Other,
        }
    }

    /// Stores a finished value under the pending key of the innermost open container.
    fn put(&mut self, item: Item) {
        let key = std::mem::take(&mut self.key);
        if self.error.is_some() {
            return; // the document is rejected: building more of it only costs time
        }
        let budget = &mut self.budget;
        let result = match self.frames.last_mut() {
            Some(Frame::Array { items, .. }) => {
                items.push(item);
                Ok(())
            }
            Some(Frame::InlineTable { table, .. }) => insert(table, &key, item, budget),
            None => match descend(&mut self.root, &self.current, budget, &item.span) {
                Ok(Some(table)) => insert(table, &key, item, budget),
                Ok(None) => Ok(()), // the header already failed
                Err(e) => Err(e),
            },
        };
        if let Err((message, span)) = result {
            self.fail(message, span);
        }
    }

    fn open_header(&mut self, array: bool) {
        let key = std::mem::take(&mut self.key);
        if self.error.is_some() {
            return;
        }
        let Some((last, prefix)) = key.split_last() else {
            return; // the parser reports the empty header
        };
        let budget = &mut self.budget;
        let result = implicit_path(&mut self.root, prefix, budget)
            .and_then(|parent| define_header(parent, last, array, budget));
        match result {
            Ok(()) => self.current = key.into_iter().map(|(k, _)| k).collect(),
            Err((message, span)) => {
                self.fail(message, span);
                self.current.clear();
            }
        }
    }
}

enum Raw {
    String(String),
    Boolean(bool),
    Other,
    Invalid,
}

type Failure = (String, Range<usize>);

/// The table at `path` below `root`, through the last element of arrays of tables.
fn descend<'t>(
    root: &'t mut Table,
    path: &[String],
    budget: &mut Budget,
    span: &Range<usize>,
) -> Result<Option<&'t mut Table>, Failure> {
    let mut table = root;
    for key in path {
        let Some(index) = find(table, key, budget, span)? else {
            return Ok(None);
        };
        let Some((_, item)) = table.entries.get_mut(index) else {
            return Ok(None);
        };
        table = match &mut item.value {
            Value::Table(t) => t,
            Value::Array(items) => match items.last_mut().map(|i| &mut i.value) {
                Some(Value::Table(t)) => t,
                _ => return Ok(None),
            },
            _ => return Ok(None),
        };
    }
    Ok(Some(table))
}

/// The entry `key` of `table`, created as an empty table of `origin` when it is missing (the
/// intermediate keys of a header or of a dotted key).
fn entry_or_table<'t>(
    table: &'t mut Table,
    (key, span): &KeyPart,
    origin: Origin,
    budget: &mut Budget,
) -> Result<&'t mut Item, Failure> {
    let index = match find(table, key, budget, &range(*span))? {
        Some(i) => i,
        None => {
            table.entries.push((
                key.clone(),
                Item {
                    value: Value::Table(Table::new(origin)),
                    span: range(*span),
                },
            ));
            table.entries.len() - 1
        }
    };
    table
        .entries
        .get_mut(index)
        .map(|(_, item)| item)
        .ok_or_else(|| ("internal: lost a key".into(), range(*span)))
}

/// Walks (creating implicit tables) the prefix of a header.
fn implicit_path<'t>(
    root: &'t mut Table,
    prefix: &[KeyPart],
    budget: &mut Budget,
) -> Result<&'t mut Table, Failure> {
    let mut table = root;
    for part in prefix {
        let (key, span) = part;
        let item = entry_or_table(table, part, Origin::Implicit, budget)?;
        table = match &mut item.value {
            Value::Table(t) if t.origin != Origin::Inline => t,
            Value::Array(items) => match items.last_mut().map(|i| &mut i.value) {
                Some(Value::Table(t)) if t.array_of_tables => t,
                _ => return Err((format!("`{key}` is an array, not a table"), range(*span))),
            },
            _ => return Err((format!("`{key}` is not a table"), range(*span))),
        };
    }
    Ok(table)
}

/// `[... last]` or `[[... last]]` inside `parent`.
fn define_header(
    parent: &mut Table,
    (key, span): &KeyPart,
    array: bool,
    budget: &mut Budget,
) -> Result<(), Failure> {
    let at = range(*span);
    let mut element = Table::new(Origin::Header);
    element.array_of_tables = array;
    let element = Item {
        value: Value::Table(element),
        span: at.clone(),
    };
    let Some(index) = find(parent, key, budget, &at)? else {
        let value = if array {
            Value::Array(vec![element])
        } else {
            element.value
        };
        parent.entries.push((key.clone(), Item { value, span: at }));
        return Ok(());
    };
    let Some((_, existing)) = parent.entries.get_mut(index) else {
        return Err(("internal: lost a key".into(), at));
    };
    match (&mut existing.value, array) {
        (Value::Table(t), false) if t.origin == Origin::Implicit => {
            t.origin = Origin::Header;
            Ok(())
        }
        (Value::Array(items), true)
            if items
                .first()
                .is_some_and(|i| matches!(&i.value, Value::Table(t) if t.array_of_tables)) =>
        {
            items.push(element);
            Ok(())
        }
        _ => Err((format!("duplicate key `{key}`: defined twice"), at)),
    }
}

/// Stores `item` at the dotted `key` inside `table`, creating dotted tables on the way.
fn insert(
    table: &mut Table,
    key: &[KeyPart],
    item: Item,
    budget: &mut Budget,
) -> Result<(), Failure> {
    let Some(((last, last_span), prefix)) = key.split_last() else {
        return Ok(()); // the parser reports the missing key
    };
    let mut table = table;
    for key_part in prefix {
        let (part, span) = key_part;
        let existing = entry_or_table(table, key_part, Origin::Dotted, budget)?;
        table = match &mut existing.value {
            Value::Table(t) if matches!(t.origin, Origin::Dotted | Origin::Implicit) => t,
            _ => {
                return Err((
                    format!("duplicate key `{part}`: cannot add keys to it"),
                    range(*span),
                ));
            }
        };
    }
    if find(table, last, budget, &range(*last_span))?.is_some() {
        return Err((format!("duplicate key `{last}`"), range(*last_span)));
    }
    table.entries.push((last.clone(), item));
    Ok(())
}

impl EventReceiver for Builder<'_> {
    fn std_table_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.key.clear();
        self.context = KeyContext::StdHeader;
    }

    fn std_table_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        if self.context == KeyContext::StdHeader {
            self.open_header(false);
        }
        self.context = KeyContext::KeyValue;
    }

    fn array_table_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.key.clear();
        self.context = KeyContext::ArrayHeader;
    }

    fn array_table_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        if self.context == KeyContext::ArrayHeader {
            self.open_header(true);
        }
        self.context = KeyContext::KeyValue;
    }

    fn inline_table_open(&mut self, span: Span, _error: &mut dyn ErrorSink) -> bool {
        let key = std::mem::take(&mut self.key);
        self.frames.push(Frame::InlineTable {
            table: Table::new(Origin::Inline),
            start: span.start(),
            key,
        });
        self.within_nesting_limit(span)
    }

    fn inline_table_close(&mut self, span: Span, _error: &mut dyn ErrorSink) {
        if let Some(Frame::InlineTable { table, start, key }) = self.frames.pop() {
            self.key = key;
            self.put(Item {
                value: Value::Table(table),
                span: start..span.end(),
            });
        }
    }

    fn array_open(&mut self, span: Span, _error: &mut dyn ErrorSink) -> bool {
        let key = std::mem::take(&mut self.key);
        self.frames.push(Frame::Array {
            items: Vec::new(),
            start: span.start(),
            key,
        });
        self.within_nesting_limit(span)
    }

    fn array_close(&mut self, span: Span, _error: &mut dyn ErrorSink) {
        if let Some(Frame::Array { items, start, key }) = self.frames.pop() {
            self.key = key;
            self.put(Item {
                value: Value::Array(items),
                span: start..span.end(),
            });
        }
    }

    fn simple_key(&mut self, span: Span, encoding: Option<Encoding>, error: &mut dyn ErrorSink) {
        let Some(raw) = self.source.get(span) else {
            return;
        };
        let raw = toml_parser::Raw::new_unchecked(raw.as_str(), encoding, span);
        let mut key = String::new();
        raw.decode_key(&mut key, error);
        self.key.push((key, span));
    }

    fn scalar(&mut self, span: Span, encoding: Option<Encoding>, error: &mut dyn ErrorSink) {
        let value = match self.decode(span, encoding, error) {
            Raw::String(s) => Value::String(s),
            Raw::Boolean(b) => Value::Boolean(b),
            Raw::Other => Value::Other,
            Raw::Invalid => return,
        };
        self.put(Item {
            value,
            span: range(span),
        });
    }
}

impl Builder<'_> {
    fn within_nesting_limit(&mut self, span: Span) -> bool {
        if self.frames.len() > MAX_NESTING {
            self.fail(
                format!("arrays and inline tables nest deeper than {MAX_NESTING} levels"),
                range(span),
            );
            self.over_limit = true;
            return false;
        }
        true
    }
}

/// The parser's message, with what it expected.
fn parse_error_message(e: &ParseError) -> String {
    let mut message = e.description().to_owned();
    if let Some(expected) = e.expected().filter(|x| !x.is_empty()) {
        let names: Vec<String> = expected
            .iter()
            .map(|x| match x {
                toml_parser::Expected::Literal(l) => format!("`{l}`"),
                toml_parser::Expected::Description(d) => (*d).to_owned(),
                _ => String::from("something else"),
            })
            .collect();
        message.push_str(", expected ");
        message.push_str(&names.join(", "));
    }
    message
}

pub(crate) fn parse(file: &Path, text: &str) -> Result<Table, TomlError> {
    let source = Source::new(text);
    let tokens = source.lex().into_vec();
    let mut builder = Builder::new(source);
    let mut syntax: Option<ParseError> = None;
    // The parser leaves comments, whitespace and newlines undecoded (a lone CR or a control
    // character in a comment is invalid TOML); this wrapper checks them, as `toml` does.
    let mut receiver = ValidateWhitespace::new(&mut builder, source);
    toml_parser::parser::parse_document(&tokens, &mut receiver, &mut syntax);
    let syntax = syntax.map(|e| {
        (
            parse_error_message(&e),
            e.unexpected()
                .or(e.context())
                .map(range)
                .unwrap_or(0..text.len().min(1)),
        )
    });
    // The first error in the file wins; a limit the builder hit is not a syntax error (and
    // the parser may complain after it, about the text it skipped).
    let error = match (syntax, builder.error) {
        (Some(syntax), Some(limit)) if builder.over_limit && limit.1.start <= syntax.1.start => {
            Some((TomlErrorKind::Limit, limit))
        }
        (Some(syntax), _) => Some((TomlErrorKind::Syntax, syntax)),
        (None, Some(error)) if builder.over_limit => Some((TomlErrorKind::Limit, error)),
        (None, Some(error)) => Some((TomlErrorKind::Syntax, error)),
        (None, None) => None,
    };
    match error {
        Some((kind, (message, span))) => Err(TomlError {
            file: file.to_path_buf(),
            kind,
            message,
            span: Some(span),
        }),
        None => Ok(builder.root),
    }
}

pub(crate) fn get<'a>(table: &'a Table, key: &str) -> Option<&'a Item> {
    table.get(key)
}

pub(crate) fn table<'a>(table: &'a Table, key: &str) -> Option<&'a Table> {
    match &get(table, key)?.value {
        Value::Table(t) => Some(t),
        _ => None,
    }
}

pub(crate) fn string(table: &Table, key: &str) -> Option<SpannedStr> {
    as_str(get(table, key)?)
}

pub(crate) fn as_str(item: &Item) -> Option<SpannedStr> {
    match &item.value {
        Value::String(s) => Some(SpannedStr {
            value: s.clone(),
            span: item.span.clone(),
        }),
        _ => None,
    }
}

pub(crate) fn array<'a>(table: &'a Table, key: &str) -> Option<&'a [Item]> {
    match &get(table, key)?.value {
        Value::Array(a) => Some(&a[..]),
        _ => None,
    }
}

pub(crate) fn strings(table: &Table, key: &str) -> Vec<SpannedStr> {
    array(table, key)
        .map(|a| a.iter().filter_map(as_str).collect())
        .unwrap_or_default()
}

/// Iterates `(key, value)` pairs of a table.
pub(crate) fn entries(table: &Table) -> impl Iterator<Item = (&str, &Item)> {
    table.entries.iter().map(|(k, v)| (k.as_str(), v))
}

/// 1-based line and column of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let col = before.rfind('\n').map_or(offset, |nl| offset - nl - 1) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Table {
        parse(Path::new("t.toml"), text).unwrap()
    }

    fn err(text: &str) -> TomlError {
        parse(Path::new("t.toml"), text).unwrap_err()
    }

    #[test]
    fn headers_dotted_keys_and_inline_tables_build_one_tree() {
        let text = r#"
top = "a"
[a.b]
c = 'lit'
d.e = """multi
line"""
[a]
f = { g = ["x", "y"], h.i = true }
[[arr]]
n = 1
[[arr]]
n = "two"
[arr.sub]
k = "v"
"#;
        let d = doc(text);
        assert_eq!(string(&d, "top").unwrap().value, "a");
        let a = table(&d, "a").unwrap();
        let b = table(a, "b").unwrap();
        let c = string(b, "c").unwrap();
        assert_eq!(c.value, "lit");
        assert_eq!(&text[c.span], "'lit'");
        assert_eq!(
            string(table(b, "d").unwrap(), "e").unwrap().value,
            "multi\nline"
        );
        let f = table(a, "f").unwrap();
        let g: Vec<_> = strings(f, "g").into_iter().map(|s| s.value).collect();
        assert_eq!(g, ["x", "y"]);
        assert!(matches!(
            get(table(f, "h").unwrap(), "i").unwrap().value,
            Value::Boolean(true)
        ));
        let arr = array(&d, "arr").unwrap();
        assert_eq!(arr.len(), 2);
        let Value::Table(second) = &arr[1].value else {
            panic!("not a table")
        };
        assert_eq!(string(second, "n").unwrap().value, "two");
        assert_eq!(
            string(table(second, "sub").unwrap(), "k").unwrap().value,
            "v"
        );
    }

    #[test]
    fn escapes_and_quoted_keys_are_decoded() {
        let d = doc(
            "\"quoted.key\" = \"tab\\there \\u00e9\"\n[target.'cfg(unix)'.dependencies]\npyo3 = \"1\"\n",
        );
        assert_eq!(string(&d, "quoted.key").unwrap().value, "tab\there é");
        let target = table(&d, "target").unwrap();
        let unix = table(target, "cfg(unix)").unwrap();
        assert!(table(unix, "dependencies").is_some());
    }

    #[test]
    fn semantic_errors_point_at_the_key() {
        let text = "a = 1\na = 2\n";
        let e = err(text);
        assert!(e.message.contains("duplicate key `a`"), "{}", e.message);
        assert_eq!(&text[e.span.unwrap()], "a");
        assert!(err("[x]\n[x]\n").message.contains("defined twice"));
        assert!(
            err("x = { a = 1 }\n[x]\n")
                .message
                .contains("defined twice")
        );
        assert!(
            err("x = { a = 1 }\n[x.y]\n")
                .message
                .contains("not a table")
        );
        assert!(
            err("x = { a = 1 }\nx.b = 2\n")
                .message
                .contains("cannot add")
        );
        assert!(err("x = [1]\n[[x]]\n").message.contains("defined twice"));
        // A header may define a table a dotted key or an earlier header only implied.
        assert!(parse(Path::new("t"), "[a.b]\n[a]\nc = 1\n").is_ok());
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let text = "[package]\nname = \"x\nversion = 1\n";
        let e = err(text);
        let (line, _) = line_col(text, e.span.clone().unwrap().start);
        assert_eq!(line, 2, "{e}");
    }

    #[test]
    fn a_huge_table_is_refused_not_quadratic() {
        // 200,000 keys in one table: ~2e10 comparisons with plain linear scans (minutes).
        let mut text = String::from("[tool.x]\n");
        for i in 0..200_000 {
            text.push_str(&format!("k{i} = {i}\n"));
        }
        let e = err(&text);
        assert!(e.message.contains("too many keys"), "{}", e.message);
        // Many small tables are fine: the budget counts scanned entries, not keys.
        let mut text = String::new();
        for i in 0..2_000 {
            text.push_str(&format!("[t{i}]\na = 1\nb = 'x'\n"));
        }
        assert!(parse(Path::new("t"), &text).is_ok());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!("x = {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
        assert!(err(&text).message.contains("nest deeper"));
        let text = format!("x = {}{}\n", "{a=".repeat(5_000), "}".repeat(5_000));
        assert!(parse(Path::new("t"), &text).is_err());
    }

    /// 100,000 levels, balanced or not, arrays or inline tables: the headline names the limit
    /// (the reader stopped), never "not valid TOML".
    #[test]
    fn deep_nesting_is_headlined_as_the_limit() {
        for text in [
            format!("x = {}{}\n", "[".repeat(100_000), "]".repeat(100_000)),
            format!("x = {}1{}\n", "{a=".repeat(100_000), "}".repeat(100_000)),
            format!("x = {}\n", "[".repeat(100_000)),
            format!("[project]\nname = \"x\"\nx = {}\n", "{a=".repeat(100_000)),
        ] {
            let e = err(&text);
            assert_eq!(e.kind, TomlErrorKind::Limit, "{e}");
            let f = e.to_finding();
            assert!(
                f.message.contains("nest deeper than 80 levels")
                    && !f.message.contains("not valid TOML"),
                "{}",
                f.message
            );
            assert!(f.span.is_some());
        }
        // A syntax error before the deep part is the syntax error.
        let text = format!("x = = 1\ny = {}\n", "[".repeat(1_000));
        assert_eq!(err(&text).kind, TomlErrorKind::Syntax);
        assert!(err(&text).to_finding().message.contains("not valid TOML"));
    }

    #[test]
    fn the_lookup_budget_is_a_limit_and_io_errors_are_not_toml_errors() {
        let mut text = String::from("[tool.x]\n");
        for i in 0..200_000 {
            text.push_str(&format!("k{i} = {i}\n"));
        }
        let e = err(&text);
        assert_eq!(e.kind, TomlErrorKind::Limit);
        assert!(e.to_finding().message.contains("too many keys"));
        let e = TomlError::io(
            Path::new("pyproject.toml"),
            &std::io::Error::from(std::io::ErrorKind::NotFound),
        );
        let f = e.to_finding();
        assert!(
            f.message.starts_with("cannot read pyproject.toml"),
            "{}",
            f.message
        );
        assert!(!f.message.contains("TOML"), "{}", f.message);
    }
}

#[cfg(test)]
mod differential;
