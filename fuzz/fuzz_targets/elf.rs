//! The ELF reader (32/64-bit, either byte order), whole file and prefixes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fuzz_support::check_binary(&fuzz_support::with_magic(data, b"\x7fELF"));
});
