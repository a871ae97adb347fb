//! The stable-ABI knowledge base: every linkable item of CPython's `Misc/stable_abi.toml`,
//! the version that added it, and where it exists.

/// The generator of `table.rs`, run by a test (`cargo-abi3/data/update.sh`).
#[cfg(test)]
pub mod generate;
mod table;

use cargo_abi3_build_hook::PyVersion;

use crate::binary::Platform;

/// Whether the item is a function or a data symbol (`PyExc_*`, `_Py_NoneStruct`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    Function,
    Data,
}

/// The feature macros of the manifest that make an item conditional.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ifdef {
    /// Defined only on Windows.
    MsWindows,
    /// Defined where `fork()` exists: never on Windows.
    HaveFork,
    /// Defined on builds with stack checks (historically Windows only; "maybe" upstream).
    UseStackcheck,
    /// Native thread ids: defined on Windows and on all POSIX platforms CPython supports.
    PyHaveThreadNativeId,
    /// Reference-count debugging: debug builds only.
    PyRefDebug,
    /// Linked-list tracing of all objects: special debug builds only.
    PyTraceRefs,
}

impl Ifdef {
    pub fn macro_name(self) -> &'static str {
        match self {
            Ifdef::MsWindows => "MS_WINDOWS",
            Ifdef::HaveFork => "HAVE_FORK",
            Ifdef::UseStackcheck => "USE_STACKCHECK",
            Ifdef::PyHaveThreadNativeId => "PY_HAVE_THREAD_NATIVE_ID",
            Ifdef::PyRefDebug => "Py_REF_DEBUG",
            Ifdef::PyTraceRefs => "Py_TRACE_REFS",
        }
    }
}

/// Where an item can be relied on by an abi3 extension on a given platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Availability {
    /// Every release build of CPython on the platform provides it.
    Everywhere,
    /// The platform's interpreters never provide it.
    NotOnPlatform,
    /// Only debug builds provide it; abi3 wheels are loaded by release builds.
    DebugBuildsOnly,
}

/// One linkable item of the stable ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AbiItem {
    pub name: &'static str,
    pub kind: ItemKind,
    /// The first version whose stable ABI contains it.
    pub added: PyVersion,
    /// In the ABI but not the limited API (helpers called by macros, retired API).
    pub abi_only: bool,
    pub ifdef: Option<Ifdef>,
}

impl AbiItem {
    /// What the `ifdef` means for a binary built for `platform`.
    pub fn availability(&self, platform: Platform) -> Availability {
        let windows = platform == Platform::Windows;
        match self.ifdef {
            None | Some(Ifdef::PyHaveThreadNativeId) => Availability::Everywhere,
            Some(Ifdef::MsWindows) | Some(Ifdef::UseStackcheck) if windows => {
                Availability::Everywhere
            }
            Some(Ifdef::MsWindows) | Some(Ifdef::UseStackcheck) => Availability::NotOnPlatform,
            Some(Ifdef::HaveFork) if windows => Availability::NotOnPlatform,
            Some(Ifdef::HaveFork) => Availability::Everywhere,
            Some(Ifdef::PyRefDebug) | Some(Ifdef::PyTraceRefs) => Availability::DebugBuildsOnly,
        }
    }
}

/// Looks a symbol name up in the manifest (binary search over the sorted table).
pub fn lookup(name: &str) -> Option<&'static AbiItem> {
    table::ITEMS
        .binary_search_by(|item| item.name.cmp(name))
        .ok()
        .map(|i| &table::ITEMS[i])
}

/// All items, sorted by name.
pub fn items() -> &'static [AbiItem] {
    &table::ITEMS
}

/// The newest version any item was added in: the newest floor the data knows about.
pub fn newest_known_version() -> PyVersion {
    table::ITEMS
        .iter()
        .map(|i| i.added)
        .max()
        .unwrap_or(PyVersion::STABLE_ABI_START)
}

/// APIs that take a `PyModuleDef`, whose layout abi3t (PEP 803) makes opaque.
pub const ABI3T_UNUSABLE: &[&str] = &[
    "PyModuleDef_Init",
    "PyModule_Create2",
    "PyModule_FromDefAndSpec2",
];

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = include_str!("../../data/stable_abi.toml");

    #[test]
    fn table_is_generated_from_the_vendored_manifest() {
        let items = generate::parse_manifest(MANIFEST).expect("vendored manifest parses");
        let rendered = generate::render_table(&items, table_source_note());
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/abi/table.rs");
        if std::env::var_os("CARGO_ABI3_REGENERATE").is_some() {
            std::fs::write(path, &rendered).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(path).unwrap();
        assert!(
            committed == rendered,
            "src/abi/table.rs is stale: run cargo-abi3/data/update.sh"
        );
    }

    fn table_source_note() -> &'static str {
        include_str!("../../data/stable_abi.source").trim()
    }

    #[test]
    fn known_items_have_the_right_versions() {
        let get = |n| lookup(n).unwrap_or_else(|| panic!("{n} missing"));
        assert_eq!(get("PyType_GetName").added, PyVersion::new(3, 11));
        assert_eq!(get("PyUnicode_AsUTF8AndSize").added, PyVersion::new(3, 10));
        assert_eq!(get("Py_IncRef").added, PyVersion::new(3, 2));
        assert_eq!(get("_Py_NoneStruct").kind, ItemKind::Data);
        assert!(get("_Py_BuildValue_SizeT").abi_only);
        assert_eq!(get("PyType_FromSlots").added, PyVersion::new(3, 15));
        assert!(
            lookup("PyUnicode_AsUTF8").is_none(),
            "not in the stable ABI"
        );
        assert!(
            lookup("PyList_GET_ITEM").is_none(),
            "macros are not linkable"
        );
    }

    #[test]
    fn ifdefs_mean_what_the_platforms_do() {
        let win = lookup("PyErr_SetFromWindowsErr").unwrap();
        assert_eq!(
            win.availability(Platform::Windows),
            Availability::Everywhere
        );
        assert_eq!(
            win.availability(Platform::Linux),
            Availability::NotOnPlatform
        );
        let fork = lookup("PyOS_AfterFork").unwrap();
        assert_eq!(
            fork.availability(Platform::Windows),
            Availability::NotOnPlatform
        );
        assert_eq!(fork.availability(Platform::MacOs), Availability::Everywhere);
        let debug = lookup("_Py_NegativeRefcount").unwrap();
        assert_eq!(
            debug.availability(Platform::Linux),
            Availability::DebugBuildsOnly
        );
    }

    #[test]
    fn python3_dll_exports_agree_with_the_manifest() {
        // python3.dll is generated upstream from the manifest: every name it exports must be a
        // manifest item, and every manifest item available on Windows up to 3.13 must be
        // exported (the export list predates the newest additions).
        let exports: Vec<&str> = include_str!("../../data/python3dll-exports.tsv")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .filter_map(|l| l.split('\t').nth(1))
            .collect();
        assert!(exports.len() > 800);
        for name in &exports {
            assert!(
                lookup(name).is_some(),
                "python3.dll exports {name}, unknown to the manifest"
            );
        }
        for item in items() {
            let windows_release = item.availability(Platform::Windows) == Availability::Everywhere;
            if windows_release && item.added <= PyVersion::new(3, 13) {
                assert!(
                    exports.contains(&item.name),
                    "{} missing from python3.dll",
                    item.name
                );
            }
        }
    }
}
