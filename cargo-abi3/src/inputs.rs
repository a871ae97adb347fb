//! Turning command-line paths into inputs: files, directories (recursive) and globs.

use std::path::{Path, PathBuf};

/// Something to audit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Wheel(PathBuf),
    Binary(PathBuf),
    /// A path, directory or glob that yielded nothing (or could not be listed), with why.
    Empty {
        path: String,
        reason: String,
    },
}

/// Expands each argument. Explicit files are always audited (their content decides what
/// they are); directories and globs contribute wheels and files named like binaries.
pub fn expand(args: &[String]) -> Vec<Input> {
    let mut inputs = Vec::new();
    for arg in args {
        let path = Path::new(arg);
        if path.is_file() {
            inputs.push(classify(path.to_path_buf()));
        } else if path.is_dir() {
            let before = inputs.len();
            walk(path, &mut inputs);
            if inputs.len() == before {
                inputs.push(Input::Empty {
                    path: arg.clone(),
                    reason: "the directory contains no wheel or shared object".into(),
                });
            }
        } else if arg.contains(['*', '?', '[']) {
            expand_glob(arg, &mut inputs);
        } else {
            inputs.push(Input::Empty {
                path: arg.clone(),
                reason: "no such file or directory".into(),
            });
        }
    }
    inputs
}

fn expand_glob(pattern: &str, inputs: &mut Vec<Input>) {
    let before = inputs.len();
    match glob::glob(pattern) {
        Ok(paths) => {
            for path in paths.flatten() {
                if path.is_dir() {
                    walk(&path, inputs);
                } else if path.is_file() {
                    inputs.push(classify(path));
                }
            }
            if inputs.len() == before {
                inputs.push(Input::Empty {
                    path: pattern.to_owned(),
                    reason: "the glob matches nothing to audit".into(),
                });
            }
        }
        Err(e) => inputs.push(Input::Empty {
            path: pattern.to_owned(),
            reason: format!("invalid glob: {e}"),
        }),
    }
}

fn classify(path: PathBuf) -> Input {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("whl"))
    {
        Input::Wheel(path)
    } else {
        Input::Binary(path)
    }
}

/// Recursively collects wheels and binaries, in a stable (sorted) order, without following
/// symlinked directories (a loop must not hang the gate).
fn walk(dir: &Path, inputs: &mut Vec<Input>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        inputs.push(Input::Empty {
            path: dir.display().to_string(),
            reason: "cannot list the directory".into(),
        });
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            walk(&path, inputs);
        } else if meta.is_file() && is_auditable_name(&path) {
            inputs.push(classify(path));
        }
    }
}

/// Names a directory walk picks up: wheels and shared objects (including versioned `.so.N`).
pub fn is_auditable_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
    [".whl", ".so", ".pyd", ".dll", ".dylib"]
        .iter()
        .any(|ext| lower.ends_with(ext))
        || lower.contains(".so.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_a_walk_audits() {
        for name in [
            "a.whl",
            "x.abi3.so",
            "libfoo.so.1.2",
            "m.pyd",
            "python3.dll",
            "libx.dylib",
            "lib_mod.so",
        ] {
            assert!(is_auditable_name(Path::new(name)), "{name}");
        }
        for name in ["a.py", "README", "x.so.txt.bak", "lib.rlib"] {
            assert!(
                !is_auditable_name(Path::new(name)) || name.contains(".so."),
                "{name}"
            );
        }
    }

    #[test]
    fn missing_paths_and_empty_globs_are_reported() {
        let inputs = expand(&[
            "/definitely/not/here".into(),
            "/definitely/not/*.whl".into(),
        ]);
        assert!(
            matches!(&inputs[0], Input::Empty { reason, .. } if reason.contains("no such file"))
        );
        assert!(matches!(&inputs[1], Input::Empty { reason, .. } if reason.contains("glob")));
    }
}
