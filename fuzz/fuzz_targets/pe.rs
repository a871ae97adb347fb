//! The PE reader (PE32 and PE32+): import, delay-load import and export directories.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fuzz_support::check_binary(&fuzz_support::with_magic(data, b"MZ"));
});
