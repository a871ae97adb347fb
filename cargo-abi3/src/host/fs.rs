//! Paths as the loader sees them, mapped under an optional sysroot.
//!
//! Every file the host analysis reads under the root (the host itself, its libraries,
//! `ld.so.cache`, `ld.so.conf` and its includes) and every directory it lists goes through
//! one resolver, [`Root::canonical`]: each component is looked up with `lstat` and every
//! symlink is followed *inside* the root, as a chroot would. An absolute link target is
//! re-rooted at the sysroot, `..` never climbs above the sysroot's root, and at most
//! `MAX_LINKS` links are followed, so loops end. The path handed to the OS is the
//! resolved one, which has no symlink left in it below the sysroot.

use std::collections::VecDeque;
use std::io::Read as _;
use std::path::{Component, Path, PathBuf};

/// Longest loader-visible path considered (Linux's PATH_MAX).
pub const MAX_PATH: usize = 4096;
/// Most symlinks followed while resolving one path (Linux's MAXSYMLINKS is 40).
const MAX_LINKS: usize = 40;
/// Most entries of one directory listed (glob patterns of `ld.so.conf`, a PE host's folder).
pub const MAX_LISTING: usize = 100_000;

/// The filesystem root the loader is simulated in: `/`, or `--sysroot`.
#[derive(Clone, Debug)]
pub struct Root {
    dir: Option<PathBuf>,
}

/// Why a file under the root could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("no such file")]
    NotFound,
    #[error("not a regular file")]
    NotAFile,
    #[error("{size} bytes, over the {limit}-byte limit")]
    TooLarge { size: u64, limit: u64 },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl Root {
    pub fn new(sysroot: Option<&Path>) -> Self {
        Root {
            dir: sysroot.map(Path::to_path_buf),
        }
    }

    pub fn sysroot(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The OS path of a loader-visible path whose symlinks are already resolved. Only
    /// [`Root::canonical`]'s results may be opened through it.
    fn real(&self, path: &str) -> PathBuf {
        match &self.dir {
            Some(dir) => dir.join(path.trim_start_matches('/')),
            None => PathBuf::from(path),
        }
    }

    /// The loader-visible path of a path given on the command line: with a sysroot, a path
    /// under it (compared component by component, symlinks not followed) loses that prefix;
    /// any other absolute path is taken as loader-visible already. `None` for a relative
    /// path that is not under the sysroot.
    /// Reads the binary at a loader-visible path, resolved inside the root, through the
    /// loading layer `audit` uses: streamed, holding only what the readers need, within
    /// `limits`.
    pub fn load(
        &self,
        path: &str,
        limits: &crate::wheel::Limits,
    ) -> Result<crate::load::Loaded, Box<crate::finding::Finding>> {
        let canonical = self.canonical(path).ok_or_else(|| {
            Box::new(crate::finding::Finding::new(
                cargo_abi3_build_hook::Code::UnreadableInput,
                format!("cannot read `{path}`: no such file"),
            ))
        })?;
        crate::load::load_file(&self.real(&canonical), limits)
    }

    /// Streams all of the file at a loader-visible path (resolved inside the root) through
    /// `sink`, within `limits`.
    pub fn stream(
        &self,
        path: &str,
        limits: &crate::wheel::Limits,
        sink: &mut dyn FnMut(&[u8]),
    ) -> Result<u64, Box<crate::finding::Finding>> {
        let canonical = self.canonical(path).ok_or_else(|| {
            Box::new(crate::finding::Finding::new(
                cargo_abi3_build_hook::Code::UnreadableInput,
                format!("cannot read `{path}`: no such file"),
            ))
        })?;
        crate::load::stream_file(&self.real(&canonical), limits, sink)
    }

    pub fn visible(&self, given: &Path) -> Option<String> {
        let cwd = || std::env::current_dir().ok();
        let absolute = if given.is_absolute() {
            given.to_path_buf()
        } else {
            cwd()?.join(given)
        };
        let Some(dir) = &self.dir else {
            return Some(absolute.to_string_lossy().into_owned());
        };
        let dir_absolute = if dir.is_absolute() {
            Some(dir.clone())
        } else {
            cwd().map(|c| c.join(dir))
        };
        let prefixes = [dir_absolute, std::fs::canonicalize(dir).ok()];
        for prefix in prefixes.iter().flatten() {
            if let Ok(rest) = absolute.strip_prefix(lexical(prefix)) {
                return Some(format!("/{}", rest.to_string_lossy()));
            }
        }
        given
            .is_absolute()
            .then(|| given.to_string_lossy().into_owned())
    }

    /// The resolver: every symlink of a loader-visible absolute path resolved inside the
    /// root. `None` if a component does not exist, the path is too long, or it loops.
    pub fn canonical(&self, path: &str) -> Option<String> {
        if path.len() > MAX_PATH || !path.starts_with('/') {
            return None;
        }
        let mut pending: VecDeque<String> = components(path).collect();
        let mut resolved: Vec<String> = Vec::new();
        let mut links = 0usize;
        while let Some(component) = pending.pop_front() {
            match component.as_str() {
                "." => continue,
                ".." => {
                    // At the root, `..` is the root itself.
                    resolved.pop();
                    continue;
                }
                _ => {}
            }
            resolved.push(component);
            let current = join(&resolved);
            if current.len() > MAX_PATH {
                return None;
            }
            let meta = std::fs::symlink_metadata(self.real(&current)).ok()?;
            if meta.file_type().is_symlink() {
                links += 1;
                if links > MAX_LINKS {
                    return None;
                }
                let target = std::fs::read_link(self.real(&current)).ok()?;
                let target = target.to_string_lossy().into_owned();
                resolved.pop();
                if target.starts_with('/') {
                    // Re-rooted: an absolute target starts again at the sysroot.
                    resolved.clear();
                }
                let mut next: VecDeque<String> = components(&target).collect();
                if next.len() + pending.len() > MAX_PATH {
                    return None;
                }
                next.extend(pending);
                pending = next;
            }
        }
        Some(join(&resolved))
    }

    /// Whether a loader-visible path is a regular file (after symlinks), and its canonical path.
    pub fn file(&self, path: &str) -> Option<String> {
        let canonical = self.canonical(path)?;
        std::fs::symlink_metadata(self.real(&canonical))
            .ok()?
            .is_file()
            .then_some(canonical)
    }

    /// Reads a loader-visible file, resolved inside the root, refusing one of more than
    /// `limit` bytes: at most `limit + 1` bytes are ever read, whatever `stat` says.
    pub fn read(&self, path: &str, limit: u64) -> Result<Vec<u8>, FileError> {
        let canonical = self.canonical(path).ok_or(FileError::NotFound)?;
        let real = self.real(&canonical);
        if !std::fs::symlink_metadata(&real)?.is_file() {
            return Err(FileError::NotAFile);
        }
        read_limited(&real, limit)
    }

    /// The names in a loader-visible directory, resolved inside the root, sorted; at most
    /// `max` of them (empty when it is not a directory).
    pub fn list(&self, dir: &str, max: usize) -> Vec<String> {
        let Some(canonical) = self.canonical(dir) else {
            return Vec::new();
        };
        let mut names: Vec<String> = std::fs::read_dir(self.real(&canonical))
            .map(|entries| {
                entries
                    .flatten()
                    .take(max)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// The files matching a glob pattern (`ld.so.conf`'s `include`), expanded component by
    /// component through [`Root::list`], in the sorted order `glob(3)` returns; at most `max`.
    /// Leading dots must be matched literally, as `glob(3)` without `GLOB_PERIOD` does.
    pub fn glob(&self, pattern: &str, max: usize) -> Vec<String> {
        const WILD: &[char] = &['*', '?', '['];
        let options = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: true,
        };
        if pattern.len() > MAX_PATH || !pattern.starts_with('/') {
            return Vec::new();
        }
        let mut paths = vec![String::new()];
        for component in components(pattern) {
            let mut next = Vec::new();
            if component.contains(WILD) {
                let Ok(matcher) = glob::Pattern::new(&component) else {
                    return Vec::new();
                };
                for dir in &paths {
                    let listed = self.list(if dir.is_empty() { "/" } else { dir }, MAX_LISTING);
                    for name in listed
                        .into_iter()
                        .filter(|n| matcher.matches_with(n, options))
                    {
                        if next.len() >= max {
                            break;
                        }
                        next.push(format!("{dir}/{name}"));
                    }
                }
            } else {
                next = paths
                    .iter()
                    .map(|dir| format!("{dir}/{component}"))
                    .collect();
            }
            paths = next;
        }
        paths
            .into_iter()
            .filter(|p| self.file(p).is_some())
            .take(max)
            .collect()
    }
}

/// Reads a file of at most `limit` bytes: at most `limit + 1` bytes are read, so a file
/// that grows, or whose `stat` size lies (`/proc`, FUSE), is still refused in time.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let file = std::fs::File::open(path)?;
    let declared = file.metadata().map(|m| m.len()).unwrap_or(0);
    if declared > limit {
        return Err(FileError::TooLarge {
            size: declared,
            limit,
        });
    }
    let mut data = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut data)?;
    let read = data.len() as u64;
    if read > limit {
        return Err(FileError::TooLarge { size: read, limit });
    }
    Ok(data)
}

/// `path` without `.` components and with `..` applied, without touching the filesystem
/// (for comparing a command-line path with the sysroot's).
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn components(path: &str) -> impl Iterator<Item = String> + '_ {
    path.split('/').filter(|c| !c.is_empty()).map(str::to_owned)
}

fn join(components: &[String]) -> String {
    if components.is_empty() {
        "/".to_owned()
    } else {
        components.iter().fold(String::new(), |mut out, c| {
            out.push('/');
            out.push_str(c);
            out
        })
    }
}

/// The directory part of a loader-visible path (`/usr/lib` for `/usr/lib/libz.so.1`).
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) => "/",
        Some(i) => path.get(..i).unwrap_or("/"),
        None => ".",
    }
}

/// The file-name part of a path.
pub fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_links_inside_the_root_and_stops_loops() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(Some(dir.path()));
        std::fs::create_dir_all(dir.path().join("usr/lib")).unwrap();
        std::fs::write(dir.path().join("usr/lib/libx.so.1.2"), b"x").unwrap();
        std::os::unix::fs::symlink("libx.so.1.2", dir.path().join("usr/lib/libx.so.1")).unwrap();
        // An absolute link is re-rooted, not followed to the real /usr/lib.
        std::os::unix::fs::symlink("/usr/lib", dir.path().join("lib")).unwrap();
        std::os::unix::fs::symlink("loop2", dir.path().join("loop1")).unwrap();
        std::os::unix::fs::symlink("loop1", dir.path().join("loop2")).unwrap();
        assert_eq!(
            root.file("/lib/libx.so.1").as_deref(),
            Some("/usr/lib/libx.so.1.2")
        );
        assert_eq!(root.canonical("/loop1"), None);
        assert_eq!(
            root.canonical("/usr/../usr/lib/./libx.so.1.2").as_deref(),
            Some("/usr/lib/libx.so.1.2")
        );
        assert_eq!(root.file("/usr/lib"), None);
        assert_eq!(root.canonical(&"/a".repeat(3000)), None);
    }

    /// Directory listings and glob patterns go through the resolver: an absolute link to a
    /// directory is listed under the root, and `..` stops at the root.
    #[test]
    fn glob_and_list_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root_dir = dir.path().join("root");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(root_dir.join("etc")).unwrap();
        std::fs::create_dir_all(root_dir.join("conf.d")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("evil.conf"), "x").unwrap();
        std::fs::write(root_dir.join("conf.d/b.conf"), "x").unwrap();
        std::fs::write(root_dir.join("conf.d/a.conf"), "x").unwrap();
        std::fs::write(root_dir.join("conf.d/.h.conf"), "x").unwrap();
        // Through the OS these would list `outside`; inside the root they list /conf.d.
        std::os::unix::fs::symlink(&outside, root_dir.join("etc/abs.d")).unwrap();
        std::os::unix::fs::symlink("../../conf.d", root_dir.join("etc/rel.d")).unwrap();
        std::fs::create_dir_all(root_dir.join(outside.strip_prefix("/").unwrap())).unwrap();
        let root = Root::new(Some(&root_dir));
        assert!(root.list("/etc/abs.d", 10).is_empty());
        assert_eq!(root.list("/etc/rel.d", 10), [".h.conf", "a.conf", "b.conf"]);
        assert_eq!(
            root.glob("/etc/rel.d/*.conf", 10),
            ["/etc/rel.d/a.conf", "/etc/rel.d/b.conf"]
        );
        assert_eq!(root.glob("/etc/rel.d/*.conf", 1), ["/etc/rel.d/a.conf"]);
        assert_eq!(root.glob("/*/a.conf", 10), ["/conf.d/a.conf"]);
        assert!(root.glob("/etc/abs.d/*", 10).is_empty());
        assert!(root.glob("relative/*", 10).is_empty());
        assert!(matches!(
            root.read("/etc/abs.d/evil.conf", 100),
            Err(FileError::NotFound)
        ));
        assert_eq!(root.read("/etc/rel.d/a.conf", 100).unwrap(), b"x");
        assert!(matches!(
            root.read("/etc/rel.d", 100),
            Err(FileError::NotAFile)
        ));
    }

    /// The limit is on the bytes read: `/proc` files say 0 bytes in `stat` and have more.
    #[test]
    fn read_limit_counts_bytes_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ten");
        std::fs::write(&file, b"0123456789").unwrap();
        assert_eq!(read_limited(&file, 10).unwrap().len(), 10);
        assert!(matches!(
            read_limited(&file, 9),
            Err(FileError::TooLarge { size: 10, limit: 9 })
        ));
        if std::fs::metadata("/proc/self/maps").is_ok_and(|m| m.len() == 0) {
            assert!(matches!(
                read_limited(Path::new("/proc/self/maps"), 16),
                Err(FileError::TooLarge {
                    size: 17,
                    limit: 16
                })
            ));
        }
    }

    /// A command-line path under the sysroot is mapped lexically, not through the OS.
    #[test]
    fn visible_paths_of_command_line_arguments() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(Some(dir.path()));
        assert_eq!(
            root.visible(&dir.path().join("usr/bin/python")).as_deref(),
            Some("/usr/bin/python")
        );
        assert_eq!(
            root.visible(Path::new("/usr/bin/python")).as_deref(),
            Some("/usr/bin/python")
        );
        assert_eq!(
            Root::new(None).visible(Path::new("/a/b")).as_deref(),
            Some("/a/b")
        );
    }

    #[test]
    fn path_parts() {
        assert_eq!(parent("/usr/lib/libz.so"), "/usr/lib");
        assert_eq!(parent("/libz.so"), "/");
        assert_eq!(file_name("/usr/lib/libz.so"), "libz.so");
    }
}
