//! The top-level modules depend on each other without cycles:
//! `crate::X` edges read from the sources, cycles found by depth-first search.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Cycles allowed: none. (The last one, remote ↔ audit/inputs, was broken by giving `inputs`
/// the remote wheel descriptor and `audit` a `RemoteInputs` trait that `remote` implements.)
const KNOWN: &[&str] = &[];

fn module_of(src: &Path, file: &Path) -> Option<String> {
    let first = file.strip_prefix(src).ok()?.components().next()?;
    let name = first.as_os_str().to_str()?;
    Some(name.strip_suffix(".rs").unwrap_or(name).to_owned())
}

fn edges() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules = BTreeSet::new();
    let mut files = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    for f in &files {
        let m = module_of(&src, f).unwrap();
        if !["lib", "main", "layering"].contains(&m.as_str()) {
            modules.insert(m);
        }
    }
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let from = module_of(&src, f).unwrap();
        if !modules.contains(&from) {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or_default();
            // `crate::x…` anywhere, and the names inside `use crate::{a, b::c}`.
            for (i, _) in code.match_indices("crate::") {
                let rest = &code[i + "crate::".len()..];
                let names: Vec<&str> = match rest.strip_prefix('{') {
                    Some(group) => group
                        .split(',')
                        .map(|p| p.trim().split("::").next().unwrap_or_default())
                        .collect(),
                    None => vec![
                        rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                            .next()
                            .unwrap_or_default(),
                    ],
                };
                for name in names {
                    if modules.contains(name) && name != from {
                        edges
                            .entry(from.clone())
                            .or_default()
                            .insert(name.to_owned());
                    }
                }
            }
        }
    }
    edges
}

/// Every module on a cycle through `start`.
fn on_cycles(edges: &BTreeMap<String, BTreeSet<String>>, start: &str) -> BTreeSet<String> {
    fn reach(edges: &BTreeMap<String, BTreeSet<String>>, from: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(m) = stack.pop() {
            for next in edges.get(&m).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    }
    let forward = reach(edges, start);
    forward
        .iter()
        .filter(|m| reach(edges, m).contains(start))
        .cloned()
        .collect()
}

#[test]
fn top_level_modules_have_no_cycle_but_the_known_one() {
    let edges = edges();
    assert!(
        edges["report"].contains("binary"),
        "the scan finds edges: {edges:?}"
    );
    for module in edges.keys() {
        let cycle = on_cycles(&edges, module);
        if cycle.is_empty() {
            continue;
        }
        assert!(
            cycle.iter().all(|m| KNOWN.contains(&m.as_str())),
            "`{module}` is on a module cycle through {cycle:?}; edges: {edges:?}"
        );
    }
    for module in [
        "report", "host", "check", "policy", "rules", "finding", "binary", "wheel",
    ] {
        assert!(on_cycles(&edges, module).is_empty(), "{module}");
    }
}
