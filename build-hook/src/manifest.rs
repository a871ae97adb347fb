//! What a crate's Cargo.toml asks of PyO3: the ABI features with their byte spans, the crate
//! name and the `[lib]` settings.

use std::path::{Path, PathBuf};

use crate::PyVersion;
use crate::toml_util::{self, SpannedStr, Table, TomlError, Value};

/// The crates whose features decide the ABI.
pub const PYO3_CRATES: [&str; 2] = ["pyo3", "pyo3-ffi"];

/// A PyO3 feature that matters for the ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(
    feature = "serde",
    serde(rename_all = "kebab-case", tag = "kind", content = "floor")
)]
#[non_exhaustive]
pub enum Pyo3Feature {
    /// `abi3` (floor = the build interpreter's version) or `abi3-pyXY`.
    Abi3(Option<PyVersion>),
    /// `abi3t` or `abi3t-pyXY`.
    Abi3t(Option<PyVersion>),
    /// The deprecated `extension-module` feature (tells PyO3 not to link libpython).
    ExtensionModule,
}

impl Pyo3Feature {
    /// Parses a feature name of `pyo3`/`pyo3-ffi`; `None` for features that do not matter.
    pub fn parse(name: &str) -> Option<Self> {
        let floor = |digits: &str| PyVersion::from_tag_digits(digits);
        match name {
            "abi3" => Some(Self::Abi3(None)),
            "abi3t" => Some(Self::Abi3t(None)),
            "extension-module" => Some(Self::ExtensionModule),
            _ => {
                if let Some(d) = name.strip_prefix("abi3t-py") {
                    floor(d).map(|v| Self::Abi3t(Some(v)))
                } else if let Some(d) = name.strip_prefix("abi3-py") {
                    floor(d).map(|v| Self::Abi3(Some(v)))
                } else {
                    None
                }
            }
        }
    }
}

/// Where a feature request was written.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case", tag = "kind"))]
#[non_exhaustive]
pub enum FeatureOrigin {
    /// In the `features` list of a dependency on `pyo3`/`pyo3-ffi`; `table` is the dotted
    /// path of the dependency table, e.g. `dependencies` or `target.'cfg(unix)'.dependencies`.
    Dependency { table: String, package: String },
    /// In `[features] <feature> = ["pyo3/abi3-py39"]`: active only when `feature` is.
    CrateFeature { feature: String },
}

/// One request for an ABI-relevant PyO3 feature.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct FeatureRequest {
    pub feature: Pyo3Feature,
    /// The string as written (`abi3-py39` or `pyo3/abi3-py39`), span of its literal.
    pub text: SpannedStr,
    pub origin: FeatureOrigin,
}

/// The PyO3-related content of a Cargo.toml.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Manifest {
    pub path: PathBuf,
    pub package_name: Option<SpannedStr>,
    /// `[lib] name`.
    pub lib_name: Option<SpannedStr>,
    /// `[lib] crate-type`.
    pub crate_types: Vec<String>,
    /// Every ABI-relevant feature request, in file order.
    pub features: Vec<FeatureRequest>,
    /// `[features] default`.
    pub default_features: Vec<String>,
    /// Whether the crate depends on `pyo3` (or `pyo3-ffi`) at all, directly.
    pub depends_on_pyo3: bool,
}

impl Manifest {
    /// Parses Cargo.toml `text`; `path` is only recorded for spans.
    pub fn parse(path: impl Into<PathBuf>, text: &str) -> Result<Self, TomlError> {
        let path = path.into();
        let doc = toml_util::parse(&path, text)?;
        let package = toml_util::table(&doc, "package");
        let lib = toml_util::table(&doc, "lib");
        let mut m = Manifest {
            package_name: package.and_then(|p| toml_util::string(p, "name")),
            lib_name: lib.and_then(|l| toml_util::string(l, "name")),
            crate_types: lib
                .map(|l| {
                    let mut v = toml_util::strings(l, "crate-type");
                    v.extend(toml_util::strings(l, "crate_type"));
                    v.into_iter().map(|s| s.value).collect()
                })
                .unwrap_or_default(),
            features: Vec::new(),
            default_features: Vec::new(),
            depends_on_pyo3: false,
            path,
        };

        // Dependency keys that name pyo3/pyo3-ffi (they may be renamed with `package =`).
        let mut aliases: Vec<String> = Vec::new();
        let mut dep_tables: Vec<(String, &Table)> = Vec::new();
        // build-dependencies on pyo3 do not shape the extension: only normal ones count.
        if let Some(t) = toml_util::table(&doc, "dependencies") {
            dep_tables.push(("dependencies".to_owned(), t));
        }
        if let Some(targets) = toml_util::table(&doc, "target") {
            for (cfg, v) in toml_util::entries(targets) {
                if let Value::Table(t) = &v.value
                    && let Some(deps) = toml_util::table(t, "dependencies")
                {
                    dep_tables.push((format!("target.'{cfg}'.dependencies"), deps));
                }
            }
        }
        for (table_name, deps) in &dep_tables {
            for (key, value) in toml_util::entries(deps) {
                let Value::Table(spec) = &value.value else {
                    // `pyo3 = "0.30"`: a dependency without features.
                    if PYO3_CRATES.contains(&key) {
                        add_unique(&mut aliases, key);
                        m.depends_on_pyo3 = true;
                    }
                    continue;
                };
                let package = toml_util::string(spec, "package")
                    .map(|p| p.value)
                    .unwrap_or_else(|| key.to_owned());
                if !PYO3_CRATES.contains(&package.as_str()) {
                    continue;
                }
                add_unique(&mut aliases, key);
                m.depends_on_pyo3 = true;
                for text in toml_util::strings(spec, "features") {
                    if let Some(feature) = Pyo3Feature::parse(&text.value) {
                        m.features.push(FeatureRequest {
                            feature,
                            text,
                            origin: FeatureOrigin::Dependency {
                                table: table_name.clone(),
                                package: package.clone(),
                            },
                        });
                    }
                }
            }
        }

        if let Some(features) = toml_util::table(&doc, "features") {
            for (name, value) in toml_util::entries(features) {
                let Value::Array(items) = &value.value else {
                    continue;
                };
                for item in items.iter().filter_map(toml_util::as_str) {
                    if name == "default" {
                        m.default_features.push(item.value.clone());
                    }
                    if let Some(feature) = dep_feature(&item.value, &aliases) {
                        m.features.push(FeatureRequest {
                            feature,
                            text: item,
                            origin: FeatureOrigin::CrateFeature {
                                feature: name.to_owned(),
                            },
                        });
                    }
                }
            }
        }
        // In file order. An insertion, not a sort: a sort instantiates the whole of std's sort
        // machinery, about a tenth of this crate's compile time in users' build scripts.
        let mut in_file_order: Vec<FeatureRequest> = Vec::with_capacity(m.features.len());
        for f in m.features.drain(..) {
            let at = in_file_order.partition_point(|g| g.text.span.start < f.text.span.start);
            in_file_order.insert(at, f);
        }
        m.features = in_file_order;
        Ok(m)
    }

    /// The module name PyO3 will export by default: `[lib] name`, else the package name with
    /// `-` replaced by `_`.
    pub fn default_module_name(&self) -> Option<String> {
        self.lib_name
            .as_ref()
            .or(self.package_name.as_ref())
            .map(|s| s.value.replace('-', "_"))
    }

    /// Whether the crate builds a cdylib (an extension module) or leaves crate-type unset.
    pub fn builds_cdylib(&self) -> bool {
        self.crate_types.iter().any(|t| t == "cdylib")
    }

    /// Crate features active by `[features] default`, expanded transitively (crate features only).
    pub fn default_enabled(&self) -> Vec<String> {
        let mut set = vec!["default".to_owned()];
        for f in &self.default_features {
            add_unique(&mut set, f);
        }
        set
    }

    /// The requests that apply when the crate features in `active` are enabled.
    pub fn active_requests<'a>(
        &'a self,
        active: &'a [String],
    ) -> impl Iterator<Item = &'a FeatureRequest> + 'a {
        self.features.iter().filter(move |r| match &r.origin {
            FeatureOrigin::Dependency { .. } => true,
            FeatureOrigin::CrateFeature { feature } => active.contains(feature),
        })
    }
}

/// `pyo3/abi3-py39`, `pyo3?/abi3` (or via a renamed dependency key) → the feature.
pub(crate) fn dep_feature(text: &str, aliases: &[String]) -> Option<Pyo3Feature> {
    let (dep, feat) = text.split_once('/')?;
    let dep = dep.strip_suffix('?').unwrap_or(dep);
    if aliases.iter().any(|a| a == dep) || PYO3_CRATES.contains(&dep) {
        Pyo3Feature::parse(feat)
    } else {
        None
    }
}

/// Adds `item` to a small set kept as a `Vec` (feature and dependency names: a handful).
pub(crate) fn add_unique(set: &mut Vec<String>, item: &str) {
    if !set.iter().any(|s| s == item) {
        set.push(item.to_owned());
    }
}

/// Normalises a crate feature name the way Cargo names `CARGO_FEATURE_*` variables.
pub(crate) fn feature_env_name(feature: &str) -> String {
    format!("CARGO_FEATURE_{}", feature.to_uppercase().replace('-', "_"))
}

/// Reads and parses a Cargo.toml.
pub fn read(path: &Path) -> Result<Manifest, TomlError> {
    let text = std::fs::read_to_string(path).map_err(|e| TomlError::io(path, &e))?;
    Manifest::parse(path, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r#"
[package]
name = "my-ext"
version = "0.1.0"

[lib]
name = "my_ext"
crate-type = ["cdylib", "rlib"]

[dependencies]
pyo3 = { version = "0.30.1", features = ["abi3-py39", "macros"] }
serde = { version = "1", features = ["derive"] }

[target.'cfg(windows)'.dependencies.pyo3-ffi]
version = "0.30.1"
features = ["abi3t"]

[dependencies.py]
package = "pyo3"
version = "0.30.1"
features = ["extension-module"]

[features]
default = ["fast"]
fast = []
abi3 = ["pyo3/abi3-py311"]
weak = ["py?/abi3"]
"#;

    fn at(text: &str, s: &SpannedStr) -> String {
        text[s.span.clone()].to_owned()
    }

    #[test]
    fn finds_features_with_spans() {
        let m = Manifest::parse("Cargo.toml", TOML).unwrap();
        assert_eq!(m.package_name.as_ref().unwrap().value, "my-ext");
        assert_eq!(m.lib_name.as_ref().unwrap().value, "my_ext");
        assert_eq!(m.crate_types, ["cdylib", "rlib"]);
        assert!(m.builds_cdylib());
        assert!(m.depends_on_pyo3);
        assert_eq!(m.default_module_name().unwrap(), "my_ext");
        let got: Vec<_> = m
            .features
            .iter()
            .map(|f| (f.feature, at(TOML, &f.text)))
            .collect();
        assert_eq!(
            got,
            [
                (
                    Pyo3Feature::Abi3(Some(PyVersion::new(3, 9))),
                    "\"abi3-py39\"".to_owned()
                ),
                (Pyo3Feature::Abi3t(None), "\"abi3t\"".to_owned()),
                (Pyo3Feature::ExtensionModule, "\"extension-module\"".into()),
                (
                    Pyo3Feature::Abi3(Some(PyVersion::new(3, 11))),
                    "\"pyo3/abi3-py311\"".into()
                ),
                (Pyo3Feature::Abi3(None), "\"py?/abi3\"".into()),
            ]
        );
        assert_eq!(
            m.features[1].origin,
            FeatureOrigin::Dependency {
                table: "target.'cfg(windows)'.dependencies".into(),
                package: "pyo3-ffi".into()
            }
        );
        assert_eq!(
            m.features[3].origin,
            FeatureOrigin::CrateFeature {
                feature: "abi3".into()
            }
        );
        let active = ["abi3".to_owned()];
        assert_eq!(m.active_requests(&active).count(), 4);
        assert!(m.default_enabled().iter().any(|f| f == "fast"));
    }

    #[test]
    fn parses_feature_names() {
        assert_eq!(
            Pyo3Feature::parse("abi3-py315"),
            Some(Pyo3Feature::Abi3(Some(PyVersion::new(3, 15))))
        );
        assert_eq!(
            Pyo3Feature::parse("abi3t-py315"),
            Some(Pyo3Feature::Abi3t(Some(PyVersion::new(3, 15))))
        );
        assert_eq!(Pyo3Feature::parse("macros"), None);
        assert_eq!(Pyo3Feature::parse("abi3-pyxx"), None);
        assert_eq!(feature_env_name("abi3-py39"), "CARGO_FEATURE_ABI3_PY39");
    }

    #[test]
    fn malformed_toml_is_an_error_with_a_span() {
        let e = Manifest::parse("Cargo.toml", "[package]\nname = \"x\nversion = 1\n").unwrap_err();
        assert_eq!(e.file, PathBuf::from("Cargo.toml"));
        assert!(e.span.is_some());
        let f = e.to_finding();
        assert_eq!(f.code, crate::Code::UnreadableInput);
        assert!(f.span.is_some());
    }

    #[test]
    fn plain_version_dependency_counts() {
        let m = Manifest::parse("C", "[dependencies]\npyo3 = \"0.30\"\n").unwrap();
        assert!(m.depends_on_pyo3);
        assert!(m.features.is_empty());
        assert!(!m.builds_cdylib());
    }
}
