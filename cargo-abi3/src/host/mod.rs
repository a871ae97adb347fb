//! `cargo abi3 host`: which libraries an interpreter or embedding program forces into the
//! global namespace of every extension, and where they collide with a wheel's own.
//!
//! `closure` simulates the loader (ELF; PE next to the host; Mach-O listed), `classify`
//! sorts the libraries, `collide` intersects the global scope with each `--with` binary,
//! `dll` compares Windows DLLs by name, `render` prints the human report.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

pub mod classify;
pub mod closure;
pub mod collide;
pub mod dll;
pub mod fs;
pub mod ldcache;
pub mod render;
pub mod search;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use cargo_abi3_build_hook::Code;

use crate::binary::{Binary, Format};
use crate::finding::Finding;
use crate::inputs::{self, Input};
use crate::load;
use crate::policy::{Override, apply_overrides};
use crate::report::{BinaryReport, InputKind, InputReport, Report, Tags};
use crate::rules::dll_name_collision::{self, DllCollision};
use crate::rules::host_global_library::{self, GlobalLibrary};
use crate::rules::host_shadows_symbol::{self, Shadowing};
use crate::rules::{BinarySubject, Claim, flat_namespace_lookup, host_unresolved_library};
use crate::wheel::{Limits, WheelName};

pub use crate::report::extra::{HostLibrary, HostSection, UnresolvedLibrary};
use classify::LibraryClass;
use closure::{Closure, Object, SearchOptions};
use collide::{GlobalScope, Hit, Sibling, Via};
use dll::HostDll;
use search::FoundVia;

/// Options of one `cargo abi3 host` run.
#[derive(Clone, Debug)]
pub struct HostOptions {
    pub sysroot: Option<std::path::PathBuf>,
    /// Wheels and binaries to check against the host.
    pub with: Vec<std::ffi::OsString>,
    /// LD_LIBRARY_PATH as the host would run with it.
    pub ld_library_path: Option<String>,
    /// Names listed per host library in a finding.
    pub max_names: usize,
    pub limits: Limits,
    pub overrides: Vec<Override>,
}

impl Default for HostOptions {
    fn default() -> Self {
        HostOptions {
            sysroot: None,
            with: Vec::new(),
            ld_library_path: None,
            max_names: 8,
            limits: Limits::default(),
            overrides: Vec::new(),
        }
    }
}

/// The simulated host: its objects in load order and what each is.
struct Host {
    objects: Vec<Object>,
    classes: Vec<LibraryClass>,
    dlls: Vec<HostDll>,
}

fn binary_report(binary: &Binary, member: Option<&str>, file_name: &str) -> BinaryReport {
    let claim = Claim::unclaimed();
    let subject = BinarySubject::new(binary, file_name, &claim, None);
    BinaryReport::of(&subject, member, Vec::new())
}

/// Runs the host analysis. Never fails: what cannot be read becomes a finding.
pub fn host(path: &Path, options: &HostOptions) -> Report {
    let root = fs::Root::new(options.sysroot.as_deref());
    let display = path.display().to_string();
    let mut report = InputReport::new(display.clone(), InputKind::Host);
    let host = match load_host(path, &root, options, &mut report) {
        Ok(host) => host,
        Err(finding) => {
            report.findings.push(*finding);
            return finish(vec![report], options);
        }
    };
    let mut inputs = vec![report];
    for input in inputs::expand(&options.with) {
        inputs.push(check_input(&input, &host, options));
    }
    finish(inputs, options)
}

fn finish(mut inputs: Vec<InputReport>, options: &HostOptions) -> Report {
    for input in &mut inputs {
        apply_overrides(input, &options.overrides);
    }
    Report { inputs }
}

fn load_host(
    path: &Path,
    root: &fs::Root,
    options: &HostOptions,
    report: &mut InputReport,
) -> Result<Host, Box<Finding>> {
    let unreadable = |why: String| {
        Box::new(Finding::new(
            Code::UnreadableInput,
            format!("cannot analyse the host `{}`: {why}", path.display()),
        ))
    };
    let missing = || {
        unreadable(match root.sysroot() {
            Some(s) => format!("no such file inside the sysroot `{}`", s.display()),
            None => inputs::regular_file(path)
                .err()
                .unwrap_or_else(|| "no such file".to_owned()),
        })
    };
    let visible = root.visible(path).ok_or_else(missing)?;
    if root.canonical(&visible).is_none() {
        return Err(missing());
    }
    let canonical = root.file(&visible).ok_or_else(|| {
        unreadable(match root.sysroot() {
            // Say what the path is: missing, a directory, a FIFO (never opened), ...
            None => inputs::regular_file(path).err().unwrap_or_else(|| {
                "the loader could not resolve the path (a symlink loop, or not UTF-8)".into()
            }),
            Some(_) => "not a regular file (or a symlink loop)".into(),
        })
    })?;
    let loaded = root.load(&canonical, &options.limits).map_err(|finding| {
        // Named as the host, with the loader's code (a limit stays a limit) and help.
        let mut finding = finding;
        finding.message = format!(
            "cannot analyse the host `{}`: {}",
            path.display(),
            finding.message
        );
        finding
    })?;
    let mut object = Object::from_loaded(loaded, visible.clone(), canonical).map_err(unreadable)?;
    object.names.push(visible.clone());
    report
        .binaries
        .push(binary_report(&object.binary, None, fs::file_name(&visible)));
    let format = object.binary.format;
    let (closure, dlls) = match format {
        Format::Elf => {
            let options = SearchOptions {
                root: root.clone(),
                ld_library_path: options
                    .ld_library_path
                    .as_deref()
                    .map(|p| {
                        p.split([':', ';'])
                            .filter(|d| !d.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
                limits: options.limits.clone(),
            };
            (closure::resolve(object, &options), Vec::new())
        }
        Format::Pe => {
            let (objects, dlls) = dll::resolve(object, root, &options.limits);
            (only(objects), dlls)
        }
        Format::MachO => (only(vec![object]), Vec::new()),
    };
    let classes: Vec<LibraryClass> = closure
        .objects
        .iter()
        .enumerate()
        .map(|(i, o)| {
            if i == 0 {
                LibraryClass::Executable
            } else if format == Format::Pe && classify::is_windows_system_dll(o.display_name()) {
                LibraryClass::Runtime
            } else {
                classify::classify(o.display_name()).0
            }
        })
        .collect();
    report.host = Some(section(&closure, &classes, &dlls, root, format));
    report.findings.extend(host_findings(&closure, &classes));
    if let (Some(host_binary), Some(binary)) =
        (closure.objects.first(), report.binaries.first_mut())
        && host_binary.binary.flat_namespace_lookups
    {
        binary
            .findings
            .push(flat_namespace_lookup::finding("the host"));
    }
    Ok(Host {
        objects: closure.objects,
        classes,
        dlls,
    })
}

fn only(objects: Vec<Object>) -> Closure {
    Closure {
        objects,
        missing: Vec::new(),
        truncated: false,
        cache_source: "none",
        cache_limit: None,
        skipped: Vec::new(),
    }
}

fn name_of(objects: &[Object], index: Option<usize>) -> Option<String> {
    index
        .and_then(|i| objects.get(i))
        .map(|o| o.display_name().to_owned())
}

fn section(
    closure: &Closure,
    classes: &[LibraryClass],
    dlls: &[HostDll],
    root: &fs::Root,
    format: Format,
) -> HostSection {
    let objects = &closure.objects;
    let mut libraries: Vec<HostLibrary> = objects
        .iter()
        .enumerate()
        .map(|(i, o)| HostLibrary {
            name: o.names.first().cloned().unwrap_or_else(|| o.path.clone()),
            path: Some(o.path.clone()),
            soname: o.binary.soname.clone(),
            needed_by: name_of(objects, o.needed_by),
            found_via: o.found_via,
            class: classes.get(i).copied().unwrap_or(LibraryClass::Other),
            family: classify::classify(o.display_name())
                .1
                .filter(|_| i > 0)
                .map(str::to_owned),
            global_symbols: collide::exports(&o.binary)
                .filter(|e| !e.hidden_version)
                .count(),
            versions: o.binary.defined_versions.iter().take(8).cloned().collect(),
        })
        .collect();
    // Libraries the loader finds by its own rules: Mach-O dylibs, PE DLLs not next to the host.
    let unsearched: Vec<(String, String)> = match format {
        Format::MachO => objects
            .first()
            .map(|host| {
                host.binary
                    .needed
                    .iter()
                    .map(|n| (n.name.clone(), host.display_name().to_owned()))
                    .collect()
            })
            .unwrap_or_default(),
        Format::Pe => dlls
            .iter()
            .filter(|d| d.object.is_none())
            .map(|d| (d.name.clone(), String::new()))
            .collect(),
        Format::Elf => Vec::new(),
    };
    for (name, needed_by) in unsearched {
        let (class, family) = if format == Format::Pe && classify::is_windows_system_dll(&name) {
            (LibraryClass::Runtime, None)
        } else {
            classify::classify(&name)
        };
        libraries.push(HostLibrary {
            name,
            path: None,
            soname: None,
            needed_by: (!needed_by.is_empty()).then_some(needed_by),
            found_via: FoundVia::NotSearched,
            class,
            family: family.map(str::to_owned),
            global_symbols: 0,
            versions: Vec::new(),
        });
    }
    let host = objects.first();
    HostSection {
        path: host.map(|h| h.path.clone()).unwrap_or_default(),
        format,
        arch: host
            .map(|h| h.binary.arch.clone())
            .unwrap_or(crate::binary::Arch::Other(String::new())),
        sysroot: root.sysroot().map(|s| s.display().to_string()),
        cache: closure.cache_source.to_owned(),
        libraries,
        unresolved: closure
            .missing
            .iter()
            .map(|m| UnresolvedLibrary {
                name: m.name.clone(),
                needed_by: name_of(objects, Some(m.needed_by)).unwrap_or_default(),
                reason: m.reason.clone(),
                searched: m.searched.iter().take(8).cloned().collect(),
            })
            .collect(),
        truncated: closure.truncated,
    }
}

fn host_findings(closure: &Closure, classes: &[LibraryClass]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let objects = &closure.objects;
    for (i, object) in objects.iter().enumerate().skip(1) {
        if classes.get(i) != Some(&LibraryClass::Shadowing) {
            continue;
        }
        let family = classify::classify(object.display_name())
            .1
            .unwrap_or("vendored");
        let exports = collide::exports(&object.binary)
            .filter(|e| !e.hidden_version)
            .count();
        let needed_by = name_of(objects, object.needed_by);
        findings.push(host_global_library::finding(&GlobalLibrary {
            library: object.display_name(),
            family,
            exports,
            path: &object.path,
            via: via_phrase(object.found_via),
            needed_by: needed_by.as_deref(),
            versions: &object.binary.defined_versions,
        }));
    }
    for missing in &closure.missing {
        let by = name_of(objects, Some(missing.needed_by)).unwrap_or_default();
        findings.push(host_unresolved_library::finding(
            &missing.name,
            &by,
            &missing.reason,
            &missing.searched,
        ));
    }
    if let Some(limit) = &closure.cache_limit {
        findings.push(
            Finding::new(
                Code::InputLimitExceeded,
                format!(
                    "`{}` {}; libraries were looked up without it",
                    limit.path, limit.what
                ),
            )
            .symbol(limit.path)
            .help(
                "a real ld.so.cache holds a few thousand entries: regenerate it (`ldconfig -r SYSROOT`) or check where it comes from",
            ),
        );
    }
    if closure.truncated {
        findings.push(Finding::new(
            Code::InputLimitExceeded,
            format!(
                "the host's closure has more than {} objects; the rest was not analysed",
                closure::MAX_OBJECTS
            ),
        ));
    }
    findings
}

fn via_phrase(via: FoundVia) -> &'static str {
    match via {
        FoundVia::Input => "the command line",
        FoundVia::Path => "its path",
        FoundVia::Rpath => "DT_RPATH",
        FoundVia::LdLibraryPath => "LD_LIBRARY_PATH",
        FoundVia::Runpath => "DT_RUNPATH",
        FoundVia::LdSoCache => "ld.so.cache",
        FoundVia::LdSoConf => "ld.so.conf",
        FoundVia::DefaultPath => "the default directories",
        FoundVia::NotSearched => "the platform loader",
    }
}

/// One binary of a `--with` input.
struct Member {
    member: Option<String>,
    file_name: String,
    /// PE files only: the whole content's fingerprint (Windows loads one DLL per name).
    fingerprint: Option<dll::Fingerprint>,
    binaries: Vec<Binary>,
}

fn check_input(input: &Input, host: &Host, options: &HostOptions) -> InputReport {
    let (mut report, members) = match input {
        Input::Wheel(path) => read_wheel(path, options),
        Input::Binary(path) => {
            let mut report = InputReport::new(path.display().to_string(), InputKind::Binary);
            let members = match read_loose(path, &options.limits) {
                Ok(member) => vec![member],
                Err(finding) => {
                    report.findings.push(*finding);
                    Vec::new()
                }
            };
            (report, members)
        }
        Input::Problem { path, finding } => return inputs::problem_report(path, finding),
        // `host --with` takes paths only; `pypi:` names are not resolved there.
        Input::Remote(wheel) => {
            let finding = crate::finding::Finding::new(
                cargo_abi3_build_hook::Code::NothingToAudit,
                format!(
                    "`{}`: `host --with` takes paths only",
                    wheel.display.display()
                ),
            );
            return inputs::problem_report(&wheel.display, &finding);
        }
    };
    let siblings: Vec<Sibling> = members
        .iter()
        .flat_map(|m| {
            m.binaries.iter().map(|b| {
                let mut names = vec![m.file_name.clone()];
                names.extend(b.soname.clone());
                Sibling {
                    names,
                    exports: b.exports.iter().cloned().collect::<HashSet<_>>(),
                }
            })
        })
        .collect();
    let scope = GlobalScope::new(&host.objects, &host.classes);
    for member in &members {
        for binary in &member.binaries {
            let mut binary_report =
                binary_report(binary, member.member.as_deref(), &member.file_name);
            let hits = collide::collisions(binary, &siblings, &scope, &host.objects, &host.classes);
            binary_report.findings.extend(shadow_findings(
                &hits,
                host,
                &member.file_name,
                options.max_names,
            ));
            if binary.flat_namespace_lookups {
                binary_report
                    .findings
                    .push(flat_namespace_lookup::finding(&format!(
                        "`{}`",
                        member.file_name
                    )));
            }
            if binary.format == Format::Pe
                && let Some(fingerprint) = member.fingerprint
                && let Some(dll) = dll::collision(&host.dlls, &member.file_name, fingerprint)
            {
                binary_report.findings.push(dll_finding(
                    dll,
                    host,
                    &member.file_name,
                    usize::try_from(fingerprint.size).unwrap_or(usize::MAX),
                ));
            }
            report.binaries.push(binary_report);
        }
    }
    report
}

/// A loose `--with` binary through the loading layer `audit` uses (streamed, bounded).
fn read_loose(path: &Path, limits: &Limits) -> Result<Member, Box<Finding>> {
    let loaded = load::load_file(path, limits)?;
    let fingerprint = if loaded.binaries.iter().any(|b| b.format == Format::Pe) {
        let mut print = dll::Fingerprinter::default();
        load::stream_file(path, limits, &mut |chunk| print.feed(chunk))?;
        Some(print.finish())
    } else {
        None
    };
    Ok(Member {
        member: None,
        file_name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        fingerprint,
        binaries: loaded.binaries,
    })
}

/// A `--with` wheel through the loading layer `audit` uses: the same limits, the same
/// findings for what cannot be read. Notices about `WHEEL`/`METADATA`, which `host` does
/// not use, are left out.
fn read_wheel(path: &Path, options: &HostOptions) -> (InputReport, Vec<Member>) {
    let display = path.display().to_string();
    let mut report = InputReport::new(display.clone(), InputKind::Wheel);
    if let Some(name) = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| WheelName::parse(n).ok())
    {
        report.tags = Some(Tags {
            python: name.python_tags.clone(),
            abi: name.abi_tags.clone(),
            platform: name.platform_tags.clone(),
        });
    }
    let mut archive = match load::open_wheel(path, &options.limits) {
        Ok(archive) => archive,
        Err(finding) => {
            report.findings.push(*finding);
            return (report, Vec::new());
        }
    };
    report.findings.extend(
        archive
            .notices()
            .iter()
            .filter(|notice| !notice.is_about_metadata())
            .map(|notice| load::notice_finding(&display, notice)),
    );
    let mut members = Vec::new();
    for member in archive.shared_objects() {
        let loaded = match load::load_member(&mut archive, &member) {
            Ok(loaded) => loaded,
            Err(finding) => {
                report.findings.push(*finding);
                continue;
            }
        };
        let fingerprint = if loaded.binaries.iter().any(|b| b.format == Format::Pe) {
            let mut print = dll::Fingerprinter::default();
            let streamed = archive.stream_member(&member.path, &mut |chunk| {
                print.feed(chunk);
                std::ops::ControlFlow::Continue(())
            });
            if let Err(e) = streamed {
                let what = format!("`{}` in `{display}`", member.path);
                report.findings.push(load::wheel_error(&what, &e));
                continue;
            }
            Some(print.finish())
        } else {
            None
        };
        members.push(Member {
            member: Some(member.path.clone()),
            file_name: fs::file_name(&member.path).to_owned(),
            fingerprint,
            binaries: loaded.binaries,
        });
    }
    (report, members)
}

/// One `host-shadows-symbol` finding per host library the binary collides with.
fn shadow_findings(hits: &[Hit], host: &Host, file_name: &str, max_names: usize) -> Vec<Finding> {
    let mut by_object: BTreeMap<usize, Vec<&Hit>> = BTreeMap::new();
    for hit in hits {
        by_object.entry(hit.object).or_default().push(hit);
    }
    let mut findings = Vec::new();
    for (object_index, hits) in by_object {
        let Some(object) = host.objects.get(object_index) else {
            continue;
        };
        let executable = (object_index == 0).then(|| fs::file_name(&object.path));
        let with_version = |h: &&Hit| match &h.version {
            Some(v) => format!("{}@{v}", h.name),
            None => h.name.clone(),
        };
        let symbols: Vec<String> = hits.iter().map(|h| h.name.clone()).collect();
        let exports: Vec<String> = hits
            .iter()
            .filter(|h| h.via == Via::Export)
            .map(|h| h.name.clone())
            .collect();
        let mut expected: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for hit in &hits {
            if let Via::Import { expected: lib } = &hit.via {
                expected
                    .entry(lib.as_str())
                    .or_default()
                    .push(with_version(hit));
            }
        }
        let mut versions: Vec<String> = hits.iter().filter_map(|h| h.version.clone()).collect();
        versions.sort();
        versions.dedup();
        findings.push(host_shadows_symbol::finding(&Shadowing {
            file_name,
            library: object.display_name(),
            loaded_from: &object.path,
            executable,
            symbols: &symbols,
            versions: &versions,
            exports: &exports,
            expected: &expected,
            max_names,
        }));
    }
    findings
}

fn dll_finding(dll: &HostDll, host: &Host, file_name: &str, size: usize) -> Finding {
    let host_copy = dll.object.and_then(|i| host.objects.get(i));
    dll_name_collision::finding(&DllCollision {
        file_name,
        size,
        dll: &dll.name,
        host_copy: match (host_copy, dll.fingerprint) {
            (Some(object), Some(fingerprint)) => Some((object.path.as_str(), fingerprint.size)),
            _ => None,
        },
    })
}
