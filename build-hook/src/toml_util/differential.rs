//! The reader against the `toml` crate (a dev-dependency only): same verdict, same strings,
//! same spans, on hand-picked edge cases and on every Cargo.toml in the local cargo registry.

use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use super::{Table, Value, parse};

fn ours(v: &Value, span: &std::ops::Range<usize>) -> String {
    match v {
        Value::String(s) => format!("s{s:?}@{span:?}"),
        Value::Boolean(b) => format!("b{b}@{span:?}"),
        Value::Other => "other".into(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(|i| ours(&i.value, &i.span)).collect();
            format!("[{}]", items.join(","))
        }
        Value::Table(t) => ours_table(t),
    }
}

fn ours_table(t: &Table) -> String {
    let mut entries: Vec<String> = t
        .entries
        .iter()
        .map(|(k, v)| format!("{k:?}={}", ours(&v.value, &v.span)))
        .collect();
    entries.sort();
    format!("{{{}}}", entries.join(","))
}

fn theirs(v: &DeValue<'_>, span: std::ops::Range<usize>) -> String {
    match v {
        DeValue::String(s) => format!("s{:?}@{span:?}", s.as_ref()),
        DeValue::Boolean(b) => format!("b{b}@{span:?}"),
        DeValue::Array(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|i| theirs(i.get_ref(), i.span()))
                .collect();
            format!("[{}]", items.join(","))
        }
        DeValue::Table(t) => theirs_table(t),
        _ => "other".into(),
    }
}

fn theirs_table(t: &DeTable<'_>) -> String {
    let mut entries: Vec<String> = t
        .iter()
        .map(|(k, v)| {
            format!(
                "{:?}={}",
                k.get_ref().as_ref(),
                theirs(v.get_ref(), v.span())
            )
        })
        .collect();
    entries.sort();
    format!("{{{}}}", entries.join(","))
}

/// `None` when both reject the text, otherwise a description of the difference.
fn compare(text: &str) -> Result<(), String> {
    let mine = parse(Path::new("t.toml"), text);
    let reference = DeTable::parse(text);
    match (mine, reference) {
        (Ok(m), Ok(r)) => {
            let (m, r) = (ours_table(&m), theirs_table(r.get_ref()));
            if m == r {
                Ok(())
            } else {
                Err(format!("trees differ\n ours:   {m}\n theirs: {r}"))
            }
        }
        (Err(_), Err(_)) => Ok(()),
        (Ok(_), Err(e)) => Err(format!("accepted, toml rejects: {}", e.message())),
        (Err(e), Ok(_)) => Err(format!("rejected ({}), toml accepts", e.message)),
    }
}

const CASES: &[&str] = &[
    "",
    "# only a comment\n",
    "a = \"x\"\nb = 'y'\nc = \"\"\"\nmulti\\\n   line\"\"\"\nd = '''raw\\n'''\n",
    "e = \"\\u00e9\\t\\\"\\\\\"\nf = true\ng = false\nh = 1_000\ni = 0x1f\nj = 1e3\nk = inf\n",
    "t = 1979-05-27T07:32:00Z\nu = 07:32:00\nv = 1979-05-27\n",
    "[a.b.c]\nx = 1\n[a]\ny = 2\n",
    "[a]\nb.c = 1\nb.d = 'x'\n[a.b.e]\nf = 1\n",
    "arr = [ 1, 'two', [3, \"four\"], { five = 5 }, ]\n",
    "[[p]]\nn = 'a'\n[[p]]\nn = 'b'\n[p.sub]\nq = true\n[[p.list]]\nr = 1\n",
    "\"quoted key\" = 1\n'lit.key' = 2\na.\"b.c\".d = 3\n",
    "[target.'cfg(unix)'.dependencies]\npyo3 = { version = \"0.30\", features = [\"abi3-py39\"] }\n",
    "x = {}\ny = []\nz = [[]]\n",
    "inline = { a.b = 1, a.c = 'x' }\n",
    // Invalid: both must reject.
    "a = 1\na = 2\n",
    "[a]\n[a]\n",
    "a = { b = 1 }\n[a]\n",
    "a = { b = 1 }\na.c = 2\n",
    "a = [1]\n[[a]]\n",
    "[a]\nb.c = 1\n[a.b]\n",
    "a.b = 1\na = 2\n",
    "[package\nname = 1\n",
    "name = \"unterminated\n",
    "a = \"\\q\"\n",
    "= 1\n",
    "a = 1 b = 2\n",
    "a = [1,,2]\n",
    "a = { b = 1, }\n",
    "[[a]]\n[a]\n",
    "[a]\n[[a]]\n",
    // Found by the toml_reader fuzz target: a lone CR, and control characters in a comment.
    "a = 1\r b = 2\n",
    "a = 1 # bell \u{7}\n",
];

#[test]
fn edge_cases_match_the_toml_crate() {
    let failures: Vec<String> = CASES
        .iter()
        .filter_map(|text| compare(text).err().map(|e| format!("{text:?}: {e}")))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn registry_manifests() -> Vec<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let Some(src) = home.map(|h| h.join("registry/src")) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for index in std::fs::read_dir(src).into_iter().flatten().flatten() {
        for krate in std::fs::read_dir(index.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            for name in ["Cargo.toml", "Cargo.toml.orig"] {
                let p = krate.path().join(name);
                if p.is_file() {
                    found.push(p);
                }
            }
        }
    }
    found
}

/// Real manifests: cargo's normalised Cargo.toml and the author's original of every crate this
/// workspace downloaded (a few hundred files, so always present where the tests build).
#[test]
fn registry_manifests_match_the_toml_crate() {
    let files = registry_manifests();
    if files.is_empty() {
        eprintln!("SKIP: no cargo registry sources found under $CARGO_HOME/registry/src");
        return;
    }
    let mut failures = Vec::new();
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        if let Err(e) = compare(&text) {
            failures.push(format!("{}: {e}", f.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}
