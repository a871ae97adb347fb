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
