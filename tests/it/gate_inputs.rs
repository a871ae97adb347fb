//! Gate integrity of the inputs end to end: the real binary on trees, names and paths that
//! used to walk around the gate (a symlinked wheel skipped, a name that is not UTF-8 skipped,
//! a path past PATH_MAX dropped), cry wolf ("no such file" for a FIFO) or print nothing
//! (`check --format json` on a missing manifest). Every run is killed after [`TIMEOUT`] (a
//! FIFO opened for reading, or a symlink diamond walked path by path, would hang), every
//! JSON report is validated against the committed schema, and a good wheel beside the bad
//! input keeps its own finding.

#![cfg(unix)]

use crate::support;

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support::wheel::WheelBuilder;
use crate::support::*;
use serde_json::Value;

use crate::support::schema::assert_valid_against_schema;

const TIMEOUT: Duration = Duration::from_secs(60);

/// The good wheel: cp38-abi3, its extension imports `PyType_GetName` (3.11).
const GOOD: &str = "good-1.0-cp38-abi3-manylinux_2_17_aarch64.whl";

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

/// An aarch64 extension importing `PyType_GetName` (3.11), linked by `ld.lld`.
fn violating() -> Result<Vec<u8>, Skip> {
    build_elf_with_lld(&ElfSpec {
        arch: ElfArch::Aarch64,
        soname: "_core.abi3.so".into(),
        exports: vec!["PyInit__core".into()],
        imports: vec!["PyType_GetName".into(), "PyModule_Create2".into()],
        versioned_lib: None,
        hash_style: "gnu",
    })
}

/// A wheel named `name` around the violating extension, written into `dir`.
fn wheel(dir: &Path, name: &str, so: &[u8]) -> PathBuf {
    WheelBuilder::new(name)
        .member("good/_core.abi3.so", so.to_vec())
        .write(dir)
}

fn mkfifo(path: &Path) -> bool {
    Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

// ---------------------------------------------------------------------------------------
// Running the CLI
// ---------------------------------------------------------------------------------------

/// The JSON report on stdout, checked against the schema and the exit code.
#[track_caller]
fn report(run: &Run) -> Value {
    let json = run.json();
    assert_valid_against_schema(&json);
    let failures = json["summary"]["analysis_failures"].as_u64().unwrap();
    let errors = json["summary"]["errors"].as_u64().unwrap();
    let expected = if failures > 0 {
        2
    } else if errors > 0 {
        1
    } else {
        0
    };
    assert_eq!(run.code, expected, "exit code vs summary: {json:#}");
    json
}

/// `check --format json --manifest-path MANIFEST`.
fn check_args(manifest: &Path) -> [&OsStr; 5] {
    [
        OsStr::new("check"),
        "--format".as_ref(),
        "json".as_ref(),
        "--manifest-path".as_ref(),
        manifest.as_os_str(),
    ]
}

/// `cargo-abi3 check --format json --manifest-path MANIFEST`.
fn check_run(manifest: &Path) -> Run {
    cargo_abi3(check_args(manifest))
}

/// Runs `cargo-abi3 <args>`, killing it after [`TIMEOUT`] (then the test fails).
fn cargo_abi3<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    cargo_abi3_in(args, None)
}

fn cargo_abi3_in<I, S>(args: I, target_dir: Option<&Path>) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-abi3"));
    cmd.args(args).env("NO_COLOR", "1");
    if let Some(dir) = target_dir {
        cmd.env("CARGO_TARGET_DIR", dir);
    }
    let (code, stdout, stderr) = support::run_with_timeout(&mut cmd, TIMEOUT);
    Run {
        code,
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8 (paths are printed lossily)"),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

fn audit_json(args: &[&OsStr]) -> Value {
    let mut all: Vec<&OsStr> = vec![OsStr::new("audit"), OsStr::new("--format"), "json".as_ref()];
    all.extend_from_slice(args);
    report(&cargo_abi3(all))
}

/// What a report says about each input, in order: path, kind and its findings' codes.
fn summary_of(json: &Value) -> Vec<(String, String, Vec<String>)> {
    json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let mut codes: Vec<String> = findings(i)
                .iter()
                .map(|f| format!("{}:{}", f["code"], f["severity"]))
                .collect();
            codes.sort();
            (
                i["path"].as_str().unwrap().to_owned(),
                i["kind"].as_str().unwrap().to_owned(),
                codes,
            )
        })
        .collect()
}

fn findings(input: &Value) -> Vec<&Value> {
    let mut all: Vec<&Value> = input["findings"].as_array().unwrap().iter().collect();
    for b in input["binaries"].as_array().unwrap() {
        all.extend(b["findings"].as_array().unwrap());
    }
    all
}

/// The input whose path is `path` (lossy).
fn input<'a>(json: &'a Value, path: &Path) -> &'a Value {
    let path = path.to_string_lossy();
    json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == *path)
        .unwrap_or_else(|| panic!("no input `{path}` in {json:#}"))
}

fn has_violation(input: &Value) -> bool {
    findings(input)
        .iter()
        .any(|f| f["code"] == "newer-than-floor" && f["symbol"] == "PyType_GetName")
}

/// `input` has an input-family error whose message names `name` and contains `needle`, and
/// whose help says what to check.
fn assert_input_error(input: &Value, name: &str, needle: &str) {
    let f = assert_input_error_message(input, name, needle);
    assert!(
        f["help"].as_str().is_some_and(|h| h.contains("check")),
        "no hint what to do: {f:#}"
    );
}

/// `input` has an input-family error whose message names `name` and contains `needle`.
fn assert_input_error_message<'a>(input: &'a Value, name: &str, needle: &str) -> &'a Value {
    let found = findings(input).into_iter().find(|f| {
        matches!(
            f["code"].as_str(),
            Some("unreadable-input" | "nothing-to-audit" | "input-limit-exceeded")
        ) && f["severity"] == "error"
            && f["message"].as_str().unwrap().contains(needle)
    });
    let f = found.unwrap_or_else(|| panic!("no input error with {needle:?} in {input:#}"));
    let message = f["message"].as_str().unwrap();
    assert!(
        message.contains(name),
        "message does not name `{name}`: {message}"
    );
    f
}

// ---------------------------------------------------------------------------------------
// 1. Directory walks
// ---------------------------------------------------------------------------------------

/// A symlinked wheel and a symlinked directory inside a directory are audited, as a glob
/// over the same files always did. Before: skipped, and the run said "failed" only for the
/// good wheel (with the symlinks alone: "nothing to audit").
#[test]
fn symlinked_wheels_and_directories_in_a_directory_are_audited() {
    let so = fixture_or_skip!(violating());
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    let libs = outside.join("libs");
    std::fs::create_dir_all(&libs).unwrap();
    let linked = "linked-1.0-cp38-abi3-manylinux_2_17_aarch64.whl";
    wheel(&outside, linked, &so);
    std::fs::write(libs.join("_loose.abi3.so"), &so).unwrap();
    let dir = tmp.path().join("dist");
    std::fs::create_dir(&dir).unwrap();
    wheel(&dir, GOOD, &so);
    symlink(outside.join(linked), dir.join(linked)).unwrap();
    symlink("../outside/libs", dir.join("libs")).unwrap();

    let json = audit_json(&[dir.as_os_str(), "--assume-minimum".as_ref(), "3.8".as_ref()]);
    assert_eq!(json["inputs"].as_array().unwrap().len(), 3, "{json:#}");
    for path in [
        dir.join(GOOD),
        dir.join(linked),
        dir.join("libs/_loose.abi3.so"),
    ] {
        assert!(has_violation(input(&json, &path)), "{path:?}: {json:#}");
    }
}

/// A tree with everything that used to differ between a walk and a glob: symlinked files
/// and directories, a loop, a dangling wheel symlink, a FIFO named like a binary, hidden
/// directories, names that are not UTF-8 or hold a newline, versioned and look-alike names.
/// `dir`, `dir/*`, `dir/**/*` and `dir/**` give the same inputs, in the same order.
#[test]
fn a_directory_and_its_globs_see_the_same_inputs() {
    let so = fixture_or_skip!(violating());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tree");
    for sub in ["sub/deeper", ".hidden", "real"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    wheel(&dir, GOOD, &so);
    wheel(
        &dir.join("real"),
        "other-2.0-cp38-abi3-manylinux_2_17_aarch64.whl",
        &so,
    );
    let not_utf8 = dir.join(OsStr::from_bytes(b"\xff\xfe_bad.abi3.so"));
    let newline = dir.join("sub/new\nline.abi3.so");
    for path in [
        dir.join("sub/_x.abi3.so"),
        dir.join("sub/deeper/libfoo.so.1.2"),
        dir.join(".hidden/_h.abi3.so"),
        not_utf8.clone(),
        newline.clone(),
    ] {
        std::fs::write(&path, &so).unwrap();
    }
    for junk in ["README", "x.so.txt.bak", "sub/notes.so.txt"] {
        std::fs::write(dir.join(junk), b"not audited").unwrap();
    }
    symlink("real", dir.join("link")).unwrap();
    symlink("..", dir.join("sub/up")).unwrap();
    symlink("nowhere.whl", dir.join("dangling.whl")).unwrap();
    symlink("nowhere", dir.join(".#emacs-lock")).unwrap(); // hides nothing: not reported
    let fifo = dir.join("sub/pipe.abi3.so");
    let have_fifo = mkfifo(&fifo);

    let walked = audit_json(&[dir.as_os_str(), "--assume-minimum".as_ref(), "3.8".as_ref()]);
    let expected_paths: Vec<PathBuf> = [
        dir.join(OsStr::from_bytes(b"\xff\xfe_bad.abi3.so")),
        dir.join(".hidden/_h.abi3.so"),
        dir.join("dangling.whl"),
        dir.join(GOOD),
        dir.join("real/other-2.0-cp38-abi3-manylinux_2_17_aarch64.whl"),
        dir.join("sub/_x.abi3.so"),
        dir.join("sub/deeper/libfoo.so.1.2"),
        newline.clone(),
    ]
    .into_iter()
    .chain(have_fifo.then(|| fifo.clone()))
    .chain([dir.join("sub/up")])
    .collect();
    let mut got: Vec<String> = summary_of(&walked).into_iter().map(|(p, ..)| p).collect();
    let mut want: Vec<String> = expected_paths
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want, "{walked:#}");
    // Each audited binary keeps its finding; the broken entries are errors naming themselves.
    for path in [
        &not_utf8,
        &newline,
        &dir.join(GOOD),
        &dir.join("sub/_x.abi3.so"),
    ] {
        assert!(has_violation(input(&walked, path)), "{path:?}");
    }
    assert_input_error(
        input(&walked, &dir.join("dangling.whl")),
        "dangling.whl",
        "points to nothing",
    );
    if have_fifo {
        assert_input_error(
            input(&walked, &fifo),
            "pipe.abi3.so",
            "not a regular file (a FIFO)",
        );
    }
    let up = input(&walked, &dir.join("sub/up"));
    assert_eq!(findings(up)[0]["severity"], "warning", "{up:#}");
    assert!(
        findings(up)[0]["message"]
            .as_str()
            .unwrap()
            .contains("symlink loop")
    );

    for glob in ["*", "**/*", "**"] {
        let pattern = dir.join(glob);
        let globbed = audit_json(&[
            pattern.as_os_str(),
            "--assume-minimum".as_ref(),
            "3.8".as_ref(),
        ]);
        assert_eq!(
            summary_of(&globbed),
            summary_of(&walked),
            "`{}` and the directory differ",
            pattern.display()
        );
    }
}

/// A symlink loop is a warning naming it, never a hang; a diamond of 2^20 symlink paths to
/// the same directories (which a path-by-path walk would enumerate) is walked once per
/// directory, and the wheel is named by its real path.
#[test]
fn symlink_loops_and_diamonds_terminate() {
    let so = fixture_or_skip!(violating());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tree");
    const LEVELS: usize = 20;
    for i in 0..=LEVELS {
        std::fs::create_dir_all(dir.join(format!("d{i:02}"))).unwrap();
    }
    for i in 0..LEVELS {
        for link in ["a", "b"] {
            symlink(
                format!("../d{:02}", i + 1),
                dir.join(format!("d{i:02}/{link}")),
            )
            .unwrap();
        }
    }
    let deepest = dir.join(format!("d{LEVELS:02}"));
    wheel(&deepest, GOOD, &so);
    symlink("..", dir.join("d05/up")).unwrap();
    symlink(".", dir.join("self")).unwrap();

    let walked = audit_json(&[dir.as_os_str()]);
    let globbed = audit_json(&[dir.join("**/*").as_os_str()]);
    assert_eq!(summary_of(&walked), summary_of(&globbed));
    let paths: Vec<String> = summary_of(&walked).into_iter().map(|(p, ..)| p).collect();
    assert_eq!(
        paths,
        [dir.join("d05/up"), deepest.join(GOOD), dir.join("self")].map(|p| p.display().to_string()),
        "{walked:#}"
    );
    assert!(has_violation(input(&walked, &deepest.join(GOOD))));
    for looped in ["d05/up", "self"] {
        let f = findings(input(&walked, &dir.join(looped)))[0];
        assert_eq!(f["severity"], "warning");
        assert!(f["message"].as_str().unwrap().contains(looped), "{f:#}");
    }
    // Loops alone are no failure: the good wheel's error decides the exit code.
    assert_eq!(walked["summary"]["analysis_failures"], 0);
}

/// A directory whose path is longer than PATH_MAX cannot be opened by path: it is an
/// `unreadable-input` error naming it (it was silently dropped), and the rest is audited.
#[test]
fn a_path_deeper_than_path_max_is_reported_not_dropped() {
    let so = fixture_or_skip!(violating());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("deep");
    std::fs::create_dir(&dir).unwrap();
    wheel(&dir, GOOD, &so);
    let lost = wheel(
        tmp.path(),
        "lost-1.0-cp38-abi3-manylinux_2_17_aarch64.whl",
        &so,
    );
    // 45 levels of 100-character names: 4.5 kB, past Linux's 4096-byte PATH_MAX. Built
    // with relative `chdir`s, which have no such limit (dash's `cd` composes full paths).
    let name = "n".repeat(100);
    let script = "import os, shutil, sys\n\
                  os.chdir(sys.argv[1])\n\
                  for _ in range(45):\n    os.mkdir(sys.argv[2]); os.chdir(sys.argv[2])\n\
                  shutil.copy(sys.argv[3], '.')\n";
    let built = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&dir)
        .arg(&name)
        .arg(&lost)
        .status();
    match built {
        Ok(status) => assert!(status.success(), "building the deep tree failed"),
        Err(e) => {
            skip(format_args!("python3 cannot run: {e}"));
            return;
        }
    }

    let run = cargo_abi3([
        OsStr::new("audit"),
        "--format".as_ref(),
        "json".as_ref(),
        dir.as_os_str(),
    ]);
    let json = report(&run);
    assert_eq!(run.code, 2, "{json:#}");
    assert!(has_violation(input(&json, &dir.join(GOOD))));
    let deep = json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "path")
        .unwrap_or_else(|| panic!("the deep directory is not reported: {json:#}"));
    assert_input_error(deep, &name, "File name too long");
}

// ---------------------------------------------------------------------------------------
// 2. Arguments that are not UTF-8
// ---------------------------------------------------------------------------------------

/// Paths that are not UTF-8 are paths, for audit, host `--with` and check: not usage
/// errors. Printed lossily.
#[test]
fn arguments_that_are_not_utf8_are_paths() {
    let so = fixture_or_skip!(violating());
    let tmp = tempfile::tempdir().unwrap();
    let odd = tmp.path().join(OsStr::from_bytes(b"dist-\xff"));
    std::fs::create_dir(&odd).unwrap();
    let good = wheel(&odd, GOOD, &so);

    let json = audit_json(&[good.as_os_str()]);
    assert_eq!(json["inputs"].as_array().unwrap().len(), 1);
    let only = &json["inputs"][0];
    assert!(has_violation(only), "{json:#}");
    assert!(
        only["path"].as_str().unwrap().contains("dist-\u{fffd}"),
        "{json:#}"
    );
    // The glob and the directory, spelled with the same bytes.
    assert_eq!(
        summary_of(&audit_json(&[odd.as_os_str()])),
        summary_of(&json)
    );
    assert_eq!(
        summary_of(&audit_json(&[odd.join("*.whl").as_os_str()])),
        summary_of(&json)
    );

    // host --with: the wheel is checked against the host (the extension itself).
    let host = tmp.path().join("_host.so");
    std::fs::write(&host, &so).unwrap();
    let run = cargo_abi3([
        OsStr::new("host"),
        "--format".as_ref(),
        "json".as_ref(),
        host.as_os_str(),
        "--with".as_ref(),
        good.as_os_str(),
    ]);
    let json = report(&run);
    assert_eq!(json["inputs"][1]["kind"], "wheel", "{json:#}");

    // check --manifest-path: a missing manifest, reported as such.
    let manifest = odd.join(OsStr::from_bytes(b"\xfe/Cargo.toml"));
    let run = check_run(&manifest);
    let json = report(&run);
    assert_eq!(run.code, 2);
    assert_input_error(
        &json["inputs"][0],
        "Cargo.toml",
        "no such file or directory",
    );
}

// ---------------------------------------------------------------------------------------
// 3. Messages that mislead
// ---------------------------------------------------------------------------------------

/// A FIFO, a character device, a socket and a directory where a file is needed are "not a
/// regular file", never "no such file or directory", and a FIFO is never opened (that
/// blocks until a writer comes). The good wheel beside them keeps its finding.
#[test]
fn paths_that_are_not_regular_files_say_so() {
    let so = fixture_or_skip!(violating());
    let tmp = tempfile::tempdir().unwrap();
    let good = wheel(tmp.path(), GOOD, &so);
    let fifo = tmp.path().join("pipe.whl");
    skip_unless!(mkfifo(&fifo), "mkfifo is not available");
    let socket = tmp.path().join("sock.so");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();

    let json = audit_json(&[
        good.as_os_str(),
        fifo.as_os_str(),
        "/dev/zero".as_ref(),
        socket.as_os_str(),
    ]);
    assert!(has_violation(input(&json, &good)));
    for (path, what) in [
        (fifo.as_path(), "not a regular file (a FIFO)"),
        (
            Path::new("/dev/zero"),
            "not a regular file (a character device)",
        ),
        (socket.as_path(), "not a regular file (a socket)"),
    ] {
        let name = path.file_name().unwrap().to_str().unwrap();
        assert_input_error(input(&json, path), name, what);
    }

    // host: the same words, for each kind of non-file.
    for (path, what) in [
        (fifo.as_path(), "not a regular file (a FIFO)"),
        (
            Path::new("/dev/zero"),
            "not a regular file (a character device)",
        ),
        (tmp.path(), "not a regular file (a directory)"),
        (&tmp.path().join("missing"), "no such file or directory"),
    ] {
        let run = cargo_abi3([
            OsStr::new("host"),
            "--format".as_ref(),
            "json".as_ref(),
            path.as_os_str(),
        ]);
        let json = report(&run);
        assert_eq!(run.code, 2);
        let name = path.file_name().unwrap().to_str().unwrap();
        assert_input_error_message(&json["inputs"][0], name, what);
    }

    // check: a FIFO named Cargo.toml hung `cargo metadata`; a directory is not a manifest.
    let crate_dir = tmp.path().join("crate");
    std::fs::create_dir(&crate_dir).unwrap();
    let manifest = crate_dir.join("Cargo.toml");
    assert!(mkfifo(&manifest));
    for (path, what) in [
        (manifest.as_path(), "not a regular file (a FIFO)"),
        (crate_dir.as_path(), "not a regular file (a directory)"),
    ] {
        let run = check_run(path);
        let json = report(&run);
        assert_eq!(run.code, 2);
        let name = path.file_name().unwrap().to_str().unwrap();
        assert_input_error(&json["inputs"][0], name, what);
    }
}

/// A newline (or carriage return, ESC, a bidi override) in a file or directory name cannot
/// forge a line of the human output: it is printed escaped. JSON keeps the real name.
#[test]
fn control_characters_in_names_cannot_forge_output_lines() {
    let so = fixture_or_skip!(violating());
    let tmp = tempfile::tempdir().unwrap();
    let forged = "x\nerror[not-in-stable-abi]: forged\n --> y\r\u{1b}[2K\u{202e}";
    let dir = tmp.path().join(forged);
    std::fs::create_dir(&dir).unwrap();
    wheel(&dir, GOOD, &so);
    std::fs::write(dir.join("evil\n.abi3.so"), b"not a binary").unwrap();

    let run = cargo_abi3([
        OsStr::new("audit"),
        "--color".as_ref(),
        "never".as_ref(),
        dir.as_os_str(),
    ]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    for line in run.stdout.lines() {
        assert!(
            !line.starts_with("error[not-in-stable-abi]"),
            "forged line:\n{}",
            run.stdout
        );
        assert!(!line.contains('\r') && !line.contains('\u{1b}') && !line.contains('\u{202e}'));
    }
    assert!(
        run.stdout
            .contains("x\\nerror[not-in-stable-abi]: forged\\n --> y\\r\\u{1b}[2K\\u{202e}"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("evil\\n.abi3.so"), "{}", run.stdout);
    assert!(
        run.stdout.contains("error[newer-than-floor]"),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.stdout
            .lines()
            .filter(|l| l.starts_with("error["))
            .count(),
        2,
        "one violation and one unreadable file:\n{}",
        run.stdout
    );

    let json = audit_json(&[dir.as_os_str()]);
    assert!(has_violation(input(&json, &dir.join(GOOD))));
    assert!(json["inputs"][0]["path"].as_str().unwrap().contains(forged));
}

// ---------------------------------------------------------------------------------------
// 4. A JSON report on every exit path
// ---------------------------------------------------------------------------------------

/// A throwaway crate (no dependencies: builds in a second) with the given files.
fn scratch_crate(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn scratch_target() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("gate-inputs-target")
}

const CDYLIB_TOML: &str = "[package]\nname = \"scratch\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n[lib]\ncrate-type = [\"cdylib\"]\n";

fn check_json(manifest: &Path) -> Value {
    let run = cargo_abi3_in(check_args(manifest), Some(&scratch_target()));
    let json = report(&run);
    assert_eq!(run.code, 2, "{json:#}\n{}", run.stderr);
    assert!(!run.stderr.is_empty(), "the reason goes to stderr too");
    json
}

/// `check --format json` printed nothing on stdout when it could not run.
#[test]
fn check_prints_a_json_report_when_it_cannot_check() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing/Cargo.toml");
    let json = check_json(&missing);
    assert_eq!(json["inputs"][0]["kind"], "crate");
    assert_input_error(&json["inputs"][0], "missing/Cargo.toml", "no such file");

    let json = check_json(tmp.path());
    assert_input_error(&json["inputs"][0], "", "not a regular file (a directory)");

    let malformed = scratch_crate(&[
        ("Cargo.toml", "[package]\nname = \"x\nversion = 1\n"),
        ("src/lib.rs", ""),
    ]);
    let json = check_json(&malformed.path().join("Cargo.toml"));
    assert_input_error(&json["inputs"][0], "Cargo.toml", "Cargo.toml:2:");

    let no_cdylib = scratch_crate(&[
        (
            "Cargo.toml",
            "[package]\nname = \"plain\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
        ),
        ("src/lib.rs", "pub fn f() {}\n"),
    ]);
    let json = check_json(&no_cdylib.path().join("Cargo.toml"));
    let f = &json["inputs"][0]["findings"][0];
    assert_eq!(f["code"], "nothing-to-audit", "{json:#}");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("no cdylib to check")
    );

    let broken = scratch_crate(&[
        ("Cargo.toml", CDYLIB_TOML),
        ("src/lib.rs", "pub fn f() -> u8 { \"not a number\" }\n"),
    ]);
    let json = check_json(&broken.path().join("Cargo.toml"));
    assert_input_error(&json["inputs"][0], "Cargo.toml", "`cargo build` failed");
}

/// A usage error (clap) or an unknown code with `--format json`: a JSON report on stdout,
/// exit 2, for every command. `--help` still prints help.
#[test]
fn usage_errors_with_format_json_are_json_reports() {
    let not_utf8 = OsString::from_vec(b"\xff".to_vec());
    let cases: Vec<Vec<OsString>> = vec![
        vec![
            "audit".into(),
            "--format".into(),
            "json".into(),
            "--bogus".into(),
            "x".into(),
        ],
        vec!["audit".into(), "--format=json".into()],
        vec![
            "audit".into(),
            "--format".into(),
            "json".into(),
            "--assume-minimum".into(),
            "banana".into(),
            "x".into(),
        ],
        vec![
            "audit".into(),
            "--format".into(),
            "json".into(),
            "--deny".into(),
            "nope".into(),
            "x".into(),
        ],
        vec![
            "audit".into(),
            "--format".into(),
            "json".into(),
            "--deny".into(),
            not_utf8,
            "x".into(),
        ],
        vec!["host".into(), "--format".into(), "json".into()],
        vec![
            "host".into(),
            "--format".into(),
            "json".into(),
            "--allow".into(),
            "nope".into(),
            "/bin/sh".into(),
        ],
        vec![
            "check".into(),
            "--format".into(),
            "json".into(),
            "--no-such-flag".into(),
        ],
        vec!["frobnicate".into(), "--format".into(), "json".into()],
    ];
    for args in cases {
        let run = cargo_abi3(&args);
        let json = report(&run);
        assert_eq!(run.code, 2, "{args:?}: {json:#}");
        let f = &json["inputs"][0]["findings"][0];
        assert_eq!(f["code"], "unreadable-input", "{args:?}: {json:#}");
        assert!(
            !run.stderr.is_empty(),
            "{args:?}: the error goes to stderr too"
        );
    }
    let run = cargo_abi3(["audit", "--format", "json", "--help"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("Usage"), "{}", run.stdout);
}

/// A pyproject.toml nested 100,000 levels deep is headlined with the reader's nesting
/// limit, not "not valid TOML".
#[test]
fn a_pyproject_nested_too_deep_is_headlined_as_the_limit() {
    let deep = format!(
        "[project]\nname = \"scratch\"\nx = {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let dir = scratch_crate(&[
        ("Cargo.toml", CDYLIB_TOML),
        (
            "src/lib.rs",
            "#[no_mangle]\npub extern \"C\" fn PyInit_scratch() {}\n",
        ),
        ("pyproject.toml", &deep),
    ]);
    let json = check_json(&dir.path().join("Cargo.toml"));
    let f = findings(&json["inputs"][0])
        .into_iter()
        .find(|f| f["code"] == "unreadable-input")
        .unwrap_or_else(|| panic!("{json:#}"));
    let message = f["message"].as_str().unwrap();
    assert!(message.contains("pyproject.toml"), "{message}");
    assert!(message.contains("nest deeper than 80 levels"), "{message}");
    assert!(!message.contains("not valid TOML"), "{message}");
    assert!(
        f["span"]["file"]
            .as_str()
            .unwrap()
            .ends_with("pyproject.toml")
    );
}
