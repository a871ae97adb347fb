//! Fixture builders shared by integration tests: real binaries built at test time with the
//! tools the machine has (gcc + Python headers for ELF, the toolchain's `rust-lld` for PE
//! and Mach-O, objects written with `object::write`). Nothing binary is committed.
//!
//! Declared once in `tests/it/main.rs` (`#[macro_use] mod support;`). Every builder returns
//! `Err(Skip)` naming the missing tool, so a test can print why and return.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

pub mod elf;
pub mod http;
pub mod ldcache;
pub mod rss;
pub mod schema;
pub mod snapshot;
pub mod wheel;

/// A finished run of a command (the CLI, or a tool around it): exit code and both streams.
#[derive(Debug)]
pub struct Run {
    /// The exit code; -1 when it was killed by a signal.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The run `out` says, its streams read lossily.
    pub fn from_output(out: &std::process::Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Stdout as JSON (a panic with both streams if it is not).
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Stdout, once the exit code is asserted to be `code` (both streams in the message).
    #[track_caller]
    pub fn stdout_if_exited(&self, code: i32) -> &str {
        assert_eq!(self.code, code, "{}\n{}", self.stdout, self.stderr);
        &self.stdout
    }
}

use object::write::{Object, Relocation, StandardSection, Symbol, SymbolSection};
use object::{
    Architecture, BinaryFormat, Endianness, RelocationEncoding, RelocationFlags, RelocationKind,
    SymbolFlags, SymbolKind, SymbolScope,
};

/// Why a fixture could not be built: a tool or header is genuinely missing.
#[derive(Debug)]
pub struct Skip(pub String);

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

// Skipping. One marker everywhere: `SKIP: <reason>` on stderr. Two kinds of reason:
// - something `.ci/run` installs or fetches is missing (gcc and the Python headers the fixtures
//   need, python3, maturin, setuptools-rust, `packaging`, pypy3/uwsgi-core, binutils, the cached
//   real wheels): [`skip`], a failure under `CI=true`, where a skip would hide a regression;
// - something CI may legitimately lack too (the network to the real PyPI, a pyenv CPython 3.9,
//   a python3 older than 3.15, another architecture or target std, a rustc that compiles none of
//   our `no_core` preludes, the fuzz corpus `fuzz/seed.sh` writes): [`skip_optional`], a skip
//   everywhere.

/// Whether `.ci/run` runs the tests as CI (`CI=true`).
pub fn under_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// The test cannot run here because something `.ci/run` installs is missing: `SKIP: reason` on
/// stderr, or a failure under `CI=true`.
#[track_caller]
pub fn skip(reason: impl std::fmt::Display) {
    assert!(
        !under_ci(),
        "{reason}; under CI=true this fails instead of skipping (.ci/run installs it)"
    );
    eprintln!("SKIP: {reason}");
}

/// The test cannot run here for a reason CI may share (see above): `SKIP: reason` on stderr.
pub fn skip_optional(reason: impl std::fmt::Display) {
    eprintln!("SKIP: {reason}");
}

/// Unwraps a fixture, or [`skip`]s (a failure under `CI=true`) and returns from the test.
#[macro_export]
macro_rules! fixture_or_skip {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(why) => {
                $crate::support::skip(why);
                return;
            }
        }
    };
}

/// Returns from the test after [`skip`] (a failure under `CI=true`) unless `cond` holds:
/// `skip_unless!(mkfifo(&path), "mkfifo is not available")`.
#[macro_export]
macro_rules! skip_unless {
    ($cond:expr, $($why:tt)+) => {
        if !$cond {
            $crate::support::skip(format_args!($($why)+));
            return;
        }
    };
}

/// Returns from the test after [`skip_optional`] unless `cond` holds (for what CI may lack too).
#[macro_export]
macro_rules! skip_optional_unless {
    ($cond:expr, $($why:tt)+) => {
        if !$cond {
            $crate::support::skip_optional(format_args!($($why)+));
            return;
        }
    };
}

/// A fresh directory under cargo's per-target temporary directory.
pub fn scratch_dir(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fixtures")
        .join(format!("{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Runs a tool: `Err(Skip)` if it cannot be started, a panic if it fails (a broken
/// fixture is a test failure, not a skip).
fn run(cmd: &mut Command) -> Result<(), Skip> {
    let out = cmd
        .output()
        .map_err(|e| Skip(format!("cannot run {:?}: {e}", cmd.get_program())))?;
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// ELF: gcc + Python headers
// ---------------------------------------------------------------------------------------

/// The Python include directory (`sysconfig.get_paths()["include"]`) if it has `Python.h`.
pub fn python_include_dir() -> Result<PathBuf, Skip> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['include'])",
        ])
        .output()
        .map_err(|e| Skip(format!("python3 not runnable: {e}")))?;
    if !out.status.success() {
        return Err(Skip("python3 sysconfig query failed".into()));
    }
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if dir.join("Python.h").is_file() {
        Ok(dir)
    } else {
        Err(Skip(format!("no Python.h in {}", dir.display())))
    }
}

/// Compiles `c_source` into `<name>.so` with `gcc -shared -fPIC -I<python include>`.
pub fn build_c_extension(
    name: &str,
    c_source: &str,
    extra_flags: &[&str],
) -> Result<PathBuf, Skip> {
    let include = python_include_dir()?;
    if Command::new("gcc").arg("--version").output().is_err() {
        return Err(Skip("gcc not found".into()));
    }
    let dir = scratch_dir(name);
    let src = dir.join(format!("{name}.c"));
    std::fs::write(&src, c_source).expect("write C source");
    let out = dir.join(format!("{name}.so"));
    run(Command::new("gcc")
        .args(["-shared", "-fPIC", "-O1"])
        .arg(format!("-I{}", include.display()))
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .args(extra_flags))?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// rust-lld
// ---------------------------------------------------------------------------------------

/// The toolchain's `rust-lld`.
pub fn rust_lld() -> Result<PathBuf, Skip> {
    let out = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .args(["--print", "sysroot"])
        .output()
        .map_err(|e| Skip(format!("rustc not runnable: {e}")))?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let rustlib = sysroot.join("lib").join("rustlib");
    let host = Command::new("rustc")
        .arg("-vV")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        })
        .unwrap_or_else(|| "x86_64-unknown-linux-gnu".into());
    let lld = rustlib.join(host).join("bin").join("rust-lld");
    if lld.is_file() {
        Ok(lld)
    } else {
        Err(Skip(format!("rust-lld not found at {}", lld.display())))
    }
}

/// Adds a function `name` (a `ret`) to `obj`'s text section.
fn define_function(obj: &mut Object<'_>, name: &str, code: &[u8], scope: SymbolScope) {
    let text = obj.section_id(StandardSection::Text);
    let offset = obj.append_section_data(text, code, 16);
    obj.add_symbol(Symbol {
        name: name.as_bytes().to_vec(),
        value: offset,
        size: code.len() as u64,
        kind: SymbolKind::Text,
        scope,
        weak: false,
        section: SymbolSection::Section(text),
        flags: SymbolFlags::None,
    });
}

/// Adds a pointer-sized slot in `.data` holding the address of the undefined symbol `name`.
fn reference(obj: &mut Object<'_>, name: &str, weak: bool, pointer_bits: u8) {
    let symbol = obj.add_symbol(Symbol {
        name: name.as_bytes().to_vec(),
        value: 0,
        size: 0,
        kind: SymbolKind::Text,
        scope: SymbolScope::Dynamic,
        weak,
        section: SymbolSection::Undefined,
        flags: SymbolFlags::None,
    });
    let data = obj.section_id(StandardSection::Data);
    let offset = obj.append_section_data(data, &vec![0; usize::from(pointer_bits / 8)], 8);
    obj.add_relocation(
        data,
        Relocation {
            offset,
            symbol,
            addend: 0,
            flags: RelocationFlags::Generic {
                kind: RelocationKind::Absolute,
                encoding: RelocationEncoding::Generic,
                size: pointer_bits,
            },
        },
    )
    .expect("add relocation");
}

// ---------------------------------------------------------------------------------------
// PE: COFF objects + lld-link
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeMachine {
    X64,
    X86,
    Arm64,
}

impl PeMachine {
    fn arch(self) -> Architecture {
        match self {
            PeMachine::X64 => Architecture::X86_64,
            PeMachine::X86 => Architecture::I386,
            PeMachine::Arm64 => Architecture::Aarch64,
        }
    }
    fn flag(self) -> &'static str {
        match self {
            PeMachine::X64 => "/machine:x64",
            PeMachine::X86 => "/machine:x86",
            PeMachine::Arm64 => "/machine:arm64",
        }
    }
    fn ret(self) -> &'static [u8] {
        match self {
            PeMachine::X64 | PeMachine::X86 => &[0x31, 0xc0, 0xc3],
            PeMachine::Arm64 => &[0x00, 0x00, 0x80, 0x52, 0xc0, 0x03, 0x5f, 0xd6],
        }
    }
    fn pointer_bits(self) -> u8 {
        if self == PeMachine::X86 { 32 } else { 64 }
    }
}

/// An import of a PE fixture: by name or by ordinal.
#[derive(Clone, Debug)]
pub enum PeImport {
    Name(String),
    /// The DLL exports the symbol (named `name` in the `.def`) by ordinal only.
    Ordinal(String, u16),
}

/// One DLL a PE fixture imports from.
#[derive(Clone, Debug)]
pub struct PeDll {
    pub name: String,
    pub imports: Vec<PeImport>,
    /// Link with `/delayload:<name>`.
    pub delay_load: bool,
}

/// What a PE fixture imports and exports.
#[derive(Clone, Debug)]
pub struct PeSpec {
    pub machine: PeMachine,
    pub dlls: Vec<PeDll>,
    pub exports: Vec<String>,
}

impl PeSpec {
    pub fn new(machine: PeMachine) -> Self {
        PeSpec {
            machine,
            dlls: Vec::new(),
            exports: Vec::new(),
        }
    }
    pub fn export(mut self, name: &str) -> Self {
        self.exports.push(name.into());
        self
    }
    pub fn dll(mut self, name: &str, imports: &[&str], delay_load: bool) -> Self {
        self.dlls.push(PeDll {
            name: name.into(),
            imports: imports
                .iter()
                .map(|i| PeImport::Name((*i).into()))
                .collect(),
            delay_load,
        });
        self
    }
    pub fn ordinal(mut self, dll: &str, name: &str, ordinal: u16) -> Self {
        if let Some(d) = self.dlls.iter_mut().find(|d| d.name == dll) {
            d.imports.push(PeImport::Ordinal(name.into(), ordinal));
        }
        self
    }
}

/// Links a PE DLL (`.pyd`) per `spec` with `rust-lld -flavor link`: one COFF object
/// defining the exports and referencing every import, one import library per DLL
/// generated from a `.def` file by lld-link's `/lib /def:` mode.
///
/// Delay-load needs `__delayLoadHelper2` (from MSVC's `delayimp.lib`); the object defines
/// a dummy one, which is enough for the linker to build the delay-import table.
pub fn build_pe_extension(spec: &PeSpec) -> Result<Vec<u8>, Skip> {
    let lld = rust_lld()?;
    let dir = scratch_dir("pe");
    let m = spec.machine;
    let mut obj = Object::new(BinaryFormat::Coff, m.arch(), Endianness::Little);
    for export in &spec.exports {
        define_function(&mut obj, export, m.ret(), SymbolScope::Dynamic);
    }
    let mut libs = Vec::new();
    let mut delay = Vec::new();
    for dll in &spec.dlls {
        let stem = dll.name.trim_end_matches(".dll").trim_end_matches(".DLL");
        let mut def = format!("LIBRARY {}\nEXPORTS\n", dll.name);
        for import in &dll.imports {
            let (name, line) = match import {
                PeImport::Name(name) => (name, name.clone()),
                PeImport::Ordinal(name, ordinal) => (name, format!("{name} @{ordinal} NONAME")),
            };
            writeln!(def, "  {line}").expect("write def");
            reference(&mut obj, name, false, m.pointer_bits());
        }
        let def_path = dir.join(format!("{stem}.def"));
        let lib_path = dir.join(format!("{stem}.lib"));
        std::fs::write(&def_path, def).expect("write .def");
        run(Command::new(&lld)
            .args(["-flavor", "link", "/lib", m.flag()])
            .arg(format!("/def:{}", def_path.display()))
            .arg(format!("/out:{}", lib_path.display())))?;
        libs.push(lib_path);
        if dll.delay_load {
            delay.push(dll.name.clone());
        }
    }
    if !delay.is_empty() {
        let helper = if m == PeMachine::X86 {
            "__delayLoadHelper2@8"
        } else {
            "__delayLoadHelper2"
        };
        define_function(&mut obj, helper, m.ret(), SymbolScope::Linkage);
    }
    let obj_path = dir.join("ext.obj");
    std::fs::write(&obj_path, obj.write().expect("write COFF")).expect("write .obj");
    let out = dir.join("ext.pyd");
    let mut cmd = Command::new(&lld);
    cmd.args([
        "-flavor",
        "link",
        "/dll",
        "/noentry",
        "/nodefaultlib",
        m.flag(),
    ])
    .arg(format!("/out:{}", out.display()))
    .arg(&obj_path)
    .args(&libs);
    for export in &spec.exports {
        cmd.arg(format!("/export:{export}"));
    }
    for dll in &delay {
        cmd.arg(format!("/delayload:{dll}"));
    }
    if m == PeMachine::X86 {
        // object's COFF writer emits no @feat.00 SEH marker.
        cmd.arg("/safeseh:no");
    }
    run(&mut cmd)?;
    Ok(std::fs::read(&out).expect("read linked PE"))
}

// ---------------------------------------------------------------------------------------
// Mach-O: Mach-O objects + ld64.lld
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MachArch {
    Arm64,
    X86_64,
}

impl MachArch {
    fn arch(self) -> Architecture {
        match self {
            MachArch::Arm64 => Architecture::Aarch64,
            MachArch::X86_64 => Architecture::X86_64,
        }
    }
    fn name(self) -> &'static str {
        match self {
            MachArch::Arm64 => "arm64",
            MachArch::X86_64 => "x86_64",
        }
    }
    fn ret(self) -> &'static [u8] {
        match self {
            MachArch::Arm64 => &[0x00, 0x00, 0x80, 0x52, 0xc0, 0x03, 0x5f, 0xd6],
            MachArch::X86_64 => &[0x31, 0xc0, 0xc3],
        }
    }
    /// `(cputype, cpusubtype)` for a fat header.
    pub fn cpu(self) -> (u32, u32) {
        match self {
            MachArch::Arm64 => (0x0100_000c, 0),
            MachArch::X86_64 => (0x0100_0007, 3),
        }
    }
}

/// What a Mach-O dylib fixture defines and references. Names are C names; the object
/// writer adds the Mach-O underscore.
#[derive(Clone, Debug)]
pub struct MachOSpec {
    pub arch: MachArch,
    pub exports: Vec<String>,
    /// Undefined symbols referenced from data (bound at load time).
    pub imports: Vec<String>,
    /// Undefined symbols referenced weakly.
    pub weak_imports: Vec<String>,
    /// Dylibs to link against (two-level namespace ordinals).
    pub dylibs: Vec<PathBuf>,
    /// Dylibs linked with `-weak_library` (LC_LOAD_WEAK_DYLIB).
    pub weak_dylibs: Vec<PathBuf>,
    /// `-undefined dynamic_lookup` for whatever is left.
    pub dynamic_lookup: bool,
    pub install_name: Option<String>,
    pub rpaths: Vec<String>,
    /// `-platform_version macos <min> <sdk>`.
    pub macos_min: &'static str,
    /// Force `-fixup_chains` (LC_DYLD_CHAINED_FIXUPS) or `-no_fixup_chains` (LC_DYLD_INFO).
    pub chained_fixups: Option<bool>,
}

impl MachOSpec {
    pub fn new(arch: MachArch) -> Self {
        MachOSpec {
            arch,
            exports: Vec::new(),
            imports: Vec::new(),
            weak_imports: Vec::new(),
            dylibs: Vec::new(),
            weak_dylibs: Vec::new(),
            dynamic_lookup: true,
            install_name: None,
            rpaths: Vec::new(),
            macos_min: "11.0",
            chained_fixups: None,
        }
    }
}

/// Links a Mach-O dylib per `spec` with `rust-lld -flavor darwin`.
pub fn build_macho_dylib(spec: &MachOSpec) -> Result<Vec<u8>, Skip> {
    build_macho_dylib_at(spec).map(|(_, bytes)| bytes)
}

/// Like [`build_macho_dylib`], also returning the path (to link other fixtures against).
pub fn build_macho_dylib_at(spec: &MachOSpec) -> Result<(PathBuf, Vec<u8>), Skip> {
    let lld = rust_lld()?;
    let dir = scratch_dir("macho");
    let mut obj = Object::new(BinaryFormat::MachO, spec.arch.arch(), Endianness::Little);
    for export in &spec.exports {
        define_function(&mut obj, export, spec.arch.ret(), SymbolScope::Dynamic);
    }
    for import in &spec.imports {
        reference(&mut obj, import, false, 64);
    }
    for import in &spec.weak_imports {
        reference(&mut obj, import, true, 64);
    }
    let obj_path = dir.join("ext.o");
    std::fs::write(&obj_path, obj.write().expect("write Mach-O object")).expect("write .o");
    let out = dir.join("ext.dylib");
    let mut cmd = Command::new(&lld);
    cmd.args(["-flavor", "darwin", "-dylib", "-arch", spec.arch.name()])
        .args(["-platform_version", "macos", spec.macos_min, spec.macos_min])
        .arg("-o")
        .arg(&out)
        .arg(&obj_path);
    if spec.dynamic_lookup {
        cmd.args(["-undefined", "dynamic_lookup"]);
    }
    if let Some(name) = &spec.install_name {
        cmd.args(["-install_name", name]);
    }
    for rpath in &spec.rpaths {
        cmd.args(["-rpath", rpath]);
    }
    match spec.chained_fixups {
        Some(true) => {
            cmd.arg("-fixup_chains");
        }
        Some(false) => {
            cmd.arg("-no_fixup_chains");
        }
        None => {}
    }
    cmd.args(&spec.dylibs);
    for weak in &spec.weak_dylibs {
        cmd.arg("-weak_library").arg(weak);
    }
    run(&mut cmd)?;
    let bytes = std::fs::read(&out).expect("read linked Mach-O");
    Ok((out, bytes))
}

/// A fat (universal) file of `slices`: big-endian `fat_header` + `fat_arch` entries,
/// slices aligned to 2^14.
pub fn fat_macho(slices: &[(MachArch, &[u8])]) -> Vec<u8> {
    const ALIGN_LOG2: u32 = 14;
    let align = 1usize << ALIGN_LOG2;
    let mut out = Vec::new();
    out.extend_from_slice(&0xcafe_babe_u32.to_be_bytes());
    out.extend_from_slice(&(slices.len() as u32).to_be_bytes());
    let mut offset = align;
    let mut placed = Vec::new();
    for (arch, bytes) in slices {
        let (cputype, cpusubtype) = arch.cpu();
        for v in [
            cputype,
            cpusubtype,
            offset as u32,
            bytes.len() as u32,
            ALIGN_LOG2,
        ] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        placed.push((offset, *bytes));
        offset = (offset + bytes.len()).div_ceil(align) * align;
    }
    for (offset, bytes) in placed {
        out.resize(offset, 0);
        out.extend_from_slice(bytes);
    }
    out
}

// ---------------------------------------------------------------------------------------
// ELF for other architectures: ELF objects + ld.lld (no libc needed)
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfArch {
    /// 32-bit little-endian.
    I386,
    /// 64-bit big-endian.
    S390x,
    /// 32-bit big-endian.
    Ppc,
    Aarch64,
    X86_64,
    /// 64-bit big-endian.
    Ppc64,
    Ppc64le,
    /// 32-bit little-endian (armv7l).
    Arm,
    Riscv64,
    Loongarch64,
}

impl ElfArch {
    fn arch(self) -> Architecture {
        match self {
            ElfArch::X86_64 => Architecture::X86_64,
            ElfArch::I386 => Architecture::I386,
            ElfArch::S390x => Architecture::S390x,
            ElfArch::Ppc => Architecture::PowerPc,
            ElfArch::Aarch64 => Architecture::Aarch64,
            ElfArch::Ppc64 | ElfArch::Ppc64le => Architecture::PowerPc64,
            ElfArch::Arm => Architecture::Arm,
            ElfArch::Riscv64 => Architecture::Riscv64,
            ElfArch::Loongarch64 => Architecture::LoongArch64,
        }
    }
    fn endian(self) -> Endianness {
        match self {
            ElfArch::S390x | ElfArch::Ppc | ElfArch::Ppc64 => Endianness::Big,
            _ => Endianness::Little,
        }
    }
    fn pointer_bits(self) -> u8 {
        match self {
            ElfArch::I386 | ElfArch::Ppc | ElfArch::Arm => 32,
            _ => 64,
        }
    }
}

/// An ELF shared object linked by `ld.lld` from an object-written `.o`.
#[derive(Clone, Debug)]
pub struct ElfSpec {
    pub arch: ElfArch,
    pub soname: String,
    pub exports: Vec<String>,
    /// Undefined references left to the loader (no library, no version).
    pub imports: Vec<String>,
    /// A stub library `(soname, version node, symbols)` linked with a version script, so
    /// the references to `symbols` get a Verneed entry.
    pub versioned_lib: Option<(String, String, Vec<String>)>,
    /// `--hash-style=` value (`gnu`, `sysv`, `both`).
    pub hash_style: &'static str,
}

fn elf_object(arch: ElfArch, exports: &[String], imports: &[String]) -> Vec<u8> {
    let mut obj = Object::new(BinaryFormat::Elf, arch.arch(), arch.endian());
    // The e_flags ld.lld requires: the ABI version (ppc64 ELFv2, ARM EABI 5, LoongArch
    // object ABI v1 with double-float) where it refuses 0.
    let e_flags = match arch {
        ElfArch::Ppc64 | ElfArch::Ppc64le => 2,
        ElfArch::Arm => 0x0500_0000,
        ElfArch::Loongarch64 => 0x43,
        _ => 0,
    };
    obj.flags = object::FileFlags::Elf {
        os_abi: object::elf::OsAbi(0),
        abi_version: 0,
        e_flags: object::elf::FileFlags(e_flags),
    };
    for export in exports {
        define_function(&mut obj, export, &[0; 4], SymbolScope::Dynamic);
    }
    for import in imports {
        reference(&mut obj, import, false, arch.pointer_bits());
    }
    obj.write().expect("write ELF object")
}

/// Links an ELF shared object per `spec` with `rust-lld -flavor gnu`.
pub fn build_elf_with_lld(spec: &ElfSpec) -> Result<Vec<u8>, Skip> {
    build_elf_with_lld_needed(spec, &[])
}

/// Like [`build_elf_with_lld`], also linking an empty stub library per soname in `needed`
/// (so each becomes a DT_NEEDED entry).
pub fn build_elf_with_lld_needed(spec: &ElfSpec, needed: &[&str]) -> Result<Vec<u8>, Skip> {
    let lld = rust_lld()?;
    let dir = scratch_dir("elf");
    let mut inputs = Vec::new();
    for (i, soname) in needed.iter().enumerate() {
        let o = dir.join(format!("needed{i}.o"));
        std::fs::write(
            &o,
            elf_object(spec.arch, &[format!("needed_stub_{i}")], &[]),
        )
        .expect("write needed stub");
        let lib = dir.join(format!("libneeded{i}.so"));
        run(Command::new(&lld)
            .args(["-flavor", "gnu", "-shared", "-soname", soname])
            .arg("-o")
            .arg(&lib)
            .arg(&o))?;
        inputs.push(lib);
    }
    let mut imports = spec.imports.clone();
    if let Some((soname, version, symbols)) = &spec.versioned_lib {
        let o = dir.join("stub.o");
        std::fs::write(&o, elf_object(spec.arch, symbols, &[])).expect("write stub.o");
        let map = dir.join("stub.map");
        std::fs::write(
            &map,
            format!(
                "{version} {{ global: {}; local: *; }};\n",
                symbols.join("; ")
            ),
        )
        .expect("write version script");
        let lib = dir.join("libstub.so");
        run(Command::new(&lld)
            .args(["-flavor", "gnu", "-shared", "-soname", soname])
            .arg(format!("--version-script={}", map.display()))
            .arg("-o")
            .arg(&lib)
            .arg(&o))?;
        inputs.push(lib);
        imports.extend(symbols.iter().cloned());
    }
    let o = dir.join("ext.o");
    std::fs::write(&o, elf_object(spec.arch, &spec.exports, &imports)).expect("write ext.o");
    let out = dir.join("ext.so");
    run(Command::new(&lld)
        .args(["-flavor", "gnu", "-shared", "-soname", &spec.soname])
        .arg(format!("--hash-style={}", spec.hash_style))
        .arg("-o")
        .arg(&out)
        .arg(&o)
        .args(&inputs))?;
    Ok(std::fs::read(&out).expect("read linked ELF"))
}

// ---------------------------------------------------------------------------------------
// 32-bit Mach-O (i386, ppc): written by hand, as ld64.lld links neither
// ---------------------------------------------------------------------------------------

/// A 32-bit Mach-O dylib in the pre-10.6 style (symbol table only, no dyld info):
/// `exports` defined in `__TEXT,__text`, `imports` as `(name, two-level ordinal)`
/// (0xfe: dynamic lookup), `dylibs` as `LC_LOAD_DYLIB`s, minimum macOS 10.5.
pub fn macho32_dylib(
    big_endian: bool,
    cputype: u32,
    install_name: &str,
    exports: &[&str],
    imports: &[(&str, u8)],
    dylibs: &[&str],
) -> Vec<u8> {
    let w32 = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let w16 = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let padded = |s: &str| {
        let mut b = s.as_bytes().to_vec();
        b.push(0);
        b.resize(b.len().div_ceil(4) * 4, 0);
        b
    };
    let dylib_cmd = |cmd: u32, name: &str| {
        let name = padded(name);
        let mut c = Vec::new();
        for v in [cmd, 24 + name.len() as u32, 24, 2, 0x1_0000, 0x1_0000] {
            c.extend_from_slice(&w32(v));
        }
        c.extend_from_slice(&name);
        c
    };
    let mut commands = Vec::new();
    let mut ncmds = 0;
    // LC_SEGMENT __TEXT with one section; offsets patched below.
    let segment_at = commands.len();
    commands.resize(56 + 68, 0);
    ncmds += 1;
    commands.extend(dylib_cmd(0xd, install_name)); // LC_ID_DYLIB
    ncmds += 1;
    for dylib in dylibs {
        commands.extend(dylib_cmd(0xc, dylib)); // LC_LOAD_DYLIB
        ncmds += 1;
    }
    let symtab_at = commands.len();
    commands.resize(symtab_at + 24, 0);
    ncmds += 1;
    for v in [0x24u32, 16, 0x000a_0500, 0x000a_0500] {
        commands.extend_from_slice(&w32(v)); // LC_VERSION_MIN_MACOSX 10.5
    }
    ncmds += 1;

    let header = 28;
    let text_off = (header + commands.len()).div_ceil(16) * 16;
    let text_len = 4 * exports.len().max(1);
    let symoff = text_off + text_len;
    let mut symbols = Vec::new();
    let mut strings = vec![0u8];
    let mut add = |name: &str, n_type: u8, n_sect: u8, n_desc: u16, value: u32| {
        let strx = strings.len() as u32;
        strings.extend_from_slice(b"_");
        strings.extend_from_slice(name.as_bytes());
        strings.push(0);
        symbols.extend_from_slice(&w32(strx));
        symbols.extend_from_slice(&[n_type, n_sect]);
        symbols.extend_from_slice(&w16(n_desc));
        symbols.extend_from_slice(&w32(value));
    };
    for (i, name) in exports.iter().enumerate() {
        add(name, 0x0f, 1, 0, (text_off + 4 * i) as u32); // N_SECT | N_EXT
    }
    for (name, ordinal) in imports {
        add(name, 0x01, 0, u16::from(*ordinal) << 8, 0); // N_UNDF | N_EXT
    }
    let nsyms = (exports.len() + imports.len()) as u32;
    let stroff = symoff + symbols.len();
    let total = stroff + strings.len();

    let mut segment = Vec::new();
    segment.extend_from_slice(&w32(1)); // LC_SEGMENT
    segment.extend_from_slice(&w32(56 + 68));
    segment.extend_from_slice(&{
        let mut n = [0u8; 16];
        n[..6].copy_from_slice(b"__TEXT");
        n
    });
    for v in [0, total as u32, 0, total as u32, 5, 5, 1, 0] {
        segment.extend_from_slice(&w32(v)); // vmaddr, vmsize, fileoff, filesize, prots, nsects, flags
    }
    let mut sect = [0u8; 16];
    sect[..6].copy_from_slice(b"__text");
    segment.extend_from_slice(&sect);
    segment.extend_from_slice(&{
        let mut n = [0u8; 16];
        n[..6].copy_from_slice(b"__TEXT");
        n
    });
    for v in [
        text_off as u32,
        text_len as u32,
        text_off as u32,
        2,
        0,
        0,
        0x8000_0400,
        0,
        0,
    ] {
        segment.extend_from_slice(&w32(v));
    }
    commands[segment_at..segment_at + 124].copy_from_slice(&segment);
    let mut symtab = Vec::new();
    for v in [
        2u32,
        24,
        symoff as u32,
        nsyms,
        stroff as u32,
        strings.len() as u32,
    ] {
        symtab.extend_from_slice(&w32(v));
    }
    commands[symtab_at..symtab_at + 24].copy_from_slice(&symtab);

    let mut out = Vec::new();
    let subtype = if cputype == 7 { 3 } else { 0 };
    // MH_MAGIC in the file's byte order; MH_DYLIB; MH_DYLDLINK | MH_TWOLEVEL.
    for v in [
        0xfeed_face,
        cputype,
        subtype,
        6,
        ncmds,
        commands.len() as u32,
        0x84,
    ] {
        out.extend_from_slice(&w32(v));
    }
    out.extend_from_slice(&commands);
    out.resize(text_off + text_len, 0);
    out.extend_from_slice(&symbols);
    out.extend_from_slice(&strings);
    out
}

/// A fat file of `(cputype, cpusubtype, image)` slices, 4 KiB aligned.
pub fn fat_macho_of(slices: &[(u32, u32, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xcafe_babe_u32.to_be_bytes());
    out.extend_from_slice(&(slices.len() as u32).to_be_bytes());
    let mut offset = 4096usize;
    let mut placed = Vec::new();
    for (cputype, cpusubtype, bytes) in slices {
        for v in [*cputype, *cpusubtype, offset as u32, bytes.len() as u32, 12] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        placed.push((offset, *bytes));
        offset = (offset + bytes.len()).div_ceil(4096) * 4096;
    }
    for (offset, bytes) in placed {
        out.resize(offset, 0);
        out.extend_from_slice(bytes);
    }
    out
}

/// Runs `cmd` with stdin closed, killing it after `timeout` (the test then fails: a gate must
/// never hang). Returns the exit code and the raw stdout and stderr.
pub fn run_with_timeout(
    cmd: &mut Command,
    timeout: std::time::Duration,
) -> (i32, Vec<u8>, Vec<u8>) {
    use std::io::Read as _;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        out.read_to_end(&mut s).map(|_| s)
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        err.read_to_end(&mut s).map(|_| s)
    });
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!("did not finish within {timeout:?}: {cmd:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let stdout = out_reader.join().unwrap().unwrap();
    let stderr = err_reader.join().unwrap().unwrap();
    (status.code().expect("exited, not killed"), stdout, stderr)
}

/// Deterministic pseudo-random bytes (incompressible).
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
