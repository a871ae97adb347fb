//! Human output of `cargo abi3 host`: the findings (as `audit` renders them), the host's
//! global scope in load order, a verdict per `--with` input and the summary line.

use std::fmt::Write as _;

use cargo_abi3_build_hook::Code;

use super::HostSection;
use super::classify::LibraryClass;
use crate::report::human::{HumanOptions, plural, render_with};
use crate::report::{InputReport, Report};

pub fn render(report: &Report, options: HumanOptions) -> String {
    let block = |input: &InputReport| match &input.host {
        Some(host) => host_table(&input.path, host),
        None => verdict_line(input) + "\n",
    };
    render_with(report, options, &block, false)
}

fn class_label(class: LibraryClass, family: Option<&str>) -> String {
    match (class, family) {
        (LibraryClass::Shadowing, Some(family)) => format!("shadows ({family})"),
        (LibraryClass::Shadowing, None) => "shadows".into(),
        (LibraryClass::Executable, _) => "host".into(),
        (LibraryClass::Runtime, _) => "runtime".into(),
        (LibraryClass::Interpreter, _) => "interpreter".into(),
        (LibraryClass::System, _) => "system".into(),
        (LibraryClass::Other, _) => "other".into(),
    }
}

fn host_table(argument: &str, host: &HostSection) -> String {
    let mut out = String::new();
    let found = host.libraries.iter().filter(|l| l.path.is_some()).count();
    let _ = writeln!(
        out,
        "{:>10} {argument} ({} {}): {} object{} in load order{}, lookups via {}",
        "Host",
        host.format.name(),
        host.arch.as_str(),
        found,
        plural(found),
        host.sysroot
            .as_ref()
            .map(|s| format!(" under {s}"))
            .unwrap_or_default(),
        host.cache,
    );
    let width = host
        .libraries
        .iter()
        .map(|l| {
            if l.class == LibraryClass::Executable {
                super::fs::file_name(&l.name).len()
            } else {
                l.soname.as_deref().unwrap_or(&l.name).len()
            }
        })
        .max()
        .unwrap_or(0)
        .clamp(8, 40);
    for library in &host.libraries {
        let name = if library.class == LibraryClass::Executable {
            super::fs::file_name(&library.name)
        } else {
            library.soname.as_deref().unwrap_or(&library.name)
        };
        let symbols = if library.path.is_some() {
            format!("{:>6} global", library.global_symbols)
        } else {
            format!("{:>6}", "-")
        };
        let _ = writeln!(
            out,
            "{:>10} {name:<width$} {:<22} {symbols}  {}",
            "",
            class_label(library.class, library.family.as_deref()),
            library
                .path
                .as_deref()
                .unwrap_or("(not searched: the platform loader finds it)"),
        );
    }
    for missing in &host.unresolved {
        let _ = writeln!(
            out,
            "{:>10} {:<width$} {:<22} {:>6}         needed by {}",
            "", missing.name, "NOT FOUND", "-", missing.needed_by
        );
    }
    out
}

fn verdict_line(input: &InputReport) -> String {
    let mut libraries: Vec<String> = Vec::new();
    let mut colliding = 0usize;
    for binary in &input.binaries {
        let mut hit = false;
        for finding in &binary.findings {
            if matches!(
                finding.code,
                Code::HostShadowsSymbol | Code::DllNameCollision
            ) {
                hit = true;
                let lib = finding.details.library.clone().unwrap_or_default();
                if !libraries.contains(&lib) {
                    libraries.push(lib);
                }
            }
        }
        colliding += usize::from(hit);
    }
    let binaries = input.binaries.len();
    let verdict = if colliding == 0 {
        "no collision with the host".to_owned()
    } else {
        format!(
            "{colliding} of {binaries} binar{} collide{} with {}",
            if binaries == 1 { "y" } else { "ies" },
            if colliding == 1 { "s" } else { "" },
            libraries.join(", ")
        )
    };
    format!("{:>10} {}: {verdict}", "Checked", input.path)
}
