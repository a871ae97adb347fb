//! Integration tests of the binary readers against real binaries built at test time.

use crate::support::*;
use cargo_abi3::binary::{self, Arch, Binary, Format, ReadError};

fn read_one(data: &[u8]) -> Binary {
    let mut binaries = binary::read(data).expect("read");
    assert_eq!(binaries.len(), 1, "{binaries:#?}");
    binaries.remove(0)
}

fn import<'a>(b: &'a Binary, name: &str) -> &'a binary::Import {
    b.imports
        .iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("no import {name} in {:#?}", b.imports))
}

/// Streams `data` in `chunk`-byte pieces through [`binary::read_streamed_with`].
fn streamed(
    data: &[u8],
    declared: u64,
    chunk: usize,
    options: binary::StreamOptions,
) -> (Result<Vec<Binary>, ReadError>, binary::Stats, Vec<u8>) {
    let mut seen = Vec::new();
    let (result, stats) = binary::read_streamed_with::<()>(
        declared,
        options,
        |sink| {
            for piece in data.chunks(chunk) {
                if sink(piece).is_break() {
                    break;
                }
            }
            Ok(())
        },
        &mut |bytes| seen.extend_from_slice(bytes),
    )
    .unwrap();
    (result, stats, seen)
}

/// A sparse read gives the same answer as a full read: with the plan (one pass, holding
/// less than the file for anything but tiny files), and without it (the reader's misses
/// alone drive extra passes, then the full-read fallback), at several chunk sizes.
fn check_sparse_matches_full(data: &[u8]) {
    let full = binary::read(data).expect("full read");
    let len = data.len() as u64;
    for chunk in [1000, 4096, 65536] {
        let (got, stats, seen) = streamed(data, len, chunk, binary::StreamOptions::default());
        assert_eq!(got.expect("sparse read"), full, "chunk {chunk}");
        assert_eq!(stats.passes, 1, "chunk {chunk}: {stats:?}");
        assert!(!stats.fallback);
        assert!(stats.held <= len);
        // Every byte streamed is observed once, in order.
        assert_eq!(seen[..], data[..seen.len()]);
        for max_passes in [1, 2, binary::MAX_PASSES, 50] {
            let options = binary::StreamOptions {
                plan: false,
                max_passes,
                miss_slack: 0,
            };
            let (got, stats, seen) = streamed(data, len, chunk, options);
            assert_eq!(
                got.expect("unplanned read"),
                full,
                "chunk {chunk}, {stats:?}"
            );
            assert!(stats.passes <= max_passes + 1, "{stats:?}");
            assert_eq!(seen[..], data[..seen.len()]);
        }
    }
    // Without a plan, the first miss behind the stream costs a pass: a fallback at 1.
    let options = binary::StreamOptions {
        plan: false,
        max_passes: 1,
        miss_slack: 0,
    };
    let (_, stats, _) = streamed(data, len, 4096, options);
    assert!(stats.fallback || stats.passes == 1, "{stats:?}");
    // The central directory lies about the size: no panic, and the truth is told.
    for declared in [len / 2, len + 1, len * 3] {
        let (got, stats, _) = streamed(data, declared, 4096, binary::StreamOptions::default());
        assert!(stats.held <= declared.min(len), "{stats:?}");
        if declared > len {
            // Shorter than declared: the stream's end is the file's end.
            assert_eq!(got.ok().as_ref(), Some(&full));
        }
    }
}

/// Hostile-input checks on a real fixture: every 64-byte truncation reads without panic,
/// and every prefix read with `complete = false` asks for more or gives the full answer.
fn check_truncations_and_prefixes(data: &[u8]) {
    check_sparse_matches_full(data);
    let full = binary::read(data).expect("full read");
    let mut n = 0;
    while n < data.len() {
        let prefix = &data[..n];
        // Complete-but-truncated: any answer or error, never NeedMore, never a panic.
        if let Err(ReadError::NeedMore { .. }) = binary::read_prefix(prefix, true) {
            panic!("NeedMore for complete data of length {n}");
        }
        match binary::read_prefix(prefix, false) {
            Err(ReadError::NeedMore { len }) => {
                assert!(len > n as u64, "NeedMore {{ len: {len} }} at prefix {n}")
            }
            Ok(got) => assert_eq!(got, full, "prefix {n} gave a different answer"),
            Err(e) => panic!("prefix {n}: {e}"),
        }
        n += 64;
    }
    // Following NeedMore from an empty prefix converges on the full answer.
    let mut len = 0usize;
    let mut rounds = 0;
    loop {
        rounds += 1;
        assert!(rounds < 10_000);
        match binary::read_prefix(&data[..len], len == data.len()) {
            Err(ReadError::NeedMore { len: want }) => {
                len = usize::try_from(want).unwrap().min(data.len());
            }
            Ok(got) => {
                assert_eq!(got, full);
                break;
            }
            Err(e) => panic!("following NeedMore: {e}"),
        }
    }
    // Byte flips in the headers: no panic, from a full or a streamed read.
    for i in 0..data.len().min(4096) {
        let mut copy = data.to_vec();
        copy[i] ^= 0xff;
        let _ = binary::read(&copy);
        if i % 7 == 0 {
            let (_, stats, _) = streamed(&copy, copy.len() as u64, 65536, Default::default());
            assert!(stats.held <= copy.len() as u64);
        }
        copy[i] ^= 0xff ^ 0x80;
        let _ = binary::read(&copy);
    }
}

// ------------------------------------------------------------------------------------
// ELF
// ------------------------------------------------------------------------------------

const C_EXTENSION: &str = r#"
#define Py_LIMITED_API 0x03090000
#include <Python.h>
#include <math.h>
#include <sys/stat.h>

/* Declared by hand, as an extension targeting a newer ABI than its headers might. */
extern const char *PyType_GetName(PyObject *type);
extern int Py_IsWeakOptional(void) __attribute__((weak));

__attribute__((visibility("hidden"))) double helper(double x) { return cbrt(x) + 1.0; }

static PyModuleDef demo_module = { PyModuleDef_HEAD_INIT, "demo", NULL, -1, NULL };

PyMODINIT_FUNC PyInit_demo(void) {
    struct stat st;
    volatile double d = helper(2.0);
    (void)d;
    (void)stat("/", &st);
    if (Py_IsWeakOptional) Py_IsWeakOptional();
    PyType_GetName((PyObject *)0);
    return PyModule_Create(&demo_module);
}
"#;

fn elf_fixture() -> Result<Vec<u8>, Skip> {
    let path = build_c_extension(
        "demo",
        C_EXTENSION,
        &[
            "-lm",
            "-Wl,-soname,demo.so",
            "-Wl,-rpath,$ORIGIN/lib:/opt/x",
        ],
    )?;
    Ok(std::fs::read(path).unwrap())
}

#[test]
fn elf_gcc_extension() {
    let data = fixture_or_skip!(elf_fixture());
    let b = read_one(&data);
    assert_eq!(b.format, Format::Elf);
    assert_eq!(b.fat_slice, None);
    if cfg!(target_arch = "x86_64") {
        assert_eq!(b.arch, Arch::X86_64);
    }
    assert!(b.exports_symbol("PyInit_demo"), "{:?}", b.exports);
    assert!(!b.exports_symbol("helper"), "hidden symbol exported");
    assert_eq!(b.entry_points().collect::<Vec<_>>(), ["PyInit_demo"]);
    let needed: Vec<_> = b.needed.iter().map(|n| n.name.as_str()).collect();
    assert!(needed.contains(&"libm.so.6"), "{needed:?}");
    assert!(b.needed.iter().all(|n| !n.lazy));
    assert_eq!(b.soname.as_deref(), Some("demo.so"));
    assert_eq!(b.rpaths, ["$ORIGIN/lib", "/opt/x"]);

    let get_name = import(&b, "PyType_GetName");
    assert_eq!(get_name.library, None);
    assert_eq!(get_name.version, None);
    assert!(!get_name.weak && !get_name.delay_load);
    assert!(import(&b, "PyModule_Create2").library.is_none());
    assert!(import(&b, "Py_IsWeakOptional").weak);

    let cbrt = import(&b, "cbrt");
    assert_eq!(cbrt.library.as_deref(), Some("libm.so.6"));
    assert!(cbrt.version.as_deref().unwrap().starts_with("GLIBC_"));
    // A versioned libc import.
    let libc = b
        .imports
        .iter()
        .find(|i| i.library.as_deref() == Some("libc.so.6"))
        .unwrap_or_else(|| panic!("no libc import: {:#?}", b.imports));
    assert!(libc.version.as_deref().unwrap().starts_with("GLIBC_"));
    assert_eq!(b.macos_min, None);
    assert!(!b.flat_namespace_lookups);
}

#[test]
fn elf_hash_styles_agree() {
    let gnu = fixture_or_skip!(build_c_extension(
        "gnuhash",
        C_EXTENSION,
        &["-lm", "-Wl,--hash-style=gnu"]
    ));
    let sysv = fixture_or_skip!(build_c_extension(
        "sysvhash",
        C_EXTENSION,
        &["-lm", "-Wl,--hash-style=sysv"]
    ));
    let gnu = read_one(&std::fs::read(gnu).unwrap());
    let sysv = read_one(&std::fs::read(sysv).unwrap());
    let sorted = |b: &Binary| {
        let mut i: Vec<_> = b.imports.iter().map(|i| format!("{i:?}")).collect();
        i.sort();
        let mut e = b.exports.clone();
        e.sort();
        (i, e)
    };
    assert_eq!(sorted(&gnu), sorted(&sysv));
    assert!(gnu.exports_symbol("PyInit_demo"));
}

#[test]
fn elf_truncations_and_prefixes() {
    let data = fixture_or_skip!(elf_fixture());
    check_truncations_and_prefixes(&data);
    // The reader reads what the loader reads: it stops at the end of `PT_DYNAMIC` (the last
    // table it reads, in the read-write segment), before what only tools read (`.comment`,
    // `.symtab`, `.strtab`, the section headers, which gcc puts last).
    let mut len = 0usize;
    while let Err(ReadError::NeedMore { len: want }) = binary::read_prefix(&data[..len], false) {
        len = want as usize;
    }
    let le64 = |at: usize| u64::from_le_bytes(data[at..at + 8].try_into().unwrap()) as usize;
    let phoff = le64(0x20);
    let phnum = u16::from_le_bytes(data[0x38..0x3a].try_into().unwrap()) as usize;
    let dynamic = (0..phnum)
        .map(|i| phoff + i * 56)
        .find(|&at| u32::from_le_bytes(data[at..at + 4].try_into().unwrap()) == 2)
        .expect("PT_DYNAMIC");
    let dynamic_end = le64(dynamic + 8) + le64(dynamic + 32);
    assert!(
        len <= dynamic_end,
        "read {len} bytes, PT_DYNAMIC ends at {dynamic_end}"
    );
    assert!(len < le64(0x28), "read up to the section headers");
}

/// A layout the plan does not foresee (here: no plan at all, only the reader's misses):
/// the dynamic string table is behind `PT_DYNAMIC`, so it takes another pass; with passes
/// exhausted, the member is read in full. Same answer every way.
#[test]
fn elf_unforeseen_layout_takes_extra_passes_then_falls_back() {
    let data = fixture_or_skip!(elf_fixture());
    let full = binary::read(&data).unwrap();
    let len = data.len() as u64;
    let unplanned = |max_passes| binary::StreamOptions {
        plan: false,
        max_passes,
        miss_slack: 0,
    };
    let (got, stats, _) = streamed(&data, len, 4096, unplanned(50));
    assert_eq!(got.unwrap(), full);
    assert!(stats.passes > 1 && !stats.fallback, "{stats:?}");
    // Extra passes stop after what was missed: less than the file each.
    assert!(stats.streamed < len * u64::from(stats.passes), "{stats:?}");
    let (got, stats, _) = streamed(&data, len, 4096, unplanned(1));
    assert_eq!(got.unwrap(), full);
    assert!(stats.fallback && stats.passes == 2, "{stats:?}");
    assert_eq!(stats.held, len);
    // With the plan: one pass.
    let (_, stats, _) = streamed(&data, len, 4096, Default::default());
    assert_eq!(stats.passes, 1);
}

/// The full-read fallback is bounded like every other hold: a member too large to hold is
/// refused (`Limit`) with at most `MAX_HELD` bytes held, never read whole into memory.
#[test]
fn full_read_fallback_holds_at_most_max_held() {
    let mut data = fixture_or_skip!(elf_fixture());
    let full = binary::read(&data).unwrap();
    data.resize(binary::MAX_HELD as usize + (8 << 20), 0);
    let len = data.len() as u64;
    let unplanned = binary::StreamOptions {
        plan: false,
        max_passes: 1,
        miss_slack: 0,
    };
    let (got, stats, _) = streamed(&data, len, 65536, unplanned);
    assert!(stats.fallback, "{stats:?}");
    assert!(stats.held <= binary::MAX_HELD, "{stats:?}");
    let err = got.unwrap_err();
    assert!(matches!(err, ReadError::Limit { .. }), "{err}");
    assert!(err.to_string().contains("more than 40 MiB"), "{err}");
    // The plan reads the same member in one pass, holding little.
    let (got, stats, _) = streamed(&data, len, 65536, Default::default());
    assert_eq!(got.unwrap(), full);
    assert!(stats.held < 1 << 20 && stats.passes == 1, "{stats:?}");
}

#[test]
fn elf_without_program_headers_uses_sections() {
    let data = fixture_or_skip!(elf_fixture());
    let full = read_one(&data);
    // Turn PT_DYNAMIC into PT_NULL: the reader falls back to .dynsym/.dynstr.
    let mut copy = data.clone();
    let phoff = u64::from_le_bytes(copy[0x20..0x28].try_into().unwrap()) as usize;
    let phnum = u16::from_le_bytes(copy[0x38..0x3a].try_into().unwrap()) as usize;
    for i in 0..phnum {
        let p = phoff + i * 56;
        if u32::from_le_bytes(copy[p..p + 4].try_into().unwrap()) == 2 {
            copy[p..p + 4].copy_from_slice(&0u32.to_le_bytes());
        }
    }
    let fallback = read_one(&copy);
    assert_eq!(fallback.imports, full.imports);
    assert_eq!(fallback.exports, full.exports);
    assert_eq!(fallback.needed, full.needed);
    // Streamed: the section headers are at the end, the sections they name behind them.
    let (got, stats, _) = streamed(&copy, copy.len() as u64, 4096, Default::default());
    assert_eq!(got.unwrap(), vec![fallback], "{stats:?}");
}

// ------------------------------------------------------------------------------------
// PE
// ------------------------------------------------------------------------------------

fn pe_spec(machine: PeMachine) -> PeSpec {
    PeSpec::new(machine)
        .export("PyInit_demo")
        .dll(
            "python3.dll",
            &["PyType_GetName", "PyModule_Create2"],
            false,
        )
        .ordinal("python3.dll", "PyByOrdinal", 123)
        .dll("KERNEL32.dll", &["GetTickCount"], false)
        .dll("delayed.dll", &["DelayedFunc"], true)
}

fn check_pe(b: &Binary, arch: Arch) {
    assert_eq!(b.format, Format::Pe);
    assert_eq!(b.arch, arch);
    assert_eq!(b.exports, ["PyInit_demo"]);
    let get_name = import(b, "PyType_GetName");
    assert_eq!(get_name.library.as_deref(), Some("python3.dll"));
    assert!(!get_name.delay_load);
    assert_eq!(
        import(b, "#123").library.as_deref(),
        Some("python3.dll"),
        "by-ordinal import"
    );
    assert_eq!(
        import(b, "GetTickCount").library.as_deref(),
        Some("KERNEL32.dll")
    );
    let delayed = import(b, "DelayedFunc");
    assert_eq!(delayed.library.as_deref(), Some("delayed.dll"));
    assert!(delayed.delay_load);
    let needed: Vec<_> = b.needed.iter().map(|n| (n.name.as_str(), n.lazy)).collect();
    assert!(needed.contains(&("python3.dll", false)), "{needed:?}");
    assert!(needed.contains(&("delayed.dll", true)), "{needed:?}");
    assert!(b.rpaths.is_empty() && b.soname.is_none() && b.macos_min.is_none());
}

/// The sparse PE walk agrees with `object`'s whole-section reader (the previous reader):
/// needed DLLs, imports (library, name or `#ordinal`, delay) and named exports.
fn check_pe_against_object(data: &[u8]) {
    use object::read::{ImportFlags, ImportLibraryFlags, NameOrOrdinal, Object};
    let file = object::File::parse(data).unwrap();
    let b = read_one(data);
    let mut needed = Vec::new();
    for library in file.import_libraries().unwrap() {
        let library = library.unwrap();
        let lazy = matches!(library.flags(), ImportLibraryFlags::Pe { delay: true });
        let name = String::from_utf8_lossy(library.name()).into_owned();
        if !needed
            .iter()
            .any(|(n, l): &(String, bool)| n.eq_ignore_ascii_case(&name) && *l == lazy)
        {
            needed.push((name, lazy));
        }
    }
    let ours: Vec<(String, bool)> = b.needed.iter().map(|n| (n.name.clone(), n.lazy)).collect();
    assert_eq!(ours, needed);
    let imports: Vec<(String, String, bool)> = file
        .imports()
        .unwrap()
        .map(|i| {
            let i = i.unwrap();
            let name = match i.name() {
                NameOrOrdinal::Name(n) => String::from_utf8_lossy(n).into_owned(),
                NameOrOrdinal::Ordinal(o) => format!("#{o}"),
            };
            let delay = matches!(i.flags(), ImportFlags::Pe { delay: true });
            (
                String::from_utf8_lossy(i.library()).into_owned(),
                name,
                delay,
            )
        })
        .collect();
    let ours: Vec<(String, String, bool)> = b
        .imports
        .iter()
        .map(|i| (i.library.clone().unwrap(), i.name.clone(), i.delay_load))
        .collect();
    assert_eq!(ours, imports);
    let mut exports: Vec<String> = file
        .exports()
        .unwrap()
        .filter_map(|e| match e.unwrap().name() {
            NameOrOrdinal::Name(n) => Some(String::from_utf8_lossy(n).into_owned()),
            NameOrOrdinal::Ordinal(_) => None,
        })
        .collect();
    let mut ours = b.exports.clone();
    exports.sort();
    ours.sort();
    assert_eq!(ours, exports);
}

#[test]
fn pe_x64() {
    let data = fixture_or_skip!(build_pe_extension(&pe_spec(PeMachine::X64)));
    check_pe(&read_one(&data), Arch::X86_64);
    check_pe_against_object(&data);
    check_truncations_and_prefixes(&data);
}

#[test]
fn pe_x86() {
    let data = fixture_or_skip!(build_pe_extension(&pe_spec(PeMachine::X86)));
    check_pe(&read_one(&data), Arch::X86);
    check_pe_against_object(&data);
    check_truncations_and_prefixes(&data);
}

#[test]
fn pe_arm64() {
    let data = fixture_or_skip!(build_pe_extension(&pe_spec(PeMachine::Arm64)));
    check_pe(&read_one(&data), Arch::Aarch64);
    check_pe_against_object(&data);
}

// ------------------------------------------------------------------------------------
// Mach-O
// ------------------------------------------------------------------------------------

fn macho_spec(arch: MachArch) -> MachOSpec {
    let mut spec = MachOSpec::new(arch);
    spec.exports = vec!["PyInit_demo".into(), "_Py_Underscored".into()];
    spec.imports = vec!["PyType_GetName".into(), "_Py_Dealloc".into()];
    spec.rpaths = vec!["@loader_path/../lib".into()];
    spec.install_name = Some("@rpath/demo.so".into());
    spec
}

fn check_flat_macho(b: &Binary, arch: Arch) {
    assert_eq!(b.format, Format::MachO);
    assert_eq!(b.arch, arch);
    assert!(b.exports_symbol("PyInit_demo"), "{:?}", b.exports);
    // `__Py_Underscored` in the file: exactly one underscore removed.
    assert!(b.exports_symbol("_Py_Underscored"), "{:?}", b.exports);
    let get_name = import(b, "PyType_GetName");
    assert_eq!(get_name.library, None);
    assert_eq!(import(b, "_Py_Dealloc").library, None);
    assert!(b.flat_namespace_lookups);
    assert_eq!(b.macos_min, Some((11, 0)));
    assert_eq!(b.soname.as_deref(), Some("@rpath/demo.so"));
    assert_eq!(b.rpaths, ["@loader_path/../lib"]);
}

#[test]
fn macho_arm64_dynamic_lookup() {
    let data = fixture_or_skip!(build_macho_dylib(&macho_spec(MachArch::Arm64)));
    check_flat_macho(&read_one(&data), Arch::Aarch64);
    check_truncations_and_prefixes(&data);
}

#[test]
fn macho_x86_64_dynamic_lookup() {
    let data = fixture_or_skip!(build_macho_dylib(&macho_spec(MachArch::X86_64)));
    check_flat_macho(&read_one(&data), Arch::X86_64);
}

#[test]
fn macho_chained_fixups_and_dyld_info() {
    for chained in [true, false] {
        let mut spec = macho_spec(MachArch::Arm64);
        spec.chained_fixups = Some(chained);
        spec.macos_min = "13.0";
        let data = fixture_or_skip!(build_macho_dylib(&spec));
        let b = read_one(&data);
        assert_eq!(b.macos_min, Some((13, 0)));
        assert!(import(&b, "PyType_GetName").library.is_none());
        assert!(b.flat_namespace_lookups);
    }
}

/// Stub "libpython" and a second library, for two-level namespace ordinals.
fn two_level(arch: MachArch) -> Result<Binary, Skip> {
    two_level_bytes(arch, None).map(|data| read_one(&data))
}

fn two_level_bytes(arch: MachArch, chained_fixups: Option<bool>) -> Result<Vec<u8>, Skip> {
    let mut python = MachOSpec::new(arch);
    python.exports = vec![
        "PyType_GetName".into(),
        "_Py_Dealloc".into(),
        "Py_WeakOne".into(),
    ];
    python.install_name = Some("/Library/Frameworks/Python.framework/Versions/3.11/Python".into());
    python.dynamic_lookup = false;
    let (python, _) = build_macho_dylib_at(&python)?;
    let mut other = MachOSpec::new(arch);
    other.exports = vec!["other_func".into()];
    other.install_name = Some("@rpath/libother.dylib".into());
    other.dynamic_lookup = false;
    let (other, _) = build_macho_dylib_at(&other)?;

    let mut spec = macho_spec(arch);
    spec.imports.push("other_func".into());
    spec.imports.push("only_at_runtime".into());
    spec.weak_imports.push("Py_WeakOne".into());
    spec.dylibs = vec![python];
    spec.weak_dylibs = vec![other];
    spec.chained_fixups = chained_fixups;
    build_macho_dylib(&spec)
}

/// Sets `nsyms` of `LC_SYMTAB` to 0 in a thin 64-bit little-endian Mach-O, as if stripped
/// of every symbol: imports must then come from the chained fixups / dyld info.
fn drop_symbol_table(data: &mut [u8]) {
    let ncmds = u32::from_le_bytes(data[16..20].try_into().unwrap());
    let mut offset = 32;
    for _ in 0..ncmds {
        let cmd = u32::from_le_bytes(data[offset..offset + 4].try_into().unwrap());
        let size = u32::from_le_bytes(data[offset + 4..offset + 8].try_into().unwrap());
        if cmd == 2 {
            data[offset + 12..offset + 16].fill(0);
        }
        offset += size as usize;
    }
}

#[test]
fn macho_imports_without_symbol_table() {
    for (arch, chained) in [
        (MachArch::Arm64, true),
        (MachArch::Arm64, false),
        (MachArch::X86_64, false),
    ] {
        let mut data = fixture_or_skip!(two_level_bytes(arch, Some(chained)));
        let with_symtab = read_one(&data);
        drop_symbol_table(&mut data);
        let b = read_one(&data);
        let python = "/Library/Frameworks/Python.framework/Versions/3.11/Python";
        assert_eq!(
            import(&b, "PyType_GetName").library.as_deref(),
            Some(python),
            "{arch:?} chained={chained}: {:#?}",
            b.imports
        );
        assert_eq!(import(&b, "only_at_runtime").library, None);
        assert!(b.flat_namespace_lookups);
        assert!(import(&b, "Py_WeakOne").weak);
        let mut names: Vec<_> = b.imports.iter().map(|i| i.name.clone()).collect();
        let mut expected: Vec<_> = with_symtab.imports.iter().map(|i| i.name.clone()).collect();
        names.sort();
        expected.sort();
        assert_eq!(names, expected);
        assert!(b.exports_symbol("PyInit_demo"));
    }
}

#[test]
fn macho_two_level_namespace() {
    for (arch, expected) in [
        (MachArch::Arm64, Arch::Aarch64),
        (MachArch::X86_64, Arch::X86_64),
    ] {
        let b = fixture_or_skip!(two_level(arch));
        assert_eq!(b.arch, expected);
        let python = "/Library/Frameworks/Python.framework/Versions/3.11/Python";
        assert_eq!(
            import(&b, "PyType_GetName").library.as_deref(),
            Some(python)
        );
        assert_eq!(import(&b, "_Py_Dealloc").library.as_deref(), Some(python));
        assert_eq!(
            import(&b, "other_func").library.as_deref(),
            Some("@rpath/libother.dylib")
        );
        assert!(import(&b, "Py_WeakOne").weak);
        assert!(!import(&b, "PyType_GetName").weak);
        // Left to -undefined dynamic_lookup.
        assert_eq!(import(&b, "only_at_runtime").library, None);
        assert!(b.flat_namespace_lookups);
        let needed: Vec<_> = b.needed.iter().map(|n| (n.name.as_str(), n.lazy)).collect();
        assert_eq!(
            needed,
            [(python, false), ("@rpath/libother.dylib", true)],
            "{needed:?}"
        );
    }
}

#[test]
fn macho_universal2() {
    let arm = fixture_or_skip!(build_macho_dylib(&macho_spec(MachArch::Arm64)));
    let x86 = fixture_or_skip!(build_macho_dylib(&macho_spec(MachArch::X86_64)));
    let fat = fat_macho(&[(MachArch::X86_64, &x86), (MachArch::Arm64, &arm)]);
    assert!(binary::looks_like_binary(&fat));
    let binaries = binary::read(&fat).unwrap();
    assert_eq!(binaries.len(), 2);
    assert_eq!(binaries[0].arch, Arch::X86_64);
    assert_eq!(binaries[0].fat_slice, Some(0));
    assert_eq!(binaries[1].arch, Arch::Aarch64);
    assert_eq!(binaries[1].fat_slice, Some(1));
    for b in &binaries {
        check_flat_macho(b, b.arch.clone());
    }
    check_truncations_and_prefixes(&fat);
}

// ------------------------------------------------------------------------------------
// Hostile input
// ------------------------------------------------------------------------------------

#[test]
fn garbage_is_rejected_without_panic() {
    assert!(matches!(
        binary::read(b"hello world"),
        Err(ReadError::UnknownFormat)
    ));
    for magic in [
        &b"\x7fELF\x02\x01\x01"[..],
        &b"\x7fELF\x01\x02\x01"[..],
        &[0xcf, 0xfa, 0xed, 0xfe][..],
        &[0xfe, 0xed, 0xfa, 0xce][..],
        &[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2][..],
        &[0xca, 0xfe, 0xba, 0xbf, 0, 0, 0, 1][..],
        &b"MZ"[..],
    ] {
        let mut data = magic.to_vec();
        data.resize(4096, 0xff);
        assert!(binary::read(&data).is_err());
        data[magic.len()..].fill(0);
        let _ = binary::read(&data);
        assert!(matches!(
            binary::read_prefix(magic, false),
            Err(ReadError::NeedMore { .. })
        ));
    }
}

#[test]
fn elf_other_architectures_with_lld() {
    // Every ELF architecture PyPI ships wheels for (and 32-bit big-endian ppc), both byte
    // orders and both classes; the tag name is the platform tag's.
    for (arch, expected, tag) in [
        (ElfArch::X86_64, Arch::X86_64, "x86_64"),
        (ElfArch::I386, Arch::X86, "i686"),
        (ElfArch::Aarch64, Arch::Aarch64, "aarch64"),
        (ElfArch::Arm, Arch::Arm, "armv7l"),
        (ElfArch::Ppc64le, Arch::Ppc64le, "ppc64le"),
        (ElfArch::Ppc64, Arch::Ppc64, "ppc64"),
        (ElfArch::S390x, Arch::S390x, "s390x"),
        (ElfArch::Riscv64, Arch::Riscv64, "riscv64"),
        (ElfArch::Loongarch64, Arch::Loongarch64, "loongarch64"),
        (ElfArch::Ppc, Arch::Ppc, "ppc"),
    ] {
        assert_eq!(expected.tag_name(binary::Platform::Linux), tag);
        assert_eq!(Arch::from_name(tag), expected);
        for hash_style in ["gnu", "sysv"] {
            let spec = ElfSpec {
                arch,
                soname: "ext.so".into(),
                exports: vec!["PyInit_ext".into(), "other_export".into()],
                imports: vec!["PyType_GetName".into()],
                versioned_lib: Some((
                    "libstub.so.6".into(),
                    "STUB_2.17".into(),
                    vec!["stub_a".into(), "stub_b".into()],
                )),
                hash_style,
            };
            let data = fixture_or_skip!(build_elf_with_lld(&spec));
            if arch == ElfArch::S390x && hash_style == "sysv" {
                // LLD writes s390x's DT_HASH with 4-byte entries; glibc's loader (and GNU ld,
                // and the reader) use 8, and so read a first bucket for `nchain`: a count
                // past the limit, which fails closed.
                let err = binary::read(&data).unwrap_err();
                assert!(matches!(err, ReadError::Limit { .. }), "{err}");
                assert!(
                    err.to_string()
                        .contains("dynamic symbols, more than the limit of"),
                    "{err}"
                );
                continue;
            }
            let b = read_one(&data);
            assert_eq!(b.arch, expected, "{arch:?}");
            let mut exports = b.exports.clone();
            exports.sort();
            assert_eq!(
                exports,
                ["PyInit_ext", "other_export"],
                "{arch:?} {hash_style}"
            );
            assert_eq!(b.soname.as_deref(), Some("ext.so"));
            assert_eq!(b.needed.len(), 1);
            assert_eq!(b.needed[0].name, "libstub.so.6");
            let stub = import(&b, "stub_b");
            assert_eq!(stub.library.as_deref(), Some("libstub.so.6"), "{arch:?}");
            assert_eq!(stub.version.as_deref(), Some("STUB_2.17"), "{arch:?}");
            let py = import(&b, "PyType_GetName");
            assert_eq!((py.library.as_deref(), py.version.as_deref()), (None, None));
            if hash_style == "gnu"
                && matches!(
                    arch,
                    ElfArch::S390x | ElfArch::Ppc | ElfArch::Arm | ElfArch::Ppc64
                )
            {
                check_truncations_and_prefixes(&data);
            }
        }
    }
}

/// The extension module of the committed real s390x wheel (nh3 0.3.8, linked by GNU ld).
fn nh3_s390x() -> Vec<u8> {
    use std::io::Read;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/real/nh3-0.3.8-cp39-abi3-manylinux2014_s390x.manylinux_2_17_s390x.whl"
    );
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut data = Vec::new();
    zip.by_name("nh3/nh3.abi3.so")
        .unwrap()
        .read_to_end(&mut data)
        .unwrap();
    data
}

fn be64(data: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(data[at..at + 8].try_into().unwrap())
}

fn put_be64(data: &mut [u8], at: usize, value: u64) {
    data[at..at + 8].copy_from_slice(&value.to_be_bytes());
}

/// File offsets of a big-endian ELF64's `PT_DYNAMIC` entries, as (tag offset, tag).
fn be64_dynamic_entries(data: &[u8]) -> Vec<(usize, u64)> {
    let phoff = be64(data, 0x20) as usize;
    let phnum = u16::from_be_bytes([data[0x38], data[0x39]]) as usize;
    let dynamic = (0..phnum)
        .map(|i| phoff + i * 56)
        .find(|&at| u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) == 2)
        .expect("PT_DYNAMIC");
    let (offset, size) = (be64(data, dynamic + 8) as usize, be64(data, dynamic + 32));
    (0..size as usize / 16)
        .map(|i| (offset + i * 16, be64(data, offset + i * 16)))
        .take_while(|&(_, tag)| tag != 0)
        .collect()
}

/// The file offset a big-endian ELF64's dynamic entry `tag` points at (the first PT_LOAD
/// maps addresses to offsets one to one in these files).
fn be64_dynamic_value(data: &[u8], tag: u64) -> usize {
    let (at, _) = be64_dynamic_entries(data)
        .into_iter()
        .find(|&(_, t)| t == tag)
        .expect("dynamic tag");
    be64(data, at + 8) as usize
}

const DT_HASH: u64 = 4;
const DT_GNU_HASH: u64 = 0x6fff_fef5;

#[test]
fn elf_s390x_real_module_reads_every_symbol() {
    let data = nh3_s390x();
    let b = read_one(&data);
    assert_eq!(b.arch, Arch::S390x);
    assert_eq!(b.platform(), binary::Platform::Linux);
    // As `readelf --dyn-syms` counts: 141 entries, the null one, 2 section symbols, 138
    // imports and the entry point.
    assert_eq!((b.imports.len(), b.exports.len()), (138, 1), "{b:#?}");
    assert_eq!(b.exports, ["PyInit_nh3"]);
    assert!(b.imports.iter().any(|i| i.name == "PyType_FromSpec"));
    let needed: Vec<&str> = b.needed.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(
        needed,
        [
            "libgcc_s.so.1",
            "librt.so.1",
            "libpthread.so.0",
            "libm.so.6",
            "libdl.so.2",
            "libc.so.6",
            "ld64.so.1"
        ]
    );
    let close = import(&b, "close");
    assert_eq!(close.library.as_deref(), Some("libpthread.so.0"));
    assert_eq!(close.version.as_deref(), Some("GLIBC_2.2"));
    check_sparse_matches_full(&data);

    // DT_HASH alone (DT_GNU_HASH renamed to DT_DEBUG, no section headers): its 8-byte
    // entries give the same 141 symbols.
    let mut hash_only = data.clone();
    let (gnu_at, _) = be64_dynamic_entries(&data)
        .into_iter()
        .find(|&(_, t)| t == DT_GNU_HASH)
        .unwrap();
    put_be64(&mut hash_only, gnu_at, 21);
    put_be64(&mut hash_only, 0x28, 0);
    assert_eq!(read_one(&hash_only), b);
    assert_eq!(
        be64(&data, be64_dynamic_value(&data, DT_HASH) + 8),
        141,
        "nchain"
    );
}

#[test]
fn elf_symbol_count_sources_that_disagree_fail_closed() {
    let data = nh3_s390x();
    // DT_HASH's nchain one short.
    let mut short_hash = data.clone();
    put_be64(&mut short_hash, be64_dynamic_value(&data, DT_HASH) + 8, 140);
    let err = binary::read(&short_hash).unwrap_err();
    assert!(matches!(err, ReadError::Malformed { .. }), "{err}");
    assert!(
        err.to_string().contains(
            "DT_HASH (8-byte entries) counts 140 dynamic symbols but DT_GNU_HASH counts 141"
        ),
        "{err}"
    );
}

/// The `.dynsym` section header of the real s390x module.
fn be64_dynsym_header(data: &[u8]) -> usize {
    let shoff = be64(data, 0x28) as usize;
    let shnum = u16::from_be_bytes([data[0x3c], data[0x3d]]) as usize;
    (0..shnum)
        .map(|i| shoff + i * 64)
        .find(|&at| u32::from_be_bytes(data[at + 4..at + 8].try_into().unwrap()) == 11)
        .expect(".dynsym header")
}

/// The `.dynsym` section header is no source: the loader never reads it, so one that counts
/// fewer (or more) symbols than the hash tables changes nothing.
#[test]
fn elf_dynsym_section_header_is_no_source() {
    let data = nh3_s390x();
    let full = read_one(&data);
    let dynsym = be64_dynsym_header(&data);
    for entries in [140, 150] {
        let mut other = data.clone();
        put_be64(&mut other, dynsym + 32, entries * 24);
        assert_eq!(read_one(&other), full, "{entries} entries");
    }
}

/// A real old-ld64 fat Mach-O (cryptography 2.2, 2018): an i386 stub slice whose
/// `LC_DYLD_INFO` export trie is empty (size 0: it exports nothing), and an x86_64 slice
/// whose trie exports what its symbol table lists as external definitions.
#[test]
fn macho_old_ld64_fat_with_empty_export_trie() {
    let data = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/real/cryptography-2.2-macosx_10_6_intel-_padding.abi3.so"
    ))
    .unwrap();
    let slices = binary::read(&data).expect("read");
    assert_eq!(slices.len(), 2);
    let (i386, x86_64) = (&slices[0], &slices[1]);
    assert_eq!((i386.arch.clone(), i386.fat_slice), (Arch::X86, Some(0)));
    assert!(i386.exports.is_empty(), "{i386:#?}");
    assert_eq!(i386.imports.len(), 1, "{i386:#?}");
    assert_eq!(
        (x86_64.arch.clone(), x86_64.fat_slice),
        (Arch::X86_64, Some(1))
    );
    assert_eq!(
        x86_64.exports,
        [
            "Cryptography_check_pkcs7_padding",
            "Cryptography_check_ansix923_padding",
            "PyInit__padding"
        ]
    );
    assert_eq!(x86_64.imports.len(), 13, "{x86_64:#?}");
    let dealloc = import(x86_64, "_Py_Dealloc");
    // `-undefined dynamic_lookup`: the interpreter's symbols are looked up flat.
    assert_eq!(dealloc.library, None);
    assert!(x86_64.flat_namespace_lookups);
    assert_eq!(i386.imports[0].name, "dyld_stub_binder");
    for slice in &slices {
        assert_eq!(slice.macos_min, Some((10, 9)));
        assert_eq!(slice.needed[0].name, "/usr/lib/libSystem.B.dylib");
    }
    check_sparse_matches_full(&data);
}

/// A minimal x86_64 ELF shared object, addresses equal to file offsets: `count` dynamic
/// symbols (after the null one), all undefined and all named by string-table offset 1,
/// where `name` is; sized by a DT_HASH table.
fn elf_naming_one_string(count: u32, name: &[u8]) -> Vec<u8> {
    elf_with_sysv_hash(62, false, count, name)
}

/// Like [`elf_naming_one_string`], for machine `machine`, with 8-byte DT_HASH entries when
/// `hash64` (glibc's `Elf_Symndx` on s390x and Alpha).
fn elf_with_sysv_hash(machine: u16, hash64: bool, count: u32, name: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 0x1000];
    let put = |f: &mut Vec<u8>, at: usize, bytes: &[u8]| {
        if f.len() < at + bytes.len() {
            f.resize(at + bytes.len(), 0);
        }
        f[at..at + bytes.len()].copy_from_slice(bytes);
    };
    let hash = 0x1000usize;
    let nchain = count as usize + 1;
    let entry = if hash64 { 8 } else { 4 };
    let symtab = (hash + entry * (3 + nchain) + 7) & !7;
    let strtab = symtab + 24 * nchain;
    let strsz = name.len() + 2;
    let dynamic = (strtab + strsz + 7) & !7;
    if hash64 {
        put(&mut f, hash, &1u64.to_le_bytes());
        put(&mut f, hash + 8, &(nchain as u64).to_le_bytes());
    } else {
        put(&mut f, hash, &1u32.to_le_bytes());
        put(&mut f, hash + 4, &(nchain as u32).to_le_bytes());
    }
    for i in 1..nchain {
        let s = symtab + 24 * i;
        put(&mut f, s, &1u32.to_le_bytes()); // st_name
        put(&mut f, s + 4, &[0x10]); // STB_GLOBAL, STT_NOTYPE
        put(&mut f, s + 23, &[0]);
    }
    put(&mut f, strtab + 1, name);
    put(&mut f, strtab + 1 + name.len(), &[0]);
    let entries: [(u64, u64); 6] = [
        (4, hash as u64),
        (5, strtab as u64),
        (10, strsz as u64),
        (6, symtab as u64),
        (11, 24),
        (0, 0),
    ];
    for (i, (tag, val)) in entries.iter().enumerate() {
        put(&mut f, dynamic + 16 * i, &tag.to_le_bytes());
        put(&mut f, dynamic + 16 * i + 8, &val.to_le_bytes());
    }
    let total = (dynamic + 16 * entries.len()) as u64;
    put(&mut f, 0, b"\x7fELF\x02\x01\x01");
    put(&mut f, 0x10, &3u16.to_le_bytes());
    put(&mut f, 0x12, &machine.to_le_bytes());
    put(&mut f, 0x14, &1u32.to_le_bytes());
    put(&mut f, 0x20, &64u64.to_le_bytes());
    put(&mut f, 0x34, &64u16.to_le_bytes());
    put(&mut f, 0x36, &56u16.to_le_bytes());
    put(&mut f, 0x38, &2u16.to_le_bytes());
    put(&mut f, 0x3a, &64u16.to_le_bytes());
    put(&mut f, 64, &1u32.to_le_bytes());
    put(&mut f, 68, &4u32.to_le_bytes());
    put(&mut f, 64 + 32, &total.to_le_bytes());
    put(&mut f, 64 + 40, &total.to_le_bytes());
    put(&mut f, 120, &2u32.to_le_bytes());
    put(&mut f, 120 + 8, &(dynamic as u64).to_le_bytes());
    put(&mut f, 120 + 16, &(dynamic as u64).to_le_bytes());
    put(&mut f, 120 + 32, &(16 * entries.len() as u64).to_le_bytes());
    f
}

/// Alpha (little-endian ELF64, Linux's EM_ALPHA 0x9026) uses 8-byte DT_HASH entries too:
/// with only DT_HASH to size the symbol table, all 5 symbols are read.
#[test]
fn elf_alpha_reads_8_byte_hash_entries() {
    let alpha = read_one(&elf_with_sysv_hash(0x9026, true, 5, b"PyType_GetName"));
    assert_eq!(alpha.imports.len(), 5);
    assert_eq!(alpha.arch, Arch::Other("alpha".into()));
    // The same layout on x86_64 (4-byte entries) reads the same.
    let x86_64 = read_one(&elf_with_sysv_hash(62, false, 5, b"PyType_GetName"));
    assert_eq!(x86_64.imports, alpha.imports);
}

/// Copies of one string are bounded: names a small file repeats add up to at most
/// `MAX_STRING_BYTES` per file, then the read is refused by name.
#[test]
fn repeated_names_are_bounded() {
    let name = vec![b'P'; 60_000];
    let few = read_one(&elf_naming_one_string(3, &name));
    assert_eq!(few.imports.len(), 3);
    let many = elf_naming_one_string(600, &name); // 36 MB of copies of a 60 kB string
    let err = match binary::read(&many) {
        Ok(b) => panic!("read {} imports of 60 kB each", b[0].imports.len()),
        Err(e) => e,
    };
    assert!(matches!(err, ReadError::Limit { .. }), "{err}");
    assert!(
        err.to_string().contains("add up to more than 32 MiB"),
        "{err}"
    );
}

/// 32-bit Mach-O slices, little-endian i386 and big-endian ppc (`intel`, `fat`, `fat3`,
/// `universal` wheels), thin and fat: arch, exports, two-level and flat imports, libraries.
#[test]
fn macho_i386_and_ppc_slices() {
    let image = |big_endian: bool, cputype: u32| {
        macho32_dylib(
            big_endian,
            cputype,
            "@rpath/_demo.abi3.so",
            &["PyInit__demo", "demo_helper"],
            &[("PyType_GetName", 0xfe), ("malloc", 1)],
            &["/usr/lib/libSystem.B.dylib"],
        )
    };
    let i386 = image(false, 7);
    let ppc = image(true, 18);
    let check = |b: &Binary, arch: Arch, tag: &str| {
        assert_eq!(b.format, Format::MachO);
        assert_eq!(b.arch, arch);
        assert_eq!(b.arch.tag_name(binary::Platform::MacOs), tag);
        assert_eq!(Arch::from_name(tag), arch);
        assert_eq!(b.exports, ["PyInit__demo", "demo_helper"]);
        let py = import(b, "PyType_GetName");
        assert_eq!(py.library, None);
        assert!(b.flat_namespace_lookups);
        assert_eq!(
            import(b, "malloc").library.as_deref(),
            Some("/usr/lib/libSystem.B.dylib")
        );
        assert_eq!(b.imports.len(), 2, "{:?}", b.imports);
        assert_eq!(b.needed.len(), 1);
        assert_eq!(b.soname.as_deref(), Some("@rpath/_demo.abi3.so"));
        assert_eq!(b.macos_min, Some((10, 5)));
    };
    check(&read_one(&i386), Arch::X86, "i386");
    check(&read_one(&ppc), Arch::Ppc, "ppc");
    let fat = fat_macho_of(&[(7, 3, &i386), (18, 0, &ppc)]);
    let slices = binary::read(&fat).unwrap();
    assert_eq!(slices.len(), 2);
    check(&slices[0], Arch::X86, "i386");
    check(&slices[1], Arch::Ppc, "ppc");
    assert_eq!(
        (slices[0].fat_slice, slices[1].fat_slice),
        (Some(0), Some(1))
    );
    check_truncations_and_prefixes(&ppc);
    check_truncations_and_prefixes(&fat);
}

/// The architecture names of the PE machines PyPI ships (`win_amd64`, `win32`,
/// `win_arm64`).
#[test]
fn pe_arch_tag_names() {
    for (arch, tag) in [
        (Arch::X86_64, "amd64"),
        (Arch::X86, "win32"),
        (Arch::Aarch64, "arm64"),
    ] {
        assert_eq!(arch.tag_name(binary::Platform::Windows), tag);
    }
    assert_eq!(Arch::from_name("amd64"), Arch::X86_64);
    assert_eq!(Arch::from_name("arm64"), Arch::Aarch64);
}

/// Section headers are no source: a file cut after its last segment (the section header
/// table gone) reads the same, from its hash tables and relocations.
#[test]
fn elf_section_headers_past_the_end_are_no_source() {
    let data = fixture_or_skip!(elf_fixture());
    let full = read_one(&data);
    let shoff = u64::from_le_bytes(data[0x28..0x30].try_into().unwrap()) as usize;
    let cut = &data[..shoff];
    assert_eq!(read_one(cut), full);
    check_sparse_matches_full(cut);
}

// ------------------------------------------------------------------------------------
// ELF: the symbols the loader reaches
// ------------------------------------------------------------------------------------

/// A module that binds `PyType_GetName` (3.11) at load time (`-z now`) but only calls it
/// from a method, so it imports (and the call works) on an interpreter that has it.
const HIDDEN_IMPORT: &str = r#"
#include <Python.h>

static PyObject *name_of_int(PyObject *self, PyObject *args) {
    return PyType_GetName(&PyLong_Type);
}

static PyMethodDef methods[] = {
    {"name_of_int", name_of_int, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef hidden_module = { PyModuleDef_HEAD_INIT, "hidden", NULL, -1, methods };

PyMODINIT_FUNC PyInit_hidden(void) { return PyModule_Create(&hidden_module); }
"#;

fn le64(data: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(data[at..at + 8].try_into().unwrap())
}

fn le32(data: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(data[at..at + 4].try_into().unwrap())
}

/// A little-endian ELF64's dynamic entries as (entry offset, tag, value); gcc's shared
/// objects map their first segment at address 0, so a table's address is its offset.
fn le64_dynamic(data: &[u8]) -> Vec<(usize, u64, u64)> {
    let phoff = le64(data, 0x20) as usize;
    let phnum = u16::from_le_bytes([data[0x38], data[0x39]]) as usize;
    let dynamic = (0..phnum)
        .map(|i| phoff + i * 56)
        .find(|&at| le32(data, at) == 2)
        .expect("PT_DYNAMIC");
    let (offset, size) = (le64(data, dynamic + 8) as usize, le64(data, dynamic + 32));
    (0..size as usize / 16)
        .map(|i| offset + i * 16)
        .map(|at| (at, le64(data, at), le64(data, at + 8)))
        .take_while(|&(_, tag, _)| tag != 0)
        .collect()
}

fn le64_dynamic_value(data: &[u8], tag: u64) -> Option<usize> {
    le64_dynamic(data)
        .into_iter()
        .find(|&(_, t, _)| t == tag)
        .map(|(_, _, v)| v as usize)
}

/// Rewrites a gcc-built sysv-hash module so that `name`'s dynamic symbol sits last and
/// outside the hash table: swapped with the last symbol (entries, versions, relocations
/// and hash chains relabelled), unlinked from its chain, `nchain` one less, and the section
/// headers dropped. Every other symbol is still found as before, and the relocation that
/// names `name` still binds it: the loader never needs a count.
fn hide_past_the_hash_table(data: &[u8], name: &str) -> Vec<u8> {
    let mut out = data.to_vec();
    let symtab = le64_dynamic_value(data, 6).expect("DT_SYMTAB");
    let strtab = le64_dynamic_value(data, 5).expect("DT_STRTAB");
    let hash = le64_dynamic_value(data, 4).expect("DT_HASH");
    let versym = le64_dynamic_value(data, 0x6fff_fff0);
    let nbucket = le32(data, hash) as usize;
    let nchain = le32(data, hash + 4) as usize;
    let buckets = hash + 8;
    let chains = buckets + 4 * nbucket;
    let sym_name = |i: usize| {
        let at = strtab + le32(data, symtab + i * 24) as usize;
        let end = at + data[at..].iter().position(|&b| b == 0).unwrap();
        String::from_utf8_lossy(&data[at..end]).into_owned()
    };
    let target = (1..nchain).find(|&i| sym_name(i) == name).expect("symbol");
    let last = nchain - 1;
    assert_ne!(target, last, "already last");
    let perm = |i: u32| match i as usize {
        i if i == target => last as u32,
        i if i == last => target as u32,
        _ => i,
    };
    // Symbols and versions.
    for (base, size) in [(Some(symtab), 24), (versym, 2)] {
        let Some(base) = base else { continue };
        let (a, b) = (base + target * size, base + last * size);
        let saved = data[a..a + size].to_vec();
        out[a..a + size].copy_from_slice(&data[b..b + size]);
        out[b..b + size].copy_from_slice(&saved);
    }
    // Relocations (`Rela64`: r_info's high word is the symbol).
    for (table, size_tag) in [(7, 8), (23, 2)] {
        let (Some(start), Some(len)) = (
            le64_dynamic_value(data, table),
            le64_dynamic_value(data, size_tag),
        ) else {
            continue;
        };
        for at in (start..start + len).step_by(24) {
            let sym = le32(data, at + 12);
            out[at + 12..at + 16].copy_from_slice(&perm(sym).to_le_bytes());
        }
    }
    // Hash: new bucket[b] = perm(bucket[b]); new chain[i] = perm(chain[perm(i)]).
    for b in 0..nbucket {
        let at = buckets + 4 * b;
        out[at..at + 4].copy_from_slice(&perm(le32(data, at)).to_le_bytes());
    }
    for i in 0..nchain {
        let value = perm(le32(data, chains + 4 * perm(i as u32) as usize));
        out[chains + 4 * i..chains + 4 * i + 4].copy_from_slice(&value.to_le_bytes());
    }
    // Unlink `last` from its chain (or bucket), then drop it from the count.
    let next = le32(&out, chains + 4 * last);
    let link = (0..nbucket)
        .map(|b| buckets + 4 * b)
        .chain((0..nchain).map(|i| chains + 4 * i))
        .find(|&at| le32(&out, at) as usize == last)
        .expect("a link to the last symbol");
    out[link..link + 4].copy_from_slice(&next.to_le_bytes());
    out[hash + 4..hash + 8].copy_from_slice(&(last as u32).to_le_bytes());
    // No section headers: no `.dynsym` header to count from.
    out[0x28..0x30].fill(0);
    out[0x3c..0x40].fill(0);
    out
}

/// A walk-around closed: an import the hash table does not cover (the last symbol, past
/// `nchain`, in a file without section headers) is still bound by the loader through its
/// relocation, so the reader counts symbols up to the highest one a relocation names. The
/// rewritten module is proven loadable: it imports and calls `PyType_GetName` on the local
/// interpreter (on 3.8 to 3.10 it fails to import: `undefined symbol: PyType_GetName`).
#[test]
fn elf_import_hidden_past_the_hash_table_is_found_through_its_relocation() {
    let path = fixture_or_skip!(build_c_extension(
        "hidden",
        HIDDEN_IMPORT,
        &["-Wl,--hash-style=sysv", "-Wl,-z,now"]
    ));
    let data = std::fs::read(&path).unwrap();
    let full = read_one(&data);
    assert!(full.imports.iter().any(|i| i.name == "PyType_GetName"));
    let hidden = hide_past_the_hash_table(&data, "PyType_GetName");
    let read = read_one(&hidden);
    assert!(
        read.imports.iter().any(|i| i.name == "PyType_GetName"),
        "{:#?}",
        read.imports
    );
    let sorted = |b: &Binary| {
        let mut names: Vec<_> = b.imports.iter().map(|i| i.name.clone()).collect();
        names.sort();
        (names, b.exports.clone())
    };
    assert_eq!(sorted(&read), sorted(&full));
    check_sparse_matches_full(&hidden);

    // The rewritten file is a module the loader accepts and binds.
    let dir = scratch_dir("hidden-import");
    std::fs::write(dir.join("hidden.so"), &hidden).unwrap();
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sys; sys.path.insert(0, sys.argv[1]); import hidden; print(hidden.name_of_int())")
        .arg(&dir)
        .output()
        .expect("python3");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "int",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Relocations the reader does not count from (Android's packed ones, or more than 8 MiB of
/// them): the `.dynsym` section header counts the symbols instead (and must agree with the
/// hash tables); without it the read fails.
#[test]
fn elf_uncounted_relocations_count_from_the_section_header() {
    let data = nh3_s390x();
    let full = read_one(&data);
    let entries = be64_dynamic_entries(&data);
    let at = |tag: u64| entries.iter().find(|&&(_, t)| t == tag).expect("tag").0;
    let mut packed = data.clone();
    put_be64(&mut packed, at(7), 0x6000_0011); // DT_RELA → DT_ANDROID_RELA
    let mut large = data.clone();
    put_be64(&mut large, at(8) + 8, 24 * 349_526); // DT_RELASZ past 8 MiB
    for (what, uncounted, error) in [
        (
            "packed",
            packed,
            "relocations in a packed format (DT_ANDROID_REL/DT_ANDROID_RELA) and no .dynsym section header",
        ),
        (
            "large",
            large,
            "bytes of dynamic relocations, more than the limit of 8388608, and no .dynsym section header",
        ),
    ] {
        assert_eq!(read_one(&uncounted), full, "{what}");
        check_sparse_matches_full(&uncounted);
        let mut short = uncounted.clone();
        put_be64(&mut short, be64_dynsym_header(&data) + 32, 140 * 24);
        let err = binary::read(&short).unwrap_err().to_string();
        assert!(
            err.contains("counts 141 dynamic symbols but the .dynsym section header counts 140"),
            "{what}: {err}"
        );
        let mut headless = uncounted;
        put_be64(&mut headless, 0x28, 0);
        let err = binary::read(&headless).unwrap_err().to_string();
        assert!(err.contains(error), "{what}: {err}");
    }
}

/// Relocations the loader would misread fail closed: a symbol index past the limit, a
/// table size that is not a whole number of entries, an entry size it does not use.
#[test]
fn elf_relocations_that_cannot_be_read_as_the_loader_would_fail_closed() {
    let data = nh3_s390x();
    let jmprel = be64_dynamic_value(&data, 23);
    let mut far = data.clone();
    // `Rela64`, big-endian: r_info is the second word, the symbol its high half.
    put_be64(&mut far, jmprel + 8, (0x00ff_ffff << 32) | 11);
    let err = binary::read(&far).unwrap_err();
    assert!(matches!(err, ReadError::Limit { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("relocations (or DT_MIPS_SYMTABNO) reach dynamic symbol 16777215"),
        "{err}"
    );
    // MIPS: the loader relocates the GOT entries of symbols up to DT_MIPS_SYMTABNO (here in
    // place of DT_INIT, which the reader ignores).
    let (init_at, _) = be64_dynamic_entries(&data)
        .into_iter()
        .find(|&(_, t)| t == 12)
        .expect("DT_INIT");
    let mut mips = data.clone();
    put_be64(&mut mips, init_at, 0x7000_0011);
    put_be64(&mut mips, init_at + 8, 0x0100_0000);
    let err = binary::read(&mips).unwrap_err();
    assert!(
        err.to_string()
            .contains("reach dynamic symbol 16777215, more than the limit"),
        "{err}"
    );
    put_be64(&mut mips, init_at + 8, 141);
    assert_eq!(read_one(&mips), read_one(&data));
    for (tag, value, expected) in [
        (
            2,
            25,
            "DT_JMPREL: 25 bytes is not a whole number of 24-byte entries",
        ),
        (9, 16, "unexpected DT_RELAENT 16"),
    ] {
        let (at, _) = be64_dynamic_entries(&data)
            .into_iter()
            .find(|&(_, t)| t == tag)
            .expect("tag");
        let mut bad = data.clone();
        put_be64(&mut bad, at + 8, value);
        let err = binary::read(&bad).unwrap_err();
        assert!(matches!(err, ReadError::Malformed { .. }), "{err}");
        assert!(err.to_string().contains(expected), "{err}");
    }
}

/// A module with megabytes of relocations (200,000 pointers in an initialised table, each
/// an `R_X86_64_RELATIVE`): its tables run past the plan's 2 MiB speculation, and the plan
/// holds on while they last, so the read still takes one pass.
#[test]
fn elf_large_relocation_tables_are_read_in_one_pass() {
    let source = "#include <Python.h>\n\
        static int x;\n\
        void *table[200000] = { [0 ... 199999] = &x };\n\
        static PyModuleDef m = { PyModuleDef_HEAD_INIT, \"relocs\", NULL, -1, NULL };\n\
        PyMODINIT_FUNC PyInit_relocs(void) { return PyModule_Create(&m); }\n";
    let path = fixture_or_skip!(build_c_extension("relocs", source, &[]));
    let data = std::fs::read(&path).unwrap();
    let relasz = le64_dynamic_value(&data, 8).expect("DT_RELASZ");
    assert!(relasz > 4 << 20, "{relasz} bytes of relocations");
    let b = read_one(&data);
    assert!(b.exports_symbol("PyInit_relocs"));
    check_sparse_matches_full(&data);
}
