//! Hostile inputs end to end: each test generates broken, hostile or oversized inputs at test
//! time, runs the real `cargo-abi3 audit … --format json` next to a good wheel with a known
//! violation, and checks that
//! - the process ends (killed after [`TIMEOUT`] → failure), with exit code 2 when something
//!   could not be analysed (and the code agrees with the summary);
//! - the JSON is valid;
//! - each failure names the file (and the member) and says what to do;
//! - the other inputs' findings are intact (the good wheel keeps its `newer-than-floor`).

use crate::support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::*;
use serde_json::Value;
use zip::CompressionMethod::{self, Deflated, Stored};
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

const TIMEOUT: Duration = Duration::from_secs(60);

/// The good wheel: cp38-abi3, its extension imports `PyType_GetName` (3.11).
const GOOD: &str = "good-1.0-cp38-abi3-manylinux_2_17_aarch64.whl";
const WHEEL: &[u8] = b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\n\
Tag: cp38-abi3-manylinux_2_17_aarch64\n";
const METADATA: &[u8] = b"Metadata-Version: 2.3\nName: good\nVersion: 1.0\n\
Requires-Python: >=3.8\n";

/// Words one of which an actionable message or help text contains.
const ACTIONS: &[&str] = &[
    "check",
    "rebuild",
    "Rebuild",
    "raise",
    "re-download",
    "--max-",
];

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

/// An aarch64 extension importing `imports` (linked by `ld.lld`, so any host can build it).
fn extension(imports: &[&str]) -> Result<Vec<u8>, Skip> {
    build_elf_with_lld(&ElfSpec {
        arch: ElfArch::Aarch64,
        soname: "_core.abi3.so".into(),
        exports: vec!["PyInit__core".into()],
        imports: imports.iter().map(|s| (*s).to_owned()).collect(),
        versioned_lib: None,
        hash_style: "gnu",
    })
}

/// The violating extension of the good wheel.
fn violating() -> Result<Vec<u8>, Skip> {
    extension(&["PyType_GetName", "PyModule_Create2"])
}

/// A clean extension (stable ABI since 3.2).
fn clean() -> Result<Vec<u8>, Skip> {
    extension(&["PyLong_FromLong", "PyModule_Create2"])
}

struct Entry<'a> {
    name: &'a str,
    data: &'a [u8],
    method: CompressionMethod,
    zip64: bool,
}

fn entry<'a>(name: &'a str, data: &'a [u8], method: CompressionMethod) -> Entry<'a> {
    Entry {
        name,
        data,
        method,
        zip64: false,
    }
}

fn zip_bytes(entries: &[Entry<'_>]) -> Vec<u8> {
    let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for e in entries {
        let options = SimpleFileOptions::default()
            .compression_method(e.method)
            .large_file(e.zip64);
        zip.start_file(e.name, options).unwrap();
        zip.write_all(e.data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// A wheel `good`'s members plus `extra`, written as `dir/name`.
fn wheel_with(dir: &Path, name: &str, so: &[u8], extra: &[Entry<'_>]) -> PathBuf {
    let mut entries = vec![
        entry("good/__init__.py", b"from ._core import *\n", Deflated),
        entry("good/_core.abi3.so", so, Deflated),
        entry("good-1.0.dist-info/WHEEL", WHEEL, Deflated),
        entry("good-1.0.dist-info/METADATA", METADATA, Stored),
    ];
    for e in extra {
        entries.push(Entry {
            name: e.name,
            data: e.data,
            method: e.method,
            zip64: e.zip64,
        });
    }
    let path = dir.join(name);
    std::fs::write(&path, zip_bytes(&entries)).unwrap();
    path
}

fn good_wheel(dir: &Path) -> Result<PathBuf, Skip> {
    Ok(wheel_with(dir, GOOD, &violating()?, &[]))
}

/// Sets the Unix mode of `member` in its central-directory entry ("made by" Unix, offset 5;
/// external attributes, offset 38).
fn set_unix_mode(zip: &mut [u8], member: &[u8], mode: u32) {
    let cd = (0..zip.len() - 46 - member.len())
        .find(|&i| &zip[i..i + 4] == b"PK\x01\x02" && &zip[i + 46..i + 46 + member.len()] == member)
        .expect("central directory entry");
    zip[cd + 5] = 3;
    zip[cd + 38..cd + 42].copy_from_slice(&(mode << 16).to_le_bytes());
}

fn replace_once(haystack: &mut [u8], from: &[u8], to: &[u8]) {
    assert_eq!(from.len(), to.len());
    let at = haystack
        .windows(from.len())
        .position(|w| w == from)
        .expect("pattern present");
    haystack[at..at + to.len()].copy_from_slice(to);
}

// ---------------------------------------------------------------------------------------
// Running the CLI
// ---------------------------------------------------------------------------------------

struct Run {
    code: i32,
    json: Value,
    stderr: String,
}

/// Runs `cargo-abi3 audit <args> --format json`, killing it after [`TIMEOUT`].
fn audit(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-abi3"));
    cmd.arg("audit");
    for a in args {
        cmd.arg(a);
    }
    let (code, stdout, stderr) = run_with_timeout(cmd.args(["--format", "json"]));
    let json: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{stdout}\nstderr:\n{stderr}"));
    let run = Run { code, json, stderr };
    let failures = run.json["summary"]["analysis_failures"].as_u64().unwrap();
    let errors = run.json["summary"]["errors"].as_u64().unwrap();
    let expected = if failures > 0 {
        2
    } else if errors > 0 {
        1
    } else {
        0
    };
    assert_eq!(run.code, expected, "exit code vs summary: {}", run.json);
    run
}

fn run_with_timeout(cmd: &mut Command) -> (i32, String, String) {
    let (code, stdout, stderr) = support::run_with_timeout(cmd, TIMEOUT);
    (
        code,
        String::from_utf8(stdout).expect("stdout is UTF-8"),
        String::from_utf8(stderr).expect("stderr is UTF-8"),
    )
}

/// The input whose path ends with `file`.
fn input<'a>(run: &'a Run, file: &str) -> &'a Value {
    run.json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"].as_str().unwrap().ends_with(file))
        .unwrap_or_else(|| panic!("no input `{file}` in {}", run.json))
}

/// Every finding of an input: its own and its binaries'.
fn findings(input: &Value) -> Vec<&Value> {
    let mut all: Vec<&Value> = input["findings"].as_array().unwrap().iter().collect();
    for b in input["binaries"].as_array().unwrap() {
        all.extend(b["findings"].as_array().unwrap());
    }
    all
}

fn is_failure(f: &Value) -> bool {
    matches!(
        f["code"].as_str(),
        Some("unreadable-input" | "input-limit-exceeded" | "nothing-to-audit")
    ) && f["severity"] == "error"
}

/// `file` has an analysis failure with `code` whose message names `file` and contains
/// `needle`, and whose message or help says what to do. Returns the finding.
fn assert_failure<'a>(run: &'a Run, file: &str, code: &str, needle: &str) -> &'a Value {
    let input = input(run, file);
    let all = findings(input);
    let f = all
        .iter()
        .find(|f| is_failure(f) && f["code"] == code && text(f).contains(needle))
        .unwrap_or_else(|| {
            panic!("`{file}`: no {code} finding containing {needle:?} in {input:#}")
        });
    let message = f["message"].as_str().unwrap();
    let base = file.rsplit('/').next().unwrap();
    assert!(
        message.contains(base),
        "message does not name `{base}`: {message}"
    );
    assert!(
        ACTIONS.iter().any(|a| text(f).contains(a)),
        "`{file}`: no hint what to do in {f:#}"
    );
    f
}

fn text(f: &Value) -> String {
    format!(
        "{} {}",
        f["message"].as_str().unwrap_or_default(),
        f["help"].as_str().unwrap_or_default()
    )
}

/// The good wheel was audited as usual: its binary read, its violation reported.
fn assert_good_intact(run: &Run) {
    assert_violation(input(run, GOOD), "good/_core.abi3.so");
}

fn assert_violation(input: &Value, member: &str) {
    let binary = input["binaries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["member"] == member)
        .unwrap_or_else(|| panic!("binary `{member}` not audited: {input:#}"));
    assert!(
        binary["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "newer-than-floor" && f["symbol"] == "PyType_GetName"),
        "no newer-than-floor for PyType_GetName in {binary:#}"
    );
}

fn no_failures(input: &Value) -> bool {
    !findings(input).iter().any(|f| is_failure(f))
}

// ---------------------------------------------------------------------------------------
// Wheels that are not wheels
// ---------------------------------------------------------------------------------------

#[test]
fn files_named_like_wheels_that_are_not_zips() {
    let dir = tempfile::tempdir().unwrap();
    let good = fixture_or_skip!(good_wheel(dir.path()));
    let html = dir
        .path()
        .join("html-1.0-cp38-abi3-manylinux_2_17_aarch64.whl");
    std::fs::write(
        &html,
        b"<!DOCTYPE html><html><body>404 Not Found</body></html>\n",
    )
    .unwrap();
    let empty = dir
        .path()
        .join("empty-1.0-cp38-abi3-manylinux_2_17_aarch64.whl");
    std::fs::write(&empty, b"").unwrap();
    // A gzip stream (a tarball renamed .whl).
    let tarball = dir
        .path()
        .join("tgz-1.0-cp38-abi3-manylinux_2_17_aarch64.whl");
    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    gz.extend(support::noise(3000, 1));
    std::fs::write(&tarball, gz).unwrap();
    let badname = dir.path().join("not-a-wheel-name.whl");
    std::fs::copy(&good, &badname).unwrap();

    let run = audit(&[&good, &html, &empty, &tarball, &badname]);
    assert_eq!(run.code, 2, "{}", run.json);
    for file in [&html, &empty, &tarball] {
        let name = file.file_name().unwrap().to_str().unwrap();
        let f = assert_failure(&run, name, "unreadable-input", "is not a zip archive");
        assert!(
            text(f).contains("check that the download completed"),
            "{f:#}"
        );
    }
    assert_failure(
        &run,
        "not-a-wheel-name.whl",
        "unreadable-input",
        "not a valid wheel file name",
    );
    assert_good_intact(&run);
    assert!(no_failures(input(&run, GOOD)));
}

#[test]
fn truncated_and_flipped_wheels() {
    let dir = tempfile::tempdir().unwrap();
    let good = fixture_or_skip!(good_wheel(dir.path()));
    let bytes = std::fs::read(&good).unwrap();
    let bad = dir.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    let mut truncated = Vec::new();
    for (i, len) in [
        0,
        4,
        30,
        bytes.len() / 3,
        bytes.len() / 2,
        bytes.len() - 23,
        bytes.len() - 1,
    ]
    .into_iter()
    .enumerate()
    {
        let name = format!("trunc{i}-1.0-cp38-abi3-manylinux_2_17_aarch64.whl");
        std::fs::write(bad.join(&name), &bytes[..len]).unwrap();
        truncated.push(name);
    }
    // Garbage before and after the archive (a self-extractor stub, a botched upload).
    let mut prefixed = support::noise(4096, 2);
    prefixed.extend_from_slice(&bytes);
    std::fs::write(
        bad.join("prefixed-1.0-cp38-abi3-manylinux_2_17_aarch64.whl"),
        prefixed,
    )
    .unwrap();
    let mut suffixed = bytes.clone();
    suffixed.extend(support::noise(100_000, 3));
    std::fs::write(
        bad.join("suffixed-1.0-cp38-abi3-manylinux_2_17_aarch64.whl"),
        suffixed,
    )
    .unwrap();
    // Bytes flipped across the archive: headers, compressed data, central directory.
    let step = (bytes.len() / 60).max(1);
    for (i, at) in (0..bytes.len()).step_by(step).enumerate() {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x5a;
        std::fs::write(
            bad.join(format!("flip{i}-1.0-cp38-abi3-manylinux_2_17_aarch64.whl")),
            flipped,
        )
        .unwrap();
    }

    let run = audit(&[&good, &bad]);
    assert_eq!(run.code, 2, "{}", run.json);
    assert_good_intact(&run);
    let count = std::fs::read_dir(&bad).unwrap().count();
    assert_eq!(run.json["inputs"].as_array().unwrap().len(), count + 1);
    for name in &truncated {
        let input = input(&run, name);
        let f = findings(input)
            .into_iter()
            .find(|f| is_failure(f))
            .unwrap_or_else(|| panic!("truncated `{name}` reported no failure: {input:#}"));
        assert!(
            f["message"].as_str().unwrap().contains(name.as_str()),
            "{f:#}"
        );
    }
    // Every analysis failure names the wheel or the member, and says what to do.
    for input in run.json["inputs"].as_array().unwrap() {
        let path = input["path"].as_str().unwrap();
        let base = path.rsplit('/').next().unwrap();
        for f in findings(input).into_iter().filter(|f| is_failure(f)) {
            let t = text(f);
            assert!(
                t.contains(base) || t.contains("good/"),
                "`{path}`: finding names neither the wheel nor a member: {f:#}"
            );
            assert!(ACTIONS.iter().any(|a| t.contains(a)), "no hint: {f:#}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------

#[test]
fn zip_bomb_compression_ratio() {
    let dir = tempfile::tempdir().unwrap();
    let good = fixture_or_skip!(good_wheel(dir.path()));
    let clean = fixture_or_skip!(clean());
    let mut bomb = b"\x7fELF\x02\x01\x01\0".to_vec();
    bomb.resize(8 << 20, 0);
    let name = "bomb-1.0-cp38-abi3-manylinux_2_17_aarch64.whl";
    wheel_with(
        dir.path(),
        name,
        &clean,
        &[entry("good/_bomb.abi3.so", &bomb, Deflated)],
    );
    let run = audit(&[&good, &dir.path().join(name)]);
    assert_eq!(run.code, 2);
    let f = assert_failure(&run, name, "input-limit-exceeded", "compression ratio");
    assert!(text(f).contains("good/_bomb.abi3.so"), "{f:#}");
    assert!(text(f).contains("--max-compression-ratio"), "{f:#}");
    // The bomb's sibling member was still audited.
    let bomb_input = input(&run, name);
    assert!(
        bomb_input["binaries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["member"] == "good/_core.abi3.so"),
        "{bomb_input:#}"
    );
    assert_good_intact(&run);

    // Raising the limit lets it through to the reader (which then finds no valid ELF).
    let run = audit(&[
        &dir.path().join(name),
        &"--max-compression-ratio",
        &"100000",
    ]);
    let input = input(&run, name);
    assert!(
        !findings(input)
            .iter()
            .any(|f| f["code"] == "input-limit-exceeded"),
        "{input:#}"
    );
}

#[test]
fn member_size_total_size_and_member_count_limits() {
    let dir = tempfile::tempdir().unwrap();
    let good = fixture_or_skip!(good_wheel(dir.path()));
    let clean = fixture_or_skip!(clean());

    // A loose binary over --max-member-size.
    let mut big = clean.clone();
    big.extend(support::noise(2 << 20, 4));
    let loose = dir.path().join("_big.abi3.so");
    std::fs::write(&loose, &big).unwrap();

    // A member the reader must inflate past the limit: a fat Mach-O whose only slice starts
    // 2 MiB into the file (a prefix is not enough to reach its header).
    let mut fat = Vec::new();
    for v in [0xcafe_babe_u32, 1, 0x0100_000c, 0, 2 << 20, 4096, 12] {
        fat.extend_from_slice(&v.to_be_bytes());
    }
    fat.resize(4096, 0);
    fat.extend(support::noise(2 << 20, 5));
    let fat_name = "fat-1.0-cp38-abi3-macosx_11_0_arm64.whl";
    wheel_with(
        dir.path(),
        fat_name,
        &clean,
        &[entry("good/_fat.abi3.so", &fat, Stored)],
    );

    let run = audit(&[
        &good,
        &loose,
        &dir.path().join(fat_name),
        &"--max-member-size",
        &"1",
    ]);
    assert_eq!(run.code, 2);
    let f = assert_failure(&run, "_big.abi3.so", "input-limit-exceeded", "limit");
    assert!(text(f).contains("--max-member-size"), "{f:#}");
    let f = assert_failure(&run, fat_name, "input-limit-exceeded", "good/_fat.abi3.so");
    assert!(text(f).contains("--max-member-size"), "{f:#}");
    assert_good_intact(&run);

    // Total declared inflated size.
    let total_name = "total-1.0-cp38-abi3-manylinux_2_17_aarch64.whl";
    let a = support::noise(700 << 10, 6);
    let b = support::noise(700 << 10, 7);
    wheel_with(
        dir.path(),
        total_name,
        &clean,
        &[
            entry("good/a.bin", &a, Stored),
            entry("good/b.bin", &b, Stored),
        ],
    );
    let run = audit(&[
        &good,
        &dir.path().join(total_name),
        &"--max-total-size",
        &"1",
    ]);
    assert_eq!(run.code, 2);
    let f = assert_failure(
        &run,
        total_name,
        "input-limit-exceeded",
        "declared inflated size of all members",
    );
    assert!(text(f).contains("--max-total-size"), "{f:#}");
    assert_good_intact(&run);

    // Number of members, from the central directory and from the end record alone.
    let many_name = "many-1.0-cp38-abi3-manylinux_2_17_aarch64.whl";
    let names: Vec<String> = (0..40).map(|i| format!("good/data/{i}.txt")).collect();
    let extra: Vec<Entry<'_>> = names.iter().map(|n| entry(n, b"x", Stored)).collect();
    let many = wheel_with(dir.path(), many_name, &clean, &extra);
    let lying_name = "lying-1.0-cp38-abi3-manylinux_2_17_aarch64.whl";
    let mut lying = std::fs::read(&many).unwrap();
    // End of central directory: entries on this disk and in total (offsets 8 and 10).
    let eocd = lying.len() - 22;
    assert_eq!(&lying[eocd..eocd + 4], b"PK\x05\x06");
    // 65534 entries (0xffff would mean "see the zip64 record").
    lying[eocd + 8..eocd + 12].copy_from_slice(&[0xfe, 0xff, 0xfe, 0xff]);
    std::fs::write(dir.path().join(lying_name), lying).unwrap();
    let run = audit(&[
        &good,
        &many,
        &dir.path().join(lying_name),
        &"--max-members",
        &"30",
    ]);
    assert_eq!(run.code, 2);
    let f = assert_failure(
        &run,
        many_name,
        "input-limit-exceeded",
        "number of zip entries",
    );
    assert!(text(f).contains("--max-members"), "{f:#}");
    assert_failure(
        &run,
        lying_name,
        "input-limit-exceeded",
        "number of zip entries",
    );
    assert_good_intact(&run);
}

#[test]
fn oversized_metadata_is_a_limit() {
    let dir = tempfile::tempdir().unwrap();
    let good = fixture_or_skip!(good_wheel(dir.path()));
    let clean = fixture_or_skip!(clean());
    let name = "meta-1.0-cp38-abi3-manylinux_2_17_aarch64.whl";
    let mut metadata = METADATA.to_vec();
    metadata.extend(std::iter::repeat_n(b'x', (1 << 20) + 10));
    let path = dir.path().join(name);
    std::fs::write(
        &path,
        zip_bytes(&[
            entry("good/_core.abi3.so", &clean, Deflated),
            entry("good-1.0.dist-info/WHEEL", WHEEL, Deflated),
            entry("good-1.0.dist-info/METADATA", &metadata, Deflated),
        ]),
    )
    .unwrap();
    let run = audit(&[&good, &path]);
    assert_eq!(run.code, 2);
    let f = assert_failure(&run, name, "input-limit-exceeded", "METADATA");
    assert!(text(f).contains("--max-metadata-size"), "{f:#}");
    assert_good_intact(&run);
    // The wheel's own binary is still audited.
    let binaries = input(&run, name)["binaries"].as_array().unwrap();
    assert_eq!(binaries.len(), 1, "{}", run.json);
    let run = audit(&[&path, &"--max-metadata-size", &"2"]);
    assert!(no_failures(input(&run, name)), "{}", run.json);
}

// ---------------------------------------------------------------------------------------
// Odd archive entries
// ---------------------------------------------------------------------------------------

#[test]
fn nested_archives_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let clean = fixture_or_skip!(clean());
    let violating = fixture_or_skip!(violating());
    // The inner wheel holds a violating extension; the outer one is clean.
    let inner = zip_bytes(&[entry("inner/_bad.abi3.so", &violating, Deflated)]);
    let name = "nested-1.0-cp38-abi3-manylinux_2_17_aarch64.whl";
    let path = wheel_with(
        dir.path(),
        name,
        &clean,
        &[
            entry(
                "good/vendor/inner-1.0-cp38-abi3-manylinux_2_17_aarch64.whl",
                &inner,
                Stored,
            ),
            entry("good/vendor/more.zip", &inner, Deflated),
        ],
    );
    let run = audit(&[&path]);
    let input = input(&run, name);
    let members: Vec<&str> = input["binaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["member"].as_str().unwrap())
        .collect();
    assert_eq!(members, ["good/_core.abi3.so"], "{input:#}");
    let nested: Vec<&Value> = findings(input)
        .into_iter()
        .filter(|f| text(f).contains("nested archive"))
        .collect();
    assert_eq!(nested.len(), 2, "{input:#}");
    assert!(text(nested[0]).contains("inner-1.0"), "{input:#}");
    assert!(
        !run.json.to_string().contains("PyType_GetName"),
        "the nested wheel's symbols leaked into the report"
    );
    // Unchecked nested content is a warning, not an analysis failure.
    assert_ne!(run.code, 2, "{}", run.json);
}

#[test]
fn zip64_wheels_read_like_any_other() {
    let dir = tempfile::tempdir().unwrap();
    let so = fixture_or_skip!(violating());
    let name = "zipsf-1.0-cp38-abi3-manylinux_2_17_aarch64.whl";
    let path = dir.path().join(name);
    let entries: Vec<Entry<'_>> = [
        ("good/__init__.py", &b""[..]),
        ("good/_core.abi3.so", &so[..]),
        ("good-1.0.dist-info/WHEEL", WHEEL),
        ("good-1.0.dist-info/METADATA", METADATA),
    ]
    .into_iter()
    .map(|(n, d)| Entry {
        name: n,
        data: d,
        method: Deflated,
        zip64: true,
    })
    .collect();
    let bytes = zip_bytes(&entries);
    std::fs::write(&path, &bytes).unwrap();
    // Truncated inside the zip64 end records.
    let cut = dir
        .path()
        .join("zipcut-1.0-cp38-abi3-manylinux_2_17_aarch64.whl");
    std::fs::write(&cut, &bytes[..bytes.len() - 30]).unwrap();
    let run = audit(&[&path, &cut]);
    assert_violation(input(&run, name), "good/_core.abi3.so");
    assert!(no_failures(input(&run, name)), "{}", run.json);
    assert_failure(
        &run,
        "zipcut-1.0-cp38-abi3-manylinux_2_17_aarch64.whl",
        "unreadable-input",
        "not a zip archive",
    );
    assert_eq!(run.code, 2);
}

#[test]
fn symlinks_unsafe_paths_and_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let good = fixture_or_skip!(good_wheel(dir.path()));
    let so = fixture_or_skip!(violating());

    // A member whose mode bits say "symlink" but whose bytes are an extension that breaks
    // the floor: pip ignores the mode and installs the bytes as a regular file.
    let link_name = "link-1.0-cp38-abi3-manylinux_2_17_aarch64.whl";
    let link_path = wheel_with(
        dir.path(),
        link_name,
        &so,
        &[entry("good/_link.abi3.so", &so, Stored)],
    );
    let mut link = std::fs::read(&link_path).unwrap();
    set_unix_mode(&mut link, b"good/_link.abi3.so", 0o120_777);
    std::fs::write(&link_path, link).unwrap();

    // `..` and absolute member names next to the real extension.
    let dots_name = "dots-1.0-cp38-abi3-manylinux_2_17_aarch64.whl";
    let dots = wheel_with(
        dir.path(),
        dots_name,
        &so,
        &[
            entry("../../evil.abi3.so", &so, Stored),
            entry("good/../../evil2.abi3.so", &so, Stored),
        ],
    );

    // Duplicate names: two same-length names, one patched into the other.
    let dup_name = "dup-1.0-cp38-abi3-manylinux_2_17_aarch64.whl";
    let dup_path = wheel_with(
        dir.path(),
        dup_name,
        &so,
        &[entry("good/_cor2.abi3.so", &so, Stored)],
    );
    let mut dup = std::fs::read(&dup_path).unwrap();
    replace_once(&mut dup, b"good/_cor2.abi3.so", b"good/_core.abi3.so");
    replace_once(&mut dup, b"good/_cor2.abi3.so", b"good/_core.abi3.so");
    std::fs::write(&dup_path, dup).unwrap();

    let run = audit(&[&good, &link_path, &dots, &dup_path]);
    assert_eq!(run.code, 2);
    assert_good_intact(&run);

    let link = input(&run, link_name);
    assert!(
        findings(link).iter().any(|f| f["severity"] == "warning"
            && text(f).contains("`good/_link.abi3.so` has symlink mode bits")),
        "{link:#}"
    );
    assert_violation(link, "good/_core.abi3.so");
    assert_violation(link, "good/_link.abi3.so");
    assert!(no_failures(link), "{link:#}");

    let dots_input = input(&run, dots_name);
    for evil in ["../../evil.abi3.so", "good/../../evil2.abi3.so"] {
        assert!(
            findings(dots_input).iter().any(|f| is_failure(f)
                && text(f).contains(evil)
                && text(f).contains("unsafe path")),
            "{evil}: {dots_input:#}"
        );
    }
    // The unsafe members are never read, the safe one still is.
    assert_violation(dots_input, "good/_core.abi3.so");
    assert_eq!(dots_input["binaries"].as_array().unwrap().len(), 1);

    let f = assert_failure(&run, dup_name, "unreadable-input", "more than once");
    assert!(text(f).contains("Rebuild"), "{f:#}");
}

// ---------------------------------------------------------------------------------------
// Corrupt members and loose binaries
// ---------------------------------------------------------------------------------------

#[test]
fn one_corrupt_member_does_not_hide_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let so = fixture_or_skip!(violating());
    let mut garbage = b"\x7fELF".to_vec();
    garbage.extend(support::noise(5000, 8));
    let name = "mixed-1.0-cp38-abi3-manylinux_2_17_aarch64.whl";
    // Members: a valid one, one with garbage after the ELF magic, one truncated ELF, one
    // whose deflate stream is damaged, one that is text.
    let truncated = &so[..so.len().min(200)];
    let path = wheel_with(
        dir.path(),
        name,
        &so,
        &[
            entry("good/_garbage.abi3.so", &garbage, Stored),
            entry("good/_trunc.abi3.so", truncated, Stored),
            entry(
                "good/_deflate.abi3.so",
                &support::noise(20_000, 9),
                Deflated,
            ),
            entry("good/_text.abi3.so", b"INPUT ( libfoo.so.1 )\n", Stored),
        ],
    );
    // Damage the deflate stream: the member's data is incompressible noise, so the
    // compressed bytes hold runs of it; overwrite a stretch in the middle.
    let mut bytes = std::fs::read(&path).unwrap();
    let noise_bytes = support::noise(20_000, 9);
    let at = bytes
        .windows(32)
        .position(|w| w == &noise_bytes[10_000..10_032])
        .expect("stored-as-deflate noise in the archive");
    for b in &mut bytes[at..at + 64] {
        *b = 0xff;
    }
    std::fs::write(&path, bytes).unwrap();

    let run = audit(&[&path]);
    assert_eq!(run.code, 2, "{}", run.json);
    let input = input(&run, name);
    assert_violation(input, "good/_core.abi3.so");
    for member in [
        "good/_garbage.abi3.so",
        "good/_trunc.abi3.so",
        "good/_deflate.abi3.so",
        "good/_text.abi3.so",
    ] {
        let f = findings(input)
            .into_iter()
            .find(|f| is_failure(f) && text(f).contains(member))
            .unwrap_or_else(|| panic!("no failure for `{member}`: {input:#}"));
        let t = text(f);
        assert!(t.contains(name), "the wheel is not named: {f:#}");
        assert!(ACTIONS.iter().any(|a| t.contains(a)), "no hint: {f:#}");
    }
}

#[test]
fn loose_binaries_that_are_not_binaries() {
    let dir = tempfile::tempdir().unwrap();
    let good = fixture_or_skip!(good_wheel(dir.path()));
    let so = fixture_or_skip!(violating());
    let write = |name: &str, data: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, data).unwrap();
        p
    };
    let ok = write("_ok.abi3.so", &so);
    let truncated = write("_trunc.abi3.so", &so[..100]);
    let mut prefixed = support::noise(64, 10);
    prefixed.extend_from_slice(&so);
    let prefixed = write("_prefixed.abi3.so", &prefixed);
    let text_so = write("libfoo.so", b"/* GNU ld script */\nINPUT ( libfoo.so.1 )\n");
    let empty = write("_empty.abi3.so", b"");
    let zip_pyd = write("_zip.pyd", &std::fs::read(&good).unwrap());
    let class = write("_java.so", &[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52, 0, 0]);

    let run = audit(&[
        &good,
        &ok,
        &truncated,
        &prefixed,
        &text_so,
        &empty,
        &zip_pyd,
        &class,
        &"--assume-minimum",
        &"3.8",
    ]);
    assert_eq!(run.code, 2);
    assert_good_intact(&run);
    let ok_input = input(&run, "_ok.abi3.so");
    assert!(no_failures(ok_input), "{ok_input:#}");
    assert!(
        findings(ok_input)
            .iter()
            .any(|f| f["code"] == "newer-than-floor"),
        "{ok_input:#}"
    );
    for (file, needle) in [
        ("_trunc.abi3.so", "malformed"),
        ("_prefixed.abi3.so", "not an ELF, Mach-O or PE file"),
        ("libfoo.so", "not an ELF, Mach-O or PE file"),
        ("_empty.abi3.so", "not an ELF, Mach-O or PE file"),
        ("_zip.pyd", "not an ELF, Mach-O or PE file"),
        ("_java.so", "not an ELF, Mach-O or PE file"),
    ] {
        let f = assert_failure(&run, file, "unreadable-input", needle);
        assert!(text(f).contains("ELF, Mach-O or PE shared object"), "{f:#}");
    }
}

#[test]
fn a_directory_with_a_good_wheel_and_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    fixture_or_skip!(good_wheel(dir.path()));
    let so = fixture_or_skip!(violating());
    std::fs::write(
        dir.path()
            .join("bad-1.0-cp38-abi3-manylinux_2_17_aarch64.whl"),
        b"PK\x03\x04 not really",
    )
    .unwrap();
    std::fs::write(dir.path().join("_text.abi3.so"), b"hello\n").unwrap();
    std::fs::write(dir.path().join("README.txt"), b"not audited").unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    // Cut inside the program headers (an ELF cut after its dynamic section still reads:
    // the reader needs nothing past it).
    std::fs::write(dir.path().join("sub/_trunc.abi3.so"), &so[..300]).unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();

    let run = audit(&[
        &dir.path(),
        &dir.path().join("empty"),
        &dir.path().join("missing"),
    ]);
    assert_eq!(run.code, 2, "{}", run.json);
    assert_good_intact(&run);
    assert_failure(
        &run,
        "bad-1.0-cp38-abi3-manylinux_2_17_aarch64.whl",
        "unreadable-input",
        "not a zip archive",
    );
    assert_failure(&run, "_text.abi3.so", "unreadable-input", "not an ELF");
    assert_failure(
        &run,
        "sub/_trunc.abi3.so",
        "unreadable-input",
        "cannot analyse",
    );
    assert_failure(&run, "empty", "nothing-to-audit", "contains no wheel");
    assert_failure(&run, "missing", "nothing-to-audit", "no such file");
    assert!(!run.json.to_string().contains("README.txt"));
    assert_eq!(
        run.json["inputs"].as_array().unwrap().len(),
        6,
        "{}",
        run.json
    );

    // The human renderer copes with the same inputs.
    let (code, stdout, _) = run_with_timeout(
        Command::new(env!("CARGO_BIN_EXE_cargo-abi3"))
            .args(["audit", "--color", "never"])
            .arg(dir.path()),
    );
    assert_eq!(code, 2);
    assert!(stdout.contains("_text.abi3.so"), "{stdout}");
    assert!(stdout.contains("newer-than-floor"), "{stdout}");
    let _ = &run.stderr;
}

#[test]
fn member_inflating_past_its_declared_size() {
    let dir = tempfile::tempdir().unwrap();
    let so = fixture_or_skip!(violating());
    let mut lie = b"\x7fELF".to_vec();
    lie.extend(support::noise(100_000, 11));
    let name = "lie-1.0-cp38-abi3-manylinux_2_17_aarch64.whl";
    let path = wheel_with(
        dir.path(),
        name,
        &so,
        &[entry("good/_lie.abi3.so", &lie, Deflated)],
    );
    // The central-directory entry of the member: declared inflated size (offset 24) → 10.
    let mut bytes = std::fs::read(&path).unwrap();
    let member = b"good/_lie.abi3.so";
    let cd = (0..bytes.len() - 46 - member.len())
        .find(|&i| {
            &bytes[i..i + 4] == b"PK\x01\x02" && &bytes[i + 46..i + 46 + member.len()] == member
        })
        .expect("central directory entry");
    bytes[cd + 24..cd + 28].copy_from_slice(&10u32.to_le_bytes());
    std::fs::write(&path, bytes).unwrap();

    let run = audit(&[&path]);
    assert_eq!(run.code, 2, "{}", run.json);
    let f = assert_failure(&run, name, "unreadable-input", "good/_lie.abi3.so");
    assert!(text(f).contains("declared"), "{f:#}");
    assert_violation(input(&run, name), "good/_core.abi3.so");
}

// ---------------------------------------------------------------------------------------
// The archive as pip reads it: Python's zipfile is the reference
// ---------------------------------------------------------------------------------------

/// One entry of a hand-written (stored) zip: every field a crafted wheel may bend.
#[derive(Clone)]
struct RawEntry {
    /// The name in the central directory.
    name: Vec<u8>,
    /// The name in the local header (`None`: the same).
    local_name: Option<Vec<u8>>,
    data: Vec<u8>,
    flags: u16,
    method: u16,
    /// Extra field in the central directory.
    extra: Vec<u8>,
    /// Unix mode (external attributes >> 16), with "made by" Unix.
    mode: u32,
    extract_version: u16,
    /// Added to the compressed size declared in the central directory.
    size_slack: u32,
}

fn raw(name: &str, data: &[u8]) -> RawEntry {
    RawEntry {
        name: name.as_bytes().to_vec(),
        local_name: None,
        data: data.to_vec(),
        flags: 0,
        method: 0,
        extra: Vec::new(),
        mode: 0o100_644,
        extract_version: 20,
        size_slack: 0,
    }
}

/// The members of `good` plus `extra`, as raw entries.
fn raw_good(so: &[u8], extra: Vec<RawEntry>) -> Vec<RawEntry> {
    let mut entries = vec![
        raw("good/_core.abi3.so", so),
        raw("good-1.0.dist-info/WHEEL", WHEEL),
        raw("good-1.0.dist-info/METADATA", METADATA),
    ];
    entries.extend(extra);
    entries
}

/// Writes `entries` as a zip: `prefix` bytes first, the end record declaring
/// `declared_count` entries (default: the real count), then `comment`.
fn raw_zip(
    prefix: &[u8],
    entries: &[RawEntry],
    declared_count: Option<u16>,
    comment: &[u8],
) -> Vec<u8> {
    let mut out = prefix.to_vec();
    let mut central = Vec::new();
    for e in entries {
        let offset = (out.len() - prefix.len()) as u32;
        let crc = crc32(&e.data);
        let local_name = e.local_name.as_ref().unwrap_or(&e.name);
        out.extend(b"PK\x03\x04");
        out.extend(e.extract_version.to_le_bytes());
        out.extend(e.flags.to_le_bytes());
        out.extend(e.method.to_le_bytes());
        out.extend([0u8; 4]); // time, date
        out.extend(crc.to_le_bytes());
        out.extend((e.data.len() as u32).to_le_bytes());
        out.extend((e.data.len() as u32).to_le_bytes());
        out.extend((local_name.len() as u16).to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out.extend(local_name);
        out.extend(&e.data);

        central.extend(b"PK\x01\x02");
        central.extend([20u8, 3]); // made by 2.0, Unix
        central.extend(e.extract_version.to_le_bytes());
        central.extend(e.flags.to_le_bytes());
        central.extend(e.method.to_le_bytes());
        central.extend([0u8; 4]);
        central.extend(crc.to_le_bytes());
        central.extend((e.data.len() as u32 + e.size_slack).to_le_bytes());
        central.extend((e.data.len() as u32 + e.size_slack).to_le_bytes());
        central.extend((e.name.len() as u16).to_le_bytes());
        central.extend((e.extra.len() as u16).to_le_bytes());
        central.extend(0u16.to_le_bytes()); // comment
        central.extend(0u16.to_le_bytes()); // disk
        central.extend(0u16.to_le_bytes()); // internal attributes
        central.extend((e.mode << 16).to_le_bytes());
        central.extend(offset.to_le_bytes());
        central.extend(&e.name);
        central.extend(&e.extra);
    }
    let cd_offset = (out.len() - prefix.len()) as u32;
    out.extend(&central);
    let count = declared_count.unwrap_or(entries.len() as u16);
    out.extend(b"PK\x05\x06");
    out.extend([0u8; 4]);
    out.extend(count.to_le_bytes());
    out.extend(count.to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend((comment.len() as u16).to_le_bytes());
    out.extend(comment);
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// An Info-ZIP Unicode Path extra field (0x7075) naming `name` for the raw name `raw`.
fn unicode_path_extra(raw: &[u8], name: &str) -> Vec<u8> {
    let mut data = vec![1u8];
    data.extend(crc32(raw).to_le_bytes());
    data.extend(name.as_bytes());
    let mut extra = 0x7075u16.to_le_bytes().to_vec();
    extra.extend((data.len() as u16).to_le_bytes());
    extra.extend(data);
    extra
}

/// The Pythons to compare with: `python3`, and every CPython 3.8–3.13 on PATH or under
/// pyenv. Different versions read names differently (3.12 added Unicode Path fields).
fn pythons() -> Vec<PathBuf> {
    let mut found = vec![PathBuf::from("python3")];
    let root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pyenv")));
    for minor in 8..=13 {
        let on_path = PathBuf::from(format!("python3.{minor}"));
        let pyenv = root.as_ref().and_then(|r| {
            let versions = std::fs::read_dir(r.join("versions")).ok()?;
            versions
                .flatten()
                .map(|v| v.path())
                .find(|v| {
                    v.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(&format!("3.{minor}.")))
                })
                .map(|v| v.join("bin/python3"))
        });
        for candidate in [Some(on_path), pyenv].into_iter().flatten() {
            let works = Command::new(&candidate)
                .arg("-c")
                .arg("pass")
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if works {
                found.push(candidate);
                break;
            }
        }
    }
    found
}

/// For each of `wheels`, the members with extension-like names that `python` lists, as pip
/// installs them (`ZipFile.infolist()`, directories left out); `None` where zipfile refuses
/// the file. One interpreter run for all the files.
fn zipfile_binaries(python: &Path, wheels: &[PathBuf]) -> Vec<Option<Vec<String>>> {
    const SCRIPT: &str = r#"
import json, re, sys, zipfile
ext = re.compile(r"\.(so|pyd|dylib|dll)$|\.so\.", re.I)
out = []
for path in sys.argv[1:]:
    try:
        z = zipfile.ZipFile(path)
        out.append(sorted({i.filename for i in z.infolist()
                           if not i.is_dir() and ext.search(i.filename.rsplit("/", 1)[-1])}))
    except Exception:
        out.append(None)
print(json.dumps(out))
"#;
    let out = Command::new(python)
        .args(["-c", SCRIPT])
        .args(wheels)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python's JSON")
}

/// The gate audits exactly what pip installs: for each of `wheels`, every member with an
/// extension-like name that any available Python's zipfile lists is audited, or the input has
/// an analysis failure naming it (so the run exits 2); and nothing is audited that no zipfile
/// lists. Returns the run, for more assertions.
fn assert_audits_what_zipfile_lists(wheels: &[PathBuf]) -> Run {
    let pythons = pythons();
    eprintln!("comparing {} wheels with {pythons:?}", wheels.len());
    let listed: Vec<Vec<Option<Vec<String>>>> = pythons
        .iter()
        .map(|p| zipfile_binaries(p, wheels))
        .collect();
    let args: Vec<&dyn AsRef<std::ffi::OsStr>> = wheels
        .iter()
        .map(|w| w as &dyn AsRef<std::ffi::OsStr>)
        .collect();
    let run = audit(&args);
    for (i, wheel) in wheels.iter().enumerate() {
        let name = wheel.file_name().unwrap().to_str().unwrap();
        let input = input(&run, name);
        let audited: std::collections::BTreeSet<String> = input["binaries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["member"].as_str().unwrap().to_owned())
            .collect();
        let failures: Vec<String> = findings(input)
            .into_iter()
            .filter(|f| is_failure(f))
            .map(text)
            .collect();
        let per_python: Vec<&Option<Vec<String>>> = listed.iter().map(|l| &l[i]).collect();
        let union: std::collections::BTreeSet<String> = per_python
            .iter()
            .copied()
            .flatten()
            .flatten()
            .cloned()
            .collect();
        for member in &union {
            assert!(
                audited.contains(member) || failures.iter().any(|f| f.contains(member.as_str())),
                "{name}: zipfile lists `{member}`, the audit neither read it nor failed naming \
                 it: {input:#}"
            );
        }
        if per_python.iter().any(|l| l.is_some()) {
            for member in &audited {
                assert!(
                    union.contains(member),
                    "{name}: audited `{member}`, which no zipfile lists ({union:?})"
                );
            }
        }
        eprintln!(
            "{name}: zipfile {per_python:?}, audited {audited:?}, codes {:?}",
            findings(input)
                .iter()
                .map(|f| f["code"].as_str().unwrap())
                .collect::<Vec<_>>()
        );
    }
    run
}

/// The hostile suite of archive shapes, each next to the good members.
fn archive_suite(so: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let mut suite = Vec::new();
    let two = raw_good(so, vec![raw("good/_two.abi3.so", so)]);
    suite.push(("plain", raw_zip(b"", &two, None, b"")));
    // The end record under-states the count: readers that trust it see two members.
    let mut hidden = vec![
        raw("good-1.0.dist-info/WHEEL", WHEEL),
        raw("good-1.0.dist-info/METADATA", METADATA),
    ];
    hidden.extend([raw("good/_core.abi3.so", so), raw("good/_two.abi3.so", so)]);
    suite.push(("eocd-under", raw_zip(b"", &hidden, Some(2), b"")));
    suite.push(("eocd-over", raw_zip(b"", &two, Some(9), b"")));
    // Symlink mode bits on an extension.
    let mut link = raw("good/_link.abi3.so", so);
    link.mode = 0o120_777;
    suite.push((
        "symlink-mode",
        raw_zip(b"", &raw_good(so, vec![link]), None, b""),
    ));
    // A NUL in the name: zipfile cuts it there.
    let nul = raw("good/_nul.abi3.so\0.txt", so);
    suite.push((
        "nul-name",
        raw_zip(b"", &raw_good(so, vec![nul]), None, b""),
    ));
    // A Unicode Path field renames a text file into an extension on CPython 3.12+.
    let mut uni = raw("good/_old.txt", so);
    uni.extra = unicode_path_extra(b"good/_old.txt", "good/_uni.abi3.so");
    suite.push((
        "unicode-path",
        raw_zip(b"", &raw_good(so, vec![uni]), None, b""),
    ));
    // CP437 (no UTF-8 flag) and backslash names.
    let mut cp = raw("good/_x.abi3.so", so);
    cp.name = b"good/_\x82.abi3.so".to_vec();
    suite.push((
        "cp437-name",
        raw_zip(b"", &raw_good(so, vec![cp]), None, b""),
    ));
    let bs = raw("good\\_bs.abi3.so", so);
    suite.push((
        "backslash",
        raw_zip(b"", &raw_good(so, vec![bs]), None, b""),
    ));
    // A stub before the archive (self-extractor), and a fake end record in the comment.
    suite.push((
        "prepended",
        raw_zip(&support::noise(3000, 5), &two, None, b""),
    ));
    suite.push((
        "fake-eocd-comment",
        raw_zip(b"", &two, None, b"PK\x05\x06 not a record"),
    ));
    // The local header names another file: zipfile refuses to read it.
    let mut other = raw("good/_loc.abi3.so", so);
    other.local_name = Some(b"good/_LOC.abi3.so".to_vec());
    suite.push((
        "local-name",
        raw_zip(b"", &raw_good(so, vec![other]), None, b""),
    ));
    // Data declared longer than it is, overlapping the next local header.
    let mut overlap = raw("good/_over.abi3.so", so);
    overlap.size_slack = 40;
    let entries = raw_good(so, vec![overlap, raw("good/_next.abi3.so", so)]);
    suite.push(("overlap", raw_zip(b"", &entries, None, b"")));
    // bzip2 (zipfile reads it, cargo-abi3 does not) and a too-new zip version.
    let mut bz = raw("good/_bz.abi3.so", so);
    bz.method = 12;
    suite.push(("bzip2", raw_zip(b"", &raw_good(so, vec![bz]), None, b"")));
    let mut newer = raw("good/_v.abi3.so", so);
    newer.extract_version = 64;
    suite.push((
        "zip-version",
        raw_zip(b"", &raw_good(so, vec![newer]), None, b""),
    ));
    suite
}

/// The gate audits exactly what pip installs, on the hostile archive suite; and whatever
/// zipfile makes of a wheel, its violating extension never passes as clean.
#[test]
fn audited_members_are_the_members_zipfile_lists() {
    let dir = tempfile::tempdir().unwrap();
    let so = fixture_or_skip!(violating());
    let wheels: Vec<PathBuf> = archive_suite(&so)
        .into_iter()
        .map(|(case, bytes)| {
            let path = dir
                .path()
                .join(format!("{case}-1.0-cp38-abi3-manylinux_2_17_aarch64.whl"));
            std::fs::write(&path, bytes).unwrap();
            path
        })
        .collect();
    let run = assert_audits_what_zipfile_lists(&wheels);
    for input in run.json["inputs"].as_array().unwrap() {
        let binaries = input["binaries"].as_array().unwrap();
        let failed = findings(input).iter().any(|f| is_failure(f));
        let violation = binaries.iter().any(|b| {
            b["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["severity"] == "error")
        });
        assert!(failed || violation, "passed as clean: {input:#}");
    }
}

/// The same over the `wheel_zip` fuzz corpus (`fuzz/seed.sh`, grown by fuzz runs), where one
/// is on this machine: thousands of mutated archives nobody designed. Each file is audited
/// under a wheel's name.
#[test]
fn fuzz_corpus_members_are_the_members_zipfile_lists() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/wheel_zip");
    let Ok(entries) = std::fs::read_dir(&corpus) else {
        // .ci/run does not write the corpus.
        skip_optional(format_args!(
            "no fuzz corpus at {} (run fuzz/seed.sh)",
            corpus.display()
        ));
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    files.sort();
    let wheels: Vec<PathBuf> = files
        .iter()
        .take(3000)
        .enumerate()
        .map(|(i, f)| {
            let path = dir
                .path()
                .join(format!("c{i}-1.0-cp38-abi3-manylinux_2_17_x86_64.whl"));
            std::fs::copy(f, &path).unwrap();
            path
        })
        .collect();
    for chunk in wheels.chunks(500) {
        assert_audits_what_zipfile_lists(chunk);
    }
}

/// Issue case 1: an end record that under-states the count hides nothing.
#[test]
fn end_record_count_hides_no_member() {
    let dir = tempfile::tempdir().unwrap();
    let so = fixture_or_skip!(violating());
    let suite = archive_suite(&so);
    let (_, bytes) = suite.iter().find(|(c, _)| *c == "eocd-under").unwrap();
    let name = "hidden-1.0-cp38-abi3-manylinux_2_17_aarch64.whl";
    std::fs::write(dir.path().join(name), bytes).unwrap();
    let good = good_wheel(dir.path()).unwrap();
    let run = audit(&[&good, &dir.path().join(name)]);
    assert_eq!(run.code, 1, "{}", run.json);
    assert_good_intact(&run);
    let hidden = input(&run, name);
    assert_violation(hidden, "good/_core.abi3.so");
    assert_violation(hidden, "good/_two.abi3.so");
    assert!(
        findings(hidden)
            .iter()
            .any(|f| f["code"] == "ambiguous-archive"
                && f["severity"] == "error"
                && text(f).contains("declares 2 entries but the central directory holds 4")),
        "{hidden:#}"
    );
}

// ---------------------------------------------------------------------------------------
// Loose binaries go through the streaming reader
// ---------------------------------------------------------------------------------------

/// Peak memory allowed for any single run (the README's bound).
const PEAK_KIB: u64 = 100 * 1024;

/// A 1.9 GB sparse loose binary (a real extension, then a hole) is streamed, not read whole:
/// the verdict is the extension's and memory stays far under the bound.
#[test]
fn huge_sparse_loose_binary_is_streamed() {
    let dir = tempfile::tempdir().unwrap();
    let so = fixture_or_skip!(violating());
    let path = dir.path().join("_core.abi3.so");
    std::fs::write(&path, &so).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(1_900_000_000)
        .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-abi3"));
    cmd.args(["audit", "--assume-minimum", "3.8", "--format", "json"])
        .arg(&path);
    let (peak, code, stdout) = fixture_or_skip!(support::rss::peak_rss_kib(&cmd));
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(code, 1, "{json:#}");
    assert!(
        text(&json["inputs"][0]["binaries"][0]["findings"][0]).contains("PyType_GetName"),
        "{json:#}"
    );
    assert!(peak < PEAK_KIB, "peak RSS {peak} KiB");
}

/// A file whose size the OS does not know (`/proc/self/pagemap` says 0 and then yields
/// data until memory runs out) is refused with a message that says so.
#[test]
fn proc_files_are_refused_with_the_reason() {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-abi3"));
    cmd.args(["audit", "--format", "json", "/proc/self/pagemap"]);
    let (peak, code, stdout) = fixture_or_skip!(support::rss::peak_rss_kib(&cmd));
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(code, 2, "{json:#}");
    let f = &json["inputs"][0]["findings"][0];
    assert!(text(f).contains("reports its size as 0"), "{f:#}");
    assert!(peak < PEAK_KIB, "peak RSS {peak} KiB");
}

/// One binary with 400,000 imports outside the stable ABI: findings are bounded per code
/// (the first ones listed, then one "and N more" whose count JSON keeps), and memory stays
/// under the bound.
#[test]
fn findings_per_binary_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..400_000).map(|i| format!("Py_Bogus{i}")).collect();
    let mut imports: Vec<&str> = names.iter().map(String::as_str).collect();
    imports.push("PyModule_Create2");
    let so = fixture_or_skip!(extension(&imports));
    let path = dir.path().join("_core.abi3.so");
    std::fs::write(&path, &so).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-abi3"));
    cmd.args(["audit", "--assume-minimum", "3.8", "--format", "json"])
        .arg(&path);
    let (peak, code, stdout) = fixture_or_skip!(support::rss::peak_rss_kib(&cmd));
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(code, 1);
    let found = json["inputs"][0]["binaries"][0]["findings"]
        .as_array()
        .unwrap();
    let listed = found
        .iter()
        .filter(|f| f["code"] == "not-in-stable-abi" && f["omitted"].is_null())
        .count();
    assert_eq!(listed, 50);
    let summary = found
        .iter()
        .find(|f| f["code"] == "not-in-stable-abi" && !f["omitted"].is_null())
        .unwrap_or_else(|| panic!("no summary in {found:#?}"));
    assert_eq!(summary["omitted"], 400_000 - 50);
    assert!(peak < PEAK_KIB, "peak RSS {peak} KiB");
}

/// Per-input state is small and freed as each input is done: 4,000 wheels in one run stay
/// under the memory bound (before the read buffers were reused per thread, each wheel left
/// about 45 KB resident: 4,000 wheels took 200 MB).
#[test]
fn many_inputs_share_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let good = fixture_or_skip!(good_wheel(dir.path()));
    let many = dir.path().join("many");
    std::fs::create_dir(&many).unwrap();
    for i in 0..4000 {
        std::fs::hard_link(
            &good,
            many.join(format!("good{i}-1.0-cp38-abi3-manylinux_2_17_aarch64.whl")),
        )
        .unwrap();
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-abi3"));
    cmd.args(["audit", "--format", "json"]).arg(&many);
    let (peak, code, stdout) = fixture_or_skip!(support::rss::peak_rss_kib(&cmd));
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(code, 1);
    assert_eq!(json["summary"]["inputs"], 4000);
    assert_eq!(json["summary"]["errors"], 4000);
    assert!(peak < PEAK_KIB, "peak RSS {peak} KiB");
}

/// Runs `audit --format json` on `count` hard links of the good wheel (each its own release,
/// an error each), in a new directory under `dir`: peak RSS (KiB) and the JSON report.
fn many_wheels_peak(dir: &Path, good: &Path, count: usize) -> Result<(u64, Value), Skip> {
    let many = dir.join(format!("many-{count}"));
    std::fs::create_dir(&many).unwrap();
    for i in 0..count {
        std::fs::hard_link(
            good,
            many.join(format!("good{i}-1.0-cp38-abi3-manylinux_2_17_aarch64.whl")),
        )
        .unwrap();
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-abi3"));
    cmd.args(["audit", "--format", "json"]).arg(&many);
    let (peak, code, stdout) = support::rss::peak_rss_kib(&cmd)?;
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(code, 1, "{}", json["summary"]);
    assert_eq!(json["summary"]["inputs"], count);
    assert_eq!(json["summary"]["errors"], count);
    assert_eq!(json["inputs"].as_array().map(Vec::len), Some(count));
    std::fs::remove_dir_all(&many).unwrap();
    Ok((peak, json))
}

/// Reports are streamed: each input's report is rendered and freed with its release, so ten
/// times the inputs take about the same memory. Before, every report (about 1.6 KB) was
/// kept until the end: 18,000 more inputs took about 28 MB more. What remains per input is
/// its path in the list of inputs (about 300 bytes at the peak, while the list is made).
#[test]
fn memory_does_not_grow_with_the_number_of_inputs() {
    /// Allowed growth from 2,000 to 20,000 inputs (the old behaviour needs about 28 MB).
    const MARGIN_KIB: u64 = 12 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let good = fixture_or_skip!(good_wheel(dir.path()));
    let (small, _) = fixture_or_skip!(many_wheels_peak(dir.path(), &good, 2_000));
    let (large, json) = fixture_or_skip!(many_wheels_peak(dir.path(), &good, 20_000));
    // Inputs come in walk order, and the document is whole.
    let paths: Vec<&str> = json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["path"].as_str())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort_unstable();
    assert_eq!(paths, sorted);
    eprintln!("peak RSS: 2,000 inputs {small} KiB, 20,000 inputs {large} KiB");
    assert!(
        large < small + MARGIN_KIB,
        "20,000 inputs peak at {large} KiB, 2,000 at {small} KiB: memory grows with the inputs"
    );
    assert!(large < PEAK_KIB, "peak RSS {large} KiB");
}
