//! `platform-only-symbol`: a stable-ABI symbol that the binary's platform does not provide.

use super::{BinarySubject, Check, Findings, Rule};
use crate::Code;
use crate::abi::Availability;
use crate::binary::Platform;
use crate::finding::Finding;

pub const RULE: Rule = Rule {
    code: Code::PlatformOnlySymbol,
    check: Check::Binary(check),
};

fn check(subject: &BinarySubject<'_>, out: &mut Findings) {
    let platform = subject.binary.platform();
    for python in &subject.python_imports {
        let Some(item) = python.item else { continue };
        if item.availability(platform) != Availability::NotOnPlatform {
            continue;
        }
        let guard = item.ifdef.map(|i| i.macro_name()).unwrap_or("?");
        let platform_name = match platform {
            Platform::Windows => "Windows",
            Platform::MacOs => "macOS",
            Platform::Linux => "this POSIX platform",
        };
        out.push(
            Finding::new(
                Code::PlatformOnlySymbol,
                format!("`{}` does not exist on {platform_name}", item.name),
            )
            .symbol(item.name)
            .note(format!("the manifest makes it conditional on `{guard}`"))
            .help(format!(
                "guard the call so it is only compiled where `{guard}` is defined"
            )),
        );
    }
}

/// The rule over synthetic binaries: rows that trip it and rows that pass.
#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::*;

    #[test]
    fn table_of_cases() {
        table(
            &RULE,
            &[
                (
                    "a Windows API on ELF",
                    elf("m.abi3.so")
                        .import("PyErr_SetFromWindowsErr")
                        .abi3(3, 9),
                    true,
                ),
                (
                    "a Windows API on Mach-O",
                    macho("m.abi3.so")
                        .import("PyErr_SetFromWindowsErr")
                        .abi3(3, 9),
                    true,
                ),
                (
                    "fork on Windows",
                    pe("m.pyd").import("PyOS_AfterFork").abi3(3, 9),
                    true,
                ),
                (
                    "a Windows API on Windows",
                    pe("m.pyd").import("PyErr_SetFromWindowsErr").abi3(3, 9),
                    false,
                ),
                (
                    "fork on Linux",
                    elf("m.abi3.so").import("PyOS_AfterFork").abi3(3, 9),
                    false,
                ),
                (
                    "everywhere",
                    elf("m.abi3.so").import("PyList_New").abi3(3, 9),
                    false,
                ),
            ],
        );
    }
}
