//! The build hook's embedded declaration on Mach-O and PE, which this Linux machine cannot build
//! as real cdylibs: the hook's generated source is compiled by this toolchain's rustc for each
//! Apple and Windows target (a `no_core` crate, since only the host's std is installed), linked
//! by the toolchain's `rust-lld` with the dead-stripping the platform linkers apply to a cdylib
//! (`ld64 -dead_strip` with an exported-symbols list, `link.exe /OPT:REF /EXPORT`, mingw
//! `--gc-sections` with a .def file), and read back by `cargo abi3 audit`.
//!
//! What this proves: LLVM accepts the section names, `#[used]` keeps the record through each
//! linker's garbage collection, the record adds no export, and the reader finds it in each
//! format. What it cannot: that Apple's ld64 and Microsoft's link.exe behave as lld does here.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;
use cargo_abi3_build_hook::declaration::{self, Declaration};
use cargo_abi3_build_hook::{AbiKind, PyVersion};
use object::{Object, ObjectSymbol};
use serde_json::Value;

/// How a target's extension is linked.
#[derive(Clone, Copy)]
enum Linker {
    /// ld64.lld, `-arch` value.
    MachO(&'static str),
    /// lld-link, `/machine:` value.
    Msvc(&'static str),
    /// ld.lld in mingw mode, `-m` emulation.
    Mingw(&'static str),
}

const TARGETS: [(&str, Linker); 6] = [
    ("x86_64-apple-darwin", Linker::MachO("x86_64")),
    ("aarch64-apple-darwin", Linker::MachO("arm64")),
    ("x86_64-pc-windows-msvc", Linker::Msvc("x64")),
    ("i686-pc-windows-msvc", Linker::Msvc("x86")),
    ("aarch64-pc-windows-msvc", Linker::Msvc("arm64")),
    ("x86_64-pc-windows-gnu", Linker::Mingw("i386pep")),
];

/// The minimum `core` a `no_core` crate needs for a static byte array and an `extern "C"`
/// function. The drop lang item was renamed (`drop_in_place` on stable 1.9x, `drop_glue` on
/// recent nightlies), so both spellings are tried.
fn prelude(drop_lang_item: &str) -> String {
    format!(
        r#"#![feature(no_core, lang_items)]
#![no_core]
#[lang = "pointee_sized"] pub trait PointeeSized {{}}
#[lang = "meta_sized"] pub trait MetaSized: PointeeSized {{}}
#[lang = "sized"] pub trait Sized: MetaSized {{}}
#[lang = "sync"] pub unsafe trait Sync {{}}
#[lang = "copy"] pub trait Copy {{}}
impl Copy for u8 {{}}
impl<T: Copy, const N: usize> Copy for [T; N] {{}}
unsafe impl Sync for u8 {{}}
unsafe impl<T: Sync, const N: usize> Sync for [T; N] {{}}
#[lang = "{drop_lang_item}"] pub unsafe fn drop_glue<T: PointeeSized>(_: *mut T) {{}}
#[unsafe(no_mangle)]
pub extern "C" fn PyInit_demo() -> u8 {{ 0 }}
"#
    )
}

fn rustc() -> String {
    std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into())
}

/// Compiles `source` for `target` to an object file; the compiler's message on failure.
fn compile(dir: &Path, target: &str, source: &str) -> Result<PathBuf, String> {
    let src = dir.join(format!("{target}.rs"));
    let obj = dir.join(format!("{target}.o"));
    std::fs::write(&src, source).unwrap();
    let out = Command::new(rustc())
        // The feature gates of a no_core crate, on whichever toolchain runs the tests.
        .env("RUSTC_BOOTSTRAP", "1")
        .args([
            "--edition",
            "2021",
            "--crate-type",
            "lib",
            "--crate-name",
            "demo",
        ])
        .args(["--target", target, "--emit=obj", "-C", "opt-level=2"])
        .args(["-C", "panic=abort", "-A", "internal_features", "-o"])
        .arg(&obj)
        .arg(&src)
        .output()
        .map_err(|e| format!("cannot run rustc: {e}"))?;
    if out.status.success() {
        Ok(obj)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Links `obj` into an extension module exporting only `PyInit_demo`.
fn link(lld: &Path, dir: &Path, target: &str, linker: Linker, obj: &Path) -> PathBuf {
    let mut cmd = Command::new(lld);
    let out = match linker {
        Linker::MachO(arch) => {
            let list = dir.join(format!("{target}.exports"));
            std::fs::write(&list, "_PyInit_demo\n").unwrap();
            let out = dir.join(format!("{target}/demo.abi3.so"));
            cmd.args(["-flavor", "darwin", "-dylib", "-arch", arch])
                .args(["-platform_version", "macos", "11.0", "11.0"])
                .args(["-dead_strip", "-undefined", "dynamic_lookup"])
                .arg("-exported_symbols_list")
                .arg(&list);
            cmd.arg("-o").arg(&out);
            out
        }
        Linker::Msvc(machine) => {
            let out = dir.join(format!("{target}/demo.pyd"));
            cmd.args(["-flavor", "link", "/dll", "/noentry", "/opt:ref"])
                .arg(format!("/machine:{machine}"))
                .arg("/export:PyInit_demo")
                .arg(format!("/out:{}", out.display()));
            out
        }
        Linker::Mingw(emulation) => {
            let def = dir.join(format!("{target}.def"));
            std::fs::write(&def, "EXPORTS\n    PyInit_demo\n").unwrap();
            let out = dir.join(format!("{target}/demo.pyd"));
            cmd.args([
                "-flavor",
                "gnu",
                "-m",
                emulation,
                "--shared",
                "--gc-sections",
            ])
            .arg("--entry=")
            .arg(&def)
            .arg("-o")
            .arg(&out);
            out
        }
    };
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let run = cmd.arg(obj).output().expect("run rust-lld");
    assert!(
        run.status.success(),
        "{target}: rust-lld failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    out
}

fn exports(bytes: &[u8]) -> Vec<String> {
    let file = object::File::parse(bytes).expect("parse the linked module");
    let mut names: Vec<String> = file
        .exports()
        .expect("export table")
        .map(|e| match e.expect("export entry").name() {
            object::NameOrOrdinal::Name(n) => String::from_utf8_lossy(n).into_owned(),
            object::NameOrOrdinal::Ordinal(o) => format!("#{o}"),
        })
        .collect();
    names.sort();
    names
}

fn audit_json(path: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-abi3"))
        .args(["audit", "--format", "json"])
        .arg(path)
        .output()
        .expect("run cargo-abi3");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: not JSON ({e}): {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn declaration_survives_macho_and_pe_linkers_and_is_read_back() {
    let lld = fixture_or_skip!(rust_lld());
    let mut want = Declaration::new(AbiKind::Abi3, Some(PyVersion::new(3, 9)));
    want.module = Some("demo".into());
    want.tool = Some("test".into());
    let record = want.to_rust_source().unwrap();
    let dir = scratch_dir("declaration-formats");

    // Pick the prelude this toolchain accepts, on the first target.
    let mut failures = Vec::new();
    let Some(prelude) = ["drop_in_place", "drop_glue"]
        .into_iter()
        .map(prelude)
        .find(|p| {
            compile(&dir, TARGETS[0].0, p)
                .map_err(|e| failures.push(e))
                .is_ok()
        })
    else {
        crate::support::skip_optional(format_args!(
            "this rustc compiles no `no_core` prelude we know:\n{}",
            failures.join("\n")
        ));
        return;
    };

    for (target, linker) in TARGETS {
        let obj = compile(&dir, target, &format!("{prelude}{record}"))
            .unwrap_or_else(|e| panic!("{target}: the hook's declaration does not compile:\n{e}"));
        let module = link(&lld, &dir, target, linker, &obj);
        let bytes = std::fs::read(&module).unwrap();

        assert_eq!(
            declaration::find_all(&bytes),
            std::slice::from_ref(&want),
            "{target}: the record must survive dead-stripping"
        );
        let symbol_prefix = if matches!(linker, Linker::MachO(_)) {
            "_"
        } else {
            ""
        };
        assert_eq!(
            exports(&bytes),
            [format!("{symbol_prefix}PyInit_demo")],
            "{target}: the declaration must not add an export"
        );
        // The section the hook names is where the record landed.
        let file = object::File::parse(&*bytes).unwrap();
        let section = match linker {
            Linker::MachO(_) => "__cargo_abi3",
            _ => declaration::PE_SECTION,
        };
        assert!(
            object::Object::section_by_name(&file, section).is_some(),
            "{target}: no {section} section"
        );
        // Mach-O's symbol table is what flat-namespace lookups search; a PE image's COFF
        // symbol table (mingw keeps one) is debug data the loader never reads.
        if matches!(linker, Linker::MachO(_)) {
            assert!(
                file.symbols()
                    .all(|s| !s.is_global() || !s.name().unwrap_or("").contains("CARGO_ABI3")),
                "{target}: the declaration symbol must not be global in the module"
            );
        }

        let json = audit_json(&module);
        let input = &json["inputs"][0];
        assert_eq!(
            input["claim_source"]["kind"], "declaration",
            "{target}: {json:#}"
        );
        assert_eq!(input["claimed_floor"], "3.9", "{target}: {json:#}");
    }
}
