//! The neutral model of one binary (or one slice of a fat Mach-O): everything the rules need,
//! nothing format-specific beyond what the rules ask about.

use serde::Serialize;

/// Container format of a binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Elf,
    MachO,
    Pe,
}

impl Format {
    /// The platform family whose interpreters load this format.
    pub fn platform(self) -> Platform {
        match self {
            Format::Elf => Platform::Linux,
            Format::MachO => Platform::MacOs,
            Format::Pe => Platform::Windows,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Elf => "ELF",
            Format::MachO => "Mach-O",
            Format::Pe => "PE",
        }
    }
}

/// The platform family a binary runs on, as far as the stable-ABI manifest cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// Any ELF platform (Linux, Android, the BSDs): POSIX, `fork()`, no `MS_WINDOWS`.
    Linux,
    MacOs,
    Windows,
}

/// CPU architecture, named the way wheel platform tags name it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub enum Arch {
    X86_64,
    X86,
    Aarch64,
    Arm,
    Ppc64le,
    Ppc64,
    /// 32-bit PowerPC (old macOS `fat`/`universal` slices; 32-bit ELF).
    Ppc,
    S390x,
    Riscv64,
    Loongarch64,
    Other(String),
}

impl Arch {
    /// The name used in platform tags: `x86_64`, `aarch64` (Linux) / `arm64` (macOS), …
    pub fn tag_name(&self, platform: Platform) -> &str {
        match (self, platform) {
            (Arch::Aarch64, Platform::MacOs) => "arm64",
            (Arch::X86, Platform::MacOs) => "i386",
            (Arch::Aarch64, Platform::Windows) => "arm64",
            (Arch::X86_64, Platform::Windows) => "amd64",
            (Arch::X86, Platform::Windows) => "win32",
            _ => self.as_str(),
        }
    }

    /// The architecture a platform tag or a reader names: `amd64`, `arm64`, `i686`, …
    pub fn from_name(name: &str) -> Arch {
        match name {
            "x86_64" | "amd64" | "x86_64h" => Arch::X86_64,
            "i386" | "i686" | "x86" => Arch::X86,
            "aarch64" | "arm64" => Arch::Aarch64,
            "armv7l" | "armv6l" | "armv7" | "arm" => Arch::Arm,
            "ppc64le" => Arch::Ppc64le,
            "ppc64" => Arch::Ppc64,
            "ppc" => Arch::Ppc,
            "s390x" => Arch::S390x,
            "riscv64" => Arch::Riscv64,
            "loongarch64" => Arch::Loongarch64,
            other => Arch::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::X86 => "i686",
            Arch::Aarch64 => "aarch64",
            Arch::Arm => "armv7l",
            Arch::Ppc64le => "ppc64le",
            Arch::Ppc64 => "ppc64",
            Arch::Ppc => "ppc",
            Arch::S390x => "s390x",
            Arch::Riscv64 => "riscv64",
            Arch::Loongarch64 => "loongarch64",
            Arch::Other(name) => name,
        }
    }
}

impl From<Arch> for String {
    fn from(a: Arch) -> String {
        a.as_str().to_owned()
    }
}

/// A symbol the binary needs from another image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Import {
    /// The C-level name (Mach-O's leading underscore removed, exactly one).
    pub name: String,
    /// The library the format says it comes from: PE's DLL, Mach-O's two-level dylib,
    /// ELF's version-needed file. `None` when the format leaves it to the loader.
    pub library: Option<String>,
    /// ELF symbol version (`GLIBC_2.17`), if any.
    pub version: Option<String>,
    /// A weak reference: loading does not fail if it is missing.
    pub weak: bool,
    /// A PE delay-load import: resolved on first call instead of at load time.
    pub delay_load: bool,
}

/// A library the binary asks the loader for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Needed {
    /// As recorded: a DT_NEEDED soname, a Mach-O install name, a PE DLL name.
    pub name: String,
    /// PE delay-load DLL, or Mach-O `LC_LOAD_WEAK_DYLIB`.
    pub lazy: bool,
}

/// One analysable image: a whole ELF or PE file, or one slice of a (fat) Mach-O file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Binary {
    pub format: Format,
    pub arch: Arch,
    /// For a slice of a fat Mach-O file: its index in the fat header.
    pub fat_slice: Option<usize>,
    pub imports: Vec<Import>,
    /// Names of defined, exported (dynamic) symbols, C-level names.
    pub exports: Vec<String>,
    pub needed: Vec<Needed>,
    /// ELF `DT_SONAME`, Mach-O `LC_ID_DYLIB`.
    pub soname: Option<String>,
    /// ELF DT_RUNPATH/DT_RPATH entries, Mach-O LC_RPATH.
    pub rpaths: Vec<String>,
    /// Mach-O minimum macOS (`LC_BUILD_VERSION` minos or `LC_VERSION_MIN_MACOSX`), (major, minor).
    pub macos_min: Option<(u16, u16)>,
    /// Mach-O: undefined symbols are looked up in the flat namespace
    /// (`MH_FLAT_NAMESPACE` or `-undefined dynamic_lookup` ordinals).
    pub flat_namespace_lookups: bool,
}

impl Binary {
    /// A binary of `format` and `arch` with nothing read yet; the readers fill it in.
    pub fn new(format: Format, arch: Arch) -> Self {
        Binary {
            format,
            arch,
            fat_slice: None,
            imports: Vec::new(),
            exports: Vec::new(),
            needed: Vec::new(),
            soname: None,
            rpaths: Vec::new(),
            macos_min: None,
            flat_namespace_lookups: false,
        }
    }

    pub fn platform(&self) -> Platform {
        self.format.platform()
    }

    /// Whether the binary defines and exports `name`.
    pub fn exports_symbol(&self, name: &str) -> bool {
        self.exports.iter().any(|e| e == name)
    }

    /// Python module entry points it exports (`PyInit_*`, `PyModExport_*`).
    pub fn entry_points(&self) -> impl Iterator<Item = &str> {
        self.exports
            .iter()
            .map(String::as_str)
            .filter(|e| is_entry_point(e))
    }
}

/// Whether an exported name is a module entry point (`PyInit_x`, `PyInitU_x`,
/// `PyModExport_x`, `PyModExportU_x`).
pub fn is_entry_point(name: &str) -> bool {
    ["PyInit_", "PyInitU_", "PyModExport_", "PyModExportU_"]
        .iter()
        .any(|p| name.len() > p.len() && name.starts_with(p))
}

/// Whether a library name is the Python interpreter library on any platform.
pub fn is_python_library(name: &str) -> bool {
    let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let lower = file.to_ascii_lowercase();
    lower.starts_with("libpython")
        || name.contains("Python.framework")
        || (lower.starts_with("python3") && lower.ends_with(".dll"))
}
