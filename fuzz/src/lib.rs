//! Shared checks for the fuzz targets. Each one runs a reader the way `cargo abi3 audit`
//! does and asserts the properties the audit relies on (beyond "no panic, no hang").

use cargo_abi3::PyVersion;
use cargo_abi3::binary::{self, Binary, ReadError};
use cargo_abi3::rules::{self, BinarySubject, Claim, ClaimSource};

/// The audit's first prefix is 256 KiB; fuzz inputs are small, so start smaller to exercise
/// the `NeedMore` path.
const FIRST_PREFIX: u64 = 64;

/// Runs every binary entry point on `data` and checks:
/// - `read` (complete) never answers `NeedMore`;
/// - `read_prefix(_, false)`'s `NeedMore { len }` asks for more than it was given;
/// - the audit's grow-and-retry loop over prefixes of `data` ends within a few rounds, and
///   when it succeeds from a prefix it sees the same images as a read of the whole file;
/// - the rules and the JSON serialisation accept whatever the readers produce.
pub fn check_binary(data: &[u8]) {
    let full = binary::read(data);
    if let Err(ReadError::NeedMore { len }) = &full {
        panic!("read(complete) answered NeedMore {{ len: {len} }}");
    }
    if let Err(ReadError::NeedMore { len }) = binary::read_prefix(data, false)
        && len <= data.len() as u64
    {
        panic!(
            "NeedMore {{ len: {len} }} for a prefix of {} bytes",
            data.len()
        );
    }
    if let Some(from_prefix) = audit_loop(data)
        && let Ok(whole) = &full
    {
        assert_eq!(
            &from_prefix, whole,
            "a prefix read and the complete read disagree"
        );
    }
    if let Ok(binaries) = &full {
        for binary in binaries {
            run_rules(binary);
        }
    }
}

/// The loop of `audit::read_member_binaries`, over prefixes of `data` (the member). Returns
/// what it read when a read succeeded.
fn audit_loop(data: &[u8]) -> Option<Vec<Binary>> {
    let size = data.len() as u64;
    let mut want = FIRST_PREFIX.min(size);
    for _round in 0..80 {
        let complete = want >= size;
        let prefix = data.get(..usize::try_from(want).unwrap_or(data.len()))?;
        match binary::read_prefix(prefix, complete) {
            Err(ReadError::NeedMore { len }) if !complete => {
                want = len.max(want.saturating_mul(2)).min(size);
            }
            Err(ReadError::NeedMore { len }) => {
                panic!("NeedMore {{ len: {len} }} with complete = true")
            }
            Ok(binaries) => return Some(binaries),
            Err(_) => return None,
        }
    }
    panic!("the prefix loop did not settle in 80 rounds");
}

/// The rules as the audit runs them, under a few claims, and the JSON the report serialises.
pub fn run_rules(binary: &Binary) {
    let claims = [
        Claim::unclaimed(),
        Claim {
            kind: Some(cargo_abi3::AbiKind::Abi3),
            floor: Some(PyVersion::new(3, 8)),
            source: ClaimSource::AssumeMinimum,
        },
    ];
    for claim in &claims {
        let subject = BinarySubject::new(binary, "_x.abi3.so", claim, None);
        let _ = subject.computed_floor();
        let _ = rules::check_binary(&subject);
    }
    let _ = serde_json::to_string(binary).map(|json| {
        assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
    });
}

/// `data` with its first bytes replaced by `magic` (or `magic` alone if shorter), so a
/// format target spends its time in that reader rather than in format sniffing.
pub fn with_magic(data: &[u8], magic: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    if out.len() < magic.len() {
        out.resize(magic.len(), 0);
    }
    if let Some(head) = out.get_mut(..magic.len()) {
        head.copy_from_slice(magic);
    }
    out
}
