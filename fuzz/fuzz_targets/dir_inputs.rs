//! Directory inputs: a random tree (directories, files, symlinks to directories, files,
//! nothing, the directory itself and its ancestors, sockets; names with newlines, bytes
//! that are not UTF-8, glob metacharacters, versioned and look-alike extensions) is built in
//! a temporary directory from the input, then expanded the way `cargo abi3 audit` does.
//! Asserts that expansion ends (libFuzzer's -timeout catches a loop), never panics, that the
//! directory and the globs `dir/*`, `dir/**/*` and `dir/**` give the same inputs in the same
//! order (unless the tree has an entry literally named `*` or `**`: an existing path is that
//! path, not a glob), and that every file input is an existing file under the tree, listed
//! once.
#![no_main]

use std::collections::HashSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use cargo_abi3::Code;
use cargo_abi3::inputs::{self, Input};
use libfuzzer_sys::fuzz_target;

/// Names worth trying; other names come from the input's bytes.
const NAMES: &[&[u8]] = &[
    b"a.whl",
    b"B-1.0-cp38-abi3-any.WHL",
    b"x.abi3.so",
    b"libfoo.so.1",
    b"libfoo.so.1.2",
    b"x.so.txt.bak",
    b"libfoo.so.",
    b"README",
    b".hidden",
    b"sub",
    b"new\nline.so",
    b"\xff\xfe.so",
    b"sp ace.whl",
    b"*",
    b"[",
    b"?.so",
    b"a[1].whl",
    b"**",
    b"lib.dylib",
    b"m.pyd",
    b"-",
];

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("cargo-abi3-fuzz-dirs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    })
}

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn next(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn pick<'t, T>(&mut self, items: &'t [T]) -> Option<&'t T> {
        let b = self.next()?;
        items.get(usize::from(b) % items.len().max(1))
    }

    /// A file name: one of [`NAMES`], or up to 8 raw bytes (without `/` and NUL).
    fn name(&mut self) -> Option<Vec<u8>> {
        let b = self.next()?;
        if b < 0xc0 {
            return NAMES.get(usize::from(b) % NAMES.len()).map(|n| n.to_vec());
        }
        let len = usize::from(b & 7) + 1;
        let name: Vec<u8> = (0..len)
            .filter_map(|_| self.next())
            .filter(|&c| c != b'/' && c != 0)
            .collect();
        (!name.is_empty() && name != b"." && name != b"..").then_some(name)
    }
}

/// Builds the tree the input describes under `root` (errors, like a name taken twice, are
/// part of the game and ignored).
fn build(root: &Path, data: &[u8]) {
    let mut bytes = Bytes(data);
    let mut dirs = vec![root.to_path_buf()];
    let mut files: Vec<PathBuf> = Vec::new();
    for _ in 0..48 {
        let Some(op) = bytes.next() else { break };
        let Some(parent) = bytes.pick(&dirs).cloned() else {
            break;
        };
        let Some(name) = bytes.name() else { break };
        let path = parent.join(OsStr::from_bytes(&name));
        match op % 8 {
            0 | 1 => {
                if std::fs::create_dir(&path).is_ok() {
                    dirs.push(path);
                }
            }
            2 | 3 => {
                if std::fs::write(&path, &name).is_ok() {
                    files.push(path);
                }
            }
            4 => {
                // A symlink to a directory of the tree, absolute or relative.
                let Some(target) = bytes.pick(&dirs).cloned() else {
                    break;
                };
                let target = if bytes.next().is_some_and(|b| b & 1 == 0) {
                    target
                } else {
                    relative(&parent, &target)
                };
                let _ = std::os::unix::fs::symlink(target, &path);
            }
            5 => {
                // A symlink to a file, or to nothing.
                let target = match bytes.pick(&files) {
                    Some(file) => relative(&parent, file),
                    None => PathBuf::from("nowhere.whl"),
                };
                let _ = std::os::unix::fs::symlink(target, &path);
            }
            6 => {
                // A loop: the directory itself, an ancestor (at most two levels above the
                // tree), or a symlink to itself.
                let target = *bytes.pick(&[".", "..", "../..", "."]).unwrap_or(&".");
                let target = if bytes.next().is_some_and(|b| b & 1 == 0) {
                    PathBuf::from(target)
                } else {
                    PathBuf::from(OsStr::from_bytes(&name))
                };
                let _ = std::os::unix::fs::symlink(target, &path);
            }
            _ => {
                // A socket: not a regular file, never opened.
                let _ = std::os::unix::net::UnixListener::bind(&path);
            }
        }
    }
}

/// `target` as a path relative to `from` (both under the same root).
fn relative(from: &Path, target: &Path) -> PathBuf {
    let common = from
        .components()
        .zip(target.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut path = PathBuf::new();
    for _ in from.components().skip(common) {
        path.push("..");
    }
    for part in target.components().skip(common) {
        path.push(part);
    }
    if path.as_os_str().is_empty() {
        path.push(".");
    }
    path
}

/// The inputs without the "nothing to audit" marker, whose path is the argument itself.
fn found(inputs: Vec<Input>) -> Vec<Input> {
    inputs
        .into_iter()
        .filter(|i| !matches!(i, Input::Problem { finding, .. } if finding.code == Code::NothingToAudit))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    static N: AtomicU64 = AtomicU64::new(0);
    // Two private levels above the tree: a symlink to `../..` stays in this run's own
    // directory (walking the shared temporary directory would see other processes' files).
    let run = scratch().join(N.fetch_add(1, Ordering::Relaxed).to_string());
    let tree = run.join("up/up/tree");
    std::fs::create_dir_all(&tree).expect("tree dir");
    build(&tree, data);

    let walked = found(inputs::expand(&[&tree]));
    let mut seen = HashSet::new();
    for input in &walked {
        let path = input.path();
        assert!(path.starts_with(&tree), "{path:?} is outside the tree");
        if let Input::Wheel(path) | Input::Binary(path) = input {
            assert!(path.is_file(), "{path:?} is not a file");
            assert!(inputs::is_auditable_name(path), "{path:?} is not auditable");
            assert!(seen.insert(path.clone()), "{path:?} is listed twice");
        }
        // The report of a problem renders (JSON and the escaped human text).
        if let Input::Problem { path, finding } = input {
            let _ = inputs::problem_report(path, finding);
        }
    }
    for glob in ["*", "**/*", "**"] {
        let pattern = tree.join(glob);
        // A path that exists is that path, not a glob (`a[1].whl` names a file).
        if pattern.symlink_metadata().is_ok() {
            continue;
        }
        let globbed = found(inputs::expand(&[pattern]));
        assert_eq!(globbed, walked, "`{glob}` and the directory disagree");
    }

    let _ = std::fs::remove_dir_all(&run);
});
