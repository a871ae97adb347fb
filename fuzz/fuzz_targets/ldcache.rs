//! `cargo abi3 host`'s `/etc/ld.so.cache` parser (new format, and the new format after the
//! old "ld.so-1.7.0" table), on the input as it is and with the new format's magic in front.
//!
//! Beyond no panic: the parser keeps at most `MAX_ENTRIES` entries and never more than the
//! file's table holds (8 bytes each, so memory follows the file size, not what the entries
//! point at); a limit error is only for counts above the limit; an architecture filter
//! only removes entries; and every entry listed is found again by `lookup` when its path
//! is one ld.so could open.
#![no_main]

use cargo_abi3::host::fs::MAX_PATH;
use cargo_abi3::host::ldcache::{CacheError, CacheFile, MAX_ENTRIES};
use libfuzzer_sys::fuzz_target;

/// The header (48 bytes) and one entry (24 bytes) of the new format.
const HEADER: usize = 48;
const ENTRY: usize = 24;

fn check(data: &[u8]) {
    let all = match CacheFile::parse(data.to_vec(), None) {
        Ok(cache) => cache,
        Err(CacheError::TooManyEntries { count, limit }) => {
            assert!(count > limit as u64, "{count} entries refused at {limit}");
            assert_eq!(limit, MAX_ENTRIES);
            return;
        }
        Err(CacheError::Malformed) => return,
    };
    assert!(all.len() <= MAX_ENTRIES);
    assert!(
        HEADER + all.len() * ENTRY <= data.len(),
        "{} entries from {} bytes",
        all.len(),
        data.len()
    );
    for flags in [0x0303, 0x0003, 0x0a03] {
        let some = CacheFile::parse(data.to_vec(), Some(flags)).expect("parsed without a filter");
        assert!(some.len() <= all.len());
    }
    for (key, value) in all.entries().take(64) {
        assert!(!key.contains(&0) && !value.contains(&0));
        let Ok(name) = std::str::from_utf8(key) else {
            continue;
        };
        let found: Vec<String> = all.lookup(name).collect();
        assert!(
            found
                .iter()
                .all(|p| p.starts_with('/') && p.len() <= MAX_PATH)
        );
        if value.starts_with(b"/") && value.len() <= MAX_PATH {
            let value = String::from_utf8_lossy(value);
            assert!(
                found.iter().any(|p| *p == value),
                "{name}: {value} not found"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    check(&fuzz_support::with_magic(data, b"glibc-ld.so.cache1.1"));
});
