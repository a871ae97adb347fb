//! Names, platform and abi3t rules on wheels built at test time: entry-point-missing,
//! modexport-needs-newer-floor, suffix-tag-mismatch, so-in-purelib, macos-minos-above-tag,
//! arch-mismatch, missing-universal2-slice, abi3t-floor, abi3t-needs-modexport,
//! abi3t-unusable-api; and the registry.

use crate::rules_common as common;

use crate::support::*;
use cargo_abi3::Code;
use cargo_abi3::audit::AuditOptions;
use common::*;

const LINUX: &str = "cp38-abi3-manylinux_2_17_x86_64";
const MAC: &str = "cp38-abi3-macosx_11_0_arm64";
const WIN: &str = "cp38-abi3-win_amd64";

// ---------------------------------------------------------------------------------------
// entry-point-missing
// ---------------------------------------------------------------------------------------

#[test]
fn entry_point_missing_all_formats() {
    let m = "pkg/_core.abi3.so";
    let bad = fixture_or_skip!(elf_module(&["PyInit_other"]));
    let f = expect(LINUX, &[(m, &bad)], Code::EntryPointMissing, 1);
    assert!(f[0].message.contains("PyInit__core"), "{f:?}");
    assert!(
        f[0].notes.iter().any(|n| n.contains("PyInit_other")),
        "{f:?}"
    );
    let good = fixture_or_skip!(elf_module(&["PyInit__core"]));
    expect(LINUX, &[(m, &good)], Code::EntryPointMissing, 0);
    let modexport = fixture_or_skip!(elf_module(&["PyModExport__core"]));
    expect(
        "cp315-abi3-manylinux_2_17_x86_64",
        &[(m, &modexport)],
        Code::EntryPointMissing,
        0,
    );
    // Vendored libraries are not modules.
    expect(
        LINUX,
        &[("pkg.libs/libfoo.so.1", &bad), ("pkg/.dylibs/x.so", &bad)],
        Code::EntryPointMissing,
        0,
    );
    // Nor are ctypes/cffi libraries named to match the tag (pycryptodome's `_raw.abi3.so`):
    // they import nothing from the interpreter and export no entry point.
    let ctypes_lib = fixture_or_skip!(elf(
        ElfArch::X86_64,
        &["raw_encrypt"],
        &["memcpy"],
        &[],
        None
    ));
    expect(
        LINUX,
        &[("pkg/_raw.abi3.so", &ctypes_lib)],
        Code::EntryPointMissing,
        0,
    );

    let bad = fixture_or_skip!(macho(
        MachArch::Arm64,
        &["PyInit_other"],
        &["PyLong_FromLong"],
        "11.0"
    ));
    expect(MAC, &[(m, &bad)], Code::EntryPointMissing, 1);
    let good = fixture_or_skip!(macho(
        MachArch::Arm64,
        &["PyInit__core"],
        &["PyLong_FromLong"],
        "11.0"
    ));
    expect(MAC, &[(m, &good)], Code::EntryPointMissing, 0);

    let bad = fixture_or_skip!(pe(PeMachine::X64, &["PyInit_other"], "python3.dll", false));
    expect(WIN, &[("pkg/_core.pyd", &bad)], Code::EntryPointMissing, 1);
    let good = fixture_or_skip!(pe(PeMachine::X64, &["PyInit__core"], "python3.dll", false));
    expect(WIN, &[("pkg/_core.pyd", &good)], Code::EntryPointMissing, 0);
}

#[test]
fn entry_point_of_non_ascii_module_uses_punycode() {
    let m = "pkg/café.abi3.so";
    let good = fixture_or_skip!(elf_module(&["PyInitU_caf_dma"]));
    expect(LINUX, &[(m, &good)], Code::EntryPointMissing, 0);
    let good = fixture_or_skip!(elf_module(&["PyModExportU_caf_dma"]));
    expect(
        "cp315-abi3-manylinux_2_17_x86_64",
        &[(m, &good)],
        Code::EntryPointMissing,
        0,
    );
    let bad = fixture_or_skip!(elf_module(&["PyInit_café"]));
    let f = expect(LINUX, &[(m, &bad)], Code::EntryPointMissing, 1);
    assert!(f[0].message.contains("PyInitU_caf_dma"), "{f:?}");
}

// ---------------------------------------------------------------------------------------
// modexport-needs-newer-floor
// ---------------------------------------------------------------------------------------

#[test]
fn modexport_needs_newer_floor() {
    let m = "pkg/_core.abi3.so";
    let only = fixture_or_skip!(elf_module(&["PyModExport__core"]));
    let f = expect(LINUX, &[(m, &only)], Code::ModexportNeedsNewerFloor, 1);
    assert_eq!(f[0].symbol.as_deref(), Some("PyModExport__core"));
    expect(
        "cp315-abi3-manylinux_2_17_x86_64",
        &[(m, &only)],
        Code::ModexportNeedsNewerFloor,
        0,
    );
    let both = fixture_or_skip!(elf_module(&["PyModExport__core", "PyInit__core"]));
    expect(LINUX, &[(m, &both)], Code::ModexportNeedsNewerFloor, 0);

    let only = fixture_or_skip!(macho(
        MachArch::Arm64,
        &["PyModExport__core"],
        &["PyLong_FromLong"],
        "11.0"
    ));
    expect(MAC, &[(m, &only)], Code::ModexportNeedsNewerFloor, 1);
    let only = fixture_or_skip!(pe(
        PeMachine::X64,
        &["PyModExport__core"],
        "python3.dll",
        false
    ));
    expect(
        WIN,
        &[("pkg/_core.pyd", &only)],
        Code::ModexportNeedsNewerFloor,
        1,
    );
    let both = fixture_or_skip!(pe(
        PeMachine::X64,
        &["PyModExport__core", "PyInit__core"],
        "python3.dll",
        false
    ));
    expect(
        WIN,
        &[("pkg/_core.pyd", &both)],
        Code::ModexportNeedsNewerFloor,
        0,
    );
}

// ---------------------------------------------------------------------------------------
// suffix-tag-mismatch
// ---------------------------------------------------------------------------------------

#[test]
fn suffix_tag_mismatch() {
    let so = fixture_or_skip!(elf_module(&["PyInit__core"]));
    let so = so.as_slice();
    let cases: &[(&str, &str, usize)] = &[
        (LINUX, "pkg/_core.abi3.so", 0),
        (LINUX, "pkg/_core.so", 0),
        (LINUX, "pkg/_core.cpython-311-x86_64-linux-gnu.so", 1),
        (LINUX, "pkg/_core.abi3-x86_64-linux-gnu.so", 1),
        (
            "cp315-abi3-manylinux_2_17_x86_64",
            "pkg/_core.abi3-x86_64-linux-gnu.so",
            0,
        ),
        (LINUX, "pkg/_core.abi3t.so", 1),
        (LINUX, "pkg/_core.abi3t-x86_64.so", 1),
        ("cp315-abi3t-manylinux_2_17_x86_64", "pkg/_core.abi3t.so", 0),
        (
            "cp315-abi3.abi3t-manylinux_2_17_x86_64",
            "pkg/_core.abi3t.so",
            0,
        ),
        (
            "cp315-abi3.abi3t-manylinux_2_17_x86_64",
            "pkg/_core.abi3.so",
            1,
        ),
        // CPython imports .abi3.so on every GIL-enabled version …
        ("cp311-cp311-manylinux_2_17_x86_64", "pkg/_core.abi3.so", 0),
        (
            "cp311-cp311-manylinux_2_17_x86_64",
            "pkg/_core.cpython-311-x86_64-linux-gnu.so",
            0,
        ),
        (
            "cp311-cp311-manylinux_2_17_x86_64",
            "pkg/_core.cpython-312-x86_64-linux-gnu.so",
            1,
        ),
        // … but free-threaded builds do not.
        ("cp313-cp313t-manylinux_2_17_x86_64", "pkg/_core.abi3.so", 1),
        (
            "cp313-cp313t-manylinux_2_17_x86_64",
            "pkg/_core.cpython-313t-x86_64-linux-gnu.so",
            0,
        ),
        // Vendored libraries are not judged.
        (LINUX, "pkg.libs/libfoo.so.1.1.so", 0),
    ];
    for &(tags, member, n) in cases {
        expect(tags, &[(member, so)], Code::SuffixTagMismatch, n);
    }

    let pyd = fixture_or_skip!(pe(PeMachine::X64, &["PyInit__core"], "python3.dll", false));
    expect(WIN, &[("pkg/_core.pyd", &pyd)], Code::SuffixTagMismatch, 0);
    expect(
        WIN,
        &[("pkg/_core.cp311-win_amd64.pyd", &pyd)],
        Code::SuffixTagMismatch,
        1,
    );

    let dylib = fixture_or_skip!(macho(
        MachArch::Arm64,
        &["PyInit__core"],
        &["PyLong_FromLong"],
        "11.0"
    ));
    expect(
        MAC,
        &[("pkg/_core.abi3.so", &dylib)],
        Code::SuffixTagMismatch,
        0,
    );
    expect(
        MAC,
        &[("pkg/_core.cpython-311-darwin.so", &dylib)],
        Code::SuffixTagMismatch,
        1,
    );
}

// ---------------------------------------------------------------------------------------
// so-in-purelib
// ---------------------------------------------------------------------------------------

#[test]
fn so_in_purelib() {
    let so = fixture_or_skip!(elf_module(&["PyInit__core"]));
    let members = [("pkg/_core.abi3.so", so.as_slice())];
    let o = AuditOptions::default();
    assert_eq!(
        findings_with(LINUX, &members, true, Code::SoInPurelib, &o).len(),
        1
    );
    assert_eq!(
        findings_with(LINUX, &members, false, Code::SoInPurelib, &o).len(),
        0
    );
    let data = [("pkg-1.0.data/purelib/pkg/_core.abi3.so", so.as_slice())];
    let f = findings_with(LINUX, &data, false, Code::SoInPurelib, &o);
    assert_eq!(f.len(), 1);
    assert!(
        f[0].notes.iter().any(|n| n.contains(".data/purelib")),
        "{f:?}"
    );
    let platlib = [("pkg-1.0.data/platlib/pkg/_core.abi3.so", so.as_slice())];
    assert_eq!(
        findings_with(LINUX, &platlib, true, Code::SoInPurelib, &o).len(),
        0
    );

    // One finding per file, not per slice.
    let arm = fixture_or_skip!(macho(
        MachArch::Arm64,
        &["PyInit__core"],
        &["PyLong_FromLong"],
        "11.0"
    ));
    let x86 = fixture_or_skip!(macho(
        MachArch::X86_64,
        &["PyInit__core"],
        &["PyLong_FromLong"],
        "11.0"
    ));
    let fat = fat_macho(&[(MachArch::Arm64, &arm), (MachArch::X86_64, &x86)]);
    let members = [("pkg/_core.abi3.so", fat.as_slice())];
    let tags = "cp38-abi3-macosx_11_0_universal2";
    assert_eq!(
        findings_with(tags, &members, true, Code::SoInPurelib, &o).len(),
        1
    );
    let pyd = fixture_or_skip!(pe(PeMachine::X64, &["PyInit__core"], "python3.dll", false));
    let members = [("pkg/_core.pyd", pyd.as_slice())];
    assert_eq!(
        findings_with(WIN, &members, true, Code::SoInPurelib, &o).len(),
        1
    );
}

// ---------------------------------------------------------------------------------------
// macos-minos-above-tag
// ---------------------------------------------------------------------------------------

#[test]
fn macos_minos_above_tag() {
    let m = "pkg/_core.abi3.so";
    let e = &["PyInit__core"][..];
    let i = &["PyLong_FromLong"][..];
    let x86_11 = fixture_or_skip!(macho(MachArch::X86_64, e, i, "11.0"));
    let x86_1012 = fixture_or_skip!(macho(MachArch::X86_64, e, i, "10.12"));
    let f = expect(
        "cp38-abi3-macosx_10_12_x86_64",
        &[(m, &x86_11)],
        Code::MacosMinosAboveTag,
        1,
    );
    assert!(
        f[0].message.contains("11.0") && f[0].message.contains("10.12"),
        "{f:?}"
    );
    expect(
        "cp38-abi3-macosx_10_12_x86_64",
        &[(m, &x86_1012)],
        Code::MacosMinosAboveTag,
        0,
    );
    expect(
        "cp38-abi3-macosx_11_0_x86_64",
        &[(m, &x86_11)],
        Code::MacosMinosAboveTag,
        0,
    );
    // Compressed tags: the lowest decides.
    expect(
        "cp38-abi3-macosx_10_9_x86_64.macosx_11_0_x86_64",
        &[(m, &x86_1012)],
        Code::MacosMinosAboveTag,
        1,
    );
    // 11.3 is above an 11_0 tag.
    let x86_113 = fixture_or_skip!(macho(MachArch::X86_64, e, i, "11.3"));
    expect(
        "cp38-abi3-macosx_11_0_x86_64",
        &[(m, &x86_113)],
        Code::MacosMinosAboveTag,
        1,
    );
    // Per slice of a universal2 file. Apple silicon starts at macOS 11, so an arm64 slice
    // needing 11.0 is fine under a `macosx_10_12` tag; the x86_64 slice is held to 10.12.
    let arm_11 = fixture_or_skip!(macho(MachArch::Arm64, e, i, "11.0"));
    let fat = fat_macho(&[(MachArch::Arm64, &arm_11), (MachArch::X86_64, &x86_11)]);
    let f = expect(
        "cp38-abi3-macosx_10_12_universal2",
        &[(m, &fat)],
        Code::MacosMinosAboveTag,
        1,
    );
    assert!(f[0].message.contains("x86_64"), "{f:?}");
    let arm_12 = fixture_or_skip!(macho(MachArch::Arm64, e, i, "12.0"));
    let fat = fat_macho(&[(MachArch::Arm64, &arm_12), (MachArch::X86_64, &x86_1012)]);
    let f = expect(
        "cp38-abi3-macosx_10_12_universal2",
        &[(m, &fat)],
        Code::MacosMinosAboveTag,
        1,
    );
    assert!(
        f[0].message.contains("arm64 slice needs macOS 12.0"),
        "{f:?}"
    );
    let fat = fat_macho(&[(MachArch::Arm64, &arm_11), (MachArch::X86_64, &x86_1012)]);
    expect(
        "cp38-abi3-macosx_10_12_universal2",
        &[(m, &fat)],
        Code::MacosMinosAboveTag,
        0,
    );
    expect(
        "cp38-abi3-macosx_11_0_universal2",
        &[(m, &fat)],
        Code::MacosMinosAboveTag,
        0,
    );
}

// ---------------------------------------------------------------------------------------
// arch-mismatch, missing-universal2-slice
// ---------------------------------------------------------------------------------------

#[test]
fn arch_mismatch_all_formats() {
    let m = "pkg/_core.abi3.so";
    let e = &["PyInit__core"][..];
    let i = &["PyLong_FromLong"][..];
    let x86 = fixture_or_skip!(elf_module(e));
    let arm = fixture_or_skip!(elf(ElfArch::Aarch64, e, i, &[], None));
    expect(LINUX, &[(m, &x86)], Code::ArchMismatch, 0);
    let f = expect(LINUX, &[(m, &arm)], Code::ArchMismatch, 1);
    assert!(f[0].message.contains("aarch64"), "{f:?}");
    expect(
        "cp38-abi3-manylinux_2_17_aarch64",
        &[(m, &arm)],
        Code::ArchMismatch,
        0,
    );
    expect(
        "cp38-abi3-manylinux_2_17_x86_64.manylinux_2_17_aarch64",
        &[(m, &arm)],
        Code::ArchMismatch,
        0,
    );
    let i386 = fixture_or_skip!(elf(ElfArch::I386, e, i, &[], None));
    expect(
        "cp38-abi3-manylinux2014_i686",
        &[(m, &i386)],
        Code::ArchMismatch,
        0,
    );
    expect(
        "cp38-abi3-musllinux_1_2_x86_64",
        &[(m, &i386)],
        Code::ArchMismatch,
        1,
    );
    // A format the tag's platform cannot load.
    let f = expect(WIN, &[(m, &x86)], Code::ArchMismatch, 1);
    assert!(f[0].message.contains("ELF"), "{f:?}");

    let mac_arm = fixture_or_skip!(macho(MachArch::Arm64, e, i, "11.0"));
    expect(MAC, &[(m, &mac_arm)], Code::ArchMismatch, 0);
    expect(
        "cp38-abi3-macosx_11_0_x86_64",
        &[(m, &mac_arm)],
        Code::ArchMismatch,
        1,
    );
    expect(
        "cp38-abi3-macosx_11_0_universal2",
        &[(m, &mac_arm)],
        Code::ArchMismatch,
        0,
    );

    let pyd = |machine| pe(machine, e, "python3.dll", false);
    let x64 = fixture_or_skip!(pyd(PeMachine::X64));
    let a64 = fixture_or_skip!(pyd(PeMachine::Arm64));
    let x32 = fixture_or_skip!(pyd(PeMachine::X86));
    let p = "pkg/_core.pyd";
    expect(WIN, &[(p, &x64)], Code::ArchMismatch, 0);
    expect(WIN, &[(p, &a64)], Code::ArchMismatch, 1);
    expect("cp38-abi3-win_arm64", &[(p, &a64)], Code::ArchMismatch, 0);
    expect("cp38-abi3-win32", &[(p, &x32)], Code::ArchMismatch, 0);
    expect("cp38-abi3-win32", &[(p, &x64)], Code::ArchMismatch, 1);
}

#[test]
fn missing_universal2_slice() {
    let m = "pkg/_core.abi3.so";
    let e = &["PyInit__core"][..];
    let i = &["PyLong_FromLong"][..];
    let arm = fixture_or_skip!(macho(MachArch::Arm64, e, i, "11.0"));
    let x86 = fixture_or_skip!(macho(MachArch::X86_64, e, i, "11.0"));
    let u2 = "cp38-abi3-macosx_11_0_universal2";
    let f = expect(u2, &[(m, &arm)], Code::MissingUniversal2Slice, 1);
    assert!(f[0].message.contains("x86_64"), "{f:?}");
    let thin_fat = fat_macho(&[(MachArch::X86_64, &x86)]);
    let f = expect(u2, &[(m, &thin_fat)], Code::MissingUniversal2Slice, 1);
    assert!(f[0].message.contains("arm64"), "{f:?}");
    let fat = fat_macho(&[(MachArch::Arm64, &arm), (MachArch::X86_64, &x86)]);
    expect(u2, &[(m, &fat)], Code::MissingUniversal2Slice, 0);
    expect(MAC, &[(m, &arm)], Code::MissingUniversal2Slice, 0);
}

// ---------------------------------------------------------------------------------------
// abi3t
// ---------------------------------------------------------------------------------------

#[test]
fn abi3t_floor() {
    let so = fixture_or_skip!(elf_module(&["PyModExport__core"]));
    let m = "pkg/_core.abi3t.so";
    expect(
        "cp314-abi3t-manylinux_2_17_x86_64",
        &[(m, &so)],
        Code::Abi3tFloor,
        1,
    );
    expect(
        "cp314-abi3.abi3t-manylinux_2_17_x86_64",
        &[(m, &so)],
        Code::Abi3tFloor,
        1,
    );
    expect(
        "cp315-abi3.abi3t-manylinux_2_17_x86_64",
        &[(m, &so)],
        Code::Abi3tFloor,
        0,
    );
    expect(
        "cp315-abi3t-manylinux_2_17_x86_64",
        &[(m, &so)],
        Code::Abi3tFloor,
        0,
    );
    expect(LINUX, &[("pkg/_core.abi3.so", &so)], Code::Abi3tFloor, 0);
}

#[test]
fn abi3t_needs_modexport_all_formats() {
    let t = "cp315-abi3.abi3t-manylinux_2_17_x86_64";
    let m = "pkg/_core.abi3t.so";
    let init = fixture_or_skip!(elf_module(&["PyInit__core"]));
    let f = expect(t, &[(m, &init)], Code::Abi3tNeedsModexport, 1);
    assert_eq!(f[0].symbol.as_deref(), Some("PyInit__core"));
    let modexport = fixture_or_skip!(elf_module(&["PyModExport__core", "PyInit__core"]));
    expect(t, &[(m, &modexport)], Code::Abi3tNeedsModexport, 0);
    expect(
        "cp315-abi3-manylinux_2_17_x86_64",
        &[("pkg/_core.abi3.so", &init)],
        Code::Abi3tNeedsModexport,
        0,
    );

    let mt = "cp315-abi3t-macosx_11_0_arm64";
    let init = fixture_or_skip!(macho(
        MachArch::Arm64,
        &["PyInit__core"],
        &["PyLong_FromLong"],
        "11.0"
    ));
    expect(mt, &[(m, &init)], Code::Abi3tNeedsModexport, 1);
    let good = fixture_or_skip!(macho(
        MachArch::Arm64,
        &["PyModExport__core"],
        &["PyLong_FromLong"],
        "11.0"
    ));
    expect(mt, &[(m, &good)], Code::Abi3tNeedsModexport, 0);

    let wt = "cp315-abi3t-win_amd64";
    let init = fixture_or_skip!(pe(PeMachine::X64, &["PyInit__core"], "python3t.dll", false));
    expect(
        wt,
        &[("pkg/_core.pyd", &init)],
        Code::Abi3tNeedsModexport,
        1,
    );
    let good = fixture_or_skip!(pe(
        PeMachine::X64,
        &["PyModExport__core"],
        "python3t.dll",
        false
    ));
    expect(
        wt,
        &[("pkg/_core.pyd", &good)],
        Code::Abi3tNeedsModexport,
        0,
    );
}

#[test]
fn abi3t_unusable_api_all_formats() {
    let t = "cp315-abi3.abi3t-manylinux_2_17_x86_64";
    let m = "pkg/_core.abi3t.so";
    let e = &["PyModExport__core"][..];
    let bad = fixture_or_skip!(elf(
        ElfArch::X86_64,
        e,
        &["PyModule_Create2", "PyModuleDef_Init"],
        &[],
        None
    ));
    let f = expect(t, &[(m, &bad)], Code::Abi3tUnusableApi, 2);
    assert!(
        f.iter()
            .any(|f| f.symbol.as_deref() == Some("PyModule_Create2"))
    );
    let good = fixture_or_skip!(elf(
        ElfArch::X86_64,
        e,
        &["PyModule_FromSlotsAndSpec"],
        &[],
        None
    ));
    expect(t, &[(m, &good)], Code::Abi3tUnusableApi, 0);
    // The same imports are fine for abi3.
    expect(
        "cp315-abi3-manylinux_2_17_x86_64",
        &[("pkg/_core.abi3.so", &bad)],
        Code::Abi3tUnusableApi,
        0,
    );

    let mt = "cp315-abi3t-macosx_11_0_arm64";
    let bad = fixture_or_skip!(macho(
        MachArch::Arm64,
        e,
        &["PyModule_FromDefAndSpec2"],
        "11.0"
    ));
    expect(mt, &[(m, &bad)], Code::Abi3tUnusableApi, 1);
    let good = fixture_or_skip!(macho(MachArch::Arm64, e, &["PyLong_FromLong"], "11.0"));
    expect(mt, &[(m, &good)], Code::Abi3tUnusableApi, 0);

    let wt = "cp315-abi3t-win_amd64";
    let bad = fixture_or_skip!(build_pe_extension(
        &PeSpec::new(PeMachine::X64)
            .dll("python3t.dll", &["PyModule_Create2"], false)
            .export("PyModExport__core")
    ));
    expect(wt, &[("pkg/_core.pyd", &bad)], Code::Abi3tUnusableApi, 1);
    let good = fixture_or_skip!(pe(PeMachine::X64, e, "python3t.dll", false));
    expect(wt, &[("pkg/_core.pyd", &good)], Code::Abi3tUnusableApi, 0);
}
