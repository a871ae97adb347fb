//! The extra sections of an input's report that only one command fills: what `cargo abi3 host`
//! found the loader puts in the global scope, and what was fetched for a `pypi:` wheel. The
//! report owns these types; `host` and `remote` build them (so `report` depends on neither).

use serde::Serialize;

use crate::binary::{Arch, Format};

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

/// What a library in the host's closure is (see `host::classify`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LibraryClass {
    /// The host binary itself.
    Executable,
    /// C/C++ runtime of the manylinux policy (libc, libm, libstdc++, the dynamic loader…).
    Runtime,
    /// The interpreter library (libpython, libpypy): extensions import from it on purpose.
    Interpreter,
    /// A library wheels commonly vendor: its global symbols shadow vendored copies.
    Shadowing,
    /// Allowed by the manylinux policy beyond the runtime (X11, GL, glib).
    System,
    Other,
}

/// How a library was found, in ld.so's order of trying.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FoundVia {
    /// The host itself.
    Input,
    /// The DT_NEEDED name contains a slash.
    Path,
    /// DT_RPATH of the loader or of an object that loaded it.
    Rpath,
    LdLibraryPath,
    Runpath,
    LdSoCache,
    /// A directory of `/etc/ld.so.conf` (no usable cache).
    LdSoConf,
    DefaultPath,
    /// Mach-O / PE: the loader's own rules, not simulated.
    NotSearched,
}

/// What the JSON report says of a remote input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RemoteInfo {
    pub url: String,
    pub project: String,
    pub version: String,
    /// The file's size in bytes (`None`: it could not be learnt).
    pub size: Option<u64>,
    /// Bytes received from the server, and requests made, for this wheel.
    pub fetched: u64,
    pub requests: u64,
    /// `false`: the server ignored `Range` and the whole file was downloaded.
    pub ranged: bool,
    /// The release (or this file) is yanked, with the reason (possibly empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub yanked: Option<String>,
}

/// How a `pypi:` input is written on the command line (and named in the report before it
/// resolves).
pub const PYPI_PREFIX: &str = "pypi:";
