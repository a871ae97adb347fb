//! C parts of an extension, compiled for the same limited API as the Rust part. The
//! `cc::Build` helpers need the `cc` feature; the define/flag logic does not.

use std::path::PathBuf;
use std::process::Command;

#[cfg(feature = "cc")]
use crate::pyo3_config::Pyo3Config;
#[cfg(any(feature = "cc", test))]
use crate::{AbiKind, Code, Finding, PyVersion};

/// The preprocessor definitions for a kind and floor: `Py_LIMITED_API` for abi3, and for
/// abi3t PEP 803's `Py_TARGET_ABI3T` (which CPython 3.15 headers turn into
/// `Py_LIMITED_API` plus `_Py_OPAQUE_PYOBJECT`), with `Py_LIMITED_API` set too for clarity.
#[cfg(any(feature = "cc", test))]
pub(crate) fn limited_api_defines(
    kind: AbiKind,
    floor: Option<PyVersion>,
) -> Vec<(String, String)> {
    match (kind, floor) {
        (AbiKind::Abi3, Some(f)) => vec![("Py_LIMITED_API".into(), f.limited_api_hex())],
        (AbiKind::Abi3t, Some(f)) => vec![
            ("Py_TARGET_ABI3T".into(), f.limited_api_hex()),
            ("Py_LIMITED_API".into(), f.limited_api_hex()),
        ],
        _ => Vec::new(),
    }
}

/// `c-part-off-floor`: `-DPy_LIMITED_API=...` in user C flags (`CFLAGS`) that disagree with the
/// Rust part. `cflags` is the flags text; returns one finding per disagreeing define.
#[cfg(any(feature = "cc", test))]
pub(crate) fn check_c_flags(cflags: &str, kind: AbiKind, floor: Option<PyVersion>) -> Vec<Finding> {
    let want = limited_api_defines(kind, floor);
    let mut out = Vec::new();
    for flag in cflags.split_whitespace() {
        let Some(def) = flag.strip_prefix("-D") else {
            continue;
        };
        let (name, value) = def.split_once('=').unwrap_or((def, "1"));
        if name != "Py_LIMITED_API" && name != "Py_TARGET_ABI3T" {
            continue;
        }
        let expected = want.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        if expected.is_some_and(|e| e.eq_ignore_ascii_case(value)) {
            continue;
        }
        let mut f = Finding::new(
            Code::CPartOffFloor,
            format!("C flags define {name}={value}, but the Rust part builds {kind}"),
        )
        .note(format!("found `{flag}` in CFLAGS"));
        f = match expected {
            Some(e) => f.help(format!(
                "use {name}={e} (or drop it: the cc helper sets it)"
            )),
            None => f.help(format!("remove `{flag}`: this build is not {name}")),
        };
        out.push(f);
    }
    out
}

/// Why a `cc::Build` could not be prepared.
#[derive(Debug)]
pub struct CcError(pub String);

impl std::fmt::Display for CcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CcError {}

/// The interpreter's C include directory, from `sysconfig` of `python`.
pub fn python_include_dir(python: &str) -> Result<PathBuf, CcError> {
    let out = Command::new(python)
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['include'])",
        ])
        .output()
        .map_err(|e| CcError(format!("cannot run `{python}`: {e}")))?;
    if !out.status.success() {
        return Err(CcError(format!(
            "`{python}` failed to report its include directory: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// Like [`cc_build`], returning an error instead of panicking.
#[cfg(feature = "cc")]
pub fn try_cc_build() -> Result<cc::Build, CcError> {
    for var in ["PYO3_PYTHON", "CFLAGS"] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    let config = Pyo3Config::from_env(|k| std::env::var(k).ok())
        .map_err(|e| CcError(e.to_string()))?
        .ok_or_else(|| {
            CcError(
                "PyO3's config is not visible (DEP_PYO3_PYTHON_PYO3_CONFIG): depend on pyo3 directly"
                    .into(),
            )
        })?;
    let python = config
        .executable
        .clone()
        .or_else(|| std::env::var("PYO3_PYTHON").ok())
        .unwrap_or_else(|| "python3".into());
    let (kind, floor) = (config.kind(), config.floor());
    if let Ok(cflags) = std::env::var("CFLAGS") {
        for f in check_c_flags(&cflags, kind, floor) {
            print!("{}", crate::render::render_cargo(&f, None));
        }
    }
    let mut build = cc::Build::new();
    build.include(python_include_dir(&python)?);
    for (name, value) in limited_api_defines(kind, floor) {
        build.define(&name, value.as_str());
    }
    build.flag_if_supported("-fvisibility=hidden");
    Ok(build)
}

/// A `cc::Build` with `Py_LIMITED_API` (or `Py_TARGET_ABI3T`) for the floor PyO3 resolved, the
/// interpreter's include directory (from `sysconfig` of the config's executable, else
/// `PYO3_PYTHON`, else `python3`) and `-fvisibility=hidden`. Panics with a clear message when
/// PyO3's config is not visible or the interpreter cannot be run.
#[cfg(feature = "cc")]
pub fn cc_build() -> cc::Build {
    try_cc_build().unwrap_or_else(|e| panic!("cargo-abi3-build-hook: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defines() {
        assert_eq!(PyVersion::new(3, 9).limited_api_hex(), "0x03090000");
        assert_eq!(PyVersion::new(3, 15).limited_api_hex(), "0x030F0000");
        assert_eq!(
            limited_api_defines(AbiKind::Abi3t, Some(PyVersion::new(3, 15)))[0],
            ("Py_TARGET_ABI3T".to_owned(), "0x030F0000".to_owned())
        );
        assert!(limited_api_defines(AbiKind::VersionSpecific, None).is_empty());
    }

    #[test]
    fn c_flags_both_ways() {
        let v39 = Some(PyVersion::new(3, 9));
        assert!(check_c_flags("-O2 -DPy_LIMITED_API=0x03090000", AbiKind::Abi3, v39).is_empty());
        let f = check_c_flags("-DPy_LIMITED_API=0x030B0000", AbiKind::Abi3, v39);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, Code::CPartOffFloor);
        assert!(f[0].help.as_ref().unwrap().contains("0x03090000"));
        let f = check_c_flags("-DPy_LIMITED_API", AbiKind::VersionSpecific, None);
        assert_eq!(f.len(), 1);
    }
}
