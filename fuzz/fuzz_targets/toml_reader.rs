//! The build hook's TOML reader (toml_parser events → a small tree) against the `toml` crate:
//! on any text both must accept or both reject, and every value the readers extract must equal
//! what `toml` parses at the same place, byte span included.
#![no_main]

use cargo_abi3_build_hook::manifest::Manifest;
use cargo_abi3_build_hook::pyproject::PyProject;
use libfuzzer_sys::fuzz_target;
use toml::de::{DeTable, DeValue};

/// The string at a dotted path in `toml`'s tree, with its span.
fn reference_string(doc: &DeTable<'_>, path: &[&str]) -> Option<(String, std::ops::Range<usize>)> {
    let (last, tables) = path.split_last()?;
    let mut table = doc;
    for key in tables {
        match table.get(*key)?.get_ref() {
            DeValue::Table(t) => table = t,
            _ => return None,
        }
    }
    let value = table.get(*last)?;
    match value.get_ref() {
        DeValue::String(s) => Some((s.to_string(), value.span())),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let reference = DeTable::parse(text);
    let manifest = Manifest::parse("Cargo.toml", text);
    let pyproject = PyProject::parse("pyproject.toml", text);
    // The reader's one deliberate difference: it refuses tables of many thousands of keys
    // (its lookup budget) where `toml` accepts them.
    if let Err(e) = &manifest
        && e.message.starts_with("too many keys")
    {
        return;
    }
    assert_eq!(
        manifest.is_ok(),
        reference.is_ok(),
        "verdicts differ: ours {:?}, toml {:?}",
        manifest.as_ref().err(),
        reference.as_ref().err().map(|e| e.message().to_owned())
    );
    assert_eq!(manifest.is_ok(), pyproject.is_ok());
    let (Ok(reference), Ok(manifest), Ok(pyproject)) = (reference, manifest, pyproject) else {
        return;
    };
    let doc = reference.get_ref();
    let ours = |s: &Option<cargo_abi3_build_hook::toml_util::SpannedStr>| {
        s.as_ref().map(|s| (s.value.clone(), s.span.clone()))
    };
    assert_eq!(
        ours(&manifest.package_name),
        reference_string(doc, &["package", "name"])
    );
    assert_eq!(
        ours(&manifest.lib_name),
        reference_string(doc, &["lib", "name"])
    );
    assert_eq!(
        ours(&pyproject.requires_python),
        reference_string(doc, &["project", "requires-python"])
    );
    if let Some(m) = &pyproject.maturin {
        assert_eq!(
            ours(&m.module_name),
            reference_string(doc, &["tool", "maturin", "module-name"])
        );
    }
});
