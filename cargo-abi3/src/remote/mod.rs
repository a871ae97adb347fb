//! `cargo abi3 audit pypi:NAME[==VERSION]`: wheels audited straight from a package index.
//!
//! - [`index`] resolves a spec through the PEP 691 JSON simple API and picks the release and
//!   its abi3/abi3t wheels.
//! - [`source`] reads a wheel through HTTP `Range` requests: the end of the file for the zip
//!   directory, then per binary member only the compressed bytes its streaming reader asks
//!   for; or the whole file, hash-checked, when the server ignores `Range`.
//! - [`http`] is the client (system certificates, proxies, timeouts, retries).
//! - [`crate::report::release_table`] is the per-release table (`--summary markdown|csv`).
//!
//! Remote wheels go through the same [`crate::audit`] path as local ones, with the same
//! limits, members read in parallel on a bounded pool.

// Everything here reads bytes from the network: the parser lints, once for the tree.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

pub mod budget;
pub mod http;
pub mod index;
pub mod source;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cargo_abi3_build_hook::Code;
use rayon::prelude::*;

use crate::audit::AuditOptions;
use crate::finding::Finding;
use crate::inputs::Input;
use crate::load;
use crate::report::InputReport;
use crate::wheel::{Member, WheelArchive};

pub use index::Spec;

/// The default index: PyPI's simple API.
pub const DEFAULT_INDEX: &str = "https://pypi.org/simple/";

/// Why something could not be fetched. Every message names the URL.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("{url}: not found (HTTP {status})")]
    NotFound { url: String, status: u16 },
    #[error("{url}: the server answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: {reason}")]
    Transport { url: String, reason: String },
    #[error("{url}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("{url}: unexpected response: {reason}")]
    BadResponse { url: String, reason: String },
    #[error("{url}: the response was cut short: {got} of {expected} bytes")]
    Truncated {
        url: String,
        got: u64,
        expected: u64,
    },
    #[error("{url}: {what} is over the limit of {limit} bytes")]
    TooLarge {
        url: String,
        what: String,
        limit: u64,
    },
    #[error("{url}: its sha256 is {actual}, but the index says {expected}")]
    HashMismatch {
        url: String,
        expected: String,
        actual: String,
    },
    #[error("{url}: not a PEP 691 JSON project page: {reason}")]
    BadIndex { url: String, reason: String },
}

/// Options of remote inputs.
#[derive(Clone, Debug)]
pub struct RemoteOptions {
    /// The simple index (PEP 691 JSON), ending in `/`.
    pub index_url: String,
    /// Every binary wheel of the release, not only abi3/abi3t ones.
    pub all_wheels: bool,
    /// Parallel fetches (wheels and members together).
    pub jobs: usize,
    /// Largest project page, in bytes.
    pub max_index_bytes: u64,
    /// Most files a project page may list.
    pub max_index_files: usize,
    pub http: http::HttpOptions,
}

impl Default for RemoteOptions {
    fn default() -> Self {
        RemoteOptions {
            index_url: DEFAULT_INDEX.to_owned(),
            all_wheels: false,
            jobs: 8,
            max_index_bytes: 64 * 1024 * 1024,
            max_index_files: 200_000,
            http: http::HttpOptions::default(),
        }
    }
}

pub use crate::report::extra::RemoteInfo;

pub use crate::inputs::RemoteWheel;

/// One run's remote context: the client and the options.
#[derive(Debug)]
pub struct Remote {
    client: Arc<http::Client>,
    options: RemoteOptions,
    pool: Option<rayon::ThreadPool>,
}

impl Remote {
    pub fn new(options: RemoteOptions) -> Remote {
        let mut options = options;
        options.jobs = options.jobs.clamp(1, budget::MAX_JOBS);
        let mut http = options.http.clone();
        http.connections = options.jobs;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(options.jobs)
            .thread_name(|i| format!("cargo-abi3-fetch-{i}"))
            .build()
            .ok();
        Remote {
            client: Arc::new(http::Client::new(http)),
            options,
            pool,
        }
    }

    /// Runs `f` on the fetch pool (as many threads as parallel fetches).
    pub fn install<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        match &self.pool {
            Some(pool) => pool.install(f),
            None => f(),
        }
    }

    /// Resolves every `pypi:` argument (in parallel), each to its wheels or to the finding
    /// that says why not.
    pub fn resolve_all(&self, specs: &[String]) -> HashMap<String, Vec<Input>> {
        self.install(|| {
            specs
                .par_iter()
                .map(|arg| (arg.clone(), self.resolve(arg)))
                .collect()
        })
    }

    fn resolve(&self, arg: &str) -> Vec<Input> {
        let problem = |code: Code, message: String, help: &str| {
            vec![Input::Problem {
                path: PathBuf::from(arg),
                finding: Box::new(Finding::new(code, message).help(help.to_owned())),
            }]
        };
        let spec = match Spec::parse(arg) {
            Some(Ok(spec)) => spec,
            Some(Err(message)) => {
                return problem(
                    Code::NothingToAudit,
                    message,
                    "write `pypi:NAME` for the latest release or `pypi:NAME==VERSION`",
                );
            }
            None => return Vec::new(),
        };
        let mut index = self.options.index_url.clone();
        if !index.ends_with('/') {
            index.push('/');
        }
        let url = format!("{index}{}/", spec.normalized());
        let page = match self.fetch_page(&url) {
            Ok(page) => page,
            Err(RemoteError::NotFound { url, status }) => {
                return problem(
                    Code::NothingToAudit,
                    format!(
                        "no project `{}` on the index: {url} answered HTTP {status}",
                        spec.name
                    ),
                    "check the project name, or the index with `--index-url`",
                );
            }
            Err(e @ RemoteError::TooLarge { .. }) => {
                return problem(
                    Code::InputLimitExceeded,
                    format!("cannot resolve `{arg}`: {e}"),
                    "if the index is trusted, raise the limit with `--max-index-size MIB`",
                );
            }
            Err(e) => {
                return problem(
                    Code::UnreadableInput,
                    format!("cannot resolve `{arg}`: {e}"),
                    "check the network, proxy (HTTPS_PROXY) and certificates (SSL_CERT_FILE), or the index with `--index-url`",
                );
            }
        };
        let (page_url, page) = page;
        let mut open = || {
            use std::io::Seek;
            let mut file = page.try_clone()?;
            file.seek(std::io::SeekFrom::Start(0))?;
            Ok(file)
        };
        let chosen = index::choose(
            &mut open,
            &page_url,
            &spec,
            self.options.all_wheels,
            self.options.max_index_files,
        );
        let release = match chosen {
            Ok(release) => release,
            Err(index::Choice::NotJson(reason)) => {
                return problem(
                    Code::UnreadableInput,
                    format!(
                        "cannot resolve `{arg}`: {}",
                        RemoteError::BadIndex {
                            url: page_url,
                            reason
                        }
                    ),
                    "check the index with `--index-url`: it must serve PEP 691 JSON",
                );
            }
            Err(index::Choice::Io(reason)) => {
                return problem(
                    Code::UnreadableInput,
                    format!("cannot resolve `{arg}`: {page_url}: {reason}"),
                    "check the space for temporary files (TMPDIR), then run again",
                );
            }
            Err(index::Choice::OverLimit { what, limit, unit }) => {
                return problem(
                    Code::InputLimitExceeded,
                    format!(
                        "cannot resolve `{arg}`: {page_url}: {what} is over the limit of {limit} {unit}"
                    ),
                    "the index sent a page over limits no real project reaches; check the index with `--index-url`",
                );
            }
            Err(index::Choice::NoSuchVersion { available }) => {
                return problem(
                    Code::NothingToAudit,
                    format!(
                        "`{}` has no release {} on {url}; the latest are: {}",
                        spec.name,
                        spec.version.as_deref().unwrap_or_default(),
                        if available.is_empty() {
                            "none".to_owned()
                        } else {
                            available.join(", ")
                        }
                    ),
                    "check the version, or leave it out for the latest release",
                );
            }
            Err(index::Choice::NoReleases) => {
                return problem(
                    Code::NothingToAudit,
                    format!(
                        "`{}` has no release with a file that is not yanked on {url}",
                        spec.name
                    ),
                    "pin a release with `pypi:NAME==VERSION` to audit a yanked one",
                );
            }
        };
        if release.wheels.is_empty() {
            return problem(
                Code::NothingToAudit,
                format!(
                    "`{}` {} has no {} on {url}{}",
                    release.project,
                    release.version,
                    if self.options.all_wheels {
                        "binary wheels"
                    } else {
                        "abi3 or abi3t wheels"
                    },
                    if release.skipped > 0 {
                        format!(" ({} other binary wheels)", release.skipped)
                    } else {
                        String::new()
                    }
                ),
                "pass `--all-wheels` to audit every binary wheel of the release",
            );
        }
        release
            .wheels
            .into_iter()
            .map(|w| {
                Input::Remote(Box::new(RemoteWheel {
                    display: PathBuf::from(format!(
                        "pypi:{}=={}/{}",
                        release.project, release.version, w.filename
                    )),
                    project: release.project.clone(),
                    version: release.version.clone(),
                    url: w.url,
                    sha256: w.sha256,
                    size: w.size,
                    yanked: release.yanked.clone().or(w.yanked),
                }))
            })
            .collect()
    }

    /// Fetches a project page, within the index's size limit, into a temporary file.
    fn fetch_page(&self, url: &str) -> Result<(String, std::fs::File), RemoteError> {
        let accept = "application/vnd.pypi.simple.v1+json";
        self.client.get_to_file(
            url,
            &[("Accept", accept)],
            self.options.max_index_bytes,
            "the project page",
        )
    }

    /// Audits one remote wheel: ranges when the server honours them, else the whole file.
    pub fn audit_wheel(&self, wheel: &RemoteWheel, options: &AuditOptions) -> InputReport {
        let display = wheel.display.to_string_lossy().into_owned();
        let path = wheel.display.as_path();
        let mut info = RemoteInfo {
            url: wheel.url.clone(),
            project: wheel.project.clone(),
            version: wheel.version.clone(),
            size: wheel.size,
            fetched: 0,
            requests: 0,
            ranged: true,
            yanked: wheel.yanked.clone(),
        };
        let limits = &options.limits;
        let opened = source::RemoteFile::open(
            Arc::clone(&self.client),
            &wheel.url,
            wheel.size,
            wheel.sha256.as_deref(),
            limits.max_total_bytes,
        );
        let mut report = match opened {
            Err(e) => {
                let mut report =
                    crate::audit::wheel_report_header(display.clone(), &file_name(&display));
                report.findings.push(
                    Finding::new(
                        Code::UnreadableInput,
                        format!("cannot fetch `{display}`: {e}"),
                    )
                    .help("check the network, proxy and index; run again to retry"),
                );
                report
            }
            Ok((source::Opened::Whole { file, size }, _)) => {
                info.ranged = false;
                info.size = Some(size);
                info.fetched = size;
                info.requests = 1;
                let open = || {
                    let file = file.try_clone().map_err(|e| {
                        Box::new(Finding::new(
                            Code::UnreadableInput,
                            format!("cannot read the download of `{display}`: {e}"),
                        ))
                    })?;
                    let source = Box::new(std::io::BufReader::new(file));
                    WheelArchive::from_source(path, source, limits)
                        .map_err(|e| Box::new(load::wheel_error(&format!("`{display}`"), &e)))
                };
                let serially =
                    |archive: &mut WheelArchive,
                     members: Vec<Member>,
                     judge: &crate::audit::JudgeMember<'_>| {
                        members
                            .into_iter()
                            .map(|member| {
                                let read = || {
                                    let _permit = budget::Budget::members()
                                        .acquire(member.size.min(crate::binary::MAX_HELD));
                                    let loaded = load::load_member(archive, &member);
                                    judge(member, loaded)
                                };
                                budget::read_pool(read)
                            })
                            .collect::<Vec<crate::audit::ReadMember>>()
                    };
                crate::audit::audit_wheel_with(display.clone(), &open, &serially, options)
            }
            Ok((source::Opened::Ranged(file), size)) => {
                info.size = Some(size);
                let report = match file.prepare(limits.max_members) {
                    Err(e) => {
                        let mut report = crate::audit::wheel_report_header(
                            display.clone(),
                            &file_name(&display),
                        );
                        report.findings.push(
                            Finding::new(
                                Code::UnreadableInput,
                                format!(
                                    "cannot audit `{display}`: cannot read its zip directory: {e}"
                                ),
                            )
                            .help("the wheel is damaged, or the server sent something else: check the URL, run again to retry"),
                        );
                        report
                    }
                    Ok(()) => {
                        let open = || {
                            WheelArchive::from_source(path, Box::new(file.cursor()), limits)
                                .map_err(|e| {
                                    Box::new(load::wheel_error(&format!("`{display}`"), &e))
                                })
                        };
                        let parallel =
                            |_: &mut WheelArchive,
                             members: Vec<Member>,
                             judge: &crate::audit::JudgeMember<'_>| {
                                members
                                    .into_par_iter()
                                    .map(|member| {
                                        let size = member.size;
                                        let read = || {
                                            // The most this read can hold: see [`budget`]. The
                                            // member is judged under the permit too, so its model
                                            // is gone when the permit is.
                                            let _permit = budget::Budget::members().acquire(
                                                member.size.min(crate::binary::MAX_HELD)
                                                    + source::MAX_WINDOW
                                                    + 2 * file.tail_len(),
                                            );
                                            let loaded = open().and_then(|mut archive| {
                                                load::load_member(&mut archive, &member)
                                            });
                                            judge(member, loaded)
                                        };
                                        budget::read_member(size, read)
                                    })
                                    .collect::<Vec<crate::audit::ReadMember>>()
                            };
                        crate::audit::audit_wheel_with(display.clone(), &open, &parallel, options)
                    }
                };
                (info.fetched, info.requests) = file.fetched();
                info.ranged = file.ranged();
                report
            }
        };
        report.remote = Some(info);
        report
    }
}

impl crate::audit::RemoteInputs for Remote {
    fn claims(&self, arg: &str) -> bool {
        arg.starts_with(Spec::PREFIX)
    }

    fn resolve_all(&self, args: &[String]) -> HashMap<String, Vec<Input>> {
        Remote::resolve_all(self, args)
    }

    fn install(&self, f: &mut (dyn FnMut() + Send)) {
        Remote::install(self, f)
    }

    fn audit_wheel(&self, wheel: &RemoteWheel, options: &AuditOptions) -> InputReport {
        Remote::audit_wheel(self, wheel, options)
    }
}

fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
