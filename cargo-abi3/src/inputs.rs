//! Turning command-line paths into inputs: files, directories (recursive) and globs.
//!
//! A gate must not be walked around, so a directory and a glob over the same files give the
//! same inputs: both go through one walker, which
//! - follows symlinks, to files and to directories, and walks each directory once: a symlink
//!   back to a directory the walk is inside is a loop, reported as a warning (nothing below it
//!   is skipped: it is being walked already); a directory reached again another way is not
//!   walked again;
//! - takes names as the OS gives them (`OsStr`): a name that is not UTF-8 is audited, and
//!   printed lossily;
//! - reports every entry it cannot read as an `unreadable-input` error of that entry (exit 2):
//!   a directory it cannot list, an entry it cannot stat (a path the OS refuses as too long
//!   included), and an entry named like a wheel or binary that is not a regular file or whose
//!   symlink leads nowhere.
//!
//! Paths are never opened here: a FIFO given on the command line is "not a regular file",
//! never a read that blocks.

// Reads untrusted bytes (names and metadata the file system gives): the parser lints.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::{HashSet, VecDeque};
use std::ffi::{OsStr, OsString};
use std::fs::{FileType, Metadata};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use cargo_abi3_build_hook::{Code, Severity};

use crate::finding::Finding;
use crate::report::{InputKind, InputReport};

/// A wheel of a release on a package index: what `crate::remote` resolves a `pypi:`
/// argument to, and what it is given back to fetch and audit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteWheel {
    /// `pypi:PROJECT==VERSION/FILENAME`: how the input is named in reports.
    pub display: PathBuf,
    pub project: String,
    pub version: String,
    pub url: String,
    pub sha256: Option<String>,
    pub size: Option<u64>,
    pub yanked: Option<String>,
}

/// Something to audit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Wheel(PathBuf),
    Binary(PathBuf),
    /// A wheel of a release on a package index (`pypi:NAME`), named
    /// `pypi:PROJECT==VERSION/FILENAME`.
    Remote(Box<RemoteWheel>),
    /// A path that could not be audited (nothing there, unreadable, not a regular file) or a
    /// symlink loop the walk did not follow again, with the finding that says so.
    Problem {
        path: PathBuf,
        finding: Box<Finding>,
    },
}

impl Input {
    /// The path of the input.
    pub fn path(&self) -> &Path {
        match self {
            Input::Wheel(path) | Input::Binary(path) | Input::Problem { path, .. } => path,
            Input::Remote(wheel) => &wheel.display,
        }
    }

    /// Whether this is something found to audit, or an entry that could not be read
    /// (an error): anything but a "nothing to audit" marker or a warning.
    fn counts_as_found(&self) -> bool {
        match self {
            Input::Wheel(_) | Input::Binary(_) | Input::Remote(_) => true,
            Input::Problem { finding, .. } => {
                finding.severity == Severity::Error && finding.code != Code::NothingToAudit
            }
        }
    }
}

/// The report of an [`Input::Problem`]: a `path` input holding the one finding.
pub fn problem_report(path: &Path, finding: &Finding) -> InputReport {
    let mut report = InputReport::new(path.display().to_string(), InputKind::Path);
    report.findings.push(finding.clone());
    report
}

/// The most inputs one run takes. The list of inputs (about 140 bytes each) is what a
/// streamed audit keeps until each is audited, so this bounds it (about 28 MB); past it the
/// run stops collecting with an `input-limit-exceeded` error (exit 2), never silently.
pub const MAX_INPUTS: usize = 200_000;

/// The most directory entries a walk holds at once (the listings of the directories it is
/// inside) plus the directories it remembers for loop detection: a tree too wide or too large
/// to walk within the memory bound is an `input-limit-exceeded` error, not a partial walk.
pub const MAX_WALK_ENTRIES: usize = 500_000;

/// The collection limits ([`MAX_INPUTS`], [`MAX_WALK_ENTRIES`]); smaller in tests.
#[derive(Clone, Copy)]
struct Caps {
    inputs: usize,
    walk_entries: usize,
}

const CAPS: Caps = Caps {
    inputs: MAX_INPUTS,
    walk_entries: MAX_WALK_ENTRIES,
};

fn too_many(path: &Path, what: &str) -> Input {
    Input::Problem {
        path: path.to_path_buf(),
        finding: Box::new(
            Finding::new(
                Code::InputLimitExceeded,
                format!(
                    "too many inputs: {what}; `{}` and the arguments after it were not \
                     fully collected",
                    path.display()
                ),
            )
            .help("audit the tree in parts (one directory or glob per run)"),
        ),
    }
}

#[cfg(test)]
fn is_too_many(input: &Input) -> bool {
    matches!(input, Input::Problem { finding, .. }
        if finding.code == Code::InputLimitExceeded && finding.message.starts_with("too many inputs"))
}

/// Expands each argument. Explicit files are always audited (their content decides what
/// they are); directories and globs contribute wheels and files named like binaries
/// ([`is_auditable_name`]). A file found twice (by two arguments) is audited once.
pub fn expand<S: AsRef<OsStr>>(args: &[S]) -> Vec<Input> {
    expand_with(args, &|_| None)
}

/// [`expand`], where `remote` gives the inputs of an argument that is not a path
/// (`pypi:NAME`, resolved beforehand), in argument order with the others.
pub fn expand_with<S: AsRef<OsStr>>(
    args: &[S],
    remote: &dyn Fn(&str) -> Option<Vec<Input>>,
) -> Vec<Input> {
    expand_capped(args, remote, CAPS)
}

fn expand_capped<S: AsRef<OsStr>>(
    args: &[S],
    remote: &dyn Fn(&str) -> Option<Vec<Input>>,
    caps: Caps,
) -> Vec<Input> {
    let mut inputs = Vec::new();
    for arg in args {
        match arg.as_ref().to_str().and_then(remote) {
            Some(resolved) => inputs.extend(resolved),
            None => {
                if expand_one(arg.as_ref(), &mut inputs, caps) == Walk::Stopped {
                    break;
                }
            }
        }
        if inputs.len() > caps.inputs {
            inputs.truncate(caps.inputs);
            inputs.push(too_many(
                Path::new(arg.as_ref()),
                &format!("more than {} in one run", caps.inputs),
            ));
            break;
        }
    }
    // The list is all a streamed audit keeps per input until it is audited: the set borrows
    // from it, and each path is shrunk to its length.
    let keep: Vec<bool> = {
        let mut seen: HashSet<(&Path, &str)> = HashSet::with_capacity(inputs.len());
        inputs
            .iter()
            .map(|input| {
                seen.insert(match input {
                    Input::Wheel(path) | Input::Binary(path) => (path.as_path(), ""),
                    Input::Remote(wheel) => (wheel.display.as_path(), ""),
                    Input::Problem { path, finding } => (path.as_path(), finding.message.as_str()),
                })
            })
            .collect()
    };
    let mut keep = keep.into_iter();
    inputs.retain(|_| keep.next().unwrap_or(true));
    for input in &mut inputs {
        if let Input::Wheel(path) | Input::Binary(path) | Input::Problem { path, .. } = input {
            path.shrink_to_fit();
        }
    }
    inputs.shrink_to_fit();
    inputs
}

/// How a walk ended: [`Walk::Stopped`] at a cap, its error the last input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Walk {
    Done,
    Stopped,
}

fn expand_one(arg: &OsStr, inputs: &mut Vec<Input>, caps: Caps) -> Walk {
    let path = Path::new(arg);
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => inputs.push(classify(path.to_path_buf())),
        Ok(meta) if meta.is_dir() => {
            let before = inputs.len();
            let walk = Walker::new(inputs, None, caps).walk(path.to_path_buf(), &meta, Mode::All);
            if walk == Walk::Stopped {
                return walk;
            }
            if !inputs.iter().skip(before).any(Input::counts_as_found) {
                inputs.push(nothing(
                    path,
                    "the directory contains no wheel or shared object",
                ));
            }
        }
        Ok(meta) => inputs.push(not_regular(path, meta.file_type())),
        Err(_) if has_glob_meta(arg) => return expand_glob(arg, inputs, caps),
        Err(e) => inputs.push(missing_or_unreadable(path, &e)),
    }
    Walk::Done
}

/// A path `metadata` failed on: missing (or a symlink to nothing), or unreadable.
fn missing_or_unreadable(path: &Path, error: &std::io::Error) -> Input {
    if is_missing(error) {
        match std::fs::read_link(path) {
            Ok(target) => unreadable(
                path,
                format!("the symlink points to nothing (`{}`)", target.display()),
                "check the symlink: its target does not exist",
            ),
            Err(_) => nothing(path, "no such file or directory"),
        }
    } else {
        unreadable(path, error, "check the path and its permissions")
    }
}

/// Why `path` cannot be read as a regular file, if it cannot ("no such file or directory",
/// "not a regular file (a FIFO)", the OS error). Checks without opening: a FIFO never blocks.
pub fn regular_file(path: &Path) -> Result<Metadata, String> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(meta),
        Ok(meta) => Err(format!(
            "not a regular file ({})",
            file_type_name(meta.file_type())
        )),
        Err(e) if is_missing(&e) => Err(match std::fs::read_link(path) {
            Ok(target) => format!("the symlink points to nothing (`{}`)", target.display()),
            Err(_) => "no such file or directory".to_owned(),
        }),
        Err(e) => Err(e.to_string()),
    }
}

fn is_missing(error: &std::io::Error) -> bool {
    matches!(error.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory)
}

/// "a directory", "a FIFO", ...
pub fn file_type_name(file_type: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_symlink() {
        "a symlink"
    } else if file_type.is_file() {
        "a regular file"
    } else {
        "a special file"
    }
}

fn nothing(path: &Path, reason: &str) -> Input {
    Input::Problem {
        path: path.to_path_buf(),
        finding: Box::new(
            Finding::new(
                Code::NothingToAudit,
                format!("nothing to audit at `{}`: {reason}", path.display()),
            )
            .help("check the path, directory or glob"),
        ),
    }
}

fn unreadable(path: &Path, why: impl std::fmt::Display, help: &str) -> Input {
    Input::Problem {
        path: path.to_path_buf(),
        finding: Box::new(
            Finding::new(
                Code::UnreadableInput,
                format!("cannot read `{}`: {why}", path.display()),
            )
            .help(help),
        ),
    }
}

fn not_regular(path: &Path, file_type: FileType) -> Input {
    Input::Problem {
        path: path.to_path_buf(),
        finding: Box::new(
            Finding::new(
                Code::UnreadableInput,
                format!(
                    "cannot audit `{}`: not a regular file ({})",
                    path.display(),
                    file_type_name(file_type)
                ),
            )
            .help("check the path: give a wheel, a shared object or a directory of them"),
        ),
    }
}

fn classify(path: PathBuf) -> Input {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("whl"))
    {
        Input::Wheel(path)
    } else {
        Input::Binary(path)
    }
}

fn has_glob_meta(s: &OsStr) -> bool {
    s.as_encoded_bytes()
        .iter()
        .any(|b| matches!(b, b'*' | b'?' | b'['))
}

/// Names a directory walk (or glob) picks up: wheels and shared objects, including versioned
/// ones (`libfoo.so.1.2`), compared without regard to ASCII case. `x.so.txt.bak` is not one.
pub fn is_auditable_name(path: &Path) -> bool {
    let Some(name) = path.file_name() else {
        return false;
    };
    let name = name.as_encoded_bytes().to_ascii_lowercase();
    const SUFFIXES: [&[u8]; 5] = [b".whl", b".so", b".pyd", b".dll", b".dylib"];
    SUFFIXES
        .iter()
        .any(|s| name.len() > s.len() && name.ends_with(s))
        || is_versioned_so(&name)
}

/// `libfoo.so.1`, `libfoo.so.1.2.3`: `.so` followed by one or more all-digit components.
fn is_versioned_so(name: &[u8]) -> bool {
    let mut rest = name;
    let mut versions = 0;
    while let Some(dot) = rest.iter().rposition(|&b| b == b'.') {
        let tail = rest.get(dot + 1..).unwrap_or_default();
        if tail.is_empty() || !tail.iter().all(u8::is_ascii_digit) {
            break;
        }
        rest = rest.get(..dot).unwrap_or_default();
        versions += 1;
    }
    versions > 0 && rest.len() > 3 && rest.ends_with(b".so")
}

// ---------------------------------------------------------------------------------------
// Globs
// ---------------------------------------------------------------------------------------

/// One component of a glob after its literal base.
#[derive(Debug)]
enum Part {
    /// `**`: any number of directories, none included.
    AnyDirs,
    Name(glob::Pattern),
}

const MATCH: glob::MatchOptions = glob::MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

/// A glob is the walk of its literal base (`dir` in `dir/*/x.whl`) that descends only where
/// the remaining components can still match; a matching directory contributes everything a
/// walk of it would. Names are matched lossily, so a name that is not UTF-8 matches `*`.
fn expand_glob(arg: &OsStr, inputs: &mut Vec<Input>, caps: Caps) -> Walk {
    let path = Path::new(arg);
    if let Err(e) = glob::Pattern::new(&arg.to_string_lossy()) {
        inputs.push(Input::Problem {
            path: path.to_path_buf(),
            finding: Box::new(
                Finding::new(
                    Code::NothingToAudit,
                    format!(
                        "nothing to audit at `{}`: invalid glob: {e}",
                        path.display()
                    ),
                )
                .help("check the glob (`*`, `?`, `[...]` and `**` as a whole path component)"),
            ),
        });
        return Walk::Done;
    }
    let mut base = PathBuf::new();
    let mut parts = Vec::new();
    for component in path.components() {
        let text = component.as_os_str();
        if parts.is_empty() && !has_glob_meta(text) {
            base.push(text);
            continue;
        }
        let text = text.to_string_lossy();
        if text == "**" {
            parts.push(Part::AnyDirs);
        } else {
            match glob::Pattern::new(&text) {
                Ok(pattern) => parts.push(Part::Name(pattern)),
                // The whole pattern compiled, so a component does too; keep it honest anyway.
                Err(_) => {
                    inputs.push(nothing(path, "the glob matches nothing to audit"));
                    return Walk::Done;
                }
            }
        }
    }
    let before = inputs.len();
    // `*.whl` lists the current directory; paths stay as the glob spells them (`x.whl`).
    let listed = if base.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        base.clone()
    };
    match std::fs::metadata(&listed) {
        Ok(meta) if meta.is_dir() => {
            let glob = Glob { parts };
            let start = glob.closure(vec![0]);
            let mode = glob.mode_below(start);
            let walker = Walker::new(inputs, Some(&glob), caps);
            if walker.walk_listing(base, &listed, &meta, mode) == Walk::Stopped {
                return Walk::Stopped;
            }
        }
        Ok(_) => {}
        Err(e) if is_missing(&e) => {}
        Err(e) => inputs.push(unreadable(&listed, e, "check the path and its permissions")),
    }
    if !inputs.iter().skip(before).any(Input::counts_as_found) {
        inputs.push(nothing(path, "the glob matches nothing to audit"));
    }
    Walk::Done
}

/// The components of a glob after its base, run as a small NFA over path components.
struct Glob {
    parts: Vec<Part>,
}

impl Glob {
    /// Adds the states reachable by letting `**` match no directory.
    fn closure(&self, mut states: Vec<usize>) -> Vec<usize> {
        let mut i = 0;
        while let Some(&state) = states.get(i) {
            if matches!(self.parts.get(state), Some(Part::AnyDirs))
                && !states.contains(&(state + 1))
            {
                states.push(state + 1);
            }
            i += 1;
        }
        states.sort_unstable();
        states.dedup();
        states
    }

    /// The states after matching one more component `name`.
    fn step(&self, states: &[usize], name: &OsStr) -> Vec<usize> {
        let name = name.to_string_lossy();
        let mut next = Vec::new();
        for &state in states {
            match self.parts.get(state) {
                Some(Part::AnyDirs) => next.push(state),
                Some(Part::Name(pattern)) if pattern.matches_with(&name, MATCH) => {
                    next.push(state + 1)
                }
                _ => {}
            }
        }
        self.closure(next)
    }

    fn accepts(&self, states: &[usize]) -> bool {
        states.contains(&self.parts.len())
    }

    /// What to look for below a directory at `states`: everything when the glob matches
    /// the directory itself or every name in it (`*` as the last component: `dir/*`,
    /// `dir/**/*`), so such a glob walks exactly as the directory does: same inputs, same
    /// directories recognised when a symlink leads back to them.
    fn mode_below(&self, states: Vec<usize>) -> Mode {
        let every_name_matches = |&state: &usize| match self.parts.get(state) {
            Some(Part::Name(pattern)) => {
                pattern.as_str() == "*" && self.accepts(&self.closure(vec![state + 1]))
            }
            _ => false,
        };
        if self.accepts(&states) || states.iter().any(every_name_matches) {
            Mode::All
        } else {
            Mode::States(states)
        }
    }
}

// ---------------------------------------------------------------------------------------
// The walker
// ---------------------------------------------------------------------------------------

/// The current directory (the base of `*.whl`) is named `.` in messages.
fn shown(dir: &Path) -> &Path {
    if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }
}

/// What the walk looks for below a directory.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Mode {
    /// Every wheel and binary (a directory argument, or a directory a glob matched).
    All,
    /// Paths the glob may still match, by NFA state.
    States(Vec<usize>),
}

/// A directory's identity, to recognise it when a symlink leads to it again: device and
/// inode on Unix, the canonical path elsewhere.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct DirId {
    #[cfg(unix)]
    dev_ino: (u64, u64),
    #[cfg(not(unix))]
    canonical: PathBuf,
}

#[cfg(unix)]
fn dir_id(_path: &Path, meta: &Metadata) -> std::io::Result<DirId> {
    use std::os::unix::fs::MetadataExt as _;
    Ok(DirId {
        dev_ino: (meta.dev(), meta.ino()),
    })
}

#[cfg(not(unix))]
fn dir_id(path: &Path, _meta: &Metadata) -> std::io::Result<DirId> {
    Ok(DirId {
        canonical: std::fs::canonicalize(path)?,
    })
}

struct Frame {
    dir: PathBuf,
    id: DirId,
    mode: Mode,
    /// Names in byte order, with the type the directory listing gave (no stat).
    entries: std::vec::IntoIter<(OsString, Option<FileType>)>,
    /// How many names the listing had.
    listed: usize,
}

/// An iterative depth-first walk (deep trees cannot overflow the stack) in name order.
/// Directories reached through a symlink are walked after the real tree, so a file is
/// named by its real path when the walk has one.
struct Walker<'a> {
    out: &'a mut Vec<Input>,
    glob: Option<&'a Glob>,
    /// Directories walked, with what was looked for in them.
    visited: HashSet<(DirId, Mode)>,
    stack: Vec<Frame>,
    /// Symlinks to directories, in the order met, to walk once the stack is empty.
    deferred: VecDeque<(PathBuf, DirId, Mode)>,
    /// Directory entries held in `stack`'s listings (bounded with `visited` by
    /// [`MAX_WALK_ENTRIES`]).
    held: usize,
    /// Set once a limit stopped the walk (its error is the last input).
    stopped: bool,
    caps: Caps,
}

impl<'a> Walker<'a> {
    fn new(out: &'a mut Vec<Input>, glob: Option<&'a Glob>, caps: Caps) -> Self {
        Walker {
            out,
            glob,
            visited: HashSet::new(),
            stack: Vec::new(),
            deferred: VecDeque::new(),
            held: 0,
            stopped: false,
            caps,
        }
    }

    fn walk(self, dir: PathBuf, meta: &Metadata, mode: Mode) -> Walk {
        let listed = dir.clone();
        self.walk_listing(dir, &listed, meta, mode)
    }

    /// Walks `listed`, naming what it finds below `dir` (they differ only for a glob
    /// relative to the current directory: `dir` is empty, `listed` is `.`).
    fn walk_listing(mut self, dir: PathBuf, listed: &Path, meta: &Metadata, mode: Mode) -> Walk {
        match dir_id(listed, meta) {
            Ok(id) => self.enter(dir, Some(listed), id, mode),
            Err(e) => self
                .out
                .push(unreadable(listed, e, "check the path and its permissions")),
        }
        loop {
            if self.stopped {
                break;
            }
            if self.out.len() > self.caps.inputs {
                let what = format!("more than {} in one run", self.caps.inputs);
                self.stop(listed, what);
                break;
            }
            let Some(frame) = self.stack.last_mut() else {
                match self.deferred.pop_front() {
                    Some((dir, id, mode)) => {
                        self.enter(dir, None, id, mode);
                        continue;
                    }
                    None => break,
                }
            };
            let Some((name, listed_type)) = frame.entries.next() else {
                if let Some(done) = self.stack.pop() {
                    self.held -= done.listed;
                }
                continue;
            };
            let path = frame.dir.join(&name);
            let (matched, mode) = match (&frame.mode, self.glob) {
                (Mode::States(states), Some(glob)) => {
                    let next = glob.step(states, &name);
                    if next.is_empty() {
                        continue; // the glob cannot match anything here or below
                    }
                    (glob.accepts(&next), glob.mode_below(next))
                }
                _ => (true, Mode::All),
            };
            self.entry(path, listed_type, matched, mode);
        }
        if self.stopped {
            Walk::Stopped
        } else {
            Walk::Done
        }
    }

    /// One directory entry. `matched`: files here are wanted (else only directories matter).
    fn entry(&mut self, path: PathBuf, listed_type: Option<FileType>, matched: bool, mode: Mode) {
        let wanted = matched && is_auditable_name(&path);
        // Regular files as the listing typed them need no stat.
        if let Some(file_type) = listed_type
            && file_type.is_file()
        {
            if wanted {
                self.out.push(classify(path));
            }
            return;
        }
        // Directories (for their identity), symlinks (followed) and untyped entries.
        let meta = match std::fs::metadata(&path) {
            Ok(meta) => meta,
            Err(e) if is_missing(&e) => {
                // A symlink to nothing: it hides nothing, unless it was named as a wheel or
                // binary the walk would audit.
                if wanted {
                    self.out.push(missing_or_unreadable(&path, &e));
                }
                return;
            }
            Err(e) => {
                self.out
                    .push(unreadable(&path, e, "check the path and its permissions"));
                return;
            }
        };
        if meta.is_file() {
            if wanted {
                self.out.push(classify(path));
            }
        } else if meta.is_dir() {
            let id = match dir_id(&path, &meta) {
                Ok(id) => id,
                Err(e) => {
                    let why = unreadable(&path, e, "check the path and its permissions");
                    return self.out.push(why);
                }
            };
            if self.is_loop(&path, &id) {
                return;
            }
            if listed_type.is_some_and(|t| t.is_symlink()) {
                self.deferred.push_back((path, id, mode));
            } else {
                self.enter(path, None, id, mode);
            }
        } else if wanted {
            self.out.push(not_regular(&path, meta.file_type()));
        }
    }

    /// Whether `dir` leads back to a directory the walk is inside: then it is reported (a
    /// warning: everything below is being walked already) and not followed.
    fn is_loop(&mut self, dir: &Path, id: &DirId) -> bool {
        let Some(ancestor) = self.stack.iter().find(|f| f.id == *id) else {
            return false;
        };
        let finding = Finding::new(
            Code::UnreadableInput,
            format!(
                "`{}` is a symlink loop back to `{}`: not followed again",
                dir.display(),
                shown(&ancestor.dir).display()
            ),
        )
        .with_severity(Severity::Warning)
        .note(format!(
            "everything below `{}` is audited once, under that path",
            shown(&ancestor.dir).display()
        ))
        .help("nothing was skipped; remove the symlink to silence this");
        self.out.push(Input::Problem {
            path: dir.to_path_buf(),
            finding: Box::new(finding),
        });
        true
    }

    /// Starts listing a directory, unless it was walked already (another symlink to it).
    fn enter(&mut self, dir: PathBuf, listed: Option<&Path>, id: DirId, mode: Mode) {
        if self.visited.contains(&(id.clone(), Mode::All))
            || !self.visited.insert((id.clone(), mode.clone()))
        {
            return; // reached again through another symlink: its files are already listed
        }
        let listing = match std::fs::read_dir(listed.unwrap_or(&dir)) {
            Ok(listing) => listing,
            Err(e) => {
                self.out.push(unreadable(
                    &dir,
                    format_args!("cannot list the directory: {e}"),
                    "check the directory's permissions",
                ));
                return;
            }
        };
        let mut entries = Vec::new();
        for entry in listing {
            if self.held + entries.len() + self.visited.len() >= self.caps.walk_entries {
                let what = format!(
                    "a walk holding more than {} directory entries and directories at once",
                    self.caps.walk_entries
                );
                return self.stop(&dir, what);
            }
            match entry {
                Ok(entry) => entries.push((entry.file_name(), entry.file_type().ok())),
                Err(e) => self.out.push(unreadable(
                    &dir,
                    format_args!("cannot list an entry of the directory: {e}"),
                    "check the directory's permissions",
                )),
            }
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        self.held += entries.len();
        self.stack.push(Frame {
            dir,
            id,
            mode,
            listed: entries.len(),
            entries: entries.into_iter(),
        });
    }

    /// Stops the walk at a limit: its error becomes the last input.
    fn stop(&mut self, dir: &Path, what: String) {
        if !self.stopped {
            self.stopped = true;
            self.out.truncate(self.caps.inputs);
            self.out.push(too_many(dir, &what));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_a_walk_audits() {
        for name in [
            "a.whl",
            "A.WHL",
            "x.abi3.so",
            "libfoo.so.1",
            "libfoo.so.1.2",
            "libfoo-2.0.so.0.3.1",
            "LIBFOO.SO.6",
            "m.pyd",
            "python3.dll",
            "libx.dylib",
            "lib_mod.so",
        ] {
            assert!(is_auditable_name(Path::new(name)), "{name} is audited");
        }
        for name in [
            "a.py",
            "README",
            "x.so.txt.bak",
            "x.so.txt",
            "x.so.1.bak",
            "libfoo.so.",
            "libfoo.so.1a",
            "libfoo.so1",
            "x.whl.bak",
            "lib.rlib",
            ".so",
            ".whl",
            ".so.1",
            "so.1",
        ] {
            assert!(!is_auditable_name(Path::new(name)), "{name} is not audited");
        }
    }

    #[cfg(unix)]
    #[test]
    fn names_that_are_not_utf8_are_audited() {
        use std::os::unix::ffi::OsStrExt as _;
        assert!(is_auditable_name(Path::new(OsStr::from_bytes(b"\xff.so"))));
        assert!(!is_auditable_name(Path::new(OsStr::from_bytes(
            b"\xff.txt"
        ))));
    }

    fn reason(input: &Input) -> &str {
        match input {
            Input::Problem { finding, .. } => &finding.message,
            other => panic!("not a problem: {other:?}"),
        }
    }

    #[test]
    fn missing_paths_and_empty_globs_are_reported() {
        let inputs = expand(&["/definitely/not/here", "/definitely/not/*.whl"]);
        assert_eq!(inputs.len(), 2, "{inputs:?}");
        assert!(reason(&inputs[0]).contains("no such file"), "{inputs:?}");
        assert!(reason(&inputs[1]).contains("glob"), "{inputs:?}");
    }

    fn limit_errors(inputs: &[Input]) -> usize {
        inputs.iter().filter(|i| is_too_many(i)).count()
    }

    /// Past the input cap the run stops collecting with one `input-limit-exceeded` error
    /// (exit 2), for a walk, a glob and a list of arguments alike; under it nothing changes.
    #[test]
    fn collecting_stops_at_the_input_cap_with_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        for i in 0..10 {
            std::fs::write(tmp.path().join(format!("m{i}.abi3.so")), b"x").unwrap();
        }
        let dir = tmp.path().to_str().unwrap().to_owned();
        let glob = format!("{dir}/*.so");
        let files: Vec<String> = (0..10).map(|i| format!("{dir}/m{i}.abi3.so")).collect();
        let none = |_: &str| None;
        let roomy = Caps {
            inputs: 10,
            walk_entries: 100,
        };
        let tight = Caps {
            inputs: 4,
            walk_entries: 100,
        };
        for args in [vec![dir.clone()], vec![glob.clone()], files.clone()] {
            let all = expand_capped(&args, &none, roomy);
            assert_eq!(
                (all.len(), limit_errors(&all)),
                (10, 0),
                "{args:?}: {all:?}"
            );
            let capped = expand_capped(&args, &none, tight);
            assert_eq!(capped.len(), 5, "{args:?}: {capped:?}");
            assert!(is_too_many(capped.last().unwrap()), "{capped:?}");
            assert_eq!(limit_errors(&capped), 1, "{capped:?}");
        }
        // Arguments after the cap are not collected, and the error is not repeated.
        let capped = expand_capped(&[dir.clone(), glob], &none, tight);
        assert_eq!((capped.len(), limit_errors(&capped)), (5, 1), "{capped:?}");
    }

    /// A tree whose listings (and remembered directories) exceed the walk's cap is an error,
    /// not a partial walk.
    #[test]
    fn a_walk_too_large_to_hold_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        for d in 0..6 {
            let sub = tmp.path().join(format!("d{d}"));
            std::fs::create_dir(&sub).unwrap();
            std::fs::write(sub.join("x.abi3.so"), b"x").unwrap();
        }
        let dir = tmp.path().to_str().unwrap().to_owned();
        let none = |_: &str| None;
        let fits = expand_capped(
            &[&dir],
            &none,
            Caps {
                inputs: 100,
                walk_entries: 20,
            },
        );
        assert_eq!((fits.len(), limit_errors(&fits)), (6, 0), "{fits:?}");
        let over = expand_capped(
            &[&dir],
            &none,
            Caps {
                inputs: 100,
                walk_entries: 8,
            },
        );
        assert_eq!(limit_errors(&over), 1, "{over:?}");
        let finding = match over.last().unwrap() {
            Input::Problem { finding, .. } => finding,
            other => panic!("{other:?}"),
        };
        assert_eq!(finding.severity, Severity::Error);
        assert!(
            finding.message.contains("directory entries"),
            "{}",
            finding.message
        );
    }

    /// `dir/*` walks as `dir` does even where a symlink below leads back to `dir` from a
    /// directory outside it (the glob once walked `dir` a second time, as `dir/out/back/…`).
    #[cfg(unix)]
    #[test]
    fn a_glob_and_its_directory_agree_through_a_symlink_back_to_the_base() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("dir");
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::fs::write(dir.join("a.whl"), b"").unwrap();
        std::fs::write(elsewhere.join("b.so"), b"").unwrap();
        std::os::unix::fs::symlink(&elsewhere, dir.join("out")).unwrap();
        std::os::unix::fs::symlink(&dir, elsewhere.join("back")).unwrap();
        let walked = expand(&[&dir]);
        assert_eq!(
            walked,
            [
                Input::Wheel(dir.join("a.whl")),
                Input::Binary(dir.join("out/b.so"))
            ]
        );
        for glob in ["*", "**/*", "**"] {
            assert_eq!(expand(&[dir.join(glob)]), walked, "{glob}");
        }
        // A glob that does not match every name keeps its own states, and terminates.
        let wheels = expand(&[dir.join("*/*.so")]);
        assert_eq!(wheels, [Input::Binary(dir.join("out/b.so"))]);
    }

    #[test]
    fn glob_states_follow_double_star() {
        let glob = Glob {
            parts: vec![
                Part::AnyDirs,
                Part::Name(glob::Pattern::new("*.whl").unwrap()),
            ],
        };
        let start = glob.closure(vec![0]);
        assert_eq!(start, [0, 1]);
        let sub = glob.step(&start, OsStr::new("sub"));
        assert_eq!(sub, [0, 1]);
        assert!(glob.accepts(&glob.step(&sub, OsStr::new("a.whl"))));
        assert!(!glob.accepts(&glob.step(&sub, OsStr::new("a.so"))));
    }
}
