//! Format sniffing plus every reader: `read_prefix` with both `complete` flags, the audit's
//! prefix loop, and a prefix cut at a fuzzer-chosen length.
#![no_main]

use cargo_abi3::binary::{self, ReadError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fuzz_support::check_binary(data);
    // A prefix cut where the last byte says, read as if it were the whole file.
    if let Some((&cut, rest)) = data.split_last() {
        let cut = usize::from(cut) * rest.len() / 255;
        let prefix = rest.get(..cut).unwrap_or(rest);
        if let Err(ReadError::NeedMore { .. }) = binary::read_prefix(prefix, true) {
            panic!("NeedMore with complete = true");
        }
        let _ = binary::read_prefix(prefix, false);
        let _ = binary::looks_like_binary(prefix);
    }
});
