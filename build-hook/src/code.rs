//! Every diagnostic code cargo-abi3 and the build hook can emit: one table, so both speak
//! with the same codes, severities and words.
//!
//! Codes are stable, kebab-case and never reused. Each has a default severity, a one-line
//! summary and `explain` text (why it breaks users and how to fix it).

use std::fmt;
use std::str::FromStr;

/// How bad a finding is. `Error` findings make `cargo abi3` exit 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Severity {
    /// Shown only in `--verbose` human output; always in JSON.
    Info,
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// Which part of the promise a code is about; used to group `cargo abi3 list`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum Family {
    /// Imported interpreter symbols against the stable-ABI manifest.
    AbiSymbols,
    /// Floors and tags claimed by a wheel or declared by the author.
    FloorsAndTags,
    /// What the binary links and exports.
    LinkHygiene,
    /// Entry points and file names.
    Names,
    /// Platform tags: macOS minimum, architectures.
    Platform,
    /// PEP 803 free-threaded stable ABI.
    Abi3t,
    /// Declared intent (Cargo features, pyproject, build configuration).
    Intent,
    /// Libraries a host process forces into the global namespace.
    Host,
    /// The policy file itself (`cargo-abi3.toml`, `[tool.cargo-abi3]`, …).
    Policy,
    /// The tool could not analyse an input: exit code 2.
    Input,
}

impl Family {
    pub fn title(self) -> &'static str {
        match self {
            Family::AbiSymbols => "ABI symbols",
            Family::FloorsAndTags => "floors and tags",
            Family::LinkHygiene => "link hygiene",
            Family::Names => "entry points and names",
            Family::Platform => "platform tags",
            Family::Abi3t => "abi3t (PEP 803)",
            Family::Intent => "declared intent",
            Family::Host => "host namespace",
            Family::Policy => "policy file",
            Family::Input => "input",
        }
    }
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $family:ident, $severity:ident, $summary:literal, $explain:literal; )*) => {
        /// A diagnostic code. See [`Code::explain`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, in registry order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The stable kebab-case name, as shown in `error[name]`.
            pub const fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            pub const fn family(self) -> Family {
                match self { $(Code::$variant => Family::$family,)* }
            }

            /// The severity a finding of this code has unless configured otherwise.
            pub const fn default_severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }

            /// One line: what the code reports.
            pub const fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary,)* }
            }

            /// Why it matters to users of the wheel, where the rule comes from, and the fix.
            pub const fn explain(self) -> &'static str {
                match self { $(Code::$variant => $explain,)* }
            }
        }
    };
}

codes! {
    NotInStableAbi = "not-in-stable-abi", AbiSymbols, Error,
        "an interpreter symbol that is not part of the stable ABI is imported",
        "The binary imports a symbol from the interpreter that CPython's stable-ABI manifest \
(Misc/stable_abi.toml) does not list. Such symbols may change or disappear in any feature \
release, and on Windows python3.dll does not export them at all, so the module fails with \
ImportError or crashes on the other versions the abi3 tag promises (PEP 384, PEP 652).\n\n\
Fix: define Py_LIMITED_API (PyO3: an `abi3-pyXY` feature; C: `-DPy_LIMITED_API=0x030X0000`) \
so the compiler rejects non-limited calls, and replace the call with its limited-API \
equivalent. If the symbol is needed, ship version-specific wheels instead of abi3.";
    NewerThanFloor = "newer-than-floor", AbiSymbols, Error,
        "a stable-ABI symbol was added after the floor the wheel claims",
        "The symbol is in the stable ABI, but only since a version newer than the lowest \
interpreter the wheel can be installed on. On older interpreters the dynamic loader cannot \
resolve it: ImportError (`undefined symbol`) on Linux, a failed load on macOS and Windows.\n\n\
Fix: raise the floor to the version that added the symbol (PyO3 feature `abi3-pyXY`, \
Py_LIMITED_API=0x030X0000, wheel tag cpXY and Requires-Python >=3.X), or stop calling it on \
older versions.";
    PlatformOnlySymbol = "platform-only-symbol", AbiSymbols, Error,
        "a stable-ABI symbol that exists only on other platforms is imported",
        "The manifest marks some symbols as conditional: `MS_WINDOWS` ones exist only on \
Windows, `HAVE_FORK` ones never on Windows, `USE_STACKCHECK` ones only where the build \
enables stack checks. A binary importing one on a platform where the interpreter does not \
provide it cannot load there.\n\n\
Fix: guard the call with the platform (`#[cfg(windows)]`, `#ifdef MS_WINDOWS`).";
    DebugOnlySymbol = "debug-only-symbol", AbiSymbols, Error,
        "a symbol that only debug builds of CPython export is imported",
        "Symbols under `Py_REF_DEBUG` or `Py_TRACE_REFS` exist only in debug interpreters \
(`--with-pydebug`). abi3 wheels are loaded by release builds, where these symbols are \
missing, so the module cannot load.\n\n\
Fix: build the extension against a release interpreter and without Py_DEBUG.";
    ComputedFloor = "computed-floor", FloorsAndTags, Info,
        "the lowest version whose stable ABI covers every import",
        "For every binary cargo-abi3 computes the lowest CPython version whose stable ABI \
contains every symbol it imports. When the claimed floor is higher, the wheel could be \
offered to more users by lowering it; when it is lower, `newer-than-floor` findings name the \
symbols that need the newer version.";
    RequiresPythonBelowFloor = "requires-python-below-floor", FloorsAndTags, Warning,
        "Requires-Python admits interpreters below the abi3 floor",
        "Requires-Python (pyproject `requires-python`, METADATA `Requires-Python`) says the \
package supports versions the abi3 build cannot load on. Installers on those versions find no \
compatible wheel and fall back to building the sdist, or resolve an old release; users see \
confusing build failures instead of a clear version error.\n\n\
Fix: raise requires-python to `>=` the floor, or lower the floor.";
    UninstallableTag = "uninstallable-tag", FloorsAndTags, Error,
        "the wheel's tags can never be selected by an installer",
        "Installers pair the `abi3` ABI tag only with CPython interpreter tags (`cp3X`); a \
tag such as `py3-abi3` matches no interpreter, so pip and uv never install the wheel. Tags \
must follow PEP 425 / the wheel specification.\n\n\
Fix: tag the wheel `cp3X-abi3-<platform>` with the floor as `cp3X`.";
    FloorMismatch = "floor-mismatch", FloorsAndTags, Error,
        "two declarations of the floor disagree",
        "The floor declared in one place (wheel tag, PyO3 feature, Py_LIMITED_API, the \
declaration embedded in the binary) differs from another. The wheel tag is what installers \
trust; everything else must agree with it.\n\n\
Fix: make the declarations agree; the diagnostic names both places.";
    LinksLibpython = "links-libpython", LinkHygiene, Error,
        "the extension links libpython",
        "An extension module must take interpreter symbols from the process that loads it. \
Linking libpython (DT_NEEDED libpython3.X.so or libpython3.so, LC_LOAD_DYLIB Python.framework \
or libpython3.X.dylib) loads a second interpreter library into statically linked interpreters \
(python.org's Linux builds, manylinux's, uv's python-build-standalone), or fails to load where \
that exact library is absent; PEP 513 forbids it for manylinux (auditwheel excludes libpython \
from every policy). Windows is checked by wrong-python-dll. Android is the \
documented exception.\n\n\
Fix: do not link libpython. PyO3: set PYO3_BUILD_EXTENSION_MODULE=1 (maturin does), or build \
with maturin; C: do not pass -lpython3.X; macOS: link with `-undefined dynamic_lookup`.";
    WrongPythonDll = "wrong-python-dll", LinkHygiene, Error,
        "a Windows extension imports the wrong Python DLL",
        "On Windows the import table names the DLL each symbol comes from. An abi3 .pyd must \
import python3.dll, which forwards to whichever python3XY.dll is loaded; importing \
python3XY.dll ties the module to that one version: other versions refuse it (`Module use of \
python3XY.dll conflicts with this version of Python`) or fail to find the DLL (PEP 384). A \
version-specific .pyd must import the python3XY.dll (python3XYt.dll when free-threaded) its \
tag names. abi3t modules (PEP 803) must import python3t.dll: CPython 3.15 ships it with \
free-threaded builds and, forwarding to the GIL-enabled runtime, with GIL-enabled builds \
(gh-148690), while free-threaded builds have no python3.dll. Delay-load imports count too.\n\n\
Fix: link against python3.lib (python3t.lib for abi3t; PyO3 does for abi3/abi3t builds; C: \
define Py_LIMITED_API / Py_TARGET_ABI3T before including Python.h so pyconfig.h selects it).";
    ExtraExports = "extra-exports", LinkHygiene, Warning,
        "the extension exports symbols beyond its entry point",
        "On ELF, exported symbols share one process-wide namespace: a symbol an extension \
exports can override another package's copy or be overridden by the host's (the \
cryptography-under-uwsgi and PyPy crashes): default-visibility symbols are preemptible, so the \
extension's own calls can bind to another image's definition. An extension needs to export only \
its PyInit_/PyModExport_ entry point (PEP 489/793). Warning on ELF; info on Mach-O (two-level \
namespace) and PE (imports name their DLL), where the damage is limited. Vendored libraries are \
not checked; --allow-export PATTERN=REASON accepts intended exports.\n\n\
Fix: build with `-fvisibility=hidden`, link with `-Wl,--exclude-libs,ALL` when statically \
linking libraries such as OpenSSL, or use a version script exporting only the entry point.";
    NeededNotAllowed = "needed-not-allowed", LinkHygiene, Error,
        "a needed library is not allowed by the wheel's manylinux/musllinux tag",
        "manylinux and musllinux policies (PEP 600, PEP 656) list the system libraries a wheel \
may assume (auditwheel's policy files, vendored). Any other DT_NEEDED library must be bundled \
in the wheel (found by file name or soname), or the module fails to load on systems without \
it. The ELF interpreter (ld-linux) is always allowed; the strictest of compressed tags decides.\n\n\
Fix: bundle the library (auditwheel repair) or link it statically with hidden symbols.";
    SymbolVersionTooNew = "symbol-version-too-new", LinkHygiene, Error,
        "a versioned symbol is newer than the wheel's platform tag allows",
        "The binary needs a GLIBC_/GLIBCXX_/CXXABI_/GCC_ symbol version newer than the \
manylinux_X_Y tag promises. On the oldest systems the tag admits, the loader reports \
`version GLIBC_2.xx not found`.\n\n\
Fix: build in the manylinux container of the tag (or with zig/cross toolchains targeting that \
glibc), or raise the platform tag.";
    ForbiddenSymbol = "forbidden-symbol", LinkHygiene, Error,
        "a symbol forbidden by the platform policy is imported",
        "The manylinux policy blacklists some symbols even from allowed libraries because \
they are missing or differ on older systems (`__cxa_thread_atexit_impl` before glibc 2.18, \
zlib internals); auditwheel refuses such wheels. Weak references are ignored: they resolve to \
NULL where missing.\n\nFix: avoid the symbol or raise the platform tag.";
    EntryPointMissing = "entry-point-missing", Names, Error,
        "the extension module does not export the entry point its file name promises",
        "Python imports `pkg/name.<suffix>` by calling `PyInit_name` (or `PyModExport_name` \
under PEP 793; `PyInitU_`/`PyModExportU_` with punycode for non-ASCII names). A module without \
it raises `ImportError: dynamic module does not define module export function`.\n\n\
Fix: rename the file to match `#[pymodule] fn name` (maturin `module-name`), or the module.";
    ModexportNeedsNewerFloor = "modexport-needs-newer-floor", Names, Error,
        "a module exporting only PyModExport_ claims a floor below 3.15",
        "PyModExport_ entry points (PEP 793) are looked up only by CPython 3.15 and newer. \
A module that exports only that hook cannot be imported by older interpreters.\n\n\
Fix: also export PyInit_, or raise the floor to 3.15.";
    SuffixTagMismatch = "suffix-tag-mismatch", Names, Error,
        "the file suffix does not match the wheel's ABI tag",
        "The import system selects extension files by suffix: an abi3 wheel's modules must be \
`.abi3.so` (or `.abi3-<platform>.so` from 3.15, or `.so`) on POSIX and `.pyd` on Windows; a \
`.cpython-311-x86_64-linux-gnu.so` inside an abi3 wheel only imports on 3.11; abi3t modules \
need `.abi3t.so` (free-threaded builds do not import `.abi3.so`; PEP 803), and a free-threaded \
version-specific wheel cannot use `.abi3.so` either. A tag no interpreter knows \
(`name.abi3t-x86_64.so`) is never imported (importlib.machinery.EXTENSION_SUFFIXES).\n\n\
Fix: let the build tool name the file (maturin, setuptools `py_limited_api`), or rename it.";
    SoInPurelib = "so-in-purelib", Names, Warning,
        "a shared object is shipped in a purelib wheel or location",
        "`Root-Is-Purelib: true` (or files under `*.data/purelib`) tells installers the \
contents are pure Python; installers put them in purelib, which distributions may share \
between interpreters and architectures (wheel spec, PEP 427/491), so the binary ends up where \
it cannot load.\n\n\
Fix: set `Root-Is-Purelib: false` and a platform tag (build tools do this for extensions).";
    AmbiguousArchive = "ambiguous-archive", Names, Error,
        "installers may disagree on what the wheel installs",
        "The wheel's zip structure reads differently in different tools: the end record's \
entry count disagrees with the central directory, a Unicode Path extra field renames a member \
on CPython 3.12+ only, a member name holds a NUL byte, or a member's data overlaps the next \
entry (CPython 3.12+ refuses it). cargo-abi3 reads the archive as Python's zipfile (and so pip) \
does and audits every member pip installs, but another installer or unpacker may install \
other files, or refuse the wheel. A member with symlink mode bits is reported as a warning: \
pip writes its bytes as a regular file (audited as such), other unpackers make a link.\n\n\
Fix: rebuild the wheel with a standard tool (maturin, `pip wheel`, `python -m build`); never \
patch a wheel's zip structure by hand.";
    MacosMinosAboveTag = "macos-minos-above-tag", Platform, Error,
        "the binary's macOS minimum is above the wheel's macosx tag",
        "LC_BUILD_VERSION / LC_VERSION_MIN_MACOSX records the oldest macOS the binary loads \
on. If it is newer than the `macosx_X_Y` tag (the lowest, when tags are compressed), pip \
installs it on systems where dyld refuses it. Each slice of a universal binary is checked. From \
macOS 11 installers only match `X_0` tags.\n\n\
Fix: set MACOSX_DEPLOYMENT_TARGET to the tag's version when building, or raise the tag.";
    ArchMismatch = "arch-mismatch", Platform, Error,
        "a binary's architecture does not match the platform tag",
        "The platform tag names the CPU architecture; a binary of another architecture cannot \
be loaded on the machines the tag admits.\n\nFix: build for the tag's target, or retag.";
    MissingUniversal2Slice = "missing-universal2-slice", Platform, Error,
        "a universal2 wheel lacks an arm64 or x86_64 slice",
        "`universal2` promises both arm64 and x86_64. A binary missing one slice fails to load \
on that architecture.\n\nFix: build both (`--target universal2-apple-darwin`) and `lipo` them.";
    Abi3tFloor = "abi3t-floor", Abi3t, Error,
        "an abi3t tag claims a floor below 3.15",
        "The free-threaded stable ABI (PEP 803) exists from CPython 3.15. A `cp314-abi3t` wheel \
promises something no interpreter provides.\n\nFix: tag abi3t wheels cp315 or newer.";
    Abi3tNeedsModexport = "abi3t-needs-modexport", Abi3t, Error,
        "an abi3t module does not export PyModExport_",
        "Under abi3t, PyModuleDef is opaque and the PyInit_ protocol cannot be used; \
free-threaded interpreters import abi3t modules through PEP 793's PyModExport_ hook.\n\n\
Fix: export PyModExport_<name> (PyO3 does for abi3t builds).";
    Abi3tUnusableApi = "abi3t-unusable-api", Abi3t, Error,
        "an abi3t module imports an API that abi3t cannot use",
        "PyModuleDef_Init, PyModule_Create2 and PyModule_FromDefAndSpec2 take a PyModuleDef, \
whose layout is not part of the abi3t ABI (PEP 803); calling them from an abi3t module \
corrupts memory on free-threaded builds.\n\nFix: create the module through PyModExport_ slots.";
    FeatureFloorMismatch = "feature-floor-mismatch", Intent, Error,
        "the PyO3 abi3 feature disagrees with the resolved or claimed floor",
        "The floor PyO3 builds for (its `abi3-pyXY` feature, as resolved across the whole \
dependency graph: the highest one wins) differs from the floor declared elsewhere, or the \
compiled code needs a newer one.\n\n\
Fix: set the feature named in the help line in Cargo.toml or `[tool.maturin] features`.";
    SilentVersionSpecificBuild = "silent-version-specific-build", Intent, Error,
        "an abi3 intent resolved to a version-specific build",
        "PyO3 falls back to a version-specific build without failing when the intent cannot be \
honoured: an `abi3t` feature with an interpreter older than 3.15, or an interpreter that \
cannot build abi3 (PyPy, GraalPy). The artifact then only loads on the build interpreter.\n\n\
Fix: build with a suitable interpreter (PYO3_PYTHON), or drop the abi3 feature.";
    ForwardCompatOverride = "forward-compat-override", Intent, Warning,
        "a forward-compatibility variable changed the ABI of the build",
        "PYO3_USE_ABI3_FORWARD_COMPATIBILITY / PYO3_USE_ABI3T_FORWARD_COMPATIBILITY make PyO3 \
build for an interpreter newer than it supports by switching to abi3; the result is not \
what the manifest declares.\n\nFix: unset the variable or declare the abi3 feature explicitly.";
    ExtensionModuleNotSet = "extension-module-not-set", Intent, Warning,
        "the build will link libpython (PYO3_BUILD_EXTENSION_MODULE is not set)",
        "Since PyO3 0.26, a plain `cargo build` links libpython unless \
PYO3_BUILD_EXTENSION_MODULE is set (maturin >= 1.9.4 sets it). The resulting .so is not a \
valid extension module for manylinux (see links-libpython).\n\n\
Fix: build with maturin, or export PYO3_BUILD_EXTENSION_MODULE=1.";
    CPartOffFloor = "c-part-off-floor", Intent, Error,
        "C code in the crate is compiled for a different limited API than the Rust part",
        "A cc-built helper compiled without Py_LIMITED_API (or with another value) may call \
non-stable or newer functions that the Rust side's floor does not allow.\n\n\
Fix: build C parts with cargo_abi3_build_hook's cc helper, which sets Py_LIMITED_API for the \
resolved floor.";
    DeclarationMismatch = "declaration-mismatch", Intent, Error,
        "the declaration embedded in the binary disagrees with the wheel",
        "The build hook embeds the author's declaration (ABI kind, floor, module name) in a \
non-exported section. The wheel's tag or file name does not match what the author declared, \
so the wheel was retagged or built with different settings.\n\n\
Fix: rebuild with the declared settings or update the declaration.";
    Pyo3ConfigUnavailable = "pyo3-config-unavailable", Intent, Warning,
        "the build hook cannot see PyO3's resolved configuration",
        "PyO3 passes the configuration it resolved (interpreter, ABI, floor) to the build \
scripts of crates that depend on it directly: pyo3 (`links = \"pyo3-python\"`) as \
DEP_PYO3_PYTHON_PYO3_CONFIG, pyo3-ffi (`links = \"python\"`) as DEP_PYTHON_PYO3_CONFIG. Cargo \
gives `DEP_*` variables only from direct dependencies, so a crate that reaches PyO3 through \
another crate (or a PyO3 too old to forward the config) leaves the hook checking declarations \
only: it cannot tell which floor or ABI the build really targets.\n\n\
Fix: add `pyo3` (0.30 or newer) to `[dependencies]` of the crate whose build.rs runs the hook.";
    HostShadowsSymbol = "host-shadows-symbol", Host, Error,
        "a host library's global symbol would win over the extension's own copy",
        "On ELF, the executable and every library in its DT_NEEDED closure form the global \
lookup scope, which ld.so searches before an extension's own dependencies. When an extension \
exports a name that the host also defines, its own calls go to the host's definition (unless \
it is linked -Bsymbolic or the symbol is protected); when it imports a name from a vendored \
library and the host defines the same name (and symbol version), the host's copy is used. \
Either way the extension runs code of another version of the library: the uwsgi/OpenSSL and \
PyPy/libffi crashes. `cargo abi3 host HOST --with WHEEL` lists the names per host library.\n\n\
Fix: hide the extension's exports (-fvisibility=hidden, -Wl,--exclude-libs,ALL, a version \
script exporting only PyInit_*); link vendored libraries statically with hidden symbols, or \
rename them including their symbol versions (auditwheel repair renames the file, which is \
not enough when the versions match); or build against the host's version.";
    HostGlobalLibrary = "host-global-library", Host, Info,
        "the host forces a library beyond the C/C++ runtime into every extension's namespace",
        "The library is in the host's DT_NEEDED closure, so its symbols are global in every \
process that loads extensions. Extensions vendoring another version of it are at risk: \
check them with `cargo abi3 host HOST --with WHEEL`.";
    FlatNamespaceLookup = "flat-namespace-lookup", Host, Info,
        "symbols are resolved through the flat namespace",
        "Mach-O binaries linked with `-undefined dynamic_lookup` resolve their undefined symbols \
in the flat namespace of the process: the first image that defines a name wins, as on ELF. \
Extension modules need this for the interpreter's symbols; vendored libraries should not.\n\n\
Fix: link libraries with the default two-level namespace.";
    HostUnresolvedLibrary = "host-unresolved-library", Host, Warning,
        "a library of the host's closure cannot be found",
        "The host's DT_NEEDED closure names a library that none of the loader's search \
locations provide (DT_RPATH, LD_LIBRARY_PATH, DT_RUNPATH, ld.so.cache, the default \
directories, under --sysroot if given). Either the host does not start on this system, or it \
runs with a search path cargo-abi3 was not told about; the missing library's symbols are not \
part of the collision analysis.\n\n\
Fix: pass --sysroot for a host built for another system, or set LD_LIBRARY_PATH as the host \
runs with it.";
    DllNameCollision = "dll-name-collision", Host, Warning,
        "two different DLLs share a name",
        "Windows loads one DLL per name per process; a second, different DLL of the same name \
is never loaded, and its users get the first one's code.\n\n\
Fix: rename (delvewheel mangles names) or share one copy.";
    UnmatchedAllow = "unmatched-allow", Policy, Warning,
        "an allow-finding entry of the policy matched no finding",
        "The policy file (`cargo-abi3.toml`, `[tool.cargo-abi3]` in pyproject.toml, or \
`[package.metadata.cargo-abi3]` / `[workspace.metadata.cargo-abi3]` in Cargo.toml) has an \
`[[allow-finding]]` entry that accepted nothing in this run. The finding it was written for is \
gone (fixed, renamed, or the glob no longer matches), so the entry only waits to hide a future \
finding nobody reviewed. Entries are judged only by the commands that can emit their code \
(`audit` never judges intent codes, `check` never host codes) and, with a `path` glob, only \
when the glob names an input of the run, so auditing one wheel of a release does not flag the \
entries for the others.\n\n\
Fix: delete the entry, or correct its `code`, `symbol` or `path`. `--deny unmatched-allow` \
makes stale entries fail the gate.";
    UnreadableInput = "unreadable-input", Input, Error,
        "an input could not be analysed",
        "The file is not a wheel or a binary cargo-abi3 can read (truncated, corrupt, another \
format). Nothing was checked for it: the exit code is 2.\n\n\
Fix: check the path; rebuild or re-download the file.";
    InputLimitExceeded = "input-limit-exceeded", Input, Error,
        "an input exceeds a safety limit",
        "cargo-abi3 bounds what it reads from untrusted input (member sizes, counts, \
compression ratio, total bytes) so a hostile file cannot exhaust memory. The input was not \
fully analysed: the exit code is 2.\n\n\
Fix: if the file is legitimate, raise the limit named in the message (see `--help`).";
    NothingToAudit = "nothing-to-audit", Input, Error,
        "a path, directory or glob contains nothing to audit",
        "A gate that audits nothing passes silently; cargo-abi3 treats an empty input as an \
error so a wrong path in CI is noticed.\n\nFix: check the path or glob.";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Error for an unknown code name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCode(pub String);

impl fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown code `{}` (run `cargo abi3 list`)", self.0)
    }
}

impl std::error::Error for UnknownCode {}

impl FromStr for Code {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.name() == s)
            .ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_kebab_case_and_round_trip() {
        let mut seen = HashSet::new();
        for &code in Code::ALL {
            let name = code.name();
            assert!(seen.insert(name), "duplicate code {name}");
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{name} is not kebab-case"
            );
            assert_eq!(name.parse::<Code>().unwrap(), code);
            assert!(code.explain().len() > 80, "{name} needs real explain text");
            assert!(
                !code.summary().ends_with('.'),
                "{name}: summaries are fragments"
            );
        }
    }
}
