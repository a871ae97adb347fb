//! The workspace as `cargo metadata --no-deps` describes it: where the target directory is,
//! which packages build a cdylib, and which members ask pyo3 for which ABI features.
//!
//! `--no-deps` keeps this under ~50 ms; the resolved features come from the build itself
//! (the `pyo3-ffi` unit's features and build-script cfgs).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use cargo_metadata::{CrateType, MetadataCommand, Package};

/// What `check` needs to know before building.
#[derive(Clone, Debug)]
pub struct Workspace {
    pub root: PathBuf,
    pub target_dir: PathBuf,
    /// Members `cargo build` will build with the given `-p` selection.
    pub selected: Vec<Member>,
    /// Every member, for naming who enables a PyO3 feature.
    pub members: Vec<Member>,
}

/// A workspace member.
#[derive(Clone, Debug)]
pub struct Member {
    pub name: String,
    pub manifest_path: PathBuf,
    pub has_cdylib: bool,
    /// `(dependency, feature)` for every feature this member requests of pyo3/pyo3-ffi.
    pub pyo3_features: Vec<(String, String)>,
}

impl Member {
    fn from_package(package: &Package) -> Self {
        Member {
            name: package.name.to_string(),
            manifest_path: package.manifest_path.clone().into_std_path_buf(),
            has_cdylib: package
                .targets
                .iter()
                .any(|t| t.crate_types.contains(&CrateType::CDyLib)),
            pyo3_features: package
                .dependencies
                .iter()
                .filter(|d| d.name == "pyo3" || d.name == "pyo3-ffi")
                .flat_map(|d| d.features.iter().map(|f| (d.name.clone(), f.clone())))
                .collect(),
        }
    }
}

/// Runs `cargo metadata --no-deps` for the manifest (or the current directory).
/// Which packages to check, and cargo's flags that `cargo metadata` takes too.
#[derive(Debug, Default)]
pub struct Selection<'a> {
    /// `-p` specs; empty: the default members.
    pub packages: &'a [String],
    /// `--workspace`: every member, less `exclude`.
    pub workspace: bool,
    pub exclude: &'a [String],
    /// `--locked`, `--offline`, `--frozen`.
    pub flags: Vec<std::ffi::OsString>,
    /// `--target-dir`, given to cargo as CARGO_TARGET_DIR.
    pub target_dir: Option<&'a Path>,
}

pub fn read(
    cargo: &Path,
    manifest_path: Option<&Path>,
    selection: &Selection<'_>,
) -> anyhow::Result<Workspace> {
    let packages = selection.packages;
    let mut command = MetadataCommand::new();
    command.cargo_path(cargo).no_deps();
    if let Some(path) = manifest_path {
        command.manifest_path(path);
    }
    if let Some(dir) = selection.target_dir {
        command.env("CARGO_TARGET_DIR", dir);
    }
    command.other_options(
        selection
            .flags
            .iter()
            .map(|f| f.to_string_lossy().into_owned())
            .collect::<Vec<_>>(),
    );
    let metadata = command
        .exec()
        .map_err(|e| anyhow::anyhow!("{}", describe(e)))
        .context("cannot read the workspace")?;
    let members: Vec<&Package> = metadata.workspace_packages();
    let selected: Vec<Member> = if selection.workspace {
        members
            .iter()
            .filter(|p| {
                !selection
                    .exclude
                    .iter()
                    .any(|e| spec_name(e) == p.name.as_str())
            })
            .map(|p| Member::from_package(p))
            .collect()
    } else if packages.is_empty() {
        let defaults = &metadata.workspace_default_members;
        if defaults.is_available() {
            members
                .iter()
                .filter(|p| defaults.contains(&p.id))
                .map(|p| Member::from_package(p))
                .collect()
        } else {
            members.iter().map(|p| Member::from_package(p)).collect()
        }
    } else {
        let mut selected = Vec::new();
        for spec in packages {
            let name = spec_name(spec);
            let package = members
                .iter()
                .find(|p| p.name.as_str() == name)
                .with_context(|| format!("package `{spec}` is not a member of the workspace"))?;
            selected.push(Member::from_package(package));
        }
        selected
    };
    Ok(Workspace {
        root: metadata.workspace_root.clone().into_std_path_buf(),
        target_dir: metadata.target_directory.clone().into_std_path_buf(),
        selected,
        members: members.iter().map(|p| Member::from_package(p)).collect(),
    })
}

/// cargo's own message for a failed `cargo metadata` (malformed Cargo.toml: file, line and
/// column), without the wrapper's debug formatting.
fn describe(error: cargo_metadata::Error) -> String {
    match error {
        cargo_metadata::Error::CargoMetadata { stderr } => {
            stderr.trim().trim_start_matches("error: ").to_owned()
        }
        other => other.to_string(),
    }
}

/// The package name of a `-p`/`--exclude` spec (`name`, `name@1.0`, `name:1.0`).
fn spec_name(spec: &str) -> &str {
    spec.split(['@', ':']).next().unwrap_or(spec)
}
