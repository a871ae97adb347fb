//! Wheel file names and tags: parsing, the claimed floor, installability, platform tags.
#![no_main]

use cargo_abi3::wheel::WheelName;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for candidate in [text.to_owned(), format!("{text}.whl")] {
        let Ok(name) = WheelName::parse(&candidate) else {
            continue;
        };
        let _ = name.has_abi3();
        let _ = name.has_abi3t();
        let _ = name.abi_kind();
        let _ = name.is_free_threaded_build();
        let _ = name.claimed_floor();
        let _ = name.uninstallable_reason();
        let _ = name.tag_triple();
        for platform in name.platforms() {
            let _ = platform.family();
            let _ = platform.macos_version();
            let _ = platform.manylinux_glibc();
            let _ = platform.musllinux_version();
            let _ = platform.arch_name();
            let _ = platform.architectures();
        }
    }
});
