//! The shared `requires-python` evaluator (`cargo_abi3_build_hook::requires_python`) against
//! the reference PEP 440 implementation, Python's `packaging` library, run in the test.
//!
//! A seeded generator writes thousands of specifier sets, valid and not (every operator,
//! wildcards, epochs, pre/post/dev releases in their spellings, local labels, stray
//! whitespace and junk). For each, `packaging` says whether it parses and which final
//! releases `3.M.P` (M ≤ 15, P ≤ 9) it contains, and the lowest admitted `3.X`; the Rust
//! evaluator must agree on all of it.
//!
//! Skips (printing why) when `python3` lacks `packaging`, except under `CI=true`, where
//! `.ci/run` installs it and a skip would hide a regression.

use std::io::Write;
use std::process::{Command, Stdio};

use cargo_abi3_build_hook::requires_python::{RequiresPythonFloor, SpecifierSet};

const REFERENCE: &str = r#"
import sys
from packaging.specifiers import SpecifierSet, InvalidSpecifier
for line in sys.stdin.read().split("\n")[:-1]:
    spec = bytes.fromhex(line).decode()
    try:
        s = SpecifierSet(spec)
    except InvalidSpecifier:
        print("ERR")
        continue
    bits = "".join("1" if s.contains(f"3.{m}.{p}") else "0" for m in range(16) for p in range(10))
    low = next((m for m in range(64) if any(s.contains(f"3.{m}.{p}") for p in range(24))), None)
    print(bits, "NONE" if low is None else low)
"#;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn version(rng: &mut Rng) -> String {
    let mut v = String::new();
    if rng.chance(5) {
        v.push(if rng.chance(50) { 'v' } else { 'V' });
    }
    if rng.chance(4) {
        v.push_str(rng.pick(&["0!", "1!"]));
    }
    let major = rng.pick(&["3", "3", "3", "3", "2", "4", "03"]);
    v.push_str(major);
    let parts = rng.below(4);
    for i in 0..parts {
        v.push('.');
        let n = match i {
            0 => rng.below(15),
            1 => rng.below(8),
            _ => rng.below(3),
        };
        v.push_str(&n.to_string());
    }
    if rng.chance(12) {
        v.push_str(".*");
        return v;
    }
    let sep = |rng: &mut Rng| rng.pick(&["", "", "", ".", "-", "_"]).to_owned();
    if rng.chance(15) {
        v.push_str(&sep(rng));
        v.push_str(rng.pick(&["a", "b", "c", "rc", "alpha", "beta", "pre", "preview", "RC"]));
        v.push_str(&sep(rng));
        if rng.chance(70) {
            v.push_str(&rng.below(3).to_string());
        }
    }
    if rng.chance(12) {
        if rng.chance(30) {
            v.push_str(&format!("-{}", rng.below(3)));
        } else {
            v.push_str(&sep(rng));
            v.push_str(rng.pick(&["post", "rev", "r"]));
            v.push_str(&sep(rng));
            if rng.chance(70) {
                v.push_str(&rng.below(3).to_string());
            }
        }
    }
    if rng.chance(10) {
        v.push_str(&sep(rng));
        v.push_str("dev");
        if rng.chance(70) {
            v.push_str(&rng.below(3).to_string());
        }
    }
    if rng.chance(5) {
        v.push_str(rng.pick(&["+local", "+ubuntu.1", "+a-b_c", "+", "+x..y"]));
    }
    v
}

fn clause(rng: &mut Rng) -> String {
    if rng.chance(2) {
        return rng
            .pick(&["3.9", "≥3.8", "=>3.8", "junk", ">=", "~=3"])
            .to_owned();
    }
    let op = rng.pick(&[">=", ">=", ">", "<", "<=", "==", "!=", "~=", "~="]);
    let space = if rng.chance(10) { " " } else { "" };
    let lead = if rng.chance(5) { " " } else { "" };
    format!("{lead}{op}{space}{}", version(rng))
}

fn spec(rng: &mut Rng) -> String {
    let n = 1 + rng.below(3);
    let mut clauses: Vec<String> = (0..n).map(|_| clause(rng)).collect();
    if rng.chance(3) {
        clauses.push(String::new());
    }
    clauses.join(if rng.chance(20) { " , " } else { "," })
}

fn ours(spec: &str) -> String {
    let Ok(set) = SpecifierSet::parse(spec) else {
        return "ERR".into();
    };
    let mut bits = String::new();
    for m in 0..16u64 {
        for p in 0..10u64 {
            bits.push(if set.contains(&[3, m, p]).unwrap() {
                '1'
            } else {
                '0'
            });
        }
    }
    let low = match set.lowest_python3() {
        RequiresPythonFloor::Version(v) => v.minor.to_string(),
        RequiresPythonFloor::NoPython3 => "NONE".into(),
        // `Unknown`, or a kind of answer added later: nothing concluded.
        _ => "UNKNOWN".into(),
    };
    format!("{bits} {low}")
}

fn reference(specs: &[String]) -> Option<Vec<String>> {
    let probe = Command::new("python3")
        .args(["-c", "import packaging.specifiers"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        crate::support::skip(
            "python3 with the `packaging` library is not available (pip install packaging)",
        );
        return None;
    }
    let mut child = Command::new("python3")
        .args(["-c", REFERENCE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut input = String::new();
    for s in specs {
        for b in s.as_bytes() {
            input.push_str(&format!("{b:02x}"));
        }
        input.push('\n');
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "the reference script failed");
    Some(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect(),
    )
}

#[test]
fn agrees_with_packaging_on_generated_specifiers() {
    let mut rng = Rng(0x5eed_cafe_f00d_0001);
    let mut specs: Vec<String> = [
        ">=3.8,!=3.8.*",
        ">=2.7,!=3.0.*,!=3.1.*",
        ">=3",
        ">=3.8,<3.8",
        "<4",
        "",
        ">=3.10.0rc1",
        "~=3.9.2",
        ">3.8.5.post1,<3.8.6",
        "==3.8.5+local",
        "!=3.8.0,!=3.8.1,>=3.8,<3.9",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    specs.extend((0..6000).map(|_| spec(&mut rng)));
    let Some(expected) = reference(&specs) else {
        return;
    };
    assert_eq!(expected.len(), specs.len());
    let mut failures = Vec::new();
    for (spec, want) in specs.iter().zip(&expected) {
        let got = ours(spec);
        if &got != want {
            failures.push(format!("{spec:?}\n  packaging: {want}\n  ours:      {got}"));
        }
    }
    let valid = expected.iter().filter(|e| *e != "ERR").count();
    assert!(
        valid > specs.len() / 2,
        "the generator should mostly write valid specifiers ({valid} of {})",
        specs.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} disagree with packaging:\n{}",
        failures.len(),
        specs.len(),
        failures[..failures.len().min(15)].join("\n")
    );
}
