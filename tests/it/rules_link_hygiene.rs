//! Link-hygiene rules on wheels built at test time: links-libpython, wrong-python-dll,
//! extra-exports, needed-not-allowed, symbol-version-too-new, forbidden-symbol.

use crate::rules_common as common;

use crate::support::*;
use cargo_abi3::audit::AuditOptions;
use cargo_abi3::rules::ExportAllow;
use cargo_abi3::{Code, Severity};
use common::*;

const LINUX: &str = "cp38-abi3-manylinux_2_17_x86_64";
const MOD: &str = "pkg/_core.abi3.so";

// ---------------------------------------------------------------------------------------
// links-libpython
// ---------------------------------------------------------------------------------------

#[test]
fn links_libpython_elf() {
    let x = ElfArch::X86_64;
    let py = &["PyInit__core"][..];
    for libpython in [
        "libpython3.11.so.1.0",
        "libpython3.so",
        "libpython3.13t.so.1.0",
    ] {
        let bad = fixture_or_skip!(elf(x, py, &["PyLong_FromLong"], &[libpython], None));
        let f = expect(LINUX, &[(MOD, &bad)], Code::LinksLibpython, 1);
        assert_eq!(f[0].symbol.as_deref(), Some(libpython));
        // The fix for every PyO3: the variable from 0.26 on, the feature before (older
        // versions ignore PYO3_BUILD_EXTENSION_MODULE).
        let help = f[0].help.as_deref().unwrap_or_default();
        assert!(
            help.contains("PYO3_BUILD_EXTENSION_MODULE=1")
                && help.contains("older PyO3")
                && help.contains("`extension-module` feature"),
            "{help}"
        );
        // Android is the documented exception.
        expect(
            "cp38-abi3-android_24_x86_64",
            &[(MOD, &bad)],
            Code::LinksLibpython,
            0,
        );
    }
    let good = fixture_or_skip!(elf(x, py, &["PyLong_FromLong"], &["libc.so.6"], None));
    expect(LINUX, &[(MOD, &good)], Code::LinksLibpython, 0);
}

#[test]
fn links_libpython_macho() {
    let mut framework = MachOSpec::new(MachArch::Arm64);
    framework.exports = vec!["PyLong_FromLong".into()];
    framework.install_name =
        Some("/Library/Frameworks/Python.framework/Versions/3.11/Python".into());
    let (framework, _) = fixture_or_skip!(build_macho_dylib_at(&framework));
    let mut spec = MachOSpec::new(MachArch::Arm64);
    spec.exports = vec!["PyInit__core".into()];
    spec.imports = vec!["PyLong_FromLong".into()];
    spec.dylibs = vec![framework];
    let bad = fixture_or_skip!(build_macho_dylib(&spec));
    let tags = "cp38-abi3-macosx_11_0_arm64";
    let f = expect(tags, &[(MOD, &bad)], Code::LinksLibpython, 1);
    assert!(f[0].message.contains("Python.framework"), "{f:?}");

    let good = fixture_or_skip!(macho(
        MachArch::Arm64,
        &["PyInit__core"],
        &["PyLong_FromLong"],
        "11.0"
    ));
    expect(tags, &[(MOD, &good)], Code::LinksLibpython, 0);
}

#[test]
fn links_libpython_is_not_for_pe() {
    let pyd = fixture_or_skip!(pe(
        PeMachine::X64,
        &["PyInit__core"],
        "python311.dll",
        false
    ));
    let members = [("pkg/_core.pyd", pyd.as_slice())];
    expect("cp38-abi3-win_amd64", &members, Code::LinksLibpython, 0);
    expect("cp38-abi3-win_amd64", &members, Code::WrongPythonDll, 1);
}

// ---------------------------------------------------------------------------------------
// wrong-python-dll
// ---------------------------------------------------------------------------------------

#[test]
fn wrong_python_dll() {
    let x = PeMachine::X64;
    let e = &["PyInit__core"][..];
    let pyd = |dll, delay| pe(x, e, dll, delay);
    let m = "pkg/_core.pyd";
    let abi3 = "cp38-abi3-win_amd64";

    let good = fixture_or_skip!(pyd("python3.dll", false));
    expect(abi3, &[(m, &good)], Code::WrongPythonDll, 0);
    let versioned = fixture_or_skip!(pyd("python311.dll", false));
    let f = expect(abi3, &[(m, &versioned)], Code::WrongPythonDll, 1);
    assert!(f[0].message.contains("python3.dll"), "{f:?}");
    let delayed = fixture_or_skip!(pyd("python311.dll", true));
    let f = expect(abi3, &[(m, &delayed)], Code::WrongPythonDll, 1);
    assert!(f[0].message.contains("delay-loaded"), "{f:?}");

    // Version-specific: the tag's DLL, or python3.dll (it forwards); another version is wrong.
    let cp311 = "cp311-cp311-win_amd64";
    let m311 = "pkg/_core.cp311-win_amd64.pyd";
    expect(cp311, &[(m311, &versioned)], Code::WrongPythonDll, 0);
    expect(cp311, &[(m311, &good)], Code::WrongPythonDll, 0);
    let other = fixture_or_skip!(pyd("python312.dll", false));
    expect(cp311, &[(m311, &other)], Code::WrongPythonDll, 1);

    // abi3t: python3t.dll (shipped by free-threaded and GIL-enabled 3.15 installs).
    let abi3t = "cp315-abi3.abi3t-win_amd64";
    let t = fixture_or_skip!(pe(x, &["PyModExport__core"], "python3t.dll", false));
    expect(abi3t, &[(m, &t)], Code::WrongPythonDll, 0);
    let not_t = fixture_or_skip!(pe(x, &["PyModExport__core"], "python3.dll", false));
    expect(abi3t, &[(m, &not_t)], Code::WrongPythonDll, 1);

    // Not for ELF or Mach-O.
    let so = fixture_or_skip!(elf_module(&["PyInit__core"]));
    expect(LINUX, &[(MOD, &so)], Code::WrongPythonDll, 0);
}

// ---------------------------------------------------------------------------------------
// extra-exports
// ---------------------------------------------------------------------------------------

#[test]
fn extra_exports_elf_groups_and_allow_list() {
    let bad = fixture_or_skip!(elf_module(&[
        "PyInit__core",
        "SSL_read",
        "EVP_sha256",
        "my_helper",
        "_init",
        "__bss_start",
    ]));
    let f = expect(LINUX, &[(MOD, &bad)], Code::ExtraExports, 1);
    assert_eq!(f[0].severity, Severity::Warning);
    assert!(f[0].message.contains("3 symbols"), "{f:?}");
    assert!(
        f[0].notes
            .iter()
            .any(|n| n.contains("OpenSSL") && n.contains("SSL_read")),
        "{f:?}"
    );
    assert!(f[0].notes.iter().any(|n| n.contains("my_helper")), "{f:?}");
    assert!(
        f[0].help
            .as_deref()
            .unwrap_or("")
            .contains("--exclude-libs,ALL")
    );

    let good = fixture_or_skip!(elf_module(&["PyInit__core", "_fini", "_edata"]));
    expect(LINUX, &[(MOD, &good)], Code::ExtraExports, 0);

    // Allowed by pattern: nothing left to report.
    let options = AuditOptions {
        allowed_exports: vec![
            ExportAllow::parse("SSL_*=shared with the plugin"),
            ExportAllow::parse("EVP_*"),
            ExportAllow::parse("my_*"),
        ],
        ..AuditOptions::default()
    };
    let members = [(MOD, bad.as_slice())];
    let f = findings_with(LINUX, &members, false, Code::ExtraExports, &options);
    // Nothing is reported; what was allowed is still listed, with the reason.
    assert!(f.iter().all(|f| f.allowed.is_some()), "{f:#?}");
    let ssl = f
        .iter()
        .find(|f| f.symbol.as_deref() == Some("SSL_*"))
        .expect("the SSL_* allowance is listed");
    let why = ssl.allowed.as_ref().unwrap();
    assert_eq!(why.reason, "shared with the plugin");
    assert_eq!(why.by, "--allow-export SSL_*");
    // Partly allowed: the note counts the allowed ones.
    let options = AuditOptions {
        allowed_exports: vec![ExportAllow::parse("SSL_*=vendored on purpose")],
        ..AuditOptions::default()
    };
    let f = findings_with(LINUX, &members, false, Code::ExtraExports, &options);
    let f: Vec<_> = f.into_iter().filter(|f| f.allowed.is_none()).collect();
    assert_eq!(f.len(), 1);
    assert!(f[0].message.contains("2 symbols"), "{f:?}");
    assert!(
        f[0].notes
            .iter()
            .any(|n| n.contains("1 more allowed") && n.contains("vendored on purpose")),
        "{f:?}"
    );

    // Vendored libraries export on purpose.
    let lib = fixture_or_skip!(elf(
        ElfArch::X86_64,
        &["SSL_read", "SSL_write"],
        &[],
        &[],
        None
    ));
    expect(
        LINUX,
        &[("pkg.libs/libssl-ab12.so.3", &lib)],
        Code::ExtraExports,
        0,
    );
}

#[test]
fn extra_exports_cli_allow_export() {
    let bad = fixture_or_skip!(elf_module(&["PyInit__core", "ffi_call"]));
    let dir = scratch_dir("cli-allow");
    let wheel = write_wheel(&dir, LINUX, &[(MOD, &bad)], false);
    let run = |extra: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-abi3"))
            .args(["audit", "--format", "json"])
            .args(extra)
            .arg(&wheel)
            .output()
            .expect("run cargo-abi3");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let json = run(&[]);
    assert!(
        json.contains("extra-exports") && json.contains("libffi"),
        "{json}"
    );
    let json = run(&["--allow-export", "ffi_*=we re-export libffi for plugins"]);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["summary"]["warnings"], 0, "{json}");
    assert_eq!(report["summary"]["allowed"], 1, "{json}");
    let allowed = report["inputs"][0]["binaries"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "extra-exports")
        .expect("the allowed finding is listed");
    assert_eq!(
        allowed["allowed"]["reason"], "we re-export libffi for plugins",
        "{json}"
    );
}

#[test]
fn extra_exports_macho_and_pe_are_info() {
    let bad = fixture_or_skip!(macho(
        MachArch::X86_64,
        &["PyInit__core", "_ZN4core3fmt5write17h"],
        &["PyLong_FromLong"],
        "10.12"
    ));
    let tags = "cp38-abi3-macosx_10_12_x86_64";
    let f = expect(tags, &[(MOD, &bad)], Code::ExtraExports, 1);
    assert_eq!(f[0].severity, Severity::Info);
    assert!(f[0].notes.iter().any(|n| n.contains("Rust")), "{f:?}");
    let good = fixture_or_skip!(macho(
        MachArch::X86_64,
        &["PyInit__core"],
        &["PyLong_FromLong"],
        "10.12"
    ));
    expect(tags, &[(MOD, &good)], Code::ExtraExports, 0);

    let bad = fixture_or_skip!(pe(
        PeMachine::X64,
        &["PyInit__core", "sqlite3_open"],
        "python3.dll",
        false
    ));
    let f = expect(
        "cp38-abi3-win_amd64",
        &[("pkg/_core.pyd", &bad)],
        Code::ExtraExports,
        1,
    );
    assert_eq!(f[0].severity, Severity::Info);
    assert!(f[0].notes.iter().any(|n| n.contains("SQLite")), "{f:?}");
    let good = fixture_or_skip!(pe(PeMachine::X64, &["PyInit__core"], "python3.dll", false));
    expect(
        "cp38-abi3-win_amd64",
        &[("pkg/_core.pyd", &good)],
        Code::ExtraExports,
        0,
    );
}

// ---------------------------------------------------------------------------------------
// needed-not-allowed
// ---------------------------------------------------------------------------------------

#[test]
fn needed_not_allowed() {
    let x = ElfArch::X86_64;
    let e = &["PyInit__core"][..];
    let i = &["PyLong_FromLong"][..];
    let bad = fixture_or_skip!(elf(
        x,
        e,
        i,
        &["libfoo.so.1", "libc.so.6", "ld-linux-x86-64.so.2"],
        None
    ));
    let f = expect(LINUX, &[(MOD, &bad)], Code::NeededNotAllowed, 1);
    assert_eq!(f[0].symbol.as_deref(), Some("libfoo.so.1"));

    // Bundled by file name, or by soname (auditwheel repair renames files).
    let lib = fixture_or_skip!(build_elf_with_lld(&ElfSpec {
        arch: x,
        soname: "libfoo.so.1".into(),
        exports: vec!["foo".into()],
        imports: vec![],
        versioned_lib: None,
        hash_style: "both",
    }));
    expect(
        LINUX,
        &[(MOD, &bad), ("pkg.libs/libfoo.so.1", &lib)],
        Code::NeededNotAllowed,
        0,
    );
    expect(
        LINUX,
        &[(MOD, &bad), ("pkg.libs/libfoo-3a4b5c.so.1", &lib)],
        Code::NeededNotAllowed,
        0,
    );

    // linux_* has no policy; non-ELF is not judged.
    expect(
        "cp38-abi3-linux_x86_64",
        &[(MOD, &bad)],
        Code::NeededNotAllowed,
        0,
    );

    // musllinux: libc.so is allowed, glibc's libc.so.6 is not.
    let musl = "cp38-abi3-musllinux_1_2_x86_64";
    let good = fixture_or_skip!(elf(x, e, i, &["libc.so"], None));
    expect(musl, &[(MOD, &good)], Code::NeededNotAllowed, 0);
    let glibc = fixture_or_skip!(elf(x, e, i, &["libc.so.6"], None));
    expect(musl, &[(MOD, &glibc)], Code::NeededNotAllowed, 1);
    expect(LINUX, &[(MOD, &glibc)], Code::NeededNotAllowed, 0);
}

// ---------------------------------------------------------------------------------------
// symbol-version-too-new
// ---------------------------------------------------------------------------------------

#[test]
fn symbol_version_too_new() {
    let x = ElfArch::X86_64;
    let e = &["PyInit__core"][..];
    let i = &["PyLong_FromLong"][..];
    let new = fixture_or_skip!(elf(
        x,
        e,
        i,
        &[],
        Some((
            "libc.so.6",
            "GLIBC_2.34",
            &["__libc_start_main", "pthread_create"]
        ))
    ));
    let f = expect(LINUX, &[(MOD, &new)], Code::SymbolVersionTooNew, 1);
    assert_eq!(f[0].symbol.as_deref(), Some("GLIBC_2.34"));
    assert!(
        f[0].notes.iter().any(|n| n.contains("pthread_create")),
        "{f:?}"
    );
    expect(
        "cp38-abi3-manylinux_2_34_x86_64",
        &[(MOD, &new)],
        Code::SymbolVersionTooNew,
        0,
    );
    // Between auditwheel's policies (2.31 < 2.34): judged by the number.
    expect(
        "cp38-abi3-manylinux_2_33_x86_64",
        &[(MOD, &new)],
        Code::SymbolVersionTooNew,
        1,
    );
    // Compressed tags: the strictest decides.
    expect(
        "cp38-abi3-manylinux_2_34_x86_64.manylinux2014_x86_64",
        &[(MOD, &new)],
        Code::SymbolVersionTooNew,
        1,
    );
    let old = fixture_or_skip!(elf(
        x,
        e,
        i,
        &[],
        Some(("libc.so.6", "GLIBC_2.17", &["memcpy"]))
    ));
    expect(LINUX, &[(MOD, &old)], Code::SymbolVersionTooNew, 0);

    let cxx = fixture_or_skip!(elf(
        x,
        e,
        i,
        &[],
        Some((
            "libstdc++.so.6",
            "GLIBCXX_3.4.30",
            &["_ZNSt6chrono3_V212system_clock3nowEv"]
        ))
    ));
    expect(
        "cp38-abi3-manylinux2014_x86_64",
        &[(MOD, &cxx)],
        Code::SymbolVersionTooNew,
        1,
    );
    expect(
        "cp38-abi3-manylinux_2_35_x86_64",
        &[(MOD, &cxx)],
        Code::SymbolVersionTooNew,
        0,
    );
    // musllinux has no symbol versions.
    expect(
        "cp38-abi3-musllinux_1_1_x86_64",
        &[(MOD, &new)],
        Code::SymbolVersionTooNew,
        0,
    );
}

// ---------------------------------------------------------------------------------------
// forbidden-symbol
// ---------------------------------------------------------------------------------------

#[test]
fn forbidden_symbol() {
    let x = ElfArch::X86_64;
    let e = &["PyInit__core"][..];
    let i = &["PyLong_FromLong"][..];
    let bad = fixture_or_skip!(elf(
        x,
        e,
        i,
        &[],
        Some((
            "libc.so.6",
            "GLIBC_2.2.5",
            &["__cxa_thread_atexit_impl", "memcpy"]
        ))
    ));
    let f = expect(
        "cp38-abi3-manylinux2010_x86_64",
        &[(MOD, &bad)],
        Code::ForbiddenSymbol,
        1,
    );
    assert_eq!(f[0].symbol.as_deref(), Some("__cxa_thread_atexit_impl"));
    expect(
        "cp38-abi3-manylinux_2_28_x86_64",
        &[(MOD, &bad)],
        Code::ForbiddenSymbol,
        0,
    );
    let good = fixture_or_skip!(elf(
        x,
        e,
        i,
        &[],
        Some(("libc.so.6", "GLIBC_2.2.5", &["memcpy"]))
    ));
    expect(
        "cp38-abi3-manylinux2010_x86_64",
        &[(MOD, &good)],
        Code::ForbiddenSymbol,
        0,
    );
}

#[test]
fn gcc_built_extension_is_clean_on_its_platform() {
    // A real gcc build with hidden visibility: only the entry point is exported and libc is
    // allowed.
    let path = fixture_or_skip!(build_c_extension(
        "_core",
        "#define Py_LIMITED_API 0x03080000\n#include <Python.h>\n\
         static PyModuleDef m = { PyModuleDef_HEAD_INIT, \"_core\", NULL, -1, NULL };\n\
         PyMODINIT_FUNC PyInit__core(void) { return PyModule_Create(&m); }\n",
        &["-fvisibility=hidden"],
    ));
    let data = std::fs::read(path).expect("read");
    let tags = format!("cp38-abi3-linux_{}", std::env::consts::ARCH);
    for code in [
        Code::ExtraExports,
        Code::LinksLibpython,
        Code::EntryPointMissing,
    ] {
        expect(&tags, &[(MOD, &data)], code, 0);
    }
}

#[test]
fn musl_libc_is_the_policys_libc() {
    let musl = fixture_or_skip!(elf(
        ElfArch::X86_64,
        &["PyInit__core"],
        &["PyLong_FromLong"],
        &["libc.musl-x86_64.so.1"],
        None
    ));
    expect(
        "cp38-abi3-musllinux_1_2_x86_64",
        &[(MOD, &musl)],
        Code::NeededNotAllowed,
        0,
    );
    // Only musllinux admits it.
    expect(LINUX, &[(MOD, &musl)], Code::NeededNotAllowed, 1);
}

/// PyQt6's modules find Qt in another distribution through `$ORIGIN/Qt6/lib`: a warning
/// (the installer must provide it), not the error of a library nobody ships.
#[test]
fn origin_relative_dependencies_on_other_distributions_are_warnings() {
    let dir = scratch_dir("origin-dep");
    let lib_src = dir.join("qtfake.c");
    std::fs::write(&lib_src, "int qt_fake_version(void) { return 6; }\n").unwrap();
    let status = std::process::Command::new("gcc")
        .args(["-shared", "-fPIC", "-Wl,-soname,libQtFake.so.6", "-o"])
        .arg(dir.join("libQtFake.so.6"))
        .arg(&lib_src)
        .status();
    skip_unless!(
        status.is_ok_and(|s| s.success()),
        "gcc cannot build the stub library"
    );
    std::os::unix::fs::symlink("libQtFake.so.6", dir.join("libQtFake.so")).unwrap();
    let body = "#include <Python.h>\nextern int qt_fake_version(void);\n\
                PyMODINIT_FUNC PyInit__core(void) { return PyLong_FromLong(qt_fake_version()); }\n";
    let rpath = "-Wl,-rpath,$ORIGIN/Qt6/lib";
    let link_dir = format!("-L{}", dir.display());
    let so = fixture_or_skip!(build_c_extension(
        "_core",
        body,
        &[&link_dir, "-lQtFake", rpath, "-Wl,--disable-new-dtags"]
    ));
    let so = std::fs::read(so).unwrap();
    let f = expect(LINUX, &[(MOD, &so)], Code::NeededNotAllowed, 1);
    assert_eq!(f[0].severity, Severity::Warning, "{f:#?}");
    assert!(
        f[0].notes.iter().any(|n| n.contains("$ORIGIN/Qt6/lib")),
        "{f:#?}"
    );
}
