//! The `host` section of a host input's report: the simulated global scope.

use serde::Serialize;

use crate::binary::{Arch, Format};

use super::classify::LibraryClass;
use super::search::FoundVia;

/// What the loader puts in the global scope of a host, in load order.
#[derive(Clone, Debug, Serialize)]
pub struct HostSection {
    /// The host as the loader sees it (under the sysroot, if any).
    pub path: String,
    pub format: Format,
    pub arch: Arch,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sysroot: Option<String>,
    /// Where names were looked up after the search paths: `ld.so.cache`, `ld.so.conf`, `none`.
    pub cache: String,
    /// The host first, then its libraries in breadth-first load order.
    pub libraries: Vec<HostLibrary>,
    pub unresolved: Vec<UnresolvedLibrary>,
    /// The closure was cut at the object limit.
    pub truncated: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct HostLibrary {
    /// As requested (DT_NEEDED, LC_LOAD_DYLIB, DLL name), or the host's own path.
    pub name: String,
    /// Loader-visible path where it was found; `None` when not searched.
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soname: Option<String>,
    /// The name of the object whose dependency loaded it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needed_by: Option<String>,
    pub found_via: FoundVia,
    pub class: LibraryClass,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Defined, exported dynamic symbols it puts into the global scope.
    pub global_symbols: usize,
    /// Symbol versions it defines (first few).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct UnresolvedLibrary {
    pub name: String,
    pub needed_by: String,
    pub reason: String,
    /// Paths tried, in order (first few).
    pub searched: Vec<String>,
}
