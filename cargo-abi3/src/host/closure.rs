//! The DT_NEEDED closure of an ELF host, resolved the way glibc's ld.so does: breadth-first
//! in load order, each name searched in DT_RPATH (of the loader and the objects that loaded
//! it, unless the loader has DT_RUNPATH), LD_LIBRARY_PATH, the loader's DT_RUNPATH,
//! ld.so.cache and the default directories, all under the sysroot. Bounded in size.

use crate::binary::{Binary, Format};
use crate::load::Loaded;
use crate::wheel::Limits;

use super::fs::{self, Root};
use super::ldcache::{self, Cache, CacheLimit};
use super::search::{self, FoundVia, Tokens};

/// Most objects in a closure (glibc has no limit; real processes have a few hundred at most).
pub const MAX_OBJECTS: usize = 512;
/// Most directories recorded per unresolved library.
const MAX_SEARCHED: usize = 32;
/// Most search-path entries used per DT_RPATH / DT_RUNPATH.
const MAX_PATH_ENTRIES: usize = 256;

/// One loaded object: the host (index 0) or a library of its closure.
#[derive(Clone, Debug)]
pub struct Object {
    /// The names it was requested by (DT_NEEDED strings), or the host's path.
    pub names: Vec<String>,
    /// Loader-visible path, as found (before symlinks).
    pub path: String,
    pub canonical: String,
    pub found_via: FoundVia,
    /// Index of the object whose DT_NEEDED loaded it (ld.so's `l_loader`).
    pub needed_by: Option<usize>,
    pub binary: Binary,
    /// File size in bytes.
    pub size: u64,
}

impl Object {
    /// Builds an object from a loaded file: its first image.
    pub fn from_loaded(loaded: Loaded, path: String, canonical: String) -> Result<Object, String> {
        let binary = loaded
            .binaries
            .into_iter()
            .next()
            .ok_or_else(|| "no image in the file".to_owned())?;
        Ok(Object {
            names: Vec::new(),
            path,
            canonical,
            found_via: FoundVia::Input,
            needed_by: None,
            binary,
            size: loaded.size,
        })
    }

    /// `$ORIGIN`: the directory of the object (the host's after resolving symlinks, as
    /// `/proc/self/exe` gives it; a library's as found).
    pub fn origin(&self) -> &str {
        if self.needed_by.is_none() {
            fs::parent(&self.canonical)
        } else {
            fs::parent(&self.path)
        }
    }

    /// The name to show: soname, else the first requested name, else the file name.
    pub fn display_name(&self) -> &str {
        self.binary
            .soname
            .as_deref()
            .or(self
                .names
                .first()
                .map(String::as_str)
                .filter(|n| !n.contains('/')))
            .unwrap_or_else(|| fs::file_name(&self.path))
    }
}

/// The DT_RPATH entries ld.so searches for an object's dependencies: none when it also has
/// DT_RUNPATH.
fn rpath(binary: &Binary) -> &[String] {
    if binary.runpath.is_empty() {
        binary
            .rpath
            .get(..MAX_PATH_ENTRIES)
            .unwrap_or(&binary.rpath)
    } else {
        &[]
    }
}

fn runpath(binary: &Binary) -> &[String] {
    binary
        .runpath
        .get(..MAX_PATH_ENTRIES)
        .unwrap_or(&binary.runpath)
}

/// A DT_NEEDED library nothing provided.
#[derive(Clone, Debug)]
pub struct Missing {
    pub name: String,
    pub needed_by: usize,
    pub searched: Vec<String>,
    pub reason: String,
}

#[derive(Clone, Debug)]
pub struct Closure {
    pub objects: Vec<Object>,
    pub missing: Vec<Missing>,
    /// The closure hit [`MAX_OBJECTS`].
    pub truncated: bool,
    pub cache_source: &'static str,
    /// The cache was over a limit and not used.
    pub cache_limit: Option<CacheLimit>,
    /// Candidates skipped because their architecture differs (path, why).
    pub skipped: Vec<(String, String)>,
}

/// How to search.
#[derive(Clone, Debug)]
pub struct SearchOptions {
    pub root: Root,
    /// LD_LIBRARY_PATH entries (loader-visible).
    pub ld_library_path: Vec<String>,
    /// What a library file may cost to read (the `--max-*` limits).
    pub limits: Limits,
}

enum Outcome {
    Loaded(Box<Object>),
    Alias(usize),
    Missing {
        searched: Vec<String>,
        reason: String,
    },
}

struct Loader<'a> {
    root: &'a Root,
    limits: &'a Limits,
    tokens: Tokens,
    cache: Cache,
    defaults: Vec<String>,
    ld_library_path: Vec<String>,
    skipped: Vec<(String, String)>,
}

/// Loads the closure of `host` (an ELF object).
pub fn resolve(host: Object, options: &SearchOptions) -> Closure {
    let arch = host.binary.arch.clone();
    let (cache, cache_limit) = Cache::load(&options.root, ldcache::arch_flags(&arch));
    let mut loader = Loader {
        root: &options.root,
        limits: &options.limits,
        tokens: Tokens::new(&options.root, &arch),
        cache,
        defaults: search::default_dirs(&arch),
        ld_library_path: Vec::new(),
        skipped: Vec::new(),
    };
    // LD_LIBRARY_PATH may use $ORIGIN, meaning the executable's directory.
    let exe_origin = host.origin().to_owned();
    loader.ld_library_path = options
        .ld_library_path
        .iter()
        .filter_map(|e| search::expand(e, Some(&exe_origin), &loader.tokens))
        .collect();
    let mut objects = vec![host];
    let mut missing: Vec<Missing> = Vec::new();
    let mut truncated = false;
    let mut index = 0;
    'objects: while index < objects.len() {
        let needed: Vec<String> = objects
            .get(index)
            .map(|o| o.binary.needed.iter().map(|n| n.name.clone()).collect())
            .unwrap_or_default();
        for name in needed {
            let already = objects.iter().any(|o| {
                o.names.contains(&name) || o.binary.soname.as_deref() == Some(name.as_str())
            });
            if already || missing.iter().any(|m| m.name == name) {
                continue;
            }
            if objects.len() >= MAX_OBJECTS {
                truncated = true;
                break 'objects;
            }
            match loader.find(&name, index, &objects) {
                Outcome::Loaded(mut object) => {
                    object.names.push(name);
                    object.needed_by = Some(index);
                    objects.push(*object);
                }
                Outcome::Alias(existing) => {
                    if let Some(o) = objects.get_mut(existing) {
                        o.names.push(name);
                    }
                }
                Outcome::Missing { searched, reason } => missing.push(Missing {
                    name,
                    needed_by: index,
                    searched,
                    reason,
                }),
            }
        }
        index += 1;
    }
    Closure {
        objects,
        missing,
        truncated,
        cache_source: loader.cache.source(),
        cache_limit,
        skipped: loader.skipped,
    }
}

impl Loader<'_> {
    fn find(&mut self, name: &str, loader: usize, objects: &[Object]) -> Outcome {
        let Some(requester) = objects.get(loader) else {
            return Outcome::Missing {
                searched: Vec::new(),
                reason: "internal: no loader".into(),
            };
        };
        if name.len() > fs::MAX_PATH || name.is_empty() {
            return Outcome::Missing {
                searched: Vec::new(),
                reason: "the name is empty or too long".into(),
            };
        }
        if name.contains('/') {
            let Some(path) = search::expand(name, Some(requester.origin()), &self.tokens) else {
                return Outcome::Missing {
                    searched: Vec::new(),
                    reason: "a dynamic string token cannot be expanded".into(),
                };
            };
            if !path.starts_with('/') {
                return Outcome::Missing {
                    searched: vec![path],
                    reason: "a relative path depends on the working directory".into(),
                };
            }
            return self
                .try_path(&path, FoundVia::Path, objects)
                .unwrap_or_else(|| Outcome::Missing {
                    searched: vec![path],
                    reason: "no such file".into(),
                });
        }

        let mut dirs: Vec<(String, FoundVia)> = Vec::new();
        if requester.binary.runpath.is_empty() {
            // DT_RPATH of the loader, then of the object that loaded it, up to the host.
            let mut current = Some(loader);
            let mut hops = 0;
            while let Some(i) = current {
                let Some(object) = objects.get(i) else { break };
                for entry in rpath(&object.binary) {
                    if let Some(dir) = search::expand(entry, Some(object.origin()), &self.tokens) {
                        dirs.push((dir, FoundVia::Rpath));
                    }
                }
                current = object.needed_by;
                hops += 1;
                if hops > MAX_OBJECTS {
                    break;
                }
            }
        }
        dirs.extend(
            self.ld_library_path
                .iter()
                .map(|d| (d.clone(), FoundVia::LdLibraryPath)),
        );
        for entry in runpath(&requester.binary) {
            if let Some(dir) = search::expand(entry, Some(requester.origin()), &self.tokens) {
                dirs.push((dir, FoundVia::Runpath));
            }
        }
        let mut candidates: Vec<(String, FoundVia)> = dirs
            .into_iter()
            .filter(|(dir, _)| dir.starts_with('/'))
            .map(|(dir, via)| (format!("{}/{name}", dir.trim_end_matches('/')), via))
            .collect();
        if !requester.binary.nodeflib {
            let via = match self.cache {
                Cache::Conf(_) => FoundVia::LdSoConf,
                _ => FoundVia::LdSoCache,
            };
            candidates.extend(self.cache.candidates(name).into_iter().map(|p| (p, via)));
            candidates.extend(
                self.defaults
                    .iter()
                    .map(|d| (format!("{d}/{name}"), FoundVia::DefaultPath)),
            );
        }
        let mut searched = Vec::new();
        for (path, via) in candidates {
            if let Some(outcome) = self.try_path(&path, via, objects) {
                return outcome;
            }
            if searched.len() < MAX_SEARCHED && !searched.contains(&path) {
                searched.push(path);
            }
        }
        Outcome::Missing {
            searched,
            reason: "not found in any search directory".into(),
        }
    }

    /// `Some` when the path holds a compatible object (or one already loaded).
    fn try_path(&mut self, path: &str, via: FoundVia, objects: &[Object]) -> Option<Outcome> {
        let canonical = self.root.file(path)?;
        if let Some(existing) = objects.iter().position(|o| o.canonical == canonical) {
            return Some(Outcome::Alias(existing));
        }
        let loaded = match self.root.load(&canonical, self.limits) {
            Ok(loaded) => loaded,
            Err(finding) => {
                self.skipped.push((path.to_owned(), finding.message));
                return None;
            }
        };
        let mut object = match Object::from_loaded(loaded, path.to_owned(), canonical) {
            Ok(object) => object,
            Err(e) => {
                self.skipped.push((path.to_owned(), e));
                return None;
            }
        };
        let host = objects.first()?;
        if object.binary.format != Format::Elf || object.binary.arch != host.binary.arch {
            self.skipped.push((
                path.to_owned(),
                format!(
                    "{} {} does not match the host's {}",
                    object.binary.format.name(),
                    object.binary.arch.as_str(),
                    host.binary.arch.as_str()
                ),
            ));
            return None;
        }
        object.found_via = via;
        Some(Outcome::Loaded(Box::new(object)))
    }
}
