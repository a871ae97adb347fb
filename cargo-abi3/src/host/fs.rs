//! Paths as the loader sees them, mapped under an optional sysroot. Symlinks are resolved
//! inside the root (an absolute target is re-rooted), with a bounded number of hops, so a
//! loop or a link escaping the sysroot cannot hang or mislead the resolution.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

/// Longest loader-visible path considered (Linux's PATH_MAX).
pub const MAX_PATH: usize = 4096;
/// Most symlinks followed while resolving one path (Linux's MAXSYMLINKS is 40).
const MAX_LINKS: usize = 40;
/// Largest file read as a library.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// The filesystem root the loader is simulated in: `/`, or `--sysroot`.
#[derive(Clone, Debug)]
pub struct Root {
    dir: Option<PathBuf>,
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

    /// The real path of a loader-visible absolute path.
    pub fn real(&self, path: &str) -> PathBuf {
        match &self.dir {
            Some(dir) => dir.join(path.trim_start_matches('/')),
            None => PathBuf::from(path),
        }
    }

    /// The loader-visible path of a real path, if it lies inside the root.
    pub fn visible(&self, real: &Path) -> Option<String> {
        let absolute = if real.is_absolute() {
            real.to_path_buf()
        } else {
            std::env::current_dir().ok()?.join(real)
        };
        match &self.dir {
            None => Some(absolute.to_string_lossy().into_owned()),
            Some(dir) => {
                let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone());
                let absolute = std::fs::canonicalize(&absolute).unwrap_or(absolute);
                let rest = absolute.strip_prefix(&dir).ok()?;
                Some(format!("/{}", rest.to_string_lossy()))
            }
        }
    }

    /// Resolves every symlink of a loader-visible absolute path inside the root. `None` if
    /// the path does not exist, is too long, or loops.
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
        std::fs::metadata(self.real(&canonical))
            .ok()?
            .is_file()
            .then_some(canonical)
    }

    /// Reads a loader-visible file, refusing files over [`MAX_FILE_BYTES`].
    pub fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        read_bounded(&self.real(path))
    }
}

/// Reads a file, refusing one larger than [`MAX_FILE_BYTES`].
pub fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    let size = std::fs::metadata(path)?.len();
    if size > MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "{size} bytes, over the {MAX_FILE_BYTES}-byte limit"
        )));
    }
    std::fs::read(path)
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
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
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

    #[test]
    fn path_parts() {
        assert_eq!(parent("/usr/lib/libz.so"), "/usr/lib");
        assert_eq!(parent("/libz.so"), "/");
        assert_eq!(file_name("/usr/lib/libz.so"), "libz.so");
    }
}
