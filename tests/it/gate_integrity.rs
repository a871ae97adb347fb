//! Gate integrity, end to end through the CLI: imports the gate must not miss (versioned
//! interpreter imports, every symbol of big-endian s390x modules), real wheels it must
//! read, and hostile headers it must refuse within a bounded amount of memory.

use crate::support;

use std::process::Command;

use crate::support::elf::{dynamic_head, put};
use crate::support::*;
use serde_json::Value;

/// Runs `cargo abi3 audit --format json ARGS…`: (exit code, report).
fn audit_json(args: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-abi3"))
        .args(["audit", "--format", "json"])
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run cargo-abi3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "invalid JSON ({e}):\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exit code"), json)
}

/// Every finding of a report as (code, symbol, message).
fn findings(json: &Value) -> Vec<(String, Option<String>, String)> {
    let mut all = Vec::new();
    for input in json["inputs"].as_array().into_iter().flatten() {
        let binaries = input["binaries"].as_array().into_iter().flatten();
        let lists = std::iter::once(&input["findings"]).chain(binaries.map(|b| &b["findings"]));
        for f in lists.flat_map(|l| l.as_array().into_iter().flatten()) {
            all.push((
                f["code"].as_str().unwrap_or_default().to_owned(),
                f["symbol"].as_str().map(str::to_owned),
                f["message"].as_str().unwrap_or_default().to_owned(),
            ));
        }
    }
    all
}

// ---------------------------------------------------------------------------------------
// Versioned interpreter imports
// ---------------------------------------------------------------------------------------

/// A module whose reference to `PyUnicode_AsUTF8AndSize` (3.10) carries the symbol version
/// `GLIBC_2.2.5`: `.symver` names it, and a stub `libc.so.6` whose version script defines
/// `GLIBC_2.2.5` lets GNU ld record the Verneed entry. At run time the real libc provides
/// the version and glibc binds the reference to libpython's unversioned definition.
fn versioned_import_module() -> Result<std::path::PathBuf, Skip> {
    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        return Err(Skip("GLIBC_2.2.5 is the x86_64 glibc base version".into()));
    }
    let dir = scratch_dir("versioned-import");
    let map = dir.join("stub.map");
    std::fs::write(
        &map,
        "GLIBC_2.2.5 { global: PyUnicode_AsUTF8AndSize; local: *; };\n",
    )
    .expect("write version script");
    let stub = build_c_extension(
        "libc_stub",
        "void PyUnicode_AsUTF8AndSize(void) {}\n",
        &[
            "-nostdlib",
            "-Wl,-soname,libc.so.6",
            &format!("-Wl,--version-script={}", map.display()),
        ],
    )?;
    let source = "#define Py_LIMITED_API 0x03060000\n\
        #include <Python.h>\n\
        extern const char *PyUnicode_AsUTF8AndSize(PyObject *, Py_ssize_t *);\n\
        __asm__(\".symver PyUnicode_AsUTF8AndSize, PyUnicode_AsUTF8AndSize@GLIBC_2.2.5\");\n\
        static PyObject *utf8_len(PyObject *self, PyObject *arg) {\n\
            Py_ssize_t n; const char *p = PyUnicode_AsUTF8AndSize(arg, &n);\n\
            return p ? PyLong_FromSsize_t(n) : NULL;\n\
        }\n\
        static PyMethodDef methods[] = {{\"utf8_len\", utf8_len, METH_O, NULL}, {NULL}};\n\
        static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, \"verdemo\", NULL, -1, methods};\n\
        PyMODINIT_FUNC PyInit_verdemo(void) { return PyModule_Create(&def); }\n";
    let so = build_c_extension("verdemo", source, &[stub.to_str().expect("utf-8 path")])?;
    let module = so.with_file_name("verdemo.abi3.so");
    std::fs::rename(&so, &module).expect("rename module");
    Ok(module)
}

#[test]
fn versioned_interpreter_import_is_judged_like_an_unversioned_one() {
    let module = fixture_or_skip!(versioned_import_module());
    let data = std::fs::read(&module).expect("read module");
    let binary = &cargo_abi3::binary::read(&data).expect("read")[0];
    let import = binary
        .imports
        .iter()
        .find(|i| i.name == "PyUnicode_AsUTF8AndSize")
        .expect("import read");
    assert_eq!(import.version.as_deref(), Some("GLIBC_2.2.5"), "{import:?}");
    assert_eq!(import.library.as_deref(), Some("libc.so.6"), "{import:?}");

    // The loader really binds it: the module imports and calls it.
    let dir = module.parent().expect("dir").to_str().expect("utf-8");
    if let Ok(out) = Command::new("python3")
        .args([
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); import verdemo; print(verdemo.utf8_len('h\u{e9}llo'))",
            dir,
        ])
        .output()
    {
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "6",
            "the versioned reference did not bind to libpython: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let path = module.to_str().expect("utf-8 path");
    let (code, json) = audit_json(&["--assume-minimum", "3.6", path]);
    assert_eq!(code, 1, "{json:#}");
    let all = findings(&json);
    assert!(
        all.iter()
            .any(|(c, s, _)| c == "newer-than-floor"
                && s.as_deref() == Some("PyUnicode_AsUTF8AndSize")),
        "{all:#?}"
    );
    // At its own floor it passes.
    let (code, json) = audit_json(&["--assume-minimum", "3.10", path]);
    assert_eq!(code, 0, "{json:#}");
}

// ---------------------------------------------------------------------------------------
// Messages that name the limit
// ---------------------------------------------------------------------------------------

#[test]
fn fat_header_with_a_million_slices_names_the_limit() {
    let dir = scratch_dir("fat-million");
    let mut fat = vec![0xca, 0xfe, 0xba, 0xbe];
    fat.extend_from_slice(&1_000_000u32.to_be_bytes());
    fat.resize(4096, 0);
    let fat_path = dir.join("_fat.abi3.so");
    std::fs::write(&fat_path, &fat).expect("write");
    // A Java class file (Java 21, 65.0) shares the magic and is still not a binary.
    let class_path = dir.join("_java.abi3.so");
    std::fs::write(&class_path, [0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 65, 0, 0]).expect("write");

    for (path, needle) in [
        (
            &fat_path,
            "fat Mach-O header lists 1000000 architectures, more than the limit of 32",
        ),
        (&class_path, "not an ELF, Mach-O or PE file"),
    ] {
        let (code, json) = audit_json(&[path.to_str().expect("utf-8")]);
        assert_eq!(code, 2, "{json:#}");
        let all = findings(&json);
        assert!(
            all.iter()
                .any(|(c, _, m)| c == "unreadable-input" && m.contains(needle)),
            "{needle}: {all:#?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// A real big-endian s390x wheel
// ---------------------------------------------------------------------------------------

const NH3_S390X: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/real/nh3-0.3.8-cp39-abi3-manylinux2014_s390x.manylinux_2_17_s390x.whl"
);

/// `readelf --dyn-syms -W` of `path`: (entries, undefined named globals, defined named
/// globals of default or protected visibility).
fn readelf_dyn_syms(path: &std::path::Path) -> Option<(usize, usize, usize)> {
    let out = Command::new("readelf")
        .args(["--dyn-syms", "-W"])
        .arg(path)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let entries = text.lines().find_map(|l| {
        l.split(" contains ")
            .nth(1)?
            .split(' ')
            .next()?
            .parse()
            .ok()
    })?;
    let (mut undefined, mut defined) = (0, 0);
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        // Num: Value Size Type Bind Vis Ndx Name
        if f.len() < 8 || !f[0].ends_with(':') || f[4] == "LOCAL" {
            continue;
        }
        if f[6] == "UND" {
            undefined += 1;
        } else if f[5] == "DEFAULT" || f[5] == "PROTECTED" {
            defined += 1;
        }
    }
    Some((entries, undefined, defined))
}

#[test]
fn real_s390x_wheel_is_read_whole() {
    use std::io::Read;
    let (code, json) = audit_json(&[NH3_S390X]);
    assert_eq!(code, 0, "{json:#}");
    let binaries = json["inputs"][0]["binaries"].as_array().expect("binaries");
    assert_eq!(binaries.len(), 1, "{json:#}");
    assert_eq!(binaries[0]["arch"], "s390x");
    assert_eq!(binaries[0]["computed_floor"], "3.9", "{json:#}");

    // Every dynamic symbol is read: as many as readelf lists.
    let mut zip = zip::ZipArchive::new(std::fs::File::open(NH3_S390X).expect("open")).expect("zip");
    let mut data = Vec::new();
    zip.by_name("nh3/nh3.abi3.so")
        .expect("member")
        .read_to_end(&mut data)
        .expect("inflate");
    let b = &cargo_abi3::binary::read(&data).expect("read")[0];
    assert_eq!((b.imports.len(), b.exports.len()), (138, 1));
    let dir = scratch_dir("nh3-s390x");
    let so = dir.join("nh3.abi3.so");
    std::fs::write(&so, &data).expect("write");
    match readelf_dyn_syms(&so) {
        Some((entries, undefined, defined)) => {
            assert_eq!(entries, 141);
            assert_eq!((undefined, defined), (b.imports.len(), b.exports.len()));
        }
        None => skip("readelf not available for the cross-check"),
    }
}

// ---------------------------------------------------------------------------------------
// A real old-ld64 Mach-O
// ---------------------------------------------------------------------------------------

/// cryptography 2.2's `_padding.abi3.so` (fat i386 + x86_64, 2018): its i386 stub slice's
/// empty export trie made the whole file unreadable.
#[test]
fn old_ld64_fat_macho_is_audited() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/real/cryptography-2.2-macosx_10_6_intel-_padding.abi3.so"
    );
    let (code, json) = audit_json(&["--assume-minimum", "3.4", path]);
    let all = findings(&json);
    assert!(
        !all.iter().any(|(c, _, _)| c == "unreadable-input"),
        "{all:#?}"
    );
    assert_eq!(code, 0, "{json:#}");
    let arches: Vec<&str> = json["inputs"][0]["binaries"]
        .as_array()
        .expect("binaries")
        .iter()
        .map(|b| b["arch"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(arches, ["i686", "x86_64"]);
}

// ---------------------------------------------------------------------------------------
// Memory: headers claiming huge sizes
// ---------------------------------------------------------------------------------------

/// The bound every hostile input must stay under, in KiB.
const RSS_LIMIT_KIB: u64 = 100 * 1024;

/// Audits `wheel` under python3's getrusage: asserts the peak RSS is under 100 MB and
/// returns the exit code and report.
fn audit_within_memory(wheel: &std::path::Path) -> Option<(i32, Value)> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-abi3"));
    cmd.args(["audit", "--format", "json"]).arg(wheel);
    let (rss, code, stdout) = match support::rss::peak_rss_kib(&cmd) {
        Ok(measured) => measured,
        Err(why) => {
            skip(why);
            return None;
        }
    };
    eprintln!("{}: peak RSS {rss} KiB, exit {code}", wheel.display());
    assert!(
        rss < RSS_LIMIT_KIB,
        "{}: peak RSS {rss} KiB, over {RSS_LIMIT_KIB} KiB",
        wheel.display()
    );
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    Some((code, json))
}

/// A wheel whose member is `head` padded to `size` bytes is refused as `unreadable-input`
/// with `message`, within the memory bound.
fn assert_bomb_refused(
    dir: &std::path::Path,
    wheel: &str,
    member: &str,
    head: &[u8],
    size: u64,
    message: &str,
) {
    let wheel = fixture_or_skip!(support::rss::padded_wheel(dir, wheel, member, head, size));
    if let Some((code, json)) = audit_within_memory(&wheel) {
        assert_eq!(code, 2, "{json:#}");
        let all = findings(&json);
        assert!(
            all.iter()
                .any(|(c, _, m)| c == "unreadable-input" && m.contains(message)),
            "{all:#?}"
        );
    }
}

#[test]
fn elf_claiming_a_1_gib_dynamic_section_stays_under_100_mb() {
    const GIB: u64 = 1 << 30;
    let dir = scratch_dir("rss-elf");
    // The PT_DYNAMIC the brief describes: 1 GiB claimed, DT_NULL first (the loader stops
    // there, and so does the reader).
    let head = dynamic_head(GIB, GIB - 0x2000);
    let wheel = fixture_or_skip!(support::rss::padded_wheel(
        &dir,
        "bomb-0.1-cp39-abi3-manylinux_2_17_x86_64.whl",
        "bomb/_dyn.abi3.so",
        &head,
        GIB,
    ));
    assert!(std::fs::metadata(&wheel).expect("wheel").len() < 2 << 20);
    let Some((code, json)) = audit_within_memory(&wheel) else {
        return;
    };
    assert!(code == 0 || code == 1, "{json:#}");
    assert_eq!(
        json["inputs"][0]["binaries"].as_array().map(Vec::len),
        Some(1)
    );

    // No DT_NULL among the first 65536 entries (of 16 Mi claimed): refused, by name.
    let size = 256 << 20;
    let mut head = dynamic_head(size, size - 0x2000);
    for i in 0..65537 {
        put(&mut head, 0x1000 + i * 16, &21u64.to_le_bytes()); // DT_DEBUG
    }
    let wheel = fixture_or_skip!(support::rss::padded_wheel(
        &dir,
        "bomb2-0.1-cp39-abi3-manylinux_2_17_x86_64.whl",
        "bomb2/_dyn.abi3.so",
        &head,
        size,
    ));
    let Some((code, json)) = audit_within_memory(&wheel) else {
        return;
    };
    assert_eq!(code, 2, "{json:#}");
    let all = findings(&json);
    assert!(
        all.iter().any(|(c, _, m)| c == "unreadable-input"
            && m.contains(
                "PT_DYNAMIC holds 16776704 entries and no DT_NULL among the first 65536, the limit"
            )),
        "{all:#?}"
    );
}

#[test]
fn macho_and_pe_claiming_huge_tables_stay_under_100_mb() {
    const SIZE: u64 = 256 << 20;
    let dir = scratch_dir("rss-macho-pe");

    // Mach-O: LC_SYMTAB claiming 16 Mi symbols (256 MiB) and 256 MiB of strings.
    let mut macho = Vec::new();
    put(&mut macho, 0, &0xfeed_facf_u32.to_le_bytes());
    put(&mut macho, 4, &0x0100_0007_u32.to_le_bytes());
    put(&mut macho, 8, &3u32.to_le_bytes());
    put(&mut macho, 12, &6u32.to_le_bytes()); // MH_DYLIB
    put(&mut macho, 16, &1u32.to_le_bytes()); // ncmds
    put(&mut macho, 20, &24u32.to_le_bytes()); // sizeofcmds
    put(&mut macho, 24, &0x85u32.to_le_bytes());
    for (i, v) in [
        2u32,
        24,
        4096,
        (SIZE / 16) as u32,
        4096,
        (SIZE - 8192) as u32,
    ]
    .into_iter()
    .enumerate()
    {
        put(&mut macho, 32 + i * 4, &v.to_le_bytes());
    }
    macho.resize(4096, 0);
    assert_bomb_refused(
        &dir,
        "bombm-0.1-cp39-abi3-macosx_11_0_x86_64.whl",
        "bombm/_m.abi3.so",
        &macho,
        SIZE,
        "LC_SYMTAB lists 16777216 symbols, more than the limit",
    );

    // PE: one section of 256 MiB holding the import directory (empty) and an export
    // directory claiming 2^30 names.
    let mut pe = Vec::new();
    put(&mut pe, 0, b"MZ");
    put(&mut pe, 0x3c, &0x40u32.to_le_bytes());
    put(&mut pe, 0x40, b"PE\0\0");
    put(&mut pe, 0x44, &0x8664u16.to_le_bytes());
    put(&mut pe, 0x46, &1u16.to_le_bytes()); // sections
    put(&mut pe, 0x54, &240u16.to_le_bytes()); // optional header size
    put(&mut pe, 0x56, &0x2022u16.to_le_bytes());
    let optional = 0x58;
    put(&mut pe, optional, &0x20bu16.to_le_bytes());
    put(&mut pe, optional + 108, &16u32.to_le_bytes());
    put(&mut pe, optional + 112, &0x2000u32.to_le_bytes()); // export
    put(&mut pe, optional + 116, &40u32.to_le_bytes());
    put(&mut pe, optional + 120, &0x1000u32.to_le_bytes()); // import
    put(&mut pe, optional + 124, &20u32.to_le_bytes());
    let section = optional + 240;
    put(&mut pe, section, b".rdata\0\0");
    let span = (SIZE - 0x1000) as u32;
    for (i, v) in [span, 0x1000, span, 0x1000].into_iter().enumerate() {
        put(&mut pe, section + 8 + i * 4, &v.to_le_bytes());
    }
    put(&mut pe, 0x2000 + 24, &0x4000_0000u32.to_le_bytes()); // NumberOfNames
    put(&mut pe, 0x2000 + 32, &0x3000u32.to_le_bytes()); // AddressOfNames
    pe.resize(0x4000, 0);
    assert_bomb_refused(
        &dir,
        "bombp-0.1-cp39-abi3-win_amd64.whl",
        "bombp/_p.pyd",
        &pe,
        SIZE,
        "lists 1073741824 names, more than the limit",
    );
}

// ---------------------------------------------------------------------------------------
// Architectures named as the platform tags name them
// ---------------------------------------------------------------------------------------

/// A `macosx_10_5_fat` wheel (i386 + ppc): both slices match the tag; a ppc slice used to
/// be an unknown architecture, and the wheel an `arch-mismatch`.
#[test]
fn fat_i386_ppc_wheel_matches_its_tag() {
    let image = |big_endian: bool, cputype: u32| {
        macho32_dylib(
            big_endian,
            cputype,
            "_demo.abi3.so",
            &["PyInit__demo"],
            &[("PyLong_FromLong", 0xfe)],
            &["/usr/lib/libSystem.B.dylib"],
        )
    };
    let (i386, ppc) = (image(false, 7), image(true, 18));
    let fat = fat_macho_of(&[(7, 3, &i386), (18, 0, &ppc)]);
    let dir = scratch_dir("fat-ppc");
    let wheel = support::wheel::WheelBuilder::new("demo-0.1-cp39-abi3-macosx_10_5_fat.whl")
        .member("_demo.abi3.so", fat)
        .write(&dir);
    let (code, json) = audit_json(&[wheel.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{json:#}");
    let arches: Vec<&str> = json["inputs"][0]["binaries"]
        .as_array()
        .expect("binaries")
        .iter()
        .map(|b| b["arch"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(arches, ["i686", "ppc"]);
    let all = findings(&json);
    assert!(
        all.iter().all(|(c, _, _)| c == "computed-floor"),
        "{all:#?}"
    );
}
