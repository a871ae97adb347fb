//! Windows: a process holds one DLL per name. The host's DLLs (its imports, found in its
//! own directory, the first place Windows looks) against the DLLs a wheel ships: same name
//! (case-insensitive), different content → the wheel's copy is never loaded.

use std::hash::Hasher;

use crate::wheel::Limits;

use super::closure::{MAX_OBJECTS, Object};
use super::fs::{self, Root};
use super::search::FoundVia;

/// A short content fingerprint: size and a hash of the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    pub size: u64,
    hash: u64,
}

/// A [`Fingerprint`] of bytes fed in chunks, in order: the same for any split.
#[derive(Default)]
pub struct Fingerprinter {
    hasher: std::collections::hash_map::DefaultHasher,
    size: u64,
}

impl Fingerprinter {
    pub fn feed(&mut self, chunk: &[u8]) {
        self.hasher.write(chunk);
        self.size += chunk.len() as u64;
    }

    pub fn finish(&self) -> Fingerprint {
        Fingerprint {
            size: self.size,
            hash: self.hasher.finish(),
        }
    }
}

/// A DLL of the host's import closure.
#[derive(Clone, Debug)]
pub struct HostDll {
    pub name: String,
    /// Where it was found next to the host, if it was.
    pub object: Option<usize>,
    pub fingerprint: Option<Fingerprint>,
}

/// Resolves a PE host's imports in its application directory, breadth-first. System DLLs
/// and anything not next to the host stay unresolved (`object: None`).
pub fn resolve(host: Object, root: &Root, limits: &Limits) -> (Vec<Object>, Vec<HostDll>) {
    let app_dir = fs::parent(&host.canonical).to_owned();
    let listing = root.list(&app_dir, fs::MAX_LISTING);
    let mut objects = vec![host];
    let mut dlls: Vec<HostDll> = Vec::new();
    let mut index = 0;
    while index < objects.len() && objects.len() < MAX_OBJECTS {
        let needed: Vec<String> = objects
            .get(index)
            .map(|o| o.binary.needed.iter().map(|n| n.name.clone()).collect())
            .unwrap_or_default();
        for name in needed {
            if dlls.iter().any(|d| d.name.eq_ignore_ascii_case(&name)) {
                continue;
            }
            let mut dll = HostDll {
                name: name.clone(),
                object: None,
                fingerprint: None,
            };
            if let Some(file) = listing.iter().find(|f| f.eq_ignore_ascii_case(&name)) {
                let path = format!("{}/{file}", app_dir.trim_end_matches('/'));
                let mut print = Fingerprinter::default();
                if let Some(canonical) = root.file(&path)
                    && let Ok(loaded) = root.load(&canonical, limits)
                    && let Ok(mut object) = Object::from_loaded(loaded, path, canonical.clone())
                    && objects.len() < MAX_OBJECTS
                    && root
                        .stream(&canonical, limits, &mut |chunk| print.feed(chunk))
                        .is_ok()
                {
                    object.names.push(name.clone());
                    object.needed_by = Some(index);
                    object.found_via = FoundVia::Path;
                    dll.fingerprint = Some(print.finish());
                    dll.object = Some(objects.len());
                    objects.push(object);
                }
            }
            dlls.push(dll);
        }
        index += 1;
    }
    (objects, dlls)
}

/// The host DLL a wheel's DLL of this file name collides with, if their content differs
/// (or the host's copy could not be compared).
pub fn collision<'a>(
    dlls: &'a [HostDll],
    file_name: &str,
    wheel_copy: Fingerprint,
) -> Option<&'a HostDll> {
    dlls.iter()
        .find(|d| d.name.eq_ignore_ascii_case(file_name))
        .filter(|d| d.fingerprint != Some(wheel_copy))
}
