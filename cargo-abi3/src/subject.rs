//! What a rule sees: one binary, its origin, what it claims, and derived facts computed once.

use cargo_abi3_build_hook::declaration::Declaration;
use cargo_abi3_build_hook::{AbiKind, PyVersion};
use serde::Serialize;

use crate::abi::{self, AbiItem};
use crate::binary::{Binary, Format, Import, is_python_library};
use crate::wheel::{ExtensionFileName, WheelMetadata, WheelName};

/// Where the claimed floor and ABI come from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "detail")]
pub enum ClaimSource {
    /// The wheel's file-name tags.
    WheelTag(String),
    /// `--assume-minimum` on the command line.
    AssumeMinimum,
    /// The declaration the build hook embedded in the binary.
    Declaration,
    /// The crate's declared intent (`cargo abi3 check`).
    CrateIntent,
    /// Nothing claims a floor (a loose binary audited without `--assume-minimum`).
    Unclaimed,
}

/// The ABI promise a binary is held to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Claim {
    /// `None` for a loose binary: audited as abi3 unless its suffix says otherwise.
    pub kind: Option<AbiKind>,
    /// The lowest interpreter the binary must load on.
    pub floor: Option<PyVersion>,
    pub source: ClaimSource,
}

impl Claim {
    pub fn unclaimed() -> Self {
        Claim {
            kind: None,
            floor: None,
            source: ClaimSource::Unclaimed,
        }
    }

    /// Whether the stable-ABI symbol rules apply: abi3 and abi3t binaries, and loose
    /// binaries nobody said were version-specific.
    pub fn is_stable_abi(&self) -> bool {
        self.kind.is_none_or(AbiKind::is_stable)
    }

    /// How to name the floor in messages.
    pub fn floor_phrase(&self, floor: PyVersion) -> String {
        match &self.source {
            ClaimSource::WheelTag(_) => format!("the wheel is installable on {floor}"),
            ClaimSource::AssumeMinimum => format!("--assume-minimum is {floor}"),
            ClaimSource::Declaration => format!("the embedded declaration says {floor}"),
            ClaimSource::CrateIntent => format!("the crate declares {floor}"),
            ClaimSource::Unclaimed => format!("the floor is {floor}"),
        }
    }
}

/// Whether the file is an importable extension module or a library it loads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Exports a `PyInit_`/`PyModExport_` hook, or is named like a module.
    ExtensionModule,
    /// A vendored or helper shared library.
    Library,
}

/// An import resolved against the interpreter, with its manifest entry if any.
#[derive(Clone, Copy, Debug)]
pub struct PythonImport<'a> {
    pub import: &'a Import,
    pub item: Option<&'static AbiItem>,
}

/// One binary (or fat slice) as the binary rules see it.
pub struct BinarySubject<'a> {
    pub binary: &'a Binary,
    /// The file name (without directories) of the member or file.
    pub file_name: &'a str,
    pub extension_name: ExtensionFileName,
    pub role: Role,
    pub claim: &'a Claim,
    /// The wheel the binary ships in, if any.
    pub wheel: Option<WheelSubject<'a>>,
    /// Imports the interpreter resolves, computed once for all rules.
    pub python_imports: Vec<PythonImport<'a>>,
    /// The path inside the wheel (`pkg/_core.abi3.so`); the file name for a loose binary.
    pub path: &'a str,
    /// The member is installed into purelib (`Root-Is-Purelib: true` or `*.data/purelib/`).
    pub in_purelib: bool,
    /// File names and sonames of every shared object the wheel bundles (empty when loose).
    pub bundled: &'a [String],
    /// Every slice of the same file, this one included (one element unless fat).
    pub slices: &'a [Binary],
    /// `--allow-export` patterns.
    pub allowed_exports: &'a [ExportAllow],
    /// What the author declared through the build hook, embedded in the binary.
    pub declaration: Option<&'a Declaration>,
    /// The build says this file is an extension module (`check` knows the cdylib is the
    /// crate's module), so it is judged as one even when it imports nothing from Python.
    pub known_module: bool,
}

impl<'a> BinarySubject<'a> {
    pub fn new(
        binary: &'a Binary,
        file_name: &'a str,
        claim: &'a Claim,
        wheel: Option<WheelSubject<'a>>,
    ) -> Self {
        let extension_name = ExtensionFileName::parse(file_name);
        let role = if binary.entry_points().next().is_some()
            || (extension_name.module.is_some() && !python_imports_of(binary).is_empty())
        {
            Role::ExtensionModule
        } else {
            Role::Library
        };
        BinarySubject {
            binary,
            file_name,
            extension_name,
            role,
            claim,
            wheel,
            python_imports: python_imports_of(binary),
            path: file_name,
            in_purelib: false,
            bundled: &[],
            slices: std::slice::from_ref(binary),
            allowed_exports: &[],
            declaration: None,
            known_module: false,
        }
    }

    /// Where in a wheel the binary is: its member path, whether it lands in purelib, the
    /// shared objects bundled next to it and the slices of its file.
    pub fn in_member(
        mut self,
        path: &'a str,
        in_purelib: bool,
        bundled: &'a [String],
        slices: &'a [Binary],
    ) -> Self {
        self.path = path;
        self.in_purelib = in_purelib;
        self.bundled = bundled;
        self.slices = slices;
        self
    }

    /// The slices of a fat file (for a loose binary).
    pub fn with_slices(mut self, slices: &'a [Binary]) -> Self {
        self.slices = slices;
        self
    }

    pub fn with_allowed_exports(mut self, allowed: &'a [ExportAllow]) -> Self {
        self.allowed_exports = allowed;
        self
    }

    pub fn with_declaration(mut self, declaration: Option<&'a Declaration>) -> Self {
        self.declaration = declaration;
        self
    }

    /// The file is an extension module by construction (the crate `check` built): an empty
    /// one still has to export its entry point.
    pub fn known_module(mut self) -> Self {
        self.known_module = true;
        self.role = Role::ExtensionModule;
        self
    }

    /// Whether this is the first (or only) slice of its file: per-file rules report once.
    pub fn is_first_slice(&self) -> bool {
        self.binary.fat_slice.is_none_or(|i| i == 0)
    }

    /// Whether the file is in a directory of vendored libraries (`pkg.libs/` from
    /// auditwheel, `.dylibs/` from delocate, `pkg.libs`/`delvewheel` on Windows).
    pub fn in_vendored_dir(&self) -> bool {
        let mut dirs: Vec<&str> = self.path.split(['/', '\\']).collect();
        dirs.pop();
        dirs.iter()
            .any(|d| d.ends_with(".libs") || *d == ".dylibs" || d.ends_with(".dylibs"))
    }

    /// The module name a message should name (`PyModExport_t18`, `t18.abi3.so`): the file's
    /// module part, whatever its role; `<name>` only for a file not named like a module.
    pub fn name_for_messages(&self) -> &str {
        self.extension_name.module.as_deref().unwrap_or("<name>")
    }

    /// The module name when the file is meant to be imported as an extension module: named
    /// like one (`name.abi3.so`, `name.pyd`, …), outside vendored-library directories, and
    /// for a bare `name.so` also looking like one (entry point or interpreter imports).
    pub fn module_name(&self) -> Option<&str> {
        let module = self.extension_name.module.as_deref()?;
        if self.in_vendored_dir() {
            return None;
        }
        // Nothing imported from the interpreter and no entry point: a library loaded with
        // ctypes/cffi (pycryptodome names its own `_raw.abi3.so` to match the wheel tag; on
        // the x86_64 slice of its universal2 wheel, `_ghash_pmull.abi3.so` even exports
        // nothing). Unless the build said it is a module: `check` knows its crate's cdylib,
        // and the build hook's declaration names the module.
        let declared_module = self.declaration.is_some_and(|d| d.module.is_some());
        if !(self.known_module || declared_module)
            && self.python_imports.is_empty()
            && self.binary.entry_points().next().is_none()
        {
            return None;
        }
        Some(module)
    }

    /// The lowest version whose stable ABI covers every manifest symbol imported; `None` when
    /// the binary imports nothing from the interpreter.
    pub fn computed_floor(&self) -> Option<PyVersion> {
        if self.python_imports.is_empty() {
            return None;
        }
        Some(
            self.python_imports
                .iter()
                .filter_map(|p| p.item.map(|i| i.added))
                .max()
                .unwrap_or(PyVersion::STABLE_ABI_START),
        )
    }
}

/// The imports a binary takes from the interpreter: by library where the format names one,
/// by C-API naming convention where it leaves lookup to the loader (ELF, flat Mach-O).
///
/// An ELF import's library is only the `Verneed` file of its symbol version, and does not
/// decide where the symbol binds: glibc binds `PyUnicode_AsUTF8AndSize@GLIBC_2.2.5` to
/// libpython's unversioned definition. So versioned ELF imports are judged by name too.
fn python_imports_of(binary: &Binary) -> Vec<PythonImport<'_>> {
    binary
        .imports
        .iter()
        .filter(|import| match (&import.library, binary.format) {
            (Some(library), _) if is_python_library(library) => true,
            (_, Format::Elf) | (None, _) => looks_like_c_api(&import.name),
            (Some(_), _) => false,
        })
        .map(|import| PythonImport {
            import,
            item: abi::lookup(&import.name),
        })
        .collect()
}

/// CPython's C API lives in the `Py`/`_Py` (and `PY`) namespaces; anything else is another
/// library's business.
fn looks_like_c_api(name: &str) -> bool {
    name.starts_with("Py")
        || name.starts_with("_Py")
        || name.starts_with("PY")
        || abi::lookup(name).is_some()
}

/// A wheel as the wheel rules (and binary rules that need the tags) see it.
#[derive(Clone, Copy)]
pub struct WheelSubject<'a> {
    pub name: &'a WheelName,
    pub metadata: &'a WheelMetadata,
}

/// An `--allow-export PATTERN[=REASON]` entry: exports matching the glob (`*` matches any
/// run of characters) are not reported by `extra-exports`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportAllow {
    pub pattern: String,
    pub reason: Option<String>,
    /// What gave it: `None` for `--allow-export`, else the policy entry (`cargo-abi3.toml:7:8`).
    pub by: Option<String>,
}

impl ExportAllow {
    /// Parses `PATTERN` or `PATTERN=REASON` (`=` never occurs in a symbol name).
    pub fn parse(text: &str) -> ExportAllow {
        match text.split_once('=') {
            Some((pattern, reason)) => ExportAllow {
                pattern: pattern.trim().to_owned(),
                reason: Some(reason.trim().to_owned()).filter(|r| !r.is_empty()),
                by: None,
            },
            None => ExportAllow {
                pattern: text.trim().to_owned(),
                reason: None,
                by: None,
            },
        }
    }

    pub fn matches(&self, name: &str) -> bool {
        // One glob for `--allow-export` and the policy file's `allow-finding` entries.
        cargo_abi3_build_hook::policy::glob_match(&self.pattern, name)
    }

    /// Where this allowance came from, as an allowed finding's `by`.
    pub fn origin(&self) -> String {
        self.by
            .clone()
            .unwrap_or_else(|| format!("--allow-export {}", self.pattern))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_allow_globs() {
        let a = ExportAllow::parse("OPENSSL_*=shared with the sibling module");
        assert_eq!(a.reason.as_deref(), Some("shared with the sibling module"));
        assert!(a.matches("OPENSSL_init"));
        assert!(!a.matches("SSL_read"));
        let b = ExportAllow::parse("*_np*");
        assert!(b.matches("pthread_np"));
        assert!(b.matches("x_npy"));
        assert!(!b.matches("foo"));
        assert!(ExportAllow::parse("exact").matches("exact"));
        assert!(!ExportAllow::parse("exact").matches("exactly"));
        assert!(ExportAllow::parse("*").matches(""));
        assert!(ExportAllow::parse("a*b*c").matches("aXXbYYc"));
        assert!(!ExportAllow::parse("a*b*c").matches("aXXbYY"));
    }
}
