//! Writes seed corpora for the fuzz targets (`fuzz/`) from the test fixtures. Ignored in
//! normal runs; `fuzz/seed.sh` runs it with `CARGO_ABI3_FUZZ_SEEDS=<fuzz/corpus>`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::support::*;
use zip::CompressionMethod::{self, Deflated, Stored};
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

const C_EXTENSION: &str = r#"
#define Py_LIMITED_API 0x03080000
#include <Python.h>
extern const char *PyType_GetName(PyObject *type);
static PyModuleDef demo_module = { PyModuleDef_HEAD_INIT, "demo", NULL, -1, NULL };
PyMODINIT_FUNC PyInit_demo(void) {
    PyType_GetName((PyObject *)0);
    return PyModule_Create(&demo_module);
}
"#;

const WHEEL: &str = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\n\
Tag: cp38-abi3-manylinux_2_17_x86_64\nTag: cp38-abi3-manylinux2014_x86_64\n";
const METADATA: &str = "Metadata-Version: 2.3\nName: pkg\nVersion: 1.0\n\
Requires-Python: >=3.8\n\nLong description\n";

fn write(dir: &Path, target: &str, name: &str, data: &[u8]) {
    let dir = dir.join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), data).unwrap();
}

fn zip(entries: &[(&str, &[u8], CompressionMethod)]) -> Vec<u8> {
    let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data, method) in entries {
        zip.start_file(
            *name,
            SimpleFileOptions::default().compression_method(*method),
        )
        .unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// Real binaries of every format the fixtures can build (skipping what the machine lacks).
fn binaries() -> Vec<(String, &'static str, Vec<u8>)> {
    let mut out = Vec::new();
    match build_c_extension("seed", C_EXTENSION, &[]) {
        Ok(path) => out.push(("gcc-x86_64.so".into(), "elf", std::fs::read(path).unwrap())),
        Err(skip) => skip_optional(format_args!("gcc ELF: {skip}")),
    }
    for (arch, name) in [
        (ElfArch::I386, "i386"),
        (ElfArch::S390x, "s390x"),
        (ElfArch::Ppc, "ppc"),
        (ElfArch::Aarch64, "aarch64"),
    ] {
        let spec = ElfSpec {
            arch,
            soname: "ext.so".into(),
            exports: vec!["PyInit_ext".into()],
            imports: vec!["PyType_GetName".into()],
            versioned_lib: Some((
                "libstub.so.6".into(),
                "STUB_2.17".into(),
                vec!["stub_a".into()],
            )),
            hash_style: if arch == ElfArch::I386 { "sysv" } else { "gnu" },
        };
        match build_elf_with_lld(&spec) {
            Ok(data) => out.push((format!("lld-{name}.so"), "elf", data)),
            Err(skip) => skip_optional(format_args!("lld ELF: {skip}")),
        }
    }
    for (machine, name) in [
        (PeMachine::X64, "x64"),
        (PeMachine::X86, "x86"),
        (PeMachine::Arm64, "arm64"),
    ] {
        let spec = PeSpec::new(machine)
            .export("PyInit_demo")
            .dll("python3.dll", &["PyType_GetName"], false)
            .ordinal("python3.dll", "PyByOrdinal", 123)
            .dll("delayed.dll", &["DelayedFunc"], true);
        match build_pe_extension(&spec) {
            Ok(data) => out.push((format!("{name}.pyd"), "pe", data)),
            Err(skip) => skip_optional(format_args!("PE: {skip}")),
        }
    }
    let mut thin = Vec::new();
    for (arch, name, chained) in [
        (MachArch::Arm64, "arm64", Some(true)),
        (MachArch::X86_64, "x86_64", Some(false)),
    ] {
        let mut spec = MachOSpec::new(arch);
        spec.exports = vec!["PyInit_demo".into()];
        spec.imports = vec!["PyType_GetName".into()];
        spec.rpaths = vec!["@loader_path/../lib".into()];
        spec.chained_fixups = chained;
        match build_macho_dylib(&spec) {
            Ok(data) => {
                out.push((format!("{name}.dylib"), "macho", data.clone()));
                thin.push((arch, data));
            }
            Err(skip) => skip_optional(format_args!("Mach-O: {skip}")),
        }
    }
    if thin.len() == 2 {
        let slices: Vec<(MachArch, &[u8])> = thin.iter().map(|(a, d)| (*a, &d[..])).collect();
        out.push(("fat.dylib".into(), "macho", fat_macho(&slices)));
    }
    out
}

#[test]
#[ignore = "writes fuzz seeds; run by fuzz/seed.sh"]
fn write_fuzz_seeds() {
    let Some(root) = std::env::var_os("CARGO_ABI3_FUZZ_SEEDS").map(PathBuf::from) else {
        skip_optional("set CARGO_ABI3_FUZZ_SEEDS to the corpus directory");
        return;
    };
    let binaries = binaries();
    for (name, target, data) in &binaries {
        write(&root, target, name, data);
        write(&root, "any_binary", name, data);
    }

    // Wheels: one per binary, plus the committed real-world wheel and a metadata-only one.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let real =
        manifest.join("../tests/fixtures/real/procmaps-0.5.0-cp36-abi3-manylinux2010_x86_64.whl");
    if let Ok(data) = std::fs::read(&real) {
        write(&root, "wheel_zip", "procmaps.whl", &data);
    }
    for (name, _, data) in &binaries {
        let member = format!("pkg/_core.abi3{}", &name[name.rfind('.').unwrap()..]);
        let wheel = zip(&[
            ("pkg/__init__.py", b"from ._core import *\n", Deflated),
            (&member, data, Deflated),
            ("pkg-1.0.dist-info/WHEEL", WHEEL.as_bytes(), Stored),
            ("pkg-1.0.dist-info/METADATA", METADATA.as_bytes(), Deflated),
        ]);
        write(&root, "wheel_zip", &format!("{name}.whl"), &wheel);
    }
    let meta_only = zip(&[
        ("pkg-1.0.dist-info/WHEEL", WHEEL.as_bytes(), Deflated),
        ("pkg-1.0.dist-info/METADATA", METADATA.as_bytes(), Deflated),
        ("pkg-1.0.data/purelib/pkg/x.so", b"\x7fELF", Stored),
    ]);
    write(&root, "wheel_zip", "meta-only.whl", &meta_only);

    for (i, name) in [
        "pkg-1.0-cp38-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "procmaps-0.5.0-cp36-abi3-manylinux2010_x86_64.whl",
        "pkg-1.0-1b-cp311-cp311-macosx_11_0_arm64.whl",
        "pkg-2.0-cp312-abi3-macosx_10_12_universal2.whl",
        "pkg-1.0-cp315-abi3t-win_amd64.whl",
        "pkg-1.0-cp313-cp313t-musllinux_1_2_aarch64.whl",
        "pkg-1.0-py3-none-any.whl",
        "pkg-1.0-cp39.cp310-abi3.none-win32.win_arm64.whl",
        "pkg-1.0-cp37-abi3-linux_x86_64.whl",
        "pkg-1.0-pp39-pypy39_pp73-manylinux_2_28_ppc64le.whl",
    ]
    .iter()
    .enumerate()
    {
        write(&root, "wheel_name", &format!("name-{i}"), name.as_bytes());
    }
    write(&root, "metadata", "wheel", WHEEL.as_bytes());
    write(&root, "metadata", "metadata", METADATA.as_bytes());
    for (i, spec) in [
        ">=3.8",
        ">=3.8,<4",
        "~=3.9",
        ">3.7",
        ">=2.7,!=3.0.*,!=3.1.*",
        "==3.10.*",
        "<4",
    ]
    .iter()
    .enumerate()
    {
        write(
            &root,
            "metadata",
            &format!("requires-{i}"),
            format!("Metadata-Version: 2.1\nName: x\nRequires-Python: {spec}\n").as_bytes(),
        );
    }
    for (i, name) in [
        "pkg/_core.abi3.so",
        "_x.cpython-311-x86_64-linux-gnu.so",
        "_x.cpython-313t-darwin.so",
        "_x.abi3t.so",
        "_x.cp311-win_amd64.pyd",
        "_x.pyd",
        "libfoo-ab12.so.1.2",
        "lib.dylib",
        "python3.dll",
        "_x.so",
    ]
    .iter()
    .enumerate()
    {
        write(&root, "suffix", &format!("suffix-{i}"), name.as_bytes());
    }

    // ld.so.cache files as ldconfig writes them (the machine's own is added by seed.sh).
    use crate::support::ldcache::{X86_64, ld_so_cache, shared_string_cache};
    let typical = ld_so_cache(&[
        (X86_64, "libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1"),
        (0x0003, "libz.so.1", "/lib/i386-linux-gnu/libz.so.1"),
        (0x0a03, "libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6"),
        (
            X86_64,
            "libffi.so.8",
            "/usr/lib/x86_64-linux-gnu/libffi.so.8",
        ),
        (0x0000, "libold.so.1", "/lib/libold.so.1"),
    ]);
    write(&root, "ldcache", "typical", &typical);
    write(&root, "ldcache", "empty", &ld_so_cache(&[]));
    write(
        &root,
        "ldcache",
        "shared-strings",
        &shared_string_cache(64, X86_64, 200),
    );
    // The new format after the old "ld.so-1.7.0" table (glibc before 2.32 wrote both).
    let mut compat = b"ld.so-1.7.0\0".to_vec();
    compat.extend(2u32.to_le_bytes());
    compat.extend([0u8; 24]);
    compat.extend(&typical);
    write(&root, "ldcache", "old-and-new", &compat);
}
