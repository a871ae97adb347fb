//! Helpers of the rule tests: wheels written at test time around fixture binaries, and the
//! engine run on them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use crate::support::wheel::WheelBuilder;
use crate::support::*;
use cargo_abi3::Code;
use cargo_abi3::audit::{self, AuditOptions};
use cargo_abi3::finding::Finding;
use cargo_abi3::report::InputReport;

/// A wheel named `pkg-1.0-<tags>.whl` in `dir` holding `members`, with `.dist-info` files.
pub fn write_wheel(dir: &Path, tags: &str, members: &[(&str, &[u8])], purelib: bool) -> PathBuf {
    members
        .iter()
        .fold(
            WheelBuilder::new(&format!("pkg-1.0-{tags}.whl")).root_is_purelib(purelib),
            |wheel, (name, data)| wheel.member(name, *data),
        )
        .write(dir)
}

/// Audits one path with `options`.
pub fn audit_with(path: &Path, options: &AuditOptions) -> InputReport {
    let mut report = audit::audit(&[path.display().to_string()], options);
    assert_eq!(report.inputs.len(), 1);
    report.inputs.remove(0)
}

/// Every finding of the input, wheel-level and per binary.
pub fn all_findings(report: &InputReport) -> Vec<&Finding> {
    report
        .findings
        .iter()
        .chain(report.binaries.iter().flat_map(|b| b.findings.iter()))
        .collect()
}

/// Findings of `code` in a wheel of `tags` holding `members`.
pub fn findings_in(tags: &str, members: &[(&str, &[u8])], code: Code) -> Vec<Finding> {
    findings_with(tags, members, false, code, &AuditOptions::default())
}

pub fn findings_with(
    tags: &str,
    members: &[(&str, &[u8])],
    purelib: bool,
    code: Code,
    options: &AuditOptions,
) -> Vec<Finding> {
    let dir = scratch_dir("rules");
    let wheel = write_wheel(&dir, tags, members, purelib);
    let report = audit_with(&wheel, options);
    assert!(
        !all_findings(&report)
            .iter()
            .any(|f| f.is_analysis_failure()),
        "analysis failed: {:#?}",
        report.findings
    );
    all_findings(&report)
        .into_iter()
        .filter(|f| f.code == code)
        .cloned()
        .collect()
}

/// Asserts exactly `n` findings of `code`, and returns them.
#[track_caller]
pub fn expect(tags: &str, members: &[(&str, &[u8])], code: Code, n: usize) -> Vec<Finding> {
    let found = findings_in(tags, members, code);
    assert_eq!(
        found.len(),
        n,
        "{code} in {tags} {:?}: {found:#?}",
        names(members)
    );
    found
}

fn names<'a>(members: &[(&'a str, &[u8])]) -> Vec<&'a str> {
    members.iter().map(|(n, _)| *n).collect()
}

/// An x86_64 ELF extension linked by lld: `exports`, `imports` (unversioned), DT_NEEDED
/// `needed`, and optionally one versioned library `(soname, version, symbols)`.
pub fn elf(
    arch: ElfArch,
    exports: &[&str],
    imports: &[&str],
    needed: &[&str],
    versioned: Option<(&str, &str, &[&str])>,
) -> Result<Vec<u8>, Skip> {
    let spec = ElfSpec {
        arch,
        soname: "ext.so".into(),
        exports: exports.iter().map(|s| (*s).into()).collect(),
        imports: imports.iter().map(|s| (*s).into()).collect(),
        versioned_lib: versioned.map(|(soname, version, symbols)| {
            (
                soname.into(),
                version.into(),
                symbols.iter().map(|s| (*s).into()).collect(),
            )
        }),
        hash_style: "both",
    };
    build_elf_with_lld_needed(&spec, needed)
}

/// The common case: an x86_64 ELF module exporting `exports` and importing a C-API symbol.
pub fn elf_module(exports: &[&str]) -> Result<Vec<u8>, Skip> {
    elf(ElfArch::X86_64, exports, &["PyLong_FromLong"], &[], None)
}

/// A thin Mach-O module.
pub fn macho(
    arch: MachArch,
    exports: &[&str],
    imports: &[&str],
    min: &'static str,
) -> Result<Vec<u8>, Skip> {
    let mut spec = MachOSpec::new(arch);
    spec.exports = exports.iter().map(|s| (*s).into()).collect();
    spec.imports = imports.iter().map(|s| (*s).into()).collect();
    spec.macos_min = min;
    build_macho_dylib(&spec)
}

/// A PE module importing `PyLong_FromLong` from `dll`.
pub fn pe(machine: PeMachine, exports: &[&str], dll: &str, delay: bool) -> Result<Vec<u8>, Skip> {
    let mut spec = PeSpec::new(machine).dll(dll, &["PyLong_FromLong"], delay);
    for e in exports {
        spec = spec.export(e);
    }
    build_pe_extension(&spec)
}
