//! The build hook's intent parsers: Cargo.toml and pyproject.toml (TOML, with spans), the
//! PyO3 config, `Requires-Python`, the embedded declaration record, `check_intent`, and
//! both renderers over the findings (spans must stay inside the source text).
#![no_main]

use cargo_abi3_build_hook::declaration;
use cargo_abi3_build_hook::manifest::Manifest;
use cargo_abi3_build_hook::pyo3_config::{Pyo3Config, TargetAbi};
use cargo_abi3_build_hook::pyproject::{PyProject, lowest_admitted_version};
use cargo_abi3_build_hook::render::{render_cargo, render_plain};
use cargo_abi3_build_hook::{Finding, IntentInputs, check_intent, declared_intent};
use libfuzzer_sys::fuzz_target;

fn render(findings: &[Finding], source: &str) {
    for f in findings {
        let _ = render_plain(f, Some(source));
        let _ = render_cargo(f, Some(source));
        let _ = render_plain(f, None);
    }
}

fn check_declaration(data: &[u8]) {
    for d in declaration::find_all(data) {
        if let Ok(bytes) = d.encode() {
            let _ = declaration::find_in(&bytes);
        }
        let _ = d.to_rust_source();
    }
}

fuzz_target!(|data: &[u8]| {
    check_declaration(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // `Cargo.toml` and `pyproject.toml` from the two halves around the first NUL, or the
    // same text for both.
    let (cargo, pyproject) = text.split_once('\0').unwrap_or((text, text));

    let manifest = Manifest::parse("Cargo.toml", cargo);
    let pyproject_parsed = PyProject::parse("pyproject.toml", pyproject);
    if let Err(e) = &manifest {
        render(&[e.to_finding()], cargo);
    }
    if let Err(e) = &pyproject_parsed {
        render(&[e.to_finding()], pyproject);
    }
    if let Ok(p) = &pyproject_parsed {
        let _ = p.requires_python_floor();
        let _ = p.cargo_manifest();
        let _ = p.extension_name();
    }
    if let Ok(m) = &manifest {
        let _ = m.default_module_name();
        let _ = m.builds_cdylib();
        let _ = m.active_requests(&m.default_enabled()).count();
    }
    let _ = lowest_admitted_version(text);
    let _ = Pyo3Config::parse(text);
    let _ = Pyo3Config::from_hex(text);
    let _ = TargetAbi::parse(text);

    let mut inputs = IntentInputs::default();
    inputs.manifest = manifest.ok();
    inputs.pyproject = pyproject_parsed.ok();
    inputs.config = Pyo3Config::parse(text).ok();
    let _ = cargo_abi3_build_hook::setuptools::setup_cfg_limited_api(
        std::path::Path::new("setup.cfg"),
        text,
    );
    let _ =
        cargo_abi3_build_hook::setuptools::setup_py_extensions(std::path::Path::new("/p"), text);
    let _ = declared_intent(&inputs);
    let findings = check_intent(&inputs);
    render(&findings, cargo);
    render(&findings, pyproject);
});
