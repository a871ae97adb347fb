//! Integration tests of `cargo abi3 audit`: real extensions built at test time (gcc against
//! the local Python headers, lld for PE and Mach-O), wrapped in wheels, audited by the CLI.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::wheel::WheelBuilder;
use crate::support::*;
use serde_json::Value;

use crate::support::schema::assert_valid_against_schema;

/// Runs the CLI; returns (exit code, stdout).
fn cargo_abi3(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-abi3"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run cargo-abi3");
    let code = out.status.code().expect("exit code");
    (code, String::from_utf8(out.stdout).expect("utf-8 output"))
}

/// Runs `audit --format json` and checks the output against the committed schema.
fn audit_json(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["audit", "--format", "json"];
    all.extend_from_slice(args);
    let (code, stdout) = cargo_abi3(&all);
    let json: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{stdout}"));
    assert_valid_against_schema(&json);
    (code, json)
}

/// All findings of a JSON report as (code, symbol, arch) triples.
fn findings(json: &Value) -> Vec<(String, Option<String>, Option<String>)> {
    let mut all = Vec::new();
    for input in json["inputs"].as_array().unwrap() {
        for f in input["findings"].as_array().unwrap() {
            all.push((
                f["code"].as_str().unwrap().to_owned(),
                f["symbol"].as_str().map(str::to_owned),
                None,
            ));
        }
        for b in input["binaries"].as_array().unwrap() {
            for f in b["findings"].as_array().unwrap() {
                all.push((
                    f["code"].as_str().unwrap().to_owned(),
                    f["symbol"].as_str().map(str::to_owned),
                    b["arch"].as_str().map(str::to_owned),
                ));
            }
        }
    }
    all
}

fn has(json: &Value, code: &str, symbol: &str) -> bool {
    findings(json)
        .iter()
        .any(|(c, s, _)| c == code && s.as_deref() == Some(symbol))
}

fn codes(json: &Value) -> Vec<String> {
    findings(json).into_iter().map(|(c, _, _)| c).collect()
}

/// Module definition and entry point for a module called `name`.
fn module_boilerplate(name: &str) -> String {
    format!(
        "static struct PyModuleDef def = {{ PyModuleDef_HEAD_INIT, \"{name}\", NULL, -1, NULL }};\n\
         PyMODINIT_FUNC PyInit_{name}(void) {{ return PyModule_Create(&def); }}\n"
    )
}

/// A limited-API extension module `demo` (`demo.so`, `PyInit_demo`) compiled with
/// `Py_LIMITED_API` = `limited_api` (0x03090000-style hex) and extra C code.
fn limited_extension(limited_api: &str, body: &str) -> Result<PathBuf, Skip> {
    let name = "demo";
    let source = format!(
        "#define Py_LIMITED_API {limited_api}\n#include <Python.h>\n{body}\n{}",
        module_boilerplate(name)
    );
    build_c_extension(name, &source, &["-fvisibility=hidden"])
}

/// Clean: only 3.2-era API under Py_LIMITED_API 3.9.
fn clean_extension() -> Result<PathBuf, Skip> {
    limited_extension(
        "0x03090000",
        "__attribute__((visibility(\"default\"))) PyObject *demo_answer(void) { return PyLong_FromLong(42); }",
    )
}

/// Declares Py_LIMITED_API 3.9 but calls `PyType_GetName` (3.11) through its own declaration.
fn floor_violating_extension() -> Result<PathBuf, Skip> {
    limited_extension(
        "0x03090000",
        "extern PyObject *PyType_GetName(PyTypeObject *);\n\
         PyObject *demo_name(PyObject *o) { return PyType_GetName(Py_TYPE(o)); }",
    )
}

fn wheel_with(dir: &Path, file_name: &str, member: &str, so: &Path) -> PathBuf {
    WheelBuilder::new(file_name)
        .member(member, std::fs::read(so).unwrap())
        .write(dir)
}

#[test]
fn clean_wheel_passes_with_exit_zero() {
    let so = fixture_or_skip!(clean_extension());
    let dir = scratch_dir("clean-wheel");
    let wheel = wheel_with(
        &dir,
        "demo-0.1.0-cp39-abi3-manylinux_2_17_x86_64.whl",
        "demo/demo.abi3.so",
        &so,
    );
    let (code, json) = audit_json(&[wheel.to_str().unwrap()]);
    assert_eq!(code, 0, "{json:#}");
    let binary = &json["inputs"][0]["binaries"][0];
    assert_eq!(binary["format"], "elf");
    assert_eq!(binary["role"], "extension-module");
    assert_eq!(json["inputs"][0]["claimed_floor"], "3.9");
    // Parsed, not compared as text: "3.10" sorts before "3.9" as a string.
    let computed: cargo_abi3::PyVersion =
        binary["computed_floor"].as_str().unwrap().parse().unwrap();
    assert!(computed <= cargo_abi3::PyVersion::new(3, 9), "{computed}");
}

#[test]
fn symbol_newer_than_the_tag_floor_is_an_error() {
    let so = fixture_or_skip!(floor_violating_extension());
    let dir = scratch_dir("newer-wheel");
    let wheel = wheel_with(
        &dir,
        "demo-0.1.0-cp39-abi3-manylinux_2_17_x86_64.whl",
        "demo/demo.abi3.so",
        &so,
    );
    let (code, json) = audit_json(&[wheel.to_str().unwrap()]);
    assert_eq!(code, 1, "{json:#}");
    assert!(has(&json, "newer-than-floor", "PyType_GetName"), "{json:#}");
    assert_eq!(json["inputs"][0]["binaries"][0]["computed_floor"], "3.11");

    // The same binary tagged for its real floor is clean.
    let wheel = wheel_with(
        &dir,
        "demo-0.1.0-cp311-abi3-manylinux_2_17_x86_64.whl",
        "demo/demo.abi3.so",
        &so,
    );
    let (code, json) = audit_json(&[wheel.to_str().unwrap()]);
    assert_eq!(code, 0, "{json:#}");

    // A compressed tag set claims its lowest member: cp39.cp311 installs on 3.9.
    let wheel = wheel_with(
        &dir,
        "demo-0.1.0-cp39.cp311-abi3-manylinux_2_17_x86_64.whl",
        "demo/demo.abi3.so",
        &so,
    );
    let (code, json) = audit_json(&[wheel.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(json["inputs"][0]["claimed_floor"], "3.9");
}

#[test]
fn human_output_is_rustc_style_and_names_the_member() {
    let so = fixture_or_skip!(floor_violating_extension());
    let dir = scratch_dir("human");
    let wheel = wheel_with(
        &dir,
        "demo-0.1.0-cp39-abi3-manylinux_2_17_x86_64.whl",
        "demo/demo.abi3.so",
        &so,
    );
    let (code, text) = cargo_abi3(&["audit", wheel.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        text.contains("error[newer-than-floor]: `PyType_GetName` needs Python 3.11, but the wheel is installable on 3.9"),
        "{text}"
    );
    assert!(
        text.contains("demo-0.1.0-cp39-abi3-manylinux_2_17_x86_64.whl!demo/demo.abi3.so (x86_64)"),
        "{text}"
    );
    assert!(
        text.contains("= note: added to the stable ABI in 3.11"),
        "{text}"
    );
    assert!(
        text.contains("= help: raise the floor to 3.11 (PyO3 feature `abi3-py311`, tag cp311)"),
        "{text}"
    );
}

#[test]
fn non_stable_private_platform_and_debug_symbols() {
    let so = fixture_or_skip!(limited_extension(
        "0x03090000",
        "extern const char *PyUnicode_AsUTF8(PyObject *);\n\
         extern PyObject *PyErr_SetFromWindowsErr(int);\n\
         extern void _Py_NegativeRefcount(const char *, int, PyObject *);\n\
         extern void _PyObject_Dump(PyObject *);\n\
         void demo_all(PyObject *o) { PyUnicode_AsUTF8(o); PyErr_SetFromWindowsErr(0); \
         _Py_NegativeRefcount(\"\", 0, o); _PyObject_Dump(o); }"
    ));
    let (code, json) = audit_json(&["--assume-minimum", "3.9", so.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        has(&json, "not-in-stable-abi", "PyUnicode_AsUTF8"),
        "{json:#}"
    );
    assert!(
        has(&json, "not-in-stable-abi", "_PyObject_Dump"),
        "{json:#}"
    );
    assert!(
        has(&json, "platform-only-symbol", "PyErr_SetFromWindowsErr"),
        "{json:#}"
    );
    assert!(
        has(&json, "debug-only-symbol", "_Py_NegativeRefcount"),
        "{json:#}"
    );
    assert_eq!(json["inputs"][0]["claim_source"]["kind"], "assume-minimum");
}

#[test]
fn own_exports_are_not_abi_violations() {
    // The module defines and exports Py-prefixed names of its own; abi3audit flags these on ELF.
    let so = fixture_or_skip!(limited_extension(
        "0x03090000",
        "__attribute__((visibility(\"default\"))) int PyDemo_Helper(void) { return 1; }\n\
         __attribute__((visibility(\"default\"))) int _Py_demo_private(void) { return 2; }"
    ));
    let (code, json) = audit_json(&["--assume-minimum", "3.9", so.to_str().unwrap()]);
    assert_eq!(code, 0, "{json:#}");
    assert!(
        !codes(&json).iter().any(|c| c == "not-in-stable-abi"),
        "{json:#}"
    );
}

#[test]
fn loose_binary_without_a_floor_reports_the_computed_floor() {
    let so = fixture_or_skip!(floor_violating_extension());
    let (code, json) = audit_json(&["--verbose", so.to_str().unwrap()]);
    assert_eq!(
        code, 0,
        "nothing claims a floor, so nothing is too new: {json:#}"
    );
    assert_eq!(json["inputs"][0]["binaries"][0]["computed_floor"], "3.11");
    assert!(codes(&json).contains(&"computed-floor".to_owned()));
    let (code, json) = audit_json(&["--assume-minimum", "3.10", so.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(has(&json, "newer-than-floor", "PyType_GetName"));
}

#[test]
fn pe_extension_checked_per_platform() {
    // python3.dll import of a Windows-only symbol is fine on Windows; a fork-only one is not.
    let pyd = fixture_or_skip!(build_pe_extension(
        &PeSpec::new(PeMachine::X64).export("PyInit_demo").dll(
            "python3.dll",
            &[
                "PyErr_SetFromWindowsErr",
                "PyOS_AfterFork_Child",
                "PyType_GetName"
            ],
            false
        )
    ));
    let dir = scratch_dir("pe-wheel");
    let wheel = WheelBuilder::new("demo-0.1.0-cp39-abi3-win_amd64.whl")
        .member("demo/demo.pyd", pyd)
        .write(&dir);
    let (code, json) = audit_json(&[wheel.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        !has(&json, "platform-only-symbol", "PyErr_SetFromWindowsErr"),
        "{json:#}"
    );
    assert!(
        has(&json, "platform-only-symbol", "PyOS_AfterFork_Child"),
        "{json:#}"
    );
    assert!(has(&json, "newer-than-floor", "PyType_GetName"), "{json:#}");
    assert_eq!(json["inputs"][0]["binaries"][0]["format"], "pe");
}

#[test]
fn delay_loaded_python_imports_count() {
    let pyd = fixture_or_skip!(build_pe_extension(
        &PeSpec::new(PeMachine::X64).export("PyInit_demo").dll(
            "python3.dll",
            &["PyType_GetName"],
            true
        )
    ));
    let dir = scratch_dir("pe-delay");
    let path = dir.join("demo.pyd");
    std::fs::write(&path, pyd).unwrap();
    let (code, json) = audit_json(&["--assume-minimum", "3.9", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{json:#}");
    assert!(has(&json, "newer-than-floor", "PyType_GetName"), "{json:#}");
}

#[test]
fn universal2_slices_are_reported_separately() {
    let arm = fixture_or_skip!(build_macho_dylib(&MachOSpec {
        imports: vec!["PyType_GetName".into(), "Py_IncRef".into()],
        exports: vec!["PyInit_demo".into()],
        ..MachOSpec::new(MachArch::Arm64)
    }));
    let x86 = fixture_or_skip!(build_macho_dylib(&MachOSpec {
        imports: vec!["Py_IncRef".into()],
        exports: vec!["PyInit_demo".into()],
        ..MachOSpec::new(MachArch::X86_64)
    }));
    let fat = fat_macho(&[(MachArch::X86_64, &x86), (MachArch::Arm64, &arm)]);
    let dir = scratch_dir("universal2");
    let wheel = WheelBuilder::new("demo-0.1.0-cp39-abi3-macosx_11_0_universal2.whl")
        .member("demo/demo.abi3.so", fat)
        .write(&dir);
    let (code, json) = audit_json(&[wheel.to_str().unwrap()]);
    assert_eq!(code, 1, "{json:#}");
    let binaries = json["inputs"][0]["binaries"].as_array().unwrap();
    assert_eq!(binaries.len(), 2);
    let violations: Vec<_> = findings(&json)
        .into_iter()
        .filter(|(c, _, _)| c == "newer-than-floor")
        .collect();
    assert_eq!(
        violations,
        vec![(
            "newer-than-floor".into(),
            Some("PyType_GetName".into()),
            Some("aarch64".into())
        )]
    );
    let (_, text) = cargo_abi3(&["audit", wheel.to_str().unwrap()]);
    assert!(text.contains("!demo/demo.abi3.so (arm64)"), "{text}");
}

#[test]
fn empty_inputs_and_unreadable_files_exit_two_but_the_rest_is_audited() {
    let so = fixture_or_skip!(floor_violating_extension());
    let dir = scratch_dir("mixed-inputs");
    let empty = dir.join("empty");
    std::fs::create_dir(&empty).unwrap();
    let text_so = dir.join("not-really.so");
    std::fs::write(&text_so, "INPUT(-lfoo)\n").unwrap();
    let (code, json) = audit_json(&[
        "--assume-minimum",
        "3.9",
        empty.to_str().unwrap(),
        text_so.to_str().unwrap(),
        so.to_str().unwrap(),
        &format!("{}/*.whl", dir.display()),
    ]);
    assert_eq!(code, 2, "{json:#}");
    let all = codes(&json);
    assert_eq!(
        all.iter().filter(|c| *c == "nothing-to-audit").count(),
        2,
        "{json:#}"
    );
    assert!(all.contains(&"unreadable-input".to_owned()));
    assert!(
        has(&json, "newer-than-floor", "PyType_GetName"),
        "the good input is still audited"
    );
    assert_eq!(json["summary"]["analysis_failures"], 3);
}

#[test]
fn uninstallable_tags_and_low_requires_python() {
    let so = fixture_or_skip!(clean_extension());
    let dir = scratch_dir("tags");
    let wheel = WheelBuilder::new("demo-0.1.0-py3-abi3-manylinux_2_17_x86_64.whl")
        .member("demo/demo.abi3.so", std::fs::read(&so).unwrap())
        .write(&dir);
    let (code, json) = audit_json(&[wheel.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        codes(&json).contains(&"uninstallable-tag".to_owned()),
        "{json:#}"
    );

    let wheel = WheelBuilder::new("demo-0.1.0-cp39-abi3-manylinux_2_17_x86_64.whl")
        .member("demo/demo.abi3.so", std::fs::read(&so).unwrap())
        .requires_python(">=3.8")
        .write(&dir);
    let (code, json) = audit_json(&[wheel.to_str().unwrap()]);
    assert_eq!(code, 0, "a warning does not fail the gate: {json:#}");
    assert!(
        codes(&json).contains(&"requires-python-below-floor".to_owned()),
        "{json:#}"
    );
    let (code, _) = cargo_abi3(&[
        "audit",
        "--deny",
        "requires-python-below-floor",
        wheel.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "--deny makes it an error");
}

#[test]
fn explain_and_list_cover_every_code() {
    let (code, list) = cargo_abi3(&["list"]);
    assert_eq!(code, 0);
    for c in cargo_abi3::Code::ALL {
        assert!(list.contains(c.name()), "{} missing from list", c.name());
        let (code, text) = cargo_abi3(&["explain", c.name()]);
        assert_eq!(code, 0);
        assert!(text.contains(c.explain().lines().next().unwrap()));
    }
    let (code, _) = cargo_abi3(&["explain", "no-such-code"]);
    assert_eq!(code, 2);
    // Invoked by cargo as `cargo-abi3 abi3 …`.
    let (code, _) = cargo_abi3(&["abi3", "list"]);
    assert_eq!(code, 0);
}

/// The committed real-world wheel: procmaps 0.5.0 claims cp36 but needs 3.10.
/// Snapshot of the JSON diagnostics (regenerate with SNAPSHOTS=overwrite).
#[test]
fn procmaps_snapshot() {
    let wheel = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/real/procmaps-0.5.0-cp36-abi3-manylinux2010_x86_64.whl"
    );
    let (code, mut json) = audit_json(&[wheel]);
    assert_eq!(code, 1);
    assert!(has(&json, "newer-than-floor", "PyUnicode_AsUTF8AndSize"));
    json["tool"] = Value::from("cargo-abi3 VERSION");
    json["inputs"][0]["path"] =
        Value::from("tests/fixtures/real/procmaps-0.5.0-cp36-abi3-manylinux2010_x86_64.whl");
    assert_snapshot("audit/procmaps.json", &json);
}

fn assert_snapshot(name: &str, json: &Value) {
    let rendered = serde_json::to_string_pretty(json).unwrap() + "\n";
    crate::support::snapshot::assert_text(name, &rendered);
}

/// The same wheel's human output, colour off (`NO_COLOR`), as a snapshot.
#[test]
fn procmaps_human_snapshot() {
    let wheel = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/real/procmaps-0.5.0-cp36-abi3-manylinux2010_x86_64.whl"
    );
    let (code, text) = cargo_abi3(&["audit", "--color", "never", wheel]);
    assert_eq!(code, 1, "{text}");
    let text = text.replace(concat!(env!("CARGO_MANIFEST_DIR"), "/../"), "");
    assert!(!text.contains('\u{1b}'), "colour is off: {text}");
    crate::support::snapshot::assert_text("audit/procmaps.txt", &text);
}

/// Proof that the promise matters: a module needing 3.11 really fails to import on 3.9.
#[test]
fn violation_really_fails_to_import_on_an_old_interpreter() {
    let Some(python39) = find_python("3.9") else {
        // .ci/run installs no CPython 3.9.
        skip_optional("no CPython 3.9 under ~/.pyenv/versions or on PATH as python3.9");
        return;
    };
    let so = fixture_or_skip!(floor_violating_extension());
    let dir = scratch_dir("import-proof");
    std::fs::copy(&so, dir.join("demo.abi3.so")).unwrap();
    let out = Command::new(&python39)
        .arg("-c")
        .arg("import demo")
        .current_dir(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("PyType_GetName"),
        "{stderr}"
    );
    let (code, json) = audit_json(&[
        "--assume-minimum",
        "3.9",
        dir.join("demo.abi3.so").to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(has(&json, "newer-than-floor", "PyType_GetName"));
}

fn find_python(version: &str) -> Option<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from)?;
    if let Ok(entries) = std::fs::read_dir(home.join(".pyenv/versions")) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let python = entry.path().join(format!("bin/python{version}"));
            if name.starts_with(&format!("{version}.")) && python.is_file() {
                return Some(python);
            }
        }
    }
    let out = Command::new(format!("python{version}"))
        .arg("-c")
        .arg("pass")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| PathBuf::from(format!("python{version}")))
}

/// A C initialiser for the record the build hook embeds (`Declaration::encode`).
fn declaration_initializer(floor: &str) -> String {
    use cargo_abi3_build_hook::declaration::Declaration;
    let mut declaration = Declaration::new(cargo_abi3::AbiKind::Abi3, Some(floor.parse().unwrap()));
    declaration.module = Some("demo".into());
    let record = declaration.encode().unwrap();
    let bytes: Vec<String> = record.iter().map(|b| b.to_string()).collect();
    format!(
        "__attribute__((used)) static const unsigned char cargo_abi3_declaration[] = {{{}}};",
        bytes.join(",")
    )
}

#[test]
fn embedded_declaration_is_the_claim_of_a_loose_binary() {
    let so = fixture_or_skip!(limited_extension(
        "0x03090000",
        &format!(
            "{}\nextern PyObject *PyType_GetName(PyTypeObject *);\n\
             PyObject *demo_name(PyObject *o) {{ return PyType_GetName(Py_TYPE(o)); }}",
            declaration_initializer("3.9")
        )
    ));
    let (code, json) = audit_json(&[so.to_str().unwrap()]);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(json["inputs"][0]["claim_source"]["kind"], "declaration");
    assert_eq!(json["inputs"][0]["claimed_floor"], "3.9");
    assert!(has(&json, "newer-than-floor", "PyType_GetName"), "{json:#}");
    // --assume-minimum wins over the declaration, which it then contradicts.
    let (code, json) = audit_json(&["--assume-minimum", "3.11", so.to_str().unwrap()]);
    assert!(
        codes(&json).contains(&"declaration-mismatch".to_owned()),
        "{json:#}"
    );
    assert_eq!(
        code, 0,
        "a claim above the declared floor is only a warning: {json:#}"
    );
}

#[test]
fn wheel_tag_below_the_declared_floor_is_a_mismatch() {
    let so = fixture_or_skip!(limited_extension(
        "0x030b0000",
        &declaration_initializer("3.11")
    ));
    let dir = scratch_dir("declared");
    let wheel = wheel_with(
        &dir,
        "demo-0.1.0-cp39-abi3-manylinux_2_17_x86_64.whl",
        "demo/demo.abi3.so",
        &so,
    );
    let (code, json) = audit_json(&[wheel.to_str().unwrap()]);
    assert_eq!(code, 1, "{json:#}");
    let finding = json["inputs"][0]["binaries"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "declaration-mismatch")
        .unwrap_or_else(|| panic!("{json:#}"));
    assert_eq!(
        finding["message"],
        "the wheel tag `cp39-abi3` claims Python 3.9, but the binary was built for 3.11"
    );
    let wheel = wheel_with(
        &dir,
        "demo-0.1.0-cp311-abi3-manylinux_2_17_x86_64.whl",
        "demo/demo.abi3.so",
        &so,
    );
    let (code, json) = audit_json(&[wheel.to_str().unwrap()]);
    assert_eq!(code, 0, "{json:#}");
    assert!(!codes(&json).contains(&"declaration-mismatch".to_owned()));
}

/// The code table (docs/codes.md, linked from the README) documents every code the tool can emit.
#[test]
fn readme_documents_every_code() {
    let readme = include_str!("../../docs/codes.md");
    for code in cargo_abi3::Code::ALL {
        assert!(
            readme.contains(&format!("`{}`", code.name())),
            "README does not document `{}`",
            code.name()
        );
    }
}

/// cryptography ships cp39-abi3 and cp311-abi3 wheels with one `Requires-Python: >=3.9`: the
/// cp311 wheel is covered by its cp39 sibling when both are audited together.
#[test]
fn requires_python_is_judged_per_release() {
    let so = fixture_or_skip!(clean_extension());
    let dir = scratch_dir("release");
    let build = |tag: &str| {
        WheelBuilder::new(&format!("demo-1.0-{tag}-abi3-manylinux_2_17_x86_64.whl"))
            .member("demo/demo.abi3.so", std::fs::read(&so).unwrap())
            .requires_python(">=3.9")
            .write(&dir)
    };
    let (cp39, cp311) = (build("cp39"), build("cp311"));
    let (code, json) = audit_json(&[cp311.to_str().unwrap()]);
    assert_eq!(code, 0);
    let finding = &json["inputs"][0]["findings"][0];
    assert_eq!(finding["code"], "requires-python-below-floor");
    assert_eq!(
        finding["severity"], "warning",
        "alone, the cp311 wheel warns: {json:#}"
    );
    let (_, json) = audit_json(&[cp39.to_str().unwrap(), cp311.to_str().unwrap()]);
    assert_eq!(
        json["inputs"][0]["findings"],
        serde_json::json!([]),
        "{json:#}"
    );
    let finding = &json["inputs"][1]["findings"][0];
    assert_eq!(finding["code"], "requires-python-below-floor");
    assert_eq!(finding["severity"], "info");
    assert!(
        finding["notes"].to_string().contains("demo-1.0-cp39-abi3"),
        "{finding:#}"
    );
}

/// The wheels of `cargo-abi3/benches/wheels.txt` whose names contain `pattern`, as cached by
/// `cargo-abi3/benches/fetch.sh` (`.ci/run` fetches the ones these tests need).
fn cached_real_wheels(pattern: &str) -> Result<Vec<String>, Skip> {
    let cache = std::env::var_os("CARGO_ABI3_BENCH_CACHE")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/cargo-abi3-bench"))
        })
        .ok_or_else(|| Skip("no HOME".into()))?
        .join("wheels");
    let list = include_str!("../../cargo-abi3/benches/wheels.txt");
    let wanted: Vec<&str> = list
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| name.contains(pattern))
        .collect();
    let present: Vec<String> = wanted
        .iter()
        .map(|name| cache.join(name))
        .filter(|p| p.is_file())
        .map(|p| p.display().to_string())
        .collect();
    if present.len() < wanted.len() {
        return Err(Skip(format!(
            "{} of {} `{pattern}` wheels cached in {}; fetch them with cargo-abi3/benches/fetch.sh",
            present.len(),
            wanted.len(),
            cache.display()
        )));
    }
    Ok(present)
}

/// Every cryptography 50.0.2 abi3 wheel (Linux glibc and musl, macOS, Windows; cp39 and
/// cp311) is clean when the release is audited together.
#[test]
fn cryptography_50_0_2_wheels_are_clean() {
    let wheels = fixture_or_skip!(cached_real_wheels("cryptography-50.0.2-"));
    assert!(wheels.len() >= 12, "{wheels:?}");
    let args: Vec<&str> = wheels.iter().map(String::as_str).collect();
    let (code, json) = audit_json(&args);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["summary"]["errors"], 0);
    assert_eq!(json["summary"]["warnings"], 0, "{json:#}");
    let formats: std::collections::BTreeSet<&str> = json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["binaries"].as_array().unwrap())
        .filter_map(|b| b["format"].as_str())
        .collect();
    assert_eq!(
        formats.into_iter().collect::<Vec<_>>(),
        ["elf", "mach-o", "pe"]
    );
}

/// `cargo build` leaves `libdemo.so` for module `demo`; the build tool renames it when it
/// packages the wheel. Loose, it is judged by the name it will get; inside a wheel, by its name.
#[test]
fn cargo_artifact_names_are_judged_by_their_module() {
    let so = fixture_or_skip!(clean_extension());
    let dir = scratch_dir("cargo-artifact");
    let artifact = dir.join("libdemo.so");
    std::fs::copy(&so, &artifact).unwrap();
    let (code, json) = audit_json(&["--assume-minimum", "3.9", artifact.to_str().unwrap()]);
    assert_eq!(code, 0, "{json:#}");
    assert!(
        !codes(&json).contains(&"entry-point-missing".to_owned()),
        "{json:#}"
    );
    let wheel = wheel_with(
        &dir,
        "demo-0.1.0-cp39-abi3-manylinux_2_17_x86_64.whl",
        "demo/libdemo.abi3.so",
        &so,
    );
    let (code, json) = audit_json(&[wheel.to_str().unwrap()]);
    assert_eq!(code, 1, "{json:#}");
    assert!(
        codes(&json).contains(&"entry-point-missing".to_owned()),
        "{json:#}"
    );
}
