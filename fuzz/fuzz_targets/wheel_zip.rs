//! The wheel reader and the whole audit of one wheel. `WheelArchive` opens paths, so each
//! input is written to one per-process temporary file named like a wheel.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use cargo_abi3::audit::{self, AuditOptions};
use cargo_abi3::report;
use cargo_abi3::wheel::{Limits, WheelArchive};
use libfuzzer_sys::fuzz_target;

const NAME: &str = "pkg-1.0-cp38-abi3-manylinux_2_17_x86_64.whl";

fn path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("cargo-abi3-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir.join(NAME)
    })
}

/// Small limits: the fuzzer should find limit logic bugs, not spend its time inflating.
fn limits() -> Limits {
    Limits {
        max_members: 2_000,
        max_member_bytes: 4 << 20,
        max_total_bytes: 16 << 20,
        max_compression_ratio: 200,
        compression_ratio_min_bytes: 64 << 10,
        max_metadata_bytes: 64 << 10,
        ..Limits::default()
    }
}

fuzz_target!(|data: &[u8]| {
    let path = path();
    std::fs::write(path, data).expect("write temp wheel");
    let limits = limits();

    if let Ok(mut archive) = WheelArchive::open(path, &limits) {
        let _ = archive.name();
        for notice in archive.notices() {
            let _ = notice.to_string();
        }
        let members: Vec<String> = archive.members().iter().map(|m| m.path.clone()).collect();
        for member in &members {
            match archive.read_member(member, Some(16)) {
                Ok(head) => assert!(head.bytes.len() <= 16),
                Err(e) => {
                    let _ = e.to_string();
                }
            }
            if let Ok(all) = archive.read_member(member, None) {
                assert!(all.complete, "an unbounded read returned a prefix");
                assert!(all.bytes.len() as u64 <= limits.max_member_bytes);
                fuzz_support::check_binary(&all.bytes);
            }
        }
    }

    // The audit end to end: findings, exit code and both renderers.
    let options = AuditOptions {
        limits,
        ..AuditOptions::default()
    };
    let report = audit::audit(&[path.display().to_string()], &options);
    let json = report::json::render(&report);
    assert!(
        serde_json::from_str::<serde_json::Value>(&json).is_ok(),
        "invalid JSON report"
    );
    let _ = report::human::render(
        &report,
        report::human::HumanOptions {
            color: false,
            verbose: true,
        },
    );
    let _ = report.exit_code();
});
