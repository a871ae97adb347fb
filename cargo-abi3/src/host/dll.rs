//! Windows: a process holds one DLL per name. The host's DLLs (its imports, found in its
//! own directory, the first place Windows looks) against the DLLs a wheel ships: same name
//! (case-insensitive), different content → the wheel's copy is never loaded.

use std::hash::{Hash, Hasher};

use super::closure::{MAX_OBJECTS, Object};
use super::fs::{self, Root};
use super::search::FoundVia;

/// A short content fingerprint: size and a hash of the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    pub size: u64,
    hash: u64,
}

pub fn fingerprint(data: &[u8]) -> Fingerprint {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    data.hash(&mut hasher);
    Fingerprint {
        size: data.len() as u64,
        hash: hasher.finish(),
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
pub fn resolve(host: Object, root: &Root, max_file_bytes: u64) -> (Vec<Object>, Vec<HostDll>) {
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
                if let Some(canonical) = root.file(&path)
                    && let Ok(data) = root.read(&canonical, max_file_bytes)
                    && let Ok(mut object) = Object::from_data(&data, path, canonical)
                    && objects.len() < MAX_OBJECTS
                {
                    object.names.push(name.clone());
                    object.needed_by = Some(index);
                    object.found_via = FoundVia::Path;
                    dll.fingerprint = Some(fingerprint(&data));
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
