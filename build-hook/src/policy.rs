//! The policy file shared by `cargo abi3 audit`, `cargo abi3 check` and the build hook:
//! severities per code and scoped suppressions with a required reason.
//!
//! ```toml
//! deny = ["extra-exports"]          # severities, as --deny/--warn/--allow
//! warn = []
//! allow = []
//!
//! [[allow-finding]]                 # a scoped suppression; reason is required
//! code = "newer-than-floor"
//! symbol = "PyUnicode_AsUTF8AndSize" # optional glob on the symbol / export / library
//! path = "procmaps-*.whl!*"          # optional glob on the input or wheel!member
//! reason = "only called behind a version check"
//! ```
//!
//! Found, first wins: an explicit file (`--config`, `CARGO_ABI3_CONFIG` in build scripts);
//! `cargo-abi3.toml` in the current directory, the crate's or the workspace root; `[tool.cargo-abi3]`
//! in pyproject.toml; `[package.metadata.cargo-abi3]` in the crate's Cargo.toml, then
//! `[workspace.metadata.cargo-abi3]` in the workspace root's. A file that is there but wrong is
//! an `unreadable-input` finding with its span: never silently ignored.

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::hook::Level;
use crate::toml_util::{self, Item, Table, Value};
use crate::{Code, Family, Finding, SourceSpan};

/// The file name of a stand-alone policy.
pub const FILE_NAME: &str = "cargo-abi3.toml";

/// The one override rule of every driver (`--deny`/`--warn`/`--allow`, the policy's lists,
/// [`crate::Hook::level`]): `level` sets the finding's severity or, [`Level::Allow`], drops it.
/// An input error (an input that could not be analysed) keeps its severity and is never
/// dropped: the gate did not run, and the exit code must say so.
pub fn apply_level(mut finding: Finding, level: Option<Level>) -> Option<Finding> {
    if finding.is_input_error() {
        return Some(finding);
    }
    match level {
        Some(Level::Allow) => return None,
        Some(Level::Warn) => finding.severity = crate::Severity::Warning,
        Some(Level::Deny) => finding.severity = crate::Severity::Error,
        None => {}
    }
    Some(finding)
}

/// Whether `level` may be asked for `code`: an input error cannot be allowed.
fn level_permitted(code: Code, level: Level) -> bool {
    !(level == Level::Allow && code.family() == Family::Input)
}

/// One `[[allow-finding]]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AllowFinding {
    pub code: Code,
    /// Glob (`*`, `?`) on the finding's symbol, export or library.
    pub symbol: Option<String>,
    /// Glob on the input (`dist/x.whl`, `x.whl`) or `wheel!member`.
    pub path: Option<String>,
    pub reason: String,
    /// The entry's `code = "…"` value in the file.
    pub span: Range<usize>,
    /// `file:line:col` of that value: what allowed findings name as `by`.
    pub id: String,
}

impl AllowFinding {
    /// Whether the entry accepts `finding`, whose input is named by any of `paths` (the input
    /// path, its file name, `input!member`, `name!member`). Input errors are never accepted.
    pub fn matches(&self, finding: &Finding, paths: &[String]) -> bool {
        if finding.code != self.code || finding.is_input_error() {
            return false;
        }
        if let Some(symbol) = &self.symbol {
            match &finding.symbol {
                Some(s) if glob_match(symbol, s) => {}
                _ => return false,
            }
        }
        match &self.path {
            Some(path) => paths.iter().any(|p| glob_match(path, p)),
            None => true,
        }
    }

    /// Whether the entry's `path` glob names any of `paths` (true without a `path`).
    pub fn names_any(&self, paths: &[String]) -> bool {
        match &self.path {
            Some(path) => paths.iter().any(|p| glob_match(path, p)),
            None => true,
        }
    }
}

/// A parsed policy.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Policy {
    pub file: PathBuf,
    /// The table it was read from: `""` for a cargo-abi3.toml, else `tool.cargo-abi3`,
    /// `package.metadata.cargo-abi3` or `workspace.metadata.cargo-abi3`.
    pub table: &'static str,
    /// `deny`, `warn`, `allow`, in that order.
    pub levels: Vec<(Code, Level)>,
    pub allow_findings: Vec<AllowFinding>,
}

impl Policy {
    /// `cargo-abi3.toml`, or `pyproject.toml [tool.cargo-abi3]`: for messages.
    pub fn describe(&self) -> String {
        if self.table.is_empty() {
            self.file.display().to_string()
        } else {
            format!("{} [{}]", self.file.display(), self.table)
        }
    }

    /// A span into the policy's file.
    pub fn source_span(&self, span: &Range<usize>, label: impl Into<String>) -> SourceSpan {
        SourceSpan {
            file: self.file.clone(),
            start: span.start,
            end: span.end,
            label: label.into(),
        }
    }
}

/// `*` matches any run of characters (`/` included), `?` any one; everything else itself.
/// Iterative, without exponential backtracking.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || Some(&c) == text.get(t) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Policy files and manifests larger than this are refused (real ones are a few kB).
const MAX_FILE: u64 = 16 * 1024 * 1024;

/// Reads a file that is a regular file (symlinks followed) of at most [`MAX_FILE`] bytes:
/// `None` when there is no regular file there, so a FIFO or a device is never opened (it
/// could block the gate). `Some(Err)` when it is there but cannot be read.
fn read_regular(path: &Path) -> Option<std::io::Result<String>> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    if meta.len() > MAX_FILE {
        return Some(Err(std::io::Error::other(format!(
            "{} bytes, more than a policy or manifest can need ({MAX_FILE})",
            meta.len()
        ))));
    }
    Some(std::fs::read_to_string(path))
}

fn error(file: &Path, span: Range<usize>, message: String, label: &str) -> Box<Finding> {
    Box::new(
        Finding::new(Code::UnreadableInput, message)
            .span(SourceSpan {
                file: file.to_path_buf(),
                start: span.start,
                end: span.end,
                label: label.into(),
            })
            .help("fix the policy file (keys: deny, warn, allow, [[allow-finding]] with code, symbol, path, reason)"),
    )
}

fn id(file: &Path, text: &str, offset: usize) -> String {
    let (line, col) = toml_util::line_col(text, offset);
    format!("{}:{line}:{col}", file.display())
}

fn code_at(file: &Path, item: &Item) -> Result<(Code, Range<usize>), Box<Finding>> {
    let Some(name) = toml_util::as_str(item) else {
        return Err(error(
            file,
            item.span.clone(),
            format!("{}: a code must be a string", file.display()),
            "not a string",
        ));
    };
    match name.value.parse::<Code>() {
        Ok(code) => Ok((code, name.span)),
        Err(e) => Err(error(
            file,
            name.span,
            format!("{}: {e}", file.display()),
            "unknown code",
        )),
    }
}

fn input_error_allowed(file: &Path, code: Code, span: Range<usize>) -> Box<Finding> {
    error(
        file,
        span,
        format!(
            "{}: `{code}` cannot be allowed: an input that could not be analysed was not checked",
            file.display()
        ),
        "input errors cannot be allowed",
    )
}

/// Reads the policy in `table` of a parsed document (the document itself for `""`).
fn from_table(
    file: &Path,
    text: &str,
    root: &Table,
    table_name: &'static str,
) -> Result<Policy, Box<Finding>> {
    let mut policy = Policy {
        file: file.to_path_buf(),
        table: table_name,
        levels: Vec::new(),
        allow_findings: Vec::new(),
    };
    for (key, item) in toml_util::entries(root) {
        match key {
            "deny" | "warn" | "allow" => {
                let level = match key {
                    "deny" => Level::Deny,
                    "warn" => Level::Warn,
                    _ => Level::Allow,
                };
                let Value::Array(items) = &item.value else {
                    return Err(error(
                        file,
                        item.span.clone(),
                        format!("{}: `{key}` must be an array of codes", file.display()),
                        "not an array",
                    ));
                };
                for item in items {
                    let (code, span) = code_at(file, item)?;
                    if !level_permitted(code, level) {
                        return Err(input_error_allowed(file, code, span));
                    }
                    if policy.levels.iter().any(|(c, _)| *c == code) {
                        return Err(error(
                            file,
                            span,
                            format!(
                                "{}: `{code}` is listed twice in deny/warn/allow",
                                file.display()
                            ),
                            "listed again here",
                        ));
                    }
                    policy.levels.push((code, level));
                }
            }
            "allow-finding" => {
                let Value::Array(items) = &item.value else {
                    return Err(error(
                        file,
                        item.span.clone(),
                        format!(
                            "{}: `allow-finding` must be an array of tables (`[[allow-finding]]`)",
                            file.display()
                        ),
                        "not an array of tables",
                    ));
                };
                for entry in items {
                    policy
                        .allow_findings
                        .push(allow_finding(file, text, entry)?);
                }
            }
            other => {
                return Err(error(
                    file,
                    item.span.clone(),
                    format!(
                        "{}: unknown key `{other}` (the keys are deny, warn, allow and allow-finding)",
                        file.display()
                    ),
                    "unknown key",
                ));
            }
        }
    }
    Ok(policy)
}

fn allow_finding(file: &Path, text: &str, entry: &Item) -> Result<AllowFinding, Box<Finding>> {
    let Value::Table(table) = &entry.value else {
        return Err(error(
            file,
            entry.span.clone(),
            format!("{}: an allow-finding entry must be a table", file.display()),
            "not a table",
        ));
    };
    let mut code = None;
    let mut symbol = None;
    let mut path = None;
    let mut reason = None;
    for (key, item) in toml_util::entries(table) {
        let string = || {
            toml_util::as_str(item).ok_or_else(|| {
                error(
                    file,
                    item.span.clone(),
                    format!("{}: `{key}` must be a string", file.display()),
                    "not a string",
                )
            })
        };
        match key {
            "code" => code = Some(code_at(file, item)?),
            "symbol" => symbol = Some(string()?.value),
            "path" => path = Some(string()?.value),
            "reason" => reason = Some(string()?),
            other => {
                return Err(error(
                    file,
                    item.span.clone(),
                    format!(
                        "{}: unknown key `{other}` in allow-finding (the keys are code, symbol, path and reason)",
                        file.display()
                    ),
                    "unknown key",
                ));
            }
        }
    }
    let Some((code, span)) = code else {
        return Err(error(
            file,
            entry.span.clone(),
            format!("{}: an allow-finding entry needs a `code`", file.display()),
            "no code",
        ));
    };
    if !level_permitted(code, Level::Allow) {
        return Err(input_error_allowed(file, code, span));
    }
    let reason = match reason {
        Some(r) if !r.value.trim().is_empty() => r.value.trim().to_owned(),
        Some(r) => {
            return Err(error(
                file,
                r.span,
                format!(
                    "{}: the reason of an allow-finding cannot be empty",
                    file.display()
                ),
                "empty reason",
            ));
        }
        None => {
            return Err(error(
                file,
                span,
                format!(
                    "{}: the allow-finding for `{code}` has no `reason`; say why it is acceptable",
                    file.display()
                ),
                "needs a reason",
            ));
        }
    };
    Ok(AllowFinding {
        code,
        symbol,
        path,
        reason,
        id: id(file, text, span.start),
        span,
    })
}

/// Where a policy may be, as [`discover`] searches it.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Places {
    /// `--config FILE` (or `CARGO_ABI3_CONFIG`): the only one read when given.
    pub explicit: Option<PathBuf>,
    /// Directories searched for `cargo-abi3.toml`, in order (the current directory, the
    /// crate's, the workspace root).
    pub dirs: Vec<PathBuf>,
    /// pyproject.toml files searched for `[tool.cargo-abi3]`, in order.
    pub pyprojects: Vec<PathBuf>,
    /// Cargo.toml files searched for `[package.metadata.cargo-abi3]`, in order.
    pub manifests: Vec<PathBuf>,
    /// Cargo.toml of the workspace root, for `[workspace.metadata.cargo-abi3]`.
    pub workspace_manifest: Option<PathBuf>,
}

/// Reads `file` as a policy: a `pyproject.toml` is read for `[tool.cargo-abi3]`, a
/// `Cargo.toml` for `[package.metadata.cargo-abi3]` then `[workspace.metadata.cargo-abi3]`,
/// any other file as a cargo-abi3.toml. `Ok(None)`: the file has no such table.
pub fn read(file: &Path) -> Result<Option<Policy>, Box<Finding>> {
    let read = read_regular(file).unwrap_or_else(|| {
        Err(std::io::Error::other(if file.exists() {
            "not a regular file"
        } else {
            "no such file"
        }))
    });
    let text = match read {
        Ok(text) => text,
        Err(e) => {
            return Err(Box::new(
                Finding::new(
                    Code::UnreadableInput,
                    format!("cannot read the policy file {}: {e}", file.display()),
                )
                .help("check the path given to --config"),
            ));
        }
    };
    parse(file, &text)
}

/// [`read`] on text already in memory.
pub fn parse(file: &Path, text: &str) -> Result<Option<Policy>, Box<Finding>> {
    let doc = toml_util::parse(file, text).map_err(|e| Box::new(e.to_finding()))?;
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let nested = |path: &[&str]| {
        let mut table = &doc;
        for key in path {
            table = toml_util::table(table, key)?;
        }
        Some(table)
    };
    match name {
        "pyproject.toml" => nested(&["tool", "cargo-abi3"])
            .map(|t| from_table(file, text, t, "tool.cargo-abi3"))
            .transpose(),
        "Cargo.toml" => {
            if let Some(t) = nested(&["package", "metadata", "cargo-abi3"]) {
                return from_table(file, text, t, "package.metadata.cargo-abi3").map(Some);
            }
            nested(&["workspace", "metadata", "cargo-abi3"])
                .map(|t| from_table(file, text, t, "workspace.metadata.cargo-abi3"))
                .transpose()
        }
        _ => from_table(file, text, &doc, "").map(Some),
    }
}

fn read_table(
    file: &Path,
    path: &[&str],
    name: &'static str,
) -> Result<Option<Policy>, Box<Finding>> {
    let Some(read) = read_regular(file) else {
        return Ok(None);
    };
    let text = read.map_err(|e| {
        Box::new(Finding::new(
            Code::UnreadableInput,
            format!("cannot read {}: {e}", file.display()),
        ))
    })?;
    // Cheap test first: most manifests have no policy, and their errors are not ours.
    if !text.contains("cargo-abi3") {
        return Ok(None);
    }
    let doc = toml_util::parse(file, &text).map_err(|e| Box::new(e.to_finding()))?;
    let mut table = &doc;
    for key in path {
        match toml_util::table(table, key) {
            Some(t) => table = t,
            None => return Ok(None),
        }
    }
    from_table(file, &text, table, name).map(Some)
}

/// Finds and reads the policy: the explicit file if given, else the first of the
/// [`Places`]. `Ok(None)`: there is none. `Err`: one was found but cannot be used.
pub fn discover(places: &Places) -> Result<Option<Policy>, Box<Finding>> {
    if let Some(file) = &places.explicit {
        return match read(file)? {
            Some(policy) => Ok(Some(policy)),
            None => Err(Box::new(
                Finding::new(
                    Code::UnreadableInput,
                    format!("{} holds no cargo-abi3 policy", file.display()),
                )
                .help("a pyproject.toml needs [tool.cargo-abi3], a Cargo.toml [package.metadata.cargo-abi3] or [workspace.metadata.cargo-abi3]"),
            )),
        };
    }
    for dir in &places.dirs {
        let file = dir.join(FILE_NAME);
        // Anything by that name counts (a FIFO or a directory is an error, never skipped).
        if std::fs::symlink_metadata(&file).is_ok() {
            return read(&file);
        }
    }
    for file in &places.pyprojects {
        if let Some(policy) = read_table(file, &["tool", "cargo-abi3"], "tool.cargo-abi3")? {
            return Ok(Some(policy));
        }
    }
    for file in &places.manifests {
        if let Some(policy) = read_table(
            file,
            &["package", "metadata", "cargo-abi3"],
            "package.metadata.cargo-abi3",
        )? {
            return Ok(Some(policy));
        }
    }
    if let Some(file) = &places.workspace_manifest {
        return read_table(
            file,
            &["workspace", "metadata", "cargo-abi3"],
            "workspace.metadata.cargo-abi3",
        );
    }
    Ok(None)
}

/// The nearest directory at or above `dir` whose Cargo.toml has a `[workspace]` table (at
/// most 8 levels up), else `dir` itself when it holds a Cargo.toml.
pub fn workspace_root(dir: &Path) -> Option<PathBuf> {
    for ancestor in dir.ancestors().take(8) {
        let manifest = ancestor.join("Cargo.toml");
        let Some(Ok(text)) = read_regular(&manifest) else {
            continue;
        };
        if text.contains("[workspace")
            && toml_util::parse(&manifest, &text)
                .ok()
                .is_some_and(|doc| toml_util::table(&doc, "workspace").is_some())
        {
            return Some(ancestor.to_path_buf());
        }
    }
    dir.join("Cargo.toml").is_file().then(|| dir.to_path_buf())
}

/// The usual places for a crate in `crate_dir` run from `cwd` (either may be missing).
pub fn places(cwd: Option<&Path>, crate_dir: Option<&Path>, explicit: Option<PathBuf>) -> Places {
    let mut dirs: Vec<PathBuf> = Vec::new();
    let push = |dirs: &mut Vec<PathBuf>, d: &Path| {
        if !dirs.iter().any(|x| x == d) {
            dirs.push(d.to_path_buf());
        }
    };
    if let Some(cwd) = cwd {
        push(&mut dirs, cwd);
    }
    if let Some(dir) = crate_dir {
        push(&mut dirs, dir);
    }
    let root = crate_dir.or(cwd).and_then(workspace_root);
    if let Some(root) = &root {
        push(&mut dirs, root);
    }
    let pyprojects = dirs.iter().map(|d| d.join("pyproject.toml")).collect();
    let manifests = crate_dir
        .or(cwd)
        .map(|d| vec![d.join("Cargo.toml")])
        .unwrap_or_default();
    Places {
        explicit,
        pyprojects,
        manifests,
        workspace_manifest: root.map(|r| r.join("Cargo.toml")),
        dirs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(text: &str) -> Result<Policy, Box<Finding>> {
        parse(Path::new("cargo-abi3.toml"), text).map(|p| p.expect("a policy"))
    }

    #[test]
    fn globs() {
        assert!(glob_match(
            "procmaps-*.whl!*",
            "procmaps-0.5.0-cp36-abi3-x.whl!procmaps/_p.abi3.so"
        ));
        assert!(glob_match("PyUnicode_AsUTF8*", "PyUnicode_AsUTF8AndSize"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "ac"));
        assert!(!glob_match("x.whl", "y.whl"));
        assert!(glob_match("*", ""));
    }

    #[test]
    fn the_issue_example_reads() {
        let text = r#"deny = ["extra-exports"]
warn = []
allow = []

[[allow-finding]]
code = "newer-than-floor"
symbol = "PyUnicode_AsUTF8AndSize"
path = "procmaps-*.whl!*"
reason = "only called behind a version check"
"#;
        let p = policy(text).unwrap();
        assert_eq!(p.levels, vec![(Code::ExtraExports, Level::Deny)]);
        let entry = &p.allow_findings[0];
        assert_eq!(entry.code, Code::NewerThanFloor);
        assert_eq!(entry.id, "cargo-abi3.toml:6:8");
        let finding = Finding::new(Code::NewerThanFloor, "x").symbol("PyUnicode_AsUTF8AndSize");
        assert!(
            entry.matches(
                &finding,
                &[
                    "procmaps-0.5.0-cp36-abi3-manylinux2010_x86_64.whl!procmaps/_procmaps.abi3.so"
                        .into()
                ]
            )
        );
        assert!(!entry.matches(&finding, &["other-1.0-cp39-abi3-any.whl!m.so".into()]));
        assert!(!entry.matches(
            &finding.clone().symbol("PyType_GetName"),
            &["procmaps-1.whl!x".into()]
        ));
    }

    #[test]
    fn mistakes_are_errors_with_spans() {
        let cases = [
            (
                "[[allow-finding]]\ncode = \"newer-than-floor\"\n",
                "has no `reason`",
                "\"newer-than-floor\"",
            ),
            (
                "[[allow-finding]]\ncode = \"newer-than-floor\"\nreason = \" \"\n",
                "cannot be empty",
                "\" \"",
            ),
            (
                "[[allow-finding]]\ncode = \"unreadable-input\"\nreason = \"x\"\n",
                "cannot be allowed",
                "\"unreadable-input\"",
            ),
            (
                "allow = [\"nothing-to-audit\"]\n",
                "cannot be allowed",
                "\"nothing-to-audit\"",
            ),
            (
                "deny = [\"no-such-code\"]\n",
                "unknown code",
                "\"no-such-code\"",
            ),
            (
                "denny = [\"extra-exports\"]\n",
                "unknown key `denny`",
                "[\"extra-exports\"]",
            ),
            (
                "[[allow-finding]]\ncode = \"extra-exports\"\nreason = \"x\"\nsymbl = \"a\"\n",
                "unknown key `symbl`",
                "\"a\"",
            ),
            (
                "deny = [\"extra-exports\"]\nwarn = [\"extra-exports\"]\n",
                "listed twice",
                "\"extra-exports\"",
            ),
            (
                "deny = \"extra-exports\"\n",
                "must be an array",
                "\"extra-exports\"",
            ),
        ];
        for (text, message, spanned) in cases {
            let e = policy(text).expect_err(text);
            assert_eq!(e.code, Code::UnreadableInput);
            assert!(e.message.contains(message), "{text}: {}", e.message);
            let span = e.span.as_ref().expect("a span");
            let at = &text[span.start..span.end];
            assert!(
                spanned.starts_with(at) || at == spanned,
                "{text}: span {at:?}, wanted {spanned:?}"
            );
        }
        // Bad TOML: the reader's own error, with its span.
        let e = policy("deny = [").unwrap_err();
        assert!(e.message.contains("is not valid TOML"), "{}", e.message);
        assert!(e.span.is_some());
    }

    #[test]
    fn found_in_order_of_precedence() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"m\"]\n[workspace.metadata.cargo-abi3]\nwarn = [\"extra-exports\"]\n",
        )
        .unwrap();
        let member = root.join("m");
        std::fs::create_dir(&member).unwrap();
        std::fs::write(member.join("Cargo.toml"), "[package]\nname = \"m\"\n").unwrap();
        let found = |cwd: &Path| {
            discover(&places(Some(cwd), Some(&member), None))
                .unwrap()
                .unwrap()
        };
        assert_eq!(found(root).table, "workspace.metadata.cargo-abi3");
        std::fs::write(
            member.join("Cargo.toml"),
            "[package]\nname = \"m\"\n[package.metadata.cargo-abi3]\nallow = [\"extra-exports\"]\n",
        )
        .unwrap();
        assert_eq!(found(root).table, "package.metadata.cargo-abi3");
        std::fs::write(
            member.join("pyproject.toml"),
            "[tool.cargo-abi3]\ndeny = []\n",
        )
        .unwrap();
        assert_eq!(found(root).table, "tool.cargo-abi3");
        std::fs::write(root.join(FILE_NAME), "deny = [\"extra-exports\"]\n").unwrap();
        let p = found(&member);
        assert_eq!((p.table, p.file.clone()), ("", root.join(FILE_NAME)));
        // --config wins over everything, and may name a pyproject.toml.
        let explicit = discover(&places(
            Some(root),
            Some(&member),
            Some(member.join("pyproject.toml")),
        ))
        .unwrap()
        .unwrap();
        assert_eq!(explicit.table, "tool.cargo-abi3");
        // An explicit file without a policy is an error, not an empty policy.
        assert!(
            discover(&places(
                None,
                None,
                Some(member.join("Cargo.toml").with_file_name("nope.toml"))
            ))
            .is_err()
        );
    }
}
