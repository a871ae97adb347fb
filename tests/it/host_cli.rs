//! Integration tests of `cargo abi3 host`: a host linking a fake libffi, extensions that
//! collide with it or not, built with gcc at test time; Debian's pypy3 and uwsgi-core
//! where installed.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::scratch_dir;
use crate::support::wheel::WheelBuilder;
use serde_json::Value;

/// Runs the CLI without LD_LIBRARY_PATH; returns (exit code, stdout).
fn cargo_abi3(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-abi3"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .expect("run cargo-abi3");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf-8 output"),
    )
}

fn host_json(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["host", "--format", "json"];
    all.extend_from_slice(args);
    let (code, stdout) = cargo_abi3(&all);
    let json = support::schema::parse_valid(&stdout, support::schema::Schema::Report);
    (code, json)
}

fn gcc(dir: &Path, args: &[&str]) -> Result<(), String> {
    let out = Command::new("gcc")
        .current_dir(dir)
        .args(args)
        .output()
        .map_err(|e| format!("gcc not found: {e}"))?;
    assert!(
        out.status.success(),
        "gcc {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

const FAKE_FFI: &str = "int ffi_call(void) { return 1; }\nint ffi_prep_cif(void) { return 2; }\n";
const VERSION_SCRIPT: &str = "LIBFFI_FAKE_1.0 { global: ffi_call; ffi_prep_cif; local: *; };\n";

/// A directory with `libffifake.so` (symbol version LIBFFI_FAKE_1.0) and `host` linking it
/// with RUNPATH `$ORIGIN`.
fn build_host(name: &str) -> Result<PathBuf, String> {
    let dir = scratch_dir(name);
    std::fs::write(dir.join("ffi.c"), FAKE_FFI).unwrap();
    std::fs::write(dir.join("ffi.map"), VERSION_SCRIPT).unwrap();
    std::fs::write(
        dir.join("main.c"),
        "int ffi_call(void);\nint main(void) { return ffi_call(); }\n",
    )
    .unwrap();
    gcc(
        &dir,
        &[
            "-shared",
            "-fPIC",
            "ffi.c",
            "-o",
            "libffifake.so",
            "-Wl,-soname,libffifake.so",
            "-Wl,--version-script=ffi.map",
        ],
    )?;
    gcc(
        &dir,
        &[
            "main.c",
            "-o",
            "host",
            "-L.",
            "-lffifake",
            "-Wl,--enable-new-dtags,-rpath,$ORIGIN",
        ],
    )?;
    Ok(dir)
}

macro_rules! or_skip {
    ($e:expr) => {
        fixture_or_skip!($e)
    };
}

fn library<'a>(json: &'a Value, soname: &str) -> Option<&'a Value> {
    json["inputs"][0]["host"]["libraries"]
        .as_array()?
        .iter()
        .find(|l| l["soname"] == soname || l["name"] == soname)
}

/// (input path, member, code, symbol) of every binary finding.
fn binary_findings(json: &Value) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    for input in json["inputs"].as_array().unwrap() {
        for binary in input["binaries"].as_array().unwrap() {
            for f in binary["findings"].as_array().unwrap() {
                out.push((
                    input["path"].as_str().unwrap_or_default().to_owned(),
                    binary["member"].as_str().unwrap_or_default().to_owned(),
                    f["code"].as_str().unwrap().to_owned(),
                    f["symbol"].as_str().unwrap_or_default().to_owned(),
                ));
            }
        }
    }
    out
}

#[test]
fn origin_runpath_resolves_and_classifies() {
    let dir = or_skip!(build_host("host-origin"));
    let (code, json) = host_json(&[dir.join("host").to_str().unwrap()]);
    assert_eq!(code, 0, "{json:#}");
    let ffi = library(&json, "libffifake.so").expect("libffifake.so in the closure");
    assert_eq!(ffi["found_via"], "runpath");
    // Not a library name wheels vendor (that takes the real libffi's soname): "other",
    // still global, still in the collision analysis.
    assert_eq!(ffi["class"], "other");
    assert_eq!(ffi["global_symbols"], 2);
    assert_eq!(ffi["versions"][0], "LIBFFI_FAKE_1.0");
    assert_eq!(
        ffi["path"].as_str().unwrap(),
        format!(
            "{}/libffifake.so",
            std::fs::canonicalize(&dir).unwrap().display()
        )
    );
    let libc = library(&json, "libc.so.6").expect("libc in the closure");
    assert_eq!(libc["class"], "runtime");
    assert!(
        json["inputs"][0]["findings"].as_array().unwrap().is_empty(),
        "{json:#}"
    );
}

#[test]
fn exported_copies_collide_and_hidden_ones_do_not() {
    let dir = or_skip!(build_host("host-collide"));
    std::fs::write(
        dir.join("bad.c"),
        format!("{FAKE_FFI}void *PyInit_bad(void) {{ return 0; }}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("good.c"),
        format!("{FAKE_FFI}__attribute__((visibility(\"default\"))) void *PyInit_good(void) {{ return 0; }}\n"),
    )
    .unwrap();
    or_skip!(gcc(
        &dir,
        &["-shared", "-fPIC", "bad.c", "-o", "bad.abi3.so"]
    ));
    or_skip!(gcc(
        &dir,
        &[
            "-shared",
            "-fPIC",
            "-fvisibility=hidden",
            "good.c",
            "-o",
            "good.abi3.so"
        ]
    ));
    let host = dir.join("host");
    let bad = dir.join("bad.abi3.so");
    let good = dir.join("good.abi3.so");

    let (code, json) = host_json(&[host.to_str().unwrap(), "--with", bad.to_str().unwrap()]);
    assert_eq!(code, 1, "{json:#}");
    let findings = binary_findings(&json);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let (_, _, finding_code, symbol) = &findings[0];
    assert_eq!(finding_code, "host-shadows-symbol");
    assert!(symbol.starts_with("ffi_"), "{symbol}");
    let finding = &json["inputs"][1]["binaries"][0]["findings"][0];
    let notes = finding["notes"].to_string();
    assert!(
        notes.contains("ffi_call")
            && notes.contains("LIBFFI_FAKE_1.0")
            && notes.contains("ffi_prep_cif"),
        "{notes}"
    );
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("libffifake.so")
    );

    let (code, json) = host_json(&[host.to_str().unwrap(), "--with", good.to_str().unwrap()]);
    assert_eq!(code, 0, "{json:#}");
    assert!(binary_findings(&json).is_empty(), "{json:#}");

    // Human output: the verdict per input and rustc-style diagnostics.
    let (code, text) = cargo_abi3(&[
        "host",
        host.to_str().unwrap(),
        "--with",
        bad.to_str().unwrap(),
        good.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(text.contains("error[host-shadows-symbol]"), "{text}");
    assert!(text.contains("collides with libffifake.so"), "{text}");
    assert!(
        text.contains("good.abi3.so: no collision with the host"),
        "{text}"
    );
}

#[test]
fn vendored_library_in_a_wheel_is_shadowed_through_imports() {
    let dir = or_skip!(build_host("host-vendored"));
    // auditwheel-style vendored copy: renamed file, same symbol version.
    or_skip!(gcc(
        &dir,
        &[
            "-shared",
            "-fPIC",
            "ffi.c",
            "-o",
            "libffifake-1a2b3c4d.so",
            "-Wl,-soname,libffifake-1a2b3c4d.so",
            "-Wl,--version-script=ffi.map"
        ]
    ));
    std::fs::write(
        dir.join("ext.c"),
        "int ffi_call(void);\n__attribute__((visibility(\"default\"))) void *PyInit_ext(void) { return (void *)(long)ffi_call(); }\n",
    )
    .unwrap();
    or_skip!(gcc(
        &dir,
        &[
            "-shared",
            "-fPIC",
            "-fvisibility=hidden",
            "ext.c",
            "-o",
            "ext.abi3.so",
            "-L.",
            "-l:libffifake-1a2b3c4d.so"
        ]
    ));
    let wheel = WheelBuilder::new("demo-1.0-cp39-abi3-manylinux_2_17_x86_64.whl")
        .member(
            "demo/ext.abi3.so",
            std::fs::read(dir.join("ext.abi3.so")).unwrap(),
        )
        .member(
            "demo.libs/libffifake-1a2b3c4d.so",
            std::fs::read(dir.join("libffifake-1a2b3c4d.so")).unwrap(),
        )
        .write(&dir);
    let (code, json) = host_json(&[
        dir.join("host").to_str().unwrap(),
        "--with",
        wheel.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{json:#}");
    let findings = binary_findings(&json);
    // The extension imports ffi_call@LIBFFI_FAKE_1.0 expecting the vendored copy; the vendored
    // copy's own exports are interposed too.
    assert!(
        findings.iter().any(|(_, m, c, s)| m == "demo/ext.abi3.so"
            && c == "host-shadows-symbol"
            && s == "ffi_call"),
        "{findings:#?}"
    );
    assert!(
        findings
            .iter()
            .any(|(_, m, c, _)| m == "demo.libs/libffifake-1a2b3c4d.so"
                && c == "host-shadows-symbol"),
        "{findings:#?}"
    );
    let text = json.to_string();
    assert!(
        text.contains("imported from `libffifake-1a2b3c4d.so`"),
        "{text}"
    );
}

#[test]
fn unresolvable_needed_is_reported() {
    let dir = or_skip!(build_host("host-missing"));
    std::fs::remove_file(dir.join("libffifake.so")).unwrap();
    let (code, json) = host_json(&[dir.join("host").to_str().unwrap()]);
    assert_eq!(code, 0, "a missing library is a warning: {json:#}");
    let unresolved = &json["inputs"][0]["host"]["unresolved"][0];
    assert_eq!(unresolved["name"], "libffifake.so");
    assert_eq!(unresolved["needed_by"], "host");
    let finding = &json["inputs"][0]["findings"][0];
    assert_eq!(finding["code"], "host-unresolved-library");
    assert_eq!(finding["severity"], "warning");
    let (_, text) = cargo_abi3(&["host", dir.join("host").to_str().unwrap()]);
    assert!(text.contains("NOT FOUND"), "{text}");
}

#[test]
fn sysroot_uses_its_own_ld_so_conf_and_default_paths() {
    let dir = or_skip!(build_host("host-sysroot"));
    // A host without RUNPATH, in a sysroot whose ld.so.conf lists /opt/ffi.
    or_skip!(gcc(
        &dir,
        &["main.c", "-o", "plainhost", "-L.", "-lffifake"]
    ));
    let root = dir.join("root");
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    std::fs::create_dir_all(root.join("opt/ffi")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::copy(dir.join("plainhost"), root.join("usr/bin/plainhost")).unwrap();
    std::fs::copy(
        dir.join("libffifake.so"),
        root.join("opt/ffi/libffifake.so"),
    )
    .unwrap();
    std::fs::write(root.join("etc/ld.so.conf"), "/opt/ffi\n").unwrap();
    // A symlink loop and an absolute link must not escape or hang.
    std::os::unix::fs::symlink("loop", root.join("usr/bin/loop")).unwrap();
    let (code, json) = host_json(&[
        "--sysroot",
        root.to_str().unwrap(),
        root.join("usr/bin/plainhost").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{json:#}");
    let host = &json["inputs"][0]["host"];
    assert_eq!(host["path"], "/usr/bin/plainhost");
    assert_eq!(host["cache"], "ld.so.conf");
    let ffi = library(&json, "libffifake.so").expect("found in the sysroot");
    assert_eq!(ffi["path"], "/opt/ffi/libffifake.so");
    assert_eq!(ffi["found_via"], "ld-so-conf");
    // The sysroot has no libc: it is reported missing, not taken from the machine.
    assert!(
        host["unresolved"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["name"] == "libc.so.6"),
        "{host:#}"
    );
    // The loader-visible path works too; a loop is an unreadable host, not a hang.
    let (_, json) = host_json(&["--sysroot", root.to_str().unwrap(), "/usr/bin/plainhost"]);
    assert_eq!(json["inputs"][0]["host"]["path"], "/usr/bin/plainhost");
    let (code, _) = host_json(&["--sysroot", root.to_str().unwrap(), "/usr/bin/loop"]);
    assert_eq!(code, 2);
}

#[test]
fn garbage_host_is_an_analysis_failure() {
    let dir = scratch_dir("host-garbage");
    let path = dir.join("not-elf");
    std::fs::write(&path, b"\x7fELF\x02\x01\x01garbage").unwrap();
    let (code, json) = host_json(&[path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(json["inputs"][0]["findings"][0]["code"], "unreadable-input");
}

fn installed(path: &str) -> bool {
    if Path::new(path).exists() {
        true
    } else {
        support::skip(format_args!(
            "{path} is not installed (apt-get install pypy3 uwsgi-core)"
        ));
        false
    }
}

/// The README's `cargo abi3 host /usr/bin/…` examples are what `host` prints for those Debian
/// hosts (which `.ci/run` installs), numbers aside: symbol counts and versions follow the
/// packages' releases, the columns, classes, order and wording must not drift.
#[test]
fn readme_host_examples_are_what_host_prints() {
    fn mask(text: &str) -> String {
        let mut out = String::new();
        let mut last = ' ';
        for c in text.trim_end().chars() {
            let c = if c.is_ascii_digit() { '0' } else { c };
            if !(c.is_whitespace() && last.is_whitespace() || c == '0' && last == '0') {
                out.push(if c.is_whitespace() && c != '\n' {
                    ' '
                } else {
                    c
                });
            }
            last = c;
        }
        out
    }
    let examples = support::snapshot::console_examples(include_str!("../../README.md"));
    let hosts: Vec<_> = examples
        .iter()
        .filter(|e| e.command.starts_with("cargo abi3 host /usr/bin/"))
        .collect();
    assert!(hosts.len() >= 2, "the README shows host examples");
    for example in hosts {
        let path = example.command.trim_start_matches("cargo abi3 host ");
        if !installed(path) {
            continue;
        }
        let (code, stdout) = cargo_abi3(&["host", "--color", "never", path]);
        assert_eq!(code, 0, "{stdout}");
        assert_eq!(
            mask(&stdout),
            mask(&example.output),
            "README.md's `{}` is not what it prints:\n{stdout}",
            example.command
        );
    }
}

#[test]
fn debian_pypy3_forces_libffi_bz2_expat_tinfo() {
    if !installed("/usr/bin/pypy3") {
        return;
    }
    let (code, json) = host_json(&["/usr/bin/pypy3"]);
    assert_eq!(code, 0, "{json:#}");
    let pypy = library(&json, "libpypy3.9-c.so")
        .or_else(|| {
            json["inputs"][0]["host"]["libraries"]
                .as_array()?
                .iter()
                .find(|l| {
                    l["name"]
                        .as_str()
                        .is_some_and(|n| n.starts_with("libpypy3"))
                })
        })
        .expect("libpypy3*-c.so");
    assert_eq!(pypy["class"], "interpreter");
    let pypy_name = pypy["name"].as_str().unwrap().to_owned();
    for soname in [
        "libffi.so.8",
        "libbz2.so.1.0",
        "libexpat.so.1",
        "libtinfo.so.6",
    ] {
        let lib = library(&json, soname).unwrap_or_else(|| panic!("{soname} missing: {json:#}"));
        assert_eq!(lib["class"], "shadowing", "{soname}");
        assert_eq!(lib["needed_by"], pypy_name.as_str(), "{soname}");
        assert!(lib["global_symbols"].as_u64().unwrap() > 0);
    }
    let (_, text) = cargo_abi3(&["host", "--verbose", "/usr/bin/pypy3"]);
    println!("{text}");
}

#[test]
fn debian_uwsgi_forces_openssl() {
    if !installed("/usr/bin/uwsgi-core") {
        return;
    }
    let (code, json) = host_json(&["/usr/bin/uwsgi-core"]);
    assert_eq!(code, 0, "{json:#}");
    for soname in ["libssl.so.3", "libcrypto.so.3"] {
        let lib = library(&json, soname).unwrap_or_else(|| panic!("{soname} missing: {json:#}"));
        assert_eq!(lib["family"], "crypto");
        assert_eq!(lib["needed_by"], "uwsgi-core");
        assert!(
            lib["versions"].to_string().contains("OPENSSL_3.0.0"),
            "{lib}"
        );
    }
    let (_, text) = cargo_abi3(&["host", "--verbose", "/usr/bin/uwsgi-core"]);
    println!("{text}");
}

/// `host` applies the policy file like `audit`: an entry accepts a host finding with its
/// reason, and a host-code entry that accepted nothing is `unmatched-allow` (with its span).
#[test]
fn host_policy_entries_accept_and_stale_ones_are_reported() {
    if !installed("/usr/bin/uwsgi-core") {
        return;
    }
    let dir = scratch_dir("host-policy");
    let policy = dir.join("cargo-abi3.toml");
    std::fs::write(
        &policy,
        r#"[[allow-finding]]
code = "host-global-library"
symbol = "libssl.so.*"
reason = "our wheels link the system OpenSSL"

[[allow-finding]]
code = "host-shadows-symbol"
symbol = "libnothing*"
reason = "left over"

[[allow-finding]]
code = "newer-than-floor"
reason = "an audit entry: host cannot emit it, so it is not judged here"
"#,
    )
    .unwrap();
    let (code, json) = host_json(&["--config", policy.to_str().unwrap(), "/usr/bin/uwsgi-core"]);
    assert_eq!(code, 0, "{json:#}");
    let all: Vec<&Value> = json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| {
            let own = i["findings"].as_array().into_iter().flatten();
            let bins = i["binaries"].as_array().into_iter().flatten();
            own.chain(bins.flat_map(|b| b["findings"].as_array().into_iter().flatten()))
        })
        .collect();
    let ssl = all
        .iter()
        .find(|f| f["code"] == "host-global-library" && f["symbol"] == "libssl.so.3")
        .unwrap_or_else(|| panic!("{json:#}"));
    assert_eq!(
        ssl["allowed"]["reason"],
        "our wheels link the system OpenSSL"
    );
    let stale: Vec<&&Value> = all
        .iter()
        .filter(|f| f["code"] == "unmatched-allow")
        .collect();
    assert_eq!(stale.len(), 1, "{json:#}");
    assert!(
        stale[0]["message"]
            .as_str()
            .unwrap()
            .contains("host-shadows-symbol"),
        "{json:#}"
    );
    assert_eq!(stale[0]["span"]["line"], 7, "{json:#}");
}

/// An executable's copy relocations of runtime data (`stderr@GLIBC_2.2.5`) are the runtime's
/// own objects: an extension using `stderr` from libc does not collide with them.
#[test]
fn copy_relocations_of_runtime_data_are_not_collisions() {
    let dir = scratch_dir("host-copyreloc");
    std::fs::write(
        dir.join("main.c"),
        "#include <stdio.h>\nint main(void) { fputs(\"x\", stderr); return 0; }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("ext.c"),
        "#include <stdio.h>\n__attribute__((visibility(\"default\"))) void *PyInit_ext(void) \
         { fputs(\"x\", stderr); return 0; }\n",
    )
    .unwrap();
    // A non-PIE executable takes `stderr` by copy relocation and exports it with glibc's version.
    or_skip!(gcc(&dir, &["-no-pie", "main.c", "-o", "host"]));
    or_skip!(gcc(
        &dir,
        &[
            "-shared",
            "-fPIC",
            "-fvisibility=hidden",
            "ext.c",
            "-o",
            "ext.abi3.so"
        ]
    ));
    let host = dir.join("host");
    let ext = dir.join("ext.abi3.so");
    let (code, json) = host_json(&[host.to_str().unwrap(), "--with", ext.to_str().unwrap()]);
    assert_eq!(code, 0, "{json:#}");
    assert!(binary_findings(&json).is_empty(), "{json:#}");
}

/// PE: a wheel shipping a different DLL under a name the host loads is a DLL-name
/// collision; the host's own copy is not.
#[test]
fn pe_wheel_dll_named_like_the_hosts_collides() {
    use crate::support::{PeMachine, PeSpec, build_pe_extension};
    let vendored_host = or_skip!(
        build_pe_extension(&PeSpec::new(PeMachine::X64).export("ssl_host_init"))
            .map_err(|s| s.to_string())
    );
    let vendored_wheel = or_skip!(
        build_pe_extension(
            &PeSpec::new(PeMachine::X64)
                .export("ssl_wheel_init")
                .export("ssl_wheel_extra")
        )
        .map_err(|s| s.to_string())
    );
    let host_dll = or_skip!(
        build_pe_extension(&PeSpec::new(PeMachine::X64).export("host_main").dll(
            "libssl-3-x64.dll",
            &["ssl_host_init"],
            false
        ))
        .map_err(|s| s.to_string())
    );
    let dir = scratch_dir("host-pe");
    std::fs::write(dir.join("host.dll"), &host_dll).unwrap();
    std::fs::write(dir.join("libssl-3-x64.dll"), &vendored_host).unwrap();
    let module = or_skip!(
        build_pe_extension(
            &PeSpec::new(PeMachine::X64)
                .export("PyInit__core")
                .dll("python3.dll", &["PyLong_FromLong"], false)
                .dll("libssl-3-x64.dll", &["ssl_wheel_init"], false)
        )
        .map_err(|s| s.to_string())
    );
    let host = dir.join("host.dll");
    let clash = WheelBuilder::new("pkg-1.0-cp39-abi3-win_amd64.whl")
        .member("pkg/_core.pyd", module.clone())
        .member("pkg/libssl-3-x64.dll", vendored_wheel)
        .write(&dir);
    let (code, json) = host_json(&[host.to_str().unwrap(), "--with", clash.to_str().unwrap()]);
    assert!(json.to_string().contains("dll-name-collision"), "{json:#}");
    assert_ne!(code, 2, "{json:#}");
    // The same bytes as the host's copy are one DLL, not a collision.
    let same = scratch_dir("host-pe-same");
    let shared = WheelBuilder::new("pkg-1.0-cp39-abi3-win_amd64.whl")
        .member("pkg/_core.pyd", module)
        .member("pkg/libssl-3-x64.dll", vendored_host)
        .write(&same);
    let (_, json) = host_json(&[host.to_str().unwrap(), "--with", shared.to_str().unwrap()]);
    assert!(!json.to_string().contains("dll-name-collision"), "{json:#}");
}

/// Mach-O: an extension linked with `-undefined dynamic_lookup` resolves through the flat
/// namespace; one linked two-level does not.
#[test]
fn macho_flat_namespace_lookups_are_reported() {
    use crate::support::{MachArch, MachOSpec, build_macho_dylib};
    let flat = or_skip!(
        build_macho_dylib(&MachOSpec {
            exports: vec!["PyInit__core".into()],
            imports: vec!["PyLong_FromLong".into()],
            ..MachOSpec::new(MachArch::Arm64)
        })
        .map_err(|s| s.to_string())
    );
    let host = or_skip!(
        build_macho_dylib(&MachOSpec {
            exports: vec!["host_main".into()],
            ..MachOSpec::new(MachArch::Arm64)
        })
        .map_err(|s| s.to_string())
    );
    let dir = scratch_dir("host-macho");
    std::fs::write(dir.join("host.dylib"), &host).unwrap();
    let wheel = WheelBuilder::new("pkg-1.0-cp39-abi3-macosx_11_0_arm64.whl")
        .member("pkg/_core.abi3.so", flat)
        .write(&dir);
    let host_path = dir.join("host.dylib");
    let (code, json) = host_json(&[
        host_path.to_str().unwrap(),
        "--with",
        wheel.to_str().unwrap(),
    ]);
    assert_ne!(code, 2, "{json:#}");
    assert!(
        json.to_string().contains("flat-namespace-lookup"),
        "{json:#}"
    );
}

/// `host`'s human output as a snapshot, colour off, on a closure the test controls: a
/// gcc-built host without RUNPATH in a sysroot that holds only its libffifake.so (found
/// through the sysroot's ld.so.conf) and no libc (reported missing), so nothing of the
/// machine's own libraries is in it. The scratch directory is written `<dir>`.
#[test]
fn sysroot_host_human_snapshot() {
    let dir = or_skip!(build_host("host-snapshot"));
    or_skip!(gcc(
        &dir,
        &["main.c", "-o", "plainhost", "-L.", "-lffifake"]
    ));
    let root = dir.join("root");
    for sub in ["usr/bin", "opt/ffi", "etc"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    std::fs::copy(dir.join("plainhost"), root.join("usr/bin/plainhost")).unwrap();
    std::fs::copy(
        dir.join("libffifake.so"),
        root.join("opt/ffi/libffifake.so"),
    )
    .unwrap();
    std::fs::write(root.join("etc/ld.so.conf"), "/opt/ffi\n").unwrap();
    let (code, text) = cargo_abi3(&[
        "host",
        "--sysroot",
        root.to_str().unwrap(),
        "/usr/bin/plainhost",
    ]);
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains('\u{1b}'), "colour is off: {text}");
    let text = text.replace(dir.to_str().unwrap(), "<dir>");
    if !(cfg!(target_os = "linux") && cfg!(target_arch = "x86_64")) {
        crate::support::skip_optional(format_args!(
            "snapshot host/sysroot-plainhost.txt: recorded on x86_64 Linux, not compared here"
        ));
        return;
    }
    crate::support::snapshot::assert_text("host/sysroot-plainhost.txt", &text);
}

/// A sysroot for the containment tests: `usr/bin/plainhost` (DT_NEEDED libffifake.so, no
/// RUNPATH), under `<dir>/deep/root` so that `../../..` from its `etc` or `usr/lib` climbs
/// out of it. Returns (root, a directory outside it, the library that must be found, the
/// library that must not be: the same soname with version LIBFFI_ESCAPED_1.0).
fn containment_sysroot(name: &str) -> Result<(PathBuf, PathBuf, PathBuf, PathBuf), String> {
    let dir = build_host(name)?;
    gcc(&dir, &["main.c", "-o", "plainhost", "-L.", "-lffifake"])?;
    std::fs::write(
        dir.join("escaped.map"),
        "LIBFFI_ESCAPED_1.0 { global: ffi_call; ffi_prep_cif; local: *; };\n",
    )
    .unwrap();
    gcc(
        &dir,
        &[
            "-shared",
            "-fPIC",
            "ffi.c",
            "-o",
            "libffiescaped.so",
            "-Wl,-soname,libffifake.so",
            "-Wl,--version-script=escaped.map",
        ],
    )?;
    let root = dir.join("deep/root");
    let outside = dir.join("outside");
    for sub in ["usr/bin", "etc"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::copy(dir.join("plainhost"), root.join("usr/bin/plainhost")).unwrap();
    Ok((
        root,
        outside,
        dir.join("libffifake.so"),
        dir.join("libffiescaped.so"),
    ))
}

fn place(file: &Path, at: &Path) {
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    std::fs::copy(file, at).unwrap();
}

/// Where `path` (absolute) lands when a chroot at `root` follows an absolute link to it.
fn rerooted(root: &Path, path: &Path) -> PathBuf {
    root.join(path.strip_prefix("/").unwrap())
}

fn run_in_sysroot(root: &Path) -> (i32, Value) {
    host_json(&[
        "--sysroot",
        root.to_str().unwrap(),
        root.join("usr/bin/plainhost").to_str().unwrap(),
    ])
}

/// Runs `host` in the sysroot and asserts that `libffifake.so` was found at `path` inside it,
/// through `found_via` with the cache `cache`, and that nothing outside (`escaped`) was read.
fn assert_contained(root: &Path, cache: &str, path: &str, found_via: &str) {
    let (code, json) = run_in_sysroot(root);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["inputs"][0]["host"]["cache"], cache);
    let ffi = library(&json, "libffifake.so").expect("libffifake.so found");
    assert_eq!(ffi["path"], path, "{json:#}");
    assert_eq!(ffi["found_via"], found_via);
    assert_eq!(ffi["versions"][0], "LIBFFI_FAKE_1.0", "{json:#}");
    assert!(!json.to_string().contains("escaped"), "{json:#}");
}

/// `etc/ld.so.conf` is an absolute symlink to a file outside the sysroot. A chroot reads the
/// link target under the sysroot; the outside file, which names `/opt/escaped`, is never read.
#[test]
fn sysroot_ld_so_conf_symlink_is_rerooted() {
    let (root, outside, inside_lib, escaped_lib) =
        or_skip!(containment_sysroot("host-contain-conf"));
    let target = outside.join("ld.so.conf");
    std::fs::write(&target, "/opt/escaped\n").unwrap();
    std::os::unix::fs::symlink(&target, root.join("etc/ld.so.conf")).unwrap();
    std::fs::create_dir_all(rerooted(&root, &outside)).unwrap();
    std::fs::write(rerooted(&root, &target), "/opt/inside\n").unwrap();
    place(&escaped_lib, &root.join("opt/escaped/libffifake.so"));
    place(&inside_lib, &root.join("opt/inside/libffifake.so"));

    assert_contained(
        &root,
        "ld.so.conf",
        "/opt/inside/libffifake.so",
        "ld-so-conf",
    );
}

/// `etc/ld.so.cache` is an absolute symlink to a cache outside the sysroot that maps the
/// library to `/opt/escaped`; the chroot sees the cache under the sysroot instead.
#[test]
fn sysroot_ld_so_cache_symlink_is_rerooted() {
    use crate::support::ldcache::{ld_so_cache, native_flags};
    let Some(flags) = native_flags() else {
        support::skip_optional("no ld.so.cache flags known for this architecture");
        return;
    };
    let (root, outside, inside_lib, escaped_lib) =
        or_skip!(containment_sysroot("host-contain-cache"));
    let target = outside.join("ld.so.cache");
    std::fs::write(
        &target,
        ld_so_cache(&[(flags, "libffifake.so", "/opt/escaped/libffifake.so")]),
    )
    .unwrap();
    std::os::unix::fs::symlink(&target, root.join("etc/ld.so.cache")).unwrap();
    std::fs::create_dir_all(rerooted(&root, &outside)).unwrap();
    std::fs::write(
        rerooted(&root, &target),
        ld_so_cache(&[(flags, "libffifake.so", "/opt/inside/libffifake.so")]),
    )
    .unwrap();
    place(&escaped_lib, &root.join("opt/escaped/libffifake.so"));
    place(&inside_lib, &root.join("opt/inside/libffifake.so"));

    assert_contained(
        &root,
        "ld.so.cache",
        "/opt/inside/libffifake.so",
        "ld-so-cache",
    );
}

/// Relative links whose `..` would climb above the sysroot stop at its root, as in a chroot:
/// the include directory `etc/ld.so.conf.d -> ../../../outside.d` and the library directory
/// `usr/lib/esc -> ../../../libs` both resolve under the sysroot.
#[test]
fn sysroot_dotdot_links_stop_at_the_root() {
    let (root, _outside, inside_lib, escaped_lib) =
        or_skip!(containment_sysroot("host-contain-dotdot"));
    let deep = root.parent().unwrap().to_path_buf();
    let dir = deep.parent().unwrap().to_path_buf();
    std::fs::write(
        root.join("etc/ld.so.conf"),
        "include /etc/ld.so.conf.d/*.conf\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("../../../outside.d", root.join("etc/ld.so.conf.d")).unwrap();
    // What the OS would read: <dir>/outside.d, naming a directory with the wrong library.
    std::fs::create_dir_all(dir.join("outside.d")).unwrap();
    std::fs::write(dir.join("outside.d/a.conf"), "/opt/escaped\n").unwrap();
    place(&escaped_lib, &root.join("opt/escaped/libffifake.so"));
    // What the chroot reads: <root>/outside.d, naming /usr/lib/esc.
    std::fs::create_dir_all(root.join("outside.d")).unwrap();
    std::fs::write(root.join("outside.d/a.conf"), "/usr/lib/esc\n").unwrap();
    std::fs::create_dir_all(root.join("usr/lib")).unwrap();
    std::os::unix::fs::symlink("../../../libs", root.join("usr/lib/esc")).unwrap();
    // <root>/usr/lib/esc: the OS lands in <dir>/deep/libs, the chroot in <root>/libs.
    place(&escaped_lib, &deep.join("libs/libffifake.so"));
    place(&inside_lib, &root.join("libs/libffifake.so"));

    assert_contained(
        &root,
        "ld.so.conf",
        "/usr/lib/esc/libffifake.so",
        "ld-so-conf",
    );
}

/// The host argument is a real path under the sysroot whose last component is an absolute
/// symlink: it is resolved inside the sysroot (and the host's `$ORIGIN` is where it lands).
#[test]
fn sysroot_host_symlink_is_rerooted() {
    let (root, _outside, inside_lib, _escaped) = or_skip!(containment_sysroot("host-contain-exe"));
    std::fs::create_dir_all(root.join("opt/app")).unwrap();
    std::fs::rename(
        root.join("usr/bin/plainhost"),
        root.join("opt/app/plainhost"),
    )
    .unwrap();
    std::os::unix::fs::symlink("/opt/app/plainhost", root.join("usr/bin/python")).unwrap();
    std::fs::write(root.join("etc/ld.so.conf"), "/opt/inside\n").unwrap();
    place(&inside_lib, &root.join("opt/inside/libffifake.so"));
    let (code, json) = host_json(&[
        "--sysroot",
        root.to_str().unwrap(),
        root.join("usr/bin/python").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["inputs"][0]["host"]["path"], "/usr/bin/python");
    let ffi = library(&json, "libffifake.so").expect("libffifake.so found");
    assert_eq!(ffi["path"], "/opt/inside/libffifake.so", "{json:#}");
}

/// Runs the CLI under python3 and returns (peak RSS of the child in KiB, exit code, stdout).
fn peak_rss(args: &[&str]) -> Result<(u64, i32, String), support::Skip> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-abi3"));
    cmd.args(args)
        .env("NO_COLOR", "1")
        .env_remove("LD_LIBRARY_PATH");
    support::rss::peak_rss_kib(&cmd)
}

/// A crafted 4.8 MB ld.so.cache: 200,000 entries whose soname and path all point at one
/// 4,000-byte string. Copying the strings per entry took 1.6 GB; the cache is now refused at its
/// entry count (a limit finding, exit 2), and one at the limit with the same sharing is
/// parsed as offsets: the process stays under 100 MB either way.
#[test]
fn hostile_ld_so_cache_is_bounded_in_memory() {
    use crate::support::ldcache::{native_flags, shared_string_cache};
    let Some(flags) = native_flags() else {
        support::skip_optional("no ld.so.cache flags known for this architecture");
        return;
    };
    let (root, _outside, _inside, _escaped) = or_skip!(containment_sysroot("host-cache-rss"));
    let host = root.join("usr/bin/plainhost");
    let args = [
        "host",
        "--format",
        "json",
        "--sysroot",
        root.to_str().unwrap(),
        host.to_str().unwrap(),
    ];

    let cache = shared_string_cache(200_000, flags, 4000);
    assert!(cache.len() > 4_800_000 && cache.len() < 4_900_000);
    std::fs::write(root.join("etc/ld.so.cache"), &cache).unwrap();
    let (rss_kib, code, stdout) = or_skip!(peak_rss(&args));
    eprintln!("200,000 entries: peak RSS {rss_kib} KiB, exit {code}");
    assert!(rss_kib < 100 * 1024, "peak RSS {rss_kib} KiB");
    assert_eq!(code, 2, "{stdout}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let finding = json["inputs"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "input-limit-exceeded")
        .unwrap_or_else(|| panic!("no limit finding: {json:#}"));
    assert_eq!(
        finding["message"],
        "`/etc/ld.so.cache` has 200000 entries, above the limit of 65536; libraries were looked up without it"
    );

    let cache = shared_string_cache(65_536, flags, 4000);
    std::fs::write(root.join("etc/ld.so.cache"), &cache).unwrap();
    let (rss_kib, code, stdout) = or_skip!(peak_rss(&args));
    eprintln!("65,536 entries: peak RSS {rss_kib} KiB, exit {code}");
    assert!(rss_kib < 100 * 1024, "peak RSS {rss_kib} KiB");
    assert_eq!(code, 0, "{stdout}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["inputs"][0]["host"]["cache"], "ld.so.cache");
}

/// The ELF reader keeps DT_RPATH and DT_RUNPATH apart, entry by entry, and `host` searches
/// each in its place: a gcc host linked with `--disable-new-dtags` has exactly these
/// DT_RPATH entries and no DT_RUNPATH, one linked with `--enable-new-dtags` the reverse.
#[test]
fn rpath_and_runpath_are_read_apart() {
    let dir = or_skip!(build_host("host-dtags"));
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    std::fs::rename(dir.join("libffifake.so"), dir.join("lib/libffifake.so")).unwrap();
    let paths = "-rpath,/opt/first:$ORIGIN/lib,-rpath,/opt/second";
    let entries = ["/opt/first", "$ORIGIN/lib", "/opt/second"];
    for (dtags, host, via) in [
        ("--disable-new-dtags", "host-rpath", "rpath"),
        ("--enable-new-dtags", "host-runpath", "runpath"),
    ] {
        or_skip!(gcc(
            &dir,
            &[
                "main.c",
                "-o",
                host,
                "-Llib",
                "-lffifake",
                &format!("-Wl,{dtags},{paths}"),
            ]
        ));
        let data = std::fs::read(dir.join(host)).unwrap();
        let binary = cargo_abi3::binary::read(&data).unwrap().remove(0);
        if via == "rpath" {
            assert_eq!(binary.rpath, entries, "{host}");
            assert!(binary.runpath.is_empty(), "{host}: {:?}", binary.runpath);
        } else {
            assert_eq!(binary.runpath, entries, "{host}");
            assert!(binary.rpath.is_empty(), "{host}: {:?}", binary.rpath);
        }
        assert_eq!(binary.rpaths, entries, "{host}");
        let (code, json) = host_json(&[dir.join(host).to_str().unwrap()]);
        assert_eq!(code, 0, "{json:#}");
        let ffi = library(&json, "libffifake.so").expect("found through $ORIGIN/lib");
        assert_eq!(ffi["found_via"], via, "{host}");
    }
}

/// What the loader simulation reads from the model: symbol versions (default and hidden,
/// from Verdef), protected visibility, weak binding, version-name markers (SHN_ABS),
/// `-Bsymbolic` and `-z nodefaultlib`; and a streamed read of the same library (the way
/// wheel members are read) holds the same model in one pass.
#[test]
fn model_has_what_the_loader_binds_to() {
    use cargo_abi3::binary::{Binding, Visibility};
    let dir = scratch_dir("host-model");
    std::fs::write(
        dir.join("v.c"),
        "__asm__(\".symver a_old, a@V_1\");\n__asm__(\".symver a_new, a@@V_2\");\n\
         int a_old(void) { return 1; }\nint a_new(void) { return 2; }\n\
         __attribute__((visibility(\"protected\"))) int prot(void) { return 3; }\n\
         __attribute__((weak)) int weak_fn(void) { return 4; }\nint plain(void) { return 5; }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("v.map"),
        "V_1 { global: a; prot; weak_fn; local: *; };\nV_2 { global: plain; } V_1;\n",
    )
    .unwrap();
    or_skip!(gcc(
        &dir,
        &[
            "-shared",
            "-fPIC",
            "v.c",
            "-o",
            "libv.so",
            "-Wl,-soname,libv.so",
            "-Wl,--version-script=v.map",
            "-Wl,-Bsymbolic",
        ]
    ));
    let data = std::fs::read(dir.join("libv.so")).unwrap();
    let binary = cargo_abi3::binary::read(&data).unwrap().remove(0);
    assert!(binary.symbolic && !binary.nodeflib);
    assert_eq!(binary.defined_versions, ["V_1", "V_2"]);
    assert_eq!(binary.export_info.len(), binary.exports.len());
    let mut seen: Vec<(String, Option<String>, bool, Binding, Visibility, bool)> = binary
        .exports_with_info()
        .map(|(name, info)| {
            let info = info.expect("ELF exports have details");
            (
                name.to_owned(),
                info.version.clone(),
                info.hidden_version,
                info.binding,
                info.visibility,
                info.in_section,
            )
        })
        .collect();
    seen.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let v = |s: &str| Some(s.to_owned());
    use Binding::{Global, Weak};
    use Visibility::{Default, Protected};
    assert_eq!(
        seen,
        [
            ("V_1".into(), v("V_1"), false, Global, Default, false),
            ("V_2".into(), v("V_2"), false, Global, Default, false),
            ("a".into(), v("V_1"), true, Global, Default, true),
            ("a".into(), v("V_2"), false, Global, Default, true),
            ("plain".into(), v("V_2"), false, Global, Default, true),
            ("prot".into(), v("V_1"), false, Global, Protected, true),
            ("weak_fn".into(), v("V_1"), false, Weak, Default, true),
        ]
    );

    // Read the way a wheel member is: streamed, holding what the plan picks.
    let (streamed, stats) = cargo_abi3::binary::read_streamed::<()>(
        data.len() as u64,
        |sink| {
            for piece in data.chunks(4096) {
                if sink(piece).is_break() {
                    break;
                }
            }
            Ok(())
        },
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(streamed.unwrap(), vec![binary]);
    assert_eq!(stats.passes, 1, "{stats:?}");

    std::fs::write(dir.join("m.c"), "int main(void) { return 0; }\n").unwrap();
    or_skip!(gcc(&dir, &["m.c", "-o", "m", "-Wl,-z,nodefaultlib"]));
    let exe = cargo_abi3::binary::read(&std::fs::read(dir.join("m")).unwrap())
        .unwrap()
        .remove(0);
    assert!(exe.nodeflib && !exe.symbolic);
}

/// (code, message, help) of every analysis failure of each input, by input path.
fn failures(json: &Value) -> std::collections::BTreeMap<String, Vec<(String, String, String)>> {
    let mut out = std::collections::BTreeMap::new();
    for input in json["inputs"].as_array().unwrap() {
        let mut all: Vec<&Value> = input["findings"].as_array().unwrap().iter().collect();
        for binary in input["binaries"].as_array().unwrap() {
            all.extend(binary["findings"].as_array().unwrap());
        }
        let mut list: Vec<(String, String, String)> = all
            .into_iter()
            .filter(|f| f["code"] == "unreadable-input" || f["code"] == "input-limit-exceeded")
            .map(|f| {
                (
                    f["code"].as_str().unwrap().to_owned(),
                    f["message"].as_str().unwrap().to_owned(),
                    f["help"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        list.sort();
        out.insert(input["path"].as_str().unwrap().to_owned(), list);
    }
    out
}

/// `--with` inputs that cannot be read get audit's findings, word for word: a zip bomb
/// member (limit), a truncated member, a member with an unsafe path (skipped, so part of the
/// wheel went unchecked), a file that is not a zip, a truncated loose binary. Only the help
/// of a limit differs: `host` has no option to raise it.
#[test]
fn unreadable_with_inputs_are_worded_as_audit_words_them() {
    let dir = or_skip!(build_host("host-unreadable"));
    let lib = std::fs::read(dir.join("libffifake.so")).unwrap();
    let truncated = &lib[..lib.len() / 3];
    let mut bomb = b"\x7fELF\x02\x01\x01\0".to_vec();
    bomb.resize(8 << 20, 0);
    let wheel = WheelBuilder::new("bad-1.0-cp39-abi3-manylinux_2_17_x86_64.whl")
        .member("bad/_bomb.abi3.so", bomb)
        .member("bad/_cut.abi3.so", truncated.to_vec())
        .member("../evil.abi3.so", lib.clone())
        .write(&dir);
    let junk = dir.join("junk-1.0-cp39-abi3-manylinux_2_17_x86_64.whl");
    std::fs::write(&junk, b"<html>not a wheel</html>").unwrap();
    let loose = dir.join("libcut.so");
    std::fs::write(&loose, truncated).unwrap();
    let inputs = [
        wheel.to_str().unwrap(),
        junk.to_str().unwrap(),
        loose.to_str().unwrap(),
    ];

    let mut audit_args = vec!["audit", "--format", "json"];
    audit_args.extend(inputs);
    let (audit_code, audit_out) = cargo_abi3(&audit_args);
    assert_eq!(audit_code, 2, "{audit_out}");
    let audit = failures(&serde_json::from_str(&audit_out).unwrap());
    let host_path = dir.join("host");
    let mut host_args = vec![host_path.to_str().unwrap(), "--with"];
    host_args.extend(inputs);
    let (host_code, json) = host_json(&host_args);
    assert_eq!(host_code, 2, "{json:#}");
    let host = failures(&json);

    for input in inputs {
        let (a, h) = (&audit[input], &host[input]);
        assert!(!a.is_empty(), "{input}: audit found nothing to compare");
        let without_help = |l: &[(String, String, String)]| -> Vec<(String, String)> {
            l.iter().map(|(c, m, _)| (c.clone(), m.clone())).collect()
        };
        assert_eq!(without_help(h), without_help(a), "{input}");
        // One loading layer: the same help too, limits included (host has the same flags).
        for ((_, message, host_help), (_, _, audit_help)) in h.iter().zip(a) {
            assert_eq!(host_help, audit_help, "{message}");
        }
    }
    let wheel_failures = &host[inputs[0]];
    assert!(
        wheel_failures
            .iter()
            .any(|(c, m, _)| c == "input-limit-exceeded" && m.contains("bad/_bomb.abi3.so"))
    );
    assert!(
        wheel_failures
            .iter()
            .any(|(c, m, _)| c == "unreadable-input"
                && m.starts_with("cannot analyse `bad/_cut.abi3.so` in `"))
    );
    assert!(
        wheel_failures
            .iter()
            .any(|(_, m, _)| m.contains("`../evil.abi3.so` has an unsafe path"))
    );

    // The limit flags are host's too: raised, the bomb is read (and the others still fail).
    let mut raised = vec![
        host_path.to_str().unwrap(),
        "--max-compression-ratio",
        "5000",
        "--with",
    ];
    raised.extend(inputs);
    let (_, json) = host_json(&raised);
    assert!(
        !failures(&json)[inputs[0]]
            .iter()
            .any(|(c, _, _)| c == "input-limit-exceeded"),
        "{json:#}"
    );
}
