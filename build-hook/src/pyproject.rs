//! What a pyproject.toml declares about the extension: `[project] requires-python`,
//! `[tool.maturin]` and setuptools-rust's `[[tool.setuptools-rust.ext-modules]]`.

use std::path::{Path, PathBuf};

use crate::PyVersion;
use crate::toml_util::{self, SpannedStr, TomlError, Value};

/// One entry of `[tool.maturin] features`: a string, or (maturin 1.10+) a table
/// `{ feature = "pyo3/abi3-py311", python-version = ">=3.11", python-implementation =
/// "cpython" }` enabled only when the interpreter maturin builds for matches both conditions
/// (maturin's `FeatureSpec::Conditional`; a table with neither is a plain feature).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct MaturinFeature {
    pub feature: SpannedStr,
    pub python_version: Option<SpannedStr>,
    pub python_implementation: Option<SpannedStr>,
}

/// The interpreter a build is for: `sys.implementation.name` (`cpython`, `pypy`) and its
/// version, what maturin's conditional features are evaluated against.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Interpreter {
    pub implementation: String,
    pub version: PyVersion,
}

impl MaturinFeature {
    /// Whether the entry has a condition (`python-version` or `python-implementation`).
    pub fn is_conditional(&self) -> bool {
        self.python_version.is_some() || self.python_implementation.is_some()
    }

    /// Whether maturin passes this feature to cargo when building for `interpreter` (as
    /// `FeatureSpec::resolve_conditional` decides: `python-version` is a PEP 440 specifier
    /// set tested against `X.Y`, `python-implementation` is compared without case). `None`
    /// when the entry is conditional and the interpreter is not known.
    pub fn applies_to(&self, interpreter: Option<&Interpreter>) -> Option<bool> {
        if !self.is_conditional() {
            return Some(true);
        }
        let interpreter = interpreter?;
        let version_ok = self.python_version.as_ref().is_none_or(|spec| {
            crate::requires_python::SpecifierSet::parse(&spec.value)
                .ok()
                .and_then(|set| {
                    set.contains(&[
                        u64::from(interpreter.version.major),
                        u64::from(interpreter.version.minor),
                    ])
                })
                .unwrap_or(false)
        });
        let implementation_ok = self
            .python_implementation
            .as_ref()
            .is_none_or(|i| i.value.eq_ignore_ascii_case(&interpreter.implementation));
        Some(version_ok && implementation_ok)
    }
}

/// `[tool.maturin]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct MaturinConfig {
    pub features: Vec<MaturinFeature>,
    /// `all-features = true`: maturin passes `--all-features`.
    pub all_features: Option<bool>,
    /// `no-default-features = true`: maturin passes `--no-default-features`.
    pub no_default_features: Option<bool>,
    pub bindings: Option<SpannedStr>,
    pub module_name: Option<SpannedStr>,
    pub python_source: Option<SpannedStr>,
    pub manifest_path: Option<SpannedStr>,
}

/// setuptools-rust's `py_limited_api` value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum PyLimitedApi {
    /// `"auto"`: follow bdist_wheel's `py_limited_api` option.
    Auto,
    /// `true`/`false`.
    Bool(bool),
    /// `"cp39"`: that floor.
    Floor(PyVersion),
    /// Anything else, as written.
    Other(String),
}

/// One `[[tool.setuptools-rust.ext-modules]]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct SetuptoolsRustExt {
    pub target: Option<SpannedStr>,
    pub path: Option<SpannedStr>,
    pub py_limited_api: Option<(PyLimitedApi, std::ops::Range<usize>)>,
    pub features: Vec<SpannedStr>,
    /// `args`: extra arguments setuptools-rust passes to cargo (`["--no-default-features"]`).
    pub args: Vec<SpannedStr>,
    /// `cargo-manifest-args` (or `cargo_manifest_args`): more cargo arguments (`["--locked"]`).
    pub cargo_manifest_args: Vec<SpannedStr>,
}

/// The parts of a pyproject.toml that declare ABI intent.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct PyProject {
    pub path: PathBuf,
    pub requires_python: Option<SpannedStr>,
    pub build_backend: Option<String>,
    pub maturin: Option<MaturinConfig>,
    pub setuptools_rust: Vec<SetuptoolsRustExt>,
}

impl PyProject {
    /// Parses pyproject.toml `text`; `path` is recorded for spans and relative paths.
    pub fn parse(path: impl Into<PathBuf>, text: &str) -> Result<Self, TomlError> {
        let path = path.into();
        let doc = toml_util::parse(&path, text)?;
        let project = toml_util::table(&doc, "project");
        let tool = toml_util::table(&doc, "tool");
        let maturin = tool.and_then(|t| toml_util::table(t, "maturin")).map(|m| {
            let features = toml_util::array(m, "features")
                .unwrap_or_default()
                .iter()
                .filter_map(|v| match &v.value {
                    Value::String(_) => Some(MaturinFeature {
                        feature: toml_util::as_str(v)?,
                        python_version: None,
                        python_implementation: None,
                    }),
                    Value::Table(t) => Some(MaturinFeature {
                        feature: toml_util::string(t, "feature")?,
                        python_version: toml_util::string(t, "python-version"),
                        python_implementation: toml_util::string(t, "python-implementation"),
                    }),
                    _ => None,
                })
                .collect();
            let flag = |key: &str| match toml_util::get(m, key).map(|v| &v.value) {
                Some(Value::Boolean(b)) => Some(*b),
                _ => None,
            };
            MaturinConfig {
                features,
                all_features: flag("all-features"),
                no_default_features: flag("no-default-features"),
                bindings: toml_util::string(m, "bindings"),
                module_name: toml_util::string(m, "module-name"),
                python_source: toml_util::string(m, "python-source"),
                manifest_path: toml_util::string(m, "manifest-path"),
            }
        });
        let setuptools_rust = tool
            .and_then(|t| toml_util::table(t, "setuptools-rust"))
            .and_then(|s| toml_util::array(s, "ext-modules"))
            .unwrap_or_default()
            .iter()
            .filter_map(|v| match &v.value {
                Value::Table(t) => Some(SetuptoolsRustExt {
                    target: toml_util::string(t, "target"),
                    path: toml_util::string(t, "path"),
                    py_limited_api: toml_util::get(t, "py_limited_api")
                        .or_else(|| toml_util::get(t, "py-limited-api"))
                        .map(|v| {
                            let parsed = match &v.value {
                                Value::Boolean(b) => PyLimitedApi::Bool(*b),
                                Value::String(s) if s == "auto" => PyLimitedApi::Auto,
                                Value::String(s) => crate::tag::CpTag::interpreter(s).map_or_else(
                                    || PyLimitedApi::Other(s.to_string()),
                                    PyLimitedApi::Floor,
                                ),
                                _ => PyLimitedApi::Other(String::new()),
                            };
                            (parsed, v.span.clone())
                        }),
                    features: toml_util::strings(t, "features"),
                    args: toml_util::strings(t, "args"),
                    cargo_manifest_args: {
                        let dashed = toml_util::strings(t, "cargo-manifest-args");
                        if dashed.is_empty() {
                            toml_util::strings(t, "cargo_manifest_args")
                        } else {
                            dashed
                        }
                    },
                }),
                _ => None,
            })
            .collect();
        Ok(PyProject {
            requires_python: project.and_then(|p| toml_util::string(p, "requires-python")),
            build_backend: toml_util::table(&doc, "build-system")
                .and_then(|b| toml_util::string(b, "build-backend"))
                .map(|s| s.value),
            maturin,
            setuptools_rust,
            path,
        })
    }

    /// The lowest CPython `3.X` that `requires-python` admits (the evaluator `audit` uses too:
    /// [`crate::requires_python`]).
    pub fn requires_python_floor(&self) -> Option<RequiresPythonFloor> {
        self.requires_python
            .as_ref()
            .map(|r| lowest_admitted_version(&r.value))
    }

    /// The Cargo.toml maturin builds: `manifest-path` relative to this file, else the
    /// Cargo.toml next to it.
    pub fn cargo_manifest(&self) -> PathBuf {
        let dir = self.path.parent().unwrap_or(Path::new(""));
        match self.maturin.as_ref().and_then(|m| m.manifest_path.as_ref()) {
            Some(p) => dir.join(&p.value),
            None => dir.join("Cargo.toml"),
        }
    }

    /// maturin's `module-name`, last dotted component (the extension's own name).
    pub fn extension_name(&self) -> Option<String> {
        let m = self.maturin.as_ref()?.module_name.as_ref()?;
        m.value.rsplit('.').next().map(str::to_owned)
    }
}

pub use crate::requires_python::{RequiresPythonFloor, lowest_admitted_version};

/// Reads and parses a pyproject.toml.
pub fn read(path: &Path) -> Result<PyProject, TomlError> {
    let text = std::fs::read_to_string(path).map_err(|e| TomlError::io(path, &e))?;
    PyProject::parse(path, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r#"
[build-system]
requires = ["maturin>=1.9.4,<2"]
build-backend = "maturin"

[project]
name = "my-ext"
requires-python = ">=3.8, <4"

[tool.maturin]
bindings = "pyo3"
module-name = "my_pkg._native"
python-source = "python"
manifest-path = "rust/Cargo.toml"
features = ["pyo3/abi3-py39", { feature = "pyo3/abi3-py311", python-version = ">=3.11" }]

[[tool.setuptools-rust.ext-modules]]
target = "pkg._lib"
path = "Cargo.toml"
py_limited_api = "cp39"
features = ["pyo3/abi3-py39"]
args = ["--no-default-features"]
cargo-manifest-args = ["--locked"]
"#;

    fn at(s: &SpannedStr) -> &str {
        &TOML[s.span.clone()]
    }

    #[test]
    fn reads_maturin_and_setuptools_rust() {
        let p = PyProject::parse("dir/pyproject.toml", TOML).unwrap();
        assert_eq!(at(p.requires_python.as_ref().unwrap()), "\">=3.8, <4\"");
        assert_eq!(
            p.requires_python_floor(),
            Some(RequiresPythonFloor::Version(PyVersion::new(3, 8)))
        );
        assert_eq!(p.build_backend.as_deref(), Some("maturin"));
        let m = p.maturin.as_ref().unwrap();
        assert_eq!(m.bindings.as_ref().unwrap().value, "pyo3");
        assert_eq!(m.python_source.as_ref().unwrap().value, "python");
        assert_eq!(p.extension_name().as_deref(), Some("_native"));
        assert_eq!(p.cargo_manifest(), PathBuf::from("dir/rust/Cargo.toml"));
        assert_eq!(m.features.len(), 2);
        assert_eq!(at(&m.features[0].feature), "\"pyo3/abi3-py39\"");
        assert_eq!(at(&m.features[1].feature), "\"pyo3/abi3-py311\"");
        assert_eq!(
            m.features[1].python_version.as_ref().unwrap().value,
            ">=3.11"
        );
        let ext = &p.setuptools_rust[0];
        assert_eq!(ext.target.as_ref().unwrap().value, "pkg._lib");
        let (api, span) = ext.py_limited_api.clone().unwrap();
        assert_eq!(api, PyLimitedApi::Floor(PyVersion::new(3, 9)));
        assert_eq!(&TOML[span], "\"cp39\"");
        assert_eq!(ext.args[0].value, "--no-default-features");
        assert_eq!(ext.cargo_manifest_args[0].value, "--locked");
    }

    #[test]
    fn malformed_pyproject_is_an_error() {
        let e = PyProject::parse("pyproject.toml", "[project\nname=1").unwrap_err();
        assert!(e.span.is_some());
        assert!(e.to_string().starts_with("pyproject.toml: "));
        let e = PyProject::parse(
            "p",
            "[project]\nrequires-python = \">=3.9\"\nrequires-python = \"x\"\n",
        )
        .unwrap_err();
        assert!(e.message.contains("duplicate"), "{}", e.message);
    }

    #[test]
    fn conditional_features_and_feature_flags_as_maturin_reads_them() {
        let text = r#"[tool.maturin]
all-features = false
no-default-features = true
features = [
  "plain",
  { feature = "also-plain" },
  { feature = "pyo3/abi3-py311", python-version = ">=3.11" },
  { feature = "pyo3/abi3-py39", python-version = "<3.11" },
  { feature = "pypy-only", python-implementation = "PyPy" },
  { feature = "cp312", python-version = "~=3.12", python-implementation = "cpython" },
]
"#;
        let p = PyProject::parse("p", text).unwrap();
        let m = p.maturin.as_ref().unwrap();
        assert_eq!(m.all_features, Some(false));
        assert_eq!(m.no_default_features, Some(true));
        let on = |implementation: &str, minor: u8| -> Vec<&str> {
            let interpreter = Interpreter {
                implementation: implementation.into(),
                version: PyVersion::new(3, minor),
            };
            m.features
                .iter()
                .filter(|f| f.applies_to(Some(&interpreter)) == Some(true))
                .map(|f| f.feature.value.as_str())
                .collect()
        };
        assert_eq!(
            on("cpython", 11),
            ["plain", "also-plain", "pyo3/abi3-py311"]
        );
        assert_eq!(on("cpython", 9), ["plain", "also-plain", "pyo3/abi3-py39"]);
        assert_eq!(
            on("pypy", 10),
            ["plain", "also-plain", "pyo3/abi3-py39", "pypy-only"]
        );
        assert_eq!(
            on("cpython", 13),
            ["plain", "also-plain", "pyo3/abi3-py311", "cp312"]
        );
        assert!(!m.features[1].is_conditional());
        assert_eq!(m.features[2].applies_to(None), None);
        assert_eq!(m.features[0].applies_to(None), Some(true));
    }

    #[test]
    fn py_limited_api_variants() {
        let text = "[[tool.setuptools-rust.ext-modules]]\ntarget = \"a\"\npy_limited_api = \"auto\"\n\
[[tool.setuptools-rust.ext-modules]]\ntarget = \"b\"\npy_limited_api = true\n";
        let p = PyProject::parse("p", text).unwrap();
        assert_eq!(
            p.setuptools_rust[0].py_limited_api.as_ref().unwrap().0,
            PyLimitedApi::Auto
        );
        assert_eq!(
            p.setuptools_rust[1].py_limited_api.as_ref().unwrap().0,
            PyLimitedApi::Bool(true)
        );
        assert!(p.maturin.is_none());
    }
}
