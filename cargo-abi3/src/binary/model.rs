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

/// How an ELF symbol is bound (`st_bind`), for the symbols [`Binary::exports`] lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Binding {
    Global,
    Weak,
    /// `STB_GNU_UNIQUE`: one definition per process, whatever the lookup scope.
    Unique,
    /// An OS- or processor-specific binding.
    Other(u8),
}

/// The ELF visibility (`st_other`) of an exported symbol: only these two are exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Visibility {
    Default,
    /// `STV_PROTECTED`: exported, but the image's own references bind to its own copy.
    Protected,
}

/// What the dynamic linker knows about one exported ELF symbol, beyond its name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExportInfo {
    /// The version it is defined with (`OPENSSL_3.0.0`; for an executable's copy
    /// relocation, the needed version it copies: `stderr@GLIBC_2.2.5`). `None`: unversioned.
    pub version: Option<String>,
    /// A non-default version (`name@VER`, the versym hidden bit): only a reference asking
    /// for that version binds to it.
    pub hidden_version: bool,
    pub binding: Binding,
    pub visibility: Visibility,
    /// Defined in one of the image's sections: not `SHN_ABS` (version-name markers such as
    /// `GLIBC_2.2.5`) or `SHN_COMMON`, and not a section or file symbol.
    pub in_section: bool,
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
    /// ELF `DT_RPATH` entries, in order (ld.so ignores them when `DT_RUNPATH` is present).
    pub rpath: Vec<String>,
    /// ELF `DT_RUNPATH` entries, in order.
    pub runpath: Vec<String>,
    /// ELF `DT_SYMBOLIC` or `DF_SYMBOLIC` (`-Bsymbolic`): its own references bind to its
    /// own definitions first.
    pub symbolic: bool,
    /// ELF `DF_1_NODEFLIB`: ld.so.cache and the default directories are not searched for
    /// its dependencies.
    pub nodeflib: bool,
    /// ELF: one entry per [`Binary::exports`] name, same order (empty for Mach-O and PE,
    /// and for an ELF file whose symbols could not be sized).
    pub export_info: Vec<ExportInfo>,
    /// ELF version names the image defines (`Verdef`, the base version excluded), in order.
    pub defined_versions: Vec<String>,
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
            rpath: Vec::new(),
            runpath: Vec::new(),
            symbolic: false,
            nodeflib: false,
            export_info: Vec::new(),
            defined_versions: Vec::new(),
        }
    }

    /// What the [`crate::rules::Check::Bundle`] rules read, and what a wheel keeps of each
    /// binary until its last member is read: everything but the symbol tables (imports,
    /// exports and their details, version definitions), which are most of a model.
    pub fn linking(&self) -> Binary {
        Binary {
            format: self.format,
            arch: self.arch.clone(),
            fat_slice: self.fat_slice,
            imports: Vec::new(),
            exports: Vec::new(),
            needed: self.needed.clone(),
            soname: self.soname.clone(),
            rpaths: self.rpaths.clone(),
            macos_min: self.macos_min,
            flat_namespace_lookups: self.flat_namespace_lookups,
            rpath: self.rpath.clone(),
            runpath: self.runpath.clone(),
            symbolic: self.symbolic,
            nodeflib: self.nodeflib,
            export_info: Vec::new(),
            defined_versions: Vec::new(),
        }
    }

    /// Each export with what the ELF reader knows about it (`None` for formats without
    /// that, where [`Binary::export_info`] is empty).
    pub fn exports_with_info(&self) -> impl Iterator<Item = (&str, Option<&ExportInfo>)> + '_ {
        self.exports
            .iter()
            .enumerate()
            .map(|(i, name)| (name.as_str(), self.export_info.get(i)))
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
