//! What a rule sees: one binary, its origin, what it claims, and derived facts computed once.

use cargo_abi3_build_hook::{AbiKind, PyVersion};
use serde::Serialize;

use crate::abi::{self, AbiItem};
use crate::binary::{Binary, Import, is_python_library};
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
        }
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
fn python_imports_of(binary: &Binary) -> Vec<PythonImport<'_>> {
    binary
        .imports
        .iter()
        .filter(|import| match &import.library {
            Some(library) => is_python_library(library),
            None => import.version.is_none() && looks_like_c_api(&import.name),
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
