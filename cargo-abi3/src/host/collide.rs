//! Where the host's global definitions win over an extension's own: names the extension
//! exports (its own calls are interposed) and names it imports from a vendored library
//! (the global scope is searched before the extension's own dependencies).

use std::collections::HashMap;

use crate::binary::{Binary, Binding, Format, Visibility, is_entry_point};

use super::classify::{self, LibraryClass};
use super::closure::Object;

/// One exported symbol as the loader's global scope sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Export<'a> {
    pub name: &'a str,
    /// The version it is defined with (`OPENSSL_3.0.0`), if any.
    pub version: Option<&'a str>,
    /// A non-default version (`name@VER`): only versioned references to it bind here.
    pub hidden_version: bool,
    /// `STV_PROTECTED`: the object's own references cannot be interposed.
    pub protected: bool,
}

/// The exports a lookup can bind to: global, weak or unique symbols defined in a section
/// (ELF); every export, unversioned, for formats the model has no details for.
pub fn exports(binary: &Binary) -> impl Iterator<Item = Export<'_>> {
    binary
        .exports_with_info()
        .filter_map(|(name, info)| match info {
            None => Some(Export {
                name,
                version: None,
                hidden_version: false,
                protected: false,
            }),
            Some(info) => (matches!(
                info.binding,
                Binding::Global | Binding::Weak | Binding::Unique
            ) && info.in_section)
                .then_some(Export {
                    name,
                    version: info.version.as_deref(),
                    hidden_version: info.hidden_version,
                    protected: info.visibility == Visibility::Protected,
                }),
        })
}

/// One global definition of the host.
#[derive(Clone, Debug)]
struct Definition {
    object: usize,
    version: Option<String>,
    hidden: bool,
}

/// The host's global symbols beyond the C/C++ runtime, in lookup order.
#[derive(Debug, Default)]
pub struct GlobalScope {
    defs: HashMap<String, Vec<Definition>>,
}

impl GlobalScope {
    pub fn new(objects: &[Object], classes: &[LibraryClass]) -> Self {
        let mut defs: HashMap<String, Vec<Definition>> = HashMap::new();
        for (index, object) in objects.iter().enumerate() {
            if classes.get(index) == Some(&LibraryClass::Runtime) {
                continue;
            }
            for export in exports(&object.binary) {
                // An executable's copy relocations (`stderr@GLIBC_2.2.5`, `environ`) define
                // runtime data under the runtime's version: they *are* the runtime's object,
                // which the runtime itself uses, so binding to them is correct.
                if export.version.is_some_and(is_runtime_version) {
                    continue;
                }
                defs.entry(export.name.to_owned())
                    .or_default()
                    .push(Definition {
                        object: index,
                        version: export.version.map(str::to_owned),
                        hidden: export.hidden_version,
                    });
            }
        }
        GlobalScope { defs }
    }

    /// The definition a lookup of `name` (with `version`, if versioned) finds first.
    fn lookup(&self, name: &str, version: Option<&str>) -> Option<&Definition> {
        self.defs.get(name)?.iter().find(|d| match version {
            None => !d.hidden,
            Some(v) => d.version.as_deref() == Some(v) || (d.version.is_none() && !d.hidden),
        })
    }
}

/// Symbol versions the C/C++ runtime defines (glibc, libstdc++, libgcc).
fn is_runtime_version(version: &str) -> bool {
    ["GLIBC_", "GLIBCXX_", "CXXABI_", "GCC_"]
        .iter()
        .any(|prefix| version.starts_with(prefix))
}

/// Another binary shipped alongside the subject (same wheel, or the other `--with` files).
#[derive(Clone, Debug)]
pub struct Sibling {
    /// Soname and file name.
    pub names: Vec<String>,
    pub exports: std::collections::HashSet<String>,
}

/// How a name reaches the host's definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    /// The subject exports it: its own references are interposed.
    Export,
    /// The subject imports it expecting another provider.
    Import { expected: String },
}

#[derive(Clone, Debug)]
pub struct Hit {
    pub name: String,
    /// The version of the host's definition that wins.
    pub version: Option<String>,
    /// Index of the host object.
    pub object: usize,
    pub via: Via,
}

/// The collisions of one binary with the host's global scope.
pub fn collisions(
    binary: &Binary,
    siblings: &[Sibling],
    scope: &GlobalScope,
    objects: &[Object],
    classes: &[LibraryClass],
) -> Vec<Hit> {
    let mut hits = Vec::new();
    let flat_only = match binary.format {
        Format::Elf => false,
        // Two-level namespace binds an image's references to its own definitions; only
        // flat lookups go through the process-wide namespace.
        Format::MachO if binary.flat_namespace_lookups => true,
        _ => return hits,
    };
    if !flat_only && !binary.symbolic {
        for export in exports(binary) {
            if export.protected || export.hidden_version || is_entry_point(export.name) {
                continue;
            }
            if let Some(def) = scope.lookup(export.name, export.version) {
                hits.push(Hit {
                    name: export.name.to_owned(),
                    version: def.version.clone(),
                    object: def.object,
                    via: Via::Export,
                });
            }
        }
    }
    for import in &binary.imports {
        if flat_only && import.library.is_some() {
            continue;
        }
        let Some(def) = scope.lookup(&import.name, import.version.as_deref()) else {
            continue;
        };
        let Some(provider) = objects.get(def.object) else {
            continue;
        };
        let provides = |lib: &str| {
            provider.names.iter().any(|n| n == lib)
                || provider.binary.soname.as_deref() == Some(lib)
        };
        let expected = match &import.library {
            Some(lib) if !flat_only => (!provides(lib)).then(|| lib.clone()),
            _ => expected_provider(
                binary,
                &import.name,
                siblings,
                objects,
                classes,
                def.object,
                &provides,
            ),
        };
        if let Some(expected) = expected {
            hits.push(Hit {
                name: import.name.clone(),
                version: def.version.clone(),
                object: def.object,
                via: Via::Import { expected },
            });
        }
    }
    hits
}

/// For an import that names no library: the library the binary expects it from, if that
/// is not the host's provider.
fn expected_provider(
    binary: &Binary,
    name: &str,
    siblings: &[Sibling],
    objects: &[Object],
    classes: &[LibraryClass],
    provider: usize,
    provides: &dyn Fn(&str) -> bool,
) -> Option<String> {
    if binary.needed.iter().any(|n| provides(&n.name)) {
        // It links the host's library: getting the host's copy is what it asks for.
        return None;
    }
    for needed in &binary.needed {
        if let Some(sibling) = siblings
            .iter()
            .find(|s| s.names.iter().any(|n| n == &needed.name))
            && sibling.exports.contains(name)
        {
            return Some(needed.name.clone());
        }
    }
    if matches!(
        classes.get(provider),
        Some(LibraryClass::Interpreter | LibraryClass::Executable)
    ) {
        // Interpreter API (or the embedding program's) imported on purpose.
        return None;
    }
    // A non-runtime dependency the host does not have: most likely where it should come from.
    binary
        .needed
        .iter()
        .find(|n| {
            let (class, _) = classify::classify(&n.name);
            matches!(class, LibraryClass::Shadowing | LibraryClass::Other)
                && !objects.iter().any(|o| o.names.contains(&n.name))
        })
        .map(|n| n.name.clone())
}
