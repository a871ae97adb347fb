//! The interpreter configuration PyO3 resolved, as it reaches dependants' build scripts.
//!
//! `pyo3-ffi` (`links = "python"`) prints `cargo:PYO3_CONFIG=<hex>` and `pyo3`
//! (`links = "pyo3-python"`, 0.2x and later) forwards the same text, so a crate's build script
//! sees `DEP_PYTHON_PYO3_CONFIG` if it depends on `pyo3-ffi` directly and
//! `DEP_PYO3_PYTHON_PYO3_CONFIG` if it depends on `pyo3` directly (Cargo passes `DEP_*` only
//! from direct dependencies). The text is `key=value` lines written by
//! `InterpreterConfig::to_writer` in pyo3-build-config:
//!
//! ```text
//! implementation=CPython
//! version=3.11
//! shared=true
//! target_abi=CPython-abi3-3.9        (0.29+; `abi3=true|false` before)
//! lib_name=python3.11                (optional)
//! lib_dir=/usr/lib                   (optional)
//! executable=/usr/bin/python3        (optional)
//! pointer_width=64                   (optional)
//! build_flags=Py_GIL_DISABLED,...    (comma separated, may be empty)
//! python_framework_prefix=...        (optional)
//! suppress_build_script_link_lines=false
//! extra_build_script_line=...        (repeated)
//! ```
//!
//! `target_abi` is `<implementation>-<kind>-<major.minor>[-debug]` with kind one of `abi3`,
//! `abi3t`, `gil_enabled`, `free_threaded`; for the stable kinds the version is the floor.

use std::fmt;

use crate::{AbiKind, PyVersion};

/// The environment variables that carry the config, in the order they are consulted.
pub const CONFIG_ENV_VARS: [&str; 2] = ["DEP_PYO3_PYTHON_PYO3_CONFIG", "DEP_PYTHON_PYO3_CONFIG"];

/// The ABI kind part of `target_abi`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum TargetAbiKind {
    Abi3,
    Abi3t,
    GilEnabled,
    FreeThreaded,
}

/// `target_abi` (PyO3 0.29+), or its equivalent derived from an older config.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct TargetAbi {
    pub implementation: String,
    pub kind: TargetAbiKind,
    /// The floor for stable kinds, the interpreter version otherwise.
    pub version: PyVersion,
    pub debug: bool,
}

/// PyO3's resolved interpreter configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Pyo3Config {
    /// `CPython`, `PyPy`, `GraalVM`, `RustPython`.
    pub implementation: String,
    /// The build interpreter's version.
    pub version: PyVersion,
    pub shared: bool,
    pub target_abi: TargetAbi,
    /// True when the text had the pre-0.29 `abi3=` key instead of `target_abi=`.
    pub legacy_abi3_key: bool,
    pub lib_name: Option<String>,
    pub lib_dir: Option<String>,
    pub executable: Option<String>,
    pub pointer_width: Option<u32>,
    pub build_flags: Vec<String>,
    pub python_framework_prefix: Option<String>,
    pub suppress_build_script_link_lines: bool,
    pub extra_build_script_lines: Vec<String>,
}

/// Why a config could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid PyO3 config: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

fn err(msg: impl Into<String>) -> ConfigError {
    ConfigError(msg.into())
}

/// Decodes PyO3's lowercase hex escaping (uppercase accepted too).
pub(crate) fn decode_hex(hex: &str) -> Result<Vec<u8>, ConfigError> {
    let hex = hex.trim();
    if !hex.len().is_multiple_of(2) {
        return Err(err("hex text has an odd length"));
    }
    fn nibble(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    hex.as_bytes()
        .chunks_exact(2)
        .map(|pair| match (nibble(pair[0]), nibble(pair[1])) {
            (Some(h), Some(l)) => Ok((h << 4) | l),
            _ => Err(err("hex text contains a non-hex character")),
        })
        .collect()
}

fn parse_bool(key: &str, v: &str) -> Result<bool, ConfigError> {
    match v.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(err(format!("`{key}` must be true or false, not `{other}`"))),
    }
}

fn parse_version(key: &str, v: &str) -> Result<PyVersion, ConfigError> {
    v.trim()
        .parse()
        .map_err(|_| err(format!("`{key}` is not a version: `{v}`")))
}

impl TargetAbi {
    /// Parses `CPython-abi3-3.9`, `CPython-gil_enabled-3.11-debug`.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let text = text.trim();
        let (body, debug) = match text.strip_suffix("-debug") {
            Some(b) => (b, true),
            None => (text, false),
        };
        let mut parts = body.splitn(3, '-');
        let (Some(implementation), Some(kind), Some(version)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(err(format!("`target_abi` is malformed: `{text}`")));
        };
        let kind = match kind {
            "abi3" => TargetAbiKind::Abi3,
            "abi3t" => TargetAbiKind::Abi3t,
            "gil_enabled" => TargetAbiKind::GilEnabled,
            "free_threaded" => TargetAbiKind::FreeThreaded,
            other => return Err(err(format!("unknown ABI kind `{other}` in `target_abi`"))),
        };
        Ok(Self {
            implementation: implementation.to_owned(),
            kind,
            version: parse_version("target_abi", version)?,
            debug,
        })
    }
}

impl Pyo3Config {
    /// Decodes the hex value of `DEP_*_PYO3_CONFIG`.
    pub fn from_hex(hex: &str) -> Result<Self, ConfigError> {
        let bytes = decode_hex(hex)?;
        let text = String::from_utf8(bytes).map_err(|_| err("config is not UTF-8"))?;
        Self::parse(&text)
    }

    /// Reads the config from the first of [`CONFIG_ENV_VARS`] that is set. `Ok(None)` when none
    /// is (the crate does not depend directly on `pyo3`/`pyo3-ffi`).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        for var in CONFIG_ENV_VARS {
            if let Some(value) = get(var) {
                return Self::from_hex(&value)
                    .map(Some)
                    .map_err(|e| err(format!("{var}: {}", e.0)));
            }
        }
        Ok(None)
    }

    /// Parses the decoded `key=value` text, accepting both the 0.29+ (`target_abi=`) and the
    /// older (`abi3=`) format. Unknown keys are ignored, as PyO3 does.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let mut implementation = None;
        let mut version = None;
        let mut shared = None;
        let mut target_abi = None;
        let mut abi3 = None;
        let mut cfg = Pyo3Config {
            implementation: String::new(),
            version: PyVersion::new(3, 0),
            shared: true,
            target_abi: TargetAbi {
                implementation: String::new(),
                kind: TargetAbiKind::GilEnabled,
                version: PyVersion::new(3, 0),
                debug: false,
            },
            legacy_abi3_key: false,
            lib_name: None,
            lib_dir: None,
            executable: None,
            pointer_width: None,
            build_flags: Vec::new(),
            python_framework_prefix: None,
            suppress_build_script_link_lines: false,
            extra_build_script_lines: Vec::new(),
        };
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(err(format!("expected key=value on line {}", i + 1)));
            };
            match key {
                "implementation" => implementation = Some(value.trim().to_owned()),
                "version" => version = Some(parse_version(key, value)?),
                "shared" => shared = Some(parse_bool(key, value)?),
                "target_abi" => target_abi = Some(TargetAbi::parse(value)?),
                "abi3" => abi3 = Some(parse_bool(key, value)?),
                "lib_name" => cfg.lib_name = Some(value.to_owned()),
                "lib_dir" => cfg.lib_dir = Some(value.to_owned()),
                "executable" => cfg.executable = Some(value.to_owned()),
                "pointer_width" => {
                    cfg.pointer_width = Some(
                        value
                            .trim()
                            .parse()
                            .map_err(|_| err(format!("`pointer_width` is `{value}`")))?,
                    )
                }
                "build_flags" => {
                    cfg.build_flags = value
                        .split_terminator(',')
                        .map(|f| f.trim().to_owned())
                        .filter(|f| !f.is_empty())
                        .collect()
                }
                "python_framework_prefix" => cfg.python_framework_prefix = Some(value.to_owned()),
                "suppress_build_script_link_lines" => {
                    cfg.suppress_build_script_link_lines = parse_bool(key, value)?
                }
                "extra_build_script_line" => cfg.extra_build_script_lines.push(value.to_owned()),
                _ => {}
            }
        }
        let version = version.ok_or_else(|| err("missing `version`"))?;
        let implementation = implementation.unwrap_or_else(|| "CPython".to_owned());
        if target_abi.is_some() && abi3.is_some() {
            return Err(err("config sets both `target_abi` and `abi3`"));
        }
        cfg.legacy_abi3_key = abi3.is_some();
        cfg.target_abi = match target_abi {
            Some(t) => t,
            None => {
                // Pre-0.29: `version` is already the abi3 floor (PyO3 rewrote it), and
                // Py_GIL_DISABLED wins over abi3, as pyo3-build-config's reader does.
                let free_threaded = cfg.build_flags.iter().any(|f| f == "Py_GIL_DISABLED");
                let kind = if free_threaded {
                    TargetAbiKind::FreeThreaded
                } else if abi3 == Some(true) {
                    TargetAbiKind::Abi3
                } else {
                    TargetAbiKind::GilEnabled
                };
                TargetAbi {
                    implementation: implementation.clone(),
                    kind,
                    version,
                    debug: cfg.build_flags.iter().any(|f| f == "Py_DEBUG"),
                }
            }
        };
        cfg.implementation = implementation;
        cfg.version = version;
        cfg.shared = shared.unwrap_or(true);
        Ok(cfg)
    }

    /// The ABI the build targets.
    pub fn kind(&self) -> AbiKind {
        match self.target_abi.kind {
            TargetAbiKind::Abi3 => AbiKind::Abi3,
            TargetAbiKind::Abi3t => AbiKind::Abi3t,
            TargetAbiKind::GilEnabled | TargetAbiKind::FreeThreaded => AbiKind::VersionSpecific,
        }
    }

    /// The stable-ABI floor, `None` for version-specific builds.
    pub fn floor(&self) -> Option<PyVersion> {
        self.kind().is_stable().then_some(self.target_abi.version)
    }

    /// Whether the build interpreter is free-threaded (`Py_GIL_DISABLED`).
    pub(crate) fn interpreter_free_threaded(&self) -> bool {
        self.build_flags.iter().any(|f| f == "Py_GIL_DISABLED")
            || self.target_abi.kind == TargetAbiKind::FreeThreaded
    }

    /// Serialises back to the `key=value` text (0.29+ format), e.g. for tests and fixtures.
    #[cfg(test)]
    pub(crate) fn to_text(&self) -> String {
        let mut s = format!(
            "implementation={}\nversion={}\nshared={}\n",
            self.implementation, self.version, self.shared
        );
        if self.legacy_abi3_key {
            s += &format!("abi3={}\n", self.target_abi.kind == TargetAbiKind::Abi3);
        } else {
            let kind = match self.target_abi.kind {
                TargetAbiKind::Abi3 => "abi3",
                TargetAbiKind::Abi3t => "abi3t",
                TargetAbiKind::GilEnabled => "gil_enabled",
                TargetAbiKind::FreeThreaded => "free_threaded",
            };
            s += &format!(
                "target_abi={}-{}-{}{}\n",
                self.target_abi.implementation,
                kind,
                self.target_abi.version,
                if self.target_abi.debug { "-debug" } else { "" }
            );
        }
        for (k, v) in [
            ("lib_name", &self.lib_name),
            ("lib_dir", &self.lib_dir),
            ("executable", &self.executable),
        ] {
            if let Some(v) = v {
                s += &format!("{k}={v}\n");
            }
        }
        if let Some(w) = self.pointer_width {
            s += &format!("pointer_width={w}\n");
        }
        s += &format!("build_flags={}\n", self.build_flags.join(","));
        s += &format!(
            "suppress_build_script_link_lines={}\n",
            self.suppress_build_script_link_lines
        );
        for line in &self.extra_build_script_lines {
            s += &format!("extra_build_script_line={line}\n");
        }
        s
    }
}

/// Lowercase hex, the way pyo3-build-config escapes the config for `cargo:` output.
pub fn encode_hex(bytes: &[u8]) -> String {
    const LUT: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(LUT[(b >> 4) as usize] as char);
        s.push(LUT[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    // Written by pyo3-build-config 0.30.1's `to_writer` for `abi3-py39` on CPython 3.11.
    const NEW: &str = "implementation=CPython\nversion=3.11\nshared=true\n\
target_abi=CPython-abi3-3.9\nlib_name=python3.11\nlib_dir=/usr/lib\n\
executable=/usr/bin/python3\npointer_width=64\nbuild_flags=\n\
suppress_build_script_link_lines=false\n";
    // Written by pyo3-build-config 0.25 (`abi3=` key; version already rewritten to the floor).
    const OLD: &str = "implementation=CPython\nversion=3.8\nshared=true\nabi3=true\n\
lib_name=python3.11\nexecutable=/usr/bin/python3\npointer_width=64\n\
build_flags=\nsuppress_build_script_link_lines=false\n\
extra_build_script_line=cargo:rustc-link-arg=-Wl,-z,now\n";

    #[test]
    fn decodes_hex_of_both_formats() {
        let c = Pyo3Config::from_hex(&encode_hex(NEW.as_bytes())).unwrap();
        assert_eq!(c.implementation, "CPython");
        assert_eq!(c.version, PyVersion::new(3, 11));
        assert_eq!(c.kind(), AbiKind::Abi3);
        assert_eq!(c.floor(), Some(PyVersion::new(3, 9)));
        assert_eq!(c.executable.as_deref(), Some("/usr/bin/python3"));
        assert_eq!(c.pointer_width, Some(64));
        assert!(c.build_flags.is_empty());
        assert!(!c.legacy_abi3_key);

        let c = Pyo3Config::from_hex(&encode_hex(OLD.as_bytes()).to_uppercase()).unwrap();
        assert!(c.legacy_abi3_key);
        assert_eq!(c.kind(), AbiKind::Abi3);
        assert_eq!(c.floor(), Some(PyVersion::new(3, 8)));
        assert_eq!(
            c.extra_build_script_lines,
            ["cargo:rustc-link-arg=-Wl,-z,now"]
        );
    }

    #[test]
    fn target_abi_kinds_and_flags() {
        let t = TargetAbi::parse("CPython-free_threaded-3.14-debug").unwrap();
        assert_eq!(t.kind, TargetAbiKind::FreeThreaded);
        assert!(t.debug);
        let text = NEW.replace("CPython-abi3-3.9", "CPython-abi3t-3.15");
        assert_eq!(Pyo3Config::parse(&text).unwrap().kind(), AbiKind::Abi3t);
        let text = NEW.replace("CPython-abi3-3.9", "CPython-gil_enabled-3.11");
        let c = Pyo3Config::parse(&text).unwrap();
        assert_eq!(c.kind(), AbiKind::VersionSpecific);
        assert_eq!(c.floor(), None);
        // old format, free-threaded interpreter: Py_GIL_DISABLED wins over abi3=true
        let text = OLD.replace("build_flags=", "build_flags=Py_GIL_DISABLED,Py_DEBUG");
        let c = Pyo3Config::parse(&text).unwrap();
        assert_eq!(c.target_abi.kind, TargetAbiKind::FreeThreaded);
        assert!(c.interpreter_free_threaded());
        assert_eq!(c.build_flags, ["Py_GIL_DISABLED", "Py_DEBUG"]);
    }

    #[test]
    fn round_trips_and_reads_env() {
        let c = Pyo3Config::parse(NEW).unwrap();
        assert_eq!(Pyo3Config::parse(&c.to_text()).unwrap(), c);
        let hex = encode_hex(NEW.as_bytes());
        let got = Pyo3Config::from_env(|k| (k == "DEP_PYTHON_PYO3_CONFIG").then(|| hex.clone()));
        assert_eq!(got.unwrap().unwrap(), c);
        assert_eq!(Pyo3Config::from_env(|_| None).unwrap(), None);
    }

    #[test]
    fn rejects_garbage() {
        assert!(decode_hex("abc").is_err());
        assert!(decode_hex("zz").is_err());
        assert!(Pyo3Config::parse("implementation=CPython\n").is_err());
        assert!(Pyo3Config::parse("version=3.11\nnot a pair\n").is_err());
        assert!(Pyo3Config::parse("version=3.11\ntarget_abi=CPython-weird-3.9\n").is_err());
        assert!(
            Pyo3Config::parse("version=3.11\nabi3=true\ntarget_abi=CPython-abi3-3.9\n").is_err()
        );
        assert!(Pyo3Config::from_env(|_| Some("0g".into())).is_err());
    }
}
