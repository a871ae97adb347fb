//! The Mach-O reader: thin 32/64-bit images of either byte order and fat/fat64 files.
//! Inputs that already sniff as Mach-O (the seeds) are kept; others get a magic chosen by
//! their first byte.
#![no_main]

use libfuzzer_sys::fuzz_target;

const MAGICS: [&[u8]; 6] = [
    &[0xcf, 0xfa, 0xed, 0xfe],             // MH_MAGIC_64, little-endian
    &[0xce, 0xfa, 0xed, 0xfe],             // MH_MAGIC, little-endian
    &[0xfe, 0xed, 0xfa, 0xcf],             // big-endian 64
    &[0xfe, 0xed, 0xfa, 0xce],             // big-endian 32
    &[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2], // fat, 2 arches
    &[0xca, 0xfe, 0xba, 0xbf, 0, 0, 0, 1], // fat64, 1 arch
];

fuzz_target!(|data: &[u8]| {
    if cargo_abi3::binary::looks_like_binary(data)
        && matches!(data.first(), Some(0xca | 0xcf | 0xce | 0xfe))
    {
        fuzz_support::check_binary(data);
    } else {
        let pick = usize::from(data.first().copied().unwrap_or(0)) % MAGICS.len();
        fuzz_support::check_binary(&fuzz_support::with_magic(data, MAGICS[pick]));
    }
});
