//! Command-line interface: argument parsing and dispatch. `main.rs` only maps the outcome to
//! an exit code.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};

use anyhow::Context as _;
use cargo_abi3_build_hook::{Code, Family, PyVersion};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::audit::{self, AuditOptions};
use crate::finding::Finding;
use crate::policy::Override;
use crate::report::human::{HumanOptions, escape};
use crate::report::{self, InputKind, InputReport};

/// Verify that Python abi3/abi3t extensions keep the promise of their wheel tag.
#[derive(Debug, Parser)]
#[command(name = "cargo-abi3", bin_name = "cargo abi3", version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The exit codes, shown by every command's `--help`.
const EXIT_CODES: &str = "Exit codes:
  0  clean: no error-level findings (warnings, notes and allowed findings may be present)
  1  at least one error-level finding
  2  the tool could not do its job: an input could not be analysed, bad arguments or
     policy file, nothing to audit";

const AUDIT_HELP: &str = "Examples:
  cargo abi3 audit dist/*.whl                      audit every wheel of a release
  cargo abi3 audit --format github dist            annotate a pull request (GitHub Actions)
  cargo abi3 audit --format sarif dist > x.sarif   for github/codeql-action/upload-sarif
  cargo abi3 audit --assume-minimum 3.9 target/release/libmod.so
  cargo abi3 audit --config ci/cargo-abi3.toml dist/*.whl
  cargo-abi3 audit {abi3_wheel}                    as cibuildwheel's audit-command

";

const CHECK_HELP: &str = "Examples:
  cargo abi3 check                                 build the crate, check every cdylib
  cargo abi3 check -p my-ext --release --format github
  cargo abi3 check --no-build                      re-check the last build's artifacts
  cargo abi3 check -v                              info findings, and cargo's -v for the build
  PYO3_PYTHON=python3.9 cargo abi3 check           maturin's conditional features for 3.9

";

const HOST_HELP: &str = "Examples:
  cargo abi3 host /usr/bin/uwsgi-core --with dist/*.whl
  cargo abi3 host --sysroot /srv/image usr/bin/python3.12

";

const INFO_HELP: &str = "Examples:
  cargo abi3 list --format json
  cargo abi3 explain newer-than-floor

Exit codes: 0, or 2 for an unknown code or bad arguments.";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit wheels and binaries against CPython's stable-ABI manifest and link hygiene rules.
    #[command(after_help = with_exit_codes(AUDIT_HELP))]
    Audit(AuditArgs),
    /// Which libraries an interpreter or embedding program forces on every extension, and
    /// where they collide with a wheel's own.
    #[command(after_help = with_exit_codes(HOST_HELP))]
    Host(HostArgs),
    /// Build the crate with cargo and check every cdylib against what the crate declares.
    #[command(after_help = with_exit_codes(CHECK_HELP))]
    Check(CheckArgs),
    /// Show why a code matters and how to fix it.
    #[command(after_help = INFO_HELP)]
    Explain {
        /// A code such as `newer-than-floor`.
        code: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: InfoFormat,
    },
    /// List every code with its default severity.
    #[command(after_help = INFO_HELP)]
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: InfoFormat,
    },
}

/// A command's examples followed by the exit codes.
fn with_exit_codes(examples: &'static str) -> String {
    format!("{examples}{EXIT_CODES}")
}

/// Output of `list` and `explain`.
#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum InfoFormat {
    #[default]
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum OutputFormat {
    /// rustc-style diagnostics.
    #[default]
    Human,
    /// The versioned JSON report (`cargo-abi3/report.schema.json`).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning (`github/codeql-action/upload-sarif`).
    Sarif,
    /// GitHub Actions workflow commands: findings annotate the pull request.
    Github,
}

#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
    /// Colour human output. With `auto`: NO_COLOR, CARGO_TERM_COLOR, CLICOLOR_FORCE,
    /// FORCE_COLOR, TERM=dumb and CLICOLOR=0 are honoured, else colour on a terminal.
    #[arg(long, value_enum, default_value_t)]
    pub color: ColorChoice,
    /// Also show info-level findings (the computed floor when it differs from the claim).
    /// In `check`, also cargo's verbosity for the build and `cargo metadata`: `-v` prints the
    /// `rustc` command lines and fresh units, `-vv` also build scripts' output.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Treat CODE as an error (repeatable).
    #[arg(long, value_name = "CODE")]
    pub deny: Vec<String>,
    /// Treat CODE as a warning (repeatable).
    #[arg(long, value_name = "CODE")]
    pub warn: Vec<String>,
    /// Do not report CODE (repeatable; input errors cannot be allowed).
    #[arg(long, value_name = "CODE")]
    pub allow: Vec<String>,
    /// The policy file (severities, `[[allow-finding]]` entries with reasons). Without it:
    /// `cargo-abi3.toml` in the current directory or the crate/workspace root, else
    /// `[tool.cargo-abi3]` in pyproject.toml, else `[package.metadata.cargo-abi3]` or
    /// `[workspace.metadata.cargo-abi3]` in Cargo.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
}

impl OutputArgs {
    /// The policy for a run in `crate_dir` (if any), or the report of why it cannot be used.
    fn policy(
        &self,
        crate_dir: Option<&std::path::Path>,
    ) -> Result<Option<crate::policy::Policy>, Box<report::Report>> {
        crate::policy::load(self.config.as_deref(), crate_dir).map_err(|finding| {
            let fallback = self
                .config
                .clone()
                .unwrap_or_else(|| crate::policy::DEFAULT_FILE.into());
            Box::new(crate::policy::error_report(*finding, &fallback))
        })
    }

    /// The policy's severities, then the command line's (the last word wins).
    fn overrides_with(
        &self,
        policy: Option<&crate::policy::Policy>,
    ) -> anyhow::Result<Vec<Override>> {
        let mut all = policy.map(crate::policy::overrides).unwrap_or_default();
        all.extend(overrides(self)?);
        Ok(all)
    }
}

/// What cargo-abi3 reads from untrusted wheels and binaries at most (`audit`, `host --with`).
#[derive(Debug, Args)]
pub struct LimitArgs {
    /// Largest binary or wheel member to inflate, in MiB [default: 2048].
    #[arg(long, value_name = "MIB")]
    pub max_member_size: Option<u64>,
    /// Most bytes inflated from one wheel, declared and actually read, in MiB [default: 16384].
    #[arg(long, value_name = "MIB")]
    pub max_total_size: Option<u64>,
    /// Most entries a wheel's zip directory may list [default: 100000].
    #[arg(long, value_name = "N")]
    pub max_members: Option<u64>,
    /// Highest inflated:compressed ratio of a wheel member over 1 MiB [default: 1000].
    #[arg(long, value_name = "N")]
    pub max_compression_ratio: Option<u64>,
    /// Largest `WHEEL` or `METADATA` file, in MiB [default: 1].
    #[arg(long, value_name = "MIB")]
    pub max_metadata_size: Option<u64>,
}

impl LimitArgs {
    /// The [`Limits`](crate::wheel::Limits): the defaults, with what was given.
    pub fn limits(&self) -> crate::wheel::Limits {
        const MIB: u64 = 1024 * 1024;
        let mut limits = crate::wheel::Limits::default();
        if let Some(mib) = self.max_member_size {
            limits.max_member_bytes = mib.saturating_mul(MIB);
        }
        if let Some(mib) = self.max_total_size {
            limits.max_total_bytes = mib.saturating_mul(MIB);
        }
        if let Some(n) = self.max_members {
            limits.max_members = n;
        }
        if let Some(n) = self.max_compression_ratio {
            limits.max_compression_ratio = n;
        }
        if let Some(mib) = self.max_metadata_size {
            limits.max_metadata_bytes = mib.saturating_mul(MIB);
        }
        limits
    }
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Wheels, binaries, directories (searched recursively), globs, or `pypi:NAME` /
    /// `pypi:NAME==VERSION` (the release's abi3 and abi3t wheels, read through HTTP ranges).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<std::ffi::OsString>,
    /// The simple index (PEP 691 JSON) `pypi:` names are resolved on.
    #[arg(long, value_name = "URL", default_value = crate::remote::DEFAULT_INDEX)]
    pub index_url: String,
    /// Audit every binary wheel of a `pypi:` release, not only the abi3 and abi3t ones.
    #[arg(long)]
    pub all_wheels: bool,
    /// Print one row per `pypi:` release (platforms and verdicts) instead of the report.
    #[arg(long, value_enum, value_name = "FORMAT", conflicts_with = "format")]
    pub summary: Option<crate::report::release_table::SummaryFormat>,
    /// Parallel fetches for `pypi:` inputs (wheels and members together), at most 16. Member
    /// reads share one byte budget and run at most eight at a time, whatever this is.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub jobs: usize,
    /// Largest project page the index may send, in MiB [default: 64].
    #[arg(long, value_name = "MIB")]
    pub max_index_size: Option<u64>,
    /// Seconds to wait to connect, for a response, and between bytes of one [default: 30].
    #[arg(long, value_name = "SECS")]
    pub http_timeout: Option<u64>,
    /// Retries of a request that failed with 429, 5xx, a transport error or a short body.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub http_retries: u32,
    /// The lowest Python version loose binaries must load on (e.g. 3.9).
    #[arg(long, value_name = "3.X")]
    pub assume_minimum: Option<PyVersion>,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Do not report exports matching PATTERN (`*` and `?` wildcards, as in the policy file)
    /// in extra-exports; `=REASON` documents why (repeatable), e.g.
    /// `--allow-export 'foo_*=C API for plugins'`.
    #[arg(long, value_name = "PATTERN[=REASON]")]
    pub allow_export: Vec<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct HostArgs {
    /// The interpreter, embedding program or library whose global scope to simulate.
    #[arg(value_name = "EXECUTABLE_OR_LIBRARY")]
    pub host: std::path::PathBuf,
    /// Wheels or binaries to check against the host's global symbols.
    #[arg(long, value_name = "WHEEL_OR_BINARY", num_args = 1..)]
    pub with: Vec<std::ffi::OsString>,
    /// Resolve libraries under this root (its ld.so.cache, ld.so.conf and default paths).
    #[arg(long, value_name = "DIR")]
    pub sysroot: Option<std::path::PathBuf>,
    /// Names listed per host library in a finding.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub max_names: usize,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Package(s) to check (`cargo build -p`).
    #[arg(short, long = "package", value_name = "SPEC")]
    pub packages: Vec<String>,
    /// Build with the release profile.
    #[arg(long)]
    pub release: bool,
    /// Crate features to enable (comma- or space-separated, repeatable).
    #[arg(short = 'F', long, value_name = "FEATURES")]
    pub features: Vec<String>,
    /// Enable all crate features.
    #[arg(long)]
    pub all_features: bool,
    /// Do not enable the `default` feature.
    #[arg(long)]
    pub no_default_features: bool,
    /// Build for the target triple.
    #[arg(long, value_name = "TRIPLE")]
    pub target: Option<String>,
    /// Path to Cargo.toml.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<std::path::PathBuf>,
    /// Check the artifacts of the last `cargo abi3 check` build instead of building.
    #[arg(long)]
    pub no_build: bool,
    #[command(flatten)]
    pub cargo: CargoFlags,
    /// setuptools-rust projects: bdist_wheel's `--py-limited-api=cpXY` given to the real build
    /// on the command line (it overrides setup.cfg and `[tool.distutils.bdist_wheel]`).
    #[arg(long, value_name = "cpXY", value_parser = parse_cp_tag)]
    pub py_limited_api: Option<cargo_abi3_build_hook::PyVersion>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Extra arguments for `cargo build`.
    #[arg(last = true, value_name = "CARGO_ARGS")]
    pub cargo_args: Vec<std::ffi::OsString>,
}

/// Cargo's own flags, passed to `cargo metadata` and `cargo build` alike (one package
/// selection for both). Cargo's `-v`/`-vv` is [`OutputArgs::verbose`]: one flag for "more
/// output", info findings and a verbose build alike.
#[derive(Debug, Args, Default)]
pub struct CargoFlags {
    /// Check every workspace member (`cargo build --workspace`).
    #[arg(long)]
    pub workspace: bool,
    /// With --workspace: leave out this package (repeatable).
    #[arg(long, value_name = "SPEC", requires = "workspace")]
    pub exclude: Vec<String>,
    /// Build with this profile (`cargo build --profile`).
    #[arg(long, value_name = "NAME", conflicts_with = "release")]
    pub profile: Option<String>,
    /// Require Cargo.lock to be up to date.
    #[arg(long)]
    pub locked: bool,
    /// Run without accessing the network.
    #[arg(long)]
    pub offline: bool,
    /// Both --locked and --offline.
    #[arg(long)]
    pub frozen: bool,
    /// Parallel jobs for the build.
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<String>,
    /// Where cargo writes artifacts (as `CARGO_TARGET_DIR`).
    #[arg(long, value_name = "DIR")]
    pub target_dir: Option<std::path::PathBuf>,
    /// Quieter build output (`cargo build -q`); wins over `-v` for cargo.
    #[arg(short, long)]
    pub quiet: bool,
}

fn parse_cp_tag(text: &str) -> Result<cargo_abi3_build_hook::PyVersion, String> {
    cargo_abi3_build_hook::tag::CpTag::interpreter(text)
        .ok_or_else(|| format!("`{text}` is not a CPython tag such as cp39"))
}

/// The process's arguments, accepting both `cargo abi3 …` and `cargo-abi3 …`.
pub fn args() -> Vec<OsString> {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    // Cargo runs `cargo-abi3 abi3 …` for `cargo abi3 …`.
    if args.get(1).is_some_and(|a| a == "abi3") {
        args.remove(1);
    }
    args
}

/// Parses the arguments, accepting both `cargo abi3 …` and `cargo-abi3 …`.
pub fn parse() -> Cli {
    Cli::parse_from(args())
}

/// Whether the command line asks for JSON: the last `--format json` or `--format=json`
/// before any `--`. Read before parsing, so that a usage error is a JSON report too.
pub fn wants_json(args: &[OsString]) -> bool {
    requested_format(args) == OutputFormat::Json
}

/// The machine-readable format the command line asks for (the last `--format X` or
/// `--format=X` before any `--`), [`OutputFormat::Human`] if none or an unknown one. Read
/// before parsing, so that a usage error is a report in that format too.
pub fn requested_format(args: &[OsString]) -> OutputFormat {
    let mut format = OutputFormat::Human;
    let mut iter = args.iter().skip(1);
    let parse = |v: Option<&str>| {
        v.and_then(|v| OutputFormat::from_str(v, false).ok())
            .unwrap_or(OutputFormat::Human)
    };
    while let Some(arg) = iter.next() {
        if arg == "--" {
            break;
        }
        if arg == "--format" {
            format = parse(iter.next().and_then(|v| v.to_str()));
        } else if let Some(value) = arg.to_str().and_then(|a| a.strip_prefix("--format=")) {
            format = parse(Some(value));
        }
    }
    format
}

/// The whole program: parses, runs and returns the exit code. Every way out prints
/// something: a report on success, an error on stderr otherwise, and with `--format json`
/// also a JSON report on stdout whose input-family finding (exit 2) says what went wrong,
/// usage errors included. `--help` and `--version` print what they always print.
pub fn main() -> u8 {
    let args = args();
    let format = requested_format(&args);
    let json = format != OutputFormat::Human;
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error, format),
    };
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", escape(&format!("{error:#}")));
            let stdout_failed = error.chain().any(|e| e.is::<std::io::Error>());
            if json && !stdout_failed {
                let finding = Finding::new(
                    Code::UnreadableInput,
                    format!("cannot run: {error:#}"),
                )
                .help("check the arguments (`--deny`, `--warn` and `--allow` take the codes `cargo abi3 list` prints)");
                let _ = write_stdout(&failure_report(
                    COMMAND_LINE,
                    InputKind::Path,
                    finding,
                    format,
                ));
            }
            2
        }
    }
}

/// The input a report about the command line itself names.
const COMMAND_LINE: &str = "(command line)";

/// A report of one input holding one finding, in a machine-readable `format`.
fn failure_report(path: &str, kind: InputKind, finding: Finding, format: OutputFormat) -> String {
    let mut input = InputReport::new(path.to_owned(), kind);
    input.findings.push(finding);
    render_report(
        &report::Report {
            inputs: vec![input],
        },
        format,
        false,
    )
}

/// A report in a machine-readable format (`Human` renders as JSON: callers only ask for the
/// machine formats).
fn render_report(report: &report::Report, format: OutputFormat, verbose: bool) -> String {
    report::stream::render_to_string(machine_render(format, verbose), report)
}

/// The streamed renderer of a machine-readable format (`Human` gives JSON).
fn machine_render(format: OutputFormat, verbose: bool) -> Box<dyn report::stream::Render> {
    match format {
        OutputFormat::Sarif => Box::new(report::sarif::SarifRender::new(
            report::sarif::SarifOptions { verbose },
        )),
        OutputFormat::Github => Box::new(report::github::GithubRender { verbose }),
        OutputFormat::Json | OutputFormat::Human => Box::new(report::json::JsonRender::default()),
    }
}

/// The streamed renderer `output` asks for (`audit` and `check`).
fn render_for(output: &OutputArgs) -> Box<dyn report::stream::Render> {
    match output.format {
        OutputFormat::Human => Box::new(report::human::HumanRender::new(HumanOptions {
            color: use_color(output.color),
            verbose: output.verbose > 0,
        })),
        format => machine_render(format, output.verbose > 0),
    }
}

/// Standard output for a [`report::stream::Stream`] (which flushes after each group).
fn stdout_stream(render: Box<dyn report::stream::Render>) -> report::stream::Stream<'static> {
    report::stream::Stream::new(render, Box::new(std::io::stdout()))
}

/// clap's error (or help) as clap prints it; with a machine-readable `--format`, an error is
/// also a report in that format.
fn usage_error(error: &clap::Error, format: OutputFormat) -> u8 {
    use clap::error::ErrorKind;
    let _ = error.print();
    let code = u8::try_from(error.exit_code()).unwrap_or(2);
    if format != OutputFormat::Human
        && !matches!(
            error.kind(),
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
        )
    {
        let text = error.render().to_string();
        let mut lines = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("For more information"));
        let first = lines.next().unwrap_or("invalid arguments");
        let mut finding = Finding::new(
            Code::UnreadableInput,
            format!(
                "invalid command line: {}",
                first.strip_prefix("error: ").unwrap_or(first)
            ),
        )
        .help("check the arguments: `cargo abi3 help` lists the commands, `cargo abi3 COMMAND --help` their options");
        for line in lines {
            finding = finding.note(line);
        }
        let _ = write_stdout(&failure_report(
            COMMAND_LINE,
            InputKind::Path,
            finding,
            format,
        ));
        return 2;
    }
    code
}

/// Runs a command and returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Audit(args) => run_audit(args),
        Command::Host(args) => run_host(args),
        Command::Check(args) => run_check(args),
        Command::Explain {
            code,
            format: InfoFormat::Json,
        } => {
            let code: Code = code.parse()?;
            write_stdout(&(code_json(code, true).to_string() + "\n"))?;
            Ok(0)
        }
        Command::List {
            format: InfoFormat::Json,
        } => {
            let codes: Vec<serde_json::Value> =
                Code::ALL.iter().map(|&c| code_json(c, false)).collect();
            let doc = serde_json::json!({
                "version": 1,
                "tool": concat!("cargo-abi3 ", env!("CARGO_PKG_VERSION")),
                "codes": codes,
            });
            write_stdout(&(serde_json::to_string_pretty(&doc)? + "\n"))?;
            Ok(0)
        }
        Command::Explain { code, .. } => {
            let code: Code = code.parse()?;
            let text = format!(
                "{}[{}]: {}\n\nfamily: {}; default severity: {}\n\n{}\n",
                code.default_severity(),
                code.name(),
                code.summary(),
                code.family().title(),
                code.default_severity(),
                code.explain()
            );
            write_stdout(&text)?;
            Ok(0)
        }
        Command::List { .. } => {
            write_stdout(&list_codes())?;
            Ok(0)
        }
    }
}

/// A code as `list --format json` / `explain --format json` print it.
fn code_json(code: Code, explain: bool) -> serde_json::Value {
    let mut value = serde_json::json!({
        "code": code.name(),
        "family": code.family().title(),
        "default_severity": code.default_severity().to_string(),
        "summary": code.summary(),
    });
    if explain {
        value["explain"] = serde_json::Value::from(code.explain());
    }
    value
}

fn list_codes() -> String {
    let mut out = String::new();
    let mut family: Option<Family> = None;
    for &code in Code::ALL {
        if family != Some(code.family()) {
            family = Some(code.family());
            out.push_str(&format!("\n{}:\n", code.family().title()));
        }
        out.push_str(&format!(
            "  {:<32} {:<8} {}\n",
            code.name(),
            code.default_severity(),
            code.summary()
        ));
    }
    out.push_str("\nRun `cargo abi3 explain CODE` for why and how to fix.\n");
    out.trim_start().to_owned()
}

fn overrides(output: &OutputArgs) -> anyhow::Result<Vec<Override>> {
    let mut all = Vec::new();
    for (names, make) in [
        (&output.deny, Override::Deny as fn(Code) -> Override),
        (&output.warn, Override::Warn),
        (&output.allow, Override::Allow),
    ] {
        for name in names {
            all.push(make(name.parse::<Code>()?));
        }
    }
    Ok(all)
}

fn use_color(choice: ColorChoice) -> bool {
    color_from(
        choice,
        &|k| std::env::var(k).ok(),
        std::io::stdout().is_terminal(),
    )
}

/// Whether to colour: `--color always|never` decides; with `auto` (the default), in this
/// order: `NO_COLOR` (set and not empty) turns it off; `CARGO_TERM_COLOR=always|never`;
/// `CLICOLOR_FORCE` (set, not `0`) and `FORCE_COLOR` (set and not empty) turn it on;
/// `TERM=dumb` and `CLICOLOR=0` turn it off; else colour when stdout is a terminal.
pub fn color_from(
    choice: ColorChoice,
    get: &dyn Fn(&str) -> Option<String>,
    is_terminal: bool,
) -> bool {
    match choice {
        ColorChoice::Always => return true,
        ColorChoice::Never => return false,
        ColorChoice::Auto => {}
    }
    let set = |k: &str| get(k).filter(|v| !v.is_empty());
    if set("NO_COLOR").is_some() {
        return false;
    }
    match set("CARGO_TERM_COLOR").as_deref() {
        Some("always") => return true,
        Some("never") => return false,
        _ => {}
    }
    if set("CLICOLOR_FORCE").is_some_and(|v| v != "0") || set("FORCE_COLOR").is_some() {
        return true;
    }
    if set("TERM").as_deref() == Some("dumb") || set("CLICOLOR").as_deref() == Some("0") {
        return false;
    }
    is_terminal
}

/// A policy that cannot be used: its report, exit 2.
fn policy_failure(report: &report::Report, output: &OutputArgs) -> anyhow::Result<u8> {
    emit(report, output)?;
    Ok(2)
}

fn run_audit(args: AuditArgs) -> anyhow::Result<u8> {
    let policy = match args.output.policy(None) {
        Ok(policy) => policy,
        Err(report) => return policy_failure(&report, &args.output),
    };
    let mut allowed_exports: Vec<_> = args
        .allow_export
        .iter()
        .map(|a| crate::rules::ExportAllow::parse(a))
        .collect();
    if let Some(policy) = &policy {
        allowed_exports.extend(crate::policy::export_allows(policy));
    }
    let mut options = AuditOptions {
        assume_minimum: args.assume_minimum,
        limits: args.limits.limits(),
        overrides: args.output.overrides_with(policy.as_ref())?,
        allowed_exports,
        ..AuditOptions::default()
    };
    // Off the hot path unless asked for: this run's own counters (`2`: a line per member too).
    if let Some(v) = std::env::var_os("CARGO_ABI3_READ_STATS") {
        options.limits.read_stats = crate::load::ReadStats::on(v == "2");
    }
    const MIB: u64 = 1024 * 1024;
    let mut remote = crate::remote::RemoteOptions {
        index_url: args.index_url,
        all_wheels: args.all_wheels,
        jobs: args.jobs.clamp(1, 64),
        ..Default::default()
    };
    if let Some(mib) = args.max_index_size {
        remote.max_index_bytes = mib.saturating_mul(MIB);
    }
    if let Some(secs) = args.http_timeout {
        remote.http.timeout = std::time::Duration::from_secs(secs.max(1));
    }
    remote.http.retries = args.http_retries.min(20);
    // The fetch pool and client only when there is something to fetch.
    let specs = args.paths.iter().filter_map(|p| p.to_str());
    if specs
        .into_iter()
        .any(|p| p.starts_with(crate::remote::Spec::PREFIX))
    {
        options.remote = Some(std::sync::Arc::new(crate::remote::Remote::new(remote)));
    }
    let bar = progress_bar();
    // Streamed: each group (a release's wheels, a loose file) is rendered as soon as it is
    // done and dropped; only the counters are kept across groups.
    let mut stream = stdout_stream(match args.summary {
        Some(format) => Box::new(crate::report::release_table::SummaryRender::new(format)),
        None => render_for(&args.output),
    });
    let mut applier = policy
        .as_ref()
        .map(|p| crate::policy::Applier::new(p, crate::policy::Command::Audit, &options.overrides));
    audit::audit_streaming(
        &args.paths,
        &options,
        &|done, total| {
            if let Some(bar) = &bar {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            }
        },
        &mut |mut group| {
            if let Some(applier) = &mut applier {
                applier.group(&mut group);
            }
            match &bar {
                Some(bar) => bar.suspend(|| stream.push(&group)),
                None => stream.push(&group),
            }
        },
    );
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if let Some(counters) = &options.limits.read_stats.0 {
        eprintln!("{}", counters.summary());
    }
    if let Some(config) = applier.and_then(crate::policy::Applier::finish) {
        stream.push(&[config]);
    }
    let summary = stream.finish().context("writing to stdout")?;
    Ok(summary.exit_code())
}

/// A progress bar on stderr when it is a terminal; nothing when piped or in CI logs.
fn progress_bar() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} auditing {pos}/{len} inputs {wide_bar} {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    // Short runs finish before the first draw: no flicker for a single wheel.
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(bar)
}

fn run_host(args: HostArgs) -> anyhow::Result<u8> {
    let policy = match args.output.policy(None) {
        Ok(policy) => policy,
        Err(report) => return policy_failure(&report, &args.output),
    };
    let options = crate::host::HostOptions {
        sysroot: args.sysroot,
        with: args.with,
        ld_library_path: std::env::var("LD_LIBRARY_PATH").ok(),
        max_names: args.max_names.max(1),
        overrides: args.output.overrides_with(policy.as_ref())?,
        limits: args.limits.limits(),
    };
    let mut report = crate::host::host(&args.host, &options);
    if let Some(policy) = &policy {
        crate::policy::apply(
            &mut report,
            policy,
            crate::policy::Command::Host,
            &options.overrides,
        );
    }
    let text = match args.output.format {
        OutputFormat::Human => crate::host::render::render(
            &report,
            HumanOptions {
                color: use_color(args.output.color),
                verbose: args.output.verbose > 0,
            },
        ),
        format => render_report(&report, format, args.output.verbose > 0),
    };
    write_stdout(&text)?;
    Ok(report.exit_code())
}

fn run_check(args: CheckArgs) -> anyhow::Result<u8> {
    // The policy of the crate checked: around its manifest, else the working directory.
    let crate_dir = args
        .manifest_path
        .as_deref()
        .and_then(std::path::Path::parent)
        .filter(|d| !d.as_os_str().is_empty())
        .map(std::path::Path::to_path_buf);
    let policy = match args.output.policy(crate_dir.as_deref()) {
        Ok(policy) => policy,
        Err(report) => return policy_failure(&report, &args.output),
    };
    let options = crate::check::CheckOptions {
        packages: args.packages,
        release: args.release,
        features: args
            .features
            .iter()
            .flat_map(|f| f.split([',', ' ']))
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect(),
        all_features: args.all_features,
        no_default_features: args.no_default_features,
        target: args.target,
        manifest_path: args.manifest_path,
        no_build: args.no_build,
        cargo_args: args.cargo_args,
        overrides: args.output.overrides_with(policy.as_ref())?,
        py_limited_api: args.py_limited_api,
        quiet_hook: matches!(args.output.format, OutputFormat::Human),
        workspace: args.cargo.workspace,
        exclude: args.cargo.exclude,
        profile: args.cargo.profile,
        locked: args.cargo.locked,
        offline: args.cargo.offline,
        frozen: args.cargo.frozen,
        jobs: args.cargo.jobs,
        target_dir: args.cargo.target_dir,
        quiet: args.cargo.quiet,
        verbose: args.output.verbose,
    };
    let mut report = match crate::check::check(&options) {
        Ok(report) => report,
        // The crate could not be checked: still a report, with the reason as its finding.
        Err(error) if args.output.format != OutputFormat::Human => {
            eprintln!("error: {}", escape(&format!("{error:#}")));
            crate::check::failure_report(&options, &error)
        }
        Err(error) => return Err(error.into_anyhow()),
    };
    if let Some(policy) = &policy {
        crate::policy::apply(
            &mut report,
            policy,
            crate::policy::Command::Check,
            &options.overrides,
        );
    }
    emit(&report, &args.output)?;
    Ok(report.exit_code())
}

/// Prints a report in the chosen format (one group: `check` and `host` render one report).
pub fn emit(report: &report::Report, output: &OutputArgs) -> anyhow::Result<()> {
    let mut stream = stdout_stream(render_for(output));
    stream.push(&report.inputs);
    stream.finish().context("writing to stdout")?;
    Ok(())
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing to stdout"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(args: &[&str]) -> bool {
        let args: Vec<OsString> = std::iter::once("cargo-abi3")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        wants_json(&args)
    }

    #[test]
    fn every_machine_format_is_asked_for_before_parsing() {
        let format = |args: &[&str]| {
            let args: Vec<OsString> = std::iter::once("cargo-abi3")
                .chain(args.iter().copied())
                .map(OsString::from)
                .collect();
            requested_format(&args)
        };
        assert_eq!(
            format(&["audit", "--format", "sarif", "--bogus"]),
            OutputFormat::Sarif
        );
        assert_eq!(
            format(&["audit", "--format=github", "x"]),
            OutputFormat::Github
        );
        assert_eq!(
            format(&["audit", "--format", "nonsense"]),
            OutputFormat::Human
        );
    }

    #[test]
    fn colour_follows_the_environment() {
        let with = |vars: &[(&str, &str)], tty: bool| {
            let vars: Vec<(String, String)> = vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            color_from(
                ColorChoice::Auto,
                &|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()),
                tty,
            )
        };
        assert!(with(&[], true));
        assert!(!with(&[], false));
        assert!(!with(&[("TERM", "dumb")], true));
        assert!(!with(&[("CLICOLOR", "0")], true));
        assert!(with(&[("CLICOLOR", "1")], true));
        assert!(with(&[("CLICOLOR_FORCE", "1")], false));
        assert!(!with(&[("CLICOLOR_FORCE", "0")], false));
        assert!(with(&[("FORCE_COLOR", "1"), ("TERM", "dumb")], false));
        assert!(!with(&[("FORCE_COLOR", "")], false));
        assert!(!with(&[("NO_COLOR", "1"), ("FORCE_COLOR", "1")], true));
        assert!(!with(
            &[("CARGO_TERM_COLOR", "never"), ("FORCE_COLOR", "1")],
            true
        ));
        assert!(with(
            &[("CARGO_TERM_COLOR", "always"), ("TERM", "dumb")],
            false
        ));
        assert!(color_from(
            ColorChoice::Always,
            &|_| Some("1".into()),
            false
        ));
        assert!(!color_from(ColorChoice::Never, &|_| None, true));
    }

    #[test]
    fn json_is_asked_for_before_parsing() {
        assert!(json(&["audit", "--format", "json", "x"]));
        assert!(json(&["audit", "--format=json", "--bogus"]));
        assert!(json(&["check", "--format", "human", "--format", "json"]));
        assert!(!json(&["check", "--format", "json", "--format", "human"]));
        assert!(!json(&["audit", "x"]));
        assert!(!json(&["audit", "--format"]));
        // After `--` it is cargo's argument, not ours.
        assert!(!json(&["check", "--", "--format", "json"]));
    }
}
