//! Snapshots under `tests/snapshots/` (JSON reports and human output alike) and the README's
//! console examples.
//!
//! Compared with snapbox, as raw text (no wildcards, no path normalisation): a snapshot that
//! differs fails the test with a diff; `SNAPSHOTS=overwrite` rewrites it instead (never set
//! under CI: a changed output must be reviewed and committed).

use std::path::{Path, PathBuf};

use snapbox::{Assert, Data};

/// `tests/snapshots/<name>`.
pub fn path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/snapshots")
        .join(name)
}

/// Asserts that `text` is the committed snapshot `name` (or writes it, see the module docs).
#[track_caller]
pub fn assert_text(name: &str, text: &str) {
    Assert::new()
        .action_env(snapbox::assert::DEFAULT_ACTION_ENV)
        .normalize_paths(false)
        .eq(text.to_owned(), Data::read_from(&path(name), None).raw());
}

/// One `$ command` of a ```` ```console ```` block in markdown, with the lines it printed.
#[derive(Debug)]
pub struct ConsoleExample {
    pub command: String,
    pub output: String,
}

/// Every command of every ```` ```console ```` block of `markdown`, in order.
pub fn console_examples(markdown: &str) -> Vec<ConsoleExample> {
    let mut out: Vec<ConsoleExample> = Vec::new();
    let mut inside = false;
    for line in markdown.lines() {
        if !inside {
            inside = line.trim_end() == "```console";
            continue;
        }
        if line.starts_with("```") {
            inside = false;
        } else if let Some(command) = line.strip_prefix("$ ") {
            out.push(ConsoleExample {
                command: command.to_owned(),
                output: String::new(),
            });
        } else if let Some(last) = out.last_mut() {
            last.output.push_str(line);
            last.output.push('\n');
        }
    }
    for example in &mut out {
        let trimmed = example.output.trim_end().len();
        example.output.truncate(trimmed);
        example.output.push('\n');
    }
    out
}
