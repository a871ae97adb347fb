//! What a setuptools-rust project tells the build, read the way setuptools-rust 1.x and
//! setuptools' `bdist_wheel` read it.
//!
//! - The extension: `[[tool.setuptools-rust.ext-modules]]` in pyproject.toml (`target =
//!   "pkg._mod"`, `path` to the Cargo.toml, default `Cargo.toml`, `py_limited_api`,
//!   `features`), or `RustExtension("pkg._mod", ...)` in setup.py, read statically (string
//!   literals only).
//! - The limited API: bdist_wheel's `py_limited_api = cp39`, from `[bdist_wheel]` in setup.cfg
//!   or `[tool.distutils.bdist_wheel]` in pyproject.toml (which setuptools applies after
//!   setup.cfg), or `--py-limited-api=cp39` on the command line (given to `check`).
//! - Per extension, `py_limited_api = "auto"` (the default) follows bdist_wheel, `true`/`false`
//!   override it. Only with `"auto"` does setuptools-rust add `pyo3/abi3-pyXY` to the cargo
//!   build; it always adds `pyo3/extension-module` (and sets `PYO3_BUILD_EXTENSION_MODULE`).
//! - The wheel is tagged `cpXY-abi3-<platform>` when bdist_wheel's `py_limited_api` is set,
//!   and the module is named `<name>.abi3.so` when the extension is limited.

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::PyVersion;
use crate::pyproject::{PyLimitedApi, PyProject};
use crate::toml_util;

/// An extension's own `py_limited_api`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum ExtLimitedApi {
    Auto,
    Yes,
    No,
}

/// One Rust extension of the project.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct RustExtension {
    /// The dotted module name (`pkg._mod`).
    pub target: String,
    /// The Cargo.toml it builds (relative paths resolved against the project directory).
    pub cargo_toml: PathBuf,
    pub py_limited_api: ExtLimitedApi,
    /// `features` of the extension, passed to cargo as given.
    pub features: Vec<String>,
    /// `args`: extra cargo arguments (`["--no-default-features"]`), passed as given.
    pub args: Vec<String>,
    /// `cargo_manifest_args`: more cargo arguments, passed after `args`.
    pub cargo_manifest_args: Vec<String>,
}

/// bdist_wheel's `py_limited_api` and where it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct LimitedApiSetting {
    /// `cp39` → 3.9.
    pub version: PyVersion,
    /// The value as written.
    pub text: String,
    pub file: PathBuf,
    /// Byte range of the value in `file` (empty for the command line).
    pub span: Range<usize>,
}

/// A setuptools-rust project, as far as it concerns one Cargo.toml.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct SetuptoolsRust {
    pub project_dir: PathBuf,
    /// The extension that builds the Cargo.toml in question.
    pub extension: RustExtension,
    pub limited_api: Option<LimitedApiSetting>,
}

impl SetuptoolsRust {
    /// Whether this extension is built for the limited API (`_is_py_limited_api`).
    pub fn is_limited(&self) -> bool {
        match self.extension.py_limited_api {
            ExtLimitedApi::Yes => true,
            ExtLimitedApi::No => false,
            ExtLimitedApi::Auto => self.limited_api.is_some(),
        }
    }

    /// The features setuptools-rust passes to `cargo rustc` (`_binding_features` plus the
    /// extension's own).
    pub fn cargo_features(&self) -> Vec<String> {
        let mut features = self.extension.features.clone();
        features.push("pyo3/extension-module".into());
        if self.extension.py_limited_api == ExtLimitedApi::Auto
            && let Some(l) = &self.limited_api
        {
            features.push(format!(
                "pyo3/abi3-py{}{}",
                l.version.major, l.version.minor
            ));
        }
        features
    }

    /// The extension's `args` and `cargo_manifest_args`, which setuptools-rust passes to
    /// `cargo rustc --lib` after its `--features` (`_cargo_args`). `--crate-type` is left out:
    /// it is `cargo rustc`'s, and a `cargo build` builds the lib's own crate types.
    pub fn cargo_args(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut all = self
            .extension
            .args
            .iter()
            .chain(&self.extension.cargo_manifest_args);
        while let Some(arg) = all.next() {
            if arg == "--crate-type" {
                all.next();
            } else if !arg.starts_with("--crate-type=") {
                out.push(arg.clone());
            }
        }
        out
    }

    /// The module's own name (`_mod` of `pkg._mod`).
    pub fn module_name(&self) -> String {
        self.extension
            .target
            .rsplit('.')
            .next()
            .unwrap_or(&self.extension.target)
            .to_owned()
    }

    /// Overrides bdist_wheel's setting with `--py-limited-api=cp39` from the command line.
    pub fn with_command_line(mut self, value: Option<PyVersion>) -> Self {
        if let Some(version) = value {
            self.limited_api = Some(LimitedApiSetting {
                version,
                text: version.cp_tag(),
                file: PathBuf::from("--py-limited-api"),
                span: 0..0,
            });
        }
        self
    }
}

fn parse_cp(text: &str) -> Option<PyVersion> {
    crate::tag::CpTag::interpreter(text.trim())
}

/// `[bdist_wheel] py_limited_api` of a setup.cfg (INI: sections, `key = value`, `#`/`;`
/// comments; `-` and `_` in keys are the same, as setuptools treats them).
pub fn setup_cfg_limited_api(path: &Path, text: &str) -> Option<LimitedApiSetting> {
    let mut in_section = false;
    let mut found = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_section =
                trimmed.trim_end_matches(']').trim_start_matches('[').trim() == "bdist_wheel";
            continue;
        }
        if !in_section || trimmed.starts_with(['#', ';']) {
            continue;
        }
        let Some((key, value)) = line.split_once(['=', ':']) else {
            continue;
        };
        if key.trim().replace('-', "_") != "py_limited_api" {
            continue;
        }
        let value_start = start + key.len() + 1;
        let raw = &line[key.len() + 1..];
        let lead = raw.len() - raw.trim_start().len();
        let value = value.trim();
        found = parse_cp(value).map(|version| LimitedApiSetting {
            version,
            text: value.to_owned(),
            file: path.to_path_buf(),
            span: value_start + lead..value_start + lead + value.len(),
        });
    }
    found
}

/// `[tool.distutils.bdist_wheel] py_limited_api` (or `py-limited-api`) of a pyproject.toml.
pub(crate) fn pyproject_limited_api(path: &Path, text: &str) -> Option<LimitedApiSetting> {
    let doc = toml_util::parse(path, text).ok()?;
    let bdist = toml_util::table(&doc, "tool")
        .and_then(|t| toml_util::table(t, "distutils"))
        .and_then(|t| {
            toml_util::table(t, "bdist_wheel").or_else(|| toml_util::table(t, "bdist-wheel"))
        })?;
    let value = toml_util::string(bdist, "py_limited_api")
        .or_else(|| toml_util::string(bdist, "py-limited-api"))?;
    Some(LimitedApiSetting {
        version: parse_cp(&value.value)?,
        text: value.value.clone(),
        file: path.to_path_buf(),
        span: value.span.start + 1..value.span.end.saturating_sub(1),
    })
}

/// The `RustExtension(...)` calls of a setup.py whose target is a string literal:
/// `RustExtension("pkg._mod", "rust/Cargo.toml", py_limited_api=True, features=["x"])` or
/// with `target=`/`path=` keywords. Anything computed is not seen.
pub fn setup_py_extensions(dir: &Path, text: &str) -> Vec<RustExtension> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("RustExtension(") {
        rest = &rest[at + "RustExtension(".len()..];
        // The argument list up to the matching parenthesis.
        let mut depth = 1;
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let args = &rest[..end];
        let mut positional = Vec::new();
        let mut target = None;
        let mut path = None;
        let mut limited = ExtLimitedApi::Auto;
        let mut features = Vec::new();
        let mut cargo_args = Vec::new();
        let mut cargo_manifest_args = Vec::new();
        for arg in split_top_level(args) {
            let arg = arg.trim();
            match arg.split_once('=') {
                Some((key, value))
                    if key.trim().chars().all(|c| c.is_alphanumeric() || c == '_') =>
                {
                    let value = value.trim();
                    match key.trim() {
                        "target" => target = string_literal(value),
                        "path" => path = string_literal(value),
                        "py_limited_api" => {
                            limited = match value {
                                "True" => ExtLimitedApi::Yes,
                                "False" => ExtLimitedApi::No,
                                _ => ExtLimitedApi::Auto,
                            }
                        }
                        "features" => features = string_list(value),
                        "args" => cargo_args = string_list(value),
                        "cargo_manifest_args" => cargo_manifest_args = string_list(value),
                        _ => {}
                    }
                }
                _ => positional.push(string_literal(arg)),
            }
        }
        let target = target.or_else(|| positional.first().cloned().flatten());
        let path = path.or_else(|| positional.get(1).cloned().flatten());
        if let Some(target) = target {
            out.push(RustExtension {
                target,
                cargo_toml: dir.join(path.unwrap_or_else(|| "Cargo.toml".into())),
                py_limited_api: limited,
                features,
                args: cargo_args,
                cargo_manifest_args,
            });
        }
        rest = &rest[end..];
    }
    out
}

/// A list or tuple of string literals (`["--locked", "-Zx"]`); what is not a literal is not
/// seen.
fn string_list(value: &str) -> Vec<String> {
    let inner = value.trim();
    let inner = inner
        .strip_prefix(['[', '('])
        .and_then(|v| v.strip_suffix([']', ')']))
        .unwrap_or(inner);
    split_top_level(inner)
        .iter()
        .filter_map(|f| string_literal(f.trim()))
        .collect()
}

fn split_top_level(args: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start, mut quote) = (0i32, 0, None::<char>);
    for (i, c) in args.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(&args[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&args[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

fn string_literal(s: &str) -> Option<String> {
    let s = s.trim();
    let q = s.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let inner = s.strip_prefix(q)?.strip_suffix(q)?;
    (!inner.contains(q)).then(|| inner.to_owned())
}

fn ext_from_pyproject(p: &PyProject, dir: &Path) -> Vec<RustExtension> {
    p.setuptools_rust
        .iter()
        .filter_map(|e| {
            Some(RustExtension {
                target: e.target.as_ref()?.value.clone(),
                cargo_toml: dir.join(e.path.as_ref().map_or("Cargo.toml", |p| p.value.as_str())),
                py_limited_api: match &e.py_limited_api {
                    Some((PyLimitedApi::Bool(true), _)) => ExtLimitedApi::Yes,
                    Some((PyLimitedApi::Bool(false), _)) => ExtLimitedApi::No,
                    _ => ExtLimitedApi::Auto,
                },
                features: e.features.iter().map(|f| f.value.clone()).collect(),
                args: e.args.iter().map(|a| a.value.clone()).collect(),
                cargo_manifest_args: e
                    .cargo_manifest_args
                    .iter()
                    .map(|a| a.value.clone())
                    .collect(),
            })
        })
        .collect()
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The setuptools-rust project that builds `cargo_toml`: the directory of the Cargo.toml or
/// one of its 5 nearest ancestors, holding a pyproject.toml with
/// `[[tool.setuptools-rust.ext-modules]]` or a setup.py with `RustExtension(...)` whose path
/// is this Cargo.toml.
pub fn locate(cargo_toml: &Path) -> Option<SetuptoolsRust> {
    let dir = cargo_toml.parent()?;
    for project_dir in dir.ancestors().take(6) {
        let pyproject_path = project_dir.join("pyproject.toml");
        let pyproject_text = std::fs::read_to_string(&pyproject_path).ok();
        let mut extensions = Vec::new();
        if let Some(text) = &pyproject_text
            && let Ok(p) = PyProject::parse(&pyproject_path, text)
        {
            extensions.extend(ext_from_pyproject(&p, project_dir));
        }
        if let Ok(text) = std::fs::read_to_string(project_dir.join("setup.py")) {
            extensions.extend(setup_py_extensions(project_dir, &text));
        }
        let Some(extension) = extensions
            .into_iter()
            .find(|e| same_file(&e.cargo_toml, cargo_toml))
        else {
            continue;
        };
        // pyproject's [tool.distutils] is applied after setup.cfg, so it wins.
        let cfg_path = project_dir.join("setup.cfg");
        let limited_api = pyproject_text
            .as_deref()
            .and_then(|t| pyproject_limited_api(&pyproject_path, t))
            .or_else(|| {
                let text = std::fs::read_to_string(&cfg_path).ok()?;
                setup_cfg_limited_api(&cfg_path, &text)
            });
        return Some(SetuptoolsRust {
            project_dir: project_dir.to_path_buf(),
            extension,
            limited_api,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_cfg() {
        let text = "[metadata]\nname = x\n\n[bdist_wheel]\n# abi3\npy-limited-api = cp39\n";
        let s = setup_cfg_limited_api(Path::new("setup.cfg"), text).unwrap();
        assert_eq!(s.version, PyVersion::new(3, 9));
        assert_eq!(&text[s.span.clone()], "cp39");
        assert!(
            setup_cfg_limited_api(Path::new("s"), "[other]\npy_limited_api = cp39\n").is_none()
        );
    }

    #[test]
    fn pyproject_distutils() {
        let text = "[tool.distutils.bdist_wheel]\npy_limited_api = \"cp310\"\n";
        let s = pyproject_limited_api(Path::new("p"), text).unwrap();
        assert_eq!(s.version, PyVersion::new(3, 10));
        assert_eq!(&text[s.span.clone()], "cp310");
    }

    #[test]
    fn setup_py() {
        let text = r#"
from setuptools import setup
from setuptools_rust import Binding, RustExtension
setup(
    rust_extensions=[
        RustExtension("pkg._native", "rust/Cargo.toml", binding=Binding.PyO3, features=["fast"],
                      args=["--no-default-features", "--crate-type", "cdylib"],
                      cargo_manifest_args=("--locked",)),
        RustExtension(target='other.mod', py_limited_api=False),
    ],
)
"#;
        let e = setup_py_extensions(Path::new("/p"), text);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].target, "pkg._native");
        assert_eq!(e[0].cargo_toml, Path::new("/p/rust/Cargo.toml"));
        assert_eq!(e[0].features, ["fast"]);
        assert_eq!(
            e[0].args,
            ["--no-default-features", "--crate-type", "cdylib"]
        );
        assert_eq!(e[0].cargo_manifest_args, ["--locked"]);
        let st = SetuptoolsRust {
            project_dir: "/p".into(),
            extension: e[0].clone(),
            limited_api: None,
        };
        assert_eq!(st.cargo_args(), ["--no-default-features", "--locked"]);
        assert!(e[1].args.is_empty());
        assert_eq!(e[1].target, "other.mod");
        assert_eq!(e[1].py_limited_api, ExtLimitedApi::No);
        assert_eq!(e[1].cargo_toml, Path::new("/p/Cargo.toml"));
    }

    #[test]
    fn features_and_limits() {
        let ext = |api| SetuptoolsRust {
            project_dir: "/p".into(),
            extension: RustExtension {
                target: "pkg._mod".into(),
                cargo_toml: "/p/Cargo.toml".into(),
                py_limited_api: api,
                features: Vec::new(),
                args: Vec::new(),
                cargo_manifest_args: Vec::new(),
            },
            limited_api: None,
        };
        let auto = ext(ExtLimitedApi::Auto).with_command_line(Some(PyVersion::new(3, 9)));
        assert!(auto.is_limited());
        assert_eq!(
            auto.cargo_features(),
            ["pyo3/extension-module", "pyo3/abi3-py39"]
        );
        assert_eq!(auto.module_name(), "_mod");
        let yes = ext(ExtLimitedApi::Yes).with_command_line(Some(PyVersion::new(3, 9)));
        assert!(yes.is_limited());
        assert_eq!(yes.cargo_features(), ["pyo3/extension-module"]);
        assert!(!ext(ExtLimitedApi::Auto).is_limited());
    }
}
