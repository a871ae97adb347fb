//! Synthetic subjects for the rules' table-driven unit tests: a [`Binary`] value and its
//! context built in a line, run through one rule, asserting the code is (or is not) emitted.
//!
//! ```ignore
//! table(&RULE, &[
//!     ("tripped", elf("m.abi3.so").import("PyList_New").abi3(3, 2), true),
//!     ("passed", elf("m.abi3.so").abi3(3, 9), false),
//! ]);
//! ```

use cargo_abi3_build_hook::declaration::Declaration;
use cargo_abi3_build_hook::{AbiKind, PyVersion};

use super::{BinarySubject, Check, Claim, ClaimSource, ExportAllow, Rule, WheelSubject};
use crate::binary::{Arch, Binary, Format, Import, Needed};
use crate::finding::{Finding, Findings};
use crate::wheel::{CoreMetadata, WheelMetadata, WheelName};

/// One binary (or one wheel, for wheel rules) and everything a rule sees around it.
#[derive(Clone, Debug)]
pub struct Case {
    pub binary: Binary,
    pub file_name: String,
    pub path: Option<String>,
    pub claim: Claim,
    /// The wheel's file name, for a binary inside a wheel (and for wheel rules).
    pub wheel: Option<String>,
    pub metadata: WheelMetadata,
    pub in_purelib: bool,
    pub bundled: Vec<String>,
    /// Every slice of the file (empty: the binary alone).
    pub slices: Vec<Binary>,
    pub allowed: Vec<ExportAllow>,
    pub declaration: Option<Declaration>,
    pub known_module: bool,
}

fn case(format: Format, arch: Arch, file_name: &str) -> Case {
    Case {
        binary: Binary::new(format, arch),
        file_name: file_name.to_owned(),
        path: None,
        claim: Claim::unclaimed(),
        wheel: None,
        metadata: WheelMetadata::default(),
        in_purelib: false,
        bundled: Vec::new(),
        slices: Vec::new(),
        allowed: Vec::new(),
        declaration: None,
        known_module: false,
    }
}

/// An x86_64 ELF file.
pub fn elf(file_name: &str) -> Case {
    case(Format::Elf, Arch::X86_64, file_name)
}

/// An arm64 Mach-O file.
pub fn macho(file_name: &str) -> Case {
    case(Format::MachO, Arch::Aarch64, file_name)
}

/// An x86_64 PE file.
pub fn pe(file_name: &str) -> Case {
    case(Format::Pe, Arch::X86_64, file_name)
}

fn import(name: &str, library: Option<&str>) -> Import {
    Import {
        name: name.to_owned(),
        library: library.map(str::to_owned),
        version: None,
        weak: false,
        delay_load: false,
    }
}

impl Case {
    /// Imports `name` the way the format does from the interpreter (by name on ELF and
    /// flat Mach-O, from `python3.dll` on PE).
    pub fn import(mut self, name: &str) -> Self {
        let library = (self.binary.format == Format::Pe).then_some("python3.dll");
        self.binary.imports.push(import(name, library));
        self
    }

    /// Imports `name` from `library` (with `version`, an ELF symbol version, if any).
    pub fn import_from(mut self, name: &str, library: &str, version: Option<&str>) -> Self {
        let mut i = import(name, Some(library));
        i.version = version.map(str::to_owned);
        self.binary.imports.push(i);
        self
    }

    pub fn export(mut self, name: &str) -> Self {
        self.binary.exports.push(name.to_owned());
        self
    }

    pub fn needed(mut self, name: &str) -> Self {
        self.binary.needed.push(Needed {
            name: name.to_owned(),
            lazy: false,
        });
        self
    }

    pub fn arch(mut self, arch: Arch) -> Self {
        self.binary.arch = arch;
        self
    }

    pub fn macos_min(mut self, major: u16, minor: u16) -> Self {
        self.binary.macos_min = Some((major, minor));
        self
    }

    /// Held to `kind` from `floor`, as the wheel tag says.
    pub fn claim(mut self, kind: AbiKind, floor: Option<(u8, u8)>) -> Self {
        self.claim = Claim {
            kind: Some(kind),
            floor: floor.map(|(a, b)| PyVersion::new(a, b)),
            source: ClaimSource::WheelTag("test".into()),
        };
        self
    }

    pub fn abi3(self, major: u8, minor: u8) -> Self {
        self.claim(AbiKind::Abi3, Some((major, minor)))
    }

    pub fn abi3t(self, major: u8, minor: u8) -> Self {
        self.claim(AbiKind::Abi3t, Some((major, minor)))
    }

    /// Inside the wheel `wheel` (a file name) at `path`.
    pub fn in_wheel(mut self, wheel: &str, path: &str) -> Self {
        self.wheel = Some(wheel.to_owned());
        self.path = Some(path.to_owned());
        self
    }

    pub fn requires_python(mut self, spec: &str) -> Self {
        self.metadata.core = Some(CoreMetadata {
            requires_python: Some(spec.to_owned()),
            ..CoreMetadata::default()
        });
        self
    }

    pub fn purelib(mut self) -> Self {
        self.in_purelib = true;
        self
    }

    pub fn bundled(mut self, name: &str) -> Self {
        self.bundled.push(name.to_owned());
        self
    }

    pub fn slices(mut self, slices: Vec<Binary>) -> Self {
        self.slices = slices;
        self
    }

    pub fn declaration(mut self, declaration: Declaration) -> Self {
        self.declaration = Some(declaration);
        self
    }

    pub fn known_module(mut self) -> Self {
        self.known_module = true;
        self
    }

    /// What `rule` emits for this case.
    pub fn run(&self, rule: &Rule) -> Vec<Finding> {
        let name = self
            .wheel
            .as_deref()
            .map(|w| WheelName::parse(w).unwrap_or_else(|e| panic!("test wheel name {w}: {e:?}")));
        let wheel = name.as_ref().map(|name| WheelSubject {
            name,
            metadata: &self.metadata,
        });
        let mut out = Findings::default();
        match rule.check {
            Check::Wheel(check) => {
                let wheel = wheel.expect("a wheel rule needs .in_wheel(..)");
                check(&wheel, &mut out);
            }
            Check::Binary(check) | Check::Bundle(check) => {
                let slices = if self.slices.is_empty() {
                    std::slice::from_ref(&self.binary)
                } else {
                    &self.slices
                };
                let mut subject =
                    BinarySubject::new(&self.binary, &self.file_name, &self.claim, wheel)
                        .with_slices(slices)
                        .with_allowed_exports(&self.allowed)
                        .with_declaration(self.declaration.as_ref());
                if let Some(path) = &self.path {
                    subject = subject.in_member(path, self.in_purelib, &self.bundled, slices);
                } else {
                    subject.in_purelib = self.in_purelib;
                    subject.bundled = &self.bundled;
                }
                if self.known_module {
                    subject = subject.known_module();
                }
                check(&subject, &mut out);
            }
            // A host rule builds its finding from what host's loader simulation found; its
            // decisions are tested with the simulation (host's unit tests, host_cli).
            Check::Host => panic!("{}: host rules are tested through `host`", rule.code),
        }
        out.finish()
    }
}

/// Runs `rule` on every row, asserting its code is emitted (`true`) or not (`false`). Every
/// table must have rows of both kinds, so it can fail both ways.
#[track_caller]
pub fn table(rule: &Rule, rows: &[(&str, Case, bool)]) {
    assert!(
        rows.iter().any(|r| r.2) && rows.iter().any(|r| !r.2),
        "{}: a table needs rows that trip the rule and rows that pass",
        rule.code
    );
    for (name, case, expected) in rows {
        let findings = case.run(rule);
        let emitted = findings.iter().any(|f| f.code == rule.code);
        assert_eq!(
            emitted,
            *expected,
            "{} / {name}: expected {}, got {findings:#?}",
            rule.code,
            if *expected { "a finding" } else { "none" },
        );
        assert!(
            findings.iter().all(|f| f.code == rule.code),
            "{} / {name}: a rule emits only its own code: {findings:#?}",
            rule.code
        );
    }
}
