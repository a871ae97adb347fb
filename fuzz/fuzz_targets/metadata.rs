//! `WHEEL` and `METADATA` parsers and `Requires-Python` floors.
#![no_main]

use cargo_abi3::wheel::{CoreMetadata, WheelFile, WheelMetadata, requires_python_floor};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let wheel = WheelFile::parse(&text);
    let core = CoreMetadata::parse(&text);
    let _ = core.requires_python_floor();
    if let Some(spec) = &core.requires_python {
        let _ = requires_python_floor(spec);
    }
    let _ = requires_python_floor(&text);
    let meta = WheelMetadata {
        dist_info: None,
        wheel: Some(wheel),
        core: Some(core),
    };
    let _ = meta.root_is_purelib();
    let _ = serde_json::to_string(&meta);
});
