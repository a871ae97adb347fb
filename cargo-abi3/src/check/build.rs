//! Running `cargo build` and collecting what `check` needs from its JSON messages: the
//! cdylibs, the archives that went into them, and PyO3's resolved configuration.
//!
//! Rendered compiler diagnostics go straight to our stderr (`json-render-diagnostics`); only
//! machine messages are read from stdout.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};
use cargo_metadata::{CrateType, Message, TargetKind};
use serde::{Deserialize, Serialize};

/// Where an archive the build produced came from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum ArchiveOrigin {
    /// A Rust library (`.rlib`) or staticlib of crate `name`.
    Crate { name: String },
    /// A static library a build script left in its OUT_DIR (C code compiled by `cc`, ...).
    BuildScript { package: String },
}

/// An archive whose members may reference an offending symbol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveFile {
    pub path: PathBuf,
    pub origin: ArchiveOrigin,
}

/// One cdylib the build produced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cdylib {
    pub package: String,
    /// The lib target's name (`[lib] name`): the module name maturin installs it as.
    pub lib_name: String,
    pub manifest_path: PathBuf,
    /// The shared object (`.so`, `.dylib`, `.dll`).
    pub path: PathBuf,
    /// The crate features the build enabled.
    #[serde(default)]
    pub features: Vec<String>,
}

/// What pyo3-ffi's build script resolved.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pyo3Build {
    /// The `--cfg`s it set (`Py_LIMITED_API`, `Py_3_9`, ...).
    pub cfgs: Vec<String>,
    /// The enabled features of the `pyo3-ffi` unit.
    pub features: Vec<String>,
    /// `PYO3_CONFIG` metadata (hex) from the build script's output, if found.
    pub config_hex: Option<String>,
}

/// Everything `check` keeps from one build; also what `last-build.json` stores.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildOutput {
    pub cdylibs: Vec<Cdylib>,
    pub archives: Vec<ArchiveFile>,
    pub pyo3: Option<Pyo3Build>,
    /// `--target`, if cross-compiling.
    pub target: Option<String>,
}

/// `cargo build` ran and failed; its diagnostics are already on stderr. `partial` is what its
/// messages said before it stopped, often enough to check the intent: pyo3-ffi's build script
/// runs before the crate's own (the build hook), so its resolved config is there.
#[derive(Debug)]
pub struct BuildFailed {
    pub status: std::process::ExitStatus,
    pub partial: BuildOutput,
}

impl std::fmt::Display for BuildFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`cargo build` failed ({}); its diagnostics are on stderr",
            self.status
        )
    }
}

impl std::error::Error for BuildFailed {}

/// Runs `cargo build` with `args` (everything after `build`) and collects its output.
/// Errors when cargo cannot be started, or the build fails ([`BuildFailed`]); cargo's own
/// diagnostics have then already been printed to stderr.
pub fn run(
    cargo: &Path,
    args: &[std::ffi::OsString],
    target: Option<String>,
    quiet_hook: bool,
    target_dir: Option<&Path>,
) -> Result<BuildOutput, super::CheckError> {
    let mut command = Command::new(cargo);
    command
        .arg("build")
        .arg("--message-format=json-render-diagnostics")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = target_dir {
        command.env("CARGO_TARGET_DIR", dir);
    }
    // Cargo's progress stays in colour on a terminal, though its stderr is read here.
    if std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("CARGO_TERM_COLOR").is_none()
    {
        command.env("CARGO_TERM_COLOR", "always");
    }
    // Without it PyO3 >= 0.26 links libpython into the extension (maturin sets it too).
    if std::env::var_os("PYO3_BUILD_EXTENSION_MODULE").is_none() {
        command.env("PYO3_BUILD_EXTENSION_MODULE", "1");
    }
    if std::env::var_os("PYO3_PYTHON").is_none() {
        command.env(
            "PYO3_PYTHON",
            if cfg!(windows) { "python" } else { "python3" },
        );
    }
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot run `{} build`", cargo.display()))?;
    let stdout = child.stdout.take().context("cargo's stdout")?;
    let stderr = child.stderr.take().context("cargo's stderr")?;
    let relay = std::thread::spawn(move || relay_stderr(BufReader::new(stderr), quiet_hook));
    let mut output = BuildOutput {
        target,
        ..BuildOutput::default()
    };
    let mut ffi_out_dir: Option<PathBuf> = None;
    for message in Message::parse_stream(BufReader::new(stdout)) {
        let message = message.context("reading cargo's JSON messages")?;
        collect(message, &mut output, &mut ffi_out_dir);
    }
    let status = child.wait().context("waiting for cargo")?;
    let _ = relay.join();
    if let (Some(pyo3), Some(dir)) = (output.pyo3.as_mut(), ffi_out_dir) {
        pyo3.config_hex = read_pyo3_config(&dir);
    }
    if !status.success() {
        return Err(BuildFailed {
            status,
            partial: output,
        }
        .into());
    }
    Ok(output)
}

/// Copies cargo's stderr to ours, line by line, leaving out (with `quiet_hook`) the build
/// hook's diagnostics
/// (`warning: pkg@1.0: warning[requires-python-below-floor]: …` and their continuation
/// lines): `check` runs the same checks and reports each finding once, itself.
fn relay_stderr(reader: impl std::io::BufRead, quiet_hook: bool) {
    use std::io::Write as _;
    let mut in_hook_block: Option<String> = None;
    let mut err = std::io::stderr().lock();
    for line in reader.split(b'\n').map_while(Result::ok) {
        let text = strip_ansi(&String::from_utf8_lossy(&line));
        if let Some(prefix) = &in_hook_block {
            if text.starts_with(prefix.as_str()) {
                continue;
            }
            in_hook_block = None;
        }
        if let Some(prefix) = hook_block_prefix(&text).filter(|_| quiet_hook) {
            in_hook_block = Some(prefix);
            continue;
        }
        let _ = err.write_all(&line);
        let _ = err.write_all(b"\n");
    }
}

/// `warning: pkg@1.0: ` when `line` starts one of the build hook's diagnostics relayed by
/// cargo (`warning[code]:`, `error[code]:`, `info[code]:` with a code of ours).
fn hook_block_prefix(line: &str) -> Option<String> {
    for level in ["warning: ", "error: "] {
        let Some(rest) = line.strip_prefix(level) else {
            continue;
        };
        let Some((package, diagnostic)) = rest.split_once(": ") else {
            continue;
        };
        if !package.contains('@') || package.contains(' ') {
            continue;
        }
        let code = ["warning[", "error[", "info["]
            .iter()
            .find_map(|l| diagnostic.strip_prefix(l))
            .and_then(|d| d.split_once("]:"))
            .map(|(code, _)| code);
        if code.is_some_and(|c| c.parse::<cargo_abi3_build_hook::Code>().is_ok()) {
            return Some(format!("{level}{package}: "));
        }
    }
    None
}

/// `line` without ANSI colour sequences (`ESC [ … m`).
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The package name in a package id: `registry+…#name@1.0`, `path+file:///dir/name#1.0`.
pub fn package_name(id: &str) -> String {
    let (url, fragment) = id.rsplit_once('#').unwrap_or((id, ""));
    match fragment.split_once('@') {
        Some((name, _)) => name.to_owned(),
        None => url.rsplit('/').next().unwrap_or(url).to_owned(),
    }
}

fn collect(message: Message, output: &mut BuildOutput, ffi_out_dir: &mut Option<PathBuf>) {
    match message {
        Message::CompilerArtifact(artifact) => {
            let package = package_name(&artifact.package_id.repr);
            if package == "pyo3-ffi" && artifact.target.kind.contains(&TargetKind::Lib) {
                output.pyo3.get_or_insert_with(Pyo3Build::default).features =
                    artifact.features.clone();
            }
            let is_cdylib = artifact.target.crate_types.contains(&CrateType::CDyLib);
            for file in &artifact.filenames {
                let path = file.as_std_path();
                let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
                match ext {
                    "rlib" | "a" | "lib" if !is_cdylib || ext == "rlib" => {
                        output.archives.push(ArchiveFile {
                            path: path.to_path_buf(),
                            origin: ArchiveOrigin::Crate {
                                name: artifact.target.name.clone(),
                            },
                        })
                    }
                    "so" | "dylib" | "dll" | "pyd" if is_cdylib => output.cdylibs.push(Cdylib {
                        package: package.clone(),
                        lib_name: artifact.target.name.clone(),
                        manifest_path: artifact.manifest_path.clone().into_std_path_buf(),
                        path: path.to_path_buf(),
                        features: artifact.features.clone(),
                    }),
                    _ => {}
                }
            }
        }
        Message::BuildScriptExecuted(script) => {
            let package = package_name(&script.package_id.repr);
            let out_dir = script.out_dir.into_std_path_buf();
            if package == "pyo3-ffi" {
                output.pyo3.get_or_insert_with(Pyo3Build::default).cfgs = script.cfgs;
                *ffi_out_dir = Some(out_dir.clone());
            }
            for path in static_archives_in(&out_dir) {
                output.archives.push(ArchiveFile {
                    path,
                    origin: ArchiveOrigin::BuildScript {
                        package: package.clone(),
                    },
                });
            }
        }
        _ => {}
    }
}

/// Static libraries under a build script's OUT_DIR (bounded depth: cmake nests them).
fn static_archives_in(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() && depth < 3 {
                walk(&path, depth + 1, found);
            } else if meta.is_file()
                && path
                    .extension()
                    .is_some_and(|e| e == "a" || (cfg!(windows) && e == "lib"))
            {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(dir, 0, &mut found);
    found
}

/// `PYO3_CONFIG` from the `output` file next to pyo3-ffi's OUT_DIR (cargo's JSON does not
/// carry build-script metadata).
fn read_pyo3_config(out_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(out_dir.parent()?.join("output")).ok()?;
    text.lines().find_map(|line| {
        line.strip_prefix("cargo:PYO3_CONFIG=")
            .or_else(|| line.strip_prefix("cargo::metadata=PYO3_CONFIG="))
            .map(str::to_owned)
    })
}

/// Where `--no-build` finds the previous build's output: one file per workspace, since
/// several workspaces may share a `CARGO_TARGET_DIR`.
pub fn last_build_path(target_dir: &Path, workspace_root: &Path) -> PathBuf {
    // FNV-1a: stable across runs and Rust versions, unlike `DefaultHasher`.
    let hash = workspace_root
        .to_string_lossy()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    target_dir
        .join("cargo-abi3")
        .join(format!("last-build-{hash:016x}.json"))
}

/// Saves the build's output for `--no-build`.
pub fn save(target_dir: &Path, workspace_root: &Path, output: &BuildOutput) -> anyhow::Result<()> {
    let path = last_build_path(target_dir, workspace_root);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let json = serde_json::to_string_pretty(output)?;
    std::fs::write(&path, json).with_context(|| format!("writing {}", path.display()))
}

/// Loads the output of the last `cargo abi3 check` build.
pub fn load(target_dir: &Path, workspace_root: &Path) -> anyhow::Result<BuildOutput> {
    let path = last_build_path(target_dir, workspace_root);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "--no-build: no previous build recorded at {} (run `cargo abi3 check` without --no-build first)",
            path.display()
        ),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let output: BuildOutput = serde_json::from_str(&text)
        .with_context(|| format!("{} is corrupt; rerun without --no-build", path.display()))?;
    if let Some(missing) = output.cdylibs.iter().find(|c| !c.path.is_file()) {
        bail!(
            "--no-build: {} recorded by the last build no longer exists; rerun without --no-build",
            missing.path.display()
        );
    }
    Ok(output)
}

#[cfg(test)]
mod relay_tests {
    use super::*;

    #[test]
    fn hook_blocks_are_recognised_and_nothing_else() {
        assert_eq!(
            hook_block_prefix(
                "warning: hooked@0.1.0: warning[requires-python-below-floor]: requires-python"
            )
            .as_deref(),
            Some("warning: hooked@0.1.0: ")
        );
        assert_eq!(
            hook_block_prefix("error: hooked@0.1.0: error[floor-mismatch]: the floor").as_deref(),
            Some("error: hooked@0.1.0: ")
        );
        for other in [
            "warning: unused variable: `x`",
            "warning: hooked@0.1.0: some other build-script warning",
            "warning: hooked@0.1.0: warning[not-a-code-of-ours]: x",
            "   Compiling pyo3 v0.30.1",
        ] {
            assert_eq!(hook_block_prefix(other), None, "{other}");
        }
        assert_eq!(
            strip_ansi("\u{1b}[1m\u{1b}[33mwarning\u{1b}[0m: x"),
            "warning: x"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_from_ids() {
        assert_eq!(
            package_name("registry+https://github.com/rust-lang/crates.io-index#pyo3-ffi@0.30.1"),
            "pyo3-ffi"
        );
        assert_eq!(
            package_name("path+file:///work/examples/c-helper-off-floor#0.1.0"),
            "c-helper-off-floor"
        );
        assert_eq!(
            package_name("path+file:///work/examples/raw#floorhelper@0.1.0"),
            "floorhelper"
        );
    }

    #[test]
    fn collects_cdylibs_archives_and_pyo3_cfgs() {
        let lines = [
            r#"{"reason":"compiler-artifact","package_id":"path+file:///x/floorhelper#0.1.0","manifest_path":"/x/floorhelper/Cargo.toml","target":{"kind":["lib"],"crate_types":["lib"],"name":"floorhelper","src_path":"/x/src/lib.rs","edition":"2021","doc":true,"doctest":true,"test":true},"profile":{"opt_level":"0","debuginfo":2,"debug_assertions":true,"overflow_checks":true,"test":false},"features":[],"filenames":["/t/debug/deps/libfloorhelper-1.rlib","/t/debug/deps/libfloorhelper-1.rmeta"],"executable":null,"fresh":true}"#,
            r#"{"reason":"build-script-executed","package_id":"registry+https://github.com/rust-lang/crates.io-index#pyo3-ffi@0.30.1","linked_libs":[],"linked_paths":[],"cfgs":["Py_3_9","Py_LIMITED_API"],"env":[],"out_dir":"/nonexistent/out"}"#,
            r#"{"reason":"compiler-artifact","package_id":"path+file:///x/ext#0.1.0","manifest_path":"/x/Cargo.toml","target":{"kind":["cdylib"],"crate_types":["cdylib"],"name":"ext","src_path":"/x/src/lib.rs","edition":"2021","doc":true,"doctest":false,"test":true},"profile":{"opt_level":"0","debuginfo":2,"debug_assertions":true,"overflow_checks":true,"test":false},"features":[],"filenames":["/t/debug/libext.so"],"executable":null,"fresh":false}"#,
        ];
        let mut output = BuildOutput::default();
        let mut ffi = None;
        for m in Message::parse_stream(lines.join("\n").as_bytes()) {
            collect(m.unwrap(), &mut output, &mut ffi);
        }
        assert_eq!(output.cdylibs.len(), 1);
        assert_eq!(output.cdylibs[0].lib_name, "ext");
        assert_eq!(output.archives.len(), 1);
        assert_eq!(
            output.archives[0].origin,
            ArchiveOrigin::Crate {
                name: "floorhelper".into()
            }
        );
        assert_eq!(output.pyo3.unwrap().cfgs, ["Py_3_9", "Py_LIMITED_API"]);
    }
}
